//! Global and per-CPU timers: a free-running clock and a periodic tick.
//!
//! Source: Linux `drivers/clocksource/timer-armada-370-xp.c` (register offsets, the divider
//! field, the event-status acknowledge by writing the complement) and `armada-370-xp.dtsi`
//! (`timer@20300`: global block at 0x20300, per-CPU block at 0x21040, IRQs 37..40 global,
//! 5/6 per-CPU). Both blocks share one layout except the event-status register (0x04 global,
//! 0x28 per-CPU). Counters count **down**; Linux uses global timer 0 as the clocksource
//! (reload 0xFFFF_FFFF) and per-CPU timer 0 as the clock-event device.
//!
//! The Armada 370 has no 25 MHz timer reference (that is Armada XP, CTRL bits 11/12): the input
//! is the fabric clock nbclk (`clocks = <&coreclk 2>`), divided by 2^divider with Linux using
//! divider 5 (/32). On a Mirabox nbclk is believed to be 600 MHz, giving 18.75 MHz; the board
//! must confirm this (hardware checklist in the README) and pass the rate in.

use tock_registers::interfaces::ReadWriteable;
use tock_registers::register_bitfields;

use hil::mmio::{Bus, Mmio, Reg, RegDef, reg};

/// Byte offsets inside a timer block.
pub mod offsets {
    /// Control (enables, auto-reload, dividers; watchdog enable bit 8 in the global block).
    pub const CTRL: usize = 0x00;
    /// Global block event status (write the complement of a bit to clear it).
    pub const GLOBAL_EVENTS_STATUS: usize = 0x04;
    /// Timer 0 reload value.
    pub const T0_RELOAD: usize = 0x10;
    /// Timer 0 current value.
    pub const T0_VALUE: usize = 0x14;
    /// Timer 1 reload value.
    pub const T1_RELOAD: usize = 0x18;
    /// Timer 1 current value.
    pub const T1_VALUE: usize = 0x1C;
    /// Per-CPU block event status.
    pub const LOCAL_EVENTS_STATUS: usize = 0x28;
}
use offsets::*;

register_bitfields![u32,
    /// Timer control register.
    pub CTRL [
        /// Timer 0 enable.
        T0_EN OFFSET(0) NUMBITS(1) [],
        /// Timer 0 reloads from T0_RELOAD when it reaches 0.
        T0_RELOAD_EN OFFSET(1) NUMBITS(1) [],
        /// Timer 1 enable.
        T1_EN OFFSET(2) NUMBITS(1) [],
        /// Timer 1 auto-reload.
        T1_RELOAD_EN OFFSET(3) NUMBITS(1) [],
        /// Timer 0 prescaler: input / 2^n (`TIMER0_DIV(div)` = div << 19).
        T0_DIV OFFSET(19) NUMBITS(3) [],
        /// Timer 1 prescaler (`TIMER1_DIV(div)` = div << 22).
        T1_DIV OFFSET(22) NUMBITS(3) []
    ]
];

/// Linux's prescaler choice (`TIMER_DIVIDER_SHIFT` 5): input / 32.
pub const DEFAULT_DIVIDER_SHIFT: u32 = 5;

/// Which block a [`TimerBlock`] drives; they differ only in the event-status offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Global timers at 0x20300 (IRQs 37..40).
    Global,
    /// Per-CPU timers at 0x21040 (IRQs 5, 6), banked per CPU.
    Local,
}

/// Timer 0 or timer 1 of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Timer 0.
    T0,
    /// Timer 1.
    T1,
}

/// One timer block: two 32-bit down-counters.
pub struct TimerBlock<B: Bus> {
    bus: B,
    block: Block,
    input_hz: u32,
}

impl TimerBlock<Mmio> {
    /// The block at absolute address `base` (`map::unit(map::TIMER_OFFSET)` or
    /// `map::unit(map::LOCAL_TIMER_OFFSET)`), clocked at `input_hz` (nbclk).
    ///
    /// # Safety
    /// `base` must be that timer block, mapped as device memory. The global block's CTRL is
    /// shared with [`crate::watchdog::Watchdog`]; both do read-modify-write, so the board must not
    /// use them concurrently (e.g. one from an interrupt handler while the other runs).
    pub unsafe fn new_mmio(base: usize, block: Block, input_hz: u32) -> Self {
        // SAFETY: forwarded to the caller.
        TimerBlock::new(unsafe { Mmio::new(base, 0x30) }, block, input_hz)
    }
}

impl<B: Bus> TimerBlock<B> {
    /// Wraps a bus; touches no register.
    pub fn new(bus: B, block: Block, input_hz: u32) -> Self {
        TimerBlock {
            bus,
            block,
            input_hz,
        }
    }

    fn ctrl(&self) -> Reg<'_, B, CTRL::Register> {
        reg(&self.bus, RegDef::at(CTRL))
    }

    /// Counting rate after the default prescaler.
    pub fn rate_hz(&self) -> u32 {
        self.input_hz >> DEFAULT_DIVIDER_SHIFT
    }

    /// Starts `channel` as a free-running counter (reload 0xFFFF_FFFF, auto-reload), the way
    /// Linux sets up its clocksource. Read it with [`Self::ticks`].
    pub fn start_free_running(&mut self, channel: Channel) {
        self.start(channel, u32::MAX);
    }

    /// Starts `channel` periodic with a period of `ticks` counts: an event (and interrupt, if
    /// unmasked in the MPIC) every period. Acknowledge with [`Self::acknowledge`].
    pub fn start_periodic(&mut self, channel: Channel, ticks: u32) {
        self.start(channel, ticks.max(1));
    }

    fn start(&mut self, channel: Channel, reload: u32) {
        let (reload_off, value_off) = match channel {
            Channel::T0 => (T0_RELOAD, T0_VALUE),
            Channel::T1 => (T1_RELOAD, T1_VALUE),
        };
        match channel {
            Channel::T0 => self.ctrl().modify(CTRL::T0_EN::CLEAR),
            Channel::T1 => self.ctrl().modify(CTRL::T1_EN::CLEAR),
        }
        self.bus.write(reload_off, reload);
        self.bus.write(value_off, reload);
        match channel {
            Channel::T0 => self.ctrl().modify(
                CTRL::T0_EN::SET
                    + CTRL::T0_RELOAD_EN::SET
                    + CTRL::T0_DIV.val(DEFAULT_DIVIDER_SHIFT),
            ),
            Channel::T1 => self.ctrl().modify(
                CTRL::T1_EN::SET
                    + CTRL::T1_RELOAD_EN::SET
                    + CTRL::T1_DIV.val(DEFAULT_DIVIDER_SHIFT),
            ),
        }
    }

    /// Stops `channel`.
    pub fn stop(&mut self, channel: Channel) {
        match channel {
            Channel::T0 => self.ctrl().modify(CTRL::T0_EN::CLEAR),
            Channel::T1 => self.ctrl().modify(CTRL::T1_EN::CLEAR),
        }
    }

    /// Elapsed counts of a free-running channel, as an up-counter (wraps at 2^32).
    pub fn ticks(&self, channel: Channel) -> u32 {
        let off = match channel {
            Channel::T0 => T0_VALUE,
            Channel::T1 => T1_VALUE,
        };
        u32::MAX - self.bus.read(off)
    }

    fn status_offset(&self) -> usize {
        match self.block {
            Block::Global => GLOBAL_EVENTS_STATUS,
            Block::Local => LOCAL_EVENTS_STATUS,
        }
    }

    fn event_bit(channel: Channel) -> u32 {
        match channel {
            Channel::T0 => 1 << 0,
            Channel::T1 => 1 << 8,
        }
    }

    /// Whether `channel` has an unacknowledged event.
    pub fn event_pending(&self, channel: Channel) -> bool {
        self.bus.read(self.status_offset()) & Self::event_bit(channel) != 0
    }

    /// Acknowledges `channel`'s event: the status register clears the bits written as 0
    /// (Linux writes `TIMER0_CLR_MASK` = ~0x1).
    pub fn acknowledge(&mut self, channel: Channel) {
        self.bus
            .write(self.status_offset(), !Self::event_bit(channel));
    }
}

/// A free-running 32-bit down-counter reported as a 32-bit up-count: `hil::Clock` with
/// `counter_bits() == 32`, so the kernel (`kernel::time`) extends it to 64 bits, once, for
/// every board; this driver keeps no extension state of its own.
pub struct Clock<B: Bus> {
    timer: TimerBlock<B>,
    channel: Channel,
}

impl<B: Bus> Clock<B> {
    /// Starts `channel` of `timer` free-running and builds a clock on it.
    pub fn start(mut timer: TimerBlock<B>, channel: Channel) -> Self {
        timer.start_free_running(channel);
        Clock { timer, channel }
    }

    /// Counts since start, wrapping at 2^32 (229 s at 18.75 MHz).
    pub fn now_ticks(&self) -> u32 {
        self.timer.ticks(self.channel)
    }

    /// Counting rate.
    pub fn rate_hz(&self) -> u32 {
        self.timer.rate_hz()
    }
}

/// One register read per call, so no lock is needed.
impl<B: Bus + Sync> hil::Clock for Clock<B> {
    fn now_ticks(&self) -> u64 {
        u64::from(Clock::now_ticks(self))
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(self.rate_hz())
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;

    /// Plain memory; enough to check what the driver writes where.
    struct Regs(RefCell<[u32; 12]>);
    // SAFETY: each test owns its model and uses it from its own thread; `Sync` is only
    // needed because `hil::Clock` requires it.
    unsafe impl Sync for Regs {}
    impl Bus for Regs {
        fn read(&self, o: usize) -> u32 {
            self.0.borrow()[o / 4]
        }
        fn write(&self, o: usize, v: u32) {
            self.0.borrow_mut()[o / 4] = v;
        }
    }

    #[test]
    fn periodic_start_programs_reload_enable_and_divider() {
        let regs = Regs(RefCell::new([0; 12]));
        let mut t = TimerBlock::new(&regs, Block::Local, 600_000_000);
        t.start_periodic(Channel::T0, 18_750);
        let r = regs.0.borrow();
        assert_eq!(r[T0_RELOAD / 4], 18_750);
        assert_eq!(r[T0_VALUE / 4], 18_750);
        assert_eq!(r[CTRL / 4], 0b11 | (5 << 19));
        assert_eq!(t.rate_hz(), 18_750_000);
    }

    #[test]
    fn acknowledge_writes_the_complement_to_the_right_status_register() {
        let regs = Regs(RefCell::new([0; 12]));
        let mut g = TimerBlock::new(&regs, Block::Global, 1);
        g.acknowledge(Channel::T1);
        assert_eq!(regs.0.borrow()[GLOBAL_EVENTS_STATUS / 4], !0x100);
        let mut l = TimerBlock::new(&regs, Block::Local, 1);
        l.acknowledge(Channel::T0);
        assert_eq!(regs.0.borrow()[LOCAL_EVENTS_STATUS / 4], !0x1);
    }

    #[test]
    fn clock_reports_the_down_counter_as_a_32_bit_up_count() {
        let regs = Regs(RefCell::new([0; 12]));
        let clock = Clock::start(
            TimerBlock::new(&regs, Block::Global, 32_000_000),
            Channel::T0,
        );
        regs.0.borrow_mut()[T0_VALUE / 4] = u32::MAX - 1000;
        assert_eq!(clock.now_ticks(), 1000);
        regs.0.borrow_mut()[T0_VALUE / 4] = 10; // near the end of the first lap
        assert_eq!(clock.now_ticks(), u32::MAX - 10);
        regs.0.borrow_mut()[T0_VALUE / 4] = u32::MAX - 5; // wrapped: the kernel extends it
        let clock: &dyn hil::Clock = &clock;
        assert_eq!(clock.now_ticks(), 5);
        assert_eq!(clock.counter_bits(), 32);
        // 1 MHz after /32.
        assert_eq!(clock.frequency_hz(), 1_000_000);
    }
}
