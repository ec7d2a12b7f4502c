//! [`Stack`]: the NIC, the smoltcp interface, the socket pool and the DHCP client, polled with
//! bounded work.

use alloc::vec::Vec;

use nic::{Nic, NicStats, SmoltcpDevice};
use smoltcp::iface::{
    Config, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet,
};
use smoltcp::phy::Device;
use smoltcp::socket::{dhcpv4, tcp, udp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{
    EthernetAddress, HardwareAddress, IpCidr, IpEndpoint, IpListenEndpoint, Ipv4Address, Ipv4Cidr,
    Ipv6Address, Ipv6Cidr,
};

use crate::budget::Budget;
use crate::config::{Ipv4Mode, MAX_IPV6_ADDRESSES, StackConfig};
use crate::gate::{Gate, GateStats, GatedDevice, GatedPort};
use crate::pool::{ListenerId, Pool, PoolStats, SocketUsage, TcpHandle};
use crate::{ConnectError, ListenError, StackError};

/// Where the DHCP client stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DhcpState {
    /// IPv4 is static or disabled.
    #[default]
    NotUsed,
    /// Looking for a server, or waiting for its answer.
    Searching,
    /// A lease is applied.
    Bound {
        /// Leased address and prefix.
        address: Ipv4Cidr,
        /// Default gateway from the lease, if it gave one.
        router: Option<Ipv4Address>,
    },
}

/// A change of the DHCP lease, reported once by the [`Stack::poll`] that applied it, so the
/// firmware can log it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DhcpChange {
    /// A lease was obtained or changed; the address and route are already applied.
    Bound {
        /// Leased address and prefix.
        address: Ipv4Cidr,
        /// Default gateway, if any (route installed).
        router: Option<Ipv4Address>,
        /// First DNS server the lease named, if any (for the log; the stack does not resolve).
        dns: Option<Ipv4Address>,
    },
    /// The lease was lost (expired or the server went away); the address is removed.
    Lost,
}

/// What one [`Stack::poll`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PollOutcome {
    /// Frames taken from the NIC (passed to smoltcp or dropped by the gate).
    pub frames_in: usize,
    /// The frame limit or the egress pass limit was reached with work left: poll again soon
    /// (after giving the rest of the main loop its turn).
    pub more_pending: bool,
    /// Some socket may have changed state or have data: run the application.
    pub sockets_changed: bool,
    /// A DHCP lease change applied during this poll.
    pub dhcp: Option<DhcpChange>,
}

/// All counters, for a status page or the serial console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StackStats {
    /// Frames in and out, and what the ingress gate dropped and why.
    pub gate: GateStats,
    /// Accepts, connects, expired handshakes, forced closes.
    pub pool: PoolStats,
    /// Socket usage right now.
    pub sockets: SocketUsage,
    /// DHCP client state.
    pub dhcp: DhcpState,
    /// The NIC driver's counters.
    pub nic: NicStats,
    /// Polls that stopped at `max_frames_per_poll` with frames still waiting.
    pub polls_saturated: u64,
    /// Polls that stopped at `max_egress_passes` with segments still to send.
    pub egress_saturated: u64,
    /// Replies smoltcp built that the NIC refused as invalid (see `SmoltcpDevice::replies_lost`).
    pub replies_lost: u64,
}

/// The network stack of the firmware. See the crate docs for how the main loop drives it.
pub struct Stack<N: Nic> {
    device: SmoltcpDevice<N>,
    iface: Interface,
    sockets: SocketSet<'static>,
    gate: Gate,
    pool: Pool,
    dhcp: Option<SocketHandle>,
    dhcp_state: DhcpState,
    max_frames_per_poll: usize,
    max_egress_passes: usize,
    handshake_timeout: Duration,
    close_linger: Duration,
    /// Time of the last poll; used to stamp closes made between polls.
    now: Instant,
    /// Earliest deadline of the pool's own timers.
    pool_deadline: Option<Instant>,
    more_pending: bool,
    polls_saturated: u64,
    egress_saturated: u64,
}

/// The EUI-64 link-local address for a MAC (RFC 4291 §2.5.1 and appendix A: flip the U/L bit,
/// insert ff:fe in the middle).
pub fn link_local_address(mac: nic::MacAddress) -> Ipv6Address {
    let m = mac.0;
    let word = |hi: u8, lo: u8| (u16::from(hi) << 8) | u16::from(lo);
    Ipv6Address::new(
        0xfe80,
        0,
        0,
        0,
        word(m[0] ^ 0x02, m[1]),
        word(m[2], 0xff),
        word(0xfe, m[3]),
        word(m[4], m[5]),
    )
}

impl<N: Nic> Stack<N> {
    /// Brings the stack up on `nic`: allocates `budget` sockets, configures addresses and
    /// routes, starts DHCP if configured. Listener pools are added with [`listen`](Self::listen).
    pub fn new(
        nic: N,
        config: &StackConfig,
        budget: &Budget,
        now: Instant,
    ) -> Result<Stack<N>, StackError> {
        let mac = nic.mac_address();
        if !mac.is_valid_station() {
            return Err(StackError::BadMac);
        }
        if config.ipv6.addresses.len() > MAX_IPV6_ADDRESSES {
            return Err(StackError::TooManyAddresses);
        }
        let mut device = SmoltcpDevice::new(nic);
        let gate = Gate::new(&device.capabilities(), EthernetAddress(mac.0));

        let mut iface_config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac.0)));
        iface_config.random_seed = config.random_seed;
        let mut iface = {
            let mut gated = GatedDevice {
                inner: &mut device,
                gate: &gate,
            };
            Interface::new(iface_config, &mut gated, now)
        };

        let mut cidrs: Vec<IpCidr> = Vec::new();
        if let Ipv4Mode::Static { address, .. } = config.ipv4 {
            cidrs.push(IpCidr::Ipv4(address));
        }
        let v6 = &config.ipv6;
        if v6.link_local && (!v6.addresses.is_empty() || v6.gateway.is_some()) {
            cidrs.push(IpCidr::Ipv6(Ipv6Cidr::new(link_local_address(mac), 64)));
        }
        cidrs.extend(v6.addresses.iter().map(|a| IpCidr::Ipv6(*a)));
        let mut overflow = false;
        iface.update_ip_addrs(|addrs| {
            for cidr in &cidrs {
                overflow |= addrs.push(*cidr).is_err();
            }
        });
        if overflow {
            return Err(StackError::TooManyAddresses);
        }
        if let Ipv4Mode::Static {
            gateway: Some(gw), ..
        } = config.ipv4
        {
            iface
                .routes_mut()
                .add_default_ipv4_route(gw)
                .map_err(|_| StackError::TooManyRoutes)?;
        }
        if let Some(gw) = v6.gateway {
            iface
                .routes_mut()
                .add_default_ipv6_route(gw)
                .map_err(|_| StackError::TooManyRoutes)?;
        }

        // Room for every TCP socket at once plus the DHCP client, the datagram socket and a
        // spare, so that adding a socket never reallocates.
        let mut storage = Vec::new();
        storage
            .try_reserve_exact(budget.sockets + 4)
            .map_err(|_| StackError::OutOfMemory)?;
        let mut sockets = SocketSet::new(storage);
        let pool = Pool::new(budget, config)?;
        let (dhcp, dhcp_state) = match config.ipv4 {
            Ipv4Mode::Dhcp => (
                Some(sockets.add(dhcpv4::Socket::new())),
                DhcpState::Searching,
            ),
            _ => (None, DhcpState::NotUsed),
        };

        Ok(Stack {
            device,
            iface,
            sockets,
            gate,
            pool,
            dhcp,
            dhcp_state,
            max_frames_per_poll: config.max_frames_per_poll.max(1),
            max_egress_passes: config.max_egress_passes.max(1),
            handshake_timeout: config.handshake_timeout,
            close_linger: config.close_linger,
            now,
            pool_deadline: None,
            more_pending: false,
            polls_saturated: 0,
            egress_saturated: 0,
        })
    }

    /// Does one bounded round of network work: at most `max_frames_per_poll` received frames,
    /// at most `max_egress_passes` egress passes over all sockets, timers, DHCP, and socket recycling and listener
    /// re-arming. Call it after a NIC interrupt, when [`poll_delay`](Self::poll_delay) expires,
    /// and after the application queued data or closed sockets.
    pub fn poll(&mut self, now: Instant) -> PollOutcome {
        self.now = now;
        let mut outcome = PollOutcome::default();
        let mut gated = GatedDevice {
            inner: &mut self.device,
            gate: &self.gate,
        };
        self.iface.poll_maintenance(now);

        while outcome.frames_in < self.max_frames_per_poll {
            match self
                .iface
                .poll_ingress_single(now, &mut gated, &mut self.sockets)
            {
                PollIngressSingleResult::None => break,
                PollIngressSingleResult::PacketProcessed => {}
                PollIngressSingleResult::SocketStateChanged => outcome.sockets_changed = true,
            }
            outcome.frames_in += 1;
            if self.gate.pool_drained.replace(false) {
                // A SYN took the last listening socket of a pool. Re-arm before the next frame,
                // which may be the next client's SYN.
                self.pool
                    .maintain(now, &mut self.sockets, self.handshake_timeout, false);
                sync_gate(&self.gate, &self.pool);
            }
        }
        if outcome.frames_in == self.max_frames_per_poll && gated.inner.nic_mut().rx_ready() {
            outcome.more_pending = true;
            self.polls_saturated = self.polls_saturated.wrapping_add(1);
        }

        // One egress pass sends at most one segment per socket (smoltcp's `socket_egress`), so
        // keep passing while segments go out: until every socket is done, the NIC is full, or
        // the pass limit is reached.
        let mut passes = 0;
        while self.iface.poll_egress(now, &mut gated, &mut self.sockets)
            == PollResult::SocketStateChanged
        {
            outcome.sockets_changed = true;
            passes += 1;
            if passes == self.max_egress_passes {
                outcome.more_pending = true;
                self.egress_saturated = self.egress_saturated.wrapping_add(1);
                break;
            }
        }
        self.more_pending = outcome.more_pending;

        outcome.dhcp = self.poll_dhcp();
        self.pool_deadline =
            self.pool
                .maintain(now, &mut self.sockets, self.handshake_timeout, true);
        sync_gate(&self.gate, &self.pool);
        outcome
    }

    /// How long the main loop may sleep before the next [`poll`](Self::poll) if no interrupt
    /// comes: `Some(ZERO)` means poll again at once, `None` means only a received frame can make
    /// work.
    pub fn poll_delay(&mut self, now: Instant) -> Option<Duration> {
        if self.more_pending {
            return Some(Duration::ZERO);
        }
        let smoltcp = self.iface.poll_delay(now, &self.sockets);
        let pool = self
            .pool_deadline
            .map(|t| if t > now { t - now } else { Duration::ZERO });
        match (smoltcp, pool) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn poll_dhcp(&mut self) -> Option<DhcpChange> {
        let handle = self.dhcp?;
        let change = match self.sockets.get_mut::<dhcpv4::Socket>(handle).poll()? {
            dhcpv4::Event::Configured(lease) => DhcpChange::Bound {
                address: lease.address,
                router: lease.router,
                dns: lease.dns_servers.first().copied(),
            },
            // The client also says "deconfigured" when it starts; only a lost lease is news.
            dhcpv4::Event::Deconfigured if !matches!(self.dhcp_state, DhcpState::Bound { .. }) => {
                return None;
            }
            dhcpv4::Event::Deconfigured => DhcpChange::Lost,
        };
        self.iface.update_ip_addrs(|addrs| {
            addrs.retain(|cidr| !matches!(cidr, IpCidr::Ipv4(_)));
            if let DhcpChange::Bound { address, .. } = change {
                // Room is guaranteed: the IPv4 entry was just removed and `new` left one for it.
                let _ = addrs.push(IpCidr::Ipv4(address));
            }
        });
        match change {
            DhcpChange::Bound {
                address,
                router: Some(router),
                ..
            } => {
                // The route table holds the IPv4 and the IPv6 default route: there is room.
                let _ = self.iface.routes_mut().add_default_ipv4_route(router);
                self.dhcp_state = DhcpState::Bound {
                    address,
                    router: Some(router),
                };
            }
            DhcpChange::Bound { address, .. } => {
                self.iface.routes_mut().remove_default_ipv4_route();
                self.dhcp_state = DhcpState::Bound {
                    address,
                    router: None,
                };
            }
            DhcpChange::Lost => {
                self.iface.routes_mut().remove_default_ipv4_route();
                self.dhcp_state = DhcpState::Searching;
            }
        }
        Some(change)
    }

    /// Keeps `backlog` sockets listening on `endpoint` (port, optionally one local address),
    /// re-arming them as connections arrive; established connections are taken with
    /// [`accept`](Self::accept). See the crate docs for the behaviour when sockets run out.
    pub fn listen(
        &mut self,
        endpoint: impl Into<IpListenEndpoint>,
        backlog: usize,
    ) -> Result<ListenerId, ListenError> {
        let endpoint = endpoint.into();
        // Reserve first so that pool and gate cannot disagree on the number of pools.
        self.gate
            .ports
            .try_reserve(1)
            .map_err(|_| ListenError::OutOfMemory)?;
        let id = self.pool.listen(endpoint, backlog)?;
        self.gate.ports.push(GatedPort {
            endpoint,
            open: core::cell::Cell::new(0),
        });
        self.pool.refill(&mut self.sockets);
        sync_gate(&self.gate, &self.pool);
        Ok(id)
    }

    /// The oldest established connection of a listener pool, now owned by the application.
    pub fn accept(&mut self, listener: ListenerId) -> Option<TcpHandle> {
        self.pool.accept(listener, &mut self.sockets)
    }

    /// Established connections waiting for [`accept`](Self::accept).
    pub fn pending_accepts(&self, listener: ListenerId) -> usize {
        self.pool.ready_count(listener)
    }

    /// Opens a connection to `remote` from an ephemeral port. The handle is usable at once;
    /// the socket's state tells when the handshake completed (`may_send`) or failed (`Closed`).
    pub fn connect(&mut self, remote: impl Into<IpEndpoint>) -> Result<TcpHandle, ConnectError> {
        let remote = remote.into();
        self.pool
            .connect(self.iface.context(), &mut self.sockets, remote)
    }

    /// The smoltcp socket behind `handle`, for `send`/`recv`/`state`; `None` if the handle is
    /// stale (closed or aborted). Do not call `listen`, `connect` or `close` on it directly:
    /// use the stack's methods, which keep the pool's books. A connection that ended on its own
    /// (reset by the peer, timed out: state `Closed`) still holds its socket until the
    /// application calls [`close`](Self::close) or [`abort`](Self::abort).
    pub fn socket(&mut self, handle: TcpHandle) -> Option<&mut tcp::Socket<'static>> {
        let h = self.pool.resolve(handle)?;
        Some(self.sockets.get_mut::<tcp::Socket>(h))
    }

    /// Graceful close: sends FIN after the queued data. The handle becomes stale at once; the
    /// socket returns to the pool when the close completes (or is aborted after
    /// `close_linger`). Returns `false` for a stale handle.
    pub fn close(&mut self, handle: TcpHandle) -> bool {
        self.pool.release(
            handle,
            &mut self.sockets,
            self.now,
            self.close_linger,
            false,
        )
    }

    /// Abort: sends RST and returns the socket to the pool. Returns `false` for a stale handle.
    pub fn abort(&mut self, handle: TcpHandle) -> bool {
        self.pool
            .release(handle, &mut self.sockets, self.now, self.close_linger, true)
    }

    /// Keeps `reserve` free sockets out of the listener pools' reach, for
    /// [`connect`](Self::connect). A proxy sets it to roughly the connections it expects to open
    /// while its listeners are busy; 0 (the default) lets listeners take every socket.
    pub fn set_connect_reserve(&mut self, reserve: usize) {
        self.pool.set_connect_reserve(reserve);
    }

    /// All counters.
    pub fn stats(&mut self) -> StackStats {
        StackStats {
            gate: self.gate.stats(),
            pool: self.pool.stats,
            sockets: self.pool.usage(),
            dhcp: self.dhcp_state,
            nic: self.device.nic_mut().stats(),
            polls_saturated: self.polls_saturated,
            egress_saturated: self.egress_saturated,
            replies_lost: self.device.replies_lost(),
        }
    }

    /// DHCP client state.
    pub fn dhcp_state(&self) -> DhcpState {
        self.dhcp_state
    }

    /// The interface's current addresses.
    pub fn ip_addrs(&self) -> &[IpCidr] {
        self.iface.ip_addrs()
    }

    /// The NIC, for [`Nic::on_interrupt`] and link state.
    pub fn nic_mut(&mut self) -> &mut N {
        self.device.nic_mut()
    }

    /// The smoltcp interface, for what this crate does not wrap (routes, neighbour cache).
    pub fn interface_mut(&mut self) -> &mut Interface {
        &mut self.iface
    }

    /// The per-connection TCP options every socket gets.
    pub fn tcp_tuning(&self) -> &crate::config::TcpTuning {
        self.pool.tuning()
    }
}

/// Tells the gate how many sockets each pool has in LISTEN.
fn sync_gate(gate: &Gate, pool: &Pool) {
    for (port, (_, listening)) in gate.ports.iter().zip(pool.listener_endpoints()) {
        port.open.set(listening);
    }
}

/// Source port of datagrams sent with [`Stack::send_datagram`] (syslog).
pub const DATAGRAM_SOURCE_PORT: u16 = 49_151;

/// What the proxy needs beyond the socket API above: reading a connection's state through a
/// shared reference, a half-close, and fire-and-forget UDP for syslog.
impl<N: Nic> Stack<N> {
    /// The socket behind `handle` for reading its state; `None` if the handle is stale.
    pub fn peek_socket(&self, handle: TcpHandle) -> Option<&tcp::Socket<'static>> {
        let h = self.pool.resolve(handle)?;
        Some(self.sockets.get::<tcp::Socket>(h))
    }

    /// Half-close: sends FIN after the queued data; the connection keeps receiving until the
    /// peer closes too, and the handle stays valid until [`close`](Self::close) or
    /// [`abort`](Self::abort). Returns `false` for a stale handle.
    pub fn shutdown_write(&mut self, handle: TcpHandle) -> bool {
        match self.socket(handle) {
            Some(socket) => {
                socket.close();
                true
            }
            None => false,
        }
    }

    /// Queues one UDP datagram to `to` from [`DATAGRAM_SOURCE_PORT`]; `false` if it cannot be
    /// queued (buffer full, too large, no route). The UDP socket is created on first use, so a
    /// configuration without syslog costs nothing.
    pub fn send_datagram(&mut self, to: core::net::SocketAddr, payload: &[u8]) -> bool {
        let existing = self.sockets.iter().find_map(|(handle, socket)| {
            matches!(socket, smoltcp::socket::Socket::Udp(_)).then_some(handle)
        });
        let handle = match existing {
            Some(handle) => handle,
            None => {
                let buffer = || {
                    udp::PacketBuffer::new(
                        alloc::vec![udp::PacketMetadata::EMPTY; 16],
                        alloc::vec![0; 16 * 1024],
                    )
                };
                let mut socket = udp::Socket::new(buffer(), buffer());
                if socket.bind(DATAGRAM_SOURCE_PORT).is_err() {
                    return false;
                }
                self.sockets.add(socket)
            }
        };
        let endpoint = smoltcp::wire::IpEndpoint::new(to.ip().into(), to.port());
        self.sockets
            .get_mut::<udp::Socket>(handle)
            .send_slice(payload, endpoint)
            .is_ok()
    }
}
