//! The global watchdog and the system soft reset.
//!
//! Watchdog: Linux `drivers/watchdog/orion_wdt.c` (`armada370_data`, `armada370_start`,
//! `armada370_wdt_clock_init`): it lives in the global timer block (0x20300): counter at +0x34,
//! CTRL bit 8 enables it, CTRL bits 16.. hold its prescaler (Linux writes 5 there, i.e. /32 of
//! nbclk), event status bit 31 means "expired"; a second register, RSTOUT at 0x20704, bit 8
//! lets the expiry reset the chip. The counter counts down at the prescaled rate.
//!
//! Reset: Linux `arch/arm/mach-mvebu/system-controller.c` (`armada_370_xp_system_controller`):
//! in the system controller (0x18200), bit 0 of register 0x60 (RSTOUTn mask) enables the global
//! soft reset and bit 0 of register 0x64 triggers it. U-Boot's mvebu reset/sysreset driver (`MVEBU_RSTOUTN_MASK_REG`,
//! `MVEBU_SYS_SOFT_RST_REG`) uses the same offsets for every Armada except the 375.

use core::sync::atomic::{AtomicU32, Ordering};

use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::register_bitfields;

use crate::timer::{CTRL, EVENTS, GLOBAL_EVENTS_STATUS};

register_bitfields![u32,
    /// RSTOUT mask (`orion_wdt.c`: `armada370_data.rstout_enable_bit`, `BIT(8)`).
    pub RSTOUT [
        /// A watchdog expiry asserts the chip reset.
        WDT OFFSET(8) NUMBITS(1) []
    ],
    /// System controller reset registers (`system-controller.c`: `rstoutn_mask_offset`,
    /// `system_soft_reset_offset`, both bit 0).
    pub SOFT_RESET [
        /// RSTOUTn mask: let the global soft reset drive the reset line; system soft reset:
        /// trigger it.
        GLOBAL OFFSET(0) NUMBITS(1) []
    ]
];

/// Watchdog counter, in the global timer block (`orion_wdt.c` `WDT_VAL`, `armada370_data`).
pub const WDT_COUNTER: RegDef = RegDef::at(0x34);
/// Prescaler exponent Linux programs (`WDT_A370_RATIO_SHIFT`).
pub const WDT_RATIO: u32 = 5;
/// The RSTOUT mask register, alone in its window ([`crate::map::WDT_RSTOUT_OFFSET`]).
const RSTOUT_MASK: RegDef<RSTOUT::Register> = RegDef::at(0);
/// The system controller's RSTOUTn mask register.
const RSTOUTN_MASK: RegDef<SOFT_RESET::Register> = RegDef::at(0x60);
/// The system controller's system soft reset register.
const SYSTEM_SOFT_RESET: RegDef<SOFT_RESET::Register> = RegDef::at(0x64);
/// The sample-at-reset register, inside the system controller (`mvebu-sar@18230`).
const SAR: RegDef = RegDef::at(crate::map::SAR_OFFSET - crate::map::SYSTEM_CONTROLLER_OFFSET);

/// The watchdog: `timer` is the global timer block bus, `rstout` the one-register RSTOUT bus.
///
/// `&self` throughout, for `hil::Watchdog`: `feed` is one write; `start` and `stop`
/// read-modify-write CTRL, which the global timers share ([`crate::timer::TimerBlock`]), and
/// RSTOUT, so they run in a critical section.
pub struct Watchdog<B: Bus, R: Bus> {
    timer: B,
    rstout: R,
    /// Counts per second after the prescaler.
    rate_hz: u32,
    /// What `feed` reloads: the timeout given to `start`, in counts.
    reload: AtomicU32,
}

impl<B: Bus, R: Bus> Watchdog<B, R> {
    /// Wraps the buses; touches no register.
    pub const fn new(timer: B, rstout: R, nbclk_hz: u32) -> Self {
        Watchdog {
            timer,
            rstout,
            rate_hz: nbclk_hz >> WDT_RATIO,
            reload: AtomicU32::new(u32::MAX),
        }
    }

    fn counts(&self, timeout_ms: u32) -> u32 {
        let counts = u64::from(self.rate_hz) * u64::from(timeout_ms) / 1000;
        counts.clamp(1, u64::from(u32::MAX)) as u32
    }

    /// Whether the watchdog is counting and allowed to reset (what Linux's `orion_enabled`
    /// checks), e.g. left running by the boot loader.
    pub fn is_running(&self) -> bool {
        reg(&self.timer, CTRL).is_set(CTRL::WDT_EN)
            && reg(&self.rstout, RSTOUT_MASK).is_set(RSTOUT::WDT)
    }
}

impl<B: Bus + Sync, R: Bus + Sync> hil::Watchdog for Watchdog<B, R> {
    /// Arms the watchdog to reset the SoC after `timeout_ms` without a feed. The longest
    /// timeout is 2^32 counts (~229 s at 18.75 MHz); longer requests are clamped.
    fn start(&self, timeout_ms: u32) {
        let counts = self.counts(timeout_ms);
        self.reload.store(counts, Ordering::Relaxed);
        critical_section::with(|_| {
            reg(&self.timer, CTRL).modify(CTRL::WDT_DIV.val(WDT_RATIO));
            reg(&self.timer, WDT_COUNTER).set(counts);
            // Clear a stale expiry (write 0 to the bit, keep the others), then enable.
            reg(&self.timer, GLOBAL_EVENTS_STATUS)
                .set(!(EVENTS::WDT_EXPIRED.mask << EVENTS::WDT_EXPIRED.shift));
            reg(&self.timer, CTRL).modify(CTRL::WDT_EN::SET);
            reg(&self.rstout, RSTOUT_MASK).modify(RSTOUT::WDT::SET);
        })
    }

    /// Restarts the countdown from the timeout given to `start`.
    fn feed(&self) {
        reg(&self.timer, WDT_COUNTER).set(self.reload.load(Ordering::Relaxed));
    }

    /// Disarms: reset output first (so a late expiry cannot reset), then the counter.
    fn stop(&self) {
        critical_section::with(|_| {
            reg(&self.rstout, RSTOUT_MASK).modify(RSTOUT::WDT::CLEAR);
            reg(&self.timer, CTRL).modify(CTRL::WDT_EN::CLEAR);
        })
    }
}

/// The system controller's reset: `hil::Power` for the Armada 370. Boards without a
/// software power switch (the Mirabox) get a halt for power-off.
pub struct SystemController<B: Bus> {
    bus: B,
}

impl<B: Bus> SystemController<B> {
    /// Wraps a bus over the system controller (`map::SYSTEM_CONTROLLER_OFFSET`); touches no
    /// register.
    pub const fn new(bus: B) -> Self {
        SystemController { bus }
    }

    /// TCLK, from the sample-at-reset straps ([`crate::sar::tclk_from_sar`]); read-only.
    pub fn tclk_hz(&self) -> u32 {
        crate::sar::tclk_from_sar(reg(&self.bus, SAR).get())
    }

    /// Resets the whole SoC. Returns only if the reset did not happen within a bounded wait
    /// (then the caller should fall back to the watchdog).
    pub fn system_reset(&self) {
        reg(&self.bus, RSTOUTN_MASK).write(SOFT_RESET::GLOBAL::SET);
        reg(&self.bus, SYSTEM_SOFT_RESET).write(SOFT_RESET::GLOBAL::SET);
        // The reset takes effect within a few cycles; spin (bounded) reading a harmless register.
        hil::mmio::poll_until(crate::POLL_LIMIT, || {
            let _ = reg(&self.bus, RSTOUTN_MASK).get();
            false
        });
    }
}

impl<B: Bus + Sync> hil::Power for SystemController<B> {
    /// The soft reset; should it not take, the halt leaves the armed watchdog unfed, and it
    /// resets the board within `kernel::WATCHDOG_TIMEOUT_MS`.
    fn reset(&self) -> ! {
        self.system_reset();
        hil::platform::halt()
    }
    /// The Armada 370 has no power-off of its own (Linux `system-controller.c` registers only
    /// a restart handler), so "off" is a halt with interrupts masked; `Kernel::power_off` has
    /// stopped the watchdog first.
    fn power_off(&self) -> ! {
        hil::platform::halt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;
    use hil::Watchdog as _;

    struct Regs(RefCell<[u32; 64]>);
    // SAFETY: each test owns its model and uses it from its own thread; `Sync` is only
    // needed because `hil::Watchdog` and `hil::Power` require it.
    unsafe impl Sync for Regs {}
    impl Bus for Regs {
        fn read(&self, o: usize) -> u32 {
            self.0.borrow()[o / 4]
        }
        fn write(&self, o: usize, v: u32) {
            self.0.borrow_mut()[o / 4] = v;
        }
    }

    fn regs() -> Regs {
        Regs(RefCell::new([0; 64]))
    }

    #[test]
    fn start_feed_stop() {
        let timer = regs();
        let rstout = regs();
        timer.0.borrow_mut()[0] = 0b11; // timer 0 running: must be preserved
        let wdt = Watchdog::new(&timer, &rstout, 600_000_000);
        let counter = WDT_COUNTER.offset() / 4;
        assert!(!wdt.is_running());
        wdt.start(1000);
        assert_eq!(timer.0.borrow()[counter], 18_750_000);
        assert_eq!(timer.0.borrow()[0], 0b11 | (5 << 16) | (1 << 8));
        assert_eq!(rstout.0.borrow()[0], 1 << 8);
        assert!(wdt.is_running());
        // A feed restarts the countdown from the armed timeout.
        timer.0.borrow_mut()[counter] = 5;
        wdt.feed();
        assert_eq!(timer.0.borrow()[counter], 18_750_000);
        wdt.start(2000);
        timer.0.borrow_mut()[counter] = 5;
        wdt.feed();
        assert_eq!(timer.0.borrow()[counter], 37_500_000);
        wdt.stop();
        assert!(!wdt.is_running());
        assert_eq!(timer.0.borrow()[0] & 0b11, 0b11);
        // Very long timeouts clamp instead of wrapping.
        wdt.start(u32::MAX);
        assert_eq!(timer.0.borrow()[counter], u32::MAX);
    }

    #[test]
    fn the_soft_reset_unmasks_then_triggers() {
        let sc = regs();
        SystemController::new(&sc).system_reset();
        assert_eq!(sc.0.borrow()[0x60 / 4], 1);
        assert_eq!(sc.0.borrow()[0x64 / 4], 1);
        sc.0.borrow_mut()[0x30 / 4] = 1 << 20;
        assert_eq!(SystemController::new(&sc).tclk_hz(), 200_000_000);
    }
}
