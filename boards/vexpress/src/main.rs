//! bareproxy for QEMU's `vexpress-a9` machine: the board on which the whole firmware runs end to
//! end in tests.
//!
//! Memory map (QEMU `hw/arm/vexpress.c`, legacy motherboard map): RAM at 0x6000_0000 (QEMU puts
//! the `-dtb` blob at its base), motherboard peripherals at 0x1000_0000, the A9 MPCore private
//! region at 0x1E00_0000, LAN9118 at 0x4E00_0000. Run it with `cargo xtask run`.
#![no_std]
#![no_main]

use kernel::board::{MemoryRange, Platform};
use kernel::kprintln;
use lan9118::Lan9118;
use static_cell::StaticCell;
use vexpress_a9::{Peripherals, map};

/// The configuration slot (`app::config_slot`): RAM between the DTB and the image, where
/// QEMU's `-device loader` puts a configuration (`qemu/src/lib.rs`).
const CONFIG_SLOT: MemoryRange = MemoryRange {
    base: 0x6000_8000,
    size: 0x8000,
};
/// The LAN9118's interrupt: motherboard line 15 = SPI 15 = GIC ID 47, level-high
/// (hw/arm/vexpress.c, `pic[15]` for the `lan9118` device).
const LAN9118_GIC_IRQ: u32 = 47;

/// The drivers the kernel keeps for the program's life.
struct Drivers {
    uart0: pl011::Pl011<hil::mmio::Mmio>,
    gic: arm_gic::Gic<hil::mmio::Mmio, hil::mmio::Mmio>,
    clock: a9_timers::GlobalTimer<hil::mmio::Mmio>,
    tick: a9_timers::PrivateTimer<hil::mmio::Mmio>,
    sysregs: vexpress_a9::sysreg::SysRegs<hil::mmio::Mmio>,
}

static DRIVERS: StaticCell<Drivers> = StaticCell::new();
static PLATFORM: StaticCell<Platform> = StaticCell::new();

fn platform(d: &'static Drivers) -> Platform {
    Platform {
        name: "vexpress-a9",
        console: &d.uart0,
        clock: &d.clock,
        // SYS_24MHZ: an independent counter to cross-check the tick against.
        reference_clock: Some(&d.sysregs),
        tick: &d.tick,
        interrupts: &d.gic,
        power: &d.sysregs,
        watchdog: None,
        idle: &hil::platform::Wfi,
        default_ram: MemoryRange {
            base: map::RAM,
            size: 128 << 20,
        },
        ram_window: MemoryRange {
            base: map::RAM,
            size: map::RAM_WINDOW_LEN,
        },
        boot_info_probes: &[map::RAM],
        reserved: &[CONFIG_SLOT],
        devices: &[
            MemoryRange {
                base: map::MOTHERBOARD,
                size: map::MOTHERBOARD_LEN,
            },
            MemoryRange {
                base: map::PERIPHBASE,
                size: map::PERIPHBASE_LEN,
            },
            MemoryRange {
                base: map::LAN9118,
                size: map::LAN9118_LEN,
            },
        ],
    }
}

#[aarch32_rt::entry]
fn main() -> ! {
    let Some(p) = Peripherals::take() else {
        kernel::halt()
    };
    let drivers = DRIVERS.init(Drivers {
        uart0: p.uart0,
        gic: p.gic,
        clock: p.global_timer,
        tick: p.private_timer,
        sysregs: p.sysregs,
    });
    drivers.uart0.init(map::UART_CLOCK_HZ, 115_200);
    drivers.clock.start();
    let platform: &'static Platform = PLATFORM.init(platform(drivers));
    let kernel = kernel::boot(platform);
    // The DTB may place the chip elsewhere; this board's window is the legacy map's, which is
    // what QEMU builds and the DTB in qemu/ describes.
    if let Some(base) = kernel.boot_info.device_address("smsc,lan9118")
        && base != p.lan9118.base()
    {
        kprintln!(
            "net:   the DTB puts the LAN9118 at {:#010x}; using {:#010x}",
            base,
            p.lan9118.base()
        );
    }
    let base = p.lan9118.base();
    let nic = match Lan9118::new(p.lan9118, lan9118::Config::default()) {
        Ok(nic) => Some(nic),
        Err(error) => {
            kprintln!(
                "net:   no LAN9118 at {:#010x} ({:?}); running without a network",
                base,
                error
            );
            None
        }
    };
    // SAFETY: the slot is RAM the kernel reserved (no heap, no stack, no image), identity-mapped;
    // nothing writes it after QEMU's loader.
    let slot =
        unsafe { core::slice::from_raw_parts(CONFIG_SLOT.base as *const u8, CONFIG_SLOT.size) };
    let board = app::Board {
        nic,
        nic_irq: LAN9118_GIC_IRQ,
        config: app::load_configuration(&app::ConfigSource {
            slot,
            slot_description: "slot at 0x60008000",
            fallback_name: proxy::config::DEMO_CONFIG_NAME,
            fallback_text: proxy::config::DEMO_CONFIG,
            fallback_note: "no configuration in the slot; using the built-in demo configuration",
        }),
    };
    app::App::start_on(&kernel, board).run(kernel, |_, _| {})
}

kernel::exception_entries!();
