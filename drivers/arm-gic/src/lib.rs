//! Arm Generic Interrupt Controller as found in the Cortex-A9 MPCore (GICv1 with security
//! extensions); implements [`hil::InterruptController`].
//!
//! Register layout: *ARM Generic Interrupt Controller Architecture Specification* v1.0/v2.0,
//! §4.1.2 (distributor) and §4.1.3 (CPU interface). On the A9 MPCore the distributor sits at
//! PERIPHBASE + 0x1000 and the CPU interface at PERIPHBASE + 0x100 (*Cortex-A9 MPCore TRM*
//! §1.5). The firmware runs in the Secure state (QEMU's vexpress defaults to `secure=on`),
//! where every interrupt is Group 0 and signalled as IRQ.
//! Interrupt IDs: 0–15 SGI, 16–31 PPI (A9 private timer = 29), 32+ SPI.
//!
//! # Where things are
//!
//! | item | what |
//! |---|---|
//! | `GICD_*` constants | distributor register offsets (spec §4.1.2) |
//! | `GICC_*` constants | CPU interface register offsets (spec §4.1.3) |
//! | [`Gic`] | the driver over two [`hil::mmio::Bus`] windows; [`hil::InterruptController`] |
#![cfg_attr(not(test), no_std)]

use hil::IrqNumber;
use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

/// Interrupt ID the CPU interface returns when nothing is pending (GIC spec §3.2.5).
pub const SPURIOUS: u32 = 1023;

register_bitfields! [u32,
    /// GICD_TYPER (spec §4.3.2).
    pub TYPER [
        IT_LINES_NUMBER OFFSET(0) NUMBITS(5) []
    ],
    /// GICC_IAR (spec §4.4.4).
    pub IAR [
        INTERRUPT_ID OFFSET(0) NUMBITS(10) []
    ]
];

/// GICD_CTLR.
pub const GICD_CTLR: RegDef = RegDef::at(0x000);
/// GICD_TYPER.
pub const GICD_TYPER: RegDef<TYPER::Register> = RegDef::at(0x004);
/// GICD_IGROUPRn, one bit per ID.
pub const GICD_IGROUPR: RegDef = RegDef::at(0x080);
/// GICD_ISENABLERn.
pub const GICD_ISENABLER: RegDef = RegDef::at(0x100);
/// GICD_ICENABLERn.
pub const GICD_ICENABLER: RegDef = RegDef::at(0x180);
/// GICD_ICPENDRn.
pub const GICD_ICPENDR: RegDef = RegDef::at(0x280);
/// GICD_ICACTIVERn.
pub const GICD_ICACTIVER: RegDef = RegDef::at(0x380);
/// GICD_IPRIORITYRn, one byte per ID.
pub const GICD_IPRIORITYR: RegDef = RegDef::at(0x400);
/// GICD_ITARGETSRn, one byte per ID.
pub const GICD_ITARGETSR: RegDef = RegDef::at(0x800);
/// GICD_ICFGRn, two bits per ID.
pub const GICD_ICFGR: RegDef = RegDef::at(0xc00);
/// Distributor window length (up to the end of the ICFGR bank).
pub const DISTRIBUTOR_LEN: usize = 0x1000;

/// GICC_CTLR.
pub const GICC_CTLR: RegDef = RegDef::at(0x00);
/// GICC_PMR: priority mask.
pub const GICC_PMR: RegDef = RegDef::at(0x04);
/// GICC_BPR: binary point.
pub const GICC_BPR: RegDef = RegDef::at(0x08);
/// GICC_IAR: interrupt acknowledge (reading claims).
pub const GICC_IAR: RegDef<IAR::Register> = RegDef::at(0x0c);
/// GICC_EOIR: end of interrupt.
pub const GICC_EOIR: RegDef = RegDef::at(0x10);
/// CPU interface window length.
pub const CPU_INTERFACE_LEN: usize = 0x100;

/// Default priority for every interrupt: mid-range, so a later design can place urgent sources
/// above it without renumbering.
const DEFAULT_PRIORITY: u8 = 0xa0;

/// The GIC of a single-core system: distributor bus `D`, CPU interface bus `C`.
pub struct Gic<D: Bus, C: Bus> {
    dist: D,
    cpu: C,
}

impl<D: Bus, C: Bus> Gic<D, C> {
    /// The driver for the GIC whose distributor and CPU interface the buses reach.
    pub const fn new(distributor: D, cpu_interface: C) -> Self {
        Self {
            dist: distributor,
            cpu: cpu_interface,
        }
    }

    /// Number of interrupt IDs the distributor implements: 32 × (ITLinesNumber + 1).
    pub fn line_count(&self) -> u32 {
        32 * (reg(&self.dist, GICD_TYPER).read(TYPER::IT_LINES_NUMBER) + 1)
    }

    /// Puts the distributor and CPU interface in a known state: everything disabled, cleared,
    /// Group 0, default priority, SPIs routed to CPU 0, level-sensitive; then enables both.
    pub fn init(&self) {
        let dist = &self.dist;
        let banks = (self.line_count() / 32) as usize;
        reg(dist, GICD_CTLR).set(0);
        for bank in 0..banks.min(32) {
            reg(dist, GICD_ICENABLER.nth(bank, 4)).set(u32::MAX);
            reg(dist, GICD_ICPENDR.nth(bank, 4)).set(u32::MAX);
            reg(dist, GICD_ICACTIVER.nth(bank, 4)).set(u32::MAX);
            reg(dist, GICD_IGROUPR.nth(bank, 4)).set(0);
        }
        let priority_word = u32::from_ne_bytes([DEFAULT_PRIORITY; 4]);
        for word in 0..(banks * 8).min(255) {
            reg(dist, GICD_IPRIORITYR.nth(word, 4)).set(priority_word);
        }
        // ITARGETSR for IDs 0–31 is read-only (banked per CPU); SPIs start at word 8.
        for word in 8..(banks * 8).min(255) {
            reg(dist, GICD_ITARGETSR.nth(word, 4)).set(0x0101_0101);
        }
        // Level-sensitive for every SPI (ICFGR fields 0b00 / 0b01); word 0 (SGIs) is read-only.
        for word in 2..(banks * 2).min(64) {
            reg(dist, GICD_ICFGR.nth(word, 4)).set(0);
        }
        reg(dist, GICD_CTLR).set(1);
        reg(&self.cpu, GICC_PMR).set(0xff);
        reg(&self.cpu, GICC_BPR).set(0);
        reg(&self.cpu, GICC_CTLR).set(1);
    }

    /// Lets interrupt `id` reach the CPU.
    pub fn enable(&self, id: u32) {
        if id < self.line_count() {
            reg(&self.dist, GICD_ISENABLER.nth((id / 32) as usize, 4)).set(1 << (id % 32));
        }
    }

    /// Stops interrupt `id` from reaching the CPU.
    pub fn disable(&self, id: u32) {
        if id < self.line_count() {
            reg(&self.dist, GICD_ICENABLER.nth((id / 32) as usize, 4)).set(1 << (id % 32));
        }
    }

    /// Acknowledges the highest-priority pending interrupt; `None` if it was spurious.
    pub fn acknowledge(&self) -> Option<u32> {
        let id = reg(&self.cpu, GICC_IAR).read(IAR::INTERRUPT_ID);
        (id < SPURIOUS.min(self.line_count())).then_some(id)
    }

    /// Signals the end of handling an interrupt returned by [`Gic::acknowledge`].
    pub fn end_of_interrupt(&self, id: u32) {
        reg(&self.cpu, GICC_EOIR).set(id);
    }
}

impl<D: Bus + Sync, C: Bus + Sync> hil::InterruptController for Gic<D, C> {
    fn init(&self) {
        Gic::init(self);
    }
    fn enable(&self, irq: IrqNumber) {
        Gic::enable(self, irq);
    }
    fn disable(&self, irq: IrqNumber) {
        Gic::disable(self, irq);
    }
    fn claim(&self) -> Option<IrqNumber> {
        self.acknowledge()
    }
    fn complete(&self, irq: IrqNumber) {
        self.end_of_interrupt(irq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Plain memory standing in for a register window.
    struct Block(RefCell<Vec<u32>>);
    impl Block {
        fn new(len: usize) -> Self {
            Block(RefCell::new(vec![0; len / 4]))
        }
        fn word(&self, offset: usize) -> u32 {
            self.0.borrow()[offset / 4]
        }
        fn set(&self, offset: usize, value: u32) {
            self.0.borrow_mut()[offset / 4] = value;
        }
    }
    impl Bus for Block {
        fn read(&self, offset: usize) -> u32 {
            self.word(offset)
        }
        fn write(&self, offset: usize, value: u32) {
            self.set(offset, value)
        }
    }

    #[test]
    fn layout_matches_the_specification() {
        assert_eq!(GICD_ISENABLER.offset(), 0x100);
        assert_eq!(GICD_IPRIORITYR.offset(), 0x400);
        assert_eq!(GICD_ITARGETSR.offset(), 0x800);
        assert_eq!(GICD_ICFGR.offset(), 0xc00);
        assert_eq!(GICC_EOIR.offset(), 0x10);
    }

    #[test]
    fn init_routes_spis_and_enable_sets_the_right_bit() {
        let dist = Block::new(0xd00);
        dist.set(4, 0x402); // GICD_TYPER as QEMU's A9 reports it: 96 lines, security extensions.
        let gic = Gic::new(dist, Block::new(0x1c));
        assert_eq!(gic.line_count(), 96);
        gic.init();
        assert_eq!(gic.dist.word(0), 1, "distributor enabled");
        assert_eq!(
            gic.dist.word(0x800 + 8 * 4),
            0x0101_0101,
            "SPIs 32-35 target CPU 0"
        );
        assert_eq!(
            gic.dist.word(0x400 + 11 * 4),
            0xa0a0_a0a0,
            "ID 47's priority word"
        );
        assert_eq!((gic.cpu.word(0), gic.cpu.word(4)), (1, 0xff));
        gic.enable(47);
        assert_eq!(gic.dist.word(0x100 + 4), 1 << 15);
        gic.enable(200); // beyond the implemented lines: ignored, not a wild write
        assert_eq!(gic.dist.word(0x100 + 6 * 4), 0);
    }

    #[test]
    fn spurious_and_out_of_range_ids_are_not_acknowledged() {
        let dist = Block::new(0xd00);
        dist.set(4, 0x2);
        let gic = Gic::new(dist, Block::new(0x1c));
        gic.cpu.set(0x0c, SPURIOUS);
        assert_eq!(gic.acknowledge(), None);
        gic.cpu.set(0x0c, 29);
        assert_eq!(gic.acknowledge(), Some(29));
    }
}
