//! SMSC LAN9118 10/100 Ethernet controller (QEMU vexpress-a9: registers at 0x4E00_0000, GIC
//! interrupt ID 47), implementing [`nic::Nic`].
//!
//! Where things are:
//! - [`registers`]: the register file as tock-registers `register_structs!` and
//!   `register_bitfields!`, with datasheet section names and QEMU deviations.
//! - `bus` ([`Lan9118Bus`], [`Mmio`]): the single seam to the hardware; host tests plug in a
//!   behavioural model of the chip (`hal-vexpress/tests/lan9118/model.rs`).
//! - `driver` ([`Lan9118`], [`Config`]): bring-up, RX, TX, interrupts, recovery.
//! - `mac_phy`: the indirect MAC CSR and MII (PHY) accesses, link resolution.
//!
//! ```no_run
//! use hal_vexpress::lan9118::{Config, Lan9118, VEXPRESS_BASE};
//! use nic::Nic;
//! // SAFETY: the LAN9118 window is device-mapped and owned by this driver alone.
//! let mut eth = unsafe { Lan9118::new_mmio(VEXPRESS_BASE, Config::default()) }.expect("LAN9118");
//! eth.set_interrupts_enabled(true); // then unmask GIC ID 47
//! ```
//!
//! Not modelled or not used: 16-bit bus mode, multi-segment TX, RX/TX DMA alignment options,
//! the multicast hash filter (MCPAS instead), flow control, wake-on-LAN, the EEPROM.

mod bus;
mod driver;
mod mac_phy;
pub mod registers;

pub use bus::{Lan9118Bus, Mmio};
pub use driver::{
    Config, Lan9118, Lan9118Error, MAX_FRAME_LEN, MAX_RX_FRAME_LEN, RxDiscard, VEXPRESS_BASE,
    VEXPRESS_GIC_IRQ,
};
