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
use super::dispatch::{AfterFailure, after_failure, choose};
use super::log::TrafficRecord;
use super::pool::Buf;
use super::server::Waiter;
use super::shared::{Origin, Shared};
use super::time::{Instant, deadline, earliest};
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
    backend: Option<usize>,
    server: Option<usize>,
    srv: Option<C>,
    /// Client to server.
    up: Buf,
    /// Server to client.
    down: Buf,
    phase: Phase,
    holds_slot: bool,
    retries: u32,
    client_eof: bool,
    server_eof: bool,
    /// FIN relayed to the server / to the client.
    server_shut: bool,
    client_shut: bool,
    start: Instant,
    queued_at: Option<Instant>,
    dequeued_at: Option<Instant>,
    connect_start: Option<Instant>,
    connected_at: Option<Instant>,
    client_active_at: Instant,
    server_active_at: Instant,
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
            backend,
            server: None,
            srv: None,
            up,
            down,
            phase: Phase::Dispatch,
            holds_slot: false,
            retries: 0,
            client_eof: false,
            server_eof: false,
            server_shut: false,
            client_shut: false,
            start: now,
            queued_at: None,
            dequeued_at: None,
            connect_start: None,
            connected_at: None,
            client_active_at: now,
            server_active_at: now,
            bytes_in: 0,
            bytes_out: 0,
            term: *b"--",
        }
    }

    /// The backend this session waits for, if it is queued.
    pub(crate) fn queued_backend(&self) -> Option<usize> {
        matches!(self.phase, Phase::Queued { .. })
            .then_some(self.backend)
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
            .backend
            .and_then(|b| cx.cfg.backends.get(b).map(|be| (b, be)))
        else {
            self.end(cx, *b"SC", false);
            return true;
        };
        let key = LbKey::of(be.balance, self.origin.peer.ip(), None);
        let brt = &mut cx.sh.backends[backend_id];
        match choose(be, brt, None, key, None) {
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
                    brt.join_queue(me);
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

    fn start_server<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, i: usize) {
        let Some((backend_id, be)) = self
            .backend
            .and_then(|b| cx.cfg.backends.get(b).map(|be| (b, be)))
        else {
            return;
        };
        let Some(server) = be.servers.get(i) else {
            return;
        };
        if !self.holds_slot {
            cx.sh.backends[backend_id].acquire(i);
            self.holds_slot = true;
        }
        self.server = Some(i);
        self.connect_start = Some(cx.now);
        match cx.net.connect(server.addr) {
            Ok(conn) => {
                self.srv = Some(conn);
                self.phase = Phase::Connect {
                    until: deadline(cx.now, be.timeouts.connect),
                };
            }
            Err(_) => {
                self.phase = Phase::Connect {
                    until: Some(cx.now),
                };
                self.connect_failed(cx);
            }
        }
    }

    fn check_connect<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let Some(conn) = self.srv else {
            self.connect_failed(cx);
            return true;
        };
        match cx.net.state(conn) {
            ConnState::Open | ConnState::PeerClosed => {
                self.connected_at = Some(cx.now);
                self.server_active_at = cx.now;
                self.phase = Phase::Relay;
                true
            }
            ConnState::Connecting => false,
            ConnState::Failed | ConnState::Closed => {
                self.connect_failed(cx);
                true
            }
        }
    }

    fn connect_failed<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) {
        if let Some(conn) = self.srv.take() {
            cx.net.abort(conn);
        }
        let (Some(backend_id), Some(server)) = (self.backend, self.server) else {
            self.end(cx, *b"SC", false);
            return;
        };
        let Some(be) = cx.cfg.backends.get(backend_id) else {
            return;
        };
        let brt = &mut cx.sh.backends[backend_id];
        brt.counters.connect_errors += 1;
        let server_up = brt.servers.get(server).is_some_and(|s| s.is_up());
        if let Some(s) = brt.servers.get_mut(server) {
            s.counters.connect_errors += 1;
        }
        match after_failure(be, self.retries, server_up) {
            AfterFailure::GiveUp => self.end(cx, *b"SC", false),
            AfterFailure::RetrySame => {
                self.retries += 1;
                brt.counters.retries += 1;
                if let Some(s) = brt.servers.get_mut(server) {
                    s.counters.retries += 1;
                }
                self.start_server(cx, server);
            }
            AfterFailure::Redispatch => {
                self.retries += 1;
                brt.counters.redispatches += 1;
                if let Some(s) = brt.servers.get_mut(server) {
                    s.counters.redispatches += 1;
                }
                brt.release(server);
                self.holds_slot = false;
                let key = LbKey::of(be.balance, self.origin.peer.ip(), None);
                match choose(be, brt, None, key, Some(server)) {
                    Pick::Server(i) => self.start_server(cx, i),
                    Pick::Queue(_) | Pick::Unavailable => self.end(cx, *b"SC", false),
                }
            }
        }
    }

    fn relay<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>) -> bool {
        let Some(srv) = self.srv else {
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
            if let Some(b) = self.backend {
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
            self.server_active_at = cx.now;
            self.count_backend(cx.sh, n as u64, 0);
        }
        // Server -> client.
        let n = recv_into(cx.net, srv, &mut self.down);
        if n > 0 {
            progress = true;
            self.server_active_at = cx.now;
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
        if !self.server_eof && !cx.net.state(srv).peer_may_send() && cx.net.recv_available(srv) == 0
        {
            self.server_eof = true;
            progress = true;
        }
        if self.client_eof && self.up.is_empty() && !self.server_shut {
            cx.net.shutdown_write(srv);
            self.server_shut = true;
            progress = true;
        }
        if self.server_eof && self.down.is_empty() && !self.client_shut {
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

    fn count_backend(&self, sh: &mut Shared, to_server: u64, from_server: u64) {
        if let Some(b) = self.backend {
            let brt = &mut sh.backends[b];
            brt.counters.bytes_in += to_server;
            brt.counters.bytes_out += from_server;
            if let Some(s) = self.server.and_then(|i| brt.servers.get_mut(i)) {
                s.counters.bytes_in += to_server;
                s.counters.bytes_out += from_server;
            }
        }
    }

    pub(crate) fn deadline(&self, cfg: &Config) -> Option<Instant> {
        let fe = &cfg.frontends[self.origin.frontend];
        let be = self.backend.and_then(|b| cfg.backends.get(b));
        match self.phase {
            Phase::Dispatch => Some(self.start),
            Phase::Queued { until } | Phase::Connect { until } => until,
            Phase::Relay => earliest(
                deadline(self.client_active_at, fe.timeouts.client),
                deadline(self.server_active_at, be.and_then(|b| b.timeouts.server)),
            ),
            Phase::Done => None,
        }
    }

    fn check_timeouts<T: Transport<Conn = C>>(&mut self, cx: &mut Ctx<'_, T>, me: Waiter) {
        let fe = &cx.cfg.frontends[self.origin.frontend];
        let be = self.backend.and_then(|b| cx.cfg.backends.get(b));
        match self.phase {
            Phase::Queued { until } if until.is_some_and(|d| cx.now >= d) => {
                if let Some(b) = self.backend {
                    cx.sh.backends[b].leave_queue(me.slot, me.generation);
                }
                self.end(cx, *b"sQ", false);
            }
            Phase::Connect { until } if until.is_some_and(|d| cx.now >= d) => {
                self.connect_failed(cx);
            }
            Phase::Relay => {
                if deadline(self.client_active_at, fe.timeouts.client).is_some_and(|d| cx.now >= d)
                {
                    self.end(cx, *b"cD", true);
                } else if deadline(self.server_active_at, be.and_then(|b| b.timeouts.server))
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
        if let Some(conn) = self.srv.take() {
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
        self.release_slot(cx.sh);
        self.phase = Phase::Done;
        self.log(cx);
    }

    fn release_slot(&mut self, sh: &mut Shared) {
        if self.holds_slot
            && let (Some(b), Some(s)) = (self.backend, self.server)
        {
            sh.backends[b].release(s);
        }
        self.holds_slot = false;
    }

    fn log<T: Transport<Conn = C>>(&self, cx: &mut Ctx<'_, T>) {
        let fe = &cx.cfg.frontends[self.origin.frontend];
        if fe.log.targets.is_empty() || fe.log.format == LogFormat::Default {
            return;
        }
        if fe.log.dontlognull && self.bytes_in == 0 {
            return;
        }
        let be = self.backend.and_then(|b| cx.cfg.backends.get(b));
        let brt = self.backend.and_then(|b| cx.sh.backends.get(b));
        let record = TrafficRecord {
            client: self.origin.peer,
            local: self.origin.local,
            date: cx.sh.clock.civil(self.start),
            frontend: &fe.name,
            backend: be.map(|b| b.name.as_str()),
            server: be
                .zip(self.server)
                .and_then(|(b, i)| b.servers.get(i))
                .map(|s| s.name.as_str()),
            t_request: None,
            t_queue: match (self.queued_at, self.dequeued_at) {
                (Some(q), Some(d)) => Some(d.millis_since(q)),
                (Some(_), None) => None,
                (None, _) => Some(0),
            },
            t_connect: self
                .connected_at
                .zip(self.connect_start)
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
                brt.zip(self.server)
                    .and_then(|(b, i)| b.servers.get(i))
                    .map_or(0, |s| u64::from(s.active)),
                u64::from(self.retries),
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
            if let Some(conn) = self.srv.take() {
                cx.net.abort(conn);
            }
            cx.net.abort(self.client);
        }
        self.release_slot(cx.sh);
        if let Some(b) = self.backend {
            cx.sh.backends[b].leave_queue(me.slot, me.generation);
        }
        cx.sh.frontends[self.origin.frontend]
            .counters
            .session_ended();
        cx.sh.pool.give(self.up);
        cx.sh.pool.give(self.down);
    }
}
