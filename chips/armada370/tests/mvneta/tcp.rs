//! smoltcp TCP between the two ports of one (modelled) Armada 370: eth0 and eth1 each run the
//! mvneta driver against its own port model and share the SMI bus; the test is the cable.

use armada370::mdio::Smi;
use armada370::mvneta::{Config, Mvneta};
use mii::{Phy, PhyConfig, RgmiiDelays};
use nic::{Nic, SmoltcpDevice};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet, SocketStorage};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

use super::model::{NetaModel, RxOutcome, SmiModel};

const ETH0_IP: Ipv4Address = Ipv4Address::new(192, 168, 1, 1);
const ETH1_IP: Ipv4Address = Ipv4Address::new(192, 168, 1, 2);
const MAX_ROUNDS: usize = 50_000;

fn iface<N: Nic>(dev: &mut SmoltcpDevice<N>, ip: Ipv4Address, seed: u64) -> Interface {
    let mac = dev.nic().mac_address().0;
    let mut config = IfaceConfig::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
    config.random_seed = seed;
    let mut iface = Interface::new(config, dev, Instant::ZERO);
    iface.update_ip_addrs(|a| {
        a.push(IpCidr::new(IpAddress::Ipv4(ip), 24)).expect("room");
    });
    iface
}

fn byte_at(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 11)) as u8
}

#[test]
fn tcp_stream_between_eth0_and_eth1_is_byte_exact() {
    const TOTAL: usize = 256 * 1024;
    let smi_rc = SmiModel::new(&[0, 1]);
    let smi = Smi::new(&*smi_rc);
    let m0 = NetaModel::new([0x00, 0x50, 0x43, 0, 0, 0x10], smi_rc.clone(), 0);
    let m1 = NetaModel::new([0x00, 0x50, 0x43, 0, 0, 0x11], smi_rc.clone(), 1);
    let phy = |a| PhyConfig {
        address: a,
        delays: RgmiiDelays::KeepBootloader,
        gigabit: true,
    };
    let cfg = Config {
        rx_ring_len: 32,
        tx_ring_len: 32,
        ..Config::default()
    };
    // SAFETY: each arena is used by one driver and its model only, and outlives the driver.
    let eth0 = unsafe { Mvneta::new_raw(&m0, &m0, Phy::new(&smi, phy(0)).ok(), m0.memory(), cfg) }
        .expect("eth0");
    // SAFETY: as above.
    let eth1 = unsafe { Mvneta::new_raw(&m1, &m1, Phy::new(&smi, phy(1)).ok(), m1.memory(), cfg) }
        .expect("eth1");
    let mut dev0 = SmoltcpDevice::<_>::new(eth0);
    let mut dev1 = SmoltcpDevice::<_>::new(eth1);
    let mut if0 = iface(&mut dev0, ETH0_IP, 1);
    let mut if1 = iface(&mut dev1, ETH1_IP, 2);

    let (mut a, mut b, mut c, mut d) = ([0u8; 16384], [0u8; 16384], [0u8; 16384], [0u8; 16384]);
    let (mut s0, mut s1) = ([SocketStorage::EMPTY; 1], [SocketStorage::EMPTY; 1]);
    let mut set0 = SocketSet::new(&mut s0[..]);
    let mut set1 = SocketSet::new(&mut s1[..]);
    let server = set0.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut a[..]),
        tcp::SocketBuffer::new(&mut b[..]),
    ));
    let client = set1.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut c[..]),
        tcp::SocketBuffer::new(&mut d[..]),
    ));
    set0.get_mut::<tcp::Socket>(server)
        .listen(80)
        .expect("listen");
    set1.get_mut::<tcp::Socket>(client)
        .connect(if1.context(), (ETH0_IP, 80), 49152)
        .expect("connect");

    let (mut sent, mut received, mut rounds) = (0usize, 0usize, 0usize);
    let mut buf = [0u8; 4096];
    while received < TOTAL {
        rounds += 1;
        assert!(rounds <= MAX_ROUNDS, "stalled at {received}/{TOTAL}");
        let now = Instant::from_millis(rounds as i64);
        if0.poll(now, &mut dev0, &mut set0);
        if1.poll(now, &mut dev1, &mut set1);
        // The cable. Completions are reaped as the interrupt handler would.
        for f in m0.take_wire() {
            assert_eq!(m1.inject(&f), RxOutcome::Delivered);
        }
        for f in m1.take_wire() {
            assert_eq!(m0.inject(&f), RxOutcome::Delivered);
        }
        dev0.nic_mut().on_interrupt();
        dev1.nic_mut().on_interrupt();

        let c = set1.get_mut::<tcp::Socket>(client);
        if c.can_send() && sent < TOTAL {
            let chunk: Vec<u8> = (sent..TOTAL.min(sent + 4096)).map(byte_at).collect();
            sent += c.send_slice(&chunk).expect("send");
        }
        let s = set0.get_mut::<tcp::Socket>(server);
        if s.can_recv() {
            let n = s.recv_slice(&mut buf).expect("recv");
            for (k, byte) in buf[..n].iter().enumerate() {
                assert_eq!(
                    *byte,
                    byte_at(received + k),
                    "byte {} corrupted",
                    received + k
                );
            }
            received += n;
        }
    }
    let st0 = dev0.nic_mut().stats();
    let st1 = dev1.nic_mut().stats();
    assert!(st0.rx_bytes > TOTAL as u64 && st1.tx_bytes > TOTAL as u64);
    assert_eq!(st0.rx_errors.total() + st1.rx_errors.total(), 0);
    assert_eq!(st0.rx_dropped + st1.rx_dropped, 0);
    m0.assert_no_violations();
    m1.assert_no_violations();
}
