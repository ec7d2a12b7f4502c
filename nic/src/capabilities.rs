//! What a NIC can do, in the terms the stack needs.

/// Offload of one checksum, seen from the hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offload {
    /// The hardware does nothing; the stack computes and verifies.
    #[default]
    None,
    /// The hardware verifies on receive and the driver drops (and counts) frames that fail,
    /// so the stack need not verify; the stack still computes on transmit.
    Rx,
    /// The hardware fills the checksum on transmit; the stack still verifies on receive.
    Tx,
    /// Both of the above.
    Both,
}

/// Checksum offload per protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChecksumOffload {
    /// IPv4 header checksum.
    pub ipv4: Offload,
    /// TCP (over IPv4 and IPv6).
    pub tcp: Offload,
    /// UDP (over IPv4 and IPv6).
    pub udp: Offload,
    /// ICMPv4.
    pub icmpv4: Offload,
    /// ICMPv6.
    pub icmpv6: Offload,
}

impl ChecksumOffload {
    /// No offload at all (LAN9118, IXP4xx NPE with the standard firmware).
    pub const NONE: ChecksumOffload = ChecksumOffload {
        ipv4: Offload::None,
        tcp: Offload::None,
        udp: Offload::None,
        icmpv4: Offload::None,
        icmpv6: Offload::None,
    };
}

/// Static description of a NIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Largest frame the NIC sends or delivers, counted as smoltcp counts an Ethernet MTU:
    /// the 14-byte header included, the 4-byte FCS excluded. 1514 for a 1500-byte IP MTU.
    pub max_frame_len: usize,
    /// How many full-size frames the NIC can absorb back to back before it drops (RX FIFO or
    /// ring depth); `None` if unbounded or unknown. smoltcp clamps advertised TCP windows to
    /// this many segments, which keeps a fast peer from overrunning a small FIFO.
    pub max_burst: Option<usize>,
    /// Checksum offload per protocol.
    pub checksum: ChecksumOffload,
}

impl Capabilities {
    /// Standard Ethernet: 1514-byte frames, no offload, no burst limit.
    pub const ETHERNET: Capabilities = Capabilities {
        max_frame_len: 1514,
        max_burst: None,
        checksum: ChecksumOffload::NONE,
    };
}
