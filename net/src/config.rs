//! [`StackConfig`]: addressing and tuning, as the firmware's configuration provides them.

use alloc::vec::Vec;

use smoltcp::time::Duration;
use smoltcp::wire::{Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr};

/// How the interface gets its IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ipv4Mode {
    /// No IPv4 at all.
    Disabled,
    /// A fixed address and prefix, and optionally a default gateway.
    Static {
        /// Address and prefix length, e.g. 10.0.2.15/24.
        address: Ipv4Cidr,
        /// Default route, if any.
        gateway: Option<Ipv4Address>,
    },
    /// Ask a DHCPv4 server; the lease's address and router are applied as they come and go
    /// (reported in [`PollOutcome::dhcp`](crate::PollOutcome::dhcp)).
    Dhcp,
}

/// IPv6 addressing. NDP (neighbour solicitation and advertisement) is always on when any IPv6
/// address is configured; router advertisements are not acted on (no SLAAC): addresses and the
/// gateway are static.
///
/// Under QEMU user networking (slirp) the guest network is `fec0::/64` by default, the host is
/// `fec0::2` (connections to it reach the host's loopback services, like 10.0.2.2 for IPv4) and
/// the DNS proxy `fec0::3` (qemu-system(1), `ipv6-net`, `ipv6-host`, `ipv6-dns`). A static
/// `fec0::15/64` with gateway `fec0::2` should fit, with slirp resolving the guest's address by
/// NDP, which the stack answers. (Addresses from the man page; slirp's side is not yet verified
/// under QEMU: slirp also sends router advertisements for the prefix, which the stack ignores.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Config {
    /// Global or unique-local addresses; at most [`MAX_IPV6_ADDRESSES`] are used, extra ones
    /// are reported by [`Stack::new`](crate::Stack::new) as an error.
    pub addresses: Vec<Ipv6Cidr>,
    /// Default route. May be a link-local router address.
    pub gateway: Option<Ipv6Address>,
    /// Also configure the EUI-64 link-local address fe80::/64 derived from the MAC (needed to
    /// talk to routers that only use link-local addresses). Only used when `addresses` is not
    /// empty or `gateway` is set.
    pub link_local: bool,
}

impl Default for Ipv6Config {
    /// No IPv6 addresses (IPv6 off); the link-local address is added once addresses are.
    fn default() -> Self {
        Ipv6Config {
            addresses: Vec::new(),
            gateway: None,
            link_local: true,
        }
    }
}

/// At most this many static IPv6 addresses (smoltcp's address table holds four: IPv4, IPv6
/// link-local and these).
pub const MAX_IPV6_ADDRESSES: usize = 2;

/// Per-socket TCP behaviour, applied to every socket the stack hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpTuning {
    /// Nagle's algorithm. Off by default: a proxy forwards what it has at once, and Nagle plus
    /// the peer's delayed ACK costs a round trip on every small response.
    pub nagle: bool,
    /// How long an ACK may wait for data to ride on. Short by default: long enough for a
    /// response produced in the same main-loop turn to carry the ACK, short enough that a bulk
    /// sender limited by our small window is not slowed down.
    pub ack_delay: Option<Duration>,
    /// Abort a connection whose peer has been silent this long while we wait for an ACK
    /// (smoltcp's `set_timeout`). `None`: never.
    pub timeout: Option<Duration>,
    /// Send keep-alive probes after this much idle time. `None`: never.
    pub keep_alive: Option<Duration>,
}

impl Default for TcpTuning {
    fn default() -> Self {
        TcpTuning {
            nagle: false,
            ack_delay: Some(Duration::from_millis(1)),
            timeout: Some(Duration::from_secs(120)),
            keep_alive: None,
        }
    }
}

/// Everything [`Stack::new`](crate::Stack::new) needs besides the NIC and the [`Budget`](crate::Budget).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackConfig {
    /// IPv4 addressing.
    pub ipv4: Ipv4Mode,
    /// IPv6 addressing.
    pub ipv6: Ipv6Config,
    /// Seeds TCP initial sequence numbers, ephemeral ports and DHCP transaction ids. Must differ
    /// on every boot (a free-running timer read at boot, a hardware RNG).
    pub random_seed: u64,
    /// Socket options.
    pub tcp: TcpTuning,
    /// Most frames one [`Stack::poll`](crate::Stack::poll) takes from the NIC before it returns,
    /// so a flood cannot starve the rest of the main loop.
    pub max_frames_per_poll: usize,
    /// Most egress passes one poll makes. smoltcp sends at most one segment per socket per
    /// pass (and walks every socket each time), so this bounds both the frames a single busy
    /// socket sends per poll and the time spent walking sockets.
    pub max_egress_passes: usize,
    /// A connection that has not completed its handshake this long after its SYN arrived is
    /// aborted and its socket re-listens (SYN-flood relief).
    pub handshake_timeout: Duration,
    /// A socket the application closed is forcibly aborted if the peer has not finished the
    /// close this long afterwards (a peer that never sends its FIN would otherwise hold it).
    pub close_linger: Duration,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            ipv4: Ipv4Mode::Dhcp,
            ipv6: Ipv6Config::default(),
            random_seed: 0,
            tcp: TcpTuning::default(),
            max_frames_per_poll: 64,
            max_egress_passes: 32,
            handshake_timeout: Duration::from_secs(5),
            close_linger: Duration::from_secs(30),
        }
    }
}
