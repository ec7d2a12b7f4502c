//! `bareproxy uimage …`: U-Boot legacy images.

use std::path::PathBuf;

use anyhow::Context as _;
use bareproxy_tool::image::uimage::{
    self, ARCHES, COMPONENT_TYPES, COMPRESSIONS, Code, OSES, TYPES, UImageParams,
};

use super::{VerificationFailed, parse_hex_u32, read, write};

#[derive(Debug, clap::Subcommand)]
pub enum UimageCommand {
    /// Wrap a payload in a uImage header, identical to `mkimage -A … -O … -T … -C … -a … -e …
    /// -n … -d …` with the same timestamp.
    Pack {
        /// Payload (e.g. the Mirabox firmware binary). For `multi` and `script` images, the
        /// components in order, separated by colons as for mkimage (`-d boot.txt:extra.bin`).
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
        /// Image type (kernel, standalone, firmware, ramdisk, filesystem, kernel_noload, and
        /// multi or script, whose data is a table of components).
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
    /// Verify and write the data part to a file: for `multi` and `script` images one component
    /// (the first unless `--part` says otherwise, as `dumpimage -p`).
    Extract {
        /// uImage to read.
        image: PathBuf,
        /// Output file.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Which component of a multi-file or script image, from 0.
        #[arg(long, short = 'p')]
        part: Option<usize>,
    },
}

fn lookup(table: &[Code], what: &str, name: &str) -> anyhow::Result<u8> {
    uimage::code_by_name(table, name).with_context(|| {
        let names: Vec<&str> = table.iter().map(|c| c.name).collect();
        format!("unknown {what} '{name}' (known: {})", names.join(", "))
    })
}

fn type_name(value: u8) -> &'static str {
    match uimage::code_name(COMPONENT_TYPES, value) {
        "unknown" => uimage::code_name(TYPES, value),
        name => name,
    }
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
            let image_type = match uimage::code_by_name(COMPONENT_TYPES, &image_type) {
                Some(code) => code,
                None => lookup(TYPES, "image type", &image_type)
                    .context("multi and script images are also known")?,
            };
            let params = UImageParams {
                arch: lookup(ARCHES, "architecture", &arch)?,
                os: lookup(OSES, "operating system", &os)?,
                image_type,
                compression: lookup(COMPRESSIONS, "compression", &compression)?,
                load_addr: load,
                entry_addr: entry.unwrap_or(load),
                name,
                timestamp: match timestamp {
                    Some(t) => t,
                    None => default_timestamp()?,
                },
            };
            let image = if uimage::has_components(image_type) {
                let parts = payload
                    .to_str()
                    .context("component paths must be UTF-8 to be split at colons")?
                    .split(':')
                    .map(|path| read(std::path::Path::new(path)))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
                uimage::pack_components(&params, &parts)?
            } else {
                uimage::pack(&params, &read(&payload)?)?
            };
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
                type_name(p.image_type),
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
            if uimage::has_components(p.image_type) {
                for (index, part) in uimage::components(data)?.iter().enumerate() {
                    println!("  part {index:<6} {} bytes", part.len());
                }
            }
            if bytes.len() > uimage::HEADER_LEN + data.len() {
                println!(
                    "  trailing      {} bytes after the data ignored",
                    bytes.len() - uimage::HEADER_LEN - data.len()
                );
            }
            Ok(())
        }
        UimageCommand::Extract {
            image,
            output,
            part,
        } => {
            let bytes = read(&image)?;
            let (header, data) = uimage::parse(&bytes)?;
            let data = if uimage::has_components(header.params.image_type) {
                let parts = uimage::components(data)?;
                let index = part.unwrap_or(0);
                *parts.get(index).with_context(|| {
                    format!(
                        "no part {index}: {} has {} parts (0 to {})",
                        image.display(),
                        parts.len(),
                        parts.len() - 1
                    )
                })?
            } else if let Some(index) = part {
                anyhow::bail!(
                    "{} is a single-file {} image; it has no part {index}",
                    image.display(),
                    type_name(header.params.image_type)
                );
            } else {
                data
            };
            write(&output, data)?;
            println!("wrote {} ({} bytes)", output.display(), data.len());
            Ok(())
        }
    }
}
