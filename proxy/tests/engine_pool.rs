//! Bounded resources: the buffer pool and session table run out without panicking, HTTP
//! clients get 503, TCP clients wait, and everything comes back. Also a deterministic storm
//! of malformed input, resets and partial writes.

mod engine_support;

use std::time::Duration;

use engine_support::{Harness, addr, status};
use proxy::engine::ResourceLimits;
use proxy::engine::testing::{HttpServer, ServerBehavior};

const HTTP_CFG: &str = "
defaults
    mode http
    timeout client 2s
    timeout server 2s
    timeout connect 500ms
    timeout http-request 1s
frontend web
    bind 10.0.0.1:80
    default_backend app
backend app
    server s1 10.0.1.1:8080
    server s2 10.0.1.2:8080
";

#[test]
fn limits_from_ram_fit_the_budget() {
    for ram in [32usize << 20, 64 << 20, 256 << 20, 512 << 20] {
        let l = ResourceLimits::from_ram(ram);
        assert!(l.reserved_bytes() <= ram / 4, "{l:?}");
        assert!(l.max_sessions >= 16, "{l:?} for {ram}");
        assert_eq!(l.buffers, 4 * l.max_sessions);
        assert!(l.http_limits().max_head_bytes < l.buffer_size);
    }
    assert_eq!(ResourceLimits::from_ram(0).max_sessions, 1);
}

#[test]
fn http_pool_exhaustion_answers_503_and_recovers() {
    // Two HTTP sessions' worth of buffers.
    let mut h = Harness::with_limits(HTTP_CFG, ResourceLimits::new(4096, 8, 16));
    for (a, n) in [("10.0.1.1:8080", "s1"), ("10.0.1.2:8080", "s2")] {
        let mut spec = HttpServer::named(n);
        spec.delay = Duration::from_millis(100);
        h.net.set_server(addr(a), ServerBehavior::Http(spec));
    }
    let ids: Vec<u32> = (0..5)
        .map(|_| {
            let id = h.net.client(addr("10.0.0.1:80"));
            h.net.remote_send(
                id,
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            );
            id
        })
        .collect();
    h.run_for(Duration::from_millis(300));
    let statuses: Vec<u16> = ids
        .iter()
        .map(|&id| status(&h.net.remote_recv_text(id)))
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 503).count(),
        3,
        "{statuses:?}"
    );
    assert!(h.engine.pool().exhausted >= 3);
    assert_eq!(h.engine.pool().available(), h.engine.pool().total());
    // And new clients are served again.
    assert_eq!(status(&h.get("10.0.0.1:80", "/")), 200);
}

#[test]
fn tcp_clients_wait_in_the_backlog_when_the_pool_is_empty() {
    let cfg = "
defaults
    mode tcp
    timeout client 5s
    timeout server 5s
    timeout connect 1s
listen fwd
    bind 10.0.0.1:9000
    server e 10.0.1.1:7
";
    // One TCP session (two buffers).
    let mut h = Harness::with_limits(cfg, ResourceLimits::new(2048, 2, 8));
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Echo);
    let a = h.net.client(addr("10.0.0.1:9000"));
    let b = h.net.client(addr("10.0.0.1:9000"));
    h.net.remote_send(a, b"first");
    h.net.remote_send(b, b"second");
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv_text(a), "first");
    assert_eq!(h.net.remote_recv_text(b), "", "b waits in the backlog");
    h.net.remote_shutdown(a);
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv_text(b), "second");
}

#[test]
fn frontend_maxconn_leaves_extra_clients_in_the_backlog() {
    let cfg = "
defaults
    mode tcp
    timeout client 5s
    timeout server 5s
listen fwd
    bind 10.0.0.1:9000
    maxconn 1
    server e 10.0.1.1:7
";
    let mut h = Harness::new(cfg);
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Echo);
    let a = h.net.client(addr("10.0.0.1:9000"));
    let b = h.net.client(addr("10.0.0.1:9000"));
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.engine.session_count(), 1);
    h.net.remote_shutdown(a);
    h.run_for(Duration::from_millis(10));
    h.net.remote_send(b, b"x");
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv_text(b), "x");
}

/// A tiny deterministic generator (xorshift), so the storm is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[test]
fn storm_of_garbage_resets_and_partial_writes_never_panics_and_leaks_nothing() {
    let mut h = Harness::with_limits(HTTP_CFG, ResourceLimits::new(2048, 24, 6));
    h.http_server("10.0.1.1:8080", "s1");
    let mut slow = HttpServer::named("s2");
    slow.delay = Duration::from_millis(30);
    h.net
        .set_server(addr("10.0.1.2:8080"), ServerBehavior::Http(slow));
    h.net.max_send_per_call = Some(13);
    let inputs: [&[u8]; 8] = [
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"\x00\x01\x02garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        b"GET /very/long/path HTTP/1.1\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"PUT /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut clients: Vec<u32> = Vec::new();
    for round in 0..3000u32 {
        match rng.below(10) {
            0..=3 => {
                let id = h.net.client(addr("10.0.0.1:80"));
                let input = inputs[rng.below(inputs.len() as u64) as usize];
                let cut = rng.below(input.len() as u64 + 1) as usize;
                h.net.remote_send(id, &input[..cut]);
                clients.push(id);
            }
            4 if !clients.is_empty() => {
                let id = clients.swap_remove(rng.below(clients.len() as u64) as usize);
                h.net.remote_reset(id);
            }
            5 if !clients.is_empty() => {
                let id = clients[rng.below(clients.len() as u64) as usize];
                h.net.remote_shutdown(id);
            }
            6 if !clients.is_empty() => {
                let id = clients[rng.below(clients.len() as u64) as usize];
                let input = inputs[rng.below(inputs.len() as u64) as usize];
                h.net.remote_send(id, input);
            }
            7 if round % 500 == 7 => {
                // A server dies and comes back.
                h.net
                    .set_server(addr("10.0.1.1:8080"), ServerBehavior::Refuse);
            }
            8 if round % 500 == 8 => h.http_server("10.0.1.1:8080", "s1"),
            _ => {}
        }
        for &id in &clients {
            let _ = h.net.remote_recv(id);
        }
        h.step();
        assert!(h.engine.session_count() <= 6);
    }
    for id in clients.drain(..) {
        h.net.remote_reset(id);
    }
    // Everything times out or finishes within the configured timeouts.
    h.run_for(Duration::from_secs(5));
    assert_eq!(h.engine.session_count(), 0);
    assert_eq!(h.engine.pool().available(), h.engine.pool().total());
    let app = h.engine.backend_counters("app").cloned().expect("app");
    assert_eq!(app.scur, 0, "every server slot was released");
    assert_eq!(app.qcur, 0);
    assert!(h.engine.pool().exhausted > 0, "the storm did fill the pool");
    assert_eq!(
        h.engine.next_deadline(),
        None,
        "no session and no check left with timed work"
    );
}
