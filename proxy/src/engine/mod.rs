//! The proxy runtime: everything between the configuration model ([`crate::config`]), the
//! HTTP codec ([`crate::http`]) and the sockets.
//!
//! The engine is sans-IO like the codec. It drives connections through the narrow
//! [`Transport`] trait (accept, connect, send, recv, close) and reads the time only from the
//! argument of [`Engine::poll`]; the firmware implements `Transport` over smoltcp and calls
//! `poll` from its main loop, tests use the in-memory [`testing::SimNet`].
//!
//! # The firmware's main loop
//!
//! ```
//! use proxy::config::Config;
//! use proxy::engine::{Engine, Instant, ResourceLimits, testing::SimNet};
//!
//! let config = Config::demo().unwrap().config;
//! let mut engine = Engine::new(&config, ResourceLimits::from_ram(32 << 20));
//! let mut net = SimNet::new(); // the firmware: its smoltcp-backed Transport
//! for addr in engine.listeners() {
//!     net.listen(addr); // the firmware: open a listening socket (several, for a backlog)
//! }
//! let mut now = Instant::ZERO;
//! for _ in 0..10 {
//!     // firmware: iface.poll(...) first, so sockets have fresh data
//!     engine.poll(&mut net, now);
//!     // Sleep (WFI) until an interrupt or the engine's next deadline, whichever is first.
//!     let wake = engine.next_deadline().unwrap_or(now + core::time::Duration::from_secs(1));
//!     now = wake.max(now + core::time::Duration::from_millis(1));
//!     net.advance(now); // the simulated network catches up; the firmware has real time
//! }
//! ```
//!
//! # Where things are
//!
//! | file | what |
//! | --- | --- |
//! | `transport.rs` | [`Transport`], [`ConnState`]: what the engine needs from a TCP/IP stack |
//! | `time.rs` | [`Instant`]: the caller's monotonic clock |
//! | `pool.rs` | [`ResourceLimits`] (sized from RAM), the fixed buffer pool |
//! | `shared.rs` | run-time state shared by sessions (proxies, pool, log scratch) |
//! | `context.rs` | `Ctx`: transport, configuration, shared state and time, passed as one value |
//! | `balance.rs` | the five `balance` algorithms, backup servers, `maxconn` slots |
//! | `server.rs` | server/backend run-time state: rise/fall, slots, queue, counters |
//! | `health.rs` | TCP and HTTP health checks as sans-IO exchanges |
//! | `dispatch.rs` | persistence-or-balance, the `retries` / `option redispatch` rule |
//! | `server_link.rs` | for both session kinds: the server's slot, connecting, retry and redispatch |
//! | `rules.rs` | ACLs, `http-request`/`http-response` rules, redirects, `monitor-uri` |
//! | `session_http.rs` | HTTP mode: the transaction's phases (response progress and log line as states), keep-alive, pipelining, cookies, forwardfor, errors, timeouts |
//! | `session_tcp.rs` | TCP mode: relay with half-close |
//! | `counters.rs`, `stats.rs` | counters, HAProxy's CSV, the HTML page, stats auth |
//! | `log.rs` | syslog framing and HAProxy's `tcplog`/`httplog` lines |
//! | `testing.rs` | [`testing::SimNet`]: an in-memory network with scripted clients and servers |
//!
//! # Resources
//!
//! [`Engine::new`] allocates the buffer pool ([`ResourceLimits::buffers`] buffers) and the
//! session table once. A session takes its buffers when its client is accepted (4 for HTTP,
//! 2 for TCP) and gives them back when it ends; the HTTP codec's two head buffers are
//! allocated with the session and are part of [`ResourceLimits::from_ram`]'s budget. When
//! the pool or the table is full, TCP clients are left in the listen backlog and HTTP clients
//! get the 503 page from static memory. A frontend at its `maxconn`, or the process at
//! `global maxconn`, stops accepting (clients wait in the backlog, as with HAProxy); a server
//! at its `maxconn` makes requests wait in the backend queue until `timeout queue` (503).
//! Local answers built at run time (stats page, redirects) are the only per-request
//! allocations; rule evaluation allocates a small list of header operations per request.
//!
//! # Deviations from HAProxy worth knowing
//!
//! * Local answers (errors, redirects, stats, monitor) close the client connection.
//! * Only the first backup server is used when all primaries are down (HAProxy's default
//!   without `option allbackups`, which bareproxy does not parse).
//! * Idle server connections kept between requests are reused only when the balancer picks
//!   the same server again.

mod balance;
mod context;
mod counters;
mod dispatch;
mod health;
mod log;
mod pool;
mod rules;
mod server;
mod server_link;
mod session_http;
mod session_tcp;
mod shared;
mod stats;
pub mod testing;
mod time;
mod transport;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::net::SocketAddr;

pub use balance::{LbKey, Pick, sdbm};
pub use counters::Counters;
pub use log::{Civil, LOG_PID, LOG_TAG, TrafficRecord, WallClock};
pub use pool::{Buf, BufferPool, ResourceLimits};
pub use rules::{RequestView, path_of};
pub use server::{CheckOutcome, LastCheck, ServerRt};
pub use shared::{FrontendRt, MAX_EVENTS};
pub use stats::{BoxStats, CSV_COLUMNS, NicStats};
pub use time::Instant;
pub use transport::{Accepted, ConnState, ConnectError, Transport};

use context::Ctx;
use health::Check;
use server::{Transition, Waiter};
use session_http::HttpSession;
use session_tcp::TcpSession;
use shared::{Origin, Shared};

use crate::config::{Config, Level, LogFormat, Mode};
use crate::http::responses;

/// Connections accepted per listener per poll, so one busy listener cannot starve the rest.
const ACCEPT_BUDGET: usize = 16;

/// Whether a session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Alive,
    Done,
}

/// Receives into the free space of `buf`.
pub(crate) fn recv_into<T: Transport>(t: &mut T, conn: T::Conn, buf: &mut Buf) -> usize {
    if buf.free() == 0 {
        return 0;
    }
    let n = t.recv(conn, buf.space());
    buf.commit(n);
    n
}

/// Sends from the front of `buf`, dropping what was taken.
pub(crate) fn send_from<T: Transport>(t: &mut T, conn: T::Conn, buf: &mut Buf) -> usize {
    if buf.is_empty() {
        return 0;
    }
    let n = t.send(conn, buf.data()).min(buf.len());
    buf.consume(n);
    n
}

// Sessions live in a table allocated once at start-up, so the size difference between the
// variants costs memory that is reserved anyway; boxing would add an allocation per accept.
#[allow(clippy::large_enum_variant)]
enum Session<C> {
    Http(HttpSession<C>),
    Tcp(TcpSession<C>),
}

impl<C: Copy + Eq + core::fmt::Debug> Session<C> {
    fn step<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) -> Status {
        match self {
            Session::Http(s) => s.step(cx, me),
            Session::Tcp(s) => s.step(cx, me),
        }
    }

    fn deadline(&self, cfg: &Config) -> Option<Instant> {
        match self {
            Session::Http(s) => s.deadline(cfg),
            Session::Tcp(s) => s.deadline(cfg),
        }
    }

    fn teardown<T: Transport<Conn = C>>(self, cx: &mut Ctx<'_, T>, me: Waiter) {
        match self {
            Session::Http(s) => s.teardown(cx, me),
            Session::Tcp(s) => s.teardown(cx, me),
        }
    }

    fn queued_backend(&self) -> Option<usize> {
        match self {
            Session::Http(s) => s.queued_backend(),
            Session::Tcp(s) => s.queued_backend(),
        }
    }
}

/// The proxy runtime for one configuration.
pub struct Engine<C> {
    config: Config,
    limits: ResourceLimits,
    shared: Shared,
    sessions: Vec<Option<Session<C>>>,
    generations: Vec<u32>,
    free_slots: Vec<usize>,
    /// `checks[backend][server]`, `None` for servers without `check`.
    checks: Vec<Vec<Option<Check<C>>>>,
    listeners: Vec<(SocketAddr, usize)>,
    started: bool,
    now: Instant,
    queue_scratch: Vec<Waiter>,
}

impl<C: Copy + Eq + core::fmt::Debug> Engine<C> {
    /// Builds the runtime for `config`, allocating every pool now.
    pub fn new(config: &Config, limits: ResourceLimits) -> Engine<C> {
        // The configuration's `tune.*` always applies, whoever worked out the limits.
        let limits = limits.tuned(&config.global.tune);
        let pool = BufferPool::new(limits.buffers, limits.buffer_size);
        let shared = Shared::new(config, pool, limits.max_sessions);
        let mut sessions = Vec::with_capacity(limits.max_sessions);
        sessions.resize_with(limits.max_sessions, || None);
        let checks = config
            .backends
            .iter()
            .map(|b| {
                b.servers
                    .iter()
                    .map(|s| s.check.then(|| Check::new(b, s)))
                    .collect()
            })
            .collect();
        let listeners = config
            .frontends
            .iter()
            .enumerate()
            .flat_map(|(i, f)| f.binds.iter().map(move |&a| (a, i)))
            .collect();
        Engine {
            config: config.clone(),
            limits,
            shared,
            sessions,
            generations: alloc::vec![0; limits.max_sessions],
            free_slots: (0..limits.max_sessions).rev().collect(),
            checks,
            listeners,
            started: false,
            now: Instant::ZERO,
            queue_scratch: Vec::with_capacity(limits.max_sessions.min(1024)),
        }
    }

    /// The addresses to listen on (every `bind` of every frontend).
    pub fn listeners(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.listeners.iter().map(|&(a, _)| a)
    }

    /// The configuration being run.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The limits in force.
    pub fn limits(&self) -> ResourceLimits {
        self.limits
    }

    /// Tells the engine the calendar time (for log dates): at `now`, it is `unix_millis`.
    pub fn set_wall_clock(&mut self, now: Instant, unix_millis: u64) {
        self.shared.clock = WallClock::new(now, unix_millis);
    }

    /// Updates the box figures shown on the stats page.
    pub fn set_box_stats(&mut self, stats: BoxStats) {
        self.shared.box_stats = stats;
    }

    /// Does all the work that is ready: health checks, new connections, queued requests,
    /// every session. Bounded: each session makes at most a few passes over its buffers.
    pub fn poll<T: Transport<Conn = C>>(&mut self, t: &mut T, now: Instant) {
        if !self.started {
            self.started = true;
            self.shared.started = now;
            for brt in &mut self.shared.backends {
                brt.last_change = now;
                for s in &mut brt.servers {
                    s.last_change = now;
                }
            }
        }
        self.now = self.now.max(now);
        let now = self.now;
        self.run_checks(t, now);
        self.accept(t, now);
        // Queued sessions first, oldest first, so freed slots go to those who waited.
        for b in 0..self.shared.backends.len() {
            self.queue_scratch.clear();
            self.queue_scratch
                .extend(self.shared.backends[b].queue.iter().map(|q| q.waiter));
            for k in 0..self.queue_scratch.len() {
                let w = self.queue_scratch[k];
                if self.generations.get(w.slot) == Some(&w.generation) {
                    self.step_slot(t, w.slot, now);
                }
            }
        }
        for slot in 0..self.sessions.len() {
            if self.sessions[slot].is_some() {
                self.step_slot(t, slot, now);
            }
        }
    }

    fn step_slot<T: Transport<Conn = C>>(&mut self, t: &mut T, slot: usize, now: Instant) {
        let me = Waiter {
            slot,
            generation: self.generations[slot],
        };
        let Some(session) = self.sessions[slot].as_mut() else {
            return;
        };
        let mut cx = Ctx::new(t, &self.config, &mut self.shared, now);
        if session.step(&mut cx, me) == Status::Done
            && let Some(session) = self.sessions[slot].take()
        {
            session.teardown(&mut cx, me);
            self.generations[slot] = self.generations[slot].wrapping_add(1);
            self.free_slots.push(slot);
            self.shared.active_sessions = self.shared.active_sessions.saturating_sub(1);
        }
    }

    fn accept<T: Transport<Conn = C>>(&mut self, t: &mut T, now: Instant) {
        for li in 0..self.listeners.len() {
            let (addr, fi) = self.listeners[li];
            for _ in 0..ACCEPT_BUDGET {
                let fe = &self.config.frontends[fi];
                let need = if fe.mode == Mode::Http { 4 } else { 2 };
                let fe_count = self.shared.frontends[fi].counters.scur;
                if fe_count >= fe.maxconn
                    || self.shared.active_sessions >= self.config.global.maxconn
                {
                    break; // clients wait in the listen backlog
                }
                let room = !self.free_slots.is_empty() && self.shared.pool.available() >= need;
                if !room && fe.mode == Mode::Tcp {
                    self.shared.pool.exhausted += 1;
                    break;
                }
                let Some(acc) = t.accept(addr) else {
                    break;
                };
                if !room {
                    // HTTP with no memory for a session: HAProxy's 503, from static memory.
                    self.shared.pool.exhausted += 1;
                    let rt = &mut self.shared.frontends[fi];
                    rt.pool_refusals += 1;
                    rt.counters.count_status(503);
                    let page = responses::SERVICE_UNAVAILABLE;
                    if t.send(acc.conn, page) == page.len() {
                        t.close(acc.conn);
                    } else {
                        t.abort(acc.conn);
                    }
                    continue;
                }
                let Some(slot) = self.free_slots.pop() else {
                    t.abort(acc.conn);
                    break;
                };
                let origin = Origin {
                    peer: acc.peer,
                    local: acc.local,
                    frontend: fi,
                };
                let session = if fe.mode == Mode::Http {
                    self.shared.pool.take::<4>().map(|bufs| {
                        Session::Http(HttpSession::new(
                            acc.conn,
                            origin,
                            bufs,
                            self.limits.http_limits(),
                            now,
                        ))
                    })
                } else {
                    let view = RequestView {
                        head: None,
                        src: acc.peer.ip(),
                    };
                    let backend = fe
                        .use_backend
                        .iter()
                        .find(|u| rules::condition_holds(&fe.acls, u.condition.as_ref(), &view))
                        .map(|u| u.backend)
                        .or(fe.default_backend);
                    self.shared.pool.take::<2>().map(|bufs| {
                        Session::Tcp(TcpSession::new(acc.conn, origin, backend, bufs, now))
                    })
                };
                let Some(session) = session else {
                    self.free_slots.push(slot);
                    t.abort(acc.conn);
                    break;
                };
                self.sessions[slot] = Some(session);
                self.shared.active_sessions += 1;
                self.shared.frontends[fi].counters.session_started();
                if fe.log.format == LogFormat::Default && !fe.log.targets.is_empty() {
                    self.shared.line.clear();
                    let mode = if fe.mode == Mode::Http { "HTTP" } else { "TCP" };
                    let _ = write!(
                        self.shared.line,
                        "Connect from {}:{} to {}:{} ({}/{})",
                        acc.peer.ip(),
                        acc.peer.port(),
                        acc.local.ip(),
                        acc.local.port(),
                        fe.name,
                        mode
                    );
                    self.shared.send_line(t, &fe.log.targets, Level::Info, now);
                }
                // Serve what already arrived without waiting for the next poll.
                self.step_slot(t, slot, now);
            }
        }
    }

    fn run_checks<T: Transport<Conn = C>>(&mut self, t: &mut T, now: Instant) {
        for (b, backend) in self.config.backends.iter().enumerate() {
            for (s, server) in backend.servers.iter().enumerate() {
                let Some(check) = self.checks[b][s].as_mut() else {
                    continue;
                };
                let Some(result) = check.step(t, backend, server, now) else {
                    continue;
                };
                let duration = result.duration;
                let outcome = result.outcome.clone();
                let brt = &mut self.shared.backends[b];
                let had_server = brt.has_usable_server(backend);
                let Some(transition) = brt.servers[s].record_check(server, result, now) else {
                    continue;
                };
                let (act, bck) = brt.servers_up(backend);
                let queued = brt.queue.len();
                let active = brt.servers[s].active;
                let line = &mut self.shared.line;
                line.clear();
                let word = if transition == Transition::WentDown {
                    "DOWN"
                } else {
                    "UP"
                };
                let _ = write!(
                    line,
                    "Server {}/{} is {word}, reason: {}",
                    backend.name,
                    server.name,
                    outcome.reason()
                );
                if let Some(code) = outcome.http_code() {
                    let _ = write!(line, ", code: {code}");
                }
                if let Some(info) = outcome.info() {
                    // The server wrote the reason: it reaches syslog and the console only
                    // encoded (`log::push_encoded`).
                    line.push_str(", info: \"");
                    log::push_encoded(line, info);
                    line.push('"');
                }
                let _ = write!(line, ", check duration: {}ms. ", duration.as_millis());
                let level = match transition {
                    Transition::WentDown => {
                        let _ = write!(
                            line,
                            "{act} active and {bck} backup servers left. {active} sessions active, 0 requeued, {queued} remaining in queue."
                        );
                        Level::Alert
                    }
                    Transition::WentUp => {
                        let _ = write!(
                            line,
                            "{act} active and {bck} backup servers online. 0 sessions requeued, {queued} total in queue."
                        );
                        Level::Notice
                    }
                };
                self.shared.remember_event();
                self.shared.send_line(t, &backend.log, level, now);
                let has_server = self.shared.backends[b].has_usable_server(backend);
                if had_server != has_server {
                    self.shared.backends[b].last_change = now;
                }
                if had_server && !has_server {
                    self.shared.line.clear();
                    let _ = write!(
                        self.shared.line,
                        "backend {} has no server available!",
                        backend.name
                    );
                    self.shared.remember_event();
                    self.shared.send_line(t, &backend.log, Level::Emerg, now);
                }
            }
        }
    }

    /// The earliest instant at which [`Engine::poll`] has timed work (a timeout, a health
    /// check). Network activity is not included: poll when the stack has news, too.
    pub fn next_deadline(&self) -> Option<Instant> {
        let sessions = self
            .sessions
            .iter()
            .flatten()
            .filter_map(|s| s.deadline(&self.config));
        let checks = self
            .checks
            .iter()
            .flatten()
            .flatten()
            .filter_map(Check::deadline);
        sessions.chain(checks).min()
    }

    /// Sessions alive.
    pub fn session_count(&self) -> usize {
        self.shared.active_sessions as usize
    }

    /// Sessions waiting in backend queues.
    pub fn queued_count(&self) -> usize {
        self.sessions
            .iter()
            .flatten()
            .filter(|s| s.queued_backend().is_some())
            .count()
    }

    /// The buffer pool (free/total counts, exhaustion count).
    pub fn pool(&self) -> &BufferPool {
        &self.shared.pool
    }

    /// Run-time state of a server, by names.
    pub fn server(&self, backend: &str, server: &str) -> Option<&ServerRt> {
        let (b, be) = self.config.backend_by_name(backend)?;
        let s = be.servers.iter().position(|s| s.name == server)?;
        self.shared.backends.get(b)?.servers.get(s)
    }

    /// Counters of a backend, by name.
    pub fn backend_counters(&self, backend: &str) -> Option<&Counters> {
        let (b, _) = self.config.backend_by_name(backend)?;
        Some(&self.shared.backends.get(b)?.counters)
    }

    /// Counters of a frontend, by name.
    pub fn frontend_counters(&self, frontend: &str) -> Option<&Counters> {
        let i = self
            .config
            .frontends
            .iter()
            .position(|f| f.name == frontend)?;
        Some(&self.shared.frontends.get(i)?.counters)
    }

    /// Takes the event lines (servers going up or down) logged since the last call, for the
    /// console. At most [`MAX_EVENTS`] are kept.
    pub fn take_events(&mut self) -> Vec<String> {
        self.shared.events.drain(..).collect()
    }

    /// Renders HAProxy's stats CSV into `out`.
    pub fn render_stats_csv(&self, out: &mut String) {
        stats::render_csv(out, &self.config, &self.shared, self.now);
    }

    /// Renders the HTML stats page into `out` (with `page`'s refresh, or none).
    pub fn render_stats_html(&self, out: &mut String, page: Option<&crate::config::Stats>) {
        let default = crate::config::Stats {
            uri: String::from(crate::config::DEFAULT_STATS_URI),
            auth: Vec::new(),
            refresh: None,
        };
        stats::render_html(
            out,
            &self.config,
            &self.shared,
            self.now,
            page.unwrap_or(&default),
        );
    }

    /// Resets every connection and cancels running checks (before a reboot or a new
    /// configuration).
    pub fn shutdown<T: Transport<Conn = C>>(&mut self, t: &mut T) {
        for slot in 0..self.sessions.len() {
            if let Some(session) = self.sessions[slot].take() {
                let me = Waiter {
                    slot,
                    generation: self.generations[slot],
                };
                session.teardown(
                    &mut Ctx::new(t, &self.config, &mut self.shared, self.now),
                    me,
                );
                self.generations[slot] = self.generations[slot].wrapping_add(1);
                self.free_slots.push(slot);
            }
        }
        self.shared.active_sessions = 0;
        for check in self.checks.iter_mut().flatten().flatten() {
            check.cancel(t);
        }
    }
}
