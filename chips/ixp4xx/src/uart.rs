//! The XScale UARTs: 16550-compatible with a 4-byte register stride and a unit-enable bit.
//!
//! Register *n* lives in the low byte of the 32-bit word at base + 4·n (Linux DT `reg-shift = 2`);
//! with 32-bit accesses the byte lane is the same in BE32 and LE. IER bit 6 (UUE, Linux
//! `UART_IER_UUE` in `include/uapi/linux/serial_reg.h`) must be set or the unit does nothing.
//! Input clock 14.7456 MHz, so 115200 baud is divisor 8. RedBoot leaves UART1 at 115200 8N1,
//! which is why [`Uart::write_byte`] works before [`Uart::init`] has run.

use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::register_bitfields;

use hil::mmio::{Bus, Mmio, RegDef, reg};
use crate::map;

register_bitfields![u32,
    /// Interrupt enable, with the XScale additions (Linux `serial_reg.h`).
    pub IER [
        /// Received data available.
        RAVIE OFFSET(0) NUMBITS(1) [],
        /// Transmit holding register empty.
        TIE OFFSET(1) NUMBITS(1) [],
        /// Receiver line status.
        RLSE OFFSET(2) NUMBITS(1) [],
        /// Receiver time-out (XScale).
        RTOIE OFFSET(4) NUMBITS(1) [],
        /// UART unit enable (XScale): nothing works without it.
        UUE OFFSET(6) NUMBITS(1) []
    ],
    /// FIFO control (write only).
    pub FCR [
        ENABLE OFFSET(0) NUMBITS(1) [],
        RESET_RX OFFSET(1) NUMBITS(1) [],
        RESET_TX OFFSET(2) NUMBITS(1) [],
        /// RX trigger level; Linux's `PORT_XSCALE` uses "10" (8 bytes of the 32-byte FIFO).
        TRIGGER OFFSET(6) NUMBITS(2) []
    ],
    /// Line control.
    pub LCR [
        /// Word length − 5.
        WLS OFFSET(0) NUMBITS(2) [Bits8 = 3],
        STB OFFSET(2) NUMBITS(1) [],
        PEN OFFSET(3) NUMBITS(1) [],
        /// Divisor latch access.
        DLAB OFFSET(7) NUMBITS(1) []
    ],
    /// Line status.
    pub LSR [
        /// Data ready.
        DR OFFSET(0) NUMBITS(1) [],
        /// Overrun error.
        OE OFFSET(1) NUMBITS(1) [],
        PE OFFSET(2) NUMBITS(1) [],
        FE OFFSET(3) NUMBITS(1) [],
        /// Transmit holding register empty.
        THRE OFFSET(5) NUMBITS(1) [],
        /// Transmitter empty.
        TEMT OFFSET(6) NUMBITS(1) []
    ]
];

/// RBR (read) / THR (write) / DLL (with DLAB).
const DATA: RegDef<()> = RegDef::at(0x00);
const IER: RegDef<IER::Register> = RegDef::at(0x04);
/// DLH shares IER's offset while DLAB is set.
const DLH: RegDef<()> = RegDef::at(0x04);
const FCR: RegDef<FCR::Register> = RegDef::at(0x08);
const LCR: RegDef<LCR::Register> = RegDef::at(0x0C);
const LSR: RegDef<LSR::Register> = RegDef::at(0x14);

/// How many LSR polls [`Uart::write_byte`] makes before giving up on a byte. At 115200 baud a
/// byte takes 87 µs; an IXP420 peripheral read takes well over 20 ns, so this is far beyond one
/// FIFO's worth of characters and only trips when the UART is dead or disabled.
const TX_POLL_LIMIT: u32 = 200_000;

/// Why a baud rate cannot be programmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaudError {
    /// Zero, or so high that the divisor would be 0.
    TooHigh,
    /// So low that the divisor does not fit 16 bits.
    TooLow,
}

/// The 16-bit divisor for `baud` with input clock `clock_hz`, rounded to nearest.
pub const fn divisor(clock_hz: u32, baud: u32) -> Result<u16, BaudError> {
    if baud == 0 {
        return Err(BaudError::TooHigh);
    }
    let sixteen_baud = 16 * baud as u64;
    let div = (clock_hz as u64 + sixteen_baud / 2) / sixteen_baud;
    if div == 0 {
        Err(BaudError::TooHigh)
    } else if div > u16::MAX as u64 {
        Err(BaudError::TooLow)
    } else {
        Ok(div as u16)
    }
}

/// One XScale UART.
#[derive(Debug)]
pub struct Uart<B: Bus> {
    bus: B,
}

impl Uart<Mmio> {
    /// The console UART of the NSLU2 (UART1).
    ///
    /// # Safety
    /// The UART1 window at [`map::UART1_BASE`] must be mapped as device memory and owned by the
    /// returned value alone.
    pub unsafe fn console() -> Self {
        // SAFETY: forwarded to the caller.
        unsafe { Self::new_mmio(map::UART1_BASE) }
    }

    /// The UART whose registers are at `base`.
    ///
    /// # Safety
    /// See [`Mmio::new`]: `base` is a UART window, device-mapped, owned by this value alone.
    pub unsafe fn new_mmio(base: usize) -> Self {
        // SAFETY: forwarded to the caller.
        Uart::new(unsafe { Mmio::new(base, map::PERIPHERAL_WINDOW) })
    }
}

impl<B: Bus> Uart<B> {
    /// Wraps a bus; does not touch the hardware (the RedBoot settings stay in effect).
    pub const fn new(bus: B) -> Self {
        Uart { bus }
    }

    /// Programs 8N1 at `baud` from the 14.7456 MHz clock, FIFOs on (reset), unit enabled,
    /// interrupts off.
    pub fn init(&mut self, baud: u32) -> Result<(), BaudError> {
        let div = divisor(map::UART_CLOCK_HZ, baud)?;
        self.wait_tx_empty();
        reg(&self.bus, IER).write(IER::UUE::CLEAR);
        reg(&self.bus, LCR).write(LCR::DLAB::SET + LCR::WLS::Bits8);
        reg(&self.bus, DATA).set(u32::from(div & 0xFF));
        reg(&self.bus, DLH).set(u32::from(div >> 8));
        reg(&self.bus, LCR).write(LCR::WLS::Bits8);
        reg(&self.bus, FCR).write(
            FCR::ENABLE::SET + FCR::RESET_RX::SET + FCR::RESET_TX::SET + FCR::TRIGGER.val(2),
        );
        reg(&self.bus, IER).write(IER::UUE::SET);
        Ok(())
    }

    /// Enables or disables the receive interrupts (data available and time-out).
    pub fn set_rx_interrupt(&mut self, enabled: bool) {
        let v = if enabled { 1 } else { 0 };
        reg(&self.bus, IER).modify(IER::RAVIE.val(v) + IER::RTOIE.val(v) + IER::UUE::SET);
    }

    /// Sends one byte, waiting (bounded) for room in the transmitter. Returns `false` if the
    /// transmitter never became ready (UART disabled or broken); the byte is then lost.
    pub fn write_byte(&mut self, byte: u8) -> bool {
        for _ in 0..TX_POLL_LIMIT {
            if reg(&self.bus, LSR).is_set(LSR::THRE) {
                reg(&self.bus, DATA).set(u32::from(byte));
                return true;
            }
        }
        false
    }

    /// The next received byte, if any.
    pub fn read_byte(&mut self) -> Option<u8> {
        if reg(&self.bus, LSR).is_set(LSR::DR) {
            Some((reg(&self.bus, DATA).get() & 0xFF) as u8)
        } else {
            None
        }
    }

    /// Waits (bounded) until the shift register is empty, e.g. before a reset.
    pub fn flush(&mut self) {
        self.wait_tx_empty();
    }

    fn wait_tx_empty(&self) {
        for _ in 0..TX_POLL_LIMIT {
            if reg(&self.bus, LSR).is_set(LSR::TEMT) {
                return;
            }
        }
    }
}

impl<B: Bus> core::fmt::Write for Uart<B> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' && !self.write_byte(b'\r') {
                return Err(core::fmt::Error);
            }
            if !self.write_byte(byte) {
                return Err(core::fmt::Error);
            }
        }
        Ok(())
    }
}
