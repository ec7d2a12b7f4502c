//! The proxy sections (`defaults`, `frontend`, `listen`, `backend`): their kinds, the
//! [`Allowed`] sets the keyword tables in `keywords` use to say which section accepts which
//! keyword (manual 4.1 "Proxy keywords matrix"), and the [`Draft`] a section's lines are
//! accumulated into before it is checked and resolved.
//!
//! HAProxy's `defaults` semantics: a proxy starts as a copy of the most recent `defaults` section
//! (manual 4 "Proxies"), and each keyword line overrides the copied value. [`Draft::inherit`] makes
//! that copy and marks every copied setting as inherited, so that an HTTP-only setting inherited
//! by a TCP proxy is dropped with a warning (as HAProxy does) while the same keyword written in
//! the TCP proxy itself is an error.

use super::model::Condition;
use super::model::{
    Acl, Balance, CookiePersistence, ForwardFor, HttpRequestRule, HttpResponseRule, LogFormat,
    LogTarget, Mode, Server, StatsUser,
};
use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

/// The four proxy section kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionKind {
    Defaults,
    Frontend,
    Listen,
    Backend,
}

impl SectionKind {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            SectionKind::Defaults => "defaults",
            SectionKind::Frontend => "frontend",
            SectionKind::Listen => "listen",
            SectionKind::Backend => "backend",
        }
    }

    /// Accepts client connections (frontend capability).
    pub(crate) fn is_frontend(self) -> bool {
        matches!(self, SectionKind::Frontend | SectionKind::Listen)
    }

    /// Holds servers (backend capability).
    pub(crate) fn is_backend(self) -> bool {
        matches!(self, SectionKind::Backend | SectionKind::Listen)
    }
}

/// Where a section may use a keyword: defaults, frontend, listen, backend.
#[derive(Clone, Copy)]
pub(crate) struct Allowed(pub bool, pub bool, pub bool, pub bool);

impl Allowed {
    pub(crate) const ALL: Allowed = Allowed(true, true, true, true);
    /// Frontend-side settings that may also be defaulted.
    pub(crate) const DFL: Allowed = Allowed(true, true, true, false);
    /// Backend-side settings that may also be defaulted.
    pub(crate) const DLB: Allowed = Allowed(true, false, true, true);
    /// Proxy-only, not defaults.
    pub(crate) const FLB: Allowed = Allowed(false, true, true, true);
    pub(crate) const FL: Allowed = Allowed(false, true, true, false);
    pub(crate) const LB: Allowed = Allowed(false, false, true, true);

    pub(crate) fn contains(self, kind: SectionKind) -> bool {
        match kind {
            SectionKind::Defaults => self.0,
            SectionKind::Frontend => self.1,
            SectionKind::Listen => self.2,
            SectionKind::Backend => self.3,
        }
    }
}

/// Where a setting came from: its line, and whether it was copied from a `defaults` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub line: u32,
    pub inherited: bool,
}

/// A value with its [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At<T> {
    pub value: T,
    pub origin: Origin,
}

/// A `log` line of a proxy before `log global` is expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogSpec {
    Global { line: u32 },
    Target(LogTarget),
}

/// The statistics settings being accumulated (any `stats` keyword enables the page).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct StatsDraft {
    pub uri: Option<String>,
    pub auth: Vec<StatsUser>,
    pub refresh: Option<Duration>,
}

/// `option httpchk` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpChkDraft {
    pub method: String,
    pub uri: String,
    pub version: String,
}

/// A backend reference waiting for resolution (`use_backend`, `default_backend`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BackendRef {
    /// `use_backend` or `default_backend`.
    pub keyword: &'static str,
    pub name: String,
    pub line: u32,
    pub column: u32,
}

/// An explicit use of an HTTP-only feature, checked once the section's mode is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpUse {
    pub line: u32,
    pub column: u32,
    pub what: String,
}

/// Everything one proxy section (or `defaults`) has said so far.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub kind: SectionKind,
    pub name: String,
    pub line: u32,

    pub mode: Mode,
    pub binds: Vec<(SocketAddr, u32, u32)>,
    pub maxconn: Option<u32>,
    pub timeout_client: Option<Duration>,
    pub timeout_http_request: Option<At<Duration>>,
    pub timeout_connect: Option<Duration>,
    pub timeout_server: Option<Duration>,
    pub timeout_queue: Option<Duration>,
    pub timeout_check: Option<Duration>,
    pub timeout_http_keep_alive: Option<Duration>,
    pub timeout_tunnel: Option<Duration>,

    pub balance: At<Balance>,
    pub servers: Vec<(Server, u32)>,
    pub cookie: Option<At<CookiePersistence>>,
    pub httpchk: Option<HttpChkDraft>,
    pub expect_status: Option<At<u16>>,
    pub retries: u32,
    pub redispatch: bool,

    pub acls: Vec<Acl>,
    pub acl_lines: usize,
    pub http_request: Vec<HttpRequestRule>,
    pub http_response: Vec<HttpResponseRule>,
    pub use_backend: Vec<(BackendRef, Option<Condition>)>,
    pub default_backend: Option<At<BackendRef>>,

    pub monitor_uri: Option<At<String>>,
    pub stats: Option<At<StatsDraft>>,
    pub forwardfor: Option<At<ForwardFor>>,
    pub log: Vec<LogSpec>,
    pub log_format: At<LogFormat>,
    pub dontlognull: bool,
    pub http_mode: crate::http::HttpMode,

    pub http_uses: Vec<HttpUse>,
}

impl Draft {
    /// A section with HAProxy's built-in defaults (what applies before any `defaults` section,
    /// and what every `defaults` section starts from).
    pub(crate) fn new(kind: SectionKind, name: String, line: u32) -> Draft {
        let builtin = Origin {
            line,
            inherited: true,
        };
        Draft {
            kind,
            name,
            line,
            mode: Mode::Tcp,
            binds: Vec::new(),
            maxconn: None,
            timeout_client: None,
            timeout_http_request: None,
            timeout_connect: None,
            timeout_server: None,
            timeout_queue: None,
            timeout_check: None,
            timeout_http_keep_alive: None,
            timeout_tunnel: None,
            balance: At {
                value: Balance::RoundRobin,
                origin: builtin,
            },
            servers: Vec::new(),
            cookie: None,
            httpchk: None,
            expect_status: None,
            retries: super::model::DEFAULT_RETRIES,
            redispatch: false,
            acls: Vec::new(),
            acl_lines: 0,
            http_request: Vec::new(),
            http_response: Vec::new(),
            use_backend: Vec::new(),
            default_backend: None,
            monitor_uri: None,
            stats: None,
            forwardfor: None,
            log: Vec::new(),
            log_format: At {
                value: LogFormat::Default,
                origin: builtin,
            },
            dontlognull: false,
            http_mode: crate::http::HttpMode::KeepAlive,
            http_uses: Vec::new(),
        }
    }

    /// A new proxy section starting from these defaults.
    pub(crate) fn inherit(&self, kind: SectionKind, name: String, line: u32) -> Draft {
        let mut draft = self.clone();
        draft.kind = kind;
        draft.name = name;
        draft.line = line;
        // Only `defaults`-capable settings can be set here, and all of them become inherited.
        let mark = |o: &mut Origin| o.inherited = true;
        if let Some(t) = &mut draft.timeout_http_request {
            mark(&mut t.origin);
        }
        mark(&mut draft.balance.origin);
        if let Some(c) = &mut draft.cookie {
            mark(&mut c.origin);
        }
        if let Some(e) = &mut draft.expect_status {
            mark(&mut e.origin);
        }
        if let Some(d) = &mut draft.default_backend {
            mark(&mut d.origin);
        }
        if let Some(m) = &mut draft.monitor_uri {
            mark(&mut m.origin);
        }
        if let Some(s) = &mut draft.stats {
            mark(&mut s.origin);
        }
        if let Some(f) = &mut draft.forwardfor {
            mark(&mut f.origin);
        }
        mark(&mut draft.log_format.origin);
        draft.http_uses.clear();
        draft
    }
}
