//! Diagnostic TCP services the firmware can turn on for tests and benchmarks: echo (RFC 862,
//! port 7), discard (RFC 863, port 9) and character generator (RFC 864, port 19).
//!
//! They run over listener pools like any other service, so they also exercise accept, re-arming
//! and recycling. [`DiagServices::poll`] is non-blocking and bounded: per call it accepts what is
//! waiting (up to `max_connections` open at once; extra connections are closed at once) and moves
//! at most one `chunk` of bytes per connection.
//!
//! ```no_run
//! # fn f<N: nic::Nic>(stack: &mut net::Stack<N>, now: impl Fn() -> smoltcp::time::Instant) {
//! let mut diag = net::diag::DiagServices::start(stack, &net::diag::DiagConfig::default())
//!     .expect("ports 7, 9 and 19 are free");
//! loop {
//!     stack.poll(now());
//!     if diag.poll(stack).moved_bytes() > 0 {
//!         stack.poll(now()); // send what was queued without waiting for the next interrupt
//!     }
//! #   break;
//! }
//! # }
//! ```

use alloc::vec;
use alloc::vec::Vec;

use nic::Nic;
use smoltcp::socket::tcp::State;

use crate::{ListenError, ListenerId, Stack, TcpHandle};

/// Well-known port of the echo service (RFC 862).
pub const ECHO_PORT: u16 = 7;
/// Well-known port of the discard service (RFC 863).
pub const DISCARD_PORT: u16 = 9;
/// Well-known port of the character generator (RFC 864).
pub const CHARGEN_PORT: u16 = 19;

/// Which services to run, on which ports, with which limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiagConfig {
    /// Echo port, or `None` for no echo service.
    pub echo: Option<u16>,
    /// Discard port, or `None`.
    pub discard: Option<u16>,
    /// Chargen port, or `None`.
    pub chargen: Option<u16>,
    /// Listening sockets kept per service.
    pub backlog: usize,
    /// Open connections across all services; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Most bytes moved per connection per [`DiagServices::poll`].
    pub chunk: usize,
}

impl Default for DiagConfig {
    fn default() -> Self {
        DiagConfig {
            echo: Some(ECHO_PORT),
            discard: Some(DISCARD_PORT),
            chargen: Some(CHARGEN_PORT),
            backlog: 4,
            max_connections: 64,
            chunk: 4096,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Echo,
    Discard,
    Chargen,
}

#[derive(Debug)]
struct Connection {
    service: Service,
    handle: TcpHandle,
    /// Chargen: bytes generated so far (the pattern's position).
    generated: u64,
}

/// What one [`DiagServices::poll`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiagActivity {
    /// Connections accepted.
    pub accepted: usize,
    /// Connections closed (finished or refused for exceeding `max_connections`).
    pub closed: usize,
    /// Bytes echoed back.
    pub echoed: usize,
    /// Bytes read and thrown away.
    pub discarded: usize,
    /// Chargen bytes queued.
    pub generated: usize,
}

impl DiagActivity {
    /// Bytes moved in any direction.
    pub fn moved_bytes(&self) -> usize {
        self.echoed + self.discarded + self.generated
    }
}

/// The running services.
pub struct DiagServices {
    listeners: Vec<(Service, ListenerId)>,
    connections: Vec<Connection>,
    max_connections: usize,
    /// Echo's bounce buffer, `chunk` bytes, allocated once.
    scratch: Vec<u8>,
}

/// Characters per chargen line, not counting CR LF.
const CHARGEN_LINE: u64 = 72;
/// Printable ASCII characters the pattern rotates through (0x20..=0x7e).
const CHARGEN_SET: u64 = 95;

/// Byte `offset` of the RFC 864 pattern: 72 printable characters per line, each line starting
/// one character later in the 95-character printable ASCII set, lines ending in CR LF.
pub fn chargen_byte(offset: u64) -> u8 {
    let (line, column) = (offset / (CHARGEN_LINE + 2), offset % (CHARGEN_LINE + 2));
    match column {
        CHARGEN_LINE => b'\r',
        c if c == CHARGEN_LINE + 1 => b'\n',
        // The sum modulo 95 is below 95, so the byte is in 0x20..=0x7e.
        _ => 0x20 + ((line + column) % CHARGEN_SET) as u8,
    }
}

/// Fills `buf` with the pattern from `offset` on; the same bytes as [`chargen_byte`], without
/// a division per byte.
pub fn chargen_fill(offset: u64, buf: &mut [u8]) {
    let (mut line, mut column) = (offset / (CHARGEN_LINE + 2), offset % (CHARGEN_LINE + 2));
    let mut char_index = (line + column) % CHARGEN_SET;
    for byte in buf {
        *byte = match column {
            CHARGEN_LINE => b'\r',
            c if c == CHARGEN_LINE + 1 => b'\n',
            _ => 0x20 + char_index as u8,
        };
        column += 1;
        char_index += 1;
        if char_index == CHARGEN_SET {
            char_index = 0;
        }
        if column == CHARGEN_LINE + 2 {
            column = 0;
            line += 1;
            char_index = line % CHARGEN_SET;
        }
    }
}

impl DiagServices {
    /// Opens the listener pools for the enabled services.
    pub fn start<N: Nic>(
        stack: &mut Stack<N>,
        config: &DiagConfig,
    ) -> Result<DiagServices, ListenError> {
        let mut listeners = Vec::new();
        for (service, port) in [
            (Service::Echo, config.echo),
            (Service::Discard, config.discard),
            (Service::Chargen, config.chargen),
        ] {
            if let Some(port) = port {
                listeners.push((service, stack.listen(port, config.backlog)?));
            }
        }
        Ok(DiagServices {
            listeners,
            connections: Vec::with_capacity(config.max_connections),
            max_connections: config.max_connections,
            scratch: vec![0; config.chunk.max(1)],
        })
    }

    /// Connections being served.
    pub fn connections(&self) -> usize {
        self.connections.len()
    }

    /// Accepts waiting connections and serves every open one once.
    pub fn poll<N: Nic>(&mut self, stack: &mut Stack<N>) -> DiagActivity {
        let mut activity = DiagActivity::default();
        for &(service, listener) in &self.listeners {
            while let Some(handle) = stack.accept(listener) {
                activity.accepted += 1;
                if self.connections.len() >= self.max_connections {
                    stack.close(handle);
                    activity.closed += 1;
                    continue;
                }
                self.connections.push(Connection {
                    service,
                    handle,
                    generated: 0,
                });
            }
        }
        let scratch = &mut self.scratch;
        self.connections.retain_mut(|conn| {
            let keep = serve(stack, conn, scratch, &mut activity);
            if !keep {
                stack.close(conn.handle);
                activity.closed += 1;
            }
            keep
        });
        activity
    }
}

/// Serves one connection once; `false` when it is finished and should be closed.
fn serve<N: Nic>(
    stack: &mut Stack<N>,
    conn: &mut Connection,
    scratch: &mut [u8],
    activity: &mut DiagActivity,
) -> bool {
    let Some(socket) = stack.socket(conn.handle) else {
        return false;
    };
    if matches!(socket.state(), State::Closed | State::TimeWait) {
        return false;
    }
    match conn.service {
        Service::Echo => {
            let room = socket.send_capacity() - socket.send_queue();
            let n = room.min(scratch.len());
            if n > 0 && socket.can_recv() {
                let got = socket.recv_slice(&mut scratch[..n]).unwrap_or(0);
                // `got <= room`, so the send buffer takes all of it.
                let sent = socket.send_slice(&scratch[..got]).unwrap_or(0);
                activity.echoed += sent;
            }
            // Finished once the peer closed and everything it sent was echoed.
            socket.may_recv() || socket.recv_queue() > 0
        }
        Service::Discard => {
            let limit = scratch.len();
            let got = socket
                .recv(|buf| {
                    let n = buf.len().min(limit);
                    (n, n)
                })
                .unwrap_or(0);
            activity.discarded += got;
            socket.may_recv() || socket.recv_queue() > 0
        }
        Service::Chargen => {
            // Whatever the client sends is ignored (RFC 864), but read so its window stays open.
            let _ = socket.recv(|buf| (buf.len(), ()));
            if !socket.may_recv() {
                return false;
            }
            let limit = scratch.len();
            let start = conn.generated;
            let queued = socket
                .send(|buf| {
                    let n = buf.len().min(limit);
                    chargen_fill(start, &mut buf[..n]);
                    (n, n)
                })
                .unwrap_or(0);
            conn.generated += queued as u64;
            activity.generated += queued;
            socket.may_send()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{chargen_byte, chargen_fill};

    #[test]
    fn chargen_lines_follow_rfc_864() {
        let first: std::vec::Vec<u8> = (0..74).map(chargen_byte).collect();
        assert_eq!(&first[..5], b" !\"#$");
        assert_eq!(&first[72..], b"\r\n");
        // The second line starts one character later.
        assert_eq!(chargen_byte(74), b'!');
        // Line 95 starts over with a space.
        assert_eq!(chargen_byte(95 * 74), b' ');
        assert!((0..10_000).all(|k| {
            let b = chargen_byte(k);
            (0x20..=0x7e).contains(&b) || b == b'\r' || b == b'\n'
        }));
    }

    #[test]
    fn chargen_fill_matches_the_byte_formula_from_any_offset() {
        for start in [0u64, 1, 71, 72, 73, 74, 95 * 74 - 3, 1_000_003] {
            let mut buf = [0u8; 500];
            chargen_fill(start, &mut buf);
            for (k, &b) in buf.iter().enumerate() {
                assert_eq!(
                    b,
                    chargen_byte(start + k as u64),
                    "offset {}",
                    start + k as u64
                );
            }
        }
    }
}
