//! Register access: the one seam between every driver in this crate and the hardware.
//!
//! Drivers never dereference MMIO themselves; they own a [`Bus`] for their register window.
//! [`Mmio`] implements it with volatile 32-bit accesses (the only width the IXP4xx peripherals
//! are specified for, see Linux `arch/arm/mach-ixp4xx/include/mach/ixp4xx-regs.h`: "only perform
//! 32bit reads/writes"), host tests implement it with behavioural models. [`Reg`] puts
//! tock-registers' typed field API on top of a bus offset, so driver code reads
//! `reg(&bus, LSR).is_set(LSR::THRE)`.
//!
//! 32-bit accesses are also what makes the drivers endian-neutral: BE32 (the firmware) and
//! little-endian (host tests) agree on every 32-bit value, only sub-word lanes differ.

use core::marker::PhantomData;
use core::ptr::NonNull;

use tock_registers::RegisterLongName;
use tock_registers::interfaces::{Readable, Writeable};

/// 32-bit register access to one register window, by byte offset.
///
/// Implementations perform exactly one device access per call: several registers have side
/// effects on read (queue-manager access words pop an entry, the NPE FIFO pops a word).
pub trait Bus {
    /// Reads the 32-bit register at byte offset `offset` (a multiple of 4).
    fn read(&self, offset: usize) -> u32;
    /// Writes the 32-bit register at byte offset `offset`.
    fn write(&self, offset: usize, value: u32);
}

impl<T: Bus + ?Sized> Bus for &T {
    fn read(&self, offset: usize) -> u32 {
        (**self).read(offset)
    }
    fn write(&self, offset: usize, value: u32) {
        (**self).write(offset, value)
    }
}

/// A memory-mapped register window.
#[derive(Debug)]
pub struct Mmio {
    base: NonNull<u32>,
    len: usize,
}

impl Mmio {
    /// A bus over the `len`-byte register window at physical/virtual address `base`.
    ///
    /// # Safety
    /// `base..base + len` must be a register window of the peripheral the bus is handed to,
    /// mapped as Device (or Strongly-ordered/uncached) memory for as long as the returned value
    /// and anything built on it live, and nothing else may access that window meanwhile (some
    /// registers pop on read).
    pub unsafe fn new(base: usize, len: usize) -> Self {
        let ptr = core::ptr::with_exposed_provenance_mut::<u32>(base);
        Mmio {
            // A null base violates the contract above; fall back to a dangling pointer only to
            // keep this constructor panic-free (any access would then fault).
            base: NonNull::new(ptr).unwrap_or(NonNull::dangling()),
            len,
        }
    }
}

// SAFETY: `Mmio` is the exclusive owner of its window (see `new`); moving that ownership to
// another execution context (e.g. into a critical-section mutex shared with an IRQ handler)
// keeps every access behind the single owner.
unsafe impl Send for Mmio {}

impl Bus for Mmio {
    fn read(&self, offset: usize) -> u32 {
        debug_assert!(offset.is_multiple_of(4) && offset < self.len);
        // SAFETY: `new`'s contract makes `base..base+len` a valid, exclusively owned device
        // window; callers pass 4-aligned register offsets inside it (constants of this crate).
        unsafe { self.base.byte_add(offset).read_volatile() }
    }

    fn write(&self, offset: usize, value: u32) {
        debug_assert!(offset.is_multiple_of(4) && offset < self.len);
        // SAFETY: as in `read`.
        unsafe { self.base.byte_add(offset).write_volatile(value) }
    }
}

/// A register's byte offset and its tock-registers field type.
pub struct RegDef<R: RegisterLongName> {
    offset: usize,
    _fields: PhantomData<R>,
}

impl<R: RegisterLongName> Clone for RegDef<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R: RegisterLongName> Copy for RegDef<R> {}

impl<R: RegisterLongName> RegDef<R> {
    /// The register at byte offset `offset`.
    pub const fn at(offset: usize) -> Self {
        RegDef {
            offset,
            _fields: PhantomData,
        }
    }

    /// Byte offset in the register window.
    pub const fn offset(self) -> usize {
        self.offset
    }
}

/// A register bound to a bus; implements tock-registers' `Readable` and `Writeable`.
pub struct Reg<'b, B: Bus + ?Sized, R: RegisterLongName> {
    bus: &'b B,
    def: RegDef<R>,
}

/// Binds `def` to `bus`.
pub fn reg<B: Bus + ?Sized, R: RegisterLongName>(bus: &B, def: RegDef<R>) -> Reg<'_, B, R> {
    Reg { bus, def }
}

impl<B: Bus + ?Sized, R: RegisterLongName> Readable for Reg<'_, B, R> {
    type T = u32;
    type R = R;

    fn get(&self) -> u32 {
        self.bus.read(self.def.offset)
    }
}

impl<B: Bus + ?Sized, R: RegisterLongName> Writeable for Reg<'_, B, R> {
    type T = u32;
    type R = R;

    fn set(&self, value: u32) {
        self.bus.write(self.def.offset, value)
    }
}
