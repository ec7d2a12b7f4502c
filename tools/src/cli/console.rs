//! `bareproxy console`: show a box's console with its defmt log frames decoded.

use std::io::{self, Read, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use bareproxy_tool::console::{self, Demux};

/// Show the firmware's console: plain text (banner, panics) and defmt log frames decoded with
/// the firmware's ELF, each line with the host time since start. Ends at end of input (TCP peer
/// closed) or Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct ConsoleArgs {
    /// Serial device or pty (/dev/ttyUSB0, /dev/pts/3), or `tcp:HOST:PORT` (QEMU `-serial tcp:…`).
    source: String,
    /// The firmware ELF that is running (for its defmt table). Without it, frames are shown as
    /// hex.
    #[arg(long)]
    elf: Option<PathBuf>,
    /// Serial speed (ignored for TCP).
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
}

pub fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let table = match &args.elf {
        Some(path) => {
            let table = console::load_table(path)?;
            if table.is_none() {
                eprintln!(
                    "warning: {} has no .defmt section; frames will be shown as hex",
                    path.display()
                );
            }
            table
        }
        None => None,
    };
    let mut input = open(&args.source, args.baud)?;
    let mut demux = Demux::new(table);
    let mut buf = [0u8; 4096];
    let stdout = io::stdout();
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", args.source)),
        };
        let mut out = stdout.lock();
        for line in demux.feed(&buf[..n]) {
            writeln!(out, "{line}")?;
        }
        out.flush()?;
    }
    let mut out = stdout.lock();
    for line in demux.flush() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn open(source: &str, baud: u32) -> anyhow::Result<Box<dyn Read>> {
    if let Some(addr) = source.strip_prefix("tcp:") {
        let stream =
            TcpStream::connect(addr).with_context(|| format!("cannot connect to {addr}"))?;
        return Ok(Box::new(stream));
    }
    let port = serialport::new(source, baud)
        .timeout(Duration::from_secs(1))
        .open()
        .with_context(|| format!("cannot open serial port {source}"))?;
    Ok(Box::new(port))
}
