//! Cortex-A9 MPCore timers: the 64-bit global timer (monotonic clock) and the per-CPU private
//! timer (periodic tick), both clocked by PERIPHCLK.
//!
//! Layout: *Cortex-A9 MPCore TRM* r4p1, §4.3 "Global timer registers" (PERIPHBASE + 0x200) and
//! §4.2 "Private timer and watchdog registers" (PERIPHBASE + 0x600). Under QEMU both count at
//! 100 MHz with a zero prescaler: one tick is (prescaler + 1) × 10 ns (qemu hw/timer/a9gtimer.c,
//! `a9_gtimer_get_conv`; hw/timer/arm_mptimer.c, `timerblock_scale`).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_structs! {
    /// Global timer (TRM §4.3).
    pub GlobalTimerRegisters {
        (0x00 => counter_lo: ReadOnly<u32>),
        (0x04 => counter_hi: ReadOnly<u32>),
        (0x08 => control: ReadWrite<u32, GT_CONTROL::Register>),
        (0x0c => interrupt_status: ReadWrite<u32>),
        (0x10 => @END),
    }
}

register_structs! {
    /// Private timer (TRM §4.2).
    pub PrivateTimerRegisters {
        (0x00 => load: ReadWrite<u32>),
        (0x04 => counter: ReadWrite<u32>),
        (0x08 => control: ReadWrite<u32, PT_CONTROL::Register>),
        (0x0c => interrupt_status: ReadWrite<u32>),
        (0x10 => @END),
    }
}

register_bitfields! [u32,
    GT_CONTROL [
        TIMER_ENABLE OFFSET(0) NUMBITS(1) [],
        PRESCALER OFFSET(8) NUMBITS(8) []
    ],
    PT_CONTROL [
        TIMER_ENABLE OFFSET(0) NUMBITS(1) [],
        AUTO_RELOAD OFFSET(1) NUMBITS(1) [],
        IRQ_ENABLE OFFSET(2) NUMBITS(1) [],
        PRESCALER OFFSET(8) NUMBITS(8) []
    ]
];

/// Interrupt ID of the private timer (PPI 13, TRM §3.3 "Interrupt distributor interrupt sources").
pub const PRIVATE_TIMER_IRQ: u32 = 29;

/// The global timer used as a free-running 64-bit counter.
pub struct GlobalTimer {
    regs: *const GlobalTimerRegisters,
}

// SAFETY: only the MMIO address is held; reads of the counter are side-effect free and the
// control register is written once at start-up.
unsafe impl Sync for GlobalTimer {}
// SAFETY: as above.
unsafe impl Send for GlobalTimer {}

impl GlobalTimer {
    /// # Safety
    /// `base` must address the global timer block (PERIPHBASE + 0x200), mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            regs: base as *const GlobalTimerRegisters,
        }
    }

    fn regs(&self) -> &GlobalTimerRegisters {
        // SAFETY: `new`'s contract.
        unsafe { &*self.regs }
    }

    /// Starts counting at PERIPHCLK with no prescaler. The counter keeps its value.
    pub fn start(&self) {
        self.regs()
            .control
            .write(GT_CONTROL::TIMER_ENABLE::SET + GT_CONTROL::PRESCALER.val(0));
    }

    /// The 64-bit count. The two halves are read high-low-high and retried if the low half
    /// carried in between, the sequence TRM §4.3.1 prescribes.
    pub fn count(&self) -> u64 {
        let regs = self.regs();
        loop {
            let high = regs.counter_hi.get();
            let low = regs.counter_lo.get();
            if regs.counter_hi.get() == high {
                return (u64::from(high) << 32) | u64::from(low);
            }
        }
    }
}

/// The private timer of CPU 0 used as a periodic tick.
pub struct PrivateTimer {
    regs: *const PrivateTimerRegisters,
}

// SAFETY: only the MMIO address is held; configuration happens once, acknowledgement is a single
// write-one-to-clear.
unsafe impl Sync for PrivateTimer {}
// SAFETY: as above.
unsafe impl Send for PrivateTimer {}

impl PrivateTimer {
    /// # Safety
    /// `base` must address the private timer block (PERIPHBASE + 0x600), mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            regs: base as *const PrivateTimerRegisters,
        }
    }

    fn regs(&self) -> &PrivateTimerRegisters {
        // SAFETY: `new`'s contract.
        unsafe { &*self.regs }
    }

    /// Interrupts every `period_ticks` PERIPHCLK cycles, reloading automatically.
    pub fn start_periodic(&self, period_ticks: u32) {
        let regs = self.regs();
        regs.control.set(0);
        regs.interrupt_status.set(1);
        // The counter reloads from LOAD after reaching zero, so the period is LOAD + 1.
        regs.load.set(period_ticks.saturating_sub(1));
        regs.control.write(
            PT_CONTROL::TIMER_ENABLE::SET
                + PT_CONTROL::AUTO_RELOAD::SET
                + PT_CONTROL::IRQ_ENABLE::SET,
        );
    }

    /// Clears the event flag; returns whether it was set (i.e. this timer interrupted).
    pub fn acknowledge(&self) -> bool {
        let regs = self.regs();
        let fired = regs.interrupt_status.get() & 1 != 0;
        if fired {
            regs.interrupt_status.set(1);
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_tick_programs_load_and_control() {
        let mut block = [0u32; 4];
        // SAFETY: `block` stands in for the register block.
        let timer = unsafe { PrivateTimer::new(block.as_mut_ptr() as usize) };
        timer.start_periodic(1_000_000);
        assert_eq!(block[0], 999_999);
        assert_eq!(block[2], 0b111);
    }

    #[test]
    fn global_count_joins_both_halves() {
        let mut block: [u32; 4] = [0x89ab_cdef, 0x0123_4567, 0, 0];
        // SAFETY: `block` stands in for the register block.
        let timer = unsafe { GlobalTimer::new(block.as_mut_ptr() as usize) };
        assert_eq!(timer.count(), 0x0123_4567_89ab_cdef);
        timer.start();
        assert_eq!(block[2], 1);
    }
}
