//! A fake clause-22 bus: one PHY whose registers the tests set, link resolution over it.

extern crate std;

use core::cell::RefCell;
use std::vec::Vec;

use super::*;

/// One PHY at `address`; BMSR's latched-low link bit reads low once after `drop_link`.
struct FakeBus {
    address: u8,
    regs: RefCell<[u16; 32]>,
    latched_drop: RefCell<bool>,
    writes: RefCell<Vec<(u8, u16)>>,
    /// Reads of BMCR before RESET clears (u32::MAX: never).
    reset_reads: RefCell<u32>,
}

const BMSR_10_100: u16 = 0x7800 | 1 << 3; // 10/100 HD/FD, AN ability
const BMSR_GIG: u16 = BMSR_10_100 | bmsr::ESTATEN;

impl FakeBus {
    fn new(address: u8, id: u32, bmsr_caps: u16) -> Self {
        let mut regs = [0u16; 32];
        regs[reg::PHYSID1 as usize] = (id >> 16) as u16;
        regs[reg::PHYSID2 as usize] = id as u16;
        regs[reg::BMSR as usize] = bmsr_caps;
        regs[reg::ESTATUS as usize] = adv::ESTATUS_1000_TFULL | adv::ESTATUS_1000_THALF;
        FakeBus {
            address,
            regs: RefCell::new(regs),
            latched_drop: RefCell::new(false),
            writes: RefCell::new(Vec::new()),
            reset_reads: RefCell::new(2),
        }
    }
    fn set(&self, r: u8, v: u16) {
        self.regs.borrow_mut()[r as usize] = v;
    }
    fn get(&self, r: u8) -> u16 {
        self.regs.borrow()[r as usize]
    }
    fn link(&self, up: bool, an_complete: bool) {
        let mut b = self.get(reg::BMSR) & !(bmsr::LSTATUS | bmsr::ANEGCOMPLETE);
        if up {
            b |= bmsr::LSTATUS;
        }
        if an_complete {
            b |= bmsr::ANEGCOMPLETE;
        }
        self.set(reg::BMSR, b);
    }
}

impl Mdio for FakeBus {
    fn read(&self, phy: u8, r: u8) -> Result<u16, MdioError> {
        hil::mdio::check_address(phy, r)?;
        if phy != self.address {
            // An empty address: the bus floats high.
            return Ok(0xFFFF);
        }
        let mut v = self.get(r);
        if r == reg::BMSR && self.latched_drop.replace(false) {
            v &= !bmsr::LSTATUS;
        }
        if r == reg::BMCR && v & bmcr::RESET != 0 {
            let mut left = self.reset_reads.borrow_mut();
            if *left == 0 {
                v &= !bmcr::RESET;
                self.set(reg::BMCR, v);
            } else if *left != u32::MAX {
                *left -= 1;
            }
        }
        Ok(v)
    }
    fn write(&self, phy: u8, r: u8, value: u16) -> Result<(), MdioError> {
        hil::mdio::check_address(phy, r)?;
        if phy == self.address {
            self.writes.borrow_mut().push((r, value));
            // Self-clearing restart.
            self.set(
                r,
                if r == reg::BMCR {
                    value & !bmcr::ANRESTART
                } else {
                    value
                },
            );
        }
        Ok(())
    }
}

const ID: u32 = 0x0141_0E40;

fn up(speed: Speed, duplex: Duplex) -> LinkState {
    LinkState::Up { speed, duplex }
}

fn gig_phy(bus: &FakeBus) -> Phy<&FakeBus> {
    Phy::new(
        bus,
        PhyConfig {
            address: 1,
            delays: RgmiiDelays::KeepBootloader,
            gigabit: true,
        },
    )
    .unwrap()
}

#[test]
fn no_phy_at_the_address_is_an_error() {
    let bus = FakeBus::new(1, ID, BMSR_GIG);
    assert_eq!(
        Phy::probe(&bus, PhyConfig::fast_ethernet(2)).unwrap_err(),
        PhyError::NotPresent
    );
    let zero = FakeBus::new(1, 0, BMSR_GIG);
    assert_eq!(
        Phy::new(&zero, PhyConfig::fast_ethernet(1)).unwrap_err(),
        PhyError::NotPresent
    );
    assert_eq!(
        Phy::probe(&bus, PhyConfig::fast_ethernet(32)).unwrap_err(),
        PhyError::Mdio(MdioError::InvalidAddress)
    );
}

#[test]
fn probe_writes_nothing_and_reports_the_id() {
    let bus = FakeBus::new(1, ID, BMSR_GIG);
    let phy = Phy::probe(&bus, PhyConfig::fast_ethernet(1)).unwrap();
    assert_eq!(phy.id(), ID);
    assert_eq!(phy.address(), 1);
    assert!(bus.writes.borrow().is_empty());
}

#[test]
fn gigabit_link_resolution_full_and_half() {
    let bus = FakeBus::new(1, ID, BMSR_GIG);
    let phy = gig_phy(&bus);
    assert_eq!(
        bus.get(reg::CTRL1000),
        adv::FULL1000 | adv::HALF1000,
        "1000BASE-T advertised"
    );
    assert_eq!(
        bus.get(reg::BMCR) & (bmcr::ANENABLE | bmcr::ANRESTART),
        bmcr::ANENABLE,
        "autonegotiation on, restart self-cleared"
    );
    bus.link(true, true);
    bus.set(reg::LPA, adv::ALL_10_100);
    bus.set(reg::STAT1000, adv::LP_FULL1000 | adv::LP_HALF1000);
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps1000, Duplex::Full)));
    bus.set(reg::STAT1000, adv::LP_HALF1000);
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps1000, Duplex::Half)));
    // Partner without 1000BASE-T: fall back to the 10/100 result.
    bus.set(reg::STAT1000, 0);
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps100, Duplex::Full)));
}

#[test]
fn ten_hundred_resolution_takes_the_highest_common_mode() {
    let bus = FakeBus::new(1, ID, BMSR_10_100);
    let phy = Phy::new(&bus, PhyConfig::fast_ethernet(1)).unwrap();
    assert_eq!(bus.get(reg::ADVERTISE), adv::CSMA | adv::ALL_10_100);
    bus.link(true, true);
    for (partner, expected) in [
        (adv::ALL_10_100, up(Speed::Mbps100, Duplex::Full)),
        (adv::HALF100 | adv::FULL10, up(Speed::Mbps100, Duplex::Half)),
        (adv::FULL10 | adv::HALF10, up(Speed::Mbps10, Duplex::Full)),
        (adv::HALF10, up(Speed::Mbps10, Duplex::Half)),
        (0, LinkState::Down),
    ] {
        bus.set(reg::LPA, partner | adv::CSMA);
        assert_eq!(phy.link_state(), Ok(expected), "partner {partner:#06x}");
    }
}

#[test]
fn a_10_100_phy_never_sees_the_1000base_t_registers() {
    let bus = FakeBus::new(1, ID, BMSR_10_100);
    // Garbage where a gigabit PHY would have its registers: must not matter.
    bus.set(reg::STAT1000, 0xFFFF);
    let mut phy = Phy::new(&bus, PhyConfig::fast_ethernet(1)).unwrap();
    phy.restart_autonegotiation().unwrap();
    bus.link(true, true);
    bus.set(reg::LPA, adv::ALL_10_100);
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps100, Duplex::Full)));
    assert!(
        bus.writes
            .borrow()
            .iter()
            .all(|&(r, _)| r != reg::CTRL1000 && r != reg::ESTATUS)
    );
}

#[test]
fn no_link_and_incomplete_autonegotiation_are_down() {
    let bus = FakeBus::new(1, ID, BMSR_GIG);
    let phy = gig_phy(&bus);
    bus.set(reg::LPA, adv::ALL_10_100);
    bus.link(false, true);
    assert_eq!(phy.link_state(), Ok(LinkState::Down));
    bus.link(true, false);
    assert_eq!(phy.link_state(), Ok(LinkState::Down));
    // A past drop latched in BMSR is read away; the present state decides.
    bus.link(true, true);
    *bus.latched_drop.borrow_mut() = true;
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps100, Duplex::Full)));
}

#[test]
fn forced_modes_come_from_bmcr() {
    let bus = FakeBus::new(1, ID, BMSR_10_100);
    let phy = Phy::probe(&bus, PhyConfig::fast_ethernet(1)).unwrap();
    bus.link(true, false);
    bus.set(reg::BMCR, bmcr::SPEED100 | bmcr::FULLDPLX);
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps100, Duplex::Full)));
    bus.set(reg::BMCR, 0);
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps10, Duplex::Half)));
    bus.set(reg::BMCR, bmcr::SPEED1000);
    assert_eq!(phy.link_state(), Ok(up(Speed::Mbps1000, Duplex::Half)));
}

#[test]
fn soft_reset_waits_for_the_bit_and_gives_up_bounded() {
    let bus = FakeBus::new(1, ID, BMSR_10_100);
    let mut phy = Phy::probe(&bus, PhyConfig::fast_ethernet(1)).unwrap();
    phy.soft_reset().unwrap();
    assert_eq!(bus.get(reg::BMCR) & bmcr::RESET, 0);
    *bus.reset_reads.borrow_mut() = u32::MAX;
    assert_eq!(phy.soft_reset(), Err(PhyError::ResetTimeout));
}

#[test]
fn marvell_delays_set_page_2_register_21_then_reset() {
    let bus = FakeBus::new(0, ID, BMSR_GIG);
    let config = PhyConfig {
        address: 0,
        delays: RgmiiDelays::Marvell,
        gigabit: true,
    };
    Phy::new(&bus, config).unwrap();
    let writes = bus.writes.borrow();
    assert_eq!(writes[0], (reg::MARVELL_PAGE, 2));
    assert_eq!(writes[1], (reg::MARVELL_MSCR, (1 << 5) | (1 << 4)));
    assert_eq!(writes[2], (reg::MARVELL_PAGE, 0));
    assert_eq!(writes[3].0, reg::BMCR);
    assert_ne!(writes[3].1 & bmcr::RESET, 0);
    drop(writes);
    let other = FakeBus::new(0, 0x0007_c0f1, BMSR_GIG);
    assert_eq!(
        Phy::new(&other, config).unwrap_err(),
        PhyError::NotMarvell(0x0007_c0f1)
    );
}
