//! SMSC LAN9118 10/100 Ethernet controller, implementing [`nic::Nic`]. An external chip: on
//! QEMU's vexpress-a9 it sits on the motherboard's static memory bus; where its window is and
//! which interrupt line it drives are board facts, not this crate's.
//!
//! # Where things are
//!
//! | module | what |
//! |---|---|
//! | [`registers`] | the register file as tock-registers `register_structs!` (the layout) and `register_bitfields!`, with datasheet section names and QEMU deviations |
//! | `regs` | the registers the driver touches as [`hil::mmio::RegDef`]s; the driver reaches them through any [`hil::mmio::Bus`] ([`hil::mmio::Mmio`] on hardware, a behavioural model in `tests/lan9118/model.rs`) |
//! | `driver` ([`Lan9118`], [`Config`]) | bring-up, RX, TX, interrupts, recovery |
//! | `mac_phy` | the indirect MAC CSR and MII (PHY) accesses, link resolution |
//!
//! ```no_run
//! use lan9118::{Config, Lan9118};
//! use nic::Nic;
//! // SAFETY: the LAN9118 window on QEMU vexpress-a9, device-mapped and owned by this driver.
//! let window = unsafe { hil::mmio::Mmio::new(0x4E00_0000, lan9118::WINDOW_LEN) };
//! let mut eth = Lan9118::new(window, Config::default()).expect("LAN9118");
//! eth.set_interrupts_enabled(true); // then unmask the board's interrupt line
//! ```
//!
//! Not modelled or not used: 16-bit bus mode, multi-segment TX, RX/TX DMA alignment options,
//! the multicast hash filter (MCPAS instead), flow control, wake-on-LAN, the EEPROM.
#![cfg_attr(not(test), no_std)]

mod driver;
mod mac_phy;
pub mod registers;
mod regs;

pub use driver::{
    Config, Lan9118, Lan9118Error, MAX_FRAME_LEN, MAX_RX_FRAME_LEN, RxDiscard, WINDOW_LEN,
};
