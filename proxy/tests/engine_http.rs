//! HTTP mode end to end over the in-memory network: balancing, persistence, rules, errors,
//! timeouts, keep-alive and pipelining.

mod engine_support;

use std::time::Duration;

use engine_support::{Harness, addr, body, header, status};

const BASIC: &str = "
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 2s
    timeout queue 1s

frontend web
    bind 10.0.0.1:80
    default_backend app

backend app
    balance roundrobin
    server s1 10.0.1.1:8080
    server s2 10.0.1.2:8080
";

fn basic() -> Harness {
    let mut h = Harness::new(BASIC);
    h.http_server("10.0.1.1:8080", "s1");
    h.http_server("10.0.1.2:8080", "s2");
    h
}

#[test]
fn round_robin_alternates_between_servers() {
    let mut h = basic();
    let mut served = Vec::new();
    for _ in 0..6 {
        let r = h.get("10.0.0.1:80", "/");
        assert_eq!(status(&r), 200, "response: {r}");
        served.push(body(&r).to_string());
    }
    assert_eq!(served, ["s1", "s2", "s1", "s2", "s1", "s2"]);
    assert_eq!(h.engine.session_count(), 0);
    assert_eq!(h.engine.pool().available(), h.engine.pool().total());
}
