//! The NPE-B Ethernet MAC's register block ("EthB", 0xC800_9000) and its MDIO master, which
//! implements [`hil::mdio::Mdio`] so the generic `mii` driver handles the PHY.
//!
//! Every register holds 8 significant bits in a 32-bit word (Linux `struct eth_regs` in
//! `drivers/net/ethernet/xscale/ixp4xx_eth.c`). Only NPE-B's MAC drives MDC/MDIO, and only while
//! CORE_CONTROL.MDC_EN is set. MDIO protocol: MDIO_COMMAND\[0..1\] = write data, \[2\] =
//! phy << 5 | reg (low byte), \[3\] = phy >> 3 | write << 2 | GO (0x80); poll GO clear; the read
//! result is MDIO_STATUS\[0..1\] with MDIO_STATUS\[3\] bit 7 flagging a failed read.

use hil::mdio::{Mdio, MdioError};
use hil::mmio::Bus;

/// Register offsets.
pub mod regs {
    /// TX control 0 (see [`super::tx_ctrl0`]).
    pub const TX_CONTROL0: usize = 0x000;
    /// TX control 1: retry count in bits 3:0.
    pub const TX_CONTROL1: usize = 0x004;
    /// RX control 0 (see [`super::rx_ctrl0`]).
    pub const RX_CONTROL0: usize = 0x010;
    /// RX control 1.
    pub const RX_CONTROL1: usize = 0x014;
    /// Backoff random seed.
    pub const RANDOM_SEED: usize = 0x020;
    /// FIFO partial-empty threshold.
    pub const PARTIAL_EMPTY_THRESHOLD: usize = 0x030;
    /// FIFO partial-full threshold.
    pub const PARTIAL_FULL_THRESHOLD: usize = 0x038;
    /// Bytes buffered before TX starts.
    pub const TX_START_BYTES: usize = 0x040;
    /// TX deferral.
    pub const TX_DEFERRAL: usize = 0x050;
    /// Two-part deferral, first and second register.
    pub const TX_2PART_DEFERRAL: usize = 0x060;
    /// Slot time.
    pub const SLOT_TIME: usize = 0x070;
    /// MDIO command bytes 0..3.
    pub const MDIO_COMMAND: usize = 0x080;
    /// MDIO status bytes 0..3.
    pub const MDIO_STATUS: usize = 0x090;
    /// Multicast mask bytes 0..5.
    pub const MCAST_MASK: usize = 0x0A0;
    /// Multicast address bytes 0..5.
    pub const MCAST_ADDR: usize = 0x0C0;
    /// Internal clock threshold.
    pub const INT_CLOCK_THRESHOLD: usize = 0x0E0;
    /// Unicast station address bytes 0..5.
    pub const HW_ADDR: usize = 0x0F0;
    /// Core control (see [`super::core`]).
    pub const CORE_CONTROL: usize = 0x1FC;
}

/// TX_CONTROL0 bits.
pub mod tx_ctrl0 {
    /// Transmitter enable.
    pub const TX_EN: u32 = 0x01;
    /// Half duplex.
    pub const HALFDUPLEX: u32 = 0x02;
    /// Retry on collision.
    pub const RETRY: u32 = 0x04;
    /// Pad runts to 64 bytes.
    pub const PAD_EN: u32 = 0x08;
    /// Append the FCS.
    pub const APPEND_FCS: u32 = 0x10;
    /// Two-part deferral.
    pub const TWO_DEFER: u32 = 0x20;
    /// Linux's full-duplex default, 0x3D.
    pub const DEFAULT: u32 = TX_EN | RETRY | PAD_EN | APPEND_FCS | TWO_DEFER;
}

/// RX_CONTROL0 bits.
pub mod rx_ctrl0 {
    /// Receiver enable.
    pub const RX_EN: u32 = 0x01;
    /// Strip padding.
    pub const PADSTRIP_EN: u32 = 0x02;
    /// Pass the FCS to the NPE (left off: frames arrive without FCS).
    pub const SEND_FCS: u32 = 0x04;
    /// Multicast address filter enable.
    pub const ADDR_FLTR_EN: u32 = 0x20;
}

/// CORE_CONTROL bits.
pub mod core {
    /// Hold the MAC core in reset.
    pub const RESET: u32 = 0x01;
    /// Flush the RX FIFO.
    pub const RX_FIFO_FLUSH: u32 = 0x02;
    /// Flush the TX FIFO.
    pub const TX_FIFO_FLUSH: u32 = 0x04;
    /// This MAC drives MDC (required for any MDIO access).
    pub const MDC_EN: u32 = 0x10;
}

/// MDIO_COMMAND\[3\] / MDIO_STATUS\[3\] bit 7: GO (command) or read failed (status).
const MDIO_GO: u32 = 0x80;
const MDIO_WRITE: u32 = 0x04;
/// MDIO polls before giving up; Linux allows 100 µs, a transaction takes ~30 µs at 2.5 MHz MDC.
const MDIO_POLL_LIMIT: u32 = 20_000;
/// Register reads used as a ~50 µs settle delay around the core reset (no clock here).
const RESET_SETTLE_READS: u32 = 2_000;

/// The EthB MAC register block.
#[derive(Debug)]
pub struct Mac<B: Bus> {
    bus: B,
}

impl<B: Bus> Mac<B> {
    /// Wraps the MAC's register window; does not touch the hardware.
    pub const fn new(bus: B) -> Self {
        Mac { bus }
    }

    fn write8(&self, offset: usize, value: u32) {
        self.bus.write(offset, value & 0xFF);
    }

    fn read8(&self, offset: usize) -> u32 {
        self.bus.read(offset) & 0xFF
    }

    /// Stops reception and transmission.
    pub fn disable(&mut self) {
        self.write8(regs::RX_CONTROL0, 0);
        self.write8(regs::TX_CONTROL0, 0);
    }

    /// Resets the MAC core (Linux probe): CORE_CONTROL ← MDC_EN | RESET, settle, ← MDC_EN,
    /// settle. Leaves MDC running so MDIO works.
    pub fn reset_core(&mut self) {
        self.write8(regs::CORE_CONTROL, core::MDC_EN | core::RESET);
        self.settle();
        self.write8(regs::CORE_CONTROL, core::MDC_EN);
        self.settle();
    }

    fn settle(&self) {
        for _ in 0..RESET_SETTLE_READS {
            let _ = self.bus.read(regs::CORE_CONTROL);
        }
    }

    /// Programs the station address filter registers.
    pub fn set_station_address(&mut self, mac: [u8; 6]) {
        for (i, byte) in mac.iter().enumerate() {
            self.write8(regs::HW_ADDR + 4 * i, u32::from(*byte));
        }
    }

    /// The station address the MAC holds.
    pub fn station_address(&self) -> [u8; 6] {
        let mut mac = [0u8; 6];
        for (i, byte) in mac.iter_mut().enumerate() {
            *byte = self.read8(regs::HW_ADDR + 4 * i) as u8;
        }
        mac
    }

    /// Linux's open-time timing defaults, then transmitter and receiver on (full duplex, no
    /// multicast filter: the NPE passes every frame and the stack filters).
    pub fn configure_and_enable(&mut self, mac: [u8; 6]) {
        self.set_station_address(mac);
        self.write8(regs::RANDOM_SEED, 0x08);
        self.write8(regs::PARTIAL_EMPTY_THRESHOLD, 0x12);
        self.write8(regs::PARTIAL_FULL_THRESHOLD, 0x30);
        self.write8(regs::TX_START_BYTES, 0x08);
        self.write8(regs::TX_DEFERRAL, 0x15);
        self.write8(regs::TX_2PART_DEFERRAL, 0x08);
        self.write8(regs::TX_2PART_DEFERRAL + 4, 0x07);
        self.write8(regs::SLOT_TIME, 0x80);
        self.write8(regs::INT_CLOCK_THRESHOLD, 0x01);
        self.write8(regs::TX_CONTROL1, 0x0F);
        self.write8(regs::TX_CONTROL0, tx_ctrl0::DEFAULT);
        self.write8(regs::RX_CONTROL1, 0);
        self.write8(regs::RX_CONTROL0, rx_ctrl0::RX_EN);
    }

    /// Sets half or full duplex in TX_CONTROL0 (after a link change).
    pub fn set_duplex(&mut self, full: bool) {
        let ctrl = self.read8(regs::TX_CONTROL0);
        let ctrl = if full {
            ctrl & !tx_ctrl0::HALFDUPLEX
        } else {
            ctrl | tx_ctrl0::HALFDUPLEX
        };
        self.write8(regs::TX_CONTROL0, ctrl);
    }

    /// Receive every multicast frame (`true`) or none beyond broadcast (`false`), by the
    /// multicast address/mask registers (Linux `eth_set_mcast_list`, all-multicast case).
    pub fn set_all_multicast(&mut self, enabled: bool) {
        let rx = self.read8(regs::RX_CONTROL0);
        if enabled {
            for i in 0..6 {
                let byte = if i == 0 { 0x01 } else { 0 };
                self.write8(regs::MCAST_ADDR + 4 * i, byte);
                self.write8(regs::MCAST_MASK + 4 * i, byte);
            }
            self.write8(regs::RX_CONTROL0, rx | rx_ctrl0::ADDR_FLTR_EN);
        } else {
            self.write8(regs::RX_CONTROL0, rx & !rx_ctrl0::ADDR_FLTR_EN);
        }
    }

    fn mdio_wait(&self) -> Result<(), MdioError> {
        for _ in 0..MDIO_POLL_LIMIT {
            if self.bus.read(regs::MDIO_COMMAND + 12) & MDIO_GO == 0 {
                return Ok(());
            }
        }
        Err(MdioError::Timeout)
    }

    fn mdio_command(&self, phy: u8, reg: u8, write: Option<u16>) -> Result<(), MdioError> {
        hil::mdio::check_address(phy, reg)?;
        self.mdio_wait()?;
        if let Some(data) = write {
            self.write8(regs::MDIO_COMMAND, u32::from(data & 0xFF));
            self.write8(regs::MDIO_COMMAND + 4, u32::from(data >> 8));
        }
        let (phy, reg) = (u32::from(phy), u32::from(reg));
        self.write8(regs::MDIO_COMMAND + 8, (phy << 5 | reg) & 0xFF);
        let w = if write.is_some() { MDIO_WRITE } else { 0 };
        self.write8(regs::MDIO_COMMAND + 12, phy >> 3 | w | MDIO_GO);
        self.mdio_wait()
    }
}

/// MDIO on the MAC's pins (only while CORE_CONTROL.MDC_EN is set, as [`Mac::reset_core`]
/// leaves it). Errors: [`MdioError::Timeout`] if GO never clears (no MDC),
/// [`MdioError::NoResponse`] if MDIO_STATUS\[3\] flags a failed read (no PHY there). A
/// transaction is several accesses of the command and status bytes; a critical section keeps
/// another user from interleaving with it.
impl<B: Bus> Mdio for Mac<B> {
    fn read(&self, phy: u8, reg: u8) -> Result<u16, MdioError> {
        critical_section::with(|_| {
            self.mdio_command(phy, reg, None)?;
            if self.read8(regs::MDIO_STATUS + 12) & MDIO_GO != 0 {
                return Err(MdioError::NoResponse);
            }
            let lo = self.read8(regs::MDIO_STATUS);
            let hi = self.read8(regs::MDIO_STATUS + 4);
            Ok((hi << 8 | lo) as u16)
        })
    }

    fn write(&self, phy: u8, reg: u8, value: u16) -> Result<(), MdioError> {
        critical_section::with(|_| self.mdio_command(phy, reg, Some(value)))
    }
}
