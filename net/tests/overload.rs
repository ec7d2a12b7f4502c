//! Accept behaviour under overload: clients beyond capacity are made to retry (their SYNs are
//! dropped, never reset) and get in once capacity frees; a spoofed SYN flood is survived.

mod common;

use common::frames::syn_v4;
use common::*;
use net::Budget;
use net::smoltcp::socket::tcp::State;
use net::smoltcp::time::Duration;
use net::smoltcp::wire::{IpAddress, Ipv4Address};

/// 30 clients against 12 sockets at `server`: the first 12 fill the stack, the rest are kept
/// waiting (never reset) and get in as the application serves and closes connections.
fn clients_beyond_capacity_retry(server: IpAddress) {
    const SOCKETS: usize = 12;
    const CLIENTS: usize = 30;
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(SOCKETS, 2048, 2048));
    let listener = stack.listen(7, 4).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    clock.step = Duration::from_millis(10);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| peer.connect((server, 7), 30_000 + i as u16, 2048))
        .collect();

    // Phase 1: nobody accepts. Every socket fills up with an established connection waiting in
    // the accept queue; the remaining clients must be left waiting in SYN-SENT, not reset.
    for _ in 0..300 {
        round(&mut stack, &mut peer, &mut clock);
        for &h in &clients {
            assert_ne!(peer.tcp(h).state(), State::Closed, "a client was reset");
        }
    }
    let established = clients
        .iter()
        .filter(|&&h| peer.tcp(h).state() == State::Established)
        .count();
    assert_eq!(established, SOCKETS, "capacity is fully used");
    let waiting = clients
        .iter()
        .filter(|&&h| peer.tcp(h).state() == State::SynSent)
        .count();
    assert_eq!(waiting, CLIENTS - SOCKETS);
    let stats = stack.stats();
    assert!(stats.gate.syns_gated > 0, "{:?}", stats.gate);
    assert_eq!(stats.sockets.pending, SOCKETS);
    assert_eq!(stack.pending_accepts(listener), SOCKETS);

    // Phase 2: the application serves connections one at a time (accept, answer, close). Freed
    // sockets re-arm the pool, and the waiting clients' retransmitted SYNs get in.
    let mut served = vec![false; CLIENTS];
    let mut rounds = 0;
    while served.iter().any(|s| !s) {
        rounds += 1;
        assert!(rounds < 30_000, "clients still waiting: {served:?}");
        round(&mut stack, &mut peer, &mut clock);
        if let Some(conn) = stack.accept(listener) {
            let s = stack.socket(conn).unwrap();
            let port = s.remote_endpoint().unwrap().port;
            s.send_slice(&port.to_be_bytes()).unwrap();
            assert!(stack.close(conn));
        }
        for (i, &h) in clients.iter().enumerate() {
            let c = peer.tcp(h);
            assert_ne!(
                (c.state(), served[i]),
                (State::Closed, false),
                "client {i} was reset before being served"
            );
            if c.can_recv() {
                let mut buf = [0u8; 2];
                assert_eq!(c.recv_slice(&mut buf).unwrap(), 2);
                assert_eq!(u16::from_be_bytes(buf), 30_000 + i as u16);
                served[i] = true;
            }
            if served[i] && c.state() == State::CloseWait {
                c.close();
            }
        }
    }
    let stats = stack.stats();
    assert_eq!(stats.pool.accepted, CLIENTS as u64);
    assert_eq!(stats.pool.reset_before_accept, 0);
}

#[test]
fn clients_beyond_capacity_retry_and_get_in_once_sockets_free_ipv4() {
    clients_beyond_capacity_retry(IpAddress::Ipv4(STACK_V4));
}

#[test]
fn clients_beyond_capacity_retry_and_get_in_once_sockets_free_ipv6() {
    clients_beyond_capacity_retry(IpAddress::Ipv6(STACK_V6));
}

#[test]
fn spoofed_syn_flood_expires_and_a_real_client_gets_through() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut config = static_config();
    config.handshake_timeout = Duration::from_secs(3);
    let mut stack = stack(a, &config, Budget::fixed(16, 2048, 2048));
    let listener = stack.listen(7, 4).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    clock.step = Duration::from_millis(10);
    let mut rng = Rng(0xdead_beef);

    // 2000 SYNs from 200 addresses nobody answers for: their SYN-ACKs go nowhere.
    const FLOOD: usize = 2000;
    let mut injected = 0;
    let mut rounds = 0;
    while injected < FLOOD {
        rounds += 1;
        assert!(rounds < 10_000);
        for _ in 0..8 {
            let src = Ipv4Address::new(192, 168, 69, 10 + rng.below(200) as u8);
            if injected < FLOOD && peer.inject(&syn_v4(src, 1024 + rng.below(60_000) as u16, 7)) {
                injected += 1;
            }
        }
        let now = clock.tick();
        stack.poll(now);
    }
    let during = stack.stats();
    assert!(during.gate.syns_gated > 0, "{:?}", during.gate);
    assert_eq!(during.gate.frames_in, FLOOD as u64);

    // A real client arrives in the middle of the flood. It is not reset: at worst its SYN is
    // dropped and retransmitted, and once the flood's handshakes expire it gets a socket.
    let client = peer.connect((STACK_V4, 7), 40_000, 2048);
    let mut accepted = None;
    for _ in 0..5_000 {
        round(&mut stack, &mut peer, &mut clock);
        assert_ne!(
            peer.tcp(client).state(),
            State::Closed,
            "real client was reset"
        );
        if let Some(conn) = stack.accept(listener) {
            accepted = Some(conn);
        }
        if accepted.is_some() && peer.tcp(client).state() == State::Established {
            break;
        }
    }
    let conn = accepted.expect("the real client was accepted");
    assert_eq!(
        stack.socket(conn).unwrap().remote_endpoint().unwrap().port,
        40_000
    );
    let after = stack.stats();
    assert!(after.pool.handshakes_expired > 0, "{:?}", after.pool);
    assert_eq!(
        after.pool.accepted, 1,
        "only the real client completed a handshake"
    );
}
