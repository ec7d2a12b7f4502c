//! The seam between the portable kernel and a board.
//!
//! A board crate (`boards/*`) wires chip drivers from a `hal-*` crate to these small traits and
//! describes its memory map in a [`Platform`]. The kernel, the network stack and the proxy only
//! ever see the traits, never a chip. This is the same split Tock makes between `chips/`,
//! `boards/` and its HIL traits.

use core::cell::RefCell;

use critical_section::Mutex;

/// Runs `f` on the driver in `cell`, or returns `None` when it is not installed yet or already
/// borrowed. For boards whose HAL drivers take `&mut self` but must serve these `&self` traits
/// from any context: each driver lives in a `Mutex<RefCell<Option<_>>>` and every access is a
/// critical section. A busy driver can only mean re-entry on the same CPU (e.g. a panic raised
/// while the driver was in use); refusing is the only answer that cannot panic again.
pub fn with_driver<T, R>(
    cell: &'static Mutex<RefCell<Option<T>>>,
    f: impl FnOnce(&mut T) -> R,
) -> Option<R> {
    critical_section::with(|cs| {
        let mut slot = cell.borrow(cs).try_borrow_mut().ok()?;
        slot.as_mut().map(f)
    })
}

/// An interrupt number in the board's interrupt controller's numbering.
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

/// A physical address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRange {
    /// First byte.
    pub base: usize,
    /// Length in bytes.
    pub size: usize,
}

impl MemoryRange {
    /// One past the last byte, saturating at the top of the address space.
    pub const fn end(&self) -> usize {
        self.base.saturating_add(self.size)
    }

    /// Whether `address` lies inside the range.
    pub const fn contains(&self, address: usize) -> bool {
        address >= self.base && address < self.end()
    }
}

/// Everything the kernel needs to know about a board.
pub struct Platform {
    /// Board name for the banner and logs, e.g. `vexpress-a9`.
    pub name: &'static str,
    /// The console UART.
    pub console: &'static dyn Console,
    /// The monotonic clock.
    pub clock: &'static dyn Clock,
    /// A second, independent counter, used only to cross-check the clock in self-tests.
    pub reference_clock: Option<&'static dyn Clock>,
    /// The tick timer.
    pub tick: &'static dyn TickTimer,
    /// The interrupt controller.
    pub interrupts: &'static dyn InterruptController,
    /// Reset and power-off.
    pub power: &'static dyn Power,
    /// Where RAM is when the bootloader tells us nothing.
    pub default_ram: MemoryRange,
    /// The window RAM can possibly occupy: a boot-information pointer outside it is not followed.
    pub ram_window: MemoryRange,
    /// Places to look for a DTB or an ATAG list when r2 holds nothing usable.
    pub boot_info_probes: &'static [usize],
    /// RAM the kernel must not hand to its heap (bootloader data, the DTB).
    pub reserved: &'static [MemoryRange],
    /// Device register windows, identity-mapped as device memory.
    pub devices: &'static [MemoryRange],
}
