//! Chip support for the Intel IXP42x (IXP420 on the Linksys NSLU2); see README.md.
//!
//! Where things are:
//! - registers: every driver is generic over `hil::mmio::Bus` (the one register idiom), so host
//!   tests run the drivers against register-level models (`tests/model/`).
//! - [`map`]: physical addresses, IRQ numbers, NSLU2 GPIO lines, flash offsets, queue numbers.
//! - the UARTs are XScale 16550s: the shared `ns16550` driver (`Variant::Xscale`) drives them;
//! - [`timer`] (OS timer, watchdog, reset), [`intc`], [`gpio`] (plus NSLU2 LEDs,
//!   buttons, beeper, power-off), [`expbus`] (flash reads, MAC address, feature register).
//! - [`dma`]: [`dma::XscaleDma`], the hardware `DmaMemory` (identity bus addresses, XScale
//!   D-cache line maintenance).
//! - [`qmgr`]: the AHB queue manager.
//! - [`npe`]: NPE reset, microcode parser and loader ([`npe::firmware`]), message interface.
//! - [`eth`]: the NPE-B Ethernet driver implementing [`nic::Nic`], its MAC registers, MDIO and
//!   PHY, and [`eth::quiesce`] for what RedBoot leaves running.
//!
//! Everything is written for BE32 (the firmware) and little-endian (host tests) at once: only
//! 32-bit MMIO, descriptors and messages built as `u32` words with shifts, explicit
//! `to_be_bytes` wherever bytes are serialised. No atomics (armv5te has none), no allocation.
#![no_std]

pub mod dma;
pub mod eth;
pub mod expbus;
pub mod gpio;
pub mod intc;
pub mod map;
pub mod npe;
pub mod qmgr;
pub mod timer;
