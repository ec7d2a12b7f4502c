//! Behavioural, register-level model of an SMSC LAN9118 in 32-bit mode, for host tests.
//!
//! Written from the documented behaviour, not from the driver: the SMSC LAN9118 datasheet
//! ("Register Descriptions", "TX/RX Data Path Operation") and QEMU's `hw/net/lan9118.c`, which is
//! what the firmware really runs on. Every constant below is spelled out here again on purpose,
//! so a wrong bit in the driver's register file cannot hide behind a shared definition.
//!
//! Where the two sources differ the model follows the datasheet (TXFREE in bytes, fast-forward
//! releases the skipped words, RX_DROP counts overruns, TX status FIFO of 128 entries, MII_ACC
//! needs MIIBZY set) except for the QEMU facts the driver must survive: MAC_CR resets to
//! promiscuous, the IRQ pin is driven inverted unless IRQ_POL and IRQ_TYPE are both set, MII and
//! CSR accesses may complete instantly. RSFL is modelled level-sensitive (re-asserted while
//! statuses wait), the stricter reading; QEMU only sets it when a frame arrives.
//!
//! Anything the driver does that the datasheet forbids is recorded in `violations`.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;

use hil::mmio::Bus;

// ---- System CSR offsets (datasheet "System Control and Status Registers") ----
pub const RX_DATA_FIFO: usize = 0x00;
pub const TX_DATA_FIFO: usize = 0x20;
pub const RX_STATUS_FIFO: usize = 0x40;
pub const RX_STATUS_FIFO_PEEK: usize = 0x44;
pub const TX_STATUS_FIFO: usize = 0x48;
pub const TX_STATUS_FIFO_PEEK: usize = 0x4C;
pub const ID_REV: usize = 0x50;
pub const IRQ_CFG: usize = 0x54;
pub const INT_STS: usize = 0x58;
pub const INT_EN: usize = 0x5C;
pub const BYTE_TEST: usize = 0x64;
pub const FIFO_INT: usize = 0x68;
pub const RX_CFG: usize = 0x6C;
pub const TX_CFG: usize = 0x70;
pub const HW_CFG: usize = 0x74;
pub const RX_DP_CTRL: usize = 0x78;
pub const RX_FIFO_INF: usize = 0x7C;
pub const TX_FIFO_INF: usize = 0x80;
pub const PMT_CTRL: usize = 0x84;
pub const RX_DROP: usize = 0xA0;
pub const MAC_CSR_CMD: usize = 0xA4;
pub const MAC_CSR_DATA: usize = 0xA8;

// ---- IRQ_CFG ----
pub const IRQ_INT: u32 = 1 << 12;
pub const IRQ_EN: u32 = 1 << 8;
pub const IRQ_POL: u32 = 1 << 4;
pub const IRQ_TYPE: u32 = 1 << 0;

// ---- INT_STS / INT_EN ----
pub const SW_INT: u32 = 1 << 31;
pub const TXSTOP_INT: u32 = 1 << 25;
pub const RXSTOP_INT: u32 = 1 << 24;
pub const TX_IOC_INT: u32 = 1 << 21;
pub const PHY_INT: u32 = 1 << 18;
pub const TXSO_INT: u32 = 1 << 16;
pub const RWT_INT: u32 = 1 << 15;
pub const RXE_INT: u32 = 1 << 14;
pub const TXE_INT: u32 = 1 << 13;
pub const TDFO_INT: u32 = 1 << 10;
pub const TSFF_INT: u32 = 1 << 8;
pub const TSFL_INT: u32 = 1 << 7;
pub const RXDF_INT: u32 = 1 << 6;
pub const RSFL_INT: u32 = 1 << 3;

// ---- MAC_CR ----
pub const MAC_CR_RXALL: u32 = 1 << 31;
pub const MAC_CR_FDPX: u32 = 1 << 20;
pub const MAC_CR_MCPAS: u32 = 1 << 19;
pub const MAC_CR_PRMS: u32 = 1 << 18;
pub const MAC_CR_BCAST: u32 = 1 << 11;
pub const MAC_CR_TXEN: u32 = 1 << 3;
pub const MAC_CR_RXEN: u32 = 1 << 2;

// ---- RX status word ----
pub const RXS_FILTER_FAIL: u32 = 1 << 30;
pub const RXS_ES: u32 = 1 << 15;
pub const RXS_BROADCAST: u32 = 1 << 13;
pub const RXS_LENGTH_ERROR: u32 = 1 << 12;
pub const RXS_RUNT: u32 = 1 << 11;
pub const RXS_MULTICAST: u32 = 1 << 10;
pub const RXS_TOO_LONG: u32 = 1 << 7;
pub const RXS_COLLISION: u32 = 1 << 6;
pub const RXS_CRC_ERROR: u32 = 1 << 1;

// ---- TX status word ----
pub const TXS_ES: u32 = 1 << 15;
pub const TXS_LOSS_OF_CARRIER: u32 = 1 << 11;
pub const TXS_NO_CARRIER: u32 = 1 << 10;
pub const TXS_LATE_COLLISION: u32 = 1 << 9;
pub const TXS_EXCESSIVE_COLLISIONS: u32 = 1 << 8;
pub const TXS_EXCESSIVE_DEFERRAL: u32 = 1 << 2;

// ---- FIFO geometry (datasheet, TX_FIF_SZ = 5: 4608 B TX data, 512 B TX status; the rest RX) ----
pub const TX_DATA_FIFO_BYTES: usize = 4608;
pub const TX_STATUS_FIFO_ENTRIES: usize = 128;
pub const RX_DATA_FIFO_WORDS: usize = 2640;
pub const RX_STATUS_FIFO_ENTRIES: usize = 176;

// ---- PHY ----
pub const PHY_ADDRESS: u32 = 1;
const BMSR_LINK_DOWN: u16 = 0x7809;
const BMSR_LINK_UP_AN_DONE: u16 = 0x782D;
const PHY_INT_ENERGYON: u16 = 1 << 7;
const PHY_INT_AN_COMPLETE: u16 = 1 << 6;
const PHY_INT_LINK_DOWN: u16 = 1 << 4;

/// What happened to a frame offered to the model's receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxOutcome {
    Queued,
    /// MAC_CR.RXEN clear.
    ReceiverOff,
    /// Below 14 or from 2048 bytes on (QEMU ignores those).
    BadSize,
    /// The address filter rejected it.
    Filtered,
    /// No room in the data or status FIFO: counted in RX_DROP, RXDF_INT raised.
    Overrun,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxPhase {
    CommandA,
    CommandB,
    Data {
        words_left: usize,
        skip: usize,
        bytes_left: usize,
    },
}

#[derive(Debug)]
struct HeldFrame {
    data: Vec<u8>,
    fifo_bytes: usize,
    status: u32,
    ioc: bool,
}

#[derive(Debug)]
pub struct State {
    // Knobs.
    /// No chip present: every read returns 0 (QEMU with `-nic none`).
    pub absent: bool,
    /// Keep sent frames in the TX FIFO until `release_tx` (a slow wire).
    pub hold_tx: bool,
    /// Reads for which HW_CFG.SRST stays set / PMT_CTRL.READY stays clear after a reset.
    pub reset_busy_reads: u32,
    /// Reads for which MAC_CSR_CMD.CSR_BUSY stays set after a command.
    pub csr_busy_reads: u32,
    /// Reads of MII_ACC for which MIIBZY stays set after a command.
    pub mii_busy_reads: u32,
    /// Error bits for the next TX status words, consumed in order.
    pub tx_status_errors: VecDeque<u32>,
    /// The link partner's ability word (PHY register 5).
    pub lpa: u16,

    // System CSRs.
    irq_cfg: u32,
    int_sts: u32,
    int_en: u32,
    fifo_int: u32,
    rx_cfg: u32,
    tx_cfg: u32,
    hw_cfg: u32,
    rx_drop: u32,
    csr_cmd: u32,
    csr_data: u32,
    reset_countdown: u32,
    csr_countdown: u32,

    // MAC CSRs.
    pub mac: [u8; 6],
    eeprom_mac: [u8; 6],
    pub mac_cr: u32,
    hashh: u32,
    hashl: u32,
    mii_acc: u32,
    mii_data: u32,
    mii_countdown: u32,
    flow: u32,

    // PHY.
    pub link_up: bool,
    bmcr: u16,
    advertise: u16,
    phy_int_source: u16,
    phy_int_mask: u16,

    // RX.
    rx_data: VecDeque<u32>,
    rx_status: VecDeque<u32>,
    /// Data words of each frame in the data FIFO, oldest first.
    rx_frame_words: VecDeque<usize>,
    /// Words already read of the oldest frame.
    rx_words_read: usize,
    /// Statuses popped whose frame data is still in the FIFO.
    rx_statuses_ahead: usize,

    // TX.
    tx_phase: TxPhase,
    tx_cmd_a: u32,
    tx_cmd_b: u32,
    tx_frame: Vec<u8>,
    tx_frame_fifo_bytes: usize,
    tx_fifo_used: usize,
    tx_status: VecDeque<u32>,
    held: VecDeque<HeldFrame>,

    // Observations.
    /// Frames put on the wire, oldest first.
    pub sent: VecDeque<Vec<u8>>,
    /// Command A words of every completed frame (to check IOC use).
    pub sent_cmd_a: Vec<u32>,
    pub violations: Vec<String>,
    pub fast_forwards: usize,
    pub rx_dumps: usize,
    pub tx_dumps: usize,
}

pub struct Lan9118Model {
    state: RefCell<State>,
}

impl Lan9118Model {
    /// A chip as QEMU creates it for `-nic user,model=lan9118` with the default MAC.
    pub fn new() -> Self {
        Self::with_mac([0x52, 0x54, 0x00, 0x12, 0x34, 0x56])
    }

    pub fn with_mac(mac: [u8; 6]) -> Self {
        let mut s = State {
            absent: false,
            hold_tx: false,
            reset_busy_reads: 0,
            csr_busy_reads: 0,
            mii_busy_reads: 0,
            tx_status_errors: VecDeque::new(),
            lpa: 0x0F71,
            irq_cfg: 0,
            int_sts: 0,
            int_en: 0,
            fifo_int: 0,
            rx_cfg: 0,
            tx_cfg: 0,
            hw_cfg: 0,
            rx_drop: 0,
            csr_cmd: 0,
            csr_data: 0,
            reset_countdown: 0,
            csr_countdown: 0,
            mac,
            eeprom_mac: mac,
            mac_cr: 0,
            hashh: 0,
            hashl: 0,
            mii_acc: 0,
            mii_data: 0,
            mii_countdown: 0,
            flow: 0,
            link_up: true,
            bmcr: 0,
            advertise: 0,
            phy_int_source: 0,
            phy_int_mask: 0,
            rx_data: VecDeque::new(),
            rx_status: VecDeque::new(),
            rx_frame_words: VecDeque::new(),
            rx_words_read: 0,
            rx_statuses_ahead: 0,
            tx_phase: TxPhase::CommandA,
            tx_cmd_a: 0,
            tx_cmd_b: 0,
            tx_frame: Vec::new(),
            tx_frame_fifo_bytes: 0,
            tx_fifo_used: 0,
            tx_status: VecDeque::new(),
            held: VecDeque::new(),
            sent: VecDeque::new(),
            sent_cmd_a: Vec::new(),
            violations: Vec::new(),
            fast_forwards: 0,
            rx_dumps: 0,
            tx_dumps: 0,
        };
        s.reset();
        s.reset_countdown = 0;
        Lan9118Model {
            state: RefCell::new(s),
        }
    }

    /// Direct access to the state, for knobs and observations.
    pub fn state(&self) -> std::cell::RefMut<'_, State> {
        self.state.borrow_mut()
    }

    /// The level of the chip's IRQ output pin as the GIC would see it (true = asserted high).
    pub fn irq_line(&self) -> bool {
        self.state.borrow().irq_line()
    }

    /// A frame arrives from the wire.
    pub fn deliver(&self, frame: &[u8]) -> RxOutcome {
        let mut s = self.state.borrow_mut();
        let outcome = s.receive(frame);
        s.update();
        outcome
    }

    /// Pushes an arbitrary status word and data words, as a misbehaving or faulty chip might.
    pub fn deliver_raw(&self, status: u32, words: &[u32]) -> RxOutcome {
        let mut s = self.state.borrow_mut();
        let outcome = s.push_rx(status, words);
        s.update();
        outcome
    }

    /// Takes the frames sent so far.
    pub fn take_sent(&self) -> Vec<Vec<u8>> {
        self.state.borrow_mut().sent.drain(..).collect()
    }

    /// Lets the wire take every frame held in the TX FIFO (with `hold_tx`).
    pub fn release_tx(&self) {
        let mut s = self.state.borrow_mut();
        while let Some(frame) = s.held.pop_front() {
            s.complete_tx(frame);
        }
        s.update();
    }

    /// Raises interrupt status bits directly (fault injection).
    pub fn raise(&self, bits: u32) {
        let mut s = self.state.borrow_mut();
        s.int_sts |= bits;
        s.update();
    }

    /// Plugs or unplugs the cable.
    pub fn set_link(&self, up: bool) {
        let mut s = self.state.borrow_mut();
        s.link_up = up;
        s.phy_link_event();
        s.update();
    }

    pub fn rx_status_entries(&self) -> usize {
        self.state.borrow().rx_status.len()
    }

    pub fn int_en(&self) -> u32 {
        self.state.borrow().int_en
    }

    pub fn irq_cfg(&self) -> u32 {
        self.state.borrow().irq_cfg
    }

    pub fn tx_cfg(&self) -> u32 {
        self.state.borrow().tx_cfg
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.borrow().violations.clone()
    }
}

impl Bus for Lan9118Model {
    fn read(&self, offset: usize) -> u32 {
        let mut s = self.state.borrow_mut();
        if s.absent {
            return 0;
        }
        let value = s.read(offset);
        s.update();
        value
    }

    fn write(&self, offset: usize, value: u32) {
        let mut s = self.state.borrow_mut();
        if s.absent {
            return;
        }
        s.write(offset, value);
        s.update();
    }
}

/// IEEE 802.3 CRC-32 (reflected, polynomial 0x04C11DB7), as appended on the wire.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

impl State {
    fn violation(&mut self, what: String) {
        self.violations.push(what);
    }

    /// HW_CFG.SRST (and power-on): QEMU's `lan9118_reset` values.
    fn reset(&mut self) {
        self.irq_cfg &= IRQ_POL | IRQ_TYPE;
        self.int_sts = 0;
        self.int_en = 0;
        self.fifo_int = 0x4800_0000;
        self.rx_cfg = 0;
        self.tx_cfg = 0;
        self.hw_cfg = 0x0005_0004;
        self.rx_drop = 0;
        self.csr_cmd = 0;
        self.csr_data = 0;
        self.mac = self.eeprom_mac;
        self.mac_cr = MAC_CR_PRMS;
        self.hashh = 0;
        self.hashl = 0;
        self.mii_acc = 0;
        self.mii_data = 0;
        self.flow = 0;
        self.rx_data.clear();
        self.rx_status.clear();
        self.rx_frame_words.clear();
        self.rx_words_read = 0;
        self.rx_statuses_ahead = 0;
        self.tx_phase = TxPhase::CommandA;
        self.tx_frame.clear();
        self.tx_frame_fifo_bytes = 0;
        self.tx_fifo_used = 0;
        self.tx_status.clear();
        self.held.clear();
        self.reset_countdown = self.reset_busy_reads;
        self.phy_reset();
    }

    fn phy_reset(&mut self) {
        self.bmcr = 0x3000;
        self.advertise = 0x01E1;
        self.phy_int_mask = 0;
        self.phy_int_source = 0;
        self.phy_link_event();
    }

    fn phy_link_event(&mut self) {
        if self.link_up {
            self.phy_int_source |= PHY_INT_ENERGYON | PHY_INT_AN_COMPLETE;
        } else {
            self.phy_int_source |= PHY_INT_LINK_DOWN;
        }
    }

    fn bmsr(&self) -> u16 {
        if self.link_up {
            BMSR_LINK_UP_AN_DONE
        } else {
            BMSR_LINK_DOWN
        }
    }

    /// Re-derives level-sensitive status bits and IRQ_CFG.IRQ_INT.
    fn update(&mut self) {
        if self.rx_status.len() > (self.fifo_int & 0xFF) as usize {
            self.int_sts |= RSFL_INT;
        }
        if self.tx_status.len() > ((self.fifo_int >> 16) & 0xFF) as usize {
            self.int_sts |= TSFL_INT;
        }
        if self.phy_int_source & self.phy_int_mask != 0 {
            self.int_sts |= PHY_INT;
        } else {
            self.int_sts &= !PHY_INT;
        }
        if self.int_sts & self.int_en != 0 {
            self.irq_cfg |= IRQ_INT;
        } else {
            self.irq_cfg &= !IRQ_INT;
        }
    }

    fn irq_line(&self) -> bool {
        let active = self.irq_cfg & IRQ_INT != 0 && self.irq_cfg & IRQ_EN != 0;
        // QEMU `lan9118_update`: inverted unless active-high push-pull.
        if self.irq_cfg & (IRQ_POL | IRQ_TYPE) == IRQ_POL | IRQ_TYPE {
            active
        } else {
            !active
        }
    }

    fn read(&mut self, offset: usize) -> u32 {
        match offset {
            0x00..=0x1C if offset.is_multiple_of(4) => self.pop_rx_data(),
            RX_STATUS_FIFO => match self.rx_status.pop_front() {
                Some(status) => {
                    self.rx_statuses_ahead += 1;
                    status
                }
                None => {
                    self.violation("RX status FIFO read while empty".into());
                    0
                }
            },
            RX_STATUS_FIFO_PEEK => self.rx_status.front().copied().unwrap_or(0),
            TX_STATUS_FIFO => self.tx_status.pop_front().unwrap_or_else(|| {
                self.violations
                    .push("TX status FIFO read while empty".into());
                0
            }),
            TX_STATUS_FIFO_PEEK => self.tx_status.front().copied().unwrap_or(0),
            ID_REV => 0x0118_0001,
            IRQ_CFG => self.irq_cfg,
            INT_STS => self.int_sts,
            INT_EN => self.int_en,
            BYTE_TEST => 0x8765_4321,
            FIFO_INT => self.fifo_int,
            RX_CFG => self.rx_cfg,
            TX_CFG => self.tx_cfg,
            HW_CFG => {
                if self.reset_countdown > 0 {
                    self.reset_countdown -= 1;
                    self.hw_cfg | 1
                } else {
                    self.hw_cfg
                }
            }
            RX_DP_CTRL => 0,
            RX_FIFO_INF => {
                ((self.rx_status.len() as u32) << 16) | ((self.rx_data.len() as u32 * 4) & 0xFFFF)
            }
            TX_FIFO_INF => {
                ((self.tx_status.len() as u32) << 16)
                    | (TX_DATA_FIFO_BYTES - self.tx_fifo_used) as u32
            }
            PMT_CTRL => {
                if self.reset_countdown > 0 {
                    self.reset_countdown -= 1;
                    0
                } else {
                    1
                }
            }
            RX_DROP => std::mem::take(&mut self.rx_drop),
            MAC_CSR_CMD => {
                if self.csr_countdown > 0 {
                    self.csr_countdown -= 1;
                    self.csr_cmd | 1 << 31
                } else {
                    self.csr_cmd
                }
            }
            MAC_CSR_DATA => {
                if self.csr_countdown > 0 {
                    self.violation("MAC_CSR_DATA read while CSR_BUSY".into());
                }
                self.csr_data
            }
            _ => {
                self.violation(format!("read of unexpected offset {offset:#x}"));
                0
            }
        }
    }

    fn write(&mut self, offset: usize, value: u32) {
        match offset {
            0x20..=0x3C if offset.is_multiple_of(4) => self.push_tx_word(value),
            IRQ_CFG => {
                self.irq_cfg = (self.irq_cfg & IRQ_INT) | (value & (IRQ_EN | IRQ_POL | IRQ_TYPE))
            }
            INT_STS => self.int_sts &= !value,
            INT_EN => {
                self.int_en = value;
                self.int_sts |= value & SW_INT;
            }
            FIFO_INT => self.fifo_int = value,
            RX_CFG => {
                if value & (1 << 15) != 0 {
                    if self.mac_cr & MAC_CR_RXEN != 0 {
                        self.violation("RX_DUMP with the receiver running".into());
                    }
                    self.rx_data.clear();
                    self.rx_status.clear();
                    self.rx_frame_words.clear();
                    self.rx_words_read = 0;
                    self.rx_statuses_ahead = 0;
                    self.rx_dumps += 1;
                }
                if value & 0x1F00 != 0 || value >> 30 != 0 {
                    self.violation(format!("RX_CFG offset/alignment not modelled: {value:#x}"));
                }
                self.rx_cfg = value & !(1 << 15);
            }
            TX_CFG => {
                if value & (1 << 15) != 0 {
                    self.tx_status.clear();
                }
                if value & (1 << 14) != 0 {
                    if self.tx_cfg & 2 != 0 {
                        self.violation("TXD_DUMP with the transmitter on".into());
                    }
                    self.tx_fifo_used = 0;
                    self.held.clear();
                    self.tx_frame.clear();
                    self.tx_frame_fifo_bytes = 0;
                    self.tx_phase = TxPhase::CommandA;
                    self.tx_dumps += 1;
                }
                if value & 1 != 0 {
                    // STOP_TX: finishes the frame on the wire, then clears TX_ON.
                    self.tx_cfg &= !2;
                    self.int_sts |= TXSTOP_INT;
                } else {
                    self.tx_cfg = value & 0x6;
                }
            }
            HW_CFG => {
                if value & 1 != 0 {
                    self.reset();
                } else {
                    self.hw_cfg = (value & 0x003F_3000) | (self.hw_cfg & 0x0005_0004);
                }
            }
            RX_DP_CTRL => {
                if value & (1 << 31) != 0 {
                    self.fast_forward();
                }
            }
            PMT_CTRL => {
                if value & (1 << 10) != 0 {
                    self.phy_reset();
                }
            }
            MAC_CSR_CMD => {
                if self.csr_countdown > 0 {
                    self.violation("MAC_CSR_CMD written while CSR_BUSY".into());
                }
                self.csr_cmd = value & 0x4000_00FF;
                if value & (1 << 31) != 0 {
                    let index = (value & 0xFF) as u8;
                    if value & (1 << 30) != 0 {
                        self.csr_data = self.mac_csr_read(index);
                    } else {
                        self.mac_csr_write(index, self.csr_data);
                    }
                    self.csr_countdown = self.csr_busy_reads;
                }
            }
            MAC_CSR_DATA => {
                if self.csr_countdown > 0 {
                    self.violation("MAC_CSR_DATA written while CSR_BUSY".into());
                }
                self.csr_data = value;
            }
            _ => self.violation(format!(
                "write of {value:#x} to unexpected offset {offset:#x}"
            )),
        }
    }

    // ------------------------------------------------------------------ MAC CSRs and PHY

    fn mac_csr_read(&mut self, index: u8) -> u32 {
        match index {
            1 => self.mac_cr,
            2 => u32::from(self.mac[4]) | u32::from(self.mac[5]) << 8,
            3 => u32::from_le_bytes([self.mac[0], self.mac[1], self.mac[2], self.mac[3]]),
            4 => self.hashh,
            5 => self.hashl,
            6 => {
                if self.mii_countdown > 0 {
                    self.mii_countdown -= 1;
                    self.mii_acc | 1
                } else {
                    self.mii_acc
                }
            }
            7 => self.mii_data,
            8 => self.flow,
            _ => {
                self.violation(format!("read of unimplemented MAC CSR {index}"));
                0
            }
        }
    }

    fn mac_csr_write(&mut self, index: u8, value: u32) {
        match index {
            1 => {
                if self.mac_cr & MAC_CR_RXEN != 0 && value & MAC_CR_RXEN == 0 {
                    self.int_sts |= RXSTOP_INT;
                }
                self.mac_cr = value;
            }
            2 => {
                self.mac[4] = value as u8;
                self.mac[5] = (value >> 8) as u8;
            }
            3 => self.mac[..4].copy_from_slice(&value.to_le_bytes()),
            4 => self.hashh = value,
            5 => self.hashl = value,
            6 => {
                if self.mii_countdown > 0 {
                    self.violation("MII_ACC written while MIIBZY".into());
                }
                self.mii_acc = value & 0xFFC2;
                if value & 1 == 0 {
                    self.violation("MII_ACC written without MIIBZY: no MII cycle starts".into());
                    return;
                }
                let phy = (value >> 11) & 0x1F;
                let register = ((value >> 6) & 0x1F) as u8;
                if phy != PHY_ADDRESS {
                    self.violation(format!("MII access to absent PHY address {phy}"));
                    self.mii_data = 0xFFFF;
                } else if value & 2 != 0 {
                    self.phy_write(register, self.mii_data as u16);
                } else {
                    self.mii_data = u32::from(self.phy_read(register));
                }
                self.mii_countdown = self.mii_busy_reads;
            }
            7 => self.mii_data = value & 0xFFFF,
            8 => self.flow = value,
            9 => {}
            _ => self.violation(format!("write of unimplemented MAC CSR {index}")),
        }
    }

    fn phy_read(&mut self, register: u8) -> u16 {
        match register {
            0 => self.bmcr,
            1 => self.bmsr(),
            2 => 0x0007,
            3 => 0xC0D1,
            4 => self.advertise,
            5 => self.lpa,
            6 => 1,
            29 => std::mem::take(&mut self.phy_int_source),
            30 => self.phy_int_mask,
            _ => {
                self.violation(format!("read of unmodelled PHY register {register}"));
                0
            }
        }
    }

    fn phy_write(&mut self, register: u8, value: u16) {
        match register {
            0 => {
                if value & 0x8000 != 0 {
                    self.phy_reset();
                } else {
                    self.bmcr = value & 0x7980;
                }
            }
            4 => self.advertise = value,
            30 => self.phy_int_mask = value & 0xFF,
            _ => self.violation(format!("write of unmodelled PHY register {register}")),
        }
    }

    // ------------------------------------------------------------------------------ RX

    fn passes_filter(&self, dest: &[u8]) -> bool {
        if self.mac_cr & MAC_CR_PRMS != 0 {
            return true;
        }
        if dest.iter().all(|&b| b == 0xFF) {
            return self.mac_cr & MAC_CR_BCAST == 0;
        }
        if dest[0] & 1 != 0 {
            // Multicast; the hash filter is not modelled.
            return self.mac_cr & MAC_CR_MCPAS != 0;
        }
        dest == self.mac
    }

    fn receive(&mut self, frame: &[u8]) -> RxOutcome {
        if self.mac_cr & MAC_CR_RXEN == 0 {
            return RxOutcome::ReceiverOff;
        }
        if frame.len() < 14 || frame.len() >= 2048 {
            return RxOutcome::BadSize;
        }
        let pass = self.passes_filter(&frame[..6]);
        if !pass && self.mac_cr & MAC_CR_RXALL == 0 {
            return RxOutcome::Filtered;
        }
        let mut status = ((frame.len() as u32 + 4) << 16) & 0x3FFF_0000;
        if frame[..6].iter().all(|&b| b == 0xFF) {
            status |= RXS_BROADCAST;
        } else if frame[0] & 1 != 0 {
            status |= RXS_MULTICAST;
        }
        if !pass {
            status |= RXS_FILTER_FAIL;
        }
        let mut bytes = frame.to_vec();
        bytes.extend_from_slice(&crc32(frame).to_le_bytes());
        let words: Vec<u32> = bytes
            .chunks(4)
            .map(|c| {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                u32::from_le_bytes(w)
            })
            .collect();
        self.push_rx(status, &words)
    }

    fn push_rx(&mut self, status: u32, words: &[u32]) -> RxOutcome {
        if self.rx_status.len() >= RX_STATUS_FIFO_ENTRIES
            || self.rx_data.len() + words.len() > RX_DATA_FIFO_WORDS
        {
            self.rx_drop = self.rx_drop.wrapping_add(1);
            self.int_sts |= RXDF_INT;
            return RxOutcome::Overrun;
        }
        self.rx_data.extend(words.iter().copied());
        if !words.is_empty() {
            self.rx_frame_words.push_back(words.len());
        }
        self.rx_status.push_back(status);
        RxOutcome::Queued
    }

    fn consume_rx_word(&mut self) {
        self.rx_words_read += 1;
        if let Some(&words) = self.rx_frame_words.front()
            && self.rx_words_read >= words
        {
            self.rx_frame_words.pop_front();
            self.rx_words_read = 0;
            if self.rx_statuses_ahead == 0 {
                self.violations
                    .push("frame data consumed before its status was popped".into());
            } else {
                self.rx_statuses_ahead -= 1;
            }
        }
    }

    fn pop_rx_data(&mut self) -> u32 {
        match self.rx_data.pop_front() {
            Some(word) => {
                self.consume_rx_word();
                word
            }
            None => {
                // QEMU: "RX underflow" raises RXE.
                self.int_sts |= RXE_INT;
                self.violation("RX data FIFO read while empty".into());
                0
            }
        }
    }

    /// RX_DP_CTRL.RX_FFWD: skip the rest of the frame whose status was popped last.
    fn fast_forward(&mut self) {
        self.fast_forwards += 1;
        if self.rx_statuses_ahead == 0 {
            self.violation("RX_FFWD without a popped status".into());
            return;
        }
        let Some(&words) = self.rx_frame_words.front() else {
            self.violation("RX_FFWD with an empty data FIFO".into());
            return;
        };
        let remaining = words - self.rx_words_read;
        if words < 4 {
            self.violation("RX_FFWD on a frame shorter than 4 words".into());
        }
        for _ in 0..remaining {
            self.rx_data.pop_front();
        }
        self.rx_frame_words.pop_front();
        self.rx_words_read = 0;
        self.rx_statuses_ahead -= 1;
    }

    // ------------------------------------------------------------------------------ TX

    fn push_tx_word(&mut self, word: u32) {
        if self.tx_fifo_used + 4 > TX_DATA_FIFO_BYTES {
            self.int_sts |= TDFO_INT;
            self.violation("TX data FIFO overrun".into());
            return;
        }
        self.tx_fifo_used += 4;
        self.tx_frame_fifo_bytes += 4;
        match self.tx_phase {
            TxPhase::CommandA => {
                self.tx_cmd_a = word;
                self.tx_phase = TxPhase::CommandB;
            }
            TxPhase::CommandB => {
                let first = self.tx_cmd_a & (1 << 13) != 0;
                if first {
                    self.tx_cmd_b = word;
                    self.tx_frame.clear();
                } else if word != self.tx_cmd_b {
                    self.violation("command B differs between segments".into());
                }
                if (self.tx_cmd_a >> 24) & 3 != 0 {
                    self.violation("TX end alignment not modelled".into());
                }
                let size = (self.tx_cmd_a & 0x7FF) as usize;
                let skip = ((self.tx_cmd_a >> 16) & 0x1F) as usize;
                let words_left = (skip + size).div_ceil(4);
                self.tx_phase = if words_left == 0 {
                    self.segment_done();
                    TxPhase::CommandA
                } else {
                    TxPhase::Data {
                        words_left,
                        skip,
                        bytes_left: size,
                    }
                };
            }
            TxPhase::Data {
                words_left,
                skip,
                bytes_left,
            } => {
                let mut bytes_left = bytes_left;
                let mut skip = skip;
                for byte in word.to_le_bytes() {
                    if skip > 0 {
                        skip -= 1;
                    } else if bytes_left > 0 {
                        self.tx_frame.push(byte);
                        bytes_left -= 1;
                    }
                }
                if words_left == 1 {
                    self.tx_phase = TxPhase::CommandA;
                    self.segment_done();
                } else {
                    self.tx_phase = TxPhase::Data {
                        words_left: words_left - 1,
                        skip,
                        bytes_left,
                    };
                }
            }
        }
    }

    fn segment_done(&mut self) {
        let cmd_a = self.tx_cmd_a;
        if cmd_a & (1 << 12) == 0 {
            return;
        }
        let length = (self.tx_cmd_b & 0x7FF) as usize;
        if length != self.tx_frame.len() {
            // Datasheet "Transmitter Errors": packet length differs from the buffer sizes.
            self.int_sts |= TXE_INT;
            self.violation(format!(
                "command B length {length} but {} bytes supplied",
                self.tx_frame.len()
            ));
        }
        if self.tx_cfg & 2 == 0 || self.mac_cr & MAC_CR_TXEN == 0 {
            self.violation("frame queued with TX_ON or MAC_CR.TXEN clear".into());
        }
        self.sent_cmd_a.push(cmd_a);
        let errors = self.tx_status_errors.pop_front().unwrap_or(0);
        let frame = HeldFrame {
            data: std::mem::take(&mut self.tx_frame),
            fifo_bytes: std::mem::take(&mut self.tx_frame_fifo_bytes),
            status: (self.tx_cmd_b & 0xFFFF_0000) | errors,
            ioc: cmd_a & (1 << 31) != 0,
        };
        if self.hold_tx {
            self.held.push_back(frame);
        } else {
            self.complete_tx(frame);
        }
    }

    fn complete_tx(&mut self, frame: HeldFrame) {
        self.tx_fifo_used -= frame.fifo_bytes;
        if frame.status & TXS_ES == 0 {
            self.sent.push_back(frame.data);
        }
        if self.tx_status.len() < TX_STATUS_FIFO_ENTRIES {
            self.tx_status.push_back(frame.status);
            if self.tx_status.len() == TX_STATUS_FIFO_ENTRIES {
                self.int_sts |= TSFF_INT;
            }
        } else {
            self.int_sts |= TXSO_INT;
        }
        if frame.ioc {
            self.int_sts |= TX_IOC_INT;
        }
    }
}
