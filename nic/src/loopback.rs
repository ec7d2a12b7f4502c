//! Two in-memory NICs joined back to back by a [`Wire`], for host tests and self-tests.
//!
//! ```
//! use nic::loopback::Wire;
//! use nic::{MacAddress, Nic};
//!
//! let wire: Wire<4> = Wire::new();
//! let (mut a, mut b) = wire.ends(MacAddress([2, 0, 0, 0, 0, 1]), MacAddress([2, 0, 0, 0, 0, 2]));
//! a.transmit(14, |buf| buf.fill(0xab)).unwrap();
//! assert_eq!(b.receive(|frame| frame.to_vec()), Some(vec![0xab; 14]));
//! ```
//!
//! Each direction is a FIFO of `DEPTH` frames. A full FIFO makes `transmit` return
//! [`TxError::WouldBlock`], exactly like a full hardware TX FIFO. [`Wire::set_link_up`] cuts the
//! cable: frames sent while it is down are counted as `tx_dropped` and vanish.

use core::cell::{Cell, RefCell};

use heapless::{Deque, Vec};

use crate::{
    Capabilities, Events, LinkState, MIN_FRAME_LEN, MacAddress, Nic, NicStats, Speed, TxError,
};

/// Largest frame the loopback carries (header and payload).
pub const MAX_FRAME_LEN: usize = 1514;

type Frame = Vec<u8, MAX_FRAME_LEN>;
type Queue<const DEPTH: usize> = RefCell<Deque<Frame, DEPTH>>;

/// The cable: one frame queue per direction.
pub struct Wire<const DEPTH: usize> {
    a_to_b: Queue<DEPTH>,
    b_to_a: Queue<DEPTH>,
    link_up: Cell<bool>,
}

impl<const DEPTH: usize> Default for Wire<DEPTH> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const DEPTH: usize> Wire<DEPTH> {
    /// An empty wire with the link up.
    pub const fn new() -> Self {
        Wire {
            a_to_b: RefCell::new(Deque::new()),
            b_to_a: RefCell::new(Deque::new()),
            link_up: Cell::new(true),
        }
    }

    /// The two ends, with their station addresses.
    pub fn ends(
        &self,
        mac_a: MacAddress,
        mac_b: MacAddress,
    ) -> (LoopbackNic<'_, DEPTH>, LoopbackNic<'_, DEPTH>) {
        (
            LoopbackNic::new(self, mac_a, &self.b_to_a, &self.a_to_b),
            LoopbackNic::new(self, mac_b, &self.a_to_b, &self.b_to_a),
        )
    }

    /// Plugs or unplugs the cable.
    pub fn set_link_up(&self, up: bool) {
        self.link_up.set(up);
    }

    /// Frames in flight in both directions.
    pub fn frames_in_flight(&self) -> usize {
        self.a_to_b.borrow().len() + self.b_to_a.borrow().len()
    }
}

/// One end of a [`Wire`].
pub struct LoopbackNic<'w, const DEPTH: usize> {
    wire: &'w Wire<DEPTH>,
    mac: MacAddress,
    rx: &'w Queue<DEPTH>,
    tx: &'w Queue<DEPTH>,
    stats: NicStats,
    interrupts_enabled: bool,
    link_was_up: bool,
}

impl<'w, const DEPTH: usize> LoopbackNic<'w, DEPTH> {
    fn new(
        wire: &'w Wire<DEPTH>,
        mac: MacAddress,
        rx: &'w Queue<DEPTH>,
        tx: &'w Queue<DEPTH>,
    ) -> Self {
        LoopbackNic {
            wire,
            mac,
            rx,
            tx,
            stats: NicStats::default(),
            interrupts_enabled: false,
            link_was_up: true,
        }
    }

    /// Whether [`Nic::set_interrupts_enabled`] last enabled interrupts.
    pub fn interrupts_enabled(&self) -> bool {
        self.interrupts_enabled
    }
}

impl<const DEPTH: usize> Nic for LoopbackNic<'_, DEPTH> {
    fn mac_address(&self) -> MacAddress {
        self.mac
    }

    fn link_state(&mut self) -> LinkState {
        if self.wire.link_up.get() {
            LinkState::Up {
                speed: Speed::Unknown,
                duplex: crate::Duplex::Full,
            }
        } else {
            LinkState::Down
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_frame_len: MAX_FRAME_LEN,
            max_burst: Some(DEPTH),
            ..Capabilities::ETHERNET
        }
    }

    fn rx_ready(&mut self) -> bool {
        !self.rx.borrow().is_empty()
    }

    fn receive<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let frame = self.rx.borrow_mut().pop_front()?;
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += frame.len() as u64;
        Some(f(&frame))
    }

    fn tx_ready(&mut self) -> bool {
        !self.tx.borrow().is_full()
    }

    fn transmit<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, TxError> {
        if !(MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&len) {
            return Err(TxError::InvalidLength);
        }
        if self.tx.borrow().is_full() {
            return Err(TxError::WouldBlock);
        }
        let mut frame = Frame::new();
        // Cannot fail: `len <= MAX_FRAME_LEN`, the capacity.
        frame.resize(len, 0).map_err(|_| TxError::InvalidLength)?;
        let result = f(&mut frame);
        if self.wire.link_up.get() {
            // Cannot fail: fullness was checked above and nothing ran in between but `f`,
            // which has no access to the wire.
            if self.tx.borrow_mut().push_back(frame).is_ok() {
                self.stats.tx_frames += 1;
                self.stats.tx_bytes += len as u64;
            } else {
                self.stats.tx_dropped += 1;
            }
        } else {
            self.stats.tx_dropped += 1;
        }
        Ok(result)
    }

    fn on_interrupt(&mut self) -> Events {
        let link_up = self.wire.link_up.get();
        let link_changed = link_up != self.link_was_up;
        self.link_was_up = link_up;
        Events {
            rx_ready: self.rx_ready(),
            tx_done: self.tx_ready(),
            link_changed,
            ..Events::NONE
        }
    }

    fn set_interrupts_enabled(&mut self, enabled: bool) {
        self.interrupts_enabled = enabled;
    }

    fn stats(&mut self) -> NicStats {
        self.stats
    }
}
