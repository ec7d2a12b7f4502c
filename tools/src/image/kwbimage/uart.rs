//! Turning any kwbimage v1 into what the BootROM accepts over UART (what `kwboot` does before
//! sending; U-Boot `tools/kwboot.c`, `kwboot_img_patch`; reference notes armada370-mirabox.md
//! §2.4).
//!
//! The BootROM's UART loader takes the image as 128-byte xmodem blocks: first the header area,
//! then the rest. It wants `blockid` 0x69 and a correct 8-bit header checksum, ignores the low
//! 7 bits of the header size, and runs the binary headers (DDR training) after receiving the
//! last header block. So a NAND image from the stock boot partition, an image from
//! `bareproxy kwb pack --boot-from uart` and one from `kwb unbrick` all work after [`patch`].

use super::{BootSource, MAIN_HEADER_LEN, OptionalHeader, header_checksum, parse};
use crate::image::ParseError;
use crate::image::bytes::align_up;

/// The xmodem block size the BootROM uses.
pub const XMODEM_BLOCK: usize = 128;

/// `flags` bit 0: the BootROM prints its progress on the UART (kwboot always sets it).
const FLAG_DEBUG: u8 = 0x01;
/// `options` bits 4..0: baud code and UART port. Cleared: BootROM default baud, UART 0.
const OPTIONS_BAUD_AND_PORT: u8 = 0x1F;

/// An image ready to be sent over UART.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UartImage {
    /// The bytes to send, zero-padded to whole xmodem blocks.
    pub bytes: Vec<u8>,
    /// Length of the header part (a multiple of 128): after the block that completes it, the
    /// BootROM runs the binary headers before it acknowledges.
    pub header_len: usize,
    /// What was changed, for the user.
    pub changes: Vec<String>,
}

impl UartImage {
    /// Number of xmodem blocks in the header part.
    pub fn header_blocks(&self) -> usize {
        self.header_len / XMODEM_BLOCK
    }

    /// Total number of xmodem blocks.
    pub fn blocks(&self) -> usize {
        self.bytes.len() / XMODEM_BLOCK
    }
}

/// Why an image cannot be UART-booted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UartPatchError {
    /// Not a readable kwbimage v1.
    #[error("not a usable kwbimage v1: {0}")]
    Parse(#[from] ParseError),
    /// The header checksum was already wrong: the file is damaged (or not an image at all).
    #[error("refusing a damaged image: {0}")]
    Damaged(ParseError),
    /// A secure-boot image for another medium cannot be re-typed without breaking its signature.
    #[error(
        "the image carries a secure-boot header and is not a UART image; it cannot be re-targeted"
    )]
    Secure,
    /// SATA/SDIO/PEX images store `src_addr` in other units; not supported here.
    #[error("boot source '{0}' is not supported for UART boot (use a nand, spi or uart image)")]
    UnsupportedSource(&'static str),
}

/// Patches `image` (trailing bytes after the image, e.g. a partition dump, are ignored).
pub fn patch(image: &[u8]) -> Result<UartImage, UartPatchError> {
    let parsed = parse(image)?;
    parsed.verify().map_err(UartPatchError::Damaged)?;
    let source = parsed
        .main
        .boot_source()
        .ok_or(UartPatchError::UnsupportedSource("unknown"))?;
    if !matches!(
        source,
        BootSource::Uart | BootSource::Nand | BootSource::Spi | BootSource::I2c
    ) {
        return Err(UartPatchError::UnsupportedSource(source.name()));
    }
    let secure = parsed
        .optional
        .iter()
        .any(|(_, _, h)| matches!(h, OptionalHeader::Secure { .. }));
    if secure && source != BootSource::Uart {
        return Err(UartPatchError::Secure);
    }
    let payload = parsed.payload.clone().ok_or(ParseError::Invalid {
        what: "kwbimage payload",
        offset: 0x0C,
        reason: "cannot locate the payload".into(),
    })?;

    let mut main = parsed.main;
    let mut changes = Vec::new();
    let old_header_size = main.header_size as usize;
    let header_len = align_up(old_header_size, XMODEM_BLOCK);
    let src = main.src_addr as usize;
    // The data (payload + checksum) as stored; it moves only if the grown header would overlap it.
    // `parse` read the checksum word at `payload.end`, so this range exists.
    let data = image
        .get(src..payload.end + 4)
        .ok_or(ParseError::Truncated {
            what: "kwbimage payload",
            offset: src,
            needed: payload.end + 4 - src,
            file_len: image.len(),
        })?;
    let new_src = src.max(header_len);

    if main.block_id != BootSource::Uart.id() {
        changes.push(format!(
            "blockid {:#04x} -> {:#04x} (uart)",
            main.block_id,
            BootSource::Uart.id()
        ));
        main.block_id = BootSource::Uart.id();
    }
    if main.flags & FLAG_DEBUG == 0 {
        changes.push("flags: BootROM debug output on".into());
        main.flags |= FLAG_DEBUG;
    }
    if main.options & OPTIONS_BAUD_AND_PORT != 0 {
        changes.push(format!(
            "options {:#04x} -> {:#04x} (default baud, UART 0)",
            main.options,
            main.options & !OPTIONS_BAUD_AND_PORT
        ));
        main.options &= !OPTIONS_BAUD_AND_PORT;
    }
    if main.nand_page_size != 0 {
        changes.push(format!("NAND page size {:#x} -> 0", main.nand_page_size));
        main.nand_page_size = 0;
    }
    if header_len != old_header_size {
        changes.push(format!(
            "header size {old_header_size:#x} -> {header_len:#x} (whole xmodem blocks)"
        ));
        main.header_size = header_len as u32;
    }
    if new_src != src {
        changes.push(format!("payload moved {src:#x} -> {new_src:#x}"));
        main.src_addr = new_src as u32;
    }

    let mut bytes = vec![0u8; align_up(new_src + data.len(), XMODEM_BLOCK)];
    bytes[..old_header_size].copy_from_slice(&image[..old_header_size]);
    bytes[new_src..new_src + data.len()].copy_from_slice(data);
    main.checksum = 0;
    bytes[..MAIN_HEADER_LEN].copy_from_slice(&main.to_bytes());
    let checksum = header_checksum(&bytes[..header_len]);
    if checksum != parsed.main.checksum {
        changes.push(format!(
            "header checksum {:#04x} -> {checksum:#04x}",
            parsed.main.checksum
        ));
    }
    main.checksum = checksum;
    bytes[..MAIN_HEADER_LEN].copy_from_slice(&main.to_bytes());
    Ok(UartImage {
        bytes,
        header_len,
        changes,
    })
}
