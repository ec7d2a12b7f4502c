//! The Mirabox's memory map as the kernel needs it (`kernel::board::Platform`'s memory fields).
//!
//! RAM: the stock U-Boot passes ATAG_MEM for both 512 MiB chip selects (1 GiB at 0; its
//! `bdinfo` shows two DRAM banks of 512 MiB); the mainline `armada-370-mirabox.dts`'s 512 MiB
//! is wrong. Without ATAGs the kernel uses [`DEFAULT_RAM`], the full 1 GiB. The MBus SDRAM
//! windows (`armada370::mbus::dram_windows`) would give the same answer from the hardware; the
//! kernel has no hook yet for a board-computed RAM size, so the compiled-in default stands in
//! for it (checklist item 2 of `chips/armada370/README.md`).

use armada370::map;
use kernel::board::MemoryRange;

/// 2 x 512 MiB DDR3 on CS0/CS1.
pub const DEFAULT_RAM: MemoryRange = MemoryRange {
    base: 0,
    size: 1 << 30,
};

/// The DRAM windows can cover at most the first GiB below the PCIe/internal windows.
pub const RAM_WINDOW: MemoryRange = MemoryRange {
    base: 0,
    size: 0x4000_0000,
};

/// U-Boot passes r2 = 0x100 (the ATAG list it writes at `bi_boot_params`).
pub const BOOT_INFO_PROBES: &[usize] = &[0x100];

/// Kept out of the heap: the first 32 KiB below the image hold the ATAG list U-Boot wrote (kept
/// readable for diagnostics), and the configuration slot. U-Boot's own region
/// (0x0060_0000..0x006B_0000, its relocated text, data and stack as `bdinfo` reports them)
/// needs no protection: we never return to it, and a reset reloads it from NAND. The heap
/// already avoids the image itself.
pub const RESERVED: &[MemoryRange] = &[
    MemoryRange {
        base: 0,
        size: 0x8000,
    },
    crate::configuration::SLOT,
];

/// The internal-register window where the stock U-Boot leaves it (the DTS's
/// `ranges = <MBUS_ID(0xf0, 0x01) 0 0xd0000000 0x100000 ...>`), mapped as device memory; every
/// unit `armada370::Peripherals` hands out lies inside it.
pub const DEVICES: &[MemoryRange] = &[MemoryRange {
    base: map::INTERNAL_REGS,
    size: 1 << 20,
}];
