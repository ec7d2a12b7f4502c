//! [`Ctx`]: what one step of the engine works against, passed as one value.
//!
//! Every session step needs the same four things: the transport to move bytes, the
//! configuration it runs, the state shared with the other sessions and the time of this
//! poll. [`Engine::poll`](super::Engine::poll) builds one `Ctx` per session step from
//! disjoint fields of the engine, so the borrows stay plain: the session itself is borrowed
//! separately, never through the context.

use super::shared::Shared;
use super::time::Instant;
use super::transport::Transport;
use crate::config::{Config, Level, LogTarget};

/// The transport, the configuration, the shared run-time state and the time of the poll.
pub(crate) struct Ctx<'a, T: Transport> {
    /// The TCP/IP stack.
    pub net: &'a mut T,
    /// The configuration being run (shared: a session never changes it).
    pub cfg: &'a Config,
    /// Run-time state shared by every session.
    pub sh: &'a mut Shared,
    /// The time of this poll; it does not move during the step.
    pub now: Instant,
}

impl<'a, T: Transport> Ctx<'a, T> {
    /// A context for one step.
    pub fn new(net: &'a mut T, cfg: &'a Config, sh: &'a mut Shared, now: Instant) -> Self {
        Ctx { net, cfg, sh, now }
    }

    /// Sends the message in the shared line buffer to `targets` at `level`.
    pub fn send_line(&mut self, targets: &[LogTarget], level: Level) {
        self.sh.send_line(self.net, targets, level, self.now);
    }
}
