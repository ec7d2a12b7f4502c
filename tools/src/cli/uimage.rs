//! `bareproxy uimage …`: U-Boot legacy images.

use std::path::PathBuf;

use anyhow::Context as _;
use bareproxy_tool::image::uimage::{self, ARCHES, COMPRESSIONS, Code, OSES, TYPES, UImageParams};

use super::{VerificationFailed, parse_hex_u32, read, write};

#[derive(Debug, clap::Subcommand)]
pub enum UimageCommand {
    /// Wrap a payload in a uImage header, identical to `mkimage -A … -O … -T … -C … -a … -e …
    /// -n … -d …` with the same timestamp.
    Pack {
        /// Payload (e.g. the Mirabox firmware binary).
        #[arg(long, short = 'd')]
        payload: PathBuf,
        /// Output uImage.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Architecture (arm, arm64, x86, x86_64, mips, powerpc, riscv).
        #[arg(long, short = 'A', default_value = "arm")]
        arch: String,
        /// Operating system (linux, u-boot, netbsd, …). The stock Mirabox U-Boot boots `linux`.
        #[arg(long, short = 'O', default_value = "linux")]
        os: String,
        /// Image type (kernel, standalone, firmware, ramdisk, script, …).
        #[arg(long = "type", short = 'T', default_value = "kernel")]
        image_type: String,
        /// Compression label (none, gzip, …); the payload is stored as given.
        #[arg(long, short = 'C', default_value = "none")]
        compression: String,
        /// Load address (hex).
        #[arg(long, short = 'a', value_parser = parse_hex_u32)]
        load: u32,
        /// Entry point (hex; default: the load address).
        #[arg(long, short = 'e', value_parser = parse_hex_u32)]
        entry: Option<u32>,
        /// Image name (at most 32 bytes).
        #[arg(long, short = 'n', default_value = "")]
        name: String,
        /// Creation time, Unix seconds. Default: $SOURCE_DATE_EPOCH, else now.
        #[arg(long)]
        timestamp: Option<u32>,
    },
    /// Show the header and check both CRCs (exit code 3 if one is wrong).
    Info {
        /// uImage to read.
        image: PathBuf,
    },
    /// Verify and write the data part to a file.
    Extract {
        /// uImage to read.
        image: PathBuf,
        /// Output file.
        #[arg(long, short = 'o')]
        output: PathBuf,
    },
}

fn lookup(table: &[Code], what: &str, name: &str) -> anyhow::Result<u8> {
    uimage::code_by_name(table, name).with_context(|| {
        let names: Vec<&str> = table.iter().map(|c| c.name).collect();
        format!("unknown {what} '{name}' (known: {})", names.join(", "))
    })
}

fn default_timestamp() -> anyhow::Result<u32> {
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        return epoch
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("system clock before 1970")?;
    u32::try_from(now.as_secs()).context("the current time does not fit a uImage timestamp")
}

pub fn run(cmd: UimageCommand) -> anyhow::Result<()> {
    match cmd {
        UimageCommand::Pack {
            payload,
            output,
            arch,
            os,
            image_type,
            compression,
            load,
            entry,
            name,
            timestamp,
        } => {
            let params = UImageParams {
                arch: lookup(ARCHES, "architecture", &arch)?,
                os: lookup(OSES, "operating system", &os)?,
                image_type: lookup(TYPES, "image type", &image_type)?,
                compression: lookup(COMPRESSIONS, "compression", &compression)?,
                load_addr: load,
                entry_addr: entry.unwrap_or(load),
                name,
                timestamp: match timestamp {
                    Some(t) => t,
                    None => default_timestamp()?,
                },
            };
            let image = uimage::pack(&params, &read(&payload)?)?;
            write(&output, &image)?;
            println!("wrote {} ({} bytes)", output.display(), image.len());
            Ok(())
        }
        UimageCommand::Info { image } => {
            let bytes = read(&image)?;
            let (header, data) = uimage::parse(&bytes).map_err(|e| {
                if matches!(e, bareproxy_tool::image::ParseError::Checksum { .. }) {
                    anyhow::Error::new(VerificationFailed(e.to_string()))
                } else {
                    e.into()
                }
            })?;
            let p = &header.params;
            println!("uImage \"{}\"", p.name);
            println!("  created       {} (Unix seconds)", p.timestamp);
            println!(
                "  architecture  {} ({})",
                uimage::code_name(ARCHES, p.arch),
                p.arch
            );
            println!(
                "  OS            {} ({})",
                uimage::code_name(OSES, p.os),
                p.os
            );
            println!(
                "  type          {} ({})",
                uimage::code_name(TYPES, p.image_type),
                p.image_type
            );
            println!(
                "  compression   {} ({})",
                uimage::code_name(COMPRESSIONS, p.compression),
                p.compression
            );
            println!("  data size     {} bytes", data.len());
            println!("  load address  {:#010x}", p.load_addr);
            println!("  entry point   {:#010x}", p.entry_addr);
            println!("  header CRC    {:#010x} OK", header.header_crc);
            println!("  data CRC      {:#010x} OK", header.data_crc);
            if bytes.len() > uimage::HEADER_LEN + data.len() {
                println!(
                    "  trailing      {} bytes after the data ignored",
                    bytes.len() - uimage::HEADER_LEN - data.len()
                );
            }
            Ok(())
        }
        UimageCommand::Extract { image, output } => {
            let bytes = read(&image)?;
            let (_, data) = uimage::parse(&bytes)?;
            write(&output, data)?;
            println!("wrote {} ({} bytes)", output.display(), data.len());
            Ok(())
        }
    }
}
