//! The host side of an upgrade: discovery, programming, verification, reboot (upslug2's
//! algorithm, reference notes ixp4xx-nslu2.md §4.5).
//!
//! One packet is outstanding at a time (RedBoot polls its NIC and drops frames when more are
//! queued). Each packet is resent on timeout with a growing timeout; RedBoot answers a
//! duplicate of the last data packet with OK without programming it again, so resending is
//! safe. Replies are matched on sender, type and sequence number, so late duplicates of earlier
//! replies (a reordered or delayed frame) are simply ignored.

use std::io;
use std::time::{Duration, Instant};

use super::protocol::{
    self, Command, HARDWARE_INFO_LEN, HardwareInfo, MAX_DATA, ReturnCode, Span, decode, encode,
};
use super::raw::{BROADCAST, Mac, RawSocket, format_mac};

/// Where a normal upgrade starts: RedBoot (256 KiB) and SysConf (128 KiB) are never touched.
pub const UPGRADE_BASE: usize = 0x6_0000;
/// The NSLU2's flash size: a full image is exactly this long.
pub const FLASH_SIZE: usize = 0x80_0000;

/// Sends and receives protocol payloads.
pub trait Transport {
    /// Sends one payload to `dest`.
    fn send(&mut self, dest: &Mac, payload: &[u8]) -> io::Result<()>;
    /// Receives one payload within `timeout` (`None` on timeout): sender and length.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<(Mac, usize)>>;
}

impl Transport for RawSocket {
    fn send(&mut self, dest: &Mac, payload: &[u8]) -> io::Result<()> {
        RawSocket::send(self, dest, payload)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<(Mac, usize)>> {
        RawSocket::recv(self, buf, timeout)
    }
}

/// Timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// First reply timeout for a packet (upslug2: 1/16 s), doubled on every resend...
    pub first_timeout: Duration,
    /// ...up to this.
    pub max_timeout: Duration,
    /// Give up when a packet has had no answer for this long. The first data packet makes
    /// the box erase 7.6 MiB of flash before it answers, so this must cover a full erase.
    pub no_reply_limit: Duration,
    /// How long discovery listens for answers.
    pub discovery: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            first_timeout: Duration::from_millis(1000 / 16),
            max_timeout: Duration::from_secs(1),
            no_reply_limit: Duration::from_secs(120),
            discovery: Duration::from_secs(2),
        }
    }
}

/// A box that answered discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its MAC address.
    pub mac: Mac,
    /// What it reported.
    pub info: HardwareInfo,
}

/// Progress of a flash run.
pub trait Progress {
    /// A phase ("erase+program", "verify") starts; `total` bytes will be handled.
    fn phase(&mut self, name: &'static str, total: usize);
    /// `bytes` more were acknowledged.
    fn advanced(&mut self, bytes: usize);
    /// Something noteworthy (slow erase, resends).
    fn note(&mut self, message: &str);
}

/// Why an upgrade failed.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// Wrong image size.
    #[error("the image is {0} bytes; an NSLU2 flash image is exactly 8 MiB (8388608 bytes)")]
    ImageSize(usize),
    /// The box stopped answering.
    #[error(
        "no answer from {mac} to {what} after {after:.1?}: is the box still in upgrade mode \
         (status LED alternating red/green)? If the upgrade had started, the box will come back in \
         upgrade mode when power-cycled: just run the flash again"
    )]
    NoReply {
        /// Target MAC (formatted).
        mac: String,
        /// What was being sent.
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// The box rejected data.
    #[error("{what} at flash offset {offset:#x}: the box answered {code}")]
    Rejected {
        /// What was being sent.
        what: &'static str,
        /// Flash offset of the packet.
        offset: usize,
        /// The box's answer.
        code: String,
    },
    /// Network error.
    #[error("network: {0}")]
    Io(#[from] io::Error),
}

/// Sends HardwareInfo (broadcast, or to `target`) and collects the answers.
pub fn discover(
    transport: &mut dyn Transport,
    target: Option<Mac>,
    timing: &Timing,
) -> io::Result<Vec<Found>> {
    // An arbitrary sequence number identifies the answers to this probe (upslug2: 0x1234).
    const PROBE_SEQUENCE: u16 = 0x1234;
    let request = encode(Command::HardwareInfo, PROBE_SEQUENCE, 0, &[]);
    let dest = target.unwrap_or(BROADCAST);
    let mut found: Vec<Found> = Vec::new();
    let started = Instant::now();
    let mut next_probe = started;
    let mut buf = [0u8; 2048];
    // Probe a few times during the window so that one lost frame does not hide a box.
    while let Some(left) = timing.discovery.checked_sub(started.elapsed()) {
        if Instant::now() >= next_probe {
            transport.send(&dest, &request)?;
            next_probe = Instant::now() + timing.discovery / 4;
        }
        let wait = left.min(next_probe.saturating_duration_since(Instant::now()));
        let Some((mac, n)) = transport.recv(&mut buf, wait.max(Duration::from_millis(1)))? else {
            continue;
        };
        let Some(packet) = decode(&buf[..n]) else {
            continue;
        };
        if packet.kind != Command::HardwareInfo.code()
            || packet.sequence != PROBE_SEQUENCE
            || usize::from(packet.length) != HARDWARE_INFO_LEN
            || target.is_some_and(|t| t != mac)
        {
            continue;
        }
        if let Some(info) = HardwareInfo::parse(packet.data)
            && !found.iter().any(|f| f.mac == mac)
        {
            found.push(Found { mac, info });
        }
    }
    Ok(found)
}

/// A conversation with one box.
pub struct Session<'t> {
    transport: &'t mut dyn Transport,
    target: Mac,
    timing: Timing,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("target", &format_mac(&self.target))
            .finish()
    }
}

/// What came back for a packet.
struct Reply {
    code: Option<ReturnCode>,
}

impl<'t> Session<'t> {
    /// Talks to the box at `target`.
    pub fn new(transport: &'t mut dyn Transport, target: Mac, timing: Timing) -> Self {
        Self {
            transport,
            target,
            timing,
            buf: vec![0; 2048],
        }
    }

    /// Writes `image` (8 MiB) from 0x60000 on, then (with `verify`) reads it back through the
    /// box's verify command. RedBoot and SysConf are never sent.
    pub fn flash(
        &mut self,
        image: &[u8],
        verify: bool,
        progress: &mut dyn Progress,
    ) -> Result<(), UpgradeError> {
        if image.len() != FLASH_SIZE {
            return Err(UpgradeError::ImageSize(image.len()));
        }
        // upslug2 starts every conversation at sequence 1; data continues from Start + 1.
        let mut sequence: u16 = 1;
        self.exchange(Command::UpgradeStart, sequence, 0, &[], "upgrade start")?;

        let program = protocol::plan(image, UPGRADE_BASE, true);
        progress.phase("erase + program", total(&program));
        progress.note("the first packet makes the box erase its flash: this takes a while");
        for span in &program {
            sequence = sequence.wrapping_add(1);
            self.data_packet(Command::UpgradeData, sequence, span, image, progress)?;
        }
        if verify {
            let check = protocol::plan(image, UPGRADE_BASE, false);
            progress.phase("verify", total(&check));
            for span in &check {
                sequence = sequence.wrapping_add(1);
                self.data_packet(Command::UpgradeVerify, sequence, span, image, progress)?;
            }
        }
        Ok(())
    }

    /// Asks the box to reboot (repeated until it acknowledges).
    pub fn reboot(&mut self) -> Result<(), UpgradeError> {
        self.exchange(Command::Reboot, 0, 0, &[], "reboot")
            .map(|_| ())
    }

    fn data_packet(
        &mut self,
        command: Command,
        sequence: u16,
        span: &Span,
        image: &[u8],
        progress: &mut dyn Progress,
    ) -> Result<(), UpgradeError> {
        let what = if command == Command::UpgradeData {
            "programming"
        } else {
            "verifying"
        };
        let data = &image[span.flash_offset..span.flash_offset + span.len];
        debug_assert!(data.len() <= MAX_DATA);
        // A SequenceError means the box expected an earlier packet; with one packet in flight
        // that only happens transiently, so a few resends settle it.
        const SEQUENCE_RETRIES: u32 = 8;
        for _ in 0..SEQUENCE_RETRIES {
            let reply = self.exchange(command, sequence, span.block_address(), data, what)?;
            match reply.code {
                Some(ReturnCode::Ok) => {
                    progress.advanced(span.len);
                    return Ok(());
                }
                Some(ReturnCode::SequenceError) => {
                    progress.note(&format!(
                        "box reported a sequence error at {:#x}; resending",
                        span.flash_offset
                    ));
                }
                Some(ReturnCode::ProtocolError) => {
                    return Err(UpgradeError::Rejected {
                        what,
                        offset: span.flash_offset,
                        code: "5 (protocol error: it is not upgrading any more — did it reset?)"
                            .into(),
                    });
                }
                Some(ReturnCode::ProgramError) => {
                    return Err(UpgradeError::Rejected {
                        what,
                        offset: span.flash_offset,
                        code: "7 (flash programming failed)".into(),
                    });
                }
                Some(ReturnCode::VerifyError) => {
                    return Err(UpgradeError::Rejected {
                        what,
                        offset: span.flash_offset,
                        code: "9 (flash contents differ from the image)".into(),
                    });
                }
                Some(ReturnCode::Other(code)) => {
                    return Err(UpgradeError::Rejected {
                        what,
                        offset: span.flash_offset,
                        code: format!("{code} (unknown return code)"),
                    });
                }
                None => {
                    return Err(UpgradeError::Rejected {
                        what,
                        offset: span.flash_offset,
                        code: "a reply too short to hold a return code".into(),
                    });
                }
            }
        }
        Err(UpgradeError::Rejected {
            what,
            offset: span.flash_offset,
            code: format!("6 (sequence error) {SEQUENCE_RETRIES} times"),
        })
    }

    /// Sends a packet until its reply arrives (or `no_reply_limit` passes without one).
    fn exchange(
        &mut self,
        command: Command,
        sequence: u16,
        block_address: usize,
        data: &[u8],
        what: &str,
    ) -> Result<Reply, UpgradeError> {
        let request = encode(command, sequence, block_address, data);
        let started = Instant::now();
        let mut timeout = self.timing.first_timeout;
        // Each pass sends once and waits at most `timeout`; the total is bounded by the limit.
        loop {
            self.transport.send(&self.target, &request)?;
            let deadline = Instant::now() + timeout;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                let Some((from, n)) = self.transport.recv(&mut self.buf, left)? else {
                    break;
                };
                if from != self.target {
                    continue;
                }
                let Some(packet) = decode(&self.buf[..n]) else {
                    continue;
                };
                if packet.kind == command.code() && packet.sequence == sequence {
                    let code = match command {
                        Command::UpgradeData | Command::UpgradeVerify => packet.return_code(),
                        _ => Some(ReturnCode::Ok),
                    };
                    return Ok(Reply { code });
                }
                // Anything else is a late reply to an earlier packet: ignore it.
            }
            let waited = started.elapsed();
            if waited >= self.timing.no_reply_limit {
                return Err(UpgradeError::NoReply {
                    mac: format_mac(&self.target),
                    what: format!("{what} (sequence {sequence})"),
                    after: waited,
                });
            }
            timeout = (timeout * 2).min(self.timing.max_timeout);
        }
    }
}

fn total(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.len).sum()
}
