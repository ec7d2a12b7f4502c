//! Ethernet on NPE-B: the [`Ethernet`] driver ([`nic::Nic`]), its MAC and MDIO registers (the
//! PHY is the generic `mii` driver over [`Mac`]'s [`hil::mdio::Mdio`]),
//! descriptors, the NPE message set, plus boot-time helpers.
//!
//! Bring-up order on the NSLU2 (see README.md):
//! 1. [`quiesce`] first thing after entry: RedBoot leaves NPE-B running with RX buffers posted
//!    in *its* RAM; stop the NPE, the MAC and the queue manager before that RAM is reused.
//! 2. [`load_microcode`] with the user-supplied NPE-B image (read from flash).
//! 3. [`Ethernet::new`] with the queue manager, NPE, MAC, a [`nic::dma::DmaMemory`] and an
//!    [`EthMemory`].
//!
//! Where things are: `driver` (data path), [`mac`] (MAC registers, MDIO), [`descriptor`]
//! (descriptor words, [`EthMemory`]), [`message`] (message words).

pub mod descriptor;
mod driver;
pub mod mac;
pub mod message;

pub use descriptor::EthMemory;
pub use driver::{Config, EthError, Ethernet, MAX_FRAME_LEN, NpeCounters};
pub use hil::mdio::MdioError;
pub use mac::Mac;

use crate::npe::{ImageId, Npe, NpeError};
use crate::qmgr::QueueManager;
use hil::mmio::Bus;

/// What the Ethernet microcode reported after it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MicrocodeStatus {
    /// The image ID from the file header.
    pub image: ImageId,
    /// Bytes 4..7 of the status message: the running firmware's version/ID
    /// (what Linux's ethtool shows as "a:b:c:d").
    pub version: [u8; 4],
}

/// Boots NPE-B with a user-supplied microcode image (reset, load, start) and reads the status
/// message the Ethernet microcode posts once running.
pub fn load_microcode<B: Bus>(npe: &mut Npe<B>, image: &[u8]) -> Result<MicrocodeStatus, NpeError> {
    let image = npe.boot(image)?;
    let status = npe.receive_message()?;
    Ok(MicrocodeStatus {
        image,
        version: status[1].to_be_bytes(),
    })
}

/// Stops everything RedBoot's Ethernet left running, in the order that keeps RAM safe: the NPE
/// (no more DMA), the MAC (no more frames into its FIFOs), then the queue manager (drops the
/// descriptors RedBoot had posted). After this no device writes to RAM.
pub fn quiesce<N: Bus, Q: Bus, M: Bus>(
    npe: &mut Npe<N>,
    qmgr: &mut QueueManager<Q>,
    mac: &mut Mac<M>,
) -> Result<(), NpeError> {
    npe.stop();
    mac.disable();
    let reset = npe.reset();
    mac.reset_core();
    qmgr.reset();
    reset
}
