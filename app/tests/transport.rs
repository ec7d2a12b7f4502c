//! `StackTransport` (and through `ProxyService` the engine) over a real `net::Stack` on one end
//! of `nic`'s loopback wire, with a plain smoltcp interface ("peer") on the other end playing
//! clients and servers. Time is simulated.

use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use app::proxy_service::{FinMemory, ProxyService, StackTransport};
use net::{Budget, Ipv4Mode, ListenerId, Stack, StackConfig, TcpHandle};
use nic::loopback::{LoopbackNic, Wire};
use nic::{MacAddress, SmoltcpDevice};
use proxy::engine::{ConnState, ConnectError, Transport};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{
    EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint, IpListenEndpoint, Ipv4Address,
    Ipv4Cidr,
};

const DEPTH: usize = 16;
type End<'w> = LoopbackNic<'w, DEPTH>;

const STACK_MAC: MacAddress = MacAddress([0x02, 0, 0, 0, 0, 0x01]);
const PEER_MAC: MacAddress = MacAddress([0x02, 0, 0, 0, 0, 0x02]);
const STACK_V4: Ipv4Address = Ipv4Address::new(192, 168, 69, 1);
const PEER_V4: Ipv4Address = Ipv4Address::new(192, 168, 69, 2);
const ROUNDS: usize = 2_000;

struct Net<'w> {
    stack: Stack<End<'w>>,
    dev: SmoltcpDevice<End<'w>>,
    iface: Interface,
    sockets: SocketSet<'static>,
    now: Instant,
    listeners: Vec<(SocketAddr, ListenerId)>,
    fins: FinMemory,
}

fn budget(sockets: usize) -> Budget {
    Budget {
        sockets,
        rx_buffer: 4096,
        tx_buffer: 4096,
    }
}

impl<'w> Net<'w> {
    fn new(wire: &'w Wire<DEPTH>, sockets: usize) -> Self {
        let (a, b) = wire.ends(STACK_MAC, PEER_MAC);
        let config = StackConfig {
            ipv4: Ipv4Mode::Static {
                address: Ipv4Cidr::new(STACK_V4, 24),
                gateway: None,
            },
            random_seed: 7,
            ..StackConfig::default()
        };
        let now = Instant::from_millis(1_000);
        let stack = Stack::new(a, &config, &budget(sockets), now).expect("stack up");
        let mut dev = SmoltcpDevice::new(b);
        let mut pc = Config::new(HardwareAddress::Ethernet(EthernetAddress(PEER_MAC.0)));
        pc.random_seed = 99;
        let mut iface = Interface::new(pc, &mut dev, now);
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::Ipv4(PEER_V4), 24)).unwrap();
        });
        Net {
            stack,
            dev,
            iface,
            sockets: SocketSet::new(Vec::new()),
            now,
            listeners: Vec::new(),
            fins: FinMemory::default(),
        }
    }

    fn round(&mut self) {
        self.now += Duration::from_millis(1);
        self.stack.poll(self.now);
        self.iface.poll(self.now, &mut self.dev, &mut self.sockets);
        self.stack.poll(self.now);
    }

    fn rounds_until(&mut self, mut done: impl FnMut(&mut Self) -> bool) {
        for _ in 0..ROUNDS {
            if done(self) {
                return;
            }
            self.round();
        }
        panic!("condition not reached in {ROUNDS} rounds");
    }

    fn transport(&mut self) -> StackTransport<'_, End<'w>> {
        StackTransport::new(&mut self.stack, &self.listeners, &self.fins)
    }

    fn listen(&mut self, port: u16) -> SocketAddr {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
        let id = self
            .stack
            .listen(IpListenEndpoint { addr: None, port }, 2)
            .unwrap();
        self.listeners.push((addr, id));
        addr
    }

    fn peer_socket(&mut self) -> tcp::Socket<'static> {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; 4096]),
            tcp::SocketBuffer::new(vec![0; 4096]),
        );
        s.set_nagle_enabled(false);
        s
    }

    fn peer_connect(&mut self, port: u16) -> SocketHandle {
        let mut s = self.peer_socket();
        s.connect(
            self.iface.context(),
            IpEndpoint::new(IpAddress::Ipv4(STACK_V4), port),
            40_000,
        )
        .unwrap();
        self.sockets.add(s)
    }

    fn peer_listen(&mut self, port: u16) -> SocketHandle {
        let mut s = self.peer_socket();
        s.listen(port).unwrap();
        self.sockets.add(s)
    }

    fn peer(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(h)
    }

    /// A client connection from the peer to `listener`, accepted through the transport.
    fn accepted(&mut self, port: u16) -> (SocketHandle, TcpHandle) {
        let listener = self.listen(port);
        let client = self.peer_connect(port);
        let mut conn = None;
        self.rounds_until(|net| {
            conn = net.transport().accept(listener).map(|a| a.conn);
            conn.is_some()
        });
        (client, conn.unwrap())
    }

    fn state(&mut self, conn: TcpHandle) -> ConnState {
        self.transport().state(conn)
    }
}

fn stack_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 2)), port)
}

#[test]
fn reset_by_the_peer_is_failed_not_closed() {
    let wire = Wire::new();
    let mut net = Net::new(&wire, 8);
    let (client, conn) = net.accepted(80);
    assert_eq!(net.state(conn), ConnState::Open);
    net.peer(client).abort();
    net.rounds_until(|net| net.state(conn) != ConnState::Open);
    assert_eq!(net.state(conn), ConnState::Failed);
}

#[test]
fn refused_connect_is_failed() {
    let wire = Wire::new();
    let mut net = Net::new(&wire, 8);
    // Nothing listens on the peer's port 9: its stack answers the SYN with RST.
    let conn = net.transport().connect(stack_addr(9)).unwrap();
    net.rounds_until(|net| net.state(conn) != ConnState::Connecting);
    assert_eq!(net.state(conn), ConnState::Failed);
}

#[test]
fn accept_connect_and_data_both_ways() {
    let wire = Wire::new();
    let mut net = Net::new(&wire, 8);
    let (client, conn) = net.accepted(80);
    net.peer(client).send_slice(b"ping").unwrap();
    net.rounds_until(|net| net.transport().recv_available(conn) == 4);
    let mut buf = [0; 16];
    assert_eq!(net.transport().recv(conn, &mut buf), 4);
    assert_eq!(&buf[..4], b"ping");
    assert!(net.transport().send_capacity(conn) > 0);
    assert_eq!(net.transport().send(conn, b"pong!"), 5);
    net.rounds_until(|net| net.peer(client).recv_queue() == 5);
    let n = net.peer(client).recv_slice(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"pong!");

    // Outgoing: the transport connects to a server socket on the peer.
    let server = net.peer_listen(8080);
    let out = net.transport().connect(stack_addr(8080)).unwrap();
    assert_eq!(net.state(out), ConnState::Connecting);
    net.rounds_until(|net| net.state(out) == ConnState::Open);
    assert_eq!(net.transport().send(out, b"req"), 3);
    net.rounds_until(|net| net.peer(server).recv_queue() == 3);
    net.peer(server).send_slice(b"resp").unwrap();
    net.rounds_until(|net| net.transport().recv_available(out) == 4);
    assert_eq!(net.transport().recv(out, &mut buf), 4);
    assert_eq!(&buf[..4], b"resp");
}

#[test]
fn client_fin_is_peer_closed_and_we_may_still_send() {
    let wire = Wire::new();
    let mut net = Net::new(&wire, 8);
    let (client, conn) = net.accepted(80);
    net.peer(client).send_slice(b"last").unwrap();
    net.peer(client).close();
    net.rounds_until(|net| net.state(conn) == ConnState::PeerClosed);
    let mut buf = [0; 8];
    assert_eq!(
        net.transport().recv(conn, &mut buf),
        4,
        "data before the FIN stays readable"
    );
    assert_eq!(net.transport().send(conn, b"bye"), 3);
    net.transport().shutdown_write(conn);
    net.rounds_until(|net| net.peer(client).recv_queue() == 3);
    net.transport().close(conn);
    assert_eq!(
        net.state(conn),
        ConnState::Closed,
        "a closed handle reads as closed"
    );
}

#[test]
fn clean_close_through_time_wait_is_closed_not_failed() {
    let wire = Wire::new();
    let mut net = Net::new(&wire, 8);
    let (client, conn) = net.accepted(80);
    net.transport().shutdown_write(conn);
    net.rounds_until(|net| !net.peer(client).may_recv());
    net.peer(client).close();
    net.rounds_until(|net| net.state(conn) == ConnState::Closed);
    // TIME-WAIT runs out (10 s in smoltcp): still a clean end.
    for _ in 0..12 {
        net.now += Duration::from_secs(1);
        net.round();
        assert_eq!(net.state(conn), ConnState::Closed);
    }
}

#[test]
fn peer_closes_first_and_our_fin_is_acked_between_two_looks_is_closed_not_failed() {
    // The common HTTP/1.0 end: the client half-closes, we answer and close our side, and the
    // ACK of our FIN arrives before the engine looks again (LAST-ACK is never observed).
    let wire = Wire::new();
    let mut net = Net::new(&wire, 8);
    let (client, conn) = net.accepted(80);
    net.peer(client).close();
    net.rounds_until(|net| net.state(conn) == ConnState::PeerClosed);
    net.transport().shutdown_write(conn);
    net.rounds_until(|net| net.peer(client).state() == tcp::State::TimeWait);
    for _ in 0..4 {
        net.round();
    }
    assert_eq!(net.state(conn), ConnState::Closed);
}

#[test]
fn exhaustion_refuses_connect_with_no_socket_and_accepts_again_when_freed() {
    let wire = Wire::new();
    // Few sockets: two listening (backlog 2) and one outgoing take them all.
    let mut net = Net::new(&wire, 3);
    let listener = net.listen(80);
    let server = net.peer_listen(8080);
    let out = net.transport().connect(stack_addr(8080)).unwrap();
    assert!(net.peer(server).is_listening());
    assert_eq!(
        net.transport().connect(stack_addr(8080)),
        Err(ConnectError::NoSocket),
        "every socket is taken"
    );
    // Under exhaustion a client still gets in through a socket that was listening already.
    let client = net.peer_connect(80);
    let mut accepted = None;
    net.rounds_until(|net| {
        accepted = net.transport().accept(listener).map(|a| a.conn);
        accepted.is_some()
    });
    let accepted = accepted.unwrap();
    assert_eq!(net.state(accepted), ConnState::Open);
    assert!(net.peer(client).may_send());
    // Freeing one gives connect a socket again once it is reserved for connecting (as
    // `ProxyService` does); otherwise the listener pool re-arms with it first.
    net.stack.set_connect_reserve(1);
    net.transport().abort(out);
    net.round();
    assert!(net.transport().connect(stack_addr(8080)).is_ok());
}

#[test]
fn the_engine_proxies_one_http_request_end_to_end() {
    let wire = Wire::new();
    let mut net = Net::new(&wire, 16);
    let config = proxy::config::parse(
        "test.cfg",
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    \
         timeout server 30s\nfrontend web\n    bind :80\n    default_backend app\n\
         backend app\n    server s1 192.168.69.2:8080\n",
    )
    .expect("valid configuration");
    let mut service = ProxyService::start(&config.config, 1 << 20, &mut net.stack);
    let server = net.peer_listen(8080);
    let client = net.peer_connect(80);
    let mut engine_round = |net: &mut Net<'_>| {
        net.round();
        let now = kernel::time::Instant::from_micros(net.now.total_micros() as u64);
        service.poll(&mut net.stack, now);
    };
    for _ in 0..ROUNDS {
        if net.peer(client).may_send() {
            break;
        }
        engine_round(&mut net);
    }
    net.peer(client)
        .send_slice(b"GET /hello HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut request = Vec::new();
    for _ in 0..ROUNDS {
        if request.ends_with(b"\r\n\r\n") {
            break;
        }
        let mut buf = [0; 1024];
        if let Ok(n) = net.peer(server).recv_slice(&mut buf) {
            request.extend_from_slice(&buf[..n]);
        }
        engine_round(&mut net);
    }
    let request = String::from_utf8(request).unwrap();
    assert!(request.starts_with("GET /hello HTTP/1.1\r\n"), "{request}");
    net.peer(server)
        .send_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        .unwrap();
    net.peer(server).close();
    let mut response = Vec::new();
    for _ in 0..ROUNDS {
        let mut buf = [0; 1024];
        if let Ok(n) = net.peer(client).recv_slice(&mut buf) {
            response.extend_from_slice(&buf[..n]);
        }
        if response.ends_with(b"hello") {
            break;
        }
        engine_round(&mut net);
    }
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nhello"), "{response}");
}
