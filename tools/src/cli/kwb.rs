//! `bareproxy kwb …`: Marvell kwbimage v1.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use bareproxy_tool::image::kwbimage::{
    self, BootSource, Cpu, HeaderSpec, KwbConfig, OptionalHeader, ParsedImage, RegisterWrite, cfg,
    unbrick,
};

use super::{VerificationFailed, parse_hex_u32, read, write, write_in};

#[derive(Debug, clap::Subcommand)]
pub enum KwbCommand {
    /// Show every header field, the optional headers and both checksums.
    ///
    /// Exit code 3 if a checksum is wrong. Trailing bytes (a whole partition dump) are fine.
    Info {
        /// Image (or boot-partition dump) to read.
        image: PathBuf,
    },
    /// Build an image, byte-identical to `mkimage -T kwbimage` (U-Boot 2023.01).
    ///
    /// Settings come from a U-Boot kwbimage.cfg (`--config`) or from the options below; the
    /// addresses always come from --load/--entry, as with mkimage's -a/-e.
    Pack {
        /// U-Boot kwbimage.cfg (BOOT_FROM, NAND_*, BINARY, DATA, DATA_DELAY, BAUDRATE, DEBUG…).
        /// BINARY file names are relative to the current directory, as for mkimage.
        #[arg(long, short = 'c')]
        config: Option<PathBuf>,
        /// Payload (e.g. U-Boot proper, or this firmware).
        #[arg(long, short = 'd')]
        payload: PathBuf,
        /// Output image.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Load address (hex) the BootROM copies the payload to.
        #[arg(long, short = 'a', value_parser = parse_hex_u32, default_value = "0")]
        load: u32,
        /// Entry point (hex).
        #[arg(long, short = 'e', value_parser = parse_hex_u32, default_value = "0")]
        entry: u32,
        #[command(flatten)]
        settings: Settings,
    },
    /// Write the payload, binary-header code and a kwbimage.cfg of an image into a directory.
    ///
    /// For images mkimage (or this tool) made, `kwb pack --config DIR/image.cfg` in DIR with
    /// the printed addresses rebuilds the input byte for byte.
    Extract {
        /// Image to read.
        image: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, short = 'o')]
        output: PathBuf,
    },
    /// Build a new image around a new payload from a dump of your own boot partition,
    /// reusing its header (DDR training code, register settings) for UART or NAND boot.
    Unbrick {
        /// Dump of the box's boot partition (e.g. `nanddump /dev/mtd0`); only the first image
        /// in it is used.
        #[arg(long)]
        dump: PathBuf,
        /// New payload (U-Boot or this firmware).
        #[arg(long, short = 'd')]
        payload: PathBuf,
        /// Output image.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Boot source of the new image: uart (for kwboot), nand (to flash back) or spi.
        #[arg(long = "boot-from", default_value = "uart")]
        boot_from: String,
        /// New load address (hex); default: the dump's.
        #[arg(long, short = 'a', value_parser = parse_hex_u32)]
        load: Option<u32>,
        /// New entry point (hex); default: the dump's.
        #[arg(long, short = 'e', value_parser = parse_hex_u32)]
        entry: Option<u32>,
        /// Turn the BootROM's debug messages on.
        #[arg(long)]
        debug: bool,
    },
}

/// Settings used when no --config is given.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// Boot source: spi, nand, uart (others are not built).
    #[arg(long = "boot-from", default_value = "spi")]
    boot_from: String,
    /// CPU running the binary headers: sheeva (Armada 370/XP: code 16-byte aligned), a9, feroceon.
    #[arg(long)]
    cpu: Option<String>,
    /// NAND page size in bytes (hex).
    #[arg(long, value_parser = parse_hex_u32)]
    nand_page_size: Option<u32>,
    /// NAND erase-block size in bytes (hex).
    #[arg(long, value_parser = parse_hex_u32)]
    nand_block_size: Option<u32>,
    /// NAND bad-block marker location (hex).
    #[arg(long, value_parser = parse_hex_u32)]
    nand_badblk_location: Option<u32>,
    /// BootROM UART baud rate (2400…115200).
    #[arg(long)]
    baudrate: Option<u32>,
    /// Ask the BootROM to print debug messages.
    #[arg(long)]
    debug: bool,
    /// Register write ADDR=VALUE (hex), repeatable; all go into one register header placed
    /// before the binary headers, delay 1 ms.
    #[arg(long = "data", value_name = "ADDR=VALUE")]
    data: Vec<String>,
    /// Binary header FILE[:ARG,ARG…] (args hex), repeatable.
    #[arg(long = "binary", value_name = "FILE[:ARGS]")]
    binary: Vec<String>,
}

pub fn run(cmd: KwbCommand) -> anyhow::Result<()> {
    match cmd {
        KwbCommand::Info { image } => info(&read(&image)?),
        KwbCommand::Pack {
            config,
            payload,
            output,
            load,
            entry,
            settings,
        } => {
            let mut config = match config {
                Some(path) => config_from_file(&path)?,
                None => config_from_settings(&settings)?,
            };
            config.dest_addr = load;
            config.exec_addr = entry;
            let image = kwbimage::build(&config, &read(&payload)?)?;
            write(&output, &image)?;
            println!(
                "wrote {} ({} bytes, boot from {})",
                output.display(),
                image.len(),
                config.boot_source.name()
            );
            Ok(())
        }
        KwbCommand::Extract { image, output } => extract(&read(&image)?, &output),
        KwbCommand::Unbrick {
            dump,
            payload,
            output,
            boot_from,
            load,
            entry,
            debug,
        } => {
            let params = unbrick::UnbrickParams {
                target: boot_source(&boot_from)?,
                dest_addr: load,
                exec_addr: entry,
                debug: debug.then_some(true),
            };
            let image = unbrick::rebuild(&read(&dump)?, &params, &read(&payload)?)?;
            write(&output, &image)?;
            let parsed = kwbimage::parse(&image)?;
            println!(
                "wrote {} ({} bytes): boot from {}, header size {:#x} (optional headers copied from the dump), load {:#010x}, entry {:#010x}",
                output.display(),
                image.len(),
                params.target.name(),
                parsed.main.header_size,
                parsed.main.dest_addr,
                parsed.main.exec_addr
            );
            if params.target == BootSource::Uart {
                println!(
                    "send it with: bareproxy kwboot /dev/ttyUSB0 -b {} -t   (then power the box on)",
                    output.display()
                );
            }
            Ok(())
        }
    }
}

fn boot_source(name: &str) -> anyhow::Result<BootSource> {
    BootSource::from_name(name).with_context(|| {
        format!("unknown boot source '{name}' (spi, nand, uart, sata, pex, sdio, i2c)")
    })
}

fn config_from_file(path: &std::path::Path) -> anyhow::Result<KwbConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let parsed = cfg::parse(&text, &mut |name| {
        std::fs::read(name).map_err(|e| e.to_string())
    })
    .with_context(|| format!("{}", path.display()))?;
    for warning in &parsed.warnings {
        eprintln!("warning: {}: {warning}", path.display());
    }
    Ok(parsed.config)
}

fn config_from_settings(s: &Settings) -> anyhow::Result<KwbConfig> {
    let cpu = match s.cpu.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Cpu::Unspecified,
        Some("sheeva") => Cpu::Sheeva,
        Some("a9") => Cpu::A9,
        Some("feroceon") => Cpu::Feroceon,
        Some(other) => bail!("unknown CPU '{other}' (sheeva, a9, feroceon)"),
    };
    let mut headers = Vec::new();
    if !s.data.is_empty() {
        let entries = s
            .data
            .iter()
            .map(|pair| {
                let (a, v) = pair
                    .split_once('=')
                    .with_context(|| format!("--data {pair}: expected ADDR=VALUE"))?;
                Ok(RegisterWrite {
                    address: parse_hex_u32(a).map_err(anyhow::Error::msg)?,
                    value: parse_hex_u32(v).map_err(anyhow::Error::msg)?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        headers.push(HeaderSpec::Register { entries, delay: 1 });
    }
    for spec in &s.binary {
        let (file, args) = spec.split_once(':').unwrap_or((spec, ""));
        let args = args
            .split(',')
            .filter(|a| !a.is_empty())
            .map(|a| parse_hex_u32(a).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<Vec<_>>>()?;
        headers.push(HeaderSpec::Binary {
            args,
            code: read(file.as_ref())?,
        });
    }
    Ok(KwbConfig {
        boot_source: boot_source(&s.boot_from)?,
        cpu,
        nand_page_size: u16::try_from(s.nand_page_size.unwrap_or(0))
            .context("--nand-page-size does not fit 16 bits")?,
        nand_block_size: s.nand_block_size.unwrap_or(0),
        nand_bad_block_location: u8::try_from(s.nand_badblk_location.unwrap_or(0))
            .context("--nand-badblk-location does not fit 8 bits")?,
        debug: s.debug,
        baudrate: s.baudrate,
        headers,
        ..KwbConfig::default()
    })
}

fn info(image: &[u8]) -> anyhow::Result<()> {
    let parsed = kwbimage::parse(image)?;
    print!("{}", describe(&parsed, image.len()));
    parsed
        .verify()
        .map_err(|e| VerificationFailed(e.to_string()).into())
}

/// The `info` report.
fn describe(p: &ParsedImage, file_len: usize) -> String {
    let m = &p.main;
    let mut s = String::new();
    let ok = |good: bool| if good { "OK" } else { "BAD" };
    let source = m.boot_source().map_or("unknown", BootSource::name);
    let _ = writeln!(
        s,
        "kwbimage v{}, boot from {source} (blockid {:#04x})",
        m.version, m.block_id
    );
    let _ = writeln!(
        s,
        "  flags              {:#04x}{}",
        m.flags,
        if m.flags & 1 != 0 {
            " (BootROM debug output)"
        } else {
            ""
        }
    );
    let _ = writeln!(s, "  NAND page size     {:#x}", m.nand_page_size);
    let _ = writeln!(
        s,
        "  block size         {:#x} (payload {} bytes + 4-byte checksum)",
        m.block_size,
        m.block_size.saturating_sub(4)
    );
    let _ = writeln!(
        s,
        "  header size        {:#x}{}",
        m.header_size,
        if m.header_size as usize > p.headers_end {
            format!(
                " (headers end at {:#x}; the rest is padding)",
                p.headers_end
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(s, "  source address     {:#x}", m.src_addr);
    let _ = writeln!(s, "  load address       {:#010x}", m.dest_addr);
    let _ = writeln!(s, "  entry point        {:#010x}", m.exec_addr);
    let baud = kwbimage::baud_from_code(m.options).map_or("default".to_owned(), |b| b.to_string());
    let _ = writeln!(
        s,
        "  options            {:#04x} (UART baud {baud}, port {}, MPP set {})",
        m.options,
        (m.options >> 3) & 3,
        m.options >> 5
    );
    let _ = writeln!(
        s,
        "  NAND block size    {} x 64 KiB = {:#x}",
        m.nand_block_size,
        u32::from(m.nand_block_size) * 0x10000
    );
    let _ = writeln!(s, "  NAND bad-block loc {:#x}", m.nand_bad_block_location);
    let _ = writeln!(s, "  optional headers   {}", p.optional.len());
    let _ = writeln!(
        s,
        "  header checksum    {:#04x} {} (computed {:#04x})",
        m.checksum,
        ok(p.header_checksum_ok()),
        p.header_checksum_computed
    );
    for (i, (offset, size, header)) in p.optional.iter().enumerate() {
        let _ = write!(
            s,
            "  [{i}] {} header at {offset:#x}, {size:#x} bytes",
            header.type_name()
        );
        match header {
            OptionalHeader::Binary {
                args,
                code,
                code_offset,
            } => {
                let args: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
                let _ = writeln!(
                    s,
                    ": {} args [{}], {} bytes of code at {code_offset:#x} (runs at {:#010x} on Sheeva)",
                    args.len(),
                    args.join(", "),
                    code.len(),
                    kwbimage::SHEEVA_BIN_BASE as usize + code_offset
                );
            }
            OptionalHeader::Register { entries, delay } => {
                let _ = writeln!(
                    s,
                    ": {} writes, delay {}",
                    entries.len(),
                    if *delay == 0 {
                        "SDRAM_SETUP".to_owned()
                    } else {
                        format!("{delay} ms")
                    }
                );
                for w in entries {
                    let _ = writeln!(s, "        {:#010x} <- {:#010x}", w.address, w.value);
                }
            }
            OptionalHeader::Secure { .. } | OptionalHeader::Unknown { .. } => s.push('\n'),
        }
    }
    match (&p.payload, p.data_checksum_stored, p.data_checksum_computed) {
        (Some(range), Some(stored), Some(computed)) => {
            let _ = writeln!(
                s,
                "  payload            {:#x}..{:#x} ({} bytes)",
                range.start,
                range.end,
                range.len()
            );
            let _ = writeln!(
                s,
                "  data checksum      {stored:#010x} {} (computed {computed:#010x})",
                ok(stored == computed)
            );
        }
        _ => {
            let _ = writeln!(
                s,
                "  payload            not located (src_addr units for {source} are not supported)"
            );
        }
    }
    if let Some(len) = p.image_len {
        if file_len > len {
            let _ = writeln!(
                s,
                "  file               {file_len} bytes: image is {len}, {} trailing bytes ignored",
                file_len - len
            );
        } else {
            let _ = writeln!(s, "  file               {file_len} bytes");
        }
    }
    s
}

fn extract(image: &[u8], dir: &std::path::Path) -> anyhow::Result<()> {
    let parsed = kwbimage::parse(image)?;
    if let Err(e) = parsed.verify() {
        eprintln!("warning: {e}");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let payload = parsed
        .payload(image)
        .context("the payload of this boot source cannot be located")?;
    write_in(dir, "payload.bin", payload)?;
    let mut names = Vec::new();
    for (i, (args, code)) in parsed.binary_headers().enumerate() {
        let name = format!("binary{i}.bin");
        write_in(dir, &name, code)?;
        let args: Vec<String> = args.iter().map(|a| format!("{a:08x}")).collect();
        println!("  binary header {i}: args {}", args.join(" "));
        names.push(name);
    }
    let (config, note) = match KwbConfig::from_image(&parsed) {
        Ok(c) => (c, None),
        Err(why) => (KwbConfig::describe(&parsed)?, Some(why)),
    };
    let mut text = cfg::to_text(&config, &names);
    if let Some(why) = &note {
        text.insert_str(
            0,
            &format!("# NOTE: mkimage would not reproduce this image exactly: {why}\n"),
        );
    }
    write_in(dir, "image.cfg", text.as_bytes())?;
    println!(
        "rebuild with: (cd {} && bareproxy kwb pack -c image.cfg -d payload.bin -a {:#x} -e {:#x} -o rebuilt.kwb)",
        dir.display(),
        config.dest_addr,
        config.exec_addr
    );
    if let Some(why) = note {
        println!("note: {why}");
    }
    Ok(())
}
