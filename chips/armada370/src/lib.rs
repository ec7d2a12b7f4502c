//! Chip support for the Marvell Armada 370 (88F6710), the SoC of the GlobalScale Mirabox: what
//! is unique to the SoC, no board facts. [`Peripherals::take`] hands out every unit as an owned
//! driver or register window, so a board needs no `unsafe` addresses.
//!
//! Every driver talks to its registers through [`hil::mmio::Bus`] with the typed-register idiom
//! of [`hil::mmio`] (`RegDef` + tock-registers bitfields), so the same code runs on the SoC
//! ([`hil::mmio::Mmio`]) and on the host against behavioural models (`tests/`). Every DMA
//! buffer and descriptor crosses [`nic::dma::DmaMemory`]; the hardware implementation of that
//! trait, with L1 (CP15) and Aurora L2 maintenance, is [`cache::CachedDma`]. Shared blocks have
//! their own crates: the console UART is `ns16550` (`Variant::DwApb`), the PHY driver `mii`.
//!
//! # Where things are
//!
//! Unit offsets and interrupt numbers: Linux `arch/arm/boot/dts/marvell/armada-370-xp.dtsi` and
//! `armada-370.dtsi`; each module cites the Linux driver its registers come from.
//!
//! | item | what | at (internal registers + `map` offset) |
//! |---|---|---|
//! | [`Peripherals::uart0`] | DW-APB 16550 UART0 ([`hil::Console`], `ns16550`) | [`map::UART0_OFFSET`] 0x1_2000 |
//! | [`Peripherals::mpic`], [`mpic`] | interrupt controller ([`hil::InterruptController`]) | [`map::MPIC_MAIN_OFFSET`] 0x2_0A00, [`map::MPIC_PERCPU_OFFSET`] 0x2_1870 |
//! | [`Peripherals::clock`], [`timer`] | global timer 0 free-running ([`hil::Clock`], 32 bits) | [`map::TIMER_OFFSET`] 0x2_0300 |
//! | [`Peripherals::tick`], [`timer`] | per-CPU timer 0 ([`hil::TickTimer`], IRQ 5) | [`map::LOCAL_TIMER_OFFSET`] 0x2_1040 |
//! | [`Peripherals::watchdog`], [`watchdog`] | global watchdog ([`hil::Watchdog`]), shares the global timers' CTRL | 0x2_0300 + 0x34, RSTOUT [`map::WDT_RSTOUT_OFFSET`] 0x2_0704 |
//! | [`Peripherals::system_controller`], [`watchdog`] | soft reset ([`hil::Power`]; power-off halts), TCLK from the SAR ([`sar`]) | [`map::SYSTEM_CONTROLLER_OFFSET`] 0x1_8200 |
//! | [`Peripherals::sdram_windows`], [`mbus`] | MBus SDRAM chip-select windows: DRAM size, DMA windows | [`map::MBUS_SDRAM_OFFSET`] 0x2_0180 |
//! | [`Peripherals::l2`], [`l2`], [`cache`] | Aurora L2 range maintenance; `DmaMemory` for the hardware | [`map::L2_OFFSET`] 0x0_8000 |
//! | [`Peripherals::gpio`], [`gpio`] | the three GPIO banks, active-low `Led` | [`map::GPIO_OFFSETS`] 0x1_8100.. |
//! | [`Peripherals::smi`], [`mdio`] | SMI (MDIO) master shared by both ports ([`hil::mdio::Mdio`]) | [`map::SMI_OFFSET`] 0x7_2004 |
//! | [`Peripherals::eth0`], [`Peripherals::eth1`], [`mvneta`] | port windows for the Ethernet driver ([`nic::Nic`]); bring-up can fail, so the board builds it | [`map::ETH0_OFFSET`] 0x7_0000, [`map::ETH1_OFFSET`] 0x7_4000 |
//! | [`map`] | internal-register base, unit offsets and lengths, MPIC interrupt numbers | |
//!
//! See `README.md` for what the host tests verify and the hardware checklist.
#![no_std]

pub mod cache;
pub mod gpio;
pub mod l2;
pub mod map;
pub mod mbus;
pub mod mdio;
pub mod mpic;
pub mod mvneta;
pub mod sar;
pub mod timer;
pub mod watchdog;

use hil::take_once::TakeOnce;

use hil::mmio::Mmio;
use ns16550::{Ns16550, Variant};

use gpio::GpioBank;
use l2::AuroraL2;
use mdio::Smi;
use mpic::Mpic;
use timer::{Block, Channel, TimerBlock};
use watchdog::{SystemController, Watchdog};

/// Bound on every busy-wait in this crate (register handshakes). Loops spin at most this many
/// register reads; at ~100 ns per uncached read on the Armada 370 this is ~10 ms, well above
/// every documented handshake (MDIO 41–43 µs, port-reset a few µs).
pub(crate) const POLL_LIMIT: u32 = 100_000;

/// The global timer block, whose CTRL (and event status) hold both timer 0's and the watchdog's
/// bits: one window, shared by reference between [`Peripherals::clock`] and
/// [`Peripherals::watchdog`], each of which does its read-modify-writes of CTRL in a critical
/// section (`timer`, `watchdog`).
// SAFETY: the global timer block of the internal-register window at the address the stock
// U-Boot leaves it (`map`; Linux `armada-370-xp.dtsi` `timer@20300`); reached with the MMU off
// (Strongly-ordered) or mapped as Device memory by the kernel (the board lists the window in
// its `Platform::devices`). Only `Peripherals::take`, once, hands out references to it.
static GLOBAL_TIMER_BLOCK: Mmio =
    unsafe { Mmio::new(map::unit(map::TIMER_OFFSET), timer::WINDOW_LEN) };

/// Every unit the firmware drives, each owned by exactly one value.
pub struct Peripherals {
    /// UART0, the console (U-Boot left it at 115200 8N1: `keep_bootloader_setup` or `init`).
    pub uart0: Ns16550<Mmio>,
    /// The MPIC; `hil::InterruptController::init` reads its size.
    pub mpic: Mpic<Mmio, Mmio>,
    /// Global timer 0 as the monotonic clock (not yet started: call `start`).
    pub clock: timer::Clock<&'static Mmio>,
    /// Per-CPU timer 0 as the tick, MPIC per-CPU interrupt [`map::irq::LOCAL_TIMER0`].
    pub tick: timer::Tick<Mmio>,
    /// The global watchdog (disarmed until `hil::Watchdog::start`).
    pub watchdog: Watchdog<&'static Mmio, Mmio>,
    /// The system controller: soft reset, and the SAR's TCLK.
    pub system_controller: SystemController<Mmio>,
    /// The MBus SDRAM chip-select window registers, for [`mbus::dram_windows`].
    pub sdram_windows: Mmio,
    /// The Aurora L2 controller.
    pub l2: AuroraL2<Mmio>,
    /// GPIO banks 0, 1, 2.
    pub gpio: [GpioBank<Mmio>; 3],
    /// The SMI (MDIO) master both ports' PHYs hang off.
    pub smi: Smi<Mmio>,
    /// Ethernet port 0's register window, for `mvneta::Mvneta::new`.
    pub eth0: Mmio,
    /// Ethernet port 1's register window.
    pub eth1: Mmio,
}

static TAKEN: TakeOnce = TakeOnce::new();

impl Peripherals {
    /// The SoC's peripherals, the first time; `None` afterwards. `nbclk_hz` is the timers' and
    /// the watchdog's input clock (`clocks = <&coreclk 2>`), which depends on the board's
    /// sample-at-reset straps (Linux `drivers/clk/mvebu/armada-370.c`). Touches no register.
    pub fn take(nbclk_hz: u32) -> Option<Peripherals> {
        if !TAKEN.take() {
            return None;
        }
        let at = |offset: usize, len: usize| {
            // SAFETY: every `(offset, len)` below is one unit's register window inside the
            // internal-register window at the address the stock U-Boot leaves it (`map`, from
            // Linux `armada-370-xp.dtsi`), reached with the MMU off (Strongly-ordered) or mapped
            // as Device memory by the kernel (the board lists the window in `Platform::devices`).
            // The windows do not overlap (`the_windows_do_not_overlap` checks it) except the SMI
            // register, which lies inside port 0's window: the mvneta driver never accesses that
            // offset (`mvneta::registers::SMI` is only a cross-reference), so every register
            // still has one driver. `TAKEN` makes this run once, so each window has one owner.
            unsafe { Mmio::new(map::unit(offset), len) }
        };
        let [gpio0, gpio1, gpio2] = map::GPIO_OFFSETS;
        Some(Peripherals {
            uart0: Ns16550::new(at(map::UART0_OFFSET, ns16550::WINDOW_LEN), Variant::DwApb),
            mpic: Mpic::unprobed(
                at(map::MPIC_MAIN_OFFSET, map::len::MPIC_MAIN),
                at(map::MPIC_PERCPU_OFFSET, map::len::MPIC_PERCPU),
            ),
            clock: timer::Clock::new(
                TimerBlock::new(&GLOBAL_TIMER_BLOCK, Block::Global, nbclk_hz),
                Channel::T0,
            ),
            tick: timer::Tick::new(
                TimerBlock::new(
                    at(map::LOCAL_TIMER_OFFSET, timer::WINDOW_LEN),
                    Block::Local,
                    nbclk_hz,
                ),
                Channel::T0,
                map::irq::LOCAL_TIMER0,
            ),
            watchdog: Watchdog::new(
                &GLOBAL_TIMER_BLOCK,
                at(map::WDT_RSTOUT_OFFSET, map::len::WDT_RSTOUT),
                nbclk_hz,
            ),
            system_controller: SystemController::new(at(
                map::SYSTEM_CONTROLLER_OFFSET,
                map::len::SYSTEM_CONTROLLER,
            )),
            sdram_windows: at(map::MBUS_SDRAM_OFFSET, map::len::MBUS_SDRAM),
            l2: AuroraL2::new(at(map::L2_OFFSET, map::len::L2)),
            gpio: [gpio0, gpio1, gpio2].map(|offset| GpioBank::new(at(offset, map::len::GPIO))),
            smi: Smi::new(at(map::SMI_OFFSET, map::len::SMI)),
            eth0: at(map::ETH0_OFFSET, map::ETH_WINDOW_LEN),
            eth1: at(map::ETH1_OFFSET, map::ETH_WINDOW_LEN),
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn peripherals_are_handed_out_once() {
        // No register is touched by `take`, so this is safe to run on the host.
        let first = Peripherals::take(600_000_000);
        assert!(first.is_some());
        let p = first.unwrap();
        assert_eq!(p.eth0.base(), 0xD007_0000);
        assert_eq!(p.eth1.base(), 0xD007_4000);
        assert_eq!(p.sdram_windows.base(), 0xD002_0180);
        assert!(Peripherals::take(600_000_000).is_none());
    }

    #[test]
    fn the_windows_do_not_overlap() {
        let mut windows = std::vec![
            (map::L2_OFFSET, map::len::L2),
            (map::UART0_OFFSET, ns16550::WINDOW_LEN),
            (map::SYSTEM_CONTROLLER_OFFSET, map::len::SYSTEM_CONTROLLER),
            (map::MBUS_SDRAM_OFFSET, map::len::MBUS_SDRAM),
            (map::TIMER_OFFSET, timer::WINDOW_LEN),
            (map::WDT_RSTOUT_OFFSET, map::len::WDT_RSTOUT),
            (map::MPIC_MAIN_OFFSET, map::len::MPIC_MAIN),
            (map::LOCAL_TIMER_OFFSET, timer::WINDOW_LEN),
            (map::MPIC_PERCPU_OFFSET, map::len::MPIC_PERCPU),
            (map::ETH0_OFFSET, map::ETH_WINDOW_LEN),
            (map::ETH1_OFFSET, map::ETH_WINDOW_LEN),
        ];
        windows.extend(map::GPIO_OFFSETS.map(|offset| (offset, map::len::GPIO)));
        for (i, &(base, len)) in windows.iter().enumerate() {
            assert!(base + len <= 1 << 20, "{base:#x} outside the 1 MiB window");
            for &(other, other_len) in &windows[i + 1..] {
                assert!(
                    base + len <= other || other + other_len <= base,
                    "{base:#x} and {other:#x} overlap"
                );
            }
        }
        // The one exception, the SMI inside port 0 (see `take`).
        let smi = map::SMI_OFFSET;
        assert!(
            smi >= map::ETH0_OFFSET
                && smi + map::len::SMI <= map::ETH0_OFFSET + map::ETH_WINDOW_LEN
        );
        assert_eq!(smi - map::ETH0_OFFSET, mvneta::registers::SMI);
    }

    #[cfg(feature = "defmt")]
    #[test]
    fn the_errors_are_defmt_format() {
        fn format<T: defmt::Format>() {}
        format::<mvneta::NetaError>();
    }
}
