//! A simulated Armada 370 BootROM in UART-boot mode, on a pseudo-terminal.
//!
//! Written from the protocol as U-Boot's `tools/kwboot.c` drives it (`kwboot_bootmsg`,
//! `kwboot_xm_sendblock`, `kwboot_baud_magic_handle`), not from our client, so that running U-Boot's real
//! `kwboot` against it keeps it honest. The tool under test opens the pty's slave path like a
//! serial port; the simulator owns the master side.
//!
//! Behaviour: wait for the boot pattern `BB 11 22 33 44 55 66 77` and answer NAK; then act as an
//! xmodem receiver (132-byte packets, 8-bit sum): NAK stray 0xFF bytes (the host's sync block)
//! and ignore other non-packet bytes; ACK the expected packet, re-ACK a duplicate of the
//! previous one, NAK anything else; before ACKing the block that completes the header area, "run
//! the binary headers" (print text, take time); ACK EOT and check what a BootROM would check.
//! Failure modes a real board shows are switched on by [`Config`].

use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const SOH: u8 = 0x01;
const EOT: u8 = 0x04;
const ACK: u8 = 0x06;
const NAK: u8 = 0x15;
const PATTERN: [u8; 8] = [0xBB, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
/// Partial packets are dropped after this long (BootROM behaviour, kwboot.c comments).
const PACKET_TIMEOUT: Duration = Duration::from_secs(2);

/// Failure modes.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Never answer the boot pattern (board off, wrong port).
    pub silent: bool,
    /// NAK the first header packet this many times before accepting it.
    pub nak_first_block: u32,
    /// Text the "DDR training" prints before the last header packet is ACKed.
    pub training_text: Vec<u8>,
    /// How long the "DDR training" takes.
    pub training_delay: Duration,
    /// Corrupt the first arrival of this packet (1-based index in the transfer), as line noise
    /// would: its checksum no longer matches, so it is NAKed.
    pub corrupt_block: Option<usize>,
}

/// What the simulated board saw.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The boot pattern was answered.
    pub handshake: bool,
    /// Image bytes accepted, in order.
    pub image: Vec<u8>,
    /// EOT received and acknowledged.
    pub complete: bool,
    /// Packets NAKed (not counting stray 0xFF bytes).
    pub naks: u32,
    /// What a BootROM would say about the received image once complete.
    pub verdict: Result<(), String>,
    /// The binary headers printed the baud-rate announcement (`kwboot -B` images).
    pub announced: bool,
    /// The host's line speed (slave termios) when the first data packet arrived.
    pub data_phase_baud: Option<u32>,
    /// The host's line speed when the simulator stopped.
    pub final_baud: Option<u32>,
}

/// A running simulator. Dropping it stops the thread.
pub struct BootRom {
    slave_path: String,
    _slave: OwnedFd,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Outcome>>,
}

impl BootRom {
    /// Starts a simulator; the tool under test opens [`Self::path`].
    pub fn start(config: Config) -> Self {
        let (master, slave, slave_path) = open_pty();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            let slave = slave.try_clone().expect("dup pty slave");
            thread::spawn(move || Sim::new(master, slave, config, stop).run())
        };
        Self {
            slave_path,
            _slave: slave,
            stop,
            thread: Some(thread),
        }
    }

    /// The pty slave path (e.g. /dev/pts/7).
    pub fn path(&self) -> &str {
        &self.slave_path
    }

    /// Stops the simulator and returns what it saw.
    pub fn finish(mut self) -> Outcome {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("finish called once")
            .join()
            .expect("simulator thread panicked")
    }
}

impl Drop for BootRom {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens a pty pair with the slave in raw mode; the simulator keeps a slave descriptor open so
/// that the master never sees a hang-up while the tool under test opens and closes the port.
fn open_pty() -> (OwnedFd, OwnedFd, String) {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    // SAFETY: openpty writes two descriptors; the name, termios and winsize pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty failed: {}", std::io::Error::last_os_error());
    // SAFETY: openpty succeeded, so both are fresh descriptors nobody else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: termios is plain data; zeroed is a valid value to be filled by tcgetattr.
    let mut tio: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: slave is an open terminal; tio is a valid termios.
    unsafe {
        assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut tio), 0);
        libc::cfmakeraw(&mut tio);
        assert_eq!(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &tio), 0);
    }
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: name is a writable buffer of the given length.
    let rc = unsafe { libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
    assert_eq!(rc, 0, "ptsname_r failed");
    // SAFETY: ptsname_r NUL-terminated the buffer.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    (master, slave, path)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    WaitPattern,
    Xmodem,
    Done,
}

struct Sim {
    master: OwnedFd,
    /// Our own descriptor of the slave side: its termios is what the tool under test set.
    slave: OwnedFd,
    config: Config,
    stop: Arc<AtomicBool>,
    state: State,
    outcome: Outcome,
    /// Bytes read but not yet consumed.
    pending: Vec<u8>,
    first_block_naks: u32,
    corrupted: bool,
    expected: u8,
    header_len: Option<usize>,
}

impl Sim {
    fn new(master: OwnedFd, slave: OwnedFd, config: Config, stop: Arc<AtomicBool>) -> Self {
        Self {
            master,
            slave,
            config,
            stop,
            state: State::WaitPattern,
            outcome: Outcome {
                handshake: false,
                image: Vec::new(),
                complete: false,
                naks: 0,
                verdict: Err("no image received".into()),
                announced: false,
                data_phase_baud: None,
                final_baud: None,
            },
            pending: Vec::new(),
            first_block_naks: 0,
            corrupted: false,
            expected: 1,
            header_len: None,
        }
    }

    /// Runs until stopped (or at most 10 minutes, a bound for a test gone wrong).
    fn run(mut self) -> Outcome {
        let limit = Instant::now() + Duration::from_secs(600);
        while !self.stop.load(Ordering::Relaxed) && Instant::now() < limit {
            self.read_some(Duration::from_millis(20));
            self.step();
        }
        self.outcome.final_baud = Some(self.host_baud());
        self.outcome
    }

    /// The line speed the tool under test has set on the pty (termios2 output speed).
    fn host_baud(&self) -> u32 {
        // SAFETY: termios2 is plain data; zeroed is valid to be filled by the ioctl.
        let mut tio: libc::termios2 = unsafe { std::mem::zeroed() };
        // SAFETY: TCGETS2 fills a termios2 for an open terminal descriptor.
        let rc = unsafe { libc::ioctl(self.slave.as_raw_fd(), libc::TCGETS2, &mut tio) };
        assert_eq!(rc, 0, "TCGETS2: {}", std::io::Error::last_os_error());
        tio.c_ospeed
    }

    /// Appends whatever arrives within `timeout` to `pending`.
    fn read_some(&mut self, timeout: Duration) {
        let mut pfd = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(1000) as libc::c_int;
        // SAFETY: pfd is a valid pollfd array of length 1.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready <= 0 || pfd.revents & libc::POLLIN == 0 {
            if ready > 0 {
                // POLLHUP/POLLERR without data: nothing to read; avoid spinning.
                thread::sleep(timeout);
            }
            return;
        }
        let mut buf = [0u8; 4096];
        // SAFETY: buf is writable for its length; master is open.
        let n = unsafe { libc::read(self.master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            self.pending.extend_from_slice(&buf[..n as usize]);
        }
    }

    fn send(&self, bytes: &[u8]) {
        // SAFETY: bytes is readable for its length; master is open. Short writes cannot happen
        // for these few bytes on a pty whose other side is being read.
        unsafe { libc::write(self.master.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
    }

    fn step(&mut self) {
        match self.state {
            State::WaitPattern => {
                if self.config.silent {
                    self.pending.clear();
                    return;
                }
                if let Some(at) = self.pending.windows(8).position(|w| w == PATTERN) {
                    self.pending.drain(..at + 8);
                    self.outcome.handshake = true;
                    self.send(&[NAK]);
                    self.state = State::Xmodem;
                } else {
                    // Keep a possible pattern prefix.
                    let keep = self.pending.len().saturating_sub(7);
                    self.pending.drain(..keep);
                }
            }
            State::Xmodem => self.xmodem(),
            State::Done => self.pending.clear(),
        }
    }

    fn xmodem(&mut self) {
        // Bounded by the pending bytes: every pass consumes at least one byte or returns.
        while let Some(&first) = self.pending.first() {
            match first {
                SOH => {
                    if !self.complete_packet() {
                        return;
                    }
                    let packet: Vec<u8> = self.pending.drain(..132).collect();
                    self.packet(&packet);
                }
                EOT => {
                    self.pending.remove(0);
                    self.send(&[ACK]);
                    self.outcome.complete = true;
                    self.outcome.verdict = verify(&self.outcome.image);
                    self.state = State::Done;
                    return;
                }
                0xFF => {
                    self.pending.remove(0);
                    self.send(&[NAK]);
                }
                _ => {
                    self.pending.remove(0);
                }
            }
        }
    }

    /// Waits (up to the BootROM's 2 s) for the rest of a packet; drops a partial one.
    fn complete_packet(&mut self) -> bool {
        let deadline = Instant::now() + PACKET_TIMEOUT;
        while self.pending.len() < 132 {
            if Instant::now() >= deadline || self.stop.load(Ordering::Relaxed) {
                self.pending.remove(0); // drop the SOH: the partial packet is discarded
                return false;
            }
            self.read_some(Duration::from_millis(20));
        }
        true
    }

    fn packet(&mut self, packet: &[u8]) {
        let mut data: Vec<u8> = packet[3..131].to_vec();
        let block_index = self.outcome.image.len() / 128 + 1;
        if self.config.corrupt_block == Some(block_index) && !self.corrupted {
            self.corrupted = true;
            data[17] ^= 0x20; // one flipped bit on the line
        }
        let number = packet[1];
        let sum = data.iter().fold(0u8, |s, b| s.wrapping_add(*b));
        let sane = packet[1] ^ packet[2] == 0xFF && sum == packet[131];
        if !sane {
            self.nak();
            return;
        }
        if number == self.expected.wrapping_sub(1) && !self.outcome.image.is_empty() {
            self.send(&[ACK]); // duplicate of the previous packet: the host missed our ACK
            return;
        }
        if number != self.expected {
            self.nak();
            return;
        }
        if self.outcome.image.is_empty() && self.first_block_naks < self.config.nak_first_block {
            self.first_block_naks += 1;
            self.nak();
            return;
        }
        if self
            .header_len
            .is_some_and(|h| self.outcome.image.len() == h)
            && self.outcome.data_phase_baud.is_none()
        {
            self.outcome.data_phase_baud = Some(self.host_baud());
        }
        self.outcome.image.extend_from_slice(&data);
        self.expected = self.expected.wrapping_add(1);
        if self.header_len.is_none() && self.outcome.image.len() >= 32 {
            let img = &self.outcome.image;
            let size =
                (usize::from(img[9]) << 16) | usize::from(u16::from_le_bytes([img[10], img[11]]));
            // The UART BootROM ignores the low 7 bits of the header size.
            self.header_len = Some((size / 128 * 128).max(128));
        }
        if Some(self.outcome.image.len()) == self.header_len {
            // Binary headers run now, before this packet is acknowledged.
            if !self.config.training_text.is_empty() {
                self.send(&self.config.training_text.clone());
            }
            thread::sleep(self.config.training_delay);
            // A binary header that carries kwboot's baud-rate announcement prints it and then
            // switches the UART (on a pty only the announcement is visible).
            let magic = b"$baudratechange\0";
            if self.outcome.image.windows(magic.len()).any(|w| w == magic) {
                self.send(magic);
                self.outcome.announced = true;
                thread::sleep(Duration::from_millis(50));
            }
        }
        self.send(&[ACK]);
    }

    fn nak(&mut self) {
        self.outcome.naks += 1;
        self.send(&[NAK]);
    }
}

/// The checks a BootROM makes before jumping: UART blockid, header checksum over the header
/// size, data checksum at `srcaddr`.
pub fn verify(image: &[u8]) -> Result<(), String> {
    let le32 = |at: usize| -> Result<u32, String> {
        image
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(format!("image too short for a word at {at:#x}"))
    };
    if image.len() < 32 {
        return Err("image shorter than the main header".into());
    }
    if image[0] != 0x69 {
        return Err(format!("blockid {:#04x}, not 0x69 (uart)", image[0]));
    }
    let header_size =
        (usize::from(image[9]) << 16) | usize::from(u16::from_le_bytes([image[10], image[11]]));
    let header = image
        .get(..header_size)
        .ok_or("header size beyond the image")?;
    let sum = header
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 0x1F)
        .fold(0u8, |s, (_, b)| s.wrapping_add(*b));
    if sum != image[0x1F] {
        return Err(format!(
            "header checksum {:#04x}, computed {sum:#04x}",
            image[0x1F]
        ));
    }
    let block_size = le32(4)? as usize;
    let src = le32(0x0C)? as usize;
    if block_size < 4 {
        return Err("block size below 4".into());
    }
    let data = image
        .get(src..src + block_size - 4)
        .ok_or("payload beyond the received bytes")?;
    let computed = data.chunks(4).fold(0u32, |s, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        s.wrapping_add(u32::from_le_bytes(w))
    });
    let stored = le32(src + block_size - 4)?;
    if computed != stored {
        return Err(format!("data checksum {stored:#x}, computed {computed:#x}"));
    }
    Ok(())
}
