//! Parsers for scalar argument values: numbers, durations, addresses, networks, names. They
//! return a message without location; the caller knows the line and column.

use super::limits::{MAX_DURATION_MS, MAX_NAME_LEN};
use super::model::{Facility, IpNet, Level};
use alloc::format;
use alloc::string::{String, ToString};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::str::FromStr;
use core::time::Duration;

pub(crate) type ValueResult<T> = Result<T, String>;

/// A plain decimal integer within `min..=max`.
pub(crate) fn number(text: &str, min: u32, max: u32) -> ValueResult<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a decimal number"));
    }
    match text.parse::<u64>() {
        Ok(n) if (u64::from(min)..=u64::from(max)).contains(&n) => {
            Ok(u32::try_from(n).map_err(|_| format!("'{text}' is out of range"))?)
        }
        _ => Err(format!("'{text}' is out of range ({min}..={max})")),
    }
}

/// A duration in HAProxy's time format (manual 2.4 "Time format"): a decimal number followed by
/// `us`, `ms`, `s`, `m`, `h` or `d`, milliseconds when there is no unit. HAProxy keeps timers in
/// milliseconds, so microseconds are rounded up to the next millisecond.
pub(crate) fn duration(text: &str) -> ValueResult<Duration> {
    let digits_end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(format!(
            "'{text}' is not a duration (expected a number with an optional unit: us, ms, s, m, h, d)"
        ));
    }
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is too large a duration"))?;
    let millis = match unit {
        "us" => Some(value.div_ceil(1000)),
        "" | "ms" => Some(value),
        "s" => value.checked_mul(1000),
        "m" => value.checked_mul(60_000),
        "h" => value.checked_mul(3_600_000),
        "d" => value.checked_mul(86_400_000),
        _ => {
            return Err(format!(
                "unknown time unit '{unit}' in '{text}' (supported: us, ms, s, m, h, d)"
            ));
        }
    };
    match millis {
        Some(ms) if ms <= MAX_DURATION_MS => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "duration '{text}' is too large (timer overflow: at most {MAX_DURATION_MS} ms)"
        )),
    }
}

/// Validates a proxy, server or ACL name. HAProxy allows letters, digits, `-`, `_`, `.` and `:`.
pub(crate) fn name(text: &str, what: &str) -> ValueResult<()> {
    if text.is_empty() {
        return Err(format!("{what} name is empty"));
    }
    if text.len() > MAX_NAME_LEN {
        return Err(format!(
            "{what} name '{text}' is longer than {MAX_NAME_LEN} characters"
        ));
    }
    match text
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        Some(bad) => Err(format!(
            "character '{bad}' is not allowed in {what} name '{text}' (allowed: letters, digits, '-', '_', '.', ':')"
        )),
        None => Ok(()),
    }
}

/// Splits `host:port`, `[v6]:port`, `v6:port` (last colon), `host` into host and optional port
/// text. The host may be empty (`:80`).
fn split_host_port(text: &str) -> ValueResult<(&str, Option<&str>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("'{text}' has '[' without a closing ']'"));
        };
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(format!("unexpected '{after}' after ']' in '{text}'")),
            },
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((text, None)),
    }
}

fn port(text: &str, whole: &str) -> ValueResult<u16> {
    if text.contains('-') && !text.starts_with('-') {
        return Err(format!(
            "port ranges ('{text}' in '{whole}') are not supported by bareproxy"
        ));
    }
    if text.starts_with('+') || text.starts_with('-') {
        return Err(format!(
            "relative ports ('{text}' in '{whole}') are not supported by bareproxy"
        ));
    }
    match number(text, 1, 65535) {
        Ok(p) => Ok(p as u16),
        Err(_) => Err(format!("port '{text}' in '{whole}' is not in 1..=65535")),
    }
}

/// Address family forced by an `ipv4@`/`ipv6@` (or `udp4@`/`udp6@`) prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Any,
    V4,
    V6,
}

fn strip_family<'a>(text: &'a str, v4: &str, v6: &str) -> (&'a str, Family) {
    if let Some(rest) = text.strip_prefix(v4) {
        (rest, Family::V4)
    } else if let Some(rest) = text.strip_prefix(v6) {
        (rest, Family::V6)
    } else {
        (text, Family::Any)
    }
}

fn reject_other_prefixes(text: &str) -> ValueResult<()> {
    if let Some((prefix, _)) = text.split_once('@') {
        return Err(format!(
            "address prefix '{prefix}@' is not supported by bareproxy (only IPv4/IPv6 addresses)"
        ));
    }
    if text.starts_with('/') {
        return Err(format!(
            "'{text}' looks like a UNIX socket path; bareproxy only supports IP addresses"
        ));
    }
    Ok(())
}

fn ip_for_family(host: &str, family: Family, whole: &str) -> ValueResult<IpAddr> {
    let ip = IpAddr::from_str(host).map_err(|_| {
        if host.bytes().any(|b| b.is_ascii_alphabetic()) && !host.contains(':') {
            format!(
                "'{host}' is a hostname; bareproxy has no DNS resolver, use an IPv4 or IPv6 address"
            )
        } else {
            format!("'{host}' in '{whole}' is not a valid IPv4 or IPv6 address")
        }
    })?;
    match (family, ip) {
        (Family::V4, IpAddr::V6(_)) => Err(format!("'{whole}' has 'ipv4@' but an IPv6 address")),
        (Family::V6, IpAddr::V4(_)) => Err(format!("'{whole}' has 'ipv6@' but an IPv4 address")),
        _ => Ok(ip),
    }
}

/// One address of a `bind` line: `*:80`, `:80`, `0.0.0.0:80`, `[::]:80`, `:::80`, `ipv6@:80`,
/// `192.0.2.1:80`, `[2001:db8::1]:80` (manual 4.2 "bind"). An empty or `*` host is the wildcard
/// of the family (IPv4 unless `ipv6@`).
pub(crate) fn bind_addr(text: &str) -> ValueResult<SocketAddr> {
    let (rest, family) = strip_family(text, "ipv4@", "ipv6@");
    reject_other_prefixes(rest)?;
    let (host, port_text) = split_host_port(rest)?;
    let Some(port_text) = port_text else {
        return Err(format!(
            "bind address '{text}' has no port (write it as ADDRESS:PORT)"
        ));
    };
    let port = port(port_text, text)?;
    let ip = if host.is_empty() || host == "*" {
        match family {
            Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            Family::V4 | Family::Any => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }
    } else {
        ip_for_family(host, family, text)?
    };
    Ok(SocketAddr::new(ip, port))
}

/// A server address: an IP literal and a port (manual 5.2). There is no DNS on the box and the
/// port is mandatory (HAProxy's "same port as the client connected to" is not supported).
pub(crate) fn server_addr(text: &str) -> ValueResult<SocketAddr> {
    let (rest, family) = strip_family(text, "ipv4@", "ipv6@");
    reject_other_prefixes(rest)?;
    let (host, port_text) = split_host_port(rest)?;
    // A bare IPv6 literal has colons but no port: say so rather than misreading the last group.
    if port_text.is_some() && IpAddr::from_str(host).is_err() && Ipv6Addr::from_str(rest).is_ok() {
        return Err(format!(
            "server address '{text}' has no port (write IPv6 addresses as [ADDRESS]:PORT)"
        ));
    }
    let Some(port_text) = port_text else {
        ip_for_family(host, family, text)?;
        return Err(format!(
            "server address '{text}' has no port (write it as ADDRESS:PORT)"
        ));
    };
    if port_text.is_empty() {
        return Err(format!(
            "server address '{text}' has no port (write it as ADDRESS:PORT)"
        ));
    }
    if host.is_empty() || host == "*" {
        return Err(format!("server address '{text}' has no host"));
    }
    let ip = ip_for_family(host, family, text)?;
    if ip.is_unspecified() {
        return Err(format!("server address '{text}' is a wildcard address"));
    }
    Ok(SocketAddr::new(ip, port(port_text, text)?))
}

/// A syslog server address (manual 3.1 "log"): IP with an optional port (default 514), optional
/// `udp@`, `udp4@` or `udp6@` prefix.
pub(crate) fn log_addr(text: &str) -> ValueResult<SocketAddr> {
    let without_udp = text.strip_prefix("udp@").unwrap_or(text);
    let (rest, family) = strip_family(without_udp, "udp4@", "udp6@");
    if matches!(rest, "stdout" | "stderr") {
        return Err(format!(
            "log target '{rest}' is not supported by bareproxy (the box has no console log); use a syslog server address"
        ));
    }
    reject_other_prefixes(rest)?;
    // A bare IPv6 address (no brackets, no port).
    if let Ok(v6) = Ipv6Addr::from_str(rest) {
        let ip = ip_for_family(&v6.to_string(), family, text)?;
        return Ok(SocketAddr::new(ip, 514));
    }
    let (host, port_text) = split_host_port(rest)?;
    let ip = ip_for_family(host, family, text)?;
    let port = match port_text {
        None | Some("") => 514,
        Some(p) => port(p, text)?,
    };
    Ok(SocketAddr::new(ip, port))
}

/// An IP network: `a.b.c.d`, `a.b.c.d/len`, `a.b.c.d/m.m.m.m`, `v6`, `v6/len`. Host bits are
/// cleared so that equal networks compare equal.
pub(crate) fn ip_net(text: &str) -> ValueResult<IpNet> {
    let (addr_text, len_text) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr = IpAddr::from_str(addr_text).map_err(|_| {
        if addr_text.bytes().any(|b| b.is_ascii_alphabetic()) && !addr_text.contains(':') {
            format!("'{addr_text}' is a hostname; networks must be IPv4 or IPv6 addresses")
        } else {
            format!("'{text}' is not an IPv4/IPv6 address or network")
        }
    })?;
    let max_len = if addr.is_ipv4() { 32 } else { 128 };
    let prefix_len = match len_text {
        None => max_len,
        Some(l) => match (addr, Ipv4Addr::from_str(l)) {
            (IpAddr::V4(_), Ok(mask)) => {
                let bits = mask.to_bits();
                if bits.leading_ones() + bits.trailing_zeros() != 32 {
                    return Err(format!("netmask '{l}' in '{text}' is not contiguous"));
                }
                bits.leading_ones() as u8
            }
            _ => number(l, 0, u32::from(max_len))
                .map_err(|_| format!("prefix length '{l}' in '{text}' is not in 0..={max_len}"))?
                as u8,
        },
    };
    let addr = match addr {
        IpAddr::V4(v4) => {
            let mask = if prefix_len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix_len))
            };
            IpAddr::V4(Ipv4Addr::from_bits(v4.to_bits() & mask))
        }
        IpAddr::V6(v6) => {
            let mask = if prefix_len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix_len))
            };
            IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & mask))
        }
    };
    Ok(IpNet { addr, prefix_len })
}

/// An HTTP header (field) name: a non-empty RFC 9110 token.
pub(crate) fn header_name(text: &str) -> ValueResult<()> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if text.is_empty() || !text.bytes().all(is_tchar) {
        return Err(format!("'{text}' is not a valid HTTP header name"));
    }
    Ok(())
}

/// A literal value for a place where HAProxy takes a log-format string (header values, redirect
/// targets). bareproxy supports no expressions: `%%` is a literal `%`, any other `%` is an error.
/// Control characters (CR/LF, ...) are rejected so that nothing can split a header.
pub(crate) fn literal_format(text: &str) -> ValueResult<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => match chars.next() {
                Some('%') => out.push('%'),
                _ => {
                    return Err(format!(
                        "log-format expressions like '{text}' are not supported by bareproxy; \
                         only literal text (write '%%' for a '%')"
                    ));
                }
            },
            c if c.is_control() => {
                return Err(String::from(
                    "control characters (CR, LF, TAB, ...) are not allowed in this value",
                ));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A URI path (`monitor-uri`, `stats uri`, `option httpchk`): starts with `/`, no blanks or
/// control characters.
pub(crate) fn uri(text: &str) -> ValueResult<()> {
    if !text.starts_with('/') {
        return Err(format!("URI '{text}' must start with '/'"));
    }
    if text.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!(
            "URI '{text}' contains blanks or control characters"
        ));
    }
    Ok(())
}

/// An HTTP method token (`option httpchk`, `method` ACL).
pub(crate) fn method(text: &str) -> ValueResult<()> {
    header_name(text).map_err(|_| format!("'{text}' is not a valid HTTP method"))
}

pub(crate) fn facility(text: &str) -> ValueResult<Facility> {
    Facility::ALL
        .iter()
        .find(|(_, k)| *k == text)
        .map(|(f, _)| *f)
        .ok_or_else(|| {
            format!("unknown syslog facility '{text}' (expected kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, auth2, ftp, ntp, audit, alert, cron2, local0..local7)")
        })
}

pub(crate) fn level(text: &str) -> ValueResult<Level> {
    Level::ALL
        .iter()
        .find(|(_, k)| *k == text)
        .map(|(l, _)| *l)
        .ok_or_else(|| {
            format!("unknown syslog level '{text}' (expected emerg, alert, crit, err, warning, notice, info, debug)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_haproxy_units() {
        assert_eq!(duration("5000"), Ok(Duration::from_millis(5000)));
        assert_eq!(duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(duration("1us"), Ok(Duration::from_millis(1)));
        assert_eq!(duration("1500us"), Ok(Duration::from_millis(2)));
        assert_eq!(duration("0us"), Ok(Duration::ZERO));
        assert_eq!(duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("24d"), Ok(Duration::from_secs(24 * 86_400)));
        assert!(duration("25d").is_err(), "exceeds 2^31-1 ms");
        assert!(duration("99999999999999999999999s").is_err());
        for bad in ["", "s", "5x", "5 s", "-5s", "5S", "1.5s", "5sec"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bind_address_forms() {
        let v4 = |s: &str| SocketAddr::from_str(s).unwrap();
        assert_eq!(bind_addr("*:80"), Ok(v4("0.0.0.0:80")));
        assert_eq!(bind_addr(":80"), Ok(v4("0.0.0.0:80")));
        assert_eq!(bind_addr("0.0.0.0:80"), Ok(v4("0.0.0.0:80")));
        assert_eq!(bind_addr("[::]:80"), Ok(v4("[::]:80")));
        assert_eq!(bind_addr(":::80"), Ok(v4("[::]:80")));
        assert_eq!(bind_addr("ipv6@:80"), Ok(v4("[::]:80")));
        assert_eq!(bind_addr("ipv4@*:8080"), Ok(v4("0.0.0.0:8080")));
        assert_eq!(bind_addr("2001:db8::1:443"), Ok(v4("[2001:db8::1]:443")));
        assert_eq!(bind_addr("[2001:db8::1]:443"), Ok(v4("[2001:db8::1]:443")));
        assert_eq!(bind_addr("192.0.2.7:65535"), Ok(v4("192.0.2.7:65535")));
        for bad in [
            "*",
            ":0",
            ":65536",
            ":80-90",
            "[::1",
            "[::1]80",
            "unix@/x",
            "/run/x",
            "x:80",
            "ipv4@[::]:80",
        ] {
            assert!(bind_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_address_forms() {
        assert_eq!(
            server_addr("10.0.2.2:8081"),
            Ok(SocketAddr::from_str("10.0.2.2:8081").unwrap())
        );
        assert_eq!(
            server_addr("[2001:db8::2]:80"),
            Ok(SocketAddr::from_str("[2001:db8::2]:80").unwrap())
        );
        assert!(
            server_addr("web1.example.com:80")
                .unwrap_err()
                .contains("DNS")
        );
        assert!(server_addr("localhost:80").unwrap_err().contains("DNS"));
        assert!(server_addr("10.0.0.1").unwrap_err().contains("no port"));
        assert!(server_addr("2001:db8::2").unwrap_err().contains("no port"));
        assert!(
            server_addr("10.0.0.1:+10")
                .unwrap_err()
                .contains("relative")
        );
        assert!(server_addr("0.0.0.0:80").is_err());
        assert!(server_addr(":80").is_err());
    }

    #[test]
    fn log_addresses_default_to_port_514() {
        assert_eq!(
            log_addr("127.0.0.1"),
            Ok(SocketAddr::from_str("127.0.0.1:514").unwrap())
        );
        assert_eq!(
            log_addr("udp@10.0.0.1:5140"),
            Ok(SocketAddr::from_str("10.0.0.1:5140").unwrap())
        );
        assert_eq!(
            log_addr("2001:db8::9"),
            Ok(SocketAddr::from_str("[2001:db8::9]:514").unwrap())
        );
        assert_eq!(
            log_addr("[2001:db8::9]:600"),
            Ok(SocketAddr::from_str("[2001:db8::9]:600").unwrap())
        );
        assert!(log_addr("/dev/log").is_err());
        assert!(log_addr("stdout").is_err());
        assert!(log_addr("syslog.lan").is_err());
    }

    #[test]
    fn networks() {
        let net = ip_net("10.1.2.3/8").unwrap();
        assert_eq!(net.addr, IpAddr::from_str("10.0.0.0").unwrap());
        assert_eq!(net.prefix_len, 8);
        assert_eq!(ip_net("10.0.0.0/255.255.0.0").unwrap().prefix_len, 16);
        assert_eq!(ip_net("192.0.2.1").unwrap().prefix_len, 32);
        assert_eq!(ip_net("2001:db8::/32").unwrap().prefix_len, 32);
        assert_eq!(ip_net("::/0").unwrap().prefix_len, 0);
        assert!(net.contains(IpAddr::from_str("10.200.0.1").unwrap()));
        assert!(net.contains(IpAddr::from_str("::ffff:10.9.9.9").unwrap()));
        assert!(!net.contains(IpAddr::from_str("11.0.0.1").unwrap()));
        let v6 = ip_net("2001:db8::/32").unwrap();
        assert!(v6.contains(IpAddr::from_str("2001:db8:ffff::1").unwrap()));
        assert!(!v6.contains(IpAddr::from_str("2001:db9::1").unwrap()));
        assert!(!v6.contains(IpAddr::from_str("10.0.0.1").unwrap()));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/255.0.255.0",
            "10.0.0",
            "host.lan",
            "10.0.0.0/",
        ] {
            assert!(ip_net(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn literal_formats() {
        assert_eq!(literal_format("100%% sure"), Ok(String::from("100% sure")));
        assert!(literal_format("%[src]").is_err());
        assert!(literal_format("50%").is_err());
        assert!(literal_format("a\r\nX-Evil: 1").is_err());
    }

    #[test]
    fn names_and_numbers() {
        assert!(name("web-1_a.b:c", "proxy").is_ok());
        assert!(name("web 1", "proxy").is_err());
        assert!(name("", "proxy").is_err());
        assert_eq!(number("256", 0, 256), Ok(256));
        assert!(number("257", 0, 256).is_err());
        assert!(number("+1", 0, 256).is_err());
        assert!(number("99999999999999999999999", 0, 256).is_err());
    }
}
