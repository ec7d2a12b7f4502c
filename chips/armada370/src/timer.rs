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
//!
//! The drivers take `&self`, so they serve `hil::Clock` and `hil::TickTimer` directly: every
//! read-modify-write of CTRL runs in a critical section, because the global block's CTRL also
//! holds the watchdog's enable and prescaler ([`crate::watchdog::Watchdog`] does the same), and
//! a tick or watchdog call from an interrupt handler must not interleave with one here.

use tock_registers::fields::Field;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::register_bitfields;

use hil::IrqNumber;
use hil::mmio::{Bus, Reg, RegDef, reg};

register_bitfields![u32,
    /// Timer control register (`TIMER_CTRL_OFF`; the watchdog's bits from `orion_wdt.c`).
    pub CTRL [
        /// Timer 0 enable.
        T0_EN OFFSET(0) NUMBITS(1) [],
        /// Timer 0 reloads from T0_RELOAD when it reaches 0.
        T0_RELOAD_EN OFFSET(1) NUMBITS(1) [],
        /// Timer 1 enable.
        T1_EN OFFSET(2) NUMBITS(1) [],
        /// Timer 1 auto-reload.
        T1_RELOAD_EN OFFSET(3) NUMBITS(1) [],
        /// Watchdog enable, global block only (`armada370_data.wdt_enable_bit`, `BIT(8)`).
        WDT_EN OFFSET(8) NUMBITS(1) [],
        /// Watchdog prescaler, global block only (`WDT_A370_RATIO_MASK`, bits 18..16).
        WDT_DIV OFFSET(16) NUMBITS(3) [],
        /// Timer 0 prescaler: input / 2^n (`TIMER0_DIV(div)` = div << 19).
        T0_DIV OFFSET(19) NUMBITS(3) [],
        /// Timer 1 prescaler (`TIMER1_DIV(div)` = div << 22).
        T1_DIV OFFSET(22) NUMBITS(3) []
    ],
    /// Event status (`TIMER_EVENTS_STATUS`, `LCL_TIMER_EVENTS_STATUS`): a bit written 0 clears.
    pub EVENTS [
        /// Timer 0 reached 0 (`TIMER0_CLR_MASK` = ~0x1).
        T0 OFFSET(0) NUMBITS(1) [],
        /// Timer 1 reached 0 (`TIMER1_CLR_MASK` = ~0x100).
        T1 OFFSET(8) NUMBITS(1) [],
        /// The watchdog expired, global block only (`orion_wdt.c` `WDT_A370_EXPIRED`, `BIT(31)`).
        WDT_EXPIRED OFFSET(31) NUMBITS(1) []
    ]
];

/// Control (enables, auto-reload, dividers; the watchdog's bits in the global block).
pub const CTRL: RegDef<CTRL::Register> = RegDef::at(0x00);
/// Global block event status.
pub const GLOBAL_EVENTS_STATUS: RegDef<EVENTS::Register> = RegDef::at(0x04);
/// Timer 0 reload value.
pub const T0_RELOAD: RegDef = RegDef::at(0x10);
/// Timer 0 current value.
pub const T0_VALUE: RegDef = RegDef::at(0x14);
/// Timer 1 reload value.
pub const T1_RELOAD: RegDef = RegDef::at(0x18);
/// Timer 1 current value.
pub const T1_VALUE: RegDef = RegDef::at(0x1C);
/// Per-CPU block event status.
pub const LOCAL_EVENTS_STATUS: RegDef<EVENTS::Register> = RegDef::at(0x28);
/// Bytes of a timer block the drivers reach (in the global block, up to and including the
/// watchdog counter at 0x34).
pub const WINDOW_LEN: usize = 0x40;

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
        reg(&self.bus, CTRL)
    }

    /// Counting rate after the default prescaler.
    pub fn rate_hz(&self) -> u32 {
        self.input_hz >> DEFAULT_DIVIDER_SHIFT
    }

    /// Starts `channel` as a free-running counter (reload 0xFFFF_FFFF, auto-reload), the way
    /// Linux sets up its clocksource. Read it with [`Self::ticks`].
    pub fn start_free_running(&self, channel: Channel) {
        self.start(channel, u32::MAX);
    }

    /// Starts `channel` periodic with a period of `ticks` counts: an event (and interrupt, if
    /// unmasked in the MPIC) every period. Acknowledge with [`Self::acknowledge`].
    pub fn start_periodic(&self, channel: Channel, ticks: u32) {
        self.start(channel, ticks.max(1));
    }

    /// Stop, load, restart: one critical section, so the watchdog's CTRL bits (global block)
    /// cannot change between the read and the write of a `modify`.
    fn start(&self, channel: Channel, reload: u32) {
        let (reload_off, value_off) = match channel {
            Channel::T0 => (T0_RELOAD, T0_VALUE),
            Channel::T1 => (T1_RELOAD, T1_VALUE),
        };
        critical_section::with(|_| {
            self.stop_channel(channel);
            reg(&self.bus, reload_off).set(reload);
            reg(&self.bus, value_off).set(reload);
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
        })
    }

    fn stop_channel(&self, channel: Channel) {
        match channel {
            Channel::T0 => self.ctrl().modify(CTRL::T0_EN::CLEAR),
            Channel::T1 => self.ctrl().modify(CTRL::T1_EN::CLEAR),
        }
    }

    /// Stops `channel`.
    pub fn stop(&self, channel: Channel) {
        critical_section::with(|_| self.stop_channel(channel))
    }

    /// Elapsed counts of a free-running channel, as an up-counter (wraps at 2^32).
    pub fn ticks(&self, channel: Channel) -> u32 {
        let off = match channel {
            Channel::T0 => T0_VALUE,
            Channel::T1 => T1_VALUE,
        };
        u32::MAX - reg(&self.bus, off).get()
    }

    fn status(&self) -> Reg<'_, B, EVENTS::Register> {
        reg(&self.bus, self.status_def())
    }

    fn status_def(&self) -> RegDef<EVENTS::Register> {
        match self.block {
            Block::Global => GLOBAL_EVENTS_STATUS,
            Block::Local => LOCAL_EVENTS_STATUS,
        }
    }

    fn event(channel: Channel) -> Field<u32, EVENTS::Register> {
        match channel {
            Channel::T0 => EVENTS::T0,
            Channel::T1 => EVENTS::T1,
        }
    }

    /// Whether `channel` has an unacknowledged event.
    pub fn event_pending(&self, channel: Channel) -> bool {
        self.status().is_set(Self::event(channel))
    }

    /// Acknowledges `channel`'s event: the status register clears the bits written as 0
    /// (Linux writes `TIMER0_CLR_MASK` = ~0x1). One write, so no critical section.
    pub fn acknowledge(&self, channel: Channel) {
        let event = Self::event(channel);
        self.status().set(!(event.mask << event.shift))
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
    /// A clock on `channel` of `timer`; touches no register (start it with [`Self::start`]).
    pub fn new(timer: TimerBlock<B>, channel: Channel) -> Self {
        Clock { timer, channel }
    }

    /// Starts the channel free-running.
    pub fn start(&self) {
        self.timer.start_free_running(self.channel);
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

/// A periodic channel as the kernel's tick (`hil::TickTimer`); on the Armada 370 per-CPU
/// timer 0, the one Linux uses as its clock-event device, raising MPIC per-CPU interrupt
/// [`crate::map::irq::LOCAL_TIMER0`].
pub struct Tick<B: Bus> {
    timer: TimerBlock<B>,
    channel: Channel,
    irq: IrqNumber,
}

impl<B: Bus> Tick<B> {
    /// `channel` of `timer`, which raises `irq`; touches no register.
    pub fn new(timer: TimerBlock<B>, channel: Channel, irq: IrqNumber) -> Self {
        Tick {
            timer,
            channel,
            irq,
        }
    }
}

/// `start_periodic` serialises its CTRL read-modify-write itself; `acknowledge` is a read and a
/// write of the status register, called from the tick's interrupt handler only.
impl<B: Bus + Sync> hil::TickTimer for Tick<B> {
    fn irq(&self) -> IrqNumber {
        self.irq
    }
    fn start_periodic(&self, hz: u32) {
        let period = self.timer.rate_hz() / hz.max(1);
        self.timer.start_periodic(self.channel, period);
    }
    fn acknowledge(&self) -> bool {
        let fired = self.timer.event_pending(self.channel);
        if fired {
            self.timer.acknowledge(self.channel);
        }
        fired
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
        let t = TimerBlock::new(&regs, Block::Local, 600_000_000);
        t.start_periodic(Channel::T0, 18_750);
        let r = regs.0.borrow();
        assert_eq!(r[T0_RELOAD.offset() / 4], 18_750);
        assert_eq!(r[T0_VALUE.offset() / 4], 18_750);
        assert_eq!(r[CTRL.offset() / 4], 0b11 | (5 << 19));
        assert_eq!(t.rate_hz(), 18_750_000);
    }

    #[test]
    fn acknowledge_writes_the_complement_to_the_right_status_register() {
        let regs = Regs(RefCell::new([0; 12]));
        let g = TimerBlock::new(&regs, Block::Global, 1);
        g.acknowledge(Channel::T1);
        assert_eq!(regs.0.borrow()[GLOBAL_EVENTS_STATUS.offset() / 4], !0x100);
        let l = TimerBlock::new(&regs, Block::Local, 1);
        l.acknowledge(Channel::T0);
        assert_eq!(regs.0.borrow()[LOCAL_EVENTS_STATUS.offset() / 4], !0x1);
    }

    #[test]
    fn clock_reports_the_down_counter_as_a_32_bit_up_count() {
        let regs = Regs(RefCell::new([0; 12]));
        let clock = Clock::new(
            TimerBlock::new(&regs, Block::Global, 32_000_000),
            Channel::T0,
        );
        clock.start();
        regs.0.borrow_mut()[T0_VALUE.offset() / 4] = u32::MAX - 1000;
        assert_eq!(clock.now_ticks(), 1000);
        regs.0.borrow_mut()[T0_VALUE.offset() / 4] = 10; // near the end of the first lap
        assert_eq!(clock.now_ticks(), u32::MAX - 10);
        regs.0.borrow_mut()[T0_VALUE.offset() / 4] = u32::MAX - 5; // wrapped: the kernel extends it
        let clock: &dyn hil::Clock = &clock;
        assert_eq!(clock.now_ticks(), 5);
        assert_eq!(clock.counter_bits(), 32);
        // 1 MHz after /32.
        assert_eq!(clock.frequency_hz(), 1_000_000);
    }

    #[test]
    fn the_tick_programs_its_period_and_acknowledges_only_a_pending_event() {
        use hil::TickTimer;
        let regs = Regs(RefCell::new([0; 12]));
        let tick = Tick::new(
            TimerBlock::new(&regs, Block::Local, 600_000_000),
            Channel::T0,
            5,
        );
        assert_eq!(tick.irq(), 5);
        tick.start_periodic(100);
        assert_eq!(regs.0.borrow()[T0_RELOAD.offset() / 4], 187_500);
        assert!(!tick.acknowledge(), "nothing pending: no acknowledge");
        assert_eq!(regs.0.borrow()[LOCAL_EVENTS_STATUS.offset() / 4], 0);
        regs.0.borrow_mut()[LOCAL_EVENTS_STATUS.offset() / 4] = 1;
        assert!(tick.acknowledge());
        assert_eq!(regs.0.borrow()[LOCAL_EVENTS_STATUS.offset() / 4], !0x1);
    }
}
