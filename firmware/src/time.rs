//! Monotonic time and the periodic tick.
//!
//! Time is kept in microseconds since boot, derived from the board's free-running [`Clock`].
//! The tick timer interrupts [`TICK_HZ`] times a second; it exists so that the idle loop sleeps
//! in WFI with a bounded wake-up latency for timers (TCP retransmission, health checks) even when
//! no packet arrives. It is not the time base.

use core::cell::Cell;

use critical_section::Mutex;

use crate::board::Clock;

/// Tick rate. 100 Hz bounds timer latency at 10 ms, well under smoltcp's delayed-ACK and
/// retransmission granularity, and costs nothing measurable in interrupts.
pub const TICK_HZ: u32 = 100;

/// A point in time, in microseconds since the clock started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    micros: u64,
}

impl Instant {
    /// From microseconds since boot.
    pub const fn from_micros(micros: u64) -> Self {
        Self { micros }
    }

    /// Microseconds since boot.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }

    /// Milliseconds since boot.
    pub const fn as_millis(self) -> u64 {
        self.micros / 1000
    }
}

/// Converts a tick count at `hz` to microseconds without overflowing for any 64-bit count.
pub const fn ticks_to_micros(ticks: u64, hz: u64) -> u64 {
    if hz == 0 {
        return 0;
    }
    (ticks / hz) * 1_000_000 + (ticks % hz) * 1_000_000 / hz
}

/// Ticks from `start` to `end` on a counter `bits` wide, allowing for one wrap.
pub const fn elapsed_ticks(start: u64, end: u64, bits: u32) -> u64 {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    end.wrapping_sub(start) & mask
}

static CLOCK: Mutex<Cell<Option<&'static dyn Clock>>> = Mutex::new(Cell::new(None));
static TICKS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Makes `clock` the kernel's time base.
pub fn install(clock: &'static dyn Clock) {
    critical_section::with(|cs| CLOCK.borrow(cs).set(Some(clock)));
}

/// The current time; zero before a clock is installed.
pub fn now() -> Instant {
    let clock = critical_section::with(|cs| CLOCK.borrow(cs).get());
    clock.map_or(Instant::default(), |clock| {
        Instant::from_micros(ticks_to_micros(clock.now_ticks(), clock.frequency_hz()))
    })
}

/// Counts one tick; called from the tick interrupt.
pub fn record_tick() {
    critical_section::with(|cs| {
        let ticks = TICKS.borrow(cs);
        ticks.set(ticks.get() + 1);
    });
}

/// Ticks since the tick timer started.
pub fn tick_count() -> u64 {
    critical_section::with(|cs| TICKS.borrow(cs).get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_is_exact_and_does_not_overflow() {
        assert_eq!(ticks_to_micros(100_000_000, 100_000_000), 1_000_000);
        assert_eq!(ticks_to_micros(1, 24_000_000), 0);
        assert_eq!(ticks_to_micros(24, 24_000_000), 1);
        assert_eq!(
            ticks_to_micros(u64::MAX, 100_000_000),
            184_467_440_737_095_516
        );
        assert_eq!(ticks_to_micros(5, 0), 0);
    }

    #[test]
    fn elapsed_allows_one_wrap_of_narrow_counters() {
        assert_eq!(elapsed_ticks(0xffff_fff0, 0x10, 32), 0x20);
        assert_eq!(elapsed_ticks(10, 30, 64), 20);
    }
}
