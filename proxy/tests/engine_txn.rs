//! The phases of one HTTP transaction as the client and the log see them: interim (1xx)
//! responses, where a server failure lands (before the response head: an error page; after
//! it: a reset), and which transactions write a log line (HAProxy's termination states,
//! manual 8.5; monitor requests and idle keep-alive closes write none, manual 4.2
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

/// The one traffic line sent since the last call (panics on none or several).
fn the_line(h: &mut Harness) -> String {
    let mut datagrams = h.net.take_datagrams();
    assert_eq!(datagrams.len(), 1, "one line expected: {datagrams:?}");
    String::from_utf8(datagrams.remove(0).1).expect("utf-8")
}

/// True if no line was sent since the last call.
fn no_line(h: &mut Harness) -> bool {
    h.net.take_datagrams().is_empty()
}

/// A short while: enough for every step of a simulated exchange.
const BRIEFLY: Duration = Duration::from_millis(10);
/// Past `timeout server` (1 s), well short of `timeout client` (5 s).
const PAST_TIMEOUT_SERVER: Duration = Duration::from_millis(1100);

const GET: &[u8] = b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n";
const UPGRADE: &[u8] =
    b"GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
/// A head announcing ten bytes of body and the first three of them.
const PARTIAL: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
const SWITCHING: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";

/// A client that sent `request`, and the server connection the proxy opened for it.
fn forwarded(h: &mut Harness, request: &[u8]) -> (u32, u32) {
    let client = h.net.client(addr(FRONT));
    h.net.remote_send(client, request);
    h.run_for(BRIEFLY);
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

/// The remote end `id` sends `bytes`; the proxy gets a short while to act.
fn send(h: &mut Harness, id: u32, bytes: &[u8]) {
    h.net.remote_send(id, bytes);
    h.run_for(BRIEFLY);
}

/// The remote end `id` closes its sending side; the proxy gets a short while to act.
fn close(h: &mut Harness, id: u32) {
    h.net.remote_shutdown(id);
    h.run_for(BRIEFLY);
}

/// The proxy reset `client` (the simulated network forgets a reset client link once it is
/// released, so "gone without a FIN" counts too).
fn was_reset(h: &Harness, client: u32) -> bool {
    h.net.remote_sees_reset(client)
        || (!h.net.engine_holds(client) && !h.net.remote_sees_eof(client))
}

/// A keep-alive client served one `200`, whose line has been written; and its server.
fn served_once(h: &mut Harness) -> (u32, u32) {
    let (client, server) = forwarded(h, GET);
    send(h, server, OK);
    assert_eq!(status(&h.net.remote_recv_text(client)), 200);
    let line = the_line(h);
    assert!(line.contains(" 200 "), "{line}");
    (client, server)
}

#[test]
fn an_interim_response_is_forwarded_and_the_final_one_logged_once() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    send(&mut h, server, CONTINUE);
    assert_eq!(h.net.remote_recv(client), CONTINUE);
    assert!(no_line(&mut h), "no line before the final response");
    send(&mut h, server, OK);
    let r = h.net.remote_recv_text(client);
    assert_eq!(status(&r), 200, "{r}");
    assert!(r.ends_with("\r\n\r\nok"), "{r}");
    let line = the_line(&mut h);
    assert!(line.contains(" 200 ") && line.contains(" ---- "), "{line}");
}

#[test]
fn an_http10_client_gets_no_interim_response() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, b"GET /a HTTP/1.0\r\nHost: t\r\n\r\n");
    send(&mut h, server, &[CONTINUE, OK].concat());
    let r = h.net.remote_recv_text(client);
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
}

#[test]
fn a_server_closing_before_its_head_means_502_logged_sh() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    close(&mut h, server);
    assert_eq!(status(&h.net.remote_recv_text(client)), 502);
    assert!(h.net.remote_sees_eof(client));
    let line = the_line(&mut h);
    assert!(line.contains(" 502 ") && line.contains(" SH-- "), "{line}");
}

#[test]
fn a_server_closing_after_an_interim_response_still_means_502() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    send(&mut h, server, CONTINUE);
    close(&mut h, server);
    let r = h.net.remote_recv_text(client);
    assert!(r.contains("502"), "{r}");
    assert!(the_line(&mut h).contains(" SH-- "));
}

#[test]
fn a_server_closing_mid_body_closes_the_client_after_what_was_sent_logged_sd() {
    // The client gets every byte the server sent, then a FIN: its own framing (Content-Length
    // here) tells it the body is short. A reset could discard bytes still queued for it.
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net.remote_send(server, PARTIAL);
    close(&mut h, server);
    let r = h.net.remote_recv_text(client);
    assert!(r.ends_with("\r\n\r\nabc"), "{r}");
    assert!(h.net.remote_sees_eof(client) && !h.net.remote_sees_reset(client));
    let line = the_line(&mut h);
    assert!(line.contains(" 200 ") && line.contains(" SD-- "), "{line}");
}

#[test]
fn a_body_that_only_the_close_would_end_is_reset_when_the_server_fails() {
    // Without Content-Length or chunking a FIN would look like the body's end, so a server
    // timeout mid-body resets the client instead.
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net
        .remote_send(server, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc");
    h.run_for(PAST_TIMEOUT_SERVER);
    assert!(was_reset(&h, client));
    let line = the_line(&mut h);
    assert!(line.contains(" 200 ") && line.contains(" sD-- "), "{line}");
}

#[test]
fn timeout_server_after_an_interim_response_answers_504() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net.remote_send(server, CONTINUE);
    h.run_for(PAST_TIMEOUT_SERVER);
    let r = h.net.remote_recv_text(client);
    assert!(r.starts_with("HTTP/1.1 100 Continue\r\n\r\n"), "{r}");
    assert!(r.contains(" 504 "), "{r}");
    let line = the_line(&mut h);
    assert!(line.contains(" 504 ") && line.contains(" sH-- "), "{line}");
}

#[test]
fn timeout_server_mid_body_closes_the_client_after_what_was_sent_logged_sd() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    h.net.remote_send(server, PARTIAL);
    h.run_for(PAST_TIMEOUT_SERVER);
    let r = h.net.remote_recv_text(client);
    assert!(r.ends_with("\r\n\r\nabc"), "{r}");
    assert!(h.net.remote_sees_eof(client) && !h.net.remote_sees_reset(client));
    let line = the_line(&mut h);
    assert!(line.contains(" 200 ") && line.contains(" sD-- "), "{line}");
}

#[test]
fn a_client_closing_mid_head_gets_nothing_and_is_logged_cr() {
    let mut h = harness();
    let client = h.net.client(addr(FRONT));
    send(&mut h, client, b"GET /a HTTP/1.1\r\nHo");
    close(&mut h, client);
    assert_eq!(h.net.remote_recv_text(client), "");
    assert!(h.net.server_conns(addr(SERVER)).is_empty());
    assert!(the_line(&mut h).contains(" CR-- "));
}

#[test]
fn a_slow_head_is_logged_cr_with_408() {
    let mut h = harness();
    let client = h.net.client(addr(FRONT));
    h.net.remote_send(client, b"GET /a HTTP/1.1\r\n");
    h.run_for(Duration::from_millis(2100));
    assert_eq!(status(&h.net.remote_recv_text(client)), 408);
    let line = the_line(&mut h);
    assert!(line.contains(" 408 ") && line.contains(" cR-- "), "{line}");
}

#[test]
fn monitor_requests_and_idle_keep_alive_closes_write_no_line() {
    let mut h = harness();
    assert_eq!(status(&h.get(FRONT, "/healthz")), 200);
    assert!(no_line(&mut h));

    // One logged exchange, then the connection idles until `timeout http-request`.
    let (client, _) = served_once(&mut h);
    h.run_for(Duration::from_millis(2100));
    assert!(h.net.remote_sees_eof(client), "idle connection closed");
    assert!(no_line(&mut h), "the idle close writes no line");

    // A keep-alive client closing between requests writes none either.
    let (client, _) = served_once(&mut h);
    close(&mut h, client);
    assert!(h.net.remote_sees_eof(client));
    assert!(no_line(&mut h));
}

#[test]
fn a_tunnel_is_logged_once_when_it_ends() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, UPGRADE);
    send(&mut h, server, SWITCHING);
    assert!(h.net.remote_recv_text(client).starts_with("HTTP/1.1 101 "));
    send(&mut h, client, b"ping");
    assert_eq!(h.net.remote_recv(server), b"ping");
    assert!(no_line(&mut h), "no line while the tunnel runs");
    close(&mut h, server);
    assert!(h.net.remote_sees_eof(client));
    assert!(the_line(&mut h).contains(" 101 "));
}

#[test]
fn a_tunnel_silent_past_timeout_server_resets_the_client_logged_sd() {
    let mut h = harness();
    let (client, server) = forwarded(&mut h, UPGRADE);
    h.net.remote_send(server, SWITCHING);
    h.run_for(PAST_TIMEOUT_SERVER);
    assert!(was_reset(&h, client));
    assert!(the_line(&mut h).contains(" sD-- "));
}

#[test]
fn a_switch_the_client_did_not_ask_for_is_502_and_no_tunnel() {
    // A 101 to a request without `Connection: upgrade` + `Upgrade` would turn the connection
    // into an unfiltered tunnel behind the client's back; HAProxy answers 502.
    let mut h = harness();
    let (client, server) = forwarded(&mut h, GET);
    send(&mut h, server, SWITCHING);
    let r = h.net.remote_recv_text(client);
    assert_eq!(status(&r), 502, "{r}");
    send(&mut h, client, b"GET /admin HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(h.net.remote_recv(server).is_empty(), "nothing tunnelled");
    let line = the_line(&mut h);
    assert!(line.contains(" 502 ") && line.contains(" PH-- "), "{line}");
    // A 101 that names no protocol, to a request that asked for one, is refused too.
    let mut h = harness();
    let (client, server) = forwarded(&mut h, UPGRADE);
    send(
        &mut h,
        server,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
    );
    assert_eq!(status(&h.net.remote_recv_text(client)), 502);
}

#[test]
fn a_server_connection_that_sent_more_than_its_response_is_not_reused() {
    // Bytes after the response (a body to a HEAD, or more than Content-Length) would answer
    // the next request on that connection: the connection is closed instead.
    for (request, response) in [
        (
            &b"HEAD /a HTTP/1.1\r\nHost: t\r\n\r\n"[..],
            &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"[..],
        ),
        (
            GET,
            &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"[..],
        ),
    ] {
        let mut h = harness();
        let (client, server) = forwarded(&mut h, request);
        send(&mut h, server, response);
        assert_eq!(status(&h.net.remote_recv_text(client)), 200);
        send(&mut h, client, GET);
        let servers = h.net.server_conns(addr(SERVER));
        let second = *servers.iter().max().expect("a server connection");
        assert_ne!(second, server, "the first connection was reused");
        assert!(h.net.remote_recv_text(second).starts_with("GET /a "));
        assert!(
            h.net.remote_recv_text(client).is_empty(),
            "the extra bytes answered nothing"
        );
        send(&mut h, second, OK);
        assert!(h.net.remote_recv_text(client).ends_with("\r\n\r\nok"));
    }
}

#[test]
fn timeout_client_waits_while_the_server_works_on_a_complete_request() {
    // HAProxy suspends the client's timeout while the server has the whole request: a slow
    // server is bounded by `timeout server`, not by the client's.
    let mut h = Harness::new(&format!(
        "
defaults
    mode http
    timeout client 1s
    timeout server 5s
    timeout connect 1s
frontend web
    bind {FRONT}
    default_backend app
backend app
    server m {SERVER}
"
    ));
    h.net.set_server(addr(SERVER), ServerBehavior::Manual);
    let (client, server) = forwarded(&mut h, GET);
    h.run_for(Duration::from_millis(2500));
    assert!(
        !was_reset(&h, client),
        "the client was cut while the server worked"
    );
    send(&mut h, server, OK);
    assert_eq!(status(&h.net.remote_recv_text(client)), 200);
    // Once the answer is out, the client's timeout runs again: an idle keep-alive client is
    // closed after it.
    h.run_for(Duration::from_millis(1500));
    assert!(!h.net.engine_holds(client));
}

#[test]
fn a_freed_slot_goes_to_the_oldest_queued_request_not_a_new_one() {
    // HAProxy serves the queue before new arrivals (src/queue.c: a request that finds
    // others waiting joins the queue behind them). Here the slot frees in the same pass in
    // which a new client's request arrives, and the new client's session comes before the
    // queued one in the engine's table.
    let mut h = Harness::new(&format!(
        "
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 1s
    timeout queue 5s
frontend web
    bind {FRONT}
    default_backend app
backend app
    server m {SERVER} maxconn 1
"
    ));
    h.net.set_server(addr(SERVER), ServerBehavior::Manual);
    let (a, server_a) = forwarded(
        &mut h,
        b"GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let idle = h.net.client(addr(FRONT));
    h.run_for(BRIEFLY);
    let b = h.net.client(addr(FRONT));
    send(
        &mut h,
        b,
        b"GET /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(h.engine.queued_count(), 1);
    // The idle client leaves: its table entry, ahead of the queued one, is free again.
    close(&mut h, idle);
    // In one step: the first answer frees the slot, and a new request arrives.
    h.net.remote_send(server_a, OK);
    let c = h.net.client(addr(FRONT));
    h.net.remote_send(
        c,
        b"GET /c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    h.step();
    h.run_for(BRIEFLY);
    assert_eq!(status(&h.net.remote_recv_text(a)), 200);
    let servers = h.net.server_conns(addr(SERVER));
    let second = *servers.iter().max().expect("a second server connection");
    assert!(
        h.net.remote_recv_text(second).starts_with("GET /b "),
        "the queued request went second"
    );
    assert_eq!(h.engine.queued_count(), 1, "the new request waits its turn");
}

/// A harness whose frontend and backend carry `extra` timeout lines.
fn harness_with(timeouts: &str) -> Harness {
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
    timeout http-request 3s
{timeouts}
frontend web
    bind {FRONT}
    default_backend app
backend app
    server m {SERVER}
"
    ));
    h.net.set_server(addr(SERVER), ServerBehavior::Manual);
    h
}

#[test]
fn timeout_http_keep_alive_bounds_the_wait_for_the_next_request() {
    // Manual 4.2 "timeout http-keep-alive": the idle time allowed between two requests on a
    // kept-alive connection; without it `timeout http-request` applies.
    let mut h = harness_with("    timeout http-keep-alive 500");
    let (client, _) = served_once(&mut h);
    h.run_for(Duration::from_millis(400));
    assert!(h.net.engine_holds(client), "closed before http-keep-alive");
    h.run_for(Duration::from_millis(200));
    assert!(!h.net.engine_holds(client), "kept past http-keep-alive");
    // Without it, the wait is `timeout http-request` (3 s).
    let mut h = harness_with("");
    let (client, _) = served_once(&mut h);
    h.run_for(Duration::from_millis(2500));
    assert!(h.net.engine_holds(client));
    h.run_for(Duration::from_millis(600));
    assert!(!h.net.engine_holds(client));
}

#[test]
fn timeout_tunnel_replaces_client_and_server_timeouts_in_a_tunnel() {
    // Manual 4.2 "timeout tunnel": once the connection is a tunnel (a WebSocket here), it
    // supersedes both `timeout client` and `timeout server`.
    let mut h = harness_with("    timeout tunnel 8s");
    let (client, server) = forwarded(&mut h, UPGRADE);
    send(&mut h, server, SWITCHING);
    assert!(h.net.remote_recv_text(client).starts_with("HTTP/1.1 101 "));
    h.run_for(Duration::from_millis(6000));
    assert!(
        !was_reset(&h, client),
        "cut by timeout server or client inside the tunnel"
    );
    send(&mut h, client, b"ping");
    assert_eq!(h.net.remote_recv(server), b"ping");
    h.run_for(Duration::from_millis(8100));
    assert!(was_reset(&h, client), "kept past timeout tunnel");
}

#[test]
fn http_server_close_closes_the_server_side_and_httpclose_both() {
    // The more restrictive of the frontend's and the backend's mode applies (manual 4.2
    // "option http-server-close", "option httpclose").
    let mut h = harness_with("    option http-server-close");
    let (client, server) = served_once(&mut h);
    assert!(
        h.net.remote_sees_eof(server),
        "the server connection was kept"
    );
    assert!(
        h.net.engine_holds(client),
        "the client connection was closed"
    );
    let mut h = harness_with("    option httpclose");
    let (client, server) = forwarded(&mut h, GET);
    send(&mut h, server, OK);
    let r = h.net.remote_recv_text(client);
    assert!(r.contains("Connection: close\r\n"), "{r}");
    assert!(h.net.remote_sees_eof(client) && h.net.remote_sees_eof(server));
}
