//! mvneta register offsets (port-relative) and bit fields.
//!
//! Sources: Linux `drivers/net/ethernet/marvell/mvneta.c` (the `MVNETA_*` defines, cited by
//! name), cross-checked with U-Boot `drivers/net/mvneta.c`. Where the two disagree the comment
//! says so; the driver avoids depending on the disputed bits.

use tock_registers::register_bitfields;

// ---------------------------------------------------------------- RX queue (q = 0..7)
/// `MVNETA_RXQ_CONFIG_REG(q)`: bits 11..8 packet offset (8-byte units); HW buffer-manager
/// enable is bit 0 in Linux ≥ 4.6 and bit 1 in early Linux/U-Boot — the driver clears both.
pub const fn rxq_config(q: usize) -> usize {
    0x1400 + 4 * q
}
/// `MVNETA_RXQ_BASE_ADDR_REG(q)`: bus address of the descriptor ring.
pub const fn rxq_base_addr(q: usize) -> usize {
    0x1480 + 4 * q
}
/// `MVNETA_RXQ_SIZE_REG(q)`: bits 13..0 descriptors, bits 31..19 buffer size / 8.
pub const fn rxq_size(q: usize) -> usize {
    0x14A0 + 4 * q
}
/// `MVNETA_RXQ_THRESHOLD_REG(q)`: bits 13..0 occupied threshold (RX frame coalescing),
/// bits 29..16 non-occupied threshold.
pub const fn rxq_threshold(q: usize) -> usize {
    0x14C0 + 4 * q
}
/// `MVNETA_RXQ_STATUS_REG(q)`: bits 13..0 occupied, bits 29..16 non-occupied.
pub const fn rxq_status(q: usize) -> usize {
    0x14E0 + 4 * q
}
/// `MVNETA_RXQ_STATUS_UPDATE_REG(q)`: bits 7..0 processed, bits 23..16 refilled (≤ 255 each).
pub const fn rxq_status_update(q: usize) -> usize {
    0x1500 + 4 * q
}
/// `MVNETA_PORT_RX_RESET`: bit 0 resets the RX DMA.
pub const PORT_RX_RESET: usize = 0x1CC0;
/// `MVNETA_RXQ_TIME_COAL_REG(q)`: RX time coalescing in TCLK cycles.
pub const fn rxq_time_coal(q: usize) -> usize {
    0x2580 + 4 * q
}
/// `MVNETA_RXQ_CMD`: write bits 7..0 to enable queues, bits 15..8 to disable; reads 7..0 active.
pub const RXQ_CMD: usize = 0x2680;

// ---------------------------------------------------------------- TX queue
/// `MVNETA_TXQ_CMD`: as RXQ_CMD.
pub const TXQ_CMD: usize = 0x2448;
/// `MVNETA_TXQ_CMD_1`: 0 disables legacy WRR/EJP.
pub const TXQ_CMD_1: usize = 0x24E4;
/// `MVNETA_TXQ_TOKEN_COUNT_REG(q)`.
pub const fn txq_token_count(q: usize) -> usize {
    0x2700 + 16 * q
}
/// `MVNETA_TXQ_TOKEN_CFG_REG(q)`.
pub const fn txq_token_cfg(q: usize) -> usize {
    0x2704 + 16 * q
}
/// `MVNETA_TXQ_BASE_ADDR_REG(q)`.
pub const fn txq_base_addr(q: usize) -> usize {
    0x3C00 + 4 * q
}
/// `MVNETA_TXQ_SIZE_REG(q)`: bits 13..0 descriptors, bits 29..16 sent threshold (TX-done
/// coalescing).
pub const fn txq_size(q: usize) -> usize {
    0x3C20 + 4 * q
}
/// `MVNETA_TXQ_STATUS_REG(q)`: bits 29..16 sent (transmitted, not yet acknowledged).
pub const fn txq_status(q: usize) -> usize {
    0x3C40 + 4 * q
}
/// `MVNETA_TXQ_UPDATE_REG(q)`: bits 7..0 newly pending, bits 23..16 sent acknowledged.
pub const fn txq_update(q: usize) -> usize {
    0x3C60 + 4 * q
}
/// `MVNETA_PORT_TX_RESET`: bit 0 resets the TX DMA.
pub const PORT_TX_RESET: usize = 0x3CF0;
/// `MVNETA_TX_MTU`: bits 17..0 = largest TX frame × 8.
pub const TX_MTU: usize = 0x3E0C;
/// `MVNETA_TX_TOKEN_SIZE`: must be ≥ TX_MTU.
pub const TX_TOKEN_SIZE: usize = 0x3E14;
/// `MVNETA_TXQ_TOKEN_SIZE_REG(q)`: must be ≥ TX_MTU.
pub const fn txq_token_size(q: usize) -> usize {
    0x3E40 + 4 * q
}

// ---------------------------------------------------------------- port / unit
/// `MVNETA_SMI` offset inside port 0 (see [`crate::mdio`]).
pub const SMI: usize = 0x2004;
/// `MVNETA_MBUS_RETRY`: Linux and U-Boot write 0x20.
pub const MBUS_RETRY: usize = 0x2010;
/// `MVNETA_UNIT_INTR_CAUSE`: cleared at power-up.
pub const UNIT_INTR_CAUSE: usize = 0x2080;
/// `MVNETA_UNIT_CONTROL`: bit 1 = hardware PHY polling (Linux clears it).
pub const UNIT_CONTROL: usize = 0x20B0;
/// `MVNETA_WIN_BASE(w)`: bits 31..16 base, 15..8 attribute, 3..0 target.
pub const fn win_base(w: usize) -> usize {
    0x2200 + 8 * w
}
/// `MVNETA_WIN_SIZE(w)`: bits 31..16 = (size − 1) >> 16.
pub const fn win_size(w: usize) -> usize {
    0x2204 + 8 * w
}
/// `MVNETA_WIN_REMAP(w)` (w = 0..3).
pub const fn win_remap(w: usize) -> usize {
    0x2280 + 4 * w
}
/// `MVNETA_BASE_ADDR_ENABLE`: bit w = 1 **disables** window w.
pub const BASE_ADDR_ENABLE: usize = 0x2290;
/// `MVNETA_ACCESS_PROTECT_ENABLE`: 2 bits per window, 3 = read/write.
pub const ACCESS_PROTECT: usize = 0x2294;
/// Number of DMA decoding windows.
pub const WINDOWS: usize = 6;
/// `MVNETA_PORT_CONFIG`: bit 0 unicast promiscuous, bits 3..1 default RX queue, …
pub const PORT_CONFIG: usize = 0x2400;
/// `MVNETA_DEF_RXQ(0) | MVNETA_TX_UNSET_ERR_SUM | MVNETA_RX_CSUM_WITH_PSEUDO_HDR`: Linux's
/// `mvneta_defaults_set` value with every traffic class to queue 0.
pub const PORT_CONFIG_DEFAULT: u32 = 0x0200_1000;
/// Unicast promiscuous bit of PORT_CONFIG (`MVNETA_UNI_PROMISC_MODE`).
pub const PORT_CONFIG_UNI_PROMISC: u32 = 1 << 0;
/// `MVNETA_PORT_CONFIG_EXTEND`.
pub const PORT_CONFIG_EXTEND: usize = 0x2404;
/// `MVNETA_MAC_ADDR_LOW`: `mac[4] << 8 | mac[5]`.
pub const MAC_ADDR_LOW: usize = 0x2414;
/// `MVNETA_MAC_ADDR_HIGH`: `mac[0] << 24 | … | mac[3]`.
pub const MAC_ADDR_HIGH: usize = 0x2418;
/// `MVNETA_SDMA_CONFIG`.
pub const SDMA_CONFIG: usize = 0x241C;
/// Linux's little-endian value: RX/TX bursts of 16 × 64 bit, no byte swapping.
pub const SDMA_CONFIG_DEFAULT: u32 = 0x0100_0038;
/// `MVNETA_PORT_STATUS`: bit 8 TX FIFO empty.
pub const PORT_STATUS: usize = 0x2444;
/// `MVNETA_TX_FIFO_EMPTY` in PORT_STATUS.
pub const PORT_STATUS_TX_FIFO_EMPTY: u32 = 1 << 8;
/// `MVNETA_MIN_FRAME_SIZE`.
pub const RX_MIN_FRAME_SIZE: usize = 0x247C;
/// RX discard counter (clear on read), Linux `mvneta_statistics` "rx_discard".
pub const RX_DISCARD_COUNTER: usize = 0x2484;
/// RX overrun counter (clear on read), "rx_overrun".
pub const RX_OVERRUN_COUNTER: usize = 0x2488;
/// `MVNETA_TYPE_PRIO`: bit 21 force unicast (with promiscuous).
pub const TYPE_PRIO: usize = 0x24BC;
/// `MVNETA_ACC_MODE`: 1 = software buffer management + legacy parser.
pub const ACC_MODE: usize = 0x2500;
/// `MVNETA_ACC_MODE_EXT1`.
pub const ACC_MODE_SW_BM: u32 = 1;
/// `MVNETA_CPU_MAP(cpu)`: bits 7..0 RX queue access, 15..8 TX queue access. Causes of queues
/// not granted to a CPU read as 0 for it.
pub const fn cpu_map(cpu: usize) -> usize {
    0x2540 + 4 * cpu
}
/// `MVNETA_INTR_NEW_CAUSE` (per-CPU banked).
pub const INTR_NEW_CAUSE: usize = 0x25A0;
/// `MVNETA_INTR_NEW_MASK`.
pub const INTR_NEW_MASK: usize = 0x25A4;
/// `MVNETA_INTR_OLD_CAUSE`.
pub const INTR_OLD_CAUSE: usize = 0x25A8;
/// `MVNETA_INTR_OLD_MASK`.
pub const INTR_OLD_MASK: usize = 0x25AC;
/// `MVNETA_INTR_MISC_CAUSE`: written 0 to clear (Linux writes 0 after reading).
pub const INTR_MISC_CAUSE: usize = 0x25B0;
/// `MVNETA_INTR_MISC_MASK`.
pub const INTR_MISC_MASK: usize = 0x25B4;
/// `MVNETA_INTR_ENABLE`: bits 7..0 RX queues, 15..8 TX queues.
pub const INTR_ENABLE: usize = 0x25B8;

/// NEW_CAUSE/NEW_MASK: TX queue q "sent" (`MVNETA_TX_INTR_MASK`).
pub const fn cause_tx(q: usize) -> u32 {
    1 << q
}
/// NEW_CAUSE/NEW_MASK: RX queue q "occupied" (`MVNETA_RX_INTR_MASK`).
pub const fn cause_rx(q: usize) -> u32 {
    1 << (8 + q)
}
/// NEW_CAUSE: MISC summary (`MVNETA_MISCINTR_INTR_MASK`).
pub const CAUSE_MISC: u32 = 1 << 31;

/// MISC cause bits (`MVNETA_CAUSE_*`).
pub mod misc {
    /// PHY status change.
    pub const PHY_STATUS_CHANGE: u32 = 1 << 0;
    /// Link change.
    pub const LINK_CHANGE: u32 = 1 << 1;
    /// Internal address error (DMA outside the windows).
    pub const INTERNAL_ADDR_ERR: u32 = 1 << 7;
    /// RX overrun.
    pub const RX_OVERRUN: u32 = 1 << 8;
    /// RX CRC error.
    pub const RX_CRC_ERROR: u32 = 1 << 9;
    /// RX frame larger than the maximum.
    pub const RX_LARGE_PKT: u32 = 1 << 10;
    /// TX underrun.
    pub const TX_UNDERRUN: u32 = 1 << 11;
    /// Per-TX-queue errors (bits 31..24).
    pub const TXQ_ERROR: u32 = 0xFF << 24;
}

// ---------------------------------------------------------------- GMAC
/// `MVNETA_GMAC_CTRL_0`.
pub const GMAC_CTRL_0: usize = 0x2C00;
/// `MVNETA_GMAC_CTRL_2`.
pub const GMAC_CTRL_2: usize = 0x2C08;
/// `MVNETA_GMAC_AUTONEG_CONFIG`.
pub const GMAC_AUTONEG_CONFIG: usize = 0x2C0C;
/// `MVNETA_GMAC_STATUS`.
pub const GMAC_STATUS: usize = 0x2C10;

// ---------------------------------------------------------------- MIB and filters
/// MIB counter block (`MVNETA_MIB_COUNTERS_BASE`), clear on read. Offsets from Linux
/// `mvneta_statistics[]` (U-Boot and early Linux clear from 0x3080, which misses them).
pub mod mib {
    /// Good octets received, low/high words.
    pub const GOOD_OCTETS_RX: usize = 0x3000;
    /// Good frames received.
    pub const GOOD_FRAMES_RX: usize = 0x3010;
    /// Bad frames received.
    pub const BAD_FRAMES_RX: usize = 0x3014;
    /// Broadcast frames received.
    pub const BROADCAST_RX: usize = 0x3018;
    /// Multicast frames received.
    pub const MULTICAST_RX: usize = 0x301C;
    /// Good octets sent, low/high words.
    pub const GOOD_OCTETS_TX: usize = 0x3038;
    /// Good frames sent.
    pub const GOOD_FRAMES_TX: usize = 0x3040;
    /// Bad CRC events.
    pub const BAD_CRC: usize = 0x3074;
    /// First and one-past-last word of the block.
    pub const RANGE: core::ops::Range<usize> = 0x3000..0x3080;
}
/// `MVNETA_DA_FILT_SPEC_MCAST`: 256 byte entries for 01:00:5E:00:00:xx.
pub const DA_FILT_SPECIAL_MCAST: usize = 0x3400;
/// `MVNETA_DA_FILT_OTH_MCAST`: 256 byte entries indexed by CRC-8 of the address.
pub const DA_FILT_OTHER_MCAST: usize = 0x3500;
/// `MVNETA_DA_FILT_UCAST_BASE`: 16 byte entries indexed by the last address nibble.
pub const DA_FILT_UNICAST: usize = 0x3600;
/// Filter entry accepting into queue 0 (`0x01 | rxq << 1`).
pub const FILTER_ACCEPT_Q0: u8 = 0x01;

register_bitfields![u32,
    /// GMAC control 0.
    pub GMAC_CTRL_0 [
        /// Port enable (`MVNETA_GMAC0_PORT_ENABLE`).
        PORT_ENABLE OFFSET(0) NUMBITS(1) [],
        /// 1000BASE-X port type.
        PORT_1000BASE_X OFFSET(1) NUMBITS(1) [],
        /// Max RX size = (bytes − 2) / 2 (`MVNETA_GMAC_MAX_RX_SIZE_SHIFT` 2, mask 0x7FFC).
        MAX_RX_SIZE OFFSET(2) NUMBITS(13) []
    ],
    /// GMAC control 2.
    pub GMAC_CTRL_2 [
        /// In-band autonegotiation (SGMII).
        INBAND_AN_EN OFFSET(0) NUMBITS(1) [],
        /// PCS enable (SGMII/QSGMII/802.3z only).
        PCS_ENABLE OFFSET(3) NUMBITS(1) [],
        /// RGMII (`MVNETA_GMAC2_PORT_RGMII`), set for all modes.
        PORT_RGMII OFFSET(4) NUMBITS(1) [],
        /// Port reset (`MVNETA_GMAC2_PORT_RESET`): clear, then poll until it reads 0.
        PORT_RESET OFFSET(6) NUMBITS(1) []
    ],
    /// GMAC autonegotiation configuration.
    pub GMAC_AUTONEG [
        /// Force link down.
        FORCE_LINK_DOWN OFFSET(0) NUMBITS(1) [],
        /// Force link pass.
        FORCE_LINK_PASS OFFSET(1) NUMBITS(1) [],
        /// In-band AN enable.
        INBAND_AN_EN OFFSET(2) NUMBITS(1) [],
        /// 100 Mb/s (MII speed).
        SET_MII_SPEED OFFSET(5) NUMBITS(1) [],
        /// 1000 Mb/s (GMII speed).
        SET_GMII_SPEED OFFSET(6) NUMBITS(1) [],
        /// Speed autonegotiation enable.
        AN_SPEED_EN OFFSET(7) NUMBITS(1) [],
        /// Forced flow control.
        CONFIG_FLOW_CTRL OFFSET(8) NUMBITS(1) [],
        /// Flow-control autonegotiation enable.
        AN_FLOW_CTRL_EN OFFSET(11) NUMBITS(1) [],
        /// Full duplex.
        SET_FULL_DUPLEX OFFSET(12) NUMBITS(1) [],
        /// Duplex autonegotiation enable.
        AN_DUPLEX_EN OFFSET(13) NUMBITS(1) []
    ],
    /// GMAC status.
    pub GMAC_STATUS [
        /// Link up.
        LINK_UP OFFSET(0) NUMBITS(1) [],
        /// 1000 Mb/s.
        SPEED_1000 OFFSET(1) NUMBITS(1) [],
        /// 100 Mb/s.
        SPEED_100 OFFSET(2) NUMBITS(1) [],
        /// Full duplex.
        FULL_DUPLEX OFFSET(3) NUMBITS(1) []
    ],
    /// RX queue status.
    pub RXQ_STATUS [
        /// Occupied (received, not yet processed) descriptors.
        OCCUPIED OFFSET(0) NUMBITS(14) [],
        /// Non-occupied (free, owned by hardware) descriptors.
        NON_OCCUPIED OFFSET(16) NUMBITS(14) []
    ],
    /// TX queue status.
    pub TXQ_STATUS [
        /// Sent, not yet acknowledged descriptors.
        SENT OFFSET(16) NUMBITS(14) []
    ]
];
