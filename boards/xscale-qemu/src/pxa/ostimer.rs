//! The PXA255 OS timer: a free-running 32-bit up-counter OSCR at 3.6864 MHz and four match
//! registers. Match 0 is the tick; match 3 with OWER.WME is the watchdog, which is how the PXA
//! resets itself.
//!
//! Sources: Linux `arch/arm/mach-pxa/include/mach/pxa-regs.h` (OSMR0..3 0x00..0x0C, OSCR 0x10,
//! OSSR 0x14, OWER 0x18, OIER 0x1C at 0x40A0_0000), `drivers/clocksource/pxa_timer.c` (the tick
//! re-arms OSMR0 relative to the last match), `include/asm-arm/arch-pxa/system.h` `arch_reset`
//! (OWER = WME, OSSR = M3, OSMR3 = OSCR + 100 ms); QEMU `hw/timer/pxa2xx_timer.c` (same
//! offsets, PXA25x frequency 3 686 400 Hz, a match of OSMR3 with OWER set resets the machine).

use super::Registers;

/// OS timer register block.
pub const OST_BASE: usize = 0x40A0_0000;
/// OSCR rate on the PXA25x.
pub const OSCR_HZ: u32 = 3_686_400;

const OSMR0: usize = 0x00;
const OSMR3: usize = 0x0C;
const OSCR: usize = 0x10;
const OSSR: usize = 0x14;
const OWER: usize = 0x18;
const OIER: usize = 0x1C;
const MATCH0: u32 = 1 << 0;
const MATCH3: u32 = 1 << 3;
const OWER_WME: u32 = 1 << 0;

/// The OS timer.
pub struct OsTimer {
    regs: Registers,
}

impl OsTimer {
    /// The timer whose registers are `regs`.
    pub const fn new(regs: Registers) -> Self {
        Self { regs }
    }

    /// The free-running counter.
    pub fn count(&self) -> u32 {
        self.regs.read(OSCR)
    }

    /// Arms match 0 `period` counts from now, clears a stale match and enables its interrupt.
    pub fn start_tick(&self, period: u32) {
        self.regs.write(OSMR0, self.count().wrapping_add(period));
        self.regs.write(OSSR, MATCH0);
        self.regs.write(OIER, self.regs.read(OIER) | MATCH0);
    }

    /// If match 0 fired, clears it and re-arms it one `period` after the previous match (so
    /// the tick does not drift with interrupt latency), or one period from now if the CPU has
    /// fallen more than a period behind. Returns whether it had fired.
    pub fn acknowledge_tick(&self, period: u32) -> bool {
        if self.regs.read(OSSR) & MATCH0 == 0 {
            return false;
        }
        let next = self.regs.read(OSMR0).wrapping_add(period);
        let now = self.count();
        // `next` still ahead of `now` (within one period, modulo 2^32)?
        let next = if next.wrapping_sub(now) <= period {
            next
        } else {
            now.wrapping_add(period)
        };
        self.regs.write(OSMR0, next);
        self.regs.write(OSSR, MATCH0);
        true
    }

    /// Resets the chip through the watchdog, the way Linux's PXA `arch_reset` does. Returns once
    /// the watchdog is armed; the reset follows within `delay` counts.
    pub fn watchdog_reset(&self, delay: u32) {
        self.regs.write(OWER, OWER_WME);
        self.regs.write(OSSR, MATCH3);
        self.regs.write(OSMR3, self.count().wrapping_add(delay));
    }
}
