//! SMI (MDIO) master of the Armada 370 Ethernet unit, shared by both ports.
//!
//! Source: Linux `drivers/net/ethernet/marvell/mvmdio.c` (`MVMDIO_SMI_*`: data bits 15..0, PHY
//! address bits 20..16, register bits 25..21, bit 26 = read, bit 27 = read valid, bit 28 = busy;
//! `orion_mdio_smi_read`/`_write`; the 41–43 µs per access measured on a Mirabox noted there)
//! and `armada-370-xp.dtsi` (`mdio@72004`: one register inside port 0's window). Clause 22 only.

use hil::mdio::{Mdio, MdioError, check_address};

use hil::mmio::{Bus, Mmio, poll_until};

const DATA_MASK: u32 = 0xFFFF;
const PHY_SHIFT: u32 = 16;
const REG_SHIFT: u32 = 21;
const OP_READ: u32 = 1 << 26;
const READ_VALID: u32 = 1 << 27;
const BUSY: u32 = 1 << 28;

/// The SMI register (its bus covers the single register at offset 0).
pub struct Smi<B: Bus> {
    bus: B,
}

impl Smi<Mmio> {
    /// The SMI register at absolute address `addr` (`map::unit(map::SMI_OFFSET)`).
    ///
    /// # Safety
    /// `addr` must be the SMI register, mapped as device memory, and this `Smi` its only user.
    pub unsafe fn new_mmio(addr: usize) -> Self {
        // SAFETY: forwarded to the caller.
        Smi::new(unsafe { Mmio::new(addr, 4) })
    }
}

impl<B: Bus> Smi<B> {
    /// Wraps a bus whose offset 0 is the SMI register.
    pub fn new(bus: B) -> Self {
        Smi { bus }
    }

    fn wait_idle(&self) -> Result<u32, MdioError> {
        let mut last = 0;
        if poll_until(crate::POLL_LIMIT, || {
            last = self.bus.read(0);
            last & BUSY == 0
        }) {
            Ok(last)
        } else {
            Err(MdioError::Timeout)
        }
    }

    fn command(phy: u8, reg: u8) -> Result<u32, MdioError> {
        check_address(phy, reg)?;
        Ok((u32::from(phy) << PHY_SHIFT) | (u32::from(reg) << REG_SHIFT))
    }
}

impl<B: Bus> Mdio for Smi<B> {
    fn read(&self, phy: u8, reg: u8) -> Result<u16, MdioError> {
        let cmd = Self::command(phy, reg)?;
        self.wait_idle()?;
        self.bus.write(0, cmd | OP_READ);
        let done = self.wait_idle()?;
        // READ_VALID may trail BUSY by a cycle; re-read once before giving up.
        let done = if done & READ_VALID == 0 {
            self.bus.read(0)
        } else {
            done
        };
        if done & READ_VALID == 0 {
            return Err(MdioError::NoResponse);
        }
        Ok((done & DATA_MASK) as u16)
    }

    fn write(&self, phy: u8, reg: u8, value: u16) -> Result<(), MdioError> {
        let cmd = Self::command(phy, reg)?;
        self.wait_idle()?;
        self.bus.write(0, cmd | u32::from(value));
        // Linux does not wait after a write; waiting here keeps a following read ordered.
        self.wait_idle().map(|_| ())
    }
}
