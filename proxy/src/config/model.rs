//! The resolved configuration model: what the proxy engine consumes.
//!
//! Everything here has been validated and resolved by the parser: `defaults` sections are already
//! applied, `listen` sections are already split into a [`Frontend`] and a [`Backend`], backend
//! references are indices into [`Config::backends`], ACL references are indices into the owning
//! proxy's `acls`, durations are [`Duration`]s and addresses are `core::net` types. The engine never
//! needs to look a name up or re-check a value; names are kept only for logs and the stats page.
//!
//! Default values follow HAProxy's configuration manual ("doc/configuration.txt", cited by
//! section below) unless a comment says bareproxy deliberately differs.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

/// Index of a backend in [`Config::backends`].
pub type BackendId = usize;

/// A complete, validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Process-wide settings (`global` section).
    pub global: Global,
    /// Listening proxies, in file order (`frontend` sections and the front half of `listen`).
    pub frontends: Vec<Frontend>,
    /// Server pools, in file order (`backend` sections and the back half of `listen`).
    pub backends: Vec<Backend>,
}

impl Config {
    /// The backend with this name, if any.
    pub fn backend_by_name(&self, name: &str) -> Option<(BackendId, &Backend)> {
        self.backends
            .iter()
            .enumerate()
            .find(|(_, b)| b.name == name)
    }

    /// The frontend with this name, if any.
    pub fn frontend_by_name(&self, name: &str) -> Option<&Frontend> {
        self.frontends.iter().find(|f| f.name == name)
    }
}

/// The `global` section (manual section 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    /// Process-wide limit of concurrent client connections (manual 3.2 "maxconn").
    /// HAProxy derives its default from the build and the memory limit; bareproxy runs on boxes
    /// with 32-512 MiB of RAM, so it defaults to [`DEFAULT_GLOBAL_MAXCONN`].
    pub maxconn: u32,
    /// Syslog servers (manual 3.1 "log"). Proxies with `log global` send to these too.
    pub log: Vec<LogTarget>,
    /// `tune.*` buffer and header limits (manual 3.2); unset values keep bareproxy's own.
    pub tune: Tune,
}

/// The `tune.*` keywords bareproxy honours (manual 3.2). The engine applies them
/// (`ResourceLimits::tuned`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tune {
    /// `tune.bufsize`: the size of each connection buffer, in bytes.
    pub bufsize: Option<u32>,
    /// `tune.maxrewrite`: the part of a buffer kept free for rewriting a head; a head may use
    /// the rest.
    pub maxrewrite: Option<u32>,
    /// `tune.http.maxhdr`: the most header fields in one request or response.
    pub http_maxhdr: Option<u32>,
}

/// bareproxy's default for `global maxconn` (see [`Global::maxconn`]).
pub const DEFAULT_GLOBAL_MAXCONN: u32 = 256;

/// Proxy mode (manual 4.2 "mode"). HAProxy's default is `tcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Layer-4 forwarding: bytes are relayed untouched.
    #[default]
    Tcp,
    /// Layer-7: requests are parsed, rules and ACLs on HTTP fields apply.
    Http,
}

/// One syslog destination (manual 3.1 "log <address> [len <length>] [format <format>]
/// <facility> [max level [min level]]"). Always UDP: there are no UNIX sockets on the box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    /// Syslog server; the port defaults to 514.
    pub addr: SocketAddr,
    /// Maximum line length; longer lines are truncated (80..=65535, default 1024).
    pub max_len: u16,
    /// Syslog header format.
    pub format: SyslogFormat,
    /// Syslog facility.
    pub facility: Facility,
    /// Only messages at least this severe are sent (default: all, i.e. `debug`).
    pub max_level: Level,
    /// More severe messages are capped to this level (default: no cap, i.e. `emerg`).
    pub min_level: Level,
}

/// Syslog header format of a [`LogTarget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyslogFormat {
    /// RFC 3164 (HAProxy's default).
    #[default]
    Rfc3164,
    /// RFC 5424.
    Rfc5424,
}

/// The 24 syslog facilities HAProxy knows (manual 3.1 "log"), with their RFC 5424 codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Facility {
    Kern = 0,
    User = 1,
    Mail = 2,
    Daemon = 3,
    Auth = 4,
    Syslog = 5,
    Lpr = 6,
    News = 7,
    Uucp = 8,
    Cron = 9,
    Auth2 = 10,
    Ftp = 11,
    Ntp = 12,
    Audit = 13,
    Alert = 14,
    Cron2 = 15,
    Local0 = 16,
    Local1 = 17,
    Local2 = 18,
    Local3 = 19,
    Local4 = 20,
    Local5 = 21,
    Local6 = 22,
    Local7 = 23,
}

impl Facility {
    /// All facilities in code order, with the keyword HAProxy uses for each.
    pub const ALL: [(Facility, &'static str); 24] = [
        (Facility::Kern, "kern"),
        (Facility::User, "user"),
        (Facility::Mail, "mail"),
        (Facility::Daemon, "daemon"),
        (Facility::Auth, "auth"),
        (Facility::Syslog, "syslog"),
        (Facility::Lpr, "lpr"),
        (Facility::News, "news"),
        (Facility::Uucp, "uucp"),
        (Facility::Cron, "cron"),
        (Facility::Auth2, "auth2"),
        (Facility::Ftp, "ftp"),
        (Facility::Ntp, "ntp"),
        (Facility::Audit, "audit"),
        (Facility::Alert, "alert"),
        (Facility::Cron2, "cron2"),
        (Facility::Local0, "local0"),
        (Facility::Local1, "local1"),
        (Facility::Local2, "local2"),
        (Facility::Local3, "local3"),
        (Facility::Local4, "local4"),
        (Facility::Local5, "local5"),
        (Facility::Local6, "local6"),
        (Facility::Local7, "local7"),
    ];

    /// The numeric facility code used in the syslog PRI field.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The configuration keyword for this facility.
    pub fn keyword(self) -> &'static str {
        Self::ALL[self as usize].1
    }
}

/// Syslog severities, most severe first (manual 3.1 "log").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Level {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Level {
    /// All levels in severity order, with their keywords.
    pub const ALL: [(Level, &'static str); 8] = [
        (Level::Emerg, "emerg"),
        (Level::Alert, "alert"),
        (Level::Crit, "crit"),
        (Level::Err, "err"),
        (Level::Warning, "warning"),
        (Level::Notice, "notice"),
        (Level::Info, "info"),
        (Level::Debug, "debug"),
    ];

    /// The numeric severity used in the syslog PRI field.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The configuration keyword for this level.
    pub fn keyword(self) -> &'static str {
        Self::ALL[self as usize].1
    }
}

/// Which line format a proxy logs its traffic in (manual 4.2 "option httplog", "option tcplog").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Neither option: HAProxy's minimal default format (source, frontend, backend/server).
    #[default]
    Default,
    /// `option tcplog`: HAProxy's TCP format (timers, bytes, termination state, queues).
    Tcp,
    /// `option httplog`: HAProxy's HTTP format (adds status, request line, cookie states).
    Http,
}

/// Per-proxy logging settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProxyLog {
    /// Where to send this proxy's logs; `log global` is already expanded into the global targets.
    /// Empty means the proxy does not log.
    pub targets: Vec<LogTarget>,
    /// Line format.
    pub format: LogFormat,
    /// `option dontlognull`: do not log connections that carried no data.
    pub dontlognull: bool,
}

/// A listening proxy: accepts client connections and picks a backend for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontend {
    /// Section name (for logs and the stats page).
    pub name: String,
    /// TCP or HTTP. Every backend this frontend can reach has the same mode.
    pub mode: Mode,
    /// Addresses to listen on, never empty, no duplicates across the whole configuration.
    /// An IPv6 wildcard bind listens on IPv6 only; `v4v6` on a bind line adds the IPv4 wildcard
    /// explicitly (unlike Linux, the box has no dual-stack sockets).
    pub binds: Vec<SocketAddr>,
    /// Concurrent client connections accepted by this frontend (manual 4.2 "maxconn");
    /// defaults to the global maxconn.
    pub maxconn: u32,
    /// Client-side timeouts.
    pub timeouts: FrontendTimeouts,
    /// `option http-keep-alive` (the default), `http-server-close` or `httpclose`; a
    /// transaction runs in the more restrictive of its frontend's and its backend's mode.
    pub http_mode: crate::http::HttpMode,
    /// Named ACLs, referenced by index from the conditions below.
    pub acls: Vec<Acl>,
    /// `http-request` rules in order (empty in TCP mode).
    pub http_request: Vec<HttpRequestRule>,
    /// `http-response` rules in order (empty in TCP mode).
    pub http_response: Vec<HttpResponseRule>,
    /// `use_backend` rules in order; the first whose condition matches wins.
    pub use_backend: Vec<UseBackend>,
    /// Backend used when no `use_backend` rule matches. `None`: such requests get a 503.
    pub default_backend: Option<BackendId>,
    /// `monitor-uri`: requests for exactly this path get a 200 from the proxy itself (HTTP only).
    pub monitor_uri: Option<String>,
    /// Statistics page served by this frontend (HTTP only).
    pub stats: Option<Stats>,
    /// `option forwardfor` (HTTP only).
    pub forwardfor: Option<ForwardFor>,
    /// Logging.
    pub log: ProxyLog,
}

/// Client-side timeouts of a frontend (manual 4.2 "timeout ..."). `None` means no timeout
/// (HAProxy warns about a missing client timeout and so does the parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrontendTimeouts {
    /// `timeout client`: maximum inactivity on the client side.
    pub client: Option<Duration>,
    /// `timeout http-request`: maximum time to receive a complete request header (HTTP only).
    pub http_request: Option<Duration>,
    /// `timeout http-keep-alive`: maximum wait for the next request on a kept-alive
    /// connection (HTTP only); unset, `http_request` applies, then `client`.
    pub http_keep_alive: Option<Duration>,
}

/// A pool of servers and how to pick among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// Section name (for logs and the stats page).
    pub name: String,
    /// TCP or HTTP.
    pub mode: Mode,
    /// Load-balancing algorithm (manual 4.2 "balance", default `roundrobin`).
    pub balance: Balance,
    /// Servers in file order; names are unique within the backend. May be empty (every request
    /// then gets a 503, unless the backend serves the stats page).
    pub servers: Vec<Server>,
    /// Cookie-based persistence (HTTP only).
    pub cookie: Option<CookiePersistence>,
    /// HTTP health checks (`option httpchk`); `None` means checks are plain TCP connects.
    pub http_check: Option<HttpCheck>,
    /// Connection attempts after the first failed one (manual 4.2 "retries", default 3).
    pub retries: u32,
    /// `option redispatch`: the last retry may go to another server, breaking persistence.
    pub redispatch: bool,
    /// The backend's HTTP connection mode (see [`Frontend::http_mode`]).
    pub http_mode: crate::http::HttpMode,
    /// Server-side timeouts.
    pub timeouts: BackendTimeouts,
    /// Named ACLs, referenced by index from the rules below.
    pub acls: Vec<Acl>,
    /// `http-request` rules applied after the backend was chosen (empty in TCP mode).
    pub http_request: Vec<HttpRequestRule>,
    /// `http-response` rules applied before the frontend's (empty in TCP mode).
    pub http_response: Vec<HttpResponseRule>,
    /// Statistics page served when a request reaches this backend (HTTP only).
    pub stats: Option<Stats>,
    /// `option forwardfor` (HTTP only).
    pub forwardfor: Option<ForwardFor>,
    /// Where this backend's own events (servers going up or down) are logged; `log global` is
    /// already expanded. Traffic is logged by the frontend.
    pub log: Vec<LogTarget>,
}

/// Server-side timeouts of a backend (manual 4.2 "timeout ..."). `None` means no timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackendTimeouts {
    /// `timeout connect`: maximum time to establish a server connection.
    pub connect: Option<Duration>,
    /// `timeout server`: maximum inactivity on the server side.
    pub server: Option<Duration>,
    /// `timeout queue`: maximum time a request waits for a server slot. The manual says an unset
    /// queue timeout uses the connect timeout, and that is already applied here.
    pub queue: Option<Duration>,
    /// `timeout check`: read timeout of a health check once connected (the connect itself is
    /// bounded by `connect`). If unset, a check as a whole is bounded by the server's `inter`.
    pub check: Option<Duration>,
    /// `timeout tunnel`: inactivity allowed once the connection is a tunnel (a WebSocket after
    /// `101`, CONNECT, and every TCP-mode connection), in place of `client` and `server`.
    pub tunnel: Option<Duration>,
}

/// Load-balancing algorithm (manual 4.2 "balance").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Balance {
    /// Weighted round robin, weights adjustable at run time. HAProxy's default.
    #[default]
    RoundRobin,
    /// Weighted round robin with static weights.
    StaticRr,
    /// Server with the fewest connections (round robin among equals).
    LeastConn,
    /// Hash of the client's source address.
    Source,
    /// Hash of the request URI's path part, up to the `?` (HTTP only).
    Uri,
}

/// One `server` line (manual 5.2 "Server and default-server options").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Name, unique within the backend.
    pub name: String,
    /// Address: an IP literal (there is no DNS resolver on the box) and a port.
    pub addr: SocketAddr,
    /// Relative weight 0..=256 (default 1). 0 takes no new traffic from the balancer.
    pub weight: u16,
    /// Concurrent connections to this server; extra requests queue in the backend.
    /// `None` (the default, or `maxconn 0`) means unlimited.
    pub maxconn: Option<u32>,
    /// `check`: health checks are enabled.
    pub check: bool,
    /// Interval between two health checks (default 2s).
    pub inter: Duration,
    /// Consecutive successful checks to consider a down server up (default 2).
    pub rise: u32,
    /// Consecutive failed checks to consider an up server down (default 3).
    pub fall: u32,
    /// `backup`: only used when every non-backup server is down.
    pub backup: bool,
    /// Persistence cookie value identifying this server.
    pub cookie: Option<String>,
}

/// Default server weight (manual 5.2 "weight").
pub const DEFAULT_WEIGHT: u16 = 1;
/// Largest server weight (manual 5.2 "weight").
pub const MAX_WEIGHT: u16 = 256;
/// Default health-check interval (manual 5.2 "inter").
pub const DEFAULT_INTER: Duration = Duration::from_millis(2000);
/// Default `rise` (manual 5.2 "rise").
pub const DEFAULT_RISE: u32 = 2;
/// Default `fall` (manual 5.2 "fall").
pub const DEFAULT_FALL: u32 = 3;
/// Default `retries` (manual 4.2 "retries").
pub const DEFAULT_RETRIES: u32 = 3;

/// `cookie <name> insert|rewrite|prefix [indirect] [nocache]` (manual 4.2 "cookie").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookiePersistence {
    /// Cookie name.
    pub name: String,
    /// How the cookie gets to the client.
    pub mode: CookieMode,
    /// `indirect`: do not re-send the cookie to a client that already has a valid one, and
    /// remove it from requests before they reach the server.
    pub indirect: bool,
    /// `nocache`: mark responses carrying an inserted cookie non-cacheable.
    pub nocache: bool,
}

/// The cookie persistence method (manual 4.2 "cookie").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieMode {
    /// The proxy adds its own `Set-Cookie: NAME=<server cookie>`.
    Insert,
    /// The server sets the cookie and the proxy replaces its value with the server's cookie.
    Rewrite,
    /// The proxy prefixes the server's existing cookie value with `<server cookie>~`.
    Prefix,
}

/// `option httpchk [<method> <uri> [<version>]]` and `http-check expect status <code>`
/// (manual 4.2 "option httpchk", "http-check expect").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    /// Request method (default `OPTIONS`).
    pub method: String,
    /// Request URI (default `/`).
    pub uri: String,
    /// HTTP version string on the request line (default `HTTP/1.0`).
    pub version: String,
    /// Status a healthy server must answer. `None`: any 2xx or 3xx is healthy.
    pub expect_status: Option<u16>,
}

/// `option forwardfor [except <network>] [header <name>] [if-none]` (manual 4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardFor {
    /// Header to add (default `X-Forwarded-For`).
    pub header: String,
    /// Clients in this network do not get the header.
    pub except: Option<IpNet>,
    /// Only add the header if the request does not already have one.
    pub if_none: bool,
}

/// The statistics page (manual 4.2 "stats enable", "stats uri", "stats auth", "stats refresh").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// URI prefix the page is served under (default `/haproxy?stats`).
    pub uri: String,
    /// Accepted `user:password` pairs for basic authentication; empty means no authentication.
    pub auth: Vec<StatsUser>,
    /// Refresh interval suggested to the browser, if any.
    pub refresh: Option<Duration>,
}

/// Default statistics URI (manual 4.2 "stats uri").
pub const DEFAULT_STATS_URI: &str = "/haproxy?stats";

/// One `stats auth <user>:<password>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsUser {
    /// User name (no `:`).
    pub user: String,
    /// Clear-text password.
    pub password: String,
}

/// An `use_backend <backend> [if|unless <condition>]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseBackend {
    /// Target backend.
    pub backend: BackendId,
    /// When to use it; `None` means always.
    pub condition: Option<Condition>,
}

/// An `http-request` rule (manual 4.2 "http-request").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequestRule {
    /// What to do.
    pub action: HttpRequestAction,
    /// When; `None` means always.
    pub condition: Option<Condition>,
}

/// Actions of `http-request`. Header values and redirect targets are literal strings: HAProxy's
/// log-format expressions (`%[...]`) are rejected by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpRequestAction {
    /// Stop evaluating `http-request` rules and let the request through.
    Allow,
    /// Answer with this status (default 403) and close.
    Deny {
        /// Status code (`deny_status`).
        status: u16,
    },
    /// Append a header.
    AddHeader {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
    },
    /// Remove every header of that name, then append one.
    SetHeader {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
    },
    /// Remove every header of that name.
    DelHeader {
        /// Header name.
        name: String,
    },
    /// Answer with a redirect.
    Redirect(Redirect),
}

/// `redirect location|prefix|scheme <target> [code <code>] [drop-query] [append-slash]`
/// (manual 4.2 "redirect").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// How `target` is used.
    pub kind: RedirectKind,
    /// The location, prefix or scheme.
    pub target: String,
    /// 301, 302 (default), 303, 307 or 308.
    pub code: u16,
    /// Remove the query string (prefix and scheme redirects).
    pub drop_query: bool,
    /// Add a `/` to the path if it has none at the end (prefix and scheme redirects).
    pub append_slash: bool,
}

/// What a redirect's target means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    /// `Location:` is exactly the target.
    Location,
    /// `Location:` is the target followed by the original URI.
    Prefix,
    /// `Location:` is the target scheme, `://`, the Host header and the original URI.
    Scheme,
}

/// An `http-response` rule (manual 4.2 "http-response").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponseRule {
    /// What to do.
    pub action: HttpResponseAction,
    /// When (evaluated against the request that produced the response); `None` means always.
    pub condition: Option<Condition>,
}

/// Actions of `http-response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpResponseAction {
    /// Append a header.
    AddHeader {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
    },
    /// Remove every header of that name, then append one.
    SetHeader {
        /// Header name.
        name: String,
        /// Header value.
        value: String,
    },
    /// Remove every header of that name.
    DelHeader {
        /// Header name.
        name: String,
    },
}

/// A named ACL: every `acl <name> ...` line with the same name in one proxy, OR-ed together
/// (manual 7.1 "ACL basics").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// ACL name.
    pub name: String,
    /// One test per `acl` line; the ACL matches if any test matches.
    pub tests: Vec<AclTest>,
}

/// One ACL test: a sample fetch compared against patterns. It matches if any pattern matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclTest {
    /// What is extracted from the request.
    pub fetch: Fetch,
    /// How it is compared.
    pub matcher: Matcher,
}

/// Sample fetches supported in ACLs (manual 7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// `path`: the request path, without the query string (HTTP only).
    Path,
    /// `hdr(<name>)`: every value of the named request header, comma-separated values split as
    /// HAProxy does (HTTP only). The name is stored lower-case.
    Header(String),
    /// `method`: the request method (HTTP only).
    Method,
    /// `src`: the client's IP address.
    Src,
}

impl Fetch {
    /// Whether the fetch needs a parsed HTTP request.
    pub fn needs_http(&self) -> bool {
        !matches!(self, Fetch::Src)
    }
}

/// How a fetched sample is compared to the ACL's patterns (manual 7.1.3 "Matching methods").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// String comparison against any of `patterns`.
    Str {
        /// Which part of the sample must equal the pattern.
        kind: StrMatch,
        /// `-i`: ASCII case-insensitive comparison.
        ignore_case: bool,
        /// Patterns; never empty.
        patterns: Vec<String>,
    },
    /// `-m found`: the sample exists (e.g. the header is present).
    Found,
    /// The sample is an address inside any of these networks (`src`).
    Ip(Vec<IpNet>),
}

/// String matching methods (`-m str|beg|end|sub`, or the `_beg`/`_end`/`_sub` fetch suffixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrMatch {
    /// Whole-string equality.
    Exact,
    /// The sample starts with the pattern.
    Prefix,
    /// The sample ends with the pattern.
    Suffix,
    /// The sample contains the pattern.
    Substring,
}

/// An IP network: address plus prefix length (`10.0.0.0/8`, `2001:db8::/32`, or a host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    /// Network address (host bits are cleared by the parser).
    pub addr: IpAddr,
    /// Prefix length: 0..=32 for IPv4, 0..=128 for IPv6.
    pub prefix_len: u8,
}

impl IpNet {
    /// Whether `ip` lies in this network. An IPv4 network also matches IPv4-mapped IPv6
    /// addresses (`::ffff:a.b.c.d`), as HAProxy does.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq32(net.to_bits(), ip.to_bits(), self.prefix_len)
            }
            (IpAddr::V4(net), IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
                Some(ip) => prefix_eq32(net.to_bits(), ip.to_bits(), self.prefix_len),
                None => false,
            },
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq128(net.to_bits(), ip.to_bits(), self.prefix_len)
            }
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

fn prefix_eq32(a: u32, b: u32, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    };
    a & mask == b & mask
}

fn prefix_eq128(a: u128, b: u128, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    a & mask == b & mask
}

/// A rule condition: `if` or `unless` followed by ACL terms (manual 7.2 "Using ACLs to form
/// conditions"). Terms next to each other are AND-ed, `or`/`||` separates OR-ed groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// `unless`: the rule applies when the expression is false.
    pub negate: bool,
    /// OR of ANDs: the expression is true if every term of some group is true. Never empty, and
    /// no group is empty.
    pub any_of: Vec<Vec<AclTerm>>,
}

impl Condition {
    /// Evaluates the condition, given whether each referenced ACL matches the current request
    /// (manual 7.2): true if some OR-group has every term true, inverted for `unless`.
    pub fn evaluate(&self, mut acl_matches: impl FnMut(&AclRef) -> bool) -> bool {
        let any = self.any_of.iter().any(|group| {
            group
                .iter()
                .all(|term| acl_matches(&term.acl) != term.negated)
        });
        any != self.negate
    }
}

impl Matcher {
    /// Whether a string sample (path, method) matches; `None` means the sample does not exist,
    /// which matches nothing.
    pub fn matches_str(&self, sample: Option<&str>) -> bool {
        self.matches_bytes(sample.map(str::as_bytes))
    }

    /// Whether a sample matches as the bytes it is: header values may hold any octet
    /// (RFC 9110 §5.5 obs-text), and a value that is not UTF-8 must still be compared, or an
    /// attacker's `\xff` would hide it from a `deny` rule. `None` matches nothing.
    pub fn matches_bytes(&self, sample: Option<&[u8]>) -> bool {
        match (self, sample) {
            (_, None) | (Matcher::Ip(_), Some(_)) => false,
            (Matcher::Found, Some(_)) => true,
            (
                Matcher::Str {
                    kind,
                    ignore_case,
                    patterns,
                },
                Some(sample),
            ) => patterns
                .iter()
                .any(|p| kind.matches(sample, p.as_bytes(), *ignore_case)),
        }
    }

    /// Whether an address sample (`src`) matches.
    pub fn matches_ip(&self, ip: IpAddr) -> bool {
        match self {
            Matcher::Ip(nets) => nets.iter().any(|n| n.contains(ip)),
            Matcher::Found => true,
            Matcher::Str { .. } => false,
        }
    }
}

impl StrMatch {
    /// Whether `sample` matches `pattern` this way; `ignore_case` folds ASCII letters only, as
    /// HAProxy's `-i` does.
    pub fn matches(self, sample: &[u8], pattern: &[u8], ignore_case: bool) -> bool {
        let eq = |a: &[u8], b: &[u8]| {
            if ignore_case {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let n = pattern.len();
        match self {
            StrMatch::Exact => eq(sample, pattern),
            StrMatch::Prefix => sample.len() >= n && eq(&sample[..n], pattern),
            StrMatch::Suffix => sample.len() >= n && eq(&sample[sample.len() - n..], pattern),
            StrMatch::Substring => n == 0 || sample.windows(n).any(|w| eq(w, pattern)),
        }
    }
}

/// One term of a condition: an ACL, optionally negated with `!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclTerm {
    /// `!`: the term is true when the ACL does not match.
    pub negated: bool,
    /// The ACL.
    pub acl: AclRef,
}

/// How a condition term names its ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclRef {
    /// Index into the owning proxy's `acls`.
    Named(usize),
    /// One of HAProxy's predefined ACLs (manual 7.4).
    Builtin(BuiltinAcl),
    /// An anonymous ACL written inline as `{ <criterion> <patterns> }`.
    Anonymous(AclTest),
}

/// The predefined ACLs bareproxy supports (manual 7.4 "Pre-defined ACLs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinAcl {
    /// `TRUE`: always matches.
    True,
    /// `FALSE`: never matches.
    False,
    /// `LOCALHOST`: `src 127.0.0.1/8 ::1`.
    Localhost,
    /// `METH_CONNECT`: `method CONNECT`.
    MethConnect,
    /// `METH_DELETE`: `method DELETE`.
    MethDelete,
    /// `METH_GET`: `method GET HEAD`.
    MethGet,
    /// `METH_HEAD`: `method HEAD`.
    MethHead,
    /// `METH_OPTIONS`: `method OPTIONS`.
    MethOptions,
    /// `METH_POST`: `method POST`.
    MethPost,
    /// `METH_PUT`: `method PUT`.
    MethPut,
    /// `METH_TRACE`: `method TRACE`.
    MethTrace,
}

impl BuiltinAcl {
    /// Every supported predefined ACL with its name.
    pub const ALL: [(BuiltinAcl, &'static str); 11] = [
        (BuiltinAcl::True, "TRUE"),
        (BuiltinAcl::False, "FALSE"),
        (BuiltinAcl::Localhost, "LOCALHOST"),
        (BuiltinAcl::MethConnect, "METH_CONNECT"),
        (BuiltinAcl::MethDelete, "METH_DELETE"),
        (BuiltinAcl::MethGet, "METH_GET"),
        (BuiltinAcl::MethHead, "METH_HEAD"),
        (BuiltinAcl::MethOptions, "METH_OPTIONS"),
        (BuiltinAcl::MethPost, "METH_POST"),
        (BuiltinAcl::MethPut, "METH_PUT"),
        (BuiltinAcl::MethTrace, "METH_TRACE"),
    ];

    /// The ACL's name.
    pub fn name(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    /// The methods a `METH_*` ACL matches (empty for the others).
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            BuiltinAcl::MethConnect => &["CONNECT"],
            BuiltinAcl::MethDelete => &["DELETE"],
            BuiltinAcl::MethGet => &["GET", "HEAD"],
            BuiltinAcl::MethHead => &["HEAD"],
            BuiltinAcl::MethOptions => &["OPTIONS"],
            BuiltinAcl::MethPost => &["POST"],
            BuiltinAcl::MethPut => &["PUT"],
            BuiltinAcl::MethTrace => &["TRACE"],
            BuiltinAcl::True | BuiltinAcl::False | BuiltinAcl::Localhost => &[],
        }
    }

    /// Whether the ACL needs a parsed HTTP request.
    pub fn needs_http(self) -> bool {
        !self.methods().is_empty()
    }
}
