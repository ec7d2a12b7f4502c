//! The U-Boot `kwbimage.cfg` text format (U-Boot `tools/kwbimage.c`,
//! `image_create_config_parse_oneline`; keyword list in `doc/README.kwbimage`).
//!
//! One `KEYWORD value…` per line, whitespace separated; empty lines and lines starting with `#`
//! are skipped. Numbers follow mkimage: hexadecimal (with or without `0x`) for addresses,
//! sizes and binary arguments; decimal for `VERSION`, `BAUDRATE`, `DEBUG` and `DATA_DELAY`.
//!
//! Register headers are built like mkimage: `DATA` lines collect into a pending header that is
//! closed by `DATA_DELAY` (with that delay), by a `BINARY` line, or by the end of the file
//! (both with delay 1).

use core::fmt::Write as _;

use super::{BootSource, Cpu, HeaderSpec, KwbConfig, RegisterWrite, baud_from_code};

/// A problem in a configuration file, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct CfgError {
    /// 1-based line number (0 for problems about the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The result of reading a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCfg {
    /// The configuration (addresses are 0: they come from the command line, as with mkimage).
    pub config: KwbConfig,
    /// Lines that were accepted but have no effect, with the reason (e.g. `NAND_ECC_MODE`).
    pub warnings: Vec<String>,
}

/// Parses a `kwbimage.cfg`. `load_binary` is called with the file name of each `BINARY` line
/// and returns its contents (the CLI reads it relative to the current directory, as mkimage).
pub fn parse(
    text: &str,
    load_binary: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<ParsedCfg, CfgError> {
    let mut config = KwbConfig::default();
    let mut warnings = Vec::new();
    let mut version_seen = false;
    let mut pending_writes: Option<Vec<RegisterWrite>> = None;

    for (index, raw_line) in text.lines().enumerate() {
        let line = index + 1;
        let err = |reason: String| CfgError { line, reason };
        let mut words = raw_line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        if keyword.starts_with('#') {
            continue;
        }
        let args: Vec<&str> = words.collect();
        let one = |name: &str| -> Result<&str, CfgError> {
            match args.as_slice() {
                [value] => Ok(*value),
                _ => Err(err(format!("{name} takes exactly one value"))),
            }
        };
        match keyword {
            "VERSION" => {
                let v = dec(one(keyword)?).map_err(&err)?;
                if v != 1 {
                    return Err(err(format!(
                        "VERSION {v}: only version 1 (Armada 370/XP) is supported"
                    )));
                }
                version_seen = true;
            }
            "BOOT_FROM" => {
                let name = one(keyword)?;
                config.boot_source = BootSource::from_name(name)
                    .ok_or_else(|| err(format!("unknown boot source '{name}'")))?;
            }
            "CPU" => {
                config.cpu = match one(keyword)?.to_ascii_uppercase().as_str() {
                    "FEROCEON" => Cpu::Feroceon,
                    "SHEEVA" => Cpu::Sheeva,
                    "A9" => Cpu::A9,
                    other => return Err(err(format!("unknown CPU '{other}'"))),
                }
            }
            "NAND_PAGE_SIZE" => {
                config.nand_page_size =
                    narrow(hex(one(keyword)?).map_err(&err)?, keyword).map_err(&err)?;
            }
            "NAND_BLKSZ" => config.nand_block_size = hex(one(keyword)?).map_err(&err)?,
            "NAND_BADBLK_LOCATION" => {
                config.nand_bad_block_location =
                    narrow(hex(one(keyword)?).map_err(&err)?, keyword).map_err(&err)?;
            }
            "NAND_ECC_MODE" => warnings.push(format!(
                "line {line}: NAND_ECC_MODE only exists in v0 images; ignored"
            )),
            "BAUDRATE" => {
                let rate = dec(one(keyword)?).map_err(&err)?;
                if !super::BAUD_CODES.iter().any(|(r, _)| *r == rate) {
                    warnings.push(format!(
                        "line {line}: BAUDRATE {rate} has no BootROM code; the default is used"
                    ));
                }
                config.baudrate = Some(rate);
            }
            "UART_PORT" => {
                config.uart_port =
                    narrow(hex(one(keyword)?).map_err(&err)?, keyword).map_err(&err)?
            }
            "UART_MPP" => {
                config.uart_mpp =
                    narrow(hex(one(keyword)?).map_err(&err)?, keyword).map_err(&err)?
            }
            "DEBUG" => config.debug = dec(one(keyword)?).map_err(&err)? != 0,
            "DATA" => {
                let [address, value] = args.as_slice() else {
                    return Err(err("DATA takes an address and a value".into()));
                };
                pending_writes
                    .get_or_insert_with(Vec::new)
                    .push(RegisterWrite {
                        address: hex(address).map_err(&err)?,
                        value: hex(value).map_err(&err)?,
                    });
            }
            "DATA_DELAY" => {
                let value = one(keyword)?;
                let delay = if value.eq_ignore_ascii_case("SDRAM_SETUP") {
                    0
                } else {
                    narrow(dec(value).map_err(&err)?, keyword).map_err(&err)?
                };
                config.headers.push(HeaderSpec::Register {
                    entries: pending_writes.take().unwrap_or_default(),
                    delay,
                });
            }
            "BINARY" => {
                let Some((file, arg_words)) = args.split_first() else {
                    return Err(err("BINARY needs a file name".into()));
                };
                if arg_words.contains(&"LOAD_ADDRESS") {
                    return Err(err("BINARY … LOAD_ADDRESS is not supported".into()));
                }
                let args = arg_words
                    .iter()
                    .map(|a| hex(a))
                    .collect::<Result<Vec<u32>, String>>()
                    .map_err(&err)?;
                if let Some(entries) = pending_writes.take() {
                    config
                        .headers
                        .push(HeaderSpec::Register { entries, delay: 1 });
                }
                let code = load_binary(file).map_err(|e| err(format!("BINARY {file}: {e}")))?;
                config.headers.push(HeaderSpec::Binary { args, code });
            }
            "KAK"
            | "CSK"
            | "CSK_INDEX"
            | "JTAG_DELAY"
            | "BOX_ID"
            | "FLASH_ID"
            | "SEC_BOOT"
            | "SEC_SPECIALIZED_IMG"
            | "SEC_COMMON_IMG"
            | "SEC_FUSE_DUMP" => {
                return Err(err(format!(
                    "{keyword}: secure boot is not supported (the Armada 370 has none)"
                )));
            }
            "SATA_BLKSZ" => {
                return Err(err("SATA_BLKSZ: SATA images are not supported".into()));
            }
            other => warnings.push(format!("line {line}: unknown keyword '{other}' ignored")),
        }
    }
    if !version_seen {
        return Err(CfgError {
            line: 0,
            reason: "no 'VERSION 1' line (mkimage would build a v0 Kirkwood image)".into(),
        });
    }
    if let Some(entries) = pending_writes.take() {
        config
            .headers
            .push(HeaderSpec::Register { entries, delay: 1 });
    }
    Ok(ParsedCfg { config, warnings })
}

/// Writes `config` as a `kwbimage.cfg` that [`parse`] (and mkimage) read back to the same
/// configuration. `binary_files[i]` is the file name to print for the i-th binary header.
/// Addresses are printed as comments: mkimage takes them from `-a`/`-e`.
pub fn to_text(config: &KwbConfig, binary_files: &[String]) -> String {
    let mut s = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(s, "# kwbimage.cfg written by bareproxy");
    let _ = writeln!(
        s,
        "# load address {:#010x}, entry point {:#010x}: pass them as -a/-e (mkimage) or --load/--entry",
        config.dest_addr, config.exec_addr
    );
    let _ = writeln!(s, "VERSION 1");
    let _ = writeln!(s, "BOOT_FROM {}", config.boot_source.name());
    match config.cpu {
        Cpu::Unspecified => {}
        Cpu::Feroceon => s.push_str("CPU FEROCEON\n"),
        Cpu::Sheeva => s.push_str("CPU SHEEVA\n"),
        Cpu::A9 => s.push_str("CPU A9\n"),
    }
    if config.nand_page_size != 0 {
        let _ = writeln!(s, "NAND_PAGE_SIZE {:#x}", config.nand_page_size);
    }
    if config.nand_block_size != 0 {
        let _ = writeln!(s, "NAND_BLKSZ {:#x}", config.nand_block_size);
    }
    if config.nand_bad_block_location != 0 {
        let _ = writeln!(
            s,
            "NAND_BADBLK_LOCATION {:#x}",
            config.nand_bad_block_location
        );
    }
    if let Some(rate) = config
        .baudrate
        .filter(|r| baud_from_code(code_of(*r)) == Some(*r))
    {
        let _ = writeln!(s, "BAUDRATE {rate}");
    }
    if config.uart_port != 0 {
        let _ = writeln!(s, "UART_PORT {:#x}", config.uart_port);
    }
    if config.uart_mpp != 0 {
        let _ = writeln!(s, "UART_MPP {:#x}", config.uart_mpp);
    }
    if config.debug {
        s.push_str("DEBUG 1\n");
    }
    let mut binaries = binary_files.iter();
    for header in &config.headers {
        match header {
            HeaderSpec::Register { entries, delay } => {
                for w in entries {
                    let _ = writeln!(s, "DATA {:#010x} {:#010x}", w.address, w.value);
                }
                if *delay == 0 {
                    s.push_str("DATA_DELAY SDRAM_SETUP\n");
                } else {
                    let _ = writeln!(s, "DATA_DELAY {delay}");
                }
            }
            HeaderSpec::Binary { args, .. } => {
                let file = binaries.next().map_or("binary.bin", String::as_str);
                let _ = write!(s, "BINARY {file}");
                for a in args {
                    let _ = write!(s, " {a:08x}");
                }
                s.push('\n');
            }
        }
    }
    s
}

fn code_of(rate: u32) -> u8 {
    super::BAUD_CODES
        .iter()
        .find(|(r, _)| *r == rate)
        .map_or(0, |(_, c)| *c)
}

fn hex(word: &str) -> Result<u32, String> {
    let digits = word
        .strip_prefix("0x")
        .or_else(|| word.strip_prefix("0X"))
        .unwrap_or(word);
    u32::from_str_radix(digits, 16).map_err(|_| format!("'{word}' is not a 32-bit hex number"))
}

fn dec(word: &str) -> Result<u32, String> {
    word.parse()
        .map_err(|_| format!("'{word}' is not a decimal number"))
}

fn narrow<T: TryFrom<u32>>(value: u32, field: &str) -> Result<T, String> {
    T::try_from(value).map_err(|_| format!("{field} value {value:#x} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(name: &str) -> Result<Vec<u8>, String> {
        Err(format!("unexpected BINARY {name}"))
    }

    #[test]
    fn register_headers_close_like_mkimage() {
        let text = "VERSION 1\nDATA 0xd0018000 11111111\nDATA_DELAY 50\nDATA_DELAY SDRAM_SETUP\n\
                    DATA 1 2\nBINARY b.bin 5b 0x68\nDATA 3 4\n";
        let parsed = parse(text, &mut |_| Ok(vec![0xAA])).unwrap();
        let h = &parsed.config.headers;
        assert_eq!(h.len(), 5);
        assert_eq!(
            h[0],
            HeaderSpec::Register {
                entries: vec![RegisterWrite {
                    address: 0xd001_8000,
                    value: 0x1111_1111
                }],
                delay: 50
            }
        );
        assert_eq!(
            h[1],
            HeaderSpec::Register {
                entries: vec![],
                delay: 0
            }
        );
        assert!(matches!(&h[2], HeaderSpec::Register { delay: 1, entries } if entries.len() == 1));
        assert_eq!(
            h[3],
            HeaderSpec::Binary {
                args: vec![0x5b, 0x68],
                code: vec![0xAA]
            }
        );
        assert!(matches!(&h[4], HeaderSpec::Register { delay: 1, entries } if entries.len() == 1));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("VERSION 1\n\nBOOT_FROM tape\n", &mut no_files).unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse("VERSION 1\nDATA 1\n", &mut no_files).unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("BOOT_FROM nand\n", &mut no_files).unwrap_err();
        assert_eq!(e.line, 0);
    }
}
