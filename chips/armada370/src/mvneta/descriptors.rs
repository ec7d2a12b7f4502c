//! RX/TX descriptors (32 bytes, little-endian CPU layout) and the per-port DMA memory.
//!
//! Layouts: Linux `mvneta.c` `struct mvneta_tx_desc` / `struct mvneta_rx_desc` (the
//! `!__BIG_ENDIAN` variants) and U-Boot `drivers/net/mvneta.c`. Bits: `MVNETA_TXD_*`,
//! `MVNETA_RXD_*`, `MVNETA_TX_L4_CSUM_NOT`, `MVNETA_RXD_ERR_*`.
//!
//! One descriptor is exactly one 32-byte cache line (PJ4B L1 and Aurora L2), so cleaning or
//! invalidating one never touches a neighbour. Buffers are whole lines too.

/// TX descriptor.
#[repr(C, align(32))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxDesc {
    /// Command bits (`TX_*` constants).
    pub command: u32,
    /// Reserved (hardware L4 checksum).
    pub csum_l4: u16,
    /// Bytes in this buffer.
    pub data_size: u16,
    /// Bus address of the buffer.
    pub buf_phys_addr: u32,
    /// Reserved (hardware command).
    pub hw_cmd: u32,
    /// Reserved.
    pub reserved: [u32; 4],
}

/// RX descriptor.
#[repr(C, align(32))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxDesc {
    /// Status bits written by hardware (`RX_*` constants).
    pub status: u32,
    /// Reserved (parser info).
    pub pnc_info: u16,
    /// Bytes written: 2-byte Marvell header + frame + 4-byte FCS.
    pub data_size: u16,
    /// Bus address of the buffer (written by software).
    pub buf_phys_addr: u32,
    /// Reserved (parser flow id).
    pub pnc_flow_id: u32,
    /// Software cookie (this driver: the descriptor index).
    pub buf_cookie: u32,
    /// Reserved.
    pub prefetch_cmd: u16,
    /// Reserved (hardware L4 checksum).
    pub csum_l4: u16,
    /// Reserved.
    pub pnc_extra: u32,
    /// Reserved.
    pub hw_cmd: u32,
}

const _: () = assert!(size_of::<TxDesc>() == 32 && size_of::<RxDesc>() == 32);

/// TX command: do not generate the L4 checksum (`MVNETA_TX_L4_CSUM_NOT`).
pub const TX_L4_CSUM_NOT: u32 = 1 << 31;
/// TX command: generate the L4 checksum (`MVNETA_TX_L4_CSUM_FULL`).
pub const TX_L4_CSUM_FULL: u32 = 1 << 30;
/// TX command: first descriptor of a frame (`MVNETA_TXD_F_DESC`).
pub const TX_FIRST: u32 = 1 << 21;
/// TX command: last descriptor of a frame (`MVNETA_TXD_L_DESC`).
pub const TX_LAST: u32 = 1 << 20;
/// TX command: zero-pad short frames to 64 bytes on the wire (`MVNETA_TXD_Z_PAD`).
pub const TX_ZERO_PAD: u32 = 1 << 19;
/// A whole frame in one buffer, no checksum offload: 0x8038_0000.
pub const TX_SINGLE_FRAME: u32 = TX_L4_CSUM_NOT | TX_FIRST | TX_LAST | TX_ZERO_PAD;

/// RX status: error summary (`MVNETA_RXD_ERR_SUMMARY`).
pub const RX_ERR_SUMMARY: u32 = 1 << 16;
/// RX status: error code (`MVNETA_RXD_ERR_CODE_MASK`, bits 18..17).
pub const RX_ERR_CODE_SHIFT: u32 = 17;
/// RX error code: CRC.
pub const RX_ERR_CRC: u32 = 0;
/// RX error code: overrun.
pub const RX_ERR_OVERRUN: u32 = 1;
/// RX error code: frame longer than the maximum RX size.
pub const RX_ERR_LEN: u32 = 2;
/// RX error code: resource (no buffer).
pub const RX_ERR_RESOURCE: u32 = 3;
/// RX status: L3 is IPv4 (`MVNETA_RXD_L3_IP4`).
pub const RX_L3_IP4: u32 = 1 << 25;
/// RX status: last descriptor of a frame (`MVNETA_RXD_LAST_DESC`).
pub const RX_LAST: u32 = 1 << 26;
/// RX status: first descriptor of a frame (`MVNETA_RXD_FIRST_DESC`).
pub const RX_FIRST: u32 = 1 << 27;

/// Marvell header the controller puts before every received frame (`MVNETA_MH_SIZE`).
pub const MARVELL_HEADER: usize = 2;
/// Ethernet FCS, included in RX `data_size`.
pub const FCS: usize = 4;

/// Largest number of RX descriptors a [`PortMemory`] holds.
pub const RX_RING_MAX: usize = 128;
/// Largest number of TX descriptors a [`PortMemory`] holds.
pub const TX_RING_MAX: usize = 128;
/// Bytes per buffer: Linux's `MVNETA_RX_PKT_SIZE(1500)` = ALIGN(1500 + 2 + 4 + 14 + 4, line),
/// a multiple of 8 (RXQ_SIZE unit) and of the 32-byte line.
pub const BUF_SIZE: usize = 1536;

/// One buffer, line-aligned.
#[repr(C, align(32))]
#[derive(Clone, Copy)]
pub struct Buffer(pub [u8; BUF_SIZE]);

/// Everything one port hands to the DMA engine: both rings and all buffers. Place it in
/// identity-mapped DRAM reachable through the port's MBus windows; the driver owns it for its
/// whole life.
#[repr(C, align(64))]
pub struct PortMemory {
    pub(crate) rx_desc: [RxDesc; RX_RING_MAX],
    pub(crate) tx_desc: [TxDesc; TX_RING_MAX],
    pub(crate) rx_buf: [Buffer; RX_RING_MAX],
    pub(crate) tx_buf: [Buffer; TX_RING_MAX],
}

impl PortMemory {
    /// All zeros (usable in a `static`).
    pub const fn new() -> Self {
        const RX: RxDesc = RxDesc {
            status: 0,
            pnc_info: 0,
            data_size: 0,
            buf_phys_addr: 0,
            pnc_flow_id: 0,
            buf_cookie: 0,
            prefetch_cmd: 0,
            csum_l4: 0,
            pnc_extra: 0,
            hw_cmd: 0,
        };
        const TX: TxDesc = TxDesc {
            command: 0,
            csum_l4: 0,
            data_size: 0,
            buf_phys_addr: 0,
            hw_cmd: 0,
            reserved: [0; 4],
        };
        PortMemory {
            rx_desc: [RX; RX_RING_MAX],
            tx_desc: [TX; TX_RING_MAX],
            rx_buf: [Buffer([0; BUF_SIZE]); RX_RING_MAX],
            tx_buf: [Buffer([0; BUF_SIZE]); TX_RING_MAX],
        }
    }
}

impl Default for PortMemory {
    fn default() -> Self {
        Self::new()
    }
}
