//! Register-level model of the EthB MAC: plain 8-bit registers plus the MDIO master with one
//! clause-22 PHY. GO clears after a few polls (like a real MDIO frame) and only while
//! CORE_CONTROL.MDC_EN is set; reads of an absent PHY set the MDIO_STATUS\[3\] failure bit.

use ixp4xx::eth::mac::regs;
use mii::{bmcr, bmsr};

pub struct MacState {
    pub regs: [u32; 0x80],
    pub phy_address: u8,
    pub phy: [u16; 32],
    polls_left: u32,
    pub core_resets: u32,
    pub mdio_transactions: u32,
}

impl MacState {
    pub fn new() -> Self {
        let mut phy = [0u16; 32];
        phy[mii::reg::BMCR as usize] = bmcr::ANENABLE;
        phy[mii::reg::BMSR as usize] = 0x7809 | bmsr::LSTATUS | bmsr::ANEGCOMPLETE;
        phy[mii::reg::PHYSID1 as usize] = 0x0013;
        phy[mii::reg::ADVERTISE as usize] = 0x01E1;
        phy[mii::reg::LPA as usize] = 0x01E1;
        MacState {
            regs: [0; 0x80],
            phy_address: 1,
            phy,
            polls_left: 0,
            core_resets: 0,
            mdio_transactions: 0,
        }
    }

    pub fn reg(&self, offset: usize) -> u32 {
        self.regs[offset / 4]
    }

    pub fn read(&mut self, offset: usize) -> u32 {
        assert!(
            offset < 0x200 && offset.is_multiple_of(4),
            "MAC: bad read offset {offset:#x}"
        );
        if offset == regs::MDIO_COMMAND + 12 && self.regs[offset / 4] & 0x80 != 0 {
            let mdc = self.reg(regs::CORE_CONTROL) & 0x10 != 0;
            if mdc {
                if self.polls_left == 0 {
                    self.complete_mdio();
                } else {
                    self.polls_left -= 1;
                }
            }
        }
        self.regs[offset / 4]
    }

    pub fn write(&mut self, offset: usize, value: u32) {
        assert!(
            offset < 0x200 && offset.is_multiple_of(4),
            "MAC: bad write offset {offset:#x}"
        );
        assert!(
            value <= 0xFF,
            "MAC: register {offset:#x} holds 8 bits, got {value:#x}"
        );
        if offset == regs::CORE_CONTROL && value & 1 != 0 {
            self.core_resets += 1;
        }
        self.regs[offset / 4] = value;
        if offset == regs::MDIO_COMMAND + 12 && value & 0x80 != 0 {
            self.polls_left = 3;
        }
    }

    fn complete_mdio(&mut self) {
        self.mdio_transactions += 1;
        let c2 = self.reg(regs::MDIO_COMMAND + 8);
        let c3 = self.reg(regs::MDIO_COMMAND + 12);
        let phy = ((c2 >> 5) | ((c3 & 3) << 3)) as u8;
        let reg = (c2 & 0x1F) as usize;
        let write = c3 & 0x04 != 0;
        let present = phy == self.phy_address;
        if write {
            if present {
                let lo = self.reg(regs::MDIO_COMMAND);
                let hi = self.reg(regs::MDIO_COMMAND + 4);
                // BMCR's self-clearing restart bit.
                let value = ((hi << 8 | lo) as u16) & !bmcr::ANRESTART;
                self.phy[reg] = if reg == mii::reg::BMCR as usize {
                    value
                } else {
                    (hi << 8 | lo) as u16
                };
            }
        } else if present {
            let v = self.phy[reg];
            self.regs[regs::MDIO_STATUS / 4] = u32::from(v & 0xFF);
            self.regs[regs::MDIO_STATUS / 4 + 1] = u32::from(v >> 8);
            self.regs[regs::MDIO_STATUS / 4 + 3] = 0;
        } else {
            self.regs[regs::MDIO_STATUS / 4 + 3] = 0x80;
        }
        self.regs[(regs::MDIO_COMMAND + 12) / 4] &= !0x80;
    }

    pub fn station_address(&self) -> [u8; 6] {
        core::array::from_fn(|i| self.reg(regs::HW_ADDR + 4 * i) as u8)
    }
}
