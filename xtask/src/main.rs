//! `cargo xtask`: everything that is more than one cargo command.
//!
//! | command | what it does |
//! |---|---|
//! | `cargo xtask run` | builds the vexpress image and boots it under QEMU with the console on this terminal |
//! | `cargo xtask test` | the whole suite: format, clippy (host and all three targets), host tests, board images, QEMU tests |
//! | `cargo xtask build [BOARD…]` | firmware images into `target/images/<board>/` with a size report |
//! | `cargo xtask setup` | checks (and as root installs) the Debian packages and rustup components |
//!
//! Firmware crates are built with `-Zbuild-std=core,alloc` for every board: the NSLU2 needs it
//! (big-endian ARMv5TE has no prebuilt std) and the pinned nightly ships no armv7a std either.

mod board;
mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use board::{BOARDS, Board};

#[derive(Parser)]
#[command(about = "bareproxy build, run and test tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build firmware images (all boards by default).
    Build {
        /// Boards to build: vexpress, mirabox, nslu2.
        boards: Vec<String>,
    },
    /// Boot the vexpress firmware under QEMU with the console on this terminal (Ctrl-C quits).
    Run {
        /// Kernel command line for the firmware (e.g. `selftest=timer`).
        #[arg(long, default_value = "")]
        append: String,
        /// Guest RAM in MiB.
        #[arg(long, default_value_t = 128)]
        memory: u32,
    },
    /// Run every check and test; what CI runs.
    Test,
    /// Check, and install where possible, what the build and tests need.
    Setup,
}

fn main() -> Result<()> {
    match Cli::parse().task {
        Task::Build { boards } => {
            let selected = select_boards(&boards)?;
            build_images(&selected)
        }
        Task::Run { append, memory } => run_vexpress(&append, memory),
        Task::Test => test_everything(),
        Task::Setup => setup::ensure(),
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

/// `cargo` as invoked by this process, run from the workspace root.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs `command`, failing with its description if it fails.
pub fn run(command: &mut Command) -> Result<()> {
    let description = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {description}"))?;
    if !status.success() {
        bail!("failed ({status}): {description}");
    }
    Ok(())
}

fn select_boards(names: &[String]) -> Result<Vec<&'static Board>> {
    if names.is_empty() {
        return Ok(BOARDS.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            BOARDS.iter().find(|b| b.name == name).with_context(|| {
                let known: Vec<_> = BOARDS.iter().map(|b| b.name).collect();
                format!("unknown board {name:?}; known: {}", known.join(", "))
            })
        })
        .collect()
}

fn build_images(boards: &[&Board]) -> Result<()> {
    let mut report = String::from("board      elf.text  elf.data   elf.bss   raw.bin  extra\n");
    for board in boards {
        let built = board.build()?;
        report.push_str(&built.size_line());
    }
    let sizes = root().join("target/images/sizes.txt");
    std::fs::write(&sizes, &report)?;
    print!("{report}");
    println!(
        "(images in {}; sizes also in {})",
        root().join("target/images").display(),
        sizes.display()
    );
    Ok(())
}

/// Host ports of the demo: the frontend (guest port 80), the TCP listener (guest 9000), and
/// the two backends and the syslog port the built-in demo configuration names
/// (`proxy/src/config/demo.cfg`: 10.0.2.2:8081, :8082, :5514 are the host's loopback).
const DEMO_HTTP: u16 = 8080;
const DEMO_TCP: u16 = 9000;
const DEMO_BACKENDS: [u16; 2] = [8081, 8082];
const DEMO_SYSLOG: u16 = 5514;

fn run_vexpress(append: &str, memory: u32) -> Result<()> {
    setup::ensure()?;
    let board = select_boards(&["vexpress".into()])?[0];
    board.build()?;
    let backends = DEMO_BACKENDS
        .iter()
        .enumerate()
        .map(|(i, &port)| {
            qemu_tests::DemoBackend::start(&format!("web{}", i + 1), port).with_context(|| {
                format!("starting the demo backend on 127.0.0.1:{port} (is the port in use?)")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let syslog = std::net::UdpSocket::bind(("127.0.0.1", DEMO_SYSLOG))
        .context("binding the syslog port 5514")?;
    std::thread::spawn(move || {
        let mut buffer = [0u8; 2048];
        while let Ok(n) = syslog.recv(&mut buffer) {
            println!(
                "[syslog] {}",
                String::from_utf8_lossy(&buffer[..n]).trim_end()
            );
        }
    });
    let mut config = qemu_tests::QemuConfig::vexpress_built()?;
    config.memory_mib = memory;
    config.append = (!append.is_empty()).then(|| append.to_owned());
    config.user_network = Some(vec![
        qemu_tests::Forward {
            host: DEMO_HTTP,
            guest: 80,
        },
        qemu_tests::Forward {
            host: DEMO_TCP,
            guest: 9000,
        },
    ]);
    println!(
        "bareproxy demo: backends {} and {} on 127.0.0.1:{} and :{}, syslog on :{DEMO_SYSLOG}",
        backends[0].name(),
        backends[1].name(),
        DEMO_BACKENDS[0],
        DEMO_BACKENDS[1]
    );
    println!("  try:  curl -i http://127.0.0.1:{DEMO_HTTP}/     (round robin, cookie SERVERID)");
    println!("        open http://127.0.0.1:{DEMO_HTTP}/stats   (statistics; ;csv for CSV)");
    println!("        nc 127.0.0.1 {DEMO_TCP}                   (TCP mode to web1)");
    println!("Booting the firmware (console below, defmt logs decoded; Ctrl-C quits)…");
    let elf = qemu_tests::image("vexpress", "bareproxy-vexpress.elf")?;
    let table = bareproxy_tool::console::load_table(&elf)?;
    let mut qemu = config
        .command()
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting qemu-system-arm")?;
    let mut console = qemu.stdout.take().context("QEMU's console")?;
    let mut demux = bareproxy_tool::console::Demux::new(table);
    let mut buffer = [0u8; 4096];
    loop {
        let read = std::io::Read::read(&mut console, &mut buffer).unwrap_or(0);
        let lines = if read == 0 {
            demux.flush()
        } else {
            demux.feed(&buffer[..read])
        };
        for line in lines {
            println!("{line}");
        }
        if read == 0 {
            break;
        }
    }
    let status = qemu.wait()?;
    if !status.success() {
        bail!("QEMU exited with {status}");
    }
    Ok(())
}

fn test_everything() -> Result<()> {
    setup::ensure()?;
    // Board crates are firmware binaries: they build only for their ARM targets.
    let host_only: Vec<String> = BOARDS
        .iter()
        .flat_map(|b| ["--exclude".to_owned(), b.package()])
        .collect();
    println!("== format");
    run(cargo().args(["fmt", "--all", "--check"]))?;
    println!("== clippy (host)");
    run(cargo()
        .args(["clippy", "--workspace", "--all-targets"])
        .args(&host_only)
        .args(["--", "-D", "warnings"]))?;
    println!("== board images and clippy (targets)");
    for board in BOARDS {
        board.clippy()?;
    }
    build_images(&BOARDS.iter().collect::<Vec<_>>())?;
    for board in BOARDS {
        board.check_image()?;
    }
    println!("== host and QEMU tests");
    run(cargo()
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(&host_only)
        .env("BAREPROXY_IMAGES", root().join("target/images")))?;
    Ok(())
}
