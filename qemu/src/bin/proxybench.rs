//! `proxybench`: requests/s, latency percentiles and throughput through the bareproxy firmware
//! running under QEMU (vexpress-a9, user networking), next to the same client talking to the
//! same servers directly on the host's loopback.
//!
//! ```sh
//! cargo run --release -p qemu-tests --bin proxybench                # the defaults below
//! cargo run --release -p qemu-tests --bin proxybench -- --seconds 2 --runs 1   # a quick look
//! ```
//!
//! Needs `qemu-system-arm` and the vexpress images (`cargo xtask build vexpress`). The
//! Markdown report goes to stdout, progress and per-run figures to stderr.
//!
//! Each run:
//!
//! 1. starts two [`BodyServer`]s on 127.0.0.1 (`/small`: 64 bytes, `/large`: 1 MiB, always
//!    with `Content-Length`, keep-alive unless the request says `Connection: close`);
//! 2. measures the client against one of them directly (no QEMU running yet);
//! 3. boots the guest with [`BENCH_CONFIG`] (an HTTP-mode frontend on guest port 80 and a
//!    TCP-mode listener on guest port 81, both round robin over the two servers, reached by the
//!    guest as 10.0.2.2:PORT) and times the boot from QEMU's spawn to the banner's `heap:` line,
//!    to `proxy: listening`, to the DHCP lease and to the first proxied response;
//! 4. measures the same workloads through both guest ports (QEMU host forwards on 127.0.0.1).
//!
//! The workloads: keep-alive clients (one connection each, reused), close clients (a new
//! connection and `Connection: close` per request) and large-body clients (keep-alive, 1 MiB
//! responses). Each phase runs a short unmeasured warm-up, then the measured interval
//! (keep-alive clients are connected before it starts); a request counts when it completes
//! before the deadline. Latency is from writing the request
//! (from `connect` for close clients) to the last body byte. The report gives, for every
//! figure, the median over the runs with min and max, as a Markdown table.
//!
//! Everything is bounded: every client loop ends at its deadline or at a request cap, every
//! socket has a read timeout, QEMU is killed by PID when its [`Qemu`] handle drops (also on
//! error), and only 127.0.0.1 is used. Nothing here asserts a speed: it reports numbers.
//!
//! Options: `--seconds S` (measured per phase, default 5), `--warmup S` (default 1),
//! `--concurrency C` (keep-alive and close connections, default 8), `--large-concurrency L`
//! (1 MiB connections, default 2), `--runs R` (default 3), `--histogram` (each phase's latency
//! histogram on stderr), `--pcap PREFIX` (QEMU's `filter-dump` of the guest's Ethernet traffic,
//! one file per run, roughly 100 MB at the defaults).
//!
//! # Reading the numbers
//!
//! All guest traffic passes through QEMU's user network (slirp), which runs in QEMU's main
//! loop next to the device models; the vCPU runs on its own thread.
//!
//! * Keep-alive and 1 MiB figures are the firmware's: QEMU is near one full host core (the
//!   CPU rows), i.e. the emulated Cortex-A9 is the bottleneck, as with Linux + HAProxy on the
//!   same board (the README's side-by-side figures).
//! * `Connection: close` figures are mostly slirp's. A capture (`--pcap`) shows the guest
//!   answering every frame within about 0.5 ms, but slirp handling a *new* host socket (its
//!   connect to a backend completing, the first bytes of a freshly forwarded client) only
//!   up to 10 ms later, on the next main-loop pass. In one capture, 92 % of the slirp frames
//!   that ended a quiet gap of over 3 ms fell within 1 ms of a single 10 ms grid: the guest's
//!   100 Hz tick timer is evidently what wakes the loop. Hence close-mode latencies clustered
//!   near 10 and 20 ms, and a low QEMU CPU share in that phase.
//! * libslirp listens on a host forward with a backlog of 1 (`listen(s, 1)` in `tcpx_listen`,
//!   `tcp_listen` in older releases, libslirp `src/socket.c`), so with several clients
//!   connecting at once the host kernel drops SYNs and the client retransmits after 1 s: the
//!   "connects taking 0.5 s or more" row, and the close-mode p99 near 1 s.
//! * A 1 MiB response occasionally takes 1.2–4.5 s instead of about 0.2 s (the 1 MiB p99
//!   row). A capture shows slirp resending a segment to the guest after its
//!   retransmission timeout (about 1.2 s, then 3 s): QEMU's LAN9118 model discards a frame that
//!   does not fit its 10.5 KB RX data FIFO (`lan9118_receive` in `hw/net/lan9118.c` returns -1
//!   and counts nothing, so the guest cannot see the loss), and two concurrent bulk flows,
//!   each with an 8.6 KiB receive window, can overfill it.
//!
//! A tap device would remove the slirp effects; this benchmark keeps to what the tests use and
//! needs no privileges.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use qemu_tests::{Forward, Qemu, QemuConfig, free_port};

/// Size of the small body (bytes).
const SMALL_BODY: usize = 64;
/// Size of the large body (bytes).
const LARGE_BODY: usize = 1 << 20;
/// Longest a single socket read or write may block before the exchange counts as failed.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a `connect` may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for each boot milestone.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);
/// Requests one client may make in one phase, whatever the duration (bounds memory too: one
/// latency sample per request).
const MAX_REQUESTS_PER_CLIENT: usize = 1 << 20;
/// Client read buffer: large enough that a 1 MiB body arrives in few reads.
const CLIENT_BUFFER: usize = 64 * 1024;
/// A `connect` this slow was not answered at once: the host retransmitted the SYN (its first
/// retransmission comes after 1 s).
const SLOW_CONNECT: Duration = Duration::from_millis(500);
/// Longest request head the body server accepts.
const SERVER_MAX_HEAD: usize = 8 * 1024;

/// The proxy configuration under test; `{P0}` and `{P1}` become the two servers' ports. No
/// health checks and no logging, so that the measured traffic is the only traffic.
const BENCH_CONFIG: &str = "
global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    bind :80
    default_backend servers
backend servers
    balance roundrobin
    server s0 10.0.2.2:{P0}
    server s1 10.0.2.2:{P1}
listen relay
    mode tcp
    bind :81
    balance roundrobin
    server s0 10.0.2.2:{P0}
    server s1 10.0.2.2:{P1}
";

fn main() {
    if let Err(error) = run() {
        eprintln!("proxybench: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let options = Options::parse(std::env::args().skip(1))?;
    let load_before = load_average();
    eprintln!(
        "proxybench: {} run(s), {} s per phase, {} keep-alive/close connections, {} large-body connections; load average {load_before}",
        options.runs, options.seconds, options.concurrency, options.large_concurrency
    );
    let mut results = Results::default();
    for run in 1..=options.runs {
        eprintln!("run {run}/{}", options.runs);
        bench_run(&options, run, &mut results).with_context(|| format!("run {run}"))?;
    }
    let load_after = load_average();
    print!("{}", results.report(&options, &load_before, &load_after));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Command line

/// What the command line asks for.
#[derive(Debug, Clone)]
struct Options {
    /// Measured seconds per phase.
    seconds: f64,
    /// Unmeasured warm-up seconds before each phase.
    warmup: f64,
    /// Connections of the keep-alive and close phases.
    concurrency: usize,
    /// Connections of the large-body phase.
    large_concurrency: usize,
    /// Runs (each boots its own guest); the report gives medians over them.
    runs: usize,
    /// Print each phase's latency histogram on stderr.
    histogram: bool,
    /// Capture the guest's Ethernet traffic of run N to `<prefix>-runN.pcap` (QEMU's
    /// `filter-dump`): for finding out where a slow exchange spent its time.
    pcap_prefix: Option<String>,
}

impl Options {
    const USAGE: &str = "usage: proxybench [--seconds S] [--warmup S] [--concurrency C] \
        [--large-concurrency L] [--runs R] [--histogram] [--pcap PREFIX]";

    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self> {
        let mut options = Self {
            seconds: 5.0,
            warmup: 1.0,
            concurrency: 8,
            large_concurrency: 2,
            runs: 3,
            histogram: false,
            pcap_prefix: None,
        };
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--help" | "-h" => {
                    println!("{}", Self::USAGE);
                    std::process::exit(0);
                }
                "--histogram" => {
                    options.histogram = true;
                    continue;
                }
                _ => {}
            }
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value\n{}", Self::USAGE))?;
            let seconds = |min: f64, max: f64| -> Result<f64> {
                let n: f64 = value
                    .parse()
                    .with_context(|| format!("{flag} {value:?}: not a number"))?;
                if !(min..=max).contains(&n) {
                    bail!("{flag} {value}: must be between {min} and {max}");
                }
                Ok(n)
            };
            let count = |max: usize| -> Result<usize> {
                let n: usize = value
                    .parse()
                    .with_context(|| format!("{flag} {value:?}: not a whole number"))?;
                if !(1..=max).contains(&n) {
                    bail!("{flag} {value}: must be between 1 and {max}");
                }
                Ok(n)
            };
            match flag.as_str() {
                "--seconds" => options.seconds = seconds(0.1, 600.0)?,
                "--warmup" => options.warmup = seconds(0.0, 60.0)?,
                "--concurrency" => options.concurrency = count(128)?,
                "--large-concurrency" => options.large_concurrency = count(32)?,
                "--runs" => options.runs = count(50)?,
                "--pcap" => options.pcap_prefix = Some(value),
                other => bail!("unknown option {other:?}\n{}", Self::USAGE),
            }
        }
        Ok(options)
    }
}

// ---------------------------------------------------------------------------------------------
// The servers behind the proxy

/// A small HTTP/1.1 server on 127.0.0.1 serving fixed bodies as fast as the host allows: every
/// response is built once at start-up and written with one `write_all`. Paths: `/small`
/// (64 bytes), `/large` (1 MiB), anything else 404. One thread per connection.
struct BodyServer {
    port: u16,
    stop: Arc<AtomicBool>,
    accept_loop: Option<JoinHandle<()>>,
}

/// The prepared responses: `[small, large]` × `[keep-alive, close]`.
struct Responses {
    keep_alive: [Vec<u8>; 2],
    close: [Vec<u8>; 2],
    not_found: Vec<u8>,
}

impl Responses {
    fn new() -> Self {
        let build = |len: usize, close: bool| {
            let mut response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n{}\r\n",
                if close { "Connection: close\r\n" } else { "" }
            )
            .into_bytes();
            response.extend(body_pattern(len));
            response
        };
        Self {
            keep_alive: [build(SMALL_BODY, false), build(LARGE_BODY, false)],
            close: [build(SMALL_BODY, true), build(LARGE_BODY, true)],
            not_found: b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_vec(),
        }
    }
}

/// The body bytes: printable and position-dependent, so a shifted or truncated body differs.
fn body_pattern(len: usize) -> impl Iterator<Item = u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8)
}

impl BodyServer {
    fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding a body server")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let responses = Arc::new(Responses::new());
        let loop_stop = Arc::clone(&stop);
        // A blocking accept (no polling delay on the close-mode path); `stop` wakes it with a
        // connection of its own.
        let accept_loop = thread::spawn(move || {
            for stream in listener.incoming() {
                if loop_stop.load(Ordering::Relaxed) {
                    return;
                }
                match stream {
                    Ok(stream) => {
                        let responses = Arc::clone(&responses);
                        thread::spawn(move || serve_connection(stream, &responses));
                    }
                    // Out of descriptors, say: back off rather than spin.
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(Self {
            port,
            stop,
            accept_loop: Some(accept_loop),
        })
    }
}

impl Drop for BodyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], self.port)),
            CONNECT_TIMEOUT,
        );
        if let Some(handle) = self.accept_loop.take() {
            let _ = handle.join();
        }
    }
}

/// Answers requests on one connection until the client closes, asks to close, sends something
/// unexpected or stays idle for [`IO_TIMEOUT`].
fn serve_connection(mut stream: TcpStream, responses: &Responses) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let mut buffer = vec![0u8; SERVER_MAX_HEAD];
    let mut filled = 0;
    loop {
        // Pipelined requests may already be in the buffer: only read when no head is complete.
        let head_len = loop {
            if let Some(end) = find_head_end(&buffer[..filled]) {
                break end;
            }
            if filled == buffer.len() {
                return;
            }
            match stream.read(&mut buffer[filled..]) {
                Ok(0) | Err(_) => return,
                Ok(n) => filled += n,
            }
        };
        let head = &buffer[..head_len];
        let close =
            header_value(head, b"connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
        // The benchmark never sends request bodies; anything with one is not ours.
        let has_body = header_value(head, b"content-length").is_some_and(|v| v != b"0")
            || header_value(head, b"transfer-encoding").is_some();
        let path = head.split(|&b| b == b' ').nth(1).unwrap_or_default();
        let size = match path {
            b"/small" => Some(0),
            b"/large" => Some(1),
            _ => None,
        };
        let response = match size {
            Some(i) if !has_body && close => &responses.close[i],
            Some(i) if !has_body => &responses.keep_alive[i],
            _ => &responses.not_found,
        };
        if stream.write_all(response).is_err() {
            return;
        }
        if close || size.is_none() || has_body {
            let _ = stream.shutdown(Shutdown::Write);
            return;
        }
        buffer.copy_within(head_len..filled, 0);
        filled -= head_len;
    }
}

/// Length of the head (through the blank line) at the start of `bytes`, once complete.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// The trimmed value of header `name` (lower case) in a head, if present.
fn header_value<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        let (key, value) = line.split_at(colon);
        key.eq_ignore_ascii_case(name)
            .then(|| value[1..].trim_ascii())
    })
}

// ---------------------------------------------------------------------------------------------
// The client

/// How a client uses its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    /// One connection, reused; `/small`.
    KeepAlive,
    /// A new connection per request with `Connection: close`; `/small`.
    Close,
    /// One connection, reused; `/large`.
    Large,
}

impl Workload {
    fn request(self) -> &'static [u8] {
        match self {
            Self::KeepAlive => b"GET /small HTTP/1.1\r\nHost: bench\r\n\r\n",
            Self::Close => b"GET /small HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n",
            Self::Large => b"GET /large HTTP/1.1\r\nHost: bench\r\n\r\n",
        }
    }

    fn body_len(self) -> usize {
        match self {
            Self::KeepAlive | Self::Close => SMALL_BODY,
            Self::Large => LARGE_BODY,
        }
    }
}

/// What one client measured.
#[derive(Default)]
struct ClientTally {
    /// Responses completed before the deadline (status 200, full body).
    completed: u64,
    /// Failed exchanges: I/O errors, timeouts, wrong status or body.
    errors: u64,
    /// Response body bytes received before the deadline (partial bodies included).
    body_bytes: u64,
    /// Latency of each completed exchange, microseconds.
    latencies_us: Vec<u32>,
    /// Connections opened (the first exchange of each includes the connect).
    connects: u64,
    /// Connections whose `connect` took [`SLOW_CONNECT`] or longer.
    slow_connects: u64,
    /// The first error seen, for the log.
    first_error: Option<String>,
}

/// A connection's receive side: a fixed buffer over the stream, reused for every response.
struct Conn {
    stream: TcpStream,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: vec![0; CLIENT_BUFFER],
            start: 0,
            end: 0,
        })
    }

    /// Reads more bytes after the buffered ones; `false` at EOF.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buffer.len() {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = self.stream.read(&mut self.buffer[self.end..])?;
        self.end += n;
        Ok(n > 0)
    }

    /// Sends `request` and reads one response. Small bodies are checked byte for byte, large
    /// ones by length. Body bytes are added to `body_bytes` as they arrive, until `deadline`.
    /// Returns whether the server will close the connection.
    fn exchange(
        &mut self,
        request: &[u8],
        expected_body: usize,
        deadline: Instant,
        body_bytes: &mut u64,
    ) -> Result<bool> {
        self.stream.write_all(request)?;
        let head_len = loop {
            if let Some(len) = find_head_end(&self.buffer[self.start..self.end]) {
                break len;
            }
            if self.end - self.start == self.buffer.len() {
                bail!("response head longer than {CLIENT_BUFFER} bytes");
            }
            if !self.fill()? {
                bail!("connection closed before a response head");
            }
        };
        let head = &self.buffer[self.start..self.start + head_len];
        let status = head.split(|&b| b == b' ').nth(1).unwrap_or_default();
        if status != b"200" {
            bail!(
                "status line {:?}",
                String::from_utf8_lossy(head.split(|&b| b == b'\r').next().unwrap_or_default())
            );
        }
        let length = header_value(head, b"content-length")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse::<usize>().ok())
            .context("response without a usable Content-Length")?;
        if length != expected_body {
            bail!("Content-Length {length}, expected {expected_body}");
        }
        let closing =
            header_value(head, b"connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
        self.start += head_len;
        let check = expected_body <= SMALL_BODY;
        let mut pattern = body_pattern(length);
        let mut remaining = length;
        while remaining > 0 {
            if self.start == self.end && !self.fill()? {
                bail!("connection closed with {remaining} body bytes missing");
            }
            let take = remaining.min(self.end - self.start);
            let chunk = &self.buffer[self.start..self.start + take];
            if check && !chunk.iter().all(|&b| Some(b) == pattern.next()) {
                bail!("body differs from what the server sent");
            }
            if Instant::now() < deadline {
                *body_bytes += take as u64;
            }
            self.start += take;
            remaining -= take;
        }
        Ok(closing)
    }
}

/// One client thread: repeats `workload` against `addr` until `deadline` (or the request cap).
/// Exchanges that finish after `deadline` are not counted.
/// `conn` is a connection opened beforehand, if any.
fn client(
    addr: SocketAddr,
    workload: Workload,
    deadline: Instant,
    mut conn: Option<Conn>,
) -> ClientTally {
    let mut tally = ClientTally {
        latencies_us: Vec::with_capacity(4096),
        ..ClientTally::default()
    };
    let request = workload.request();
    while Instant::now() < deadline && tally.latencies_us.len() < MAX_REQUESTS_PER_CLIENT {
        let started = Instant::now();
        let mut body_bytes = 0;
        let outcome = (|| -> Result<bool> {
            let conn = match &mut conn {
                Some(conn) => conn,
                slot => {
                    let opened = Conn::open(addr);
                    tally.connects += 1;
                    if started.elapsed() >= SLOW_CONNECT {
                        tally.slow_connects += 1;
                    }
                    slot.insert(opened?)
                }
            };
            conn.exchange(request, workload.body_len(), deadline, &mut body_bytes)
        })();
        let finished = Instant::now();
        tally.body_bytes += body_bytes;
        match outcome {
            Ok(closing) => {
                if finished <= deadline {
                    tally.completed += 1;
                    let us = finished.duration_since(started).as_micros();
                    tally
                        .latencies_us
                        .push(u32::try_from(us).unwrap_or(u32::MAX));
                }
                if closing || workload == Workload::Close {
                    conn = None;
                }
            }
            Err(error) => {
                conn = None;
                if finished <= deadline {
                    tally.errors += 1;
                    tally
                        .first_error
                        .get_or_insert_with(|| format!("{error:#}"));
                }
                // A refused or reset connection must not turn into a busy loop.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
    tally
}

/// What one phase measured, all clients together.
#[derive(Debug, Clone, Copy)]
struct PhaseResult {
    requests_per_s: f64,
    mib_per_s: f64,
    /// p50, p90, p99 in milliseconds (`NaN` when nothing completed).
    latency_ms: [f64; 3],
    errors: u64,
    /// QEMU's CPU use over the phase, in percent of one host core.
    qemu_cpu_percent: Option<f64>,
    /// Share of connects that took [`SLOW_CONNECT`] or longer, percent.
    slow_connect_percent: f64,
}

/// Runs `connections` clients of `workload` against `addr`: `warmup` unmeasured, then
/// `seconds` measured.
fn phase(
    addr: SocketAddr,
    workload: Workload,
    connections: usize,
    options: &Options,
    qemu_pid: Option<u32>,
) -> PhaseResult {
    if options.warmup > 0.0 {
        let _ = run_clients(
            addr,
            workload,
            connections,
            Duration::from_secs_f64(options.warmup),
        );
    }
    let cpu_before = qemu_pid.and_then(cpu_ticks);
    let measured = Duration::from_secs_f64(options.seconds);
    let tallies = run_clients(addr, workload, connections, measured);
    let cpu_after = qemu_pid.and_then(cpu_ticks);
    let mut latencies: Vec<u32> = tallies
        .iter()
        .flat_map(|t| t.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    if options.histogram {
        eprintln!("    {workload:?} latency: {}", histogram(&latencies));
    }
    let percentile = |p: f64| {
        if latencies.is_empty() {
            return f64::NAN;
        }
        // Nearest rank.
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        f64::from(latencies[rank.clamp(1, latencies.len()) - 1]) / 1000.0
    };
    let completed: u64 = tallies.iter().map(|t| t.completed).sum();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    let body_bytes: u64 = tallies.iter().map(|t| t.body_bytes).sum();
    let connects: u64 = tallies.iter().map(|t| t.connects).sum();
    let slow_connects: u64 = tallies.iter().map(|t| t.slow_connects).sum();
    if let Some(error) = tallies.iter().find_map(|t| t.first_error.as_ref()) {
        eprintln!("    {errors} error(s) in {workload:?} against {addr}; first: {error}");
    }
    let seconds = measured.as_secs_f64();
    PhaseResult {
        requests_per_s: completed as f64 / seconds,
        mib_per_s: body_bytes as f64 / seconds / f64::from(1u32 << 20),
        latency_ms: [percentile(50.0), percentile(90.0), percentile(99.0)],
        errors,
        qemu_cpu_percent: cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before) as f64 / CLOCK_TICKS_PER_S / seconds * 100.0),
        slow_connect_percent: slow_connects as f64 * 100.0 / connects.max(1) as f64,
    }
}

/// Upper bucket edges of [`histogram`], microseconds, with their labels.
const HISTOGRAM_BUCKETS: [(u32, &str); 9] = [
    (1_000, "<1 ms"),
    (2_000, "1-2"),
    (5_000, "2-5"),
    (10_000, "5-10"),
    (20_000, "10-20"),
    (50_000, "20-50"),
    (100_000, "50-100"),
    (500_000, "100-500"),
    (1_000_000, "500-1000"),
];

/// The share of latency samples (microseconds) per bucket, empty buckets left out: shows
/// whether latencies cluster at multiples of the firmware's 10 ms tick or of a TCP timer.
fn histogram(latencies_us: &[u32]) -> String {
    let mut counts = [0usize; HISTOGRAM_BUCKETS.len() + 1];
    for &us in latencies_us {
        let bucket = HISTOGRAM_BUCKETS
            .iter()
            .position(|&(edge, _)| us < edge)
            .unwrap_or(HISTOGRAM_BUCKETS.len());
        counts[bucket] += 1;
    }
    let labels = HISTOGRAM_BUCKETS
        .iter()
        .map(|&(_, label)| label)
        .chain([">=1000"]);
    let total = latencies_us.len().max(1) as f64;
    labels
        .zip(counts)
        .filter(|&(_, count)| count > 0)
        .map(|(label, count)| {
            let percent = count as f64 * 100.0 / total;
            let decimals = if percent < 1.0 { 1 } else { 0 };
            format!("{label} {percent:.decimals$}%")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Starts the clients together and collects their tallies. Keep-alive clients connect before
/// the start, so that the measured interval holds requests only: under user networking
/// concurrent connects can take a second (see the module notes).
fn run_clients(
    addr: SocketAddr,
    workload: Workload,
    connections: usize,
    duration: Duration,
) -> Vec<ClientTally> {
    let start = Arc::new(Barrier::new(connections + 1));
    let clients: Vec<JoinHandle<ClientTally>> = (0..connections)
        .map(|_| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let conn = match workload {
                    Workload::KeepAlive | Workload::Large => Conn::open(addr).ok(),
                    Workload::Close => None,
                };
                start.wait();
                client(addr, workload, Instant::now() + duration, conn)
            })
        })
        .collect();
    start.wait();
    clients
        .into_iter()
        .map(|c| c.join().unwrap_or_default())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Host figures

/// `/proc/<pid>/stat` counts CPU time in clock ticks of `USER_HZ`, which Linux fixes at 100
/// for user space (proc(5)).
const CLOCK_TICKS_PER_S: f64 = 100.0;

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start at field 3; utime and
    // stime are fields 14 and 15 (proc(5)).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The 1-, 5- and 15-minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

// ---------------------------------------------------------------------------------------------
// One run

/// How the traffic reaches the servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Direct,
    ProxyHttp,
    ProxyTcp,
}

const PATHS: [Path; 3] = [Path::ProxyHttp, Path::ProxyTcp, Path::Direct];

impl Path {
    fn column(self) -> &'static str {
        match self {
            Self::ProxyHttp => "proxy, mode http",
            Self::ProxyTcp => "proxy, mode tcp",
            Self::Direct => "direct (host loopback)",
        }
    }
}

const WORKLOADS: [Workload; 3] = [Workload::KeepAlive, Workload::Close, Workload::Large];

/// Boot milestones, seconds from QEMU's spawn.
#[derive(Debug, Clone, Copy)]
struct BootTimes {
    heap: f64,
    listening: f64,
    dhcp: f64,
    first_response: f64,
}

/// One boot, the direct measurements and the proxied ones (run number `run`, from 1).
fn bench_run(options: &Options, run: usize, results: &mut Results) -> Result<()> {
    let servers = [BodyServer::start()?, BodyServer::start()?];
    let direct = SocketAddr::from(([127, 0, 0, 1], servers[0].port));
    for workload in WORKLOADS {
        let result = phase(
            direct,
            workload,
            connections(options, workload),
            options,
            None,
        );
        results.record(Path::Direct, workload, &result);
    }

    let (http_port, tcp_port) = (free_port()?, free_port()?);
    let config = BENCH_CONFIG
        .replace("{P0}", &servers[0].port.to_string())
        .replace("{P1}", &servers[1].port.to_string());
    let mut qemu_config = QemuConfig::vexpress_built()?.with_proxy_config(&config)?;
    let forwards = vec![
        Forward {
            host: http_port,
            guest: 80,
        },
        Forward {
            host: tcp_port,
            guest: 81,
        },
    ];
    match &options.pcap_prefix {
        None => qemu_config.user_network = Some(forwards),
        Some(prefix) => {
            // The runner's user network has no netdev id to attach a filter to: spell the NIC
            // out here (the runner's `-nic none` comes first and only drops the default NIC).
            let mut nic = String::from("user,id=bench0,model=lan9118");
            for forward in &forwards {
                let _ = write!(
                    nic,
                    ",hostfwd=tcp:127.0.0.1:{}-:{}",
                    forward.host, forward.guest
                );
            }
            let file = format!("{prefix}-run{run}.pcap");
            eprintln!("  capturing the guest's traffic to {file}");
            qemu_config.extra.extend([
                "-nic".into(),
                nic,
                "-object".into(),
                format!("filter-dump,id=benchdump,netdev=bench0,file={file}"),
            ]);
        }
    }
    let spawned = Instant::now();
    let qemu = Qemu::spawn(&qemu_config)?;
    let since_spawn = || spawned.elapsed().as_secs_f64();
    let banner = qemu.wait_for("heap:", BOOT_TIMEOUT)?;
    let heap = since_spawn();
    let text = qemu.wait_for("proxy: listening", BOOT_TIMEOUT)?;
    let listening = since_spawn();
    if !text.contains("proxy: configuration from the slot") {
        bail!("the guest did not take the benchmark configuration; console:\n{text}");
    }
    qemu.wait_for("proxy: listening on 0.0.0.0:81", BOOT_TIMEOUT)?;
    qemu.wait_for("DHCP lease", BOOT_TIMEOUT)?;
    let dhcp = since_spawn();
    let http = SocketAddr::from(([127, 0, 0, 1], http_port));
    first_response(http, spawned + BOOT_TIMEOUT)
        .with_context(|| format!("console:\n{}", qemu.console_text()))?;
    let boot = BootTimes {
        heap,
        listening,
        dhcp,
        first_response: since_spawn(),
    };
    eprintln!(
        "  boot: heap {:.3} s, listening {:.3} s, DHCP {:.3} s, first response {:.3} s",
        boot.heap, boot.listening, boot.dhcp, boot.first_response
    );
    results.boots.push(boot);
    if let Some(line) = banner.lines().find(|l| l.starts_with("bareproxy "))
        && !results.firmware.iter().any(|f| f == line)
    {
        results.firmware.push(line.to_owned());
    }

    let tcp = SocketAddr::from(([127, 0, 0, 1], tcp_port));
    for (path, addr) in [(Path::ProxyHttp, http), (Path::ProxyTcp, tcp)] {
        for workload in WORKLOADS {
            let result = phase(
                addr,
                workload,
                connections(options, workload),
                options,
                Some(qemu.pid()),
            );
            results.record(path, workload, &result);
        }
    }
    let text = qemu.console_text();
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("PANIC") || l.contains("abort"))
    {
        bail!("the guest reported {line:?}");
    }
    // `qemu` drops here: killed by PID; then the servers stop.
    Ok(())
}

fn connections(options: &Options, workload: Workload) -> usize {
    match workload {
        Workload::KeepAlive | Workload::Close => options.concurrency,
        Workload::Large => options.large_concurrency,
    }
}

/// Retries one small request until it succeeds or `deadline` passes.
fn first_response(addr: SocketAddr, deadline: Instant) -> Result<()> {
    let mut last_error = None;
    while Instant::now() < deadline {
        let mut ignored = 0;
        let outcome = Conn::open(addr)
            .map_err(anyhow::Error::from)
            .and_then(|mut c| {
                c.exchange(
                    Workload::Close.request(),
                    SMALL_BODY,
                    deadline,
                    &mut ignored,
                )
            });
        match outcome {
            Ok(_) => return Ok(()),
            Err(error) => last_error = Some(error),
        }
        thread::sleep(Duration::from_millis(50));
    }
    match last_error {
        Some(error) => Err(error.context("no proxied response before the boot deadline")),
        None => bail!("no proxied response before the boot deadline"),
    }
}

// ---------------------------------------------------------------------------------------------
// The report

/// One figure of a phase's result.
#[derive(Debug, Clone, Copy)]
enum Figure {
    RequestsPerS,
    /// Index into [`PhaseResult::latency_ms`]: p50, p90, p99.
    LatencyMs(usize),
    MibPerS,
    QemuCpuPercent,
    SlowConnectPercent,
}

impl Figure {
    fn of(self, result: &PhaseResult) -> Option<f64> {
        match self {
            Self::RequestsPerS => Some(result.requests_per_s),
            Self::LatencyMs(i) => result.latency_ms.get(i).copied(),
            Self::MibPerS => Some(result.mib_per_s),
            Self::QemuCpuPercent => result.qemu_cpu_percent,
            Self::SlowConnectPercent => Some(result.slow_connect_percent),
        }
    }
}

/// The traffic table's rows: label (`{C}`, `{L}`: the connection counts; leading spaces
/// indent), workload, figure, decimals.
#[rustfmt::skip] // a table reads best as one
const ROWS: [(&str, Workload, Figure, usize); 15] = [
    ("keep-alive, 64 B body, {C} conns: requests/s",       Workload::KeepAlive, Figure::RequestsPerS, 0),
    ("  latency p50 (ms)",                                   Workload::KeepAlive, Figure::LatencyMs(0), 2),
    ("  latency p90 (ms)",                                   Workload::KeepAlive, Figure::LatencyMs(1), 2),
    ("  latency p99 (ms)",                                   Workload::KeepAlive, Figure::LatencyMs(2), 2),
    ("Connection: close, 64 B body, {C} conns: requests/s", Workload::Close,     Figure::RequestsPerS, 0),
    ("  latency p50 (ms, incl. connect)",                    Workload::Close,     Figure::LatencyMs(0), 2),
    ("  latency p90 (ms, incl. connect)",                    Workload::Close,     Figure::LatencyMs(1), 2),
    ("  latency p99 (ms, incl. connect)",                    Workload::Close,     Figure::LatencyMs(2), 2),
    ("  connects taking 0.5 s or more (%)",                  Workload::Close,     Figure::SlowConnectPercent, 2),
    ("1 MiB bodies, keep-alive, {L} conns: MiB/s",           Workload::Large,     Figure::MibPerS, 1),
    ("  time per 1 MiB response p50 (ms)",                   Workload::Large,     Figure::LatencyMs(0), 1),
    ("  time per 1 MiB response p99 (ms)",                   Workload::Large,     Figure::LatencyMs(2), 1),
    ("QEMU CPU, keep-alive phase (% of one host core)",      Workload::KeepAlive, Figure::QemuCpuPercent, 0),
    ("QEMU CPU, close phase (% of one host core)",           Workload::Close,     Figure::QemuCpuPercent, 0),
    ("QEMU CPU, 1 MiB phase (% of one host core)",           Workload::Large,     Figure::QemuCpuPercent, 0),
];

/// Every run's figures, in the order the table shows them.
#[derive(Default)]
struct Results {
    /// The banner's first line of each distinct firmware seen (the images may be rebuilt
    /// between runs on a shared machine).
    firmware: Vec<String>,
    boots: Vec<BootTimes>,
    /// (path, workload) → one result per run.
    phases: Vec<((Path, Workload), Vec<PhaseResult>)>,
}

impl Results {
    fn record(&mut self, path: Path, workload: Workload, result: &PhaseResult) {
        eprintln!(
            "  {:<22} {:<9}: {:>9.1} req/s {:>8.2} MiB/s  p50 {:.2} p90 {:.2} p99 {:.2} ms  \
             errors {}  slow connects {:.2} %{}",
            path.column(),
            format!("{workload:?}"),
            result.requests_per_s,
            result.mib_per_s,
            result.latency_ms[0],
            result.latency_ms[1],
            result.latency_ms[2],
            result.errors,
            result.slow_connect_percent,
            result
                .qemu_cpu_percent
                .map(|c| format!("  QEMU CPU {c:.0} %"))
                .unwrap_or_default(),
        );
        let copy = *result;
        match self
            .phases
            .iter_mut()
            .find(|(key, _)| *key == (path, workload))
        {
            Some((_, runs)) => runs.push(copy),
            None => self.phases.push(((path, workload), vec![copy])),
        }
    }

    fn runs_of(&self, path: Path, workload: Workload) -> &[PhaseResult] {
        self.phases
            .iter()
            .find(|(key, _)| *key == (path, workload))
            .map_or(&[], |(_, runs)| runs.as_slice())
    }

    /// The Markdown report: conditions, the traffic table, the boot table.
    fn report(&self, options: &Options, load_before: &str, load_after: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n### Proxy benchmark (vexpress-a9 under QEMU, user networking)\n"
        );
        let _ = writeln!(
            out,
            "`cargo run --release -p qemu-tests --bin proxybench -- --seconds {} --concurrency {} --large-concurrency {} --runs {}`\n",
            options.seconds, options.concurrency, options.large_concurrency, options.runs
        );
        let _ = writeln!(
            out,
            "Median of {} runs, (min–max) in brackets; {} s measured per phase after {} s warm-up. \
             Firmware: {}. Host: {} CPU(s), {}; load average {} before, {} after (the machine \
             is shared).\n",
            options.runs,
            options.seconds,
            options.warmup,
            self.firmware
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            thread::available_parallelism().map_or(0, |n| n.get()),
            qemu_version(),
            load_before,
            load_after
        );
        let _ = writeln!(
            out,
            "| measurement | {} | {} | {} |",
            PATHS[0].column(),
            PATHS[1].column(),
            PATHS[2].column()
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for &(label, workload, figure, decimals) in &ROWS {
            let label = label
                .replace("{C}", &options.concurrency.to_string())
                .replace("{L}", &options.large_concurrency.to_string())
                .replace("  ", "&nbsp;&nbsp;");
            let cells: Vec<String> = PATHS
                .iter()
                .map(|&path| {
                    let values: Vec<f64> = self
                        .runs_of(path, workload)
                        .iter()
                        .filter_map(|r| figure.of(r))
                        .collect();
                    summary(&values, decimals)
                })
                .collect();
            let _ = writeln!(out, "| {label} | {} |", cells.join(" | "));
        }
        let errors = |path: Path| -> u64 {
            WORKLOADS
                .iter()
                .flat_map(|&w| self.runs_of(path, w))
                .map(|r| r.errors)
                .sum()
        };
        let _ = writeln!(
            out,
            "| failed exchanges (all phases, all runs) | {} | {} | {} |",
            errors(PATHS[0]),
            errors(PATHS[1]),
            errors(PATHS[2])
        );

        let _ = writeln!(out, "\n| boot, from QEMU spawn | seconds |");
        let _ = writeln!(out, "|---|---|");
        type BootPick = fn(&BootTimes) -> f64;
        let milestones: [(&str, BootPick); 4] = [
            ("banner `heap:` line", |b| b.heap),
            ("`proxy: listening`", |b| b.listening),
            ("DHCP lease", |b| b.dhcp),
            ("first proxied response", |b| b.first_response),
        ];
        for (label, pick) in milestones {
            let values: Vec<f64> = self.boots.iter().map(pick).collect();
            let _ = writeln!(out, "| {label} | {} |", summary(&values, 3));
        }
        out
    }
}

/// `median (min–max)` of `values`, or `–` when there are none.
fn summary(values: &[f64], decimals: usize) -> String {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return "–".into();
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    if n == 1 {
        return format!("{median:.decimals$}");
    }
    format!(
        "{median:.decimals$} ({:.decimals$}–{:.decimals$})",
        sorted[0],
        sorted[n - 1]
    )
}

/// The first line of `qemu-system-arm --version`, shortened.
fn qemu_version() -> String {
    std::process::Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .map(|l| l.replace("QEMU emulator version", "QEMU"))
        .unwrap_or_else(|| "QEMU (version unknown)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_and_body_server_agree_on_every_workload() {
        let server = BodyServer::start().unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], server.port));
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut conn = Conn::open(addr).unwrap();
        let mut bytes = 0;
        for workload in [Workload::KeepAlive, Workload::Large, Workload::KeepAlive] {
            let closing = conn
                .exchange(
                    workload.request(),
                    workload.body_len(),
                    deadline,
                    &mut bytes,
                )
                .unwrap();
            assert!(!closing);
        }
        assert_eq!(bytes, (2 * SMALL_BODY + LARGE_BODY) as u64);
        let closing = conn
            .exchange(Workload::Close.request(), SMALL_BODY, deadline, &mut bytes)
            .unwrap();
        assert!(closing);
        let mut rest = Vec::new();
        conn.stream.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "nothing after a close response");
    }

    #[test]
    fn unknown_paths_and_request_bodies_get_404_and_a_close() {
        let server = BodyServer::start().unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], server.port));
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut bytes = 0;
        for request in [
            &b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        ] {
            let mut conn = Conn::open(addr).unwrap();
            let error = conn
                .exchange(request, SMALL_BODY, deadline, &mut bytes)
                .unwrap_err();
            assert!(format!("{error}").contains("404"), "{error}");
        }
    }

    #[test]
    fn summary_is_median_with_range() {
        assert_eq!(summary(&[3.0, 1.0, 2.0], 1), "2.0 (1.0–3.0)");
        assert_eq!(summary(&[4.0, 1.0, 2.0, 3.0], 0), "2 (1–4)");
        assert_eq!(summary(&[f64::NAN], 0), "–");
        assert_eq!(summary(&[7.25], 2), "7.25");
    }

    #[test]
    fn options_reject_nonsense() {
        let parse = |s: &str| Options::parse(s.split_whitespace().map(String::from));
        let o = parse("--seconds 2 --concurrency 4 --runs 5").unwrap();
        assert_eq!((o.seconds, o.concurrency, o.runs), (2.0, 4, 5));
        assert!(parse("--seconds").is_err());
        assert!(parse("--runs 0").is_err());
        assert!(parse("--concurrency many").is_err());
        assert!(parse("--bogus 1").is_err());
        assert!(parse("--concurrency 2.5").is_err());
        let o = parse("--histogram --warmup 0 --pcap /tmp/bench").unwrap();
        assert!(o.histogram);
        assert_eq!(o.warmup, 0.0);
        assert_eq!(o.pcap_prefix.as_deref(), Some("/tmp/bench"));
    }

    #[test]
    fn histogram_counts_every_sample_once() {
        let line = histogram(&[500, 1500, 9_000, 10_500, 19_000, 2_000_000]);
        assert_eq!(line, "<1 ms 17%, 1-2 17%, 5-10 17%, 10-20 33%, >=1000 17%");
    }
}
