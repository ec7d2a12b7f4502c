//! The parser proper: walks the file line by line, switches sections, dispatches keyword lines to
//! the handler their [`keywords`](super::keywords) table entry carries (after checking the
//! entry allows the section), checks each finished section on its own, and at the end resolves
//! what spans sections (backend names, `log global`, duplicate binds, modes).

use super::Parsed;
use super::error::{ConfigError, ErrorKind, Fail, Warning};
use super::keywords;
use super::lexer::{self, Word};
use super::limits::{MAX_CONFIG_BYTES, MAX_LINE_BYTES, MAX_PROXIES};
use super::model::{
    Backend, BackendTimeouts, Balance, Config, DEFAULT_GLOBAL_MAXCONN, DEFAULT_STATS_URI, Frontend,
    FrontendTimeouts, Global, HttpCheck, LogFormat, LogTarget, Mode, ProxyLog, Stats, UseBackend,
};
use super::section::{At, BackendRef, Draft, LogSpec, SectionKind, StatsDraft};
use super::value;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::SocketAddr;

/// Section keywords HAProxy has and bareproxy does not.
const OTHER_SECTIONS: &[&str] = &[
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "fcgi-app",
    "crt-store",
    "traces",
    "log-forward",
    "namespace_list",
];

/// Which section the lines being read belong to.
enum Current {
    /// Before the first section header.
    Nothing,
    Global,
    Proxy(Box<Draft>),
}

/// A frontend whose backend references are not resolved yet.
struct PendingFrontend {
    frontend: Frontend,
    maxconn: Option<u32>,
    log: Vec<LogSpec>,
    binds: Vec<(SocketAddr, u32, u32)>,
    use_backend: Vec<(BackendRef, Option<super::model::Condition>)>,
    default_backend: Option<DefaultTarget>,
    line: u32,
}

enum DefaultTarget {
    Named(BackendRef),
    /// A `listen` section's own backend half.
    Own,
}

struct PendingBackend {
    backend: Backend,
    log: Vec<LogSpec>,
}

/// One finished proxy section, in file order.
struct Finished {
    kind: SectionKind,
    name: String,
    line: u32,
    frontend: Option<PendingFrontend>,
    backend: Option<PendingBackend>,
}

pub(crate) struct Parser<'f> {
    file: &'f str,
    global: Global,
    /// The most recent `defaults` section (HAProxy's built-in defaults before the first one).
    defaults: Draft,
    current: Current,
    finished: Vec<Finished>,
    warnings: Vec<Warning>,
}

impl<'f> Parser<'f> {
    pub(crate) fn new(file: &'f str) -> Self {
        Parser {
            file,
            global: Global {
                maxconn: DEFAULT_GLOBAL_MAXCONN,
                log: Vec::new(),
                tune: Default::default(),
            },
            defaults: Draft::new(SectionKind::Defaults, String::new(), 0),
            current: Current::Nothing,
            finished: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn error(
        &self,
        line: u32,
        column: Option<u32>,
        keyword: Option<&str>,
        kind: ErrorKind,
        message: String,
    ) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line,
            column,
            keyword: keyword.map(String::from),
            kind,
            message,
        }
    }

    fn warn(&mut self, line: u32, message: String) {
        self.warnings.push(Warning {
            file: self.file.to_string(),
            line,
            message,
        });
    }

    pub(crate) fn parse(mut self, text: &str) -> Result<Parsed, ConfigError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(self.error(
                0,
                None,
                None,
                ErrorKind::Limit,
                format!(
                    "configuration is {} bytes; bareproxy accepts at most {MAX_CONFIG_BYTES}",
                    text.len()
                ),
            ));
        }
        for (line_text, number) in text.split('\n').zip(1u32..) {
            let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
            if line_text.len() > MAX_LINE_BYTES {
                return Err(self.error(
                    number,
                    None,
                    None,
                    ErrorKind::Limit,
                    format!(
                        "line is {} bytes long; at most {MAX_LINE_BYTES} are allowed",
                        line_text.len()
                    ),
                ));
            }
            let words = lexer::split_line(line_text).map_err(|e| {
                let kind = if e.limit {
                    ErrorKind::Limit
                } else {
                    ErrorKind::Syntax
                };
                self.error(number, Some(e.column), None, kind, e.message)
            })?;
            if !words.is_empty() {
                self.line(number, &words)?;
            }
        }
        self.finish_section()?;
        self.resolve()
    }

    fn line(&mut self, number: u32, w: &[Word]) -> Result<(), ConfigError> {
        let keyword = w[0].text.as_str();
        let header = match keyword {
            "global" => Some(None),
            "defaults" => Some(Some(SectionKind::Defaults)),
            "frontend" => Some(Some(SectionKind::Frontend)),
            "listen" => Some(Some(SectionKind::Listen)),
            "backend" => Some(Some(SectionKind::Backend)),
            _ => None,
        };
        if let Some(kind) = header {
            self.finish_section()?;
            self.current = match kind {
                None => {
                    if let Some(extra) = w.get(1) {
                        return Err(self.error(
                            number,
                            Some(extra.column),
                            Some(keyword),
                            ErrorKind::InvalidValue,
                            format!("unexpected '{}' after 'global'", extra.text),
                        ));
                    }
                    Current::Global
                }
                Some(kind) => Current::Proxy(Box::new(self.section_header(kind, number, w)?)),
            };
            return Ok(());
        }
        let located = |this: &Self, fail: Fail| {
            let keyword = keywords::keyword_text(w);
            this.error(number, fail.column, Some(&keyword), fail.kind, fail.message)
        };
        match &mut self.current {
            Current::Nothing => {
                let (kind, message) = if OTHER_SECTIONS.contains(&keyword) {
                    (ErrorKind::UnknownSection, format!("section '{keyword}' is not supported by bareproxy (supported sections: global, defaults, frontend, backend, listen)"))
                } else if keyword.starts_with('.') {
                    (ErrorKind::Unsupported, format!("directive '{keyword}' is not supported by bareproxy"))
                } else {
                    (ErrorKind::UnknownSection, format!("'{keyword}' outside of any section (a configuration starts with 'global', 'defaults', 'frontend', 'backend' or 'listen')"))
                };
                Err(self.error(number, Some(w[0].column), Some(keyword), kind, message))
            }
            _ if OTHER_SECTIONS.contains(&keyword) => Err(self.error(
                number,
                Some(w[0].column),
                Some(keyword),
                ErrorKind::UnknownSection,
                format!("section '{keyword}' is not supported by bareproxy (supported sections: global, defaults, frontend, backend, listen)"),
            )),
            Current::Global => match keywords::global_line(&mut self.global, w) {
                Ok(Some(warning)) => {
                    self.warn(number, warning);
                    Ok(())
                }
                Ok(None) => Ok(()),
                Err(f) => Err(located(self, f)),
            },
            Current::Proxy(draft) => {
                let kind = draft.kind;
                if let Some(fail) = keywords::proxy_refused(w) {
                    return Err(located(self, fail));
                }
                match keywords::proxy_keyword(keyword) {
                    None => {
                        let supported: Vec<&str> = keywords::PROXY_KEYWORDS
                            .iter()
                            .filter(|k| k.allowed.contains(kind))
                            .map(|k| k.name)
                            .collect();
                        let message = format!(
                            "unknown keyword '{keyword}' in {} section{} (not supported by bareproxy; supported: {})",
                            kind.keyword(),
                            if draft.name.is_empty() { String::new() } else { format!(" '{}'", draft.name) },
                            supported.join(", ")
                        );
                        Err(self.error(number, Some(w[0].column), Some(keyword), ErrorKind::UnknownKeyword, message))
                    }
                    Some(k) if !k.allowed.contains(kind) => {
                        let message = format!("'{keyword}' is not allowed in a {} section", kind.keyword());
                        Err(self.error(number, Some(w[0].column), Some(keyword), ErrorKind::NotAllowedHere, message))
                    }
                    Some(k) => {
                        let result = (k.handler)(draft, w, number);
                        result.map_err(|f| located(self, f))
                    }
                }
            }
        }
    }

    fn section_header(
        &self,
        kind: SectionKind,
        number: u32,
        w: &[Word],
    ) -> Result<Draft, ConfigError> {
        let keyword = kind.keyword();
        let name = match w.get(1) {
            Some(name) => {
                value::name(&name.text, keyword).map_err(|m| {
                    self.error(
                        number,
                        Some(name.column),
                        Some(keyword),
                        ErrorKind::InvalidValue,
                        m,
                    )
                })?;
                name.text.clone()
            }
            None if kind == SectionKind::Defaults => String::new(),
            None => {
                return Err(self.error(
                    number,
                    None,
                    Some(keyword),
                    ErrorKind::MissingArgument,
                    format!("'{keyword}' needs a name"),
                ));
            }
        };
        if let Some(extra) = w.get(2) {
            let message = if extra.text == "from" {
                String::from(
                    "'from <defaults>' is not supported by bareproxy; a section uses the defaults section before it",
                )
            } else {
                format!(
                    "unexpected '{}' after the section name (bind addresses go on a 'bind' line)",
                    extra.text
                )
            };
            return Err(self.error(
                number,
                Some(extra.column),
                Some(keyword),
                ErrorKind::Unsupported,
                message,
            ));
        }
        if kind == SectionKind::Defaults {
            // Manual 4: a defaults section resets the previous one.
            return Ok(Draft::new(kind, name, number));
        }
        Ok(self.defaults.inherit(kind, name, number))
    }

    fn finish_section(&mut self) -> Result<(), ConfigError> {
        match core::mem::replace(&mut self.current, Current::Nothing) {
            Current::Nothing | Current::Global => Ok(()),
            Current::Proxy(draft) if draft.kind == SectionKind::Defaults => {
                self.defaults = *draft;
                Ok(())
            }
            Current::Proxy(draft) => {
                let finished = self.finish_proxy(*draft)?;
                self.finished.push(finished);
                Ok(())
            }
        }
    }

    /// Checks one proxy section on its own and splits it into its frontend and backend halves.
    fn finish_proxy(&mut self, mut d: Draft) -> Result<Finished, ConfigError> {
        let keyword = d.kind.keyword();
        // Duplicate names (HAProxy refuses two proxies with a common capability and one name).
        if let Some(prev) = self.finished.iter().find(|p| {
            p.name == d.name
                && ((p.kind.is_frontend() && d.kind.is_frontend())
                    || (p.kind.is_backend() && d.kind.is_backend()))
        }) {
            return Err(self.error(
                d.line,
                None,
                Some(keyword),
                ErrorKind::Duplicate,
                format!(
                    "{keyword} '{}' has the same name as the {} declared at line {}",
                    d.name,
                    prev.kind.keyword(),
                    prev.line
                ),
            ));
        }

        if d.mode == Mode::Tcp {
            self.drop_http_settings(&mut d)?;
        }

        let log_format = d.log_format.value;
        let stats = d.stats.take().map(|s| finish_stats(s.value));
        let forwardfor = d.forwardfor.take().map(|f| f.value);
        let proxy_log = |d: &Draft| ProxyLog {
            targets: Vec::new(),
            format: log_format,
            dontlognull: d.dontlognull,
        };

        let has_frontend =
            d.kind.is_frontend() && !(d.kind == SectionKind::Listen && d.binds.is_empty());
        if d.kind == SectionKind::Frontend && d.binds.is_empty() {
            return Err(self.error(
                d.line,
                None,
                Some(keyword),
                ErrorKind::MissingBind,
                format!("frontend '{}' has no 'bind' line, so it would never accept a connection (use a backend section for a server pool)", d.name),
            ));
        }

        let mut backend = None;
        if d.kind.is_backend() {
            let has_cookie = d.cookie.is_some();
            for (server, line) in &d.servers {
                if server.cookie.is_some() && !has_cookie {
                    let message = format!(
                        "server '{}' has a 'cookie' value but {keyword} '{}' has no 'cookie' directive; the value is unused",
                        server.name, d.name
                    );
                    self.warn(*line, message);
                }
            }
            if let (Some(expect), None) = (&d.expect_status, &d.httpchk) {
                let line = expect.origin.line;
                if !expect.origin.inherited {
                    self.warn(line, format!("'http-check expect' has no effect without 'option httpchk' in {keyword} '{}'", d.name));
                }
            }
            if d.timeout_connect.is_none() || d.timeout_server.is_none() {
                self.warn(d.line, format!("{keyword} '{}' has no 'timeout connect' and 'timeout server'; stuck servers will hold connections forever", d.name));
            }
            if d.servers.is_empty() && stats.is_none() {
                self.warn(
                    d.line,
                    format!(
                        "{keyword} '{}' has no server; requests routed to it will get a 503",
                        d.name
                    ),
                );
            }
            if let Some(t) = &d.timeout_http_request
                && d.kind == SectionKind::Backend
                && !t.origin.inherited
            {
                // HAProxy applies it from the frontend that received the request.
                self.warn(t.origin.line, format!("'timeout http-request' has no effect in backend '{}'; set it on the frontend", d.name));
            }
            let http_check = d.httpchk.take().map(|c| HttpCheck {
                method: c.method,
                uri: c.uri,
                version: c.version,
                expect_status: d.expect_status.as_ref().map(|e| e.value),
            });
            // A listen section with binds puts its rules on the frontend half; without binds it is
            // a plain backend and keeps them.
            let is_listen = d.kind == SectionKind::Listen && has_frontend;
            if d.kind == SectionKind::Listen && !has_frontend && !d.use_backend.is_empty() {
                self.warn(
                    d.line,
                    format!(
                        "listen '{}' has no 'bind' line, so its 'use_backend' rules never apply",
                        d.name
                    ),
                );
            }
            backend = Some(PendingBackend {
                backend: Backend {
                    name: d.name.clone(),
                    mode: d.mode,
                    balance: d.balance.value,
                    servers: d.servers.iter().map(|(s, _)| s.clone()).collect(),
                    cookie: d.cookie.as_ref().map(|c| c.value.clone()),
                    http_check,
                    retries: d.retries,
                    redispatch: d.redispatch,
                    http_mode: d.http_mode,
                    timeouts: BackendTimeouts {
                        connect: d.timeout_connect,
                        server: d.timeout_server,
                        // Manual 4.2 "timeout queue": unset means the connect timeout.
                        queue: d.timeout_queue.or(d.timeout_connect),
                        check: d.timeout_check,
                        tunnel: d.timeout_tunnel,
                    },
                    acls: if is_listen {
                        Vec::new()
                    } else {
                        core::mem::take(&mut d.acls)
                    },
                    http_request: if is_listen {
                        Vec::new()
                    } else {
                        core::mem::take(&mut d.http_request)
                    },
                    http_response: if is_listen {
                        Vec::new()
                    } else {
                        core::mem::take(&mut d.http_response)
                    },
                    stats: stats.clone(),
                    forwardfor: if is_listen { None } else { forwardfor.clone() },
                    log: Vec::new(),
                },
                log: d.log.clone(),
            });
        }

        let mut frontend = None;
        if has_frontend {
            if d.timeout_client.is_none() {
                self.warn(d.line, format!("{keyword} '{}' has no 'timeout client'; idle clients will hold connections forever", d.name));
            }
            let default_backend = match d.default_backend.take() {
                Some(At { value, origin })
                    if d.kind == SectionKind::Frontend || !origin.inherited =>
                {
                    Some(DefaultTarget::Named(value))
                }
                _ if d.kind == SectionKind::Listen => Some(DefaultTarget::Own),
                _ => None,
            };
            if default_backend.is_none()
                && d.use_backend.is_empty()
                && stats.is_none()
                && d.monitor_uri.is_none()
            {
                self.warn(d.line, format!("frontend '{}' has no 'default_backend' nor 'use_backend'; every connection will be refused", d.name));
            }
            frontend = Some(PendingFrontend {
                frontend: Frontend {
                    name: d.name.clone(),
                    mode: d.mode,
                    binds: d.binds.iter().map(|(a, _, _)| *a).collect(),
                    maxconn: 0,
                    http_mode: d.http_mode,
                    timeouts: FrontendTimeouts {
                        client: d.timeout_client,
                        http_request: d.timeout_http_request.as_ref().map(|t| t.value),
                        http_keep_alive: d.timeout_http_keep_alive,
                    },
                    acls: core::mem::take(&mut d.acls),
                    http_request: core::mem::take(&mut d.http_request),
                    http_response: core::mem::take(&mut d.http_response),
                    use_backend: Vec::new(),
                    default_backend: None,
                    monitor_uri: d.monitor_uri.take().map(|m| m.value),
                    stats: if d.kind == SectionKind::Frontend {
                        stats
                    } else {
                        None
                    },
                    forwardfor,
                    log: proxy_log(&d),
                },
                maxconn: d.maxconn,
                log: d.log.clone(),
                binds: core::mem::take(&mut d.binds),
                use_backend: core::mem::take(&mut d.use_backend),
                default_backend,
                line: d.line,
            });
        }

        Ok(Finished {
            kind: d.kind,
            name: d.name,
            line: d.line,
            frontend,
            backend,
        })
    }

    /// In a TCP proxy, an HTTP-only keyword written in the section is an error; one inherited
    /// from `defaults` is dropped with a warning, as HAProxy does.
    fn drop_http_settings(&mut self, d: &mut Draft) -> Result<(), ConfigError> {
        if let Some(first) = d.http_uses.first() {
            return Err(self.error(
                first.line,
                Some(first.column),
                Some(first.what.split(' ').next().unwrap_or_default()),
                ErrorKind::HttpOnlyInTcpMode,
                format!(
                    "'{}' needs 'mode http', but {} '{}' is in mode tcp",
                    first.what,
                    d.kind.keyword(),
                    d.name
                ),
            ));
        }
        let keyword = d.kind.keyword();
        let name = d.name.clone();
        let dropped = |what: &str, this: &mut Self| {
            this.warn(
                d.line,
                format!(
                    "'{what}' inherited from defaults is ignored in {keyword} '{name}' (mode tcp)"
                ),
            );
        };
        if d.log_format.value == LogFormat::Http {
            // Manual 4.2 "option httplog": HAProxy falls back to tcplog in TCP mode.
            self.warn(d.line, format!("'option httplog' inherited from defaults is not usable in {keyword} '{name}' (mode tcp); using 'option tcplog'"));
            d.log_format.value = LogFormat::Tcp;
        }
        if d.forwardfor.take().is_some() {
            dropped("option forwardfor", self);
        }
        if d.is_backend_capable() && d.cookie.take().is_some() {
            dropped("cookie", self);
        }
        if d.kind.is_frontend() && d.monitor_uri.take().is_some() {
            dropped("monitor-uri", self);
        }
        if d.stats.take().is_some() {
            dropped("stats", self);
        }
        if d.kind.is_backend() && d.balance.value == super::model::Balance::Uri {
            // HAProxy falls back to round robin too.
            self.warn(d.line, format!("'balance uri' inherited from defaults is not usable in {keyword} '{name}' (mode tcp); using roundrobin"));
            d.balance.value = Balance::RoundRobin;
        }
        // `timeout http-request` and `http-keep-alive` are silently irrelevant to TCP proxies.
        d.timeout_http_request = None;
        d.timeout_http_keep_alive = None;
        Ok(())
    }

    /// Resolves what spans sections and assembles the [`Config`].
    fn resolve(mut self) -> Result<Parsed, ConfigError> {
        let global_log = self.global.log.clone();
        let mut log_global_unset_warned = false;
        let mut expand = |specs: &[LogSpec], this: &mut Self| -> Vec<LogTarget> {
            let mut out = Vec::new();
            for spec in specs {
                match spec {
                    LogSpec::Target(t) => out.push(t.clone()),
                    LogSpec::Global { line } => {
                        if global_log.is_empty() && !log_global_unset_warned {
                            log_global_unset_warned = true;
                            this.warn(*line, String::from("'log global' but the global section has no 'log' line; nothing will be logged"));
                        }
                        out.extend(global_log.iter().cloned());
                    }
                }
            }
            out
        };

        let finished = core::mem::take(&mut self.finished);
        // Backends first: frontends refer to them by index.
        let mut backends: Vec<Backend> = Vec::new();
        let mut backend_of_section: Vec<Option<usize>> = Vec::new();
        for f in &finished {
            backend_of_section.push(f.backend.as_ref().map(|_| backends.len()));
            if let Some(b) = &f.backend {
                if backends.len() >= MAX_PROXIES {
                    return Err(self.error(
                        f.line,
                        None,
                        Some(f.kind.keyword()),
                        ErrorKind::Limit,
                        format!("too many backends (bareproxy allows at most {MAX_PROXIES})"),
                    ));
                }
                let mut backend = b.backend.clone();
                backend.log = expand(&b.log, &mut self);
                backends.push(backend);
            }
        }

        let mut frontends: Vec<Frontend> = Vec::new();
        let mut bound: Vec<(SocketAddr, usize)> = Vec::new();
        for (section, f) in finished.iter().enumerate() {
            let Some(p) = &f.frontend else { continue };
            if frontends.len() >= MAX_PROXIES {
                return Err(self.error(
                    p.line,
                    None,
                    Some(f.kind.keyword()),
                    ErrorKind::Limit,
                    format!("too many frontends (bareproxy allows at most {MAX_PROXIES})"),
                ));
            }
            for (addr, line, column) in &p.binds {
                if let Some((_, owner)) = bound.iter().find(|(a, _)| a == addr) {
                    let owner = &frontends
                        .get(*owner)
                        .map_or(p.frontend.name.as_str(), |o| o.name.as_str());
                    return Err(self.error(
                        *line,
                        Some(*column),
                        Some("bind"),
                        ErrorKind::Duplicate,
                        format!("address {addr} is already bound by frontend '{owner}'"),
                    ));
                }
                bound.push((*addr, frontends.len()));
            }
            let mut frontend = p.frontend.clone();
            frontend.maxconn = p.maxconn.unwrap_or(self.global.maxconn);
            frontend.log.targets = expand(&p.log, &mut self);
            for (reference, condition) in &p.use_backend {
                let backend = self.resolve_backend(&finished, &backends, &frontend, reference)?;
                frontend.use_backend.push(UseBackend {
                    backend,
                    condition: condition.clone(),
                });
            }
            frontend.default_backend = match &p.default_backend {
                None => None,
                Some(DefaultTarget::Own) => backend_of_section[section],
                Some(DefaultTarget::Named(reference)) => {
                    Some(self.resolve_backend(&finished, &backends, &frontend, reference)?)
                }
            };
            frontends.push(frontend);
        }

        Ok(Parsed {
            config: Config {
                global: self.global,
                frontends,
                backends,
            },
            warnings: self.warnings,
        })
    }

    fn resolve_backend(
        &self,
        finished: &[Finished],
        backends: &[Backend],
        frontend: &Frontend,
        reference: &BackendRef,
    ) -> Result<usize, ConfigError> {
        let Some(index) = backends.iter().position(|b| b.name == reference.name) else {
            let hint = if finished.iter().any(|f| f.name == reference.name) {
                " (a frontend has that name, but a frontend cannot serve requests)"
            } else {
                " (no backend or listen section has that name)"
            };
            return Err(self.error(
                reference.line,
                Some(reference.column),
                Some(reference.keyword),
                ErrorKind::UnknownBackend,
                format!("unknown backend '{}'{hint}", reference.name),
            ));
        };
        let backend = &backends[index];
        if backend.mode != frontend.mode {
            return Err(self.error(
                reference.line,
                Some(reference.column),
                Some(reference.keyword),
                ErrorKind::ModeMismatch,
                format!(
                    "frontend '{}' (mode {}) cannot use backend '{}' (mode {}): modes must match",
                    frontend.name,
                    mode_name(frontend.mode),
                    backend.name,
                    mode_name(backend.mode)
                ),
            ));
        }
        Ok(index)
    }
}

impl Draft {
    fn is_backend_capable(&self) -> bool {
        self.kind.is_backend() || self.kind == SectionKind::Defaults
    }
}

fn finish_stats(s: StatsDraft) -> Stats {
    Stats {
        uri: s.uri.unwrap_or_else(|| String::from(DEFAULT_STATS_URI)),
        auth: s.auth,
        refresh: s.refresh,
    }
}

pub(crate) fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Tcp => "tcp",
        Mode::Http => "http",
    }
}
