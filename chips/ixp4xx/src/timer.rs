//! OS timers, the timestamp counter, the watchdog and the watchdog-driven reset.
//!
//! Register layout from Linux `drivers/clocksource/timer-ixp4xx.c` and the old
//! `ixp4xx-regs.h`: OSTS 0x00 (free-running up-counter), OST1/OSRT1 0x04/0x08, OST2/OSRT2
//! 0x0C/0x10, OSWT 0x14, OSWE 0x18, OSWK 0x1C (key 0x482E unlocks OSWT/OSWE), OSST 0x20
//! (write-1-to-clear status). The reload registers keep the count in bits 31:2; bit 0 enables,
//! bit 1 selects one-shot. Linux `ixp4xx_restart` resets the chip with OSWK = 0x482E, OSWT = 0,
//! OSWE = RESET_ENABLE | COUNT_ENABLE.
//!
//! [`OsTimer`] is the kernel's [`hil::Clock`] (the 32-bit timestamp; the kernel extends it),
//! its [`hil::TickTimer`] (timer 1) and its [`hil::Watchdog`]. The timer's input clock is a
//! board fact (the NSLU2 runs a non-standard 66.000 MHz crystal), given to [`OsTimer::new`].

use core::cell::Cell;

use critical_section::Mutex;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

use crate::map;
use hil::mmio::{Bus, RegDef, reg};
use hil::{Clock, IrqNumber, TickTimer, Watchdog};

register_bitfields![u32,
    /// OSRT1/OSRT2.
    pub RELOAD [
        ENABLE OFFSET(0) NUMBITS(1) [],
        ONE_SHOT OFFSET(1) NUMBITS(1) [],
        /// Reload value, in units of 4 timer clocks.
        VALUE OFFSET(2) NUMBITS(30) []
    ],
    /// OSWE.
    pub WDT_ENABLE [
        RESET_ENABLE OFFSET(0) NUMBITS(1) [],
        IRQ_ENABLE OFFSET(1) NUMBITS(1) [],
        COUNT_ENABLE OFFSET(2) NUMBITS(1) []
    ],
    /// OSST, write 1 to clear.
    pub STATUS [
        TIMER1_PEND OFFSET(0) NUMBITS(1) [],
        TIMER2_PEND OFFSET(1) NUMBITS(1) [],
        TIMESTAMP_PEND OFFSET(2) NUMBITS(1) [],
        WDOG_PEND OFFSET(3) NUMBITS(1) [],
        WARM_RESET OFFSET(4) NUMBITS(1) []
    ]
];

const OSTS: RegDef<()> = RegDef::at(0x00);
const OSRT1: RegDef<RELOAD::Register> = RegDef::at(0x08);
const OSRT2: RegDef<RELOAD::Register> = RegDef::at(0x10);
const OSWT: RegDef<()> = RegDef::at(0x14);
const OSWE: RegDef<WDT_ENABLE::Register> = RegDef::at(0x18);
const OSWK: RegDef<()> = RegDef::at(0x1C);
const OSST: RegDef<STATUS::Register> = RegDef::at(0x20);

/// The watchdog key that unlocks OSWT and OSWE.
pub const WATCHDOG_KEY: u32 = 0x482E;

/// Why a timer period cannot be programmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimerError {
    /// The period is below 4 clocks (the hardware's granularity) or zero.
    TooShort,
}

/// The OSRT reload value for a `hz` tick from a `clock_hz` timer: the nearest count, low two
/// bits cleared as the hardware ignores them (Linux computes `latch & ~3`).
pub const fn reload_for(clock_hz: u32, hz: u32) -> Result<u32, TimerError> {
    if hz == 0 {
        return Err(TimerError::TooShort);
    }
    let latch = (clock_hz + hz / 2) / hz;
    let latch = latch & !3;
    if latch == 0 {
        Err(TimerError::TooShort)
    } else {
        Ok(latch)
    }
}

/// The OS timer block: timestamp, tick (timer 1), timer 2 and the watchdog.
///
/// Every method takes `&self`: each register sequence that must not interleave with another
/// (the watchdog's unlock-program-relock, the tick's stop-clear-start) runs in a critical
/// section, so the main loop and the tick interrupt can share one value.
#[derive(Debug)]
pub struct OsTimer<B: Bus> {
    bus: B,
    clock_hz: u32,
    /// The count [`Watchdog::feed`] reloads, set by [`OsTimer::watchdog_start`]; 0 while
    /// disarmed.
    watchdog_count: Mutex<Cell<u32>>,
}

impl<B: Bus> OsTimer<B> {
    /// Wraps a bus; `clock_hz` is the board's timer input clock. Touches nothing.
    pub const fn new(bus: B, clock_hz: u32) -> Self {
        OsTimer {
            bus,
            clock_hz,
            watchdog_count: Mutex::new(Cell::new(0)),
        }
    }

    /// The timer clock this driver assumes.
    pub const fn clock_hz(&self) -> u32 {
        self.clock_hz
    }

    /// The free-running 32-bit timestamp counter (wraps after ~65 s at 66 MHz).
    pub fn timestamp(&self) -> u32 {
        reg(&self.bus, OSTS).get()
    }

    /// Starts timer 1 as a periodic `hz` tick (IRQ [`map::irq::TIMER1`]), clearing any stale
    /// pending status first.
    pub fn start_tick(&self, hz: u32) -> Result<(), TimerError> {
        let latch = reload_for(self.clock_hz, hz)?;
        critical_section::with(|_| {
            reg(&self.bus, OSRT1).set(0);
            reg(&self.bus, OSST).write(STATUS::TIMER1_PEND::SET);
            reg(&self.bus, OSRT1).set(latch | RELOAD::ENABLE::SET.value);
        });
        Ok(())
    }

    /// Stops timer 1 and clears its pending status.
    pub fn stop_tick(&self) {
        critical_section::with(|_| {
            reg(&self.bus, OSRT1).set(0);
            reg(&self.bus, OSST).write(STATUS::TIMER1_PEND::SET);
        });
    }

    /// Acknowledges a tick interrupt; returns whether one was pending. OSST is
    /// write-1-to-clear, so the write touches no other source's status.
    pub fn ack_tick(&self) -> bool {
        let pending = reg(&self.bus, OSST).is_set(STATUS::TIMER1_PEND);
        if pending {
            reg(&self.bus, OSST).write(STATUS::TIMER1_PEND::SET);
        }
        pending
    }

    /// Stops timer 2 (Linux's beeper uses it; RedBoot may leave it running).
    pub fn stop_timer2(&self) {
        critical_section::with(|_| {
            reg(&self.bus, OSRT2).set(0);
            reg(&self.bus, OSST).write(STATUS::TIMER2_PEND::SET);
        });
    }

    /// Whether the last reset was a watchdog ("warm") reset.
    pub fn was_watchdog_reset(&self) -> bool {
        reg(&self.bus, OSST).is_set(STATUS::WARM_RESET)
    }

    /// Arms the watchdog to reset the chip after `ms` milliseconds unless fed again.
    /// The count saturates at the 32-bit maximum (~65 s at 66 MHz).
    pub fn watchdog_start(&self, ms: u32) {
        let count = (u64::from(self.clock_hz) * u64::from(ms) / 1000).min(u64::from(u32::MAX));
        critical_section::with(|cs| {
            self.watchdog_count.borrow(cs).set(count as u32);
            self.watchdog_program(count as u32);
        });
    }

    /// Reloads the watchdog count (same semantics as [`watchdog_start`](Self::watchdog_start)).
    pub fn watchdog_feed(&self, ms: u32) {
        self.watchdog_start(ms);
    }

    /// Disables the watchdog (RedBoot does not arm it, but a previous image may have).
    pub fn watchdog_stop(&self) {
        critical_section::with(|cs| {
            self.watchdog_count.borrow(cs).set(0);
            reg(&self.bus, OSWK).set(WATCHDOG_KEY);
            reg(&self.bus, OSWE).set(0);
            reg(&self.bus, OSWK).set(0);
        });
    }

    /// Resets the whole chip through the watchdog, as Linux's `ixp4xx_restart` does. On
    /// hardware this does not return; on a model it returns after the register writes.
    pub fn reset_chip(&self) {
        critical_section::with(|_| self.watchdog_program(0));
    }

    /// Unlock, disable, load `count`, enable reset and counting, relock. Call inside a critical
    /// section: an interleaved relock would leave the count unprogrammed.
    fn watchdog_program(&self, count: u32) {
        reg(&self.bus, OSWK).set(WATCHDOG_KEY);
        reg(&self.bus, OSWE).set(0);
        reg(&self.bus, OSWT).set(count);
        reg(&self.bus, OSWE).write(WDT_ENABLE::RESET_ENABLE::SET + WDT_ENABLE::COUNT_ENABLE::SET);
        // Re-lock so a stray write cannot disarm it.
        reg(&self.bus, OSWK).set(0);
    }
}

/// The timestamp counter, 32 bits wide; the kernel extends it to 64 (`kernel::time`).
impl<B: Bus + Sync> Clock for OsTimer<B> {
    fn now_ticks(&self) -> u64 {
        u64::from(self.timestamp())
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(self.clock_hz)
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

/// Timer 1 as the tick.
impl<B: Bus + Sync> TickTimer for OsTimer<B> {
    fn irq(&self) -> IrqNumber {
        map::irq::TIMER1
    }
    /// A rate the timer cannot make (above a quarter of its clock) leaves it stopped; the
    /// kernel's tick is far below that.
    fn start_periodic(&self, hz: u32) {
        if self.start_tick(hz).is_err() {
            self.stop_tick();
        }
    }
    fn acknowledge(&self) -> bool {
        self.ack_tick()
    }
}

/// The watchdog: fed with the count of the last [`Watchdog::start`].
impl<B: Bus + Sync> Watchdog for OsTimer<B> {
    fn start(&self, timeout_ms: u32) {
        self.watchdog_start(timeout_ms);
    }
    /// Does nothing while the watchdog is not armed: a zero count would reset the chip.
    fn feed(&self) {
        critical_section::with(|cs| {
            let count = self.watchdog_count.borrow(cs).get();
            if count != 0 {
                self.watchdog_program(count);
            }
        });
    }
    fn stop(&self) {
        self.watchdog_stop();
    }
}
