//! The statistics page over HTTP: authentication, HTML for phones, HAProxy's CSV.

mod engine_support;

use engine_support::{Harness, addr, body, header, status};
use proxy::engine::{BoxStats, CSV_COLUMNS, NicStats};

const FRONT: &str = "10.0.0.1:80";
const CFG: &str = "
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 1s

frontend web
    bind 10.0.0.1:80
    use_backend stats if { path_beg /stats }
    default_backend app

backend app
    server s1 10.0.1.1:8080 check inter 1s
    server s2 10.0.1.2:8080 maxconn 10

backend stats
    stats enable
    stats uri /stats
    stats auth admin:s3cret
    stats refresh 5s
";

fn harness() -> Harness {
    let mut h = Harness::new(CFG);
    h.http_server("10.0.1.1:8080", "s1");
    h.http_server("10.0.1.2:8080", "s2");
    h.engine.set_box_stats(BoxStats {
        memory_used: 3 << 20,
        memory_free: 20 << 20,
        conn_table_used: 5,
        conn_table_size: 64,
        nics: vec![NicStats {
            name: "eth0".into(),
            link_up: true,
            rx_packets: 1234,
            tx_packets: 999,
            rx_bytes: 100_000,
            tx_bytes: 90_000,
            rx_errors: 0,
            tx_errors: 0,
            rx_dropped: 7,
        }],
    });
    h
}

// "admin:s3cret" in base64.
const AUTH: &str = "Authorization: Basic YWRtaW46czNjcmV0\r\n";

fn stats_get(h: &mut Harness, path: &str, auth: &str) -> String {
    h.exchange(
        FRONT,
        &format!("GET {path} HTTP/1.1\r\nHost: box\r\n{auth}Connection: close\r\n\r\n"),
    )
}

#[test]
fn stats_needs_the_configured_credentials() {
    let mut h = harness();
    let r = stats_get(&mut h, "/stats", "");
    assert_eq!(status(&r), 401);
    assert_eq!(
        header(&r, "www-authenticate"),
        Some("Basic realm=\"HAProxy Statistics\"")
    );
    let r = stats_get(
        &mut h,
        "/stats",
        "Authorization: Basic YWRtaW46d3Jvbmc=\r\n",
    );
    assert_eq!(status(&r), 401);
    assert_eq!(status(&stats_get(&mut h, "/stats", AUTH)), 200);
}

#[test]
fn html_page_reads_on_a_phone_and_shows_the_box() {
    let mut h = harness();
    for _ in 0..3 {
        assert_eq!(status(&h.get(FRONT, "/")), 200);
    }
    let r = stats_get(&mut h, "/stats", AUTH);
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&r, "refresh"), Some("5"));
    let page = body(&r);
    assert_eq!(
        header(&r, "content-length").and_then(|l| l.parse::<usize>().ok()),
        Some(page.len())
    );
    assert!(page.contains("name=\"viewport\" content=\"width=device-width"));
    assert!(
        page.contains("<td class=\"n\">eth0</td><td>up</td><td>1234</td>"),
        "{page}"
    );
    assert!(page.contains("3.0 MiB / 20.0 MiB"), "{page}");
    assert!(page.contains("5 / 64"));
    assert!(page.contains("<h2>app</h2>") && page.contains(">s1<") && page.contains(">BACKEND<"));
}

#[test]
fn csv_has_haproxy_header_and_one_row_per_proxy_and_server() {
    let mut h = harness();
    for _ in 0..4 {
        assert_eq!(status(&h.get(FRONT, "/")), 200);
    }
    h.run_for(std::time::Duration::from_millis(50));
    let r = stats_get(&mut h, "/stats;csv", AUTH);
    assert_eq!(header(&r, "content-type"), Some("text/plain"));
    let csv = body(&r);
    let mut lines = csv.lines();
    let head = lines.next().expect("header line");
    assert_eq!(head, format!("# {}", CSV_COLUMNS.join(",")));
    assert!(head.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,"));
    let columns: Vec<&str> = head[2..].split(',').collect();
    let col = |name: &str| columns.iter().position(|c| *c == name).expect("column");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == columns.len()));
    let names: Vec<(&str, &str)> = rows.iter().map(|r| (r[0], r[1])).collect();
    assert_eq!(
        names,
        [
            ("web", "FRONTEND"),
            ("app", "s1"),
            ("app", "s2"),
            ("app", "BACKEND"),
            ("stats", "BACKEND")
        ]
    );
    let row = |px: &str, sv: &str| rows.iter().find(|r| r[0] == px && r[1] == sv).expect("row");
    let web = row("web", "FRONTEND");
    assert_eq!(web[col("type")], "0");
    assert_eq!(web[col("status")], "OPEN");
    // 4 proxied requests + the stats request itself are in progress or done.
    assert_eq!(web[col("req_tot")], "5");
    assert_eq!(web[col("hrsp_2xx")], "4");
    let app = row("app", "BACKEND");
    assert_eq!(app[col("type")], "1");
    assert_eq!(app[col("stot")], "4");
    assert_eq!(app[col("hrsp_2xx")], "4");
    assert_eq!(app[col("act")], "2");
    assert_eq!(app[col("status")], "UP");
    let s1 = row("app", "s1");
    assert_eq!(s1[col("type")], "2");
    assert_eq!(s1[col("stot")], "2");
    assert_eq!(s1[col("status")], "UP");
    assert_eq!(s1[col("check_status")], "L4OK");
    assert!(s1[col("bout")].parse::<u64>().expect("bout") > 0);
    let s2 = row("app", "s2");
    assert_eq!(s2[col("status")], "no check");
    assert_eq!(s2[col("slim")], "10");
    assert_eq!(s2[col("check_status")], "");
}

#[test]
fn engine_renders_csv_directly_for_the_console() {
    let mut h = harness();
    h.net.set_server(
        addr("10.0.1.1:8080"),
        proxy::engine::testing::ServerBehavior::Refuse,
    );
    h.run_for(std::time::Duration::from_millis(3100));
    let mut csv = String::new();
    h.engine.render_stats_csv(&mut csv);
    let s1 = csv
        .lines()
        .find(|l| l.starts_with("app,s1,"))
        .expect("s1 row");
    let cells: Vec<&str> = s1.split(',').collect();
    assert_eq!(cells[17], "DOWN");
    assert_eq!(cells[36], "L4CON");
    assert_eq!(cells[22], "1", "one UP->DOWN transition");
    let mut html = String::new();
    h.engine.render_stats_html(&mut html, None);
    assert!(html.contains("<tr class=\"down\"><td class=\"n\">s1</td><td>DOWN</td>"));
}

#[test]
fn a_frontends_http_request_rules_run_before_its_stats_page() {
    // HAProxy evaluates `stats uri` after the proxy's http-request rules (src/http_ana.c,
    // `http_process_req_common`: the rules, then the stats check), so a deny rule guards it.
    let mut h = Harness::new(
        "
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 1s

frontend web
    bind 10.0.0.1:80
    acl admin_net src 10.9.0.0/16
    http-request deny if { path_beg /stats } !admin_net
    stats enable
    stats uri /stats
    default_backend app

backend app
    server s1 10.0.1.1:8080
",
    );
    h.http_server("10.0.1.1:8080", "s1");
    let r = h.get(FRONT, "/stats");
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(status(&h.get(FRONT, "/")), 200);
}
