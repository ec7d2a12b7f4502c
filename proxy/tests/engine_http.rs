//! HTTP mode end to end over the in-memory network: balancing, persistence, rules, errors,
//! timeouts, keep-alive and pipelining.

mod engine_support;

use std::net::IpAddr;
use std::time::Duration;

use engine_support::{Harness, addr, body, header, status};
use proxy::engine::testing::{HttpServer, ServerBehavior};

const FRONT: &str = "10.0.0.1:80";

fn config(backend_body: &str) -> String {
    format!(
        "
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 2s
    timeout queue 1s
    timeout http-request 3s

frontend web
    bind {FRONT}
    default_backend app

backend app
{backend_body}
"
    )
}

fn harness(backend_body: &str) -> Harness {
    let mut h = Harness::new(&config(backend_body));
    h.http_server("10.0.1.1:8080", "s1");
    h.http_server("10.0.1.2:8080", "s2");
    h.http_server("10.0.1.3:8080", "s3");
    h
}

const TWO: &str = "    server s1 10.0.1.1:8080\n    server s2 10.0.1.2:8080\n";

fn served_by(h: &mut Harness, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let r = h.get(FRONT, "/");
            assert_eq!(status(&r), 200, "response: {r}");
            body(&r).to_string()
        })
        .collect()
}

fn slow_server(h: &mut Harness, a: &str, name: &str, delay_ms: u64) {
    let mut spec = HttpServer::named(name);
    spec.delay = Duration::from_millis(delay_ms);
    h.net.set_server(addr(a), ServerBehavior::Http(spec));
}

fn assert_pool_back(h: &Harness) {
    assert_eq!(h.engine.session_count(), 0);
    assert_eq!(h.engine.pool().available(), h.engine.pool().total());
}

#[test]
fn round_robin_alternates_between_servers() {
    let mut h = harness(&format!("    balance roundrobin\n{TWO}"));
    assert_eq!(served_by(&mut h, 6), ["s1", "s2", "s1", "s2", "s1", "s2"]);
    assert_pool_back(&h);
}

#[test]
fn weights_share_requests_proportionally_and_interleaved() {
    let mut h = harness(
        "    balance roundrobin\n    server s1 10.0.1.1:8080 weight 3\n    server s2 10.0.1.2:8080 weight 1\n",
    );
    let got = served_by(&mut h, 8);
    assert_eq!(got.iter().filter(|s| *s == "s1").count(), 6);
    assert_eq!(got.iter().filter(|s| *s == "s2").count(), 2);
    // Smooth: s2's two turns are not adjacent.
    let first = got.iter().position(|s| s == "s2").unwrap_or(0);
    assert_ne!(
        got.get(first + 1).map(String::as_str),
        Some("s2"),
        "{got:?}"
    );
}

#[test]
fn static_rr_with_weight_zero_server_never_picked() {
    let mut h = harness(
        "    balance static-rr\n    server s1 10.0.1.1:8080 weight 0\n    server s2 10.0.1.2:8080\n",
    );
    assert_eq!(served_by(&mut h, 3), ["s2", "s2", "s2"]);
}

#[test]
fn leastconn_avoids_the_busy_server() {
    let mut h = harness(&format!("    balance leastconn\n{TWO}"));
    slow_server(&mut h, "10.0.1.1:8080", "s1", 1500);
    // The first request ties and lands on s1, which holds it.
    let long = h.net.client(addr(FRONT));
    h.net
        .remote_send(long, b"GET /long HTTP/1.1\r\nHost: t\r\n\r\n");
    h.run_for(Duration::from_millis(5));
    let got = served_by(&mut h, 5);
    assert_eq!(got, ["s2"; 5]);
    assert_eq!(h.net.server_requests(addr("10.0.1.1:8080")).len(), 1);
    // Round robin would have sent every other request to s1.
    h.run_for(Duration::from_millis(1600));
    assert!(h.net.remote_recv_text(long).ends_with("s1"));
}

#[test]
fn source_hash_sticks_each_client_to_one_server() {
    let mut h = harness(
        "    balance source\n    server s1 10.0.1.1:8080\n    server s2 10.0.1.2:8080\n    server s3 10.0.1.3:8080\n",
    );
    let mut used = std::collections::BTreeSet::new();
    for last in 1..=12u8 {
        let ip: IpAddr = format!("198.51.100.{last}").parse().expect("ip");
        let req = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        let first = body(&h.exchange_from(FRONT, ip, req)).to_string();
        for _ in 0..3 {
            assert_eq!(body(&h.exchange_from(FRONT, ip, req)), first, "client {ip}");
        }
        used.insert(first);
    }
    assert!(used.len() >= 2, "12 clients all hashed to {used:?}");
}

#[test]
fn uri_hash_sticks_each_path_to_one_server_ignoring_query() {
    let mut h = harness(
        "    balance uri\n    server s1 10.0.1.1:8080\n    server s2 10.0.1.2:8080\n    server s3 10.0.1.3:8080\n",
    );
    let mut used = std::collections::BTreeSet::new();
    for i in 0..12 {
        let path = format!("/item/{i}");
        let first = body(&h.get(FRONT, &path)).to_string();
        assert_eq!(body(&h.get(FRONT, &format!("{path}?x=1"))), first);
        assert_eq!(body(&h.get(FRONT, &path)), first);
        used.insert(first);
    }
    assert!(used.len() >= 2, "12 paths all hashed to {used:?}");
}

#[test]
fn cookie_insert_indirect_nocache_persists_and_hides_the_cookie() {
    let mut h = harness(
        "    cookie SRV insert indirect nocache\n    server s1 10.0.1.1:8080 cookie a\n    server s2 10.0.1.2:8080 cookie b\n",
    );
    let r = h.get(FRONT, "/");
    assert_eq!(body(&r), "s1");
    assert_eq!(header(&r, "set-cookie"), Some("SRV=a; path=/"));
    assert_eq!(header(&r, "cache-control"), Some("private"));
    for _ in 0..4 {
        let r = h.exchange(
            FRONT,
            "GET / HTTP/1.1\r\nHost: t\r\nCookie: SRV=b; other=1\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(body(&r), "s2");
        assert_eq!(
            header(&r, "set-cookie"),
            None,
            "indirect: no cookie re-sent"
        );
    }
    let seen = h.net.server_requests(addr("10.0.1.2:8080"));
    assert!(
        seen.iter()
            .all(|r| r.contains("Cookie: other=1") && !r.contains("SRV="))
    );
    // A cookie naming an unknown server is ignored and a fresh one is inserted.
    let r = h.exchange(
        FRONT,
        "GET / HTTP/1.1\r\nHost: a\r\nCookie: SRV=zz\r\nConnection: close\r\n\r\n",
    );
    assert!(header(&r, "set-cookie").is_some_and(|c| c.starts_with("SRV=")));
}

#[test]
fn cookie_rewrite_replaces_the_server_value() {
    let mut h = harness(
        "    cookie SRV rewrite\n    server s1 10.0.1.1:8080 cookie a\n    server s2 10.0.1.2:8080 cookie b\n",
    );
    for (a, name) in [("10.0.1.1:8080", "s1"), ("10.0.1.2:8080", "s2")] {
        let mut spec = HttpServer::named(name);
        spec.extra_headers
            .push("Set-Cookie: SRV=session42; Path=/app".into());
        h.net.set_server(addr(a), ServerBehavior::Http(spec));
    }
    let r = h.get(FRONT, "/");
    assert_eq!(header(&r, "set-cookie"), Some("SRV=a; Path=/app"));
    for _ in 0..3 {
        let r = h.exchange(
            FRONT,
            "GET / HTTP/1.1\r\nHost: a\r\nCookie: SRV=b\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(body(&r), "s2");
    }
}

#[test]
fn cookie_prefix_adds_and_strips_the_server_prefix() {
    let mut h = harness(
        "    cookie JSESSIONID prefix\n    server s1 10.0.1.1:8080 cookie a\n    server s2 10.0.1.2:8080 cookie b\n",
    );
    for (a, name) in [("10.0.1.1:8080", "s1"), ("10.0.1.2:8080", "s2")] {
        let mut spec = HttpServer::named(name);
        spec.extra_headers.push("Set-Cookie: JSESSIONID=xyz".into());
        h.net.set_server(addr(a), ServerBehavior::Http(spec));
    }
    let r = h.get(FRONT, "/");
    assert_eq!(header(&r, "set-cookie"), Some("JSESSIONID=a~xyz"));
    let r = h.exchange(
        FRONT,
        "GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=b~xyz\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(body(&r), "s2");
    let last = h.net.server_requests(addr("10.0.1.2:8080")).last().cloned();
    assert!(last.is_some_and(|r| r.contains("Cookie: JSESSIONID=xyz\r\n")));
}

#[test]
fn killed_server_goes_down_after_fall_checks_and_traffic_moves() {
    let mut h = harness(
        "    option redispatch\n    retries 1\n    server s1 10.0.1.1:8080 check inter 1s fall 2 rise 2\n    server s2 10.0.1.2:8080 check inter 1s fall 2 rise 2\n",
    );
    h.run_for(Duration::from_millis(100));
    assert!(h.engine.server("app", "s1").is_some_and(|s| s.is_up()));
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Refuse);
    // The checks run every `inter` (1 s) from the first poll; two must fail.
    h.run_for(Duration::from_millis(1000));
    assert!(
        h.engine.server("app", "s1").is_some_and(|s| s.is_up()),
        "one failure is not enough"
    );
    h.run_for(Duration::from_millis(1000));
    assert!(h.engine.server("app", "s1").is_some_and(|s| !s.is_up()));
    let events = h.engine.take_events();
    assert!(
        events.iter().any(|e| e.starts_with(
            "Server app/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: "
        ) && e.ends_with("1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")),
        "{events:?}"
    );
    assert_eq!(served_by(&mut h, 4), ["s2"; 4]);
    // Back up after `rise` good checks.
    h.http_server("10.0.1.1:8080", "s1");
    h.run_for(Duration::from_millis(2100));
    assert!(h.engine.server("app", "s1").is_some_and(|s| s.is_up()));
    let events = h.engine.take_events();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("Server app/s1 is UP, reason: Layer4 check passed")),
        "{events:?}"
    );
    let got = served_by(&mut h, 4);
    assert!(got.contains(&"s1".to_string()));
}

#[test]
fn http_check_expect_status_marks_server_down_on_wrong_status() {
    let mut h = harness(
        "    option httpchk GET /health\n    http-check expect status 200\n    server s1 10.0.1.1:8080 check inter 500ms fall 1 rise 1\n    server s2 10.0.1.2:8080 check inter 500ms fall 1 rise 1\n",
    );
    let mut sick = HttpServer::named("s1");
    sick.health_status = 503;
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Http(sick));
    h.run_for(Duration::from_millis(100));
    let s1 = h.engine.server("app", "s1").expect("s1");
    assert!(!s1.is_up());
    assert_eq!(
        s1.last_check.as_ref().map(|c| c.outcome.code_name()),
        Some("L7STS")
    );
    let events = h.engine.take_events();
    assert!(events.iter().any(|e| e.starts_with("Server app/s1 is DOWN, reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\"")), "{events:?}");
    assert!(
        h.net
            .server_requests(addr("10.0.1.2:8080"))
            .iter()
            .any(|r| r.starts_with("GET /health HTTP/1.0\r\n"))
    );
    assert_eq!(served_by(&mut h, 2), ["s2", "s2"]);
}

#[test]
fn backend_without_server_up_answers_503_and_backup_takes_over() {
    let mut h = harness(
        "    server s1 10.0.1.1:8080 check inter 500ms fall 1\n    server s2 10.0.1.2:8080 check inter 500ms fall 1 backup\n    server s3 10.0.1.3:8080 check inter 500ms fall 1 backup\n",
    );
    assert_eq!(
        served_by(&mut h, 3),
        ["s1"; 3],
        "backups idle while the primary is up"
    );
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Refuse);
    h.run_for(Duration::from_millis(600));
    assert_eq!(
        served_by(&mut h, 3),
        ["s2"; 3],
        "only the first backup is used"
    );
    h.net
        .set_server(addr("10.0.1.2:8080"), ServerBehavior::Refuse);
    h.net
        .set_server(addr("10.0.1.3:8080"), ServerBehavior::Refuse);
    h.run_for(Duration::from_millis(600));
    let r = h.get(FRONT, "/");
    assert_eq!(status(&r), 503, "{r}");
    assert!(r.contains("No server is available to handle this request."));
    let events = h.engine.take_events();
    assert!(
        events
            .iter()
            .any(|e| e == "backend app has no server available!"),
        "{events:?}"
    );
}

#[test]
fn slow_server_gets_504_after_timeout_server() {
    let mut h = harness(TWO);
    slow_server(&mut h, "10.0.1.1:8080", "s1", 10_000);
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(id, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    h.run_for(Duration::from_millis(1900));
    assert_eq!(
        h.net.remote_recv_text(id),
        "",
        "nothing before timeout server"
    );
    h.run_for(Duration::from_millis(200));
    let r = h.net.remote_recv_text(id);
    assert_eq!(status(&r), 504, "{r}");
    assert!(h.net.remote_sees_eof(id));
    assert_eq!(
        h.engine.backend_counters("app").map(|c| c.response_errors),
        Some(1)
    );
}

#[test]
fn header_rules_and_forwardfor_are_visible_at_the_server() {
    let cfg = "
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 1s
frontend web
    bind 10.0.0.1:80
    option forwardfor
    http-request add-header X-Added yes
    http-request set-header X-Env prod
    http-request del-header X-Secret
    http-request add-header X-Admin 1 if { path_beg /admin }
    http-response set-header X-Served-By bareproxy
    http-response del-header X-Server
    default_backend app
backend app
    server s1 10.0.1.1:8080
";
    let mut h = Harness::new(cfg);
    h.http_server("10.0.1.1:8080", "s1");
    let r = h.exchange(
        FRONT,
        "GET /page HTTP/1.1\r\nHost: t\r\nX-Secret: hunter2\r\nX-Env: dev\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "x-served-by"), Some("bareproxy"));
    assert_eq!(header(&r, "x-server"), None);
    let seen = &h.net.server_requests(addr("10.0.1.1:8080"))[0];
    assert!(seen.contains("X-Added: yes\r\n"), "{seen}");
    assert!(
        seen.contains("X-Env: prod\r\n") && !seen.contains("X-Env: dev"),
        "{seen}"
    );
    assert!(!seen.contains("X-Secret"), "{seen}");
    assert!(!seen.contains("X-Admin"), "{seen}");
    assert!(seen.contains("X-Forwarded-For: 192.0.2.1\r\n"), "{seen}");
}

#[test]
fn deny_answers_403_and_allow_stops_rules() {
    let cfg = "
defaults
    mode http
    timeout client 5s
    timeout server 5s
frontend web
    bind 10.0.0.1:80
    acl internal src 10.9.0.0/16
    acl admin path_beg /admin
    http-request allow if internal
    http-request deny if admin
    http-request deny deny_status 400 if { hdr(x-bad) -m found }
    http-request deny if METH_DELETE
    default_backend app
backend app
    server s1 10.0.1.1:8080
";
    let mut h = Harness::new(cfg);
    h.http_server("10.0.1.1:8080", "s1");
    let r = h.get(FRONT, "/admin/panel");
    assert_eq!(status(&r), 403, "{r}");
    assert!(r.contains("Request forbidden by administrative rules."));
    let r = h.exchange_from(
        FRONT,
        "10.9.1.1".parse().expect("ip"),
        "GET /admin/panel HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status(&r), 200, "allow from the internal network");
    let r = h.exchange(
        FRONT,
        "GET / HTTP/1.1\r\nHost: a\r\nX-Bad: 1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status(&r), 400);
    let r = h.exchange(
        FRONT,
        "DELETE /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status(&r), 403);
    assert_eq!(status(&h.get(FRONT, "/ok")), 200);
    assert_eq!(
        h.engine.frontend_counters("web").map(|c| c.denied_requests),
        Some(3)
    );
    assert_eq!(h.net.server_requests(addr("10.0.1.1:8080")).len(), 2);
}

#[test]
fn redirects_build_the_location() {
    let cfg = "
defaults
    mode http
    timeout client 5s
    timeout server 5s
frontend web
    bind 10.0.0.1:80
    http-request redirect location /new code 301 if { path /old }
    http-request redirect prefix https://example.org if { path_beg /moved }
    http-request redirect scheme https if { hdr(host) -i secure.example }
    default_backend app
backend app
    server s1 10.0.1.1:8080
";
    let mut h = Harness::new(cfg);
    h.http_server("10.0.1.1:8080", "s1");
    let r = h.get(FRONT, "/old");
    assert_eq!(status(&r), 301);
    assert_eq!(header(&r, "location"), Some("/new"));
    let r = h.get(FRONT, "/moved/a?b=c");
    assert_eq!(status(&r), 302);
    assert_eq!(
        header(&r, "location"),
        Some("https://example.org/moved/a?b=c")
    );
    let r = h.exchange(
        FRONT,
        "GET /p HTTP/1.1\r\nHost: SECURE.example\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(header(&r, "location"), Some("https://SECURE.example/p"));
    assert!(h.net.server_requests(addr("10.0.1.1:8080")).is_empty());
}

#[test]
fn monitor_uri_answers_without_a_server() {
    let cfg = "
defaults
    mode http
    timeout client 5s
    timeout server 5s
frontend web
    bind 10.0.0.1:80
    monitor-uri /healthz
    default_backend app
backend app
    server s1 10.0.1.1:8080
";
    let mut h = Harness::new(cfg);
    h.http_server("10.0.1.1:8080", "s1");
    let r = h.get(FRONT, "/healthz");
    assert_eq!(status(&r), 200);
    assert!(h.net.server_requests(addr("10.0.1.1:8080")).is_empty());
}

#[test]
fn server_maxconn_queues_then_serves_in_order() {
    let mut h = harness("    server s1 10.0.1.1:8080 maxconn 1\n");
    slow_server(&mut h, "10.0.1.1:8080", "s1", 100);
    let ids: Vec<u32> = (0..3)
        .map(|i| {
            let id = h.net.client(addr(FRONT));
            h.net.remote_send(
                id,
                format!("GET /{i} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            id
        })
        .collect();
    h.run_for(Duration::from_millis(20));
    assert_eq!(h.engine.queued_count(), 2);
    assert_eq!(h.engine.server("app", "s1").map(|s| s.active), Some(1));
    h.run_for(Duration::from_millis(400));
    for id in ids {
        assert_eq!(status(&h.net.remote_recv_text(id)), 200);
    }
    let seen: Vec<String> = h
        .net
        .server_requests(addr("10.0.1.1:8080"))
        .iter()
        .map(|r| r.lines().next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        seen,
        ["GET /0 HTTP/1.1", "GET /1 HTTP/1.1", "GET /2 HTTP/1.1"]
    );
    assert_eq!(h.engine.backend_counters("app").map(|c| c.qmax), Some(2));
}

#[test]
fn queue_timeout_answers_503() {
    let mut h = harness("    timeout server 10s\n    server s1 10.0.1.1:8080 maxconn 1\n");
    slow_server(&mut h, "10.0.1.1:8080", "s1", 3000);
    let first = h.net.client(addr(FRONT));
    h.net
        .remote_send(first, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.run_for(Duration::from_millis(10));
    let second = h.net.client(addr(FRONT));
    h.net
        .remote_send(second, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.run_for(Duration::from_millis(900));
    assert_eq!(h.net.remote_recv_text(second), "");
    h.run_for(Duration::from_millis(200));
    assert_eq!(status(&h.net.remote_recv_text(second)), 503);
    assert_eq!(h.engine.queued_count(), 0);
    h.run_for(Duration::from_millis(2000));
    assert_eq!(status(&h.net.remote_recv_text(first)), 200);
}

#[test]
fn retries_then_redispatch_reach_another_server() {
    let mut h = harness(
        "    retries 2\n    option redispatch\n    server s1 10.0.1.1:8080\n    server s2 10.0.1.2:8080\n",
    );
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Refuse);
    assert_eq!(served_by(&mut h, 4), ["s2"; 4]);
    let c = h.engine.backend_counters("app").cloned().expect("app");
    // Each request the balancer sends to s1 makes three attempts (the first and `retries 2`):
    // two on s1, and the last retry redispatched to s2.
    assert!(c.redispatches >= 1);
    assert_eq!(c.connect_errors, 2 * c.redispatches);
    assert_eq!(
        c.retries, c.redispatches,
        "one plain retry per request before the redispatch"
    );
}

#[test]
fn redispatch_under_balance_uri_keeps_choosing_by_uri() {
    // HAProxy's redispatch runs assign_server() again (backend.c), which hashes the same URI
    // over the servers left; it does not fall back to round robin.
    let mut h = harness(
        "    balance uri\n    retries 1\n    option redispatch\n    server s1 10.0.1.1:8080\n    server s2 10.0.1.2:8080\n    server s3 10.0.1.3:8080\n",
    );
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Refuse);
    for i in 0..12 {
        let path = format!("/item/{i}");
        let first = body(&h.get(FRONT, &path)).to_string();
        for _ in 0..3 {
            assert_eq!(body(&h.get(FRONT, &path)), first, "path {path}");
        }
    }
    let c = h.engine.backend_counters("app").cloned().expect("app");
    assert!(c.redispatches >= 4, "some paths hash to s1: {c:?}");
}

#[test]
fn without_redispatch_a_dead_server_means_503_after_retries() {
    let mut h = harness("    retries 2\n    server s1 10.0.1.1:8080\n");
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Blackhole);
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(id, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    // Three attempts of `timeout connect` (1s) each.
    h.run_for(Duration::from_millis(2900));
    assert_eq!(h.net.remote_recv_text(id), "");
    h.run_for(Duration::from_millis(200));
    assert_eq!(status(&h.net.remote_recv_text(id)), 503);
}

#[test]
fn keep_alive_and_pipelining_answer_in_request_order() {
    let mut h = harness(&format!("    balance roundrobin\n{TWO}"));
    slow_server(&mut h, "10.0.1.1:8080", "s1", 50);
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(
        id,
        b"GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\nGET /c HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    h.run_for(Duration::from_millis(300));
    let r = h.net.remote_recv_text(id);
    let bodies: Vec<&str> = r
        .split("HTTP/1.1 200 OK")
        .skip(1)
        .map(|resp| resp.rsplit("\r\n\r\n").next().unwrap_or(""))
        .collect();
    assert_eq!(bodies, ["s1", "s2", "s1"], "{r}");
    assert!(
        !h.net.remote_sees_eof(id),
        "keep-alive: the client connection stays open"
    );
    // One more on the same connection.
    h.net.remote_send(id, b"GET /d HTTP/1.1\r\nHost: t\r\n\r\n");
    h.run_for(Duration::from_millis(100));
    assert_eq!(body(&h.net.remote_recv_text(id)), "s2");
}

#[test]
fn server_connection_is_reused_for_the_same_server() {
    let mut h = harness("    server s1 10.0.1.1:8080\n");
    let id = h.net.client(addr(FRONT));
    for _ in 0..3 {
        h.net.remote_send(id, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        h.run_for(Duration::from_millis(20));
        assert_eq!(body(&h.net.remote_recv_text(id)), "s1");
    }
    assert_eq!(h.net.server_conns(addr("10.0.1.1:8080")).len(), 1);
}

#[test]
fn bad_request_gets_400_and_slow_head_gets_408() {
    let mut h = harness(TWO);
    let r = h.exchange(
        FRONT,
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    );
    assert_eq!(status(&r), 400, "{r}");
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(id, b"GET / HTTP/1.1\r\nHost: t\r\n");
    h.run_for(Duration::from_millis(3100));
    let r = h.net.remote_recv_text(id);
    assert_eq!(status(&r), 408, "{r}");
    assert!(h.net.server_requests(addr("10.0.1.1:8080")).is_empty());
}

#[test]
fn bodies_stream_through_partial_writes() {
    let mut h = harness("    server s1 10.0.1.1:8080\n");
    h.net.max_send_per_call = Some(7);
    let payload = "x".repeat(30_000);
    let req = format!(
        "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    let id = h.net.client(addr(FRONT));
    let mut sent = 0;
    let mut r = String::new();
    let ok = h.run_until(Duration::from_secs(3), |h| {
        sent += h.net.remote_send(id, &req.as_bytes()[sent..]);
        r.push_str(&h.net.remote_recv_text(id));
        h.net.remote_sees_eof(id)
    });
    assert!(ok, "sent {sent}: {r}");
    assert!(r.ends_with("\r\n\r\ns1"), "{r}");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(h.net.server_requests(addr("10.0.1.1:8080")).len(), 1);
}

#[test]
fn client_reset_mid_request_frees_everything() {
    let mut h = harness("    server s1 10.0.1.1:8080\n");
    slow_server(&mut h, "10.0.1.1:8080", "s1", 500);
    let id = h.net.client(addr(FRONT));
    h.net.remote_send(id, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.run_for(Duration::from_millis(50));
    h.net.remote_reset(id);
    h.run_for(Duration::from_millis(10));
    assert_pool_back(&h);
    assert_eq!(h.engine.server("app", "s1").map(|s| s.active), Some(0));
}

#[test]
fn tune_http_maxhdr_limits_the_fields_of_a_request() {
    let mut h = Harness::new(
        "
global
    tune.http.maxhdr 3
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 1s
frontend web
    bind 10.0.0.1:80
    default_backend app
backend app
    server s1 10.0.1.1:8080
",
    );
    h.http_server("10.0.1.1:8080", "s1");
    let ok = h.exchange(
        FRONT,
        "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status(&ok), 200, "{ok}");
    let refused = h.exchange(
        FRONT,
        "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status(&refused), 400, "{refused}");
}
