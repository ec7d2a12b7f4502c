//! Raw Ethernet for the upgrade protocol: a Linux `AF_PACKET` datagram socket bound to one
//! interface and ethertype 0x8888 (as upslug2 does: `socket(PF_PACKET, SOCK_DGRAM, 0x8888)`).
//! The kernel builds and strips the Ethernet header; we see payloads and MAC addresses.

use std::ffi::CString;
use std::io;
use std::mem;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::time::Duration;

use super::protocol::ETHERTYPE;

/// An Ethernet MAC address.
pub type Mac = [u8; 6];

/// The broadcast address.
pub const BROADCAST: Mac = [0xFF; 6];

/// Formats a MAC as `00:0f:66:12:34:56`.
pub fn format_mac(mac: &Mac) -> String {
    let parts: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

/// Parses `00:0f:66:12:34:56` (also with `-`).
pub fn parse_mac(text: &str) -> Result<Mac, String> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    let mut mac = [0u8; 6];
    if parts.len() != 6 {
        return Err(format!(
            "'{text}' is not a MAC address (six hex bytes, e.g. 00:0f:66:12:34:56)"
        ));
    }
    for (byte, part) in mac.iter_mut().zip(&parts) {
        *byte = u8::from_str_radix(part, 16)
            .map_err(|_| format!("'{text}' is not a MAC address: bad byte '{part}'"))?;
    }
    Ok(mac)
}

/// Why the socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Raw sockets need CAP_NET_RAW.
    #[error("needs root (raw Ethernet): run with sudo")]
    NotRoot,
    /// No such interface.
    #[error("no network interface named '{0}' (see `ip link`)")]
    NoInterface(String),
    /// Anything else.
    #[error("cannot open a raw socket on {interface}: {source}")]
    Io {
        /// Interface name.
        interface: String,
        /// OS error.
        source: io::Error,
    },
}

/// True if the process runs as root (the usual way to hold CAP_NET_RAW).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// An `AF_PACKET` socket on one interface, for ethertype 0x8888.
#[derive(Debug)]
pub struct RawSocket {
    fd: OwnedFd,
    ifindex: libc::c_int,
}

impl RawSocket {
    /// Opens the socket on `interface`. Checks for root first, so that the user gets the
    /// actionable message rather than "Operation not permitted".
    pub fn open(interface: &str) -> Result<Self, OpenError> {
        if !is_root() {
            return Err(OpenError::NotRoot);
        }
        let name =
            CString::new(interface).map_err(|_| OpenError::NoInterface(interface.to_string()))?;
        // SAFETY: name is a valid NUL-terminated string.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(OpenError::NoInterface(interface.to_string()));
        }
        let io_err = |source| OpenError::Io {
            interface: interface.to_string(),
            source,
        };
        let protocol = libc::c_int::from(ETHERTYPE.to_be());
        // SAFETY: plain socket(2) call; the result is checked below.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
        if raw < 0 {
            let error = io::Error::last_os_error();
            return Err(if error.kind() == io::ErrorKind::PermissionDenied {
                OpenError::NotRoot
            } else {
                io_err(error)
            });
        }
        // SAFETY: raw is a fresh descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let ifindex = ifindex as libc::c_int;
        let addr = link_addr(ifindex, &[0; 6]);
        // SAFETY: addr is a valid sockaddr_ll and the length matches its type.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io_err(io::Error::last_os_error()));
        }
        Ok(Self { fd, ifindex })
    }

    /// Sends one payload to `dest`.
    pub fn send(&self, dest: &Mac, payload: &[u8]) -> io::Result<()> {
        let addr = link_addr(self.ifindex, dest);
        // SAFETY: payload is readable for its length; addr is a valid sockaddr_ll.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                payload.as_ptr().cast(),
                payload.len(),
                0,
                (&addr as *const libc::sockaddr_ll).cast(),
                mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Receives one payload, waiting at most `timeout`: `Ok(None)` on timeout, else the
    /// sender's MAC and the payload length in `buf`. Frames we sent ourselves are skipped.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<(Mac, usize)>> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().clamp(0, i32::MAX as u128) as libc::c_int;
        // SAFETY: pfd is one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            return if error.kind() == io::ErrorKind::Interrupted {
                Ok(None)
            } else {
                Err(error)
            };
        }
        if ready == 0 {
            return Ok(None);
        }
        // SAFETY: an all-zero sockaddr_ll is valid; recvfrom fills it.
        let mut from: libc::sockaddr_ll = unsafe { mem::zeroed() };
        let mut from_len = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: buf is writable for its length; from/from_len describe a valid buffer.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut from_len,
            )
        };
        if n < 0 {
            let error = io::Error::last_os_error();
            return if error.kind() == io::ErrorKind::WouldBlock {
                Ok(None)
            } else {
                Err(error)
            };
        }
        if from.sll_pkttype == libc::PACKET_OUTGOING {
            return Ok(None);
        }
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&from.sll_addr[..6]);
        Ok(Some((mac, n as usize)))
    }
}

fn link_addr(ifindex: libc::c_int, mac: &Mac) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain data; all-zero is valid.
    let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = ETHERTYPE.to_be();
    addr.sll_ifindex = ifindex;
    addr.sll_halen = 6;
    addr.sll_addr[..6].copy_from_slice(mac);
    addr
}
