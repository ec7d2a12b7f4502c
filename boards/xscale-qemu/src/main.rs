//! bareproxy's kernel core on an emulated XScale: QEMU's Sharp "tosa" machine (PXA255), with the
//! core switched to big-endian BE-32 (`-cpu pxa255,cfgend=on`), running the same big-endian
//! ARMv5TE kernel the NSLU2 runs. It proves, without an NSLU2 at hand, that start-up, the MMU
//! and caches, high vectors, exceptions, timer interrupts and the console work on an XScale in
//! BE-32; it says nothing about the IXP420's peripherals (tested against models in ixp4xx).
//!
//! Why tosa and not connex (the other PXA255 machine): connex starts only from its pflash and
//! ignores `-kernel`, so no boot information reaches the kernel. tosa boots a raw `-kernel`
//! image through QEMU's Linux boot path, which writes ATAGs (RAM, `-append` command line) and
//! passes r2 = 0xA000_0100 like a real bootloader. `cargo xtask build xscale-qemu` writes that
//! raw image word-swapped (`bareproxy-xscale-qemu.swapped.bin`), because QEMU's RAM holds
//! little-endian words (see [`qemu_atags`]).
//!
//! Run it: `qemu-system-arm -M tosa -cpu pxa255,cfgend=on -m 64M -display none -serial stdio
//! -no-reboot -kernel target/images/xscale-qemu/bareproxy-xscale-qemu.swapped.bin -append
//! selftest=timer,shutdown`. The tests are `qemu/tests/xscale_boot.rs`.
//!
//! Every driver comes from the `pxa25x` chip crate ([`pxa25x::Peripherals::take`]) and
//! implements its `hil` trait itself; this file holds only the board's facts.
//!
//! | kernel seam | device (`pxa25x`) |
//! |---|---|
//! | console | FFUART (`ns16550`, XScale variant) at 0x4010_0000 = QEMU's first `-serial` |
//! | clock | OS timer counter OSCR (`ostimer`), 3.6864 MHz, 32 bits; the kernel extends it to 64 |
//! | tick | OS timer match 0, interrupt 26 |
//! | interrupts | PXA interrupt controller (`icu`) at 0x40D0_0000 |
//! | power | watchdog (OSMR3 + OWER) reset; with `-no-reboot` QEMU exits. No power-off exists, so power-off is the same reset |
//! | watchdog | none: OWER cannot be cleared once set, so the kernel could not stop it before a power-off (`pxa25x::ostimer`) |
//!
//! Board facts: 64 MiB of SDRAM (QEMU `hw/arm/tosa.c`), QEMU's boot stub and ATAG list in its
//! first 64 KiB, and the command-line repair of [`qemu_atags`].
#![no_std]
#![no_main]

mod qemu_atags;

use kernel::board::{MemoryRange, Platform};
use pxa25x::{Peripherals, map};
use static_cell::StaticCell;

/// tosa's SDRAM (QEMU `hw/arm/tosa.c`: 64 MiB at PXA2XX_SDRAM_BASE).
const SDRAM_SIZE: usize = 64 << 20;
/// Where QEMU's Linux boot path writes the ATAG list (`hw/arm/boot.c`: loader_start + 0x100).
const ATAG_ADDRESS: usize = map::SDRAM + 0x100;
/// QEMU's boot stub and ATAGs: everything below the image at loader_start + 0x10000.
const QEMU_BOOT_AREA: usize = 0x1_0000;

static PERIPHERALS: StaticCell<Peripherals> = StaticCell::new();
static PLATFORM: StaticCell<Platform> = StaticCell::new();

/// One 1 MiB device section around each register window.
const fn section(base: usize) -> MemoryRange {
    MemoryRange {
        base,
        size: map::SECTION_LEN,
    }
}
const DEVICES: [MemoryRange; 3] = [
    section(map::FFUART),
    section(map::OS_TIMER),
    section(map::ICU),
];

fn platform(p: &'static Peripherals) -> Platform {
    Platform {
        name: "xscale-qemu (PXA255, big-endian)",
        console: &p.ffuart,
        clock: &p.os_timer,
        reference_clock: None,
        tick: &p.os_timer,
        interrupts: &p.icu,
        power: &p.os_timer,
        // The PXA watchdog cannot be stopped once armed (OWER is set-only), and the kernel
        // stops its watchdog before powering off: it is used only for `power`'s reset.
        watchdog: None,
        idle: &pxa25x::idle::PowerModeIdle,
        default_ram: MemoryRange {
            base: map::SDRAM,
            size: SDRAM_SIZE,
        },
        ram_window: MemoryRange {
            base: map::SDRAM,
            size: map::SDRAM_WINDOW_LEN,
        },
        boot_info_probes: &[ATAG_ADDRESS],
        reserved: &[MemoryRange {
            base: map::SDRAM,
            size: QEMU_BOOT_AREA,
        }],
        devices: &DEVICES,
    }
}

#[aarch32_rt::entry]
fn main() -> ! {
    let Some(p) = Peripherals::take() else {
        kernel::halt()
    };
    let p: &'static Peripherals = PERIPHERALS.init(p);
    // QEMU needs no divisor; keep whatever is there and switch the unit on.
    p.ffuart.enable();
    // SAFETY: the first 64 KiB of SDRAM hold QEMU's boot stub and ATAG list, are not part of the
    // image, and nothing else runs yet; the MMU is off, so the address is RAM.
    unsafe { qemu_atags::repair_cmdline(ATAG_ADDRESS as *mut u32, (QEMU_BOOT_AREA - 0x100) / 4) };
    let kernel = kernel::boot(PLATFORM.init(platform(p)));
    kernel.run(|_, _| {})
}

kernel::exception_entries!();
