//! An in-memory network for tests and host simulations: a [`Transport`] whose clients are
//! scripted by the test and whose servers are simulated ([`ServerBehavior`]).
//!
//! Time is explicit: [`SimNet::advance`] moves the network to a new instant (connections
//! complete, slow servers answer) and the test passes the same instant to
//! [`Engine::poll`](super::Engine::poll). Nothing here reads a clock or a socket.
//!
//! Every connection is a pair of byte queues with a bounded window, so backpressure and
//! partial writes happen as on a real stack; [`SimNet::max_send_per_call`] makes every
//! `send` partial on purpose.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;

use super::time::Instant;
use super::transport::{Accepted, ConnState, ConnectError, Transport};

/// Engine-side connection handle of [`SimNet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimConn(pub u32);

/// How a simulated server at an address behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerBehavior {
    /// Connections are refused (RST).
    Refuse,
    /// SYNs are dropped: connections stay in `Connecting` forever.
    Blackhole,
    /// Accepts and leaves the connection to the test ([`SimNet::server_conns`]).
    Manual,
    /// Accepts and sends every byte back; answers FIN with FIN.
    Echo,
    /// A small HTTP/1.1 server.
    Http(HttpServer),
}

/// A simulated HTTP server: answers each request (Content-Length bodies only) with
/// `200 OK`, the server's name as body and `X-Server: <name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpServer {
    /// Name, sent in `X-Server` and as the body.
    pub name: String,
    /// Answer only this long after the request is complete.
    pub delay: Duration,
    /// Requests for this path get `health_status` (health checks).
    pub health_path: String,
    /// Status for `health_path`.
    pub health_status: u16,
    /// Extra header lines (`Name: value`) added to every response.
    pub extra_headers: Vec<String>,
    /// Close the connection after each response.
    pub close: bool,
}

impl HttpServer {
    /// A prompt server named `name`, healthy on `/health`.
    pub fn named(name: &str) -> HttpServer {
        HttpServer {
            name: String::from(name),
            delay: Duration::ZERO,
            health_path: String::from("/health"),
            health_status: 200,
            extra_headers: Vec::new(),
            close: false,
        }
    }
}

/// One direction of a connection.
#[derive(Debug, Default)]
struct Pipe {
    data: VecDeque<u8>,
    /// The writer sent FIN.
    fin: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    /// Outgoing connection waiting for the simulated handshake (at `advance`).
    Connecting,
    Open,
    Refused,
    /// Reset by the remote side (test or server).
    ResetByRemote,
    /// Reset by the engine.
    ResetByEngine,
}

#[derive(Debug)]
struct Link {
    /// Bytes from the remote side to the engine.
    to_engine: Pipe,
    /// Bytes from the engine to the remote side.
    from_engine: Pipe,
    state: LinkState,
    /// The engine released its handle (close or abort).
    released: bool,
    /// Remote server address for outgoing connections.
    server: Option<SocketAddr>,
    /// Per-connection HTTP server state.
    http: HttpConnState,
}

#[derive(Debug, Default)]
struct HttpConnState {
    inbox: Vec<u8>,
    /// Complete requests waiting for their answer time: (due, path).
    pending: VecDeque<(Instant, String, bool)>,
    closed: bool,
}

/// The in-memory network.
#[derive(Debug)]
pub struct SimNet {
    links: BTreeMap<u32, Link>,
    listeners: BTreeMap<SocketAddr, VecDeque<(u32, SocketAddr)>>,
    servers: BTreeMap<SocketAddr, ServerBehavior>,
    /// Raw request heads received by each simulated HTTP server, in order.
    requests: BTreeMap<SocketAddr, Vec<String>>,
    datagrams: Vec<(SocketAddr, Vec<u8>)>,
    next_id: u32,
    next_port: u16,
    now: Instant,
    /// Bytes a connection direction holds at most (the TCP window).
    pub window: usize,
    /// If set, `send` takes at most this many bytes per call (partial writes).
    pub max_send_per_call: Option<usize>,
    /// If set, `connect` fails with `NoSocket` once this many links are open.
    pub max_links: Option<usize>,
}

impl Default for SimNet {
    fn default() -> Self {
        SimNet::new()
    }
}

impl SimNet {
    /// An empty network.
    pub fn new() -> SimNet {
        SimNet {
            links: BTreeMap::new(),
            listeners: BTreeMap::new(),
            servers: BTreeMap::new(),
            requests: BTreeMap::new(),
            datagrams: Vec::new(),
            next_id: 1,
            next_port: 40_000,
            now: Instant::ZERO,
            window: 64 * 1024,
            max_send_per_call: None,
            max_links: None,
        }
    }

    /// Opens a listener at `addr`.
    pub fn listen(&mut self, addr: SocketAddr) {
        self.listeners.entry(addr).or_default();
    }

    /// Places (or replaces) a server at `addr`. Replacing resets its open connections.
    pub fn set_server(&mut self, addr: SocketAddr, behavior: ServerBehavior) {
        if self.servers.insert(addr, behavior).is_some() {
            for link in self.links.values_mut() {
                if link.server == Some(addr)
                    && matches!(link.state, LinkState::Open | LinkState::Connecting)
                {
                    link.state = LinkState::ResetByRemote;
                }
            }
        }
    }

    /// A new client connection from `client_ip` to `listener`; returns its id.
    pub fn connect_client(&mut self, listener: SocketAddr, client_ip: IpAddr) -> u32 {
        let id = self.new_link(LinkState::Open, None);
        let port = self.next_port;
        self.next_port = self.next_port.wrapping_add(1).max(1024);
        self.listeners
            .entry(listener)
            .or_default()
            .push_back((id, SocketAddr::new(client_ip, port)));
        id
    }

    /// A client from 192.0.2.1 (TEST-NET-1).
    pub fn client(&mut self, listener: SocketAddr) -> u32 {
        self.connect_client(listener, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
    }

    fn new_link(&mut self, state: LinkState, server: Option<SocketAddr>) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.links.insert(
            id,
            Link {
                to_engine: Pipe::default(),
                from_engine: Pipe::default(),
                state,
                released: false,
                server,
                http: HttpConnState::default(),
            },
        );
        id
    }

    /// Remote side writes (client or manual server); returns bytes taken.
    pub fn remote_send(&mut self, id: u32, bytes: &[u8]) -> usize {
        let window = self.window;
        let Some(link) = self.links.get_mut(&id) else {
            return 0;
        };
        if link.to_engine.fin || link.state != LinkState::Open {
            return 0;
        }
        let n = bytes
            .len()
            .min(window.saturating_sub(link.to_engine.data.len()));
        link.to_engine.data.extend(&bytes[..n]);
        n
    }

    /// Remote side reads everything the engine sent so far.
    pub fn remote_recv(&mut self, id: u32) -> Vec<u8> {
        self.links
            .get_mut(&id)
            .map(|l| l.from_engine.data.drain(..).collect())
            .unwrap_or_default()
    }

    /// Remote side reads everything, as text (lossy).
    pub fn remote_recv_text(&mut self, id: u32) -> String {
        String::from_utf8_lossy(&self.remote_recv(id)).into_owned()
    }

    /// Remote side sends FIN.
    pub fn remote_shutdown(&mut self, id: u32) {
        if let Some(link) = self.links.get_mut(&id) {
            link.to_engine.fin = true;
        }
    }

    /// Remote side resets the connection.
    pub fn remote_reset(&mut self, id: u32) {
        if let Some(link) = self.links.get_mut(&id) {
            link.state = LinkState::ResetByRemote;
        }
    }

    /// True once the engine has sent FIN (and the remote side has read everything).
    pub fn remote_sees_eof(&self, id: u32) -> bool {
        self.links
            .get(&id)
            .is_some_and(|l| l.from_engine.fin && l.from_engine.data.is_empty())
    }

    /// True if the engine reset the connection.
    pub fn remote_sees_reset(&self, id: u32) -> bool {
        self.links
            .get(&id)
            .is_some_and(|l| l.state == LinkState::ResetByEngine)
    }

    /// True while the engine still holds the connection's handle.
    pub fn engine_holds(&self, id: u32) -> bool {
        self.links.get(&id).is_some_and(|l| !l.released)
    }

    /// Connections the engine opened to `server` (ids usable with the `remote_*` calls).
    pub fn server_conns(&self, server: SocketAddr) -> Vec<u32> {
        self.links
            .iter()
            .filter(|(_, l)| l.server == Some(server))
            .map(|(&id, _)| id)
            .collect()
    }

    /// Request heads received by the HTTP server at `server`.
    pub fn server_requests(&self, server: SocketAddr) -> &[String] {
        self.requests.get(&server).map_or(&[], Vec::as_slice)
    }

    /// Syslog datagrams sent so far, taken.
    pub fn take_datagrams(&mut self) -> Vec<(SocketAddr, Vec<u8>)> {
        core::mem::take(&mut self.datagrams)
    }

    /// Links the engine still holds.
    pub fn open_links(&self) -> usize {
        self.links.values().filter(|l| !l.released).count()
    }

    /// Moves the network to `now`: handshakes complete, servers read and answer.
    pub fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let ids: Vec<u32> = self.links.keys().copied().collect();
        for id in ids {
            self.run_server(id);
        }
        // Forget links nobody uses any more.
        self.links.retain(|_, l| {
            !(l.released
                && (l.server.is_some() || l.from_engine.data.is_empty())
                && matches!(
                    l.state,
                    LinkState::ResetByEngine | LinkState::ResetByRemote | LinkState::Refused
                ))
        });
    }

    fn run_server(&mut self, id: u32) {
        let now = self.now;
        let Some(link) = self.links.get_mut(&id) else {
            return;
        };
        let Some(addr) = link.server else {
            return;
        };
        let behavior = self.servers.get(&addr).cloned();
        if link.state == LinkState::Connecting {
            match behavior {
                None | Some(ServerBehavior::Refuse) => link.state = LinkState::Refused,
                Some(ServerBehavior::Blackhole) => {}
                Some(_) => link.state = LinkState::Open,
            }
            return;
        }
        if link.state != LinkState::Open {
            return;
        }
        match behavior {
            Some(ServerBehavior::Echo) => {
                let bytes: Vec<u8> = link.from_engine.data.drain(..).collect();
                link.to_engine.data.extend(bytes);
                if link.from_engine.fin {
                    link.to_engine.fin = true;
                }
            }
            Some(ServerBehavior::Http(spec)) => {
                let mut heads = Vec::new();
                serve_http(link, &spec, now, &mut heads);
                self.requests.entry(addr).or_default().extend(heads);
            }
            _ => {}
        }
    }
}

/// Reads complete requests from the link and answers those that are due.
fn serve_http(link: &mut Link, spec: &HttpServer, now: Instant, heads: &mut Vec<String>) {
    let state = &mut link.http;
    if state.closed {
        return;
    }
    state.inbox.extend(link.from_engine.data.drain(..));
    while let Some(end) = state.inbox.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&state.inbox[..end + 4]).into_owned();
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())
                    .flatten()
            })
            .unwrap_or(0);
        if state.inbox.len() < end + 4 + length {
            break;
        }
        state.inbox.drain(..end + 4 + length);
        let path = head
            .split(' ')
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .into();
        let close = spec.close
            || head
                .lines()
                .any(|l| l.eq_ignore_ascii_case("connection: close"));
        heads.push(head);
        state.pending.push_back((now + spec.delay, path, close));
    }
    while let Some((due, _, _)) = state.pending.front() {
        if *due > now {
            break;
        }
        let Some((_, path, close)) = state.pending.pop_front() else {
            break;
        };
        let (status, reason) = if path == spec.health_path {
            (
                spec.health_status,
                if spec.health_status == 200 {
                    "OK"
                } else {
                    "Service Unavailable"
                },
            )
        } else {
            (200, "OK")
        };
        let mut response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nX-Server: {}\r\n",
            spec.name.len(),
            spec.name
        );
        for h in &spec.extra_headers {
            response.push_str(h);
            response.push_str("\r\n");
        }
        if close {
            response.push_str("Connection: close\r\n");
        }
        response.push_str("\r\n");
        response.push_str(&spec.name);
        link.to_engine.data.extend(response.as_bytes());
        if close {
            link.to_engine.fin = true;
            state.closed = true;
            break;
        }
    }
    if link.from_engine.fin && state.pending.is_empty() {
        link.to_engine.fin = true;
    }
}

impl Transport for SimNet {
    type Conn = SimConn;

    fn accept(&mut self, listener: SocketAddr) -> Option<Accepted<SimConn>> {
        let (id, peer) = self.listeners.get_mut(&listener)?.pop_front()?;
        Some(Accepted {
            conn: SimConn(id),
            peer,
            local: listener,
        })
    }

    fn connect(&mut self, remote: SocketAddr) -> Result<SimConn, ConnectError> {
        if self.max_links.is_some_and(|max| self.open_links() >= max) {
            return Err(ConnectError::NoSocket);
        }
        Ok(SimConn(self.new_link(LinkState::Connecting, Some(remote))))
    }

    fn state(&self, c: SimConn) -> ConnState {
        let Some(link) = self.links.get(&c.0) else {
            return ConnState::Closed;
        };
        match link.state {
            LinkState::Connecting => ConnState::Connecting,
            LinkState::Refused | LinkState::ResetByRemote | LinkState::ResetByEngine => {
                ConnState::Failed
            }
            LinkState::Open => match (link.to_engine.fin, link.from_engine.fin) {
                (true, true) => ConnState::Closed,
                (true, false) => ConnState::PeerClosed,
                _ => ConnState::Open,
            },
        }
    }

    fn recv(&mut self, c: SimConn, buf: &mut [u8]) -> usize {
        let Some(link) = self.links.get_mut(&c.0) else {
            return 0;
        };
        if link.state != LinkState::Open {
            return 0;
        }
        let n = buf.len().min(link.to_engine.data.len());
        for (dst, src) in buf.iter_mut().zip(link.to_engine.data.drain(..n)) {
            *dst = src;
        }
        n
    }

    fn send(&mut self, c: SimConn, data: &[u8]) -> usize {
        let cap = self.send_capacity(c);
        let limit = self.max_send_per_call.unwrap_or(usize::MAX);
        let Some(link) = self.links.get_mut(&c.0) else {
            return 0;
        };
        let n = data.len().min(cap).min(limit);
        link.from_engine.data.extend(&data[..n]);
        n
    }

    fn send_capacity(&self, c: SimConn) -> usize {
        match self.links.get(&c.0) {
            Some(l) if l.state == LinkState::Open && !l.from_engine.fin => {
                self.window.saturating_sub(l.from_engine.data.len())
            }
            _ => 0,
        }
    }

    fn recv_available(&self, c: SimConn) -> usize {
        match self.links.get(&c.0) {
            Some(l) if l.state == LinkState::Open => l.to_engine.data.len(),
            _ => 0,
        }
    }

    fn shutdown_write(&mut self, c: SimConn) {
        if let Some(link) = self.links.get_mut(&c.0) {
            link.from_engine.fin = true;
        }
    }

    fn close(&mut self, c: SimConn) {
        if let Some(link) = self.links.get_mut(&c.0) {
            link.from_engine.fin = true;
            link.released = true;
        }
    }

    fn abort(&mut self, c: SimConn) {
        if let Some(link) = self.links.get_mut(&c.0) {
            link.released = true;
            if !matches!(link.state, LinkState::ResetByRemote | LinkState::Refused) {
                link.state = LinkState::ResetByEngine;
            }
            link.from_engine.data.clear();
        }
    }

    fn send_datagram(&mut self, to: SocketAddr, payload: &[u8]) -> bool {
        self.datagrams.push((to, payload.to_vec()));
        true
    }
}
