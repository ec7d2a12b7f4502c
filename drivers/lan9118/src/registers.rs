//! LAN9118 register file: layout and bit fields.
//!
//! Names and bit positions follow the SMSC LAN9118 datasheet, chapter "Register Descriptions"
//! (sections "System Control and Status Registers", "MAC Control and Status Registers", "PHY
//! Registers") and chapter "Functional Description" (sections on the TX and RX data paths, for
//! the command and status words). Where QEMU's model (`hw/net/lan9118.c`) behaves differently,
//! the note says so; the driver is written against the datasheet.

use tock_registers::register_bitfields;
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_structs! {
    /// The 256-byte register window in 32-bit bus mode. The driver reaches it through
    /// [`hil::mmio::Bus`]; this struct is the single source of the offsets
    /// (taken with `offset_of!`) and checks at compile time that they are contiguous.
    pub Lan9118Registers {
        /// RX data FIFO port; every read pops one word. Aliased over 0x00–0x1C.
        (0x00 => pub rx_data_fifo: ReadOnly<u32>),
        (0x04 => _rx_data_fifo_alias),
        /// TX data FIFO port; every write pushes a command or data word. Aliased over 0x20–0x3C.
        (0x20 => pub tx_data_fifo: WriteOnly<u32>),
        (0x24 => _tx_data_fifo_alias),
        /// RX status FIFO port (pop).
        (0x40 => pub rx_status_fifo: ReadOnly<u32, RX_STATUS::Register>),
        /// RX status FIFO peek. QEMU returns the wrong slot here (indexes with the TX head); unused.
        (0x44 => pub rx_status_fifo_peek: ReadOnly<u32, RX_STATUS::Register>),
        /// TX status FIFO port (pop).
        (0x48 => pub tx_status_fifo: ReadOnly<u32, TX_STATUS::Register>),
        /// TX status FIFO peek.
        (0x4C => pub tx_status_fifo_peek: ReadOnly<u32, TX_STATUS::Register>),
        (0x50 => pub id_rev: ReadOnly<u32, ID_REV::Register>),
        (0x54 => pub irq_cfg: ReadWrite<u32, IRQ_CFG::Register>),
        (0x58 => pub int_sts: ReadWrite<u32, INT::Register>),
        (0x5C => pub int_en: ReadWrite<u32, INT::Register>),
        (0x60 => _reserved_60),
        (0x64 => pub byte_test: ReadOnly<u32>),
        (0x68 => pub fifo_int: ReadWrite<u32, FIFO_INT::Register>),
        (0x6C => pub rx_cfg: ReadWrite<u32, RX_CFG::Register>),
        (0x70 => pub tx_cfg: ReadWrite<u32, TX_CFG::Register>),
        (0x74 => pub hw_cfg: ReadWrite<u32, HW_CFG::Register>),
        (0x78 => pub rx_dp_ctrl: ReadWrite<u32, RX_DP_CTRL::Register>),
        (0x7C => pub rx_fifo_inf: ReadOnly<u32, RX_FIFO_INF::Register>),
        (0x80 => pub tx_fifo_inf: ReadOnly<u32, TX_FIFO_INF::Register>),
        (0x84 => pub pmt_ctrl: ReadWrite<u32, PMT_CTRL::Register>),
        (0x88 => pub gpio_cfg: ReadWrite<u32>),
        (0x8C => pub gpt_cfg: ReadWrite<u32>),
        (0x90 => pub gpt_cnt: ReadOnly<u32>),
        (0x94 => _reserved_94),
        /// WORD_SWAP (datasheet "ENDIAN"); ignored by QEMU in 32-bit mode.
        (0x98 => pub word_swap: ReadWrite<u32>),
        (0x9C => pub free_run: ReadOnly<u32>),
        /// Frames dropped for lack of RX FIFO room; clears on read (datasheet). QEMU: always 0.
        (0xA0 => pub rx_drop: ReadOnly<u32>),
        (0xA4 => pub mac_csr_cmd: ReadWrite<u32, MAC_CSR_CMD::Register>),
        (0xA8 => pub mac_csr_data: ReadWrite<u32>),
        (0xAC => pub afc_cfg: ReadWrite<u32>),
        (0xB0 => pub e2p_cmd: ReadWrite<u32>),
        (0xB4 => pub e2p_data: ReadWrite<u32>),
        (0xB8 => _reserved_b8),
        (0x100 => @END),
    }
}

/// Expected BYTE_TEST value; anything else means no chip, or a byte-lane problem on the bus.
pub const BYTE_TEST_VALUE: u32 = 0x8765_4321;

register_bitfields![u32,
    pub ID_REV [
        CHIP_ID OFFSET(16) NUMBITS(16) [],
        REV_ID OFFSET(0) NUMBITS(16) []
    ],
    /// Interrupt pin configuration. QEMU drives the pin *inverted* unless IRQ_POL and IRQ_TYPE
    /// are both set (`lan9118_update`), so both are set before anything else.
    pub IRQ_CFG [
        INT_DEAS OFFSET(24) NUMBITS(8) [],
        INT_DEAS_CLR OFFSET(14) NUMBITS(1) [],
        INT_DEAS_STS OFFSET(13) NUMBITS(1) [],
        /// Read-only: the master interrupt condition ((INT_STS & INT_EN) != 0).
        IRQ_INT OFFSET(12) NUMBITS(1) [],
        IRQ_EN OFFSET(8) NUMBITS(1) [],
        /// 1 = active high.
        IRQ_POL OFFSET(4) NUMBITS(1) [],
        /// 1 = push-pull, 0 = open drain.
        IRQ_TYPE OFFSET(0) NUMBITS(1) []
    ],
    /// INT_STS (write 1 to clear) and INT_EN share this layout.
    pub INT [
        SW_INT OFFSET(31) NUMBITS(1) [],
        TXSTOP OFFSET(25) NUMBITS(1) [],
        RXSTOP OFFSET(24) NUMBITS(1) [],
        RXDFH OFFSET(23) NUMBITS(1) [],
        TX_IOC OFFSET(21) NUMBITS(1) [],
        RXD OFFSET(20) NUMBITS(1) [],
        GPT OFFSET(19) NUMBITS(1) [],
        PHY OFFSET(18) NUMBITS(1) [],
        PME OFFSET(17) NUMBITS(1) [],
        /// TX status FIFO overflow.
        TXSO OFFSET(16) NUMBITS(1) [],
        /// Receive watchdog time-out (a frame longer than 2048 bytes).
        RWT OFFSET(15) NUMBITS(1) [],
        /// Receiver error (QEMU: RX data FIFO underflow).
        RXE OFFSET(14) NUMBITS(1) [],
        /// Transmitter error.
        TXE OFFSET(13) NUMBITS(1) [],
        /// TX data FIFO underrun.
        TDFU OFFSET(11) NUMBITS(1) [],
        /// TX data FIFO overrun.
        TDFO OFFSET(10) NUMBITS(1) [],
        /// TX data FIFO available (free space above the FIFO_INT level). Not in QEMU.
        TDFA OFFSET(9) NUMBITS(1) [],
        TSFF OFFSET(8) NUMBITS(1) [],
        /// TX status FIFO level. Not raised by QEMU.
        TSFL OFFSET(7) NUMBITS(1) [],
        /// RX dropped frame (RX_DROP counted one).
        RXDF OFFSET(6) NUMBITS(1) [],
        RDFL OFFSET(5) NUMBITS(1) [],
        RSFF OFFSET(4) NUMBITS(1) [],
        /// RX status FIFO level: more statuses waiting than FIFO_INT.RX_STS_LEVEL.
        RSFL OFFSET(3) NUMBITS(1) [],
        GPIO OFFSET(0) NUMBITS(3) []
    ],
    pub FIFO_INT [
        /// In 64-byte units.
        TX_DATA_AVAILABLE_LEVEL OFFSET(24) NUMBITS(8) [],
        TX_STATUS_LEVEL OFFSET(16) NUMBITS(8) [],
        RX_STATUS_LEVEL OFFSET(0) NUMBITS(8) []
    ],
    pub RX_CFG [
        RX_END_ALIGN OFFSET(30) NUMBITS(2) [
            Bytes4 = 0,
            Bytes16 = 1,
            Bytes32 = 2
        ],
        RX_DMA_COUNT OFFSET(16) NUMBITS(12) [],
        /// Self-clearing: empties the RX data and status FIFOs.
        RX_DUMP OFFSET(15) NUMBITS(1) [],
        /// Bytes of padding inserted before each frame's data.
        RXDOFF OFFSET(8) NUMBITS(5) []
    ],
    pub TX_CFG [
        /// Self-clearing: empties the TX status FIFO.
        TXS_DUMP OFFSET(15) NUMBITS(1) [],
        /// Self-clearing: empties the TX data FIFO.
        TXD_DUMP OFFSET(14) NUMBITS(1) [],
        /// TX status allow overrun: keep transmitting when the status FIFO is full.
        TXSAO OFFSET(2) NUMBITS(1) [],
        /// Transmitter enable. QEMU ignores it.
        TX_ON OFFSET(1) NUMBITS(1) [],
        STOP_TX OFFSET(0) NUMBITS(1) []
    ],
    pub HW_CFG [
        TTM OFFSET(21) NUMBITS(1) [],
        SF OFFSET(20) NUMBITS(1) [],
        /// TX FIFO size in KiB (data + status); reset value 5.
        TX_FIF_SZ OFFSET(16) NUMBITS(4) [],
        TR OFFSET(12) NUMBITS(2) [],
        /// Read-only: 1 in 32-bit bus mode.
        BUS_32BIT OFFSET(2) NUMBITS(1) [],
        SRST_TO OFFSET(1) NUMBITS(1) [],
        /// Soft reset; self-clearing.
        SRST OFFSET(0) NUMBITS(1) []
    ],
    pub RX_DP_CTRL [
        /// Fast-forward: skip the rest of the current frame's data. Self-clearing.
        RX_FFWD OFFSET(31) NUMBITS(1) []
    ],
    pub RX_FIFO_INF [
        /// RX status FIFO entries used.
        RXSUSED OFFSET(16) NUMBITS(8) [],
        /// RX data FIFO bytes used.
        RXDUSED OFFSET(0) NUMBITS(16) []
    ],
    pub TX_FIFO_INF [
        /// TX status FIFO entries used.
        TXSUSED OFFSET(16) NUMBITS(8) [],
        /// TX data FIFO free space in bytes. QEMU reports 4608 minus *words* used (over-reports).
        TXFREE OFFSET(0) NUMBITS(16) []
    ],
    pub PMT_CTRL [
        PHY_RST OFFSET(10) NUMBITS(1) [],
        /// Device ready after reset.
        READY OFFSET(0) NUMBITS(1) []
    ],
    pub MAC_CSR_CMD [
        CSR_BUSY OFFSET(31) NUMBITS(1) [],
        R_NOT_W OFFSET(30) NUMBITS(1) [],
        CSR_ADDRESS OFFSET(0) NUMBITS(8) []
    ],

    // ---- MAC CSRs, reached indirectly through MAC_CSR_CMD / MAC_CSR_DATA ----

    pub MAC_CR [
        RXALL OFFSET(31) NUMBITS(1) [],
        HBDIS OFFSET(28) NUMBITS(1) [],
        RCVOWN OFFSET(23) NUMBITS(1) [],
        LOOPBK OFFSET(21) NUMBITS(1) [],
        FDPX OFFSET(20) NUMBITS(1) [],
        /// Pass all multicast.
        MCPAS OFFSET(19) NUMBITS(1) [],
        /// Promiscuous. QEMU sets it at reset.
        PRMS OFFSET(18) NUMBITS(1) [],
        INVFILT OFFSET(17) NUMBITS(1) [],
        PASSBAD OFFSET(16) NUMBITS(1) [],
        HO OFFSET(15) NUMBITS(1) [],
        HPFILT OFFSET(13) NUMBITS(1) [],
        LCOLL OFFSET(12) NUMBITS(1) [],
        /// 1 = *disable* broadcast reception.
        BCAST OFFSET(11) NUMBITS(1) [],
        DISRTY OFFSET(10) NUMBITS(1) [],
        PADSTR OFFSET(8) NUMBITS(1) [],
        BOLMT OFFSET(6) NUMBITS(2) [],
        DFCHK OFFSET(5) NUMBITS(1) [],
        TXEN OFFSET(3) NUMBITS(1) [],
        RXEN OFFSET(2) NUMBITS(1) []
    ],
    pub MII_ACC [
        PHY_ADDRESS OFFSET(11) NUMBITS(5) [],
        MII_REGISTER OFFSET(6) NUMBITS(5) [],
        MII_WRITE OFFSET(1) NUMBITS(1) [],
        MII_BUSY OFFSET(0) NUMBITS(1) []
    ],

    // ---- Command and status words exchanged through the FIFOs ----

    /// TX command A (datasheet "TX Command 'A'").
    pub TX_CMD_A [
        /// Interrupt on completion: raises INT_STS.TX_IOC when this buffer has been sent.
        IOC OFFSET(31) NUMBITS(1) [],
        BUFFER_END_ALIGN OFFSET(24) NUMBITS(2) [],
        DATA_START_OFFSET OFFSET(16) NUMBITS(5) [],
        FIRST_SEGMENT OFFSET(13) NUMBITS(1) [],
        LAST_SEGMENT OFFSET(12) NUMBITS(1) [],
        BUFFER_SIZE OFFSET(0) NUMBITS(11) []
    ],
    /// TX command B (datasheet "TX Command 'B'").
    pub TX_CMD_B [
        /// Echoed in the TX status word.
        PACKET_TAG OFFSET(16) NUMBITS(16) [],
        ADD_CRC_DISABLE OFFSET(13) NUMBITS(1) [],
        DISABLE_PADDING OFFSET(12) NUMBITS(1) [],
        PACKET_LENGTH OFFSET(0) NUMBITS(11) []
    ],
    /// TX status word (datasheet "TX Status Format").
    pub TX_STATUS [
        PACKET_TAG OFFSET(16) NUMBITS(16) [],
        ERROR_STATUS OFFSET(15) NUMBITS(1) [],
        LOSS_OF_CARRIER OFFSET(11) NUMBITS(1) [],
        NO_CARRIER OFFSET(10) NUMBITS(1) [],
        LATE_COLLISION OFFSET(9) NUMBITS(1) [],
        EXCESSIVE_COLLISIONS OFFSET(8) NUMBITS(1) [],
        COLLISION_COUNT OFFSET(3) NUMBITS(4) [],
        EXCESSIVE_DEFERRAL OFFSET(2) NUMBITS(1) [],
        DEFERRED OFFSET(0) NUMBITS(1) []
    ],
    /// RX status word (datasheet "RX Status Format"). QEMU sets only length, broadcast,
    /// multicast and filter-fail, never an error bit.
    pub RX_STATUS [
        FILTER_FAIL OFFSET(30) NUMBITS(1) [],
        /// Frame length in bytes, *including* the 4-byte FCS.
        PACKET_LENGTH OFFSET(16) NUMBITS(14) [],
        ERROR_STATUS OFFSET(15) NUMBITS(1) [],
        BROADCAST OFFSET(13) NUMBITS(1) [],
        LENGTH_ERROR OFFSET(12) NUMBITS(1) [],
        RUNT_FRAME OFFSET(11) NUMBITS(1) [],
        MULTICAST OFFSET(10) NUMBITS(1) [],
        FRAME_TOO_LONG OFFSET(7) NUMBITS(1) [],
        COLLISION_SEEN OFFSET(6) NUMBITS(1) [],
        FRAME_TYPE OFFSET(5) NUMBITS(1) [],
        RECEIVE_WATCHDOG OFFSET(4) NUMBITS(1) [],
        MII_ERROR OFFSET(3) NUMBITS(1) [],
        DRIBBLING_BIT OFFSET(2) NUMBITS(1) [],
        CRC_ERROR OFFSET(1) NUMBITS(1) []
    ],

    // ---- Internal PHY registers (IEEE 802.3 clause 22 plus SMSC vendor registers) ----

    pub BMCR [
        RESET OFFSET(15) NUMBITS(1) [],
        LOOPBACK OFFSET(14) NUMBITS(1) [],
        SPEED_100 OFFSET(13) NUMBITS(1) [],
        AUTONEG_ENABLE OFFSET(12) NUMBITS(1) [],
        POWER_DOWN OFFSET(11) NUMBITS(1) [],
        ISOLATE OFFSET(10) NUMBITS(1) [],
        RESTART_AUTONEG OFFSET(9) NUMBITS(1) [],
        FULL_DUPLEX OFFSET(8) NUMBITS(1) []
    ],
    pub BMSR [
        CAN_100_FULL OFFSET(14) NUMBITS(1) [],
        CAN_100_HALF OFFSET(13) NUMBITS(1) [],
        CAN_10_FULL OFFSET(12) NUMBITS(1) [],
        CAN_10_HALF OFFSET(11) NUMBITS(1) [],
        AUTONEG_COMPLETE OFFSET(5) NUMBITS(1) [],
        REMOTE_FAULT OFFSET(4) NUMBITS(1) [],
        AUTONEG_ABLE OFFSET(3) NUMBITS(1) [],
        /// Latched low: read twice for the current state.
        LINK_STATUS OFFSET(2) NUMBITS(1) [],
        JABBER OFFSET(1) NUMBITS(1) [],
        EXTENDED OFFSET(0) NUMBITS(1) []
    ],
    /// ADVERTISE (register 4) and LPA (register 5) share the technology-ability layout.
    pub ANAR [
        PAUSE OFFSET(10) NUMBITS(1) [],
        T4 OFFSET(9) NUMBITS(1) [],
        TX_FULL OFFSET(8) NUMBITS(1) [],
        TX_HALF OFFSET(7) NUMBITS(1) [],
        T10_FULL OFFSET(6) NUMBITS(1) [],
        T10_HALF OFFSET(5) NUMBITS(1) [],
        SELECTOR OFFSET(0) NUMBITS(5) [
            Ieee8023 = 1
        ]
    ],
    /// PHY interrupt source (register 29, clears on read) and mask (register 30).
    pub PHY_INT [
        ENERGY_ON OFFSET(7) NUMBITS(1) [],
        AUTONEG_COMPLETE OFFSET(6) NUMBITS(1) [],
        REMOTE_FAULT OFFSET(5) NUMBITS(1) [],
        LINK_DOWN OFFSET(4) NUMBITS(1) [],
        AUTONEG_LP_ACK OFFSET(3) NUMBITS(1) [],
        PARALLEL_DETECT_FAULT OFFSET(2) NUMBITS(1) [],
        AUTONEG_PAGE_RECEIVED OFFSET(1) NUMBITS(1) []
    ]
];

/// Indices of the MAC CSRs (datasheet "MAC Control and Status Registers").
pub mod mac_csr {
    pub const MAC_CR: u8 = 1;
    pub const ADDRH: u8 = 2;
    pub const ADDRL: u8 = 3;
    pub const HASHH: u8 = 4;
    pub const HASHL: u8 = 5;
    pub const MII_ACC: u8 = 6;
    pub const MII_DATA: u8 = 7;
    pub const FLOW: u8 = 8;
}

/// Indices of the PHY registers the driver uses (only these exist in QEMU's model).
pub mod phy_reg {
    pub const BMCR: u8 = 0;
    pub const BMSR: u8 = 1;
    pub const ID1: u8 = 2;
    pub const ID2: u8 = 3;
    pub const ADVERTISE: u8 = 4;
    pub const LPA: u8 = 5;
    pub const INT_SOURCE: u8 = 29;
    pub const INT_MASK: u8 = 30;
}

/// The integrated PHY's MII address (datasheet "PHY Registers": the internal PHY answers at 1).
/// QEMU ignores the address.
pub const INTERNAL_PHY_ADDRESS: u8 = 1;
