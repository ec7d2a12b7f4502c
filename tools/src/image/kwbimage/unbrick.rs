//! The unbrick flow: new payload, vendor header.
//!
//! Armada 370 images need DDR3 training code in a binary header, and for the Mirabox that code
//! exists only as Marvell's binary inside the stock boot loader (mainline U-Boot has no
//! Armada 370 DDR training). We never ship it: the user dumps their own boot partition
//! (`nanddump /dev/mtd0`, or `nand read` from U-Boot) and [`rebuild`] takes the main-header
//! settings and every optional header from that dump and puts a new payload (a U-Boot, or this
//! project's firmware) behind them, for UART boot (`kwboot`) or for writing back to NAND.

use super::build::assemble;
use super::{BootSource, BuildError, MAIN_HEADER_LEN, OptionalHeader, ParsedImage, parse};
use crate::image::ParseError;
use crate::image::bytes::align_up;

/// What to change when rebuilding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbrickParams {
    /// Boot source of the new image (UART for `kwboot`, NAND to flash it back, SPI).
    pub target: BootSource,
    /// New load address (default: the dump's).
    pub dest_addr: Option<u32>,
    /// New entry point (default: the dump's).
    pub exec_addr: Option<u32>,
    /// Force the BootROM debug flag on or off (default: the dump's).
    pub debug: Option<bool>,
}

/// Why a dump could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnbrickError {
    /// The dump does not parse as a kwbimage.
    #[error("the dump is not a usable kwbimage v1: {0}")]
    Parse(#[from] ParseError),
    /// The dump's header checksum is wrong: its headers cannot be trusted.
    #[error("the dump's header is damaged: {0}")]
    DamagedHeader(ParseError),
    /// No binary header: nothing would train the DDR, so the payload could not run from DRAM.
    #[error(
        "the dump has no binary header (no DDR training code); is it really the start of the boot partition?"
    )]
    NoTrainingCode,
    /// Only UART, NAND and SPI images are rebuilt.
    #[error("target boot source '{0}' is not supported (use uart, nand or spi)")]
    UnsupportedTarget(&'static str),
    /// Building failed.
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// Builds a new image from the header area of `dump` and `payload`.
///
/// Layout: the main header and optional headers are copied (binary code, arguments, register
/// writes byte for byte); `blockid` becomes `params.target`. Vendor images count the padding
/// between the headers and the payload in `header_size` and set `src_addr` equal to it (the
/// stock Mirabox image: both 0xC000); that convention is kept. For UART the header size is
/// rounded up to 128 because the BootROM ignores its low 7 bits there (U-Boot commit
/// 12e79fbfffa). Rebuilding a dump for its own boot source with its own payload reproduces it.
pub fn rebuild(
    dump: &[u8],
    params: &UnbrickParams,
    payload: &[u8],
) -> Result<Vec<u8>, UnbrickError> {
    if !matches!(
        params.target,
        BootSource::Uart | BootSource::Nand | BootSource::Spi
    ) {
        return Err(UnbrickError::UnsupportedTarget(params.target.name()));
    }
    let parsed: ParsedImage = parse(dump)?;
    if !parsed.header_checksum_ok() {
        return Err(UnbrickError::DamagedHeader(
            parsed.verify().err().unwrap_or(ParseError::Invalid {
                what: "kwbimage header",
                offset: 0x1F,
                reason: "bad checksum".into(),
            }),
        ));
    }
    if !parsed
        .optional
        .iter()
        .any(|(_, _, h)| matches!(h, OptionalHeader::Binary { .. }))
    {
        return Err(UnbrickError::NoTrainingCode);
    }
    let old_header_size = parsed.main.header_size as usize;
    let vendor_padded = old_header_size > parsed.headers_end;
    let new_header_size = if vendor_padded || params.target == BootSource::Uart {
        align_up(
            old_header_size.max(parsed.headers_end),
            params.target.payload_alignment(),
        )
    } else {
        parsed.headers_end
    };

    let mut main = parsed.main;
    main.block_id = params.target.id();
    if let Some(dest) = params.dest_addr {
        main.dest_addr = dest;
    }
    if let Some(exec) = params.exec_addr {
        main.exec_addr = exec;
    }
    if let Some(debug) = params.debug {
        main.flags = (main.flags & !1) | u8::from(debug);
    }
    // parse() checked that headers_end lies inside the dump.
    let optional = dump
        .get(MAIN_HEADER_LEN..parsed.headers_end)
        .ok_or(ParseError::Truncated {
            what: "kwbimage optional headers",
            offset: MAIN_HEADER_LEN,
            needed: parsed.headers_end,
            file_len: dump.len(),
        })?;
    if payload.is_empty() {
        return Err(BuildError::EmptyPayload.into());
    }
    Ok(assemble(
        main,
        optional,
        new_header_size,
        params.target.payload_alignment(),
        params.target.file_alignment(),
        payload,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::kwbimage::{HeaderSpec, KwbConfig, MainHeader, build};

    /// A dump laid out like the stock Mirabox boot loader: header_size = src_addr = 0x400
    /// although the headers end earlier, and 4 KiB of unrelated bytes after the image.
    fn vendor_like_dump(payload: &[u8]) -> Vec<u8> {
        let cfg = KwbConfig {
            boot_source: BootSource::Nand,
            headers: vec![HeaderSpec::Binary {
                args: vec![0x5b, 0x68],
                code: (0..100u8).collect(),
            }],
            ..KwbConfig::default()
        };
        let mkimage_style = build(&cfg, b"x").unwrap();
        let headers_end = parse(&mkimage_style).unwrap().headers_end;
        let main = MainHeader {
            block_id: BootSource::Nand.id(),
            dest_addr: 0x0060_0000,
            exec_addr: 0x006A_0000,
            nand_block_size: 2,
            nand_bad_block_location: 1,
            ..MainHeader::default()
        };
        let mut dump = assemble(
            main,
            &mkimage_style[MAIN_HEADER_LEN..headers_end],
            0x400,
            256,
            256,
            payload,
        )
        .unwrap();
        dump.extend(std::iter::repeat_n(0xFF, 4096));
        dump
    }

    #[test]
    fn rebuilding_for_the_same_medium_with_the_same_payload_reproduces_the_dump() {
        let payload: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
        let dump = vendor_like_dump(&payload);
        let params = UnbrickParams {
            target: BootSource::Nand,
            dest_addr: None,
            exec_addr: None,
            debug: None,
        };
        let rebuilt = rebuild(&dump, &params, &payload).unwrap();
        assert_eq!(rebuilt.as_slice(), &dump[..rebuilt.len()]);
    }

    #[test]
    fn uart_image_keeps_training_code_and_takes_new_payload() {
        let dump = vendor_like_dump(b"old boot loader");
        let params = UnbrickParams {
            target: BootSource::Uart,
            dest_addr: Some(0x0080_0000),
            exec_addr: Some(0x0080_0000),
            debug: Some(true),
        };
        let image = rebuild(&dump, &params, b"new firmware!").unwrap();
        let parsed = parse(&image).unwrap();
        parsed.verify().unwrap();
        assert_eq!(parsed.main.block_id, 0x69);
        assert_eq!(parsed.main.header_size, 0x400);
        assert_eq!(parsed.main.src_addr, 0x400);
        assert_eq!(parsed.main.flags & 1, 1);
        assert_eq!(parsed.main.dest_addr, 0x0080_0000);
        assert_eq!(parsed.payload(&image).unwrap(), b"new firmware!\0\0\0");
        let old = parse(&dump).unwrap();
        assert_eq!(
            parsed.binary_headers().collect::<Vec<_>>(),
            old.binary_headers().collect::<Vec<_>>()
        );
        assert_eq!(image.len() % 128, 0);
    }

    #[test]
    fn refuses_a_dump_without_training_code() {
        let plain = build(&KwbConfig::default(), b"abc").unwrap();
        let params = UnbrickParams {
            target: BootSource::Uart,
            dest_addr: None,
            exec_addr: None,
            debug: None,
        };
        assert_eq!(
            rebuild(&plain, &params, b"x"),
            Err(UnbrickError::NoTrainingCode)
        );
    }
}
