//! Hand-built frames for injection: SYNs from anywhere, ARP and NDP requests, and the building
//! blocks the robustness tests corrupt.

use net::smoltcp;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv6Packet, Icmpv6Repr, IpAddress, IpProtocol, Ipv4Address, Ipv4Packet,
    Ipv4Repr, Ipv6Address, Ipv6Packet, Ipv6Repr, NdiscRepr, RawHardwareAddress, TcpControl,
    TcpPacket, TcpRepr, TcpSeqNumber,
};

use super::{PEER_MAC, STACK_MAC, STACK_V4, STACK_V6};

pub const ETH_LEN: usize = 14;
pub const IPV4_LEN: usize = 20;
pub const IPV6_LEN: usize = 40;

fn ethernet(buf: &mut [u8], src: EthernetAddress, ethertype: EthernetProtocol) {
    EthernetRepr {
        src_addr: src,
        dst_addr: EthernetAddress(STACK_MAC.0),
        ethertype,
    }
    .emit(&mut EthernetFrame::new_unchecked(buf));
}

/// A TCP segment (`control`, `payload`) from `src:sport` to the stack's IPv4 address.
pub fn tcp_v4(
    src_mac: EthernetAddress,
    src: Ipv4Address,
    sport: u16,
    dport: u16,
    control: TcpControl,
    payload: &[u8],
) -> Vec<u8> {
    let tcp = TcpRepr {
        src_port: sport,
        dst_port: dport,
        control,
        seq_number: TcpSeqNumber(0x1000),
        ack_number: None,
        window_len: 4096,
        window_scale: None,
        max_seg_size: (control == TcpControl::Syn).then_some(1460),
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload,
    };
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: STACK_V4,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; ETH_LEN + IPV4_LEN + tcp.buffer_len()];
    ethernet(&mut buf, src_mac, EthernetProtocol::Ipv4);
    let caps = ChecksumCapabilities::default();
    ip.emit(&mut Ipv4Packet::new_unchecked(&mut buf[ETH_LEN..]), &caps);
    tcp.emit(
        &mut TcpPacket::new_unchecked(&mut buf[ETH_LEN + IPV4_LEN..]),
        &IpAddress::Ipv4(src),
        &IpAddress::Ipv4(STACK_V4),
        &caps,
    );
    buf
}

/// A SYN from a well-formed client at `src:sport` (spoofed or not) to the stack's `dport`.
pub fn syn_v4(src: Ipv4Address, sport: u16, dport: u16) -> Vec<u8> {
    tcp_v4(
        EthernetAddress(PEER_MAC.0),
        src,
        sport,
        dport,
        TcpControl::Syn,
        &[],
    )
}

/// An ARP request "who has the stack's address" from `sender`.
pub fn arp_request(sender_mac: EthernetAddress, sender_ip: Ipv4Address) -> Vec<u8> {
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: sender_mac,
        source_protocol_addr: sender_ip,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: STACK_V4,
    };
    let mut buf = vec![0u8; ETH_LEN + arp.buffer_len()];
    ethernet(&mut buf, sender_mac, EthernetProtocol::Arp);
    arp.emit(&mut ArpPacket::new_unchecked(&mut buf[ETH_LEN..]));
    buf
}

/// An NDP neighbour solicitation for the stack's IPv6 address from `sender`.
pub fn neighbor_solicit(sender_mac: EthernetAddress, sender_ip: Ipv6Address) -> Vec<u8> {
    let icmp = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: STACK_V6,
        lladdr: Some(RawHardwareAddress::from(sender_mac)),
    });
    let ip = Ipv6Repr {
        src_addr: sender_ip,
        dst_addr: STACK_V6,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.buffer_len(),
        hop_limit: 255,
    };
    let mut buf = vec![0u8; ETH_LEN + IPV6_LEN + icmp.buffer_len()];
    ethernet(&mut buf, sender_mac, EthernetProtocol::Ipv6);
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut buf[ETH_LEN..]));
    icmp.emit(
        &sender_ip,
        &STACK_V6,
        &mut Icmpv6Packet::new_unchecked(&mut buf[ETH_LEN + IPV6_LEN..]),
        &ChecksumCapabilities::default(),
    );
    buf
}

/// A unicast MAC address from a number.
pub fn mac(n: u64) -> EthernetAddress {
    let b = n.to_be_bytes();
    EthernetAddress([0x02, b[3], b[4], b[5], b[6], b[7]])
}
