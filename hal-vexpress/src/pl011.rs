//! Arm PrimeCell PL011 UART, used as the console (UART0 at 0x1000_9000 on vexpress).
//!
//! Register layout: *PrimeCell UART (PL011) Technical Reference Manual*, r1p5, §3.2 "Summary of
//! registers". The driver is polled: the console is written from every context including the
//! panic handler, so transmit never depends on interrupts. QEMU's model (hw/char/pl011.c) has no
//! baud-rate generator, so the divisor is written for real hardware's sake only.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_structs! {
    /// PL011 register block (TRM §3.2).
    pub Pl011Registers {
        (0x000 => dr: ReadWrite<u32, DR::Register>),
        (0x004 => rsr_ecr: ReadWrite<u32>),
        (0x008 => _reserved0),
        (0x018 => fr: ReadOnly<u32, FR::Register>),
        (0x01c => _reserved1),
        (0x024 => ibrd: ReadWrite<u32>),
        (0x028 => fbrd: ReadWrite<u32>),
        (0x02c => lcr_h: ReadWrite<u32, LCR_H::Register>),
        (0x030 => cr: ReadWrite<u32, CR::Register>),
        (0x034 => ifls: ReadWrite<u32>),
        (0x038 => imsc: ReadWrite<u32>),
        (0x03c => ris: ReadOnly<u32>),
        (0x040 => mis: ReadOnly<u32>),
        (0x044 => icr: WriteOnly<u32>),
        (0x048 => @END),
    }
}

register_bitfields! [u32,
    /// Data register (TRM §3.3.1): receive error flags live above the data byte.
    DR [
        DATA OFFSET(0) NUMBITS(8) [],
        FE OFFSET(8) NUMBITS(1) [],
        PE OFFSET(9) NUMBITS(1) [],
        BE OFFSET(10) NUMBITS(1) [],
        OE OFFSET(11) NUMBITS(1) []
    ],
    /// Flag register (TRM §3.3.3).
    FR [
        BUSY OFFSET(3) NUMBITS(1) [],
        RXFE OFFSET(4) NUMBITS(1) [],
        TXFF OFFSET(5) NUMBITS(1) [],
        RXFF OFFSET(6) NUMBITS(1) [],
        TXFE OFFSET(7) NUMBITS(1) []
    ],
    /// Line control (TRM §3.3.7).
    LCR_H [
        FEN OFFSET(4) NUMBITS(1) [],
        WLEN OFFSET(5) NUMBITS(2) [Bits8 = 3]
    ],
    /// Control register (TRM §3.3.8).
    CR [
        UARTEN OFFSET(0) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        RXE OFFSET(9) NUMBITS(1) []
    ]
];

/// A PL011 at a fixed MMIO address.
pub struct Pl011 {
    regs: *const Pl011Registers,
}

// SAFETY: the driver holds only the MMIO address. Every access is a single volatile register read
// or write; concurrent transmitters can interleave bytes but cannot corrupt the device state.
unsafe impl Sync for Pl011 {}
// SAFETY: as above, the address is valid from any context.
unsafe impl Send for Pl011 {}

impl Pl011 {
    /// # Safety
    /// `base` must be the address of a PL011 register block, mapped as device memory, and no
    /// other code may reconfigure it.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            regs: base as *const Pl011Registers,
        }
    }

    fn regs(&self) -> &Pl011Registers {
        // SAFETY: `new`'s contract: `regs` points at a live register block for the program's life.
        unsafe { &*self.regs }
    }

    /// Programs 8N1 with FIFOs at `baud` from a `clock_hz` reference clock and enables TX and RX.
    pub fn init(&self, clock_hz: u32, baud: u32) {
        let regs = self.regs();
        regs.cr.set(0);
        // Baud divisor = clock / (16 × baud) as a 16.6 fixed-point number (TRM §3.3.6).
        // Rounded to the nearest 1/64: (8 × clock / baud + 1) / 2.
        let divisor_x64 = (u64::from(clock_hz) * 8 / u64::from(baud.max(1))).div_ceil(2);
        regs.ibrd.set((divisor_x64 >> 6) as u32);
        regs.fbrd.set((divisor_x64 & 0x3f) as u32);
        regs.lcr_h.write(LCR_H::WLEN::Bits8 + LCR_H::FEN::SET);
        regs.imsc.set(0);
        regs.icr.set(0x7ff);
        regs.cr.write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    /// Queues one byte, waiting while the transmit FIFO is full.
    pub fn write_byte(&self, byte: u8) {
        let regs = self.regs();
        while regs.fr.is_set(FR::TXFF) {
            core::hint::spin_loop();
        }
        regs.dr.set(u32::from(byte));
    }

    /// Waits until every queued byte has left the shift register.
    pub fn flush(&self) {
        let regs = self.regs();
        while regs.fr.is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
    }

    /// One received byte, if any. Bytes received with a framing, parity, break or overrun error
    /// are discarded.
    pub fn read_byte(&self) -> Option<u8> {
        let regs = self.regs();
        while !regs.fr.is_set(FR::RXFE) {
            let word = regs.dr.extract();
            if word.read(DR::FE) | word.read(DR::PE) | word.read(DR::BE) | word.read(DR::OE) == 0 {
                return Some(word.read(DR::DATA) as u8);
            }
            regs.rsr_ecr.set(0);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_block_matches_the_trm_layout() {
        assert_eq!(core::mem::size_of::<Pl011Registers>(), 0x48);
        assert_eq!(core::mem::offset_of!(Pl011Registers, fr), 0x18);
        assert_eq!(core::mem::offset_of!(Pl011Registers, cr), 0x30);
        assert_eq!(core::mem::offset_of!(Pl011Registers, icr), 0x44);
    }

    #[test]
    fn init_programs_divisor_format_and_enables() {
        let mut block = [0u32; 0x48 / 4];
        // SAFETY: `block` is a suitably aligned, live stand-in for the register block.
        let uart = unsafe { Pl011::new(block.as_mut_ptr() as usize) };
        // 24 MHz reference clock at 115200 baud: 24e6 / (16 × 115200) = 13.0208 → IBRD 13, FBRD 1.
        uart.init(24_000_000, 115_200);
        assert_eq!(block[0x24 / 4], 13);
        assert_eq!(block[0x28 / 4], 1);
        assert_eq!(block[0x2c / 4], 0x70);
        assert_eq!(block[0x30 / 4], 0x301);
    }

    #[test]
    fn write_byte_lands_in_the_data_register_when_the_fifo_has_room() {
        let mut block = [0u32; 0x48 / 4];
        // SAFETY: as above.
        let uart = unsafe { Pl011::new(block.as_mut_ptr() as usize) };
        uart.write_byte(b'Z');
        assert_eq!(block[0], u32::from(b'Z'));
    }
}
