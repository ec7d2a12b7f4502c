//! The Ethernet microcode's message set: two 32-bit words per message, the command in the top
//! byte of word 0 (Linux `struct msg` in `ixp4xx_eth.c`, Intel `IxEthNpe.h` for the IDs).
//!
//! In word terms: word0 = cmd << 24 | eth_id << 16 | byte2 << 8 | byte3,
//! word1 = byte4 << 24 | byte5 << 16 | byte6 << 8 | byte7. Building them as words keeps them
//! identical in BE32 and little-endian builds.

/// A two-word NPE message.
pub type Message = [u32; 2];

/// Message IDs used by the driver.
pub mod id {
    /// Firmware status (also the unsolicited message after start).
    pub const GET_STATUS: u8 = 0x00;
    /// Set the port's MAC address.
    pub const SET_PORT_ADDRESS: u8 = 0x01;
    /// DMA the MIB statistics to an address.
    pub const GET_STATS: u8 = 0x04;
    /// Reset the statistics.
    pub const RESET_STATS: u8 = 0x05;
    /// Map an 802.1p priority to an RX queue.
    pub const SET_RX_QOS_ENTRY: u8 = 0x0B;
    /// Firewall (address filter) mode.
    pub const SET_FIREWALL_MODE: u8 = 0x0E;
    /// MAC loopback on/off.
    pub const SET_LOOPBACK_MODE: u8 = 0x12;
}

/// Logical port ID of NPE-B's Ethernet port (NPE << 4).
pub const PORT_ID_NPE_B: u8 = 0x10;
/// "Physical" ID of NPE-B's port, used by SET_PORT_ADDRESS ((NPE + 2) mod 3).
pub const PHYSICAL_ID_NPE_B: u8 = 0;

/// Builds a message from its eight bytes in order.
pub const fn from_bytes(b: [u8; 8]) -> Message {
    [
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
    ]
}

/// The command byte of a message.
pub const fn command(message: Message) -> u8 {
    (message[0] >> 24) as u8
}

/// VLAN_SETRXQOSENTRY: frames of priority `priority` go to `rx_queue`.
pub const fn rx_qos_entry(priority: u8, rx_queue: u8) -> Message {
    from_bytes([
        id::SET_RX_QOS_ENTRY,
        PORT_ID_NPE_B,
        0,
        priority,
        0,
        rx_queue | 0x80,
        0,
        rx_queue << 4,
    ])
}

/// EDB_SETPORTADDRESS.
pub const fn set_port_address(mac: [u8; 6]) -> Message {
    from_bytes([
        id::SET_PORT_ADDRESS,
        PHYSICAL_ID_NPE_B,
        mac[0],
        mac[1],
        mac[2],
        mac[3],
        mac[4],
        mac[5],
    ])
}

/// FW_SETFIREWALLMODE; mode 0 = firewall off (what Linux sends).
pub const fn set_firewall_mode(mode: u8) -> Message {
    from_bytes([id::SET_FIREWALL_MODE, PORT_ID_NPE_B, 0, mode, 0, 0, 0, 0])
}

/// SETLOOPBACK_MODE.
pub const fn set_loopback(enabled: bool) -> Message {
    from_bytes([
        id::SET_LOOPBACK_MODE,
        PORT_ID_NPE_B,
        0,
        enabled as u8,
        0,
        0,
        0,
        0,
    ])
}

/// GETSTATS: the NPE writes its statistics block to bus address `stats` and then replies.
pub const fn get_stats(stats: u32) -> Message {
    [
        (id::GET_STATS as u32) << 24 | (PORT_ID_NPE_B as u32) << 16,
        stats,
    ]
}

/// RESETSTATS: like GETSTATS, then the NPE zeroes its counters.
pub const fn reset_stats(stats: u32) -> Message {
    [
        (id::RESET_STATS as u32) << 24 | (PORT_ID_NPE_B as u32) << 16,
        stats,
    ]
}
