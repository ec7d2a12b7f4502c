//! Syslog output: RFC 3164 / RFC 5424 framing, HAProxy's httplog and default formats, event
//! lines for server state changes, `dontlognull`.

mod engine_support;

use std::time::Duration;

use engine_support::{Harness, addr, status};
use proxy::engine::testing::ServerBehavior;

const FRONT: &str = "10.0.0.1:80";
// 2009-02-06 12:14:14.655 UTC (the manual's httplog example).
const EXAMPLE_UNIX_MS: u64 = 1_233_922_454_655;

fn harness(log_line: &str, options: &str) -> Harness {
    let mut h = Harness::new(&format!(
        "
global
    {log_line}
defaults
    mode http
    log global
    {options}
    timeout client 5s
    timeout server 5s
    timeout connect 1s
frontend web
    bind {FRONT}
    default_backend static
backend static
    server srv1 10.0.1.1:8080 check inter 1s fall 1
"
    ));
    h.http_server("10.0.1.1:8080", "srv1");
    let now = h.now;
    h.engine.set_wall_clock(now, EXAMPLE_UNIX_MS);
    h
}

fn lines(h: &mut Harness) -> Vec<String> {
    h.net
        .take_datagrams()
        .into_iter()
        .map(|(_, d)| String::from_utf8(d).expect("utf-8"))
        .collect()
}

#[test]
fn httplog_line_matches_haproxy_format() {
    let mut h = harness("log 10.0.9.9:514 local0", "option httplog");
    let r = h.get(FRONT, "/index.html");
    assert_eq!(status(&r), 200);
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1, "{logs:?}");
    let line = &logs[0];
    let prefix = "<134>Feb  6 12:14:14 haproxy[1]: 192.0.2.1:";
    assert!(line.starts_with(prefix), "{line}");
    let rest = &line[prefix.len()..];
    let (fields, request) = rest.split_once(" \"").expect("quoted request");
    assert_eq!(request, "GET /index.html HTTP/1.1\"");
    let f: Vec<&str> = fields.split(' ').collect();
    // port [date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes CC CS tsc conns queues
    assert_eq!(f.len(), 12, "{line}");
    assert!(f[0].parse::<u16>().is_ok());
    assert!(
        f[1].starts_with("[06/Feb/2009:12:14:14.") && f[1].ends_with(']'),
        "{line}"
    );
    assert_eq!(f[2], "web");
    assert_eq!(f[3], "static/srv1");
    let timers: Vec<i64> = f[4].split('/').map(|t| t.parse().expect("timer")).collect();
    assert_eq!(timers.len(), 5);
    assert!(timers.iter().all(|&t| t >= 0), "{line}");
    assert!(
        timers[4] >= timers[2] + timers[3],
        "Ta covers connect and response: {line}"
    );
    assert_eq!(f[5], "200");
    // The 4-byte body plus the head the client received.
    assert!(f[6].parse::<u64>().expect("bytes") > 40, "{line}");
    assert_eq!((f[7], f[8], f[9]), ("-", "-", "----"));
    assert_eq!(f[10].split('/').count(), 5);
    assert_eq!(f[11], "0/0");
}

#[test]
fn error_lines_carry_the_termination_state() {
    let mut h = harness("log 10.0.9.9:514 local0", "option httplog");
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Refuse);
    h.run_for(Duration::from_millis(20));
    let _ = lines(&mut h);
    let r = h.get(FRONT, "/");
    assert_eq!(status(&r), 503);
    let logs = lines(&mut h);
    let line = logs
        .iter()
        .find(|l| l.contains("\"GET / HTTP/1.1\""))
        .expect("traffic line");
    assert!(line.contains(" 503 "), "{line}");
    assert!(
        line.contains(" 503 ") && line.contains(" - - SC-- "),
        "{line}"
    );
}

#[test]
fn server_state_changes_are_logged_at_alert_and_notice() {
    let mut h = harness("log 10.0.9.9:514 local0", "option httplog");
    h.net
        .set_server(addr("10.0.1.1:8080"), ServerBehavior::Refuse);
    h.run_for(Duration::from_millis(20));
    let logs = lines(&mut h);
    // local0 alert = 16*8+1 = 129; emerg = 128.
    assert!(
        logs.iter().any(|l| l.starts_with("<129>Feb  6 12:14:14 haproxy[1]: Server static/srv1 is DOWN, reason: Layer4 connection problem")),
        "{logs:?}"
    );
    assert!(
        logs.iter().any(
            |l| l.ends_with("haproxy[1]: backend static has no server available!")
                && l.starts_with("<128>")
        ),
        "{logs:?}"
    );
}

#[test]
fn level_filter_drops_less_severe_messages() {
    let mut h = harness("log 10.0.9.9:514 local0 notice", "option httplog");
    assert_eq!(status(&h.get(FRONT, "/")), 200);
    assert!(
        lines(&mut h).is_empty(),
        "info traffic lines are filtered by 'notice'"
    );
}

#[test]
fn rfc5424_framing() {
    let mut h = harness("log 10.0.9.9:514 format rfc5424 local1", "option httplog");
    assert_eq!(status(&h.get(FRONT, "/")), 200);
    let logs = lines(&mut h);
    // local1 info = 17*8+6 = 142.
    assert!(
        logs[0].starts_with("<142>1 2009-02-06T12:14:14."),
        "{logs:?}"
    );
    assert!(logs[0].contains("Z - haproxy 1 - - 192.0.2.1:"), "{logs:?}");
}

#[test]
fn default_format_logs_the_connection_at_accept() {
    let mut h = harness("log 10.0.9.9:514 local0", "");
    assert_eq!(status(&h.get(FRONT, "/")), 200);
    let logs = lines(&mut h);
    assert_eq!(logs.len(), 1);
    assert!(
        logs[0].ends_with("haproxy[1]: Connect from 192.0.2.1:40000 to 10.0.0.1:80 (web/HTTP)"),
        "{logs:?}"
    );
}

#[test]
fn dontlognull_skips_empty_connections() {
    let mut h = harness(
        "log 10.0.9.9:514 local0",
        "option httplog\n    option dontlognull",
    );
    let id = h.net.client(addr(FRONT));
    h.run_for(Duration::from_millis(5));
    h.net.remote_shutdown(id);
    h.run_for(Duration::from_millis(5));
    assert!(lines(&mut h).is_empty());
    assert_eq!(status(&h.get(FRONT, "/")), 200);
    assert_eq!(lines(&mut h).len(), 1);
}

#[test]
fn the_logged_request_line_cannot_forge_or_hide_text() {
    // A backslash and a Unicode line separator (U+2028, which some log viewers break lines at)
    // reach the log only as `#XX` codes, as HAProxy encodes the request line.
    let mut h = harness("log 10.0.9.9:514 local0", "option httplog");
    let r = h.get(FRONT, "/a\\b\u{2028}c");
    assert_eq!(status(&r), 200, "{r}");
    let logs = lines(&mut h);
    let line = logs
        .iter()
        .find(|l| l.contains("\"GET "))
        .expect("traffic line");
    assert!(
        line.ends_with("\"GET /a#5Cb#E2#80#A8c HTTP/1.1\""),
        "{line}"
    );
}
