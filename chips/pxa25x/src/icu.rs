//! The PXA25x interrupt controller: one level of 32 source bits (the first-level interrupts),
//! a mask, an IRQ/FIQ routing register, no priorities and no end-of-interrupt.
//!
//! Semantics: *Intel PXA255 Processor Developer's Manual* (order no. 278693) §4.2 "Interrupt
//! Controller". ICPR holds every asserted source (§4.2.2.5); a source reaches the CPU only if its
//! ICMR bit is 1 (§4.2.2.1); ICLR routes it to FIQ (1) or IRQ (0) (§4.2.2.2), and ICIP / ICFP
//! show the unmasked sources of each kind (§4.2.2.4). Clearing the cause at the source clears the
//! ICIP bit, so there is nothing to acknowledge here. ICCR.DIM = 1 makes the mask apply in idle
//! too (§4.2.2.3), so only unmasked sources end the kernel's WFI-style idle. Source numbers:
//! Table 4-36 (Linux `arch/arm/mach-pxa/include/mach/irqs.h`, `PXA_IRQ(n)`). Offsets and the base
//! 0x40D0_0000 also in QEMU `hw/arm/pxa2xx_pic.c` and Linux `arch/arm/mach-pxa/irq.c`.

use hil::IrqNumber;
use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

register_bitfields![u32,
    /// Interrupt controller control register (§4.2.2.3).
    pub ICCR [
        /// Disable idle mask: 1 = only unmasked sources bring the core out of idle.
        DIM OFFSET(0) NUMBITS(1) []
    ]
];

/// IRQ pending: asserted ∧ unmasked ∧ routed to IRQ (read-only).
pub const ICIP: RegDef = RegDef::at(0x00);
/// Mask: 1 = the source may interrupt.
pub const ICMR: RegDef = RegDef::at(0x04);
/// Level: 1 = FIQ, 0 = IRQ.
pub const ICLR: RegDef = RegDef::at(0x08);
/// FIQ pending: asserted ∧ unmasked ∧ routed to FIQ (read-only).
pub const ICFP: RegDef = RegDef::at(0x0C);
/// Every asserted source, masked or not (read-only).
pub const ICPR: RegDef = RegDef::at(0x10);
/// Control.
pub const ICCR_REG: RegDef<ICCR::Register> = RegDef::at(0x14);
/// Length of the register window.
pub const WINDOW_LEN: usize = 0x18;

/// First-level interrupt numbers used here (Table 4-36).
pub mod irq {
    /// The full-function UART.
    pub const FFUART: u32 = 22;
    /// OS timer match 0: the kernel's tick.
    pub const OST0: u32 = 26;
    /// OS timer match 1.
    pub const OST1: u32 = 27;
    /// OS timer match 2.
    pub const OST2: u32 = 28;
    /// OS timer match 3 (also the watchdog match).
    pub const OST3: u32 = 29;
}

/// The interrupt controller; implements [`hil::InterruptController`].
pub struct Icu<B: Bus> {
    bus: B,
}

impl<B: Bus> Icu<B> {
    /// Wraps the controller's register window; touches nothing.
    pub const fn new(bus: B) -> Self {
        Icu { bus }
    }

    /// Masks every source, routes every source to IRQ and makes the mask apply in idle.
    pub fn init(&self) {
        reg(&self.bus, ICMR).set(0);
        reg(&self.bus, ICLR).set(0);
        reg(&self.bus, ICCR_REG).write(ICCR::DIM::SET);
    }

    /// Sets or clears `irq`'s mask bit (ignored beyond 31). ICMR is read-modify-write, so a
    /// critical section keeps an interrupt handler's update from being lost.
    fn set_unmasked(&self, irq: IrqNumber, unmasked: bool) {
        let Some(bit) = 1u32.checked_shl(irq) else {
            return;
        };
        critical_section::with(|_| {
            let mask = reg(&self.bus, ICMR).get();
            let mask = if unmasked { mask | bit } else { mask & !bit };
            reg(&self.bus, ICMR).set(mask);
        });
    }

    /// The unmasked IRQ-routed sources now asserted, as a bit set (ICIP).
    pub fn pending(&self) -> u32 {
        reg(&self.bus, ICIP).get()
    }
}

impl<B: Bus + Sync> hil::InterruptController for Icu<B> {
    fn init(&self) {
        Icu::init(self);
    }
    fn enable(&self, irq: IrqNumber) {
        self.set_unmasked(irq, true);
    }
    fn disable(&self, irq: IrqNumber) {
        self.set_unmasked(irq, false);
    }
    /// The lowest-numbered pending source: the controller has no priorities (§4.2), so the
    /// order is this driver's choice.
    fn claim(&self) -> Option<IrqNumber> {
        let pending = self.pending();
        (pending != 0).then(|| pending.trailing_zeros())
    }
    /// Nothing to do: sources are levels, and the handler cleared the cause at the source.
    fn complete(&self, _irq: IrqNumber) {}
}
