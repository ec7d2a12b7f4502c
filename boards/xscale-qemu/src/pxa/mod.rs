//! Just enough PXA255 to run the kernel core: the OS timer and the interrupt controller (the
//! full-function UART is the shared `ns16550` driver's XScale variant). Register facts from QEMU `hw/arm/pxa2xx.c`, `hw/timer/pxa2xx_timer.c`,
//! `hw/arm/pxa2xx_pic.c` and Linux `arch/arm/mach-pxa` (`pxa-regs.h`, `irqs.h`), as cited in
//! each module. The PXA's peripherals are not the NSLU2's (IXP420); what this board exercises
//! is the shared XScale core and the big-endian kernel, not the chip drivers.

pub mod icu;
pub mod ostimer;

/// A block of 32-bit device registers at a fixed physical address.
#[derive(Clone, Copy)]
pub struct Registers {
    base: usize,
}

impl Registers {
    /// The block at `base`.
    ///
    /// # Safety
    /// `base` must be a device register block, identity-mapped as device memory (or reached
    /// with the MMU off) for as long as the value is used.
    pub const unsafe fn new(base: usize) -> Self {
        Self { base }
    }

    /// Reads the register at byte `offset`.
    pub fn read(&self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract: the block is device memory; offsets are register offsets
        // inside it, 4-byte aligned.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }

    /// Writes the register at byte `offset`.
    pub fn write(&self, offset: usize, value: u32) {
        // SAFETY: as for `read`.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }
}
