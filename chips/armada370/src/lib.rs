//! Chip support for the Marvell Armada 370 (88F6710) as found in the GlobalScale Mirabox.
//!
//! Every driver talks to its registers through [`bus::Bus`], so the same code runs on
//! the SoC ([`bus::Mmio`]) and on the host against behavioural models (`tests/`). Every DMA
//! buffer and descriptor crosses [`nic::dma::DmaMemory`]; the hardware implementation of that
//! trait, with L1 (CP15) and Aurora L2 maintenance, is [`cache::CachedDma`].
//!
//! Where things are (one module per peripheral, facts cited to Linux / U-Boot in each):
//! - [`map`]: internal-register base, unit offsets and MPIC interrupt numbers of the Mirabox.
//! - [`sar`]: TCLK from the sample-at-reset straps (the console UART driver is the `ns16550`
//!   crate, `Variant::DwApb`).
//! - [`timer`]: global/per-CPU timers (free-running clock and periodic tick).
//! - [`watchdog`]: the global watchdog and the system soft reset.
//! - [`mpic`]: the interrupt controller (global enable + per-CPU mask/ack).
//! - [`mbus`]: MBus decoding windows; DRAM size from the SDRAM chip-select windows.
//! - [`l2`]: Aurora L2 range clean/invalidate; [`cache`]: `DmaMemory` for the hardware.
//! - [`gpio`]: GPIO banks (the Mirabox LEDs).
//! - [`mdio`]: the SMI (MDIO) master shared by both Ethernet ports; the PHY driver is the `mii` crate.
//! - [`mvneta`]: the Ethernet controller driver implementing [`nic::Nic`].
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

/// Bound on every busy-wait in this crate (register handshakes). Loops spin at most this many
/// register reads; at ~100 ns per uncached read on the Armada 370 this is ~10 ms, well above
/// every documented handshake (MDIO 41–43 µs, port-reset a few µs).
pub(crate) const POLL_LIMIT: u32 = 100_000;
