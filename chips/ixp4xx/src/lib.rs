//! Chip support for the Intel IXP42x (IXP420 on the Linksys NSLU2); see README.md. No board
//! facts: which GPIO is an LED, the timer's crystal, the PHY address and the flash layout are
//! the board's (`boards/nslu2`).
//!
//! # Where things are
//!
//! | item | what | address ([`map`]) |
//! |---|---|---|
//! | [`Peripherals::take`] | every unit as an owned driver or register window, so a board needs no `unsafe` addresses | |
//! | [`Peripherals::uart1`] | UART1, an XScale 16550: the shared `ns16550` driver ([`hil::Console`]) | [`map::UART1_BASE`] 0xC800_0000 |
//! | [`intc`] | interrupt controller ([`hil::InterruptController`]) | [`map::INTC_BASE`] 0xC800_3000 |
//! | [`gpio`] | GPIO lines by number (direction, level, interrupt style) | [`map::GPIO_BASE`] 0xC800_4000 |
//! | [`timer`] | OS timer: timestamp ([`hil::Clock`]), timer 1 ([`hil::TickTimer`]), watchdog ([`hil::Watchdog`]) and the watchdog reset | [`map::TIMER_BASE`] 0xC800_5000 |
//! | [`npe`] | NPE reset, microcode parser and loader ([`npe::firmware`]), message interface | [`map::NPE_B_BASE`] 0xC800_7000 |
//! | [`eth`] | the NPE-B Ethernet driver ([`nic::Nic`]), its MAC and MDIO ([`hil::mdio::Mdio`]; the PHY is the shared `mii` driver), [`eth::quiesce`] for what RedBoot leaves running | [`map::ETH_B_MAC_BASE`] 0xC800_9000 |
//! | [`expbus`] | feature register, flash reads (bytes, MAC address, length-prefixed microcode slot) | [`map::EXP_CFG_BASE`] 0xC400_0000, [`map::EXP_CS0_BASE`] 0x5000_0000 |
//! | [`qmgr`] | the AHB queue manager | [`map::QMGR_BASE`] 0x6000_0000 |
//! | [`idle`] | [`idle::Polling`]: the IXP4xx has no PWRMODE, so the idle loop polls ([`hil::Idle`]) | |
//! | [`dma`] | [`dma::XscaleDma`], the hardware `DmaMemory` (identity bus addresses, XScale D-cache line maintenance) | |
//!
//! Every driver is generic over `hil::mmio::Bus` (the one register idiom), so host tests run
//! the drivers against register-level models (`tests/model/`).
//!
//! Everything is written for BE32 (the firmware) and little-endian (host tests) at once: only
//! 32-bit MMIO, descriptors and messages built as `u32` words with shifts, explicit
//! `to_be_bytes` wherever bytes are serialised. No atomics (armv5te has none), no allocation.
#![no_std]

pub mod dma;
pub mod eth;
pub mod expbus;
pub mod gpio;
pub mod idle;
pub mod intc;
pub mod map;
pub mod npe;
pub mod qmgr;
pub mod timer;

use hil::take_once::TakeOnce;

use hil::mmio::Mmio;
use ns16550::{Ns16550, Variant};

/// Every unit of the IXP420 a board uses, each owned by exactly one value. Nothing is touched
/// by [`Peripherals::take`]: RedBoot's 115200 8N1 stays in the UART, NPE-B keeps running until
/// [`eth::quiesce`].
#[derive(Debug)]
pub struct Peripherals {
    /// UART1 (Linux ttyS0), not reprogrammed.
    pub uart1: Ns16550<Mmio>,
    /// The OS timer window, for [`timer::OsTimer::new`] with the board's timer clock.
    pub os_timer: Mmio,
    /// The interrupt controller.
    pub intc: intc::InterruptController<Mmio>,
    /// The GPIO controller.
    pub gpio: gpio::Gpio<Mmio>,
    /// The expansion-bus configuration registers.
    pub expansion_bus: expbus::ExpansionBus<Mmio>,
    /// Expansion-bus chip select 0 (the whole 16 MiB window), for [`expbus::Flash::new`] with
    /// the size of the flash the board fitted.
    pub flash_cs0: expbus::FlashMmio,
    /// The AHB queue manager.
    pub qmgr: qmgr::QueueManager<Mmio>,
    /// NPE-B, the Ethernet engine of the EthB MAC.
    pub npe_b: npe::Npe<Mmio>,
    /// The EthB MAC (and the MDIO master).
    pub eth_b: eth::Mac<Mmio>,
}

static TAKEN: TakeOnce = TakeOnce::new();

impl Peripherals {
    /// The chip's peripherals, the first time; `None` afterwards.
    pub fn take() -> Option<Peripherals> {
        if !TAKEN.take() {
            return None;
        }
        let window = map::PERIPHERAL_WINDOW;
        // SAFETY: each window is one unit's register block at its fixed IXP420 address (Linux
        // `ixp4xx-regs.h`, `intel-ixp4xx.dtsi`; Intel IXP4xx Developer's Manual, memory map),
        // the windows do not overlap, and they are reached with the MMU off (RedBoot's state,
        // uncached device accesses) or after `kernel::boot` has mapped the regions the board
        // lists in `Platform::devices` as device memory. `TAKEN` makes this run once, so each
        // window has one owner. The flash window is only read, in array mode: nothing in the
        // firmware programs the flash.
        let p = unsafe {
            Peripherals {
                uart1: Ns16550::new(
                    Mmio::new(map::UART1_BASE, ns16550::WINDOW_LEN),
                    Variant::Xscale,
                ),
                os_timer: Mmio::new(map::TIMER_BASE, window),
                intc: intc::InterruptController::new(Mmio::new(map::INTC_BASE, window)),
                gpio: gpio::Gpio::new(Mmio::new(map::GPIO_BASE, window)),
                expansion_bus: expbus::ExpansionBus::new(Mmio::new(map::EXP_CFG_BASE, window)),
                flash_cs0: expbus::FlashMmio::new(map::EXP_CS0_BASE, map::EXP_CS_WINDOW),
                qmgr: qmgr::QueueManager::new(Mmio::new(map::QMGR_BASE, map::QMGR_SIZE)),
                npe_b: npe::Npe::new(Mmio::new(map::NPE_B_BASE, window), npe::NpeId::B),
                eth_b: eth::Mac::new(Mmio::new(map::ETH_B_MAC_BASE, window)),
            }
        };
        Some(p)
    }
}
