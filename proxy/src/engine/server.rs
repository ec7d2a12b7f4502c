//! Run-time state of servers and backends: up/down, the rise/fall state machine, slot
//! accounting for `maxconn`, and the counters the stats page shows.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::balance::Balancer;
use super::counters::Counters;
use super::time::Instant;
use crate::config::{Backend, Server};

/// Outcome of one health check, in HAProxy's vocabulary (manual 9.1, `check_status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// `L4OK`: the TCP connection was accepted (TCP check).
    Layer4Ok,
    /// `L4TOUT`: the connection did not complete in time.
    Layer4Timeout,
    /// `L4CON`: the connection was refused or reset.
    Layer4Conn(&'static str),
    /// `L7OK`: the HTTP check got an expected status.
    Layer7Ok(u16),
    /// `L7STS`: the HTTP check got an unexpected status (code, reason phrase).
    Layer7Status(u16, String),
    /// `L7RSP`: the HTTP check's answer was not an HTTP response.
    Layer7Invalid,
    /// `L7TOUT`: no complete status line in time.
    Layer7Timeout,
}

impl CheckOutcome {
    /// True for a passed check.
    pub fn passed(&self) -> bool {
        matches!(self, CheckOutcome::Layer4Ok | CheckOutcome::Layer7Ok(_))
    }

    /// The `check_status` code of HAProxy's CSV.
    pub fn code_name(&self) -> &'static str {
        match self {
            CheckOutcome::Layer4Ok => "L4OK",
            CheckOutcome::Layer4Timeout => "L4TOUT",
            CheckOutcome::Layer4Conn(_) => "L4CON",
            CheckOutcome::Layer7Ok(_) => "L7OK",
            CheckOutcome::Layer7Status(..) => "L7STS",
            CheckOutcome::Layer7Invalid => "L7RSP",
            CheckOutcome::Layer7Timeout => "L7TOUT",
        }
    }

    /// The HTTP status, for Layer 7 outcomes that have one.
    pub fn http_code(&self) -> Option<u16> {
        match self {
            CheckOutcome::Layer7Ok(c) | CheckOutcome::Layer7Status(c, _) => Some(*c),
            _ => None,
        }
    }

    /// The "reason: ..." part of HAProxy's state-change log line.
    pub fn reason(&self) -> &'static str {
        match self {
            CheckOutcome::Layer4Ok => "Layer4 check passed",
            CheckOutcome::Layer4Timeout => "Layer4 timeout",
            CheckOutcome::Layer4Conn(_) => "Layer4 connection problem",
            CheckOutcome::Layer7Ok(_) => "Layer7 check passed",
            CheckOutcome::Layer7Status(..) => "Layer7 wrong status",
            CheckOutcome::Layer7Invalid => "Layer7 invalid response",
            CheckOutcome::Layer7Timeout => "Layer7 timeout",
        }
    }

    /// The quoted "info" of the log line, if any.
    pub fn info(&self) -> Option<&str> {
        match self {
            CheckOutcome::Layer4Conn(info) => Some(info),
            CheckOutcome::Layer7Status(_, reason) => Some(reason),
            _ => None,
        }
    }
}

/// The last check of a server, for the stats page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastCheck {
    /// What happened.
    pub outcome: CheckOutcome,
    /// How long it took.
    pub duration: Duration,
}

/// A server's state transition, reported by [`ServerRt::record_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Reached `fall` consecutive failures while up.
    WentDown,
    /// Reached `rise` consecutive successes while down.
    WentUp,
}

/// Run-time state of one server.
#[derive(Debug, Clone)]
pub struct ServerRt {
    up: bool,
    /// Consecutive passed checks while down.
    rise_count: u32,
    /// Consecutive failed checks while up.
    fall_count: u32,
    /// Transactions currently assigned to the server (what `maxconn` limits).
    pub active: u32,
    /// Traffic counters.
    pub counters: Counters,
    /// Last state change.
    pub last_change: Instant,
    /// Total time spent down before the current state.
    pub downtime: Duration,
    /// Failed checks.
    pub check_failures: u64,
    /// UP to DOWN transitions.
    pub down_transitions: u64,
    /// The last check, if any ran.
    pub last_check: Option<LastCheck>,
}

impl ServerRt {
    /// A server as it starts: up, like HAProxy's default initial state.
    pub fn new(now: Instant) -> ServerRt {
        ServerRt {
            up: true,
            rise_count: 0,
            fall_count: 0,
            active: 0,
            counters: Counters::default(),
            last_change: now,
            downtime: Duration::ZERO,
            check_failures: 0,
            down_transitions: 0,
            last_check: None,
        }
    }

    /// True when the server is up.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Total downtime up to `now`.
    pub fn downtime_at(&self, now: Instant) -> Duration {
        if self.up {
            self.downtime
        } else {
            self.downtime + now.since(self.last_change)
        }
    }

    /// Feeds one check result through the rise/fall state machine (manual 5.2 "rise",
    /// "fall"): an up server goes down after `fall` consecutive failures, a down server comes
    /// up after `rise` consecutive successes.
    pub fn record_check(
        &mut self,
        config: &Server,
        check: LastCheck,
        now: Instant,
    ) -> Option<Transition> {
        let passed = check.outcome.passed();
        self.last_check = Some(check);
        if !passed {
            self.check_failures += 1;
        }
        match (self.up, passed) {
            (true, true) => {
                self.fall_count = 0;
                None
            }
            (true, false) => {
                self.fall_count += 1;
                (self.fall_count >= config.fall.max(1)).then(|| {
                    self.set_up(false, now);
                    Transition::WentDown
                })
            }
            (false, false) => {
                self.rise_count = 0;
                None
            }
            (false, true) => {
                self.rise_count += 1;
                (self.rise_count >= config.rise.max(1)).then(|| {
                    self.set_up(true, now);
                    Transition::WentUp
                })
            }
        }
    }

    fn set_up(&mut self, up: bool, now: Instant) {
        if !up {
            self.down_transitions += 1;
        } else {
            self.downtime += now.since(self.last_change);
        }
        self.up = up;
        self.rise_count = 0;
        self.fall_count = 0;
        self.last_change = now;
    }
}

/// A session waiting for a server slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiter {
    /// Session slot.
    pub slot: usize,
    /// Generation of the session in that slot, so a stale entry is recognised.
    pub generation: u32,
}

/// A session waiting in a backend queue, and the server it waits for when persistence named
/// one (`None`: any server will do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    /// The session.
    pub waiter: Waiter,
    /// The server it must have, if any.
    pub server: Option<usize>,
}

/// Run-time state of one backend.
#[derive(Debug)]
pub struct BackendRt {
    /// One per configured server.
    pub servers: Vec<ServerRt>,
    /// The `balance` algorithm's state.
    pub balancer: Balancer,
    /// Sessions waiting for a slot, oldest first (manual 5.2 "maxconn": requests beyond a
    /// server's maxconn wait in the backend queue).
    pub queue: VecDeque<Queued>,
    /// Traffic counters of the backend as a whole.
    pub counters: Counters,
    /// Last time the backend went from no server to some server or back.
    pub last_change: Instant,
}

impl BackendRt {
    /// The run-time state of `backend` at start-up.
    pub fn new(backend: &Backend, max_sessions: usize, now: Instant) -> BackendRt {
        BackendRt {
            servers: backend.servers.iter().map(|_| ServerRt::new(now)).collect(),
            balancer: Balancer::new(backend.balance, backend.servers.len()),
            queue: VecDeque::with_capacity(max_sessions.min(1024)),
            counters: Counters::default(),
            last_change: now,
        }
    }

    /// Servers up, as (primary, backup) counts.
    pub fn servers_up(&self, backend: &Backend) -> (usize, usize) {
        let mut counts = (0, 0);
        for (s, rt) in backend.servers.iter().zip(&self.servers) {
            if rt.is_up() {
                if s.backup {
                    counts.1 += 1;
                } else {
                    counts.0 += 1;
                }
            }
        }
        counts
    }

    /// True when some server could take traffic.
    pub fn has_usable_server(&self, backend: &Backend) -> bool {
        backend
            .servers
            .iter()
            .zip(&self.servers)
            .any(|(s, rt)| super::balance::usable(s, rt))
    }

    /// Takes a slot on `server` for a new transaction.
    pub fn acquire(&mut self, server: usize) {
        if let Some(rt) = self.servers.get_mut(server) {
            rt.active += 1;
            rt.counters.session_started();
            rt.counters.lbtot += 1;
        }
        self.counters.session_started();
        self.counters.lbtot += 1;
    }

    /// Gives back the slot taken by [`BackendRt::acquire`].
    pub fn release(&mut self, server: usize) {
        if let Some(rt) = self.servers.get_mut(server) {
            rt.active = rt.active.saturating_sub(1);
            rt.counters.scur = rt.counters.scur.saturating_sub(1);
        }
        self.counters.scur = self.counters.scur.saturating_sub(1);
    }

    /// Removes a session from the queue (it got a slot, gave up or ended).
    pub fn leave_queue(&mut self, slot: usize, generation: u32) {
        self.queue
            .retain(|q| !(q.waiter.slot == slot && q.waiter.generation == generation));
        self.counters.qcur = u32::try_from(self.queue.len()).unwrap_or(u32::MAX);
    }

    /// Whether a session queued before `me` (before everyone, for `None`) could take a slot
    /// on `server`: then `me` must let it go first.
    pub fn someone_waits_for(&self, server: usize, me: Option<Waiter>) -> bool {
        self.queue
            .iter()
            .take_while(|q| Some(q.waiter) != me)
            .any(|q| q.server.is_none_or(|s| s == server))
    }

    /// Appends a session to the queue; `server` is the one it must have, if any.
    pub fn join_queue(&mut self, waiter: Waiter, server: Option<usize>) {
        self.queue.push_back(Queued { waiter, server });
        let len = u32::try_from(self.queue.len()).unwrap_or(u32::MAX);
        self.counters.qcur = len;
        self.counters.qmax = self.counters.qmax.max(len);
    }
}
