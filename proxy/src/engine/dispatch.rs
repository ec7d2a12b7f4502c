//! Server assignment shared by both session kinds: persistence or balancing, the queue, and
//! what to do after a failed connection attempt (`retries`, `option redispatch`).

use super::balance::{Balancer, LbKey, Pick};
use super::server::BackendRt;
use crate::config::Backend;

/// Picks a server for a new request: the persistence target if it is up, else the balancer
/// (staying away from `avoid` if it can).
pub(crate) fn choose(
    backend: &Backend,
    rt: &mut BackendRt,
    pinned: Option<usize>,
    key: Option<LbKey<'_>>,
    avoid: Option<usize>,
) -> Pick {
    if let Some(pick) = pinned.and_then(|i| Balancer::pick_pinned(&backend.servers, &rt.servers, i))
    {
        return pick;
    }
    rt.balancer.pick(&backend.servers, &rt.servers, key, avoid)
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
