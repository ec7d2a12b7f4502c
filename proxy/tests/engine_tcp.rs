//! TCP mode over the in-memory network: relaying, half-close, retries and redispatch,
//! connect timeouts, queueing and the `tcplog` line.

mod engine_support;

use std::time::Duration;

use engine_support::{Harness, addr};
use proxy::engine::testing::ServerBehavior;

const FRONT: &str = "10.0.0.1:9000";

fn harness(backend_body: &str) -> Harness {
    Harness::new(&format!(
        "
global
    log 10.0.9.9:514 local0
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout queue 1s

listen fwd
    bind {FRONT}
{backend_body}
"
    ))
}

#[test]
fn bytes_are_relayed_both_ways() {
    let mut h = harness("    server e 10.0.1.1:7\n");
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Echo);
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(id, b"hello, ");
    h.run_for(Duration::from_millis(10));
    h.net.remote_send(id, b"world");
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv_text(id), "hello, world");
}

#[test]
fn half_close_is_relayed_and_the_other_direction_keeps_flowing() {
    let mut h = harness("    server m 10.0.1.1:7000\n");
    h.net
        .set_server(addr("10.0.1.1:7000"), ServerBehavior::Manual);
    let client = h.net.client(addr(FRONT));
    h.net.remote_send(client, b"request");
    h.net.remote_shutdown(client);
    h.run_for(Duration::from_millis(10));
    let conns = h.net.server_conns(addr("10.0.1.1:7000"));
    assert_eq!(conns.len(), 1);
    let server = conns[0];
    assert_eq!(h.net.remote_recv_text(server), "request");
    assert!(
        h.net.remote_sees_eof(server),
        "the client's FIN reached the server"
    );
    // The server still talks after the client's half-close.
    h.net.remote_send(server, b"reply part 1, ");
    h.run_for(Duration::from_millis(10));
    h.net.remote_send(server, b"part 2");
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv_text(client), "reply part 1, part 2");
    assert!(!h.net.remote_sees_eof(client));
    h.net.remote_shutdown(server);
    h.run_for(Duration::from_millis(10));
    assert!(h.net.remote_sees_eof(client));
    assert_eq!(h.engine.session_count(), 0);
    assert_eq!(h.engine.pool().available(), h.engine.pool().total());
}

#[test]
fn refused_connects_are_retried_then_redispatched() {
    let mut h = harness(
        "    retries 3\n    option redispatch\n    server dead 10.0.1.1:7\n    server live 10.0.1.2:7\n",
    );
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Refuse);
    h.net.set_server(addr("10.0.1.2:7"), ServerBehavior::Echo);
    for _ in 0..4 {
        let id = h.net.client(addr(FRONT));
        h.net.remote_send(id, b"ping");
        h.run_for(Duration::from_millis(20));
        assert_eq!(h.net.remote_recv_text(id), "ping");
        h.net.remote_shutdown(id);
        h.run_for(Duration::from_millis(5));
    }
    let c = h.engine.backend_counters("fwd").cloned().expect("fwd");
    assert!(c.redispatches >= 1);
    assert_eq!(
        c.connect_errors,
        3 * c.redispatches,
        "three attempts on the dead server, the fourth elsewhere"
    );
}

#[test]
fn connect_timeout_then_redispatch_on_last_retry() {
    let mut h = harness(
        "    retries 1\n    option redispatch\n    server hole 10.0.1.1:7\n    server live 10.0.1.2:7\n",
    );
    h.net
        .set_server(addr("10.0.1.1:7"), ServerBehavior::Blackhole);
    h.net.set_server(addr("10.0.1.2:7"), ServerBehavior::Echo);
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(id, b"x");
    h.run_for(Duration::from_millis(900));
    assert_eq!(
        h.net.remote_recv_text(id),
        "",
        "still connecting to the black hole"
    );
    h.run_for(Duration::from_millis(200));
    assert_eq!(h.net.remote_recv_text(id), "x");
}

#[test]
fn redispatch_under_balance_source_keeps_hashing_the_client() {
    let mut h = harness(
        "    balance source\n    retries 1\n    option redispatch\n    server a 10.0.1.1:7\n    server b 10.0.1.2:7\n    server c 10.0.1.3:7\n",
    );
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Refuse);
    h.net.set_server(addr("10.0.1.2:7"), ServerBehavior::Echo);
    h.net.set_server(addr("10.0.1.3:7"), ServerBehavior::Echo);
    for last in 1..=12u8 {
        let ip: std::net::IpAddr = format!("198.51.100.{last}").parse().expect("ip");
        let mut landed = std::collections::BTreeSet::new();
        for _ in 0..3 {
            let before = h.net.server_conns(addr("10.0.1.2:7")).len();
            let id = h.net.connect_client(addr(FRONT), ip);
            h.run_for(Duration::from_millis(10));
            let on_b = h.net.server_conns(addr("10.0.1.2:7")).len() > before;
            landed.insert(if on_b { "b" } else { "c" });
            h.net.remote_shutdown(id);
            h.run_for(Duration::from_millis(10));
        }
        assert_eq!(landed.len(), 1, "client {ip} moved between {landed:?}");
    }
    let c = h.engine.backend_counters("fwd").cloned().expect("fwd");
    assert!(c.redispatches >= 3, "some clients hash to a: {c:?}");
}

#[test]
fn no_retries_left_closes_the_client() {
    let mut h = harness("    retries 0\n    server dead 10.0.1.1:7\n");
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Refuse);
    let id = h.net.client(addr(FRONT));
    h.run_for(Duration::from_millis(10));
    assert!(h.net.remote_sees_eof(id));
    assert_eq!(h.engine.session_count(), 0);
}

#[test]
fn maxconn_queues_tcp_clients_until_a_slot_frees() {
    let mut h = harness("    timeout queue 5s\n    server m 10.0.1.1:7000 maxconn 1\n");
    h.net
        .set_server(addr("10.0.1.1:7000"), ServerBehavior::Manual);
    let a = h.net.client(addr(FRONT));
    let b = h.net.client(addr(FRONT));
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.server_conns(addr("10.0.1.1:7000")).len(), 1);
    assert_eq!(h.engine.queued_count(), 1);
    // The first client leaves; the second gets the slot.
    let first = h.net.server_conns(addr("10.0.1.1:7000"))[0];
    h.net.remote_shutdown(a);
    h.net.remote_shutdown(first);
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.engine.queued_count(), 0);
    h.net.remote_send(b, b"late");
    h.run_for(Duration::from_millis(10));
    let conns = h.net.server_conns(addr("10.0.1.1:7000"));
    let second = *conns.last().expect("second connection");
    assert_ne!(second, first);
    assert_eq!(h.net.remote_recv_text(second), "late");
}

#[test]
fn tcplog_line_has_haproxy_fields() {
    let mut h = harness("    server e 10.0.1.1:7\n");
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Echo);
    // 2009-02-06 12:12:51.443 UTC, the manual's example date.
    h.engine.set_wall_clock(h.now, 1_233_922_371_443);
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(id, b"0123456789");
    h.run_for(Duration::from_millis(10));
    h.net.remote_shutdown(id);
    h.run_for(Duration::from_millis(10));
    let logs = h.net.take_datagrams();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0].0, addr("10.0.9.9:514"));
    let line = String::from_utf8(logs[0].1.clone()).expect("utf-8");
    // <PRI> = local0 (16) * 8 + info (6) = 134.
    let prefix = "<134>Feb  6 12:12:51 haproxy[1]: 192.0.2.1:";
    assert!(line.starts_with(prefix), "{line}");
    let fields: Vec<&str> = line[prefix.len()..].split(' ').collect();
    // port [date] frontend backend/server Tw/Tc/Tt bytes termination conns queues
    assert_eq!(fields.len(), 9, "{line}");
    assert!(fields[1].starts_with("[06/Feb/2009:12:12:51."), "{line}");
    assert_eq!(fields[2], "fwd");
    assert_eq!(fields[3], "fwd/e");
    let timers: Vec<&str> = fields[4].split('/').collect();
    assert_eq!(timers.len(), 3);
    assert!(timers.iter().all(|t| t.parse::<u64>().is_ok()), "{line}");
    assert_eq!(fields[5], "10");
    assert_eq!(fields[6], "--");
    assert_eq!(fields[7].split('/').count(), 5);
    assert_eq!(fields[8], "0/0");
}

#[test]
fn use_backend_by_source_address() {
    let mut h = Harness::new(
        "
defaults
    mode tcp
    timeout client 5s
    timeout server 5s
frontend f
    bind 10.0.0.1:9000
    acl lan src 10.0.0.0/8
    use_backend inside if lan
    default_backend outside
backend inside
    server i 10.0.1.1:7
backend outside
    server o 10.0.1.2:7
",
    );
    h.net.set_server(addr("10.0.1.1:7"), ServerBehavior::Manual);
    h.net.set_server(addr("10.0.1.2:7"), ServerBehavior::Manual);
    h.net
        .connect_client(addr(FRONT), "10.5.5.5".parse().expect("ip"));
    h.net
        .connect_client(addr(FRONT), "203.0.113.5".parse().expect("ip"));
    h.net
        .connect_client(addr(FRONT), "203.0.113.6".parse().expect("ip"));
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.server_conns(addr("10.0.1.1:7")).len(), 1);
    assert_eq!(h.net.server_conns(addr("10.0.1.2:7")).len(), 2);
}

#[test]
fn http_upgrade_switches_to_a_raw_tunnel() {
    let mut h = Harness::new(
        "
defaults
    mode http
    timeout client 5s
    timeout server 5s
frontend web
    bind 10.0.0.1:80
    default_backend ws
backend ws
    server m 10.0.1.1:8080
",
    );
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Manual);
    let client = h.net.client(addr("10.0.0.1:80"));
    h.net.remote_send(
        client,
        b"GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    h.run_for(Duration::from_millis(10));
    let server = h.net.server_conns(addr("10.0.1.1:8080"))[0];
    let req = h.net.remote_recv_text(server);
    assert!(
        req.contains("Upgrade: websocket\r\n") && req.contains("Connection: upgrade\r\n"),
        "{req}"
    );
    h.net.remote_send(
        server,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhello client",
    );
    h.run_for(Duration::from_millis(10));
    let resp = h.net.remote_recv_text(client);
    assert!(
        resp.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{resp}"
    );
    assert!(resp.ends_with("\r\n\r\nhello client"), "{resp}");
    h.net.remote_send(client, b"\x81\x05frame");
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv(server), b"\x81\x05frame");
    h.net.remote_shutdown(server);
    h.run_for(Duration::from_millis(10));
    assert!(h.net.remote_sees_eof(client));
}

#[test]
fn timeout_tunnel_replaces_client_and_server_timeouts_in_tcp_mode() {
    // Manual 4.2 "timeout tunnel": in TCP mode it applies as soon as the relay runs.
    let mut h = harness("    timeout tunnel 3s\n    server m 10.0.1.1:7000\n");
    h.net
        .set_server(addr("10.0.1.1:7000"), ServerBehavior::Manual);
    let client = h.net.client(addr(FRONT));
    h.net.remote_send(client, b"hello");
    h.run_for(Duration::from_millis(2000));
    assert!(h.net.engine_holds(client), "cut before timeout tunnel");
    h.run_for(Duration::from_millis(1100));
    assert!(!h.net.engine_holds(client), "kept past timeout tunnel");
}
