//! The Mirabox's two Gigabit ports (`armada-370-mirabox.dts`): mvneta eth0 at internal base +
//! 0x70000 (MPIC per-CPU IRQ 8, PHY at MDIO address 0) and eth1 at + 0x74000 (IRQ 10, PHY at
//! MDIO address 1), both PHYs on the one SMI master at + 0x72004.
//!
//! **eth0 is the proxy's interface.** The kernel's `kernel::network::Network` drives one NIC;
//! splitting the two ports into WAN and LAN (two stacks, or one stack with two interfaces) is
//! future work.
//!
//! **eth1 is left idle, only its link is watched.** Its PHY is probed and autonegotiates, so the
//! console logs link changes on both jacks, but the port itself is not brought up: a running
//! port with no one reading it would keep DMA-ing frames into a ring until it overran, which
//! buys nothing and puts an untested engine in motion. Bringing it up later costs one more
//! [`PortMemory`] (~400 KiB), one more `CachedDma` and the MPIC IRQ 10.
//!
//! What the port driver gets from the board:
//! - DMA memory: a [`PortMemory`] in the image's `.bss` (identity-mapped, cached DRAM well inside
//!   chip select 0), with L1 + Aurora L2 maintenance by [`CachedDma`]; the L2 takes part only if
//!   U-Boot left it enabled, as the firmware never turns it on itself.
//! - MBus DMA windows: the DRAM chip-select windows U-Boot programmed, read back from the SoC.
//! - TCLK (for RX interrupt coalescing) from the sample-at-reset straps (the system controller).
//! - The MAC address U-Boot left in the port's registers ([`mvneta::Config::mac_address`] is
//!   `None`): U-Boot writes it when it uses the port, e.g. for the `tftpboot` of the image.
//! - RGMII delays as U-Boot set them (`RgmiiDelays::KeepBootloader`): the PHY is never reset.

use arm_cache::{Armv7L1, DmaWindow};
use armada370::cache::CachedDma;
use armada370::l2::AuroraL2;
use armada370::mbus::{self, DramWindow};
use armada370::mdio::Smi;
use armada370::mvneta::{self, Mvneta, NetaError, PortMemory};
use hil::mmio::Mmio;
use kernel::kprintln;
use mii::{Phy, PhyConfig, RgmiiDelays};
use static_cell::{ConstStaticCell, StaticCell};

/// The MDIO master both PHY drivers share.
static SMI: StaticCell<Smi<Mmio>> = StaticCell::new();
/// eth0's rings and buffers.
static ETH0_MEMORY: ConstStaticCell<PortMemory> = ConstStaticCell::new(PortMemory::new());

/// The PHY driver on the shared MDIO master.
pub type MiraboxPhy = Phy<&'static Smi<Mmio>>;
/// eth0's driver.
pub type Eth0 = Mvneta<Mmio, CachedDma<Armv7L1, Mmio>, &'static Smi<Mmio>>;

/// The units the ports need, from `armada370::Peripherals`.
pub struct Units {
    /// The SMI master.
    pub smi: Smi<Mmio>,
    /// eth0's register window.
    pub eth0: Mmio,
    /// The Aurora L2, maintained for DMA if U-Boot left it on.
    pub l2: AuroraL2<Mmio>,
    /// The MBus SDRAM window registers.
    pub sdram_windows: Mmio,
    /// TCLK (`SystemController::tclk_hz`).
    pub tclk_hz: u32,
}

/// What came up.
pub struct Ports {
    /// eth0, ready for the network stack; `None` if it could not be brought up (logged).
    pub eth0: Option<Eth0>,
    /// eth1's PHY, for the link log; `None` if it did not answer (logged).
    pub eth1_phy: Option<MiraboxPhy>,
}

/// Brings up eth0 and probes eth1's PHY. Call once, after `kernel::boot` (the kernel has
/// mapped the internal registers as device memory).
pub fn bring_up(units: Units) -> Ports {
    let Units {
        smi,
        eth0,
        l2,
        sdram_windows,
        tclk_hz,
    } = units;
    // Both PHY drivers share the master, from the main loop only.
    let smi: &'static Smi<Mmio> = SMI.init(smi);
    let [eth0_phy_address, eth1_phy_address] = crate::wiring::PHY_ADDRESSES;
    let eth0 = match bring_up_eth0(eth0, smi, eth0_phy_address, l2, &sdram_windows, tclk_hz) {
        Ok(eth0) => Some(eth0),
        Err(error) => {
            kprintln!("eth0:  not brought up: {:?}", error);
            if let NetaError::NoMacAddress(_) = error {
                kprintln!(
                    "eth0:  U-Boot sets the MAC address when it uses the port: load the image \
                     with tftpboot over eth0, or run `ping $serverip` before bootm"
                );
            }
            None
        }
    };
    let eth1_phy = probe_phy(smi, "eth1", eth1_phy_address);
    if eth1_phy.is_some() {
        kprintln!("eth1:  idle (this firmware serves on eth0 only); link changes are logged");
    }
    Ports { eth0, eth1_phy }
}

fn probe_phy(smi: &'static Smi<Mmio>, port: &str, address: u8) -> Option<MiraboxPhy> {
    let config = PhyConfig {
        address,
        delays: RgmiiDelays::KeepBootloader,
        gigabit: true,
    };
    match Phy::new(smi, config) {
        Ok(phy) => {
            kprintln!(
                "{}:  PHY id {:#010x} at MDIO address {}",
                port,
                phy.id(),
                address
            );
            Some(phy)
        }
        Err(error) => {
            kprintln!("{}:  no PHY at MDIO address {}: {:?}", port, address, error);
            None
        }
    }
}

/// The DMA range of chip select 0: where the image, and so every [`PortMemory`], lives.
fn dma_range(dram: &[Option<DramWindow>]) -> Option<DmaWindow> {
    let cs0 = dram.iter().flatten().find(|window| window.base == 0)?;
    Some(DmaWindow {
        base: 0,
        len: u32::try_from(cs0.size).unwrap_or(u32::MAX),
    })
}

fn bring_up_eth0(
    regs: Mmio,
    smi: &'static Smi<Mmio>,
    phy_address: u8,
    l2: AuroraL2<Mmio>,
    sdram_windows: &Mmio,
    tclk_hz: u32,
) -> Result<Eth0, NetaError> {
    let dram = mbus::dram_windows(sdram_windows);
    let ram = dma_range(&dram).ok_or(NetaError::DmaUnreachable)?;
    // Range operations are issued only by this port's DMA handle, from the main loop.
    let l2 = l2.is_enabled().then_some(l2);
    kprintln!(
        "eth0:  TCLK {} MHz, DMA to {} MiB at 0, L2 {}",
        tclk_hz / 1_000_000,
        ram.len >> 20,
        if l2.is_some() {
            "on (maintained)"
        } else {
            "off"
        }
    );
    let dma = CachedDma::new(Armv7L1, l2, ram);
    let phy = probe_phy(smi, "eth0", phy_address);
    if phy.is_none() {
        kprintln!("eth0:  without a PHY the port assumes a fixed 1000 Mb/s full-duplex link");
    }
    let config = mvneta::Config {
        tclk_hz,
        dram,
        ..mvneta::Config::default()
    };
    // ETH0_MEMORY lies in the identity-mapped image inside chip select 0, which `dma` covers.
    Mvneta::new(regs, dma, phy, ETH0_MEMORY.take(), config)
}
