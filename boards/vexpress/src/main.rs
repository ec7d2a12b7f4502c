//! bareproxy for QEMU's `vexpress-a9` machine: the board on which the whole firmware runs end to
//! end in tests.
//!
//! Memory map (QEMU `hw/arm/vexpress.c`, legacy motherboard map): RAM at 0x6000_0000 (QEMU puts
//! the `-dtb` blob at its base), motherboard peripherals at 0x1000_0000, the A9 MPCore private
//! region at 0x1E00_0000, LAN9118 at 0x4E00_0000. Run it with `cargo xtask run`.
#![no_std]
#![no_main]

use hal_vexpress::a9_timers::{GlobalTimer, PRIVATE_TIMER_IRQ, PrivateTimer};
use hal_vexpress::gic::Gic;
use hal_vexpress::lan9118::{self, Lan9118};
use hal_vexpress::pl011::Pl011;
use hal_vexpress::sysreg::{COUNTER_24MHZ_HZ, SysRegs};
use kernel::board::{
    Clock, Console, InterruptController, IrqNumber, MemoryRange, Platform, Power, TickTimer,
};
use kernel::kprintln;

/// Motherboard peripherals (system registers, UARTs, timers): CS7 at 0x1000_0000.
const MOTHERBOARD_BASE: usize = 0x1000_0000;
const UART0_BASE: usize = MOTHERBOARD_BASE + 0x9000;
/// A9 MPCore private memory region (PERIPHBASE).
const PERIPHBASE: usize = 0x1e00_0000;
const LAN9118_BASE: usize = 0x4e00_0000;
/// The configuration slot (`app::config_slot`): RAM between the DTB and the image, where
/// QEMU's `-device loader` puts a configuration (`qemu/src/lib.rs`).
const CONFIG_SLOT: MemoryRange = MemoryRange {
    base: 0x6000_8000,
    size: 0x8000,
};
/// PL011 reference clock on the V2M motherboard (24 MHz OSCCLK2).
const UART_CLOCK_HZ: u32 = 24_000_000;
/// PERIPHCLK as QEMU models it: the A9 timers tick every 10 ns.
const PERIPHCLK_HZ: u64 = 100_000_000;

struct Uart(Pl011);
struct A9GlobalTimer(GlobalTimer);
struct Counter24Mhz(SysRegs);
struct A9PrivateTimer(PrivateTimer);
struct A9Gic(Gic);
struct Motherboard(SysRegs);

impl Console for Uart {
    fn write_bytes(&self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.0.write_byte(b));
    }
    fn read_byte(&self) -> Option<u8> {
        self.0.read_byte()
    }
    fn flush(&self) {
        self.0.flush();
    }
}

impl Clock for A9GlobalTimer {
    fn now_ticks(&self) -> u64 {
        self.0.count()
    }
    fn frequency_hz(&self) -> u64 {
        PERIPHCLK_HZ
    }
}

impl Clock for Counter24Mhz {
    fn now_ticks(&self) -> u64 {
        u64::from(self.0.counter_24mhz())
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(COUNTER_24MHZ_HZ)
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

impl TickTimer for A9PrivateTimer {
    fn irq(&self) -> IrqNumber {
        PRIVATE_TIMER_IRQ
    }
    fn start_periodic(&self, hz: u32) {
        self.0
            .start_periodic((PERIPHCLK_HZ / u64::from(hz.max(1))) as u32);
    }
    fn acknowledge(&self) -> bool {
        self.0.acknowledge()
    }
}

impl InterruptController for A9Gic {
    fn init(&self) {
        self.0.init();
    }
    fn enable(&self, irq: IrqNumber) {
        self.0.enable(irq);
    }
    fn disable(&self, irq: IrqNumber) {
        self.0.disable(irq);
    }
    fn claim(&self) -> Option<IrqNumber> {
        self.0.acknowledge()
    }
    fn complete(&self, irq: IrqNumber) {
        self.0.end_of_interrupt(irq);
    }
}

impl Power for Motherboard {
    fn reset(&self) -> ! {
        // The motherboard controller acts on the request asynchronously.
        self.0.request_reboot();
        kernel::halt()
    }
    fn power_off(&self) -> ! {
        self.0.request_shutdown();
        kernel::halt()
    }
}

// The drivers below are built from fixed addresses: each is a device's register block on
// vexpress-a9 (hw/arm/vexpress.c), identity-mapped as device memory by the kernel and owned by
// that one driver.
// SAFETY: see above.
static UART0: Uart = Uart(unsafe { Pl011::new(UART0_BASE) });
// SAFETY: see above.
static CLOCK: A9GlobalTimer = A9GlobalTimer(unsafe { GlobalTimer::new(PERIPHBASE + 0x200) });
// SAFETY: see above; only the read-only 24 MHz counter is used through this handle.
static REFERENCE: Counter24Mhz = Counter24Mhz(unsafe { SysRegs::new(MOTHERBOARD_BASE) });
// SAFETY: see above.
static TICK: A9PrivateTimer = A9PrivateTimer(unsafe { PrivateTimer::new(PERIPHBASE + 0x600) });
// SAFETY: see above.
static GIC: A9Gic = A9Gic(unsafe { Gic::new(PERIPHBASE + 0x1000, PERIPHBASE + 0x100) });
// SAFETY: see above; only the configuration registers are used through this handle.
static POWER: Motherboard = Motherboard(unsafe { SysRegs::new(MOTHERBOARD_BASE) });

static PLATFORM: Platform = Platform {
    name: "vexpress-a9",
    console: &UART0,
    clock: &CLOCK,
    reference_clock: Some(&REFERENCE),
    tick: &TICK,
    interrupts: &GIC,
    power: &POWER,
    default_ram: MemoryRange {
        base: 0x6000_0000,
        size: 128 << 20,
    },
    ram_window: MemoryRange {
        base: 0x6000_0000,
        size: 1 << 30,
    },
    boot_info_probes: &[0x6000_0000],
    reserved: &[CONFIG_SLOT],
    devices: &[
        MemoryRange {
            base: MOTHERBOARD_BASE,
            size: 1 << 20,
        },
        MemoryRange {
            base: PERIPHBASE,
            size: 1 << 20,
        },
        MemoryRange {
            base: LAN9118_BASE,
            size: 1 << 20,
        },
    ],
};

#[aarch32_rt::entry]
fn main() -> ! {
    UART0.0.init(UART_CLOCK_HZ, 115_200);
    CLOCK.0.start();
    let kernel = kernel::boot(&PLATFORM);
    let base = kernel
        .boot_info
        .device_address("smsc,lan9118")
        .unwrap_or(LAN9118_BASE);
    // SAFETY: `base` is the LAN9118's register window (from the DTB, or the board's map), which
    // the kernel mapped as device memory; nothing else drives the chip.
    let nic = match unsafe { Lan9118::new_mmio(base, lan9118::Config::default()) } {
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
        nic_irq: lan9118::VEXPRESS_GIC_IRQ,
        config: app::load_configuration(&app::ConfigSource {
            slot,
            slot_description: "slot at 0x60008000",
            fallback_name: proxy::config::DEMO_CONFIG_NAME,
            fallback_text: proxy::config::DEMO_CONFIG,
            fallback_note: "no configuration in the slot; using the built-in demo configuration",
        }),
    };
    let inputs = app::NetworkInputs {
        cmdline: &kernel.boot_info.cmdline,
        seed: PLATFORM.clock.now_ticks(),
        free_heap: 0,
        interrupts: PLATFORM.interrupts,
        now: kernel.now(),
    };
    let mut app = app::App::start(inputs, kernel::heap_usage, board);
    kernel.run(|_, now| app.poll(now, kernel::heap_usage, |_| {}))
}

kernel::exception_entries!();
