//! Hostile input: crafted bad frames are dropped and counted by kind, random frames never panic,
//! ARP and NDP floods are absorbed; the stack keeps serving afterwards.

mod common;

use common::frames::*;
use common::*;
use net::Budget;
use net::diag::{DiagConfig, DiagServices};
use net::smoltcp::wire::{Ipv4Address, Ipv4Packet, Ipv6Address};
use nic::Nic;

type TestStack<'w> = net::Stack<End<'w>>;

fn echo_config() -> DiagConfig {
    DiagConfig {
        echo: Some(7),
        discard: None,
        chargen: None,
        backlog: 4,
        max_connections: 8,
        chunk: 2048,
    }
}

/// Injects `frames`, polling the stack (and letting the peer drain replies) whenever the wire
/// is full. Returns how many went in.
fn inject_all(
    stack: &mut TestStack<'_>,
    peer: &mut Peer<'_>,
    clock: &mut Clock,
    frames: impl IntoIterator<Item = Vec<u8>>,
) -> u64 {
    let mut injected = 0;
    for frame in frames {
        let mut tries = 0;
        while !peer.inject(&frame) {
            tries += 1;
            assert!(tries < 100, "wire never drained");
            round(stack, peer, clock);
        }
        injected += 1;
    }
    for _ in 0..10 {
        round(stack, peer, clock);
    }
    injected
}

/// A 16 KiB echo exchange on a fresh connection from `local_port`: the stack still serves.
fn echo_still_works(
    stack: &mut TestStack<'_>,
    diag: &mut DiagServices,
    peer: &mut Peer<'_>,
    clock: &mut Clock,
    local_port: u16,
) {
    let client = peer.connect((STACK_V4, 7), local_port, 8192);
    const TOTAL: usize = 16 * 1024;
    let (mut sent, mut received) = (0, 0);
    let mut buf = vec![0u8; 2048];
    for _ in 0..20_000 {
        round(stack, peer, clock);
        diag.poll(stack);
        let c = peer.tcp(client);
        if c.can_send() && sent < TOTAL {
            let n = (TOTAL - sent).min(buf.len());
            let chunk: Vec<u8> = (sent..sent + n).map(pattern).collect();
            sent += c.send_slice(&chunk).unwrap();
        }
        while c.can_recv() {
            let n = c.recv_slice(&mut buf).unwrap();
            for (k, b) in buf[..n].iter().enumerate() {
                assert_eq!(*b, pattern(received + k));
            }
            received += n;
        }
        if received == TOTAL {
            c.close();
            return;
        }
    }
    panic!("echo stalled at {received}/{TOTAL} after hostile input");
}

fn setup(wire: &TestWire) -> (TestStack<'_>, Peer<'_>) {
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    (
        stack(a, &static_config(), Budget::fixed(16, 8192, 8192)),
        Peer::new(b),
    )
}

fn fix_ipv4_checksum(frame: &mut [u8]) {
    Ipv4Packet::new_unchecked(&mut frame[ETH_LEN..]).fill_checksum();
}

#[test]
fn crafted_bad_frames_are_dropped_and_counted_by_kind() {
    let wire = TestWire::new();
    let (mut stack, mut peer) = setup(&wire);
    let mut diag = DiagServices::start(&mut stack, &echo_config()).unwrap();
    let mut clock = Clock::new();
    let good = syn_v4(PEER_V4, 1000, 7);
    let ns = neighbor_solicit(mac(5), Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 5));
    let with = |base: &Vec<u8>, edit: &dyn Fn(&mut Vec<u8>)| {
        let mut f = base.clone();
        edit(&mut f);
        f
    };
    const TCP: usize = ETH_LEN + IPV4_LEN;

    let malformed = vec![
        good[..ETH_LEN + 10].to_vec(), // IPv4 header cut short
        with(&good, &|f| {
            f[16..18].copy_from_slice(&1000u16.to_be_bytes())
        }), // total length past the frame
        with(&good, &|f| f[ETH_LEN] = 0x43), // IHL 3
        with(&good, &|f| f[ETH_LEN] = 0x65), // version 6 in an IPv4 frame
        with(&good, &|f| f[TCP + 12] = 0xf0), // TCP data offset 60 > segment
        with(&ns, &|f| {
            f[ETH_LEN + 4..ETH_LEN + 6].copy_from_slice(&[0xff, 0xff])
        }), // IPv6 length
        good[..ETH_LEN].to_vec(),      // Ethernet header only
        with(&good, &|f| {
            f[ETH_LEN + 9] = 17; // UDP whose length field (from the TCP sequence number) is 0
            fix_ipv4_checksum(f);
        }),
    ];
    let bad_checksum = vec![
        with(&good, &|f| f[ETH_LEN + 10] ^= 0xff), // IPv4 header checksum
        with(&good, &|f| f[TCP + 16] ^= 0xff),     // TCP checksum
        with(&good, &|f| {
            f[ETH_LEN + 9] = 1; // ICMPv4 whose checksum is really a TCP header's bytes
            fix_ipv4_checksum(f);
        }),
        with(&ns, &|f| f[ETH_LEN + IPV6_LEN + 2] ^= 0xff), // ICMPv6 checksum
    ];
    let unsupported = vec![
        with(&good, &|f| f[12..14].copy_from_slice(&[0x88, 0xcc])), // LLDP
        with(&good, &|f| {
            f[ETH_LEN + 6] |= 0x20; // more fragments
            fix_ipv4_checksum(f);
        }),
        with(&ns, &|f| f[ETH_LEN + 6] = 0), // IPv6 hop-by-hop header first
    ];
    let (m, b, u) = (malformed.len(), bad_checksum.len(), unsupported.len());
    let injected = inject_all(
        &mut stack,
        &mut peer,
        &mut clock,
        malformed.into_iter().chain(bad_checksum).chain(unsupported),
    );
    let g = stack.stats().gate;
    // Everything the peer end sent (injected frames and the peer stack's own replies) was seen.
    assert_eq!(g.frames_in, peer.dev.nic_mut().stats().tx_frames);
    assert!(g.frames_in >= injected);
    assert_eq!(g.malformed, m as u64, "{g:?}");
    assert_eq!(g.bad_checksum, b as u64, "{g:?}");
    assert_eq!(g.unsupported, u as u64, "{g:?}");
    assert_eq!(g.syns_gated, 0);
    // No corrupted SYN reached smoltcp: nothing left LISTEN.
    assert_eq!(stack.stats().pool.accepted, 0);
    assert_eq!(stack.stats().sockets.pending, 0);

    // The unmodified frames pass the gate.
    let before = stack.stats().gate;
    inject_all(
        &mut stack,
        &mut peer,
        &mut clock,
        [good.clone(), ns.clone()],
    );
    let after = stack.stats().gate;
    assert!(after.frames_in >= before.frames_in + 2);
    assert_eq!(
        after.malformed + after.bad_checksum + after.unsupported,
        before.malformed + before.bad_checksum + before.unsupported
    );
    echo_still_works(&mut stack, &mut diag, &mut peer, &mut clock, 45_000);
}

#[test]
fn random_frames_never_panic_and_are_all_accounted_for() {
    let wire = TestWire::new();
    let (mut stack, mut peer) = setup(&wire);
    let mut diag = DiagServices::start(&mut stack, &echo_config()).unwrap();
    let mut clock = Clock::new();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    const FRAMES: usize = 20_000;
    let frames = (0..FRAMES).map(|_| {
        let len = 14 + rng.below(1501) as usize;
        let mut f: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Mostly addressed to the stack and with a plausible EtherType, so the random bytes
        // reach the IP and transport parsers instead of dying at the first check.
        if rng.below(8) != 0 {
            f[..6].copy_from_slice(&STACK_MAC.0);
        }
        let kind = rng.below(5);
        let ethertype: [u8; 2] = match kind {
            0 | 1 => [0x08, 0x00],
            2 => [0x86, 0xdd],
            3 => [0x08, 0x06],
            _ => [f[12], f[13]],
        };
        f[12..14].copy_from_slice(&ethertype);
        if kind <= 2 && len > ETH_LEN + IPV6_LEN && rng.below(2) == 0 {
            let ip_len = (len - ETH_LEN) as u16;
            let proto = [6u8, 17, 1, 58, 0][rng.below(5) as usize];
            if kind == 2 {
                f[ETH_LEN] = 0x60;
                f[ETH_LEN + 4..ETH_LEN + 6].copy_from_slice(&(ip_len - 40).to_be_bytes());
                f[ETH_LEN + 6] = proto;
            } else {
                f[ETH_LEN] = 0x45;
                f[ETH_LEN + 2..ETH_LEN + 4].copy_from_slice(&ip_len.to_be_bytes());
                f[ETH_LEN + 6] &= 0x40; // not a fragment
                f[ETH_LEN + 7] = 0;
                f[ETH_LEN + 9] = proto;
                f[ETH_LEN + 12..ETH_LEN + 16].copy_from_slice(&PEER_V4.octets());
                f[ETH_LEN + 16..ETH_LEN + 20].copy_from_slice(&STACK_V4.octets());
                if rng.below(2) == 0 {
                    fix_ipv4_checksum(&mut f);
                }
            }
        }
        f
    });
    let frames: Vec<Vec<u8>> = frames.collect();
    let injected = inject_all(&mut stack, &mut peer, &mut clock, frames);
    let g = stack.stats().gate;
    assert_eq!(
        g.frames_in,
        peer.dev.nic_mut().stats().tx_frames,
        "every frame was seen exactly once"
    );
    let dropped = g.malformed + g.bad_checksum + g.unsupported + g.not_for_us;
    assert!(
        dropped > injected / 2,
        "random frames are mostly rejected: {g:?}"
    );
    assert!(
        g.malformed > 0 && g.bad_checksum > 0 && g.unsupported > 0,
        "{g:?}"
    );
    // About one in eight went to a random (mostly unicast) MAC address.
    assert!(g.not_for_us > 0, "{g:?}");
    echo_still_works(&mut stack, &mut diag, &mut peer, &mut clock, 45_001);
}

#[test]
fn arp_and_ndp_floods_are_answered_and_do_not_stop_service() {
    let wire = TestWire::new();
    let (mut stack, mut peer) = setup(&wire);
    let mut diag = DiagServices::start(&mut stack, &echo_config()).unwrap();
    let mut clock = Clock::new();
    const EACH: u64 = 3000;
    let arp = (0..EACH).map(|i| {
        arp_request(
            mac(1000 + i),
            Ipv4Address::new(192, 168, 69, 3 + (i % 250) as u8),
        )
    });
    let ndp = (0..EACH).map(|i| {
        neighbor_solicit(
            mac(100_000 + i),
            Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, (i >> 16) as u16, i as u16 | 0x100),
        )
    });
    let injected = inject_all(&mut stack, &mut peer, &mut clock, arp.chain(ndp));
    let stats = stack.stats();
    assert!(stats.gate.frames_in >= injected);
    assert_eq!(
        stats.gate.malformed + stats.gate.bad_checksum + stats.gate.unsupported,
        0
    );
    // Each request is answered (ARP reply or neighbour advertisement).
    assert!(stats.gate.frames_out >= 2 * EACH, "{:?}", stats.gate);
    echo_still_works(&mut stack, &mut diag, &mut peer, &mut clock, 45_002);
}

#[test]
fn a_flood_is_taken_in_bounded_slices() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut config = static_config();
    config.max_frames_per_poll = 5;
    let mut stack = stack(a, &config, Budget::fixed(8, 2048, 2048));
    let mut peer = Peer::new(b);
    // Fill the wire (DEPTH frames) with junk nobody answers.
    let junk = {
        let mut f = syn_v4(PEER_V4, 1, 7);
        f[12..14].copy_from_slice(&[0x88, 0xcc]);
        f
    };
    let mut queued = 0;
    while peer.inject(&junk) {
        queued += 1;
        assert!(queued <= DEPTH);
    }
    assert_eq!(queued, DEPTH);
    let now = net::smoltcp::time::Instant::from_millis(2_000);
    let mut polls = 0;
    let mut taken = 0;
    loop {
        polls += 1;
        assert!(polls <= DEPTH, "each poll must make progress");
        let outcome = stack.poll(now);
        assert!(outcome.frames_in <= 5);
        taken += outcome.frames_in;
        if !outcome.more_pending {
            break;
        }
        // While frames wait, the main loop is told not to sleep.
        assert_eq!(
            stack.poll_delay(now),
            Some(net::smoltcp::time::Duration::ZERO)
        );
    }
    assert_eq!(taken, DEPTH);
    assert_eq!(polls, DEPTH.div_ceil(5));
    let stats = stack.stats();
    assert_eq!(stats.gate.unsupported, DEPTH as u64);
    assert_eq!(stats.polls_saturated, (DEPTH / 5) as u64);
}
