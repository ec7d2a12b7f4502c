//! Register access: the one seam between the driver and the hardware.
//!
//! The driver never dereferences MMIO itself; it goes through [`Lan9118Bus`], which [`Mmio`]
//! implements with volatile accesses and host tests implement with a behavioural model of the
//! chip (FIFO pops, write-1-to-clear, busy bits). [`Reg`] puts tock-registers' typed field API on
//! top of a bus offset, so driver code reads `reg(INT_STS).is_set(INT::RSFL)`.

use core::marker::PhantomData;
use core::mem::offset_of;
use core::ptr::NonNull;

use tock_registers::RegisterLongName;
use tock_registers::interfaces::{Readable, Writeable};

use super::registers::{self as r, Lan9118Registers};

/// 32-bit register access to one LAN9118, by byte offset into its 256-byte window.
///
/// Implementations must perform exactly one device access per call: reads of the FIFO ports pop.
pub trait Lan9118Bus {
    /// Reads the 32-bit register at byte offset `offset` (a multiple of 4, below 0x100).
    fn read(&self, offset: usize) -> u32;
    /// Writes the 32-bit register at byte offset `offset`.
    fn write(&self, offset: usize, value: u32);
}

impl<T: Lan9118Bus + ?Sized> Lan9118Bus for &T {
    fn read(&self, offset: usize) -> u32 {
        (**self).read(offset)
    }
    fn write(&self, offset: usize, value: u32) {
        (**self).write(offset, value)
    }
}

/// The real chip, memory-mapped.
#[derive(Debug)]
pub struct Mmio {
    base: NonNull<u32>,
}

impl Mmio {
    /// A bus over the register window at `base` (0x4E00_0000 on QEMU vexpress-a9).
    ///
    /// # Safety
    /// `base` must be the address of a LAN9118 register window, mapped as Device (or
    /// Strongly-ordered) memory for as long as the returned value and anything built on it
    /// live, and nothing else may access that window meanwhile (the FIFO ports have side effects).
    pub unsafe fn new(base: usize) -> Self {
        let base = core::ptr::with_exposed_provenance_mut::<u32>(base);
        Mmio {
            // A null base violates the contract above; fall back to a dangling pointer only to
            // keep this constructor panic-free (any access would then fault).
            base: NonNull::new(base).unwrap_or(NonNull::dangling()),
        }
    }
}

// SAFETY: `Mmio` is the exclusive owner of its register window (see `new`); moving that
// ownership to another execution context (e.g. into an interrupt-safe mutex shared with the IRQ
// handler) is sound because all accesses still go through the single owner.
unsafe impl Send for Mmio {}

impl Lan9118Bus for Mmio {
    fn read(&self, offset: usize) -> u32 {
        debug_assert!(offset.is_multiple_of(4) && offset < size_of::<Lan9118Registers>());
        // SAFETY: `new`'s contract makes `base` a valid, exclusively owned device window of
        // 0x100 bytes; `offset` is a register offset inside it, 4-byte aligned (all callers pass
        // constants from `offset_of!` on `Lan9118Registers`).
        unsafe { self.base.byte_add(offset).read_volatile() }
    }

    fn write(&self, offset: usize, value: u32) {
        debug_assert!(offset.is_multiple_of(4) && offset < size_of::<Lan9118Registers>());
        // SAFETY: as in `read`.
        unsafe { self.base.byte_add(offset).write_volatile(value) }
    }
}

/// A register's offset and its tock-registers field type.
pub(crate) struct RegDef<R: RegisterLongName> {
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
    const fn at(offset: usize) -> Self {
        RegDef {
            offset,
            _fields: PhantomData,
        }
    }

    /// Byte offset in the register window.
    pub(crate) const fn offset(self) -> usize {
        self.offset
    }
}

/// A register bound to a bus; implements tock-registers' `Readable` and `Writeable`.
pub(crate) struct Reg<'b, B: Lan9118Bus + ?Sized, R: RegisterLongName> {
    bus: &'b B,
    def: RegDef<R>,
}

impl<'b, B: Lan9118Bus + ?Sized, R: RegisterLongName> Reg<'b, B, R> {
    pub(crate) fn new(bus: &'b B, def: RegDef<R>) -> Self {
        Reg { bus, def }
    }
}

impl<B: Lan9118Bus + ?Sized, R: RegisterLongName> Readable for Reg<'_, B, R> {
    type T = u32;
    type R = R;

    fn get(&self) -> u32 {
        self.bus.read(self.def.offset)
    }
}

impl<B: Lan9118Bus + ?Sized, R: RegisterLongName> Writeable for Reg<'_, B, R> {
    type T = u32;
    type R = R;

    fn set(&self, value: u32) {
        self.bus.write(self.def.offset, value)
    }
}

macro_rules! reg_defs {
    ($($(#[$doc:meta])* $name:ident: $fields:ty = $field:ident;)*) => {
        $(
            $(#[$doc])*
            pub(crate) const $name: RegDef<$fields> = RegDef::at(offset_of!(Lan9118Registers, $field));
        )*
    };
}

/// The registers the driver touches, typed by their bit-field sets.
pub(crate) mod regs {
    use super::*;

    reg_defs! {
        RX_DATA_FIFO: () = rx_data_fifo;
        TX_DATA_FIFO: () = tx_data_fifo;
        RX_STATUS_FIFO: r::RX_STATUS::Register = rx_status_fifo;
        TX_STATUS_FIFO: r::TX_STATUS::Register = tx_status_fifo;
        ID_REV: r::ID_REV::Register = id_rev;
        IRQ_CFG: r::IRQ_CFG::Register = irq_cfg;
        INT_STS: r::INT::Register = int_sts;
        INT_EN: r::INT::Register = int_en;
        BYTE_TEST: () = byte_test;
        FIFO_INT: r::FIFO_INT::Register = fifo_int;
        RX_CFG: r::RX_CFG::Register = rx_cfg;
        TX_CFG: r::TX_CFG::Register = tx_cfg;
        HW_CFG: r::HW_CFG::Register = hw_cfg;
        RX_DP_CTRL: r::RX_DP_CTRL::Register = rx_dp_ctrl;
        RX_FIFO_INF: r::RX_FIFO_INF::Register = rx_fifo_inf;
        TX_FIFO_INF: r::TX_FIFO_INF::Register = tx_fifo_inf;
        PMT_CTRL: r::PMT_CTRL::Register = pmt_ctrl;
        RX_DROP: () = rx_drop;
        MAC_CSR_CMD: r::MAC_CSR_CMD::Register = mac_csr_cmd;
        MAC_CSR_DATA: () = mac_csr_data;
    }
}
