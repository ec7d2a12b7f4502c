//! The built-in QEMU demo configuration parses cleanly and says what the brief asked for.

use proxy::config::{self, Balance, CookieMode, DEMO_CONFIG, Mode};

#[test]
fn demo_parses_without_warnings() {
    let parsed = config::Config::demo().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.warnings, [], "{:#?}", parsed.warnings);
    let c = parsed.config;
    println!("{c}");
    let web = c.frontend_by_name("web").unwrap();
    assert_eq!(web.mode, Mode::Http);
    let binds: Vec<String> = web.binds.iter().map(|a| a.to_string()).collect();
    assert_eq!(binds, ["[::]:80", "0.0.0.0:80"]);
    assert_eq!(web.monitor_uri.as_deref(), Some("/healthz"));
    let (servers_id, servers) = c.backend_by_name("servers").unwrap();
    assert_eq!(web.default_backend, Some(servers_id));
    assert_eq!(servers.balance, Balance::RoundRobin);
    assert_eq!(servers.cookie.as_ref().unwrap().mode, CookieMode::Insert);
    let chk = servers.http_check.as_ref().unwrap();
    assert_eq!((chk.method.as_str(), chk.uri.as_str()), ("GET", "/health"));
    let addrs: Vec<String> = servers.servers.iter().map(|s| s.addr.to_string()).collect();
    assert_eq!(addrs, ["10.0.2.2:8081", "10.0.2.2:8082"]);
    let (stats_id, stats) = c.backend_by_name("stats").unwrap();
    assert_eq!(stats.stats.as_ref().unwrap().uri, "/stats");
    assert_eq!(web.use_backend[0].backend, stats_id);
    let tcp = c.frontend_by_name("tcp-forward").unwrap();
    assert_eq!(tcp.mode, Mode::Tcp);
    assert_eq!(tcp.binds[0].to_string(), "0.0.0.0:9000");
    let (own, fwd) = c.backend_by_name("tcp-forward").unwrap();
    assert_eq!(tcp.default_backend, Some(own));
    assert_eq!(fwd.servers[0].addr.to_string(), "10.0.2.2:8081");
    assert!(DEMO_CONFIG.contains("option httpchk GET /health"));
}
