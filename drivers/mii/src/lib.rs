//! The one generic IEEE 802.3 clause-22 PHY driver, over any [`hil::mdio::Mdio`] bus master
//! (Armada 370 SMI, IXP4xx NPE-B MAC MDIO, LAN9118 `MII_ACC`): identification, soft reset,
//! advertisement, (re)starting autonegotiation and link resolution to [`nic::LinkState`].
//!
//! # Where things are
//!
//! | item | concern |
//! |---|---|
//! | [`reg`], [`bmcr`], [`bmsr`], [`adv`] | clause-22 register numbers and bits |
//! | [`Phy::probe`] | find the PHY (PHYSID), nothing written |
//! | [`Phy::new`] | probe + [`RgmiiDelays`] policy + advertise + restart autonegotiation |
//! | [`Phy::soft_reset`], [`Phy::advertise`], [`Phy::start_autonegotiation`], [`Phy::restart_autonegotiation`] | bring-up steps, for MACs that sequence them themselves |
//! | [`Phy::link_state`] | BMSR (twice: latched low) + BMCR (forced) or ANAR∧ANLPAR / CTRL1000∧STAT1000 |
//! | [`resolve_10_100`], [`resolve_1000`] | the pure resolution rules, for drivers that read registers themselves |
//!
//! Registers and bits: IEEE 802.3 clause 22.2.4 (Linux `include/uapi/linux/mii.h`): BMCR 0
//! (15 reset, 13 speed LSB, 12 AN enable, 9 restart AN, 8 full duplex, 6 speed MSB), BMSR 1
//! (2 link status — latched low, 5 AN complete, 3 AN ability, 8 extended status, 11..14 10/100
//! abilities), PHYSID 2/3, ADVERTISE (ANAR) 4 / LPA (ANLPAR) 5 (5 10HD, 6 10FD, 7 100HD,
//! 8 100FD, 10 pause, selector 1 = 802.3), CTRL1000 9 (8 1000HD, 9 1000FD) / STAT1000 10 (10 LP
//! 1000HD, 11 LP 1000FD), ESTATUS 15 (12 1000T HD, 13 1000T FD). A 10/100-only PHY (LXT971 on
//! the NSLU2, the LAN9118's internal PHY) has BMSR.ESTATEN clear, and then registers 9, 10 and 15
//! are never touched. Resolution order as Linux `drivers/net/phy/phy-core.c`
//! `phy_resolve_aneg_linkmode` / `mii_nway_result` in `drivers/net/mii.c`: the highest common
//! mode of our advertisement and the partner's.
//!
//! RGMII delays: the Mirabox DTS (Linux `arch/arm/boot/dts/marvell/armada-370-mirabox.dts`)
//! says `phy-mode = "rgmii-id"`, i.e. the PHY inserts both the RX and TX clock delays. How is
//! PHY-specific, so the default is [`RgmiiDelays::KeepBootloader`] (do not reset the PHY, keep
//! what U-Boot set). For Marvell 88E1116R/88E1121-family PHYs (PHYSID1 0x0141)
//! [`RgmiiDelays::Marvell`] programs page 2 register 21 bits 5 (RX) and 4 (TX) as Linux
//! `drivers/net/phy/marvell.c` does (`m88e1121_config_aneg_rgmii_delays`, via
//! `phy_modify_paged` on `MII_MARVELL_PHY_PAGE` 22 and `MII_88E1121_PHY_MSCR_REG` 21), followed
//! by a soft reset (`genphy_soft_reset`, as `m88e1121_config_aneg` does).
#![no_std]

pub use hil::mdio::{Mdio, MdioError};
use nic::{Duplex, LinkState, Speed};

/// Bound on the BMCR.RESET poll (MDIO reads). IEEE 802.3 22.2.4.1.1 gives a PHY 0.5 s to leave
/// reset; at ~40 µs per MDIO access (Linux `mvmdio.c`) this is ~4 s.
pub const RESET_POLLS: u32 = 100_000;

/// Clause-22 register numbers.
pub mod reg {
    /// Basic mode control.
    pub const BMCR: u8 = 0;
    /// Basic mode status.
    pub const BMSR: u8 = 1;
    /// PHY identifier, high.
    pub const PHYSID1: u8 = 2;
    /// PHY identifier, low.
    pub const PHYSID2: u8 = 3;
    /// Our advertisement (ANAR).
    pub const ADVERTISE: u8 = 4;
    /// Link partner ability (ANLPAR).
    pub const LPA: u8 = 5;
    /// 1000BASE-T control.
    pub const CTRL1000: u8 = 9;
    /// 1000BASE-T status.
    pub const STAT1000: u8 = 10;
    /// Extended status.
    pub const ESTATUS: u8 = 15;
    /// Marvell page select (`MII_MARVELL_PHY_PAGE`).
    pub const MARVELL_PAGE: u8 = 22;
    /// Marvell MAC-specific control, page 2 (`MII_88E1121_PHY_MSCR_REG`).
    pub const MARVELL_MSCR: u8 = 21;
}

/// BMCR bits.
pub mod bmcr {
    /// Software reset (self-clearing).
    pub const RESET: u16 = 1 << 15;
    /// Speed select LSB (100 Mb/s).
    pub const SPEED100: u16 = 1 << 13;
    /// Autonegotiation enable.
    pub const ANENABLE: u16 = 1 << 12;
    /// Power down.
    pub const PDOWN: u16 = 1 << 11;
    /// Isolate.
    pub const ISOLATE: u16 = 1 << 10;
    /// Restart autonegotiation (self-clearing).
    pub const ANRESTART: u16 = 1 << 9;
    /// Full duplex (forced mode).
    pub const FULLDPLX: u16 = 1 << 8;
    /// Speed select MSB (1000 Mb/s).
    pub const SPEED1000: u16 = 1 << 6;
}

/// BMSR bits.
pub mod bmsr {
    /// Link up (latched low: a drop since the last read reads 0 once).
    pub const LSTATUS: u16 = 1 << 2;
    /// Autonegotiation complete.
    pub const ANEGCOMPLETE: u16 = 1 << 5;
    /// Extended status register present (1000BASE-T capable PHYs).
    pub const ESTATEN: u16 = 1 << 8;
    /// 10BASE-T half capable; 10FD, 100HD, 100FD follow in bits 12..14.
    pub const HALF10: u16 = 1 << 11;
}

/// ADVERTISE / LPA bits.
pub mod adv {
    /// IEEE 802.3 selector.
    pub const CSMA: u16 = 0x0001;
    /// 10BASE-T half.
    pub const HALF10: u16 = 1 << 5;
    /// 10BASE-T full.
    pub const FULL10: u16 = 1 << 6;
    /// 100BASE-TX half.
    pub const HALF100: u16 = 1 << 7;
    /// 100BASE-TX full.
    pub const FULL100: u16 = 1 << 8;
    /// Every 10/100 mode.
    pub const ALL_10_100: u16 = HALF10 | FULL10 | HALF100 | FULL100;
    /// CTRL1000: 1000BASE-T half.
    pub const HALF1000: u16 = 1 << 8;
    /// CTRL1000: 1000BASE-T full.
    pub const FULL1000: u16 = 1 << 9;
    /// STAT1000: partner 1000BASE-T half.
    pub const LP_HALF1000: u16 = 1 << 10;
    /// STAT1000: partner 1000BASE-T full.
    pub const LP_FULL1000: u16 = 1 << 11;
    /// ESTATUS: 1000BASE-T half capable.
    pub const ESTATUS_1000_THALF: u16 = 1 << 12;
    /// ESTATUS: 1000BASE-T full capable.
    pub const ESTATUS_1000_TFULL: u16 = 1 << 13;
}

/// How the RGMII clock delays (`rgmii-id`) are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RgmiiDelays {
    /// Keep the PHY's current setup (the bootloader configured it); no PHY reset. Also the
    /// right choice for MII/RMII PHYs, which have no delays.
    KeepBootloader,
    /// Marvell 88E1116R/88E1121 family: set RX and TX delays on page 2 register 21, then
    /// soft-reset.
    Marvell,
}

/// PHY bring-up options for [`Phy::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhyConfig {
    /// MDIO address (a board fact).
    pub address: u8,
    /// RGMII delay handling.
    pub delays: RgmiiDelays,
    /// Advertise 1000BASE-T (if the PHY can).
    pub gigabit: bool,
}

impl PhyConfig {
    /// A 10/100 PHY at `address` with nothing PHY-specific to do (MII PHYs such as the NSLU2's
    /// or the LAN9118's internal one).
    pub const fn fast_ethernet(address: u8) -> Self {
        PhyConfig {
            address,
            delays: RgmiiDelays::KeepBootloader,
            gigabit: false,
        }
    }
}

/// Why the PHY could not be brought up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PhyError {
    /// MDIO failed.
    Mdio(MdioError),
    /// PHYSID read all zeros or all ones: no PHY at this address.
    NotPresent,
    /// BMCR.RESET did not clear.
    ResetTimeout,
    /// Marvell delays requested but the PHY is not a Marvell part (its PHYSID).
    NotMarvell(u32),
}

impl From<MdioError> for PhyError {
    fn from(e: MdioError) -> Self {
        PhyError::Mdio(e)
    }
}

/// A clause-22 PHY on an MDIO bus. `M` is typically `&'static SomeMdioMaster` so several PHYs
/// share one bus.
pub struct Phy<M: Mdio> {
    mdio: M,
    config: PhyConfig,
    id: u32,
}

impl<M: Mdio> core::fmt::Debug for Phy<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Phy")
            .field("address", &self.config.address)
            .field("id", &self.id)
            .finish()
    }
}

const MARVELL_PHYSID1: u16 = 0x0141;
const MSCR_RX_DELAY: u16 = 1 << 5;
const MSCR_TX_DELAY: u16 = 1 << 4;

impl<M: Mdio> Phy<M> {
    /// Finds the PHY at `config.address` by its identifier; writes nothing.
    pub fn probe(mdio: M, config: PhyConfig) -> Result<Self, PhyError> {
        let a = config.address;
        hil::mdio::check_address(a, 0)?;
        let id =
            (u32::from(mdio.read(a, reg::PHYSID1)?) << 16) | u32::from(mdio.read(a, reg::PHYSID2)?);
        if id == 0 || id == u32::MAX {
            return Err(PhyError::NotPresent);
        }
        Ok(Phy { mdio, config, id })
    }

    /// Probes the PHY at `config.address`, applies the delay policy, advertises every mode it
    /// supports (1000BASE-T only if `config.gigabit`) and (re)starts autonegotiation.
    pub fn new(mdio: M, config: PhyConfig) -> Result<Self, PhyError> {
        let mut phy = Self::probe(mdio, config)?;
        if config.delays == RgmiiDelays::Marvell {
            phy.marvell_rgmii_delays()?;
            phy.soft_reset()?;
        }
        phy.start_autonegotiation()?;
        Ok(phy)
    }

    /// The 32-bit PHY identifier (PHYSID1 << 16 | PHYSID2).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The MDIO address.
    pub fn address(&self) -> u8 {
        self.config.address
    }

    /// The bus this PHY is on.
    pub fn mdio(&self) -> &M {
        &self.mdio
    }

    /// Reads one of this PHY's registers.
    pub fn read(&self, register: u8) -> Result<u16, MdioError> {
        self.mdio.read(self.config.address, register)
    }

    /// Writes one of this PHY's registers.
    pub fn write(&self, register: u8, value: u16) -> Result<(), MdioError> {
        self.mdio.write(self.config.address, register, value)
    }

    /// Linux `m88e1121_config_aneg_rgmii_delays` for `PHY_INTERFACE_MODE_RGMII_ID`: both
    /// delays on, page 2 register 21; back to page 0 after.
    fn marvell_rgmii_delays(&mut self) -> Result<(), PhyError> {
        if (self.id >> 16) as u16 != MARVELL_PHYSID1 {
            return Err(PhyError::NotMarvell(self.id));
        }
        self.write(reg::MARVELL_PAGE, 2)?;
        let mscr = self.read(reg::MARVELL_MSCR)?;
        self.write(reg::MARVELL_MSCR, mscr | MSCR_RX_DELAY | MSCR_TX_DELAY)?;
        self.write(reg::MARVELL_PAGE, 0)?;
        Ok(())
    }

    /// Sets BMCR.RESET and waits (bounded) for the PHY to clear it, as Linux
    /// `genphy_soft_reset`. The PHY comes back with its default advertisement and
    /// autonegotiation running.
    pub fn soft_reset(&mut self) -> Result<(), PhyError> {
        let bmcr = self.read(reg::BMCR)?;
        self.write(reg::BMCR, bmcr | bmcr::RESET)?;
        let mut failed = None;
        let cleared = hil::mmio::poll_until(RESET_POLLS, || match self.read(reg::BMCR) {
            Ok(v) => v & bmcr::RESET == 0,
            Err(e) => {
                failed = Some(e);
                true
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        if !cleared {
            return Err(PhyError::ResetTimeout);
        }
        Ok(())
    }

    /// Advertises every mode the PHY reports in BMSR (10/100) and, if `config.gigabit` and the
    /// PHY has ESTATUS, 1000BASE-T. A PHY without ESTATUS (10/100 only) is not written beyond
    /// register 4. Does not restart autonegotiation.
    pub fn advertise(&mut self) -> Result<(), PhyError> {
        let bmsr = self.read(reg::BMSR)?;
        // 10/100 abilities are BMSR bits 11..14 (10HD, 10FD, 100HD, 100FD) = ADVERTISE 5..8.
        let abilities = (bmsr >> 11) & 0xF;
        // No pause, no next page: the MACs here do not act on flow control.
        self.write(reg::ADVERTISE, adv::CSMA | (abilities << 5))?;
        if bmsr & bmsr::ESTATEN != 0 {
            let est = self.read(reg::ESTATUS)?;
            let mut ctrl1000 = 0;
            if self.config.gigabit && est & adv::ESTATUS_1000_TFULL != 0 {
                ctrl1000 |= adv::FULL1000;
            }
            if self.config.gigabit && est & adv::ESTATUS_1000_THALF != 0 {
                ctrl1000 |= adv::HALF1000;
            }
            self.write(reg::CTRL1000, ctrl1000)?;
        }
        Ok(())
    }

    /// Enables autonegotiation and restarts it (powering up / un-isolating the PHY), keeping
    /// the advertisement.
    pub fn restart_autonegotiation(&mut self) -> Result<(), PhyError> {
        let bmcr = self.read(reg::BMCR)?;
        self.write(
            reg::BMCR,
            (bmcr & !(bmcr::PDOWN | bmcr::ISOLATE)) | bmcr::ANENABLE | bmcr::ANRESTART,
        )?;
        Ok(())
    }

    /// [`Phy::advertise`] then [`Phy::restart_autonegotiation`].
    pub fn start_autonegotiation(&mut self) -> Result<(), PhyError> {
        self.advertise()?;
        self.restart_autonegotiation()
    }

    /// Current link state, resolved from the autonegotiation result (or BMCR when forced).
    /// Autonegotiation not complete, or nothing in common, is [`LinkState::Down`].
    pub fn link_state(&self) -> Result<LinkState, MdioError> {
        // BMSR.LSTATUS latches low: the first read reports a past drop, the second the present.
        let _ = self.read(reg::BMSR)?;
        let bmsr = self.read(reg::BMSR)?;
        if bmsr & bmsr::LSTATUS == 0 {
            return Ok(LinkState::Down);
        }
        let bmcr = self.read(reg::BMCR)?;
        if bmcr & bmcr::ANENABLE == 0 {
            return Ok(resolve_forced(bmcr));
        }
        if bmsr & bmsr::ANEGCOMPLETE == 0 {
            return Ok(LinkState::Down);
        }
        if bmsr & bmsr::ESTATEN != 0 {
            let ours = self.read(reg::CTRL1000)?;
            let theirs = self.read(reg::STAT1000)?;
            if let Some(up) = resolve_1000(ours, theirs) {
                return Ok(up);
            }
        }
        let ours = self.read(reg::ADVERTISE)?;
        let theirs = self.read(reg::LPA)?;
        Ok(resolve_10_100(ours, theirs))
    }
}

/// Speed and duplex of a link with autonegotiation off, from BMCR.
pub fn resolve_forced(bmcr: u16) -> LinkState {
    let speed = match (bmcr & bmcr::SPEED1000 != 0, bmcr & bmcr::SPEED100 != 0) {
        (true, false) => Speed::Mbps1000,
        (false, true) => Speed::Mbps100,
        (false, false) => Speed::Mbps10,
        (true, true) => Speed::Unknown,
    };
    let duplex = if bmcr & bmcr::FULLDPLX != 0 {
        Duplex::Full
    } else {
        Duplex::Half
    };
    LinkState::Up { speed, duplex }
}

/// The 1000BASE-T result of our CTRL1000 and the partner's STAT1000, if both can.
pub fn resolve_1000(ctrl1000: u16, stat1000: u16) -> Option<LinkState> {
    // STAT1000's partner bits sit two above CTRL1000's (Linux `mii_stat1000_mod_linkmode_lpa_t`).
    let common = ctrl1000 & (stat1000 >> 2);
    let duplex = if common & adv::FULL1000 != 0 {
        Duplex::Full
    } else if common & adv::HALF1000 != 0 {
        Duplex::Half
    } else {
        return None;
    };
    Some(LinkState::Up {
        speed: Speed::Mbps1000,
        duplex,
    })
}

/// The highest common 10/100 mode of our ANAR and the partner's ANLPAR; nothing in common is
/// no usable link.
pub fn resolve_10_100(anar: u16, anlpar: u16) -> LinkState {
    let common = anar & anlpar;
    let (speed, duplex) = if common & adv::FULL100 != 0 {
        (Speed::Mbps100, Duplex::Full)
    } else if common & adv::HALF100 != 0 {
        (Speed::Mbps100, Duplex::Half)
    } else if common & adv::FULL10 != 0 {
        (Speed::Mbps10, Duplex::Full)
    } else if common & adv::HALF10 != 0 {
        (Speed::Mbps10, Duplex::Half)
    } else {
        return LinkState::Down;
    };
    LinkState::Up { speed, duplex }
}

#[cfg(test)]
mod tests;
