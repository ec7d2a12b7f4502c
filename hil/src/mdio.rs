//! Clause-22 MDIO: how a PHY driver reaches a PHY's management registers, whatever MAC or SoC
//! unit carries the bus (Armada 370 SMI, IXP4xx NPE-B MAC MDIO, LAN9118 MII_ACC).
//!
//! IEEE 802.3 clause 22.2.4: 32 PHY addresses, 32 registers of 16 bits each.

/// Why an MDIO access failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MdioError {
    /// The bus stayed busy past the bounded wait.
    Timeout,
    /// A read completed but no PHY answered at that address (no "read valid", or all ones).
    NoResponse,
    /// PHY address or register number above 31.
    InvalidAddress,
}

/// Clause-22 MDIO access. `&self`, so several PHY drivers can share one bus master.
pub trait Mdio {
    /// Reads register `reg` of the PHY at `phy`.
    fn read(&self, phy: u8, reg: u8) -> Result<u16, MdioError>;
    /// Writes register `reg` of the PHY at `phy`.
    fn write(&self, phy: u8, reg: u8, value: u16) -> Result<(), MdioError>;
}

impl<T: Mdio + ?Sized> Mdio for &T {
    fn read(&self, phy: u8, reg: u8) -> Result<u16, MdioError> {
        (**self).read(phy, reg)
    }
    fn write(&self, phy: u8, reg: u8, value: u16) -> Result<(), MdioError> {
        (**self).write(phy, reg, value)
    }
}

/// Checks a clause-22 address pair: both fields are five bits.
pub const fn check_address(phy: u8, reg: u8) -> Result<(), MdioError> {
    if phy > 31 || reg > 31 {
        Err(MdioError::InvalidAddress)
    } else {
        Ok(())
    }
}
