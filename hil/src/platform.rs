//! The seams between the kernel and the hardware it runs on.
//!
//! A board hands the kernel one implementation of each (in the kernel's `Platform`); chips and
//! drivers implement them directly on their driver types.

/// An interrupt number in the interrupt controller's own numbering.
pub type IrqNumber = u32;

/// The serial console. Writes are polled and blocking so they work from every context, the
/// panic handler included.
pub trait Console: Sync {
    /// Writes every byte, waiting for room in the transmitter.
    fn write_bytes(&self, bytes: &[u8]);
    /// One received byte, if any is waiting.
    fn read_byte(&self) -> Option<u8>;
    /// Waits until everything written has left the UART.
    fn flush(&self);
}

/// A free-running hardware counter.
///
/// Counters narrower than 64 bits report their raw value and their width; the kernel extends
/// them to 64 bits once, in one place (`kernel::time`), so no driver does it again.
pub trait Clock: Sync {
    /// The current count. Counters narrower than 64 bits wrap at `1 << counter_bits()`.
    fn now_ticks(&self) -> u64;
    /// Counting frequency.
    fn frequency_hz(&self) -> u64;
    /// Width of the counter in bits.
    fn counter_bits(&self) -> u32 {
        64
    }
}

/// A timer that interrupts periodically: the kernel's tick, which bounds how long the CPU sleeps.
pub trait TickTimer: Sync {
    /// The interrupt the timer raises.
    fn irq(&self) -> IrqNumber;
    /// Starts interrupting `hz` times a second.
    fn start_periodic(&self, hz: u32);
    /// Clears the timer's interrupt; returns whether it had fired.
    fn acknowledge(&self) -> bool;
}

/// The interrupt controller.
pub trait InterruptController: Sync {
    /// Resets the controller to all-masked and enables its outputs to the CPU.
    fn init(&self);
    /// Unmasks `irq`.
    fn enable(&self, irq: IrqNumber);
    /// Masks `irq`.
    fn disable(&self, irq: IrqNumber);
    /// Takes the highest-priority pending interrupt; `None` when nothing (or a spurious
    /// interrupt) is pending.
    fn claim(&self) -> Option<IrqNumber>;
    /// Ends the handling of an interrupt returned by [`InterruptController::claim`].
    fn complete(&self, irq: IrqNumber);
}

/// Reset and power control.
pub trait Power: Sync {
    /// Resets the board. Used after a panic.
    fn reset(&self) -> !;
    /// Powers the board off, or halts it where it cannot power itself off.
    fn power_off(&self) -> !;
}

/// A watchdog: resets the board unless fed within its timeout.
///
/// The kernel arms it at boot and feeds it once per pass of its main loop (`Kernel::run`), so
/// both a kernel stuck with interrupts masked and a main loop that stopped coming round are
/// caught; the tick alone would only catch the first.
pub trait Watchdog: Sync {
    /// Arms the watchdog: the board resets `timeout_ms` after the last feed. A timeout above the
    /// hardware's ceiling is clamped to it.
    fn start(&self, timeout_ms: u32);
    /// Restarts the countdown from the timeout given to [`Watchdog::start`].
    fn feed(&self);
    /// Disarms it, before a deliberate halt or power-off.
    fn stop(&self);
}

/// How the CPU waits in the kernel's idle loop: a chip's choice, because not every core that
/// has a sleep instruction may use it (the IXP4xx lacks the XScale's PWRMODE register).
pub trait Idle: Sync {
    /// Waits until an interrupt is pending, or returns at once where the chip cannot sleep.
    /// The kernel calls it with interrupts masked, after checking that no work is pending; an
    /// interrupt that arrives meanwhile must end the wait (and stays pending).
    fn wait_for_interrupt(&self);
}

/// ARMv7's WFI, which returns on a pending interrupt even while interrupts are masked (ARM
/// ARM v7-A B1.8.14): what lets the idle loop check for work and then sleep without a race.
#[cfg(all(target_arch = "arm", target_feature = "v7"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Wfi;

#[cfg(all(target_arch = "arm", target_feature = "v7"))]
impl Idle for Wfi {
    fn wait_for_interrupt(&self) {
        aarch32_cpu::asm::wfi();
    }
}

/// Masks interrupts and stops for good: how a [`Power`] implementation ends when the hardware
/// acts on its request asynchronously, when the board cannot switch itself off, and the
/// kernel's own `halt`. The one halt of the firmware.
///
/// ARMv7 sleeps in WFI, which keeps a halted box cool and a QEMU guest idle. ARMv5TE has no
/// architectural wait-for-interrupt, and the XScale's (CP14 PWRMODE) is missing on the IXP4xx
/// (Linux `arch/arm/mach-ixp4xx/common.c`: "ixp4xx does not implement the XScale PWRMODE
/// register"), so there, as on the host (tests), it spins.
pub fn halt() -> ! {
    #[cfg(target_arch = "arm")]
    aarch32_cpu::interrupt::disable();
    loop {
        #[cfg(all(target_arch = "arm", target_feature = "v7"))]
        aarch32_cpu::asm::wfi();
        #[cfg(not(all(target_arch = "arm", target_feature = "v7")))]
        core::hint::spin_loop();
    }
}
