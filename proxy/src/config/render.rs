//! `Display` for [`Config`]: renders a normalised configuration in HAProxy syntax, with defaults
//! applied, `listen` sections split into `frontend` + `backend`, `log global` expanded and every
//! value explicit. Parsing the output gives back an equal [`Config`] (`check-config --dump`
//! prints it, and the tests check the round trip).

use super::acl::render_test;
use super::model::{
    Acl, AclRef, Backend, Balance, Condition, Config, CookieMode, ForwardFor, Frontend,
    HttpRequestAction, HttpResponseAction, LogFormat, LogTarget, ProxyLog, RedirectKind, Stats,
    SyslogFormat,
};
use super::parser::mode_name;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Display, Formatter, Write};
use core::time::Duration;

/// A word quoted so that the lexer reads it back unchanged.
struct Quoted<'a>(&'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let plain = !s.is_empty()
            && !s.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '#' | '\'' | '"' | '\\' | '$')
            });
        if plain {
            return f.write_str(s);
        }
        f.write_char('"')?;
        for c in s.chars() {
            match c {
                '"' | '\\' | '$' => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                '\r' => f.write_str("\\r")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// A literal rendered where HAProxy expects a log-format string: `%` doubled, then quoted.
struct Literal<'a>(&'a str);

impl Display for Literal<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let escaped: String = self.0.replace('%', "%%");
        Quoted(&escaped).fmt(f)
    }
}

/// A duration in the largest HAProxy unit that represents it exactly.
pub(crate) struct Time(pub Duration);

impl Display for Time {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
        ] {
            if ms != 0 && ms.is_multiple_of(size) {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl Display for Config {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "global")?;
        writeln!(f, "    maxconn {}", self.global.maxconn)?;
        let tune = &self.global.tune;
        for (name, value) in [
            ("tune.bufsize", tune.bufsize),
            ("tune.maxrewrite", tune.maxrewrite),
            ("tune.http.maxhdr", tune.http_maxhdr),
        ] {
            if let Some(v) = value {
                writeln!(f, "    {name} {v}")?;
            }
        }
        for target in &self.global.log {
            log_line(f, target)?;
        }
        for frontend in &self.frontends {
            writeln!(f)?;
            render_frontend(f, frontend, self)?;
        }
        for backend in &self.backends {
            writeln!(f)?;
            render_backend(f, backend)?;
        }
        Ok(())
    }
}

fn log_line(f: &mut Formatter<'_>, t: &LogTarget) -> fmt::Result {
    let format = match t.format {
        SyslogFormat::Rfc3164 => "rfc3164",
        SyslogFormat::Rfc5424 => "rfc5424",
    };
    writeln!(
        f,
        "    log {} len {} format {format} {} {} {}",
        t.addr,
        t.max_len,
        t.facility.keyword(),
        t.max_level.keyword(),
        t.min_level.keyword()
    )
}

fn proxy_log(f: &mut Formatter<'_>, log: &ProxyLog) -> fmt::Result {
    for target in &log.targets {
        log_line(f, target)?;
    }
    match log.format {
        LogFormat::Default => {}
        LogFormat::Tcp => writeln!(f, "    option tcplog")?,
        LogFormat::Http => writeln!(f, "    option httplog")?,
    }
    if log.dontlognull {
        writeln!(f, "    option dontlognull")?;
    }
    Ok(())
}

fn forwardfor(f: &mut Formatter<'_>, ff: &ForwardFor) -> fmt::Result {
    write!(f, "    option forwardfor header {}", Quoted(&ff.header))?;
    if let Some(net) = &ff.except {
        write!(f, " except {}/{}", net.addr, net.prefix_len)?;
    }
    if ff.if_none {
        f.write_str(" if-none")?;
    }
    writeln!(f)
}

fn stats(f: &mut Formatter<'_>, s: &Stats) -> fmt::Result {
    writeln!(f, "    stats enable")?;
    writeln!(f, "    stats uri {}", Quoted(&s.uri))?;
    for user in &s.auth {
        let pair = alloc::format!("{}:{}", user.user, user.password);
        writeln!(f, "    stats auth {}", Quoted(&pair))?;
    }
    if let Some(refresh) = s.refresh {
        writeln!(f, "    stats refresh {}", Time(refresh))?;
    }
    Ok(())
}

fn acls(f: &mut Formatter<'_>, acls: &[Acl]) -> fmt::Result {
    for acl in acls {
        for test in &acl.tests {
            write!(f, "    acl {}", acl.name)?;
            for word in render_test(test) {
                write!(f, " {}", Quoted(&word))?;
            }
            writeln!(f)?;
        }
    }
    Ok(())
}

fn condition(f: &mut Formatter<'_>, c: &Option<Condition>, acls: &[Acl]) -> fmt::Result {
    let Some(c) = c else { return Ok(()) };
    f.write_str(if c.negate { " unless" } else { " if" })?;
    for (i, group) in c.any_of.iter().enumerate() {
        if i > 0 {
            f.write_str(" or")?;
        }
        for term in group {
            f.write_char(' ')?;
            if term.negated {
                f.write_char('!')?;
            }
            match &term.acl {
                AclRef::Named(index) => match acls.get(*index) {
                    Some(acl) => f.write_str(&acl.name)?,
                    None => return Err(fmt::Error),
                },
                AclRef::Builtin(b) => f.write_str(b.name())?,
                AclRef::Anonymous(test) => {
                    // `!{ ... }` is not HAProxy syntax: a lone `!` word negates the next term.
                    if term.negated {
                        f.write_char(' ')?;
                    }
                    f.write_str("{")?;
                    for word in render_test(test) {
                        write!(f, " {}", Quoted(&word))?;
                    }
                    f.write_str(" }")?;
                }
            }
        }
    }
    Ok(())
}

fn rules(
    f: &mut Formatter<'_>,
    acl_list: &[Acl],
    requests: &[super::model::HttpRequestRule],
    responses: &[super::model::HttpResponseRule],
) -> fmt::Result {
    for rule in requests {
        f.write_str("    http-request ")?;
        match &rule.action {
            HttpRequestAction::Allow => f.write_str("allow")?,
            HttpRequestAction::Deny { status } => write!(f, "deny deny_status {status}")?,
            HttpRequestAction::AddHeader { name, value } => {
                write!(f, "add-header {} {}", Quoted(name), Literal(value))?
            }
            HttpRequestAction::SetHeader { name, value } => {
                write!(f, "set-header {} {}", Quoted(name), Literal(value))?
            }
            HttpRequestAction::DelHeader { name } => write!(f, "del-header {}", Quoted(name))?,
            HttpRequestAction::Redirect(r) => {
                let kind = match r.kind {
                    RedirectKind::Location => "location",
                    RedirectKind::Prefix => "prefix",
                    RedirectKind::Scheme => "scheme",
                };
                write!(f, "redirect {kind} {} code {}", Literal(&r.target), r.code)?;
                if r.drop_query {
                    f.write_str(" drop-query")?;
                }
                if r.append_slash {
                    f.write_str(" append-slash")?;
                }
            }
        }
        condition(f, &rule.condition, acl_list)?;
        writeln!(f)?;
    }
    for rule in responses {
        f.write_str("    http-response ")?;
        match &rule.action {
            HttpResponseAction::AddHeader { name, value } => {
                write!(f, "add-header {} {}", Quoted(name), Literal(value))?
            }
            HttpResponseAction::SetHeader { name, value } => {
                write!(f, "set-header {} {}", Quoted(name), Literal(value))?
            }
            HttpResponseAction::DelHeader { name } => write!(f, "del-header {}", Quoted(name))?,
        }
        condition(f, &rule.condition, acl_list)?;
        writeln!(f)?;
    }
    Ok(())
}

fn render_frontend(f: &mut Formatter<'_>, fe: &Frontend, config: &Config) -> fmt::Result {
    writeln!(f, "frontend {}", fe.name)?;
    writeln!(f, "    mode {}", mode_name(fe.mode))?;
    let binds: Vec<String> = fe.binds.iter().map(|a| alloc::format!("{a}")).collect();
    writeln!(f, "    bind {}", binds.join(","))?;
    writeln!(f, "    maxconn {}", fe.maxconn)?;
    if let Some(t) = fe.timeouts.client {
        writeln!(f, "    timeout client {}", Time(t))?;
    }
    if let Some(t) = fe.timeouts.http_request {
        writeln!(f, "    timeout http-request {}", Time(t))?;
    }
    if let Some(t) = fe.timeouts.http_keep_alive {
        writeln!(f, "    timeout http-keep-alive {}", Time(t))?;
    }
    http_mode(f, fe.http_mode)?;
    proxy_log(f, &fe.log)?;
    if let Some(ff) = &fe.forwardfor {
        forwardfor(f, ff)?;
    }
    if let Some(uri) = &fe.monitor_uri {
        writeln!(f, "    monitor-uri {}", Quoted(uri))?;
    }
    if let Some(s) = &fe.stats {
        stats(f, s)?;
    }
    acls(f, &fe.acls)?;
    rules(f, &fe.acls, &fe.http_request, &fe.http_response)?;
    for rule in &fe.use_backend {
        let name = config.backends.get(rule.backend).ok_or(fmt::Error)?;
        write!(f, "    use_backend {}", name.name)?;
        condition(f, &rule.condition, &fe.acls)?;
        writeln!(f)?;
    }
    if let Some(index) = fe.default_backend {
        let backend = config.backends.get(index).ok_or(fmt::Error)?;
        writeln!(f, "    default_backend {}", backend.name)?;
    }
    Ok(())
}

fn render_backend(f: &mut Formatter<'_>, be: &Backend) -> fmt::Result {
    writeln!(f, "backend {}", be.name)?;
    writeln!(f, "    mode {}", mode_name(be.mode))?;
    let balance = match be.balance {
        Balance::RoundRobin => "roundrobin",
        Balance::StaticRr => "static-rr",
        Balance::LeastConn => "leastconn",
        Balance::Source => "source",
        Balance::Uri => "uri",
    };
    writeln!(f, "    balance {balance}")?;
    writeln!(f, "    retries {}", be.retries)?;
    if be.redispatch {
        writeln!(f, "    option redispatch")?;
    }
    http_mode(f, be.http_mode)?;
    let t = &be.timeouts;
    for (name, value) in [
        ("connect", t.connect),
        ("server", t.server),
        ("queue", t.queue),
        ("check", t.check),
        ("tunnel", t.tunnel),
    ] {
        if let Some(v) = value {
            writeln!(f, "    timeout {name} {}", Time(v))?;
        }
    }
    if let Some(c) = &be.cookie {
        let mode = match c.mode {
            CookieMode::Insert => "insert",
            CookieMode::Rewrite => "rewrite",
            CookieMode::Prefix => "prefix",
        };
        write!(f, "    cookie {} {mode}", Quoted(&c.name))?;
        if c.indirect {
            f.write_str(" indirect")?;
        }
        if c.nocache {
            f.write_str(" nocache")?;
        }
        writeln!(f)?;
    }
    if let Some(chk) = &be.http_check {
        writeln!(
            f,
            "    option httpchk {} {} {}",
            Quoted(&chk.method),
            Quoted(&chk.uri),
            chk.version
        )?;
        if let Some(status) = chk.expect_status {
            writeln!(f, "    http-check expect status {status}")?;
        }
    }
    if let Some(ff) = &be.forwardfor {
        forwardfor(f, ff)?;
    }
    for target in &be.log {
        log_line(f, target)?;
    }
    if let Some(s) = &be.stats {
        stats(f, s)?;
    }
    acls(f, &be.acls)?;
    rules(f, &be.acls, &be.http_request, &be.http_response)?;
    for s in &be.servers {
        let addr = alloc::format!("{}", s.addr);
        write!(f, "    server {} {addr} weight {}", s.name, s.weight)?;
        if let Some(m) = s.maxconn {
            write!(f, " maxconn {m}")?;
        }
        if s.check {
            f.write_str(" check")?;
        }
        write!(
            f,
            " inter {} rise {} fall {}",
            Time(s.inter),
            s.rise,
            s.fall
        )?;
        if s.backup {
            f.write_str(" backup")?;
        }
        if let Some(c) = &s.cookie {
            write!(f, " cookie {}", Quoted(c))?;
        }
        writeln!(f)?;
    }
    Ok(())
}

/// The connection mode, unless it is the default (keep-alive).
fn http_mode(f: &mut core::fmt::Formatter<'_>, mode: crate::http::HttpMode) -> core::fmt::Result {
    match mode {
        crate::http::HttpMode::KeepAlive => Ok(()),
        crate::http::HttpMode::ServerClose => writeln!(f, "    option http-server-close"),
        crate::http::HttpMode::Close => writeln!(f, "    option httpclose"),
    }
}
