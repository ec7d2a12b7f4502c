//! A simulated NSLU2 in RedBoot upgrade mode, on a veth pair between two network namespaces
//! the test creates.
//!
//! Written from the device side of the protocol (RedBoot `upgrade.c` as summarised in the
//! reference notes ixp4xx-nslu2.md §4.2–§4.4, upslug2 `nslu2_protocol.h` for the frame), not
//! from our client:
//!
//! * an 8 MiB NOR flash: programming can only clear bits, so data written without the erase
//!   comes out wrong — the erase is really tested;
//! * Start (type 1) → PROG state, expected sequence = start + 1, erase pending, block counter -1;
//! * the first data packet erases 0x60000..0x800000 (slowly, if asked); a packet whose address
//!   is 0 advances the 1 MiB block counter; data below 0x60000 is ignored (normal upgrade);
//!   duplicates (sequence < expected) are answered OK without programming, packets from the
//!   future get SequenceError (6), data while idle ProtocolError (5);
//! * the first verify resets the block counter; mismatches answer VerifyError (9);
//! * HardwareInfo answers 56 bytes from the RedBoot and flash trailers; Reboot answers and
//!   records the reboot.
//!
//! Faults: dropped requests and replies, replies held back and sent after the next one
//! (reordering), a slow erase, a box that stops answering after N data packets.

use std::fs::File;
use std::mem;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const ETHERTYPE: u16 = 0x8888;
pub const FLASH_SIZE: usize = 0x80_0000;
const UPGRADE_BASE: usize = 0x6_0000;
const MIB: usize = 0x10_0000;
/// The box's MAC (Linksys OUI 00:0F:66).
pub const BOX_MAC: [u8; 6] = [0x00, 0x0F, 0x66, 0x12, 0x34, 0x56];
/// NSLU2 hardware id (upslug2 `nslu2_upgrade.cc`).
const HARDWARE_ID: [u8; 6] = [0x04, 0x70, 0x31, 0x95, 0x58, 0x10];

// ---------------------------------------------------------------------------------------------
// Network namespaces
// ---------------------------------------------------------------------------------------------

/// Two namespaces joined by a veth pair: `host0` in the host namespace, `dev0` (with
/// [`BOX_MAC`]) in the device namespace. Removed on drop, also when a test fails.
pub struct VethPair {
    pub host_ns: String,
    pub dev_ns: String,
}

static PAIRS: AtomicUsize = AtomicUsize::new(0);

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip` (iproute2): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl VethPair {
    /// Creates the pair; `Err` with the reason if namespaces are not available here (the
    /// caller skips with that message). Any later failure panics (after cleaning up).
    pub fn create() -> Result<Self, String> {
        let n = PAIRS.fetch_add(1, Ordering::Relaxed);
        let base = format!("bpxup-{}-{n}", std::process::id());
        let host_ns = format!("{base}-h");
        let dev_ns = format!("{base}-d");
        ip(&["netns", "add", &host_ns])?;
        let pair = Self {
            host_ns,
            dev_ns: dev_ns.clone(),
        };
        // From here on `pair` is dropped (namespaces deleted) if anything fails.
        ip(&["netns", "add", &dev_ns]).expect("second namespace");
        let mac = BOX_MAC.map(|b| format!("{b:02x}")).join(":");
        for args in [
            vec![
                "-n",
                &pair.host_ns,
                "link",
                "add",
                "host0",
                "type",
                "veth",
                "peer",
                "name",
                "dev0",
                "netns",
                &dev_ns,
            ],
            vec!["-n", &dev_ns, "link", "set", "dev0", "address", &mac],
            vec!["-n", &pair.host_ns, "link", "set", "host0", "up"],
            vec!["-n", &dev_ns, "link", "set", "dev0", "up"],
        ] {
            ip(&args).unwrap_or_else(|e| panic!("{e}"));
        }
        Ok(pair)
    }

    /// A command run inside the host namespace (`ip netns exec` execs it: same PID).
    pub fn host_command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.host_ns, program]);
        cmd
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        // Deleting the namespaces destroys the veth pair with them.
        let _ = ip(&["netns", "del", &self.host_ns]);
        let _ = ip(&["netns", "del", &self.dev_ns]);
    }
}

// ---------------------------------------------------------------------------------------------
// The simulated box
// ---------------------------------------------------------------------------------------------

/// Failure modes and timing.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Percent of received requests dropped (lost on the wire).
    pub drop_requests: u64,
    /// Percent of replies dropped.
    pub drop_replies: u64,
    /// Percent of replies held back and sent after the next reply (reordering).
    pub reorder_replies: u64,
    /// How long the first data packet's erase takes.
    pub erase_delay: Duration,
    /// Stop answering anything after this many data packets were programmed.
    pub die_after_data: Option<usize>,
    /// PRNG seed for the percentages.
    pub seed: u64,
}

/// What the box ended up with.
#[derive(Debug, Clone)]
pub struct BoxState {
    pub flash: Vec<u8>,
    pub rebooted: bool,
    pub erases: usize,
    pub data_programmed: usize,
    pub duplicates: usize,
    pub verify_packets: usize,
    pub hardware_info_requests: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Idle,
    Program,
    /// After a fatal error RedBoot stops answering data/verify.
    Failed,
}

/// The flash contents the box starts with: a RedBoot partition with the Sercomm trailer fields
/// HardwareInfo reports, a SysConf, an old firmware (non-0xFF, so that a missing erase shows)
/// and the flash trailer.
pub fn initial_flash(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut flash: Vec<u8> = (0..FLASH_SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    // RedBoot trailer (last 70 bytes of the 256 KiB partition): VerControl at 0x3FFC1 ...
    let put16 = |flash: &mut Vec<u8>, at: usize, v: u16| {
        flash[at..at + 2].copy_from_slice(&v.to_be_bytes())
    };
    put16(&mut flash, 0x3FFC1, 0x0001); // VerControl
    put16(&mut flash, 0x3FFC3, 0x0002); // DownControl
    flash[0x3FFC5..0x3FFE5].fill(0);
    flash[0x3FFC5..0x3FFC5 + 6].copy_from_slice(&HARDWARE_ID);
    put16(&mut flash, 0x3FFE5, 0x0003); // Hver
    put16(&mut flash, 0x3FFE9, 0xFFFF); // ProdIDmask
    put16(&mut flash, 0x3FFED, 0xFFFF); // ProtIDmask
    put16(&mut flash, 0x3FFEF, 0x0003); // FuncID
    put16(&mut flash, 0x3FFF1, 0xFFFF); // FuncIDmask
    put16(&mut flash, 0x3FFF5, 0x0000); // Cseg
    put16(&mut flash, 0x3FFF7, 0x0000); // Csize
    // Flash trailer: product 1, protocol 0, firmware R23V29, "eRcOmM".
    flash[0x7FFFF0..].copy_from_slice(&[
        0, 1, 0, 0, 0x23, 0x29, 0, 0, b'e', b'R', b'c', b'O', b'm', b'M', 0, 0,
    ]);
    flash
}

struct Device {
    state: BoxState,
    faults: Faults,
    mode: Mode,
    expected: u16,
    erase_pending: bool,
    verifying: bool,
    block: i64,
    rng: u64,
    held_reply: Option<([u8; 6], Vec<u8>)>,
}

/// A running simulated box; [`Self::finish`] stops it and returns its state.
pub struct SimBox {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<BoxState>>,
    ready: Arc<Mutex<Option<Result<(), String>>>>,
}

impl SimBox {
    /// Starts the box in `pair`'s device namespace.
    pub fn start(pair: &VethPair, faults: Faults, flash: Vec<u8>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(Mutex::new(None));
        let netns = format!("/run/netns/{}", pair.dev_ns);
        let thread = {
            let stop = Arc::clone(&stop);
            let ready = Arc::clone(&ready);
            thread::spawn(move || {
                let device = Device {
                    state: BoxState {
                        flash,
                        rebooted: false,
                        erases: 0,
                        data_programmed: 0,
                        duplicates: 0,
                        verify_packets: 0,
                        hardware_info_requests: 0,
                    },
                    rng: faults.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
                    faults,
                    mode: Mode::Idle,
                    expected: 0,
                    erase_pending: false,
                    verifying: false,
                    block: -1,
                    held_reply: None,
                };
                match open_in_namespace(&netns) {
                    Ok(socket) => {
                        *ready.lock().unwrap() = Some(Ok(()));
                        device.run(&socket, &stop)
                    }
                    Err(e) => {
                        *ready.lock().unwrap() = Some(Err(e));
                        device.state
                    }
                }
            })
        };
        let sim = Self {
            stop,
            thread: Some(thread),
            ready,
        };
        // Wait (bounded) until the socket is bound, so the first probe is not lost.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let result = sim.ready.lock().unwrap().clone();
            if let Some(result) = result {
                result.unwrap_or_else(|e| panic!("simulated box: {e}"));
                return sim;
            }
            thread::sleep(Duration::from_millis(5));
        }
        panic!("simulated box did not start within 10 s");
    }

    /// Stops the box and returns what it holds.
    pub fn finish(mut self) -> BoxState {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("finish once")
            .join()
            .expect("simulated box panicked")
    }
}

impl Drop for SimBox {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Moves this thread into the namespace and opens an AF_PACKET socket on dev0.
fn open_in_namespace(netns: &str) -> Result<OwnedFd, String> {
    let ns = File::open(netns).map_err(|e| format!("cannot open {netns}: {e}"))?;
    // SAFETY: ns is an open namespace file; setns only affects this thread.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(format!("setns: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: plain socket(2); checked below.
    let raw = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_DGRAM,
            libc::c_int::from(ETHERTYPE.to_be()),
        )
    };
    if raw < 0 {
        return Err(format!("socket: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: raw is a fresh descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: the literal is NUL-terminated.
    let ifindex = unsafe { libc::if_nametoindex(c"dev0".as_ptr()) };
    if ifindex == 0 {
        return Err("no dev0 in the device namespace".into());
    }
    let addr = link_addr(ifindex as i32, &[0; 6]);
    // SAFETY: addr is a valid sockaddr_ll of the given length.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_ll).cast(),
            mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    if rc != 0 {
        return Err(format!("bind: {}", std::io::Error::last_os_error()));
    }
    Ok(fd)
}

fn link_addr(ifindex: i32, mac: &[u8; 6]) -> libc::sockaddr_ll {
    // SAFETY: plain data; zero is valid.
    let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = ETHERTYPE.to_be();
    addr.sll_ifindex = ifindex;
    addr.sll_halen = 6;
    addr.sll_addr[..6].copy_from_slice(mac);
    addr
}

impl Device {
    /// Serves requests until stopped (bounded to 10 minutes for a test gone wrong).
    fn run(mut self, socket: &OwnedFd, stop: &AtomicBool) -> BoxState {
        let limit = Instant::now() + Duration::from_secs(600);
        let mut buf = [0u8; 2048];
        let mut ifindex = 0;
        while !stop.load(Ordering::Relaxed) && Instant::now() < limit {
            let mut pfd = libc::pollfd {
                fd: socket.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut pfd, 1, 20) } <= 0 {
                continue;
            }
            // SAFETY: zeroed sockaddr_ll is valid; recvfrom fills it.
            let mut from: libc::sockaddr_ll = unsafe { mem::zeroed() };
            let mut len = mem::size_of::<libc::sockaddr_ll>() as u32;
            // SAFETY: buf and from are valid for their lengths.
            let n = unsafe {
                libc::recvfrom(
                    socket.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                    (&mut from as *mut libc::sockaddr_ll).cast(),
                    &mut len,
                )
            };
            if n <= 0 || from.sll_pkttype == libc::PACKET_OUTGOING {
                continue;
            }
            ifindex = from.sll_ifindex;
            let mut peer = [0u8; 6];
            peer.copy_from_slice(&from.sll_addr[..6]);
            if self.chance(self.faults.drop_requests) {
                continue;
            }
            if let Some(reply) = self.handle(&buf[..n as usize]) {
                self.reply(socket, ifindex, peer, reply);
            }
        }
        if let Some((peer, reply)) = self.held_reply.take() {
            send(socket, ifindex, &peer, &reply);
        }
        self.state
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        percent > 0 && self.rng % 100 < percent
    }

    fn reply(&mut self, socket: &OwnedFd, ifindex: i32, peer: [u8; 6], reply: Vec<u8>) {
        if self.chance(self.faults.drop_replies) {
            return;
        }
        if self.held_reply.is_none() && self.chance(self.faults.reorder_replies) {
            self.held_reply = Some((peer, reply));
            return;
        }
        send(socket, ifindex, &peer, &reply);
        if let Some((held_peer, held)) = self.held_reply.take() {
            send(socket, ifindex, &held_peer, &held);
        }
    }

    /// RedBoot's dispatcher: returns the reply (the request buffer with fields updated).
    fn handle(&mut self, request: &[u8]) -> Option<Vec<u8>> {
        if request.len() < 10 {
            return None;
        }
        if self
            .faults
            .die_after_data
            .is_some_and(|n| self.state.data_programmed >= n)
        {
            return None;
        }
        let u16_at = |at: usize| u16::from_le_bytes([request[at], request[at + 1]]);
        let (kind, sequence, length) = (u16_at(0), u16_at(2), usize::from(u16_at(8)));
        let address = usize::from(u16_at(4)) + (usize::from(u16_at(6)) << 4);
        let data = request.get(10..10 + length);
        let mut reply = request[..10].to_vec();
        let with_code = |mut reply: Vec<u8>, code: u16| {
            reply[8..10].copy_from_slice(&2u16.to_le_bytes());
            reply.extend_from_slice(&code.to_le_bytes());
            Some(reply)
        };
        match kind {
            0 => {
                self.state.hardware_info_requests += 1;
                reply[8..10].copy_from_slice(&56u16.to_le_bytes());
                reply.extend_from_slice(&self.hardware_info());
                Some(reply)
            }
            1 => {
                self.mode = Mode::Program;
                self.expected = sequence.wrapping_add(1);
                self.erase_pending = true;
                self.verifying = false;
                self.block = -1;
                reply[8..10].copy_from_slice(&2u16.to_le_bytes());
                reply.extend_from_slice(&[0, 0]);
                Some(reply)
            }
            2 => match self.mode {
                Mode::Idle => with_code(reply, 5),
                Mode::Failed => None,
                Mode::Program => {
                    if sequence == self.expected {
                        let data = data?; // a truncated frame is dropped, as a bad frame would be
                        if self.erase_pending {
                            thread::sleep(self.faults.erase_delay);
                            self.state.flash[UPGRADE_BASE..].fill(0xFF);
                            self.state.erases += 1;
                            self.erase_pending = false;
                        }
                        let at = self.flash_address(address);
                        if (UPGRADE_BASE..FLASH_SIZE).contains(&at) {
                            let end = (at + data.len()).min(FLASH_SIZE);
                            // NOR programming clears bits only.
                            for (cell, byte) in self.state.flash[at..end].iter_mut().zip(data) {
                                *cell &= byte;
                            }
                        }
                        self.state.data_programmed += 1;
                        self.expected = self.expected.wrapping_add(1);
                        with_code(reply, 0)
                    } else if is_before(sequence, self.expected) {
                        self.state.duplicates += 1;
                        with_code(reply, 0)
                    } else {
                        with_code(reply, 6)
                    }
                }
            },
            4 => match self.mode {
                Mode::Idle => with_code(reply, 5),
                Mode::Failed => None,
                Mode::Program => {
                    if sequence == self.expected {
                        let data = data?;
                        if !self.verifying {
                            self.verifying = true;
                            self.erase_pending = true;
                            self.block = -1;
                        }
                        self.state.verify_packets += 1;
                        let at = self.flash_address(address);
                        let matches = at < UPGRADE_BASE
                            || self.state.flash.get(at..at + data.len()) == Some(data);
                        self.expected = self.expected.wrapping_add(1);
                        if matches {
                            with_code(reply, 0)
                        } else {
                            self.mode = Mode::Failed;
                            with_code(reply, 9)
                        }
                    } else if sequence == self.expected.wrapping_sub(1) {
                        self.state.duplicates += 1;
                        with_code(reply, 0)
                    } else {
                        with_code(reply, 6)
                    }
                }
            },
            3 => {
                self.state.rebooted = true;
                reply[8..10].copy_from_slice(&0u16.to_le_bytes());
                reply.extend_from_slice(&[0, 0]);
                Some(reply)
            }
            _ => None,
        }
    }

    /// The 1 MiB block counter: a packet with address 0 starts the next block.
    fn flash_address(&mut self, address: usize) -> usize {
        if address == 0 {
            self.block += 1;
        }
        (self.block.max(0) as usize) * MIB + address
    }

    fn hardware_info(&self) -> Vec<u8> {
        let f = &self.state.flash;
        let mut info = f[0x3FFC1..0x3FFF9].to_vec(); // 56 bytes from VerControl
        info[38..40].copy_from_slice(&f[0x7FFFF0..0x7FFFF2]); // product id
        info[42..44].copy_from_slice(&f[0x7FFFF2..0x7FFFF4]); // protocol id
        info[50..52].copy_from_slice(&f[0x7FFFF4..0x7FFFF6]); // firmware version
        info
    }
}

/// `a` comes before `b` in u16 sequence space (within half the range).
fn is_before(a: u16, b: u16) -> bool {
    let distance = b.wrapping_sub(a);
    distance != 0 && distance < 0x8000
}

fn send(socket: &OwnedFd, ifindex: i32, peer: &[u8; 6], payload: &[u8]) {
    let addr = link_addr(ifindex, peer);
    // SAFETY: payload and addr are valid for their lengths.
    unsafe {
        libc::sendto(
            socket.as_raw_fd(),
            payload.as_ptr().cast(),
            payload.len(),
            0,
            (&addr as *const libc::sockaddr_ll).cast(),
            mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
}
