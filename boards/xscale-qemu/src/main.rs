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
//! | kernel seam | device |
//! |---|---|
//! | console | FFUART (16550, 4-byte stride, IER.UUE) at 0x4010_0000 = QEMU's first `-serial` |
//! | clock | OS timer counter OSCR, 3.6864 MHz, 32 bits extended to 64 here |
//! | tick | OS timer match 0, interrupt 26 |
//! | interrupts | PXA interrupt controller at 0x40D0_0000 |
//! | power | watchdog (OSMR3 + OWER) reset; with `-no-reboot` QEMU exits. No power-off exists, so power-off is the same reset |
#![no_std]
#![no_main]

mod pxa;
mod qemu_atags;

use core::cell::Cell;

use critical_section::Mutex;
use kernel::board::{
    Clock, InterruptController, IrqNumber, MemoryRange, Platform, Power, TickTimer,
};

use ns16550::{Ns16550, Variant};
use pxa::Registers;
use pxa::icu::{ICU_BASE, IRQ_OST0, Icu};
use pxa::ostimer::{OSCR_HZ, OST_BASE, OsTimer};

/// SDRAM (QEMU `hw/arm/tosa.c`: 64 MiB at PXA2XX_SDRAM_BASE).
const SDRAM_BASE: usize = 0xA000_0000;
const SDRAM_SIZE: usize = 64 << 20;
/// Where QEMU's Linux boot path writes the ATAG list (`hw/arm/boot.c`: loader_start + 0x100).
const ATAG_ADDRESS: usize = SDRAM_BASE + 0x100;
/// QEMU's boot stub and ATAGs: everything below the image at loader_start + 0x10000.
const QEMU_BOOT_AREA: usize = 0x1_0000;
/// The watchdog reset fires this many counts after it is armed (1 ms).
const RESET_DELAY: u32 = OSCR_HZ / 1000;

// SAFETY: fixed PXA255 register blocks (addresses cited in the `pxa` modules); the MMU is off
// until `kernel::boot` maps them as device memory (`PLATFORM.devices`). Each block has one
// driver.
const OST_REGS: Registers = unsafe { Registers::new(OST_BASE) };
// SAFETY: as above.
const ICU_REGS: Registers = unsafe { Registers::new(ICU_BASE) };

/// OSCR, the 32-bit free-running OS timer counter, as the clock; the kernel extends it to 64
/// bits (`kernel::time`), reading it at least every tick, far more often than its 19.4-minute wrap.
struct PxaClock(OsTimer);

impl Clock for PxaClock {
    fn now_ticks(&self) -> u64 {
        u64::from(self.0.count())
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(OSCR_HZ)
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

/// The tick period in OSCR counts, set by `start_periodic`.
static TICK_PERIOD: Mutex<Cell<u32>> = Mutex::new(Cell::new(0));

/// OS timer match 0 as the tick.
struct PxaTick(OsTimer);

impl TickTimer for PxaTick {
    fn irq(&self) -> IrqNumber {
        IRQ_OST0
    }
    fn start_periodic(&self, hz: u32) {
        let period = OSCR_HZ / hz.max(1);
        critical_section::with(|cs| {
            TICK_PERIOD.borrow(cs).set(period);
            self.0.start_tick(period);
        });
    }
    fn acknowledge(&self) -> bool {
        let period = critical_section::with(|cs| TICK_PERIOD.borrow(cs).get());
        self.0.acknowledge_tick(period)
    }
}

/// The interrupt controller. Mask updates are read-modify-write, so they run in a critical
/// section.
struct PxaInterrupts(Icu);

impl InterruptController for PxaInterrupts {
    fn init(&self) {
        self.0.init();
    }
    fn enable(&self, irq: IrqNumber) {
        critical_section::with(|_| self.0.enable(irq));
    }
    fn disable(&self, irq: IrqNumber) {
        critical_section::with(|_| self.0.disable(irq));
    }
    fn claim(&self) -> Option<IrqNumber> {
        self.0.next_pending()
    }
    /// Nothing to do: sources are level-sensitive and the handler cleared the cause.
    fn complete(&self, _irq: IrqNumber) {}
}

/// Watchdog reset; the PXA255 cannot power itself off.
struct PxaPower(OsTimer);

impl Power for PxaPower {
    fn reset(&self) -> ! {
        self.0.watchdog_reset(RESET_DELAY);
        kernel::halt()
    }
    /// There is no power switch to drive; under QEMU with `-no-reboot` the reset ends the run,
    /// which is what a test's "shutdown" needs.
    fn power_off(&self) -> ! {
        self.reset()
    }
}

/// The PXA255 full-function UART (FFUART), an XScale 16550 on a 4-byte stride (Linux
/// `arch/arm/mach-pxa/include/mach/pxa-regs.h`; QEMU `hw/arm/pxa2xx.c`, `pxa2xx_serial_init` at
/// 0x4010_0000 with `regshift` 2): the shared `ns16550` driver, which implements the console.
const FFUART_BASE: usize = 0x4010_0000;
// SAFETY: the FFUART's fixed register block, reached with the MMU off until `kernel::boot` maps
// it as device memory (`PLATFORM.devices`); this driver is its only user.
static CONSOLE: Ns16550<hil::mmio::Mmio> = Ns16550::new(
    unsafe { hil::mmio::Mmio::new(FFUART_BASE, ns16550::WINDOW_LEN) },
    Variant::Xscale,
);
static CLOCK: PxaClock = PxaClock(OsTimer::new(OST_REGS));
static TICK: PxaTick = PxaTick(OsTimer::new(OST_REGS));
static INTERRUPTS: PxaInterrupts = PxaInterrupts(Icu::new(ICU_REGS));
static POWER: PxaPower = PxaPower(OsTimer::new(OST_REGS));

static PLATFORM: Platform = Platform {
    name: "xscale-qemu (PXA255, big-endian)",
    console: &CONSOLE,
    clock: &CLOCK,
    reference_clock: None,
    tick: &TICK,
    interrupts: &INTERRUPTS,
    power: &POWER,
    watchdog: None,
    default_ram: MemoryRange {
        base: SDRAM_BASE,
        size: SDRAM_SIZE,
    },
    // PXA255 SDRAM banks 0-3 span 0xA000_0000..0xB000_0000.
    ram_window: MemoryRange {
        base: SDRAM_BASE,
        size: 256 << 20,
    },
    boot_info_probes: &[ATAG_ADDRESS],
    reserved: &[MemoryRange {
        base: SDRAM_BASE,
        size: QEMU_BOOT_AREA,
    }],
    devices: &[
        MemoryRange {
            base: FFUART_BASE,
            size: 1 << 20,
        },
        MemoryRange {
            base: OST_BASE,
            size: 1 << 20,
        },
        MemoryRange {
            base: ICU_BASE,
            size: 1 << 20,
        },
    ],
};

#[aarch32_rt::entry]
fn main() -> ! {
    CONSOLE.enable();
    // SAFETY: the first 64 KiB of SDRAM hold QEMU's boot stub and ATAG list, are not part of the
    // image, and nothing else runs yet; the MMU is off, so the address is RAM.
    unsafe { qemu_atags::repair_cmdline(ATAG_ADDRESS as *mut u32, (QEMU_BOOT_AREA - 0x100) / 4) };
    let kernel = kernel::boot(&PLATFORM);
    kernel.run(|_, _| {})
}

kernel::exception_entries!();
