//! State shared by every session of the engine: the run-time side of each frontend and
//! backend, the buffer pool, logging scratch space and the box's own statistics.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;

use super::counters::Counters;
use super::log::{Syslog, WallClock};
use super::pool::BufferPool;
use super::server::BackendRt;
use super::stats::BoxStats;
use super::time::Instant;
use super::transport::Transport;
use crate::config::{Config, Level, LogTarget};

/// Most recent event lines kept for the console ([`Engine::take_events`](super::Engine::take_events)).
pub const MAX_EVENTS: usize = 64;

/// Run-time state of one frontend.
#[derive(Debug, Clone, Default)]
pub struct FrontendRt {
    /// Traffic counters.
    pub counters: Counters,
    /// Client connections refused a session because the pool was exhausted.
    pub pool_refusals: u64,
}

/// Everything sessions share.
pub(crate) struct Shared {
    pub frontends: Vec<FrontendRt>,
    pub backends: Vec<BackendRt>,
    pub pool: BufferPool,
    pub clock: WallClock,
    /// Sessions alive (HAProxy's `actconn`).
    pub active_sessions: u32,
    pub box_stats: BoxStats,
    pub started: Instant,
    /// Scratch space for one log message and for its syslog framing.
    pub line: String,
    pub frame: String,
    pub events: VecDeque<String>,
}

impl Shared {
    pub fn new(config: &Config, pool: BufferPool, max_sessions: usize) -> Shared {
        Shared {
            frontends: config
                .frontends
                .iter()
                .map(|_| FrontendRt::default())
                .collect(),
            backends: config
                .backends
                .iter()
                .map(|b| BackendRt::new(b, max_sessions, Instant::ZERO))
                .collect(),
            pool,
            clock: WallClock::default(),
            active_sessions: 0,
            box_stats: BoxStats::default(),
            started: Instant::ZERO,
            line: String::with_capacity(1024),
            frame: String::with_capacity(1100),
            events: VecDeque::with_capacity(MAX_EVENTS),
        }
    }

    /// Sends the message in `self.line` to `targets` at `level`.
    pub fn send_line<T: Transport>(
        &mut self,
        transport: &mut T,
        targets: &[LogTarget],
        level: Level,
        now: Instant,
    ) {
        let mut syslog = Syslog {
            clock: self.clock,
            scratch: &mut self.frame,
        };
        syslog.send(transport, targets, level, now, &self.line);
    }

    /// Keeps the message in `self.line` for the console.
    pub fn remember_event(&mut self) {
        if self.events.len() == MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(self.line.clone());
    }
}

/// Where a session came from, for logs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub frontend: usize,
}
