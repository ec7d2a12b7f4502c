//! The seed use case: an IPv6-only client reaching an IPv4-only web server through the box.
//!
//! QEMU's user network offers no IPv6 port forwarding, so this runs on the owned wire
//! (`qemu_tests::wire`): the host's smoltcp peer is both the IPv6 client (fd00::1) and the IPv4
//! server (10.0.3.1:8081); the guest (fd00::2, 10.0.3.2) proxies between them.

use std::time::Duration;

use qemu_tests::QemuConfig;
use qemu_tests::wire::{BOOT_TIMEOUT, GUEST_V4, GUEST_V6, WireGuest};
use smoltcp::wire::{IpAddress, IpEndpoint};

const CONFIG: &str = "
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend web
    bind :::80 v4v6
    option forwardfor
    default_backend ipv4_only
backend ipv4_only
    server legacy 10.0.3.1:8081
";

const IO: Duration = Duration::from_secs(20);

#[test]
fn an_ipv6_client_reaches_an_ipv4_only_server_through_the_proxy() {
    let config = QemuConfig::vexpress_built()
        .unwrap()
        .with_proxy_config(CONFIG)
        .unwrap();
    let mut guest = WireGuest::boot(config).unwrap();
    guest
        .qemu
        .wait_for("proxy: listening on [::]:80", BOOT_TIMEOUT)
        .unwrap();
    let server = guest.peer.listen(8081, 16 * 1024).unwrap();
    let client = guest
        .peer
        .connect_and_wait(
            IpEndpoint::new(IpAddress::Ipv6(GUEST_V6), 80),
            16 * 1024,
            IO,
        )
        .unwrap();
    guest
        .peer
        .tcp(client)
        .send_slice(b"GET /from-v6 HTTP/1.1\r\nHost: box\r\n\r\n")
        .unwrap();

    // The request arrives at the IPv4 server, from the box's IPv4 address, naming the IPv6
    // client in X-Forwarded-For.
    let request = guest
        .peer
        .receive_until(server, b"\r\n\r\n", IO, "the request at the IPv4 server")
        .unwrap();
    let request = String::from_utf8_lossy(&request).to_ascii_lowercase();
    assert!(
        request.starts_with("get /from-v6 http/1.1\r\n"),
        "{request}"
    );
    assert!(request.contains("x-forwarded-for: fd00::1"), "{request}");
    let from = guest
        .peer
        .tcp(server)
        .remote_endpoint()
        .expect("server connection has a peer");
    assert_eq!(from.addr, IpAddress::Ipv4(GUEST_V4));

    guest
        .peer
        .tcp(server)
        .send_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello ipv4\n")
        .unwrap();
    let response = guest
        .peer
        .receive_until(
            client,
            b"hello ipv4\n",
            IO,
            "the response at the IPv6 client",
        )
        .unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    guest.check_alive().unwrap();
}
