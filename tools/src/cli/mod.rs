//! Command-line front end: one module per command group, each a clap `Subcommand` enum and a
//! `run` function. Add a group by adding a variant to [`Command`] and a module here.
//!
//! Exit codes (documented in tools/README.md): 0 success; 1 error (bad input, I/O, a part that
//! does not fit); 2 usage error (from clap); 3 the image was read but failed verification
//! (bad checksum, missing signature).

use std::fs;
use std::path::Path;

use anyhow::Context as _;

mod check_config;
mod console;
mod kwb;
mod kwboot;
mod nslu2;
mod uimage;
mod upgrade;

/// Host tool for bareproxy boxes: build, inspect and repair their vendor boot images.
#[derive(Debug, clap::Parser)]
#[command(name = "bareproxy", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Marvell kwbimage v1 (Armada 370 BootROM: Mirabox boot loader, unbricking).
    #[command(subcommand)]
    Kwb(kwb::KwbCommand),
    /// U-Boot legacy uImage (what the stock Mirabox U-Boot `bootm`s).
    #[command(subcommand)]
    Uimage(uimage::UimageCommand),
    /// Linksys NSLU2 8 MiB flash image (RedBoot, FIS directory, Sercomm headers).
    #[command(subcommand)]
    Nslu2(nslu2::Nslu2Command),
    /// Boot a Mirabox over its UART (BootROM xmodem, like U-Boot's kwboot); unbricking.
    Kwboot(kwboot::KwbootArgs),
    /// Show a box's console with defmt log frames decoded (serial port, pty or tcp:HOST:PORT).
    Console(console::ConsoleArgs),
    /// Re-flash an NSLU2 in RedBoot upgrade mode over Ethernet (like upslug2; needs root).
    #[command(subcommand)]
    Upgrade(upgrade::UpgradeCommand),
    /// Validate a haproxy.cfg with the firmware's own parser before flashing it.
    CheckConfig(check_config::CheckConfigArgs),
    /// Validate a haproxy.cfg and write it in the firmware's configuration-slot format.
    ConfigSlot(check_config::ConfigSlotArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Kwb(cmd) => kwb::run(cmd),
        Command::Uimage(cmd) => uimage::run(cmd),
        Command::Nslu2(cmd) => nslu2::run(cmd),
        Command::Kwboot(args) => kwboot::run(args),
        Command::Console(args) => console::run(args),
        Command::Upgrade(cmd) => upgrade::run(cmd),
        Command::CheckConfig(args) => check_config::run(args),
        Command::ConfigSlot(args) => check_config::run_slot(args),
    }
}

/// An image was read but is not valid (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct VerificationFailed(pub String);

/// The process exit code for an error.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<VerificationFailed>().is_some() {
        3
    } else {
        1
    }
}

/// Parses a number the way mkimage does for addresses: hexadecimal, `0x` optional.
pub fn parse_hex_u32(text: &str) -> Result<u32, String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    u32::from_str_radix(digits, 16).map_err(|_| format!("'{text}' is not a 32-bit hex number"))
}

pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn write_in(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    write(&path, bytes)?;
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}
