//! The vexpress firmware on an owned wire (`qemu_tests::wire`): the host is a real IPv4/IPv6
//! peer (smoltcp) on a UDP socket pair on 127.0.0.1, and injects hostile frames QEMU's user
//! network could never deliver.
//!
//! Every test boots its own QEMU (killed by PID when the test ends), and every wait has a
//! deadline. After hostile input each test proves the guest keeps serving: ICMPv4 and ICMPv6
//! echo are answered, a fresh TCP echo connection returns its bytes exactly, and the console shows
//! no `PANIC` or `EXCEPTION` (a panic would also reset the board, which ends QEMU).
//!
//! Drop evidence without firmware counters: the guest handles frames in arrival order and answers
//! an ICMP echo request or a SYN within the same poll, so once the reply to a well-formed
//! *control* frame sent after a batch of bad ones has arrived, every bad frame before it has been
//! processed (or lost in QEMU's receive FIFO). A bad frame that was answered would have its reply
//! before the control's; none may have one.

use std::time::Duration;

use qemu_tests::wire::{
    GUEST_MAC, GUEST_V4, GUEST_V6, HostPeer, PEER_MAC, PEER_V4, PEER_V6, WireGuest,
};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpAddress, IpProtocol,
    Ipv4Address, Ipv4Packet, Ipv4Repr, Ipv6Address, Ipv6Packet, Ipv6Repr, NdiscRepr,
    RawHardwareAddress, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
};

const IO: Duration = Duration::from_secs(20);
const ETH_LEN: usize = 14;
const IPV4_LEN: usize = 20;
const IPV6_LEN: usize = 40;
/// ICMP identifier of injected echo requests (the peer's own pings use others).
const INJECTED_IDENT: u16 = 0xb0b0;

fn boot() -> WireGuest {
    WireGuest::boot_vexpress().expect("vexpress guest on the owned wire")
}

/// A position-dependent test pattern: a lost, duplicated or reordered byte shows.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// A tiny deterministic PRNG (xorshift64*) for random frames and spoofed sources.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The guest answers ICMPv4 and ICMPv6 echo, echoes a fresh 16 KiB TCP connection over IPv4
/// and IPv6 byte-exact, and has reported no fault.
fn assert_still_serving(guest: &mut WireGuest, seq: u16) {
    let peer = &mut guest.peer;
    peer.ping(IpAddress::Ipv4(GUEST_V4), 0x4444, seq, IO)
        .expect("ICMPv4 echo after hostile input");
    peer.ping(IpAddress::Ipv6(GUEST_V6), 0x6666, seq, IO)
        .expect("ICMPv6 echo after hostile input");
    let data = pattern(16 * 1024, u32::from(seq) + 7);
    peer.echo_round_trip((IpAddress::Ipv4(GUEST_V4), 7), &data, IO)
        .expect("TCP echo over IPv4 after hostile input");
    peer.echo_round_trip((IpAddress::Ipv6(GUEST_V6), 7), &data, IO)
        .expect("TCP echo over IPv6 after hostile input");
    guest.check_alive().expect("guest alive");
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

fn ethernet(buf: &mut [u8], src: EthernetAddress, ethertype: EthernetProtocol) {
    EthernetRepr {
        src_addr: src,
        dst_addr: GUEST_MAC,
        ethertype,
    }
    .emit(&mut EthernetFrame::new_unchecked(buf));
}

/// An ICMPv4 echo request from the peer to the guest with `data_len` bytes of payload.
fn echo_v4(seq_no: u16, data_len: usize) -> Vec<u8> {
    let data = pattern(data_len, u32::from(seq_no));
    let icmp = Icmpv4Repr::EchoRequest {
        ident: INJECTED_IDENT,
        seq_no,
        data: &data,
    };
    let ip = Ipv4Repr {
        src_addr: PEER_V4,
        dst_addr: GUEST_V4,
        next_header: IpProtocol::Icmp,
        payload_len: icmp.buffer_len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; ETH_LEN + IPV4_LEN + icmp.buffer_len()];
    ethernet(&mut buf, PEER_MAC, EthernetProtocol::Ipv4);
    let caps = ChecksumCapabilities::default();
    ip.emit(&mut Ipv4Packet::new_unchecked(&mut buf[ETH_LEN..]), &caps);
    icmp.emit(
        &mut Icmpv4Packet::new_unchecked(&mut buf[ETH_LEN + IPV4_LEN..]),
        &caps,
    );
    buf
}

/// An ICMPv6 echo request from the peer to the guest.
fn echo_v6(seq_no: u16, data_len: usize) -> Vec<u8> {
    let data = pattern(data_len, u32::from(seq_no));
    let icmp = Icmpv6Repr::EchoRequest {
        ident: INJECTED_IDENT,
        seq_no,
        data: &data,
    };
    let ip = Ipv6Repr {
        src_addr: PEER_V6,
        dst_addr: GUEST_V6,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.buffer_len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; ETH_LEN + IPV6_LEN + icmp.buffer_len()];
    ethernet(&mut buf, PEER_MAC, EthernetProtocol::Ipv6);
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut buf[ETH_LEN..]));
    icmp.emit(
        &PEER_V6,
        &GUEST_V6,
        &mut Icmpv6Packet::new_unchecked(&mut buf[ETH_LEN + IPV6_LEN..]),
        &ChecksumCapabilities::default(),
    );
    buf
}

/// A SYN from `src_mac`/`src:sport` to the guest's IPv4 `dport`.
fn syn_v4(src_mac: EthernetAddress, src: Ipv4Address, sport: u16, dport: u16) -> Vec<u8> {
    let tcp = TcpRepr {
        src_port: sport,
        dst_port: dport,
        control: TcpControl::Syn,
        seq_number: TcpSeqNumber(0x1000),
        ack_number: None,
        window_len: 4096,
        window_scale: None,
        max_seg_size: Some(1460),
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: &[],
    };
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: GUEST_V4,
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
        &IpAddress::Ipv4(GUEST_V4),
        &caps,
    );
    buf
}

/// An ARP request "who has the guest's address" from `sender`.
fn arp_request(sender_mac: EthernetAddress, sender_ip: Ipv4Address) -> Vec<u8> {
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: sender_mac,
        source_protocol_addr: sender_ip,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: GUEST_V4,
    };
    let mut buf = vec![0u8; ETH_LEN + arp.buffer_len()];
    EthernetRepr {
        src_addr: sender_mac,
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Arp,
    }
    .emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
    arp.emit(&mut ArpPacket::new_unchecked(&mut buf[ETH_LEN..]));
    buf
}

/// An NDP neighbour solicitation for the guest's IPv6 address from `sender`.
fn neighbor_solicit(sender_mac: EthernetAddress, sender_ip: Ipv6Address) -> Vec<u8> {
    let icmp = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: GUEST_V6,
        lladdr: Some(RawHardwareAddress::from(sender_mac)),
    });
    let ip = Ipv6Repr {
        src_addr: sender_ip,
        dst_addr: GUEST_V6,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.buffer_len(),
        hop_limit: 255,
    };
    let mut buf = vec![0u8; ETH_LEN + IPV6_LEN + icmp.buffer_len()];
    ethernet(&mut buf, sender_mac, EthernetProtocol::Ipv6);
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut buf[ETH_LEN..]));
    icmp.emit(
        &sender_ip,
        &GUEST_V6,
        &mut Icmpv6Packet::new_unchecked(&mut buf[ETH_LEN + IPV6_LEN..]),
        &ChecksumCapabilities::default(),
    );
    buf
}

/// A locally administered unicast MAC address from a number.
fn mac(n: u64) -> EthernetAddress {
    let b = n.to_be_bytes();
    EthernetAddress([0x02, b[3], b[4], b[5], b[6], b[7]])
}

fn refill_ipv4_checksum(frame: &mut [u8]) {
    Ipv4Packet::new_unchecked(&mut frame[ETH_LEN..]).fill_checksum();
}

// ---------------------------------------------------------------------------------------------
// What the guest sent back
// ---------------------------------------------------------------------------------------------

/// What a frame from the guest is, as far as these tests care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// An ICMPv4 or ICMPv6 echo reply to one of the injected requests, by sequence number.
    Echo(u16),
    /// A TCP segment to this destination port, and whether it is a SYN-ACK (else RST or other).
    Tcp {
        dport: u16,
        syn_ack: bool,
    },
    /// An ARP reply for the guest's address.
    ArpReply,
    /// An NDP neighbour advertisement.
    NeighborAdvert,
    Other,
}

fn classify(frame: &[u8]) -> Reply {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return Reply::Other;
    };
    let caps = ChecksumCapabilities::default();
    match eth.ethertype() {
        EthernetProtocol::Arp => {
            match ArpPacket::new_checked(eth.payload()).and_then(|p| ArpRepr::parse(&p)) {
                Ok(ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Reply,
                    source_protocol_addr,
                    ..
                }) if source_protocol_addr == GUEST_V4 => Reply::ArpReply,
                _ => Reply::Other,
            }
        }
        EthernetProtocol::Ipv4 => {
            let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
                return Reply::Other;
            };
            match ip.next_header() {
                IpProtocol::Icmp => match Icmpv4Packet::new_checked(ip.payload())
                    .and_then(|p| Icmpv4Repr::parse(&p, &caps))
                {
                    Ok(Icmpv4Repr::EchoReply { ident, seq_no, .. }) if ident == INJECTED_IDENT => {
                        Reply::Echo(seq_no)
                    }
                    _ => Reply::Other,
                },
                IpProtocol::Tcp => tcp_reply(ip.payload()),
                _ => Reply::Other,
            }
        }
        EthernetProtocol::Ipv6 => {
            let Ok(ip) = Ipv6Packet::new_checked(eth.payload()) else {
                return Reply::Other;
            };
            match ip.next_header() {
                IpProtocol::Icmpv6 => match Icmpv6Packet::new_checked(ip.payload())
                    .and_then(|p| Icmpv6Repr::parse(&ip.src_addr(), &ip.dst_addr(), &p, &caps))
                {
                    Ok(Icmpv6Repr::EchoReply { ident, seq_no, .. }) if ident == INJECTED_IDENT => {
                        Reply::Echo(seq_no)
                    }
                    Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { .. })) => {
                        Reply::NeighborAdvert
                    }
                    _ => Reply::Other,
                },
                IpProtocol::Tcp => tcp_reply(ip.payload()),
                _ => Reply::Other,
            }
        }
        _ => Reply::Other,
    }
}

fn tcp_reply(segment: &[u8]) -> Reply {
    match TcpPacket::new_checked(segment) {
        Ok(tcp) => Reply::Tcp {
            dport: tcp.dst_port(),
            syn_ack: tcp.syn() && tcp.ack(),
        },
        Err(_) => Reply::Other,
    }
}

/// Sends `frames` paced in small bursts (QEMU's LAN9118 model holds about 10 KiB of received
/// frames and drops what does not fit), polling the peer in between so it keeps answering the
/// guest's ARP/NDP. Returns how many the socket took.
fn inject_paced(peer: &mut HostPeer, frames: &[Vec<u8>]) -> usize {
    let mut sent = 0;
    for burst in frames.chunks(8) {
        for frame in burst {
            sent += usize::from(peer.inject(frame));
        }
        // Bounded: one short wait per burst.
        let _ = peer.run_until(Duration::from_micros(500), "pacing", |_| None::<()>);
    }
    sent
}

/// Injects `bad` frames (each an echo request or SYN that a correct stack must drop), then
/// well-formed control echo requests until one is answered, and returns every reply seen
/// before the control's. With the tap on, the caller asserts that none answers a bad frame.
fn replies_before_control(peer: &mut HostPeer, bad: &[Vec<u8>], control_seq: u16) -> Vec<Reply> {
    peer.start_tap();
    peer.take_tapped();
    let sent = inject_paced(peer, bad);
    assert_eq!(sent, bad.len(), "the wire refused injected frames");
    let mut seen = Vec::new();
    // The control may itself be lost in QEMU's FIFO after a burst: resend it a few times.
    for attempt in 0..10u16 {
        let control = echo_v4(control_seq.wrapping_add(attempt), 32);
        assert!(peer.inject(&control));
        let answered = peer.run_until(Duration::from_secs(2), "control echo reply", |peer| {
            for frame in peer.take_tapped() {
                match classify(&frame) {
                    Reply::Echo(seq) if seq == control_seq.wrapping_add(attempt) => {
                        return Some(());
                    }
                    Reply::Other | Reply::ArpReply | Reply::NeighborAdvert => {}
                    reply => seen.push(reply),
                }
            }
            None
        });
        if answered.is_ok() {
            return seen;
        }
    }
    panic!("the guest never answered the control echo request; replies seen: {seen:?}");
}

// ---------------------------------------------------------------------------------------------
// The peer as a real IPv4/IPv6 host
// ---------------------------------------------------------------------------------------------

#[test]
fn icmpv4_echo_is_answered() {
    let mut guest = boot();
    for seq in 0..5 {
        guest
            .peer
            .ping(IpAddress::Ipv4(GUEST_V4), 0x0404, seq, IO)
            .unwrap_or_else(|e| panic!("ping {seq}: {e:#}"));
    }
    guest.check_alive().unwrap();
}

#[test]
fn icmpv6_echo_is_answered() {
    let mut guest = boot();
    for seq in 0..5 {
        guest
            .peer
            .ping(IpAddress::Ipv6(GUEST_V6), 0x0606, seq, IO)
            .unwrap_or_else(|e| panic!("ping6 {seq}: {e:#}"));
    }
    guest.check_alive().unwrap();
}

#[test]
fn tcp_echo_over_ipv6_returns_256_kib_byte_exact() {
    let mut guest = boot();
    let data = pattern(256 * 1024, 0x0600_0006);
    guest
        .peer
        .echo_round_trip(
            (IpAddress::Ipv6(GUEST_V6), 7),
            &data,
            Duration::from_secs(60),
        )
        .unwrap();
    guest.check_alive().unwrap();
}

#[test]
fn full_size_frames_are_answered_at_the_mtu_boundary() {
    // The positive control for the oversize test: a 1514-byte frame (1500-byte IP packet) is
    // legal and answered, over IPv4 and IPv6.
    let mut guest = boot();
    let v4 = echo_v4(1, 1500 - IPV4_LEN - 8);
    let v6 = echo_v6(2, 1500 - IPV6_LEN - 8);
    assert_eq!((v4.len(), v6.len()), (1514, 1514));
    guest.peer.start_tap();
    // The guest must know the peer's MAC to answer: a ping teaches it.
    guest
        .peer
        .ping(IpAddress::Ipv4(GUEST_V4), 1, 1, IO)
        .unwrap();
    guest
        .peer
        .ping(IpAddress::Ipv6(GUEST_V6), 1, 1, IO)
        .unwrap();
    guest.peer.take_tapped();
    let mut answered = [false; 2];
    for _ in 0..10 {
        guest.peer.inject(&v4);
        guest.peer.inject(&v6);
        let _ = guest
            .peer
            .run_until(Duration::from_secs(1), "full-size echo replies", |peer| {
                for frame in peer.take_tapped() {
                    if let Reply::Echo(seq @ 1..=2) = classify(&frame) {
                        answered[usize::from(seq - 1)] = true;
                    }
                }
                (answered == [true; 2]).then_some(())
            });
        if answered == [true; 2] {
            break;
        }
    }
    assert_eq!(
        answered, [true; 2],
        "full-size echo requests (v4, v6) answered"
    );
    guest.check_alive().unwrap();
}
