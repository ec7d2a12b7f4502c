//! U-Boot legacy image (`uImage`): a 64-byte big-endian header in front of the data
//! (U-Boot `include/image.h`, `struct legacy_img_hdr`; `tools/default_image.c`).
//!
//! ```text
//! 0x00 magic 0x27051956   0x04 header CRC32   0x08 time      0x0C data size
//! 0x10 load address       0x14 entry point    0x18 data CRC32
//! 0x1C os  0x1D arch  0x1E type  0x1F compression   0x20 name (32 bytes, NUL padded)
//! ```
//!
//! Both CRCs are the zlib/IEEE CRC-32; the header CRC is computed with its own field zeroed.
//! [`pack`] produces the same bytes as `mkimage -A … -O … -T … -C … -a … -e … -n … -d …`
//! when mkimage's timestamp is pinned (`SOURCE_DATE_EPOCH`).
//!
//! Multi-file and script images ([`COMPONENT_TYPES`]; `mkimage -T multi|script -d a:b:…`) carry
//! several components in their data: a table of their sizes (big-endian words, ended by a zero
//! word), then each component, padded with zeros to a multiple of four bytes except the last
//! (U-Boot `tools/mkimage.c`, `main` and `copy_datafile`; read back by `boot/image.c`
//! `image_multi_getimg`, which U-Boot's `source` command uses to find a script's text).
//! [`pack_components`] writes them and [`components`] reads them.

use crc::{CRC_32_ISO_HDLC, Crc};

use crate::image::bytes::{Hex, ParseError, be32, slice};

/// `ih_magic`.
pub const MAGIC: u32 = 0x2705_1956;
/// Header length.
pub const HEADER_LEN: usize = 64;
/// Longest name (`IH_NMLEN`).
pub const NAME_LEN: usize = 32;

const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// A one-byte code with its mkimage name, for `ih_os`, `ih_arch`, `ih_type` and `ih_comp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// Value stored in the header.
    pub value: u8,
    /// mkimage's name for it (`mkimage -A list` etc.).
    pub name: &'static str,
}

const fn code(value: u8, name: &'static str) -> Code {
    Code { value, name }
}

/// `ih_arch` values (`IH_ARCH_*`) that this tool knows by name.
pub const ARCHES: &[Code] = &[
    code(2, "arm"),
    code(3, "x86"),
    code(5, "mips"),
    code(7, "powerpc"),
    code(22, "arm64"),
    code(24, "x86_64"),
    code(26, "riscv"),
];
/// `ih_os` values (`IH_OS_*`) that this tool knows by name.
pub const OSES: &[Code] = &[
    code(1, "openbsd"),
    code(2, "netbsd"),
    code(3, "freebsd"),
    code(5, "linux"),
    code(14, "vxworks"),
    code(16, "qnx"),
    code(17, "u-boot"),
    code(18, "rtems"),
];
/// `ih_type` values (`IH_TYPE_*`) for single-file images that this tool builds with [`pack`].
/// The types whose data starts with a size table are [`COMPONENT_TYPES`].
pub const TYPES: &[Code] = &[
    code(1, "standalone"),
    code(2, "kernel"),
    code(3, "ramdisk"),
    code(5, "firmware"),
    code(7, "filesystem"),
    code(14, "kernel_noload"),
];
/// `ih_type` values whose data is a table of component sizes and the components
/// ([`pack_components`]): `IH_TYPE_MULTI` and `IH_TYPE_SCRIPT`.
pub const COMPONENT_TYPES: &[Code] = &[code(4, "multi"), code(6, "script")];

/// Whether an image of this `ih_type` holds a component table ([`COMPONENT_TYPES`]).
pub fn has_components(image_type: u8) -> bool {
    COMPONENT_TYPES.iter().any(|c| c.value == image_type)
}

/// `ih_comp` values (`IH_COMP_*`). mkimage only labels the data; it never compresses it.
pub const COMPRESSIONS: &[Code] = &[
    code(0, "none"),
    code(1, "gzip"),
    code(2, "bzip2"),
    code(3, "lzma"),
    code(4, "lzo"),
    code(5, "lz4"),
    code(6, "zstd"),
];

/// Looks a name up in one of the code tables.
pub fn code_by_name(table: &[Code], name: &str) -> Option<u8> {
    table.iter().find(|c| c.name == name).map(|c| c.value)
}

/// The name of a value in one of the code tables, or `"unknown"`.
pub fn code_name(table: &[Code], value: u8) -> &'static str {
    table
        .iter()
        .find(|c| c.value == value)
        .map_or("unknown", |c| c.name)
}

/// Everything in the header except sizes and CRCs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UImageParams {
    /// `ih_arch` (2 = ARM).
    pub arch: u8,
    /// `ih_os` (5 = Linux: what the stock Mirabox U-Boot's `bootm` boots with ATAGs).
    pub os: u8,
    /// `ih_type` (2 = kernel).
    pub image_type: u8,
    /// `ih_comp` (0 = none).
    pub compression: u8,
    /// `ih_load`: where `bootm` copies the data.
    pub load_addr: u32,
    /// `ih_ep`: where `bootm` jumps.
    pub entry_addr: u32,
    /// `ih_name`, at most 32 bytes.
    pub name: String,
    /// `ih_time`, Unix seconds. Pin it for reproducible builds.
    pub timestamp: u32,
}

impl UImageParams {
    /// An ARM Linux kernel image, uncompressed: what `mkimage -A arm -O linux -T kernel -C none`
    /// makes, and what the stock Mirabox U-Boot (2009.08) `bootm`s.
    pub fn arm_linux_kernel(load_addr: u32, entry_addr: u32, name: &str, timestamp: u32) -> Self {
        Self {
            arch: 2,
            os: 5,
            image_type: 2,
            compression: 0,
            load_addr,
            entry_addr,
            name: name.to_owned(),
            timestamp,
        }
    }
}

/// Why an image could not be packed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// mkimage would silently truncate; we refuse.
    #[error("name is {0} bytes long; a uImage name holds at most 32")]
    NameTooLong(usize),
    /// The size field is 32 bits.
    #[error("payload of {0} bytes does not fit a uImage")]
    PayloadTooLarge(usize),
    /// [`pack`] was given a multi-file or script type.
    #[error("image type {0} holds a table of components: give it its components")]
    ComponentsExpected(u8),
    /// [`pack_components`] was given a single-file type.
    #[error("image type {0} holds one file, not a table of components")]
    SingleFileExpected(u8),
    /// mkimage refuses these too: an image with no component, or an empty one (mkimage:
    /// "Input file … is empty, bailing out").
    #[error("component {0} is empty")]
    EmptyComponent(usize),
    /// A multi-file or script image needs at least one component.
    #[error("a multi-file or script image needs at least one component")]
    NoComponents,
}

/// Builds a single-file uImage: 64-byte header followed by `payload` (no padding).
pub fn pack(params: &UImageParams, payload: &[u8]) -> Result<Vec<u8>, PackError> {
    if has_components(params.image_type) {
        return Err(PackError::ComponentsExpected(params.image_type));
    }
    pack_data(params, payload)
}

/// Builds a multi-file or script uImage from its components, in order: what `mkimage -T
/// multi|script -d a:b:…` writes.
pub fn pack_components(params: &UImageParams, parts: &[&[u8]]) -> Result<Vec<u8>, PackError> {
    if !has_components(params.image_type) {
        return Err(PackError::SingleFileExpected(params.image_type));
    }
    if parts.is_empty() {
        return Err(PackError::NoComponents);
    }
    let mut data = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return Err(PackError::EmptyComponent(index));
        }
        let size = u32::try_from(part.len()).map_err(|_| PackError::PayloadTooLarge(part.len()))?;
        data.extend_from_slice(&size.to_be_bytes());
    }
    data.extend_from_slice(&0u32.to_be_bytes());
    for (index, part) in parts.iter().enumerate() {
        data.extend_from_slice(part);
        if index + 1 < parts.len() {
            data.resize(data.len().next_multiple_of(4), 0);
        }
    }
    pack_data(params, &data)
}

/// The components of a multi-file or script image's data (as [`parse`] returns it). Offsets in
/// errors count from the start of the image, whose data begins at [`HEADER_LEN`].
pub fn components(data: &[u8]) -> Result<Vec<&[u8]>, ParseError> {
    const TABLE: &str = "uImage component size table";
    let mut sizes = Vec::new();
    loop {
        let offset = sizes.len() * 4;
        let size = be32(data, offset, TABLE).map_err(|e| at_file_offset(e, offset))?;
        if size == 0 {
            break;
        }
        sizes.push(size as usize);
    }
    if sizes.is_empty() {
        return Err(ParseError::Invalid {
            what: TABLE,
            offset: HEADER_LEN,
            reason: "no component (the first size is zero)".into(),
        });
    }
    let mut offset = (sizes.len() + 1) * 4;
    let mut parts = Vec::with_capacity(sizes.len());
    for (index, &size) in sizes.iter().enumerate() {
        let part =
            slice(data, offset, size, "uImage component").map_err(|e| at_file_offset(e, offset))?;
        parts.push(part);
        offset += size;
        if index + 1 < sizes.len() {
            offset = offset.next_multiple_of(4);
        }
    }
    Ok(parts)
}

/// A truncation found inside the data, reported at its offset in the whole image.
fn at_file_offset(error: ParseError, data_offset: usize) -> ParseError {
    match error {
        ParseError::Truncated {
            what,
            needed,
            file_len,
            ..
        } => ParseError::Truncated {
            what,
            offset: HEADER_LEN + data_offset,
            needed,
            file_len: HEADER_LEN + file_len,
        },
        other => other,
    }
}

fn pack_data(params: &UImageParams, payload: &[u8]) -> Result<Vec<u8>, PackError> {
    let name = params.name.as_bytes();
    if name.len() > NAME_LEN {
        return Err(PackError::NameTooLong(name.len()));
    }
    let size =
        u32::try_from(payload.len()).map_err(|_| PackError::PayloadTooLarge(payload.len()))?;
    let mut image = Vec::with_capacity(HEADER_LEN + payload.len());
    image.extend_from_slice(&MAGIC.to_be_bytes());
    image.extend_from_slice(&[0; 4]); // header CRC, filled in below
    image.extend_from_slice(&params.timestamp.to_be_bytes());
    image.extend_from_slice(&size.to_be_bytes());
    image.extend_from_slice(&params.load_addr.to_be_bytes());
    image.extend_from_slice(&params.entry_addr.to_be_bytes());
    image.extend_from_slice(&CRC32.checksum(payload).to_be_bytes());
    image.extend_from_slice(&[
        params.os,
        params.arch,
        params.image_type,
        params.compression,
    ]);
    image.extend_from_slice(name);
    image.resize(HEADER_LEN, 0);
    let header_crc = CRC32.checksum(&image[..HEADER_LEN]);
    image[4..8].copy_from_slice(&header_crc.to_be_bytes());
    image.extend_from_slice(payload);
    Ok(image)
}

/// A parsed header with both CRCs checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UImageHeader {
    /// The parameters (name decoded lossily).
    pub params: UImageParams,
    /// Raw name bytes up to the first NUL.
    pub name_bytes: Vec<u8>,
    /// `ih_size`.
    pub data_size: u32,
    /// Stored header CRC.
    pub header_crc: u32,
    /// Stored data CRC.
    pub data_crc: u32,
}

/// Parses and verifies a uImage: magic, header CRC, size and data CRC. Trailing bytes after the
/// data (e.g. flash padding) are allowed. Returns the header and the data.
pub fn parse(image: &[u8]) -> Result<(UImageHeader, &[u8]), ParseError> {
    const WHAT: &str = "uImage header";
    let header = slice(image, 0, HEADER_LEN, WHAT)?;
    let magic = be32(header, 0, WHAT)?;
    if magic != MAGIC {
        return Err(ParseError::BadMagic {
            what: WHAT,
            offset: 0,
            expected: "27051956".into(),
            found: Hex(&header[..4]).to_string(),
        });
    }
    let header_crc = be32(header, 4, WHAT)?;
    let mut zeroed = [0u8; HEADER_LEN];
    zeroed.copy_from_slice(header);
    zeroed[4..8].fill(0);
    let computed = CRC32.checksum(&zeroed);
    if computed != header_crc {
        return Err(ParseError::Checksum {
            what: "uImage header CRC",
            offset: 4,
            stored: header_crc,
            computed,
        });
    }
    let data_size = be32(header, 12, WHAT)?;
    let data = slice(image, HEADER_LEN, data_size as usize, "uImage data")?;
    let data_crc = be32(header, 24, WHAT)?;
    let computed = CRC32.checksum(data);
    if computed != data_crc {
        return Err(ParseError::Checksum {
            what: "uImage data CRC",
            offset: 24,
            stored: data_crc,
            computed,
        });
    }
    let raw_name = &header[32..64];
    let name_bytes = raw_name
        .split(|&b| b == 0)
        .next()
        .unwrap_or_default()
        .to_vec();
    let params = UImageParams {
        os: header[28],
        arch: header[29],
        image_type: header[30],
        compression: header[31],
        load_addr: be32(header, 16, WHAT)?,
        entry_addr: be32(header, 20, WHAT)?,
        name: String::from_utf8_lossy(&name_bytes).into_owned(),
        timestamp: be32(header, 8, WHAT)?,
    };
    Ok((
        UImageHeader {
            params,
            name_bytes,
            data_size,
            header_crc,
            data_crc,
        },
        data,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by U-Boot 2023.01's mkimage: `SOURCE_DATE_EPOCH=1700000000 mkimage -A arm -O linux
    // -T kernel -C none -a 0x8000 -e 0x8000 -n mirabox-fw -d loop.bin` with loop.bin = `b .`
    // (header layout: U-Boot include/image.h, `struct legacy_img_hdr`).
    #[test]
    fn matches_reference_vector() {
        let params = UImageParams::arm_linux_kernel(0x8000, 0x8000, "mirabox-fw", 1_700_000_000);
        let image = pack(&params, &[0xfe, 0xff, 0xff, 0xea]).unwrap();
        assert_eq!(image.len(), 68);
        assert_eq!(&image[4..8], &[0x93, 0xbd, 0x00, 0xda]);
        assert_eq!(&image[24..28], &[0x2a, 0x9e, 0x7c, 0x71]);
        let (header, data) = parse(&image).unwrap();
        assert_eq!(header.params, params);
        assert_eq!(data, &[0xfe, 0xff, 0xff, 0xea]);
    }

    #[test]
    fn corrupted_images_are_rejected_with_offsets() {
        let params = UImageParams::arm_linux_kernel(0, 0, "x", 0);
        let mut image = pack(&params, b"data").unwrap();
        image[66] ^= 1;
        assert!(matches!(
            parse(&image),
            Err(ParseError::Checksum { offset: 24, .. })
        ));
        assert!(matches!(
            parse(&image[..66]),
            Err(ParseError::Truncated { offset: 64, .. })
        ));
        assert_eq!(
            pack(
                &UImageParams {
                    name: "n".repeat(33),
                    ..params
                },
                b""
            )
            .unwrap_err(),
            PackError::NameTooLong(33)
        );
    }
}
