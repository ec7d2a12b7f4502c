//! SMI (MDIO) master of the Armada 370 Ethernet unit, shared by both ports.
//!
//! Source: Linux `drivers/net/ethernet/marvell/mvmdio.c` (`MVMDIO_SMI_*`: data bits 15..0, PHY
//! address bits 20..16, register bits 25..21, bit 26 = read, bit 27 = read valid, bit 28 = busy;
//! `orion_mdio_smi_read`/`_write`; the 41–43 µs per access measured on a Mirabox noted there)
//! and `armada-370-xp.dtsi` (`mdio@72004`: one register inside port 0's window). Clause 22 only.

use hil::mdio::{Mdio, MdioError, check_address};
use hil::mmio::{Bus, Reg, RegDef, poll_until, reg};
use tock_registers::fields::FieldValue;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::{LocalRegisterCopy, register_bitfields};

register_bitfields![u32,
    /// The SMI register (`MVMDIO_SMI_*` in Linux `mvmdio.c`).
    pub SMI [
        /// Data read or to write.
        DATA OFFSET(0) NUMBITS(16) [],
        /// PHY address.
        PHY OFFSET(16) NUMBITS(5) [],
        /// Register number.
        REG OFFSET(21) NUMBITS(5) [],
        /// 1 = read, 0 = write.
        READ OFFSET(26) NUMBITS(1) [],
        /// The read data is valid.
        READ_VALID OFFSET(27) NUMBITS(1) [],
        /// An access is in progress.
        BUSY OFFSET(28) NUMBITS(1) []
    ]
];

/// The single SMI register at the start of the `Smi`'s window.
const SMI_REG: RegDef<SMI::Register> = RegDef::at(0);

/// The SMI register (its bus covers the single register at offset 0).
pub struct Smi<B: Bus> {
    bus: B,
}

impl<B: Bus> Smi<B> {
    /// Wraps a bus whose offset 0 is the SMI register.
    pub fn new(bus: B) -> Self {
        Smi { bus }
    }

    fn smi(&self) -> Reg<'_, B, SMI::Register> {
        reg(&self.bus, SMI_REG)
    }

    /// Waits for BUSY to clear; the register as it then read.
    fn wait_idle(&self) -> Result<LocalRegisterCopy<u32, SMI::Register>, MdioError> {
        let mut last = LocalRegisterCopy::new(0);
        if poll_until(crate::POLL_LIMIT, || {
            last = self.smi().extract();
            !last.is_set(SMI::BUSY)
        }) {
            Ok(last)
        } else {
            Err(MdioError::Timeout)
        }
    }

    fn command(phy: u8, register: u8) -> Result<FieldValue<u32, SMI::Register>, MdioError> {
        check_address(phy, register)?;
        Ok(SMI::PHY.val(u32::from(phy)) + SMI::REG.val(u32::from(register)))
    }
}

/// A handshake is three or more accesses of one register; a critical section keeps a second
/// user (eth1's PHY poll from another context) from interleaving with it.
impl<B: Bus> Mdio for Smi<B> {
    fn read(&self, phy: u8, register: u8) -> Result<u16, MdioError> {
        let cmd = Self::command(phy, register)?;
        critical_section::with(|_| {
            self.wait_idle()?;
            self.smi().write(cmd + SMI::READ::SET);
            let mut done = self.wait_idle()?;
            // READ_VALID may trail BUSY by a cycle; re-read once before giving up.
            if !done.is_set(SMI::READ_VALID) {
                done = self.smi().extract();
            }
            if !done.is_set(SMI::READ_VALID) {
                return Err(MdioError::NoResponse);
            }
            Ok(done.read(SMI::DATA) as u16)
        })
    }

    fn write(&self, phy: u8, register: u8, value: u16) -> Result<(), MdioError> {
        let cmd = Self::command(phy, register)?;
        critical_section::with(|_| {
            self.wait_idle()?;
            self.smi().write(cmd + SMI::DATA.val(u32::from(value)));
            // Linux does not wait after a write; waiting here keeps a following read ordered.
            self.wait_idle().map(|_| ())
        })
    }
}
