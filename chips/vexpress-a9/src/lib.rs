//! QEMU's `vexpress-a9` machine (Arm Versatile Express V2M-P1 motherboard with a CoreTile
//! Cortex-A9x4 daughterboard, the *legacy* memory map): its fixed addresses, the motherboard
//! system registers, and [`Peripherals::take`], which hands out every unit as an owned driver or
//! register window so a board needs no `unsafe` addresses.
//!
//! The addresses are QEMU's `hw/arm/vexpress.c` (`motherboard_legacy_map` and
//! `a9_daughterboard_init`), which follows the V2M-P1 TRM (ARM DUI 0447) and the CoreTile
//! Express A9x4 TRM (ARM DUI 0448). The generic Arm blocks have their own driver crates
//! (`pl011`, `arm-gic`, `a9-timers`) and so does the external Ethernet chip (`lan9118`).
//!
//! # Where things are
//!
//! | item | what | address (`map`) |
//! |---|---|---|
//! | [`sysreg`] | V2M SYS block: 24 MHz counter ([`hil::Clock`]), reset/power-off ([`hil::Power`]) | [`map::SYSREGS`] 0x1000_0000 |
//! | [`Peripherals::uart0`] | PL011 UART0 ([`hil::Console`]) | [`map::UART0`] 0x1000_9000 |
//! | [`Peripherals::gic`] | A9 MPCore GIC ([`hil::InterruptController`]) | [`map::GIC_DISTRIBUTOR`] 0x1E00_1000, [`map::GIC_CPU_INTERFACE`] 0x1E00_0100 |
//! | [`Peripherals::global_timer`] | A9 global timer ([`hil::Clock`], 64 bits) | [`map::GLOBAL_TIMER`] 0x1E00_0200 |
//! | [`Peripherals::private_timer`] | A9 private timer ([`hil::TickTimer`], ID 29) | [`map::PRIVATE_TIMER`] 0x1E00_0600 |
//! | [`Peripherals::lan9118`] | LAN9118 register window (the driver's bring-up can fail, so the board builds it) | [`map::LAN9118`] 0x4E00_0000 |
//! | [`map`] | RAM, device regions, clock rates | |
#![cfg_attr(not(test), no_std)]

pub mod sysreg;

use hil::take_once::TakeOnce;

use a9_timers::{GlobalTimer, PrivateTimer};
use arm_gic::Gic;
use hil::mmio::Mmio;
use pl011::Pl011;
use sysreg::SysRegs;

/// The legacy memory map of QEMU's vexpress-a9 (`hw/arm/vexpress.c`, `motherboard_legacy_map`
/// for the motherboard, `a9_daughterboard_init` for RAM and the MPCore private region).
pub mod map {
    /// Motherboard peripherals (CS7): system registers, UARTs, timers.
    pub const MOTHERBOARD: usize = 0x1000_0000;
    /// Size of the motherboard peripheral region.
    pub const MOTHERBOARD_LEN: usize = 1 << 20;
    /// V2M system registers (`VE_SYSREGS`).
    pub const SYSREGS: usize = MOTHERBOARD;
    /// PL011 UART0 (`VE_UART0`).
    pub const UART0: usize = MOTHERBOARD + 0x9000;
    /// Cortex-A9 MPCore private memory region (PERIPHBASE, `a9_daughterboard_init`).
    pub const PERIPHBASE: usize = 0x1e00_0000;
    /// Size of the private region mapped for devices.
    pub const PERIPHBASE_LEN: usize = 1 << 20;
    /// GIC CPU interface (PERIPHBASE + 0x100, Cortex-A9 MPCore TRM §1.5).
    pub const GIC_CPU_INTERFACE: usize = PERIPHBASE + 0x100;
    /// Global timer (PERIPHBASE + 0x200).
    pub const GLOBAL_TIMER: usize = PERIPHBASE + 0x200;
    /// Private timer of the executing CPU (PERIPHBASE + 0x600).
    pub const PRIVATE_TIMER: usize = PERIPHBASE + 0x600;
    /// GIC distributor (PERIPHBASE + 0x1000).
    pub const GIC_DISTRIBUTOR: usize = PERIPHBASE + 0x1000;
    /// SMSC LAN9118 (`VE_ETHERNET`, CS3).
    pub const LAN9118: usize = 0x4e00_0000;
    /// Size of the LAN9118 region mapped for devices.
    pub const LAN9118_LEN: usize = 1 << 20;
    /// RAM on the daughterboard (`a9_daughterboard_init`: "0x60000000 .. 0x9fffffff").
    pub const RAM: usize = 0x6000_0000;
    /// Largest RAM the legacy map has room for (1 GiB).
    pub const RAM_WINDOW_LEN: usize = 1 << 30;
    /// PERIPHCLK as QEMU models it: the A9 timers tick every 10 ns (hw/timer/a9gtimer.c,
    /// hw/timer/arm_mptimer.c).
    pub const PERIPHCLK_HZ: u64 = 100_000_000;
    /// PL011 reference clock on the V2M motherboard (24 MHz OSCCLK2).
    pub const UART_CLOCK_HZ: u32 = 24_000_000;
}

/// Every unit of the machine, each owned by exactly one value.
pub struct Peripherals {
    /// PL011 UART0, the console (not yet initialised: call [`Pl011::init`]).
    pub uart0: Pl011<Mmio>,
    /// The GIC.
    pub gic: Gic<Mmio, Mmio>,
    /// The A9 global timer, at [`map::PERIPHCLK_HZ`].
    pub global_timer: GlobalTimer<Mmio>,
    /// CPU 0's private timer, at [`map::PERIPHCLK_HZ`].
    pub private_timer: PrivateTimer<Mmio>,
    /// The motherboard system registers.
    pub sysregs: SysRegs<Mmio>,
    /// The LAN9118's register window, for `lan9118::Lan9118::new`.
    pub lan9118: Mmio,
}

static TAKEN: TakeOnce = TakeOnce::new();

impl Peripherals {
    /// The machine's peripherals, the first time; `None` afterwards.
    pub fn take() -> Option<Peripherals> {
        if !TAKEN.take() {
            return None;
        }
        // SAFETY: each window is one device's register block at its fixed address in the legacy
        // vexpress-a9 map (hw/arm/vexpress.c), the windows do not overlap, and the kernel maps
        // the motherboard, private and LAN9118 regions as Device memory (the board lists them in
        // its `Platform::devices`) before drivers touch them, or they are reached with the MMU
        // off, which is Strongly-ordered. `TAKEN` makes this run once, so each window has one
        // owner.
        let p = unsafe {
            Peripherals {
                uart0: Pl011::new(Mmio::new(map::UART0, pl011::WINDOW_LEN)),
                gic: Gic::new(
                    Mmio::new(map::GIC_DISTRIBUTOR, arm_gic::DISTRIBUTOR_LEN),
                    Mmio::new(map::GIC_CPU_INTERFACE, arm_gic::CPU_INTERFACE_LEN),
                ),
                global_timer: GlobalTimer::new(
                    Mmio::new(map::GLOBAL_TIMER, a9_timers::WINDOW_LEN),
                    map::PERIPHCLK_HZ,
                ),
                private_timer: PrivateTimer::new(
                    Mmio::new(map::PRIVATE_TIMER, a9_timers::WINDOW_LEN),
                    map::PERIPHCLK_HZ,
                ),
                sysregs: SysRegs::new(Mmio::new(map::SYSREGS, sysreg::WINDOW_LEN)),
                lan9118: Mmio::new(map::LAN9118, lan9118::WINDOW_LEN),
            }
        };
        Some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peripherals_are_handed_out_once() {
        // No register is touched by `take`, so this is safe to run on the host.
        let first = Peripherals::take();
        assert!(first.is_some());
        assert_eq!(first.as_ref().unwrap().lan9118.base(), 0x4e00_0000);
        assert_eq!(first.as_ref().unwrap().lan9118.len(), 0x100);
        assert!(Peripherals::take().is_none());
    }

    #[test]
    fn the_windows_do_not_overlap_and_lie_in_the_device_regions() {
        let windows = [
            (map::SYSREGS, sysreg::WINDOW_LEN),
            (map::UART0, pl011::WINDOW_LEN),
            (map::GIC_CPU_INTERFACE, arm_gic::CPU_INTERFACE_LEN),
            (map::GLOBAL_TIMER, a9_timers::WINDOW_LEN),
            (map::PRIVATE_TIMER, a9_timers::WINDOW_LEN),
            (map::GIC_DISTRIBUTOR, arm_gic::DISTRIBUTOR_LEN),
            (map::LAN9118, lan9118::WINDOW_LEN),
        ];
        let regions = [
            (map::MOTHERBOARD, map::MOTHERBOARD_LEN),
            (map::PERIPHBASE, map::PERIPHBASE_LEN),
            (map::LAN9118, map::LAN9118_LEN),
        ];
        for (i, &(base, len)) in windows.iter().enumerate() {
            assert!(
                regions
                    .iter()
                    .any(|&(r, rl)| base >= r && base + len <= r + rl),
                "window {base:#x} outside the device regions"
            );
            for &(other, other_len) in &windows[i + 1..] {
                assert!(base + len <= other || other + other_len <= base);
            }
        }
    }
}
