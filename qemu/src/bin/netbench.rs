//! netbench: TCP throughput both ways, echo round-trip rate and connection rate of the vexpress
//! firmware under QEMU, over QEMU's user network (host sockets through `hostfwd`, as a user
//! would reach the box) and over the owned wire (`qemu_tests::wire`: a smoltcp peer on a UDP
//! socket pair, no slirp in the path).
//!
//! ```sh
//! cargo xtask build vexpress
//! cargo run --release -p qemu-tests --bin netbench [-- --runs 5 --mib 4]
//! ```
//!
//! Each run boots a fresh guest per network with `diag=on` (echo 7, discard 9, chargen 19) and
//! measures, in order:
//! - upload: `--mib` MiB to discard, timed from connect until the guest has closed after the
//!   client's FIN (so every byte was received);
//! - download: `--mib` MiB from chargen, timed from connect to the last byte;
//! - echo: 64-byte round trips on one connection;
//! - connections: connect, one byte echoed, graceful close, one after another.
//!
//! It prints the median over the runs and the range. Numbers are reported, never asserted: the
//! emulated CPU is the bottleneck, and a shared machine makes runs vary by tens of percent.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use qemu_tests::wire::{GUEST_V4, HostPeer, WireGuest};
use qemu_tests::{Forward, Qemu, QemuConfig, free_port};
use smoltcp::socket::tcp;
use smoltcp::wire::IpAddress;

/// Per-operation deadline: a stalled guest fails the benchmark instead of hanging it.
const IO: Duration = Duration::from_secs(60);
const ECHO_MESSAGE: usize = 64;
const ECHO_ROUND_TRIPS: usize = 500;
const CONNECTIONS: usize = 100;

/// One run's results on one network.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    upload_mib_s: f64,
    download_mib_s: f64,
    echo_per_s: f64,
    connections_per_s: f64,
}

#[derive(Debug, PartialEq, Eq)]
struct Options {
    runs: usize,
    bytes: usize,
}

/// Options from the command-line arguments (without the program name); `None` for `--help`.
fn parse_options(args: impl IntoIterator<Item = String>) -> Result<Option<Options>> {
    let mut options = Options {
        runs: 3,
        bytes: 4 << 20,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize> {
            let value = args
                .next()
                .with_context(|| format!("{name} needs a value"))?;
            let n: usize = value
                .parse()
                .with_context(|| format!("{name} {value:?} is not a number"))?;
            if n == 0 || n > 1024 {
                bail!("{name} must be 1..=1024, not {n}");
            }
            Ok(n)
        };
        match arg.as_str() {
            "--runs" => options.runs = number("--runs")?,
            "--mib" => options.bytes = number("--mib")? << 20,
            "-h" | "--help" => return Ok(None),
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(Some(options))
}

fn rate(count: f64, elapsed: Duration) -> f64 {
    count / elapsed.as_secs_f64().max(1e-9)
}

fn mib_s(bytes: usize, elapsed: Duration) -> f64 {
    rate(bytes as f64 / f64::from(1u32 << 20), elapsed)
}

// ---------------------------------------------------------------------------------------------
// QEMU's user network: host sockets through hostfwd
// ---------------------------------------------------------------------------------------------

struct UserGuest {
    _qemu: Qemu,
    echo: u16,
    discard: u16,
    chargen: u16,
}

fn boot_user() -> Result<UserGuest> {
    let (echo, discard, chargen) = (free_port()?, free_port()?, free_port()?);
    let mut config = QemuConfig::vexpress_built()?;
    config.append = Some("diag=on".into());
    config.user_network = Some(vec![
        Forward {
            host: echo,
            guest: 7,
        },
        Forward {
            host: discard,
            guest: 9,
        },
        Forward {
            host: chargen,
            guest: 19,
        },
    ]);
    let qemu = Qemu::spawn(&config)?;
    qemu.wait_for("DHCP lease", Duration::from_secs(30))?;
    Ok(UserGuest {
        _qemu: qemu,
        echo,
        discard,
        chargen,
    })
}

fn connect(port: u16) -> Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(IO))?;
    stream.set_write_timeout(Some(IO))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn user_run(bytes: usize) -> Result<Sample> {
    let guest = boot_user()?;
    let data = vec![0x5au8; bytes];

    let started = Instant::now();
    let mut stream = connect(guest.discard)?;
    stream.write_all(&data)?;
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?;
    let upload = started.elapsed();

    let started = Instant::now();
    let mut stream = connect(guest.chargen)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut received = 0;
    while received < bytes {
        let n = stream.read(&mut buf[..(bytes - received).min(64 * 1024)])?;
        if n == 0 {
            bail!("chargen closed after {received} bytes");
        }
        received += n;
    }
    let download = started.elapsed();
    drop(stream);

    let mut stream = connect(guest.echo)?;
    let message = [0x21u8; ECHO_MESSAGE];
    let mut reply = [0u8; ECHO_MESSAGE];
    // One round trip first so the connection set-up is not in the measurement.
    stream.write_all(&message)?;
    stream.read_exact(&mut reply)?;
    let started = Instant::now();
    for _ in 0..ECHO_ROUND_TRIPS {
        stream.write_all(&message)?;
        stream.read_exact(&mut reply)?;
    }
    let echo = started.elapsed();
    drop(stream);

    let started = Instant::now();
    for _ in 0..CONNECTIONS {
        let mut stream = connect(guest.echo)?;
        stream.write_all(b"x")?;
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte)?;
        stream.shutdown(Shutdown::Write)?;
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest)?;
    }
    let connections = started.elapsed();

    Ok(Sample {
        upload_mib_s: mib_s(bytes, upload),
        download_mib_s: mib_s(bytes, download),
        echo_per_s: rate(ECHO_ROUND_TRIPS as f64, echo),
        connections_per_s: rate(CONNECTIONS as f64, connections),
    })
}

// ---------------------------------------------------------------------------------------------
// The owned wire: a smoltcp peer on the guest's Ethernet
// ---------------------------------------------------------------------------------------------

const WIRE_BUFFER: usize = 64 * 1024;

fn wire_upload(peer: &mut HostPeer, bytes: usize) -> Result<Duration> {
    let data = vec![0x5au8; bytes];
    let started = Instant::now();
    let handle = peer.connect_and_wait((IpAddress::Ipv4(GUEST_V4), 9), WIRE_BUFFER, IO)?;
    let mut sent = 0;
    let mut closing = false;
    peer.run_until(IO, "discard to take the upload", |peer| {
        let socket = peer.tcp(handle);
        if sent < bytes && socket.can_send() {
            sent += socket.send_slice(&data[sent..]).unwrap_or(0);
        }
        if sent == bytes && !closing {
            socket.close();
            closing = true;
        }
        // The guest closes after reading the client's FIN, i.e. after every byte.
        matches!(socket.state(), tcp::State::TimeWait | tcp::State::Closed).then_some(())
    })?;
    let elapsed = started.elapsed();
    peer.remove(handle);
    Ok(elapsed)
}

fn wire_download(peer: &mut HostPeer, bytes: usize) -> Result<Duration> {
    let started = Instant::now();
    let handle = peer.connect_and_wait((IpAddress::Ipv4(GUEST_V4), 19), WIRE_BUFFER, IO)?;
    let mut received = 0;
    peer.run_until(IO, "chargen to deliver the download", |peer| {
        let socket = peer.tcp(handle);
        while received < bytes && socket.can_recv() {
            let taken = socket.recv(|data| {
                let n = data.len().min(bytes - received);
                (n, n)
            });
            match taken {
                Ok(0) | Err(_) => break,
                Ok(n) => received += n,
            }
        }
        (received >= bytes).then_some(())
    })?;
    let elapsed = started.elapsed();
    peer.remove(handle);
    Ok(elapsed)
}

fn wire_echo(peer: &mut HostPeer) -> Result<Duration> {
    let handle = peer.connect_and_wait((IpAddress::Ipv4(GUEST_V4), 7), WIRE_BUFFER, IO)?;
    let message = [0x21u8; ECHO_MESSAGE];
    let mut started = Instant::now();
    // Round trip 0 warms up and is not timed.
    for round in 0..=ECHO_ROUND_TRIPS {
        if round == 1 {
            started = Instant::now();
        }
        let mut queued = false;
        let mut received = 0;
        peer.run_until(IO, "echo round trip", |peer| {
            let socket = peer.tcp(handle);
            if !queued && socket.can_send() {
                queued = socket.send_slice(&message).unwrap_or(0) == ECHO_MESSAGE;
            }
            if socket.can_recv() {
                received += socket.recv(|data| (data.len(), data.len())).unwrap_or(0);
            }
            (received >= ECHO_MESSAGE).then_some(())
        })?;
    }
    let elapsed = started.elapsed();
    peer.remove(handle);
    Ok(elapsed)
}

fn wire_connections(peer: &mut HostPeer) -> Result<Duration> {
    let started = Instant::now();
    for _ in 0..CONNECTIONS {
        peer.echo_round_trip((IpAddress::Ipv4(GUEST_V4), 7), b"x", IO)?;
    }
    Ok(started.elapsed())
}

fn wire_run(bytes: usize) -> Result<Sample> {
    let mut guest = WireGuest::boot_vexpress()?;
    let peer = &mut guest.peer;
    // Resolve the guest's address before anything is timed.
    peer.ping(IpAddress::Ipv4(GUEST_V4), 1, 1, IO)?;
    let upload = wire_upload(peer, bytes)?;
    let download = wire_download(peer, bytes)?;
    let echo = wire_echo(peer)?;
    let connections = wire_connections(peer)?;
    guest.check_alive()?;
    Ok(Sample {
        upload_mib_s: mib_s(bytes, upload),
        download_mib_s: mib_s(bytes, download),
        echo_per_s: rate(ECHO_ROUND_TRIPS as f64, echo),
        connections_per_s: rate(CONNECTIONS as f64, connections),
    })
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// Picks one measurement out of a [`Sample`].
type Metric = fn(&Sample) -> f64;

/// "median [min-max]" of `values`.
fn summary(mut values: Vec<f64>) -> String {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    let precision = if median < 10.0 { 2 } else { 0 };
    format!(
        "{median:.precision$} [{:.precision$}-{:.precision$}]",
        values[0],
        values[n - 1]
    )
}

fn main() -> Result<()> {
    let Some(options) = parse_options(std::env::args().skip(1))? else {
        println!("usage: netbench [--runs N] [--mib N]");
        return Ok(());
    };
    let mib = options.bytes >> 20;
    let mut user = Vec::new();
    let mut wire = Vec::new();
    for run in 1..=options.runs {
        eprintln!("run {run}/{}: user network", options.runs);
        user.push(user_run(options.bytes).context("user network run")?);
        eprintln!("run {run}/{}: owned wire", options.runs);
        wire.push(wire_run(options.bytes).context("owned wire run")?);
    }
    let column =
        |samples: &[Sample], pick: fn(&Sample) -> f64| summary(samples.iter().map(pick).collect());
    println!(
        "netbench: vexpress-a9 firmware under QEMU (TCG), median [min-max] of {} runs",
        options.runs
    );
    println!(
        "{:<44} {:>24} {:>24}",
        "", "user network (hostfwd)", "owned wire (smoltcp)"
    );
    let rows: [(String, Metric); 4] = [
        (
            format!("upload host->guest, discard, {mib} MiB (MiB/s)"),
            |s| s.upload_mib_s,
        ),
        (
            format!("download guest->host, chargen, {mib} MiB (MiB/s)"),
            |s| s.download_mib_s,
        ),
        (format!("echo round trips, {ECHO_MESSAGE} B (per s)"), |s| {
            s.echo_per_s
        }),
        (
            "connections: open, 1 B echo, close (per s)".to_owned(),
            |s| s.connections_per_s,
        ),
    ];
    for (label, pick) in rows {
        println!(
            "{label:<44} {:>24} {:>24}",
            column(&user, pick),
            column(&wire, pick)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>> {
        parse_options(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn options_default_and_parse() {
        assert_eq!(
            parse(&[]).unwrap(),
            Some(Options {
                runs: 3,
                bytes: 4 << 20
            })
        );
        assert_eq!(
            parse(&["--runs", "5", "--mib", "2"]).unwrap(),
            Some(Options {
                runs: 5,
                bytes: 2 << 20
            })
        );
        assert_eq!(parse(&["--help"]).unwrap(), None);
    }

    #[test]
    fn options_reject_nonsense() {
        for bad in [
            &["--runs"][..],
            &["--runs", "0"],
            &["--runs", "x"],
            &["--mib", "2000"],
            &["--fast"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn summary_is_median_with_range() {
        assert_eq!(summary(vec![3.0, 1.0, 2.0]), "2.00 [1.00-3.00]");
        assert_eq!(summary(vec![40.0, 10.0, 20.0, 30.0]), "25 [10-40]");
    }
}
