//! The NSLU2's memory map as the kernel needs it (`Platform`'s RAM and device fields).
//!
//! Sources: Linux `intel-ixp42x-linksys-nslu2.dts` (`memory@0`: 32 MiB SDRAM at 0) and
//! `intel-ixp4xx.dtsi` / `ixp4xx-regs.h` (the peripheral windows, in `ixp4xx::map`).

use ixp4xx::map;
use kernel::board::MemoryRange;

/// 32 MiB SDRAM at 0, used when the bootloader's memory list is unusable.
pub const DEFAULT_RAM: MemoryRange = MemoryRange {
    base: 0,
    size: 32 << 20,
};

/// Where RAM can be: RedBoot's ATAG_MEM may claim 64 MiB (its GPL build's region size); this
/// 32 MiB window makes the kernel reject that list and use [`DEFAULT_RAM`] (the banner then
/// shows the ignored list; RedBoot passes no command line, so nothing is lost).
pub const RAM_WINDOW: MemoryRange = MemoryRange {
    base: 0,
    size: 0x0200_0000,
};

/// RedBoot's exec trampoline passes r2 = 0x100; probing it too covers a bootloader that leaves
/// r2 unset.
pub const BOOT_INFO_PROBES: &[usize] = &[0x100];

/// RedBoot's RAM (code, data, its Ethernet buffers) and the ramdisk copy at 16 MiB. Kept out of
/// the heap until NPE quiescing has been verified on hardware (ixp4xx README, checklist
/// "Quiesce"): a buffer RedBoot posted and its NPE still owned would otherwise be overwritten
/// by DMA under live heap data. The heap is then 16 MiB..0x01D0_0000 (13 MiB).
pub const RESERVED: &[MemoryRange] = &[MemoryRange {
    base: 0,
    size: 16 << 20,
}];

/// The device windows the kernel maps as device memory.
pub const DEVICES: &[MemoryRange] = &[
    // UARTs, interrupt controller, GPIO, timers, NPE and MAC registers.
    MemoryRange {
        base: map::UART1_BASE,
        size: 1 << 20,
    },
    // Expansion-bus configuration (chip-select timing, feature register).
    MemoryRange {
        base: map::EXP_CFG_BASE,
        size: 1 << 20,
    },
    // AHB queue manager.
    MemoryRange {
        base: map::QMGR_BASE,
        size: 1 << 20,
    },
    // Flash on expansion-bus CS0 (8 MiB fitted; the 16 MiB window covers any part).
    MemoryRange {
        base: map::EXP_CS0_BASE,
        size: map::EXP_CS_WINDOW,
    },
];
