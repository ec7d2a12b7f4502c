//! The seam between the portable kernel and a board.
//!
//! A board crate (`boards/*`) hands the kernel chip drivers that implement `hil`'s seam traits and
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

pub use hil::{Clock, Console, Idle, InterruptController, IrqNumber, Power, TickTimer, Watchdog};

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
    /// The watchdog the kernel arms at boot and feeds from its main loop; `None` where the
    /// board has none the kernel may drive (one that cannot be stopped again, say).
    pub watchdog: Option<&'static dyn Watchdog>,
    /// How the idle loop waits for an interrupt (`hil::platform::Wfi` on ARMv7; the chip
    /// says on ARMv5TE).
    pub idle: &'static dyn Idle,
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
