//! Server assignment shared by both session kinds: persistence or balancing, the queue, and
//! what to do after a failed connection attempt (`retries`, `option redispatch`).

use super::balance::{Balancer, LbKey, Pick};
use super::server::{BackendRt, Waiter};
use crate::config::Backend;

/// Picks a server for a request: the persistence target if it is up, else the balancer
/// (staying away from `avoid` if it can).
///
/// A request never takes a slot that a session queued before it could use: a new one joins
/// the queue behind, a queued one waits its turn, so a slot that frees goes to the oldest
/// waiter whichever session the engine steps first. HAProxy serves its queues before new
/// arrivals the same way (`src/backend.c`, `assign_server_and_queue`: a server with pending
/// requests queues the new one too).
pub(crate) fn choose(
    backend: &Backend,
    rt: &mut BackendRt,
    pinned: Option<usize>,
    key: Option<LbKey<'_>>,
    avoid: Option<usize>,
    standing: Standing,
) -> Pick {
    let (pick, pin) =
        match pinned.and_then(|i| Balancer::pick_pinned(&backend.servers, &rt.servers, i)) {
            Some(pick) => (pick, pinned),
            None => (
                rt.balancer.pick(&backend.servers, &rt.servers, key, avoid),
                None,
            ),
        };
    let waits_ahead = |i| match standing {
        Standing::New => rt.someone_waits_for(i, None),
        Standing::Queued(me) => rt.someone_waits_for(i, Some(me)),
        Standing::Served => false,
    };
    match pick {
        Pick::Server(i) if waits_ahead(i) => Pick::Queue(pin),
        pick => pick,
    }
}

/// Where the session asking for a server stands in its backend's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// A new request: every queued session is ahead of it.
    New,
    /// Waiting in the queue: the sessions queued before it are ahead.
    Queued(Waiter),
    /// Already admitted (a redispatch after a failed connect): nobody is ahead.
    Served,
}

/// What follows a failed connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// Try the same server again.
    RetrySame,
    /// Try again, letting the balancer choose (persistence is broken).
    Redispatch,
    /// No attempt left: answer 503 (HTTP) or close (TCP).
    GiveUp,
}

/// HAProxy's rule (manual 4.2 "retries", "option redispatch"): up to `retries` further
/// attempts; with `option redispatch` the last one goes through the balancer again, and so
/// does any retry once the server has been marked down.
pub(crate) fn after_failure(backend: &Backend, retries_done: u32, server_up: bool) -> AfterFailure {
    if retries_done >= backend.retries {
        AfterFailure::GiveUp
    } else if backend.redispatch && (retries_done + 1 == backend.retries || !server_up) {
        AfterFailure::Redispatch
    } else {
        AfterFailure::RetrySame
    }
}
