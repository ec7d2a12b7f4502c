//! The network path end to end: the vexpress firmware on QEMU's user network (LAN9118 driver,
//! smoltcp, the `net` stack, its diagnostic services), driven from the host through port
//! forwards on 127.0.0.1.
//!
//! QEMU's user network re-originates each forwarded connection inside the guest, so these tests
//! exercise the firmware's accept path, DHCP client and data path, not the host's TCP.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

use qemu_tests::{Forward, Qemu, QemuConfig, free_port};

const BOOT: Duration = Duration::from_secs(30);
const IO: Duration = Duration::from_secs(20);

struct Guest {
    qemu: Qemu,
    echo: u16,
    discard: u16,
    chargen: u16,
}

fn boot_with_diagnostics() -> Guest {
    let (echo, discard, chargen) = (
        free_port().unwrap(),
        free_port().unwrap(),
        free_port().unwrap(),
    );
    let mut config = QemuConfig::vexpress_built().expect("vexpress images");
    config.append = Some("diag=on".into());
    config.user_network = Some(vec![
        Forward {
            host: echo,
            guest: 7,
        },
        Forward {
            host: discard,
            guest: 9,
        },
        Forward {
            host: chargen,
            guest: 19,
        },
    ]);
    let qemu = Qemu::spawn(&config).unwrap();
    qemu.wait_for("DHCP lease", BOOT).unwrap();
    Guest {
        qemu,
        echo,
        discard,
        chargen,
    }
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO)).unwrap();
    stream.set_write_timeout(Some(IO)).unwrap();
    stream
}

/// A deterministic, non-repeating-looking test pattern.
fn pattern(len: usize) -> Vec<u8> {
    let mut state = 0x1234_5678_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

#[test]
fn dhcp_lease_comes_from_qemus_server() {
    let guest = boot_with_diagnostics();
    // The line arrives byte by byte: wait for its end, not just for its start.
    let text = guest
        .qemu
        .wait_for("net:   DHCP lease 10.0.2.15/24 via 10.0.2.2", BOOT)
        .unwrap();
    assert!(text.contains("net:   mac 52:54:00:12:34:56"), "{text}");
}

#[test]
fn echo_returns_four_mebibytes_byte_exact() {
    let guest = boot_with_diagnostics();
    let data = pattern(4 << 20);
    let stream = connect(guest.echo);
    let mut writer = stream.try_clone().unwrap();
    let sent = data.clone();
    let sender = thread::spawn(move || {
        writer.write_all(&sent).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut received = Vec::with_capacity(data.len());
    (&stream)
        .take(data.len() as u64)
        .read_to_end(&mut received)
        .unwrap();
    sender.join().unwrap();
    assert_eq!(received.len(), data.len());
    assert!(received == data, "echoed bytes differ");
}

#[test]
fn chargen_streams_the_rfc864_pattern() {
    let guest = boot_with_diagnostics();
    let stream = connect(guest.chargen);
    let mut received = vec![0u8; 1 << 20];
    (&stream).read_exact(&mut received).unwrap();
    for (offset, &byte) in received.iter().enumerate() {
        assert_eq!(
            byte,
            net::diag::chargen_byte(offset as u64),
            "at offset {offset}"
        );
    }
}

#[test]
fn discard_swallows_a_large_upload_and_closes_after_the_client() {
    let guest = boot_with_diagnostics();
    let mut stream = connect(guest.discard);
    stream.write_all(&pattern(4 << 20)).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "discard sent {} bytes", rest.len());
}

/// One line through an echo connection.
fn round_trip(stream: &TcpStream, line: &str) {
    (&*stream).write_all(line.as_bytes()).unwrap();
    let mut reply = vec![0u8; line.len()];
    (&*stream)
        .read_exact(&mut reply)
        .unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(String::from_utf8_lossy(&reply), line);
}

#[test]
fn two_hundred_concurrent_connections_are_all_served() {
    let guest = boot_with_diagnostics();
    // Each client says hello as it connects (QEMU's port forwarding paces connections that
    // stay silent to about three a second, which says nothing about the firmware), and all 200
    // stay open; then every one of them is used again while all are open.
    let streams: Vec<TcpStream> = (0..200)
        .map(|index| {
            let stream = connect(guest.echo);
            round_trip(&stream, &format!("hello {index}\n"));
            stream
        })
        .collect();
    for (index, stream) in streams.iter().enumerate() {
        round_trip(stream, &format!("client {index} still here\n"));
    }
}
