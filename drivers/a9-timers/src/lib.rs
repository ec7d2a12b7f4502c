//! Cortex-A9 MPCore timers: the 64-bit global timer ([`hil::Clock`]) and the per-CPU private
//! timer ([`hil::TickTimer`]), both clocked by PERIPHCLK.
//!
//! Layout: *Cortex-A9 MPCore TRM* r4p1, §4.3 "Global timer registers" (PERIPHBASE + 0x200) and
//! §4.2 "Private timer and watchdog registers" (PERIPHBASE + 0x600). PERIPHCLK depends on the
//! SoC, so its rate is a constructor parameter. Under QEMU both count at 100 MHz with a zero
//! prescaler: one tick is (prescaler + 1) × 10 ns (qemu hw/timer/a9gtimer.c,
//! `a9_gtimer_get_conv`; hw/timer/arm_mptimer.c, `timerblock_scale`).
//!
//! # Where things are
//!
//! | item | what |
//! |---|---|
//! | `GT_*` constants, [`GT_CONTROL`] | global timer registers (TRM §4.3) |
//! | `PT_*` constants, [`PT_CONTROL`] | private timer registers (TRM §4.2) |
//! | [`GlobalTimer`] | free-running 64-bit counter, [`hil::Clock`] |
//! | [`PrivateTimer`] | periodic tick on PPI 29, [`hil::TickTimer`] |
#![cfg_attr(not(test), no_std)]

use hil::IrqNumber;
use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

register_bitfields! [u32,
    /// Global timer control (TRM §4.3.3).
    pub GT_CONTROL [
        TIMER_ENABLE OFFSET(0) NUMBITS(1) [],
        PRESCALER OFFSET(8) NUMBITS(8) []
    ],
    /// Private timer control (TRM §4.2.3).
    pub PT_CONTROL [
        TIMER_ENABLE OFFSET(0) NUMBITS(1) [],
        AUTO_RELOAD OFFSET(1) NUMBITS(1) [],
        IRQ_ENABLE OFFSET(2) NUMBITS(1) [],
        PRESCALER OFFSET(8) NUMBITS(8) []
    ],
    /// Private timer interrupt status (TRM §4.2.4): write 1 to clear.
    pub PT_STATUS [
        EVENT_FLAG OFFSET(0) NUMBITS(1) []
    ]
];

/// Global timer counter, low word.
pub const GT_COUNTER_LO: RegDef = RegDef::at(0x00);
/// Global timer counter, high word.
pub const GT_COUNTER_HI: RegDef = RegDef::at(0x04);
/// Global timer control.
pub const GT_CONTROL_REG: RegDef<GT_CONTROL::Register> = RegDef::at(0x08);
/// Private timer load.
pub const PT_LOAD: RegDef = RegDef::at(0x00);
/// Private timer control.
pub const PT_CONTROL_REG: RegDef<PT_CONTROL::Register> = RegDef::at(0x08);
/// Private timer interrupt status.
pub const PT_INTERRUPT_STATUS: RegDef<PT_STATUS::Register> = RegDef::at(0x0c);
/// Length of either timer's register window.
pub const WINDOW_LEN: usize = 0x20;

/// Interrupt ID of the private timer (PPI 13, TRM §3.3 "Interrupt distributor interrupt sources").
pub const PRIVATE_TIMER_IRQ: u32 = 29;

/// The global timer used as a free-running 64-bit counter.
pub struct GlobalTimer<B: Bus> {
    bus: B,
    clock_hz: u64,
}

impl<B: Bus> GlobalTimer<B> {
    /// The global timer behind `bus`, counting PERIPHCLK at `clock_hz`.
    pub const fn new(bus: B, clock_hz: u64) -> Self {
        Self { bus, clock_hz }
    }

    /// Starts counting at PERIPHCLK with no prescaler. The counter keeps its value.
    pub fn start(&self) {
        reg(&self.bus, GT_CONTROL_REG)
            .write(GT_CONTROL::TIMER_ENABLE::SET + GT_CONTROL::PRESCALER.val(0));
    }

    /// The 64-bit count. The two halves are read high-low-high and retried if the low half
    /// carried in between, the sequence TRM §4.3.1 prescribes.
    pub fn count(&self) -> u64 {
        loop {
            let high = reg(&self.bus, GT_COUNTER_HI).get();
            let low = reg(&self.bus, GT_COUNTER_LO).get();
            if reg(&self.bus, GT_COUNTER_HI).get() == high {
                return (u64::from(high) << 32) | u64::from(low);
            }
        }
    }
}

impl<B: Bus + Sync> hil::Clock for GlobalTimer<B> {
    fn now_ticks(&self) -> u64 {
        self.count()
    }
    fn frequency_hz(&self) -> u64 {
        self.clock_hz
    }
}

/// The private timer of CPU 0 used as a periodic tick.
pub struct PrivateTimer<B: Bus> {
    bus: B,
    clock_hz: u64,
}

impl<B: Bus> PrivateTimer<B> {
    /// The private timer behind `bus`, counting PERIPHCLK at `clock_hz`.
    pub const fn new(bus: B, clock_hz: u64) -> Self {
        Self { bus, clock_hz }
    }

    /// Interrupts every `period_ticks` PERIPHCLK cycles, reloading automatically.
    pub fn start_periodic_ticks(&self, period_ticks: u32) {
        reg(&self.bus, PT_CONTROL_REG).set(0);
        reg(&self.bus, PT_INTERRUPT_STATUS).write(PT_STATUS::EVENT_FLAG::SET);
        // The counter reloads from LOAD after reaching zero, so the period is LOAD + 1.
        reg(&self.bus, PT_LOAD).set(period_ticks.saturating_sub(1));
        reg(&self.bus, PT_CONTROL_REG).write(
            PT_CONTROL::TIMER_ENABLE::SET
                + PT_CONTROL::AUTO_RELOAD::SET
                + PT_CONTROL::IRQ_ENABLE::SET,
        );
    }

    /// Clears the event flag; returns whether it was set (i.e. this timer interrupted).
    pub fn acknowledge(&self) -> bool {
        let fired = reg(&self.bus, PT_INTERRUPT_STATUS).is_set(PT_STATUS::EVENT_FLAG);
        if fired {
            reg(&self.bus, PT_INTERRUPT_STATUS).write(PT_STATUS::EVENT_FLAG::SET);
        }
        fired
    }
}

impl<B: Bus + Sync> hil::TickTimer for PrivateTimer<B> {
    fn irq(&self) -> IrqNumber {
        PRIVATE_TIMER_IRQ
    }
    fn start_periodic(&self, hz: u32) {
        self.start_periodic_ticks((self.clock_hz / u64::from(hz.max(1))) as u32);
    }
    fn acknowledge(&self) -> bool {
        PrivateTimer::acknowledge(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Plain memory standing in for the register block (a Mutex so the drivers are `Sync`).
    struct Block(Mutex<[u32; 4]>);
    impl Bus for Block {
        fn read(&self, offset: usize) -> u32 {
            self.0.lock().unwrap()[offset / 4]
        }
        fn write(&self, offset: usize, value: u32) {
            self.0.lock().unwrap()[offset / 4] = value;
        }
    }

    #[test]
    fn periodic_tick_programs_load_and_control_from_the_clock_rate() {
        let timer = PrivateTimer::new(Block(Mutex::new([0; 4])), 100_000_000);
        hil::TickTimer::start_periodic(&timer, 100);
        let block = *timer.bus.0.lock().unwrap();
        assert_eq!(block[0], 999_999);
        assert_eq!(block[2], 0b111);
        assert_eq!(hil::TickTimer::irq(&timer), 29);
    }

    #[test]
    fn global_count_joins_both_halves() {
        let timer = GlobalTimer::new(Block(Mutex::new([0x89ab_cdef, 0x0123_4567, 0, 0])), 400);
        assert_eq!(hil::Clock::now_ticks(&timer), 0x0123_4567_89ab_cdef);
        assert_eq!(hil::Clock::frequency_hz(&timer), 400);
        assert_eq!(hil::Clock::counter_bits(&timer), 64);
        timer.start();
        assert_eq!(timer.bus.0.lock().unwrap()[2], 1);
    }
}
