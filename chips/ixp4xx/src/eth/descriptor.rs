//! Buffer descriptors and the DMA memory the Ethernet driver hands to NPE-B.
//!
//! A descriptor is 32 bytes, 32-byte aligned, shared with the NPE as eight 32-bit words (Linux
//! `struct desc` in `ixp4xx_eth.c`, big-endian layout; the word values are what matter, so the
//! driver builds them with shifts and never relies on a struct's byte order):
//!
//! | Word | Contents |
//! |---|---|
//! | 0 | next (unused, must be 0) |
//! | 1 | buf_len << 16 \| pkt_len |
//! | 2 | data: bus address of the frame bytes |
//! | 3 | dest_id << 24 \| src_id << 16 \| flags |
//! | 4 | qos << 24 \| padlen << 16 \| vlan_tci |
//! | 5–7 | destination and source MAC as parsed by the NPE |
//!
//! Queue entries carry the descriptor's bus address in bits 31:5; bits 4:0 are flags (on RX
//! and TX-done the low two bits name the NPE), so entries are always masked with `!0x1F`.

/// Words per descriptor.
pub const DESCRIPTOR_WORDS: usize = 8;
/// Bytes per descriptor (also the required alignment).
pub const DESCRIPTOR_BYTES: usize = 32;
/// Mask that turns a queue entry into a descriptor bus address.
pub const ENTRY_ADDRESS_MASK: u32 = !0x1F;

/// Word index of buf_len/pkt_len.
pub const W_LENGTHS: usize = 1;
/// Word index of the data pointer.
pub const W_DATA: usize = 2;

/// RX descriptors = length of the RX-free and RX queues (Linux `RX_DESCS`).
pub const RX_DESCRIPTORS: usize = 64;
/// TX descriptors = length of the TX queue (Linux `TX_DESCS`).
pub const TX_DESCRIPTORS: usize = 16;
/// Largest frame the NPE writes into an RX buffer (Linux `MAX_MRU`, 1536).
pub const RX_BUFFER_LEN: u32 = 1536;
/// RX frames start 2 bytes into their buffer so the IP header is 4-byte aligned
/// (Linux `NET_IP_ALIGN`).
pub const RX_DATA_OFFSET: usize = 2;
/// Bytes per packet buffer: offset + MRU, rounded up to whole 32-byte cache lines so no buffer
/// shares a line with anything else.
pub const BUFFER_BYTES: usize = (RX_DATA_OFFSET + RX_BUFFER_LEN as usize).next_multiple_of(32);
/// Words in the NPE statistics block (`struct npestats` of NetBSD's `if_npereg.h` /
/// Intel `IxEthEthObjStats`), padded to whole cache lines.
pub const STATS_WORDS: usize = 24;

/// One descriptor, cache-line aligned.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub struct Descriptor(pub [u32; DESCRIPTOR_WORDS]);

/// One packet buffer, cache-line aligned.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub struct PacketBuffer(pub [u8; BUFFER_BYTES]);

/// Everything NPE-B reads or writes by DMA: descriptors, packet buffers and the statistics
/// block. About 125 KiB; place it in RAM the NPE can reach (all of the NSLU2's 32 MiB) and,
/// with the D-cache on, either map it uncached or rely on the driver's cache maintenance
/// (it cleans and invalidates every handover through [`nic::dma::DmaMemory`]).
#[derive(Debug)]
#[repr(C, align(32))]
pub struct EthMemory {
    pub(crate) rx_descriptors: [Descriptor; RX_DESCRIPTORS],
    pub(crate) tx_descriptors: [Descriptor; TX_DESCRIPTORS],
    pub(crate) stats: [u32; STATS_WORDS],
    pub(crate) rx_buffers: [PacketBuffer; RX_DESCRIPTORS],
    pub(crate) tx_buffers: [PacketBuffer; TX_DESCRIPTORS],
}

impl EthMemory {
    /// Zeroed memory, usable in a `static`.
    pub const fn new() -> Self {
        EthMemory {
            rx_descriptors: [Descriptor([0; DESCRIPTOR_WORDS]); RX_DESCRIPTORS],
            tx_descriptors: [Descriptor([0; DESCRIPTOR_WORDS]); TX_DESCRIPTORS],
            stats: [0; STATS_WORDS],
            rx_buffers: [PacketBuffer([0; BUFFER_BYTES]); RX_DESCRIPTORS],
            tx_buffers: [PacketBuffer([0; BUFFER_BYTES]); TX_DESCRIPTORS],
        }
    }
}

impl Default for EthMemory {
    fn default() -> Self {
        Self::new()
    }
}

/// The word-1 value: buffer length and packet length.
pub const fn lengths_word(buf_len: u32, pkt_len: u32) -> u32 {
    (buf_len & 0xFFFF) << 16 | (pkt_len & 0xFFFF)
}

/// Packet length from a word-1 value.
pub const fn pkt_len(lengths: u32) -> u32 {
    lengths & 0xFFFF
}

/// Buffer length from a word-1 value.
pub const fn buf_len(lengths: u32) -> u32 {
    lengths >> 16
}

/// NPE statistics block word indices (Intel `IxEthEthObjStats` order).
pub mod stats_word {
    /// dot3StatsAlignmentErrors.
    pub const ALIGNMENT_ERRORS: usize = 0;
    /// dot3StatsFCSErrors.
    pub const FCS_ERRORS: usize = 1;
    /// dot3StatsInternalMacReceiveErrors.
    pub const MAC_RX_ERRORS: usize = 2;
    /// RxOverrunDiscards.
    pub const RX_OVERRUN_DISCARDS: usize = 3;
    /// RxLargeFramesDiscards.
    pub const RX_LARGE_FRAME_DISCARDS: usize = 5;
    /// RxUnderflowEntryDiscards (no free RX buffer).
    pub const RX_UNDERFLOW_DISCARDS: usize = 12;
    /// dot3StatsSingleCollisionFrames.
    pub const SINGLE_COLLISIONS: usize = 13;
    /// dot3StatsMultipleCollisionFrames.
    pub const MULTIPLE_COLLISIONS: usize = 14;
    /// dot3StatsLateCollisions.
    pub const LATE_COLLISIONS: usize = 16;
    /// dot3StatsExcessiveCollisions.
    pub const EXCESSIVE_COLLISIONS: usize = 17;
    /// dot3StatsInternalMacTransmitErrors.
    pub const MAC_TX_ERRORS: usize = 18;
    /// dot3StatsCarrierSenseErrors.
    pub const CARRIER_SENSE_ERRORS: usize = 19;
    /// TxLargeFrameDiscards.
    pub const TX_LARGE_FRAME_DISCARDS: usize = 20;
    /// Number of meaningful words.
    pub const COUNT: usize = 22;
}
