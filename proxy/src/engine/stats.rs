//! The statistics page: HAProxy's CSV (`<stats uri>;csv`) and an HTML page that reads on a
//! phone, plus the box's own figures ([`BoxStats`], supplied by the firmware).
//!
//! The CSV uses HAProxy's column names and order (manual 9.1) from `pxname` to `srv_abrt`;
//! columns bareproxy has no value for are left empty, as HAProxy does for columns that do
//! not apply to a row. Rows come per frontend (`FRONTEND`), then per backend: one per server
//! followed by the `BACKEND` row. Field 32 (`type`) is 0, 1 or 2 for frontend, backend and
//! server.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use base64::Engine as _;

use super::counters::Counters;
use super::shared::Shared;
use super::time::Instant;
use crate::config::{Config, Stats, StatsUser};

/// Figures about the box itself, supplied by the firmware
/// ([`Engine::set_box_stats`](super::Engine::set_box_stats)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoxStats {
    /// Heap bytes in use.
    pub memory_used: u64,
    /// Heap bytes free.
    pub memory_free: u64,
    /// Sockets in use in the network stack's connection table.
    pub conn_table_used: u32,
    /// Size of that table.
    pub conn_table_size: u32,
    /// One entry per network interface.
    pub nics: Vec<NicStats>,
}

/// Counters of one network interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NicStats {
    /// Interface name (`eth0`).
    pub name: String,
    /// Link up.
    pub link_up: bool,
    /// Frames received.
    pub rx_packets: u64,
    /// Frames sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Frames dropped on receive (no buffer).
    pub rx_dropped: u64,
}

/// HAProxy's CSV columns, in order, as far as bareproxy emits them (manual 9.1).
pub const CSV_COLUMNS: [&str; 51] = [
    "pxname",
    "svname",
    "qcur",
    "qmax",
    "scur",
    "smax",
    "slim",
    "stot",
    "bin",
    "bout",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "status",
    "weight",
    "act",
    "bck",
    "chkfail",
    "chkdown",
    "lastchg",
    "downtime",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "throttle",
    "lbtot",
    "tracked",
    "type",
    "rate",
    "rate_lim",
    "rate_max",
    "check_status",
    "check_code",
    "check_duration",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "hanafail",
    "req_rate",
    "req_rate_max",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
];

/// The 401 answer to a stats request without valid credentials.
pub const UNAUTHORIZED: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nContent-length: 112\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\nWWW-Authenticate: Basic realm=\"HAProxy Statistics\"\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";

/// Whether an `Authorization` value carries one of `users` (`Basic base64(user:password)`).
pub fn basic_auth_ok(value: &[u8], users: &[StatsUser]) -> bool {
    let Some(encoded) = value
        .strip_prefix(b"Basic ")
        .or_else(|| value.strip_prefix(b"basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim_ascii()) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
    // Every user is compared, each in time that depends on the lengths only: how long the
    // answer takes must not tell an attacker how much of a name or password was right.
    users.iter().fold(false, |found, u| {
        let user_ok = same_bytes(u.user.as_bytes(), user);
        let password_ok = same_bytes(u.password.as_bytes(), password);
        found | (user_ok & password_ok)
    })
}

/// Whether `a == b`, looking at every byte of the shorter whatever the first difference.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let differences = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // `black_box` keeps the optimiser from turning the fold back into an early exit.
    core::hint::black_box(differences) == 0 && a.len() == b.len()
}

/// One CSV row being built: values by column index.
struct Row {
    cells: [Option<String>; 51],
}

impl Row {
    fn new(pxname: &str, svname: &str, kind: u8) -> Row {
        let mut row = Row {
            cells: core::array::from_fn(|_| None),
        };
        row.set(0, pxname);
        row.set(1, svname);
        row.set(26, 1);
        row.set(32, kind);
        row
    }

    fn set(&mut self, column: usize, value: impl core::fmt::Display) {
        if let Some(cell) = self.cells.get_mut(column) {
            let mut s = String::new();
            let _ = write!(s, "{value}");
            *cell = Some(s);
        }
    }

    fn counters(&mut self, c: &Counters) {
        self.set(4, c.scur);
        self.set(5, c.smax);
        self.set(7, c.stot);
        self.set(8, c.bytes_in);
        self.set(9, c.bytes_out);
        for (i, n) in c.http_responses.iter().enumerate() {
            self.set(39 + i, n);
        }
        self.set(49, c.client_aborts);
        self.set(50, c.server_aborts);
    }

    fn write(&self, out: &mut String) {
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if let Some(v) = cell {
                out.push_str(v);
            }
        }
        out.push('\n');
    }
}

fn secs(d: core::time::Duration) -> u64 {
    d.as_secs()
}

/// All rows, in CSV order.
fn rows(cfg: &Config, sh: &Shared, now: Instant) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, (fe, rt)) in cfg.frontends.iter().zip(&sh.frontends).enumerate() {
        let mut row = Row::new(&fe.name, "FRONTEND", 0);
        row.counters(&rt.counters);
        row.set(6, fe.maxconn);
        row.set(10, rt.counters.denied_requests);
        row.set(12, rt.counters.request_errors);
        row.set(17, "OPEN");
        row.set(27, i + 1);
        row.set(28, 0);
        row.set(48, rt.counters.requests);
        rows.push(row);
    }
    for (bi, (be, brt)) in cfg.backends.iter().zip(&sh.backends).enumerate() {
        let iid = cfg.frontends.len() + bi + 1;
        for (si, (srv, rt)) in be.servers.iter().zip(&brt.servers).enumerate() {
            let mut row = Row::new(&be.name, &srv.name, 2);
            row.counters(&rt.counters);
            row.set(2, 0);
            row.set(3, 0);
            if let Some(m) = srv.maxconn {
                row.set(6, m);
            }
            row.set(13, rt.counters.connect_errors);
            row.set(14, rt.counters.response_errors);
            row.set(15, rt.counters.retries);
            row.set(16, rt.counters.redispatches);
            let status = match (rt.is_up(), srv.check) {
                (true, false) => "no check",
                (true, true) => "UP",
                (false, _) => "DOWN",
            };
            row.set(17, status);
            row.set(18, srv.weight);
            row.set(19, u8::from(!srv.backup));
            row.set(20, u8::from(srv.backup));
            if srv.check {
                row.set(21, rt.check_failures);
                row.set(22, rt.down_transitions);
            }
            row.set(23, secs(now.since(rt.last_change)));
            row.set(24, secs(rt.downtime_at(now)));
            row.set(27, iid);
            row.set(28, si + 1);
            row.set(30, rt.counters.lbtot);
            if let Some(check) = &rt.last_check {
                row.set(36, check.outcome.code_name());
                if let Some(code) = check.outcome.http_code() {
                    row.set(37, code);
                }
                row.set(38, check.duration.as_millis());
            }
            rows.push(row);
        }
        let mut row = Row::new(&be.name, "BACKEND", 1);
        row.counters(&brt.counters);
        row.set(2, brt.counters.qcur);
        row.set(3, brt.counters.qmax);
        row.set(10, brt.counters.denied_requests);
        row.set(13, brt.counters.connect_errors);
        row.set(14, brt.counters.response_errors);
        row.set(15, brt.counters.retries);
        row.set(16, brt.counters.redispatches);
        let up = brt.has_usable_server(be) || be.stats.is_some();
        row.set(17, if up { "UP" } else { "DOWN" });
        let weight: u32 = be
            .servers
            .iter()
            .zip(&brt.servers)
            .filter(|(s, r)| r.is_up() && !s.backup)
            .map(|(s, _)| u32::from(s.weight))
            .sum();
        let (act, bck) = brt.servers_up(be);
        row.set(18, weight);
        row.set(19, act);
        row.set(20, bck);
        row.set(23, secs(now.since(brt.last_change)));
        row.set(27, iid);
        row.set(28, 0);
        row.set(30, brt.counters.lbtot);
        rows.push(row);
    }
    rows
}

/// Renders the CSV: a `# ` header line with the column names, then one line per row.
pub fn render_csv(out: &mut String, cfg: &Config, sh: &Shared, now: Instant) {
    out.push_str("# ");
    out.push_str(&CSV_COLUMNS.join(","));
    out.push('\n');
    for row in rows(cfg, sh, now) {
        row.write(out);
    }
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Human-readable byte count.
fn bytes(n: u64) -> String {
    let mut s = String::new();
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        let _ = write!(s, "{n} B");
    } else {
        let _ = write!(s, "{value:.1} {}", units[unit]);
    }
    s
}

fn duration(out: &mut String, secs: u64) {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        let _ = write!(out, "{d}d {h}h");
    } else if h > 0 {
        let _ = write!(out, "{h}h {m}m");
    } else {
        let _ = write!(out, "{m}m {s}s");
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:0.5em;font-size:15px}\
table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #999;padding:2px 6px;text-align:right;white-space:nowrap}\
th{background:#ddd}td.n{text-align:left}.wrap{overflow-x:auto}tr.up td{background:#c0f0c0}tr.down td{background:#f0b0b0}\
tr.px td{background:#b0c0f0;font-weight:bold}h2{font-size:1.1em;margin:0.6em 0 0.2em}";

/// Renders the HTML page.
pub fn render_html(out: &mut String, cfg: &Config, sh: &Shared, now: Instant, page: &Stats) {
    out.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    if let Some(refresh) = page.refresh {
        let _ = write!(
            out,
            "<meta http-equiv=\"refresh\" content=\"{}\">",
            refresh.as_secs().max(1)
        );
    }
    let _ = write!(
        out,
        "<title>bareproxy statistics</title><style>{STYLE}</style></head><body>"
    );
    out.push_str("<h1>bareproxy statistics</h1>");

    // The box.
    let b = &sh.box_stats;
    out.push_str("<h2>Box</h2><div class=\"wrap\"><table>");
    out.push_str("<tr><th class=\"n\">uptime</th><td>");
    duration(out, now.since(sh.started).as_secs());
    let _ = write!(
        out,
        "</td></tr><tr><th class=\"n\">memory used / free</th><td>{} / {}</td></tr>",
        bytes(b.memory_used),
        bytes(b.memory_free)
    );
    let _ = write!(
        out,
        "<tr><th class=\"n\">connection table</th><td>{} / {}</td></tr>",
        b.conn_table_used, b.conn_table_size
    );
    let _ = write!(
        out,
        "<tr><th class=\"n\">sessions</th><td>{}</td></tr><tr><th class=\"n\">buffers free / total</th><td>{} / {} (pool exhausted {} times)</td></tr>",
        sh.active_sessions,
        sh.pool.available(),
        sh.pool.total(),
        sh.pool.exhausted
    );
    out.push_str("</table></div>");
    if !b.nics.is_empty() {
        out.push_str("<div class=\"wrap\"><table><tr><th class=\"n\">NIC</th><th>link</th><th>rx pkts</th><th>rx bytes</th><th>rx err</th><th>rx drop</th><th>tx pkts</th><th>tx bytes</th><th>tx err</th></tr>");
        for nic in &b.nics {
            out.push_str("<tr><td class=\"n\">");
            escape(out, &nic.name);
            let _ = write!(
                out,
                "</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if nic.link_up { "up" } else { "down" },
                nic.rx_packets,
                bytes(nic.rx_bytes),
                nic.rx_errors,
                nic.rx_dropped,
                nic.tx_packets,
                bytes(nic.tx_bytes),
                nic.tx_errors
            );
        }
        out.push_str("</table></div>");
    }

    // Proxies: one table per proxy, rows as in the CSV.
    let header = "<tr><th class=\"n\">name</th><th>status</th><th>queue cur/max</th><th>sessions cur/max/limit</th><th>total</th><th>bytes in</th><th>bytes out</th><th>denied</th><th>errors req/conn/resp</th><th>retries/redisp</th><th>check</th><th>weight</th><th>last change</th><th>downtime</th><th>2xx</th><th>4xx</th><th>5xx</th></tr>";
    let mut current: Option<String> = None;
    for row in rows(cfg, sh, now) {
        let cell = |i: usize| row.cells[i].as_deref().unwrap_or("");
        if current.as_deref() != Some(cell(0)) {
            if current.is_some() {
                out.push_str("</table></div>");
            }
            out.push_str("<h2>");
            escape(out, cell(0));
            out.push_str("</h2><div class=\"wrap\"><table>");
            out.push_str(header);
            current = Some(String::from(cell(0)));
        }
        let class = match cell(17) {
            "DOWN" => "down",
            _ if cell(32) == "2" => "up",
            _ => "px",
        };
        let _ = write!(out, "<tr class=\"{class}\"><td class=\"n\">");
        escape(out, cell(1));
        let _ = write!(
            out,
            "</td><td>{}</td><td>{}/{}</td><td>{}/{}/{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}/{}</td><td>{}/{}</td>",
            cell(17),
            cell(2),
            cell(3),
            cell(4),
            cell(5),
            cell(6),
            cell(7),
            bytes(cell(8).parse().unwrap_or(0)),
            bytes(cell(9).parse().unwrap_or(0)),
            cell(10),
            cell(12),
            cell(13),
            cell(14),
            cell(15),
            cell(16)
        );
        out.push_str("<td>");
        if !cell(36).is_empty() {
            let _ = write!(out, "{} {} in {}ms", cell(36), cell(37), cell(38));
        }
        out.push_str("</td><td>");
        out.push_str(cell(18));
        out.push_str("</td><td>");
        if let Ok(s) = cell(23).parse::<u64>() {
            duration(out, s);
        }
        out.push_str("</td><td>");
        if let Ok(s) = cell(24).parse::<u64>() {
            duration(out, s);
        }
        let _ = write!(
            out,
            "</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            cell(40),
            cell(42),
            cell(43)
        );
    }
    if current.is_some() {
        out.push_str("</table></div>");
    }
    out.push_str("<p>CSV: <a href=\"");
    escape(out, &page.uri);
    out.push_str(";csv\">");
    escape(out, &page.uri);
    out.push_str(";csv</a></p></body></html>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn header(credentials: &str) -> Vec<u8> {
        let mut value = b"Basic ".to_vec();
        value.extend(
            base64::engine::general_purpose::STANDARD
                .encode(credentials)
                .into_bytes(),
        );
        value
    }

    #[test]
    fn basic_auth_needs_a_whole_user_and_password_pair() {
        let users = [
            StatsUser {
                user: "admin".to_string(),
                password: "s3cret".to_string(),
            },
            StatsUser {
                user: "ops".to_string(),
                password: "pw".to_string(),
            },
        ];
        assert!(basic_auth_ok(&header("admin:s3cret"), &users));
        assert!(
            basic_auth_ok(&header("ops:pw"), &users),
            "not only the first user"
        );
        for wrong in [
            "admin:s3cre",
            "admin:s3cret!",
            "admin:",
            "adm:s3cret",
            "ops:s3cret",
            "admin:pw",
            ":",
            "admins3cret",
        ] {
            assert!(!basic_auth_ok(&header(wrong), &users), "{wrong}");
        }
        assert!(!basic_auth_ok(b"Bearer abc", &users));
        assert!(!basic_auth_ok(b"Basic !!!", &users));
        assert!(!basic_auth_ok(&header("admin:s3cret"), &[]));
    }
}
