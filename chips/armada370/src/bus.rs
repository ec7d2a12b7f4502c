//! Register access: the one seam between the drivers and the hardware.
//!
//! Drivers never dereference MMIO themselves. They go through [`RegisterBus`], implemented with
//! volatile accesses by [`Mmio`] and by behavioural models in the host tests (counters that
//! move, write-0-to-clear causes, busy bits). [`Reg`] puts tock-registers' typed field API on
//! top of a bus offset, so driver code reads `self.reg::<GMAC_CTRL_2::Register>(off).is_set(..)`.
//!
//! Register offsets are plain constants (not `register_structs!`): the mvneta window is a sparse
//! 16 KiB map of per-queue arrays, and a bus seam needs offsets, not a struct overlaid on memory.
//! Bit fields use `register_bitfields!` in each module.

use core::marker::PhantomData;

use tock_registers::RegisterLongName;
use tock_registers::interfaces::{Readable, Writeable};

/// 32-bit register access to one device window, by byte offset.
///
/// Implementations perform exactly one device access per call: several registers on this SoC
/// have side effects on read (MIB counters clear on read, the MPIC acknowledge register).
pub trait RegisterBus {
    /// Reads the 32-bit register at byte offset `offset` (a multiple of 4).
    fn read32(&self, offset: usize) -> u32;
    /// Writes the 32-bit register at byte offset `offset`.
    fn write32(&self, offset: usize, value: u32);
}

impl<T: RegisterBus + ?Sized> RegisterBus for &T {
    fn read32(&self, offset: usize) -> u32 {
        (**self).read32(offset)
    }
    fn write32(&self, offset: usize, value: u32) {
        (**self).write32(offset, value)
    }
}

/// A memory-mapped register window.
#[derive(Debug, Clone, Copy)]
pub struct Mmio {
    base: usize,
    len: usize,
}

impl Mmio {
    /// A bus over the `len`-byte register window at physical/virtual address `base`.
    ///
    /// # Safety
    /// `base..base + len` must be a register window of the device the caller means, mapped as
    /// Device (or Strongly-ordered) memory for as long as the returned value and everything built
    /// on it live; drivers built on copies of one `Mmio` must not race (this crate's drivers each
    /// own their window, except the SMI register that [`crate::mdio::Smi`] owns alone).
    pub const unsafe fn new(base: usize, len: usize) -> Self {
        Mmio { base, len }
    }

    /// The window's base address.
    pub fn base(&self) -> usize {
        self.base
    }
}

// SAFETY: an `Mmio` names device registers, not Rust-owned memory; moving it to another
// context (e.g. into an interrupt-safe mutex) keeps the single-owner rule of `new`.
unsafe impl Send for Mmio {}

impl RegisterBus for Mmio {
    fn read32(&self, offset: usize) -> u32 {
        debug_assert!(offset.is_multiple_of(4) && offset < self.len);
        let addr = self.base + offset;
        // SAFETY: `new`'s contract makes `base..base+len` a mapped device window; `offset` is a
        // 4-byte-aligned register offset inside it (callers pass the constants of each module).
        // The address is formed from an integer because device memory has no Rust allocation.
        unsafe { core::ptr::with_exposed_provenance::<u32>(addr).read_volatile() }
    }

    fn write32(&self, offset: usize, value: u32) {
        debug_assert!(offset.is_multiple_of(4) && offset < self.len);
        let addr = self.base + offset;
        // SAFETY: as in `read32`.
        unsafe { core::ptr::with_exposed_provenance_mut::<u32>(addr).write_volatile(value) }
    }
}

/// A register bound to a bus; implements tock-registers' `Readable` and `Writeable`.
pub struct Reg<'b, B: RegisterBus + ?Sized, R: RegisterLongName = ()> {
    bus: &'b B,
    offset: usize,
    _fields: PhantomData<R>,
}

impl<'b, B: RegisterBus + ?Sized, R: RegisterLongName> Reg<'b, B, R> {
    /// The register at `offset` on `bus`.
    pub fn new(bus: &'b B, offset: usize) -> Self {
        Reg {
            bus,
            offset,
            _fields: PhantomData,
        }
    }
}

impl<B: RegisterBus + ?Sized, R: RegisterLongName> Readable for Reg<'_, B, R> {
    type T = u32;
    type R = R;

    fn get(&self) -> u32 {
        self.bus.read32(self.offset)
    }
}

impl<B: RegisterBus + ?Sized, R: RegisterLongName> Writeable for Reg<'_, B, R> {
    type T = u32;
    type R = R;

    fn set(&self, value: u32) {
        self.bus.write32(self.offset, value)
    }
}

/// Spins until `done()` or [`crate::POLL_LIMIT`] attempts; whether it finished.
pub(crate) fn poll_until(mut done: impl FnMut() -> bool) -> bool {
    (0..crate::POLL_LIMIT).any(|_| done())
}
