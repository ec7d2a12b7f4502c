//! `bareproxy nslu2 …`: the Linksys NSLU2 flash image.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use bareproxy_tool::image::nslu2::{self, FlashContents};

use super::{VerificationFailed, read, write, write_in};

/// File names used by `unpack` and picked up by `pack --dir`: slugimage's defaults, plus
/// `Config` for the proxy configuration slot.
const REDBOOT_FILE: &str = "RedBoot";
const SYSCONF_FILE: &str = "SysConf";
const KERNEL_FILE: &str = "vmlinuz";
const RAMDISK_FILE: &str = "ramdisk.gz";
const MICROCODE_FILE: &str = "NPE-B";
const CONFIG_FILE: &str = "Config";
const TRAILER_FILE: &str = "Trailer";

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
pub enum Nslu2Command {
    /// Build the 8 MiB flash image (for upslug2, or a flash programmer).
    ///
    /// Parts are taken, in order of precedence, from the explicit options, from --dir (files
    /// named like slugimage's: RedBoot, SysConf, vmlinuz, ramdisk.gz, NPE-B, Config, Trailer),
    /// and from --base (your own flash dump: keeps your RedBoot with its MAC address, SysConf,
    /// microcode and trailer). Without any of them RedBoot and SysConf are invented like
    /// slugimage does (not bootable on their own; upgrade tools never write them anyway).
    Pack {
        /// Output image.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Your own flash image to take the other parts from.
        #[arg(long, short = 'i')]
        base: Option<PathBuf>,
        /// Directory with parts as written by `unpack`.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Kernel partition contents: this firmware's big-endian binary (at most 0xFFFF0 bytes).
        #[arg(long, short = 'k')]
        kernel: Option<PathBuf>,
        /// RedBoot partition (exactly 256 KiB).
        #[arg(long, short = 'b')]
        redboot: Option<PathBuf>,
        /// SysConf partition (at most 128 KiB).
        #[arg(long, short = 's')]
        sysconf: Option<PathBuf>,
        /// Ramdisk (default: none, written as a valid header with length 0).
        #[arg(long, short = 'r')]
        ramdisk: Option<PathBuf>,
        /// NPE-B microcode you obtained from Intel's IXP400 package (at most 0x2FF0 bytes).
        #[arg(long, short = 'm')]
        microcode: Option<PathBuf>,
        /// Proxy configuration for the Config slot (at most 0x3FF0 bytes).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Sercomm flash trailer (16 bytes).
        #[arg(long, short = 't')]
        trailer: Option<PathBuf>,
        /// Set the Ethernet MAC address, e.g. 00:0f:66:12:34:56.
        #[arg(long, short = 'e')]
        mac: Option<String>,
    },
    /// Write only the 1 MiB Kernel partition (header + kernel, 0xFF padded) for flash offset 0x60000.
    Kernel {
        /// This firmware's big-endian binary.
        #[arg(long, short = 'k')]
        kernel: PathBuf,
        /// Output file.
        #[arg(long, short = 'o')]
        output: PathBuf,
    },
    /// Split a flash image into its parts (slugimage file names) in a directory.
    Unpack {
        /// 8 MiB flash image.
        image: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, short = 'o')]
        output: PathBuf,
    },
    /// Show the FIS directory, the MAC address, the partition headers and the trailer.
    ///
    /// Exit code 3 if RedBoot would not boot the image (no "eRcOmM" signature, erased kernel
    /// or ramdisk header).
    Info {
        /// 8 MiB flash image.
        image: PathBuf,
    },
}

fn parse_mac(text: &str) -> anyhow::Result<[u8; 6]> {
    let digits: String = text.chars().filter(|c| *c != ':' && *c != '-').collect();
    if digits.len() != 12 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("invalid MAC address '{text}' (expected 12 hex digits, colons allowed)");
    }
    let mut mac = [0u8; 6];
    for (i, byte) in mac.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)?;
    }
    Ok(mac)
}

/// The file for a part: the explicit option, else `dir/name` if it exists.
fn part(explicit: Option<PathBuf>, dir: Option<&Path>, name: &str) -> Option<PathBuf> {
    explicit.or_else(|| dir.map(|d| d.join(name)).filter(|p| p.is_file()))
}

pub fn run(cmd: Nslu2Command) -> anyhow::Result<()> {
    match cmd {
        Nslu2Command::Pack {
            output,
            base,
            dir,
            kernel,
            redboot,
            sysconf,
            ramdisk,
            microcode,
            config,
            trailer,
            mac,
        } => {
            let dir = dir.as_deref();
            let mut contents = match &base {
                Some(path) => {
                    nslu2::unpack(&read(path)?)
                        .with_context(|| format!("{}", path.display()))?
                        .contents
                }
                None => FlashContents::default(),
            };
            let kernel = part(kernel, dir, KERNEL_FILE);
            if kernel.is_none() && base.is_none() {
                bail!("no kernel: give --kernel, a --dir containing {KERNEL_FILE}, or --base");
            }
            if let Some(p) = kernel {
                contents.kernel = read(&p)?;
            }
            if let Some(p) = part(redboot, dir, REDBOOT_FILE) {
                contents.redboot = Some(read(&p)?);
            }
            if let Some(p) = part(sysconf, dir, SYSCONF_FILE) {
                contents.sysconf = Some(read(&p)?);
            }
            if let Some(p) = part(ramdisk, dir, RAMDISK_FILE) {
                contents.ramdisk = read(&p)?;
            }
            if let Some(p) = part(microcode, dir, MICROCODE_FILE) {
                contents.microcode = Some(read(&p)?);
            }
            if let Some(p) = part(config, dir, CONFIG_FILE) {
                contents.config = Some(read(&p)?);
            }
            if let Some(p) = part(trailer, dir, TRAILER_FILE) {
                let bytes = read(&p)?;
                contents.trailer = Some(bytes.as_slice().try_into().map_err(|_| {
                    anyhow::anyhow!(
                        "{}: a trailer is 16 bytes, not {}",
                        p.display(),
                        bytes.len()
                    )
                })?);
            }
            if let Some(mac) = mac {
                contents.mac = Some(parse_mac(&mac)?);
            }
            if contents.redboot.is_none() {
                eprintln!(
                    "warning: no RedBoot given: writing slugimage's placeholder (zeros + Sercomm trailer); flash it only with upgrade tools that keep the box's RedBoot"
                );
            }
            let image = nslu2::pack(&contents)?;
            write(&output, &image)?;
            println!(
                "wrote {} (8 MiB): kernel {} bytes, ramdisk {} bytes{}{}",
                output.display(),
                contents.kernel.len(),
                contents.ramdisk.len(),
                if contents.microcode.is_some() {
                    ", NPE-B microcode"
                } else {
                    ""
                },
                if contents.config.is_some() {
                    ", proxy config"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Nslu2Command::Kernel { kernel, output } => {
            let image = nslu2::kernel_partition(&read(&kernel)?)?;
            write(&output, &image)?;
            println!(
                "wrote {} ({} bytes, for flash offset {:#x})",
                output.display(),
                image.len(),
                nslu2::KERNEL.offset
            );
            Ok(())
        }
        Nslu2Command::Unpack { image, output } => {
            let unpacked = nslu2::unpack(&read(&image)?)?;
            std::fs::create_dir_all(&output)
                .with_context(|| format!("cannot create {}", output.display()))?;
            let c = &unpacked.contents;
            for (name, bytes) in [
                (REDBOOT_FILE, c.redboot.as_deref()),
                (SYSCONF_FILE, c.sysconf.as_deref()),
                (KERNEL_FILE, Some(c.kernel.as_slice())),
                (
                    RAMDISK_FILE,
                    Some(c.ramdisk.as_slice()).filter(|r| !r.is_empty()),
                ),
                (MICROCODE_FILE, c.microcode.as_deref()),
                (CONFIG_FILE, c.config.as_deref()),
                (TRAILER_FILE, c.trailer.as_ref().map(|t| t.as_slice())),
            ] {
                if let Some(bytes) = bytes {
                    write_in(&output, name, bytes)?;
                }
            }
            println!(
                "repack with: bareproxy nslu2 pack --dir {} -o new.bin",
                output.display()
            );
            Ok(())
        }
        Nslu2Command::Info { image } => info(&read(&image)?),
    }
}

fn info(image: &[u8]) -> anyhow::Result<()> {
    let u = nslu2::unpack(image)?;
    let mac: Vec<String> = u.mac.iter().map(|b| format!("{b:02x}")).collect();
    println!("NSLU2 flash image (8 MiB)");
    println!(
        "  MAC address   {} (RedBoot partition, offset {:#x})",
        mac.join(":"),
        nslu2::MAC_OFFSET
    );
    let c = &u.contents;
    let kernel_len =
        u32::from_be_bytes(image[nslu2::KERNEL.offset..nslu2::KERNEL.offset + 4].try_into()?);
    let ramdisk_len =
        u32::from_be_bytes(image[nslu2::RAMDISK.offset..nslu2::RAMDISK.offset + 4].try_into()?);
    println!(
        "  Kernel        header length {kernel_len:#x} at {:#x}",
        nslu2::KERNEL.offset
    );
    println!(
        "  Ramdisk       header length {ramdisk_len:#x} at {:#x}",
        nslu2::RAMDISK.offset
    );
    println!(
        "  Config        {}",
        c.config.as_ref().map_or("erased".to_owned(), |b| format!(
            "{} bytes at {:#x}",
            b.len(),
            nslu2::CONFIG.offset
        ))
    );
    println!(
        "  Microcode     {}",
        c.microcode
            .as_ref()
            .map_or("erased".to_owned(), |b| format!(
                "{} bytes at {:#x}",
                b.len(),
                nslu2::MICROCODE.offset
            ))
    );
    let trailer = c.trailer.unwrap_or_default();
    println!(
        "  Trailer       product {:#06x}, protocol {:#06x}, version {:#06x}, signature {}",
        u16::from_be_bytes([trailer[0], trailer[1]]),
        u16::from_be_bytes([trailer[2], trailer[3]]),
        u16::from_be_bytes([trailer[4], trailer[5]]),
        if u.trailer_signature_ok {
            "eRcOmM OK"
        } else {
            "MISSING"
        }
    );
    match &u.fis {
        Some(entries) => {
            println!("  FIS directory ({} entries):", entries.len());
            for e in entries {
                let skips: Vec<String> = e
                    .skips
                    .iter()
                    .map(|(o, s)| format!(" skip {o:#x}+{s:#x}"))
                    .collect();
                println!(
                    "    {:<16} {:#010x} size {:#09x}{}",
                    e.name,
                    e.flash_base,
                    e.size,
                    skips.concat()
                );
            }
        }
        None => println!("  FIS directory absent"),
    }
    let mut problems = Vec::new();
    if !u.trailer_signature_ok {
        problems.push("no \"eRcOmM\" signature at 0x7ffff8: RedBoot enters upgrade mode");
    }
    if kernel_len == u32::MAX || kernel_len == 0 {
        problems.push("Kernel header erased or empty: RedBoot enters upgrade mode");
    }
    if ramdisk_len == u32::MAX {
        problems.push("Ramdisk header erased: RedBoot would copy 4 GiB and hang");
    }
    if u.mac.iter().all(|&b| b == 0) || u.mac.iter().all(|&b| b == 0xFF) {
        problems.push("MAC address unset: RedBoot waits in assign mode");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(VerificationFailed(problems.join("; ")).into())
    }
}
