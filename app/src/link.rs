//! Link polling for the console: a port's link is read once a second and every change is
//! logged, so a box owner sees cabling and autonegotiation results without any tool.
//!
//! Boards poll their ports with it from the main loop. For some drivers the poll does more than
//! report: the mvneta driver starts its queues and sets the MAC's speed and duplex, and the
//! NPE-B driver reprograms the MAC's duplex, when `Nic::link_state` sees a new link.

use kernel::kprintln;
use kernel::time::Instant;
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use hil::Console;

    struct Recorder(Mutex<Vec<u8>>);

    impl Console for Recorder {
        fn write_bytes(&self, bytes: &[u8]) {
            self.0.lock().unwrap().extend_from_slice(bytes);
        }
        fn read_byte(&self) -> Option<u8> {
            None
        }
        fn flush(&self) {}
    }

    #[test]
    fn logs_each_change_once_and_reads_at_most_once_a_second() {
        let recorder: &'static Recorder = Box::leak(Box::new(Recorder(Mutex::new(Vec::new()))));
        kernel::console::install(recorder);
        let up = LinkState::Up {
            speed: Speed::Mbps100,
            duplex: Duplex::Full,
        };
        let mut watch = LinkWatch::new("eth9");
        let mut reads = 0;
        let mut poll = |watch: &mut LinkWatch, ms: u64, state| {
            watch.poll(Instant::from_micros(ms * 1000), || {
                reads += 1;
                state
            })
        };
        poll(&mut watch, 0, Some(up));
        poll(&mut watch, 500, Some(LinkState::Down)); // not due yet: not read
        poll(&mut watch, 1000, Some(up)); // unchanged: not logged
        poll(&mut watch, 2000, None); // unreadable: the last state stands
        poll(&mut watch, 3000, Some(LinkState::Down));
        assert_eq!(reads, 4);
        let log = String::from_utf8(recorder.0.lock().unwrap().clone()).unwrap();
        let ours: Vec<&str> = log.lines().filter(|l| l.starts_with("eth9")).collect();
        assert_eq!(
            ours,
            ["eth9:  link up, 100 Mb/s full duplex", "eth9:  link down"]
        );
    }
}
