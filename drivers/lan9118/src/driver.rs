//! The LAN9118 driver proper: bring-up, receive, transmit, interrupts, error recovery.
//!
//! # Data paths (datasheet "Functional Description")
//! - **RX**: the chip stores each accepted frame (plus FCS) in the RX data FIFO and then pushes
//!   one status word (length incl. FCS, error bits) to the RX status FIFO. The driver pops a
//!   status, validates it, and either reads `ceil(len / 4)` data words or discards them.
//! - **TX**: per frame the driver writes command A, command B, then the data words into the TX
//!   data FIFO; the chip sends the frame when the LAST segment is complete and pushes a status
//!   word (tag, error bits) to the TX status FIFO, which the driver drains.
//!
//! # Interrupt strategy
//! RX: RSFL (a status is waiting) is masked in the handler and re-armed only once the driver has
//! drained the status FIFO, so a level-triggered line cannot storm while the stack is busy.
//! TX: command A's IOC bit is set only on a frame that leaves the TX FIFO nearly full; its
//! completion (TX_IOC) then announces that room opened. Errors (RXE, TXE, TDFO, RXDF) and PHY
//! events are always enabled.

use nic::{Capabilities, Events, LinkState, MIN_FRAME_LEN, MacAddress, Nic, NicStats, TxError};
use tock_registers::LocalRegisterCopy;
use tock_registers::fields::FieldValue;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};

use hil::mmio::{Bus, Reg, RegDef, reg};

use super::mac_phy::BUSY_POLLS;
use super::registers::{
    BYTE_TEST_VALUE, FIFO_INT, HW_CFG, ID_REV, INT, IRQ_CFG, MAC_CR, PHY_INT, PMT_CTRL, RX_CFG,
    RX_DP_CTRL, RX_FIFO_INF, RX_STATUS, TX_CFG, TX_CMD_A, TX_CMD_B, TX_FIFO_INF, TX_STATUS,
    mac_csr, phy_reg,
};
use super::regs;

/// Length of the register window in 32-bit bus mode.
pub const WINDOW_LEN: usize = 0x100;

/// Largest frame sent or delivered, header included, FCS excluded (smoltcp's Ethernet MTU).
pub const MAX_FRAME_LEN: usize = 1514;
/// Largest frame accepted on receive: 1514 plus an 802.1Q tag.
pub const MAX_RX_FRAME_LEN: usize = 1518;
const FCS_LEN: usize = 4;
/// RX status lengths include the FCS.
const MIN_RX_STATUS_LEN: usize = MIN_FRAME_LEN + FCS_LEN;
const MAX_RX_STATUS_LEN: usize = MAX_RX_FRAME_LEN + FCS_LEN;
/// Whole words of the largest accepted frame plus FCS.
const RX_BUF_LEN: usize = MAX_RX_STATUS_LEN.next_multiple_of(4);
const TX_BUF_LEN: usize = MAX_FRAME_LEN.next_multiple_of(4);
/// TX FIFO bytes a frame of `len` bytes occupies: commands A and B plus whole data words.
const fn tx_fifo_bytes(len: usize) -> usize {
    8 + len.next_multiple_of(4)
}
/// Room needed to accept any frame.
const TX_ROOM_FOR_ANY_FRAME: usize = tx_fifo_bytes(MAX_FRAME_LEN);
/// The RX status FIFO holds at most 255 entries by the width of RXSUSED (176 in practice).
const MAX_RX_STATUS_ENTRIES: usize = 255;
/// Fast-forward needs at least this many words in the frame (datasheet "RX Data FIFO Fast
/// Forward"); shorter frames are drained by reads.
const FFWD_MIN_WORDS: usize = 4;
/// Frames the RX data FIFO holds back to back with TX_FIF_SZ = 5: (16 KiB - 5 KiB) / 1518.
const RX_FIFO_FULL_FRAMES: usize = 6;

/// Interrupt sources the driver enables.
fn enabled_interrupts() -> FieldValue<u32, INT::Register> {
    INT::RSFL::SET
        + INT::TX_IOC::SET
        + INT::RXE::SET
        + INT::TXE::SET
        + INT::TDFO::SET
        + INT::TDFU::SET
        + INT::RXDF::SET
        + INT::RWT::SET
        + INT::PHY::SET
}

/// How the driver throws away the data of a rejected received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RxDiscard {
    /// Read and drop the frame's words. Correct everywhere; the default because QEMU's
    /// fast-forward (`hw/net/lan9118.c`, RX_DP_CTRL) moves the FIFO head without releasing the
    /// words (`rx_fifo_used` is never decremented), so every fast-forward leaks FIFO space until
    /// QEMU drops all traffic.
    #[default]
    Drain,
    /// RX_DP_CTRL.RX_FFWD for frames of 4 words or more, as the datasheet recommends. Use on
    /// real silicon only.
    FastForward,
}

/// Driver configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Station address to program; `None` keeps the one the chip loaded from its EEPROM
    /// (QEMU pre-loads the `-nic ... mac=` address, 52:54:00:12:34:56 by default).
    pub mac_address: Option<MacAddress>,
    /// Receive all multicast (MAC_CR.MCPAS). Needed for IPv6 neighbour discovery unless a hash
    /// filter is programmed; smoltcp filters the rest.
    pub accept_all_multicast: bool,
    /// How rejected frames are discarded.
    pub rx_discard: RxDiscard,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mac_address: None,
            accept_all_multicast: true,
            rx_discard: RxDiscard::Drain,
        }
    }
}

/// Why bring-up failed or the chip stopped answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lan9118Error {
    /// BYTE_TEST did not read 0x87654321: no chip at this address (QEMU with `-nic none` reads
    /// 0), or a bus width / endianness mismatch.
    NoDevice {
        /// What BYTE_TEST read.
        byte_test: u32,
    },
    /// HW_CFG.SRST did not clear.
    ResetTimeout,
    /// PMT_CTRL.READY did not set after reset.
    NotReady,
    /// MAC_CSR_CMD.CSR_BUSY stayed set.
    CsrTimeout,
    /// MII_ACC.MII_BUSY stayed set.
    MiiTimeout,
    /// The PHY's BMCR.RESET did not clear.
    PhyResetTimeout,
    /// The internal PHY's identifier read all zeros or all ones.
    PhyNotPresent,
    /// A self-clearing FIFO control bit (RX_DUMP, TXD_DUMP, RX_FFWD) stayed set.
    FifoControlTimeout,
    /// Neither the configuration nor the chip supplied a usable unicast station address.
    InvalidMacAddress(MacAddress),
}

// By hand rather than derived: `nic::MacAddress` has no `defmt::Format`.
#[cfg(feature = "defmt")]
impl defmt::Format for Lan9118Error {
    fn format(&self, f: defmt::Formatter) {
        match self {
            Lan9118Error::NoDevice { byte_test } => {
                defmt::write!(f, "NoDevice {{ byte_test: {=u32:#x} }}", byte_test)
            }
            Lan9118Error::ResetTimeout => defmt::write!(f, "ResetTimeout"),
            Lan9118Error::NotReady => defmt::write!(f, "NotReady"),
            Lan9118Error::CsrTimeout => defmt::write!(f, "CsrTimeout"),
            Lan9118Error::MiiTimeout => defmt::write!(f, "MiiTimeout"),
            Lan9118Error::PhyResetTimeout => defmt::write!(f, "PhyResetTimeout"),
            Lan9118Error::PhyNotPresent => defmt::write!(f, "PhyNotPresent"),
            Lan9118Error::FifoControlTimeout => defmt::write!(f, "FifoControlTimeout"),
            Lan9118Error::InvalidMacAddress(mac) => {
                defmt::write!(f, "InvalidMacAddress({=[u8]:02x})", mac.0)
            }
        }
    }
}

/// A frame whose status has been popped and validated; its data is still in the RX data FIFO.
#[derive(Debug, Clone, Copy)]
struct PendingRx {
    /// Frame length without FCS.
    frame_len: usize,
    /// Data words to read (frame and FCS).
    words: usize,
}

/// Why a received frame was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RxDefect {
    Length,
    Crc,
    Frame,
    Filtered,
}

/// Driver for one SMSC LAN9118 in 32-bit bus mode.
pub struct Lan9118<B: Bus> {
    pub(crate) bus: B,
    config: Config,
    mac: MacAddress,
    chip_id: u16,
    revision: u16,
    rx_pending: Option<PendingRx>,
    rx_buf: [u8; RX_BUF_LEN],
    tx_buf: [u8; TX_BUF_LEN],
    tx_tag: u16,
    stats: NicStats,
    /// Shadow of INT_EN (saves a bus read per mask change).
    int_en: LocalRegisterCopy<u32, INT::Register>,
    interrupts_enabled: bool,
    /// RSFL is masked until the RX status FIFO has been drained.
    rx_interrupt_masked: bool,
    /// Duplex last programmed into MAC_CR.FDPX.
    full_duplex: bool,
}

impl<B: Bus> Lan9118<B> {
    /// Resets and configures the chip behind `bus`: soft reset, station address, PHY
    /// autonegotiation, MAC filters, TX/RX on. Interrupts stay disabled (polled mode) until
    /// [`Nic::set_interrupts_enabled`]; the interrupt pin is configured active-high push-pull
    /// right away so it never idles asserted.
    pub fn new(bus: B, config: Config) -> Result<Self, Lan9118Error> {
        let mut nic = Lan9118 {
            bus,
            config,
            mac: MacAddress::default(),
            chip_id: 0,
            revision: 0,
            rx_pending: None,
            rx_buf: [0; RX_BUF_LEN],
            tx_buf: [0; TX_BUF_LEN],
            tx_tag: 0,
            stats: NicStats::default(),
            int_en: LocalRegisterCopy::new(0),
            interrupts_enabled: false,
            rx_interrupt_masked: false,
            full_duplex: false,
        };
        nic.bring_up()?;
        Ok(nic)
    }

    fn reg<R: tock_registers::RegisterLongName>(&self, def: RegDef<R>) -> Reg<'_, B, R> {
        reg(&self.bus, def)
    }

    fn bring_up(&mut self) -> Result<(), Lan9118Error> {
        let byte_test = self.reg(regs::BYTE_TEST).get();
        if byte_test != BYTE_TEST_VALUE {
            return Err(Lan9118Error::NoDevice { byte_test });
        }
        let id = self.reg(regs::ID_REV).extract();
        self.chip_id = id.read(ID_REV::CHIP_ID) as u16;
        self.revision = id.read(ID_REV::REV_ID) as u16;

        // Soft reset (datasheet "Soft Reset"): SRST self-clears, then PMT_CTRL.READY sets.
        self.reg(regs::HW_CFG).write(HW_CFG::SRST::SET);
        self.wait_clear(regs::HW_CFG, HW_CFG::SRST::SET, Lan9118Error::ResetTimeout)?;
        let ready = (0..BUSY_POLLS).any(|_| self.reg(regs::PMT_CTRL).is_set(PMT_CTRL::READY));
        if !ready {
            return Err(Lan9118Error::NotReady);
        }

        // Pin first: active-high push-pull, output disabled. QEMU inverts the line otherwise.
        self.reg(regs::IRQ_CFG)
            .write(IRQ_CFG::IRQ_POL::SET + IRQ_CFG::IRQ_TYPE::SET);
        self.reg(regs::INT_EN).set(0);
        self.reg(regs::INT_STS).set(u32::MAX);
        // RSFL as soon as one status waits; the TX levels are unused (reset value kept).
        self.reg(regs::FIFO_INT).write(
            FIFO_INT::TX_DATA_AVAILABLE_LEVEL.val(0x48)
                + FIFO_INT::TX_STATUS_LEVEL.val(0)
                + FIFO_INT::RX_STATUS_LEVEL.val(0),
        );
        // Frames start at the first byte of a word and end on a word boundary.
        self.reg(regs::RX_CFG)
            .write(RX_CFG::RX_END_ALIGN::Bytes4 + RX_CFG::RXDOFF.val(0));

        self.mac = match self.config.mac_address {
            Some(mac) => {
                self.write_mac_address(mac)?;
                mac
            }
            None => self.read_mac_address()?,
        };
        if !self.mac.is_valid_station() {
            return Err(Lan9118Error::InvalidMacAddress(self.mac));
        }

        self.phy_bring_up()?;
        // Link events: autonegotiation complete and link down (SMSC PHY "Interrupt Mask").
        self.mii_write(
            phy_reg::INT_MASK,
            (PHY_INT::AUTONEG_COMPLETE::SET + PHY_INT::LINK_DOWN::SET).value as u16,
        )?;
        let _ = self.mii_read(phy_reg::INT_SOURCE)?;

        // Clear QEMU's reset-time promiscuous mode; accept broadcast (BCAST = 0).
        let mut mac_cr = MAC_CR::TXEN::SET + MAC_CR::RXEN::SET;
        if self.config.accept_all_multicast {
            mac_cr += MAC_CR::MCPAS::SET;
        }
        self.csr_write(mac_csr::MAC_CR, mac_cr.value)?;
        self.full_duplex = false;
        self.reg(regs::TX_CFG).write(TX_CFG::TX_ON::SET);
        self.reg(regs::INT_STS).set(u32::MAX);
        Ok(())
    }

    /// Polls until the self-clearing bits in `bits` read 0.
    fn wait_clear<R: tock_registers::RegisterLongName>(
        &self,
        def: RegDef<R>,
        bits: FieldValue<u32, R>,
        error: Lan9118Error,
    ) -> Result<(), Lan9118Error> {
        let mask = bits.value;
        for _ in 0..BUSY_POLLS {
            if self.reg(def).get() & mask == 0 {
                return Ok(());
            }
        }
        Err(error)
    }

    fn read_mac_address(&self) -> Result<MacAddress, Lan9118Error> {
        // ADDRL holds bytes 0..3 (byte 0 in bits 7:0), ADDRH bytes 4 and 5 (datasheet "ADDRH",
        // "ADDRL"; the order matches QEMU's do_mac_read).
        let low = self.csr_read(mac_csr::ADDRL)?.to_le_bytes();
        let high = self.csr_read(mac_csr::ADDRH)?.to_le_bytes();
        Ok(MacAddress([
            low[0], low[1], low[2], low[3], high[0], high[1],
        ]))
    }

    fn write_mac_address(&self, mac: MacAddress) -> Result<(), Lan9118Error> {
        let a = mac.0;
        self.csr_write(mac_csr::ADDRL, u32::from_le_bytes([a[0], a[1], a[2], a[3]]))?;
        self.csr_write(mac_csr::ADDRH, u32::from_le_bytes([a[4], a[5], 0, 0]))
    }

    /// CHIP_ID from ID_REV (0x0118 for a LAN9118).
    pub fn chip_id(&self) -> u16 {
        self.chip_id
    }

    /// REV_ID from ID_REV.
    pub fn revision(&self) -> u16 {
        self.revision
    }

    /// The register bus (for diagnostics and tests).
    pub fn bus(&self) -> &B {
        &self.bus
    }

    // ---------------------------------------------------------------- receive

    /// Pops statuses until a good frame is at the head of the RX data FIFO (recorded in
    /// `rx_pending`) or the status FIFO is empty. Rejected frames are discarded and counted.
    fn fetch_rx_status(&mut self) -> bool {
        for _ in 0..=MAX_RX_STATUS_ENTRIES {
            if self.rx_pending.is_some() {
                return true;
            }
            let fifo = self.reg(regs::RX_FIFO_INF).extract();
            if fifo.read(RX_FIFO_INF::RXSUSED) == 0 {
                if self.rx_interrupt_masked && !self.rearm_rx_interrupt() {
                    continue;
                }
                return false;
            }
            let status = self.reg(regs::RX_STATUS_FIFO).extract();
            let status_len = status.read(RX_STATUS::PACKET_LENGTH) as usize;
            let words = status_len.div_ceil(4);
            if words * 4 > fifo.read(RX_FIFO_INF::RXDUSED) as usize {
                // The status claims more data than the FIFO holds: status and data FIFOs are
                // out of step (a corrupted status, or a lost word). Start over from empty.
                self.stats.rx_errors.length += 1;
                self.resync_rx();
                return false;
            }
            match classify_rx_status(status) {
                Ok(frame_len) => self.rx_pending = Some(PendingRx { frame_len, words }),
                Err(defect) => {
                    match defect {
                        RxDefect::Length => self.stats.rx_errors.length += 1,
                        RxDefect::Crc => self.stats.rx_errors.crc += 1,
                        RxDefect::Frame => self.stats.rx_errors.frame += 1,
                        RxDefect::Filtered => self.stats.rx_errors.filtered += 1,
                    }
                    self.discard_rx_data(words);
                }
            }
        }
        self.rx_pending.is_some()
    }

    /// Called with the status FIFO empty and RSFL masked: acknowledges RSFL, then unmasks it
    /// unless a status slipped in meanwhile. Returns `true` when it unmasked (nothing waiting).
    fn rearm_rx_interrupt(&mut self) -> bool {
        self.reg(regs::INT_STS).write(INT::RSFL::SET);
        if self.reg(regs::RX_FIFO_INF).read(RX_FIFO_INF::RXSUSED) != 0 {
            return false;
        }
        self.rx_interrupt_masked = false;
        if self.interrupts_enabled {
            self.int_en.modify(INT::RSFL::SET);
            self.reg(regs::INT_EN).set(self.int_en.get());
        }
        true
    }

    fn discard_rx_data(&mut self, words: usize) {
        if self.config.rx_discard == RxDiscard::FastForward && words >= FFWD_MIN_WORDS {
            self.reg(regs::RX_DP_CTRL).write(RX_DP_CTRL::RX_FFWD::SET);
            let cleared = self.wait_clear(
                regs::RX_DP_CTRL,
                RX_DP_CTRL::RX_FFWD::SET,
                Lan9118Error::FifoControlTimeout,
            );
            if cleared.is_err() {
                self.resync_rx();
            }
        } else {
            for _ in 0..words {
                let _ = self.reg(regs::RX_DATA_FIFO).get();
            }
        }
    }

    /// Empties both RX FIFOs with the receiver stopped (datasheet "Receiver Errors": stop the
    /// receiver, RX_DUMP, restart). Frames in the FIFOs are lost; counted as one recovery.
    fn resync_rx(&mut self) {
        self.stats.recoveries += 1;
        self.rx_pending = None;
        // If the CSR port itself is wedged, dump anyway rather than write a guessed MAC_CR.
        let mac_cr = self.csr_read(mac_csr::MAC_CR).ok();
        if let Some(mac_cr) = mac_cr {
            let _ = self.csr_write(mac_csr::MAC_CR, mac_cr & !MAC_CR::RXEN::SET.value);
            // Let the receiver finish the frame in progress (RXSTOP_INT), bounded.
            let _ = (0..BUSY_POLLS).any(|_| self.reg(regs::INT_STS).is_set(INT::RXSTOP));
        }
        self.reg(regs::RX_CFG).modify(RX_CFG::RX_DUMP::SET);
        let _ = self.wait_clear(
            regs::RX_CFG,
            RX_CFG::RX_DUMP::SET,
            Lan9118Error::FifoControlTimeout,
        );
        self.reg(regs::INT_STS)
            .write(INT::RXSTOP::SET + INT::RXE::SET);
        if let Some(mac_cr) = mac_cr {
            let _ = self.csr_write(mac_csr::MAC_CR, mac_cr | MAC_CR::RXEN::SET.value);
        }
    }

    // --------------------------------------------------------------- transmit

    /// Drains the TX status FIFO, counting failed frames by cause.
    fn reap_tx_status(&mut self) -> bool {
        let used = self.reg(regs::TX_FIFO_INF).read(TX_FIFO_INF::TXSUSED);
        for _ in 0..used {
            let status = self.reg(regs::TX_STATUS_FIFO).extract();
            if status.is_set(TX_STATUS::ERROR_STATUS) {
                let errors = &mut self.stats.tx_errors;
                if status.is_set(TX_STATUS::LOSS_OF_CARRIER) || status.is_set(TX_STATUS::NO_CARRIER)
                {
                    errors.carrier += 1;
                } else if status.is_set(TX_STATUS::LATE_COLLISION)
                    || status.is_set(TX_STATUS::EXCESSIVE_COLLISIONS)
                {
                    errors.collision += 1;
                } else {
                    errors.other += 1;
                }
            }
        }
        used != 0
    }

    fn tx_free_bytes(&self) -> usize {
        self.reg(regs::TX_FIFO_INF).read(TX_FIFO_INF::TXFREE) as usize
    }

    /// Stops the transmitter, empties both TX FIFOs and restarts it (datasheet "Transmitter
    /// Errors": STOP_TX, wait for TX_ON to clear, TXD_DUMP + TXS_DUMP, TX_ON).
    fn recover_tx(&mut self) {
        self.stats.recoveries += 1;
        self.reg(regs::TX_CFG).write(TX_CFG::STOP_TX::SET);
        let _ = self.wait_clear(
            regs::TX_CFG,
            TX_CFG::TX_ON::SET,
            Lan9118Error::FifoControlTimeout,
        );
        self.reg(regs::TX_CFG)
            .write(TX_CFG::TXD_DUMP::SET + TX_CFG::TXS_DUMP::SET);
        let _ = self.wait_clear(
            regs::TX_CFG,
            TX_CFG::TXD_DUMP::SET + TX_CFG::TXS_DUMP::SET,
            Lan9118Error::FifoControlTimeout,
        );
        self.reg(regs::INT_STS).write(INT::TXSTOP::SET);
        self.reg(regs::TX_CFG).write(TX_CFG::TX_ON::SET);
    }

    // ------------------------------------------------------------- interrupts

    fn refresh_duplex(&mut self, link: LinkState) {
        let full = matches!(
            link,
            LinkState::Up {
                duplex: nic::Duplex::Full,
                ..
            }
        );
        if full == self.full_duplex {
            return;
        }
        if let Ok(mac_cr) = self.csr_read(mac_csr::MAC_CR) {
            let fdpx = MAC_CR::FDPX::SET.value;
            let value = if full { mac_cr | fdpx } else { mac_cr & !fdpx };
            if self.csr_write(mac_csr::MAC_CR, value).is_ok() {
                self.full_duplex = full;
            }
        }
    }
}

/// Validates an RX status word; `Ok` carries the frame length without FCS.
fn classify_rx_status(
    status: LocalRegisterCopy<u32, RX_STATUS::Register>,
) -> Result<usize, RxDefect> {
    if status.is_set(RX_STATUS::ERROR_STATUS) {
        return Err(if status.is_set(RX_STATUS::CRC_ERROR) {
            RxDefect::Crc
        } else if status.is_set(RX_STATUS::RUNT_FRAME)
            || status.is_set(RX_STATUS::FRAME_TOO_LONG)
            || status.is_set(RX_STATUS::LENGTH_ERROR)
        {
            RxDefect::Length
        } else {
            RxDefect::Frame
        });
    }
    if status.is_set(RX_STATUS::FILTER_FAIL) {
        return Err(RxDefect::Filtered);
    }
    let len = status.read(RX_STATUS::PACKET_LENGTH) as usize;
    if !(MIN_RX_STATUS_LEN..=MAX_RX_STATUS_LEN).contains(&len) {
        return Err(RxDefect::Length);
    }
    Ok(len - FCS_LEN)
}

impl<B: Bus> Nic for Lan9118<B> {
    fn mac_address(&self) -> MacAddress {
        self.mac
    }

    fn link_state(&mut self) -> LinkState {
        let link = self.phy_link_state().unwrap_or(LinkState::Down);
        self.refresh_duplex(link);
        link
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_frame_len: MAX_FRAME_LEN,
            max_burst: Some(RX_FIFO_FULL_FRAMES),
            ..Capabilities::ETHERNET
        }
    }

    fn rx_ready(&mut self) -> bool {
        self.fetch_rx_status()
    }

    fn receive<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if !self.fetch_rx_status() {
            return None;
        }
        let pending = self.rx_pending.take()?;
        let bytes = pending.words * 4;
        // `words` was bounded by MAX_RX_STATUS_LEN in classify_rx_status, so this fits.
        let buf = self.rx_buf.get_mut(..bytes)?;
        for chunk in buf.chunks_exact_mut(4) {
            // FIFO words carry bytes in little-endian order (QEMU: "Empirical results show it to
            // be little-endian"; datasheet: byte 0 of the frame is bits 7:0 of the first word).
            chunk.copy_from_slice(&self.bus.read(regs::RX_DATA_FIFO.offset()).to_le_bytes());
        }
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += pending.frame_len as u64;
        Some(f(&self.rx_buf[..pending.frame_len]))
    }

    fn tx_ready(&mut self) -> bool {
        self.reap_tx_status();
        self.tx_free_bytes() >= TX_ROOM_FOR_ANY_FRAME
    }

    fn transmit<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, TxError> {
        if !(MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&len) {
            return Err(TxError::InvalidLength);
        }
        self.reap_tx_status();
        let need = tx_fifo_bytes(len);
        let free = self.tx_free_bytes();
        if free < need {
            return Err(TxError::WouldBlock);
        }
        let padded = len.next_multiple_of(4);
        self.tx_buf[len..padded].fill(0);
        let result = f(&mut self.tx_buf[..len]);

        // Ask for a completion interrupt when this frame leaves too little room for the next
        // one: its TX_IOC then announces that room opened again.
        let nearly_full = free - need < TX_ROOM_FOR_ANY_FRAME;
        let cmd_a = TX_CMD_A::FIRST_SEGMENT::SET
            + TX_CMD_A::LAST_SEGMENT::SET
            + TX_CMD_A::BUFFER_SIZE.val(len as u32)
            + TX_CMD_A::IOC.val(u32::from(nearly_full));
        let cmd_b = TX_CMD_B::PACKET_TAG.val(u32::from(self.tx_tag))
            + TX_CMD_B::PACKET_LENGTH.val(len as u32);
        let port = regs::TX_DATA_FIFO.offset();
        self.bus.write(port, cmd_a.value);
        self.bus.write(port, cmd_b.value);
        for chunk in self.tx_buf[..padded].chunks_exact(4) {
            self.bus.write(
                port,
                u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]),
            );
        }
        self.tx_tag = self.tx_tag.wrapping_add(1);
        self.stats.tx_frames += 1;
        self.stats.tx_bytes += len as u64;
        Ok(result)
    }

    fn on_interrupt(&mut self) -> Events {
        let status = self.reg(regs::INT_STS).extract();
        let mut events = Events::NONE;

        if status.is_set(INT::RSFL) && self.interrupts_enabled && !self.rx_interrupt_masked {
            // Masked until the status FIFO is drained (see fetch_rx_status).
            self.rx_interrupt_masked = true;
            self.int_en.modify(INT::RSFL::CLEAR);
            self.reg(regs::INT_EN).set(self.int_en.get());
        }
        if status.is_set(INT::RXDF) || status.is_set(INT::RXDFH) {
            self.stats.rx_overruns += 1;
            self.stats.rx_dropped += u64::from(self.reg(regs::RX_DROP).get());
            events.rx_error = true;
        }
        if status.is_set(INT::RXE) {
            // QEMU raises RXE on an RX data FIFO underflow: the driver's view of the FIFO is wrong.
            self.resync_rx();
            events.rx_error = true;
        }
        if status.is_set(INT::RWT) {
            // The frame itself carries RECEIVE_WATCHDOG in its status and is counted there.
            events.rx_error = true;
        }
        if status.is_set(INT::TXE) || status.is_set(INT::TDFO) || status.is_set(INT::TDFU) {
            self.stats.tx_errors.fifo += 1;
            self.recover_tx();
            events.tx_error = true;
        }
        if status.is_set(INT::TX_IOC) || status.is_set(INT::TSFL) || status.is_set(INT::TXSO) {
            events.tx_done = true;
        }
        events.tx_done |= self.reap_tx_status();
        if status.is_set(INT::PHY) {
            // Reading the source register clears it (and, in QEMU, INT_STS.PHY with it).
            let _ = self.mii_read(phy_reg::INT_SOURCE);
            let _ = self.link_state();
            events.link_changed = true;
        }
        // Acknowledge everything seen (write 1 to clear). A still-waiting RX status keeps RSFL
        // asserted on a level-sensitive chip, but RSFL is masked until the FIFO is drained.
        self.reg(regs::INT_STS).set(status.get());

        events.rx_ready = self.rx_pending.is_some()
            || self.reg(regs::RX_FIFO_INF).read(RX_FIFO_INF::RXSUSED) != 0;
        events
    }

    fn set_interrupts_enabled(&mut self, enabled: bool) {
        self.interrupts_enabled = enabled;
        if enabled {
            // Order matters (QEMU hw/net/lan9118.c, `lan9118_update`): pin mode first, then sources, then the
            // output enable; the caller unmasks the board's interrupt line afterwards.
            self.reg(regs::IRQ_CFG)
                .write(IRQ_CFG::IRQ_POL::SET + IRQ_CFG::IRQ_TYPE::SET);
            self.int_en = LocalRegisterCopy::new(enabled_interrupts().value);
            self.rx_interrupt_masked = false;
            self.reg(regs::INT_EN).set(self.int_en.get());
            self.reg(regs::IRQ_CFG)
                .write(IRQ_CFG::IRQ_EN::SET + IRQ_CFG::IRQ_POL::SET + IRQ_CFG::IRQ_TYPE::SET);
        } else {
            self.reg(regs::IRQ_CFG)
                .write(IRQ_CFG::IRQ_POL::SET + IRQ_CFG::IRQ_TYPE::SET);
            self.int_en = LocalRegisterCopy::new(0);
            self.reg(regs::INT_EN).set(0);
        }
    }

    fn stats(&mut self) -> NicStats {
        // RX_DROP clears on read, so fold it in here too (polled mode never sees RXDF).
        self.stats.rx_dropped += u64::from(self.reg(regs::RX_DROP).get());
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(word: u32) -> Result<usize, RxDefect> {
        classify_rx_status(LocalRegisterCopy::new(word))
    }

    #[test]
    fn rx_status_classification() {
        let len = |n: u32| n << 16;
        assert_eq!(status(len(64)), Ok(60));
        assert_eq!(status(len(18)), Ok(14));
        assert_eq!(status(len(1522)), Ok(1518));
        assert_eq!(status(len(17)), Err(RxDefect::Length));
        assert_eq!(status(len(1523)), Err(RxDefect::Length));
        assert_eq!(status(len(0)), Err(RxDefect::Length));
        assert_eq!(status(len(64) | 1 << 15 | 1 << 1), Err(RxDefect::Crc));
        assert_eq!(status(len(64) | 1 << 15 | 1 << 11), Err(RxDefect::Length));
        assert_eq!(status(len(64) | 1 << 15 | 1 << 6), Err(RxDefect::Frame));
        assert_eq!(status(len(64) | 1 << 30), Err(RxDefect::Filtered));
        // Broadcast and multicast flags are not defects.
        assert_eq!(status(len(64) | 1 << 13 | 1 << 10), Ok(60));
    }

    #[test]
    fn tx_fifo_accounting() {
        assert_eq!(tx_fifo_bytes(14), 24);
        assert_eq!(tx_fifo_bytes(1514), 1524);
        assert_eq!(RX_BUF_LEN, 1524);
    }
}
