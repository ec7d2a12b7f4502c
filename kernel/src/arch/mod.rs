//! What differs between the ARMv7-A cores (Cortex-A9 under QEMU, the Mirabox's PJ4B) and the
//! ARMv5TE XScale of the NSLU2: the MMU descriptor formats, cache maintenance, how to idle, and
//! where the exception vectors live. Everything else in the kernel is shared.
//!
//! Start-up itself is aarch32-rt's (`_default_start`: stacks, `.data`/`.bss`, then `kmain`); we
//! only run a few instructions before it to keep r0–r2, which it clears and which carry the
//! bootloader's boot-information pointer.

#[cfg(arm_architecture = "v5te")]
#[path = "armv5te.rs"]
mod cpu;
#[cfg(arm_architecture = "v7-a")]
#[path = "armv7a.rs"]
mod cpu;

use core::mem::MaybeUninit;

pub use cpu::{cpu_id, fault_status, install_vectors};

use crate::board::MemoryRange;

/// r0–r2 as the bootloader left them. In `.uninit` so aarch32-rt's segment initialisation,
/// which runs after `_start` stores them, leaves them alone.
#[unsafe(link_section = ".uninit.boot_registers")]
static mut BOOT_REGISTERS: MaybeUninit<[u32; 3]> = MaybeUninit::uninit();

core::arch::global_asm!(
    ".pushsection .text._start, \"ax\", %progbits",
    ".global _start",
    ".type _start, %function",
    ".arm",
    ".p2align 2",
    "_start:",
    "    ldr   r3, ={registers}",
    "    stmia r3, {{r0-r2}}",
    "    b     _default_start",
    ".size _start, . - _start",
    ".popsection",
    registers = sym BOOT_REGISTERS,
);

/// r0–r2 at entry.
pub fn boot_registers() -> [u32; 3] {
    // SAFETY: `_start` wrote all three words before any Rust code ran, and nothing writes them
    // afterwards; `addr_of!` avoids creating a reference to the `static mut`.
    unsafe { core::ptr::addr_of!(BOOT_REGISTERS).read().assume_init() }
}

/// How a 1 MiB section is mapped.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// Normal memory, write-back cached, executable.
    Ram,
    /// Device registers: uncached, ordered, never executed.
    Device,
}

/// The first-level translation table: 4096 one-MiB sections covering the 4 GiB address space.
/// Both architectures use the same 16 KiB, 16 KiB-aligned format at this level.
#[repr(C, align(16384))]
pub(crate) struct TranslationTable(pub(crate) [u32; 4096]);

/// The kernel's table. Built once at boot before the MMU is on, never changed afterwards.
pub(crate) static mut TRANSLATION_TABLE: TranslationTable = TranslationTable([0; 4096]);

/// Fills the translation table with an identity map: RAM banks cached, device windows uncached,
/// everything else unmapped so that a stray pointer faults instead of reading garbage.
///
/// # Safety
/// Must run once, before [`cpu::enable_mmu`] and with the MMU off.
unsafe fn build_identity_map(ram: &[MemoryRange], devices: &[MemoryRange]) {
    // SAFETY: boot is single-threaded and the table is not yet in use by the MMU; the raw
    // pointer avoids a reference to the `static mut`.
    let table = unsafe { &mut *core::ptr::addr_of_mut!(TRANSLATION_TABLE) };
    let mut map = |range: &MemoryRange, kind| {
        let first = range.base >> 20;
        let last = (range.end().saturating_sub(1)) >> 20;
        for section in first..=last.min(4095) {
            table.0[section] = cpu::section_descriptor((section as u32) << 20, kind);
        }
    };
    for bank in ram {
        map(bank, SectionKind::Ram);
    }
    for window in devices {
        map(window, SectionKind::Device);
    }
}

/// Builds the identity map and turns on the MMU and caches.
///
/// # Safety
/// Must run once, at boot, single-threaded, with the MMU off, and `ram`/`devices` must describe
/// every address the kernel touches afterwards (its own image included).
pub unsafe fn enable_mmu(ram: &[MemoryRange], devices: &[MemoryRange]) {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        build_identity_map(ram, devices);
        cpu::enable_mmu(core::ptr::addr_of!(TRANSLATION_TABLE) as usize);
    }
}
