//! Marvell NETA ("mvneta") Gigabit Ethernet controller of the Armada 370, software buffer
//! management, implementing [`nic::Nic`] for one port. Two ports = two instances; the SMI/MDIO
//! master (in port 0's window) is shared through [`crate::mdio::Smi`].
//!
//! Where things are:
//! - [`registers`]: offsets and bit fields, each cited to Linux `mvneta.c` / U-Boot `mvneta.c`.
//! - [`descriptors`]: the 32-byte RX/TX descriptors and [`PortMemory`] (rings + buffers).
//! - `driver` ([`Mvneta`], [`Config`]): bring-up, RX, TX, interrupts, link, recovery, MIB.
//!
//! There is no ownership bit in the descriptors: hardware and driver hand descriptors over by
//! counters only (RX: occupied / non-occupied; TX: pending / sent), each written in chunks of
//! at most 255. The driver keeps its own exact count of what it has given and taken; the host
//! model (`tests/mvneta/model.rs`) punishes any miscount.
//!
//! ```no_run
//! use armada370::Peripherals;
//! use armada370::mvneta::{Config, Mvneta, PortMemory};
//! use mii::{Phy, PhyConfig, RgmiiDelays};
//! fn bring_up(dma: impl nic::dma::DmaMemory, eth0_mem: &'static mut PortMemory) {
//!     let p = Peripherals::take(600_000_000).unwrap();
//!     let smi: &'static _ = Box::leak(Box::new(p.smi)); // a `StaticCell` on the board
//!     let cfg = PhyConfig { address: 0, delays: RgmiiDelays::KeepBootloader, gigabit: true };
//!     let phy = Phy::new(smi, cfg).ok();
//!     let eth0 = Mvneta::new(p.eth0, dma, phy, eth0_mem, Config::default());
//! }
//! ```

pub mod descriptors;
mod driver;
pub mod registers;

pub use descriptors::{BUF_SIZE, PortMemory, RX_RING_MAX, RxDesc, TX_RING_MAX, TxDesc};
pub use driver::{Config, MAX_FRAME_LEN, MibCounters, Mvneta, NetaError};
