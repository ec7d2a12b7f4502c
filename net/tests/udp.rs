//! Fire-and-forget UDP (the proxy's syslog): datagrams reach a peer socket from the fixed port.

mod common;

use common::*;
use net::Budget;
use net::smoltcp::socket::udp;
use net::smoltcp::wire::IpAddress;

#[test]
fn datagrams_reach_the_peer_from_the_fixed_source_port() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(4, 2048, 2048));
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    let buffer = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 8], vec![0u8; 4096]);
    let mut socket = udp::Socket::new(buffer(), buffer());
    socket.bind(514).unwrap();
    let sink = peer.sockets.add(socket);

    let to = core::net::SocketAddr::new(core::net::IpAddr::V4(PEER_V4), 514);
    for i in 0..3 {
        assert!(stack.send_datagram(to, format!("<134>message {i}").as_bytes()));
    }
    let mut got = Vec::new();
    for _ in 0..200 {
        round(&mut stack, &mut peer, &mut clock);
        let s = peer.sockets.get_mut::<udp::Socket>(sink);
        while let Ok((data, meta)) = s.recv() {
            assert_eq!(meta.endpoint.addr, IpAddress::Ipv4(STACK_V4));
            assert_eq!(meta.endpoint.port, net::DATAGRAM_SOURCE_PORT);
            got.push(String::from_utf8(data.to_vec()).unwrap());
        }
        if got.len() == 3 {
            break;
        }
    }
    assert_eq!(got, ["<134>message 0", "<134>message 1", "<134>message 2"]);
    // One UDP socket serves all datagrams; an oversized one is refused, not a panic.
    assert!(!stack.send_datagram(to, &vec![0u8; 64 * 1024]));
}
