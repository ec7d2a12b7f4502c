//! Console UART: Synopsys DesignWare APB UART, 16550-compatible, registers at a 4-byte stride.
//!
//! Sources: Linux `armada-370-xp.dtsi` (`serial@12000`: `snps,dw-apb-uart`, `reg-shift = <2>`,
//! `reg-io-width = <1>`, clock = TCLK), `drivers/tty/serial/8250/8250_dw.c` (USR at 0x7C and the
//! busy-detect rule: LCR writes are ignored while the UART is busy), the 16550 register layout in
//! `include/uapi/linux/serial_reg.h`. kwboot's UART code uses 32-bit accesses at 0xD0012000, and
//! every 16550 register is 8 bits wide, so 32-bit accesses of the low byte are used here.
//!
//! TCLK (the UART clock) comes from the sample-at-reset register, see [`tclk_from_sar`]; the
//! simplest robust bring-up keeps U-Boot's divisor ([`Uart16550::keep_bootloader_setup`]).

use core::fmt;

use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::register_bitfields;

use crate::bus::{Reg, RegisterBus, poll_until};

/// Byte offsets (16550 index << 2).
pub mod offsets {
    /// Receive buffer (read) / transmit holding (write) / divisor low (DLAB=1).
    pub const RBR_THR_DLL: usize = 0x00;
    /// Interrupt enable / divisor high (DLAB=1).
    pub const IER_DLH: usize = 0x04;
    /// Interrupt identification (read) / FIFO control (write).
    pub const IIR_FCR: usize = 0x08;
    /// Line control.
    pub const LCR: usize = 0x0C;
    /// Modem control.
    pub const MCR: usize = 0x10;
    /// Line status.
    pub const LSR: usize = 0x14;
    /// DesignWare UART status (busy flag).
    pub const USR: usize = 0x7C;
}
use offsets::*;

register_bitfields![u32,
    /// Line control register.
    pub LCR [
        /// Word length: 3 = 8 bits.
        WLS OFFSET(0) NUMBITS(2) [Bits8 = 3],
        /// Two stop bits.
        STB OFFSET(2) NUMBITS(1) [],
        /// Parity enable.
        PEN OFFSET(3) NUMBITS(1) [],
        /// Divisor latch access.
        DLAB OFFSET(7) NUMBITS(1) []
    ],
    /// Line status register.
    pub LSR [
        /// Data ready.
        DR OFFSET(0) NUMBITS(1) [],
        /// Overrun error.
        OE OFFSET(1) NUMBITS(1) [],
        /// Transmit holding register (FIFO) empty.
        THRE OFFSET(5) NUMBITS(1) [],
        /// Transmitter completely empty.
        TEMT OFFSET(6) NUMBITS(1) []
    ],
    /// FIFO control register.
    pub FCR [
        /// FIFO enable.
        FIFOE OFFSET(0) NUMBITS(1) [],
        /// Clear RX FIFO.
        RFIFOR OFFSET(1) NUMBITS(1) [],
        /// Clear TX FIFO.
        XFIFOR OFFSET(2) NUMBITS(1) []
    ],
    /// Interrupt enable register.
    pub IER [
        /// Received data available.
        ERBFI OFFSET(0) NUMBITS(1) [],
        /// Transmit holding register empty.
        ETBEI OFFSET(1) NUMBITS(1) []
    ],
    /// DesignWare UART status.
    pub USR [
        /// A character is being transferred or the FIFOs are not empty.
        BUSY OFFSET(0) NUMBITS(1) []
    ]
];

/// Sample-at-reset bit 20 selects TCLK: 0 = 166 MHz, 1 = 200 MHz (Linux
/// `drivers/clk/mvebu/armada-370.c`: `SARL_A370_TCLK_FREQ_OPT` 20, `a370_tclk_freqs`).
pub const fn tclk_from_sar(sar: u32) -> u32 {
    if sar & (1 << 20) == 0 {
        166_000_000
    } else {
        200_000_000
    }
}

/// TCLK of the running SoC, read from the sample-at-reset register.
///
/// # Safety
/// `internal_regs` must be the mapped internal-register window (0xD000_0000 after the stock
/// U-Boot); the SAR register is read-only, so concurrent users are harmless.
pub unsafe fn read_tclk_hz(internal_regs: usize) -> u32 {
    // SAFETY: forwarded to the caller; SAR is one 32-bit register at `map::SAR_OFFSET`.
    let sar = unsafe { crate::bus::Mmio::new(internal_regs + crate::map::SAR_OFFSET, 4) };
    tclk_from_sar(sar.read32(0))
}

/// Divisor for `baud` from a `clock_hz` UART clock (clock / 16 / baud, rounded to nearest).
/// `None` if it does not fit the 16-bit divisor latch or is zero.
pub const fn divisor(clock_hz: u32, baud: u32) -> Option<u16> {
    if baud == 0 {
        return None;
    }
    let div = (clock_hz as u64 + 8 * baud as u64) / (16 * baud as u64);
    if div == 0 || div > u16::MAX as u64 {
        None
    } else {
        Some(div as u16)
    }
}

/// Why the UART could not be configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UartError {
    /// No divisor fits this clock and baud rate.
    BadBaudRate,
    /// The DesignWare busy flag never cleared, so LCR could not be written.
    Busy,
}

/// One 16550 UART, polled (interrupt enables are exposed for an RX-driven console).
pub struct Uart16550<B: RegisterBus> {
    bus: B,
}

impl Uart16550<crate::bus::Mmio> {
    /// The UART at absolute address `base` (e.g. `map::unit(map::UART0_OFFSET)`).
    ///
    /// # Safety
    /// `base` must be a DW 16550 register window mapped as device memory and used by nobody else.
    pub unsafe fn new_mmio(base: usize) -> Self {
        // SAFETY: forwarded to the caller.
        Uart16550::new(unsafe { crate::bus::Mmio::new(base, 0x100) })
    }
}

impl<B: RegisterBus> Uart16550<B> {
    /// Wraps a bus; touches no register.
    pub fn new(bus: B) -> Self {
        Uart16550 { bus }
    }

    fn reg<R: tock_registers::RegisterLongName>(&self, offset: usize) -> Reg<'_, B, R> {
        Reg::new(&self.bus, offset)
    }

    /// Keeps the divisor and line settings U-Boot programmed; only enables the FIFOs and masks
    /// interrupts. Returns the divisor found, from which `clock = baud * 16 * divisor`.
    pub fn keep_bootloader_setup(&mut self) -> u16 {
        self.reg::<IER::Register>(IER_DLH).set(0);
        self.reg::<FCR::Register>(IIR_FCR).write(FCR::FIFOE::SET);
        self.divisor()
    }

    /// The divisor latch value currently programmed.
    pub fn divisor(&self) -> u16 {
        let lcr = self.reg::<LCR::Register>(LCR);
        let saved = lcr.get();
        lcr.set(saved | (1 << 7));
        let low = self.bus.read32(RBR_THR_DLL) & 0xFF;
        let high = self.bus.read32(IER_DLH) & 0xFF;
        lcr.set(saved);
        ((high << 8) | low) as u16
    }

    /// Programs 8N1 at `baud` from a UART clock of `clock_hz` (TCLK), FIFOs on and cleared.
    pub fn init(&mut self, clock_hz: u32, baud: u32) -> Result<(), UartError> {
        let div = divisor(clock_hz, baud).ok_or(UartError::BadBaudRate)?;
        self.reg::<IER::Register>(IER_DLH).set(0);
        // Drain and reset the FIFOs first: the DW UART ignores LCR writes while busy.
        self.flush();
        self.reg::<FCR::Register>(IIR_FCR)
            .write(FCR::FIFOE::SET + FCR::RFIFOR::SET + FCR::XFIFOR::SET);
        if !poll_until(|| !self.reg::<USR::Register>(USR).is_set(USR::BUSY)) {
            return Err(UartError::Busy);
        }
        let lcr = self.reg::<LCR::Register>(LCR);
        lcr.write(LCR::DLAB::SET + LCR::WLS::Bits8);
        self.bus.write32(RBR_THR_DLL, u32::from(div & 0xFF));
        self.bus.write32(IER_DLH, u32::from(div >> 8));
        lcr.write(LCR::WLS::Bits8);
        // DTR and RTS asserted, as Linux's 8250 core does.
        self.bus.write32(MCR, 0x3);
        Ok(())
    }

    /// Sends one byte, waiting (bounded) for room in the transmit FIFO.
    pub fn write_byte(&mut self, byte: u8) {
        let lsr = self.reg::<LSR::Register>(LSR);
        // A stuck transmitter must not hang the console: give up and drop the byte.
        if poll_until(|| lsr.is_set(LSR::THRE)) {
            self.bus.write32(RBR_THR_DLL, u32::from(byte));
        }
    }

    /// A received byte, if one is waiting.
    pub fn try_read_byte(&mut self) -> Option<u8> {
        if self.reg::<LSR::Register>(LSR).is_set(LSR::DR) {
            Some((self.bus.read32(RBR_THR_DLL) & 0xFF) as u8)
        } else {
            None
        }
    }

    /// Waits (bounded) until every queued byte has left the shift register.
    pub fn flush(&mut self) {
        let lsr = self.reg::<LSR::Register>(LSR);
        poll_until(|| lsr.is_set(LSR::TEMT));
    }

    /// Enables or disables the receive-data interrupt (MPIC [`crate::map::irq::UART0`]).
    pub fn set_rx_interrupt(&mut self, enabled: bool) {
        // DLAB is 0 outside `init`/`divisor`, so this is IER.
        self.reg::<IER::Register>(IER_DLH).modify(if enabled {
            IER::ERBFI::SET
        } else {
            IER::ERBFI::CLEAR
        });
    }
}

impl<B: RegisterBus> fmt::Write for Uart16550<B> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(b);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tclk_follows_sar_bit_20() {
        assert_eq!(tclk_from_sar(0), 166_000_000);
        assert_eq!(tclk_from_sar(1 << 20), 200_000_000);
        assert_eq!(tclk_from_sar(!(1 << 20)), 166_000_000);
    }

    #[test]
    fn divisor_rounds_to_nearest() {
        // 200e6 / (16 * 115200) = 108.5 -> 109 (round half up); 166e6 -> 90.06 -> 90.
        assert_eq!(divisor(200_000_000, 115_200), Some(109));
        assert_eq!(divisor(166_000_000, 115_200), Some(90));
        assert_eq!(divisor(200_000_000, 0), None);
        assert_eq!(divisor(1_000, 115_200), None);
    }
}
