//! The two indirect register spaces: MAC CSRs behind MAC_CSR_CMD/MAC_CSR_DATA, and the internal
//! PHY behind the MAC's MII_ACC/MII_DATA, offered as [`hil::mdio::Mdio`]; link resolution is
//! the generic clause-22 one of the `mii` crate.
//!
//! Both handshakes are bounded busy-waits (datasheet: "MAC CSR Synchronization" and the MII_ACC
//! description; in QEMU both complete instantly and BUSY always reads 0).

use hil::mdio::{Mdio, MdioError, check_address};
use nic::LinkState;
use tock_registers::LocalRegisterCopy;
use tock_registers::interfaces::{Readable, Writeable};

use hil::mmio::{Bus, reg};

use super::driver::{Lan9118, Lan9118Error};
use super::registers::{INTERNAL_PHY_ADDRESS, MAC_CSR_CMD, MII_ACC, mac_csr};
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

    fn mii_command(&self, phy: u8, register: u8, write: bool) -> Result<(), Lan9118Error> {
        let acc = MII_ACC::PHY_ADDRESS.val(u32::from(phy))
            + MII_ACC::MII_REGISTER.val(u32::from(register))
            + MII_ACC::MII_WRITE.val(u32::from(write))
            + MII_ACC::MII_BUSY::SET;
        self.csr_write(mac_csr::MII_ACC, acc.value)?;
        self.wait_mii_idle()
    }

    /// Reads PHY register `register` of the internal PHY.
    pub(crate) fn mii_read(&self, register: u8) -> Result<u16, Lan9118Error> {
        self.mii_read_at(INTERNAL_PHY_ADDRESS, register)
    }

    /// Writes PHY register `register` of the internal PHY.
    pub(crate) fn mii_write(&self, register: u8, value: u16) -> Result<(), Lan9118Error> {
        self.mii_write_at(INTERNAL_PHY_ADDRESS, register, value)
    }

    fn mii_read_at(&self, phy: u8, register: u8) -> Result<u16, Lan9118Error> {
        self.wait_mii_idle()?;
        self.mii_command(phy, register, false)?;
        // MII_DATA holds 16 significant bits.
        Ok((self.csr_read(mac_csr::MII_DATA)? & 0xFFFF) as u16)
    }

    fn mii_write_at(&self, phy: u8, register: u8, value: u16) -> Result<(), Lan9118Error> {
        self.wait_mii_idle()?;
        self.csr_write(mac_csr::MII_DATA, u32::from(value))?;
        self.mii_command(phy, register, true)
    }

    /// The internal PHY as a generic clause-22 PHY on this chip's MDIO.
    fn phy(&self) -> Result<mii::Phy<&Self>, Lan9118Error> {
        mii::Phy::probe(self, mii::PhyConfig::fast_ethernet(INTERNAL_PHY_ADDRESS))
            .map_err(phy_error)
    }

    /// Resets the PHY, advertises what it can (10/100 half/full) and (re)starts
    /// autonegotiation.
    pub(crate) fn phy_bring_up(&self) -> Result<(), Lan9118Error> {
        let mut phy = self.phy()?;
        phy.soft_reset().map_err(phy_error)?;
        phy.start_autonegotiation().map_err(phy_error)
    }

    /// Reads the link state from the PHY (the generic clause-22 resolution of `mii`).
    pub(crate) fn phy_link_state(&self) -> Result<LinkState, Lan9118Error> {
        self.phy()?.link_state().map_err(|e| phy_error(e.into()))
    }
}

fn phy_error(error: mii::PhyError) -> Lan9118Error {
    match error {
        mii::PhyError::ResetTimeout => Lan9118Error::PhyResetTimeout,
        mii::PhyError::NotPresent | mii::PhyError::NotMarvell(_) => Lan9118Error::PhyNotPresent,
        mii::PhyError::Mdio(_) => Lan9118Error::MiiTimeout,
    }
}

fn mdio_error(error: Lan9118Error) -> MdioError {
    match error {
        Lan9118Error::CsrTimeout | Lan9118Error::MiiTimeout => MdioError::Timeout,
        _ => MdioError::NoResponse,
    }
}

/// Clause-22 access through MII_ACC/MII_DATA. Each access is several CSR handshakes that must
/// not interleave with another one, so it runs in a critical section.
impl<B: Bus> Mdio for Lan9118<B> {
    fn read(&self, phy: u8, reg: u8) -> Result<u16, MdioError> {
        check_address(phy, reg)?;
        critical_section::with(|_| self.mii_read_at(phy, reg)).map_err(mdio_error)
    }
    fn write(&self, phy: u8, reg: u8, value: u16) -> Result<(), MdioError> {
        check_address(phy, reg)?;
        critical_section::with(|_| self.mii_write_at(phy, reg, value)).map_err(mdio_error)
    }
}

#[cfg(test)]
mod tests {
    use nic::{Duplex, LinkState, Speed};

    #[test]
    fn autoneg_resolution_prefers_100_full_then_down_the_list() {
        let up = |speed, duplex| LinkState::Up { speed, duplex };
        let resolve = |common| mii::resolve_10_100(common, 0xffff);
        // QEMU: ADVERTISE 0x01e1, LPA 0x0f71.
        assert_eq!(
            mii::resolve_10_100(0x01e1, 0x0f71),
            up(Speed::Mbps100, Duplex::Full)
        );
        assert_eq!(resolve(0x00a1), up(Speed::Mbps100, Duplex::Half));
        assert_eq!(resolve(0x0061), up(Speed::Mbps10, Duplex::Full));
        assert_eq!(resolve(0x0021), up(Speed::Mbps10, Duplex::Half));
        // Nothing in common: `mii` calls that no usable link (the driver's own resolution said
        // "up, unknown speed"; the generic one is the one every board now shares).
        assert_eq!(resolve(0x0001), LinkState::Down);
    }
}
