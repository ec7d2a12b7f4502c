//! One client connection in HTTP mode: requests read in order with the HTTP codec, rules,
//! backend and server choice, the request streamed to the server, the response streamed back,
//! keep-alive on both sides, and HAProxy's error answers.
//!
//! # States
//!
//! ```text
//!            head complete          slot free            connected
//! Request ───────────────▶ Queued ───────────▶ Connect ───────────▶ Exchange ──┐
//!    ▲  │ local answer        │ timeout queue     │ retries exhausted           │ response
//!    │  ▼ (deny, redirect,    ▼ 503               ▼ 503                         │ complete
//!    │ Reply ◀── errors 400 403 408 500 502 503 504 ◀───────────────────────────┤
//!    │                                                                          │
//!    └──────────────────── keep-alive: next request ◀───────────────────────────┘
//!                          otherwise Close (flush, then close)
//! ```
//!
//! `Exchange` carries how far the server's response has come ([`Response`]):
//!
//! ```text
//!        1xx head             its end            final head (plan)       end of body
//! Head ───────────▶ Interim ───────────▶ Head ───────────────────▶ Body ───────────▶ done
//!                                          └── 101 / CONNECT 2xx ──▶ Tunnel (phase)
//! ```
//!
//! Before `Body` an error is answered with HAProxy's page and logged with phase `H`; from
//! `Body` on (and in `Tunnel`) the head is gone, so the client is reset and the phase is `D`
//! (manual 8.5, the second character of the termination state).
//!
//! The log line is part of the state machine too: `Request` to `Tunnel` belong to a
//! transaction whose line is still owed; `Reply`, `Close` and `Done` are reached only through
//! `settle`, which writes the line or decides it is never written (monitor requests, idle
//! keep-alive closes). So a transaction is logged at most once and none is left undecided.
//!
//! Buffers: `c_rx` (bytes from the client, not yet parsed), `s_tx` (request bytes for the
//! server), `s_rx` (bytes from the server) and `c_tx` (response bytes for the client). The
//! codec never claims more input than the destination buffer can take, so a slow reader
//! stops its writer (backpressure) without any further buffering.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::time::Duration;

use super::balance::{LbKey, Pick};
use super::context::Ctx;
use super::dispatch::{Standing, choose};
use super::log::TrafficRecord;
use super::pool::Buf;
use super::rules::{
    MONITOR_OK, RequestVerdict, RequestView, redirect_location, redirect_response,
    run_request_rules, run_response_rules,
};
use super::server::Waiter;
use super::server_link::{self, Assignment, Attempt, LbInput, LinkState, Progress, ServerLink};
use super::shared::{Origin, Shared};
use super::stats;
use super::time::{Instant, deadline, earliest, inactivity};
use super::transport::{ConnState, Transport};
use super::{Status, recv_into, send_from};
use crate::config::{Backend, Config, CookieMode as CfgCookieMode, Frontend, Level, LogFormat};
use crate::http::{
    ClientSide, CookieMode, CookiePolicy, Direction, Event, ForwardedFor, HeaderOp, HttpError,
    Limits, MethodKind, Next, Persist, Persistence, RequestRewrite, ResponseCookie,
    ResponseRewrite, ServerSide, Version, check_tunnel, plan_request, plan_response, responses,
    server_cookie, write_request, write_response,
};

/// Most passes over the state machine in one poll (bounded work per session).
const MAX_ROUNDS: usize = 8;
/// Longest request line kept for the log.
const MAX_LOGGED_REQUEST: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request head.
    Request,
    /// Waiting in the backend queue.
    Queued { until: Option<Instant> },
    /// Connecting to the chosen server.
    Connect { until: Option<Instant> },
    /// Forwarding the request body and the response, which has come as far as the
    /// [`Response`] says.
    Exchange(Response),
    /// After `101 Switching Protocols` or a CONNECT: raw bytes both ways.
    Tunnel,
    /// Sending a locally generated answer, then closing. The transaction is settled.
    Reply,
    /// Flushing what is left for the client, then closing. The transaction is settled.
    Close,
    /// Finished; the engine frees the slot.
    Done,
}

impl Phase {
    /// The phases of a transaction whose log line is still owed: leaving them for `Reply`,
    /// `Close` or `Done` is [`HttpSession::settle`]'s job.
    fn owes_log(self) -> bool {
        matches!(
            self,
            Phase::Request
                | Phase::Queued { .. }
                | Phase::Connect { .. }
                | Phase::Exchange(_)
                | Phase::Tunnel
        )
    }
}

/// How far the server's response to the current request has come. HAProxy draws the same
/// line: until the response head is forwarded `http_wait_for_response()` (src/http_ana.c) may
/// still answer with an error page; afterwards `http_response_forward_body()` can only abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Response {
    /// No head from the server yet, or only complete interim (1xx) ones. A head is rewritten
    /// into `c_tx` whole, so one is read only while `c_tx` is empty.
    Head,
    /// A 1xx head was read (and forwarded to an HTTP/1.1 client); its empty body's end comes
    /// next, then the final head. No final answer has gone to the client.
    Interim,
    /// The final head went to the client with this connection plan; the body is flowing.
    Body(Persistence),
}

impl Response {
    /// Between a head and the end of its body: the reader takes what `c_tx` has room for.
    fn in_body(self) -> bool {
        !matches!(self, Response::Head)
    }
}

/// Whether the transaction [`HttpSession::settle`] ends writes its log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogLine {
    /// Write it (`option dontlognull` may still drop an empty one, manual 4.2).
    Write,
    /// Write none: a monitor request (manual 4.2 "monitor-uri"), a keep-alive connection
    /// closed or timed out between requests (nothing was asked), a client reset.
    Skip,
}

/// Per-transaction facts for the log and the counters. Where the transaction is (request,
/// response progress, whether its line is written) is the [`Phase`], not a field here.
#[derive(Debug, Default)]
struct Txn {
    start: Instant,
    head_at: Option<Instant>,
    queued_at: Option<Instant>,
    dequeued_at: Option<Instant>,
    response_at: Option<Instant>,
    /// Backend, server (and its slot), persistence and connection attempts.
    asg: Assignment,
    status: Option<u16>,
    bytes_in: u64,
    bytes_out: u64,
    /// HAProxy termination state: cause, phase, request cookie, response cookie.
    term: [u8; 4],
    request_line: String,
    method: Option<MethodKind>,
}

impl Txn {
    fn new(start: Instant) -> Txn {
        Txn {
            start,
            term: *b"----",
            ..Txn::default()
        }
    }
}

/// An HTTP-mode session.
pub(crate) struct HttpSession<C> {
    client: C,
    origin: Origin,
    cside: ClientSide,
    sside: ServerSide,
    c_rx: Buf,
    s_tx: Buf,
    s_rx: Buf,
    c_tx: Buf,
    phase: Phase,
    srv: Option<ServerLink<C>>,
    txn: Txn,
    /// The client closed its sending side. A fact about the connection, not a phase of the
    /// transaction: it may arrive in any phase and outlives the transaction (pipelined
    /// requests already read are still answered), and each phase reads it for itself (no
    /// next request, `Connection: close` on the response, a truncated body). As in
    /// session_tcp.rs, half-closes stay beside the phase.
    client_eof: bool,
    client_active_at: Instant,
    /// Transactions completed on this connection.
    served: u32,
    /// A local answer too large for `c_tx` (the stats page), sent piecewise.
    local_body: Vec<u8>,
    local_sent: usize,
}

/// Maps the configuration's cookie settings to the codec's.
fn cookie_policy(backend: &Backend) -> Option<CookiePolicy<'_>> {
    backend.cookie.as_ref().map(|c| CookiePolicy {
        name: &c.name,
        mode: match c.mode {
            CfgCookieMode::Insert => CookieMode::Insert,
            CfgCookieMode::Rewrite => CookieMode::Rewrite,
            CfgCookieMode::Prefix => CookieMode::Prefix,
        },
        indirect: c.indirect,
        nocache: c.nocache,
        preserve: false,
        httponly: false,
        secure: false,
        domain: None,
    })
}

impl<C: Copy + Eq + core::fmt::Debug> HttpSession<C> {
    pub(crate) fn new(
        client: C,
        origin: Origin,
        bufs: [Buf; 4],
        limits: Limits,
        now: Instant,
    ) -> HttpSession<C> {
        let [c_rx, s_tx, s_rx, c_tx] = bufs;
        HttpSession {
            client,
            origin,
            cside: ClientSide::new(limits),
            sside: ServerSide::new(limits),
            c_rx,
            s_tx,
            s_rx,
            c_tx,
            phase: Phase::Request,
            srv: None,
            txn: Txn::new(now),
            client_eof: false,
            client_active_at: now,
            served: 0,
            local_body: Vec::new(),
            local_sent: 0,
        }
    }

    /// The backend this session waits for, if it is queued.
    pub(crate) fn queued_backend(&self) -> Option<usize> {
        matches!(self.phase, Phase::Queued { .. })
            .then_some(self.txn.asg.backend)
            .flatten()
    }

    /// Advances the session as far as it can go without waiting.
    pub(crate) fn step<T: Transport<Conn = C>>(
        &mut self,
        cx: &mut Ctx<'_, T>,
        me: Waiter,
    ) -> Status {
        for _ in 0..MAX_ROUNDS {
            let mut progress = self.pump_io(cx);
            progress |= self.advance(cx, me);
            progress |= self.flush(cx);
            if self.phase == Phase::Done {
                return Status::Done;
            }
            if !progress {
                break;
            }
        }
        self.check_timeouts(cx, me);
        self.flush(cx);
        if self.phase == Phase::Done {
            Status::Done
        } else {
            Status::Alive
        }
    }

    /// Reads from both sockets into the receive buffers; notes closes and failures.
    fn pump_io<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let mut progress = false;
        let n = recv_into(cx.net, self.client, &mut self.c_rx);
        if n > 0 {
            progress = true;
            self.client_active_at = cx.now;
            self.txn.bytes_in += n as u64;
            cx.sh.frontends[self.origin.frontend].counters.bytes_in += n as u64;
        }
        let state = cx.net.state(self.client);
        if state == ConnState::Failed {
            self.client_failed(cx);
            return true;
        }
        if !state.peer_may_send() && cx.net.recv_available(self.client) == 0 && !self.client_eof {
            self.client_eof = true;
            progress = true;
        }
        if let Some(link) = self.srv.as_mut()
            && link.connected()
        {
            let n = recv_into(cx.net, link.conn, &mut self.s_rx);
            if n > 0 {
                progress = true;
                link.active_at = cx.now;
                let brt = &mut cx.sh.backends[link.backend];
                brt.counters.bytes_out += n as u64;
                if let Some(s) = brt.servers.get_mut(link.server) {
                    s.counters.bytes_out += n as u64;
                }
            }
            progress |= link.note_eof(cx.net);
        }
        progress
    }

    /// Sends what the send buffers hold.
    fn flush<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let mut progress = false;
        if self.phase == Phase::Reply && self.local_sent < self.local_body.len() {
            let n = self.c_tx.push(&self.local_body[self.local_sent..]);
            self.local_sent += n;
        }
        if cx.net.state(self.client).can_send() {
            let n = send_from(cx.net, self.client, &mut self.c_tx);
            if n > 0 {
                progress = true;
                self.client_active_at = cx.now;
                self.txn.bytes_out += n as u64;
                cx.sh.frontends[self.origin.frontend].counters.bytes_out += n as u64;
            }
        }
        if let Some(link) = self.srv.as_mut()
            && link.connected()
            && !self.s_tx.is_empty()
        {
            let n = send_from(cx.net, link.conn, &mut self.s_tx);
            if n > 0 {
                progress = true;
                link.active_at = cx.now;
                let brt = &mut cx.sh.backends[link.backend];
                brt.counters.bytes_in += n as u64;
                if let Some(s) = brt.servers.get_mut(link.server) {
                    s.counters.bytes_in += n as u64;
                }
            }
        }
        if matches!(self.phase, Phase::Reply | Phase::Close)
            && self.c_tx.is_empty()
            && self.local_sent >= self.local_body.len()
        {
            cx.net.close(self.client);
            self.drop_server(cx.net, false);
            self.settle(cx, LogLine::Skip, Phase::Done);
            progress = true;
        }
        progress
    }

    fn advance<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) -> bool {
        match self.phase {
            Phase::Request => self.read_request(cx, me),
            Phase::Queued { .. } => self.try_dequeue(cx, me),
            Phase::Connect { .. } => self.check_connect(cx, me),
            Phase::Exchange(_) => self.exchange(cx),
            Phase::Tunnel => self.tunnel(cx),
            Phase::Reply | Phase::Close | Phase::Done => false,
        }
    }

    // ---- request head -------------------------------------------------------------------

    fn read_request<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) -> bool {
        let mut progress = false;
        loop {
            let step = match self.cside.read(self.c_rx.data()) {
                Ok(step) => step,
                Err(e) => {
                    cx.sh.frontends[self.origin.frontend]
                        .counters
                        .request_errors += 1;
                    self.fail(cx, e.status(Direction::Request), *b"PR");
                    return true;
                }
            };
            self.c_rx.consume(step.consumed);
            progress |= step.consumed > 0;
            match step.event {
                Event::NeedMore => {
                    if step.consumed == 0 {
                        break;
                    }
                }
                Event::Head => {
                    self.on_request_head(cx, me);
                    return true;
                }
                // The reader is between messages only after a completed exchange, which
                // leaves this phase; nothing to do.
                Event::Body | Event::End | Event::Idle => break,
            }
        }
        if self.client_eof && self.phase == Phase::Request {
            match self.cside.on_eof() {
                // Closed between requests: the normal end of a keep-alive connection.
                Ok(_) => self.settle(cx, LogLine::Skip, Phase::Close),
                Err(_) => {
                    // Closed in the middle of a head: HAProxy logs "CR" and answers nothing.
                    self.txn.term = *b"CR--";
                    cx.sh.frontends[self.origin.frontend].counters.client_aborts += 1;
                    self.settle(cx, LogLine::Write, Phase::Close);
                }
            }
            return true;
        }
        progress
    }

    fn on_request_head<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) {
        let Some(fe) = cx.cfg.frontends.get(self.origin.frontend) else {
            // Cannot happen: the engine creates sessions for its own frontends only.
            self.settle(cx, LogLine::Skip, Phase::Close);
            return;
        };
        self.txn.head_at = Some(cx.now);
        cx.sh.frontends[self.origin.frontend].counters.requests += 1;
        let req = self.cside.request();
        self.txn.method = Some(req.method_kind());
        self.txn.request_line.clear();
        let _ = write!(
            self.txn.request_line,
            "{} {} {}",
            req.method().unwrap_or("-"),
            req.target().unwrap_or("-"),
            req.version().as_str()
        );
        truncate_at_char(&mut self.txn.request_line, MAX_LOGGED_REQUEST);
        let target = req.target().unwrap_or("/");

        // monitor-uri answers before any rule (manual 4.2 "monitor-uri").
        if fe.monitor_uri.as_deref() == Some(target) {
            self.reply(cx, MONITOR_OK, 200, LogLine::Skip);
            return;
        }
        let view = RequestView {
            head: Some(self.cside.request()),
            src: self.origin.peer.ip(),
        };
        let mut ops: Vec<HeaderOp<'_>> = Vec::new();
        let verdict = run_request_rules(&fe.http_request, &fe.acls, &view, &mut ops);
        if !matches!(verdict, RequestVerdict::Forward) {
            let frontend = self.origin.frontend;
            self.answer_stopped(verdict, cx, |shared| {
                shared.frontends[frontend].counters.denied_requests += 1;
            });
            return;
        }
        // The stats page comes after the proxy's own rules, so a deny rule guards it (HAProxy
        // `src/http_ana.c`, `http_process_req_common`: http-request rules, then the stats URI).
        if let Some(stats) = &fe.stats
            && target.starts_with(stats.uri.as_str())
        {
            self.serve_stats(cx, stats, None);
            return;
        }
        let backend_id = fe
            .use_backend
            .iter()
            .find(|u| super::rules::condition_holds(&fe.acls, u.condition.as_ref(), &view))
            .map(|u| u.backend)
            .or(fe.default_backend);
        let Some((backend_id, be)) =
            backend_id.and_then(|b| cx.cfg.backends.get(b).map(|be| (b, be)))
        else {
            self.fail(cx, 503, *b"SC");
            return;
        };
        self.txn.asg.backend = Some(backend_id);
        let verdict = run_request_rules(&be.http_request, &be.acls, &view, &mut ops);
        if !matches!(verdict, RequestVerdict::Forward) {
            self.answer_stopped(verdict, cx, |shared| {
                shared.backends[backend_id].counters.denied_requests += 1;
            });
            return;
        }
        if let Some(stats) = &be.stats
            && (stats_matches(target, &stats.uri) || be.servers.is_empty())
        {
            self.serve_stats(cx, stats, Some(backend_id));
            return;
        }

        // The request head for the server: rules, X-Forwarded-For, persistence cookie.
        let req = self.cside.request();
        let policy = cookie_policy(be);
        let xff = fe
            .forwardfor
            .as_ref()
            .or(be.forwardfor.as_ref())
            .and_then(|f| {
                let client = self.origin.peer.ip();
                (!f.except.is_some_and(|net| net.contains(client))).then_some(ForwardedFor {
                    header: &f.header,
                    client,
                    if_none: f.if_none,
                })
            });
        let rewrite = RequestRewrite {
            ops: &ops,
            forwarded_for: xff,
            connection: plan_request(fe.http_mode.strictest(be.http_mode), req),
            cookie: policy.as_ref(),
            strip_expect: false,
        };
        self.s_tx.clear();
        match write_request(req, &rewrite, self.s_tx.space()) {
            Ok(n) => self.s_tx.commit(n),
            Err(e) => {
                self.fail(cx, e.status(Direction::Request), *b"PR");
                return;
            }
        }
        self.sside.expect_response(req.method_kind());

        // Persistence: the server named by the cookie, if it is one of ours.
        let (pinned, cookie_state) = match policy.as_ref().and_then(|p| server_cookie(p, req)) {
            None => (None, b'N'),
            Some(value) => match be
                .servers
                .iter()
                .position(|s| s.cookie.as_deref().map(str::as_bytes) == Some(value))
            {
                None => (None, b'I'),
                Some(i) if cx.sh.backends[backend_id].servers[i].is_up() => (Some(i), b'V'),
                Some(_) => (None, b'D'),
            },
        };
        if policy.is_some() {
            self.txn.term[2] = cookie_state;
        }
        self.txn.asg.pinned = pinned;
        self.dispatch(cx, me);
    }

    /// Chooses a server (or the queue) for the current request.
    fn dispatch<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) {
        let Some(backend_id) = self.txn.asg.backend else {
            return;
        };
        let Some(be) = cx.cfg.backends.get(backend_id) else {
            return;
        };
        let key = LbKey::of(
            be.balance,
            self.origin.peer.ip(),
            self.cside.request().target(),
        );
        let brt = &mut cx.sh.backends[backend_id];
        let standing = if matches!(self.phase, Phase::Queued { .. }) {
            Standing::Queued(me)
        } else {
            Standing::New
        };
        match choose(be, brt, self.txn.asg.pinned, key, None, standing) {
            Pick::Server(i) => {
                if matches!(self.phase, Phase::Queued { .. }) {
                    brt.leave_queue(me.slot, me.generation);
                    self.txn.dequeued_at = Some(cx.now);
                }
                self.start_server(cx, i);
            }
            Pick::Queue(server) => {
                if !matches!(self.phase, Phase::Queued { .. }) {
                    if server.is_some() {
                        self.txn.asg.pinned = server;
                    }
                    brt.join_queue(me, self.txn.asg.pinned);
                    self.txn.queued_at = Some(cx.now);
                    self.phase = Phase::Queued {
                        until: deadline(cx.now, be.timeouts.queue),
                    };
                }
            }
            Pick::Unavailable => {
                if matches!(self.phase, Phase::Queued { .. }) {
                    brt.leave_queue(me.slot, me.generation);
                }
                self.fail(cx, 503, *b"SC");
            }
        }
    }

    fn try_dequeue<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) -> bool {
        let before = self.phase;
        self.dispatch(cx, me);
        self.phase != before
    }

    /// Takes a slot on server `i` and connects (or reuses the kept connection).
    fn start_server<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, i: usize) {
        let asg = &mut self.txn.asg;
        // Reuse the idle connection if it goes to the same server, is still open, and has sent
        // nothing while idle (bytes nobody asked for would answer this request).
        if let Some(link) = self.srv
            && Some(link.backend) == asg.backend
            && link.server == i
            && link.state == LinkState::Open
            && cx.net.state(link.conn) == ConnState::Open
            && self.s_rx.is_empty()
            && cx.net.recv_available(link.conn) == 0
        {
            asg.take_slot(cx.sh, i);
            asg.connect_start = Some(cx.now);
            asg.connected_at = Some(cx.now);
            self.phase = Phase::Exchange(Response::Head);
            return;
        }
        self.drop_server(cx.net, false);
        let input = LbInput {
            client: self.origin.peer.ip(),
            target: self.cside.request().target(),
        };
        let attempt = server_link::connect(cx, &mut self.txn.asg, i, input);
        self.on_attempt(cx, attempt);
    }

    fn on_attempt<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, attempt: Attempt<C>) {
        match attempt {
            Attempt::Connecting { link, until } => {
                self.srv = Some(link);
                self.phase = Phase::Connect { until };
            }
            Attempt::GaveUp => self.fail(cx, 503, *b"SC"),
        }
    }

    fn check_connect<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, _me: Waiter) -> bool {
        let Some(link) = self.srv.as_mut() else {
            self.connect_failed(cx);
            return true;
        };
        match server_link::poll_connect(cx, &mut self.txn.asg, link) {
            Progress::Connected => {
                self.phase = Phase::Exchange(Response::Head);
                true
            }
            Progress::Pending => false,
            Progress::Failed => {
                self.connect_failed(cx);
                true
            }
        }
    }

    /// A connection attempt failed or timed out: retry, redispatch or answer 503.
    fn connect_failed<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) {
        self.drop_server(cx.net, true);
        let input = LbInput {
            client: self.origin.peer.ip(),
            target: self.cside.request().target(),
        };
        let attempt = server_link::retry(cx, &mut self.txn.asg, input);
        self.on_attempt(cx, attempt);
    }

    // ---- exchange -----------------------------------------------------------------------

    fn exchange<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let mut progress = false;
        // Request body, limited by the room for it in s_tx.
        while !self.cside.request_complete() {
            let room = self.s_tx.free().min(self.c_rx.len());
            let step = match self.cside.read(&self.c_rx.data()[..room]) {
                Ok(s) => s,
                Err(e) => {
                    cx.sh.frontends[self.origin.frontend]
                        .counters
                        .request_errors += 1;
                    self.fail(cx, e.status(Direction::Request), *b"CD");
                    return true;
                }
            };
            if step.consumed > 0 {
                self.s_tx.push(&self.c_rx.data()[..step.consumed]);
                self.c_rx.consume(step.consumed);
                progress = true;
            }
            if step.consumed == 0 && step.event != Event::End {
                break;
            }
        }
        if self.client_eof
            && !self.cside.request_complete()
            && self.c_rx.is_empty()
            && self.cside.on_eof().is_err()
        {
            cx.sh.frontends[self.origin.frontend].counters.client_aborts += 1;
            self.abort_all(cx, *b"CD");
            return true;
        }

        // Response.
        let Some(link) = self.srv else {
            return progress;
        };
        if !link.connected() {
            return progress;
        }
        loop {
            let Phase::Exchange(response) = self.phase else {
                return true;
            };
            // A head is rewritten into c_tx whole: wait until c_tx is empty for it.
            let limit = if response.in_body() {
                self.c_tx.free()
            } else if self.c_tx.is_empty() {
                self.s_rx.len()
            } else {
                0
            };
            let input_len = limit.min(self.s_rx.len());
            // In a body an empty read is still worth making: it ends an empty body.
            if input_len == 0 && !(response.in_body() && self.s_rx.is_empty()) {
                break;
            }
            let step = match self.sside.read(&self.s_rx.data()[..input_len]) {
                Ok(s) => s,
                Err(e) => {
                    self.response_error(cx, e);
                    return true;
                }
            };
            match step.event {
                Event::NeedMore => {
                    self.s_rx.consume(step.consumed);
                    if step.consumed == 0 {
                        break;
                    }
                }
                Event::Head => {
                    self.s_rx.consume(step.consumed);
                    if !self.on_response_head(cx) {
                        return true;
                    }
                    if self.phase == Phase::Tunnel {
                        return true;
                    }
                }
                Event::Body => {
                    self.c_tx.push(&self.s_rx.data()[..step.consumed]);
                    self.s_rx.consume(step.consumed);
                    if step.consumed == 0 {
                        break;
                    }
                }
                Event::End => {
                    self.c_tx.push(&self.s_rx.data()[..step.consumed]);
                    self.s_rx.consume(step.consumed);
                    if self.sside.response_complete() {
                        self.response_done(cx);
                        return true;
                    }
                    // The end of an interim response: the final head comes next.
                    self.phase = Phase::Exchange(Response::Head);
                }
                Event::Idle => break,
            }
            progress = true;
        }
        // The server closed: the end of a read-until-close body, or a failure.
        if let Some(link) = self.srv
            && link.state == LinkState::Eof
            && self.s_rx.is_empty()
            && matches!(self.phase, Phase::Exchange(_))
        {
            match self.sside.on_eof() {
                Ok(crate::http::Eof::EndOfBody) => {
                    self.response_done(cx);
                }
                Ok(crate::http::Eof::Idle) if !self.sside.response_complete() => {
                    // Closed before a single response byte.
                    self.response_error(cx, HttpError::Truncated);
                }
                Ok(crate::http::Eof::Idle) => {}
                Err(e) => self.response_error(cx, e),
            }
            return true;
        }
        progress
    }

    /// Writes the response head for the client. Returns false if the session failed.
    fn on_response_head<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let resp = self.sside.response();
        let req = self.cside.request();
        if resp.is_interim() {
            // 1xx: only HTTP/1.1 clients understand them (RFC 9110 §15.2).
            if req.version() == Version::Http11 {
                let rw = ResponseRewrite {
                    ops: &[],
                    connection: Persist::KeepAlive,
                    cookie: None,
                };
                match write_response(resp, &rw, self.c_tx.space()) {
                    Ok(n) => self.c_tx.commit(n),
                    Err(e) => {
                        self.response_error(cx, e);
                        return false;
                    }
                }
            }
            self.phase = Phase::Exchange(Response::Interim);
            return true;
        }
        let fe = &cx.cfg.frontends[self.origin.frontend];
        let (Some(backend_id), Some(server)) = (self.txn.asg.backend, self.txn.asg.server()) else {
            return false;
        };
        let be = &cx.cfg.backends[backend_id];
        if let Err(e) = check_tunnel(req, resp, self.sside.body_length()) {
            self.response_error(cx, e);
            return false;
        }
        let status = resp.status().unwrap_or(0);
        self.txn.status = Some(status);
        self.txn.response_at = Some(cx.now);
        let plan = plan_response(
            fe.http_mode.strictest(be.http_mode),
            req,
            self.cside.request_complete(),
            resp,
            self.sside.body_length(),
        );
        let plan = if self.client_eof {
            Persistence {
                client: Persist::Close,
                ..plan
            }
        } else {
            plan
        };
        let view = RequestView {
            head: Some(req),
            src: self.origin.peer.ip(),
        };
        let mut ops: Vec<HeaderOp<'_>> = Vec::new();
        run_response_rules(&be.http_response, &be.acls, &view, &mut ops);
        run_response_rules(&fe.http_response, &fe.acls, &view, &mut ops);
        let policy = cookie_policy(be);
        let server_value = be.servers[server].cookie.as_deref();
        let cookie = match (policy.as_ref(), server_value) {
            (Some(policy), Some(value)) => Some(ResponseCookie {
                policy,
                server_value: value.as_bytes(),
                // The request's cookie named the server that answered (never true after a
                // redispatch, which drops the pin).
                direct: self.txn.asg.pinned == Some(server),
            }),
            _ => None,
        };
        if let Some(c) = &cookie {
            self.txn.term[3] = if c.inserts(resp) {
                b'I'
            } else if c.touches(resp) {
                b'R'
            } else if c.server_set_cookie(resp) {
                b'P'
            } else {
                b'N'
            };
        }
        let rw = ResponseRewrite {
            ops: &ops,
            connection: plan.client,
            cookie,
        };
        match write_response(resp, &rw, self.c_tx.space()) {
            Ok(n) => self.c_tx.commit(n),
            Err(e) => {
                self.response_error(cx, e);
                return false;
            }
        }
        let brt = &mut cx.sh.backends[backend_id];
        brt.counters.count_status(status);
        if let Some(s) = brt.servers.get_mut(server) {
            s.counters.count_status(status);
        }
        cx.sh.frontends[self.origin.frontend]
            .counters
            .count_status(status);
        self.phase = if self.sside.body_length() == crate::http::BodyLength::Tunnel {
            Phase::Tunnel
        } else {
            Phase::Exchange(Response::Body(plan))
        };
        true
    }

    /// The response is complete: end the transaction and decide what comes next.
    fn response_done<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) {
        // The final head's plan; a response that ends without one (which the codec does not
        // produce) closes both sides.
        let plan = match self.phase {
            Phase::Exchange(Response::Body(plan)) => plan,
            _ => Persistence {
                client: Persist::Close,
                server: Persist::Close,
            },
        };
        self.release_slot(cx.sh);
        self.settle(cx, LogLine::Write, Phase::Close);
        // Bytes already read past the response (a body to a HEAD, more than Content-Length)
        // would answer the next request: such a connection is not kept.
        let keep_server = plan.server == Persist::KeepAlive
            && self.s_rx.is_empty()
            && self.srv.is_some_and(|l| l.state != LinkState::Eof);
        if !keep_server {
            self.drop_server(cx.net, false);
        }
        self.served += 1;
        match self.cside.finish_exchange(plan.client) {
            Next::ReadNext if !self.client_eof => {
                // A new transaction, owing its own line.
                self.txn = Txn::new(cx.now);
                self.phase = Phase::Request;
            }
            Next::ReadNext | Next::Close => {}
        }
    }

    /// The server's response could not be forwarded.
    fn response_error<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, e: HttpError) {
        if let Some(b) = self.txn.asg.backend {
            let brt = &mut cx.sh.backends[b];
            brt.counters.response_errors += 1;
            if let Some(s) = self.txn.asg.server().and_then(|s| brt.servers.get_mut(s)) {
                s.counters.response_errors += 1;
            }
        }
        let started = self.response_started();
        let phase = if started { b'D' } else { b'H' };
        let status = e.status(Direction::Response);
        // `P`: the proxy refused what it got (HAProxy's "PH"), not a server fault.
        let cause = if status == 500 || e == HttpError::UnsolicitedSwitch {
            b'P'
        } else {
            b'S'
        };
        if started {
            if let Some(b) = self.txn.asg.backend {
                cx.sh.backends[b].counters.server_aborts += 1;
            }
            self.cut_response(cx, [cause, phase]);
        } else {
            self.fail(cx, status, [cause, phase]);
        }
    }

    fn tunnel<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let Some(link) = self.srv else {
            // Cannot happen: a tunnel starts on a server's answer and keeps its link.
            self.settle(cx, LogLine::Skip, Phase::Close);
            return true;
        };
        let mut progress = false;
        let n = self.s_tx.push(self.c_rx.data());
        self.c_rx.consume(n);
        progress |= n > 0;
        let n = self.c_tx.push(self.s_rx.data());
        self.s_rx.consume(n);
        progress |= n > 0;
        if (self.client_eof && self.c_rx.is_empty() && self.s_tx.is_empty())
            || (link.state == LinkState::Eof && self.s_rx.is_empty())
        {
            self.release_slot(cx.sh);
            self.settle(cx, LogLine::Write, Phase::Close);
            progress = true;
        }
        progress
    }

    // ---- local answers and errors -------------------------------------------------------

    /// Answers a request that `http-request` rules stopped: `deny` with its error page (counted
    /// by `count_denial` against the proxy whose rule denied it), `redirect` with its page.
    fn answer_stopped<T: Transport<Conn = C>>(
        &mut self,
        verdict: RequestVerdict<'_>,
        cx: &mut Ctx<'_, T>,
        count_denial: impl FnOnce(&mut Shared),
    ) {
        match verdict {
            RequestVerdict::Forward => {}
            RequestVerdict::Deny(status) => {
                count_denial(cx.sh);
                self.txn.term = *b"PR--";
                self.reply(
                    cx,
                    responses::error_response(status),
                    status,
                    LogLine::Write,
                );
            }
            RequestVerdict::Redirect(r) => {
                let location = redirect_location(r, self.cside.request());
                let page = redirect_response(r.code, &location);
                self.reply_owned(cx, page, r.code, LogLine::Write);
            }
        }
    }

    /// Sends a static answer, then closes; the transaction ends with it.
    fn reply<T: Transport<Conn = C>>(
        &mut self,
        cx: &mut Ctx<'_, T>,
        page: &[u8],
        status: u16,
        line: LogLine,
    ) {
        self.c_tx.clear();
        self.local_body.clear();
        self.local_sent = 0;
        let n = self.c_tx.push(page);
        if n < page.len() {
            self.local_body.extend_from_slice(&page[n..]);
        }
        self.finish_local(cx, status, line);
    }

    fn reply_owned<T: Transport<Conn = C>>(
        &mut self,
        cx: &mut Ctx<'_, T>,
        page: Vec<u8>,
        status: u16,
        line: LogLine,
    ) {
        self.c_tx.clear();
        self.local_body = page;
        self.local_sent = 0;
        self.finish_local(cx, status, line);
    }

    fn finish_local<T: Transport<Conn = C>>(
        &mut self,
        cx: &mut Ctx<'_, T>,
        status: u16,
        line: LogLine,
    ) {
        self.txn.status = Some(status);
        cx.sh.frontends[self.origin.frontend]
            .counters
            .count_status(status);
        self.settle(cx, line, Phase::Reply);
    }

    /// A response head went to the client, from the server or from us: an error can no
    /// longer be answered with a page, only with a reset.
    fn response_started(&self) -> bool {
        match self.phase {
            Phase::Request | Phase::Queued { .. } | Phase::Connect { .. } => false,
            Phase::Exchange(response) => matches!(response, Response::Body(_)),
            Phase::Tunnel | Phase::Reply | Phase::Close | Phase::Done => true,
        }
    }

    /// Answers with HAProxy's error page for `status`, ending the session.
    fn fail<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, status: u16, term: [u8; 2]) {
        self.release_slot(cx.sh);
        self.drop_server(cx.net, true);
        self.txn.term[0] = term[0];
        self.txn.term[1] = term[1];
        if self.response_started() {
            self.cut_response(cx, term);
            return;
        }
        self.reply(
            cx,
            responses::error_response(status),
            status,
            LogLine::Write,
        );
    }

    /// The server failed after the response head went to the client. A body the client can
    /// measure (Content-Length, chunked) is cut short gracefully: the client gets every byte
    /// already read from the server, then a FIN, and its own framing shows the body is short;
    /// a reset could discard bytes still queued for it. A body that only the close would end
    /// would look complete after a FIN, so that client is reset instead.
    fn cut_response<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, term: [u8; 2]) {
        if !self.sside.body_length().is_self_delimited() {
            self.abort_all(cx, term);
            return;
        }
        self.release_slot(cx.sh);
        self.drop_server(cx.net, true);
        self.txn.term[0] = term[0];
        self.txn.term[1] = term[1];
        self.settle(cx, LogLine::Write, Phase::Close);
    }

    /// Waiting on a kept-alive connection for the next request, of which no byte has come.
    fn between_requests(&self) -> bool {
        self.served > 0 && self.c_rx.is_empty() && self.txn.bytes_in == 0
    }

    /// How long the client may take over its request (manual 4.2): between two requests on a
    /// kept-alive connection `timeout http-keep-alive`, and otherwise, or when that is unset,
    /// `timeout http-request`, then `timeout client`.
    fn request_timeout(&self, fe: &Frontend) -> Option<Duration> {
        let t = &fe.timeouts;
        let request = t.http_request.or(t.client);
        if self.between_requests() {
            t.http_keep_alive.or(request)
        } else {
            request
        }
    }

    /// When `timeout client` ends the exchange: never while the server has the whole request
    /// and nothing waits to go to the client, because then only `timeout server` runs (HAProxy
    /// suspends the client side's timeout while it waits for the response). Sending the answer
    /// restarts the client's clock (`pump_io`).
    fn client_deadline(&self, timeout: Option<Duration>) -> Option<Instant> {
        let server_working = matches!(
            self.phase,
            Phase::Exchange(Response::Head | Response::Interim)
        ) && self.cside.request_complete()
            && self.c_tx.is_empty();
        if server_working {
            None
        } else {
            deadline(self.client_active_at, timeout)
        }
    }

    /// Resets both connections (nothing sensible can be sent any more).
    fn abort_all<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, term: [u8; 2]) {
        self.release_slot(cx.sh);
        self.drop_server(cx.net, true);
        self.txn.term[0] = term[0];
        self.txn.term[1] = term[1];
        self.settle(cx, LogLine::Write, Phase::Done);
        cx.net.abort(self.client);
    }

    fn client_failed<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) {
        self.release_slot(cx.sh);
        self.drop_server(cx.net, true);
        cx.sh.frontends[self.origin.frontend].counters.client_aborts += 1;
        cx.net.abort(self.client);
        // A client reset writes no line, as it never did here (HAProxy logs one ending in
        // "CD"); changing that is a behaviour change of its own.
        self.settle(cx, LogLine::Skip, Phase::Done);
    }

    fn release_slot(&mut self, sh: &mut Shared) {
        self.txn.asg.release_slot(sh);
    }

    fn drop_server<T: Transport<Conn = C>>(&mut self, t: &mut T, abort: bool) {
        if let Some(link) = self.srv.take() {
            if abort {
                t.abort(link.conn);
            } else {
                t.close(link.conn);
            }
        }
        self.s_rx.clear();
    }

    // ---- stats page ---------------------------------------------------------------------

    fn serve_stats<T: Transport<Conn = C>>(
        &mut self,
        cx: &mut Ctx<'_, T>,
        page: &crate::config::Stats,
        backend: Option<usize>,
    ) {
        if let Some(b) = backend {
            self.txn.asg.backend = Some(b);
        }
        let authorized = page.auth.is_empty()
            || self
                .cside
                .request()
                .header("authorization")
                .is_some_and(|v| stats::basic_auth_ok(v, &page.auth));
        if !authorized {
            self.reply_owned(cx, stats::UNAUTHORIZED.to_vec(), 401, LogLine::Write);
            return;
        }
        let target = self.cside.request().target().unwrap_or("/");
        // `get`: a backend stats page may be served for a target outside its URI.
        let csv = target.get(page.uri.len()..).unwrap_or("").contains(";csv");
        let mut body = String::new();
        if csv {
            stats::render_csv(&mut body, cx.cfg, cx.sh, cx.now);
        } else {
            stats::render_html(&mut body, cx.cfg, cx.sh, cx.now, page);
        }
        let mut out = String::with_capacity(body.len() + 200);
        let _ = write!(
            out,
            "HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            if csv {
                "text/plain"
            } else {
                "text/html; charset=utf-8"
            },
            body.len()
        );
        if let (Some(refresh), false) = (page.refresh, csv) {
            let _ = write!(out, "Refresh: {}\r\n", refresh.as_secs().max(1));
        }
        out.push_str("\r\n");
        out.push_str(&body);
        self.reply_owned(cx, out.into_bytes(), 200, LogLine::Write);
    }

    // ---- timeouts -----------------------------------------------------------------------

    /// The next instant at which this session has something to do by itself.
    pub(crate) fn deadline(&self, cfg: &Config) -> Option<Instant> {
        let fe = &cfg.frontends[self.origin.frontend];
        let be = self.txn.asg.backend.and_then(|b| cfg.backends.get(b));
        match self.phase {
            Phase::Request => deadline(self.txn.start, self.request_timeout(fe)),
            Phase::Queued { until } | Phase::Connect { until } => until,
            Phase::Exchange(_) | Phase::Tunnel => {
                let (client, server) = inactivity(fe, be, self.phase == Phase::Tunnel);
                let server = self
                    .srv
                    .filter(|l| l.connected())
                    .and_then(|l| deadline(l.active_at, server));
                earliest(server, self.client_deadline(client))
            }
            Phase::Reply | Phase::Close => deadline(self.client_active_at, fe.timeouts.client),
            Phase::Done => None,
        }
    }

    fn check_timeouts<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) {
        let fe = &cx.cfg.frontends[self.origin.frontend];
        let be = self.txn.asg.backend.and_then(|b| cx.cfg.backends.get(b));
        match self.phase {
            Phase::Request => {
                if deadline(self.txn.start, self.request_timeout(fe)).is_some_and(|d| cx.now >= d) {
                    if self.between_requests() {
                        // An idle keep-alive connection: close it quietly.
                        self.settle(cx, LogLine::Skip, Phase::Close);
                    } else {
                        cx.sh.frontends[self.origin.frontend]
                            .counters
                            .request_errors += 1;
                        self.fail(cx, 408, *b"cR");
                    }
                }
            }
            Phase::Queued { until } => {
                if until.is_some_and(|d| cx.now >= d) {
                    if let Some(b) = self.txn.asg.backend {
                        cx.sh.backends[b].leave_queue(me.slot, me.generation);
                    }
                    self.fail(cx, 503, *b"sQ");
                }
            }
            Phase::Connect { until } => {
                if until.is_some_and(|d| cx.now >= d) {
                    self.connect_failed(cx);
                }
            }
            Phase::Exchange(_) | Phase::Tunnel => {
                let (client_timeout, server_timeout) =
                    inactivity(fe, be, self.phase == Phase::Tunnel);
                if let Some(link) = self.srv
                    && link.connected()
                    && deadline(link.active_at, server_timeout).is_some_and(|d| cx.now >= d)
                {
                    if let Some(b) = self.txn.asg.backend {
                        cx.sh.backends[b].counters.response_errors += 1;
                    }
                    if self.response_started() {
                        self.cut_response(cx, *b"sD");
                    } else {
                        self.fail(cx, 504, *b"sH");
                    }
                    return;
                }
                if self
                    .client_deadline(client_timeout)
                    .is_some_and(|d| cx.now >= d)
                {
                    cx.sh.frontends[self.origin.frontend].counters.client_aborts += 1;
                    self.abort_all(cx, *b"cD");
                }
            }
            Phase::Reply | Phase::Close => {
                if deadline(self.client_active_at, fe.timeouts.client).is_some_and(|d| cx.now >= d)
                {
                    cx.net.abort(self.client);
                    self.drop_server(cx.net, true);
                    self.settle(cx, LogLine::Skip, Phase::Done);
                }
            }
            Phase::Done => {}
        }
    }

    // ---- logging and teardown -----------------------------------------------------------

    /// Ends the transaction's phases: writes its log line if `line` says so and it is still
    /// owed, then moves to `next` (`Reply`, `Close` or `Done`). From a phase already settled
    /// (a client reset during `Reply`, say) nothing is written: a line is written once.
    fn settle<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, line: LogLine, next: Phase) {
        debug_assert!(
            !next.owes_log(),
            "settle leads out of the transaction: {next:?}"
        );
        if line == LogLine::Write && self.phase.owes_log() {
            self.write_log(cx);
        }
        self.phase = next;
    }

    fn write_log<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) {
        let fe = &cx.cfg.frontends[self.origin.frontend];
        if fe.log.targets.is_empty() || fe.log.format == LogFormat::Default {
            return;
        }
        if fe.log.dontlognull
            && self.txn.bytes_in == 0
            && self.c_rx.is_empty()
            && self.txn.head_at.is_none()
        {
            return;
        }
        write_http_log(self, cx.cfg, cx.sh, cx.now, fe);
        cx.send_line(&fe.log.targets, Level::Info);
    }

    /// Gives the buffers back and releases whatever the session still holds.
    pub(crate) fn teardown<T: Transport<Conn = C>>(mut self, cx: &mut Ctx<'_, T>, me: Waiter) {
        if self.phase != Phase::Done {
            self.drop_server(cx.net, true);
            cx.net.abort(self.client);
        }
        self.release_slot(cx.sh);
        if let Some(b) = self.txn.asg.backend {
            cx.sh.backends[b].leave_queue(me.slot, me.generation);
        }
        cx.sh.frontends[self.origin.frontend]
            .counters
            .session_ended();
        for buf in [self.c_rx, self.s_tx, self.s_rx, self.c_tx] {
            cx.sh.pool.give(buf);
        }
    }
}

fn stats_matches(target: &str, uri: &str) -> bool {
    target.starts_with(uri)
}

fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

fn write_http_log<C: Copy + Eq + core::fmt::Debug>(
    s: &HttpSession<C>,
    cfg: &Config,
    sh: &mut Shared,
    now: Instant,
    fe: &Frontend,
) {
    let txn = &s.txn;
    let be = txn.asg.backend.and_then(|b| cfg.backends.get(b));
    let brt = txn.asg.backend.and_then(|b| sh.backends.get(b));
    let server_name = be
        .zip(txn.asg.server())
        .and_then(|(b, i)| b.servers.get(i))
        .map(|srv| srv.name.as_str());
    let t_queue = match (txn.queued_at, txn.dequeued_at) {
        (Some(q), Some(d)) => Some(d.millis_since(q)),
        (Some(_), None) => None,
        (None, _) => txn.head_at.map(|_| 0),
    };
    let record = TrafficRecord {
        client: s.origin.peer,
        local: s.origin.local,
        date: sh.clock.civil(txn.start),
        frontend: &fe.name,
        backend: be.map(|b| b.name.as_str()),
        server: server_name,
        t_request: txn.head_at.map(|h| h.millis_since(txn.start)),
        t_queue,
        t_connect: txn
            .asg
            .connected_at
            .zip(txn.asg.connect_start)
            .map(|(c, s)| c.millis_since(s)),
        t_response: txn
            .response_at
            .zip(txn.asg.connected_at)
            .map(|(r, c)| r.millis_since(c)),
        t_total: now.millis_since(txn.start),
        status: txn.status,
        bytes_out: txn.bytes_out + s.c_tx.len() as u64,
        termination: txn.term,
        conns: [
            u64::from(sh.active_sessions),
            u64::from(sh.frontends[s.origin.frontend].counters.scur),
            brt.map_or(0, |b| u64::from(b.counters.scur)),
            brt.zip(txn.asg.server())
                .and_then(|(b, i)| b.servers.get(i))
                .map_or(0, |srv| u64::from(srv.active)),
            u64::from(txn.asg.retries),
        ],
        queues: [0, brt.map_or(0, |b| b.queue.len() as u64)],
        request_line: &txn.request_line,
    };
    sh.line.clear();
    record.write_httplog(&mut sh.line);
}
