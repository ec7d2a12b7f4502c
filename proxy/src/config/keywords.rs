//! The keywords of proxy sections and of `global`, each written once: a table entry names the
//! keyword, says where it is allowed (manual 4.1 "Proxy keywords matrix") and carries the
//! handler of its lines. The parser looks a line's first word up in [`PROXY_KEYWORDS`] or
//! [`GLOBAL_KEYWORDS`] and calls the handler; `option`, `timeout` and `stats` look their
//! second word up in [`OPTIONS`], [`TIMEOUTS`] and [`STATS`] the same way. Adding a keyword
//! is adding one entry and its handler; the "supported: ..." lists in error messages are read
//! from the tables.
//!
//! HAProxy has the same shape: `cfg_parse_listen()` and `cfg_parse_global()`
//! (src/cfgparse-listen.c, src/cfgparse-global.c) fall back to the registered
//! `struct cfg_keyword` entries (a section, a keyword and its parse function, see
//! `cfg_register_keywords()` in src/cfgparse.c), and `option` names live in `cfg_opts[]`
//! (src/proxy.c) with the capabilities they need.
//!
//! # Where things are
//!
//! | item | what |
//! | --- | --- |
//! | [`PROXY_KEYWORDS`] | first words of proxy-section lines: where allowed, naming, handler |
//! | [`OPTIONS`], [`TIMEOUTS`], [`STATS`] | second words of `option`, `timeout`, `stats` lines |
//! | [`GLOBAL_KEYWORDS`] | lines of the `global` section |
//! | [`keyword_text`] | how errors name a line's keyword (`timeout client`, `no option x`) |
//! | `arg`, `end`, `check`, ... | argument helpers that build the error texts |
//! | the handlers | below the tables: proxy keywords (each `option`, `timeout`, `stats` word beside its first word), then `global` |
//!
//! Each handler takes the line's words (`w[0]` is the keyword) and updates the section being
//! built; errors carry the column of the offending word and are given their file and line by
//! the parser.

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
    Allowed, At, BackendRef, Draft, HttpChkDraft, HttpUse, LogSpec, Origin, StatsDraft,
};
use super::value::{self, ValueResult};
use crate::http::HttpMode;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::time::Duration;

type Res<T = ()> = Result<T, Fail>;

// ---- the tables ------------------------------------------------------------------------------

/// How errors name the keyword of a line ([`keyword_text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// By its first word: `bind`.
    Word,
    /// By its first two words, the second refining the first: `option httpchk`,
    /// `timeout client`, `http-request deny`.
    TwoWords,
    /// `no option <name>` by all three words, other `no` lines by the first.
    Negation,
}

/// Handles a proxy-section line (`w[0]` is the keyword) at the given line number.
pub(crate) type ProxyHandler = fn(&mut Draft, &[Word], u32) -> Res;
/// Handles an `option` line once its name is found and allowed (a `no option` line has been
/// checked to carry no arguments).
pub(crate) type OptionHandler = fn(&mut Draft, &[Word], OptionLine) -> Res;
/// Stores a `timeout` (`None`: zero, which HAProxy treats as no timeout); the word is the
/// timeout's name, for HTTP-only ones.
pub(crate) type TimeoutSetter = fn(&mut Draft, Option<Duration>, &Word, u32);
/// Handles a `stats` line (`w[1]` is the sub-keyword) on the section's statistics draft.
pub(crate) type StatsHandler = fn(&mut StatsDraft, &[Word]) -> Res;
/// Handles a `global` line.
pub(crate) type GlobalHandler = fn(&mut Global, &[Word]) -> Res;

/// A first word of proxy-section lines.
pub(crate) struct ProxyKeyword {
    pub name: &'static str,
    /// The section kinds it is allowed in.
    pub allowed: Allowed,
    pub naming: Naming,
    pub handler: ProxyHandler,
}

const fn proxy(
    name: &'static str,
    allowed: Allowed,
    naming: Naming,
    handler: ProxyHandler,
) -> ProxyKeyword {
    ProxyKeyword {
        name,
        allowed,
        naming,
        handler,
    }
}

/// First keywords of proxy lines, where they are allowed (manual 4.1) and their handlers, in
/// the order error messages list them. `option`, `no`, `timeout` and `stats` are refined by
/// their second word ([`OPTIONS`], [`TIMEOUTS`], [`STATS`]).
// One row per keyword, aligned so the matrix reads as one (rustfmt would break long rows).
#[rustfmt::skip]
pub(crate) const PROXY_KEYWORDS: &[ProxyKeyword] = &[
    proxy("acl",             Allowed::FLB, Naming::Word,     acl_line),
    proxy("balance",         Allowed::DLB, Naming::Word,     balance),
    proxy("bind",            Allowed::FL,  Naming::Word,     bind),
    proxy("cookie",          Allowed::DLB, Naming::Word,     cookie),
    proxy("default_backend", Allowed::DFL, Naming::Word,     default_backend),
    proxy("http-check",      Allowed::DLB, Naming::TwoWords, http_check),
    proxy("http-request",    Allowed::FLB, Naming::TwoWords, http_request),
    proxy("http-response",   Allowed::FLB, Naming::TwoWords, http_response),
    proxy("log",             Allowed::ALL, Naming::Word,     proxy_log),
    proxy("maxconn",         Allowed::DFL, Naming::Word,     maxconn),
    proxy("mode",            Allowed::ALL, Naming::Word,     mode),
    proxy("monitor-uri",     Allowed::DFL, Naming::Word,     monitor_uri),
    proxy("no",              Allowed::ALL, Naming::Negation, no),
    proxy("option",          Allowed::ALL, Naming::TwoWords, option_line),
    proxy("retries",         Allowed::DLB, Naming::Word,     retries),
    proxy("server",          Allowed::LB,  Naming::Word,     server),
    proxy("stats",           Allowed::ALL, Naming::TwoWords, stats),
    proxy("timeout",         Allowed::ALL, Naming::TwoWords, timeout),
    proxy("use_backend",     Allowed::FL,  Naming::Word,     use_backend),
];

/// The proxy keyword `name`, if bareproxy has it.
pub(crate) fn proxy_keyword(name: &str) -> Option<&'static ProxyKeyword> {
    PROXY_KEYWORDS.iter().find(|k| k.name == name)
}

/// Why a box cannot honour a keyword, for those HAProxy has and bareproxy refuses rather than
/// ignore (its meaning would be lost silently).
const NO_TLS: &str = "bareproxy has no TLS; terminate TLS in front of the box";

/// Proxy-section keywords bareproxy refuses, and why.
const PROXY_REFUSED: &[(&str, &str)] = &[
    ("compression", "bareproxy does not compress responses"),
    (
        "filter",
        "bareproxy has no filters (compression, cache, SPOE, trace)",
    ),
    ("http-request cache-use", "bareproxy has no cache"),
    ("http-response cache-store", "bareproxy has no cache"),
];

/// Why a proxy-section line is refused although HAProxy has its keyword, if it is one the box
/// cannot honour.
pub(crate) fn proxy_refused(w: &[Word]) -> Option<Fail> {
    let first = w.first()?;
    let two = w
        .get(1)
        .map(|s| alloc::format!("{} {}", first.text, s.text));
    PROXY_REFUSED
        .iter()
        .find(|(k, _)| *k == first.text || two.as_deref() == Some(k))
        .map(|(k, why)| unsupported(first, format!("'{k}': {why}")))
}

/// `global` keywords that mean nothing on a box: accepted, each with a warning that says what
/// happens instead (manual 3: what HAProxy does with them on a Unix host).
const GLOBAL_IGNORED: &[(&str, &str)] = &[
    ("ca-base", "bareproxy has no TLS and no filesystem"),
    ("chroot", "a box has no filesystem to confine the proxy in"),
    (
        "cpu-map",
        "bareproxy runs one event loop on the box's single core",
    ),
    ("crt-base", "bareproxy has no TLS and no filesystem"),
    (
        "daemon",
        "the firmware runs alone on the box; there is nothing to detach from",
    ),
    ("default-path", "a box has no filesystem"),
    ("gid", "a box has no users or groups"),
    ("group", "a box has no users or groups"),
    (
        "hard-stop-after",
        "a new configuration needs a reboot of the box; there is no soft stop",
    ),
    ("master-worker", "there is one process"),
    (
        "nbproc",
        "bareproxy runs one event loop on the box's single core",
    ),
    (
        "nbthread",
        "bareproxy runs one event loop on the box's single core",
    ),
    ("pidfile", "a box has no filesystem and no process ids"),
    (
        "stats",
        "the runtime API ('stats socket') is not available on the box yet",
    ),
    ("uid", "a box has no users or groups"),
    ("user", "a box has no users or groups"),
    (
        "zero-warning",
        "the box starts whatever the warnings; check-config shows them all",
    ),
];

/// `global` keywords bareproxy refuses, and why.
const GLOBAL_REFUSED: &[(&str, &str)] = &[
    ("lua-load", "bareproxy has no Lua"),
    ("lua-prepend-path", "bareproxy has no Lua"),
    ("ssl-default-bind-ciphers", NO_TLS),
    ("ssl-default-bind-ciphersuites", NO_TLS),
    ("ssl-default-bind-options", NO_TLS),
    ("ssl-default-server-ciphers", NO_TLS),
    ("ssl-default-server-ciphersuites", NO_TLS),
    ("ssl-default-server-options", NO_TLS),
    ("ssl-dh-param-file", NO_TLS),
    ("ssl-server-verify", NO_TLS),
    ("tune.ssl.default-dh-param", NO_TLS),
];

/// Whether a `log` address is a local sink a box does not have: a UNIX socket path, or the
/// process's standard output or error (manual 3.1 "log").
fn is_local_log_sink(address: &str) -> bool {
    address.starts_with('/')
        || address.starts_with("unix@")
        || matches!(address, "stdout" | "stderr" | "fd@1" | "fd@2")
}

/// A second word allowed in some section kinds (an `option` or `timeout` name), and its
/// handler `H`.
pub(crate) struct Scoped<H> {
    pub name: &'static str,
    pub allowed: Allowed,
    pub handler: H,
}

const fn scoped<H>(name: &'static str, allowed: Allowed, handler: H) -> Scoped<H> {
    Scoped {
        name,
        allowed,
        handler,
    }
}

/// A keyword valid wherever its section or first word is (a `stats` sub-keyword, a `global`
/// keyword), and its handler `H`.
pub(crate) struct Named<H> {
    pub name: &'static str,
    pub handler: H,
}

const fn named<H>(name: &'static str, handler: H) -> Named<H> {
    Named { name, handler }
}

/// An `option` (or `no option`) line: where its name is, and which of the two it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptionLine {
    /// Index of the option's name in the line's words; its arguments follow.
    pub at: usize,
    /// `option` rather than `no option`.
    pub enable: bool,
    pub line: u32,
}

impl OptionLine {
    /// Index of the first argument.
    fn args(self) -> usize {
        self.at + 1
    }
}

/// `option` names bareproxy supports, where (manual 4.2 "option ...") and their handlers.
pub(crate) const OPTIONS: &[Scoped<OptionHandler>] = &[
    scoped("dontlognull", Allowed::DFL, option_dontlognull),
    scoped("forwardfor", Allowed::ALL, option_forwardfor),
    scoped("http-keep-alive", Allowed::ALL, |d, w, o| {
        http_mode(d, w, o, HttpMode::KeepAlive)
    }),
    scoped("http-server-close", Allowed::ALL, |d, w, o| {
        http_mode(d, w, o, HttpMode::ServerClose)
    }),
    scoped("httpchk", Allowed::DLB, option_httpchk),
    scoped("httpclose", Allowed::ALL, |d, w, o| {
        http_mode(d, w, o, HttpMode::Close)
    }),
    scoped("httplog", Allowed::DFL, option_httplog),
    scoped("redispatch", Allowed::DLB, option_redispatch),
    scoped("tcplog", Allowed::DFL, option_tcplog),
];

/// `timeout` names bareproxy supports, where (manual 4.2 "timeout ...") and what they set.
pub(crate) const TIMEOUTS: &[Scoped<TimeoutSetter>] = &[
    scoped("check", Allowed::DLB, |d, t, _, _| d.timeout_check = t),
    scoped("client", Allowed::DFL, |d, t, _, _| d.timeout_client = t),
    scoped("connect", Allowed::DLB, |d, t, _, _| d.timeout_connect = t),
    // Allowed in a backend as in HAProxy, where the client side's (frontend's) value applies.
    scoped("http-keep-alive", Allowed::ALL, |d, t, _, _| {
        d.timeout_http_keep_alive = t
    }),
    scoped("http-request", Allowed::ALL, timeout_http_request),
    scoped("queue", Allowed::DLB, |d, t, _, _| d.timeout_queue = t),
    scoped("server", Allowed::DLB, |d, t, _, _| d.timeout_server = t),
    scoped("tunnel", Allowed::DLB, |d, t, _, _| d.timeout_tunnel = t),
];

/// `stats` sub-keywords bareproxy supports (manual 4.2 "stats ...": all four section kinds),
/// in the order error messages list them.
pub(crate) const STATS: &[Named<StatsHandler>] = &[
    named("enable", |_, w| end(w, 2)),
    named("uri", stats_uri),
    named("auth", stats_auth),
    named("refresh", stats_refresh),
];

/// `global` keywords bareproxy supports (manual 3), in the order error messages list them.
pub(crate) const GLOBAL_KEYWORDS: &[Named<GlobalHandler>] = &[
    named("log", global_log),
    named("maxconn", global_maxconn),
    named("tune.bufsize", |g, w| {
        tune_number(w, 1024, 1 << 20, &mut g.tune.bufsize)
    }),
    named("tune.http.maxhdr", tune_http_maxhdr),
    named("tune.maxrewrite", |g, w| {
        tune_number(w, 0, 1 << 20, &mut g.tune.maxrewrite)
    }),
];

// ---- helpers ---------------------------------------------------------------------------------

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

/// The keyword to report for a line: `option httpchk`, `timeout client`, ... or the first word
/// (as its [`ProxyKeyword::naming`] says; the `global` keywords are all named by one word).
pub(crate) fn keyword_text(w: &[Word]) -> String {
    let Some((first, rest)) = w.split_first() else {
        return String::new();
    };
    match (proxy_keyword(&first.text).map(|k| k.naming), rest) {
        (Some(Naming::TwoWords), [second, ..]) => format!("{} {}", first.text, second.text),
        (Some(Naming::Negation), [option, name, ..]) if option.text == "option" => {
            format!("no option {}", name.text)
        }
        _ => first.text.clone(),
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

// ---- proxy keywords --------------------------------------------------------------------------

fn default_backend(d: &mut Draft, w: &[Word], line: u32) -> Res {
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

fn maxconn(d: &mut Draft, w: &[Word], _line: u32) -> Res {
    let n = arg(w, 1, "a number")?;
    end(w, 2)?;
    d.maxconn = Some(check(n, value::number(&n.text, 1, MAX_MAXCONN))?);
    Ok(())
}

fn mode(d: &mut Draft, w: &[Word], _line: u32) -> Res {
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

fn monitor_uri(d: &mut Draft, w: &[Word], line: u32) -> Res {
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

fn option_line(d: &mut Draft, w: &[Word], line: u32) -> Res {
    option(
        d,
        w,
        OptionLine {
            at: 1,
            enable: true,
            line,
        },
    )
}

/// `no option <name>` and `no log` (manual 4 "no" prefix).
fn no(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let o = arg(w, 1, "'option <name>' or 'log'")?;
    match o.text.as_str() {
        "option" => option(
            d,
            w,
            OptionLine {
                at: 2,
                enable: false,
                line,
            },
        ),
        "log" => no_log(d, w),
        other => Err(unsupported(
            o,
            format!(
                "'no {other}' is not supported by bareproxy (only 'no option <name>' and 'no log')"
            ),
        )),
    }
}

fn retries(d: &mut Draft, w: &[Word], _line: u32) -> Res {
    let n = arg(w, 1, "a number")?;
    end(w, 2)?;
    d.retries = check(n, value::number(&n.text, 0, MAX_RETRIES))?;
    Ok(())
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
            "ssl" | "crt" | "crt-list" | "alpn" | "ca-file" | "verify" | "ciphers" | "quic" => {
                return Err(unsupported(
                    opt,
                    format!("bind option '{}': {NO_TLS}", opt.text),
                ));
            }
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

/// Finds an `option` line's name in [`OPTIONS`], checks where it is allowed and calls its
/// handler.
fn option(d: &mut Draft, w: &[Word], opt: OptionLine) -> Res {
    let o = arg(w, opt.at, "an option name")?;
    let Some(entry) = OPTIONS.iter().find(|k| k.name == o.text) else {
        let list: Vec<&str> = OPTIONS.iter().map(|k| k.name).collect();
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
    if !entry.allowed.contains(d.kind) {
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
    if !opt.enable {
        end(w, opt.args())?;
    }
    (entry.handler)(d, w, opt)
}

/// `option http-keep-alive | http-server-close | httpclose`: the last one written wins; `no`
/// before one of them goes back to keep-alive, HAProxy's default mode (manual 4.2).
fn http_mode(d: &mut Draft, w: &[Word], opt: OptionLine, mode: HttpMode) -> Res {
    end(w, opt.args())?;
    d.http_mode = if opt.enable {
        mode
    } else {
        HttpMode::KeepAlive
    };
    Ok(())
}

fn option_dontlognull(d: &mut Draft, w: &[Word], opt: OptionLine) -> Res {
    end(w, opt.args())?;
    d.dontlognull = opt.enable;
    Ok(())
}

fn option_redispatch(d: &mut Draft, w: &[Word], opt: OptionLine) -> Res {
    if let Some(extra) = w.get(opt.args()) {
        return Err(unsupported(
            extra,
            String::from("'option redispatch <interval>' is not supported by bareproxy"),
        ));
    }
    d.redispatch = opt.enable;
    Ok(())
}

fn option_httplog(d: &mut Draft, w: &[Word], opt: OptionLine) -> Res {
    log_format(d, w, opt, LogFormat::Http)
}

fn option_tcplog(d: &mut Draft, w: &[Word], opt: OptionLine) -> Res {
    log_format(d, w, opt, LogFormat::Tcp)
}

/// `option httplog` / `option tcplog`: the traffic log format; `no option` of either is the
/// default format (manual 8.2.1).
fn log_format(d: &mut Draft, w: &[Word], opt: OptionLine, format: LogFormat) -> Res {
    let o = &w[opt.at];
    if let Some(extra) = w.get(opt.args()) {
        return Err(unsupported(
            extra,
            format!(
                "'option {} {}' is not supported by bareproxy",
                o.text, extra.text
            ),
        ));
    }
    let format = match (opt.enable, format) {
        (false, _) => LogFormat::Default,
        (true, LogFormat::Http) => {
            note_http(d, opt.line, o, String::from("option httplog"));
            LogFormat::Http
        }
        (true, format) => format,
    };
    d.log_format = At {
        value: format,
        origin: explicit(opt.line),
    };
    Ok(())
}

fn option_forwardfor(d: &mut Draft, w: &[Word], opt: OptionLine) -> Res {
    if !opt.enable {
        d.forwardfor = None;
        return Ok(());
    }
    let mut ff = ForwardFor {
        header: String::from("X-Forwarded-For"),
        except: None,
        if_none: false,
    };
    let mut i = opt.args();
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
    note_http(d, opt.line, &w[opt.at], String::from("option forwardfor"));
    d.forwardfor = Some(At {
        value: ff,
        origin: explicit(opt.line),
    });
    Ok(())
}

fn option_httpchk(d: &mut Draft, w: &[Word], opt: OptionLine) -> Res {
    if !opt.enable {
        d.httpchk = None;
        return Ok(());
    }
    let args = opt.args();
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
    let Some(entry) = TIMEOUTS.iter().find(|k| k.name == which.text) else {
        let list: Vec<&str> = TIMEOUTS.iter().map(|k| k.name).collect();
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
    if !entry.allowed.contains(d.kind) {
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
    (entry.handler)(d, t, which, line);
    Ok(())
}

/// HTTP-only, and remembered with its line: a backend's own one draws a warning.
fn timeout_http_request(d: &mut Draft, t: Option<Duration>, which: &Word, line: u32) {
    note_http(d, line, which, String::from("timeout http-request"));
    d.timeout_http_request = t.map(|value| At {
        value,
        origin: explicit(line),
    });
}

fn stats(d: &mut Draft, w: &[Word], line: u32) -> Res {
    let names: Vec<&str> = STATS.iter().map(|k| k.name).collect();
    let sub = arg(w, 1, &format!("one of {}", names.join(", ")))?;
    let Some(entry) = STATS.iter().find(|k| k.name == sub.text) else {
        let list: Vec<String> = names.iter().map(|n| format!("stats {n}")).collect();
        return Err(Fail::new(
            ErrorKind::UnknownKeyword,
            Some(sub.column),
            format!(
                "unknown keyword 'stats {}' (not supported by bareproxy; supported: {})",
                sub.text,
                list.join(", ")
            ),
        ));
    };
    let mut draft = d.stats.take().map(|s| s.value).unwrap_or_default();
    // The draft is out of `d` while the handler runs: it goes back before any error is returned.
    let result = (entry.handler)(&mut draft, w);
    d.stats = Some(At {
        value: draft,
        origin: explicit(line),
    });
    note_http(d, line, sub, format!("stats {}", sub.text));
    result
}

fn stats_uri(s: &mut StatsDraft, w: &[Word]) -> Res {
    let u = arg(w, 2, "a URI prefix")?;
    end(w, 3)?;
    check(u, value::uri(&u.text))?;
    s.uri = Some(u.text.clone());
    Ok(())
}

fn stats_auth(s: &mut StatsDraft, w: &[Word]) -> Res {
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

fn stats_refresh(s: &mut StatsDraft, w: &[Word]) -> Res {
    let t = arg(w, 2, "a duration")?;
    end(w, 3)?;
    let t = check(t, value::duration(&t.text))?;
    s.refresh = (!t.is_zero()).then_some(t);
    Ok(())
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

// ---- global keywords -------------------------------------------------------------------------

/// Handles one line of the `global` section through [`GLOBAL_KEYWORDS`]; `w` is never empty.
/// `Ok(Some(warning))` for a line that is accepted but changes nothing on a box.
pub(crate) fn global_line(g: &mut Global, w: &[Word]) -> Res<Option<String>> {
    let keyword = w[0].text.as_str();
    if let Some((_, why)) = GLOBAL_IGNORED.iter().find(|(k, _)| *k == keyword) {
        return Ok(Some(format!("'{keyword}' ignored: {why}")));
    }
    if let Some((_, why)) = GLOBAL_REFUSED.iter().find(|(k, _)| *k == keyword) {
        return Err(unsupported(&w[0], format!("'{keyword}': {why}")));
    }
    if keyword == "log" && w.get(1).is_some_and(|a| is_local_log_sink(&a.text)) {
        return Ok(Some(format!(
            "'log {}' ignored: a box has no local log sink; send logs to a syslog server with \
             'log <ip>:<port> <facility>'",
            w[1].text
        )));
    }
    let Some(entry) = GLOBAL_KEYWORDS.iter().find(|k| k.name == keyword) else {
        let list: Vec<&str> = GLOBAL_KEYWORDS.iter().map(|k| k.name).collect();
        return Err(Fail::new(
            ErrorKind::UnknownKeyword,
            Some(w[0].column),
            format!(
                "unknown keyword '{}' in global section (not supported by bareproxy; supported: {})",
                w[0].text,
                list.join(", ")
            ),
        ));
    };
    (entry.handler)(g, w).map(|()| None)
}

fn global_maxconn(g: &mut Global, w: &[Word]) -> Res {
    let n = arg(w, 1, "a number")?;
    end(w, 2)?;
    g.maxconn = check(n, value::number(&n.text, 1, MAX_MAXCONN))?;
    Ok(())
}

/// `tune.bufsize N`, `tune.maxrewrite N`: a number of bytes in `min..=max` (manual 3.2; the
/// engine cuts a reserve of half the buffer or more to half, as HAProxy does).
fn tune_number(w: &[Word], min: u32, max: u32, into: &mut Option<u32>) -> Res {
    let n = arg(w, 1, "a number of bytes")?;
    end(w, 2)?;
    *into = Some(check(n, value::number(&n.text, min, max))?);
    Ok(())
}

/// `tune.http.maxhdr N`: HAProxy takes up to 32767; the codec parses heads on a fixed table
/// of `http::MAX_HEADERS_CAP` fields, so more is refused rather than silently lowered.
fn tune_http_maxhdr(g: &mut Global, w: &[Word]) -> Res {
    let n = arg(w, 1, "a number")?;
    end(w, 2)?;
    let cap = crate::http::MAX_HEADERS_CAP as u32;
    let value = check(n, value::number(&n.text, 1, 32767))?;
    if value > cap {
        return Err(unsupported(
            n,
            format!("'tune.http.maxhdr {value}': bareproxy holds at most {cap} header fields"),
        ));
    }
    g.tune.http_maxhdr = Some(value);
    Ok(())
}

fn global_log(g: &mut Global, w: &[Word]) -> Res {
    if g.log.len() >= MAX_LOG_TARGETS {
        return Err(limit(&w[0], "global 'log' lines", MAX_LOG_TARGETS));
    }
    g.log.push(log_target(w)?);
    Ok(())
}
