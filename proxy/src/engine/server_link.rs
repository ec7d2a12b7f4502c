//! The way from a session to its server, written once for HTTP and TCP sessions: the
//! server's `maxconn` slot, the connection attempt, and after a failed attempt a retry on the
//! same server or a redispatch through the balancer (manual 4.2 "retries",
//! "option redispatch"; HAProxy's `connect_server()` in src/backend.c and the retry decision
//! in `back_handle_st_cer()`, src/backend.c).
//!
//! A session keeps an [`Assignment`] per request and the [`ServerLink`] it got; it only
//! decides what a failure means for its client (HTTP: a 503 page, TCP: a close).

use core::net::IpAddr;

use super::balance::{LbKey, Pick};
use super::context::Ctx;
use super::dispatch::{AfterFailure, Standing, after_failure, choose};
use super::shared::Shared;
use super::time::{Instant, deadline};
use super::transport::{ConnState, Transport};

/// What the balancer may hash for a request ([`LbKey::of`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LbInput<'r> {
    /// The client's address (`balance source`).
    pub client: IpAddr,
    /// The request target (`balance uri`); `None` in TCP mode.
    pub target: Option<&'r str>,
}

/// The server of a request and its `maxconn` slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Slot {
    /// No server chosen yet.
    #[default]
    Unassigned,
    /// Server `i` is chosen and counts this request in its `maxconn`.
    Holding(usize),
    /// Server `i` served (or was last tried for) the request and its slot is given back;
    /// the index stays for the log line.
    Released(usize),
}

impl Slot {
    /// The server chosen last, holding or not.
    pub fn server(self) -> Option<usize> {
        match self {
            Slot::Unassigned => None,
            Slot::Holding(i) | Slot::Released(i) => Some(i),
        }
    }
}

/// Where one request goes and how the attempts to get there went.
#[derive(Debug, Clone, Default)]
pub(crate) struct Assignment {
    /// The backend chosen by the frontend's rules.
    pub backend: Option<usize>,
    /// The server and its slot.
    pub slot: Slot,
    /// The server named by persistence (an HTTP cookie, or the one a hash queued for).
    pub pinned: Option<usize>,
    /// Attempts after the first (HAProxy's retry count in the log).
    pub retries: u32,
    pub connect_start: Option<Instant>,
    pub connected_at: Option<Instant>,
}

impl Assignment {
    /// An assignment to `backend`, no server yet.
    pub fn to_backend(backend: Option<usize>) -> Assignment {
        Assignment {
            backend,
            ..Assignment::default()
        }
    }

    /// The server chosen last.
    pub fn server(&self) -> Option<usize> {
        self.slot.server()
    }

    /// Makes server `i` the request's server, taking its slot unless the request already
    /// holds one (a retry on the same server keeps its slot).
    pub fn take_slot(&mut self, sh: &mut Shared, i: usize) {
        let Some(b) = self.backend else {
            return;
        };
        if !matches!(self.slot, Slot::Holding(_)) {
            sh.backends[b].acquire(i);
        }
        self.slot = Slot::Holding(i);
    }

    /// Gives the slot back (the transaction ended or its server failed).
    pub fn release_slot(&mut self, sh: &mut Shared) {
        if let (Slot::Holding(i), Some(b)) = (self.slot, self.backend) {
            sh.backends[b].release(i);
            self.slot = Slot::Released(i);
        }
    }
}

/// Where the connection to the server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// The SYN is out; `timeout connect` runs.
    Connecting,
    /// Established, both ways open.
    Open,
    /// The server sent FIN (or failed) and everything it sent was read.
    Eof,
}

/// A connection to a server (in HTTP kept between transactions when both sides agree).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerLink<C> {
    pub conn: C,
    pub backend: usize,
    pub server: usize,
    pub state: LinkState,
    /// Last time bytes moved to or from the server.
    pub active_at: Instant,
}

impl<C: Copy> ServerLink<C> {
    /// Established (open or already closed by the server).
    pub fn connected(&self) -> bool {
        self.state != LinkState::Connecting
    }

    /// Notes the server's FIN once its last byte has been read. Returns true if that is news.
    pub fn note_eof<T: Transport<Conn = C>>(&mut self, net: &mut T) -> bool {
        if self.state == LinkState::Open
            && !net.state(self.conn).peer_may_send()
            && net.recv_available(self.conn) == 0
        {
            self.state = LinkState::Eof;
            return true;
        }
        false
    }
}

/// How a connection attempt stands.
#[derive(Debug)]
pub(crate) enum Attempt<C> {
    /// Connecting; give up at `until` (`timeout connect`).
    Connecting {
        link: ServerLink<C>,
        until: Option<Instant>,
    },
    /// No attempt left, or no server to redispatch to: HTTP answers 503, TCP closes.
    GaveUp,
}

/// Connects to server `i` for the request, taking its slot. A connection the stack refuses
/// at once counts as a failed attempt and goes through [`retry`] right away.
pub(crate) fn connect<T: Transport>(
    cx: &mut Ctx<'_, T>,
    asg: &mut Assignment,
    i: usize,
    input: LbInput<'_>,
) -> Attempt<T::Conn> {
    let Some((b, be)) = asg
        .backend
        .and_then(|b| cx.cfg.backends.get(b).map(|be| (b, be)))
    else {
        return Attempt::GaveUp;
    };
    let Some(server) = be.servers.get(i) else {
        return Attempt::GaveUp;
    };
    asg.take_slot(cx.sh, i);
    asg.connect_start = Some(cx.now);
    match cx.net.connect(server.addr) {
        Ok(conn) => Attempt::Connecting {
            link: ServerLink {
                conn,
                backend: b,
                server: i,
                state: LinkState::Connecting,
                active_at: cx.now,
            },
            until: deadline(cx.now, be.timeouts.connect),
        },
        Err(_) => retry(cx, asg, input),
    }
}

/// What [`poll_connect`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Still connecting.
    Pending,
    /// Established; the link is marked so.
    Connected,
    /// Refused or reset: the caller drops the link and calls [`retry`].
    Failed,
}

/// Watches a connection attempt. On success the link is marked established now.
pub(crate) fn poll_connect<T: Transport>(
    cx: &mut Ctx<'_, T>,
    asg: &mut Assignment,
    link: &mut ServerLink<T::Conn>,
) -> Progress {
    match cx.net.state(link.conn) {
        ConnState::Open | ConnState::PeerClosed => {
            link.state = LinkState::Open;
            link.active_at = cx.now;
            asg.connected_at = Some(cx.now);
            Progress::Connected
        }
        ConnState::Connecting => Progress::Pending,
        ConnState::Failed | ConnState::Closed => Progress::Failed,
    }
}

/// A connection attempt failed or timed out (the caller has aborted its connection): counts
/// it, then retries the same server, redispatches, or gives up, as [`after_failure`] says.
pub(crate) fn retry<T: Transport>(
    cx: &mut Ctx<'_, T>,
    asg: &mut Assignment,
    input: LbInput<'_>,
) -> Attempt<T::Conn> {
    let (Some(b), Some(server)) = (asg.backend, asg.server()) else {
        return Attempt::GaveUp;
    };
    let Some(be) = cx.cfg.backends.get(b) else {
        return Attempt::GaveUp;
    };
    let brt = &mut cx.sh.backends[b];
    brt.counters.connect_errors += 1;
    let server_up = brt.servers.get(server).is_some_and(|s| s.is_up());
    if let Some(s) = brt.servers.get_mut(server) {
        s.counters.connect_errors += 1;
    }
    match after_failure(be, asg.retries, server_up) {
        AfterFailure::GiveUp => Attempt::GaveUp,
        AfterFailure::RetrySame => {
            asg.retries += 1;
            brt.counters.retries += 1;
            if let Some(s) = brt.servers.get_mut(server) {
                s.counters.retries += 1;
            }
            connect(cx, asg, server, input)
        }
        AfterFailure::Redispatch => {
            asg.retries += 1;
            brt.counters.redispatches += 1;
            if let Some(s) = brt.servers.get_mut(server) {
                s.counters.redispatches += 1;
            }
            asg.release_slot(cx.sh);
            asg.pinned = None;
            let brt = &mut cx.sh.backends[b];
            let key = LbKey::of(be.balance, input.client, input.target);
            // Prefer another server: the balancer moves on by itself for round robin and
            // leastconn; hash algorithms may land on the same one again.
            match choose(be, brt, None, key, Some(server), Standing::Served) {
                Pick::Server(i) => connect(cx, asg, i, input),
                Pick::Queue(_) | Pick::Unavailable => Attempt::GaveUp,
            }
        }
    }
}
