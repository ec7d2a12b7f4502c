//! Building an image the way `mkimage -T kwbimage` (U-Boot 2023.01) does, and the inverse:
//! recovering the [`KwbConfig`] of an image mkimage made.

use super::header::{MAIN_HEADER_LEN, OptionalHeader, ParsedImage};
use super::{
    BAUD_CODES, Cpu, HeaderSpec, KwbConfig, MAX_HEADER_SIZE, MainHeader, RegisterWrite,
    baud_from_code, data_checksum, header_checksum,
};
use crate::image::bytes::align_up;

/// Most arguments a binary header may carry (U-Boot 2023.01 `BINARY_MAX_ARGS`).
pub const MAX_BINARY_ARGS: usize = 255;

/// Why an image could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// mkimage refuses empty payloads too.
    #[error("the payload is empty")]
    EmptyPayload,
    /// SATA/SDIO/PEX are not built (their `src_addr` units differ between U-Boot versions).
    #[error("boot source '{0}' is not supported for building (use spi, nand, uart or i2c)")]
    UnsupportedBootSource(&'static str),
    /// The header area exceeds what the BootROM/mkimage accept.
    #[error("headers take {size:#x} bytes, more than the {max:#x}-byte limit")]
    HeaderTooLarge { size: usize, max: usize },
    /// The payload does not fit the 32-bit block size.
    #[error("payload of {0} bytes is too large")]
    PayloadTooLarge(usize),
    /// A field is out of range.
    #[error("{field}: {reason}")]
    OutOfRange { field: &'static str, reason: String },
    /// The image cannot be described by a [`KwbConfig`] (see [`KwbConfig::from_image`]).
    #[error("image cannot be re-created from a kwbimage.cfg: {0}")]
    NotReproducible(String),
}

/// Builds a kwbimage v1 image byte-for-byte like `mkimage -n <cfg> -T kwbimage -a <dest>
/// -e <exec> -d <payload>` from U-Boot 2023.01.
///
/// Layout: main header, optional headers in order, zero padding to the medium's payload
/// alignment, payload padded to 4 bytes, its 32-bit checksum, zero padding to the medium's
/// file alignment (see [`super::BootSource::payload_alignment`], [`super::BootSource::file_alignment`]).
/// Like mkimage 2023.01, the `header_size` field is the real header size even for UART
/// (U-Boot ≥ 2023.07 rounds it up to 128 there).
pub fn build(cfg: &KwbConfig, payload: &[u8]) -> Result<Vec<u8>, BuildError> {
    if payload.is_empty() {
        return Err(BuildError::EmptyPayload);
    }
    if !cfg.boot_source.is_supported() {
        return Err(BuildError::UnsupportedBootSource(cfg.boot_source.name()));
    }
    let main = main_header_fields(cfg)?;
    let optional = serialise_optional_headers(&cfg.headers, cfg.cpu)?;
    let header_size = MAIN_HEADER_LEN + optional.len();
    if header_size > MAX_HEADER_SIZE {
        return Err(BuildError::HeaderTooLarge {
            size: header_size,
            max: MAX_HEADER_SIZE,
        });
    }
    assemble(
        main,
        &optional,
        header_size,
        cfg.boot_source.payload_alignment(),
        cfg.boot_source.file_alignment(),
        payload,
    )
}

/// Puts header fields, optional headers and payload together and fills in sizes and checksums.
/// `header_size` may exceed the real header length (vendor images count padding in it).
pub(crate) fn assemble(
    mut main: MainHeader,
    optional: &[u8],
    header_size: usize,
    payload_alignment: usize,
    file_alignment: usize,
    payload: &[u8],
) -> Result<Vec<u8>, BuildError> {
    let src_addr = align_up(header_size, payload_alignment);
    let padded_len = align_up(payload.len(), 4);
    let block_size = padded_len
        .checked_add(4)
        .filter(|&b| u32::try_from(b).is_ok() && src_addr + b <= u32::MAX as usize)
        .ok_or(BuildError::PayloadTooLarge(payload.len()))?;
    main.version = 1;
    main.header_size = header_size as u32;
    main.src_addr = src_addr as u32;
    main.block_size = block_size as u32;
    main.ext = u8::from(!optional.is_empty());
    main.checksum = 0;

    let total = align_up(src_addr + block_size, file_alignment);
    let mut image = vec![0u8; total];
    image[..MAIN_HEADER_LEN].copy_from_slice(&main.to_bytes());
    image[MAIN_HEADER_LEN..MAIN_HEADER_LEN + optional.len()].copy_from_slice(optional);
    image[0x1F] = header_checksum(&image[..header_size]);
    image[src_addr..src_addr + payload.len()].copy_from_slice(payload);
    let sum = data_checksum(payload);
    image[src_addr + padded_len..src_addr + block_size].copy_from_slice(&sum.to_le_bytes());
    Ok(image)
}

fn main_header_fields(cfg: &KwbConfig) -> Result<MainHeader, BuildError> {
    if cfg.uart_port > 3 {
        return Err(BuildError::OutOfRange {
            field: "UART_PORT",
            reason: format!("{} is not in 0..=3", cfg.uart_port),
        });
    }
    if cfg.uart_mpp > 7 {
        return Err(BuildError::OutOfRange {
            field: "UART_MPP",
            reason: format!("{} is not in 0..=7", cfg.uart_mpp),
        });
    }
    let nand_units = cfg.nand_block_size / (64 * 1024);
    let nand_block_size = u8::try_from(nand_units).map_err(|_| BuildError::OutOfRange {
        field: "NAND_BLKSZ",
        reason: format!(
            "{:#x} bytes does not fit the 8-bit field of 64 KiB units",
            cfg.nand_block_size
        ),
    })?;
    let baud_code = cfg
        .baudrate
        .and_then(|rate| BAUD_CODES.iter().find(|(r, _)| *r == rate))
        .map_or(0, |(_, code)| *code);
    Ok(MainHeader {
        block_id: cfg.boot_source.id(),
        flags: u8::from(cfg.debug),
        nand_page_size: cfg.nand_page_size,
        dest_addr: cfg.dest_addr,
        exec_addr: cfg.exec_addr,
        options: baud_code | (cfg.uart_port << 3) | (cfg.uart_mpp << 5),
        nand_block_size,
        nand_bad_block_location: cfg.nand_bad_block_location,
        ..MainHeader::default()
    })
}

/// Serialises the optional headers, chaining their "next" flags. Binary code must sit at a
/// 16-byte boundary on Sheeva; like mkimage, zero arguments are appended until it does.
fn serialise_optional_headers(headers: &[HeaderSpec], cpu: Cpu) -> Result<Vec<u8>, BuildError> {
    let mut out = Vec::new();
    for (index, spec) in headers.iter().enumerate() {
        let start = out.len();
        let next = u8::from(index + 1 < headers.len());
        match spec {
            HeaderSpec::Binary { args, code } => {
                let mut args = args.clone();
                if cpu == Cpu::Sheeva {
                    while !(MAIN_HEADER_LEN + start + 8 + 4 * args.len()).is_multiple_of(16) {
                        args.push(0);
                    }
                }
                if args.len() > MAX_BINARY_ARGS {
                    return Err(BuildError::OutOfRange {
                        field: "BINARY",
                        reason: format!("{} arguments (at most {MAX_BINARY_ARGS})", args.len()),
                    });
                }
                out.extend_from_slice(&[2, 0, 0, 0]);
                out.extend_from_slice(&(args.len() as u32).to_le_bytes());
                for arg in &args {
                    out.extend_from_slice(&arg.to_le_bytes());
                }
                out.extend_from_slice(code);
                out.resize(align_up(out.len(), 4), 0);
                out.extend_from_slice(&[next, 0, 0, 0]);
            }
            HeaderSpec::Register { entries, delay } => {
                out.extend_from_slice(&[3, 0, 0, 0]);
                for RegisterWrite { address, value } in entries {
                    out.extend_from_slice(&address.to_le_bytes());
                    out.extend_from_slice(&value.to_le_bytes());
                }
                out.extend_from_slice(&[next, *delay, 0, 0]);
            }
        }
        let size = out.len() - start;
        if size > 0xFF_FFFF || MAIN_HEADER_LEN + out.len() > MAX_HEADER_SIZE {
            return Err(BuildError::HeaderTooLarge {
                size: MAIN_HEADER_LEN + out.len(),
                max: MAX_HEADER_SIZE,
            });
        }
        out[start + 1] = (size >> 16) as u8;
        out[start + 2..start + 4].copy_from_slice(&((size & 0xFFFF) as u16).to_le_bytes());
    }
    Ok(out)
}

impl KwbConfig {
    /// Recovers the configuration of an image laid out by mkimage (or by [`build`]), so that
    /// `build(&KwbConfig::from_image(&parsed)?, payload)` reproduces it byte for byte, where
    /// `payload` is [`ParsedImage::payload`] and the binary code keeps its zero padding.
    ///
    /// Fails for images mkimage cannot produce (vendor images that count padding in
    /// `header_size`, secure headers, unknown flag bits); use
    /// [`unbrick::rebuild`](super::unbrick::rebuild) for those.
    pub fn from_image(image: &ParsedImage) -> Result<Self, BuildError> {
        let main = &image.main;
        let source = main
            .boot_source()
            .filter(|s| s.is_supported())
            .ok_or_else(|| {
                BuildError::NotReproducible(format!("blockid {:#04x}", main.block_id))
            })?;
        let not = |why: String| Err(BuildError::NotReproducible(why));
        if main.header_size as usize != image.headers_end {
            return not(format!(
                "header_size {:#x} includes {} bytes of padding (vendor layout)",
                main.header_size,
                main.header_size as usize - image.headers_end.min(main.header_size as usize)
            ));
        }
        if main.src_addr as usize != align_up(image.headers_end, source.payload_alignment()) {
            return not(format!(
                "src_addr {:#x} is not where mkimage puts it",
                main.src_addr
            ));
        }
        if main.flags & !1 != 0 || main.reserved != [0; 3] {
            return not("flag or reserved bits mkimage never sets".into());
        }
        Self::describe(image)
    }

    /// Like [`KwbConfig::from_image`] but without checking that mkimage would lay the image
    /// out the same way: the settings and headers of any image, e.g. to write a
    /// `kwbimage.cfg` for a vendor image. Fails only for headers a cfg cannot express.
    pub fn describe(image: &ParsedImage) -> Result<Self, BuildError> {
        let main = &image.main;
        let source = main.boot_source().ok_or_else(|| {
            BuildError::NotReproducible(format!("blockid {:#04x}", main.block_id))
        })?;
        let not = |why: String| Err(BuildError::NotReproducible(why));
        let mut headers = Vec::new();
        for (offset, _, header) in &image.optional {
            headers.push(match header {
                OptionalHeader::Binary { args, code, .. } => HeaderSpec::Binary {
                    args: args.clone(),
                    code: code.clone(),
                },
                OptionalHeader::Register { entries, delay } => HeaderSpec::Register {
                    entries: entries.clone(),
                    delay: *delay,
                },
                other => {
                    return not(format!(
                        "{} header at {offset:#x} has no kwbimage.cfg equivalent",
                        other.type_name()
                    ));
                }
            });
        }
        Ok(Self {
            boot_source: source,
            cpu: Cpu::Unspecified,
            nand_page_size: main.nand_page_size,
            nand_block_size: u32::from(main.nand_block_size) * 64 * 1024,
            nand_bad_block_location: main.nand_bad_block_location,
            debug: main.flags & 1 != 0,
            baudrate: baud_from_code(main.options),
            uart_port: (main.options >> 3) & 3,
            uart_mpp: main.options >> 5,
            headers,
            dest_addr: main.dest_addr,
            exec_addr: main.exec_addr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::kwbimage::BootSource;

    // Produced by U-Boot 2023.01's `mkimage -n nand.cfg -T kwbimage` (tools/kwbimage.c,
    // `kwbimage_set_header_v1`) from a `VERSION 1` / `BOOT_FROM nand` / `NAND_PAGE_SIZE 0x800`
    // configuration; the mkimage tests in tests/kwbimage_mkimage.rs check many more.
    #[test]
    fn nand_without_optional_headers_matches_reference_vector() {
        let cfg = KwbConfig {
            boot_source: BootSource::Nand,
            nand_page_size: 0x800,
            nand_block_size: 0x20000,
            dest_addr: 0x0080_0000,
            exec_addr: 0x0080_0000,
            ..KwbConfig::default()
        };
        let image = build(&cfg, b"HELLO-A370").unwrap();
        assert_eq!(image.len(), 512);
        assert_eq!(
            &image[..0x20],
            &[
                0x8b, 0, 0, 8, 0x10, 0, 0, 0, 1, 0, 0x20, 0, 0, 1, 0, 0, 0, 0, 0x80, 0, 0, 0, 0x80,
                0, 0, 2, 0, 0, 0, 0, 0, 0xc7
            ]
        );
        assert_eq!(
            &image[0x100..0x110],
            b"HELLO-A370\0\0\xce\xa2\x8d\x7f".as_slice()
        );
    }
}
