//! Register access: the one seam between every driver and its hardware.
//!
//! Drivers never dereference MMIO themselves. Each owns a [`Bus`] for its register window:
//! [`Mmio`] on the hardware, a behavioural model in host tests (FIFO ports that pop, counters
//! that move, write-1-to-clear causes, busy bits). [`RegDef`] names a register (its byte offset
//! and its `register_bitfields!` type) and [`Reg`] binds it to a bus, so driver code reads
//! `reg(&self.bus, LSR).is_set(LSR::THRE)` with tock-registers' typed field API.
//!
//! Only 32-bit accesses: the widest common denominator of the peripherals here (the IXP4xx
//! peripherals are specified for nothing else, Linux `ixp4xx-regs.h`: "only perform 32bit
//! reads/writes"), and the reason the drivers are endian-neutral: a BE32 XScale and a
//! little-endian host agree on every 32-bit value.
//!
//! Offsets are constants rather than a `register_structs!` overlay because a bus seam needs
//! offsets (models answer by offset) and some windows are sparse per-queue arrays (mvneta). A
//! driver that has a register struct derives its offsets from it with `offset_of!`.

use core::marker::PhantomData;
use core::ptr::NonNull;

use tock_registers::RegisterLongName;
use tock_registers::interfaces::{Readable, Writeable};

/// 32-bit register access to one register window, by byte offset.
///
/// Implementations perform exactly one device access per call: many registers have side
/// effects on read (FIFO ports and queue-manager words pop, MIB counters clear, an interrupt
/// acknowledge register claims).
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

/// An owned memory-mapped register window. Not `Copy` and not `Clone`: whoever holds it is the
/// only driver of that window, which is what makes the `Send`/`Sync` below sound.
#[derive(Debug)]
pub struct Mmio {
    base: NonNull<u32>,
    len: usize,
}

impl Mmio {
    /// A bus over the `len`-byte register window at address `base` (identity-mapped, so
    /// physical and virtual agree).
    ///
    /// # Safety
    /// `base..base + len` must be a register window of the device the bus is handed to, mapped
    /// as Device (or Strongly-ordered) memory, or reached with the MMU off, for as long as the
    /// returned value and anything built on it live; and no other `Mmio` may cover any of it
    /// meanwhile (registers pop on read, so a second owner corrupts the first one's view).
    pub const unsafe fn new(base: usize, len: usize) -> Self {
        let ptr = core::ptr::with_exposed_provenance_mut::<u32>(base);
        Mmio {
            // A null base violates the contract above; a dangling pointer keeps this
            // constructor panic-free (any access would fault, not corrupt).
            base: match NonNull::new(ptr) {
                Some(base) => base,
                None => NonNull::dangling(),
            },
            len,
        }
    }

    /// The window's base address.
    pub fn base(&self) -> usize {
        self.base.as_ptr().addr()
    }

    /// The window's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the window is empty (never, for a real device).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

// SAFETY: an `Mmio` names device registers, not Rust memory, and it is the single owner of
// its window (`new`'s contract, and it is neither `Copy` nor `Clone`). Moving it to another
// context keeps that single owner.
unsafe impl Send for Mmio {}
// SAFETY: sharing `&Mmio` between the main loop and an interrupt handler on these single-core
// CPUs lets accesses interleave only between whole 32-bit volatile accesses, each of which is
// one bus transaction; a driver whose sequence of accesses must not interleave serialises it
// itself (critical section), as the crate docs of `hil` require.
unsafe impl Sync for Mmio {}

impl Bus for Mmio {
    fn read(&self, offset: usize) -> u32 {
        debug_assert!(offset.is_multiple_of(4) && offset < self.len);
        // SAFETY: `new`'s contract makes `base..base+len` a mapped device window owned by this
        // handle; callers pass 4-aligned register offsets inside it (their modules' constants).
        unsafe { self.base.byte_add(offset).read_volatile() }
    }

    fn write(&self, offset: usize, value: u32) {
        debug_assert!(offset.is_multiple_of(4) && offset < self.len);
        // SAFETY: as in `read`.
        unsafe { self.base.byte_add(offset).write_volatile(value) }
    }
}

/// A register's byte offset and its tock-registers field type (`()` for a plain word).
pub struct RegDef<R: RegisterLongName = ()> {
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

    /// The `index`-th register of an array of registers `stride` bytes apart starting here
    /// (per-interrupt or per-channel registers, e.g. the GIC's enable banks).
    pub const fn nth(self, index: usize, stride: usize) -> Self {
        RegDef::at(self.offset + index * stride)
    }

    /// Byte offset in the register window.
    pub const fn offset(self) -> usize {
        self.offset
    }
}

/// A register bound to a bus; implements tock-registers' `Readable` and `Writeable` (and so
/// `ReadWriteable`'s `modify`).
pub struct Reg<'b, B: Bus + ?Sized, R: RegisterLongName = ()> {
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

/// Spins until `done()` returns true or `limit` attempts have been made; whether it finished.
/// Every busy-wait on hardware is bounded: a register handshake that never completes is an
/// error the driver reports, never a hang.
pub fn poll_until(limit: u32, mut done: impl FnMut() -> bool) -> bool {
    (0..limit).any(|_| done())
}

#[cfg(test)]
mod tests {
    extern crate std;

    use core::cell::RefCell;
    use std::vec::Vec;

    use tock_registers::interfaces::ReadWriteable;
    use tock_registers::register_bitfields;

    use super::*;

    register_bitfields![u32, CTRL [ENABLE OFFSET(0) NUMBITS(1) [], MODE OFFSET(4) NUMBITS(2) []]];

    /// A bus that records every access, to show one call is one access.
    struct Recorder {
        words: RefCell<[u32; 4]>,
        log: RefCell<Vec<(char, usize, u32)>>,
    }

    impl Bus for Recorder {
        fn read(&self, offset: usize) -> u32 {
            let value = self.words.borrow()[offset / 4];
            self.log.borrow_mut().push(('r', offset, value));
            value
        }
        fn write(&self, offset: usize, value: u32) {
            self.words.borrow_mut()[offset / 4] = value;
            self.log.borrow_mut().push(('w', offset, value));
        }
    }

    const CONTROL: RegDef<CTRL::Register> = RegDef::at(0x8);

    #[test]
    fn typed_register_modify_is_one_read_and_one_write_at_its_offset() {
        let bus = Recorder {
            words: RefCell::new([0, 0, 0x30, 0]),
            log: RefCell::new(Vec::new()),
        };
        reg(&bus, CONTROL).modify(CTRL::ENABLE::SET + CTRL::MODE.val(1));
        assert_eq!(bus.words.borrow()[2], 0x11);
        assert_eq!(*bus.log.borrow(), [('r', 8, 0x30), ('w', 8, 0x11)]);
        assert!(reg(&bus, CONTROL).is_set(CTRL::ENABLE));
    }

    #[test]
    fn register_arrays_step_by_their_stride() {
        assert_eq!(RegDef::<()>::at(0x1400).nth(3, 4).offset(), 0x140c);
    }

    #[test]
    fn poll_until_is_bounded_and_reports_success() {
        let mut calls = 0;
        assert!(!poll_until(5, || {
            calls += 1;
            false
        }));
        assert_eq!(calls, 5);
        let mut n = 0;
        assert!(poll_until(5, || {
            n += 1;
            n == 2
        }));
        assert_eq!(n, 2);
    }

    #[test]
    fn addresses_above_31_are_refused() {
        use crate::mdio::{MdioError, check_address};
        assert_eq!(check_address(31, 31), Ok(()));
        assert_eq!(check_address(32, 0), Err(MdioError::InvalidAddress));
        assert_eq!(check_address(0, 32), Err(MdioError::InvalidAddress));
    }
}
