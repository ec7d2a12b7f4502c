//! The socket pool: every TCP socket the stack owns, who owns it now, listener pools with their
//! accept queues, and the recycling of closed sockets.
//!
//! # Life of a socket
//! ```text
//!            arm (listen)          SYN            handshake done        accept()
//!   Free ───────────────> Listening ──> Handshaking ─────────────> Ready ────────> User
//!    ^  ^                     ^  RST/     │ timeout: abort                         │
//!    │  │                     └──────────┘                         connect() ──────┤
//!    │  │  Closed and RST sent, TIME-WAIT, or linger over           close()/abort()│
//!    │  └──────────────────────────────── Closing <───────────────────────────────┘
//!    └── Ready socket reset by its peer before accept()
//! ```
//! Free sockets are *parked*: taken out of smoltcp's socket set and kept in their slot, buffers
//! and all. smoltcp walks every socket in its set for each received segment and on each egress
//! pass; parking keeps that walk to the sockets in use. (Loopback benchmark, one run each on a
//! busy host: before parking, a 1024-socket budget made a single stream about 2.5 times and the
//! serial connection rate about 5 times slower than a 256-socket one; with parking the two are
//! within run-to-run noise.) Taking a socket from the free list puts it back into the set (no
//! allocation: the set's storage is reserved for every socket at construction).
//!
//! The free list is FIFO, so a released socket is reused as late as possible. A socket released
//! in TIME-WAIT is parked at once: a retransmitted FIN from the peer then gets RST instead of a
//! repeated ACK, which ends the peer's LAST-ACK just the same.
//!
//! Slots are numbered `0..sockets`. A [`TcpHandle`] is a slot number plus the slot's generation,
//! which changes whenever the application gains or loses the socket, so a stale handle is
//! recognised and refused instead of reaching someone else's connection.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use smoltcp::iface::{Context, SocketHandle, SocketSet};
use smoltcp::socket::Socket;
use smoltcp::socket::tcp::{self, CongestionControl, State};
use smoltcp::time::Instant;
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};

use crate::budget::Budget;
use crate::config::{StackConfig, TcpTuning};
use crate::ports::EphemeralPorts;
use crate::{ConnectError, ListenError, StackError};

/// The application's name for a TCP connection it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpHandle {
    slot: u16,
    generation: u32,
}

impl TcpHandle {
    /// The slot number, `0..sockets`: handy as an index into per-connection tables.
    pub fn index(&self) -> usize {
        usize::from(self.slot)
    }
}

/// Identifies a listener pool created by [`Stack::listen`](crate::Stack::listen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(pub(crate) u16);

/// Who has a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// In the free list.
    Free,
    /// In LISTEN for a listener pool.
    Listening { pool: u16 },
    /// Took a SYN for a pool at `since`; not yet established.
    Handshaking { pool: u16, since: Instant },
    /// Established (or already half-closed by the peer), in the pool's accept queue.
    Ready { pool: u16 },
    /// Handed to the application.
    User,
    /// Released by the application; freed when the close completes or at `deadline`.
    Closing { deadline: Instant },
}

/// What the pool knows about one socket, and the socket itself while it is free.
#[derive(Debug)]
pub(crate) struct Slot {
    /// The socket while it is free (parked outside smoltcp's set).
    parked: Option<tcp::Socket<'static>>,
    /// Its handle in smoltcp's set while it is in use (every owner but `Free`).
    handle: Option<SocketHandle>,
    generation: u32,
    owner: Owner,
    /// Ephemeral port held by an outgoing connection, 0 if none.
    port: u16,
}

#[derive(Debug)]
struct Listener {
    endpoint: IpListenEndpoint,
    backlog: usize,
    /// Sockets in LISTEN after the last scan or refill.
    listening: usize,
    /// Slots in `Owner::Ready` for this pool, oldest first.
    ready: VecDeque<u16>,
}

/// Counters of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections handed out by `accept`.
    pub accepted: u64,
    /// Handshakes aborted for taking longer than `handshake_timeout`.
    pub handshakes_expired: u64,
    /// Established connections reset by the peer before the application accepted them.
    pub reset_before_accept: u64,
    /// Outgoing connections started.
    pub connects: u64,
    /// `connect` calls refused for want of a free socket or port.
    pub connects_refused: u64,
    /// Closes that did not finish within `close_linger` and were aborted.
    pub closes_forced: u64,
    /// Times a pool wanted to re-arm a listening socket and none was free.
    pub rearm_starved: u64,
}

/// A snapshot of socket usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SocketUsage {
    /// Sockets owned by the stack in total (the budget).
    pub max: usize,
    /// Free sockets.
    pub free: usize,
    /// In LISTEN, across all pools.
    pub listening: usize,
    /// In a handshake or waiting in an accept queue.
    pub pending: usize,
    /// Owned by the application.
    pub user: usize,
    /// Closing after the application released them.
    pub closing: usize,
}

pub(crate) struct Pool {
    slots: Vec<Slot>,
    free: VecDeque<u16>,
    listeners: Vec<Listener>,
    ports: EphemeralPorts,
    /// Free sockets listener pools must leave for `connect`.
    connect_reserve: usize,
    tuning: TcpTuning,
    pub(crate) stats: PoolStats,
}

/// A zeroed buffer of `len` bytes, or an error instead of an out-of-memory abort.
fn buffer(len: usize) -> Result<Vec<u8>, StackError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| StackError::OutOfMemory)?;
    v.resize(len, 0);
    Ok(v)
}

impl Pool {
    /// Allocates every socket of the budget, all parked (free).
    pub(crate) fn new(budget: &Budget, config: &StackConfig) -> Result<Pool, StackError> {
        if budget.sockets == 0 || budget.sockets > usize::from(u16::MAX) {
            return Err(StackError::BadBudget);
        }
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(budget.sockets)
            .map_err(|_| StackError::OutOfMemory)?;
        let mut free = VecDeque::new();
        free.try_reserve_exact(budget.sockets)
            .map_err(|_| StackError::OutOfMemory)?;
        for index in 0..budget.sockets {
            let mut socket = tcp::Socket::new(
                tcp::SocketBuffer::new(buffer(budget.rx_buffer)?),
                tcp::SocketBuffer::new(buffer(budget.tx_buffer)?),
            );
            let t = &config.tcp;
            socket.set_nagle_enabled(t.nagle);
            socket.set_ack_delay(t.ack_delay);
            socket.set_timeout(t.timeout);
            socket.set_keep_alive(t.keep_alive);
            socket.set_congestion_control(CongestionControl::Reno);
            slots.push(Slot {
                parked: Some(socket),
                handle: None,
                generation: 0,
                owner: Owner::Free,
                port: 0,
            });
            // `index < sockets <= u16::MAX`, checked above.
            free.push_back(index as u16);
        }
        Ok(Pool {
            slots,
            free,
            listeners: Vec::new(),
            ports: EphemeralPorts::new(config.random_seed),
            connect_reserve: 0,
            tuning: config.tcp,
            stats: PoolStats::default(),
        })
    }

    /// Takes the next free socket out of the free list and puts it into `set`. Skips (and
    /// drops from the free list) a slot that has lost its socket, which cannot happen.
    fn unpark(&mut self, set: &mut SocketSet<'static>) -> Option<(u16, SocketHandle)> {
        while let Some(index) = self.free.pop_front() {
            let slot = &mut self.slots[usize::from(index)];
            let Some(socket) = slot.parked.take() else {
                continue;
            };
            self.ports.release(slot.port);
            slot.port = 0;
            let handle = set.add(socket);
            slot.handle = Some(handle);
            return Some((index, handle));
        }
        None
    }

    /// Takes slot `index`'s socket out of `set` and appends it to the free list (`front`: to the
    /// head, for a socket that was unparked but not used).
    fn park(&mut self, index: u16, set: &mut SocketSet<'static>, front: bool) {
        let slot = &mut self.slots[usize::from(index)];
        slot.owner = Owner::Free;
        let Some(handle) = slot.handle.take() else {
            return;
        };
        if let Socket::Tcp(socket) = set.remove(handle) {
            slot.parked = Some(socket);
            if front {
                self.free.push_front(index);
            } else {
                self.free.push_back(index);
            }
        }
    }

    pub(crate) fn set_connect_reserve(&mut self, reserve: usize) {
        self.connect_reserve = reserve;
    }

    pub(crate) fn listener_endpoints(&self) -> impl Iterator<Item = (IpListenEndpoint, usize)> {
        self.listeners.iter().map(|l| (l.endpoint, l.listening))
    }

    pub(crate) fn usage(&self) -> SocketUsage {
        let mut u = SocketUsage {
            max: self.slots.len(),
            ..SocketUsage::default()
        };
        for slot in &self.slots {
            match slot.owner {
                Owner::Free => u.free += 1,
                Owner::Listening { .. } => u.listening += 1,
                Owner::Handshaking { .. } | Owner::Ready { .. } => u.pending += 1,
                Owner::User => u.user += 1,
                Owner::Closing { .. } => u.closing += 1,
            }
        }
        u
    }

    /// Adds a listener pool.
    pub(crate) fn listen(
        &mut self,
        endpoint: IpListenEndpoint,
        backlog: usize,
    ) -> Result<ListenerId, ListenError> {
        if endpoint.port == 0 {
            return Err(ListenError::PortZero);
        }
        if backlog == 0 {
            return Err(ListenError::ZeroBacklog);
        }
        let clash = self.listeners.iter().any(|l| {
            l.endpoint.port == endpoint.port
                && (l.endpoint.addr.is_none()
                    || endpoint.addr.is_none()
                    || l.endpoint.addr == endpoint.addr)
        });
        if clash {
            return Err(ListenError::AlreadyListening);
        }
        let id = u16::try_from(self.listeners.len()).map_err(|_| ListenError::TooManyListeners)?;
        let mut ready = VecDeque::new();
        ready
            .try_reserve_exact(self.slots.len())
            .map_err(|_| ListenError::OutOfMemory)?;
        self.listeners
            .try_reserve(1)
            .map_err(|_| ListenError::OutOfMemory)?;
        self.listeners.push(Listener {
            endpoint,
            backlog,
            listening: 0,
            ready,
        });
        Ok(ListenerId(id))
    }

    /// Puts free sockets into LISTEN until every pool has its backlog or the free list is down
    /// to the connect reserve. Pools are served round-robin, one socket each per round, so one
    /// busy port cannot take every free socket from the others.
    pub(crate) fn refill(&mut self, set: &mut SocketSet<'static>) {
        loop {
            let mut armed_any = false;
            for pool in 0..self.listeners.len() {
                let listener = &self.listeners[pool];
                if listener.listening >= listener.backlog {
                    continue;
                }
                let endpoint = listener.endpoint;
                if self.free.len() <= self.connect_reserve {
                    self.stats.rearm_starved = self.stats.rearm_starved.wrapping_add(1);
                    return;
                }
                let Some((index, handle)) = self.unpark(set) else {
                    return;
                };
                if set.get_mut::<tcp::Socket>(handle).listen(endpoint).is_err() {
                    // Cannot happen: free sockets are closed or in TIME-WAIT. Keep it free.
                    self.park(index, set, false);
                    continue;
                }
                let slot = &mut self.slots[usize::from(index)];
                slot.owner = Owner::Listening { pool: pool as u16 };
                self.listeners[pool].listening += 1;
                armed_any = true;
            }
            if !armed_any {
                return;
            }
        }
    }

    /// Full scan after a poll: moves every socket along its life cycle (see the module docs),
    /// recounts listening sockets, re-arms pools. Returns the earliest deadline of the pool's own
    /// timers (handshake and linger), for `poll_delay`.
    ///
    /// `reap_closing == false` (the scan in the middle of a batch of received frames, before any
    /// egress) leaves closing sockets alone so that an abort's RST is sent before the socket is
    /// reused.
    pub(crate) fn maintain(
        &mut self,
        now: Instant,
        set: &mut SocketSet<'static>,
        handshake_timeout: smoltcp::time::Duration,
        reap_closing: bool,
    ) -> Option<Instant> {
        for l in &mut self.listeners {
            l.listening = 0;
        }
        let mut next: Option<Instant> = None;
        let mut earliest = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        for index in 0..self.slots.len() {
            let slot = &mut self.slots[index];
            let Some(handle) = slot.handle else {
                continue; // Free: parked.
            };
            let socket = set.get_mut::<tcp::Socket>(handle);
            let state = socket.state();
            match slot.owner {
                Owner::Free | Owner::User => {}
                Owner::Listening { pool } | Owner::Handshaking { pool, .. } => {
                    let listener = &mut self.listeners[usize::from(pool)];
                    match state {
                        State::Listen => {
                            slot.owner = Owner::Listening { pool };
                            listener.listening += 1;
                        }
                        State::SynReceived => {
                            let since = match slot.owner {
                                Owner::Handshaking { since, .. } => since,
                                _ => now,
                            };
                            if now >= since + handshake_timeout {
                                socket.abort();
                                slot.owner = Owner::Closing { deadline: now };
                                self.stats.handshakes_expired =
                                    self.stats.handshakes_expired.wrapping_add(1);
                            } else {
                                slot.owner = Owner::Handshaking { pool, since };
                                earliest(since + handshake_timeout);
                            }
                        }
                        State::Closed | State::TimeWait => {
                            slot.owner = Owner::Closing { deadline: now };
                        }
                        _ => {
                            // Established, or further along if the peer was quick.
                            slot.owner = Owner::Ready { pool };
                            listener.ready.push_back(index as u16);
                        }
                    }
                }
                Owner::Ready { pool } => {
                    if matches!(state, State::Closed | State::TimeWait) {
                        let listener = &mut self.listeners[usize::from(pool)];
                        listener.ready.retain(|&i| usize::from(i) != index);
                        slot.owner = Owner::Closing { deadline: now };
                        self.stats.reset_before_accept =
                            self.stats.reset_before_accept.wrapping_add(1);
                    }
                }
                Owner::Closing { .. } if !reap_closing => {}
                Owner::Closing { deadline } => {
                    let finished = match state {
                        // An aborted socket keeps its peer until the RST has gone out; give up
                        // waiting for that at the deadline.
                        State::Closed => socket.remote_endpoint().is_none() || now >= deadline,
                        State::TimeWait => true,
                        _ => false,
                    };
                    if finished {
                        // `index < sockets <= u16::MAX`.
                        self.park(index as u16, set, false);
                    } else if now >= deadline {
                        socket.abort();
                        self.stats.closes_forced = self.stats.closes_forced.wrapping_add(1);
                        // Freed on the next scan, after one egress had the chance to send RST.
                        slot.owner = Owner::Closing { deadline: now };
                        earliest(now);
                    } else {
                        earliest(deadline);
                    }
                }
            }
            // `Closing` slots created above are looked at again on the next scan.
        }
        self.refill(set);
        next
    }

    /// The next established connection of `pool`.
    pub(crate) fn accept(
        &mut self,
        pool: ListenerId,
        set: &mut SocketSet<'static>,
    ) -> Option<TcpHandle> {
        let listener = self.listeners.get_mut(usize::from(pool.0))?;
        while let Some(index) = listener.ready.pop_front() {
            let slot = &mut self.slots[usize::from(index)];
            let Some(handle) = slot.handle else {
                continue;
            };
            let state = set.get::<tcp::Socket>(handle).state();
            if matches!(state, State::Closed | State::TimeWait) {
                slot.owner = Owner::Closing {
                    deadline: Instant::ZERO,
                };
                self.stats.reset_before_accept = self.stats.reset_before_accept.wrapping_add(1);
                continue;
            }
            slot.owner = Owner::User;
            slot.generation = slot.generation.wrapping_add(1);
            self.stats.accepted = self.stats.accepted.wrapping_add(1);
            return Some(TcpHandle {
                slot: index,
                generation: slot.generation,
            });
        }
        None
    }

    /// Connections waiting in `pool`'s accept queue.
    pub(crate) fn ready_count(&self, pool: ListenerId) -> usize {
        self.listeners
            .get(usize::from(pool.0))
            .map_or(0, |l| l.ready.len())
    }

    /// Starts an outgoing connection from an ephemeral port.
    pub(crate) fn connect(
        &mut self,
        cx: &mut Context,
        set: &mut SocketSet<'static>,
        remote: IpEndpoint,
    ) -> Result<TcpHandle, ConnectError> {
        if self.free.is_empty() {
            self.stats.connects_refused = self.stats.connects_refused.wrapping_add(1);
            return Err(ConnectError::NoFreeSocket);
        }
        let Some(port) = self.ports.allocate() else {
            self.stats.connects_refused = self.stats.connects_refused.wrapping_add(1);
            return Err(ConnectError::NoFreePort);
        };
        let Some((index, handle)) = self.unpark(set) else {
            self.ports.release(port);
            self.stats.connects_refused = self.stats.connects_refused.wrapping_add(1);
            return Err(ConnectError::NoFreeSocket);
        };
        if let Err(e) = set.get_mut::<tcp::Socket>(handle).connect(cx, remote, port) {
            self.ports.release(port);
            self.park(index, set, true);
            return Err(match e {
                tcp::ConnectError::InvalidState => ConnectError::NoFreeSocket,
                tcp::ConnectError::Unaddressable => ConnectError::Unaddressable,
            });
        }
        let slot = &mut self.slots[usize::from(index)];
        slot.port = port;
        slot.owner = Owner::User;
        slot.generation = slot.generation.wrapping_add(1);
        self.stats.connects = self.stats.connects.wrapping_add(1);
        Ok(TcpHandle {
            slot: index,
            generation: slot.generation,
        })
    }

    /// The smoltcp handle behind an application handle, if it is still the application's.
    pub(crate) fn resolve(&self, handle: TcpHandle) -> Option<SocketHandle> {
        let slot = self.slots.get(usize::from(handle.slot))?;
        if slot.owner == Owner::User && slot.generation == handle.generation {
            slot.handle
        } else {
            None
        }
    }

    /// Takes a socket back from the application: graceful close (`abort == false`: FIN, then the
    /// socket is recycled when the close completes or after `linger`) or abort (RST at once).
    pub(crate) fn release(
        &mut self,
        handle: TcpHandle,
        set: &mut SocketSet<'static>,
        now: Instant,
        linger: smoltcp::time::Duration,
        abort: bool,
    ) -> bool {
        let Some(sh) = self.resolve(handle) else {
            return false;
        };
        let slot = &mut self.slots[usize::from(handle.slot)];
        let socket = set.get_mut::<tcp::Socket>(sh);
        if abort {
            socket.abort();
            slot.owner = Owner::Closing { deadline: now };
        } else {
            socket.close();
            slot.owner = Owner::Closing {
                deadline: now + linger,
            };
        }
        slot.generation = slot.generation.wrapping_add(1);
        true
    }

    pub(crate) fn tuning(&self) -> &TcpTuning {
        &self.tuning
    }
}
