//! The PXA25x OS timer: OSCR, a free-running 32-bit up-counter at 3.6864 MHz, and four match
//! registers. Match 0 is the kernel's tick; match 3 with OWER.WME set is the watchdog, which is
//! how the chip resets itself. One [`OsTimer`] implements [`hil::Clock`], [`hil::TickTimer`] and
//! [`hil::Power`].
//!
//! Semantics: *Intel PXA255 Processor Developer's Manual* (order no. 278693) §4.4 "Operating
//! System Timer": OSMR0..3 are compared with OSCR on every count; on equality, with the OIER bit
//! set, the OSSR bit is set and routed to the interrupt controller (§4.4.2.1, §4.4.2.2); OSSR bits
//! are cleared by writing 1, zeros have no effect (§4.4.2.5); OSCR counts the 3.6864 MHz clock
//! (§4.4.2.4); a match of OSMR3 while OWER.WME is set resets the processor (§4.4.1), and WME "can
//! only be cleared by one of the reset functions" (§4.4.2.3). Offsets (0x40A0_0000 + OSMR0..3
//! 0x00..0x0C, OSCR 0x10, OSSR 0x14, OWER 0x18, OIER 0x1C) also in QEMU
//! `hw/timer/pxa2xx_timer.c` (`PXA25X_FREQ` 3 686 400; a match of OSMR3 with OWER set resets
//! the machine) and Linux `drivers/clocksource/pxa_timer.c`.
//!
//! Why no [`hil::Watchdog`]: the kernel stops its watchdog before a deliberate power-off and
//! the trait promises [`hil::Watchdog::stop`]; once OWER.WME is set nothing but a reset clears it
//! (§4.4.2.3), so a PXA watchdog cannot be stopped. It is used only to reset on purpose.

use core::cell::Cell;

use critical_section::Mutex;
use hil::IrqNumber;
use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::register_bitfields;

use crate::icu;

register_bitfields![u32,
    /// One bit per match register: OSSR (status, write 1 to clear) and OIER (interrupt enable).
    pub MATCH [
        M0 OFFSET(0) NUMBITS(1) [],
        M1 OFFSET(1) NUMBITS(1) [],
        M2 OFFSET(2) NUMBITS(1) [],
        M3 OFFSET(3) NUMBITS(1) []
    ],
    /// Watchdog match enable (§4.4.2.3): set only, cleared only by a reset.
    pub OWER [
        WME OFFSET(0) NUMBITS(1) []
    ]
];

/// Match register 0 (the tick).
pub const OSMR0: RegDef = RegDef::at(0x00);
/// Match register 3 (the watchdog).
pub const OSMR3: RegDef = RegDef::at(0x0C);
/// The counter.
pub const OSCR: RegDef = RegDef::at(0x10);
/// Match status, write 1 to clear.
pub const OSSR: RegDef<MATCH::Register> = RegDef::at(0x14);
/// Watchdog match enable.
pub const OWER_REG: RegDef<OWER::Register> = RegDef::at(0x18);
/// Match interrupt enables.
pub const OIER: RegDef<MATCH::Register> = RegDef::at(0x1C);
/// Length of the register window.
pub const WINDOW_LEN: usize = 0x20;

/// OSCR's rate on the PXA25x (§4.4.2.4).
pub const OSCR_HZ: u32 = 3_686_400;
/// How long after [`hil::Power::reset`] the watchdog match fires: 1 ms of counts.
pub const RESET_DELAY: u32 = OSCR_HZ / 1000;

/// The OS timer.
pub struct OsTimer<B: Bus> {
    bus: B,
    /// The tick period in counts, set by [`OsTimer::start_tick`].
    period: Mutex<Cell<u32>>,
}

impl<B: Bus> OsTimer<B> {
    /// Wraps the timer's register window; touches nothing.
    pub const fn new(bus: B) -> Self {
        OsTimer {
            bus,
            period: Mutex::new(Cell::new(0)),
        }
    }

    /// The free-running counter.
    pub fn count(&self) -> u32 {
        reg(&self.bus, OSCR).get()
    }

    /// Arms match 0 `period` counts from now, clears a stale match and enables its interrupt
    /// ([`icu::irq::OST0`]); the other match registers' enables are kept.
    pub fn start_tick(&self, period: u32) {
        critical_section::with(|cs| {
            self.period.borrow(cs).set(period);
            reg(&self.bus, OSMR0).set(self.count().wrapping_add(period));
            reg(&self.bus, OSSR).write(MATCH::M0::SET);
            reg(&self.bus, OIER).modify(MATCH::M0::SET);
        });
    }

    /// If match 0 fired: re-arms it one period after the previous match, so the tick does not
    /// drift with interrupt latency (Linux 2.6's `arch/arm/mach-pxa/time.c`, `pxa_timer_interrupt`:
    /// `OSMR0 += LATCH`),
    /// or one period from now if the CPU has fallen more than a period behind (a match in the
    /// past would only come round again after OSCR wrapped, 19.4 minutes later); then clears
    /// it. Returns whether it had fired.
    pub fn acknowledge_tick(&self) -> bool {
        critical_section::with(|cs| {
            if !reg(&self.bus, OSSR).is_set(MATCH::M0) {
                return false;
            }
            let period = self.period.borrow(cs).get();
            let next = reg(&self.bus, OSMR0).get().wrapping_add(period);
            let now = self.count();
            // `next` still ahead of `now`, within one period (modulo 2^32)?
            let next = if next.wrapping_sub(now) <= period {
                next
            } else {
                now.wrapping_add(period)
            };
            reg(&self.bus, OSMR0).set(next);
            reg(&self.bus, OSSR).write(MATCH::M0::SET);
            true
        })
    }

    /// Arms the watchdog to reset the chip `delay` counts from now, the sequence of Linux's
    /// PXA `arch_reset` (`include/asm-arm/arch-pxa/system.h`: OWER = WME, OSSR = M3, OSMR3 =
    /// OSCR + delay). Irrevocable (§4.4.2.3). Returns once armed.
    pub fn arm_reset(&self, delay: u32) {
        critical_section::with(|_| {
            reg(&self.bus, OWER_REG).write(OWER::WME::SET);
            reg(&self.bus, OSSR).write(MATCH::M3::SET);
            reg(&self.bus, OSMR3).set(self.count().wrapping_add(delay));
        });
    }
}

/// OSCR as the clock: 32 bits, which the kernel extends to 64 (`kernel::time`), reading it at
/// least every tick, far more often than its 19.4-minute wrap.
impl<B: Bus + Sync> hil::Clock for OsTimer<B> {
    fn now_ticks(&self) -> u64 {
        u64::from(self.count())
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(OSCR_HZ)
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

/// Match 0 as the tick.
impl<B: Bus + Sync> hil::TickTimer for OsTimer<B> {
    fn irq(&self) -> IrqNumber {
        icu::irq::OST0
    }
    fn start_periodic(&self, hz: u32) {
        self.start_tick(OSCR_HZ / hz.max(1));
    }
    fn acknowledge(&self) -> bool {
        self.acknowledge_tick()
    }
}

/// Reset through the watchdog; the PXA25x cannot power itself off.
impl<B: Bus + Sync> hil::Power for OsTimer<B> {
    /// Arms the watchdog [`RESET_DELAY`] ahead and waits for it with interrupts masked.
    fn reset(&self) -> ! {
        self.arm_reset(RESET_DELAY);
        critical_section::with(|_| {
            loop {
                core::hint::spin_loop();
            }
        })
    }
    /// There is no power switch to drive, so this is the reset; under QEMU with `-no-reboot`
    /// the reset ends the run, which is what a test's "shutdown" needs.
    fn power_off(&self) -> ! {
        self.reset()
    }
}
