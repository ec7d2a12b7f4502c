//! An owned wire: the guest's LAN9118 on a UDP socket pair on 127.0.0.1, and a host program on
//! the other end that is a real IPv4/IPv6 peer (smoltcp) and can inject any frame it likes.
//!
//! QEMU's socket netdev in UDP mode (`-nic socket,model=lan9118,udp=…,localaddr=…`, see
//! [`crate::WireSockets`]) carries one Ethernet frame per datagram, without FCS, in both
//! directions. Nothing leaves loopback, no privileges are needed, and unlike QEMU's user network
//! the host sees and writes every frame: malformed frames, floods and spoofed sources are
//! possible, and nothing re-originates the guest's TCP connections.
//!
//! Pieces, bottom up:
//! - [`UdpWire`]: the host's UDP socket; raw frames in and out ([`UdpWire::send_frame`] is the
//!   injector), non-blocking, with a bounded wait for the next frame.
//! - [`WireDevice`]: smoltcp's `phy::Device` over a [`UdpWire`], with an optional tap that keeps
//!   copies of received frames so a test can check what the guest answered to injected ones,
//!   and optional seeded frame [`Loss`] in both directions.
//! - [`HostPeer`]: a smoltcp `Interface` on the device with the peer's addresses, a socket set,
//!   and a bounded poll loop ([`HostPeer::run_until`]: every wait has a wall-clock deadline).
//! - [`WireGuest`]: boots the vexpress firmware on a fresh wire with the addresses below and
//!   hands back the QEMU process and the peer.
//!
//! The guest is booted with [`GUEST_CMDLINE`]: `10.0.3.2/24`, `fd00::2/64`, diagnostic services
//! (echo 7, discard 9, chargen 19). The peer is `10.0.3.1`, `fd00::1`.
//!
//! Used by `qemu/tests/vexpress_wire.rs` (robustness under hostile frames, IPv6, loss) and by the
//! `netbench` benchmark (`qemu/src/bin/netbench.rs`).

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use smoltcp::iface::{Config, Interface, PollIngressSingleResult, SocketHandle, SocketSet};
use smoltcp::phy::{self, ChecksumCapabilities, DeviceCapabilities, Medium};
use smoltcp::socket::{icmp, tcp};
use smoltcp::wire::{
    EthernetAddress, HardwareAddress, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr,
    IpAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv6Address,
};

use crate::{Qemu, QemuConfig, WireSockets};

/// The guest's MAC address: QEMU's default for the first NIC.
pub const GUEST_MAC: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
/// The host peer's MAC address (locally administered).
pub const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x03, 0x01]);
/// The guest's IPv4 address on the owned wire.
pub const GUEST_V4: Ipv4Address = Ipv4Address::new(10, 0, 3, 2);
/// The host peer's IPv4 address.
pub const PEER_V4: Ipv4Address = Ipv4Address::new(10, 0, 3, 1);
/// The guest's IPv6 address on the owned wire.
pub const GUEST_V6: Ipv6Address = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);
/// The host peer's IPv6 address.
pub const PEER_V6: Ipv6Address = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
/// The kernel command line that gives the guest the addresses above and its diagnostic services.
pub const GUEST_CMDLINE: &str = "ip=10.0.3.2/24 ip6=fd00::2/64 diag=on";
/// The console line the firmware prints once the network (with the address above) is up.
pub const GUEST_READY: &str = "net:   ipv6 fd00::2/64";

/// Largest datagram accepted from QEMU. QEMU's LAN9118 model never sends more than 2048 bytes.
const MAX_DATAGRAM: usize = 9216;
/// Most frames the peer takes in per [`HostPeer::poll`] before it sends.
const MAX_INGRESS_PER_POLL: usize = 64;
/// Most frames the tap keeps; older ones are dropped first.
const TAP_LIMIT: usize = 16_384;
/// Longest the poll loop sleeps waiting for a frame before it looks at timers again.
const MAX_IDLE_WAIT: Duration = Duration::from_millis(5);

/// Frame counters of one end of the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireStats {
    /// Datagrams received from QEMU.
    pub frames_in: u64,
    /// Datagrams sent to QEMU.
    pub frames_out: u64,
    /// Frames the host could not send (socket buffer full); TCP retransmits them.
    pub send_failures: u64,
}

/// The host's end of the owned wire: a UDP socket on 127.0.0.1 connected to QEMU's.
pub struct UdpWire {
    socket: UdpSocket,
    sockets: WireSockets,
    stats: WireStats,
}

impl UdpWire {
    /// Binds the host's socket on a free port and picks a free port for QEMU. Pass
    /// [`UdpWire::sockets`] to [`QemuConfig::wire`].
    pub fn bind() -> Result<Self> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).context("binding the wire")?;
        // QEMU binds its port itself; bind-and-release finds one that is free right now.
        let qemu_port = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let host_port = socket.local_addr()?.port();
        // Only QEMU's datagrams are accepted, and `send` goes to QEMU.
        socket.connect(SocketAddr::from((Ipv4Addr::LOCALHOST, qemu_port)))?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket,
            sockets: WireSockets {
                qemu_port,
                host_port,
            },
            stats: WireStats::default(),
        })
    }

    /// The port pair, for [`QemuConfig::wire`].
    pub fn sockets(&self) -> WireSockets {
        self.sockets
    }

    /// Counters so far.
    pub fn stats(&self) -> WireStats {
        self.stats
    }

    /// Sends `frame` to the guest as it is: any length, any content. Returns whether the
    /// socket took it (a full socket buffer, or QEMU not listening yet, drops the frame).
    pub fn send_frame(&mut self, frame: &[u8]) -> bool {
        match self.socket.send(frame) {
            Ok(_) => {
                self.stats.frames_out += 1;
                true
            }
            Err(_) => {
                self.stats.send_failures += 1;
                false
            }
        }
    }

    /// The next frame from the guest, if one is waiting: its length in `buf`.
    pub fn try_recv_frame(&mut self, buf: &mut [u8]) -> Option<usize> {
        // A send while QEMU's port was not bound yet comes back as one ECONNREFUSED on a
        // later receive (the error is cleared by reporting it): that is not a frame, look again
        // once.
        for _ in 0..2 {
            match self.socket.recv(buf) {
                Ok(len) => {
                    self.stats.frames_in += 1;
                    return Some(len);
                }
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// Blocks until a frame is waiting or `timeout` passes (whichever is first).
    pub fn wait_readable(&self, timeout: Duration) {
        let timeout = timeout.max(Duration::from_micros(50));
        // A peek in blocking mode with a read timeout is a portable "wait for readable"; the
        // socket goes back to non-blocking for the device's receive path.
        if self.socket.set_nonblocking(false).is_ok()
            && self.socket.set_read_timeout(Some(timeout)).is_ok()
        {
            let mut byte = [0u8; 1];
            let _ = self.socket.peek(&mut byte);
        }
        let _ = self.socket.set_nonblocking(true);
    }
}

/// smoltcp's `phy::Device` over a [`UdpWire`].
///
/// The receive buffer and the transmit buffer are separate fields, so the RX token of a receive
/// pair borrows one and its TX token the other (smoltcp builds ARP and ICMP replies while the
/// received frame is still borrowed).
pub struct WireDevice {
    wire: UdpWire,
    rx_buf: Vec<u8>,
    tx_buf: Vec<u8>,
    tap: Option<VecDeque<Vec<u8>>>,
    loss: Option<Loss>,
}

/// Seeded random frame loss in both directions of a [`WireDevice`], to test retransmission.
#[derive(Clone, Copy, Debug)]
pub struct Loss {
    /// Frames from the guest dropped, per thousand.
    pub rx_per_mille: u16,
    /// Frames to the guest dropped, per thousand.
    pub tx_per_mille: u16,
    /// xorshift64 state; any non-zero value.
    pub seed: u64,
    /// Frames from the guest dropped so far.
    pub rx_dropped: u64,
    /// Frames to the guest dropped so far.
    pub tx_dropped: u64,
}

impl Loss {
    /// Drops `per_mille` frames in a thousand each way, starting from `seed`.
    pub fn new(per_mille: u16, seed: u64) -> Self {
        Self {
            rx_per_mille: per_mille,
            tx_per_mille: per_mille,
            seed,
            rx_dropped: 0,
            tx_dropped: 0,
        }
    }

    /// Whether to drop the next frame, at `per_mille` in a thousand.
    fn drop_next(&mut self, per_mille: u16) -> bool {
        let mut x = self.seed.max(1);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        x % 1000 < u64::from(per_mille)
    }
}

impl WireDevice {
    /// A device on `wire`.
    pub fn new(wire: UdpWire) -> Self {
        Self {
            wire,
            rx_buf: vec![0; MAX_DATAGRAM],
            tx_buf: vec![0; MAX_DATAGRAM],
            tap: None,
            loss: None,
        }
    }

    /// The wire underneath, e.g. to inject frames.
    pub fn wire_mut(&mut self) -> &mut UdpWire {
        &mut self.wire
    }

    /// The wire underneath.
    pub fn wire(&self) -> &UdpWire {
        &self.wire
    }
}

/// A received frame, lent to smoltcp.
pub struct WireRxToken<'a> {
    frame: &'a [u8],
    tap: Option<&'a mut VecDeque<Vec<u8>>>,
}

/// Room for one frame to the guest.
pub struct WireTxToken<'a> {
    wire: &'a mut UdpWire,
    buf: &'a mut [u8],
    /// Simulated loss, decided when the frame is sent.
    loss: Option<&'a mut Loss>,
}

impl phy::RxToken for WireRxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        if let Some(tap) = self.tap {
            if tap.len() == TAP_LIMIT {
                tap.pop_front();
            }
            tap.push_back(self.frame.to_vec());
        }
        f(self.frame)
    }
}

impl phy::TxToken for WireTxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        // smoltcp never asks for more than the MTU advertised below, which fits the buffer.
        let len = len.min(self.buf.len());
        let result = f(&mut self.buf[..len]);
        let lost = self.loss.is_some_and(|loss| {
            let lost = loss.drop_next(loss.tx_per_mille);
            loss.tx_dropped += u64::from(lost);
            lost
        });
        if !lost {
            self.wire.send_frame(&self.buf[..len]);
        }
        result
    }
}

impl phy::Device for WireDevice {
    type RxToken<'a> = WireRxToken<'a>;
    type TxToken<'a> = WireTxToken<'a>;

    fn receive(
        &mut self,
        _now: smoltcp::time::Instant,
    ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let len = self.wire.try_recv_frame(&mut self.rx_buf)?;
        if let Some(loss) = self.loss.as_mut()
            && loss.drop_next(loss.rx_per_mille)
        {
            loss.rx_dropped += 1;
            // Lost on the way in; the next poll takes the next frame.
            return None;
        }
        Some((
            WireRxToken {
                frame: &self.rx_buf[..len],
                tap: self.tap.as_mut(),
            },
            WireTxToken {
                wire: &mut self.wire,
                buf: &mut self.tx_buf,
                loss: self.loss.as_mut(),
            },
        ))
    }

    fn transmit(&mut self, _now: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
        Some(WireTxToken {
            wire: &mut self.wire,
            buf: &mut self.tx_buf,
            loss: self.loss.as_mut(),
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        // 1500-byte IP MTU plus the Ethernet header (smoltcp counts it, without FCS).
        caps.max_transmission_unit = 1514;
        caps.checksum = ChecksumCapabilities::default();
        caps
    }
}

/// The host's IPv4/IPv6 peer on the owned wire: plain smoltcp, driven by wall-clock time.
pub struct HostPeer {
    device: WireDevice,
    iface: Interface,
    sockets: SocketSet<'static>,
    epoch: Instant,
    next_port: u16,
}

/// First local port the peer uses for its connections.
const FIRST_LOCAL_PORT: u16 = 40_000;

impl HostPeer {
    /// A peer with [`PEER_MAC`], [`PEER_V4`]/24 and [`PEER_V6`]/64 on `wire`.
    pub fn new(wire: UdpWire) -> Self {
        let mut device = WireDevice::new(wire);
        let mut config = Config::new(HardwareAddress::Ethernet(PEER_MAC));
        let epoch = Instant::now();
        config.random_seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x5eed, |d| d.as_nanos() as u64);
        let mut iface = Interface::new(config, &mut device, smoltcp::time::Instant::ZERO);
        iface.update_ip_addrs(|addrs| {
            // Two addresses fit smoltcp's default interface capacity.
            let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(PEER_V4), 24));
            let _ = addrs.push(IpCidr::new(IpAddress::Ipv6(PEER_V6), 64));
        });
        Self {
            device,
            iface,
            sockets: SocketSet::new(Vec::new()),
            epoch,
            next_port: FIRST_LOCAL_PORT,
        }
    }

    fn now(&self) -> smoltcp::time::Instant {
        smoltcp::time::Instant::from_micros(self.epoch.elapsed().as_micros() as i64)
    }

    /// One bounded round: at most 64 received frames, then what the sockets have queued (bounded
    /// by their buffers), then timers. Returns how many frames were taken in.
    pub fn poll(&mut self) -> usize {
        let now = self.now();
        let mut taken = 0;
        while taken < MAX_INGRESS_PER_POLL {
            match self
                .iface
                .poll_ingress_single(now, &mut self.device, &mut self.sockets)
            {
                PollIngressSingleResult::None => break,
                _ => taken += 1,
            }
        }
        self.iface
            .poll_egress(now, &mut self.device, &mut self.sockets);
        self.iface.poll_maintenance(now);
        taken
    }

    /// Polls until `check` returns `Some`, or fails after `timeout` naming `what`. Between
    /// rounds it sleeps until a frame arrives or a timer of the stack is due (at most 5 ms).
    pub fn run_until<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut(&mut Self) -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let taken = self.poll();
            if let Some(value) = check(self) {
                return Ok(value);
            }
            if Instant::now() >= deadline {
                bail!("timed out after {timeout:?} waiting for {what}");
            }
            if taken == 0 {
                let now = self.now();
                let idle = self
                    .iface
                    .poll_delay(now, &self.sockets)
                    .map_or(MAX_IDLE_WAIT, |d| {
                        Duration::from_micros(d.total_micros()).min(MAX_IDLE_WAIT)
                    });
                let idle = idle.min(deadline.saturating_duration_since(Instant::now()));
                if !idle.is_zero() {
                    self.device.wire.wait_readable(idle);
                }
            }
        }
    }

    /// Sends `frame` to the guest as it is (see [`UdpWire::send_frame`]).
    pub fn inject(&mut self, frame: &[u8]) -> bool {
        self.device.wire.send_frame(frame)
    }

    /// Drops frames at random in both directions from now on (`None`: a perfect wire again).
    /// Injected frames ([`HostPeer::inject`]) are never dropped.
    pub fn set_loss(&mut self, loss: Option<Loss>) {
        self.device.loss = loss;
    }

    /// The loss model in force, with its drop counts.
    pub fn loss(&self) -> Option<Loss> {
        self.device.loss
    }

    /// Starts keeping copies of every received frame (dropping the oldest beyond 16 384).
    pub fn start_tap(&mut self) {
        self.device.tap = Some(VecDeque::new());
    }

    /// Frames tapped since the last call.
    pub fn take_tapped(&mut self) -> Vec<Vec<u8>> {
        self.device
            .tap
            .as_mut()
            .map(|tap| tap.drain(..).collect())
            .unwrap_or_default()
    }

    /// Counters of the wire.
    pub fn wire_stats(&self) -> WireStats {
        self.device.wire.stats()
    }

    /// A TCP client socket connecting to `remote` from the next local port.
    pub fn connect(
        &mut self,
        remote: impl Into<IpEndpoint>,
        rx_buffer: usize,
        tx_buffer: usize,
    ) -> Result<SocketHandle> {
        let mut socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; rx_buffer]),
            tcp::SocketBuffer::new(vec![0; tx_buffer]),
        );
        socket.set_nagle_enabled(false);
        socket.set_congestion_control(tcp::CongestionControl::Reno);
        let port = self.next_port;
        self.next_port = if port == u16::MAX {
            FIRST_LOCAL_PORT
        } else {
            port + 1
        };
        socket
            .connect(self.iface.context(), remote.into(), port)
            .context("TCP connect")?;
        Ok(self.sockets.add(socket))
    }

    /// A TCP socket listening on `port` of every peer address: a server the guest can reach.
    pub fn listen(&mut self, port: u16, buffer: usize) -> Result<SocketHandle> {
        let mut socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; buffer]),
            tcp::SocketBuffer::new(vec![0; buffer]),
        );
        socket.set_nagle_enabled(false);
        socket.listen(port).context("TCP listen")?;
        Ok(self.sockets.add(socket))
    }

    /// Receives on `handle` until `buffer` holds `needle` (an HTTP head's end, say); returns
    /// everything received, or fails after `timeout` naming `what`.
    pub fn receive_until(
        &mut self,
        handle: SocketHandle,
        needle: &[u8],
        timeout: Duration,
        what: &str,
    ) -> Result<Vec<u8>> {
        let mut received = Vec::new();
        self.run_until(timeout, what, |peer| {
            let socket = peer.tcp(handle);
            while socket.can_recv() {
                let _ = socket.recv(|data| {
                    received.extend_from_slice(data);
                    (data.len(), ())
                });
            }
            received
                .windows(needle.len())
                .any(|w| w == needle)
                .then(|| received.clone())
        })
    }

    /// The TCP socket `handle`.
    pub fn tcp(&mut self, handle: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(handle)
    }

    /// Forgets socket `handle` (aborting it if still open, so the guest hears a RST).
    pub fn remove(&mut self, handle: SocketHandle) {
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        if socket.is_open() {
            socket.abort();
            self.poll();
        }
        self.sockets.remove(handle);
    }

    /// Connects to `remote` and waits for the handshake.
    pub fn connect_and_wait(
        &mut self,
        remote: impl Into<IpEndpoint>,
        buffer: usize,
        timeout: Duration,
    ) -> Result<SocketHandle> {
        let remote = remote.into();
        let handle = self.connect(remote, buffer, buffer)?;
        let established = self.run_until(timeout, &format!("connect to {remote}"), |peer| {
            let socket = peer.tcp(handle);
            match socket.state() {
                tcp::State::Established => Some(true),
                tcp::State::Closed => Some(false),
                _ => None,
            }
        });
        match established {
            Ok(true) => Ok(handle),
            Ok(false) => {
                self.sockets.remove(handle);
                bail!("{remote} refused the connection")
            }
            Err(e) => {
                self.remove(handle);
                Err(e)
            }
        }
    }

    /// Sends `data` through an echo service at `remote` on a new connection and checks that
    /// exactly the same bytes come back; closes the connection afterwards.
    pub fn echo_round_trip(
        &mut self,
        remote: impl Into<IpEndpoint>,
        data: &[u8],
        timeout: Duration,
    ) -> Result<()> {
        let remote = remote.into();
        let handle = self.connect_and_wait(remote, 64 * 1024, timeout)?;
        let (mut sent, mut received) = (0, 0);
        let mut buf = vec![0u8; 16 * 1024];
        let outcome = self.run_until(timeout, &format!("echo from {remote}"), |peer| {
            let socket = peer.tcp(handle);
            if sent < data.len() && socket.can_send() {
                sent += socket.send_slice(&data[sent..]).unwrap_or(0);
            }
            while socket.can_recv() {
                let n = socket.recv_slice(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                let expected = data.get(received..received + n);
                if expected != Some(&buf[..n]) {
                    return Some(Err(anyhow::anyhow!(
                        "echo from {remote} differs in bytes {received}..{}",
                        received + n
                    )));
                }
                received += n;
            }
            if received == data.len() {
                return Some(Ok(()));
            }
            if !socket.is_active() {
                return Some(Err(anyhow::anyhow!(
                    "{remote} closed after echoing {received} of {} bytes",
                    data.len()
                )));
            }
            None
        });
        let socket = self.tcp(handle);
        socket.close();
        // Let the FIN go out; the socket set forgets it either way.
        let _ = self.run_until(Duration::from_secs(2), "close", |peer| {
            matches!(
                peer.tcp(handle).state(),
                tcp::State::Closed | tcp::State::TimeWait
            )
            .then_some(())
        });
        self.remove(handle);
        outcome?
    }

    /// Sends one ICMP echo request to `target` and waits for its reply; returns the time the
    /// round trip took.
    pub fn ping(
        &mut self,
        target: IpAddress,
        ident: u16,
        seq_no: u16,
        timeout: Duration,
    ) -> Result<Duration> {
        let mut socket = icmp::Socket::new(
            icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 4], vec![0; 2048]),
            icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 4], vec![0; 2048]),
        );
        socket
            .bind(icmp::Endpoint::Ident(ident))
            .context("binding the ICMP socket")?;
        let handle = self.sockets.add(socket);
        let payload: Vec<u8> = (0..56u8).map(|i| i ^ seq_no as u8).collect();
        let result = self.ping_with(handle, target, ident, seq_no, &payload, timeout);
        self.sockets.remove(handle);
        result
    }

    fn ping_with(
        &mut self,
        handle: SocketHandle,
        target: IpAddress,
        ident: u16,
        seq_no: u16,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Duration> {
        let caps = ChecksumCapabilities::default();
        // Like ping(8), the request is repeated every second: a guest that has to resolve the
        // peer's address first (ARP/NDP) drops the reply that triggered the resolution.
        let mut sent_at: Option<Instant> = None;
        self.run_until(timeout, &format!("echo reply from {target}"), |peer| {
            let socket = peer.sockets.get_mut::<icmp::Socket>(handle);
            if sent_at.is_none_or(|at| at.elapsed() >= PING_INTERVAL) {
                if let Err(e) = queue_echo_request(socket, target, ident, seq_no, payload) {
                    return Some(Err(e));
                }
                sent_at = Some(Instant::now());
            }
            while let Ok((packet, from)) = socket.recv() {
                if from != target {
                    continue;
                }
                let matches = match from {
                    IpAddress::Ipv4(_) => Icmpv4Packet::new_checked(packet)
                        .and_then(|p| Icmpv4Repr::parse(&p, &caps))
                        .is_ok_and(|r| {
                            r == Icmpv4Repr::EchoReply {
                                ident,
                                seq_no,
                                data: payload,
                            }
                        }),
                    IpAddress::Ipv6(src) => Icmpv6Packet::new_checked(packet)
                        .and_then(|p| Icmpv6Repr::parse(&src, &PEER_V6, &p, &caps))
                        .is_ok_and(|r| {
                            r == Icmpv6Repr::EchoReply {
                                ident,
                                seq_no,
                                data: payload,
                            }
                        }),
                };
                if matches {
                    return Some(Ok(sent_at.map_or(Duration::ZERO, |at| at.elapsed())));
                }
            }
            None
        })?
    }
}

/// How often [`HostPeer::ping`] repeats an unanswered echo request.
const PING_INTERVAL: Duration = Duration::from_secs(1);

/// Queues one ICMP echo request to `target` on `socket`.
fn queue_echo_request(
    socket: &mut icmp::Socket<'_>,
    target: IpAddress,
    ident: u16,
    seq_no: u16,
    payload: &[u8],
) -> Result<()> {
    let caps = ChecksumCapabilities::default();
    match target {
        IpAddress::Ipv4(_) => {
            let repr = Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data: payload,
            };
            let buf = socket
                .send(repr.buffer_len(), target)
                .map_err(|e| anyhow::anyhow!("queueing ICMPv4 echo: {e}"))?;
            repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &caps);
        }
        IpAddress::Ipv6(dst) => {
            let repr = Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data: payload,
            };
            let buf = socket
                .send(repr.buffer_len(), target)
                .map_err(|e| anyhow::anyhow!("queueing ICMPv6 echo: {e}"))?;
            repr.emit(&PEER_V6, &dst, &mut Icmpv6Packet::new_unchecked(buf), &caps);
        }
    }
    Ok(())
}

/// The vexpress firmware booted on a fresh owned wire, and the host peer on the other end.
pub struct WireGuest {
    /// The QEMU process (killed by PID when dropped).
    pub qemu: Qemu,
    /// The host's end of the wire.
    pub peer: HostPeer,
}

/// How long the firmware may take from QEMU start to [`GUEST_READY`].
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(30);

impl WireGuest {
    /// Boots `config` (normally [`QemuConfig::vexpress_built`]) with [`GUEST_CMDLINE`] on a
    /// new wire and waits until its network is up.
    pub fn boot(mut config: QemuConfig) -> Result<Self> {
        let wire = UdpWire::bind()?;
        config.wire = Some(wire.sockets());
        config.user_network = None;
        config.append = Some(match config.append.take() {
            Some(more) => format!("{GUEST_CMDLINE} {more}"),
            None => GUEST_CMDLINE.to_owned(),
        });
        let qemu = Qemu::spawn(&config)?;
        qemu.wait_for(GUEST_READY, BOOT_TIMEOUT)?;
        Ok(Self {
            qemu,
            peer: HostPeer::new(wire),
        })
    }

    /// The vexpress images from `cargo xtask build`, booted on a new wire.
    pub fn boot_vexpress() -> Result<Self> {
        Self::boot(QemuConfig::vexpress_built()?)
    }

    /// Fails if the console shows a panic or a CPU exception report, or QEMU has exited
    /// (a panic resets the board, which `-no-reboot` turns into an exit).
    pub fn check_alive(&mut self) -> Result<()> {
        let text = self.qemu.console_text();
        if text.contains("PANIC") || text.contains("EXCEPTION") {
            bail!("the guest reported a fault; console:\n{text}");
        }
        if let Some(status) = self.qemu.child.try_wait()? {
            bail!("QEMU exited ({status}); console:\n{text}");
        }
        Ok(())
    }
}
