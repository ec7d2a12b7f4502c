//! Booting a Marvell SoC over its UART, the way U-Boot's `kwboot` does (U-Boot `tools/kwboot.c`:
//! `kwboot_bootmsg` for the boot pattern, `kwboot_xmodem` for the transfer).
//!
//! At reset the BootROM listens on UART0 for a moment. If it sees the boot pattern
//! `BB 11 22 33 44 55 66 77` it answers NAK (0x15) and becomes an xmodem receiver instead of
//! booting from NAND/SPI — so a board whose flash holds nothing bootable can still be started.
//!
//! * [`Link`] is the serial line (timeouts, draining, flushing); [`SerialLink`] implements it
//!   for a real port, tests implement it for anything else.
//! * [`handshake`] sends the pattern until the BootROM answers (the user power-cycles the board
//!   meanwhile), then resynchronises the BootROM's xmodem receiver.
//! * [`send_image`] transfers an image prepared by
//!   [`crate::image::kwbimage::uart::patch`] with the BootROM's xmodem variant (module
//!   [`xmodem`]): header blocks are retried, data blocks are not, the last header block waits
//!   10 s while the DDR training code runs and prints. Images made with
//!   [`patch_with_baud_switch`](crate::image::kwbimage::uart::patch_with_baud_switch) announce a
//!   speed change after their headers; the sender follows it and returns to 115200 after EOT.
//! * [`terminal`] is the interactive terminal that follows (`-t`).

pub mod terminal;
pub mod xmodem;

use std::io;
use std::thread;
use std::time::{Duration, Instant};

pub use xmodem::{Progress, TransferError, send_image};

/// The pattern that puts the BootROM into UART boot mode (kwboot.c `kwboot_msg_boot`).
pub const BOOT_PATTERN: [u8; 8] = [0xBB, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
/// How many patterns are queued per burst (kwboot: 128).
const PATTERNS_PER_BURST: usize = 128;
/// Size of the all-0xFF packet that flushes a partial packet out of the BootROM's receiver.
const SYNC_PACKET_LEN: usize = 132;
/// Settle time after the sync packet before the NAKs it provoked are discarded (kwboot: 30 ms).
const SYNC_SETTLE: Duration = Duration::from_millis(30);

/// xmodem control bytes.
pub mod ctrl {
    /// Start of a 128-byte packet.
    pub const SOH: u8 = 0x01;
    /// End of transmission.
    pub const EOT: u8 = 0x04;
    /// Packet accepted.
    pub const ACK: u8 = 0x06;
    /// Packet rejected (or, before the transfer, "ready to receive").
    pub const NAK: u8 = 0x15;
    /// Transfer cancelled by the receiver.
    pub const CAN: u8 = 0x18;
}

/// The timing the BootROM expects (kwboot.c defaults), adjustable for slow links and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Pause between pattern bursts, which is also how long each wait for the NAK lasts
    /// (kwboot `-s`, default 50 ms).
    pub pattern_pause: Duration,
    /// Give up the handshake after this long (`None`: wait until interrupted, like kwboot).
    pub handshake_limit: Option<Duration>,
    /// Reply timeout for a block (kwboot `-o`, default 2 s; a timeout counts as a NAK).
    pub block_timeout: Duration,
    /// Reply timeout for the last header block, while binary headers (DDR training) run (10 s).
    pub training_timeout: Duration,
    /// How often a header block or EOT is sent before giving up (kwboot: 16).
    pub header_attempts: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            pattern_pause: Duration::from_millis(50),
            handshake_limit: None,
            block_timeout: Duration::from_secs(2),
            training_timeout: Duration::from_secs(10),
            header_attempts: 16,
        }
    }
}

/// A serial line as the protocol needs it.
pub trait Link {
    /// Reads what is available, waiting at most `timeout`; `Ok(0)` on timeout.
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
    /// Queues bytes for sending.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Waits until everything queued has left the port (`tcdrain`).
    fn drain(&mut self) -> io::Result<()>;
    /// Drops received bytes not yet read.
    fn discard_input(&mut self) -> io::Result<()>;
    /// Drops queued bytes not yet sent.
    fn discard_output(&mut self) -> io::Result<()>;
    /// Changes the line speed (for the data phase of a [`baud-switching`] image).
    ///
    /// [`baud-switching`]: crate::image::kwbimage::uart::patch_with_baud_switch
    fn set_baud(&mut self, baud: u32) -> io::Result<()>;
}

/// A [`Link`] over a `serialport` port (115200 8N1, no flow control, as the BootROM needs).
pub struct SerialLink {
    port: Box<dyn serialport::SerialPort>,
}

impl std::fmt::Debug for SerialLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialLink")
            .field("port", &self.port.name())
            .finish()
    }
}

pub use crate::image::kwbimage::uart::BOOTROM_BAUD;

impl SerialLink {
    /// Opens `path` at 115200 8N1, raw, no flow control.
    pub fn open(path: &str) -> serialport::Result<Self> {
        let port = serialport::new(path, BOOTROM_BAUD)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(50))
            .open()?;
        Ok(Self { port })
    }

    /// The port, e.g. to hand it to the [`terminal`] afterwards.
    pub fn into_port(self) -> Box<dyn serialport::SerialPort> {
        self.port
    }
}

impl Link for SerialLink {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut self.port, bytes)
    }

    fn drain(&mut self) -> io::Result<()> {
        // serialport's TTYPort::flush is tcdrain.
        io::Write::flush(&mut self.port)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        Ok(self.port.clear(serialport::ClearBuffer::Input)?)
    }

    fn discard_output(&mut self) -> io::Result<()> {
        Ok(self.port.clear(serialport::ClearBuffer::Output)?)
    }

    fn set_baud(&mut self, baud: u32) -> io::Result<()> {
        Ok(self.port.set_baud_rate(baud)?)
    }
}

/// Why the handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Nothing answered the boot pattern in time.
    #[error(
        "no answer from the BootROM after {0:.0?}: check that the port is the board's UART \
         (3.3 V levels, TX/RX crossed, GND connected) and power-cycle the board while this runs"
    )]
    NoAnswer(Duration),
    /// The serial port failed.
    #[error("serial port: {0}")]
    Io(#[from] io::Error),
}

/// Sends boot patterns until the BootROM answers with NAK, then resynchronises its receiver.
///
/// `on_burst` is called after each burst (e.g. to tick a spinner); it gets the time waited.
pub fn handshake(
    link: &mut dyn Link,
    timing: &Timing,
    mut on_burst: impl FnMut(Duration),
) -> Result<(), HandshakeError> {
    let burst: Vec<u8> = BOOT_PATTERN.repeat(PATTERNS_PER_BURST);
    let started = Instant::now();
    let mut buf = [0u8; 256];
    loop {
        link.write_all(&burst)?;
        link.drain()?;
        // Read for one pause; stop at the first NAK (anything else is noise from the board's
        // previous life, e.g. the tail of a U-Boot banner).
        let deadline = Instant::now() + timing.pattern_pause;
        let mut answered = false;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let n = link.read_timeout(&mut buf, left)?;
            if buf[..n].contains(&ctrl::NAK) {
                answered = true;
                break;
            }
            if n == 0 {
                break;
            }
        }
        if answered {
            break;
        }
        let waited = started.elapsed();
        if let Some(limit) = timing.handshake_limit
            && waited >= limit
        {
            return Err(HandshakeError::NoAnswer(waited));
        }
        on_burst(waited);
    }
    // The BootROM may have caught the pattern mid-packet: a block of 0xFF makes it drop the
    // partial packet (each 0xFF is NAK'd); then the NAKs are discarded.
    link.discard_output()?;
    link.write_all(&[0xFF; SYNC_PACKET_LEN])?;
    link.drain()?;
    thread::sleep(SYNC_SETTLE);
    link.discard_input()?;
    Ok(())
}
