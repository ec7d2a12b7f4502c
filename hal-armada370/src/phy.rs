//! Generic IEEE 802.3 clause-22 PHY: reset, autonegotiation, link resolution, RGMII delays.
//!
//! Registers and bits: IEEE 802.3 clause 22.2.4 (Linux `include/uapi/linux/mii.h`): BMCR 0
//! (15 reset, 13 speed LSB, 12 AN enable, 9 restart AN, 8 full duplex, 6 speed MSB), BMSR 1
//! (2 link status — latched low, 5 AN complete, 3 AN ability, 8 extended status), PHYSID 2/3,
//! ADVERTISE 4 / LPA 5 (5 10HD, 6 10FD, 7 100HD, 8 100FD, 10 pause, selector 1 = 802.3),
//! CTRL1000 9 (8 1000HD, 9 1000FD) / STAT1000 10 (10 LP 1000HD, 11 LP 1000FD), ESTATUS 15
//! (12 1000T HD, 13 1000T FD). Resolution order as Linux `phy_resolve_aneg_linkmode`: the
//! highest common mode of our advertisement and the partner's.
//!
//! RGMII delays: the Mirabox DTS says `phy-mode = "rgmii-id"`, i.e. the PHY inserts both the RX
//! and TX clock delays. How is PHY-specific and the Mirabox PHY part is not documented, so the
//! default is [`RgmiiDelays::KeepBootloader`] (do not reset the PHY, keep what U-Boot set). For
//! Marvell 88E1121-family PHYs (OUI 0x005043, PHYSID1 0x0141) [`RgmiiDelays::Marvell`] programs
//! page 2 register 21 bits 5 (RX) and 4 (TX) as Linux `drivers/net/phy/marvell.c`
//! (`m88e1121_config_aneg_rgmii_delays`, page register 22) does, followed by a soft reset.

use nic::{Duplex, LinkState, Speed};

use crate::bus::poll_until;
use crate::mdio::{Mdio, MdioError};

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
    /// Our advertisement.
    pub const ADVERTISE: u8 = 4;
    /// Link partner ability.
    pub const LPA: u8 = 5;
    /// 1000BASE-T control.
    pub const CTRL1000: u8 = 9;
    /// 1000BASE-T status.
    pub const STAT1000: u8 = 10;
    /// Extended status.
    pub const ESTATUS: u8 = 15;
    /// Marvell page select.
    pub const MARVELL_PAGE: u8 = 22;
    /// Marvell MAC-specific control (page 2).
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
    /// Extended status register present.
    pub const ESTATEN: u16 = 1 << 8;
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
pub enum RgmiiDelays {
    /// Keep the PHY's current setup (the stock U-Boot configured it); no PHY reset.
    KeepBootloader,
    /// Marvell 88E1121-family: set RX and TX delays on page 2 register 21, then soft-reset.
    Marvell,
}

/// PHY bring-up options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhyConfig {
    /// MDIO address (Mirabox: 0 for eth0, 1 for eth1).
    pub address: u8,
    /// RGMII delay handling.
    pub delays: RgmiiDelays,
    /// Advertise 1000BASE-T (if the PHY can).
    pub gigabit: bool,
}

/// Why the PHY could not be brought up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhyError {
    /// MDIO failed.
    Mdio(MdioError),
    /// PHYSID read all zeros or all ones: no PHY at this address.
    NotPresent,
    /// BMCR.RESET did not clear.
    ResetTimeout,
    /// Marvell delays requested but the PHY is not a Marvell part.
    NotMarvell(u32),
}

impl From<MdioError> for PhyError {
    fn from(e: MdioError) -> Self {
        PhyError::Mdio(e)
    }
}

/// A clause-22 PHY on an MDIO bus.
pub struct Phy<M: Mdio> {
    mdio: M,
    config: PhyConfig,
    id: u32,
}

const MARVELL_PHYSID1: u16 = 0x0141;
const MSCR_RX_DELAY: u16 = 1 << 5;
const MSCR_TX_DELAY: u16 = 1 << 4;

impl<M: Mdio> Phy<M> {
    /// Probes the PHY at `config.address`, applies the delay policy, advertises every mode it
    /// supports (1000BASE-T only if `config.gigabit`) and (re)starts autonegotiation.
    pub fn new(mdio: M, config: PhyConfig) -> Result<Self, PhyError> {
        let a = config.address;
        let id =
            (u32::from(mdio.read(a, reg::PHYSID1)?) << 16) | u32::from(mdio.read(a, reg::PHYSID2)?);
        if id == 0 || id == u32::MAX {
            return Err(PhyError::NotPresent);
        }
        let mut phy = Phy { mdio, config, id };
        if config.delays == RgmiiDelays::Marvell {
            if (id >> 16) as u16 != MARVELL_PHYSID1 {
                return Err(PhyError::NotMarvell(id));
            }
            phy.mdio.write(a, reg::MARVELL_PAGE, 2)?;
            let mscr = phy.mdio.read(a, reg::MARVELL_MSCR)?;
            phy.mdio
                .write(a, reg::MARVELL_MSCR, mscr | MSCR_RX_DELAY | MSCR_TX_DELAY)?;
            phy.mdio.write(a, reg::MARVELL_PAGE, 0)?;
            phy.soft_reset()?;
        }
        phy.advertise()?;
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

    fn soft_reset(&mut self) -> Result<(), PhyError> {
        let a = self.config.address;
        let bmcr = self.mdio.read(a, reg::BMCR)?;
        self.mdio.write(a, reg::BMCR, bmcr | bmcr::RESET)?;
        let mut failed = None;
        let cleared = poll_until(|| match self.mdio.read(a, reg::BMCR) {
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

    fn advertise(&mut self) -> Result<(), PhyError> {
        let a = self.config.address;
        let bmsr = self.mdio.read(a, reg::BMSR)?;
        // 10/100 abilities are BMSR bits 11..14 (10HD, 10FD, 100HD, 100FD) = ADVERTISE 5..8.
        let abilities = (bmsr >> 11) & 0xF;
        self.mdio
            .write(a, reg::ADVERTISE, adv::CSMA | (abilities << 5))?;
        if bmsr & bmsr::ESTATEN != 0 {
            let est = self.mdio.read(a, reg::ESTATUS)?;
            let mut ctrl1000 = 0;
            if self.config.gigabit && est & adv::ESTATUS_1000_TFULL != 0 {
                ctrl1000 |= adv::FULL1000;
            }
            if self.config.gigabit && est & adv::ESTATUS_1000_THALF != 0 {
                ctrl1000 |= adv::HALF1000;
            }
            self.mdio.write(a, reg::CTRL1000, ctrl1000)?;
        }
        let bmcr = self.mdio.read(a, reg::BMCR)?;
        self.mdio.write(
            a,
            reg::BMCR,
            (bmcr & !(bmcr::PDOWN | bmcr::ISOLATE)) | bmcr::ANENABLE | bmcr::ANRESTART,
        )?;
        Ok(())
    }

    /// Current link state, resolved from the autonegotiation result (or BMCR when forced).
    pub fn link(&mut self) -> Result<LinkState, MdioError> {
        let a = self.config.address;
        // BMSR.LSTATUS latches low: the first read reports a past drop, the second the present.
        let _ = self.mdio.read(a, reg::BMSR)?;
        let bmsr = self.mdio.read(a, reg::BMSR)?;
        if bmsr & bmsr::LSTATUS == 0 {
            return Ok(LinkState::Down);
        }
        let bmcr = self.mdio.read(a, reg::BMCR)?;
        if bmcr & bmcr::ANENABLE == 0 {
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
            return Ok(LinkState::Up { speed, duplex });
        }
        if bmsr & bmsr::ANEGCOMPLETE == 0 {
            return Ok(LinkState::Down);
        }
        if bmsr & bmsr::ESTATEN != 0 {
            let ours = self.mdio.read(a, reg::CTRL1000)?;
            let theirs = self.mdio.read(a, reg::STAT1000)? >> 2;
            let common = ours & theirs;
            if common & adv::FULL1000 != 0 {
                return Ok(LinkState::Up {
                    speed: Speed::Mbps1000,
                    duplex: Duplex::Full,
                });
            }
            if common & adv::HALF1000 != 0 {
                return Ok(LinkState::Up {
                    speed: Speed::Mbps1000,
                    duplex: Duplex::Half,
                });
            }
        }
        let common = self.mdio.read(a, reg::ADVERTISE)? & self.mdio.read(a, reg::LPA)?;
        let (speed, duplex) = if common & adv::FULL100 != 0 {
            (Speed::Mbps100, Duplex::Full)
        } else if common & adv::HALF100 != 0 {
            (Speed::Mbps100, Duplex::Half)
        } else if common & adv::FULL10 != 0 {
            (Speed::Mbps10, Duplex::Full)
        } else if common & adv::HALF10 != 0 {
            (Speed::Mbps10, Duplex::Half)
        } else {
            // Negotiated but nothing in common: no usable link.
            return Ok(LinkState::Down);
        };
        Ok(LinkState::Up { speed, duplex })
    }
}
