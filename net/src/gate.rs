//! The ingress gate: a `phy::Device` wrapper that looks at every received frame before smoltcp
//! does, drops the ones that must not reach it, and counts why.
//!
//! # What it drops
//! - **Malformed**: headers that do not parse (runt Ethernet, IPv4 with a bad version, IHL or
//!   total length, IPv6 payload length past the frame, TCP data offset out of range, UDP or
//!   ICMP shorter than their header).
//! - **Bad checksum**: the IPv4 header, TCP, UDP, ICMPv4 and ICMPv6 checksums are verified here,
//!   once, and smoltcp is told the NIC verified them (so the expensive TCP sum is not computed
//!   twice). Protocols the NIC really offloads are left alone.
//! - **Unsupported**: IPv4 fragments (smoltcp is built without reassembly), IPv6 extension
//!   headers (whose payload checksums the gate cannot cheaply reach), and EtherTypes other than
//!   IPv4, IPv6 and ARP.
//! - **Oversized**: longer than the interface MTU.
//! - **Not for us**: unicast to another station's MAC (a NIC in promiscuous mode, a switch
//!   flooding unknown destinations). smoltcp would drop them too, but silently.
//! - **Gated SYNs**: a SYN (without ACK) to a listener pool that has no socket left in LISTEN.
//!   smoltcp would answer it with RST; dropping it makes the client retransmit (after 1 s, then
//!   2 s, ... on common stacks), by when a socket may be free. See the crate docs.
//!
//! A dropped frame is handed to smoltcp as an empty slice, which smoltcp discards without a
//! reply; so the gate never needs its own buffer.
//!
//! The gate's state is shared by the two tokens through `Cell`s: the receive token reads it while
//! the transmit token of the same pair may count an outgoing frame.

use alloc::vec::Vec;
use core::cell::Cell;

use smoltcp::phy::{self, Checksum, DeviceCapabilities};
use smoltcp::time::Instant;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, Icmpv4Packet, Icmpv6Packet, IpAddress,
    IpListenEndpoint, IpProtocol, Ipv4Packet, Ipv6Packet, TcpPacket, UdpPacket,
};

/// Counters the gate keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GateStats {
    /// Frames received from the NIC (passed or dropped).
    pub frames_in: u64,
    /// Frames handed to the NIC for transmission.
    pub frames_out: u64,
    /// Frames whose headers did not parse.
    pub malformed: u64,
    /// Frames with a wrong IPv4, TCP, UDP, ICMPv4 or ICMPv6 checksum.
    pub bad_checksum: u64,
    /// Fragments, IPv6 extension headers, unknown EtherTypes.
    pub unsupported: u64,
    /// Frames longer than the MTU.
    pub oversized: u64,
    /// Unicast frames for another station's MAC address.
    pub not_for_us: u64,
    /// SYNs dropped because their listener pool had no socket in LISTEN.
    pub syns_gated: u64,
}

/// What the gate decided about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Malformed,
    BadChecksum,
    Unsupported,
    Oversized,
    NotForUs,
    SynGated,
}

/// Which checksums the gate verifies (those smoltcp would otherwise verify).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Verify {
    ipv4: bool,
    tcp: bool,
    udp: bool,
    icmpv4: bool,
    icmpv6: bool,
}

/// One listener pool as the gate sees it.
#[derive(Debug)]
pub(crate) struct GatedPort {
    pub(crate) endpoint: IpListenEndpoint,
    /// Sockets of the pool believed to be in LISTEN. Decremented for every SYN let through, so
    /// within one batch of frames the estimate errs towards dropping rather than RST.
    pub(crate) open: Cell<usize>,
}

/// Gate state; lives in the `Stack`, lent to a [`GatedDevice`] for each poll.
#[derive(Debug)]
pub(crate) struct Gate {
    pub(crate) ports: Vec<GatedPort>,
    mac: EthernetAddress,
    verify: Verify,
    max_frame_len: usize,
    /// Set when a SYN took the last open socket of some pool: the stack re-arms listeners before
    /// it processes the next frame.
    pub(crate) pool_drained: Cell<bool>,
    stats: Cell<GateStats>,
}

/// smoltcp's duty for a checksum once the gate has verified received ones.
fn without_rx(c: Checksum) -> Checksum {
    match c {
        Checksum::Both | Checksum::Tx => Checksum::Tx,
        Checksum::Rx | Checksum::None => Checksum::None,
    }
}

impl Gate {
    /// A gate for a device with these capabilities (before the gate's own adjustment).
    pub(crate) fn new(device_caps: &DeviceCapabilities, mac: EthernetAddress) -> Gate {
        let c = &device_caps.checksum;
        Gate {
            ports: Vec::new(),
            mac,
            verify: Verify {
                ipv4: c.ipv4.rx(),
                tcp: c.tcp.rx(),
                udp: c.udp.rx(),
                icmpv4: c.icmpv4.rx(),
                icmpv6: c.icmpv6.rx(),
            },
            max_frame_len: device_caps.max_transmission_unit,
            pool_drained: Cell::new(false),
            stats: Cell::new(GateStats::default()),
        }
    }

    pub(crate) fn stats(&self) -> GateStats {
        self.stats.get()
    }

    fn count(&self, update: impl FnOnce(&mut GateStats)) {
        let mut s = self.stats.get();
        update(&mut s);
        self.stats.set(s);
    }

    /// Capabilities smoltcp sees through the gate.
    fn capabilities(&self, mut caps: DeviceCapabilities) -> DeviceCapabilities {
        let c = &mut caps.checksum;
        c.ipv4 = without_rx(c.ipv4);
        c.tcp = without_rx(c.tcp);
        c.udp = without_rx(c.udp);
        c.icmpv4 = without_rx(c.icmpv4);
        c.icmpv6 = without_rx(c.icmpv6);
        caps
    }

    /// Decides about one received frame and counts the decision.
    fn admit(&self, frame: &[u8]) -> bool {
        let verdict = self.inspect(frame);
        self.count(|s| {
            s.frames_in = s.frames_in.wrapping_add(1);
            let counter = match verdict {
                Verdict::Pass => return,
                Verdict::Malformed => &mut s.malformed,
                Verdict::BadChecksum => &mut s.bad_checksum,
                Verdict::Unsupported => &mut s.unsupported,
                Verdict::Oversized => &mut s.oversized,
                Verdict::NotForUs => &mut s.not_for_us,
                Verdict::SynGated => &mut s.syns_gated,
            };
            *counter = counter.wrapping_add(1);
        });
        verdict == Verdict::Pass
    }

    fn inspect(&self, frame: &[u8]) -> Verdict {
        if frame.len() > self.max_frame_len {
            return Verdict::Oversized;
        }
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            return Verdict::Malformed;
        };
        let dst = eth.dst_addr();
        if dst.is_unicast() && dst != self.mac {
            return Verdict::NotForUs;
        }
        match eth.ethertype() {
            EthernetProtocol::Arp => Verdict::Pass,
            EthernetProtocol::Ipv4 => self.inspect_ipv4(eth.payload()),
            EthernetProtocol::Ipv6 => self.inspect_ipv6(eth.payload()),
            EthernetProtocol::Unknown(_) => Verdict::Unsupported,
        }
    }

    fn inspect_ipv4(&self, packet: &[u8]) -> Verdict {
        let Ok(ip) = Ipv4Packet::new_checked(packet) else {
            return Verdict::Malformed;
        };
        if ip.version() != 4 {
            return Verdict::Malformed;
        }
        if self.verify.ipv4 && !ip.verify_checksum() {
            return Verdict::BadChecksum;
        }
        if ip.more_frags() || ip.frag_offset() != 0 {
            return Verdict::Unsupported;
        }
        let (src, dst) = (
            IpAddress::Ipv4(ip.src_addr()),
            IpAddress::Ipv4(ip.dst_addr()),
        );
        match ip.next_header() {
            IpProtocol::Icmp => {
                let Ok(icmp) = Icmpv4Packet::new_checked(ip.payload()) else {
                    return Verdict::Malformed;
                };
                if self.verify.icmpv4 && !icmp.verify_checksum() {
                    return Verdict::BadChecksum;
                }
                Verdict::Pass
            }
            proto => self.inspect_transport(proto, ip.payload(), src, dst),
        }
    }

    fn inspect_ipv6(&self, packet: &[u8]) -> Verdict {
        let Ok(ip) = Ipv6Packet::new_checked(packet) else {
            return Verdict::Malformed;
        };
        if ip.version() != 6 {
            return Verdict::Malformed;
        }
        let (src6, dst6) = (ip.src_addr(), ip.dst_addr());
        match ip.next_header() {
            IpProtocol::Icmpv6 => {
                let Ok(icmp) = Icmpv6Packet::new_checked(ip.payload()) else {
                    return Verdict::Malformed;
                };
                if self.verify.icmpv6 && !icmp.verify_checksum(&src6, &dst6) {
                    return Verdict::BadChecksum;
                }
                Verdict::Pass
            }
            IpProtocol::HopByHop
            | IpProtocol::Ipv6Route
            | IpProtocol::Ipv6Frag
            | IpProtocol::Ipv6Opts
            | IpProtocol::IpSecAh
            | IpProtocol::IpSecEsp => Verdict::Unsupported,
            proto => self.inspect_transport(
                proto,
                ip.payload(),
                IpAddress::Ipv6(src6),
                IpAddress::Ipv6(dst6),
            ),
        }
    }

    /// TCP and UDP, common to both IP versions. Other protocols pass: smoltcp answers them with
    /// "protocol unreachable" and they carry no checksum the gate took over.
    fn inspect_transport(
        &self,
        proto: IpProtocol,
        payload: &[u8],
        src: IpAddress,
        dst: IpAddress,
    ) -> Verdict {
        match proto {
            IpProtocol::Tcp => {
                let Ok(tcp) = TcpPacket::new_checked(payload) else {
                    return Verdict::Malformed;
                };
                if self.verify.tcp && !tcp.verify_checksum(&src, &dst) {
                    return Verdict::BadChecksum;
                }
                if tcp.syn() && !tcp.ack() && !tcp.rst() {
                    return self.gate_syn(dst, tcp.dst_port());
                }
                Verdict::Pass
            }
            IpProtocol::Udp => {
                let Ok(udp) = UdpPacket::new_checked(payload) else {
                    return Verdict::Malformed;
                };
                if self.verify.udp && !udp.verify_checksum(&src, &dst) {
                    return Verdict::BadChecksum;
                }
                Verdict::Pass
            }
            _ => Verdict::Pass,
        }
    }

    /// A connection request: passes unless its pool has no socket left in LISTEN.
    fn gate_syn(&self, dst: IpAddress, port: u16) -> Verdict {
        let pool = self
            .ports
            .iter()
            .find(|p| p.endpoint.port == port && p.endpoint.addr.is_none_or(|addr| addr == dst));
        let Some(pool) = pool else {
            // No pool: smoltcp answers with RST (closed port), or a user socket takes it.
            return Verdict::Pass;
        };
        match pool.open.get() {
            0 => Verdict::SynGated,
            n => {
                pool.open.set(n - 1);
                if n == 1 {
                    self.pool_drained.set(true);
                }
                Verdict::Pass
            }
        }
    }
}

/// A device as smoltcp sees it through the gate, for the duration of one poll.
pub(crate) struct GatedDevice<'a, D: phy::Device> {
    pub(crate) inner: &'a mut D,
    pub(crate) gate: &'a Gate,
}

impl<D: phy::Device> phy::Device for GatedDevice<'_, D> {
    type RxToken<'a>
        = RxToken<'a, D::RxToken<'a>>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, D::TxToken<'a>>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (rx, tx) = self.inner.receive(now)?;
        Some((
            RxToken {
                inner: rx,
                gate: self.gate,
            },
            TxToken {
                inner: tx,
                gate: self.gate,
            },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        Some(TxToken {
            inner: self.inner.transmit(now)?,
            gate: self.gate,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.gate.capabilities(self.inner.capabilities())
    }
}

pub(crate) struct RxToken<'a, T> {
    inner: T,
    gate: &'a Gate,
}

impl<T: phy::RxToken> phy::RxToken for RxToken<'_, T> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        let gate = self.gate;
        self.inner.consume(|frame| {
            if gate.admit(frame) {
                f(frame)
            } else {
                // smoltcp discards empty frames without replying.
                f(&[])
            }
        })
    }

    fn meta(&self) -> phy::PacketMeta {
        self.inner.meta()
    }
}

pub(crate) struct TxToken<'a, T> {
    inner: T,
    gate: &'a Gate,
}

impl<T: phy::TxToken> phy::TxToken for TxToken<'_, T> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        self.gate
            .count(|s| s.frames_out = s.frames_out.wrapping_add(1));
        self.inner.consume(len, f)
    }

    fn set_meta(&mut self, meta: phy::PacketMeta) {
        self.inner.set_meta(meta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::phy::Medium;

    const MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);

    fn caps(tcp: Checksum) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps.checksum.tcp = tcp;
        caps
    }

    #[test]
    fn frames_longer_than_the_mtu_are_counted_as_oversized() {
        let gate = Gate::new(&caps(Checksum::Both), MAC);
        assert!(!gate.admit(&[0u8; 1515]));
        assert!(!gate.admit(&[0u8; 9000]));
        let s = gate.stats();
        assert_eq!((s.frames_in, s.oversized, s.malformed), (2, 2, 0));
    }

    #[test]
    fn gate_takes_over_only_the_checks_smoltcp_would_have_done() {
        // No offload: the gate verifies and smoltcp only computes on transmit.
        let gate = Gate::new(&caps(Checksum::Both), MAC);
        assert!(gate.verify.tcp && gate.verify.ipv4);
        let seen = gate.capabilities(caps(Checksum::Both));
        assert!(!seen.checksum.tcp.rx() && seen.checksum.tcp.tx());
        assert!(!seen.checksum.ipv4.rx() && seen.checksum.ipv4.tx());
        // The NIC verifies TCP itself: the gate does not repeat it.
        let gate = Gate::new(&caps(Checksum::Tx), MAC);
        assert!(!gate.verify.tcp);
        let seen = gate.capabilities(caps(Checksum::Tx));
        assert!(!seen.checksum.tcp.rx() && seen.checksum.tcp.tx());
        // Full offload stays full offload.
        assert!(matches!(without_rx(Checksum::None), Checksum::None));
        assert!(matches!(without_rx(Checksum::Rx), Checksum::None));
    }

    #[test]
    fn mtu_and_burst_limit_pass_through_to_smoltcp() {
        let mut device = caps(Checksum::Both);
        device.max_burst_size = Some(6);
        let gate = Gate::new(&device, MAC);
        let seen = gate.capabilities(device.clone());
        assert_eq!(seen.max_burst_size, Some(6));
        assert_eq!(seen.max_transmission_unit, 1514);
    }

    #[test]
    fn unicast_for_another_station_is_dropped_broadcast_is_not() {
        let gate = Gate::new(&caps(Checksum::Both), MAC);
        let mut frame = [0u8; 60];
        frame[..6].copy_from_slice(&[2, 0, 0, 0, 0, 9]);
        frame[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(!gate.admit(&frame));
        frame[..6].copy_from_slice(&[0xff; 6]);
        assert!(gate.admit(&frame), "ARP broadcast passes to smoltcp");
        frame[..6].copy_from_slice(&MAC.0);
        assert!(gate.admit(&frame));
        assert_eq!(gate.stats().not_for_us, 1);
    }
}
