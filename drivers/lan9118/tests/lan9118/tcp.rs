//! smoltcp TCP through the LAN9118 driver and the chip model on one side, a loopback NIC on the
//! other. The test plays the cable: frames the model sent go to the loopback peer, frames the
//! peer sent are delivered to the model's receiver.

use lan9118::{Config, Lan9118};
use nic::loopback::Wire;
use nic::{MacAddress, Nic, SmoltcpDevice};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet, SocketStorage};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

use super::model::{Lan9118Model, RxOutcome};

const FIRMWARE_IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const PEER_IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
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

fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(13) ^ (i >> 9)) as u8
}

#[test]
fn tcp_upload_and_echo_through_the_driver_is_byte_exact() {
    const TOTAL: usize = 48 * 1024;
    let model = Lan9118Model::new();
    let lan = Lan9118::new(&model, Config::default()).expect("bring-up");
    let wire: Wire<16> = Wire::new();
    let (peer_nic, mut cable) = wire.ends(
        MacAddress([0x02, 0, 0, 0, 0, 2]),
        MacAddress([0x02, 0, 0, 0, 0, 0xFE]),
    );
    let mut fw_dev = SmoltcpDevice::<_>::new(lan);
    let mut peer_dev = SmoltcpDevice::<_>::new(peer_nic);
    let mut fw_iface = iface(&mut fw_dev, FIRMWARE_IP, 7);
    let mut peer_iface = iface(&mut peer_dev, PEER_IP, 8);

    let (mut a, mut b, mut c, mut d) = ([0u8; 8192], [0u8; 8192], [0u8; 8192], [0u8; 8192]);
    let mut fw_storage = [SocketStorage::EMPTY; 1];
    let mut peer_storage = [SocketStorage::EMPTY; 1];
    let mut fw_sockets = SocketSet::new(&mut fw_storage[..]);
    let mut peer_sockets = SocketSet::new(&mut peer_storage[..]);
    let server = fw_sockets.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut a[..]),
        tcp::SocketBuffer::new(&mut b[..]),
    ));
    let client = peer_sockets.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut c[..]),
        tcp::SocketBuffer::new(&mut d[..]),
    ));
    fw_sockets
        .get_mut::<tcp::Socket>(server)
        .listen(80)
        .expect("listen");
    peer_sockets
        .get_mut::<tcp::Socket>(client)
        .connect(peer_iface.context(), (FIRMWARE_IP, 80), 40000)
        .expect("connect");

    let (mut sent, mut echoed, mut rounds) = (0usize, 0usize, 0usize);
    let mut buf = [0u8; 2048];
    while echoed < TOTAL {
        rounds += 1;
        assert!(rounds <= MAX_ROUNDS, "stalled at {echoed}/{TOTAL}");
        let now = Instant::from_millis(rounds as i64);
        fw_iface.poll(now, &mut fw_dev, &mut fw_sockets);
        peer_iface.poll(now, &mut peer_dev, &mut peer_sockets);
        // The cable, both directions.
        for f in model.take_sent() {
            cable
                .transmit(f.len(), |b| b.copy_from_slice(&f))
                .expect("cable room");
        }
        for _ in 0..16 {
            let Some(f) = cable.receive(|f| f.to_vec()) else {
                break;
            };
            assert_eq!(model.deliver(&f), RxOutcome::Queued, "RX FIFO overrun");
        }

        let s = fw_sockets.get_mut::<tcp::Socket>(server);
        if s.can_recv() && s.send_capacity() - s.send_queue() >= buf.len() {
            let n = s.recv_slice(&mut buf).expect("recv");
            assert_eq!(s.send_slice(&buf[..n]).expect("send"), n);
        }
        let p = peer_sockets.get_mut::<tcp::Socket>(client);
        if p.can_send() && sent < TOTAL {
            let chunk: Vec<u8> = (sent..TOTAL.min(sent + 1460)).map(pattern).collect();
            sent += p.send_slice(&chunk).expect("send");
        }
        if p.can_recv() {
            let n = p.recv_slice(&mut buf).expect("recv");
            for (k, byte) in buf[..n].iter().enumerate() {
                assert_eq!(*byte, pattern(echoed + k), "byte {} corrupted", echoed + k);
            }
            echoed += n;
        }
    }
    let stats = fw_dev.nic_mut().stats();
    assert!(stats.rx_bytes > TOTAL as u64 && stats.tx_bytes > TOTAL as u64);
    assert_eq!(stats.rx_errors.total() + stats.tx_errors.total(), 0);
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}
