//! The load balancer in the firmware: the portable [`proxy::engine::Engine`] driven over the
//! `net` stack's TCP sockets.
//!
//! [`StackTransport`] is the engine's [`Transport`] on smoltcp sockets: listener pools per bind
//! address, outgoing connections from the stack's ephemeral ports, and the engine's connection
//! states mapped from TCP states. The engine never touches smoltcp directly, so the same engine
//! runs in the host tests over a simulated network.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::net::{IpAddr, SocketAddr};

use net::{ListenerId, Stack, TcpHandle};
use nic::Nic;
use proxy::config::Config;
use proxy::engine::{
    Accepted, BoxStats, ConnState, ConnectError, Engine, Instant as EngineInstant, NicStats,
    ResourceLimits, Transport,
};
use smoltcp::socket::tcp::State;
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};

use kernel::kprintln;
use kernel::time::Instant;

/// Listening sockets kept per bind address.
const BACKLOG: usize = 32;

/// The engine's view of the stack for one poll.
pub struct StackTransport<'a, N: Nic> {
    stack: &'a mut Stack<N>,
    listeners: &'a [(SocketAddr, ListenerId)],
    fins: &'a FinMemory,
}

impl<'a, N: Nic> StackTransport<'a, N> {
    /// The transport over `stack`, whose listener pools for the engine's bind addresses are
    /// `listeners`; `fins` persists across polls (see [`FinMemory`]).
    pub fn new(
        stack: &'a mut Stack<N>,
        listeners: &'a [(SocketAddr, ListenerId)],
        fins: &'a FinMemory,
    ) -> Self {
        Self {
            stack,
            listeners,
            fins,
        }
    }
}

/// The connections whose FIN exchange the transport has seen, so that it can tell a clean end
/// from a reset.
///
/// smoltcp keeps no "was reset" in the socket: a RST (and a retransmission timeout, and a
/// refused SYN) puts the socket straight into `Closed`, the same state a clean close reaches
/// when TIME-WAIT expires. The tracking lives here, in the transport, rather than in
/// `net::Stack`, because only the transport needs the distinction and it can make it with what
/// it already sees: `net` makes a handle stale the moment we `close` or `abort` it, so a live
/// handle whose socket is `Closed` ended on its own. It ended cleanly if the peer's FIN came
/// first: `state` remembers a connection when it sees CLOSE-WAIT (the peer's FIN, before ours) or
/// CLOSING/LAST-ACK/TIME-WAIT. CLOSE-WAIT matters because LAST-ACK can pass between two looks
/// (our FIN is acked in the same stack poll that sent it). Everything else that ends in `Closed`
/// is [`ConnState::Failed`].
#[derive(Debug, Default)]
pub struct FinMemory(RefCell<Vec<TcpHandle>>);

impl FinMemory {
    fn remember(&self, conn: TcpHandle) {
        let mut fins = self.0.borrow_mut();
        if !fins.contains(&conn) {
            fins.push(conn);
        }
    }

    fn seen(&self, conn: TcpHandle) -> bool {
        self.0.borrow().contains(&conn)
    }

    /// Forgets connections whose handles went stale (closed or aborted by the engine).
    pub fn prune<N: Nic>(&self, stack: &Stack<N>) {
        self.0
            .borrow_mut()
            .retain(|&conn| stack.peek_socket(conn).is_some());
    }
}

fn socket_addr(endpoint: IpEndpoint) -> SocketAddr {
    SocketAddr::new(IpAddr::from(endpoint.addr), endpoint.port)
}

impl<N: Nic> Transport for StackTransport<'_, N> {
    type Conn = TcpHandle;

    fn accept(&mut self, listener: SocketAddr) -> Option<Accepted<TcpHandle>> {
        let id = self.listeners.iter().find(|(addr, _)| *addr == listener)?.1;
        let conn = self.stack.accept(id)?;
        let socket = self.stack.socket(conn)?;
        match (socket.local_endpoint(), socket.remote_endpoint()) {
            (Some(local), Some(peer)) => Some(Accepted {
                conn,
                peer: socket_addr(peer),
                local: socket_addr(local),
            }),
            // Reset between the handshake and now: nothing to hand over.
            _ => {
                self.stack.abort(conn);
                None
            }
        }
    }

    fn connect(&mut self, remote: SocketAddr) -> Result<TcpHandle, ConnectError> {
        self.stack.connect(remote).map_err(|error| match error {
            net::ConnectError::NoFreeSocket | net::ConnectError::NoFreePort => {
                ConnectError::NoSocket
            }
            net::ConnectError::Unaddressable => ConnectError::Unreachable,
        })
    }

    fn state(&self, conn: TcpHandle) -> ConnState {
        let Some(socket) = self.stack.peek_socket(conn) else {
            return ConnState::Closed;
        };
        match socket.state() {
            State::Listen | State::SynSent | State::SynReceived => ConnState::Connecting,
            State::Established | State::FinWait1 | State::FinWait2 => ConnState::Open,
            State::CloseWait => {
                self.fins.remember(conn);
                ConnState::PeerClosed
            }
            State::Closing | State::LastAck | State::TimeWait => {
                self.fins.remember(conn);
                ConnState::Closed
            }
            // See `FinMemory`: reset, timed out or refused unless a FIN exchange led here.
            State::Closed if self.fins.seen(conn) => ConnState::Closed,
            State::Closed => ConnState::Failed,
        }
    }

    fn recv(&mut self, conn: TcpHandle, buf: &mut [u8]) -> usize {
        self.stack
            .socket(conn)
            .and_then(|s| s.recv_slice(buf).ok())
            .unwrap_or(0)
    }

    fn send(&mut self, conn: TcpHandle, data: &[u8]) -> usize {
        self.stack
            .socket(conn)
            .and_then(|s| s.send_slice(data).ok())
            .unwrap_or(0)
    }

    fn send_capacity(&self, conn: TcpHandle) -> usize {
        self.stack
            .peek_socket(conn)
            .filter(|s| s.may_send())
            .map_or(0, |s| s.send_capacity() - s.send_queue())
    }

    fn recv_available(&self, conn: TcpHandle) -> usize {
        self.stack.peek_socket(conn).map_or(0, |s| s.recv_queue())
    }

    fn shutdown_write(&mut self, conn: TcpHandle) {
        self.stack.shutdown_write(conn);
    }

    fn close(&mut self, conn: TcpHandle) {
        self.stack.close(conn);
    }

    fn abort(&mut self, conn: TcpHandle) {
        self.stack.abort(conn);
    }

    fn send_datagram(&mut self, to: SocketAddr, payload: &[u8]) -> bool {
        self.stack.send_datagram(to, payload)
    }
}

/// The proxy: its engine and the listener pools it asked for.
pub struct ProxyService {
    engine: Engine<TcpHandle>,
    listeners: Vec<(SocketAddr, ListenerId)>,
    fins: FinMemory,
}

impl ProxyService {
    /// Builds the engine for `config` with `ram` bytes to budget from, and opens its listeners.
    pub fn start<N: Nic>(config: &Config, ram: usize, stack: &mut Stack<N>) -> Self {
        let engine = Engine::new(
            config,
            ResourceLimits::from_ram_tuned(ram, &config.global.tune),
        );
        // Every proxied client needs a backend connection: keep half the sockets out of the
        // listeners' reach so that accepting can never starve connecting.
        let sockets = stack.stats().sockets.max;
        stack.set_connect_reserve(sockets / 2);
        let mut listeners: Vec<(SocketAddr, ListenerId)> = Vec::new();
        for addr in engine.listeners() {
            // `0.0.0.0:80` and `[::]:80` are the same smoltcp endpoint (any address, port 80):
            // both share one pool.
            let endpoint = IpListenEndpoint {
                addr: (!addr.ip().is_unspecified()).then(|| addr.ip().into()),
                port: addr.port(),
            };
            let shared = listeners.iter().find(|(other, _)| {
                other.port() == addr.port()
                    && other.ip().is_unspecified()
                    && addr.ip().is_unspecified()
            });
            let id = match shared {
                Some(&(_, id)) => Ok(id),
                None => stack.listen(endpoint, BACKLOG),
            };
            match id {
                Ok(id) => {
                    listeners.push((addr, id));
                    kprintln!("proxy: listening on {}", addr);
                }
                Err(error) => kprintln!("proxy: cannot listen on {}: {:?}", addr, error),
            }
        }
        Self {
            engine,
            listeners,
            fins: FinMemory::default(),
        }
    }

    /// One engine turn: sessions, health checks, timeouts; then its log events on the console.
    pub fn poll<N: Nic>(&mut self, stack: &mut Stack<N>, now: Instant) {
        let mut transport = StackTransport::new(stack, &self.listeners, &self.fins);
        self.engine
            .poll(&mut transport, EngineInstant::from_millis(now.as_millis()));
        self.fins.prune(stack);
        for event in self.engine.take_events() {
            kprintln!("proxy: {}", event);
        }
    }

    /// Refreshes the box-level figures the stats page shows.
    pub fn set_box_stats<N: Nic>(
        &mut self,
        stack: &mut Stack<N>,
        memory_used: usize,
        memory_free: usize,
    ) {
        let stats = stack.stats();
        let link_up = matches!(stack.nic_mut().link_state(), nic::LinkState::Up { .. });
        let gate = stats.gate;
        let nic = NicStats {
            name: String::from("eth0"),
            link_up,
            rx_packets: stats.nic.rx_frames,
            tx_packets: stats.nic.tx_frames,
            rx_bytes: stats.nic.rx_bytes,
            tx_bytes: stats.nic.tx_bytes,
            rx_errors: stats.nic.rx_errors.total() + stats.nic.rx_overruns,
            tx_errors: stats.nic.tx_errors.total(),
            // What the NIC dropped plus what the stack's ingress gate refused.
            rx_dropped: stats.nic.rx_dropped
                + gate.malformed
                + gate.bad_checksum
                + gate.unsupported
                + gate.oversized
                + gate.syns_gated,
        };
        self.engine.set_box_stats(BoxStats {
            memory_used: memory_used as u64,
            memory_free: memory_free as u64,
            conn_table_used: (stats.sockets.max - stats.sockets.free) as u32,
            conn_table_size: stats.sockets.max as u32,
            nics: alloc::vec![nic],
        });
    }
}
