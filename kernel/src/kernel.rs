//! Boot sequence, banner, self-tests and the idle loop.
//!
//! A board's `main` calls [`boot`] with its [`Platform`]; when it returns, the console, MMU and
//! caches, heap, interrupts and tick are up, and the board goes on to bring up its NIC and the
//! services, then hands the main loop to [`Kernel::run`].

use core::cell::Cell;

use critical_section::Mutex;
use embedded_alloc::LlffHeap;

use crate::board::{MemoryRange, Platform};
use crate::bootinfo::{self, BootInfo};
use crate::time::{self, Instant, TICK_HZ};
use crate::{arch, console, irq, kprintln, mem};

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

static PLATFORM: Mutex<Cell<Option<&'static Platform>>> = Mutex::new(Cell::new(None));

/// How long the main loop may stay away before the board's watchdog resets it. Long: it is the
/// last line of defence against a hung kernel, not a liveness check of the proxy, and it must
/// never fire during a slow but healthy boot step (a microcode load, a flash read). Below every
/// supported watchdog's ceiling (IXP4xx: 2^32 counts at 66 MHz = 65 s).
pub const WATCHDOG_TIMEOUT_MS: u32 = 60_000;

/// Heap bytes (in use, free).
pub fn heap_usage() -> (usize, usize) {
    (HEAP.used(), HEAP.free())
}

/// The platform the kernel booted on, once [`boot`] has started.
pub(crate) fn platform() -> Option<&'static Platform> {
    critical_section::with(|cs| PLATFORM.borrow(cs).get())
}

unsafe extern "C" {
    /// First byte of the image (aarch32-rt's link.x).
    static __svector: u8;
    /// One past the last byte of the image, its `.bss`, `.uninit` and stacks (`_pack_stacks = 1`).
    static _stacks_high_end: u8;
}

/// The RAM the running image occupies.
fn image_range() -> MemoryRange {
    let start = core::ptr::addr_of!(__svector) as usize;
    let end = core::ptr::addr_of!(_stacks_high_end) as usize;
    MemoryRange {
        base: start,
        size: end - start,
    }
}

/// The running kernel, handed to the board after [`boot`].
pub struct Kernel {
    platform: &'static Platform,
    /// What the bootloader told us.
    pub boot_info: BootInfo,
    /// The RAM given to the heap.
    pub heap: MemoryRange,
}

/// Brings the kernel up on `platform`. See the module docs for what is running on return.
pub fn boot(platform: &'static Platform) -> Kernel {
    critical_section::with(|cs| PLATFORM.borrow(cs).set(Some(platform)));
    console::install(platform.console);
    time::install(platform.clock);
    if let Some(watchdog) = platform.watchdog {
        watchdog.start(WATCHDOG_TIMEOUT_MS);
    }

    let image = image_range();
    // SAFETY: the MMU is still off, so every address in the board's RAM window is plain RAM.
    let boot_info = unsafe { bootinfo::discover(arch::boot_registers(), platform, image.base) };

    let mut reserved: heapless::Vec<MemoryRange, 12> = heapless::Vec::new();
    let _ = reserved.push(image);
    if let Some(dtb) = boot_info.dtb {
        let _ = reserved.push(MemoryRange {
            base: dtb.as_ptr() as usize,
            size: dtb.len(),
        });
    }
    for range in platform.reserved {
        let _ = reserved.push(*range);
    }
    // SAFETY: boot, single-threaded, MMU off; the RAM banks contain the image (checked by
    // `discover`, or the board defaults do) and the device list is the board's.
    unsafe { arch::enable_mmu(boot_info.ram.as_slice(), platform.devices) };
    arch::install_vectors();

    let heap = mem::largest_free(boot_info.ram.as_slice(), &reserved)
        .unwrap_or(MemoryRange { base: 0, size: 0 });
    // SAFETY: `heap` is RAM that is neither the image, the DTB nor board-reserved memory, it is
    // identity-mapped and cached, and the allocator is initialised exactly once, here.
    unsafe { HEAP.init(heap.base, heap.size) };

    print_banner(platform, &boot_info, heap);

    platform.interrupts.init();
    if irq::register(platform.tick.irq(), on_tick).is_err() {
        kprintln!(
            "warning: tick interrupt {} out of range; running without a tick",
            platform.tick.irq()
        );
    }
    platform.interrupts.enable(platform.tick.irq());
    platform.tick.start_periodic(TICK_HZ);
    // SAFETY: the vector table, the IRQ stack and the dispatch table are ready.
    unsafe { aarch32_cpu::interrupt::enable() };
    defmt::info!(
        "kernel up: {=u32} Hz tick, heap {=usize} KiB",
        TICK_HZ,
        heap.size / 1024
    );

    let kernel = Kernel {
        platform,
        boot_info,
        heap,
    };
    kernel.run_self_tests();
    kernel
}

fn on_tick() {
    if platform().is_some_and(|platform| platform.tick.acknowledge()) {
        time::record_tick();
    }
}

/// Human name of a CPU from its ID register (ARM ARM B4.1.105 MIDR; vendors' part numbers from
/// Linux `arch/arm/include/asm/cputype.h`).
fn cpu_name(midr: u32) -> &'static str {
    match (midr >> 24, (midr >> 4) & 0xfff) {
        (0x41, 0xc09) => "ARM Cortex-A9",
        (0x41, 0x926) => "ARM926EJ-S",
        (0x56, 0x581) | (0x56, 0x584) => "Marvell PJ4B",
        (0x69, _) if midr & 0xffff_ffc0 == 0x6905_41c0 => "Intel XScale IXP42x",
        // PXA255: part 0x2d0 (Linux `arch/arm/mach-pxa`, cpu_is_pxa255).
        (0x69, 0x2d0) => "Intel XScale PXA255",
        (0x69, _) => "Intel XScale",
        _ => "unknown CPU",
    }
}

fn print_banner(platform: &Platform, info: &BootInfo, heap: MemoryRange) {
    let midr = arch::cpu_id();
    let clock_hz = platform.clock.frequency_hz();
    kprintln!();
    kprintln!(
        "bareproxy {} ({}) on {}",
        crate::VERSION,
        crate::GIT_REVISION,
        platform.name
    );
    kprintln!("  cpu:   {} (id {:#010x})", cpu_name(midr), midr);
    for bank in info.ram.as_slice() {
        kprintln!(
            "  ram:   {} MiB at {:#010x} ({})",
            bank.size >> 20,
            bank.base,
            info.source.describe()
        );
    }
    kprintln!(
        "  clock: {}.{:03} MHz, tick {} Hz",
        clock_hz / 1_000_000,
        clock_hz / 1000 % 1000,
        TICK_HZ
    );
    kprintln!("  heap:  {} KiB at {:#010x}", heap.size / 1024, heap.base);
    if !info.cmdline.is_empty() {
        kprintln!("  cmdline: {}", info.cmdline.as_str());
    }
    if let Some((address, error)) = info.rejected {
        kprintln!(
            "  note:  ignored boot information at {:#010x}: {}",
            address,
            error
        );
    }
}

impl Kernel {
    /// The platform description.
    pub fn platform(&self) -> &'static Platform {
        self.platform
    }

    /// The current monotonic time.
    pub fn now(&self) -> Instant {
        time::now()
    }

    /// The main loop: call `service` with the current time, then sleep until an interrupt
    /// (the tick bounds the sleep to 1/[`TICK_HZ`] s). Never busy-polls: under QEMU's user
    /// networking a spinning guest adds about half a second to every new connection.
    ///
    /// Each pass feeds the watchdog: a pass that never ends, like interrupts that stop, resets
    /// the board after [`WATCHDOG_TIMEOUT_MS`].
    pub fn run(self, mut service: impl FnMut(&Kernel, Instant)) -> ! {
        loop {
            if let Some(watchdog) = self.platform.watchdog {
                watchdog.feed();
            }
            service(&self, time::now());
            idle(self.platform);
        }
    }

    /// Powers the board off (or halts it where it cannot switch itself off), disarming the
    /// watchdog first so that a halted board is not reset a minute later.
    pub fn power_off(&self) -> ! {
        if let Some(watchdog) = self.platform.watchdog {
            watchdog.stop();
        }
        self.platform.power.power_off()
    }

    fn run_self_tests(&self) {
        let tests = bootinfo::cmdline::self_tests(&self.boot_info.cmdline);
        if tests.timer {
            self.measure_tick();
        }
        if tests.fault {
            kprintln!("selftest: reading unmapped address 0xfff00000");
            // SAFETY: deliberately unsound for the test: the address is unmapped, the read takes
            // a data abort, and the abort handler resets the board.
            let value = unsafe { core::ptr::read_volatile(0xfff0_0000 as *const u32) };
            kprintln!("selftest: read {:#x} without a fault", value);
        }
        if tests.panic {
            panic!("selftest: deliberate panic");
        }
        if tests.shutdown {
            kprintln!("selftest: shutting down");
            self.platform.console.flush();
            self.power_off();
        }
    }

    /// Counts `SAMPLE_TICKS` ticks, sleeping in WFI, and reports how long they took on the
    /// monotonic clock and on the board's independent reference counter.
    fn measure_tick(&self) {
        const SAMPLE_TICKS: u64 = 50;
        let platform = self.platform;
        let first = time::tick_count();
        // Align to a tick edge so the sample covers whole periods.
        while time::tick_count() == first {
            idle(self.platform);
        }
        let start_ticks = time::tick_count();
        let start_clock = platform.clock.now_ticks();
        let start_reference = platform.reference_clock.map(|c| c.now_ticks());
        while time::tick_count() - start_ticks < SAMPLE_TICKS {
            idle(self.platform);
        }
        let counted = time::tick_count() - start_ticks;
        let clock_us = time::ticks_to_micros(
            time::elapsed_ticks(
                start_clock,
                platform.clock.now_ticks(),
                platform.clock.counter_bits(),
            ),
            platform.clock.frequency_hz(),
        );
        match (platform.reference_clock, start_reference) {
            (Some(reference), Some(start)) => {
                let reference_us = time::ticks_to_micros(
                    time::elapsed_ticks(start, reference.now_ticks(), reference.counter_bits()),
                    reference.frequency_hz(),
                );
                kprintln!(
                    "selftest: timer {} ticks in {} us (clock), {} us (reference)",
                    counted,
                    clock_us,
                    reference_us
                );
            }
            _ => kprintln!(
                "selftest: timer {} ticks in {} us (clock)",
                counted,
                clock_us
            ),
        }
    }
}

/// Stops the CPU for good, interrupts masked: `hil::platform::halt`, the one halt (it says
/// how each architecture waits).
pub fn halt() -> ! {
    hil::platform::halt()
}

/// Sleeps until an interrupt unless one arrived since the last check. Interrupts are masked
/// around the check so one arriving between the check and the wait still wakes us. Where the
/// chip cannot sleep (`Platform::idle` returns at once) the main loop polls.
fn idle(platform: &Platform) {
    aarch32_cpu::interrupt::disable();
    if !irq::take_wake() {
        platform.idle.wait_for_interrupt();
    }
    // SAFETY: re-enables what `disable` masked; the pending interrupt, if any, is taken now.
    unsafe { aarch32_cpu::interrupt::enable() };
}

/// The board's IRQ entry calls this.
pub fn handle_irq() {
    if let Some(platform) = platform() {
        irq::dispatch(platform.interrupts);
    }
}

/// Which synchronous exception was taken.
#[derive(Clone, Copy, Debug)]
pub enum ExceptionKind {
    /// Undefined instruction.
    Undefined,
    /// Instruction fetch abort.
    PrefetchAbort,
    /// Data access abort.
    DataAbort,
}

/// The board's exception entries call this: report in plain text, then reset.
pub fn handle_exception(kind: ExceptionKind, address: usize) -> ! {
    aarch32_cpu::interrupt::disable();
    let (status, fault_address) = arch::fault_status();
    match kind {
        ExceptionKind::DataAbort => kprintln!(
            "\nEXCEPTION: data abort at pc {:#010x}: address {:#010x}, status {:#05x}",
            address,
            fault_address,
            status
        ),
        ExceptionKind::PrefetchAbort => {
            kprintln!("\nEXCEPTION: prefetch abort at pc {:#010x}", address)
        }
        ExceptionKind::Undefined => {
            kprintln!("\nEXCEPTION: undefined instruction at pc {:#010x}", address)
        }
    }
    crate::panic::reset_after_fatal_error()
}
