//! MPIC, the Armada 370/XP interrupt controller.
//!
//! Source: Linux `drivers/irqchip/irq-armada-370-xp.c` (offsets, the per-CPU/global split, the
//! acknowledge loop) and `armada-370-xp.dtsi` (`interrupt-controller@20a00`: main block at
//! 0x20A00, per-CPU "current CPU" block at 0x21870).
//!
//! Two layers gate every interrupt: the global enable (main block SET/CLEAR_ENABLE, by number)
//! and the per-CPU mask (per-CPU block SET/CLEAR_MASK, by number). Linux keeps interrupts
//! 0..=28 ("per-CPU": doorbells, local timers, the mvneta ports) globally enabled and toggles
//! their per-CPU mask, and keeps global ones (29+) unmasked per CPU and toggles their global
//! enable. [`Mpic::enable`] opens both layers, [`Mpic::disable`] closes the one Linux uses.
//!
//! There is no end-of-interrupt register: sources are level-triggered, so the handler must
//! clear the cause in the device before interrupts are re-enabled on the CPU. Device-side
//! per-CPU mapping matters too: mvneta only reports causes for queues granted to the CPU in its
//! CPU_MAP register (the driver sets it; see [`crate::mvneta`]).

use core::sync::atomic::{AtomicU32, Ordering};

use crate::map::irq::MAX_PER_CPU;
use hil::mmio::{Bus, RegDef, reg};
use hil::{InterruptController, IrqNumber};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

register_bitfields![u32,
    /// Main block control (`ARMADA_370_XP_INT_CONTROL`).
    pub CONTROL [
        /// Number of interrupt sources (`(control >> 2) & 0x3ff` in Linux's probe).
        SOURCES OFFSET(2) NUMBITS(10) []
    ],
    /// Per-CPU interrupt acknowledge (`ARMADA_370_XP_CPU_INTACK_OFFS`).
    pub INTACK [
        /// The claimed interrupt number (`irqstat & 0x3FF` in `armada_370_xp_handle_irq`).
        IRQ OFFSET(0) NUMBITS(10) []
    ]
];

/// Main block: control.
const MAIN_CONTROL: RegDef<CONTROL::Register> = RegDef::at(0x00);
/// Main block: enable interrupt number written (`ARMADA_370_XP_INT_SET_ENABLE_OFFS`).
const MAIN_SET_ENABLE: RegDef = RegDef::at(0x30);
/// Main block: disable interrupt number written (`ARMADA_370_XP_INT_CLEAR_ENABLE_OFFS`).
const MAIN_CLEAR_ENABLE: RegDef = RegDef::at(0x34);
/// Per-CPU block: acknowledge (1023 = none).
const CPU_INTACK: RegDef<INTACK::Register> = RegDef::at(0x44);
/// Per-CPU block: mask interrupt number written (`ARMADA_370_XP_INT_SET_MASK_OFFS`).
const CPU_SET_MASK: RegDef = RegDef::at(0x48);
/// Per-CPU block: unmask interrupt number written (`ARMADA_370_XP_INT_CLEAR_MASK_OFFS`).
const CPU_CLEAR_MASK: RegDef = RegDef::at(0x4C);
/// Acknowledge value meaning "nothing pending" (Linux: `irqnr > 1022`).
const SPURIOUS: u32 = 1023;

/// Upper bound used when CONTROL reads nonsense (the A370 has 117 sources).
const MAX_SOURCES: u32 = 1024;

/// The MPIC as seen by CPU 0.
pub struct Mpic<M: Bus, C: Bus> {
    main: M,
    cpu: C,
    /// Number of sources, from CONTROL (read by `new` and again by `init`).
    sources: AtomicU32,
}

impl<M: Bus, C: Bus> Mpic<M, C> {
    /// Wraps the buses and reads the number of sources.
    pub fn new(main: M, cpu: C) -> Self {
        let mpic = Self::unprobed(main, cpu);
        mpic.probe();
        mpic
    }

    /// Wraps the buses without touching them, so [`crate::Peripherals::take`] reads nothing;
    /// until [`Mpic::init`] reads the number of sources every number below 1024 is accepted.
    pub const fn unprobed(main: M, cpu: C) -> Self {
        Mpic {
            main,
            cpu,
            sources: AtomicU32::new(MAX_SOURCES),
        }
    }

    fn probe(&self) {
        let sources = reg(&self.main, MAIN_CONTROL)
            .read(CONTROL::SOURCES)
            .clamp(1, MAX_SOURCES);
        self.sources.store(sources, Ordering::Relaxed);
    }

    /// Number of interrupt sources the controller reports.
    pub fn sources(&self) -> u32 {
        self.sources.load(Ordering::Relaxed)
    }

    /// Disables and masks every source (Linux's probe does the same before mapping any).
    pub fn init(&self) {
        self.probe();
        for n in 0..self.sources() {
            reg(&self.main, MAIN_CLEAR_ENABLE).set(n);
            reg(&self.cpu, CPU_SET_MASK).set(n);
        }
    }

    /// Lets interrupt `n` reach CPU 0.
    pub fn enable(&self, n: u32) {
        if n >= self.sources() {
            return;
        }
        reg(&self.main, MAIN_SET_ENABLE).set(n);
        reg(&self.cpu, CPU_CLEAR_MASK).set(n);
    }

    /// Stops interrupt `n` (per-CPU mask for 0..=28, global enable for the others).
    pub fn disable(&self, n: u32) {
        if n >= self.sources() {
            return;
        }
        if n <= MAX_PER_CPU {
            reg(&self.cpu, CPU_SET_MASK).set(n);
        } else {
            reg(&self.main, MAIN_CLEAR_ENABLE).set(n);
        }
    }

    /// The highest-priority pending interrupt, acknowledged; `None` when nothing is pending.
    /// Call in a loop from the IRQ vector until it returns `None`.
    pub fn claim(&self) -> Option<u32> {
        let n = reg(&self.cpu, CPU_INTACK).read(INTACK::IRQ);
        if n >= SPURIOUS { None } else { Some(n) }
    }
}

/// Every method is one register write or read (or, for `init`, a series of independent ones),
/// so no critical section is needed.
impl<M: Bus + Sync, C: Bus + Sync> InterruptController for Mpic<M, C> {
    fn init(&self) {
        Mpic::init(self)
    }
    fn enable(&self, irq: IrqNumber) {
        Mpic::enable(self, irq)
    }
    fn disable(&self, irq: IrqNumber) {
        Mpic::disable(self, irq)
    }
    fn claim(&self) -> Option<IrqNumber> {
        Mpic::claim(self)
    }
    /// Nothing to do: the MPIC has no end-of-interrupt register (Linux `irq-armada-370-xp.c`
    /// has no `irq_eoi` for the MPIC chip). Its sources are level-triggered, and the handler
    /// has already cleared the cause in the device.
    fn complete(&self, _irq: IrqNumber) {}
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::RefCell;
    use std::vec::Vec;

    /// Records writes; INTACK pops from a queue.
    struct Rec {
        writes: RefCell<Vec<(usize, u32)>>,
        control: u32,
        acks: RefCell<Vec<u32>>,
    }
    impl Bus for Rec {
        fn read(&self, o: usize) -> u32 {
            match o {
                o if o == MAIN_CONTROL.offset() => self.control,
                o if o == CPU_INTACK.offset() => self.acks.borrow_mut().pop().unwrap_or(0x3FF),
                _ => 0,
            }
        }
        fn write(&self, o: usize, v: u32) {
            self.writes.borrow_mut().push((o, v));
        }
    }
    fn rec(control: u32) -> Rec {
        Rec {
            writes: RefCell::new(Vec::new()),
            control,
            acks: RefCell::new(Vec::new()),
        }
    }

    #[test]
    fn enable_opens_both_layers_and_disable_closes_the_linux_one() {
        let (main, cpu) = (rec(117 << 2), rec(0));
        let mpic = Mpic::new(&main, &cpu);
        assert_eq!(mpic.sources(), 117);
        mpic.enable(8);
        mpic.enable(41);
        mpic.disable(8);
        mpic.disable(41);
        mpic.enable(500); // out of range: ignored
        assert_eq!(
            *main.writes.borrow(),
            [
                (MAIN_SET_ENABLE.offset(), 8),
                (MAIN_SET_ENABLE.offset(), 41),
                (MAIN_CLEAR_ENABLE.offset(), 41)
            ]
        );
        assert_eq!(
            *cpu.writes.borrow(),
            [
                (CPU_CLEAR_MASK.offset(), 8),
                (CPU_CLEAR_MASK.offset(), 41),
                (CPU_SET_MASK.offset(), 8)
            ]
        );
    }

    #[test]
    fn claim_masks_the_number_and_stops_at_1023() {
        let (main, cpu) = (rec(117 << 2), rec(0));
        cpu.acks.borrow_mut().extend([0x3FF, 0x1C00 | 41, 8]);
        let mpic = Mpic::new(&main, &cpu);
        assert_eq!(mpic.claim(), Some(8));
        assert_eq!(mpic.claim(), Some(41));
        assert_eq!(mpic.claim(), None);
    }
}
