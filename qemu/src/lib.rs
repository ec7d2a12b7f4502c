//! Runs bareproxy firmware images under `qemu-system-arm` and watches their console.
//!
//! Used by `cargo xtask run` (interactive) and by the integration tests in `qemu/tests/`, which
//! boot the firmware and assert on what it prints and does. Every QEMU process is tracked by
//! its PID and killed when its [`Qemu`] handle drops, so a failing test leaves nothing behind;
//! every wait has a deadline.
//!
//! Images come from `cargo xtask build` (`target/images/<board>/`); [`images_dir`] finds them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub mod backend;
pub mod wire;

pub use backend::DemoBackend;

/// The workspace root (this crate lives in `<root>/qemu`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("qemu/ has a parent")
        .to_path_buf()
}

/// Where `cargo xtask build` puts board images: `$BAREPROXY_IMAGES` or `<root>/target/images`.
pub fn images_dir() -> PathBuf {
    std::env::var_os("BAREPROXY_IMAGES")
        .map_or_else(|| workspace_root().join("target/images"), PathBuf::from)
}

/// An image file of `board`, with a clear error if it has not been built.
pub fn image(board: &str, file: &str) -> Result<PathBuf> {
    let path = images_dir().join(board).join(file);
    if !path.exists() {
        bail!(
            "{} is missing: build the images first with `cargo xtask build`",
            path.display()
        );
    }
    Ok(path)
}

/// A port forward from the host's loopback into the guest (QEMU user networking).
#[derive(Clone, Debug)]
pub struct Forward {
    /// Host port on 127.0.0.1.
    pub host: u16,
    /// Guest port.
    pub guest: u16,
}

/// The two UDP ports of an owned wire: QEMU listens on `qemu_port` and sends to `host_port`.
#[derive(Clone, Copy, Debug)]
pub struct WireSockets {
    /// Port QEMU binds on 127.0.0.1.
    pub qemu_port: u16,
    /// Port the host program binds on 127.0.0.1.
    pub host_port: u16,
}

/// How to start QEMU.
#[derive(Clone, Debug)]
pub struct QemuConfig {
    /// `-M` machine.
    pub machine: String,
    /// `-cpu`, when the machine default is not wanted.
    pub cpu: Option<String>,
    /// `-m` in MiB.
    pub memory_mib: u32,
    /// The firmware ELF (`-kernel`).
    pub kernel: Option<PathBuf>,
    /// A device tree blob (`-dtb`).
    pub dtb: Option<PathBuf>,
    /// The kernel command line (`-append`, lands in /chosen/bootargs).
    pub append: Option<String>,
    /// `None`: no NIC. `Some(forwards)`: a LAN9118 on QEMU's user network with these forwards.
    pub user_network: Option<Vec<Forward>>,
    /// Instead of the user network: the LAN9118 on a UDP socket pair on 127.0.0.1, so that a
    /// host program owns the wire (every Ethernet frame is one datagram). Takes precedence over
    /// `user_network`.
    pub wire: Option<WireSockets>,
    /// Anything else, appended verbatim.
    pub extra: Vec<String>,
    /// Files made for this run (configuration slots), removed when the [`Qemu`] is dropped.
    pub temporary_files: Vec<PathBuf>,
}

impl QemuConfig {
    /// vexpress-a9 with the given firmware ELF and DTB, 128 MiB, no NIC.
    pub fn vexpress(kernel: PathBuf, dtb: PathBuf) -> Self {
        Self {
            machine: "vexpress-a9".into(),
            cpu: None,
            memory_mib: 128,
            kernel: Some(kernel),
            dtb: Some(dtb),
            append: None,
            user_network: None,
            wire: None,
            extra: Vec::new(),
            temporary_files: Vec::new(),
        }
    }

    /// Loads `config` (haproxy.cfg text) into the vexpress configuration slot at 0x6000_8000
    /// with QEMU's generic loader (slot format: `kernel/src/config_slot.rs`).
    pub fn with_proxy_config(mut self, config: &str) -> Result<Self> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("bareproxy-config-{}-{n}.slot", std::process::id()));
        let mut slot = (config.len() as u32).to_be_bytes().to_vec();
        slot.extend([0u8; 12]);
        slot.extend(config.as_bytes());
        std::fs::write(&path, &slot)?;
        self.temporary_files.push(path.clone());
        self.extra.extend([
            "-device".into(),
            format!(
                "loader,file={},addr=0x60008000,force-raw=on",
                path.display()
            ),
        ]);
        Ok(self)
    }

    /// The vexpress-a9 images from `cargo xtask build`.
    pub fn vexpress_built() -> Result<Self> {
        Ok(Self::vexpress(
            image("vexpress", "bareproxy-vexpress.elf")?,
            image("vexpress", "vexpress-a9.dtb")?,
        ))
    }

    /// The command line, console on stdio, no graphics, no monitor, exit instead of reboot.
    pub fn command(&self) -> Command {
        let mut command = Command::new("qemu-system-arm");
        command.args(["-M", &self.machine, "-m", &format!("{}M", self.memory_mib)]);
        if let Some(cpu) = &self.cpu {
            command.args(["-cpu", cpu]);
        }
        command.args([
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-no-reboot",
        ]);
        // vexpress's AACI (PL041) needs an audio backend; `none`, named on the device itself so
        // that QEMU 7.2 neither opens ALSA nor warns about a default.
        command.args([
            "-audiodev",
            "none,id=noaudio",
            "-global",
            "pl041.audiodev=noaudio",
        ]);
        if let Some(kernel) = &self.kernel {
            command.arg("-kernel").arg(kernel);
        }
        if let Some(dtb) = &self.dtb {
            command.arg("-dtb").arg(dtb);
        }
        if let Some(append) = &self.append {
            command.args(["-append", append]);
        }
        if let Some(wire) = self.wire {
            // QEMU's socket netdev in UDP mode: one datagram per frame (docs: qemu-system(1),
            // `-netdev socket,udp=`).
            let socket = format!(
                "socket,model=lan9118,udp=127.0.0.1:{},localaddr=127.0.0.1:{}",
                wire.host_port, wire.qemu_port
            );
            command.args(["-nic", &socket]);
            command.args(&self.extra);
            return command;
        }
        match &self.user_network {
            None => {
                command.args(["-nic", "none"]);
            }
            Some(forwards) => {
                let mut netdev = String::from("user,model=lan9118");
                for forward in forwards {
                    netdev.push_str(&format!(
                        ",hostfwd=tcp:127.0.0.1:{}-:{}",
                        forward.host, forward.guest
                    ));
                }
                command.args(["-nic", &netdev]);
            }
        }
        command.args(&self.extra);
        command
    }
}

/// Console bytes captured so far, and whether QEMU has closed its end.
#[derive(Default)]
struct Capture {
    bytes: Vec<u8>,
    closed: bool,
}

/// A running QEMU, killed by PID on drop.
pub struct Qemu {
    child: Child,
    temporary_files: Vec<PathBuf>,
    capture: Arc<(Mutex<Capture>, Condvar)>,
}

impl Qemu {
    /// Starts QEMU with its console captured.
    pub fn spawn(config: &QemuConfig) -> Result<Self> {
        let mut child = config
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting qemu-system-arm (install it: apt-get install qemu-system-arm)")?;
        let capture = Arc::new((Mutex::new(Capture::default()), Condvar::new()));
        let mut stdout = child.stdout.take().context("qemu stdout")?;
        let sink = Arc::clone(&capture);
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            loop {
                let read = stdout.read(&mut buffer).unwrap_or(0);
                let (lock, signal) = &*sink;
                let mut capture = lock.lock().unwrap_or_else(|e| e.into_inner());
                if read == 0 {
                    capture.closed = true;
                    signal.notify_all();
                    return;
                }
                capture.bytes.extend_from_slice(&buffer[..read]);
                signal.notify_all();
            }
        });
        Ok(Self {
            child,
            capture,
            temporary_files: config.temporary_files.clone(),
        })
    }

    /// QEMU's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the console printed so far, raw (text and defmt frames).
    pub fn console_bytes(&self) -> Vec<u8> {
        self.capture
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .bytes
            .clone()
    }

    /// The plain-text part of the console so far: defmt frames (NUL-delimited segments that are
    /// not text) are dropped, `\r` removed.
    pub fn console_text(&self) -> String {
        plain_text(&self.console_bytes())
    }

    /// Waits until the console text contains `needle`; returns the text so far. Fails at the
    /// deadline or if QEMU exits first, showing what was printed.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let (lock, signal) = &*self.capture;
        let mut capture = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let text = plain_text(&capture.bytes);
            if text.contains(needle) {
                return Ok(text);
            }
            let now = Instant::now();
            if capture.closed || now >= deadline {
                let why = if capture.closed {
                    "QEMU exited"
                } else {
                    "timed out"
                };
                bail!(
                    "{why} after {:?} waiting for {needle:?}; console so far:\n{text}",
                    timeout
                );
            }
            capture = signal
                .wait_timeout(capture, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits for QEMU to exit by itself (power-off, or reset under `-no-reboot`).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!(
                    "QEMU (pid {}) still running after {:?}; console:\n{}",
                    self.pid(),
                    timeout,
                    self.console_text()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// What QEMU printed on stderr (only complete once it has exited).
    pub fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for file in &self.temporary_files {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// Splits console bytes at NUL delimiters and keeps the segments that are text (see
/// `kernel/src/console.rs` for the wire format). A segment counts as text when it is valid
/// UTF-8 without control characters other than CR, LF and TAB; defmt frames almost never are.
pub fn plain_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    for segment in bytes.split(|&b| b == 0) {
        let Ok(segment) = std::str::from_utf8(segment) else {
            continue;
        };
        if segment
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\r' | '\n' | '\t'))
        {
            text.push_str(&segment.replace('\r', ""));
        }
    }
    text
}

/// The number right after `label` in console `text` (e.g. `"ticks in "` → 499755); panics,
/// showing the text, when there is none. For tests reading the firmware's self-test reports.
pub fn number_after(text: &str, label: &str) -> u64 {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("{label:?} not in:\n{text}"))
        + label.len();
    text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in:\n{text}"))
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test's forward).
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_segments_survive_and_frames_are_dropped() {
        let stream = b"boot line\r\n\x00\x91\x02\x07\xff\x00more text\r\n";
        assert_eq!(plain_text(stream), "boot line\nmore text\n");
    }
}
