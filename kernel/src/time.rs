//! Monotonic time and the periodic tick.
//!
//! Time is kept in microseconds since boot, derived from the board's free-running [`Clock`],
//! extended to 64 bits here ([`WrapExtender`]) when the counter is narrower.
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

/// Extends a free-running counter narrower than 64 bits to 64 bits: the one place this is done
/// (drivers report raw counts and [`Clock::counter_bits`]).
///
/// A wrap is detected when a raw reading is below the previous one, so the extension is right
/// as long as it sees at least one reading per wrap period. The kernel guarantees that by
/// reading the clock from every tick interrupt ([`record_tick`]): at [`TICK_HZ`] that is 100
/// readings per second, against a wrap period of 229 s for the slowest counter we drive
/// (the Armada 370's 32-bit timer at 18.75 MHz) or 64 s for the IXP4xx's at 66.66 MHz.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WrapExtender {
    /// The previous raw reading (masked to the counter width).
    last: u64,
    /// The counts accumulated by the wraps seen so far (a multiple of `1 << bits`).
    high: u64,
}

impl WrapExtender {
    /// An extender that has seen no reading yet (the counter is assumed to start at or above 0).
    pub const fn new() -> Self {
        Self { last: 0, high: 0 }
    }

    /// The 64-bit count for a `raw` reading of a counter `bits` wide. Counters of 64 bits (or
    /// more, which cannot be) pass through untouched.
    pub fn extend(&mut self, raw: u64, bits: u32) -> u64 {
        if bits >= 64 || bits == 0 {
            return raw;
        }
        let raw = raw & ((1u64 << bits) - 1);
        if raw < self.last {
            self.high = self.high.wrapping_add(1u64 << bits);
        }
        self.last = raw;
        self.high.wrapping_add(raw)
    }
}

static CLOCK: Mutex<Cell<Option<&'static dyn Clock>>> = Mutex::new(Cell::new(None));
static EXTENDER: Mutex<Cell<WrapExtender>> = Mutex::new(Cell::new(WrapExtender::new()));
static TICKS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Makes `clock` the kernel's time base.
pub fn install(clock: &'static dyn Clock) {
    critical_section::with(|cs| {
        CLOCK.borrow(cs).set(Some(clock));
        EXTENDER.borrow(cs).set(WrapExtender::new());
    });
}

/// The current time; zero before a clock is installed. Narrow counters are extended to 64 bits
/// here (the reading and the extension share one critical section, so an interrupt cannot slip
/// an older reading in between).
pub fn now() -> Instant {
    critical_section::with(|cs| {
        let Some(clock) = CLOCK.borrow(cs).get() else {
            return Instant::default();
        };
        let cell = EXTENDER.borrow(cs);
        let mut extender = cell.get();
        let ticks = extender.extend(clock.now_ticks(), clock.counter_bits());
        cell.set(extender);
        Instant::from_micros(ticks_to_micros(ticks, clock.frequency_hz()))
    })
}

/// Counts one tick; called from the tick interrupt. It also reads the clock, which is what
/// keeps [`WrapExtender`] seeing every wrap of a narrow counter even when nothing else asks
/// for the time.
pub fn record_tick() {
    let _ = now();
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

    #[test]
    fn extension_carries_a_32_bit_wrap() {
        let mut ext = WrapExtender::new();
        assert_eq!(ext.extend(1000, 32), 1000);
        assert_eq!(
            ext.extend(u64::from(u32::MAX - 10), 32),
            u64::from(u32::MAX - 10)
        );
        assert_eq!(ext.extend(5, 32), (1 << 32) | 5);
        // Bits above the width are noise from the driver and ignored.
        assert_eq!(ext.extend((7 << 32) | 6, 32), (1 << 32) | 6);
    }

    #[test]
    fn extension_counts_several_wraps() {
        let mut ext = WrapExtender::new();
        let mut previous = 0;
        // Readings a little under half a period apart: two or three per wrap, as a tick gives.
        let step = 0x7000_0000u64;
        for n in 1..=40u64 {
            let true_count = n * step;
            let extended = ext.extend(true_count & 0xffff_ffff, 32);
            assert_eq!(extended, true_count);
            assert!(extended > previous);
            previous = extended;
        }
        assert!(previous > 8 << 32, "several wraps were crossed");
    }

    #[test]
    fn extension_works_for_other_widths() {
        let mut ext = WrapExtender::new();
        assert_eq!(ext.extend(0xfff0, 16), 0xfff0);
        assert_eq!(ext.extend(0x0010, 16), 0x1_0010);
    }

    #[test]
    fn sixty_four_bit_counters_are_untouched() {
        let mut ext = WrapExtender::new();
        assert_eq!(ext.extend(u64::MAX - 1, 64), u64::MAX - 1);
        assert_eq!(ext.extend(3, 64), 3);
        assert_eq!(ext.extend(1 << 40, 64), 1 << 40);
    }

    #[test]
    fn now_extends_an_installed_narrow_clock() {
        use core::sync::atomic::{AtomicU64, Ordering};
        struct Narrow(AtomicU64);
        impl Clock for Narrow {
            fn now_ticks(&self) -> u64 {
                self.0.load(Ordering::Relaxed)
            }
            fn frequency_hz(&self) -> u64 {
                1_000_000
            }
            fn counter_bits(&self) -> u32 {
                32
            }
        }
        static CLOCK_32: Narrow = Narrow(AtomicU64::new(0));
        install(&CLOCK_32);
        CLOCK_32.0.store(u64::from(u32::MAX), Ordering::Relaxed);
        assert_eq!(now().as_micros(), u64::from(u32::MAX));
        CLOCK_32.0.store(9, Ordering::Relaxed);
        record_tick();
        assert_eq!(now().as_micros(), (1 << 32) + 9);
    }
}
