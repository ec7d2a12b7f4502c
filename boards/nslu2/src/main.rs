//! bareproxy for the Linksys NSLU2 (Intel IXP420, XScale ARMv5TE, big-endian BE-32), started by
//! the stock RedBoot from the flash Kernel partition (RedBoot copies it to 0x01D0_0000 and jumps
//! there, Linksys RedBoot `do_move()`, `KERNEL_RAM_ADDRESS`). Building, flashing and what the
//! console shows: the README's "Running on an NSLU2".
//!
//! What the board wires (drivers from `ixp4xx`, board facts in `wiring.rs`, RAM and device
//! windows in `memory_map.rs`, the flash layout in `nslu2-layout`):
//!
//! | kernel seam | device |
//! |---|---|
//! | console | UART1 (0xC800_0000), RedBoot's 115200 8N1 kept |
//! | clock | OS timestamp counter OSTS, 66.000 MHz, 32 bits (the kernel extends it) |
//! | tick | OS timer 1, IRQ 5 |
//! | interrupts | IXP4xx interrupt controller (level-triggered, nothing to end) |
//! | watchdog | the OS timer's, armed and fed by the kernel |
//! | power | watchdog chip reset (Linux `ixp4xx_restart`); GPIO8 power-off (Linux `nslu2_power_off`) |
//! | network | NPE-B Ethernet (queue-manager IRQ 3), microcode and MAC address from flash (`ethernet.rs`) |
//! | proxy configuration | flash slot at 0x7F8000, else a built-in status-page-only fallback (`configuration.rs`) |
//!
//! RedBoot's automatic boot passes no command line, so the network runs on the kernel's defaults:
//! IPv4 by DHCP, IPv6 link-local only.
//!
//! Start-up order matters: RedBoot leaves NPE-B Ethernet running with receive buffers posted in
//! its RAM (RedBoot's `do_exec` has its `Lan_Stop1()`/`eth_drv_stop()` calls commented out),
//! so [`main`] quiesces NPE-B, the EthB MAC and the queue manager before anything else, and the
//! kernel keeps the low 16 MiB out of its heap ([`memory_map::RESERVED`]) until quiescing has
//! been proven on hardware.
#![no_std]
#![no_main]

use app::link::LinkWatch;
use hil::mmio::Mmio;
use ixp4xx::expbus::Flash;
use ixp4xx::intc::InterruptController;
use ixp4xx::timer::OsTimer;
use ixp4xx::{Peripherals, map};
use kernel::board::{Platform, Power};
use kernel::kprintln;
use nic::Nic;
use ns16550::Ns16550;
use static_cell::StaticCell;
use wiring::Nslu2Gpio;
extern crate alloc;

mod configuration;
mod ethernet;
mod memory_map;
mod wiring;

/// The drivers the kernel keeps for the program's life.
struct Drivers {
    uart1: Ns16550<Mmio>,
    /// The OS timer block: clock, tick and watchdog.
    timer: OsTimer<Mmio>,
    intc: InterruptController<Mmio>,
    gpio: Nslu2Gpio<Mmio>,
}

/// Reset through the watchdog, power-off through GPIO8.
impl Power for Drivers {
    /// The watchdog programmed with a zero count (Linux `ixp4xx_restart`): the reset is
    /// immediate on hardware.
    fn reset(&self) -> ! {
        self.timer.reset_chip();
        kernel::halt()
    }
    /// GPIO8 high cuts the power (Linux `nslu2_power_off`). The kernel has stopped the
    /// watchdog, so if the power stays on the box halts instead of rebooting a minute later.
    fn power_off(&self) -> ! {
        self.gpio.power_off();
        kernel::halt()
    }
}

static DRIVERS: StaticCell<Drivers> = StaticCell::new();
static PLATFORM: StaticCell<Platform> = StaticCell::new();

fn platform(d: &'static Drivers) -> Platform {
    Platform {
        name: "nslu2",
        console: &d.uart1,
        clock: &d.timer,
        reference_clock: None,
        tick: &d.timer,
        interrupts: &d.intc,
        power: d,
        watchdog: Some(&d.timer),
        idle: &ixp4xx::idle::Polling,
        default_ram: memory_map::DEFAULT_RAM,
        ram_window: memory_map::RAM_WINDOW,
        boot_info_probes: memory_map::BOOT_INFO_PROBES,
        reserved: memory_map::RESERVED,
        devices: memory_map::DEVICES,
    }
}

#[aarch32_rt::entry]
fn main() -> ! {
    // Taking the peripherals touches no register and no RAM outside the image.
    let Some(p) = Peripherals::take() else {
        kernel::halt()
    };
    // First, before any RAM outside the image is touched: RedBoot's NPE may still be writing.
    let (stopped_ethernet, quiesced) = ethernet::quiesce(p.npe_b, p.qmgr, p.eth_b);

    let timer = OsTimer::new(p.os_timer, wiring::TIMER_HZ);
    // Linux's beeper timer; RedBoot may have left it running.
    timer.stop_timer2();
    let drivers = DRIVERS.init(Drivers {
        uart1: p.uart1,
        timer,
        intc: p.intc,
        gpio: Nslu2Gpio::new(p.gpio),
    });
    let platform: &'static Platform = PLATFORM.init(platform(drivers));
    let kernel = kernel::boot(platform);
    match quiesced {
        Ok(()) => kprintln!("nslu2: RedBoot's NPE-B Ethernet stopped"),
        Err(error) => kprintln!(
            "nslu2: stopping RedBoot's NPE-B failed ({:?}); low 16 MiB stay reserved",
            error
        ),
    }

    let flash = Flash::new(p.flash_cs0, nslu2_layout::FLASH_SIZE);
    // The configuration first: its temporary copy is freed, and the parsed result is on the
    // heap, before the network sizes its sockets from what the heap has left.
    let parsed = configuration::load(&flash);
    let board = app::Board {
        nic: ethernet::bring_up(stopped_ethernet, &flash),
        nic_irq: map::irq::QM1,
        config: parsed,
    };
    let inputs = app::NetworkInputs {
        cmdline: &kernel.boot_info.cmdline,
        seed: platform.clock.now_ticks(),
        interrupts: platform.interrupts,
        now: kernel.now(),
    };
    let mut app = app::App::start(inputs, kernel::heap_usage, board);
    let mut link = LinkWatch::new("eth0");
    kernel.run(|_, now| {
        app.poll(now, kernel::heap_usage, |stack| {
            if let Some(stack) = stack {
                link.poll(now, || Some(stack.nic_mut().link_state()));
            }
        })
    })
}

kernel::exception_entries!();
