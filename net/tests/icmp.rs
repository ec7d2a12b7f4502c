//! The stack answers ICMP echo over IPv4 and ICMPv6 echo over IPv6 (the latter after NDP), and
//! its link-local address answers too.

mod common;

use common::*;
use net::Budget;
use net::smoltcp::phy::ChecksumCapabilities;
use net::smoltcp::socket::icmp;
use net::smoltcp::wire::{
    Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpAddress, Ipv6Address,
};

const IDENT: u16 = 0x22b;

fn icmp_socket(peer: &mut Peer<'_>) -> net::smoltcp::iface::SocketHandle {
    let buffer = || icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 8], vec![0u8; 2048]);
    let mut socket = icmp::Socket::new(buffer(), buffer());
    socket.bind(icmp::Endpoint::Ident(IDENT)).unwrap();
    peer.sockets.add(socket)
}

/// Sends `count` echo requests to `target` and returns the payloads of the replies.
fn ping(target: IpAddress, count: u16) -> Vec<Vec<u8>> {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(8, 2048, 2048));
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    let handle = icmp_socket(&mut peer);
    let caps = ChecksumCapabilities::default();
    let mut replies = Vec::new();
    let mut next_seq = 0u16;
    for _ in 0..5_000 {
        round(&mut stack, &mut peer, &mut clock);
        let socket = peer.sockets.get_mut::<icmp::Socket>(handle);
        if socket.can_send() && next_seq < count {
            let data = format!("ping {next_seq}").into_bytes();
            match target {
                IpAddress::Ipv4(_) => {
                    let repr = Icmpv4Repr::EchoRequest {
                        ident: IDENT,
                        seq_no: next_seq,
                        data: &data,
                    };
                    let buf = socket.send(repr.buffer_len(), target).unwrap();
                    repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &caps);
                }
                IpAddress::Ipv6(dst) => {
                    let repr = Icmpv6Repr::EchoRequest {
                        ident: IDENT,
                        seq_no: next_seq,
                        data: &data,
                    };
                    let src = peer_source(dst);
                    let buf = socket.send(repr.buffer_len(), target).unwrap();
                    repr.emit(&src, &dst, &mut Icmpv6Packet::new_unchecked(buf), &caps);
                }
            }
            next_seq += 1;
        }
        let socket = peer.sockets.get_mut::<icmp::Socket>(handle);
        while socket.can_recv() {
            let (bytes, from) = socket.recv().unwrap();
            assert_eq!(from, target);
            let data = match target {
                IpAddress::Ipv4(_) => {
                    let packet = Icmpv4Packet::new_checked(bytes).unwrap();
                    match Icmpv4Repr::parse(&packet, &caps).unwrap() {
                        Icmpv4Repr::EchoReply { ident, data, .. } => {
                            assert_eq!(ident, IDENT);
                            data.to_vec()
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
                IpAddress::Ipv6(dst) => {
                    let packet = Icmpv6Packet::new_checked(bytes).unwrap();
                    match Icmpv6Repr::parse(&dst, &peer_source(dst), &packet, &caps).unwrap() {
                        Icmpv6Repr::EchoReply { ident, data, .. } => {
                            assert_eq!(ident, IDENT);
                            data.to_vec()
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
            };
            replies.push(data);
        }
        if replies.len() == usize::from(count) {
            break;
        }
    }
    replies
}

/// The peer's address the stack replies to.
fn peer_source(dst: Ipv6Address) -> Ipv6Address {
    if dst.is_unicast_link_local() {
        net::link_local_address(PEER_MAC)
    } else {
        PEER_V6
    }
}

fn expected(count: u16) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("ping {i}").into_bytes())
        .collect()
}

#[test]
fn ipv4_echo_is_answered() {
    assert_eq!(ping(IpAddress::Ipv4(STACK_V4), 5), expected(5));
}

#[test]
fn ipv6_echo_is_answered_after_neighbor_discovery() {
    assert_eq!(ping(IpAddress::Ipv6(STACK_V6), 5), expected(5));
}

#[test]
fn link_local_address_is_derived_from_the_mac() {
    // 02:00:00:00:00:01 -> fe80::ff:fe00:1 (U/L bit flipped to 0, ff:fe inserted).
    assert_eq!(
        net::link_local_address(STACK_MAC),
        Ipv6Address::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 1)
    );
    let wire = TestWire::new();
    let (a, _b) = wire.ends(STACK_MAC, PEER_MAC);
    let stack = stack(a, &static_config(), Budget::fixed(2, 2048, 2048));
    assert!(
        stack
            .ip_addrs()
            .iter()
            .any(|c| c.address() == IpAddress::Ipv6(net::link_local_address(STACK_MAC)))
    );
}
