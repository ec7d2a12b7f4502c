//! Handlers for the keyword lines of proxy sections and of `global`. Each takes the line's words
//! (`w[0]` is the keyword) and updates the section being built; errors carry the column of the
//! offending word and are given their file and line by the parser.

use super::acl;
use super::error::{ErrorKind, Fail};
use super::lexer::Word;
use super::limits::{
    MAX_ACL_LINES_PER_PROXY, MAX_BINDS_PER_FRONTEND, MAX_LOG_TARGETS, MAX_MAXCONN, MAX_RETRIES,
    MAX_RISE_FALL, MAX_RULES_PER_PROXY, MAX_SERVERS_PER_BACKEND, MAX_STATS_USERS,
};
use super::model::{
    Acl, Balance, Condition, CookieMode, CookiePersistence, DEFAULT_FALL, DEFAULT_INTER,
    DEFAULT_RISE, DEFAULT_WEIGHT, ForwardFor, Global, HttpRequestAction, HttpRequestRule,
    HttpResponseAction, HttpResponseRule, Level, LogFormat, LogTarget, MAX_WEIGHT, Mode, Redirect,
    RedirectKind, Server, StatsUser, SyslogFormat,
};
use super::section::{
    At, BackendRef, Draft, HttpChkDraft, HttpUse, LogSpec, OPTIONS, Origin, STATS, StatsDraft,
    TIMEOUTS,
};
use super::value::{self, ValueResult};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

type Res<T = ()> = Result<T, Fail>;

/// The word at `i`, or a "missing argument" error pointing just after the line's last word.
fn arg<'w>(w: &'w [Word], i: usize, what: &str) -> Res<&'w Word> {
    w.get(i).ok_or_else(|| {
        let column = w
            .last()
            .map(|l| l.column + l.text.chars().count() as u32 + 1);
        Fail::new(
            ErrorKind::MissingArgument,
            column,
            format!("'{}' needs {what}", keyword_text(w)),
        )
    })
}

/// Errors if there are words from `i` on.
fn end(w: &[Word], i: usize) -> Res {
    match w.get(i) {
        None => Ok(()),
        Some(extra) => Err(Fail::new(
            ErrorKind::InvalidValue,
            Some(extra.column),
            format!("unexpected '{}' after '{}'", extra.text, keyword_text(w)),
        )),
    }
}

/// The keyword to report for a line: `option httpchk`, `timeout client`, ... or the first word.
pub(crate) fn keyword_text(w: &[Word]) -> String {
    match w {
        [first, second, ..]
            if matches!(
                first.text.as_str(),
                "option" | "timeout" | "stats" | "http-check" | "http-request" | "http-response"
            ) =>
        {
            format!("{} {}", first.text, second.text)
        }
        [no, option, name, ..] if no.text == "no" && option.text == "option" => {
            format!("no option {}", name.text)
        }
        [first, ..] => first.text.clone(),
        [] => String::new(),
    }
}

/// Attaches a word's column to a value parser's message.
fn check<T>(word: &Word, result: ValueResult<T>) -> Res<T> {
    result.map_err(|m| Fail::new(ErrorKind::InvalidValue, Some(word.column), m))
}

fn invalid(word: &Word, message: impl Into<String>) -> Fail {
    Fail::new(ErrorKind::InvalidValue, Some(word.column), message)
}

fn unsupported(word: &Word, message: String) -> Fail {
    Fail::new(ErrorKind::Unsupported, Some(word.column), message)
}

fn explicit(line: u32) -> Origin {
    Origin {
        line,
        inherited: false,
    }
}

fn note_http(d: &mut Draft, line: u32, word: &Word, what: String) {
    d.http_uses.push(HttpUse {
        line,
        column: word.column,
        what,
    });
}

fn limit(word: &Word, what: &str, max: usize) -> Fail {
    Fail::new(
        ErrorKind::Limit,
        Some(word.column),
        format!("too many {what} (bareproxy allows at most {max})"),
    )
}

/// Handles one proxy-section line whose keyword is known and allowed in this section; `w` is
/// never empty.
pub(crate) fn proxy_line(d: &mut Draft, w: &[Word], line: u32) -> Res {
    match w[0].text.as_str() {
        "acl" => acl_line(d, w, line),
        "balance" => balance(d, w, line),
        "bind" => bind(d, w, line),
        "cookie" => cookie(d, w, line),
        "default_backend" => {
            let name = arg(w, 1, "a backend name")?;
            end(w, 2)?;
            check(name, value::name(&name.text, "backend"))?;
            d.default_backend = Some(At {
                value: BackendRef {
                    keyword: "default_backend",
                    name: name.text.clone(),
                    line,
                    column: name.column,
                },
                origin: explicit(line),
            });
            Ok(())
        }
        "http-check" => http_check(d, w, line),
        "http-request" => http_request(d, w, line),
        "http-response" => http_response(d, w, line),
        "log" => proxy_log(d, w, line),
        "maxconn" => {
            let n = arg(w, 1, "a number")?;
            end(w, 2)?;
            d.maxconn = Some(check(n, value::number(&n.text, 1, MAX_MAXCONN))?);
            Ok(())
        }
        "mode" => {
            let m = arg(w, 1, "'tcp' or 'http'")?;
            end(w, 2)?;
            d.mode = match m.text.as_str() {
                "tcp" => Mode::Tcp,
                "http" => Mode::Http,
                other => {
                    return Err(invalid(
                        m,
                        format!("unknown mode '{other}' (supported: tcp, http)"),
                    ));
                }
            };
            Ok(())
        }
        "monitor-uri" => {
            let u = arg(w, 1, "a URI")?;
            end(w, 2)?;
            check(u, value::uri(&u.text))?;
            d.monitor_uri = Some(At {
                value: u.text.clone(),
                origin: explicit(line),
            });
            note_http(d, line, &w[0], String::from("monitor-uri"));
            Ok(())
        }
        "option" => option(d, w, 1, true, line),
        "no" => {
            let o = arg(w, 1, "'option <name>' or 'log'")?;
            match o.text.as_str() {
                "option" => option(d, w, 2, false, line),
                "log" => no_log(d, w),
                other => Err(unsupported(
                    o,
                    format!(
                        "'no {other}' is not supported by bareproxy (only 'no option <name>' and 'no log')"
                    ),
                )),
            }
        }
        "retries" => {
            let n = arg(w, 1, "a number")?;
            end(w, 2)?;
            d.retries = check(n, value::number(&n.text, 0, MAX_RETRIES))?;
            Ok(())
        }
        "server" => server(d, w, line),
        "stats" => stats(d, w, line),
        "timeout" => timeout(d, w, line),
        "use_backend" => use_backend(d, w, line),
        // The parser only calls this for keywords in PROXY_KEYWORDS.
        other => Err(Fail::new(
            ErrorKind::UnknownKeyword,
            Some(w[0].column),
            format!("unknown keyword '{other}'"),
        )),
    }
}

fn no_log(d: &mut Draft, w: &[Word]) -> Res {
    end(w, 2)?;
    d.log.clear();
    Ok(())
}

fn bind(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let addrs = arg(w, 1, "at least one ADDRESS:PORT")?;
    let mut v4v6 = false;
    for opt in &w[2..] {
        match opt.text.as_str() {
            "v4v6" => v4v6 = true,
            // IPv6 binds are always IPv6-only on the box.
            "v6only" => v4v6 = false,
            other => {
                return Err(unsupported(
                    opt,
                    format!(
                        "bind option '{other}' is not supported by bareproxy (supported: v4v6, v6only)"
                    ),
                ));
            }
        }
    }
    for part in addrs.text.split(',') {
        let addr = check(addrs, value::bind_addr(part))?;
        let mut push = |a: SocketAddr| -> Res {
            if d.binds.len() >= MAX_BINDS_PER_FRONTEND {
                return Err(limit(
                    addrs,
                    "bind addresses in one frontend",
                    MAX_BINDS_PER_FRONTEND,
                ));
            }
            d.binds.push((a, line, addrs.column));
            Ok(())
        };
        push(addr)?;
        if v4v6 && addr.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) {
            push(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                addr.port(),
            ))?;
        }
    }
    Ok(())
}

fn balance(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let a = arg(
        w,
        1,
        "an algorithm (roundrobin, static-rr, leastconn, source, uri)",
    )?;
    let algo = match a.text.as_str() {
        "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "leastconn" => Balance::LeastConn,
        "source" => Balance::Source,
        "uri" => Balance::Uri,
        other => {
            return Err(unsupported(
                a,
                format!(
                    "balance algorithm '{other}' is not supported by bareproxy (supported: roundrobin, static-rr, leastconn, source, uri)"
                ),
            ));
        }
    };
    if let Some(extra) = w.get(2) {
        return Err(unsupported(
            extra,
            format!(
                "balance parameter '{}' is not supported by bareproxy",
                extra.text
            ),
        ));
    }
    if algo == Balance::Uri {
        note_http(d, line, a, String::from("balance uri"));
    }
    d.balance = At {
        value: algo,
        origin: explicit(line),
    };
    Ok(())
}

fn server(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let name = arg(w, 1, "a name and an ADDRESS:PORT")?;
    check(name, value::name(&name.text, "server"))?;
    let addr_word = arg(w, 2, "an ADDRESS:PORT")?;
    let addr = check(addr_word, value::server_addr(&addr_word.text))?;
    if let Some((_, first)) = d.servers.iter().find(|(s, _)| s.name == name.text) {
        return Err(Fail::new(
            ErrorKind::Duplicate,
            Some(name.column),
            format!(
                "duplicate server name '{}' in {} '{}' (first declared at line {first})",
                name.text,
                d.kind.keyword(),
                d.name
            ),
        ));
    }
    if d.servers.len() >= MAX_SERVERS_PER_BACKEND {
        return Err(limit(
            name,
            "servers in one backend",
            MAX_SERVERS_PER_BACKEND,
        ));
    }
    let mut server = Server {
        name: name.text.clone(),
        addr,
        weight: DEFAULT_WEIGHT,
        maxconn: None,
        check: false,
        inter: DEFAULT_INTER,
        rise: DEFAULT_RISE,
        fall: DEFAULT_FALL,
        backup: false,
        cookie: None,
    };
    let mut i = 3;
    while let Some(p) = w.get(i) {
        i += 1;
        match p.text.as_str() {
            "check" => server.check = true,
            "backup" => server.backup = true,
            "weight" => {
                let v = arg(w, i, "a weight (0..=256)")?;
                i += 1;
                server.weight = check(v, value::number(&v.text, 0, u32::from(MAX_WEIGHT)))? as u16;
            }
            "maxconn" => {
                let v = arg(w, i, "a number")?;
                i += 1;
                let n = check(v, value::number(&v.text, 0, MAX_MAXCONN))?;
                // Manual 5.2: 0 means no limit.
                server.maxconn = (n != 0).then_some(n);
            }
            "inter" => {
                let v = arg(w, i, "a duration")?;
                i += 1;
                let t = check(v, value::duration(&v.text))?;
                if t.is_zero() {
                    return Err(invalid(
                        v,
                        String::from("'inter' must be greater than zero"),
                    ));
                }
                server.inter = t;
            }
            "rise" | "fall" => {
                let v = arg(w, i, "a number")?;
                i += 1;
                let n = check(v, value::number(&v.text, 1, MAX_RISE_FALL))?;
                if p.text == "rise" {
                    server.rise = n;
                } else {
                    server.fall = n;
                }
            }
            "cookie" => {
                let v = arg(w, i, "a cookie value")?;
                i += 1;
                check(v, cookie_value(&v.text))?;
                server.cookie = Some(v.text.clone());
            }
            other => {
                return Err(unsupported(
                    p,
                    format!(
                        "server option '{other}' is not supported by bareproxy (supported: weight, maxconn, check, inter, rise, fall, backup, cookie)"
                    ),
                ));
            }
        }
    }
    d.servers.push((server, line));
    Ok(())
}

/// RFC 6265 cookie-octets (no blanks, quotes, commas, semicolons or backslashes).
fn cookie_value(text: &str) -> ValueResult<()> {
    let ok = |b: u8| (0x21..=0x7e).contains(&b) && !matches!(b, b'"' | b',' | b';' | b'\\');
    if text.is_empty() || !text.bytes().all(ok) {
        return Err(format!("'{text}' is not a valid cookie value"));
    }
    Ok(())
}

fn cookie(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let name = arg(w, 1, "a cookie name")?;
    check(
        name,
        value::header_name(&name.text)
            .map_err(|_| format!("'{}' is not a valid cookie name", name.text)),
    )?;
    let mut mode: Option<CookieMode> = None;
    let mut indirect = false;
    let mut nocache = false;
    for p in &w[2..] {
        let m = match p.text.as_str() {
            "insert" => Some(CookieMode::Insert),
            "rewrite" => Some(CookieMode::Rewrite),
            "prefix" => Some(CookieMode::Prefix),
            "indirect" => {
                indirect = true;
                None
            }
            "nocache" => {
                nocache = true;
                None
            }
            other => {
                return Err(unsupported(
                    p,
                    format!(
                        "cookie option '{other}' is not supported by bareproxy (supported: insert, rewrite, prefix, indirect, nocache)"
                    ),
                ));
            }
        };
        if let Some(m) = m {
            if mode.is_some_and(|prev| prev != m) {
                return Err(invalid(
                    p,
                    String::from("only one of 'insert', 'rewrite' and 'prefix' may be used"),
                ));
            }
            mode = Some(m);
        }
    }
    let Some(mode) = mode else {
        return Err(Fail::new(
            ErrorKind::MissingArgument,
            Some(name.column),
            "'cookie' needs a method: insert, rewrite or prefix (bareproxy does not support passive cookies)",
        ));
    };
    note_http(d, line, &w[0], String::from("cookie"));
    d.cookie = Some(At {
        value: CookiePersistence {
            name: name.text.clone(),
            mode,
            indirect,
            nocache,
        },
        origin: explicit(line),
    });
    Ok(())
}

fn option(d: &mut Draft, w: &[Word], at: usize, enable: bool, line: u32) -> Res {
    let o = arg(w, at, "an option name")?;
    let Some((_, allowed)) = OPTIONS.iter().find(|(n, _)| *n == o.text) else {
        let list: Vec<&str> = OPTIONS.iter().map(|(n, _)| *n).collect();
        return Err(Fail::new(
            ErrorKind::UnknownKeyword,
            Some(o.column),
            format!(
                "unknown option '{}' in {} section '{}' (not supported by bareproxy; supported options: {})",
                o.text,
                d.kind.keyword(),
                d.name,
                list.join(", ")
            ),
        ));
    };
    if !allowed.contains(d.kind) {
        return Err(Fail::new(
            ErrorKind::NotAllowedHere,
            Some(o.column),
            format!(
                "'option {}' is not allowed in a {} section",
                o.text,
                d.kind.keyword()
            ),
        ));
    }
    let args = at + 1;
    if !enable {
        end(w, args)?;
    }
    match o.text.as_str() {
        "dontlognull" => {
            end(w, args)?;
            d.dontlognull = enable;
        }
        "redispatch" => {
            if let Some(extra) = w.get(args) {
                return Err(unsupported(
                    extra,
                    String::from("'option redispatch <interval>' is not supported by bareproxy"),
                ));
            }
            d.redispatch = enable;
        }
        "httplog" | "tcplog" => {
            if let Some(extra) = w.get(args) {
                return Err(unsupported(
                    extra,
                    format!(
                        "'option {} {}' is not supported by bareproxy",
                        o.text, extra.text
                    ),
                ));
            }
            let format = match (enable, o.text.as_str()) {
                (false, _) => LogFormat::Default,
                (true, "httplog") => {
                    note_http(d, line, o, String::from("option httplog"));
                    LogFormat::Http
                }
                (true, _) => LogFormat::Tcp,
            };
            d.log_format = At {
                value: format,
                origin: explicit(line),
            };
        }
        "forwardfor" => {
            if !enable {
                d.forwardfor = None;
                return Ok(());
            }
            let mut ff = ForwardFor {
                header: String::from("X-Forwarded-For"),
                except: None,
                if_none: false,
            };
            let mut i = args;
            while let Some(p) = w.get(i) {
                i += 1;
                match p.text.as_str() {
                    "except" => {
                        let net = arg(w, i, "a network")?;
                        i += 1;
                        ff.except = Some(check(net, value::ip_net(&net.text))?);
                    }
                    "header" => {
                        let h = arg(w, i, "a header name")?;
                        i += 1;
                        check(h, value::header_name(&h.text))?;
                        ff.header = h.text.clone();
                    }
                    "if-none" => ff.if_none = true,
                    other => {
                        return Err(unsupported(
                            p,
                            format!(
                                "'option forwardfor' parameter '{other}' is not supported (supported: except, header, if-none)"
                            ),
                        ));
                    }
                }
            }
            note_http(d, line, o, String::from("option forwardfor"));
            d.forwardfor = Some(At {
                value: ff,
                origin: explicit(line),
            });
        }
        "httpchk" => {
            if !enable {
                d.httpchk = None;
                return Ok(());
            }
            end(w, args + 3)?;
            let (method, uri, version) = match &w[args..] {
                [] => (None, None, None),
                [u] => (None, Some(u), None),
                [m, u] => (Some(m), Some(u), None),
                [m, u, v, ..] => (Some(m), Some(u), Some(v)),
            };
            let mut chk = HttpChkDraft {
                method: String::from("OPTIONS"),
                uri: String::from("/"),
                version: String::from("HTTP/1.0"),
            };
            if let Some(m) = method {
                check(m, value::method(&m.text))?;
                chk.method = m.text.clone();
            }
            if let Some(u) = uri {
                check(u, value::uri(&u.text))?;
                chk.uri = u.text.clone();
            }
            if let Some(v) = version {
                if v.text != "HTTP/1.0" && v.text != "HTTP/1.1" {
                    return Err(unsupported(
                        v,
                        format!(
                            "HTTP version '{}' is not supported (use HTTP/1.0 or HTTP/1.1; extra headers spliced in with '\\r\\n' are not supported)",
                            v.text.escape_debug()
                        ),
                    ));
                }
                chk.version = v.text.clone();
            }
            d.httpchk = Some(chk);
        }
        _ => {}
    }
    Ok(())
}

fn http_check(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let sub = arg(w, 1, "'expect status <code>'")?;
    if sub.text != "expect" {
        return Err(unsupported(
            sub,
            format!(
                "'http-check {}' is not supported by bareproxy (only 'http-check expect status <code>')",
                sub.text
            ),
        ));
    }
    let what = arg(w, 2, "'status <code>'")?;
    if what.text != "status" {
        return Err(unsupported(
            what,
            format!(
                "'http-check expect {}' is not supported by bareproxy (only 'status <code>')",
                what.text
            ),
        ));
    }
    let code = arg(w, 3, "a status code")?;
    end(w, 4)?;
    let code = check(code, value::number(&code.text, 100, 599))? as u16;
    d.expect_status = Some(At {
        value: code,
        origin: explicit(line),
    });
    Ok(())
}

fn timeout(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let which = arg(w, 1, "a timeout name and a duration")?;
    let Some((_, allowed)) = TIMEOUTS.iter().find(|(n, _)| *n == which.text) else {
        let list: Vec<&str> = TIMEOUTS.iter().map(|(n, _)| *n).collect();
        return Err(Fail::new(
            ErrorKind::UnknownKeyword,
            Some(which.column),
            format!(
                "unknown keyword 'timeout {}' (not supported by bareproxy; supported timeouts: {})",
                which.text,
                list.join(", ")
            ),
        ));
    };
    if !allowed.contains(d.kind) {
        return Err(Fail::new(
            ErrorKind::NotAllowedHere,
            Some(which.column),
            format!(
                "'timeout {}' is not allowed in a {} section",
                which.text,
                d.kind.keyword()
            ),
        ));
    }
    let v = arg(w, 2, "a duration")?;
    end(w, 3)?;
    let t = check(v, value::duration(&v.text))?;
    // HAProxy treats a zero timeout as no timeout.
    let t = (!t.is_zero()).then_some(t);
    match which.text.as_str() {
        "client" => d.timeout_client = t,
        "connect" => d.timeout_connect = t,
        "server" => d.timeout_server = t,
        "queue" => d.timeout_queue = t,
        "check" => d.timeout_check = t,
        _ => {
            note_http(d, line, which, String::from("timeout http-request"));
            d.timeout_http_request = t.map(|value| At {
                value,
                origin: explicit(line),
            });
        }
    }
    Ok(())
}

fn stats(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let sub = arg(w, 1, "one of enable, uri, auth, refresh")?;
    if !STATS.contains(&sub.text.as_str()) {
        return Err(Fail::new(
            ErrorKind::UnknownKeyword,
            Some(sub.column),
            format!(
                "unknown keyword 'stats {}' (not supported by bareproxy; supported: stats enable, stats uri, stats auth, stats refresh)",
                sub.text
            ),
        ));
    }
    let mut draft = d.stats.take().map(|s| s.value).unwrap_or_default();
    let result = stats_sub(&mut draft, w, sub);
    d.stats = Some(At {
        value: draft,
        origin: explicit(line),
    });
    note_http(d, line, sub, format!("stats {}", sub.text));
    result
}

fn stats_sub(s: &mut StatsDraft, w: &[Word], sub: &Word) -> Res {
    match sub.text.as_str() {
        "enable" => end(w, 2),
        "uri" => {
            let u = arg(w, 2, "a URI prefix")?;
            end(w, 3)?;
            check(u, value::uri(&u.text))?;
            s.uri = Some(u.text.clone());
            Ok(())
        }
        "auth" => {
            let a = arg(w, 2, "<user>:<password>")?;
            end(w, 3)?;
            let Some((user, password)) = a.text.split_once(':') else {
                return Err(invalid(
                    a,
                    String::from("'stats auth' needs <user>:<password>"),
                ));
            };
            if user.is_empty() || user.chars().chain(password.chars()).any(char::is_control) {
                return Err(invalid(a, String::from("invalid user name or password")));
            }
            if s.auth.len() >= MAX_STATS_USERS {
                return Err(limit(a, "'stats auth' users", MAX_STATS_USERS));
            }
            s.auth.push(StatsUser {
                user: user.to_string(),
                password: password.to_string(),
            });
            Ok(())
        }
        _ => {
            let t = arg(w, 2, "a duration")?;
            end(w, 3)?;
            let t = check(t, value::duration(&t.text))?;
            s.refresh = (!t.is_zero()).then_some(t);
            Ok(())
        }
    }
}

fn acl_line(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let name = arg(w, 1, "a name and a criterion")?;
    check(name, value::name(&name.text, "ACL"))?;
    if d.acl_lines >= MAX_ACL_LINES_PER_PROXY {
        return Err(limit(
            name,
            "'acl' lines in one section",
            MAX_ACL_LINES_PER_PROXY,
        ));
    }
    let criterion = arg(w, 2, "a criterion (see 'acl' in the manual, section 7)")?;
    let test = acl::parse_test(&w[2..], criterion.column)?;
    if test.fetch.needs_http() {
        let what = format!("acl '{}' ({})", name.text, criterion.text);
        note_http(d, line, criterion, what);
    }
    d.acl_lines += 1;
    match d.acls.iter_mut().find(|a| a.name == name.text) {
        Some(existing) => existing.tests.push(test),
        None => d.acls.push(Acl {
            name: name.text.clone(),
            tests: alloc::vec![test],
        }),
    }
    Ok(())
}

/// Parses an optional `if|unless <condition>` starting at `w[i]`.
fn trailing_condition(d: &mut Draft, w: &[Word], i: usize, line: u32) -> Res<Option<Condition>> {
    let Some(first) = w.get(i) else {
        return Ok(None);
    };
    if first.text != "if" && first.text != "unless" {
        return Err(Fail::new(
            ErrorKind::InvalidValue,
            Some(first.column),
            format!(
                "unexpected '{}' (expected 'if' or 'unless' and a condition)",
                first.text
            ),
        ));
    }
    let acls = &d.acls;
    let uses = &mut d.http_uses;
    let condition = acl::parse_condition(&w[i..], acls, &mut |column, what| {
        uses.push(HttpUse {
            line,
            column,
            what: String::from(what),
        });
    })?;
    Ok(Some(condition))
}

fn rule_count(d: &Draft) -> usize {
    d.http_request.len() + d.http_response.len() + d.use_backend.len()
}

fn use_backend(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let name = arg(w, 1, "a backend name")?;
    if name.text.contains('%') {
        return Err(unsupported(
            name,
            String::from(
                "dynamic backend names (log-format expressions) are not supported by bareproxy",
            ),
        ));
    }
    check(name, value::name(&name.text, "backend"))?;
    if rule_count(d) >= MAX_RULES_PER_PROXY {
        return Err(limit(name, "rules in one section", MAX_RULES_PER_PROXY));
    }
    let condition = trailing_condition(d, w, 2, line)?;
    d.use_backend.push((
        BackendRef {
            keyword: "use_backend",
            name: name.text.clone(),
            line,
            column: name.column,
        },
        condition,
    ));
    Ok(())
}

fn header_args(w: &[Word], at: usize, with_value: bool) -> Res<(String, Option<String>, usize)> {
    let name = arg(w, at, "a header name")?;
    check(name, value::header_name(&name.text))?;
    if !with_value {
        return Ok((name.text.clone(), None, at + 1));
    }
    let v = arg(w, at + 1, "a header value")?;
    let value = check(v, value::literal_format(&v.text))?;
    Ok((name.text.clone(), Some(value), at + 2))
}

fn http_request(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let action_word = arg(w, 1, "an action")?;
    if rule_count(d) >= MAX_RULES_PER_PROXY {
        return Err(limit(
            action_word,
            "rules in one section",
            MAX_RULES_PER_PROXY,
        ));
    }
    note_http(d, line, &w[0], String::from("http-request"));
    let (action, next) = match action_word.text.as_str() {
        "allow" => (HttpRequestAction::Allow, 2),
        "deny" => {
            let mut status = 403;
            let mut i = 2;
            if let Some(k) = w.get(2)
                && (k.text == "deny_status" || k.text == "status")
            {
                let code = arg(w, 3, "a status code")?;
                status = check(code, value::number(&code.text, 200, 599))? as u16;
                i = 4;
            }
            (HttpRequestAction::Deny { status }, i)
        }
        "add-header" | "set-header" => {
            let (name, value, i) = header_args(w, 2, true)?;
            let value = value.unwrap_or_default();
            let action = if action_word.text == "add-header" {
                HttpRequestAction::AddHeader { name, value }
            } else {
                HttpRequestAction::SetHeader { name, value }
            };
            (action, i)
        }
        "del-header" => {
            let (name, _, i) = header_args(w, 2, false)?;
            (HttpRequestAction::DelHeader { name }, i)
        }
        "redirect" => {
            let (redirect, i) = redirect(w)?;
            (HttpRequestAction::Redirect(redirect), i)
        }
        other => {
            return Err(unsupported(
                action_word,
                format!(
                    "http-request action '{other}' is not supported by bareproxy (supported: allow, deny, add-header, set-header, del-header, redirect)"
                ),
            ));
        }
    };
    let condition = trailing_condition(d, w, next, line)?;
    d.http_request.push(HttpRequestRule { action, condition });
    Ok(())
}

fn redirect(w: &[Word]) -> Res<(Redirect, usize)> {
    let kind_word = arg(w, 2, "'location', 'prefix' or 'scheme'")?;
    let kind = match kind_word.text.as_str() {
        "location" => RedirectKind::Location,
        "prefix" => RedirectKind::Prefix,
        "scheme" => RedirectKind::Scheme,
        other => {
            return Err(invalid(
                kind_word,
                format!("unknown redirect type '{other}' (expected location, prefix or scheme)"),
            ));
        }
    };
    let target_word = arg(w, 3, "a redirect target")?;
    let target = check(target_word, value::literal_format(&target_word.text))?;
    if target.is_empty() || target.contains(' ') {
        return Err(invalid(
            target_word,
            String::from("redirect target must be non-empty and contain no blanks"),
        ));
    }
    let mut redirect = Redirect {
        kind,
        target,
        code: 302,
        drop_query: false,
        append_slash: false,
    };
    let mut i = 4;
    while let Some(p) = w.get(i) {
        match p.text.as_str() {
            "code" => {
                let c = arg(w, i + 1, "a status code")?;
                let code = check(c, value::number(&c.text, 0, 999))?;
                if ![301, 302, 303, 307, 308].contains(&code) {
                    return Err(invalid(
                        c,
                        format!("redirect code {code} is not one of 301, 302, 303, 307, 308"),
                    ));
                }
                redirect.code = code as u16;
                i += 2;
            }
            "drop-query" => {
                redirect.drop_query = true;
                i += 1;
            }
            "append-slash" => {
                redirect.append_slash = true;
                i += 1;
            }
            "if" | "unless" => break,
            other => {
                return Err(unsupported(
                    p,
                    format!(
                        "redirect option '{other}' is not supported by bareproxy (supported: code, drop-query, append-slash)"
                    ),
                ));
            }
        }
    }
    Ok((redirect, i))
}

fn http_response(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let action_word = arg(w, 1, "an action")?;
    if rule_count(d) >= MAX_RULES_PER_PROXY {
        return Err(limit(
            action_word,
            "rules in one section",
            MAX_RULES_PER_PROXY,
        ));
    }
    note_http(d, line, &w[0], String::from("http-response"));
    let (action, next) = match action_word.text.as_str() {
        "add-header" | "set-header" => {
            let (name, value, i) = header_args(w, 2, true)?;
            let value = value.unwrap_or_default();
            let action = if action_word.text == "add-header" {
                HttpResponseAction::AddHeader { name, value }
            } else {
                HttpResponseAction::SetHeader { name, value }
            };
            (action, i)
        }
        "del-header" => {
            let (name, _, i) = header_args(w, 2, false)?;
            (HttpResponseAction::DelHeader { name }, i)
        }
        other => {
            return Err(unsupported(
                action_word,
                format!(
                    "http-response action '{other}' is not supported by bareproxy (supported: add-header, set-header, del-header)"
                ),
            ));
        }
    };
    let condition = trailing_condition(d, w, next, line)?;
    d.http_response.push(HttpResponseRule { action, condition });
    Ok(())
}

fn proxy_log(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let first = arg(w, 1, "'global' or a syslog address and facility")?;
    if d.log.len() >= MAX_LOG_TARGETS {
        return Err(limit(first, "'log' lines in one section", MAX_LOG_TARGETS));
    }
    if first.text == "global" {
        end(w, 2)?;
        d.log.push(LogSpec::Global { line });
    } else {
        d.log.push(LogSpec::Target(log_target(w)?));
    }
    Ok(())
}

/// `log <address> [len <length>] [format <format>] <facility> [<max level> [<min level>]]`.
pub(crate) fn log_target(w: &[Word]) -> Res<LogTarget> {
    let addr = arg(w, 1, "a syslog address and a facility")?;
    let mut target = LogTarget {
        addr: check(addr, value::log_addr(&addr.text))?,
        max_len: 1024,
        format: SyslogFormat::Rfc3164,
        facility: super::model::Facility::User,
        max_level: Level::Debug,
        min_level: Level::Emerg,
    };
    let mut i = 2;
    while let Some(p) = w.get(i) {
        match p.text.as_str() {
            "len" => {
                let n = arg(w, i + 1, "a length (80..=65535)")?;
                target.max_len = check(n, value::number(&n.text, 80, 65535))? as u16;
                i += 2;
            }
            "format" => {
                let f = arg(w, i + 1, "a format (rfc3164 or rfc5424)")?;
                target.format = match f.text.as_str() {
                    "rfc3164" => SyslogFormat::Rfc3164,
                    "rfc5424" => SyslogFormat::Rfc5424,
                    other => {
                        return Err(unsupported(
                            f,
                            format!(
                                "log format '{other}' is not supported by bareproxy (supported: rfc3164, rfc5424)"
                            ),
                        ));
                    }
                };
                i += 2;
            }
            "sample" | "profile" => {
                return Err(unsupported(
                    p,
                    format!("log option '{}' is not supported by bareproxy", p.text),
                ));
            }
            _ => break,
        }
    }
    let facility = arg(w, i, "a syslog facility")?;
    target.facility = check(facility, value::facility(&facility.text))?;
    if let Some(max) = w.get(i + 1) {
        target.max_level = check(max, value::level(&max.text))?;
    }
    if let Some(min) = w.get(i + 2) {
        target.min_level = check(min, value::level(&min.text))?;
    }
    end(w, i + 3)?;
    Ok(target)
}

/// Handles one line of the `global` section; `w` is never empty.
pub(crate) fn global_line(g: &mut Global, w: &[Word]) -> Res {
    match w[0].text.as_str() {
        "maxconn" => {
            let n = arg(w, 1, "a number")?;
            end(w, 2)?;
            g.maxconn = check(n, value::number(&n.text, 1, MAX_MAXCONN))?;
            Ok(())
        }
        "log" => {
            if g.log.len() >= MAX_LOG_TARGETS {
                return Err(limit(&w[0], "global 'log' lines", MAX_LOG_TARGETS));
            }
            g.log.push(log_target(w)?);
            Ok(())
        }
        other => Err(Fail::new(
            ErrorKind::UnknownKeyword,
            Some(w[0].column),
            format!(
                "unknown keyword '{other}' in global section (not supported by bareproxy; supported: log, maxconn)"
            ),
        )),
    }
}
