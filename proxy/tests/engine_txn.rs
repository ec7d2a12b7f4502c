//! The phases of one HTTP transaction as the client and the log see them: interim (1xx)
//! responses, where a server failure lands (before the response head: an error page; after
//! it: a reset), and which transactions write a log line (HAProxy's termination states,
//! manual 8.5; monitor requests and idle keep-alive closes write none, manual 8.2.3 and 4.2
//! "monitor-uri").

mod engine_support;

use std::time::Duration;

use engine_support::{Harness, addr, status};
use proxy::engine::testing::ServerBehavior;

const FRONT: &str = "10.0.0.1:80";
const SERVER: &str = "10.0.1.1:8080";

fn harness() -> Harness {
    let mut h = Harness::new(&format!(
        "
global
    log 10.0.9.9:514 local0
defaults
    mode http
    log global
    option httplog
    timeout client 5s
    timeout server 1s
    timeout connect 1s
    timeout http-request 2s
frontend web
    bind {FRONT}
    monitor-uri /healthz
    default_backend app
backend app
    server m {SERVER}
"
    ));
    h.net.set_server(addr(SERVER), ServerBehavior::Manual);
    h
}

/// Traffic lines sent since the last call.
fn lines(h: &mut Harness) -> Vec<String> {
    h.net
        .take_datagrams()
        .into_iter()
        .map(|(_, d)| String::from_utf8(d).expect("utf-8"))
        .collect()
}

/// A client that sent `request`, and the server connection the proxy opened for it.
fn forwarded(h: &mut Harness, request: &[u8]) -> (u32, u32) {
    let client = h.net.client(addr(FRONT));
    h.net.remote_send(client, request);
    h.run_for(Duration::from_millis(10));
    // The newest connection: ids grow.
    let server = h
        .net
        .server_conns(addr(SERVER))
        .into_iter()
        .max()
        .expect("a server connection");
    let _ = h.net.remote_recv_text(server);
    (client, server)
}

/// The proxy reset `client` (the simulated network forgets a reset client link once it is
/// released, so "gone without a FIN" counts too).
fn was_reset(h: &Harness, client: u32) -> bool {
    h.net.remote_sees_reset(client)
        || (!h.net.engine_holds(client) && !h.net.remote_sees_eof(client))
}

const GET: &[u8] = b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n";

#[test]
fn an_interim_response_is_forwarded_and_the_final_one_logged_once() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net.remote_send(server, b"HTTP/1.1 100 Continue\r\n\r\n");
    h.run_for(Duration::from_millis(10));
    assert_eq!(
        h.net.remote_recv_text(client),
        "HTTP/1.1 100 Continue\r\n\r\n"
    );
    assert!(
        lines(&mut h).is_empty(),
        "no line before the final response"
    );
    h.net
        .remote_send(server, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    h.run_for(Duration::from_millis(10));
    let r = h.net.remote_recv_text(client);
    assert_eq!(status(&r), 200, "{r}");
    assert!(r.ends_with("\r\n\r\nok"), "{r}");
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains(" 200 ") && logs[0].contains(" ---- "),
        "{logs:?}"
    );
}

#[test]
fn an_http10_client_gets_no_interim_response() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, b"GET /a HTTP/1.0\r\nHost: t\r\n\r\n");
    h.net.remote_send(
        server,
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    h.run_for(Duration::from_millis(10));
    let r = h.net.remote_recv_text(client);
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
}

#[test]
fn a_server_closing_before_its_head_means_502_logged_sh() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net.remote_shutdown(server);
    h.run_for(Duration::from_millis(10));
    let r = h.net.remote_recv_text(client);
    assert_eq!(status(&r), 502, "{r}");
    assert!(h.net.remote_sees_eof(client));
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains(" 502 ") && logs[0].contains(" SH-- "),
        "{logs:?}"
    );
}

#[test]
fn a_server_closing_after_an_interim_response_still_means_502() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net.remote_send(server, b"HTTP/1.1 100 Continue\r\n\r\n");
    h.run_for(Duration::from_millis(10));
    h.net.remote_shutdown(server);
    h.run_for(Duration::from_millis(10));
    let r = h.net.remote_recv_text(client);
    assert!(r.contains("502"), "{r}");
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(logs[0].contains(" SH-- "), "{logs:?}");
}

#[test]
fn a_server_closing_mid_body_resets_the_client_logged_sd() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net
        .remote_send(server, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    h.run_for(Duration::from_millis(10));
    let r = h.net.remote_recv_text(client);
    assert!(r.ends_with("\r\n\r\nabc"), "{r}");
    h.net.remote_shutdown(server);
    h.run_for(Duration::from_millis(10));
    assert!(was_reset(&h, client));
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains(" 200 ") && logs[0].contains(" SD-- "),
        "{logs:?}"
    );
}

#[test]
fn timeout_server_after_an_interim_response_answers_504() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net.remote_send(server, b"HTTP/1.1 100 Continue\r\n\r\n");
    h.run_for(Duration::from_millis(1100));
    let r = h.net.remote_recv_text(client);
    assert!(r.starts_with("HTTP/1.1 100 Continue\r\n\r\n"), "{r}");
    assert!(
        r.contains("HTTP/1.1 504 ") || r.contains("HTTP/1.0 504 "),
        "{r}"
    );
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains(" 504 ") && logs[0].contains(" sH-- "),
        "{logs:?}"
    );
}

#[test]
fn timeout_server_mid_body_resets_the_client_logged_sd() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net
        .remote_send(server, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    h.run_for(Duration::from_millis(1100));
    assert!(was_reset(&h, client));
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains(" 200 ") && logs[0].contains(" sD-- "),
        "{logs:?}"
    );
}

#[test]
fn a_client_closing_mid_head_gets_nothing_and_is_logged_cr() {
    let mut h = harness();
    let client = h.net.client(addr(FRONT));
    h.net.remote_send(client, b"GET /a HTTP/1.1\r\nHo");
    h.run_for(Duration::from_millis(5));
    h.net.remote_shutdown(client);
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv_text(client), "");
    assert!(h.net.server_conns(addr(SERVER)).is_empty());
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(logs[0].contains(" CR-- "), "{logs:?}");
}

#[test]
fn a_slow_head_is_logged_cr_with_408() {
    let mut h = harness();
    let client = h.net.client(addr(FRONT));
    h.net.remote_send(client, b"GET /a HTTP/1.1\r\n");
    h.run_for(Duration::from_millis(2100));
    assert_eq!(status(&h.net.remote_recv_text(client)), 408);
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains(" 408 ") && logs[0].contains(" cR-- "),
        "{logs:?}"
    );
}

#[test]
fn monitor_requests_and_idle_keep_alive_closes_write_no_line() {
    let mut h = harness();
    assert_eq!(status(&h.get(FRONT, "/healthz")), 200);
    assert!(lines(&mut h).is_empty());

    // One logged exchange, then the connection idles until `timeout http-request`.
    let (client, server) = forwarded(&mut h, GET);
    h.net
        .remote_send(server, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    h.run_for(Duration::from_millis(10));
    assert_eq!(status(&h.net.remote_recv_text(client)), 200);
    assert_eq!(lines(&mut h).len(), 1);
    h.run_for(Duration::from_millis(2100));
    assert!(h.net.remote_sees_eof(client), "idle connection closed");
    assert!(lines(&mut h).is_empty(), "the idle close writes no line");

    // A keep-alive client closing between requests writes none either.
    let (client, server) = forwarded(&mut h, GET);
    h.net
        .remote_send(server, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    h.run_for(Duration::from_millis(10));
    assert_eq!(status(&h.net.remote_recv_text(client)), 200);
    assert_eq!(lines(&mut h).len(), 1);
    h.net.remote_shutdown(client);
    h.run_for(Duration::from_millis(10));
    assert!(h.net.remote_sees_eof(client));
    assert!(lines(&mut h).is_empty());
}

#[test]
fn a_tunnel_is_logged_once_when_it_ends() {
    let mut h = harness();
    let (client, server) = forwarded(
        &mut h,
        b"GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    h.net.remote_send(
        server,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    h.run_for(Duration::from_millis(10));
    assert!(h.net.remote_recv_text(client).starts_with("HTTP/1.1 101 "));
    h.net.remote_send(client, b"ping");
    h.run_for(Duration::from_millis(10));
    assert_eq!(h.net.remote_recv(server), b"ping");
    assert!(lines(&mut h).is_empty(), "no line while the tunnel runs");
    h.net.remote_shutdown(server);
    h.run_for(Duration::from_millis(10));
    assert!(h.net.remote_sees_eof(client));
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(logs[0].contains(" 101 "), "{logs:?}");
}

#[test]
fn a_tunnel_silent_past_timeout_server_resets_the_client_logged_sd() {
    let mut h = harness();
    let (client, server) = forwarded(
        &mut h,
        b"GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    h.net.remote_send(
        server,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    h.run_for(Duration::from_millis(1100));
    assert!(was_reset(&h, client));
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(logs[0].contains(" sD-- "), "{logs:?}");
}
