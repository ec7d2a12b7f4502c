//! DHCPv4: a scripted server on the peer (DISCOVER -> OFFER, REQUEST -> ACK) leases an address;
//! the stack applies address and default route, serves TCP on the leased address, and drops
//! the address when the lease runs out.

mod common;

use common::*;
use net::diag::{DiagConfig, DiagServices};
use net::smoltcp::iface::SocketHandle;
use net::smoltcp::socket::udp;
use net::smoltcp::time::Duration;
use net::smoltcp::wire::{
    DhcpMessageType, DhcpPacket, DhcpRepr, IpAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv4Cidr,
};
use net::{Budget, DhcpChange, DhcpState, Ipv4Mode, Ipv6Config, StackConfig};

const LEASED: Ipv4Address = Ipv4Address::new(192, 168, 69, 50);
const ROUTER: Ipv4Address = Ipv4Address::new(192, 168, 69, 254);
const DNS: Ipv4Address = Ipv4Address::new(192, 168, 69, 53);
const LEASE_SECS: u32 = 120;

/// The scripted server: answers what it is sent while `enabled`, counts what it answered.
struct DhcpServer {
    socket: SocketHandle,
    enabled: bool,
    offers: usize,
    acks: usize,
}

impl DhcpServer {
    fn new(peer: &mut Peer<'_>) -> Self {
        let buffer =
            || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 4], vec![0u8; 4096]);
        let mut socket = udp::Socket::new(buffer(), buffer());
        socket.bind(67).unwrap();
        DhcpServer {
            socket: peer.sockets.add(socket),
            enabled: true,
            offers: 0,
            acks: 0,
        }
    }

    fn serve(&mut self, peer: &mut Peer<'_>) {
        let socket = peer.sockets.get_mut::<udp::Socket>(self.socket);
        while socket.can_recv() {
            let (request, _meta) = socket.recv().unwrap();
            if !self.enabled {
                continue;
            }
            let packet = DhcpPacket::new_checked(request).expect("client sends valid DHCP");
            let request = DhcpRepr::parse(&packet).expect("client sends valid DHCP");
            let reply_type = match request.message_type {
                DhcpMessageType::Discover => DhcpMessageType::Offer,
                DhcpMessageType::Request => DhcpMessageType::Ack,
                _ => continue,
            };
            let mut dns = heapless::Vec::new();
            dns.push(DNS).unwrap();
            let reply = DhcpRepr {
                message_type: reply_type,
                transaction_id: request.transaction_id,
                secs: 0,
                client_hardware_address: request.client_hardware_address,
                client_ip: Ipv4Address::UNSPECIFIED,
                your_ip: LEASED,
                server_ip: PEER_V4,
                router: Some(ROUTER),
                subnet_mask: Some(Ipv4Address::new(255, 255, 255, 0)),
                relay_agent_ip: Ipv4Address::UNSPECIFIED,
                broadcast: false,
                requested_ip: None,
                client_identifier: None,
                server_identifier: Some(PEER_V4),
                parameter_request_list: None,
                dns_servers: Some(dns),
                max_size: None,
                lease_duration: Some(LEASE_SECS),
                renew_duration: None,
                rebind_duration: None,
                additional_options: &[],
            };
            let mut bytes = vec![0u8; reply.buffer_len()];
            reply
                .emit(&mut DhcpPacket::new_unchecked(&mut bytes[..]))
                .unwrap();
            let to = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::BROADCAST), 68);
            socket.send_slice(&bytes, to).unwrap();
            match reply_type {
                DhcpMessageType::Offer => self.offers += 1,
                _ => self.acks += 1,
            }
        }
    }
}

fn dhcp_config() -> StackConfig {
    StackConfig {
        ipv4: Ipv4Mode::Dhcp,
        ipv6: Ipv6Config::default(),
        random_seed: 42,
        ..StackConfig::default()
    }
}

#[test]
fn lease_is_applied_served_on_and_dropped_when_it_expires() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &dhcp_config(), Budget::fixed(8, 4096, 4096));
    let mut diag = DiagServices::start(
        &mut stack,
        &DiagConfig {
            echo: Some(7),
            discard: None,
            chargen: None,
            backlog: 2,
            max_connections: 2,
            chunk: 1024,
        },
    )
    .unwrap();
    let mut peer = Peer::new(b);
    let mut server = DhcpServer::new(&mut peer);
    let mut clock = Clock::new();
    clock.step = Duration::from_millis(10);
    assert_eq!(stack.dhcp_state(), DhcpState::Searching);
    assert!(stack.ip_addrs().is_empty());

    // Discover, offer, request, ack.
    let mut bound = None;
    for _ in 0..2_000 {
        let now = clock.tick();
        let outcome = stack.poll(now);
        if let Some(change) = outcome.dhcp {
            bound = Some(change);
            break;
        }
        peer.poll(now);
        server.serve(&mut peer);
        peer.poll(now);
    }
    assert_eq!(
        bound,
        Some(DhcpChange::Bound {
            address: Ipv4Cidr::new(LEASED, 24),
            router: Some(ROUTER),
            dns: Some(DNS),
        })
    );
    assert_eq!((server.offers, server.acks), (1, 1));
    assert_eq!(
        stack.dhcp_state(),
        DhcpState::Bound {
            address: Ipv4Cidr::new(LEASED, 24),
            router: Some(ROUTER)
        }
    );
    assert_eq!(stack.ip_addrs(), &[IpCidr::Ipv4(Ipv4Cidr::new(LEASED, 24))]);
    let mut has_default_route = false;
    stack.interface_mut().routes_mut().update(|table| {
        has_default_route = table
            .iter()
            .any(|r| r.via_router == IpAddress::Ipv4(ROUTER) && r.cidr.prefix_len() == 0);
    });
    assert!(has_default_route);

    // The leased address serves TCP.
    let client = peer.connect((LEASED, 7), 47_000, 4096);
    let mut echoed = Vec::new();
    for _ in 0..2_000 {
        round(&mut stack, &mut peer, &mut clock);
        diag.poll(&mut stack);
        let c = peer.tcp(client);
        if c.can_send() && echoed.is_empty() && c.send_queue() == 0 {
            c.send_slice(b"leased").unwrap();
        }
        if c.can_recv() {
            let mut buf = [0u8; 16];
            let n = c.recv_slice(&mut buf).unwrap();
            echoed.extend_from_slice(&buf[..n]);
        }
        if echoed.len() >= 6 {
            break;
        }
    }
    assert_eq!(echoed, b"leased");
    peer.tcp(client).abort();

    // The server goes silent: renewals fail, the lease expires, the address goes away.
    server.enabled = false;
    clock.step = Duration::from_millis(200);
    let mut lost = false;
    for _ in 0..5_000 {
        let now = clock.tick();
        let outcome = stack.poll(now);
        peer.poll(now);
        server.serve(&mut peer);
        if outcome.dhcp == Some(DhcpChange::Lost) {
            lost = true;
            break;
        }
    }
    assert!(lost, "lease never expired");
    assert_eq!(stack.dhcp_state(), DhcpState::Searching);
    assert!(stack.ip_addrs().is_empty());
    assert!(clock.now.total_millis() >= i64::from(LEASE_SECS) * 1000);
}
