//! The PXA255 full-function UART (FFUART): a 16550 with registers on a 4-byte stride, plus the
//! XScale unit-enable bit IER.UUE without which the real chip ignores the port.
//!
//! Sources: Linux `arch/arm/mach-pxa/include/mach/pxa-regs.h` (`FFUART` at 0x4010_0000,
//! `IER_UUE` = bit 6), `drivers/tty/serial/pxa.c`; QEMU `hw/arm/pxa2xx.c` (`pxa2xx_serial_init`
//! with `regshift` 2 at 0x4010_0000, connected to the first `-serial`).

use super::Registers;

/// FFUART register block.
pub const FFUART_BASE: usize = 0x4010_0000;

const RBR_THR: usize = 0x00;
const IER: usize = 0x04;
const LSR: usize = 0x14;
/// IER: UART unit enable (XScale extension).
const IER_UUE: u32 = 1 << 6;
/// LSR: receive data ready.
const LSR_DR: u32 = 1 << 0;
/// LSR: transmit holding register empty.
const LSR_THRE: u32 = 1 << 5;
/// LSR: transmitter empty (shift register too).
const LSR_TEMT: u32 = 1 << 6;
/// Polls of LSR before a byte is given up: a broken UART must not hang the console.
const POLL_LIMIT: u32 = 100_000;

/// A polled PXA UART.
pub struct Uart {
    regs: Registers,
}

impl Uart {
    /// The UART whose registers are `regs`.
    pub const fn new(regs: Registers) -> Self {
        Self { regs }
    }

    /// Enables the unit with every UART interrupt off; the line settings stay as they are (QEMU
    /// does not model the baud rate, and there is no bootloader that set one).
    pub fn enable(&self) {
        self.regs.write(IER, IER_UUE);
    }

    /// Sends one byte, waiting (bounded) for room; the byte is dropped if none comes.
    pub fn write_byte(&self, byte: u8) {
        if self.wait_for(LSR_THRE) {
            self.regs.write(RBR_THR, u32::from(byte));
        }
    }

    /// A received byte, if one is waiting.
    pub fn read_byte(&self) -> Option<u8> {
        (self.regs.read(LSR) & LSR_DR != 0).then(|| (self.regs.read(RBR_THR) & 0xff) as u8)
    }

    /// Waits (bounded) until everything written has left the transmitter.
    pub fn flush(&self) {
        self.wait_for(LSR_TEMT);
    }

    fn wait_for(&self, bit: u32) -> bool {
        (0..POLL_LIMIT).any(|_| self.regs.read(LSR) & bit != 0)
    }
}
