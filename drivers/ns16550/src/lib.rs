//! The one 16550 UART driver of bareproxy: registers at a 4-byte stride (register *n* in the
//! low byte of the 32-bit word at 4·n, Linux DT `reg-shift = <2>`), 32-bit accesses only, so
//! the same code runs little-endian (Armada 370) and BE32 (IXP4xx, PXA25x): the byte lane of a
//! 32-bit access is the same in both.
//!
//! # Where things are
//!
//! | item | concern |
//! |---|---|
//! | [`Variant`] | what differs between the chips: DesignWare busy rule, XScale unit enable |
//! | [`Ns16550::new`] | wrap a bus; touches nothing (the bootloader's settings stay in effect) |
//! | [`Ns16550::keep_bootloader_setup`], [`Ns16550::enable`] | bring-up keeping the divisor |
//! | [`Ns16550::init`], [`divisor`] | 8N1 at a baud rate from the UART clock |
//! | [`Ns16550::write_byte`], [`Ns16550::read_byte`], [`Ns16550::flush`] | polled I/O, bounded |
//! | `impl hil::Console for Ns16550` | the kernel console, no board wrapper needed |
//! | [`LCR`], [`LSR`], [`FCR`], [`IER`], [`USR`] | register fields (`register_bitfields!`) |
//!
//! Sources: the 16550 register layout in Linux `include/uapi/linux/serial_reg.h`.
//! - [`Variant::DwApb`] (Armada 370, Linux `armada-370-xp.dtsi` `serial@12000`:
//!   `snps,dw-apb-uart`, `reg-shift = <2>`, `reg-io-width = <1>`): Linux
//!   `drivers/tty/serial/8250/8250_dw.c` — USR at 0x7C (`DW_UART_USR`), and LCR writes are
//!   ignored while the UART is busy (`dw8250_check_lcr`, `dw8250_force_idle`: clear the FIFOs,
//!   wait for USR.BUSY to clear, then write LCR).
//! - [`Variant::Xscale`] (IXP4xx, PXA25x): IER bit 6 is the unit enable (`UART_IER_UUE` in
//!   `serial_reg.h`, set for `PORT_XSCALE` by Linux `8250_port.c` `serial8250_do_startup` /
//!   `UART_CAP_UUE`); without it the unit does nothing. Its receiver time-out interrupt is
//!   IER bit 4 (`UART_IER_RTOIE`).
//!
//! Every wait is bounded ([`hil::mmio::poll_until`]): a dead UART drops bytes rather than hang
//! the console. Register sequences that must not interleave with a console write from an
//! interrupt (DLAB banking) run in a critical section.
#![no_std]

use core::fmt;

use hil::mmio::{Bus, RegDef, poll_until, reg};
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::register_bitfields;

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
        XFIFOR OFFSET(2) NUMBITS(1) [],
        /// RX trigger level (XScale: 2 = 8 bytes).
        TRIGGER OFFSET(6) NUMBITS(2) []
    ],
    /// Interrupt enable register.
    pub IER [
        /// Received data available.
        ERBFI OFFSET(0) NUMBITS(1) [],
        /// Transmit holding register empty.
        ETBEI OFFSET(1) NUMBITS(1) [],
        /// XScale: receiver time-out interrupt.
        RTOIE OFFSET(4) NUMBITS(1) [],
        /// XScale: UART unit enable.
        UUE OFFSET(6) NUMBITS(1) []
    ],
    /// DesignWare UART status.
    pub USR [
        /// A character is being transferred or the FIFOs are not empty.
        BUSY OFFSET(0) NUMBITS(1) []
    ]
];

/// Receive buffer (read) / transmit holding (write) / divisor low (DLAB=1).
pub const DATA: RegDef = RegDef::at(0x00);
/// Interrupt enable (DLAB=0).
pub const IER_REG: RegDef<IER::Register> = RegDef::at(0x04);
/// Divisor high, sharing IER's offset while DLAB is set.
pub const DLH: RegDef = RegDef::at(0x04);
/// FIFO control (write; IIR on read).
pub const FCR_REG: RegDef<FCR::Register> = RegDef::at(0x08);
/// Line control.
pub const LCR_REG: RegDef<LCR::Register> = RegDef::at(0x0C);
/// Modem control.
pub const MCR: RegDef = RegDef::at(0x10);
/// Line status.
pub const LSR_REG: RegDef<LSR::Register> = RegDef::at(0x14);
/// DesignWare UART status (busy flag).
pub const USR_REG: RegDef<USR::Register> = RegDef::at(0x7C);

/// Length of the register window a [`Ns16550`] uses (up to the DesignWare USR).
pub const WINDOW_LEN: usize = 0x100;

/// Bound on every busy-wait (LSR / USR polls). At 115200 baud a byte takes 87 µs and an
/// uncached peripheral read takes ≥ 20 ns, so this is far beyond a FIFO's worth and only trips
/// when the UART is dead or disabled.
pub const POLL_LIMIT: u32 = 200_000;

/// Which 16550 this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// A plain 16550 at a 4-byte stride.
    Standard,
    /// Synopsys DesignWare APB UART (Armada 370): LCR is written only once USR.BUSY clears.
    DwApb,
    /// XScale (IXP4xx, PXA25x): IER.UUE must stay set; RX time-out interrupt in IER bit 4.
    Xscale,
}

/// Why the UART could not be configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UartError {
    /// Baud rate zero, or so high that the divisor would be 0.
    BaudTooHigh,
    /// Baud rate so low that the divisor does not fit 16 bits.
    BaudTooLow,
    /// The DesignWare busy flag never cleared, so LCR could not be written.
    Busy,
}

/// Divisor for `baud` from a `clock_hz` UART clock (clock / 16 / baud, rounded to nearest).
pub const fn divisor(clock_hz: u32, baud: u32) -> Result<u16, UartError> {
    if baud == 0 {
        return Err(UartError::BaudTooHigh);
    }
    let sixteen_baud = 16 * baud as u64;
    let div = (clock_hz as u64 + sixteen_baud / 2) / sixteen_baud;
    if div == 0 {
        Err(UartError::BaudTooHigh)
    } else if div > u16::MAX as u64 {
        Err(UartError::BaudTooLow)
    } else {
        Ok(div as u16)
    }
}

/// One 16550 UART, polled (the receive interrupt can be enabled for an RX-driven console).
#[derive(Debug)]
pub struct Ns16550<B: Bus> {
    bus: B,
    variant: Variant,
}

impl<B: Bus> Ns16550<B> {
    /// Wraps a bus whose offset 0 is the UART's first register; touches no register, so the
    /// bootloader's settings stay in effect and [`Ns16550::write_byte`] already works.
    pub const fn new(bus: B, variant: Variant) -> Self {
        Ns16550 { bus, variant }
    }

    /// The variant.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// The IER value that keeps the unit alive with no interrupt enabled.
    fn ier_idle(&self) -> u32 {
        match self.variant {
            Variant::Xscale => (IER::UUE::SET).value,
            Variant::Standard | Variant::DwApb => 0,
        }
    }

    /// Enables the unit (XScale UUE) with every UART interrupt off; line settings and FIFOs as
    /// they are (e.g. QEMU's PXA255, which no bootloader set up).
    pub fn enable(&self) {
        reg(&self.bus, IER_REG).set(self.ier_idle());
    }

    /// Keeps the divisor and line settings the bootloader programmed; masks interrupts (unit
    /// enabled) and enables the FIFOs. Returns the divisor found, from which
    /// `clock = baud * 16 * divisor`.
    pub fn keep_bootloader_setup(&self) -> u16 {
        self.enable();
        reg(&self.bus, FCR_REG).write(FCR::FIFOE::SET);
        self.divisor()
    }

    /// The divisor latch value currently programmed.
    pub fn divisor(&self) -> u16 {
        critical_section::with(|_| {
            let lcr = reg(&self.bus, LCR_REG);
            let saved = lcr.get();
            lcr.set(saved | LCR::DLAB::SET.value);
            let low = reg(&self.bus, DATA).get() & 0xFF;
            let high = reg(&self.bus, DLH).get() & 0xFF;
            lcr.set(saved);
            ((high << 8) | low) as u16
        })
    }

    /// Programs 8N1 at `baud` from a UART clock of `clock_hz`, FIFOs on and cleared, interrupts
    /// off (unit enabled).
    pub fn init(&self, clock_hz: u32, baud: u32) -> Result<(), UartError> {
        let div = divisor(clock_hz, baud)?;
        // Let what is queued leave first: a reprogrammed divisor would garble it, and the DW
        // UART ignores LCR writes while busy.
        self.flush();
        critical_section::with(|_| {
            match self.variant {
                Variant::DwApb => {
                    reg(&self.bus, IER_REG).set(0);
                    // `dw8250_force_idle`: clear the FIFOs, then wait for USR.BUSY.
                    reg(&self.bus, FCR_REG)
                        .write(FCR::FIFOE::SET + FCR::RFIFOR::SET + FCR::XFIFOR::SET);
                    if !poll_until(POLL_LIMIT, || !reg(&self.bus, USR_REG).is_set(USR::BUSY)) {
                        return Err(UartError::Busy);
                    }
                }
                // The unit stays off while it is reprogrammed.
                Variant::Xscale | Variant::Standard => reg(&self.bus, IER_REG).set(0),
            }
            let lcr = reg(&self.bus, LCR_REG);
            lcr.write(LCR::DLAB::SET + LCR::WLS::Bits8);
            reg(&self.bus, DATA).set(u32::from(div & 0xFF));
            reg(&self.bus, DLH).set(u32::from(div >> 8));
            lcr.write(LCR::WLS::Bits8);
            match self.variant {
                Variant::DwApb => {
                    // DTR and RTS asserted, as Linux's 8250 core does.
                    reg(&self.bus, MCR).set(0x3);
                }
                Variant::Xscale | Variant::Standard => {
                    reg(&self.bus, FCR_REG).write(
                        FCR::FIFOE::SET + FCR::RFIFOR::SET + FCR::XFIFOR::SET + FCR::TRIGGER.val(2),
                    );
                }
            }
            reg(&self.bus, IER_REG).set(self.ier_idle());
            Ok(())
        })
    }

    /// Sends one byte, waiting (bounded) for room in the transmitter. `false` if it never came
    /// (UART disabled or broken): the byte is then dropped.
    pub fn write_byte(&self, byte: u8) -> bool {
        let lsr = reg(&self.bus, LSR_REG);
        if poll_until(POLL_LIMIT, || lsr.is_set(LSR::THRE)) {
            reg(&self.bus, DATA).set(u32::from(byte));
            true
        } else {
            false
        }
    }

    /// A received byte, if one is waiting.
    pub fn read_byte(&self) -> Option<u8> {
        reg(&self.bus, LSR_REG)
            .is_set(LSR::DR)
            .then(|| (reg(&self.bus, DATA).get() & 0xFF) as u8)
    }

    /// Waits (bounded) until every queued byte has left the shift register.
    pub fn flush(&self) {
        let lsr = reg(&self.bus, LSR_REG);
        poll_until(POLL_LIMIT, || lsr.is_set(LSR::TEMT));
    }

    /// Enables or disables the receive interrupt (XScale: data available and time-out).
    pub fn set_rx_interrupt(&self, enabled: bool) {
        let v = u32::from(enabled);
        // DLAB is 0 outside `init`/`divisor` (which hold a critical section), so this is IER.
        critical_section::with(|_| {
            let ier = reg(&self.bus, IER_REG);
            match self.variant {
                Variant::Xscale => {
                    ier.modify(IER::ERBFI.val(v) + IER::RTOIE.val(v) + IER::UUE::SET)
                }
                Variant::Standard | Variant::DwApb => ier.modify(IER::ERBFI.val(v)),
            }
        });
    }
}

impl<B: Bus + Sync> hil::Console for Ns16550<B> {
    /// A dead transmitter drops the rest of the bytes after the first timeout, so a console
    /// write never stalls the caller for more than one bounded wait.
    fn write_bytes(&self, bytes: &[u8]) {
        for &byte in bytes {
            if !self.write_byte(byte) {
                return;
            }
        }
    }
    fn read_byte(&self) -> Option<u8> {
        Ns16550::read_byte(self)
    }
    fn flush(&self) {
        Ns16550::flush(self)
    }
}

impl<B: Bus> fmt::Write for Ns16550<B> {
    /// `\n` goes out as `\r\n`, for serial terminals.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if (b == b'\n' && !self.write_byte(b'\r')) || !self.write_byte(b) {
                return Err(fmt::Error);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
