//! The network service (`app::Network`) over `nic`'s loopback wire: brought up from command-line
//! settings, its interrupt halves (the top half masks the NIC line, the bottom half unmasks it),
//! and a peer's TCP connection served by the diagnostic echo service.

use core::sync::atomic::{AtomicU32, Ordering};

use app::{Network, NetworkInputs};
use hil::{InterruptController, IrqNumber};
use nic::MacAddress;
use nic::SmoltcpDevice;
use nic::loopback::Wire;
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address};

const LINE: IrqNumber = 5;

/// Records the NIC line's mask state: bit set = enabled.
struct Controller(AtomicU32);

impl InterruptController for Controller {
    fn init(&self) {}
    fn enable(&self, irq: IrqNumber) {
        self.0.fetch_or(1 << irq, Ordering::SeqCst);
    }
    fn disable(&self, irq: IrqNumber) {
        self.0.fetch_and(!(1 << irq), Ordering::SeqCst);
    }
    fn claim(&self) -> Option<IrqNumber> {
        None
    }
    fn complete(&self, _: IrqNumber) {}
}

static CONTROLLER: Controller = Controller(AtomicU32::new(0));

fn line_enabled() -> bool {
    CONTROLLER.0.load(Ordering::SeqCst) & (1 << LINE) != 0
}

#[test]
fn brought_up_from_the_command_line_serves_echo_and_the_irq_halves_mask_and_unmask() {
    let wire: Wire<16> = Wire::new();
    let (a, b) = wire.ends(
        MacAddress([0x02, 0, 0, 0, 0, 1]),
        MacAddress([0x02, 0, 0, 0, 0, 2]),
    );
    let inputs = NetworkInputs {
        cmdline: "ip=192.168.69.1/24 diag=on",
        seed: 1,
        interrupts: &CONTROLLER,
        now: kernel::time::Instant::from_micros(1_000_000),
    };
    let mut network = Network::bring_up(&inputs, 8 << 20, a, LINE).expect("network up");
    assert!(line_enabled(), "bring-up unmasks the NIC line");
    Network::<nic::loopback::LoopbackNic<'_, 16>>::interrupt_top_half();
    assert!(!line_enabled(), "the top half masks it");

    let mut dev = SmoltcpDevice::<_>::new(b);
    let now = Instant::from_millis(1_000);
    let mut iface = Interface::new(
        Config::new(HardwareAddress::Ethernet(EthernetAddress([
            2, 0, 0, 0, 0, 2,
        ]))),
        &mut dev,
        now,
    );
    iface.update_ip_addrs(|a| {
        a.push(IpCidr::new(
            IpAddress::Ipv4(Ipv4Address::new(192, 168, 69, 2)),
            24,
        ))
        .unwrap();
    });
    let mut sockets = SocketSet::new(Vec::new());
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; 2048]),
        tcp::SocketBuffer::new(vec![0; 2048]),
    );
    s.connect(
        iface.context(),
        IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(192, 168, 69, 1)), 7),
        40_000,
    )
    .unwrap();
    let client = sockets.add(s);
    let mut now = now;
    let mut sent = false;
    let mut echoed = Vec::new();
    for round in 0..5_000 {
        now += Duration::from_millis(1);
        network.service(
            kernel::time::Instant::from_micros(now.total_micros() as u64),
            |_| {},
        );
        if round == 0 {
            assert!(line_enabled(), "the bottom half unmasks the line again");
        }
        iface.poll(now, &mut dev, &mut sockets);
        let socket = sockets.get_mut::<tcp::Socket>(client);
        if socket.may_send() && !sent {
            socket.send_slice(b"echo me").unwrap();
            sent = true;
        }
        let mut buf = [0; 64];
        if let Ok(n) = socket.recv_slice(&mut buf) {
            echoed.extend_from_slice(&buf[..n]);
        }
        if echoed == b"echo me" {
            return;
        }
    }
    panic!("no echo: {echoed:?}");
}
