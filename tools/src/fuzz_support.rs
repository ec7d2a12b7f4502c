//! Input mappings shared by the fuzz targets (`tools/fuzz`) and the corpus test
//! (`tools/tests/corpus.rs`), so both feed the parsers the same way.
//!
//! An NSLU2 image is 8 MiB, far more than a fuzzer should mutate; the interesting bytes sit in
//! a few windows. [`nslu2_flash_from_windows`] scatters a short input over those windows of an
//! erased flash, [`nslu2_windows_from_flash`] does the reverse to make seeds.

use crate::image::nslu2::{CONFIG, FIS_DIRECTORY, FLASH_SIZE, KERNEL, MICROCODE, RAMDISK, TRAILER};

/// (offset, length) of each window, in input order.
pub const NSLU2_WINDOWS: [(usize, usize); 6] = [
    (KERNEL.offset, 64),
    (RAMDISK.offset, 64),
    (FIS_DIRECTORY.offset, 0x600),
    (CONFIG.offset, 32),
    (MICROCODE.offset, 32),
    (TRAILER.offset, 16),
];

/// An erased 8 MiB flash with `input` scattered over [`NSLU2_WINDOWS`].
pub fn nslu2_flash_from_windows(input: &[u8]) -> Vec<u8> {
    let mut flash = vec![0xFF; FLASH_SIZE];
    let mut rest = input;
    for (offset, len) in NSLU2_WINDOWS {
        let n = len.min(rest.len());
        flash[offset..offset + n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
    }
    flash
}

/// The bytes of [`NSLU2_WINDOWS`] of a flash image, concatenated (`None` if it is not 8 MiB).
pub fn nslu2_windows_from_flash(flash: &[u8]) -> Option<Vec<u8>> {
    if flash.len() != FLASH_SIZE {
        return None;
    }
    Some(
        NSLU2_WINDOWS
            .iter()
            .flat_map(|&(offset, len)| flash[offset..offset + len].iter().copied())
            .collect(),
    )
}

/// Properties every kwbimage input must satisfy; panics (for the fuzzer) if one does not.
///
/// Parsing never panics; an image that parses and verifies and that mkimage could have made
/// (canonical header trailers, zero padding) is rebuilt byte for byte from its recovered
/// configuration.
pub fn check_kwbimage(input: &[u8]) {
    use crate::image::kwbimage::{KwbConfig, OptionalHeader, build, parse};
    let Ok(parsed) = parse(input) else { return };
    let _ = KwbConfig::describe(&parsed);
    if parsed.verify().is_err() {
        return;
    }
    let (Some(payload), Some(len)) = (parsed.payload(input), parsed.image_len) else {
        return;
    };
    // mkimage writes each chain flag as exactly 0 or 1 (the parser, like U-Boot, reads bit 0
    // only) and zeroes the reserved trailer bytes (the BootROM ignores them).
    let trailers_canonical = parsed.main.ext <= 1
        && parsed.optional.iter().all(|(offset, size, header)| {
            let trailer = &input[offset + size - 4..offset + size];
            let delay_byte = usize::from(matches!(header, OptionalHeader::Register { .. }));
            trailer[0] <= 1 && trailer[1 + delay_byte..].iter().all(|&b| b == 0)
        });
    if let Ok(config) = KwbConfig::from_image(&parsed)
        && trailers_canonical
        && !payload.is_empty()
        && input.len() >= len
        && input[parsed.payload.as_ref().map_or(0, |r| r.end) + 4..len]
            .iter()
            .all(|&b| b == 0)
        && input[parsed.headers_end..parsed.main.src_addr as usize]
            .iter()
            .all(|&b| b == 0)
    {
        let rebuilt = build(&config, payload).expect("a parsed configuration must build");
        assert_eq!(
            rebuilt.as_slice(),
            &input[..len],
            "rebuild differs from the input"
        );
    }
}

/// Properties of the `kwbimage.cfg` parser: no panic; whatever parses, builds or fails cleanly,
/// and the text written back parses to the same configuration.
pub fn check_kwbimage_cfg(input: &[u8]) {
    use crate::image::kwbimage::{HeaderSpec, build, cfg};
    let Ok(text) = core::str::from_utf8(input) else {
        return;
    };
    let Ok(parsed) = cfg::parse(text, &mut |name| Ok(name.as_bytes().to_vec())) else {
        return;
    };
    let _ = build(&parsed.config, b"payload");
    let names: Vec<String> = parsed
        .config
        .headers
        .iter()
        .filter_map(|h| match h {
            HeaderSpec::Binary { code, .. } => Some(String::from_utf8_lossy(code).into_owned()),
            HeaderSpec::Register { .. } => None,
        })
        .collect();
    if names
        .iter()
        .any(|n| n.is_empty() || n.contains(char::is_whitespace))
    {
        return;
    }
    let written = cfg::to_text(&parsed.config, &names);
    let reread = cfg::parse(&written, &mut |name| Ok(name.as_bytes().to_vec()))
        .expect("written cfg must parse");
    let mut expected = parsed.config.clone();
    // BAUDRATE values without a BootROM code are not written back (they mean "default").
    if expected.baudrate.is_some_and(|r| {
        crate::image::kwbimage::BAUD_CODES
            .iter()
            .all(|(b, _)| *b != r)
    }) {
        expected.baudrate = None;
    }
    assert_eq!(reread.config, expected);
}

/// Properties of the uImage parser: no panic; a valid single-file image re-packs to the same
/// bytes; a multi-file or script image re-packs to the same components (its padding and any
/// bytes after the last component are not kept).
pub fn check_uimage(input: &[u8]) {
    use crate::image::uimage::{
        HEADER_LEN, components, has_components, pack, pack_components, parse,
    };
    let Ok((header, data)) = parse(input) else {
        return;
    };
    let name_is_canonical = input[32..HEADER_LEN]
        .iter()
        .skip(header.name_bytes.len())
        .all(|&b| b == 0)
        && core::str::from_utf8(&header.name_bytes).is_ok();
    let parts = components(data);
    if !name_is_canonical {
        return;
    }
    if !has_components(header.params.image_type) {
        let repacked = pack(&header.params, data).expect("a parsed header must pack");
        assert_eq!(repacked.as_slice(), &input[..HEADER_LEN + data.len()]);
    } else if let Ok(parts) = parts {
        let repacked =
            pack_components(&header.params, &parts).expect("parsed components must pack");
        let (_, again) = parse(&repacked).expect("a packed image must parse");
        assert_eq!(components(again).expect("packed components parse"), parts);
    }
}

/// Properties of the NSLU2 unpacker on [`nslu2_flash_from_windows`]`(input)`: no panic; what
/// unpacks re-packs, and unpacking that gives the same contents.
pub fn check_nslu2(input: &[u8]) {
    use crate::image::nslu2::{pack, unpack};
    let flash = nslu2_flash_from_windows(input);
    let Ok(unpacked) = unpack(&flash) else { return };
    let Ok(repacked) = pack(&unpacked.contents) else {
        return;
    };
    let again = unpack(&repacked).expect("a packed image must unpack");
    assert_eq!(again.contents, unpacked.contents);
}
