//! Throughput and connection-rate benchmark of the stack over the in-memory loopback wire.
//!
//! ```text
//! cargo run --release -p net --example bench [MiB]
//! ```
//!
//! The peer is a plain smoltcp interface on the other end of a `nic::loopback::Wire`, so the
//! numbers are the CPU cost of both TCP stacks on the host (no NIC, no wire delay); they are for
//! comparing changes to the stack, not for predicting a board. Network timers run on simulated
//! time (1 ms per round); rates are measured in wall-clock time. Nothing is asserted.

use std::time::Instant as WallClock;

use net::diag::{DiagConfig, DiagServices};
use net::smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use net::smoltcp::socket::tcp;
use net::smoltcp::time::{Duration, Instant};
use net::smoltcp::wire::{
    EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr,
};
use net::{Budget, Ipv4Mode, Stack, StackConfig};
use nic::loopback::{LoopbackNic, Wire};
use nic::{MacAddress, SmoltcpDevice};

const STACK_IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const PEER_IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);

/// `D`: frames in flight per direction, which is also the wire's `max_burst`, so it clamps the
/// TCP windows both ends advertise (6 is what the LAN9118's 10.5 KB RX FIFO holds).
struct Bench<'w, const D: usize> {
    stack: Stack<LoopbackNic<'w, D>>,
    diag: DiagServices,
    dev: SmoltcpDevice<LoopbackNic<'w, D>>,
    iface: Interface,
    sockets: SocketSet<'static>,
    now: Instant,
    rounds: u64,
}

impl<'w, const D: usize> Bench<'w, D> {
    fn new(wire: &'w Wire<D>) -> Self {
        let (a, b) = wire.ends(
            MacAddress([2, 0, 0, 0, 0, 1]),
            MacAddress([2, 0, 0, 0, 0, 2]),
        );
        let config = StackConfig {
            ipv4: Ipv4Mode::Static {
                address: Ipv4Cidr::new(STACK_IP, 24),
                gateway: None,
            },
            random_seed: 7,
            ..StackConfig::default()
        };
        let now = Instant::from_millis(1);
        let mut stack =
            Stack::new(a, &config, &Budget::fixed(256, 16 * 1024, 16 * 1024), now).expect("stack");
        let diag = DiagServices::start(
            &mut stack,
            &DiagConfig {
                backlog: 32,
                max_connections: 200,
                chunk: 16 * 1024,
                ..DiagConfig::default()
            },
        )
        .expect("diag");
        let mut dev = SmoltcpDevice::<_>::new(b);
        let mut cfg = Config::new(HardwareAddress::Ethernet(EthernetAddress([
            2, 0, 0, 0, 0, 2,
        ])));
        cfg.random_seed = 8;
        let mut iface = Interface::new(cfg, &mut dev, now);
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::Ipv4(PEER_IP), 24)).unwrap();
        });
        Bench {
            stack,
            diag,
            dev,
            iface,
            sockets: SocketSet::new(Vec::new()),
            now,
            rounds: 0,
        }
    }

    fn round(&mut self) {
        self.now += Duration::from_millis(1);
        self.rounds += 1;
        self.stack.poll(self.now);
        self.diag.poll(&mut self.stack);
        self.stack.poll(self.now);
        self.iface.poll(self.now, &mut self.dev, &mut self.sockets);
    }

    fn connect(&mut self, port: u16, local_port: u16) -> SocketHandle {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0u8; 64 * 1024]),
            tcp::SocketBuffer::new(vec![0u8; 64 * 1024]),
        );
        s.set_nagle_enabled(false);
        // ACK at once, like a Linux client in quick-ACK mode.
        s.set_ack_delay(None);
        s.connect(self.iface.context(), (STACK_IP, port), local_port)
            .expect("connect");
        self.sockets.add(s)
    }

    fn tcp(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(h)
    }

    /// Moves `total` bytes to (`upload`) or from the service on `port`; returns MiB/s and the
    /// rounds (poll cycles, 1 simulated ms each) it took.
    fn stream(&mut self, port: u16, local_port: u16, total: usize, upload: bool) -> (f64, u64) {
        let first_round = self.rounds;
        let h = self.connect(port, local_port);
        let buf = vec![0x5au8; 16 * 1024];
        let mut sink = vec![0u8; 64 * 1024];
        let mut done = 0usize;
        let start = WallClock::now();
        let limit = total as u64 * 10;
        while done < total && self.rounds < limit {
            self.round();
            let s = self.tcp(h);
            if upload {
                if s.can_send() {
                    done += s
                        .send_slice(&buf[..buf.len().min(total - done)])
                        .unwrap_or(0);
                }
            } else {
                while s.can_recv() {
                    done += s.recv_slice(&mut sink).unwrap_or(0);
                }
            }
        }
        // An upload is done when the service has read it all.
        while upload && self.tcp(h).send_queue() > 0 && self.rounds < limit {
            self.round();
        }
        let secs = start.elapsed().as_secs_f64();
        let rounds = self.rounds - first_round;
        self.tcp(h).abort();
        for _ in 0..50 {
            self.round();
        }
        self.sockets.remove(h);
        (done as f64 / (1024.0 * 1024.0) / secs, rounds)
    }

    /// `count` echo connections, `parallel` at a time: connect, send 32 bytes, read them back,
    /// close. Returns connections per second.
    fn connection_rate(&mut self, count: usize, parallel: usize) -> f64 {
        let start = WallClock::now();
        let mut open: Vec<(SocketHandle, usize)> = Vec::new();
        let (mut started, mut finished) = (0usize, 0usize);
        let mut retiring = Vec::new();
        let mut guard = 0u64;
        while finished < count && guard < count as u64 * 1000 {
            guard += 1;
            while open.len() < parallel && started < count {
                let port = 10_000 + (started % 50_000) as u16;
                open.push((self.connect(7, port), 0));
                started += 1;
            }
            self.round();
            for h in retiring.drain(..) {
                self.sockets.remove(h);
            }
            let mut i = 0;
            while i < open.len() {
                let (h, got) = open[i];
                let s = self.tcp(h);
                if s.can_send() && s.send_queue() == 0 && got == 0 && s.recv_queue() == 0 {
                    let _ = s.send_slice(&[b'x'; 32]);
                }
                let mut buf = [0u8; 64];
                let got = got + s.recv_slice(&mut buf).unwrap_or(0);
                open[i].1 = got;
                if got >= 32 {
                    s.close();
                }
                let state = s.state();
                // Keep the socket one more round so its final ACK leaves (the wire may have
                // been full); dropping it early would leave the stack's side in LAST-ACK.
                if got >= 32 && matches!(state, tcp::State::TimeWait | tcp::State::Closed) {
                    retiring.push(h);
                    open.swap_remove(i);
                    finished += 1;
                } else {
                    i += 1;
                }
            }
        }
        finished as f64 / start.elapsed().as_secs_f64()
    }
}

fn run<const D: usize>(mib: usize) {
    let wire = Wire::<D>::new();
    let mut bench = Bench::new(&wire);
    println!("wire depth {D} (max_burst {D}), 16 KiB socket buffers, {mib} MiB per stream");
    let (up, rounds) = bench.stream(9, 40_001, mib << 20, true);
    println!("  upload   (peer -> discard):   {up:8.1} MiB/s in {rounds} rounds");
    let (down, rounds) = bench.stream(19, 40_002, mib << 20, false);
    println!("  download (chargen -> peer):   {down:8.1} MiB/s in {rounds} rounds");
    let serial = bench.connection_rate(2_000, 1);
    println!("  connections, 1 at a time:     {serial:8.0} /s");
    let parallel = bench.connection_rate(5_000, 64);
    println!("  connections, 64 in parallel:  {parallel:8.0} /s");
    // Let the last connections finish closing before the counters are read.
    for _ in 0..2_000 {
        bench.round();
    }
    let stats = bench.stack.stats();
    println!(
        "  stack: {} frames in, {} out, {} accepted, {} SYNs gated, {} saturated polls, {} rounds",
        stats.gate.frames_in,
        stats.gate.frames_out,
        stats.pool.accepted,
        stats.gate.syns_gated,
        stats.polls_saturated,
        bench.rounds
    );
    println!("  {:?}", stats.sockets);
}

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    println!("net bench over the loopback wire (host CPU cost of both stacks; simulated time)");
    run::<16>(mib);
    run::<6>(mib);
}
