//! The NSLU2's Ethernet port: NPE-B with the EthB MAC, its PHY at MDIO address 1 (the `mii`
//! driver, inside `ixp4xx::eth`), frames through the AHB queue manager (IRQ 3 covers its queues
//! 0–31: RX queue 3 and TX-done queue 31).
//!
//! Bring-up has three steps (ixp4xx `eth` module docs):
//! 1. [`quiesce`], first thing after entry: RedBoot leaves NPE-B running with receive buffers
//!    posted in its RAM. The stopped blocks are kept in [`StoppedEthernet`] for step 3.
//! 2. NPE-B microcode from its flash slot (0x7FC000, written by `bareproxy nslu2 pack
//!    --microcode`). It is Intel's binary, never shipped with bareproxy: without it the box runs
//!    without a network and says on the console how to supply it.
//! 3. The driver, with the MAC address from flash (0x3FFB0, RedBoot's partition), its rings and
//!    buffers in [`ETH_MEMORY`] (the image's `.bss`, identity-mapped), DMA maintenance by
//!    [`XscaleDma`].

use alloc::vec;

use hil::mmio::Mmio;
use ixp4xx::dma::XscaleDma;
use ixp4xx::eth::{self, EthMemory, Ethernet, Mac};
use ixp4xx::expbus::{Flash, FlashBus, FlashError};
use ixp4xx::npe::{Npe, NpeError};
use ixp4xx::qmgr::QueueManager;
use kernel::kprintln;
use static_cell::ConstStaticCell;

use crate::wiring;

/// The port's descriptors, buffers and statistics block.
static ETH_MEMORY: ConstStaticCell<EthMemory> = ConstStaticCell::new(EthMemory::new());

/// The Ethernet driver as the NSLU2 instantiates it.
pub type Nslu2Ethernet = Ethernet<'static, Mmio, Mmio, Mmio, XscaleDma>;

/// NPE-B, the queue manager and the EthB MAC, stopped.
pub struct StoppedEthernet {
    npe: Npe<Mmio>,
    qmgr: QueueManager<Mmio>,
    mac: Mac<Mmio>,
}

/// Stops the Ethernet RedBoot left running: NPE-B (no more DMA), the EthB MAC, the queue
/// manager (drops RedBoot's posted descriptors). Call before any RAM outside the image is used.
pub fn quiesce(
    mut npe: Npe<Mmio>,
    mut qmgr: QueueManager<Mmio>,
    mut mac: Mac<Mmio>,
) -> (StoppedEthernet, Result<(), NpeError>) {
    let result = eth::quiesce(&mut npe, &mut qmgr, &mut mac);
    (StoppedEthernet { npe, qmgr, mac }, result)
}

/// Loads the microcode and brings the port up; `None` (with the reason on the console) if the
/// box has to run without a network. Call once, after `kernel::boot`.
pub fn bring_up<F: FlashBus>(stopped: StoppedEthernet, flash: &Flash<F>) -> Option<Nslu2Ethernet> {
    let StoppedEthernet { mut npe, qmgr, mac } = stopped;
    let station = match flash.mac_address_at(nslu2_layout::MAC_ADDRESS_OFFSET) {
        Ok(station) => station,
        Err(error) => {
            kprintln!(
                "eth0:  no usable MAC address in flash at {:#x} ({:?}); running without a network",
                nslu2_layout::MAC_ADDRESS_OFFSET,
                error
            );
            return None;
        }
    };
    load_microcode(&mut npe, flash)?;
    // SAFETY: the kernel identity-maps the board's RAM (`wiring::RAM`, all of SDRAM), and the
    // driver's buffers are line-aligned and owned by it alone.
    let dma = unsafe { XscaleDma::new(wiring::RAM) };
    let config = eth::Config {
        mac_address: station,
        phy_address: wiring::PHY_ADDRESS,
        rx_queue: wiring::RX_QUEUE,
    };
    match Ethernet::new(qmgr, npe, mac, dma, ETH_MEMORY.take(), config) {
        Ok(ethernet) => Some(ethernet),
        Err(error) => {
            kprintln!(
                "eth0:  not brought up: {:?}; running without a network",
                error
            );
            None
        }
    }
}

/// Reads NPE-B's microcode from flash and starts it. The buffer lives on the heap only for the
/// load.
fn load_microcode<F: FlashBus>(npe: &mut Npe<Mmio>, flash: &Flash<F>) -> Option<()> {
    let slot = wiring::MICROCODE_SLOT;
    let mut buffer = vec![0u8; slot.max_len];
    let image = match flash.read_microcode(slot, &mut buffer) {
        Ok(image) => image,
        Err(FlashError::NoMicrocode) => {
            kprintln!(
                "eth0:  no NPE-B microcode in flash (slot at {:#x}); running without a network",
                slot.offset
            );
            explain_microcode();
            return None;
        }
        Err(error) => {
            kprintln!(
                "eth0:  NPE-B microcode slot at {:#x} unreadable ({:?}); running without a network",
                slot.offset,
                error
            );
            explain_microcode();
            return None;
        }
    };
    match eth::load_microcode(npe, image) {
        Ok(status) => {
            let v = status.version;
            kprintln!(
                "eth0:  NPE-B microcode {:#010x} ({} bytes) running, version {}.{}.{}.{}",
                status.image.0,
                image.len(),
                v[0],
                v[1],
                v[2],
                v[3]
            );
            Some(())
        }
        Err(error) => {
            kprintln!(
                "eth0:  NPE-B microcode in flash refused: {:?}; running without a network",
                error
            );
            explain_microcode();
            None
        }
    }
}

/// Where the microcode comes from and how it gets into flash, for the box owner.
fn explain_microcode() {
    kprintln!(
        "eth0:  the NSLU2's Ethernet needs Intel's NPE-B microcode, which bareproxy does not ship."
    );
    kprintln!(
        "eth0:  take NPE-B from your own system (/lib/firmware/NPE-B, a 0xFEEDF00D file) and \
         rebuild the flash image with"
    );
    kprintln!(
        "eth0:    bareproxy nslu2 pack --base <your flash dump> -k bareproxy-nslu2.bin \
         --microcode NPE-B -o bareproxy-flash.bin"
    );
    kprintln!("eth0:  then flash it (bareproxy upgrade flash); see tools/README.md");
}
