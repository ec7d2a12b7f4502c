//! bareproxy for the GlobalScale Mirabox (Marvell Armada 370, Sheeva PJ4B ARMv7-A), booted by
//! the stock U-Boot 2009.08 with `bootm` (uImage built by `cargo xtask build mirabox`, loaded and
//! entered at 0x8000; see `linker/mirabox.x`).
//!
//! What the board wires (drivers from `armada370`, `ns16550` and `mii`; facts from Linux
//! `arch/arm/boot/dts/marvell/armada-370-mirabox.dts` and `armada-370-xp.dtsi`, and the stock
//! U-Boot's `bdinfo`/`printenv`):
//!
//! | kernel seam | device |
//! |---|---|
//! | console | UART0 (DW 16550 at 0xD001_2000), U-Boot's 115200 8N1 divisor kept |
//! | clock | global timer 0 (0xD002_0300), free-running, nbclk / 32, 32 bits (the kernel extends it) |
//! | tick | per-CPU timer 0 (0xD002_1040), MPIC per-CPU interrupt 5 |
//! | interrupts | MPIC (main 0xD002_0A00, per-CPU 0xD002_1870); no end-of-interrupt register |
//! | power | system-controller soft reset; the Mirabox cannot switch itself off, so power-off halts |
//! | watchdog | global watchdog, armed at boot, fed from the tick (see [`WATCHDOG_TIMEOUT_MS`]) |
//! | network | eth0 (mvneta, PHY at MDIO 0, MPIC IRQ 8), MAC address as U-Boot left it; eth1 idle, its link logged (`ethernet.rs`) |
//! | proxy configuration | RAM slot at 0x00F0_0000 filled by U-Boot, else a built-in status-page-only fallback (`configuration.rs`) |
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
//!
//! The UART and the MPIC implement the `hil` traits themselves. The timers and the watchdog take
//! `&mut self`, so they live in a `critical_section::Mutex<RefCell<..>>` and every access is a
//! critical section (on this single-core CPU: IRQs masked), behind the small wrappers below.
//!
//! RAM: the stock U-Boot passes ATAG_MEM for both 512 MiB chip selects (1 GiB at 0); the mainline
//! DTS's 512 MiB is wrong. Without ATAGs the kernel uses [`Platform::default_ram`], which is the
//! full 1 GiB. The MBus SDRAM windows (`armada370::mbus::read_dram_windows`) would give the
//! same answer from the hardware; the kernel has no hook yet for a board-computed RAM size, so
//! the compiled-in default stands in for it (checklist item 2 of `chips/armada370/README.md`).
#![no_std]
#![no_main]

use core::cell::RefCell;

use app::link::LinkWatch;
use armada370::map;
use armada370::mpic::Mpic;
use armada370::timer::{self, Block, Channel, TimerBlock};
use armada370::watchdog::{self, Watchdog};
use critical_section::Mutex;
use hil::mmio::Mmio;
use kernel::board::with_driver;
use kernel::board::{Clock, IrqNumber, MemoryRange, Platform, Power, TickTimer};
use nic::Nic;
use ns16550::{Ns16550, Variant};

mod configuration;
mod ethernet;
mod wiring;

/// The timers' input clock (nbclk). The DTS's legacy `clock-frequency = <600000000>`; not yet
/// measured on a Mirabox (`chips/armada370/README.md`, checklist item 3).
const NBCLK_HZ: u32 = 600_000_000;

/// How long the board may go without a tick before the watchdog resets it. Generous: it is the
/// last line of defence against a kernel that has stopped taking interrupts, not a liveness
/// check of the proxy, and it must never fire during a long but healthy boot step.
const WATCHDOG_TIMEOUT_MS: u32 = 60_000;

/// The global timer block: the clock and the watchdog share its control register, so they
/// share one lock (the HAL's `TimerBlock` safety note).
struct GlobalTimers {
    clock: timer::Clock<Mmio>,
    watchdog: Watchdog<Mmio, Mmio>,
}

/// UART0, the kernel console (`hil::Console` on the driver itself). Usable before `main` has
/// run: U-Boot left it at 115200 8N1 and `Ns16550::new` touches nothing.
// SAFETY: UART0's window of the Armada 370 internal registers where the stock U-Boot leaves
// them (Linux `armada-370-xp.dtsi` `serial@12000`); device memory (MMU off, then mapped as
// device by the kernel), and only this driver touches it.
static UART0: Ns16550<hil::mmio::Mmio> = Ns16550::new(
    unsafe { hil::mmio::Mmio::new(map::INTERNAL_REGS + map::UART0_OFFSET, ns16550::WINDOW_LEN) },
    Variant::DwApb,
);
static GLOBAL_TIMERS: Mutex<RefCell<Option<GlobalTimers>>> = Mutex::new(RefCell::new(None));
static LOCAL_TIMER: Mutex<RefCell<Option<TimerBlock<Mmio>>>> = Mutex::new(RefCell::new(None));
/// The interrupt controller (`hil::InterruptController` on the driver itself); `init` (called
/// by the kernel) reads its size.
// SAFETY: the MPIC's main and per-CPU blocks in the internal-register window where the stock
// U-Boot leaves it (Linux `armada-370-xp.dtsi` `interrupt-controller@20a00`); device memory,
// and only this driver touches them.
static MPIC: Mpic<Mmio, Mmio> = unsafe { Mpic::at(map::INTERNAL_REGS) };

/// Global timer 0, free-running, as the monotonic clock.
struct MiraboxClock;

impl Clock for MiraboxClock {
    /// The raw 32-bit count; the kernel extends it (`counter_bits`).
    fn now_ticks(&self) -> u64 {
        with_driver(&GLOBAL_TIMERS, |timers| u64::from(timers.clock.now_ticks())).unwrap_or(0)
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(NBCLK_HZ >> timer::DEFAULT_DIVIDER_SHIFT)
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

/// Per-CPU timer 0 as the tick.
struct MiraboxTick;

impl TickTimer for MiraboxTick {
    fn irq(&self) -> IrqNumber {
        map::irq::LOCAL_TIMER0
    }
    fn start_periodic(&self, hz: u32) {
        with_driver(&LOCAL_TIMER, |local| {
            let period = local.rate_hz() / hz.max(1);
            local.start_periodic(Channel::T0, period);
        });
    }
    /// Also feeds the watchdog: the kernel has no watchdog hook yet, and a tick that still
    /// arrives is the best sign of life available here. A kernel stuck with IRQs masked, or a
    /// dead tick, stops the feeding and the board resets after [`WATCHDOG_TIMEOUT_MS`]. A main
    /// loop stuck with IRQs enabled is not caught (that needs a hook in the service loop).
    fn acknowledge(&self) -> bool {
        let fired = with_driver(&LOCAL_TIMER, |local| {
            let pending = local.event_pending(Channel::T0);
            if pending {
                local.acknowledge(Channel::T0);
            }
            pending
        })
        .unwrap_or(false);
        if fired {
            with_driver(&GLOBAL_TIMERS, |timers| {
                timers.watchdog.feed(WATCHDOG_TIMEOUT_MS)
            });
        }
        fired
    }
}

/// Reset through the system controller; no power-off on this board.
struct MiraboxPower;

impl Power for MiraboxPower {
    fn reset(&self) -> ! {
        // SAFETY: the system controller is inside the internal-register window, mapped as device
        // memory; the reset registers are touched by nothing else.
        let system_controller =
            unsafe { Mmio::new(map::unit(map::SYSTEM_CONTROLLER_OFFSET), 0x100) };
        watchdog::system_reset(&system_controller);
        // The soft reset did not take: the watchdog, still armed and no longer fed once IRQs
        // are masked, resets the board within WATCHDOG_TIMEOUT_MS.
        kernel::halt()
    }
    /// The Mirabox has no software-controlled power switch (no PMIC or GPIO power-off in the
    /// DTS), so "off" is a halt: the watchdog is stopped first so it does not reboot the board,
    /// then the CPU sleeps with IRQs masked until someone pulls the plug.
    fn power_off(&self) -> ! {
        with_driver(&GLOBAL_TIMERS, |timers| timers.watchdog.stop());
        kernel::halt()
    }
}

static CLOCK: MiraboxClock = MiraboxClock;
static TICK: MiraboxTick = MiraboxTick;
static POWER: MiraboxPower = MiraboxPower;

static PLATFORM: Platform = Platform {
    name: "mirabox",
    console: &UART0,
    clock: &CLOCK,
    reference_clock: None,
    tick: &TICK,
    interrupts: &MPIC,
    power: &POWER,
    watchdog: None,
    // 2 x 512 MiB DDR3 on CS0/CS1 (the stock U-Boot's `bdinfo`: two DRAM banks of 512 MiB).
    default_ram: MemoryRange {
        base: 0,
        size: 1 << 30,
    },
    // The DRAM windows can cover at most the first GiB below the PCIe/internal windows.
    ram_window: MemoryRange {
        base: 0,
        size: 0x4000_0000,
    },
    // U-Boot passes r2 = 0x100 (the ATAG list it writes at bi_boot_params).
    boot_info_probes: &[0x100],
    // The first 32 KiB below the image hold the ATAG list U-Boot wrote; keep it out of the heap
    // so its words stay readable for diagnostics. U-Boot's own region (0x0060_0000..0x006B_0000,
    // its relocated text, data and stack as `bdinfo` reports them) needs no protection: we never return to it, and a reset reloads it from
    // NAND. The heap already avoids the image itself.
    reserved: &[
        MemoryRange {
            base: 0,
            size: 0x8000,
        },
        configuration::SLOT,
    ],
    devices: &[MemoryRange {
        base: map::INTERNAL_REGS,
        size: 1 << 20,
    }],
};

#[aarch32_rt::entry]
fn main() -> ! {
    let base = map::INTERNAL_REGS;
    // SAFETY: the addresses are the Armada 370 units inside the
    // internal-register window where the stock U-Boot leaves it (the Mirabox DTS's
    // `ranges = <MBUS_ID(0xf0, 0x01) 0 0xd0000000 0x100000 ...>`); the MMU is
    // off, so they are device accesses, and after `kernel::boot` the kernel maps the window as
    // device memory. Each unit is owned by exactly one driver, held in its own lock.
    let (global, local, watchdog) = unsafe {
        (
            TimerBlock::new_mmio(map::unit(map::TIMER_OFFSET), Block::Global, NBCLK_HZ),
            TimerBlock::new_mmio(map::unit(map::LOCAL_TIMER_OFFSET), Block::Local, NBCLK_HZ),
            Watchdog::new_mmio(base, NBCLK_HZ),
        )
    };

    // U-Boot already runs UART0 at 115200 8N1; keeping its divisor avoids guessing TCLK.
    UART0.keep_bootloader_setup();
    critical_section::with(|cs| {
        let clock = timer::Clock::start(global, Channel::T0);
        let mut watchdog = watchdog;
        watchdog.start(WATCHDOG_TIMEOUT_MS);
        GLOBAL_TIMERS
            .borrow(cs)
            .replace(Some(GlobalTimers { clock, watchdog }));
        LOCAL_TIMER.borrow(cs).replace(Some(local));
    });

    let kernel = kernel::boot(&PLATFORM);

    // The configuration first, so that the network sizes its sockets from what the heap has
    // left once the parsed configuration is in it.
    let config = app::load_configuration(&configuration::source());
    let ethernet::Ports { eth0, mut eth1_phy } = ethernet::bring_up();
    let board = app::Board {
        nic: eth0,
        nic_irq: map::irq::ETH0,
        config,
    };
    let inputs = app::NetworkInputs {
        cmdline: &kernel.boot_info.cmdline,
        seed: PLATFORM.clock.now_ticks(),
        interrupts: PLATFORM.interrupts,
        now: kernel.now(),
    };
    let mut app = app::App::start(inputs, kernel::heap_usage, board);
    let mut eth0_link = LinkWatch::new("eth0");
    let mut eth1_link = LinkWatch::new("eth1");
    kernel.run(|_, now| {
        app.poll(now, kernel::heap_usage, |stack| {
            if let Some(phy) = eth1_phy.as_mut() {
                eth1_link.poll(now, || phy.link_state().ok());
            }
            if let Some(stack) = stack {
                eth0_link.poll(now, || Some(stack.nic_mut().link_state()));
            }
        })
    })
}

kernel::exception_entries!();
