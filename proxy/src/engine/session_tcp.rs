//! One client connection in TCP mode: a server is chosen (or the session queues), the
//! connection is made with retries and redispatch, then bytes are relayed both ways until
//! both directions have closed.
//!
//! Half-close is relayed: when one peer sends FIN, the other gets a FIN once every byte
//! before it has been delivered, and the opposite direction keeps flowing.
//!
//! ```text
//! Queued ──slot──▶ Connect ──connected──▶ Relay ──both directions closed──▶ Done
//!   │ timeout queue   │ retries exhausted    │ reset, timeout client/server
//!   ▼                 ▼                      ▼
//!  Done (closed)     Done (closed)          Done (aborted)
//! ```

use super::balance::{LbKey, Pick};
use super::context::Ctx;
use super::dispatch::{Standing, choose};
use super::log::TrafficRecord;
use super::pool::Buf;
use super::server::Waiter;
use super::server_link::{self, Assignment, Attempt, LbInput, LinkState, Progress, ServerLink};
use super::shared::{Origin, Shared};
use super::time::{Instant, deadline, earliest, inactivity};
use super::transport::{ConnState, Transport};
use super::{Status, recv_into, send_from};
use crate::config::{Config, Level, LogFormat};

const MAX_ROUNDS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Choose a server (first step, or waiting for a slot).
    Dispatch,
    Queued {
        until: Option<Instant>,
    },
    Connect {
        until: Option<Instant>,
    },
    Relay,
    Done,
}

/// A TCP-mode session.
pub(crate) struct TcpSession<C> {
    client: C,
    origin: Origin,
    /// The backend, the server and the connection attempts.
    asg: Assignment,
    srv: Option<ServerLink<C>>,
    /// Client to server.
    up: Buf,
    /// Server to client.
    down: Buf,
    phase: Phase,
    // The four half-close facts are independent of the phase and of each other: in `Relay`
    // either direction may close first and the other keeps flowing.
    client_eof: bool,
    /// FIN relayed to the server / to the client.
    server_shut: bool,
    client_shut: bool,
    start: Instant,
    queued_at: Option<Instant>,
    dequeued_at: Option<Instant>,
    client_active_at: Instant,
    bytes_in: u64,
    bytes_out: u64,
    term: [u8; 2],
}

impl<C: Copy + Eq + core::fmt::Debug> TcpSession<C> {
    pub(crate) fn new(
        client: C,
        origin: Origin,
        backend: Option<usize>,
        bufs: [Buf; 2],
        now: Instant,
    ) -> TcpSession<C> {
        let [up, down] = bufs;
        TcpSession {
            client,
            origin,
            asg: Assignment::to_backend(backend),
            srv: None,
            up,
            down,
            phase: Phase::Dispatch,
            client_eof: false,
            server_shut: false,
            client_shut: false,
            start: now,
            queued_at: None,
            dequeued_at: None,
            client_active_at: now,
            bytes_in: 0,
            bytes_out: 0,
            term: *b"--",
        }
    }

    /// The backend this session waits for, if it is queued.
    pub(crate) fn queued_backend(&self) -> Option<usize> {
        matches!(self.phase, Phase::Queued { .. })
            .then_some(self.asg.backend)
            .flatten()
    }

    pub(crate) fn step<T: Transport<Conn = C>>(
        &mut self,
        cx: &mut Ctx<'_, T>,
        me: Waiter,
    ) -> Status {
        for _ in 0..MAX_ROUNDS {
            let progress = match self.phase {
                Phase::Dispatch | Phase::Queued { .. } => self.dispatch(cx, me),
                Phase::Connect { .. } => self.check_connect(cx),
                Phase::Relay => self.relay(cx),
                Phase::Done => return Status::Done,
            };
            if !progress {
                break;
            }
        }
        self.check_timeouts(cx, me);
        if self.phase == Phase::Done {
            Status::Done
        } else {
            Status::Alive
        }
    }

    fn dispatch<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) -> bool {
        // A client that gives up while queued ends the session.
        if matches!(
            cx.net.state(self.client),
            ConnState::Failed | ConnState::Closed
        ) {
            self.end(cx, *b"CQ", true);
            return true;
        }
        let Some((backend_id, be)) = self
            .asg
            .backend
            .and_then(|b| cx.cfg.backends.get(b).map(|be| (b, be)))
        else {
            self.end(cx, *b"SC", false);
            return true;
        };
        let input = self.lb_input();
        let key = LbKey::of(be.balance, input.client, input.target);
        let brt = &mut cx.sh.backends[backend_id];
        let standing = if matches!(self.phase, Phase::Queued { .. }) {
            Standing::Queued(me)
        } else {
            Standing::New
        };
        match choose(be, brt, None, key, None, standing) {
            Pick::Server(i) => {
                if matches!(self.phase, Phase::Queued { .. }) {
                    brt.leave_queue(me.slot, me.generation);
                    self.dequeued_at = Some(cx.now);
                }
                self.start_server(cx, i);
                true
            }
            Pick::Queue(_) => {
                if self.phase == Phase::Dispatch {
                    brt.join_queue(me, None);
                    self.queued_at = Some(cx.now);
                    self.phase = Phase::Queued {
                        until: deadline(cx.now, be.timeouts.queue),
                    };
                    return true;
                }
                false
            }
            Pick::Unavailable => {
                if matches!(self.phase, Phase::Queued { .. }) {
                    brt.leave_queue(me.slot, me.generation);
                }
                self.end(cx, *b"SC", false);
                true
            }
        }
    }

    /// What the balancer may hash: the client only, TCP has no URI.
    fn lb_input(&self) -> LbInput<'static> {
        LbInput {
            client: self.origin.peer.ip(),
            target: None,
        }
    }

    fn start_server<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, i: usize) {
        let input = self.lb_input();
        let attempt = server_link::connect(cx, &mut self.asg, i, input);
        self.on_attempt(cx, attempt);
    }

    fn on_attempt<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, attempt: Attempt<C>) {
        match attempt {
            Attempt::Connecting { link, until } => {
                self.srv = Some(link);
                self.phase = Phase::Connect { until };
            }
            Attempt::GaveUp => self.end(cx, *b"SC", false),
        }
    }

    fn check_connect<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let Some(link) = self.srv.as_mut() else {
            self.connect_failed(cx);
            return true;
        };
        match server_link::poll_connect(cx, &mut self.asg, link) {
            Progress::Connected => {
                self.phase = Phase::Relay;
                true
            }
            Progress::Pending => false,
            Progress::Failed => {
                self.connect_failed(cx);
                true
            }
        }
    }

    fn connect_failed<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) {
        if let Some(link) = self.srv.take() {
            cx.net.abort(link.conn);
        }
        let input = self.lb_input();
        let attempt = server_link::retry(cx, &mut self.asg, input);
        self.on_attempt(cx, attempt);
    }

    fn relay<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let Some(srv) = self.srv.map(|l| l.conn) else {
            self.end(cx, *b"SD", true);
            return true;
        };
        let cstate = cx.net.state(self.client);
        let sstate = cx.net.state(srv);
        if cstate == ConnState::Failed {
            cx.sh.frontends[self.origin.frontend].counters.client_aborts += 1;
            self.end(cx, *b"CD", true);
            return true;
        }
        if sstate == ConnState::Failed {
            if let Some(b) = self.asg.backend {
                cx.sh.backends[b].counters.server_aborts += 1;
            }
            self.end(cx, *b"SD", true);
            return true;
        }
        let mut progress = false;
        // Client -> server.
        let n = recv_into(cx.net, self.client, &mut self.up);
        if n > 0 {
            progress = true;
            self.client_active_at = cx.now;
            self.bytes_in += n as u64;
            cx.sh.frontends[self.origin.frontend].counters.bytes_in += n as u64;
        }
        let n = send_from(cx.net, srv, &mut self.up);
        if n > 0 {
            progress = true;
            self.server_moved(cx.now);
            self.count_backend(cx.sh, n as u64, 0);
        }
        // Server -> client.
        let n = recv_into(cx.net, srv, &mut self.down);
        if n > 0 {
            progress = true;
            self.server_moved(cx.now);
            self.count_backend(cx.sh, 0, n as u64);
        }
        let n = send_from(cx.net, self.client, &mut self.down);
        if n > 0 {
            progress = true;
            self.client_active_at = cx.now;
            self.bytes_out += n as u64;
            cx.sh.frontends[self.origin.frontend].counters.bytes_out += n as u64;
        }
        // Half-close: relay a FIN once everything before it is delivered.
        if !self.client_eof
            && !cx.net.state(self.client).peer_may_send()
            && cx.net.recv_available(self.client) == 0
        {
            self.client_eof = true;
            progress = true;
        }
        if let Some(link) = self.srv.as_mut() {
            progress |= link.note_eof(cx.net);
        }
        if self.client_eof && self.up.is_empty() && !self.server_shut {
            cx.net.shutdown_write(srv);
            self.server_shut = true;
            progress = true;
        }
        if self.server_eof() && self.down.is_empty() && !self.client_shut {
            cx.net.shutdown_write(self.client);
            self.client_shut = true;
            progress = true;
        }
        if self.server_shut && self.client_shut {
            self.end(cx, *b"--", false);
            return true;
        }
        progress
    }

    fn server_moved(&mut self, now: Instant) {
        if let Some(link) = self.srv.as_mut() {
            link.active_at = now;
        }
    }

    fn server_eof(&self) -> bool {
        self.srv.is_some_and(|l| l.state == LinkState::Eof)
    }

    fn count_backend(&self, sh: &mut Shared, to_server: u64, from_server: u64) {
        if let Some(b) = self.asg.backend {
            let brt = &mut sh.backends[b];
            brt.counters.bytes_in += to_server;
            brt.counters.bytes_out += from_server;
            if let Some(s) = self.asg.server().and_then(|i| brt.servers.get_mut(i)) {
                s.counters.bytes_in += to_server;
                s.counters.bytes_out += from_server;
            }
        }
    }

    pub(crate) fn deadline(&self, cfg: &Config) -> Option<Instant> {
        let fe = &cfg.frontends[self.origin.frontend];
        let be = self.asg.backend.and_then(|b| cfg.backends.get(b));
        match self.phase {
            Phase::Dispatch => Some(self.start),
            Phase::Queued { until } | Phase::Connect { until } => until,
            Phase::Relay => {
                let (client, server) = inactivity(fe, be, true);
                earliest(
                    deadline(self.client_active_at, client),
                    self.srv.and_then(|l| deadline(l.active_at, server)),
                )
            }
            Phase::Done => None,
        }
    }

    fn check_timeouts<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) {
        let fe = &cx.cfg.frontends[self.origin.frontend];
        let be = self.asg.backend.and_then(|b| cx.cfg.backends.get(b));
        match self.phase {
            Phase::Queued { until } if until.is_some_and(|d| cx.now >= d) => {
                if let Some(b) = self.asg.backend {
                    cx.sh.backends[b].leave_queue(me.slot, me.generation);
                }
                self.end(cx, *b"sQ", false);
            }
            Phase::Connect { until } if until.is_some_and(|d| cx.now >= d) => {
                self.connect_failed(cx);
            }
            Phase::Relay => {
                let (client, server) = inactivity(fe, be, true);
                if deadline(self.client_active_at, client).is_some_and(|d| cx.now >= d) {
                    self.end(cx, *b"cD", true);
                } else if self
                    .srv
                    .and_then(|l| deadline(l.active_at, server))
                    .is_some_and(|d| cx.now >= d)
                {
                    self.end(cx, *b"sD", true);
                }
            }
            _ => {}
        }
    }

    /// Ends the session: closes (or resets) both connections and logs.
    fn end<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, term: [u8; 2], abort: bool) {
        if self.phase == Phase::Done {
            return;
        }
        self.term = term;
        if let Some(conn) = self.srv.take().map(|l| l.conn) {
            if abort {
                cx.net.abort(conn);
            } else {
                cx.net.close(conn);
            }
        }
        if abort {
            cx.net.abort(self.client);
        } else {
            cx.net.close(self.client);
        }
        self.asg.release_slot(cx.sh);
        self.phase = Phase::Done;
        self.log(cx);
    }

    fn log<T: Transport<Conn = C>>(&self, cx: &mut Ctx<'_, T>) {
        let fe = &cx.cfg.frontends[self.origin.frontend];
        if fe.log.targets.is_empty() || fe.log.format == LogFormat::Default {
            return;
        }
        if fe.log.dontlognull && self.bytes_in == 0 {
            return;
        }
        let be = self.asg.backend.and_then(|b| cx.cfg.backends.get(b));
        let brt = self.asg.backend.and_then(|b| cx.sh.backends.get(b));
        let record = TrafficRecord {
            client: self.origin.peer,
            local: self.origin.local,
            date: cx.sh.clock.civil(self.start),
            frontend: &fe.name,
            backend: be.map(|b| b.name.as_str()),
            server: be
                .zip(self.asg.server())
                .and_then(|(b, i)| b.servers.get(i))
                .map(|s| s.name.as_str()),
            t_request: None,
            t_queue: match (self.queued_at, self.dequeued_at) {
                (Some(q), Some(d)) => Some(d.millis_since(q)),
                (Some(_), None) => None,
                (None, _) => Some(0),
            },
            t_connect: self
                .asg
                .connected_at
                .zip(self.asg.connect_start)
                .map(|(c, s)| c.millis_since(s)),
            t_response: None,
            t_total: cx.now.millis_since(self.start),
            status: None,
            bytes_out: self.bytes_out,
            termination: [self.term[0], self.term[1], b'-', b'-'],
            conns: [
                u64::from(cx.sh.active_sessions),
                u64::from(cx.sh.frontends[self.origin.frontend].counters.scur),
                brt.map_or(0, |b| u64::from(b.counters.scur)),
                brt.zip(self.asg.server())
                    .and_then(|(b, i)| b.servers.get(i))
                    .map_or(0, |s| u64::from(s.active)),
                u64::from(self.asg.retries),
            ],
            queues: [0, brt.map_or(0, |b| b.queue.len() as u64)],
            request_line: "",
        };
        cx.sh.line.clear();
        record.write_tcplog(&mut cx.sh.line);
        cx.send_line(&fe.log.targets, Level::Info);
    }

    pub(crate) fn teardown<T: Transport<Conn = C>>(mut self, cx: &mut Ctx<'_, T>, me: Waiter) {
        if self.phase != Phase::Done {
            if let Some(conn) = self.srv.take().map(|l| l.conn) {
                cx.net.abort(conn);
            }
            cx.net.abort(self.client);
        }
        self.asg.release_slot(cx.sh);
        if let Some(b) = self.asg.backend {
            cx.sh.backends[b].leave_queue(me.slot, me.generation);
        }
        cx.sh.frontends[self.origin.frontend]
            .counters
            .session_ended();
        cx.sh.pool.give(self.up);
        cx.sh.pool.give(self.down);
    }
}
