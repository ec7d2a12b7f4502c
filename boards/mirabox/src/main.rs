//! bareproxy for the GlobalScale Mirabox (Marvell Armada 370, Sheeva PJ4B ARMv7-A), booted by
//! the stock U-Boot 2009.08 with `bootm` (uImage built by `cargo xtask build mirabox`, loaded and
//! entered at 0x8000; see `linker/mirabox.x`).
//!
//! What the board wires (drivers from `armada370::Peripherals`, `ns16550` and `mii`; facts from
//! Linux `arch/arm/boot/dts/marvell/armada-370-mirabox.dts` and `armada-370-xp.dtsi`, and the
//! stock U-Boot's `bdinfo`/`printenv`):
//!
//! | kernel seam | device |
//! |---|---|
//! | console | UART0 (DW 16550 at 0xD001_2000), U-Boot's 115200 8N1 divisor kept |
//! | clock | global timer 0 (0xD002_0300), free-running, nbclk / 32, 32 bits (the kernel extends it) |
//! | tick | per-CPU timer 0 (0xD002_1040), MPIC per-CPU interrupt 5 |
//! | interrupts | MPIC (main 0xD002_0A00, per-CPU 0xD002_1870); no end-of-interrupt register |
//! | power | system-controller soft reset; the Mirabox cannot switch itself off, so power-off halts |
//! | watchdog | global watchdog (0xD002_0334), armed by the kernel at boot and fed from its main loop |
//! | network | eth0 (mvneta, PHY at MDIO 0, MPIC IRQ 8), MAC address as U-Boot left it; eth1 idle, its link logged (`ethernet.rs`) |
//! | proxy configuration | RAM slot at 0x00F0_0000 filled by U-Boot, else a built-in status-page-only fallback (`configuration.rs`) |
//! | memory map | RAM, reserved ranges, the device window (`memory_map.rs`) |
//!
//! The proxy serves on **eth0** only: the kernel's network layer drives one NIC, and the WAN/LAN
//! split of the two ports is future work. Network settings come from the kernel command line
//! (U-Boot's `bootargs`, passed in ATAG_CMDLINE): `ip=dhcp` (the default), `ip=ADDR/PREFIX[,GW]`,
//! `ip=off`, `ip6=ADDR/PREFIX[,GW]` (`kernel::bootinfo::cmdline`). Linux's colon-separated
//! `ip=` form is not understood and stops the network from starting, so set `bootargs` yourself
//! rather than keeping a Linux one.
//!
//! How to boot it from the stock U-Boot, and what the console then shows: the README's
//! "Running on a Mirabox".
#![no_std]
#![no_main]

use app::link::LinkWatch;
use armada370::{Peripherals, map};
use hil::mmio::Mmio;
use kernel::board::Platform;
use nic::Nic;
use static_cell::StaticCell;

mod configuration;
mod ethernet;
mod memory_map;
mod wiring;

/// The timers' input clock (nbclk). The DTS's legacy `clock-frequency = <600000000>`; not yet
/// measured on a Mirabox (`chips/armada370/README.md`, checklist item 3).
const NBCLK_HZ: u32 = 600_000_000;

/// The drivers the kernel keeps for the program's life; each implements its `hil` trait.
struct Drivers {
    uart0: ns16550::Ns16550<Mmio>,
    mpic: armada370::mpic::Mpic<Mmio, Mmio>,
    clock: armada370::timer::Clock<&'static Mmio>,
    tick: armada370::timer::Tick<Mmio>,
    watchdog: armada370::watchdog::Watchdog<&'static Mmio, Mmio>,
    power: armada370::watchdog::SystemController<Mmio>,
}

static DRIVERS: StaticCell<Drivers> = StaticCell::new();
static PLATFORM: StaticCell<Platform> = StaticCell::new();

fn platform(d: &'static Drivers) -> Platform {
    Platform {
        name: "mirabox",
        console: &d.uart0,
        clock: &d.clock,
        reference_clock: None,
        tick: &d.tick,
        interrupts: &d.mpic,
        power: &d.power,
        watchdog: Some(&d.watchdog),
        idle: &hil::platform::Wfi,
        default_ram: memory_map::DEFAULT_RAM,
        ram_window: memory_map::RAM_WINDOW,
        boot_info_probes: memory_map::BOOT_INFO_PROBES,
        reserved: memory_map::RESERVED,
        devices: memory_map::DEVICES,
    }
}

#[aarch32_rt::entry]
fn main() -> ! {
    let Some(p) = Peripherals::take(NBCLK_HZ) else {
        kernel::halt()
    };
    let drivers = DRIVERS.init(Drivers {
        uart0: p.uart0,
        mpic: p.mpic,
        clock: p.clock,
        tick: p.tick,
        watchdog: p.watchdog,
        power: p.system_controller,
    });
    // U-Boot already runs UART0 at 115200 8N1; keeping its divisor avoids guessing TCLK.
    drivers.uart0.keep_bootloader_setup();
    drivers.clock.start();
    let platform: &'static Platform = PLATFORM.init(platform(drivers));
    let kernel = kernel::boot(platform);

    // The configuration first, so that the network sizes its sockets from what the heap has
    // left once the parsed configuration is in it.
    let config = app::load_configuration(&configuration::source());
    // eth1's window (`p.eth1`) stays unused: the port is left idle (`ethernet.rs`).
    let ethernet::Ports { eth0, mut eth1_phy } = ethernet::bring_up(ethernet::Units {
        smi: p.smi,
        eth0: p.eth0,
        l2: p.l2,
        sdram_windows: p.sdram_windows,
        tclk_hz: drivers.power.tclk_hz(),
    });
    let board = app::Board {
        nic: eth0,
        nic_irq: map::irq::ETH0,
        config,
    };
    let app = app::App::start_on(&kernel, board);
    let mut eth0_link = LinkWatch::new("eth0");
    let mut eth1_link = LinkWatch::new("eth1");
    app.run(kernel, |now, stack| {
        if let Some(phy) = eth1_phy.as_mut() {
            eth1_link.poll(now, || phy.link_state().ok());
        }
        if let Some(stack) = stack {
            eth0_link.poll(now, || Some(stack.nic_mut().link_state()));
        }
    })
}

kernel::exception_entries!();
