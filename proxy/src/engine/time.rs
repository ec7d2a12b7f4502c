//! The engine's clock: a monotonic millisecond count supplied by the caller of
//! [`Engine::poll`](super::Engine::poll). The engine never reads a clock itself, which is what
//! lets tests run hours of simulated time in microseconds.

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point on the monotonic clock, in milliseconds since an arbitrary origin (boot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Instant {
    millis: u64,
}

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant { millis: 0 };

    /// `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Instant {
        Instant { millis }
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.millis.saturating_sub(earlier.millis))
    }

    /// Milliseconds from `earlier` to `self` as HAProxy's log timers print them.
    pub fn millis_since(self, earlier: Instant) -> u64 {
        self.millis.saturating_sub(earlier.millis)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Instant {
            millis: self.millis.saturating_add(ms),
        }
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Instant {
            millis: self.millis.saturating_sub(ms),
        }
    }
}

/// The earlier of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// `start + timeout`, or `None` when there is no timeout.
pub(crate) fn deadline(start: Instant, timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| start + t)
}

/// The client's and the server's inactivity timeouts of a connection: once it is a tunnel (a
/// TCP-mode relay, a WebSocket after `101`, CONNECT) `timeout tunnel` replaces both when set
/// (manual 4.2 "timeout tunnel": it "supersedes both the client and server timeouts").
pub(crate) fn inactivity(
    fe: &crate::config::Frontend,
    be: Option<&crate::config::Backend>,
    tunnel: bool,
) -> (Option<Duration>, Option<Duration>) {
    match be.and_then(|b| b.timeouts.tunnel).filter(|_| tunnel) {
        Some(t) => (Some(t), Some(t)),
        None => (fe.timeouts.client, be.and_then(|b| b.timeouts.server)),
    }
}
