//! The narrow interface between the engine and a TCP/IP stack.
//!
//! The engine never owns a socket. It names connections by an opaque, copyable handle
//! ([`Transport::Conn`]) and asks the transport to accept, connect, move bytes and close. The
//! firmware implements this over smoltcp sockets; [`super::testing::SimNet`] implements it in
//! memory for tests. Every call is non-blocking: "nothing to do" is a zero or a `None`.

use core::net::SocketAddr;

/// What the engine can observe about a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// An outgoing connection whose handshake has not completed yet.
    Connecting,
    /// Established in both directions.
    Open,
    /// The peer sent FIN: bytes still in the receive buffer can be read, nothing more will
    /// arrive, and this side may still send (half-close).
    PeerClosed,
    /// Fully closed by the peer (or after our own close): no more data either way.
    Closed,
    /// The connection failed: refused (RST on SYN), reset, or the stack gave up.
    Failed,
}

impl ConnState {
    /// True while the peer may still send bytes.
    pub fn peer_may_send(self) -> bool {
        matches!(self, ConnState::Connecting | ConnState::Open)
    }

    /// True when this side can still send bytes.
    pub fn can_send(self) -> bool {
        matches!(self, ConnState::Open | ConnState::PeerClosed)
    }
}

/// A connection taken from a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted<C> {
    /// Handle of the new connection.
    pub conn: C,
    /// The client's address.
    pub peer: SocketAddr,
    /// The local address the client connected to.
    pub local: SocketAddr,
}

/// Why [`Transport::connect`] could not even start a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// No socket is free in the stack's connection table.
    NoSocket,
    /// No route or no local address for the destination.
    Unreachable,
}

/// The TCP/IP stack as the engine sees it.
///
/// Contract:
/// * `send` and `recv` never block and may move fewer bytes than asked (`send` may even take
///   fewer than [`Transport::send_capacity`] said: the engine keeps what was not taken);
/// * after [`Transport::close`] or [`Transport::abort`] the engine never uses the handle
///   again; the transport frees the socket once the close has finished in the background;
/// * handles of live connections are distinct; a freed handle may be reused.
pub trait Transport {
    /// Connection handle.
    type Conn: Copy + Eq + core::fmt::Debug;

    /// Takes one pending connection from the listener bound to `listener` (one of
    /// [`Engine::listeners`](super::Engine::listeners)), if any.
    fn accept(&mut self, listener: SocketAddr) -> Option<Accepted<Self::Conn>>;

    /// Starts connecting to `remote`. The connection begins in [`ConnState::Connecting`].
    fn connect(&mut self, remote: SocketAddr) -> Result<Self::Conn, ConnectError>;

    /// Current state of `conn`.
    fn state(&self, conn: Self::Conn) -> ConnState;

    /// Copies received bytes into `buf`; returns how many (0: nothing available).
    fn recv(&mut self, conn: Self::Conn, buf: &mut [u8]) -> usize;

    /// Queues bytes for sending; returns how many were taken (possibly fewer than offered).
    fn send(&mut self, conn: Self::Conn, data: &[u8]) -> usize;

    /// Bytes `send` would take right now.
    fn send_capacity(&self, conn: Self::Conn) -> usize;

    /// Bytes `recv` would return right now.
    fn recv_available(&self, conn: Self::Conn) -> usize;

    /// Sends FIN after the queued bytes (half-close); receiving continues.
    fn shutdown_write(&mut self, conn: Self::Conn);

    /// Graceful close: queued bytes are still delivered, then FIN. The handle is released.
    fn close(&mut self, conn: Self::Conn);

    /// Abortive close (RST). The handle is released.
    fn abort(&mut self, conn: Self::Conn);

    /// Sends one UDP datagram (syslog). Returns false if it could not be queued; log lines
    /// are then dropped, never retried.
    fn send_datagram(&mut self, to: SocketAddr, payload: &[u8]) -> bool;
}
