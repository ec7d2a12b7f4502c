//! Link polling for the console: each port's link is read once a second and every change is
//! logged, so a box owner sees cabling and autonegotiation results without any tool.
//!
//! On the NSLU2 the poll also keeps the MAC's duplex in step with the PHY: the NPE-B driver
//! reprograms it when `Nic::link_state` sees a change, and the kernel's network loop does not
//! call it.

use firmware::kprintln;
use firmware::time::Instant;
use nic::{Duplex, LinkState, Speed};

/// How often a link is read. Each read is a few MDIO transactions.
const POLL_EVERY_MS: u64 = 1_000;

/// The last link state seen on one port.
pub struct LinkWatch {
    port: &'static str,
    last: Option<LinkState>,
    next_poll_ms: u64,
}

impl LinkWatch {
    /// A watch on `port` (its name in the log), polled on the first call.
    pub const fn new(port: &'static str) -> Self {
        LinkWatch {
            port,
            last: None,
            next_poll_ms: 0,
        }
    }

    /// Reads the link with `read` if a poll is due and logs a change. `read` returns `None` when
    /// the state could not be read (an MDIO error): the last known state stands.
    pub fn poll(&mut self, now: Instant, read: impl FnOnce() -> Option<LinkState>) {
        let now_ms = now.as_millis();
        if now_ms < self.next_poll_ms {
            return;
        }
        self.next_poll_ms = now_ms + POLL_EVERY_MS;
        let Some(state) = read() else {
            return;
        };
        if self.last == Some(state) {
            return;
        }
        self.last = Some(state);
        match state {
            LinkState::Down => kprintln!("{}:  link down", self.port),
            LinkState::Up { speed, duplex } => kprintln!(
                "{}:  link up, {} {}",
                self.port,
                speed_text(speed),
                duplex_text(duplex)
            ),
        }
    }
}

fn speed_text(speed: Speed) -> &'static str {
    match speed {
        Speed::Mbps10 => "10 Mb/s",
        Speed::Mbps100 => "100 Mb/s",
        Speed::Mbps1000 => "1000 Mb/s",
        Speed::Unknown => "unknown speed",
    }
}

fn duplex_text(duplex: Duplex) -> &'static str {
    match duplex {
        Duplex::Full => "full duplex",
        Duplex::Half => "half duplex",
        Duplex::Unknown => "unknown duplex",
    }
}
