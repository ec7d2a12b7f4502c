//! The PXA255 interrupt controller: 32 level-sensitive sources, a mask and an IRQ/FIQ routing
//! register, no priorities and no end-of-interrupt.
//!
//! Sources: Linux `arch/arm/mach-pxa/irq.c` and `pxa-regs.h` (ICIP 0x00, ICMR 0x04, ICLR 0x08,
//! ICCR 0x14 at 0x40D0_0000), `irqs.h` (`IRQ_OST0` = 26); QEMU `hw/arm/pxa2xx_pic.c` (same
//! offsets, `PXA2XX_PIC_OST_0` = 26).

use super::Registers;

/// Interrupt controller register block.
pub const ICU_BASE: usize = 0x40D0_0000;
/// OS timer match 0.
pub const IRQ_OST0: u32 = 26;

const ICIP: usize = 0x00;
const ICMR: usize = 0x04;
const ICLR: usize = 0x08;
const ICCR: usize = 0x14;
/// ICCR.DIM: only unmasked sources wake the core from idle.
const ICCR_DIM: u32 = 1 << 0;

/// The interrupt controller.
pub struct Icu {
    regs: Registers,
}

impl Icu {
    /// The controller whose registers are `regs`.
    pub const fn new(regs: Registers) -> Self {
        Self { regs }
    }

    /// Masks everything, routes everything to IRQ, and lets only unmasked sources end idle.
    pub fn init(&self) {
        self.regs.write(ICMR, 0);
        self.regs.write(ICLR, 0);
        self.regs.write(ICCR, ICCR_DIM);
    }

    /// Unmasks `irq` (ignored beyond 31). Read-modify-write: the caller serialises.
    pub fn enable(&self, irq: u32) {
        if let Some(bit) = 1u32.checked_shl(irq) {
            self.regs.write(ICMR, self.regs.read(ICMR) | bit);
        }
    }

    /// Masks `irq` (ignored beyond 31). Read-modify-write: the caller serialises.
    pub fn disable(&self, irq: u32) {
        if let Some(bit) = 1u32.checked_shl(irq) {
            self.regs.write(ICMR, self.regs.read(ICMR) & !bit);
        }
    }

    /// The lowest-numbered pending, unmasked, IRQ-routed source.
    pub fn next_pending(&self) -> Option<u32> {
        let pending = self.regs.read(ICIP);
        (pending != 0).then(|| pending.trailing_zeros())
    }
}
