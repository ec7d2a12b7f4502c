//! Turning any kwbimage v1 into what the BootROM accepts over UART (what `kwboot` does before
//! sending; U-Boot `tools/kwboot.c`, `kwboot_img_patch`).
//!
//! The BootROM's UART loader takes the image as 128-byte xmodem blocks: first the header area,
//! then the rest. It wants `blockid` 0x69 and a correct 8-bit header checksum, ignores the low
//! 7 bits of the header size, and runs the binary headers (DDR training) after receiving the
//! last header block. So a NAND image from the stock boot partition, an image from
//! `bareproxy kwb pack --boot-from uart` and one from `kwb unbrick` all work after [`patch`].

use super::baud_code::{self, BOOTROM_UART0, SWITCH_DELAY_LOOPS};
use super::{BootSource, MAIN_HEADER_LEN, OptionalHeader, data_checksum, header_checksum, parse};
use crate::image::ParseError;
use crate::image::bytes::align_up;

/// The xmodem block size the BootROM uses.
pub const XMODEM_BLOCK: usize = 128;
/// The speed the BootROM's UART runs at.
pub const BOOTROM_BAUD: u32 = 115_200;
/// Speeds accepted for the data phase ([`patch_with_baud_switch`]).
pub const DATA_BAUD_RANGE: core::ops::RangeInclusive<u32> = 1200..=3_000_000;
/// `nargs` field plus the binary header's 4-byte prefix: where arguments start.
const BINARY_ARGS_OFFSET: usize = 8;
/// Code in binary headers must be 16-byte aligned on Sheeva (Armada 370/XP) cores.
const SHEEVA_CODE_ALIGN: usize = 16;

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
    /// The data-phase speed, if the image switches the UART after its headers
    /// ([`patch_with_baud_switch`]); the sender must follow.
    pub baud_switch: Option<u32>,
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
    /// The data-phase speed is out of range.
    #[error("baud rate {0} is out of range (1200..=3000000)")]
    BadBaud(u32),
    /// Execute-in-place images have no RAM copy the switch-back code could be appended to.
    #[error("the image executes in place (load address 0xffffffff): no baud-rate change possible")]
    ExecuteInPlace,
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
        baud_switch: None,
    })
}

/// Like [`patch`], and makes the board switch its UART to `baud` for the data phase (what
/// `kwboot -B` does; reference notes §2.5, code in [`baud_code`]):
///
/// * a new last binary header runs [`baud_code::ANNOUNCE`]: it prints `"$baudratechange\0"`
///   and switches to `baud` before the BootROM acknowledges the last header block;
/// * [`baud_code::RESTORE`] is appended to the payload and becomes the entry point: it switches
///   back to 115200 and jumps to the original entry point.
///
/// The new header goes into the padding before the payload when there is room (vendor images
/// have plenty); otherwise the payload moves. Both checksums are recomputed.
pub fn patch_with_baud_switch(image: &[u8], baud: u32) -> Result<UartImage, UartPatchError> {
    if !DATA_BAUD_RANGE.contains(&baud) {
        return Err(UartPatchError::BadBaud(baud));
    }
    let parsed = parse(image)?;
    parsed.verify().map_err(UartPatchError::Damaged)?;
    if parsed
        .optional
        .iter()
        .any(|(_, _, h)| matches!(h, OptionalHeader::Secure { .. }))
    {
        return Err(UartPatchError::Secure);
    }
    let mut main = parsed.main;
    if main.dest_addr == u32::MAX {
        return Err(UartPatchError::ExecuteInPlace);
    }
    let payload = parsed.payload.clone().ok_or(ParseError::Invalid {
        what: "kwbimage payload",
        offset: 0x0C,
        reason: "cannot locate the payload".into(),
    })?;
    let payload_bytes = image.get(payload.clone()).ok_or(ParseError::Truncated {
        what: "kwbimage payload",
        offset: payload.start,
        needed: payload.len(),
        file_len: image.len(),
    })?;

    // The switch-back code runs where it lands in RAM: right after the payload.
    let restore_addr = main
        .dest_addr
        .checked_add(payload_bytes.len() as u32)
        .ok_or(UartPatchError::ExecuteInPlace)?;
    let (announce, restore) =
        baud_code::with_params(baud, main.exec_addr, BOOTROM_UART0, SWITCH_DELAY_LOOPS);

    // The new binary header: dummy arguments align the code to 16 bytes in the image, as
    // mkimage does for Sheeva (the header block is copied to SRAM preserving offsets).
    let header_at = parsed.headers_end;
    let nargs = (SHEEVA_CODE_ALIGN - (header_at + BINARY_ARGS_OFFSET) % SHEEVA_CODE_ALIGN)
        % SHEEVA_CODE_ALIGN
        / 4;
    let header_len = BINARY_ARGS_OFFSET + 4 * nargs + announce.len() + 4;
    let mut header = Vec::with_capacity(header_len);
    header.push(2); // binary header
    header.push((header_len >> 16) as u8);
    header.extend_from_slice(&((header_len & 0xFFFF) as u16).to_le_bytes());
    header.extend_from_slice(&(nargs as u32).to_le_bytes());
    header.resize(BINARY_ARGS_OFFSET + 4 * nargs, 0);
    header.extend_from_slice(&announce);
    header.extend_from_slice(&[0; 4]); // trailer: no header follows
    let headers_end = header_at + header_len;

    let mut data = payload_bytes.to_vec();
    data.extend_from_slice(&restore);
    let src = (main.src_addr as usize).max(align_up(headers_end, 4));
    // A (malformed but parseable) header size reaching past the data still has to fit.
    let mut out = vec![0u8; (src + data.len() + 4).max(main.header_size as usize)];
    out[..header_at].copy_from_slice(&image[..header_at]);
    // Chain the new header: the previous last header's "next" byte, or the main header's ext.
    match parsed.optional.last() {
        Some((offset, size, _)) => out[*offset + *size - 4] = 1,
        None => main.ext = 1,
    }
    out[header_at..headers_end].copy_from_slice(&header);
    out[src..src + data.len()].copy_from_slice(&data);
    out[src + data.len()..src + data.len() + 4]
        .copy_from_slice(&data_checksum(&data).to_le_bytes());

    main.header_size = main.header_size.max(headers_end as u32);
    main.src_addr = src as u32;
    main.block_size = (data.len() + 4) as u32;
    main.exec_addr = restore_addr;
    main.checksum = 0;
    out[..MAIN_HEADER_LEN].copy_from_slice(&main.to_bytes());
    main.checksum = header_checksum(&out[..main.header_size as usize]);
    out[..MAIN_HEADER_LEN].copy_from_slice(&main.to_bytes());

    let mut patched = patch(&out)?;
    patched.changes.insert(
        0,
        format!(
            "baud-rate switch to {baud} for the data phase: binary header at {header_at:#x}, \
             switch-back code at {restore_addr:#010x} (new entry point; then {:#010x})",
            parsed.main.exec_addr
        ),
    );
    patched.baud_switch = Some(baud);
    Ok(patched)
}
