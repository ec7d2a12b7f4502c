//! Syslog over UDP: framing (RFC 3164 as HAProxy sends it, or RFC 5424) and HAProxy's traffic
//! log lines (manual 8.2: default, `tcplog` and `httplog` formats).
//!
//! Lines are built into one reusable buffer and handed to
//! [`Transport::send_datagram`](super::Transport::send_datagram); a datagram the stack
//! cannot queue is dropped, as syslog over UDP always may be. The engine has only a monotonic
//! clock: dates come from [`WallClock`], which the firmware sets once it knows the time (until
//! then dates count from 1970-01-01, which a reader recognises at once).

use alloc::string::String;
use core::fmt::Write as _;
use core::net::SocketAddr;

use super::time::Instant;
use super::transport::Transport;
use crate::config::{Level, LogTarget, SyslogFormat};

/// Program name in the syslog header. HAProxy's own, so log tooling written for HAProxy
/// (field extractors, dashboards) recognises the lines.
pub const LOG_TAG: &str = "haproxy";
/// Process id in the syslog header: the box runs one proxy "process".
pub const LOG_PID: u32 = 1;

/// Maps the monotonic clock to calendar time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WallClock {
    /// Unix time in milliseconds at monotonic [`Instant::ZERO`].
    pub unix_millis_at_zero: u64,
}

impl WallClock {
    /// A clock on which `now` is `unix_millis`.
    pub fn new(now: Instant, unix_millis: u64) -> WallClock {
        WallClock {
            unix_millis_at_zero: unix_millis.saturating_sub(now.as_millis()),
        }
    }

    /// Calendar time of `at`.
    pub fn civil(&self, at: Instant) -> Civil {
        Civil::from_unix_millis(self.unix_millis_at_zero.saturating_add(at.as_millis()))
    }
}

/// A UTC calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of month, 1..=31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Millisecond.
    pub millis: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Civil {
    /// Converts Unix milliseconds (days-to-civil algorithm of H. Hinnant's "chrono-Compatible
    /// Low-Level Date Algorithms").
    pub fn from_unix_millis(ms: u64) -> Civil {
        let secs = ms / 1000;
        let days = i64::try_from(secs / 86_400).unwrap_or(0);
        let rem = u32::try_from(secs % 86_400).unwrap_or(0);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
        let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
            millis: u32::try_from(ms % 1000).unwrap_or(0),
        }
    }

    fn month_name(&self) -> &'static str {
        MONTHS[(self.month.clamp(1, 12) - 1) as usize]
    }

    /// HAProxy's accept date: `06/Feb/2009:12:14:14.655`.
    pub fn write_accept_date(&self, out: &mut String) {
        let _ = write!(
            out,
            "{:02}/{}/{:04}:{:02}:{:02}:{:02}.{:03}",
            self.day,
            self.month_name(),
            self.year,
            self.hour,
            self.minute,
            self.second,
            self.millis
        );
    }
}

/// Sends one message to every target whose level filter lets it through.
pub struct Syslog<'a> {
    /// Where "now" is on the calendar.
    pub clock: WallClock,
    /// Scratch buffer for the datagram.
    pub scratch: &'a mut String,
}

impl Syslog<'_> {
    /// Frames `message` for each target and sends it.
    pub fn send<T: Transport>(
        &mut self,
        transport: &mut T,
        targets: &[LogTarget],
        level: Level,
        now: Instant,
        message: &str,
    ) {
        for target in targets {
            if level > target.max_level {
                continue;
            }
            let level = level.max(target.min_level);
            self.scratch.clear();
            frame(self.scratch, target, level, self.clock.civil(now), message);
            let bytes = self.scratch.as_bytes();
            let len = bytes.len().min(usize::from(target.max_len));
            transport.send_datagram(target.addr, &bytes[..len]);
        }
    }
}

/// Writes the syslog framing of `message` into `out`.
pub fn frame(out: &mut String, target: &LogTarget, level: Level, at: Civil, message: &str) {
    let pri = u32::from(target.facility.code()) * 8 + u32::from(level.code());
    match target.format {
        // RFC 3164 section 4.1.2: "Mmm dd hh:mm:ss", the day padded with a space. HAProxy
        // leaves the hostname out unless `log-send-hostname` is set.
        SyslogFormat::Rfc3164 => {
            let _ = write!(
                out,
                "<{pri}>{} {:>2} {:02}:{:02}:{:02} {LOG_TAG}[{LOG_PID}]: {message}",
                at.month_name(),
                at.day,
                at.hour,
                at.minute,
                at.second
            );
        }
        // RFC 5424 section 6: version 1, ISO timestamp, no hostname, no structured data.
        SyslogFormat::Rfc5424 => {
            let _ = write!(
                out,
                "<{pri}>1 {:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z - {LOG_TAG} {LOG_PID} - - {message}",
                at.year, at.month, at.day, at.hour, at.minute, at.second, at.millis
            );
        }
    }
}

/// Appends `text` to a log line with every byte that could forge, hide or break log text
/// written as `#` and two hex digits: control bytes (below 32, and 127), every byte of a
/// non-ASCII character (so U+2028 and other line or bidi controls cannot reach a log viewer),
/// `"` (it ends a quoted field), `#` (the escape itself) and `\`. HAProxy encodes its request
/// line the same way (`src/log.c`, `init_log`: the URL encoding map of bytes below 32 or from
/// 127, `"` and `#`); `\` is ours, for syslog parsers that unescape it.
pub fn push_encoded(out: &mut String, text: &str) {
    for &byte in text.as_bytes() {
        if !(0x20..0x7f).contains(&byte) || matches!(byte, b'"' | b'#' | b'\\') {
            let _ = write!(out, "#{byte:02X}");
        } else {
            out.push(char::from(byte));
        }
    }
}

/// Everything a traffic log line reports about one session or transaction.
#[derive(Debug, Clone)]
pub struct TrafficRecord<'a> {
    /// Client address.
    pub client: SocketAddr,
    /// Address the client connected to.
    pub local: SocketAddr,
    /// Accept date (`%tr` is the request date in HAProxy; bareproxy uses the start of the
    /// transaction).
    pub date: Civil,
    /// Frontend name.
    pub frontend: &'a str,
    /// Backend name, `-` style placeholders are applied when `None`.
    pub backend: Option<&'a str>,
    /// Server name.
    pub server: Option<&'a str>,
    /// HAProxy's timers in milliseconds; `None` prints `-1` (the step never happened).
    pub t_request: Option<u64>,
    /// `Tw`: time in queue.
    pub t_queue: Option<u64>,
    /// `Tc`: time to connect to the server.
    pub t_connect: Option<u64>,
    /// `Tr`: time for the server to send the response head.
    pub t_response: Option<u64>,
    /// `Ta`/`Tt`: total time.
    pub t_total: u64,
    /// HTTP status (-1 if none).
    pub status: Option<u16>,
    /// Bytes sent to the client.
    pub bytes_out: u64,
    /// Termination state: two characters, plus two for cookies in HTTP mode.
    pub termination: [u8; 4],
    /// `%ac/%fc/%bc/%sc/%rc`.
    pub conns: [u64; 5],
    /// `%sq/%bq`.
    pub queues: [u64; 2],
    /// The request line, HTTP only.
    pub request_line: &'a str,
}

fn timer(out: &mut String, t: Option<u64>) {
    match t {
        Some(t) => {
            let _ = write!(out, "{t}");
        }
        None => out.push_str("-1"),
    }
}

impl TrafficRecord<'_> {
    fn prefix(&self, out: &mut String) {
        let _ = write!(out, "{}:{} [", self.client.ip(), self.client.port());
        self.date.write_accept_date(out);
        let _ = write!(
            out,
            "] {} {}/{} ",
            self.frontend,
            self.backend.unwrap_or(self.frontend),
            self.server.unwrap_or("<NOSRV>")
        );
    }

    fn suffix(&self, out: &mut String) {
        let [ac, fc, bc, sc, rc] = self.conns;
        let [sq, bq] = self.queues;
        let _ = write!(out, " {ac}/{fc}/{bc}/{sc}/{rc} {sq}/{bq}");
    }

    /// `option tcplog` (manual 8.2.2):
    /// `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`.
    pub fn write_tcplog(&self, out: &mut String) {
        self.prefix(out);
        timer(out, self.t_queue);
        out.push('/');
        timer(out, self.t_connect);
        let _ = write!(out, "/{} {} ", self.t_total, self.bytes_out);
        out.push(char::from(self.termination[0]));
        out.push(char::from(self.termination[1]));
        self.suffix(out);
    }

    /// `option httplog` (manual 8.2.3) without captures:
    /// `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc
    /// %sq/%bq %{+Q}r`.
    pub fn write_httplog(&self, out: &mut String) {
        self.prefix(out);
        timer(out, self.t_request);
        out.push('/');
        timer(out, self.t_queue);
        out.push('/');
        timer(out, self.t_connect);
        out.push('/');
        timer(out, self.t_response);
        let _ = write!(out, "/{} ", self.t_total);
        match self.status {
            Some(s) => {
                let _ = write!(out, "{s}");
            }
            None => out.push_str("-1"),
        }
        let _ = write!(out, " {} - - ", self.bytes_out);
        for &c in &self.termination {
            out.push(char::from(c));
        }
        self.suffix(out);
        out.push_str(" \"");
        push_encoded(out, self.request_line);
        out.push('"');
    }

    /// HAProxy's default format (manual 8.2.1): `Connect from <ip>:<port> to <ip>:<port>
    /// (<frontend>/<mode>)`.
    pub fn write_default(&self, out: &mut String, mode: &str) {
        let _ = write!(
            out,
            "Connect from {}:{} to {}:{} ({}/{})",
            self.client.ip(),
            self.client.port(),
            self.local.ip(),
            self.local.port(),
            self.frontend,
            mode
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        let c = Civil::from_unix_millis(1_234_000_000_655);
        assert_eq!((c.year, c.month, c.day), (2009, 2, 7));
        assert_eq!((c.hour, c.minute, c.second, c.millis), (9, 46, 40, 655));
        let epoch = Civil::from_unix_millis(0);
        assert_eq!((epoch.year, epoch.month, epoch.day), (1970, 1, 1));
        let leap = Civil::from_unix_millis(951_782_400_000); // 2000-02-29
        assert_eq!((leap.year, leap.month, leap.day), (2000, 2, 29));
    }

    #[test]
    fn log_text_is_encoded_byte_by_byte() {
        let mut out = String::new();
        push_encoded(
            &mut out,
            "GET /a b?c=\"d\"#e\\f\u{1b}[2J\u{7f}\u{2028}\u{e9}\t\r\n HTTP/1.1",
        );
        assert_eq!(
            out,
            "GET /a b?c=#22d#22#23e#5Cf#1B[2J#7F#E2#80#A8#C3#A9#09#0D#0A HTTP/1.1"
        );
        out.clear();
        push_encoded(&mut out, "plain text: 200 OK");
        assert_eq!(out, "plain text: 200 OK");
    }
}
