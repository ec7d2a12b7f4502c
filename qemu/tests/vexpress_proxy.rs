//! The load balancer end to end: the vexpress firmware under QEMU, real HTTP clients on the host
//! going through a port forward to the guest's frontend, and demo backends on the host's
//! loopback that the guest reaches as 10.0.2.2 (QEMU's user network).
//!
//! Each test boots its own guest with its own haproxy.cfg (loaded into the configuration slot)
//! and its own backends on free ports.

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use qemu_tests::{DemoBackend, Forward, Qemu, QemuConfig, free_port};

const BOOT: Duration = Duration::from_secs(30);

struct Setup {
    qemu: Qemu,
    http: u16,
    backends: Vec<DemoBackend>,
}

/// Boots a guest whose configuration is `config` with `{B0}`, `{B1}`… replaced by the ports of
/// freshly started backends and `{SYSLOG}` by `syslog_port`; waits for the frontend.
fn boot(config: &str, backend_count: usize, syslog_port: u16) -> Setup {
    let backends: Vec<DemoBackend> = (0..backend_count)
        .map(|i| DemoBackend::start(&format!("b{i}"), 0).unwrap())
        .collect();
    let mut text = config.replace("{SYSLOG}", &syslog_port.to_string());
    for (i, backend) in backends.iter().enumerate() {
        text = text.replace(&format!("{{B{i}}}"), &backend.port().to_string());
    }
    let http = free_port().unwrap();
    let mut qemu_config = QemuConfig::vexpress_built()
        .expect("vexpress images")
        .with_proxy_config(&text)
        .unwrap();
    qemu_config.user_network = Some(vec![Forward {
        host: http,
        guest: 80,
    }]);
    let qemu = Qemu::spawn(&qemu_config).unwrap();
    qemu.wait_for("proxy: listening on", BOOT).unwrap();
    qemu.wait_for("DHCP lease", BOOT).unwrap();
    Setup {
        qemu,
        http,
        backends,
    }
}

/// A response: status, headers (lower-case names), body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request on its own connection (`Connection: close`), with a deadline.
fn request(port: u16, path: &str, extra_headers: &str) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: box\r\nConnection: close\r\n{extra_headers}\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}

const ROUND_ROBIN: &str = "
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind :80
    http-request deny if { path_beg /admin }
    http-request add-header X-Via bareproxy
    http-request del-header X-Secret
    use_backend stats if { path_beg /stats }
    default_backend servers
backend servers
    balance roundrobin
    option httpchk GET /health
    server s0 10.0.2.2:{B0} check inter 300ms rise 1 fall 2
    server s1 10.0.2.2:{B1} check inter 300ms rise 1 fall 2
backend stats
    stats enable
    stats uri /stats
";

#[test]
fn round_robin_spreads_requests_and_rewrites_headers() {
    let setup = boot(ROUND_ROBIN, 2, 0);
    let mut counts = [0; 2];
    for _ in 0..20 {
        let response = request(setup.http, "/", "X-Secret: hush\r\n");
        assert_eq!(response.status, 200, "{}", response.body);
        match response.body.trim() {
            "hello from b0" => counts[0] += 1,
            "hello from b1" => counts[1] += 1,
            other => panic!("unexpected body {other:?}"),
        }
    }
    assert_eq!(counts, [10, 10], "round robin over two servers");
    let head = setup.backends[0]
        .request_heads()
        .into_iter()
        .find(|h| h.starts_with("GET / "))
        .unwrap();
    assert!(
        head.to_ascii_lowercase().contains("x-via: bareproxy"),
        "{head}"
    );
    assert!(!head.to_ascii_lowercase().contains("x-secret"), "{head}");
}

#[test]
fn deny_rule_answers_403_without_touching_a_server() {
    let setup = boot(ROUND_ROBIN, 2, 0);
    let before: u64 = setup
        .backends
        .iter()
        .map(|b| {
            b.request_heads()
                .iter()
                .filter(|h| !h.contains("/health"))
                .count() as u64
        })
        .sum();
    let response = request(setup.http, "/admin/panel", "");
    assert_eq!(response.status, 403);
    let after: u64 = setup
        .backends
        .iter()
        .map(|b| {
            b.request_heads()
                .iter()
                .filter(|h| !h.contains("/health"))
                .count() as u64
        })
        .sum();
    assert_eq!(before, after);
}

#[test]
fn a_killed_server_goes_down_and_traffic_moves() {
    let mut setup = boot(ROUND_ROBIN, 2, 0);
    assert_eq!(request(setup.http, "/", "").status, 200);
    setup.backends[1].stop();
    // fall 2 × inter 300 ms: DOWN within about a second; allow for QEMU's slowness.
    setup
        .qemu
        .wait_for("Server servers/s1 is DOWN", Duration::from_secs(10))
        .unwrap();
    for _ in 0..6 {
        let response = request(setup.http, "/", "");
        assert_eq!(response.status, 200);
        assert_eq!(response.body.trim(), "hello from b0");
    }
}

#[test]
fn stats_page_renders_html_and_csv() {
    let setup = boot(ROUND_ROBIN, 2, 0);
    let html = request(setup.http, "/stats", "");
    assert_eq!(html.status, 200);
    assert!(
        html.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert!(html.body.contains("servers") && html.body.contains("s0") && html.body.contains("s1"));
    let csv = request(setup.http, "/stats;csv", "");
    assert_eq!(csv.status, 200);
    let mut lines = csv.body.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    assert_eq!(&header[..2], &["pxname", "svname"]);
    let status_column = header.iter().position(|c| *c == "status").unwrap();
    let rows: Vec<Vec<&str>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').collect())
        .collect();
    let s0 = rows
        .iter()
        .find(|r| r[0] == "servers" && r[1] == "s0")
        .expect("a row for servers/s0");
    assert_eq!(s0[status_column], "UP");
}

#[test]
fn cookie_insert_keeps_a_client_on_its_server() {
    let config = ROUND_ROBIN
        .replace(
            "    balance roundrobin\n",
            "    balance roundrobin\n    cookie SRV insert indirect nocache\n",
        )
        .replace(
            "check inter 300ms rise 1 fall 2\n    server s1",
            "check inter 300ms rise 1 fall 2 cookie c0\n    server s1",
        )
        .replace(
            "{B1} check inter 300ms rise 1 fall 2\n",
            "{B1} check inter 300ms rise 1 fall 2 cookie c1\n",
        );
    let setup = boot(&config, 2, 0);
    let first = request(setup.http, "/", "");
    let set_cookie = first
        .header("set-cookie")
        .expect("Set-Cookie on the first response")
        .to_owned();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let server = first.body.trim().to_owned();
    for _ in 0..8 {
        let response = request(setup.http, "/", &format!("Cookie: {cookie}\r\n"));
        assert_eq!(
            response.body.trim(),
            server,
            "cookie {cookie} must pin the server"
        );
    }
}

#[test]
fn a_slow_server_hits_timeout_server_and_the_client_gets_504() {
    let config = ROUND_ROBIN
        .replace("timeout server 10s", "timeout server 1s")
        .replace(
            "    server s1 10.0.2.2:{B1} check inter 300ms rise 1 fall 2\n",
            "",
        );
    let setup = boot(&config, 2, 0);
    setup.backends[0].set_delay(Duration::from_secs(3));
    let response = request(setup.http, "/slow", "");
    assert_eq!(response.status, 504);
}

#[test]
fn maxconn_queues_requests_and_they_all_succeed() {
    // One request at a time reaches the server; the others wait in the backend's queue, whose
    // timeout is generous so that a slow, loaded CI machine still sees queueing, not 503s.
    let config = ROUND_ROBIN
        .replace("check inter 300ms rise 1 fall 2\n    server s1 10.0.2.2:{B1} check inter 300ms rise 1 fall 2\n", "maxconn 1\n")
        .replace("    timeout server 10s\n", "    timeout server 10s\n    timeout queue 30s\n");
    let setup = boot(&config, 1, 0);
    setup.backends[0].set_delay(Duration::from_millis(300));
    let port = setup.http;
    // Staggered by 50 ms: QEMU's port forward listens with a backlog of 1 (libslirp), so
    // simultaneous connects would measure the host's SYN retransmissions, not the firmware.
    let clients: Vec<_> = (0..5)
        .map(|i| {
            thread::sleep(Duration::from_millis(50 * u64::from(i > 0)));
            thread::spawn(move || request(port, "/", "").status)
        })
        .collect();
    let statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(statuses, vec![200; 5]);
}

#[test]
fn leastconn_sends_new_work_to_the_idle_server() {
    let config = ROUND_ROBIN.replace("balance roundrobin", "balance leastconn");
    let setup = boot(&config, 2, 0);
    // Hold one slow request open on whichever server gets it; every later request must go to
    // the other one, which has no connection.
    setup.backends[0].set_delay(Duration::from_secs(4));
    setup.backends[1].set_delay(Duration::from_secs(4));
    let port = setup.http;
    let slow = thread::spawn(move || request(port, "/", "").body);
    thread::sleep(Duration::from_millis(800));
    let busy = if setup.backends[0].requests() > setup.backends[1].requests() {
        0
    } else {
        1
    };
    setup.backends[1 - busy].set_delay(Duration::ZERO);
    for _ in 0..4 {
        let response = request(setup.http, "/", "");
        assert_eq!(response.body.trim(), format!("hello from b{}", 1 - busy));
    }
    slow.join().unwrap();
}

#[test]
fn syslog_lines_reach_a_udp_listener_on_the_host() {
    let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
    listener
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = format!(
        "global\n    log 10.0.2.2:{{SYSLOG}} local0 info\n{}",
        ROUND_ROBIN.replace(
            "    mode http\n",
            "    mode http\n    log global\n    option httplog\n"
        )
    );
    let setup = boot(&config, 2, port);
    assert_eq!(request(setup.http, "/logged", "").status, 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut lines = Vec::new();
    while Instant::now() < deadline {
        let mut buffer = [0u8; 2048];
        if let Ok(n) = listener.recv(&mut buffer) {
            lines.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
            if lines.iter().any(|l| l.contains("GET /logged")) {
                break;
            }
        }
    }
    let line = lines
        .iter()
        .find(|l| l.contains("GET /logged"))
        .unwrap_or_else(|| panic!("no httplog line: {lines:?}"));
    // RFC 3164 priority for local0.info is <134>; HAProxy's httplog names frontend and server.
    assert!(line.starts_with("<134>"), "{line}");
    assert!(line.contains("web servers/s"), "{line}");
    assert!(line.contains(" 200 "), "{line}");
}
