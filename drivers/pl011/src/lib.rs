//! Arm PrimeCell PL011 UART, used as the console; implements [`hil::Console`].
//!
//! Register layout: *PrimeCell UART (PL011) Technical Reference Manual*, r1p5, §3.2 "Summary of
//! registers". The driver is polled: the console is written from every context including the
//! panic handler, so transmit never depends on interrupts. QEMU's model (hw/char/pl011.c) has no
//! baud-rate generator, so the divisor is written for real hardware's sake only.
//!
//! # Where things are
//!
//! | item | what |
//! |---|---|
//! | [`DR`], [`FR`], [`LCR_H`], [`CR`] and the `RegDef` constants | register offsets (TRM §3.2) and fields |
//! | [`Pl011`] | the driver over any [`hil::mmio::Bus`]: [`Pl011::init`], byte I/O, [`hil::Console`] |
#![cfg_attr(not(test), no_std)]

use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

register_bitfields! [u32,
    /// Data register (TRM §3.3.1): receive error flags live above the data byte.
    pub DR [
        DATA OFFSET(0) NUMBITS(8) [],
        FE OFFSET(8) NUMBITS(1) [],
        PE OFFSET(9) NUMBITS(1) [],
        BE OFFSET(10) NUMBITS(1) [],
        OE OFFSET(11) NUMBITS(1) []
    ],
    /// Flag register (TRM §3.3.3).
    pub FR [
        BUSY OFFSET(3) NUMBITS(1) [],
        RXFE OFFSET(4) NUMBITS(1) [],
        TXFF OFFSET(5) NUMBITS(1) [],
        RXFF OFFSET(6) NUMBITS(1) [],
        TXFE OFFSET(7) NUMBITS(1) []
    ],
    /// Line control (TRM §3.3.7).
    pub LCR_H [
        FEN OFFSET(4) NUMBITS(1) [],
        WLEN OFFSET(5) NUMBITS(2) [Bits8 = 3]
    ],
    /// Control register (TRM §3.3.8).
    pub CR [
        UARTEN OFFSET(0) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        RXE OFFSET(9) NUMBITS(1) []
    ]
];

/// UARTDR.
pub const UARTDR: RegDef<DR::Register> = RegDef::at(0x000);
/// UARTRSR/UARTECR: receive status / error clear.
pub const UARTRSR_ECR: RegDef = RegDef::at(0x004);
/// UARTFR.
pub const UARTFR: RegDef<FR::Register> = RegDef::at(0x018);
/// UARTIBRD: integer baud divisor.
pub const UARTIBRD: RegDef = RegDef::at(0x024);
/// UARTFBRD: fractional baud divisor.
pub const UARTFBRD: RegDef = RegDef::at(0x028);
/// UARTLCR_H.
pub const UARTLCR_H: RegDef<LCR_H::Register> = RegDef::at(0x02c);
/// UARTCR.
pub const UARTCR: RegDef<CR::Register> = RegDef::at(0x030);
/// UARTIMSC: interrupt mask.
pub const UARTIMSC: RegDef = RegDef::at(0x038);
/// UARTICR: interrupt clear.
pub const UARTICR: RegDef = RegDef::at(0x044);
/// Size of the register window (the PrimeCell ID registers end at 0x1000).
pub const WINDOW_LEN: usize = 0x1000;

/// A PL011 behind bus `B` (an owned [`hil::mmio::Mmio`] on hardware).
pub struct Pl011<B: Bus> {
    bus: B,
}

impl<B: Bus> Pl011<B> {
    /// The driver for the PL011 whose registers `bus` reaches. Touches nothing until
    /// [`Pl011::init`].
    pub const fn new(bus: B) -> Self {
        Self { bus }
    }

    /// Programs 8N1 with FIFOs at `baud` from a `clock_hz` reference clock and enables TX and RX.
    pub fn init(&self, clock_hz: u32, baud: u32) {
        let bus = &self.bus;
        reg(bus, UARTCR).set(0);
        // Baud divisor = clock / (16 × baud) as a 16.6 fixed-point number (TRM §3.3.6).
        // Rounded to the nearest 1/64: (8 × clock / baud + 1) / 2.
        let divisor_x64 = (u64::from(clock_hz) * 8 / u64::from(baud.max(1))).div_ceil(2);
        reg(bus, UARTIBRD).set((divisor_x64 >> 6) as u32);
        reg(bus, UARTFBRD).set((divisor_x64 & 0x3f) as u32);
        reg(bus, UARTLCR_H).write(LCR_H::WLEN::Bits8 + LCR_H::FEN::SET);
        reg(bus, UARTIMSC).set(0);
        reg(bus, UARTICR).set(0x7ff);
        reg(bus, UARTCR).write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    /// Queues one byte, waiting while the transmit FIFO is full.
    pub fn write_byte(&self, byte: u8) {
        while reg(&self.bus, UARTFR).is_set(FR::TXFF) {
            core::hint::spin_loop();
        }
        reg(&self.bus, UARTDR).set(u32::from(byte));
    }

    /// Waits until every queued byte has left the shift register.
    pub fn flush(&self) {
        while reg(&self.bus, UARTFR).is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
    }

    /// One received byte, if any. Bytes received with a framing, parity, break or overrun error
    /// are discarded.
    pub fn read_byte(&self) -> Option<u8> {
        while !reg(&self.bus, UARTFR).is_set(FR::RXFE) {
            let word = reg(&self.bus, UARTDR).extract();
            if word.read(DR::FE) | word.read(DR::PE) | word.read(DR::BE) | word.read(DR::OE) == 0 {
                return Some(word.read(DR::DATA) as u8);
            }
            reg(&self.bus, UARTRSR_ECR).set(0);
        }
        None
    }
}

impl<B: Bus + Sync> hil::Console for Pl011<B> {
    fn write_bytes(&self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_byte(b));
    }
    fn read_byte(&self) -> Option<u8> {
        Pl011::read_byte(self)
    }
    fn flush(&self) {
        Pl011::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Plain memory standing in for the register block.
    struct Block(RefCell<[u32; 0x48 / 4]>);
    impl Bus for Block {
        fn read(&self, offset: usize) -> u32 {
            self.0.borrow()[offset / 4]
        }
        fn write(&self, offset: usize, value: u32) {
            self.0.borrow_mut()[offset / 4] = value;
        }
    }

    #[test]
    fn register_offsets_match_the_trm_layout() {
        assert_eq!(UARTFR.offset(), 0x18);
        assert_eq!(UARTCR.offset(), 0x30);
        assert_eq!(UARTICR.offset(), 0x44);
    }

    #[test]
    fn init_programs_divisor_format_and_enables() {
        let uart = Pl011::new(Block(RefCell::new([0; 0x48 / 4])));
        // 24 MHz reference clock at 115200 baud: 24e6 / (16 × 115200) = 13.0208 → IBRD 13, FBRD 1.
        uart.init(24_000_000, 115_200);
        let block = uart.bus.0.borrow();
        assert_eq!(block[0x24 / 4], 13);
        assert_eq!(block[0x28 / 4], 1);
        assert_eq!(block[0x2c / 4], 0x70);
        assert_eq!(block[0x30 / 4], 0x301);
    }

    #[test]
    fn write_byte_lands_in_the_data_register_when_the_fifo_has_room() {
        let uart = Pl011::new(Block(RefCell::new([0; 0x48 / 4])));
        uart.write_byte(b'Z');
        assert_eq!(uart.bus.0.borrow()[0], u32::from(b'Z'));
    }
}
