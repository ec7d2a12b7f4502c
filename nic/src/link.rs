//! Station address and link state.

use core::fmt;

/// A 48-bit IEEE 802 MAC address, in transmission order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddress(pub [u8; 6]);

impl MacAddress {
    /// Whether this is an individual (unicast) address: the I/G bit of the first octet is 0.
    pub const fn is_unicast(&self) -> bool {
        self.0[0] & 1 == 0
    }

    /// Whether this is usable as a station address: unicast and not all zeros.
    pub const fn is_valid_station(&self) -> bool {
        let a = self.0;
        self.is_unicast() && (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) != 0
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            a[0], a[1], a[2], a[3], a[4], a[5]
        )
    }
}

/// Line rate once the link is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// 10BASE-T.
    Mbps10,
    /// 100BASE-TX.
    Mbps100,
    /// 1000BASE-T.
    Mbps1000,
    /// The PHY did not say (e.g. an in-memory NIC).
    Unknown,
}

/// Duplex once the link is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplex {
    /// Half duplex (CSMA/CD).
    Half,
    /// Full duplex.
    Full,
    /// The PHY did not say.
    Unknown,
}

/// Whether frames can flow, and at what rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// No carrier, or autonegotiation not complete.
    Down,
    /// Link established.
    Up {
        /// Negotiated or forced speed.
        speed: Speed,
        /// Negotiated or forced duplex.
        duplex: Duplex,
    },
}

impl LinkState {
    /// Whether the link is up.
    pub const fn is_up(&self) -> bool {
        matches!(self, LinkState::Up { .. })
    }
}
