//! TCP through the stack over a loopback wire: large byte-exact transfers both ways (echo,
//! chargen, discard), IPv6, hundreds of concurrent connections, outgoing connections and socket
//! recycling.

mod common;

use common::*;
use net::diag::{DiagConfig, DiagServices, chargen_byte};
use net::smoltcp::socket::tcp::State;
use net::smoltcp::wire::IpAddress;
use net::{Budget, Stack};

/// Bound on rounds for any single test phase.
const MAX_ROUNDS: usize = 400_000;

fn diag_only(echo: bool, discard: bool, chargen: bool, max_connections: usize) -> DiagConfig {
    DiagConfig {
        echo: echo.then_some(7),
        discard: discard.then_some(9),
        chargen: chargen.then_some(19),
        backlog: 8,
        max_connections,
        chunk: 4096,
    }
}

/// Sends `total` bytes to the echo service at `server` and checks every byte that comes back.
fn echo_transfer(server: IpAddress, total: usize) -> net::StackStats {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(16, 16 * 1024, 16 * 1024));
    let mut diag = DiagServices::start(&mut stack, &diag_only(true, false, false, 4)).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    let client = peer.connect((server, 7), 50_000, 64 * 1024);

    let (mut sent, mut received) = (0usize, 0usize);
    let mut chunk = vec![0u8; 8192];
    let mut rounds = 0;
    while received < total {
        rounds += 1;
        assert!(rounds < MAX_ROUNDS, "stalled at {received}/{total}");
        round(&mut stack, &mut peer, &mut clock);
        diag.poll(&mut stack);
        let c = peer.tcp(client);
        assert_ne!(
            c.state(),
            State::Closed,
            "connection lost at {received}/{total}"
        );
        if c.can_send() && sent < total {
            let n = (total - sent).min(chunk.len());
            for (k, byte) in chunk[..n].iter_mut().enumerate() {
                *byte = pattern(sent + k);
            }
            sent += c.send_slice(&chunk[..n]).unwrap();
        }
        while c.can_recv() {
            let n = c.recv_slice(&mut chunk).unwrap();
            for (k, byte) in chunk[..n].iter().enumerate() {
                assert_eq!(
                    *byte,
                    pattern(received + k),
                    "byte {} differs",
                    received + k
                );
            }
            received += n;
        }
    }
    assert_eq!(received, total);

    // The client closes; the echo service closes in turn; the socket returns to the pool.
    peer.tcp(client).close();
    for _ in 0..20_000 {
        round(&mut stack, &mut peer, &mut clock);
        diag.poll(&mut stack);
        if diag.connections() == 0 && stack.stats().sockets.closing == 0 {
            break;
        }
    }
    assert_eq!(diag.connections(), 0);
    let stats = stack.stats();
    assert_eq!(
        stats.sockets.user + stats.sockets.closing + stats.sockets.pending,
        0
    );
    assert_eq!(stats.sockets.free + stats.sockets.listening, 16);
    stats
}

#[test]
fn echo_of_4_mib_over_ipv4_is_byte_exact() {
    let stats = echo_transfer(IpAddress::Ipv4(STACK_V4), 4 * 1024 * 1024);
    assert_eq!(stats.pool.accepted, 1);
    // Nothing was dropped by the gate on a clean wire.
    let g = stats.gate;
    assert_eq!(
        g.malformed + g.bad_checksum + g.unsupported + g.syns_gated,
        0
    );
    // 4 MiB each way is at least 2 x 2873 full segments through the stack.
    assert!(g.frames_in > 2873 && g.frames_out > 2873, "{g:?}");
}

#[test]
fn echo_of_1_mib_over_ipv6_is_byte_exact() {
    let stats = echo_transfer(IpAddress::Ipv6(STACK_V6), 1024 * 1024);
    assert_eq!(stats.pool.accepted, 1);
    assert_eq!(stats.gate.bad_checksum + stats.gate.malformed, 0);
}

#[test]
fn chargen_streams_and_discard_swallows_a_mib_each() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(24, 8192, 8192));
    let mut diag = DiagServices::start(&mut stack, &diag_only(false, true, true, 8)).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    let source = peer.connect((STACK_V4, 19), 50_001, 32 * 1024);
    let sink = peer.connect((STACK_V4, 9), 50_002, 32 * 1024);
    const TOTAL: usize = 1024 * 1024;
    let (mut got, mut put) = (0usize, 0usize);
    let mut discarded = 0usize;
    let mut buf = vec![0u8; 8192];
    let mut rounds = 0;
    while got < TOTAL || discarded < TOTAL {
        rounds += 1;
        assert!(
            rounds < MAX_ROUNDS,
            "stalled: chargen {got}, discard {discarded}"
        );
        round(&mut stack, &mut peer, &mut clock);
        discarded += diag.poll(&mut stack).discarded;
        let s = peer.tcp(source);
        while got < TOTAL && s.can_recv() {
            let n = s.recv_slice(&mut buf).unwrap();
            for (k, byte) in buf[..n].iter().enumerate() {
                assert_eq!(
                    *byte,
                    chargen_byte((got + k) as u64),
                    "chargen byte {}",
                    got + k
                );
            }
            got += n;
        }
        let d = peer.tcp(sink);
        if put < TOTAL && d.can_send() {
            let n = (TOTAL - put).min(buf.len());
            put += d.send_slice(&buf[..n]).unwrap();
        }
    }
    assert!(got >= TOTAL);
    assert_eq!(discarded, TOTAL);
    // Closing the chargen client ends the stream; the service closes its side.
    peer.tcp(source).close();
    peer.tcp(sink).close();
    for _ in 0..20_000 {
        round(&mut stack, &mut peer, &mut clock);
        diag.poll(&mut stack);
        if diag.connections() == 0 {
            break;
        }
    }
    assert_eq!(diag.connections(), 0);
}

#[test]
fn two_hundred_concurrent_connections_none_refused() {
    const CLIENTS: usize = 200;
    const SOCKETS: usize = 220;
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(SOCKETS, 2048, 2048));
    let mut diag =
        DiagServices::start(&mut stack, &diag_only(true, false, false, SOCKETS)).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    // All clients start at once: their SYNs arrive back to back, far more than the backlog of 8.
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| peer.connect((STACK_V4, 7), 20_000 + i as u16, 2048))
        .collect();
    let mut echoed = vec![0usize; CLIENTS];
    let mut sent = [false; CLIENTS];
    let message = |i: usize| format!("hello from client {i:03}\n").into_bytes();
    let mut peak_open = 0;
    let mut rounds = 0;
    while echoed
        .iter()
        .enumerate()
        .any(|(i, &n)| n < message(i).len())
    {
        rounds += 1;
        assert!(rounds < 20_000, "stalled: {echoed:?}");
        round(&mut stack, &mut peer, &mut clock);
        diag.poll(&mut stack);
        peak_open = peak_open.max(diag.connections());
        for (i, &h) in clients.iter().enumerate() {
            let c = peer.tcp(h);
            assert_ne!(c.state(), State::Closed, "client {i} was refused or reset");
            if c.can_send() && !sent[i] {
                c.send_slice(&message(i)).unwrap();
                sent[i] = true;
            }
            if c.can_recv() {
                let mut buf = [0u8; 64];
                let n = c.recv_slice(&mut buf).unwrap();
                let expect = message(i);
                assert_eq!(&buf[..n], &expect[echoed[i]..echoed[i] + n]);
                echoed[i] += n;
            }
        }
    }
    // Every client was connected at the same time, and none had to retry.
    assert_eq!(peak_open, CLIENTS);
    let stats = stack.stats();
    assert_eq!(stats.gate.syns_gated, 0);
    assert_eq!(stats.pool.accepted, CLIENTS as u64);
    assert_eq!(stats.sockets.user, CLIENTS);

    // Everybody hangs up; every socket comes back.
    for &h in &clients {
        peer.tcp(h).close();
    }
    for _ in 0..50_000 {
        round(&mut stack, &mut peer, &mut clock);
        diag.poll(&mut stack);
        let s = stack.stats().sockets;
        if diag.connections() == 0 && s.closing == 0 {
            break;
        }
    }
    let s = stack.stats().sockets;
    assert_eq!(diag.connections(), 0);
    assert_eq!((s.user, s.closing, s.pending), (0, 0, 0), "{s:?}");
    assert_eq!(s.free + s.listening, SOCKETS);
    assert_eq!(s.listening, 8);
}

/// Runs a peer-side server on `port` that answers each request with the request reversed, and
/// has the stack connect to it `count` times in a row, checking ports and recycling.
#[test]
fn outgoing_connections_get_distinct_ports_and_sockets_recycle() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    // Fewer sockets than connections made: recycling must work for the test to finish.
    let mut stack: Stack<_> = stack(a, &static_config(), Budget::fixed(4, 4096, 4096));
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    const COUNT: usize = 12;
    let mut used_ports = Vec::new();
    for round_no in 0..COUNT {
        // A fresh listening socket on the peer for each connection.
        let server = {
            let mut s = net::smoltcp::socket::tcp::Socket::new(
                net::smoltcp::socket::tcp::SocketBuffer::new(vec![0u8; 4096]),
                net::smoltcp::socket::tcp::SocketBuffer::new(vec![0u8; 4096]),
            );
            s.listen(8080).unwrap();
            peer.sockets.add(s)
        };
        let conn = stack.connect((PEER_V4, 8080)).expect("a socket is free");
        let request = format!("request {round_no}");
        let mut sent = false;
        let mut reply = Vec::new();
        let mut rounds = 0;
        while reply.len() < request.len() {
            rounds += 1;
            assert!(rounds < 10_000, "connection {round_no} stalled");
            round(&mut stack, &mut peer, &mut clock);
            let s = peer.tcp(server);
            if s.can_recv() {
                let mut buf = [0u8; 64];
                let n = s.recv_slice(&mut buf).unwrap();
                let mut rev = buf[..n].to_vec();
                rev.reverse();
                s.send_slice(&rev).unwrap();
            }
            let c = stack.socket(conn).expect("handle valid while open");
            if !sent && c.may_send() {
                used_ports.push(c.local_endpoint().unwrap().port);
                c.send_slice(request.as_bytes()).unwrap();
                sent = true;
            }
            if c.can_recv() {
                let mut buf = [0u8; 64];
                let n = c.recv_slice(&mut buf).unwrap();
                reply.extend_from_slice(&buf[..n]);
            }
        }
        let mut expect = request.clone().into_bytes();
        expect.reverse();
        assert_eq!(reply, expect);
        assert!(stack.close(conn));
        assert!(stack.socket(conn).is_none(), "handle is stale after close");
        assert!(!stack.close(conn), "double close is refused");
        peer.tcp(server).close();
        for _ in 0..1000 {
            round(&mut stack, &mut peer, &mut clock);
        }
        let server_socket = peer.sockets.remove(server);
        drop(server_socket);
    }
    // Ports are unique among the connections and from the dynamic range.
    let mut sorted = used_ports.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), COUNT);
    assert!(used_ports.iter().all(|&p| p >= 49152));
    let stats = stack.stats();
    assert_eq!(stats.pool.connects, COUNT as u64);
    assert_eq!(stats.sockets.free, 4);
}

#[test]
fn connect_without_free_socket_is_an_error_not_a_panic() {
    let wire = TestWire::new();
    let (a, _b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(2, 2048, 2048));
    let first = stack.connect((PEER_V4, 1)).unwrap();
    let second = stack.connect((PEER_V4, 2)).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        stack.connect((PEER_V4, 3)),
        Err(net::ConnectError::NoFreeSocket)
    );
    assert_eq!(
        stack.connect((PEER_V4, 0)),
        Err(net::ConnectError::NoFreeSocket),
        "no socket is checked first"
    );
    assert!(stack.abort(first));
    // The aborted socket is back after one poll (its RST went out or could not).
    stack.poll(net::smoltcp::time::Instant::from_millis(2_000));
    assert_eq!(
        stack.connect((PEER_V4, 0)),
        Err(net::ConnectError::Unaddressable)
    );
    assert_eq!(stack.stats().pool.connects_refused, 2);
}

#[test]
fn listen_rejects_bad_and_overlapping_pools() {
    use net::ListenError;
    use net::smoltcp::wire::IpListenEndpoint;
    let wire = TestWire::new();
    let (a, _b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(8, 2048, 2048));
    assert_eq!(stack.listen(0, 2), Err(ListenError::PortZero));
    assert_eq!(stack.listen(80, 0), Err(ListenError::ZeroBacklog));
    let v4_only = IpListenEndpoint {
        addr: Some(IpAddress::Ipv4(STACK_V4)),
        port: 80,
    };
    let v6_only = IpListenEndpoint {
        addr: Some(IpAddress::Ipv6(STACK_V6)),
        port: 80,
    };
    stack.listen(v4_only, 2).unwrap();
    // Same port on another address is a separate pool; the wildcard overlaps both.
    stack.listen(v6_only, 2).unwrap();
    assert_eq!(stack.listen(80, 2), Err(ListenError::AlreadyListening));
    assert_eq!(stack.listen(v4_only, 1), Err(ListenError::AlreadyListening));
    // Pools take their backlog from the free sockets at once.
    let s = stack.stats().sockets;
    assert_eq!((s.listening, s.free), (4, 4));
    // A backlog larger than the sockets left takes what there is.
    stack.listen(81, 100).unwrap();
    let s = stack.stats().sockets;
    assert_eq!((s.listening, s.free), (8, 0));
}

#[test]
fn connect_reserve_is_kept_from_listeners() {
    let wire = TestWire::new();
    let (a, _b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(8, 2048, 2048));
    stack.set_connect_reserve(3);
    stack.listen(80, 100).unwrap();
    let s = stack.stats().sockets;
    assert_eq!((s.listening, s.free), (5, 3));
    for port in 1..=3 {
        stack.connect((PEER_V4, port)).unwrap();
    }
    assert_eq!(
        stack.connect((PEER_V4, 4)),
        Err(net::ConnectError::NoFreeSocket)
    );
}

#[test]
fn a_peer_that_never_finishes_the_close_is_cut_off_after_the_linger() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut config = static_config();
    config.close_linger = net::smoltcp::time::Duration::from_secs(2);
    let mut stack = stack(a, &config, Budget::fixed(4, 2048, 2048));
    let listener = stack.listen(80, 1).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    clock.step = net::smoltcp::time::Duration::from_millis(10);
    let client = peer.connect((STACK_V4, 80), 41_000, 2048);
    let mut conn = None;
    for _ in 0..100 {
        round(&mut stack, &mut peer, &mut clock);
        if let Some(c) = stack.accept(listener) {
            conn = Some(c);
            break;
        }
    }
    let conn = conn.expect("accepted");
    assert!(stack.close(conn));
    // The peer acknowledges our FIN but never sends its own: we sit in FIN-WAIT-2.
    let mut forced_at = None;
    for i in 0..1_000 {
        round(&mut stack, &mut peer, &mut clock);
        assert_eq!(peer.tcp(client).state(), State::CloseWait);
        let s = stack.stats();
        if s.pool.closes_forced == 1 && s.sockets.closing == 0 {
            forced_at = Some(i);
            break;
        }
    }
    let rounds = forced_at.expect("the close was forced");
    // Not before the linger (2 s = 200 rounds of 10 ms), and soon after it.
    assert!(
        (199..=210).contains(&rounds),
        "forced after {rounds} rounds"
    );
    // The abort's RST reached the peer.
    round(&mut stack, &mut peer, &mut clock);
    assert_eq!(peer.tcp(client).state(), State::Closed);
    // The socket is free again and a stale handle cannot reach whoever gets it next.
    assert!(stack.socket(conn).is_none());
    assert_eq!(stack.stats().sockets.free, 3);
    for port in 1..=3 {
        let other = stack.connect((PEER_V4, port)).unwrap();
        assert_ne!(other, conn);
        assert!(stack.socket(conn).is_none());
    }
}

/// smoltcp sends one segment per socket per egress pass; the stack keeps passing, up to its
/// limit, so a queued window leaves in one poll.
fn segments_sent_by_one_poll(max_egress_passes: usize) -> (u64, bool) {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut config = static_config();
    config.max_egress_passes = max_egress_passes;
    let mut stack = stack(a, &config, Budget::fixed(4, 16 * 1024, 16 * 1024));
    let listener = stack.listen(80, 1).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    let client = peer.connect((STACK_V4, 80), 42_000, 64 * 1024);
    let mut conn = None;
    for _ in 0..100 {
        round(&mut stack, &mut peer, &mut clock);
        conn = conn.or_else(|| stack.accept(listener));
        if conn.is_some() && peer.tcp(client).state() == State::Established {
            break;
        }
    }
    let conn = conn.expect("accepted");
    // Warm up: 256 KiB to the peer opens Reno's congestion window (it starts at two segments).
    let mut warm = 256 * 1024;
    let mut sink = vec![0u8; 64 * 1024];
    for _ in 0..10_000 {
        let s = stack.socket(conn).unwrap();
        if warm > 0 {
            warm -= s.send_slice(&vec![0x41; warm.min(16 * 1024)]).unwrap();
        } else if s.send_queue() == 0 {
            break;
        }
        round(&mut stack, &mut peer, &mut clock);
        while peer.tcp(client).can_recv() {
            peer.tcp(client).recv_slice(&mut sink).unwrap();
        }
    }
    assert_eq!(
        stack.socket(conn).unwrap().send_queue(),
        0,
        "warm-up finished"
    );
    for _ in 0..5 {
        round(&mut stack, &mut peer, &mut clock);
    }
    let queued = stack
        .socket(conn)
        .unwrap()
        .send_slice(&[0x42; 8192])
        .unwrap();
    assert_eq!(queued, 8192);
    let before = stack.stats().gate.frames_out;
    let outcome = stack.poll(clock.tick());
    (stack.stats().gate.frames_out - before, outcome.more_pending)
}

#[test]
fn one_poll_sends_the_whole_window_within_the_pass_limit() {
    // 8 KiB is six segments of at most 1460 bytes; the peer's window and the congestion window
    // are larger.
    let (sent, more) = segments_sent_by_one_poll(32);
    assert_eq!((sent, more), (6, false));
    let (sent, more) = segments_sent_by_one_poll(2);
    assert_eq!((sent, more), (2, true));
}

#[test]
fn half_close_sends_fin_and_keeps_receiving() {
    let wire = TestWire::new();
    let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
    let mut stack = stack(a, &static_config(), Budget::fixed(4, 2048, 2048));
    let listener = stack.listen(80, 1).unwrap();
    let mut peer = Peer::new(b);
    let mut clock = Clock::new();
    let client = peer.connect((STACK_V4, 80), 43_000, 2048);
    let mut conn = None;
    for _ in 0..100 {
        round(&mut stack, &mut peer, &mut clock);
        conn = conn.or_else(|| stack.accept(listener));
        if conn.is_some() && peer.tcp(client).may_send() {
            break;
        }
    }
    let conn = conn.expect("accepted");
    stack.socket(conn).unwrap().send_slice(b"bye").unwrap();
    assert!(stack.shutdown_write(conn));
    let mut received = Vec::new();
    for _ in 0..100 {
        round(&mut stack, &mut peer, &mut clock);
        let c = peer.tcp(client);
        let mut buf = [0u8; 16];
        if let Ok(n) = c.recv_slice(&mut buf) {
            received.extend_from_slice(&buf[..n]);
        }
        if !c.may_recv() {
            break;
        }
    }
    assert_eq!(received, b"bye");
    assert_eq!(
        peer.tcp(client).state(),
        State::CloseWait,
        "the peer saw our FIN"
    );
    // The other direction still works, and the handle is still ours.
    peer.tcp(client).send_slice(b"late data").unwrap();
    let mut late = Vec::new();
    for _ in 0..100 {
        round(&mut stack, &mut peer, &mut clock);
        let s = stack
            .peek_socket(conn)
            .expect("handle valid after half-close");
        if s.recv_queue() >= 9 {
            let mut buf = [0u8; 16];
            let n = stack.socket(conn).unwrap().recv_slice(&mut buf).unwrap();
            late.extend_from_slice(&buf[..n]);
            break;
        }
    }
    assert_eq!(late, b"late data");
    assert!(stack.close(conn));
    assert!(stack.peek_socket(conn).is_none());
    assert!(!stack.shutdown_write(conn));
}
