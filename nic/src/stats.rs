//! Traffic and error counters every driver keeps.
//!
//! Counters are `u64` and only ever increase (wrapping, which at line rate takes centuries). A
//! frame is counted exactly once: delivered (`rx_frames`), dropped for lack of room
//! (`rx_dropped`), or rejected for a defect (one of [`RxErrors`]).

/// Why received frames were thrown away by the driver or the hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RxErrors {
    /// Length out of range: runts, frames longer than the maximum, or a status length that
    /// contradicts the data (including hardware "length error" and "frame too long").
    pub length: u64,
    /// Frame check sequence mismatch.
    pub crc: u64,
    /// Other physical-layer defects the hardware flagged: alignment (dribbling bits), MII
    /// symbol errors, late collisions, receive watchdog time-outs.
    pub frame: u64,
    /// Frames the hardware delivered although its address filter rejected them.
    pub filtered: u64,
}

impl RxErrors {
    /// Sum of all kinds.
    pub const fn total(&self) -> u64 {
        self.length
            .wrapping_add(self.crc)
            .wrapping_add(self.frame)
            .wrapping_add(self.filtered)
    }
}

/// Why frames the stack queued were not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxErrors {
    /// Loss of carrier or no carrier during transmission.
    pub carrier: u64,
    /// Excessive or late collisions (half duplex only).
    pub collision: u64,
    /// FIFO or DMA trouble: underrun, overrun, or a frame flushed during error recovery.
    pub fifo: u64,
    /// Anything else the hardware flagged (excessive deferral, an error without detail).
    pub other: u64,
}

impl TxErrors {
    /// Sum of all kinds.
    pub const fn total(&self) -> u64 {
        self.carrier
            .wrapping_add(self.collision)
            .wrapping_add(self.fifo)
            .wrapping_add(self.other)
    }
}

/// Counters of one NIC since its driver was constructed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NicStats {
    /// Good frames delivered to the stack.
    pub rx_frames: u64,
    /// Bytes of those frames (header and payload, no FCS).
    pub rx_bytes: u64,
    /// Frames handed to the hardware for transmission.
    pub tx_frames: u64,
    /// Bytes of those frames (header and payload, no FCS).
    pub tx_bytes: u64,
    /// Good frames lost because there was no room (hardware FIFO or ring full), as far as the
    /// hardware counts them.
    pub rx_dropped: u64,
    /// Frames accepted by `transmit` that were lost without a hardware error (e.g. flushed).
    pub tx_dropped: u64,
    /// Receive overrun events: the hardware reported it overflowed. One event may lose several
    /// frames (those are in `rx_dropped` when the hardware counts them).
    pub rx_overruns: u64,
    /// Times the driver resynchronised the hardware after an error (FIFO dump, ring reset).
    pub recoveries: u64,
    /// Received frames rejected for a defect, by kind.
    pub rx_errors: RxErrors,
    /// Transmit failures reported by the hardware, by kind.
    pub tx_errors: TxErrors,
}
