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

use crate::timer::offsets::{CTRL, GLOBAL_EVENTS_STATUS};
use hil::mmio::{Bus, Mmio};

/// Watchdog counter, in the global timer block.
pub const WDT_COUNTER: usize = 0x34;
const WDT_ENABLE: u32 = 1 << 8;
const WDT_RATIO_SHIFT: u32 = 16;
const WDT_RATIO_MASK: u32 = 0x7 << WDT_RATIO_SHIFT;
/// Prescaler exponent Linux programs (`WDT_A370_RATIO_SHIFT`).
pub const WDT_RATIO: u32 = 5;
const WDT_EXPIRED: u32 = 1 << 31;
const RSTOUT_WDT_ENABLE: u32 = 1 << 8;

/// The watchdog: `timer` is the global timer block bus, `rstout` the one-register RSTOUT bus.
pub struct Watchdog<B: Bus, R: Bus> {
    timer: B,
    rstout: R,
    /// Counts per second after the prescaler.
    rate_hz: u32,
}

impl Watchdog<Mmio, Mmio> {
    /// The watchdog of the SoC whose internal registers are at `internal_regs`, with the timer
    /// input clock (nbclk) at `nbclk_hz`.
    ///
    /// # Safety
    /// `internal_regs` must be the mapped internal-register window. The timer block's CTRL is
    /// shared with [`crate::timer::TimerBlock`] (see its safety note).
    pub unsafe fn new_mmio(internal_regs: usize, nbclk_hz: u32) -> Self {
        // SAFETY: forwarded to the caller; the offsets come from `map`.
        unsafe {
            Watchdog::new(
                Mmio::new(internal_regs + crate::map::TIMER_OFFSET, 0x40),
                Mmio::new(internal_regs + crate::map::WDT_RSTOUT_OFFSET, 4),
                nbclk_hz,
            )
        }
    }
}

impl<B: Bus, R: Bus> Watchdog<B, R> {
    /// Wraps the buses; touches no register.
    pub fn new(timer: B, rstout: R, nbclk_hz: u32) -> Self {
        Watchdog {
            timer,
            rstout,
            rate_hz: nbclk_hz >> WDT_RATIO,
        }
    }

    fn counts(&self, timeout_ms: u32) -> u32 {
        let counts = u64::from(self.rate_hz) * u64::from(timeout_ms) / 1000;
        counts.clamp(1, u64::from(u32::MAX)) as u32
    }

    /// Arms the watchdog to reset the SoC after `timeout_ms` without [`Self::feed`]. The longest
    /// timeout is 2^32 counts (~229 s at 18.75 MHz); longer requests are clamped.
    pub fn start(&mut self, timeout_ms: u32) {
        let ctrl = self.timer.read(CTRL);
        self.timer.write(
            CTRL,
            (ctrl & !WDT_RATIO_MASK) | (WDT_RATIO << WDT_RATIO_SHIFT),
        );
        self.timer.write(WDT_COUNTER, self.counts(timeout_ms));
        // Clear a stale expiry (write 0 to the bit, keep the others), then enable.
        self.timer.write(GLOBAL_EVENTS_STATUS, !WDT_EXPIRED);
        let ctrl = self.timer.read(CTRL);
        self.timer.write(CTRL, ctrl | WDT_ENABLE);
        let rstout = self.rstout.read(0);
        self.rstout.write(0, rstout | RSTOUT_WDT_ENABLE);
    }

    /// Restarts the countdown with `timeout_ms`.
    pub fn feed(&mut self, timeout_ms: u32) {
        self.timer.write(WDT_COUNTER, self.counts(timeout_ms));
    }

    /// Disarms: reset output first (so a late expiry cannot reset), then the counter.
    pub fn stop(&mut self) {
        let rstout = self.rstout.read(0);
        self.rstout.write(0, rstout & !RSTOUT_WDT_ENABLE);
        let ctrl = self.timer.read(CTRL);
        self.timer.write(CTRL, ctrl & !WDT_ENABLE);
    }

    /// Whether the watchdog is counting and allowed to reset (what Linux's `orion_enabled`
    /// checks), e.g. left running by the boot loader.
    pub fn is_running(&self) -> bool {
        self.timer.read(CTRL) & WDT_ENABLE != 0 && self.rstout.read(0) & RSTOUT_WDT_ENABLE != 0
    }
}

/// System controller reset registers.
const RSTOUTN_MASK: usize = 0x60;
const SYSTEM_SOFT_RESET: usize = 0x64;

/// Resets the whole SoC through the system controller at `system_controller` (bus over
/// `map::SYSTEM_CONTROLLER_OFFSET`). Returns only if the reset did not happen within a
/// bounded wait (then the caller should fall back to the watchdog).
pub fn system_reset<B: Bus>(system_controller: &B) {
    system_controller.write(RSTOUTN_MASK, 1);
    system_controller.write(SYSTEM_SOFT_RESET, 1);
    // The reset takes effect within a few cycles; spin (bounded) reading a harmless register.
    hil::mmio::poll_until(crate::POLL_LIMIT, || {
        let _ = system_controller.read(RSTOUTN_MASK);
        false
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;

    struct Regs(RefCell<[u32; 16]>);
    impl Bus for Regs {
        fn read(&self, o: usize) -> u32 {
            self.0.borrow()[o / 4]
        }
        fn write(&self, o: usize, v: u32) {
            self.0.borrow_mut()[o / 4] = v;
        }
    }

    #[test]
    fn start_feed_stop() {
        let timer = Regs(RefCell::new([0; 16]));
        let rstout = Regs(RefCell::new([0; 16]));
        timer.0.borrow_mut()[0] = 0b11; // timer 0 running: must be preserved
        let mut wdt = Watchdog::new(&timer, &rstout, 600_000_000);
        assert!(!wdt.is_running());
        wdt.start(1000);
        assert_eq!(timer.0.borrow()[WDT_COUNTER / 4], 18_750_000);
        assert_eq!(timer.0.borrow()[0], 0b11 | (5 << 16) | (1 << 8));
        assert_eq!(rstout.0.borrow()[0], 1 << 8);
        assert!(wdt.is_running());
        wdt.feed(2000);
        assert_eq!(timer.0.borrow()[WDT_COUNTER / 4], 37_500_000);
        wdt.stop();
        assert!(!wdt.is_running());
        assert_eq!(timer.0.borrow()[0] & 0b11, 0b11);
        // Very long timeouts clamp instead of wrapping.
        wdt.start(u32::MAX);
        assert_eq!(timer.0.borrow()[WDT_COUNTER / 4], u32::MAX);
    }
}
