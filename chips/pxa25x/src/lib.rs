//! Chip support for the Intel PXA25x (PXA255), the XScale SoC of QEMU's `tosa` machine: its
//! fixed addresses, the interrupt controller and the OS timer, and [`Peripherals::take`], which
//! hands out every unit as an owned driver so a board needs no `unsafe` addresses.
//!
//! Addresses: *Intel PXA255 Processor Developer's Manual* (order no. 278693), the register
//! tables of §4.2 (interrupt controller, 0x40D0_0000), §4.4 (OS timer, 0x40A0_0000) and chapter
//! 10 "UARTs" (FFUART, 0x4010_0000); the same in QEMU `hw/arm/pxa2xx.c` (`pxa255_init`:
//! `pxa2xx_pic_init(0x40d00000)`, the `pxa25x-timer` at 0x40a00000, `pxa255_serial[]` with the
//! FFUART at 0x40100000 and `regshift` 2) and Linux `arch/arm/mach-pxa` (`pxa-regs.h`,
//! `pxa25x.c`). The FFUART is an XScale 16550: the shared `ns16550` driver's
//! [`ns16550::Variant::Xscale`], not a driver of this crate.
//!
//! # Where things are
//!
//! | item | what | address (`map`) |
//! |---|---|---|
//! | [`icu`] | [`icu::Icu`]: interrupt controller ([`hil::InterruptController`]), source numbers [`icu::irq`] | [`map::ICU`] 0x40D0_0000 |
//! | [`ostimer`] | [`ostimer::OsTimer`]: OSCR ([`hil::Clock`], 32 bits, 3.6864 MHz), match 0 ([`hil::TickTimer`], IRQ 26), watchdog reset ([`hil::Power`]); why it is no [`hil::Watchdog`] | [`map::OS_TIMER`] 0x40A0_0000 |
//! | [`Peripherals::ffuart`] | FFUART ([`hil::Console`], `ns16550`) | [`map::FFUART`] 0x4010_0000 |
//! | [`idle`] | [`idle::PowerModeIdle`]: the XScale IDLE power mode ([`hil::Idle`]) | CP14 |
//! | [`map`] | SDRAM, the register windows and the 1 MiB device sections holding them | |
//!
//! Host tests (`tests/`) run the drivers against a register-level model of the interrupt
//! controller and the OS timer written from the manual's register semantics.
#![cfg_attr(not(test), no_std)]

pub mod icu;
pub mod idle;
pub mod ostimer;

use hil::take_once::TakeOnce;

use hil::mmio::Mmio;
use icu::Icu;
use ns16550::{Ns16550, Variant};
use ostimer::OsTimer;

/// The PXA25x's fixed physical addresses.
pub mod map {
    /// SDRAM partition 0 (manual chapter 2 "System Architecture", the memory map, and chapter
    /// 6 "Memory Controller": SDRAM partitions 0–3 from 0xA000_0000, 64 MiB apart).
    pub const SDRAM: usize = 0xA000_0000;
    /// Where SDRAM can be: partitions 0–3.
    pub const SDRAM_WINDOW_LEN: usize = 256 << 20;
    /// Full-function UART.
    pub const FFUART: usize = 0x4010_0000;
    /// OS timer.
    pub const OS_TIMER: usize = 0x40A0_0000;
    /// Interrupt controller.
    pub const ICU: usize = 0x40D0_0000;
    /// The device region a board maps around each register window: one 1 MiB section, the
    /// MMU's unit (the units lie in different sections).
    pub const SECTION_LEN: usize = 1 << 20;
}

/// Every unit this crate drives, each owned by exactly one value.
pub struct Peripherals {
    /// The FFUART, the console (not yet enabled: call [`Ns16550::enable`] to keep the boot
    /// loader's divisor, or [`Ns16550::init`]).
    pub ffuart: Ns16550<Mmio>,
    /// The interrupt controller.
    pub icu: Icu<Mmio>,
    /// The OS timer: clock, tick and reset.
    pub os_timer: OsTimer<Mmio>,
}

static TAKEN: TakeOnce = TakeOnce::new();

impl Peripherals {
    /// The chip's peripherals, the first time; `None` afterwards.
    pub fn take() -> Option<Peripherals> {
        if !TAKEN.take() {
            return None;
        }
        // SAFETY: each window is one unit's register block at its fixed PXA25x address (manual
        // §4.2, §4.4, chapter 10; QEMU hw/arm/pxa2xx.c), the windows do not overlap, and the
        // kernel maps their sections as Device memory (the board lists them in
        // `Platform::devices`) before it turns the MMU on; until then they are reached with the
        // MMU off, which is Strongly-ordered. `TAKEN` makes this run once, so each window has
        // one owner.
        let p = unsafe {
            Peripherals {
                ffuart: Ns16550::new(Mmio::new(map::FFUART, ns16550::WINDOW_LEN), Variant::Xscale),
                icu: Icu::new(Mmio::new(map::ICU, icu::WINDOW_LEN)),
                os_timer: OsTimer::new(Mmio::new(map::OS_TIMER, ostimer::WINDOW_LEN)),
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
        // `take` touches no register, so this runs on the host.
        assert!(Peripherals::take().is_some());
        assert!(Peripherals::take().is_none());
    }

    #[test]
    fn each_window_lies_in_its_own_section() {
        let windows = [
            (map::FFUART, ns16550::WINDOW_LEN),
            (map::OS_TIMER, ostimer::WINDOW_LEN),
            (map::ICU, icu::WINDOW_LEN),
        ];
        // Inside one section each: the board maps exactly the sections of these bases.
        assert!(
            windows
                .iter()
                .all(|&(base, len)| base % map::SECTION_LEN + len <= map::SECTION_LEN)
        );
        // In different sections, so no two windows share a mapping a board might drop.
        let mut sections = windows.map(|(base, _)| base / map::SECTION_LEN);
        sections.sort_unstable();
        assert!(sections.windows(2).all(|pair| pair[0] != pair[1]));
    }
}
