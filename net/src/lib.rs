//! bareproxy's network stack: smoltcp 0.14 on any [`nic::Nic`], with what a load balancer needs
//! on top — socket pools sized from RAM, listener pools that never refuse a client while capacity
//! remains, SYN gating under overload, bounded polling, and counters for every dropped frame.
//!
//! Where things are:
//! - [`Stack`] (`stack.rs`): construction, [`Stack::poll`] / [`Stack::poll_delay`], listen /
//!   accept / connect / close, DHCP lease handling, [`StackStats`].
//! - [`StackConfig`] (`config.rs`): IPv4 static or DHCP, IPv6 static addresses and gateway,
//!   [`TcpTuning`], poll and timeout limits.
//! - [`Budget`] (`budget.rs`): socket count and buffer sizes from the free heap.
//! - `pool.rs`: the socket life cycle (free → listening → handshaking → ready → user → closing),
//!   [`TcpHandle`], [`ListenerId`].
//! - `gate.rs`: the ingress gate in front of smoltcp: header sanity, checksums, SYN gating,
//!   drop counters ([`GateStats`]).
//! - `ports.rs`: ephemeral port allocation for outgoing connections.
//! - [`diag`]: echo, discard and chargen services for tests and benchmarks.
//!
//! # How connections are accepted
//! smoltcp has no listen backlog: one socket takes one connection, and a SYN that finds no socket
//! in LISTEN is answered with RST. [`Stack::listen`]`(endpoint, backlog)` keeps `backlog` sockets
//! in LISTEN on the endpoint:
//!
//! 1. A SYN lands on a listening socket, which answers SYN-ACK (state SYN-RECEIVED). Within the
//!    same [`Stack::poll`] the pool takes a free socket and puts it into LISTEN in its place, so
//!    the next SYN finds one too. If a SYN takes the *last* listening socket of a pool while
//!    frames are still queued, the pool re-arms before smoltcp sees the next frame.
//! 2. When the handshake completes the connection joins the pool's accept queue;
//!    [`Stack::accept`] hands it to the application. Handshakes are *not* handed out: a SYN
//!    flood fills the pool, not the application's connection table. A handshake that has not
//!    completed within [`StackConfig::handshake_timeout`] (default 5 s) is aborted and its
//!    socket recycled.
//! 3. When every socket is in use (no free socket to re-arm, or only the
//!    [`connect reserve`](Stack::set_connect_reserve) left), a pool runs out of listening
//!    sockets. From then on SYNs for its endpoint are **dropped** by the ingress gate before
//!    smoltcp sees them (counted in [`GateStats::syns_gated`]), instead of being reset. The
//!    client's TCP retransmits its SYN (Linux: after 1, 3, 7, 15, 31 s); as soon as a socket is
//!    freed (a connection closes, a handshake expires) the pool re-arms and the retransmitted SYN
//!    is accepted. While capacity remains, no client is refused or delayed.
//! 4. SYNs to ports with no listener pool still get smoltcp's RST ("connection refused"), as they
//!    should.
//!
//! # Budget
//! [`Budget::from_ram`] gives `sockets = min(usable / (2·B + overhead), 1024)` with the largest
//! buffer size `B` in 16/8/4/2 KiB that still allows 512 sockets, where `usable` leaves a quarter
//! of the free heap (at least 1 MiB) to the rest of the firmware; see `budget.rs`. A proxied
//! connection takes two sockets. The receive window smoltcp advertises is further clamped to the
//! NIC's `max_burst` frames (the LAN9118's 10.5 KB FIFO), so a fast sender cannot overrun it.
//!
//! # Bounded work
//! [`Stack::poll`] processes at most [`StackConfig::max_frames_per_poll`] received frames (then
//! reports [`PollOutcome::more_pending`]), at most [`StackConfig::max_egress_passes`] egress
//! passes (smoltcp sends one segment per socket per pass), timers, DHCP, and one linear scan of
//! the socket pool. A flood of frames therefore delays the main loop by a bounded amount per
//! turn. smoltcp itself walks all sockets per received TCP segment, which is why the socket count
//! is capped.
//!
//! # Main loop
//! ```no_run
//! # use net::{Budget, Stack, StackConfig, Ipv4Mode};
//! # use smoltcp::time::Instant;
//! # fn example<N: nic::Nic>(nic: N, free_heap: usize, clock: impl Fn() -> Instant,
//! #     wait_for_interrupt_or: impl Fn(Option<smoltcp::time::Duration>)) -> Result<(), net::StackError> {
//! let config = StackConfig { ipv4: Ipv4Mode::Dhcp, random_seed: 0x5eed, ..StackConfig::default() };
//! let budget = Budget::from_ram(free_heap).map_err(|_| net::StackError::BadBudget)?;
//! let mut stack = Stack::new(nic, &config, &budget, clock())?;
//! let http = stack.listen(80, 64).expect("port 80 is free");
//! loop {
//!     let outcome = stack.poll(clock());
//!     if let Some(change) = outcome.dhcp { /* log it */ }
//!     while let Some(conn) = stack.accept(http) { /* hand `conn` to the proxy */ }
//!     // ... proxy work: stack.socket(conn), stack.connect(backend), stack.close(conn) ...
//!     if !outcome.more_pending {
//!         // Sleep until the NIC interrupts (acknowledge it with stack.nic_mut().on_interrupt())
//!         // or the stack's next timer is due.
//!         wait_for_interrupt_or(stack.poll_delay(clock()));
//!     }
//! }
//! # }
//! ```
//! [`Stack::poll_delay`] is `None` when only a received frame can create work, so the loop
//! sleeps until the NIC interrupts. Poll again right after the application has queued data or
//! closed sockets so that it goes out without waiting for the next interrupt.
//!
//! # Targets
//! `no_std` + `alloc`, no atomics (ARMv5TE has none). Builds for `armv7a-none-eabi` and for the
//! big-endian `linker/armebv5te-none-eabi.json` (with `-Zbuild-std=core,alloc`). If a later
//! dependency update makes heapless need `AtomicUsize` there, the board crate enables heapless's
//! `portable-atomic-critical-section` feature.
//!
//! smoltcp compile-time sizes set here: 4 interface addresses, 32 neighbour-cache entries. smoltcp
//! refuses to build if another crate selects a different value of the same setting.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod budget;
pub mod config;
pub mod diag;
mod gate;
mod pool;
mod ports;
mod stack;

pub use budget::{Budget, BudgetError};
pub use config::{Ipv4Mode, Ipv6Config, StackConfig, TcpTuning};
pub use gate::GateStats;
pub use pool::{ListenerId, PoolStats, SocketUsage, TcpHandle};
pub use stack::{
    DATAGRAM_SOURCE_PORT, DhcpChange, DhcpState, PollOutcome, Stack, StackStats, link_local_address,
};

/// smoltcp, as this crate uses it (time, wire addresses, the TCP socket type).
pub use smoltcp;

/// Why [`Stack::new`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackError {
    /// The NIC reported a multicast or all-zero MAC address.
    BadMac,
    /// Zero sockets, or more than 65535.
    BadBudget,
    /// The heap could not hold the budget's sockets.
    OutOfMemory,
    /// More addresses than the interface holds (see [`config::MAX_IPV6_ADDRESSES`]).
    TooManyAddresses,
    /// More default routes than the route table holds.
    TooManyRoutes,
}

/// Why [`Stack::listen`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenError {
    /// Port 0.
    PortZero,
    /// A backlog of 0 would never accept anything.
    ZeroBacklog,
    /// Another pool already listens on the port (for an overlapping address).
    AlreadyListening,
    /// 65536 pools.
    TooManyListeners,
    /// The heap could not hold the pool's accept queue.
    OutOfMemory,
}

/// Why [`Stack::connect`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// Every socket is in use.
    NoFreeSocket,
    /// Every ephemeral port is held by a live connection.
    NoFreePort,
    /// No source address for the destination (no address of that IP version, or port 0 /
    /// unspecified address).
    Unaddressable,
}
