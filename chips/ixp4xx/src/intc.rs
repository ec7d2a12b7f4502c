//! The IXP42x interrupt controller: 32 level-sensitive sources, IRQ/FIQ routing, no priorities
//! used.
//!
//! Registers (Linux `drivers/irqchip/irq-ixp4xx.c`): ICPR 0x00 raw pending, ICMR 0x04 enable
//! mask (1 = enabled), ICLR 0x08 route (1 = FIQ), ICIP 0x0C IRQ status (pending ∧ enabled ∧
//! IRQ-routed). Sources are level-triggered at the controller: acknowledging happens at the
//! peripheral, the controller needs nothing. Numbers are in [`crate::map::irq`].
//!
//! [`InterruptController`] implements [`hil::InterruptController`] itself; its mask updates
//! are read-modify-writes of ICMR and run in a critical section.

use tock_registers::interfaces::{Readable, Writeable};

use hil::IrqNumber;
use hil::mmio::{Bus, RegDef, reg};

const ICPR: RegDef<()> = RegDef::at(0x00);
const ICMR: RegDef<()> = RegDef::at(0x04);
const ICLR: RegDef<()> = RegDef::at(0x08);
const ICIP: RegDef<()> = RegDef::at(0x0C);

/// Number of interrupt sources on the IXP42x.
pub const SOURCES: u32 = 32;

/// The interrupt controller.
#[derive(Debug)]
pub struct InterruptController<B: Bus> {
    bus: B,
}

impl<B: Bus> InterruptController<B> {
    /// Wraps a bus; does not touch the hardware.
    pub const fn new(bus: B) -> Self {
        InterruptController { bus }
    }

    /// Masks every source and routes all of them to IRQ (what Linux does at boot); call it
    /// first thing, before RedBoot's leftovers can interrupt.
    pub fn init(&self) {
        reg(&self.bus, ICMR).set(0);
        reg(&self.bus, ICLR).set(0);
    }

    /// Unmasks source `irq` (ignored if out of range).
    pub fn enable(&self, irq: u32) {
        self.update_mask(irq, |mask, bit| mask | bit);
    }

    /// Masks source `irq` (ignored if out of range).
    pub fn disable(&self, irq: u32) {
        self.update_mask(irq, |mask, bit| mask & !bit);
    }

    fn update_mask(&self, irq: u32, update: impl FnOnce(u32, u32) -> u32) {
        if irq < SOURCES {
            critical_section::with(|_| {
                let mask = reg(&self.bus, ICMR).get();
                reg(&self.bus, ICMR).set(update(mask, 1 << irq));
            });
        }
    }

    /// The enabled, IRQ-routed sources now asserted, as a bit set.
    pub fn pending_irqs(&self) -> u32 {
        reg(&self.bus, ICIP).get()
    }

    /// Every asserted source, enabled or not.
    pub fn raw_pending(&self) -> u32 {
        reg(&self.bus, ICPR).get()
    }

    /// The lowest-numbered pending IRQ, for a dispatcher that serves one source per pass.
    pub fn next_pending(&self) -> Option<u32> {
        let pending = self.pending_irqs();
        if pending == 0 {
            None
        } else {
            Some(pending.trailing_zeros())
        }
    }
}

impl<B: Bus + Sync> hil::InterruptController for InterruptController<B> {
    fn init(&self) {
        InterruptController::init(self);
    }
    fn enable(&self, irq: IrqNumber) {
        InterruptController::enable(self, irq);
    }
    fn disable(&self, irq: IrqNumber) {
        InterruptController::disable(self, irq);
    }
    fn claim(&self) -> Option<IrqNumber> {
        self.next_pending()
    }
    /// Nothing to do: sources are level-triggered at the controller (Linux `irq-ixp4xx.c`
    /// acknowledges only GPIO edge sources, in the GPIO block); the handler has cleared the
    /// cause in the device.
    fn complete(&self, _irq: IrqNumber) {}
}

/// Iterates over the set bits of an interrupt status word, lowest first.
pub fn sources(mut status: u32) -> impl Iterator<Item = u32> {
    core::iter::from_fn(move || {
        if status == 0 {
            None
        } else {
            let irq = status.trailing_zeros();
            status &= status - 1;
            Some(irq)
        }
    })
}
