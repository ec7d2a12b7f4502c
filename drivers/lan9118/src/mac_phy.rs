//! The two indirect register spaces: MAC CSRs behind MAC_CSR_CMD/MAC_CSR_DATA, and the internal
//! PHY behind the MAC's MII_ACC/MII_DATA. Plus link resolution from the PHY registers.
//!
//! Both handshakes are bounded busy-waits (datasheet: "MAC CSR Synchronization" and the MII_ACC
//! description; in QEMU both complete instantly and BUSY always reads 0).

use nic::{Duplex, LinkState, Speed};
use tock_registers::LocalRegisterCopy;
use tock_registers::interfaces::{Readable, Writeable};

use hil::mmio::{Bus, reg};

use super::driver::{Lan9118, Lan9118Error};
use super::registers::{
    ANAR, BMCR, BMSR, INTERNAL_PHY_ADDRESS, MAC_CSR_CMD, MII_ACC, mac_csr, phy_reg,
};
use super::regs;

/// Polls of a busy bit before giving up. QEMU needs 1; the datasheet's worst cases (a MAC CSR
/// access takes a few MAC clocks, an MII frame 64 MDC clocks at 2.5 MHz, about 26 µs) are far
/// below this many 32-bit bus reads.
pub(crate) const BUSY_POLLS: u32 = 100_000;

impl<B: Bus> Lan9118<B> {
    fn wait_csr_idle(&self) -> Result<(), Lan9118Error> {
        let cmd = reg(&self.bus, regs::MAC_CSR_CMD);
        for _ in 0..BUSY_POLLS {
            if !cmd.is_set(MAC_CSR_CMD::CSR_BUSY) {
                return Ok(());
            }
        }
        Err(Lan9118Error::CsrTimeout)
    }

    /// Reads MAC CSR `index`.
    pub(crate) fn csr_read(&self, index: u8) -> Result<u32, Lan9118Error> {
        self.wait_csr_idle()?;
        reg(&self.bus, regs::MAC_CSR_CMD).write(
            MAC_CSR_CMD::CSR_BUSY::SET
                + MAC_CSR_CMD::R_NOT_W::SET
                + MAC_CSR_CMD::CSR_ADDRESS.val(u32::from(index)),
        );
        self.wait_csr_idle()?;
        Ok(reg(&self.bus, regs::MAC_CSR_DATA).get())
    }

    /// Writes MAC CSR `index`.
    pub(crate) fn csr_write(&self, index: u8, value: u32) -> Result<(), Lan9118Error> {
        self.wait_csr_idle()?;
        reg(&self.bus, regs::MAC_CSR_DATA).set(value);
        reg(&self.bus, regs::MAC_CSR_CMD)
            .write(MAC_CSR_CMD::CSR_BUSY::SET + MAC_CSR_CMD::CSR_ADDRESS.val(u32::from(index)));
        self.wait_csr_idle()
    }

    fn wait_mii_idle(&self) -> Result<(), Lan9118Error> {
        for _ in 0..BUSY_POLLS {
            let acc =
                LocalRegisterCopy::<u32, MII_ACC::Register>::new(self.csr_read(mac_csr::MII_ACC)?);
            if !acc.is_set(MII_ACC::MII_BUSY) {
                return Ok(());
            }
        }
        Err(Lan9118Error::MiiTimeout)
    }

    fn mii_command(&self, register: u8, write: bool) -> Result<(), Lan9118Error> {
        let acc = MII_ACC::PHY_ADDRESS.val(u32::from(INTERNAL_PHY_ADDRESS))
            + MII_ACC::MII_REGISTER.val(u32::from(register))
            + MII_ACC::MII_WRITE.val(u32::from(write))
            + MII_ACC::MII_BUSY::SET;
        self.csr_write(mac_csr::MII_ACC, acc.value)?;
        self.wait_mii_idle()
    }

    /// Reads PHY register `register` of the internal PHY.
    pub(crate) fn mii_read(&self, register: u8) -> Result<u16, Lan9118Error> {
        self.wait_mii_idle()?;
        self.mii_command(register, false)?;
        // MII_DATA holds 16 significant bits.
        Ok((self.csr_read(mac_csr::MII_DATA)? & 0xFFFF) as u16)
    }

    /// Writes PHY register `register` of the internal PHY.
    pub(crate) fn mii_write(&self, register: u8, value: u16) -> Result<(), Lan9118Error> {
        self.wait_mii_idle()?;
        self.csr_write(mac_csr::MII_DATA, u32::from(value))?;
        self.mii_command(register, true)
    }

    /// Resets the PHY, advertises 10/100 half/full and (re)starts autonegotiation.
    pub(crate) fn phy_bring_up(&self) -> Result<(), Lan9118Error> {
        self.mii_write(phy_reg::BMCR, BMCR::RESET::SET.value as u16)?;
        let mut reset_done = false;
        for _ in 0..BUSY_POLLS / 100 {
            let bmcr = LocalRegisterCopy::<u32, BMCR::Register>::new(u32::from(
                self.mii_read(phy_reg::BMCR)?,
            ));
            if !bmcr.is_set(BMCR::RESET) {
                reset_done = true;
                break;
            }
        }
        if !reset_done {
            return Err(Lan9118Error::PhyResetTimeout);
        }
        let advertise = ANAR::TX_FULL::SET
            + ANAR::TX_HALF::SET
            + ANAR::T10_FULL::SET
            + ANAR::T10_HALF::SET
            + ANAR::SELECTOR::Ieee8023;
        self.mii_write(phy_reg::ADVERTISE, advertise.value as u16)?;
        self.mii_write(
            phy_reg::BMCR,
            (BMCR::AUTONEG_ENABLE::SET + BMCR::RESTART_AUTONEG::SET).value as u16,
        )
    }

    /// Reads the link state from the PHY. Errors (a wedged MII) read as link down.
    pub(crate) fn phy_link_state(&self) -> Result<LinkState, Lan9118Error> {
        // BMSR.LINK_STATUS latches low: the first read reports "went down since last read".
        let _ = self.mii_read(phy_reg::BMSR)?;
        let bmsr =
            LocalRegisterCopy::<u32, BMSR::Register>::new(u32::from(self.mii_read(phy_reg::BMSR)?));
        if !bmsr.is_set(BMSR::LINK_STATUS) {
            return Ok(LinkState::Down);
        }
        let bmcr =
            LocalRegisterCopy::<u32, BMCR::Register>::new(u32::from(self.mii_read(phy_reg::BMCR)?));
        if !bmcr.is_set(BMCR::AUTONEG_ENABLE) {
            let speed = if bmcr.is_set(BMCR::SPEED_100) {
                Speed::Mbps100
            } else {
                Speed::Mbps10
            };
            let duplex = if bmcr.is_set(BMCR::FULL_DUPLEX) {
                Duplex::Full
            } else {
                Duplex::Half
            };
            return Ok(LinkState::Up { speed, duplex });
        }
        if !bmsr.is_set(BMSR::AUTONEG_COMPLETE) {
            return Ok(LinkState::Down);
        }
        let common =
            u32::from(self.mii_read(phy_reg::ADVERTISE)?) & u32::from(self.mii_read(phy_reg::LPA)?);
        Ok(resolve_autoneg(LocalRegisterCopy::new(common)))
    }
}

/// Highest common technology of ADVERTISE & LPA (IEEE 802.3 Annex 28B priority order).
fn resolve_autoneg(common: LocalRegisterCopy<u32, ANAR::Register>) -> LinkState {
    let (speed, duplex) = if common.is_set(ANAR::TX_FULL) {
        (Speed::Mbps100, Duplex::Full)
    } else if common.is_set(ANAR::TX_HALF) {
        (Speed::Mbps100, Duplex::Half)
    } else if common.is_set(ANAR::T10_FULL) {
        (Speed::Mbps10, Duplex::Full)
    } else if common.is_set(ANAR::T10_HALF) {
        (Speed::Mbps10, Duplex::Half)
    } else {
        (Speed::Unknown, Duplex::Unknown)
    };
    LinkState::Up { speed, duplex }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoneg_resolution_prefers_100_full_then_down_the_list() {
        let up = |speed, duplex| LinkState::Up { speed, duplex };
        // QEMU: ADVERTISE 0x01e1, LPA 0x0f71.
        assert_eq!(
            resolve_autoneg(LocalRegisterCopy::new(0x01e1 & 0x0f71)),
            up(Speed::Mbps100, Duplex::Full)
        );
        assert_eq!(
            resolve_autoneg(LocalRegisterCopy::new(0x00a1)),
            up(Speed::Mbps100, Duplex::Half)
        );
        assert_eq!(
            resolve_autoneg(LocalRegisterCopy::new(0x0061)),
            up(Speed::Mbps10, Duplex::Full)
        );
        assert_eq!(
            resolve_autoneg(LocalRegisterCopy::new(0x0021)),
            up(Speed::Mbps10, Duplex::Half)
        );
        assert_eq!(
            resolve_autoneg(LocalRegisterCopy::new(0x0001)),
            up(Speed::Unknown, Duplex::Unknown)
        );
    }
}
