//! The BootROM's xmodem variant (U-Boot `tools/kwboot.c`; reference notes §2.2).
//!
//! Packets are `SOH n !n data[128] sum8(data)`, numbered from 1 with u8 wrap-around across the
//! header and data parts. What differs from textbook xmodem, and why this sender is written the
//! way it is:
//!
//! * Header blocks (and EOT) are resent on NAK or timeout, up to [`Timing::header_attempts`]
//!   times: a NAK'd first block is normal when the pattern tail confused the receiver.
//! * The last header block is acknowledged only after the BootROM has run the binary headers
//!   (DDR training), which can take seconds and print text; so that reply gets
//!   [`Timing::training_timeout`] and its non-xmodem bytes go to the caller's sink.
//! * Data blocks are never resent: in the data phase some BootROMs ignore packet numbers and
//!   cannot recover from a NAK, so a NAK or a timeout there aborts with a clear message.

use std::io;
use std::time::{Duration, Instant};

use super::{Link, Timing, ctrl};
use crate::image::kwbimage::baud_code::MAGIC;
use crate::image::kwbimage::uart::{BOOTROM_BAUD, UartImage, XMODEM_BLOCK};

/// Length of one packet on the wire.
pub const PACKET_LEN: usize = 3 + XMODEM_BLOCK + 1;

/// Builds packet number `number` (u8 wrap-around) around a 128-byte block.
pub fn packet(number: u8, block: &[u8; XMODEM_BLOCK]) -> [u8; PACKET_LEN] {
    let mut p = [0u8; PACKET_LEN];
    p[0] = ctrl::SOH;
    p[1] = number;
    p[2] = !number;
    p[3..3 + XMODEM_BLOCK].copy_from_slice(block);
    p[PACKET_LEN - 1] = block.iter().fold(0u8, |sum, b| sum.wrapping_add(*b));
    p
}

/// Transfer progress, reported after every acknowledged block.
pub trait Progress {
    /// `done` of `total` blocks acknowledged.
    fn blocks(&mut self, done: usize, total: usize);
    /// Bytes the board printed while its binary headers ran (not xmodem traffic).
    fn board_output(&mut self, bytes: &[u8]);
    /// A header block or EOT is being resent (`reason` is "NAK" or "timeout").
    fn retry(&mut self, block: usize, attempt: u32, reason: &'static str);
    /// The line speed changed (baud-switching images).
    fn baud_changed(&mut self, _baud: u32) {}
}

/// Why the transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A header block was refused every time.
    #[error(
        "header block {block} was not accepted after {attempts} attempts (last: {last}); \
         the BootROM may have left UART boot mode: power-cycle the board and retry"
    )]
    HeaderRejected {
        /// Block index (1-based).
        block: usize,
        /// Attempts made.
        attempts: u32,
        /// "NAK" or "timeout".
        last: &'static str,
    },
    /// A data block was refused or not answered; the BootROM cannot recover from that.
    #[error(
        "data block {block} of {total}: {reason}; the BootROM cannot resume a transfer in the \
         data phase: power-cycle the board and run again (a noisy line? try a shorter cable)"
    )]
    DataRejected {
        /// Block index (1-based).
        block: usize,
        /// Total blocks.
        total: usize,
        /// What happened.
        reason: &'static str,
    },
    /// The BootROM cancelled the transfer (CAN).
    #[error("the BootROM cancelled the transfer at block {0}")]
    Cancelled(usize),
    /// EOT was never acknowledged.
    #[error("end of transfer (EOT) not acknowledged after {0} attempts")]
    EotRejected(u32),
    /// A baud-switching image never announced the switch.
    #[error(
        "the board did not announce the baud-rate change after its headers; power-cycle it \
         and retry without -B"
    )]
    NoBaudAnnouncement,
    /// The serial port failed.
    #[error("serial port: {0}")]
    Io(#[from] io::Error),
}

/// Watches the board's output for [`MAGIC`], across read boundaries.
#[derive(Debug, Default)]
struct MagicWatch {
    matched: usize,
    seen: bool,
}

impl MagicWatch {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.seen {
                return;
            }
            self.matched = if b == MAGIC[self.matched] {
                self.matched + 1
            } else {
                usize::from(b == MAGIC[0])
            };
            self.seen = self.matched == MAGIC.len();
        }
    }
}

/// What came back for a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Ack,
    Nak,
    Cancel,
    Timeout,
    /// Not a reply: the baud-rate announcement was seen; the reply is still to come.
    Switch,
}

impl Reply {
    fn reason(self) -> &'static str {
        match self {
            Self::Nak => "NAK",
            Self::Timeout => "timeout",
            Self::Ack => "ACK",
            Self::Cancel => "CAN",
            Self::Switch => "baud-rate announcement",
        }
    }
}

/// Sends the whole image, then EOT. Call after [`super::handshake`].
pub fn send_image(
    link: &mut dyn Link,
    image: &UartImage,
    timing: &Timing,
    progress: &mut dyn Progress,
) -> Result<(), TransferError> {
    let total = image.blocks();
    let header_blocks = image.header_blocks();
    for (index, chunk) in image.bytes.chunks_exact(XMODEM_BLOCK).enumerate() {
        let block: &[u8; XMODEM_BLOCK] = chunk
            .try_into()
            .map_err(|_| io::Error::other("internal: short xmodem block"))?;
        // Packet numbers start at 1 and wrap (`as u8` is the wrap-around).
        let wire = packet((index + 1) as u8, block);
        let number = index + 1;
        if index < header_blocks {
            let training = index + 1 == header_blocks;
            let timeout = if training {
                timing.training_timeout
            } else {
                timing.block_timeout
            };
            let mut attempt = 1;
            let mut watch = (training && image.baud_switch.is_some()).then(MagicWatch::default);
            loop {
                link.write_all(&wire)?;
                link.drain()?;
                let mut reply = wait_reply(link, timeout, training, progress, watch.as_mut())?;
                if let (Reply::Switch, Some(baud)) = (reply, image.baud_switch) {
                    // The training code announced the switch and is changing speed now; the
                    // ACK and all data come at the new speed.
                    link.set_baud(baud)?;
                    progress.baud_changed(baud);
                    watch = None;
                    reply = wait_reply(link, timeout, training, progress, None)?;
                }
                match reply {
                    Reply::Ack if watch.is_some() => {
                        return Err(TransferError::NoBaudAnnouncement);
                    }
                    Reply::Ack => break,
                    Reply::Cancel => return Err(TransferError::Cancelled(number)),
                    Reply::Nak | Reply::Timeout | Reply::Switch
                        if attempt < timing.header_attempts =>
                    {
                        attempt += 1;
                        progress.retry(number, attempt, reply.reason());
                    }
                    Reply::Nak | Reply::Timeout | Reply::Switch => {
                        return Err(TransferError::HeaderRejected {
                            block: number,
                            attempts: attempt,
                            last: reply.reason(),
                        });
                    }
                }
            }
        } else {
            link.write_all(&wire)?;
            link.drain()?;
            match wait_reply(link, timing.block_timeout, false, progress, None)? {
                Reply::Ack => {}
                Reply::Cancel => return Err(TransferError::Cancelled(number)),
                Reply::Nak => {
                    return Err(TransferError::DataRejected {
                        block: number,
                        total,
                        reason: "refused (NAK: checksum or sequence error on the line)",
                    });
                }
                Reply::Timeout | Reply::Switch => {
                    return Err(TransferError::DataRejected {
                        block: number,
                        total,
                        reason: "no reply",
                    });
                }
            }
        }
        progress.blocks(number, total);
    }
    for attempt in 1..=timing.header_attempts {
        link.write_all(&[ctrl::EOT])?;
        link.drain()?;
        match wait_reply(link, timing.block_timeout, false, progress, None)? {
            Reply::Ack => {
                if image.baud_switch.is_some() {
                    // The appended code switches the board back before the payload runs.
                    link.drain()?;
                    link.set_baud(BOOTROM_BAUD)?;
                    progress.baud_changed(BOOTROM_BAUD);
                }
                return Ok(());
            }
            Reply::Cancel => return Err(TransferError::Cancelled(total)),
            other => progress.retry(total + 1, attempt + 1, other.reason()),
        }
    }
    Err(TransferError::EotRejected(timing.header_attempts))
}

/// Waits for ACK, NAK or CAN. Other bytes are the board's own output: passed on while binary
/// headers run (`pass_output`), dropped otherwise (line noise, BootROM chatter).
fn wait_reply(
    link: &mut dyn Link,
    timeout: Duration,
    pass_output: bool,
    progress: &mut dyn Progress,
    mut watch: Option<&mut MagicWatch>,
) -> io::Result<Reply> {
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 64];
    // Each pass either reads at least one byte or runs into the deadline.
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let n = link.read_timeout(&mut buf, left)?;
        for (i, &byte) in buf[..n].iter().enumerate() {
            let reply = match byte {
                ctrl::ACK => Reply::Ack,
                ctrl::NAK => Reply::Nak,
                ctrl::CAN => Reply::Cancel,
                _ => continue,
            };
            if pass_output && i > 0 {
                progress.board_output(&buf[..i]);
            }
            if let Some(w) = watch.as_deref_mut() {
                w.feed(&buf[..i]);
            }
            return Ok(reply);
        }
        if pass_output && n > 0 {
            progress.board_output(&buf[..n]);
        }
        if let Some(w) = watch.as_deref_mut() {
            w.feed(&buf[..n]);
            if w.seen {
                // Return so that the caller switches speed before the ACK arrives at it.
                return Ok(Reply::Switch);
            }
        }
    }
    Ok(Reply::Timeout)
}
