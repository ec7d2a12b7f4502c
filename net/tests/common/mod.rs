//! Test harness: a `net::Stack` on one end of a loopback wire and a plain smoltcp interface (the
//! "peer", playing clients and servers) on the other, driven in simulated time.
#![allow(dead_code)] // Each test file uses a different part of the harness.

pub mod frames;

use net::smoltcp;
use net::{Budget, Ipv4Mode, Ipv6Config, Stack, StackConfig};
use nic::loopback::{LoopbackNic, Wire};
use nic::{MacAddress, Nic, SmoltcpDevice};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{
    EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv4Cidr,
    Ipv6Address, Ipv6Cidr,
};

pub const DEPTH: usize = 16;
pub type TestWire = Wire<DEPTH>;
pub type End<'w> = LoopbackNic<'w, DEPTH>;

pub const STACK_MAC: MacAddress = MacAddress([0x02, 0, 0, 0, 0, 0x01]);
pub const PEER_MAC: MacAddress = MacAddress([0x02, 0, 0, 0, 0, 0x02]);
pub const STACK_V4: Ipv4Address = Ipv4Address::new(192, 168, 69, 1);
pub const PEER_V4: Ipv4Address = Ipv4Address::new(192, 168, 69, 2);
pub const STACK_V6: Ipv6Address = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
pub const PEER_V6: Ipv6Address = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);

/// Simulated time: every round advances it by `step`.
pub struct Clock {
    pub now: Instant,
    pub step: Duration,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            now: Instant::from_millis(1_000),
            step: Duration::from_millis(1),
        }
    }

    pub fn tick(&mut self) -> Instant {
        self.now += self.step;
        self.now
    }
}

/// Static IPv4 and IPv6 on the stack side.
pub fn static_config() -> StackConfig {
    StackConfig {
        ipv4: Ipv4Mode::Static {
            address: Ipv4Cidr::new(STACK_V4, 24),
            gateway: None,
        },
        ipv6: Ipv6Config {
            addresses: vec![Ipv6Cidr::new(STACK_V6, 64)],
            gateway: None,
            link_local: true,
        },
        random_seed: 0x1234_5678,
        ..StackConfig::default()
    }
}

pub fn stack<'w>(end: End<'w>, config: &StackConfig, budget: Budget) -> Stack<End<'w>> {
    Stack::new(end, config, &budget, Instant::from_millis(1_000)).expect("stack comes up")
}

/// The other end: plain smoltcp with owned socket storage.
pub struct Peer<'w> {
    pub dev: SmoltcpDevice<End<'w>>,
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
}

impl<'w> Peer<'w> {
    pub fn new(end: End<'w>) -> Self {
        let mut dev = SmoltcpDevice::<_>::new(end);
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(PEER_MAC.0)));
        config.random_seed = 99;
        let mut iface = Interface::new(config, &mut dev, Instant::from_millis(1_000));
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::Ipv4(PEER_V4), 24)).unwrap();
            a.push(IpCidr::new(IpAddress::Ipv6(PEER_V6), 64)).unwrap();
        });
        Peer {
            dev,
            iface,
            sockets: SocketSet::new(Vec::new()),
        }
    }

    pub fn poll(&mut self, now: Instant) {
        self.iface.poll(now, &mut self.dev, &mut self.sockets);
    }

    /// A client socket connecting to `remote` from `local_port`.
    pub fn connect(
        &mut self,
        remote: impl Into<IpEndpoint>,
        local_port: u16,
        buffer: usize,
    ) -> SocketHandle {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0u8; buffer]),
            tcp::SocketBuffer::new(vec![0u8; buffer]),
        );
        s.set_nagle_enabled(false);
        s.connect(self.iface.context(), remote, local_port)
            .expect("connect");
        self.sockets.add(s)
    }

    pub fn tcp(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(h)
    }

    /// Injects a raw frame into the wire towards the stack.
    pub fn inject(&mut self, frame: &[u8]) -> bool {
        self.dev
            .nic_mut()
            .transmit(frame.len(), |buf| buf.copy_from_slice(frame))
            .is_ok()
    }
}

/// One round: stack, then peer, then the stack again (so replies go out in the same round).
pub fn round<N: Nic>(stack: &mut Stack<N>, peer: &mut Peer<'_>, clock: &mut Clock) {
    let now = clock.tick();
    stack.poll(now);
    peer.poll(now);
    stack.poll(now);
}

/// The test byte pattern: position-dependent so a lost, duplicated or reordered byte shows.
pub fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8) ^ (i >> 16)) as u8
}

/// A tiny deterministic PRNG (xorshift64*) for random frames.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
