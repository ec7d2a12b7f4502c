//! bareproxy for the Linksys NSLU2 (Intel IXP420, XScale ARMv5TE, big-endian BE-32), started by
//! the stock RedBoot from the flash Kernel partition (built by `cargo xtask build nslu2`; RedBoot
//! copies it to 0x01D0_0000 and jumps there, Linksys RedBoot `do_move()`,
//! `KERNEL_RAM_ADDRESS`).
//!
//! What the board wires (drivers from `ixp4xx`):
//!
//! | kernel seam | device |
//! |---|---|
//! | console | UART1 (0xC800_0000), RedBoot's 115200 8N1 kept |
//! | clock | OS timestamp counter OSTS, 66.000 MHz, 32 bits, extended to 64 bits here |
//! | tick | OS timer 1, IRQ 5 |
//! | interrupts | IXP4xx interrupt controller (level-triggered, nothing to end) |
//! | power | watchdog chip reset (Linux `ixp4xx_restart`); GPIO8 power-off (Linux `nslu2_power_off`) |
//! | watchdog | armed at boot, fed from the tick (see [`WATCHDOG_TIMEOUT_MS`]) |
//! | network | NPE-B Ethernet (queue-manager IRQ 3), microcode and MAC address from flash (`ethernet.rs`) |
//! | proxy configuration | flash slot at 0x7F8000, else a built-in status-page-only fallback (`configuration.rs`) |
//!
//! RedBoot's automatic boot passes no command line, so the network runs on the kernel's defaults:
//! IPv4 by DHCP, IPv6 link-local only.
//!
//! # Booting on an NSLU2
//!
//! Everything the firmware needs is in the 8 MiB flash; `bareproxy nslu2 pack` (tools/README.md)
//! puts it there, keeping your own RedBoot (and so the box's MAC address) from a dump of your
//! flash:
//!
//! 1. Build: `cargo xtask build nslu2` gives `target/images/nslu2/bareproxy-nslu2.bin`.
//! 2. Supply the NPE-B microcode (Intel's; bareproxy never ships it): the file `NPE-B` from your
//!    own NSLU2 Linux (`/lib/firmware/NPE-B`, starting with `fe ed f0 0d`), see
//!    `chips/ixp4xx/README.md`. Without it the box boots but has no network, and says so.
//! 3. Write your haproxy.cfg (at most 16 368 bytes) and check it:
//!    `bareproxy check-config haproxy.cfg`. Without one the box serves only a status page at
//!    `http://<box>/stats`.
//! 4. Pack: `bareproxy nslu2 pack --base my-flash.bin -k bareproxy-nslu2.bin --microcode NPE-B
//!    --config haproxy.cfg -o bareproxy-flash.bin`, then `bareproxy nslu2 info bareproxy-flash.bin`
//!    (exit 0).
//! 5. Flash over Ethernet from RedBoot's upgrade mode (hold reset at power-on until the status
//!    LED alternates red/green): `sudo bareproxy upgrade flash -d eth0 --image bareproxy-flash.bin`.
//!    The box reboots into bareproxy.
//!
//! On the serial console (J2, 3.3 V, 115200 8N1), after the kernel banner, expect (values vary):
//!
//! ```text
//! nslu2: RedBoot's NPE-B Ethernet stopped
//! proxy: configuration from the flash slot at 0x7f8000 (1234 bytes)
//! eth0:  NPE-B microcode 0x01........ (… bytes) running, version ….….….…
//! net:   mac xx:xx:xx:xx:xx:xx, … sockets of …
//! net:   ipv4 by DHCP
//! eth0:  link up, 100 Mb/s full duplex
//! net:   DHCP lease 192.168.1.51/24 via 192.168.1.1
//! ```
//!
//! Without microcode, instead of the `eth0:`/`net:` lines: `eth0:  no NPE-B microcode in flash
//! (slot at 0x7fc000); running without a network`, followed by how to supply it.
//!
//! Start-up order matters: RedBoot leaves NPE-B Ethernet running with receive buffers posted in
//! its RAM (RedBoot's `do_exec` has its `Lan_Stop1()`/`eth_drv_stop()` calls commented out),
//! so [`main`] quiesces NPE-B, the EthB MAC and the queue manager before anything else, and the
//! kernel keeps the low 16 MiB out of its heap ([`Platform::reserved`]) until quiescing has been
//! proven on hardware.
//!
//! RAM: RedBoot's ATAG_MEM may claim 64 MiB (its GPL build's region size).
//! The RAM window of 32 MiB makes the kernel reject that list and use [`Platform::default_ram`]
//! (32 MiB at 0); the banner then shows the ignored list. RedBoot passes no command line, so
//! nothing is lost.
#![no_std]
#![no_main]

use core::cell::RefCell;

use app::link::LinkWatch;
use critical_section::Mutex;
use hil::mmio::Mmio;
use ixp4xx::expbus::Flash;
use ixp4xx::gpio::{Gpio, Nslu2Gpio};
use ixp4xx::intc::InterruptController as Intc;
use ixp4xx::map;
use ixp4xx::timer::OsTimer;
use kernel::board::with_driver;
use kernel::board::{
    Clock, InterruptController, IrqNumber, MemoryRange, Platform, Power, TickTimer,
};
use kernel::kprintln;
use nic::Nic;
use ns16550::{Ns16550, Variant};

extern crate alloc;

mod configuration;
mod ethernet;

/// How long the board may go without a tick before the watchdog resets it. Below the hardware's
/// ceiling (2^32 counts at 66 MHz, 65 s); long, because it is the last line of defence against
/// a kernel that stopped taking interrupts, not a liveness check of the proxy.
const WATCHDOG_TIMEOUT_MS: u32 = 60_000;

/// UART1, the console (Linux ttyS0, header J2): an XScale 16550, the shared `ns16550` driver,
/// which implements the console itself. `new` touches nothing, so RedBoot's 115200 8N1 (divisor
/// and UUE) stays in effect.
// SAFETY: UART1's fixed IXP420 register window (`ixp4xx::map::UART1_BASE`), reached with the
// MMU off until `kernel::boot` maps it as device memory; this driver is its only user.
static UART1: Ns16550<Mmio> = Ns16550::new(
    unsafe { Mmio::new(map::UART1_BASE, ns16550::WINDOW_LEN) },
    Variant::Xscale,
);
/// The OS timer block (timestamp, timer 1, watchdog): one lock, because every part shares it.
static OS_TIMERS: Mutex<RefCell<Option<OsTimer<Mmio>>>> = Mutex::new(RefCell::new(None));
static INTC: Mutex<RefCell<Option<Intc<Mmio>>>> = Mutex::new(RefCell::new(None));
static GPIO: Mutex<RefCell<Option<Nslu2Gpio<Mmio>>>> = Mutex::new(RefCell::new(None));

/// The 32-bit timestamp counter as the clock; the kernel extends it to 64 bits
/// (`kernel::time`), reading it at least every tick, far more often than its 65 s wrap.
struct Nslu2Clock;

impl Clock for Nslu2Clock {
    fn now_ticks(&self) -> u64 {
        with_driver(&OS_TIMERS, |timer| u64::from(timer.timestamp())).unwrap_or(0)
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(map::NSLU2_TIMER_HZ)
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

/// OS timer 1 as the tick.
struct Nslu2Tick;

impl TickTimer for Nslu2Tick {
    fn irq(&self) -> IrqNumber {
        map::irq::TIMER1
    }
    fn start_periodic(&self, hz: u32) {
        let started = with_driver(&OS_TIMERS, |timer| timer.start_tick(hz));
        if let Some(Err(error)) = started {
            kprintln!("nslu2: tick of {} Hz not possible: {:?}", hz, error);
        }
    }
    /// Also feeds the watchdog: the kernel has no watchdog hook yet, and a tick
    /// that still arrives is the best sign of life available. A kernel stuck with IRQs masked
    /// stops the feeding and the chip resets after [`WATCHDOG_TIMEOUT_MS`]; a main loop stuck
    /// with IRQs enabled is not caught (that needs a hook in the service loop).
    fn acknowledge(&self) -> bool {
        with_driver(&OS_TIMERS, |timer| {
            let fired = timer.ack_tick();
            if fired {
                timer.watchdog_feed(WATCHDOG_TIMEOUT_MS);
            }
            fired
        })
        .unwrap_or(false)
    }
}

/// The interrupt controller.
struct Nslu2Interrupts;

impl InterruptController for Nslu2Interrupts {
    fn init(&self) {
        with_driver(&INTC, |intc| intc.init());
    }
    fn enable(&self, irq: IrqNumber) {
        with_driver(&INTC, |intc| intc.enable(irq));
    }
    fn disable(&self, irq: IrqNumber) {
        with_driver(&INTC, |intc| intc.disable(irq));
    }
    fn claim(&self) -> Option<IrqNumber> {
        with_driver(&INTC, |intc| intc.next_pending()).flatten()
    }
    /// Nothing to do: sources are level-triggered at the controller (Linux `irq-ixp4xx.c`
    /// acknowledges only GPIO edge sources, in the GPIO block); the handler has cleared the
    /// cause in the device.
    fn complete(&self, _irq: IrqNumber) {}
}

/// Watchdog reset and GPIO power-off.
struct Nslu2Power;

impl Power for Nslu2Power {
    fn reset(&self) -> ! {
        with_driver(&OS_TIMERS, |timer| timer.reset_chip());
        // The watchdog was programmed with a zero count: the reset is immediate on hardware.
        kernel::halt()
    }
    fn power_off(&self) -> ! {
        // Stop the watchdog first: if GPIO8 fails to cut the power, the box halts instead of
        // rebooting into RedBoot a minute later.
        with_driver(&OS_TIMERS, |timer| timer.watchdog_stop());
        with_driver(&GPIO, |gpio| gpio.power_off());
        kernel::halt()
    }
}

static CLOCK: Nslu2Clock = Nslu2Clock;
static TICK: Nslu2Tick = Nslu2Tick;
static INTERRUPTS: Nslu2Interrupts = Nslu2Interrupts;
static POWER: Nslu2Power = Nslu2Power;

static PLATFORM: Platform = Platform {
    name: "nslu2",
    console: &UART1,
    clock: &CLOCK,
    reference_clock: None,
    tick: &TICK,
    interrupts: &INTERRUPTS,
    power: &POWER,
    watchdog: None,
    // 32 MiB SDRAM at 0 (Linux `intel-ixp42x-linksys-nslu2.dts`, `memory@0`).
    default_ram: MemoryRange {
        base: 0,
        size: 32 << 20,
    },
    ram_window: MemoryRange {
        base: 0,
        size: 0x0200_0000,
    },
    // RedBoot's exec trampoline passes r2 = 0x100; probing it too covers a bootloader that
    // leaves r2 unset.
    boot_info_probes: &[0x100],
    // RedBoot's RAM (code, data, its Ethernet buffers) and the ramdisk copy at 16 MiB. Kept out
    // of the heap until NPE quiescing has been verified on hardware (ixp4xx README,
    // checklist "Quiesce"): a buffer RedBoot posted and its NPE still owned would otherwise be
    // overwritten by DMA under live heap data. The heap is then 16 MiB..0x01D0_0000 (13 MiB).
    reserved: &[MemoryRange {
        base: 0,
        size: 16 << 20,
    }],
    devices: &[
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
            base: map::FLASH_BASE,
            size: 16 << 20,
        },
    ],
};

#[aarch32_rt::entry]
fn main() -> ! {
    // First, before any RAM outside the image is touched: RedBoot's NPE may still be writing.
    let (stopped_ethernet, quiesced) = ethernet::quiesce();

    // SAFETY: the addresses are the IXP420 units at their fixed
    // addresses (ixp4xx `map`); the MMU is off, so they are device accesses, and after
    // `kernel::boot` the kernel maps them as device memory. Each unit is owned by exactly one
    // driver, held in its own lock.
    let (timer, intc, gpio) = unsafe { (OsTimer::nslu2(), Intc::ixp420(), Gpio::ixp420()) };
    critical_section::with(|cs| {
        let mut intc = intc;
        // RedBoot's enabled sources must not interrupt us once IRQs are unmasked.
        intc.init();
        INTC.borrow(cs).replace(Some(intc));
        let mut timer = timer;
        // Linux's beeper timer; RedBoot may have left it running.
        timer.stop_timer2();
        timer.watchdog_start(WATCHDOG_TIMEOUT_MS);
        OS_TIMERS.borrow(cs).replace(Some(timer));
        GPIO.borrow(cs).replace(Some(Nslu2Gpio::new(gpio)));
    });

    let kernel = kernel::boot(&PLATFORM);
    match quiesced {
        Ok(()) => kprintln!("nslu2: RedBoot's NPE-B Ethernet stopped"),
        Err(error) => kprintln!(
            "nslu2: stopping RedBoot's NPE-B failed ({:?}); low 16 MiB stay reserved",
            error
        ),
    }

    // SAFETY: the flash window is in the kernel's device map; nothing programs the flash while
    // the firmware runs, so it stays in read-array mode.
    let flash = unsafe { Flash::nslu2() };
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
        seed: PLATFORM.clock.now_ticks(),
        interrupts: PLATFORM.interrupts,
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
