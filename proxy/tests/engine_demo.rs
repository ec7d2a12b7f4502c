//! The built-in demo configuration (what the QEMU image runs) served end to end over the
//! in-memory network.

mod engine_support;

use std::time::Duration;

use engine_support::{Harness, TICK, addr, body, header, status};
use proxy::config::DEMO_CONFIG;
use proxy::engine::testing::ServerBehavior;

#[test]
fn demo_configuration_serves_web_stats_and_tcp() {
    let mut h = Harness::new(DEMO_CONFIG);
    let listeners: Vec<_> = h.engine.listeners().collect();
    assert!(listeners.contains(&addr("[::]:80")), "{listeners:?}");
    assert!(listeners.contains(&addr("0.0.0.0:80")), "{listeners:?}");
    assert!(listeners.contains(&addr("0.0.0.0:9000")), "{listeners:?}");
    h.http_server("10.0.2.2:8081", "web1");
    h.http_server("10.0.2.2:8082", "web2");
    h.run_for(Duration::from_millis(10));

    // Round robin with an inserted persistence cookie, then stickiness.
    let r = h.get("0.0.0.0:80", "/");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "x-served-by"), Some("bareproxy"));
    let cookie = header(&r, "set-cookie")
        .expect("persistence cookie")
        .to_string();
    assert!(
        cookie == "SERVERID=w1; path=/" || cookie == "SERVERID=w2; path=/",
        "{cookie}"
    );
    let value = cookie.trim_end_matches("; path=/").to_string();
    let first = body(&r).to_string();
    for _ in 0..3 {
        let r = h.exchange(
            "0.0.0.0:80",
            &format!("GET / HTTP/1.1\r\nHost: box\r\nCookie: {value}\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(body(&r), first);
    }
    // The health checks went to /health.
    assert!(
        h.net
            .server_requests(addr("10.0.2.2:8081"))
            .iter()
            .any(|r| r.starts_with("GET /health "))
    );
    // monitor-uri, the admin rule, the stats page.
    assert_eq!(status(&h.get("[::]:80", "/healthz")), 200);
    assert_eq!(status(&h.get("[::]:80", "/admin/x")), 403);
    let r = h.get("[::]:80", "/stats");
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "refresh"), Some("10"));
    let r = h.get("[::]:80", "/stats;csv");
    assert!(body(&r).starts_with("# pxname,svname,"));
    assert!(body(&r).contains("\nservers,web1,"));

    // TCP forwarding on port 9000 to web1's port.
    h.net
        .set_server(addr("10.0.2.2:8081"), ServerBehavior::Echo);
    let id = h.net.client(addr("0.0.0.0:9000"));
    h.net.remote_send(id, b"raw bytes");
    h.run_for(TICK * 10);
    assert_eq!(h.net.remote_recv_text(id), "raw bytes");

    // Logs went to the syslog target of the demo (10.0.2.2:5514).
    let logs = h.net.take_datagrams();
    assert!(!logs.is_empty());
    assert!(logs.iter().all(|(to, _)| *to == addr("10.0.2.2:5514")));
}
