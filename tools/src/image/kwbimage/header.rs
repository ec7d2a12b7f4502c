//! kwbimage v1 on-disk structures and the parser.

use core::ops::Range;

use super::{data_checksum, header_checksum};
use crate::image::bytes::{Hex, ParseError, align_up, le16, le32, slice, u8_at};

/// Length of the main header.
pub const MAIN_HEADER_LEN: usize = 32;
pub(crate) const CHECKSUM_OFFSET: usize = 0x1F;

/// Boot source the image is built for (main header byte 0, `blockid`; U-Boot `kwbimage.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BootSource {
    /// SPI or parallel NOR flash (0x5A).
    Spi,
    /// Parallel NAND flash (0x8B).
    Nand,
    /// Xmodem over UART0, as sent by `kwboot` (0x69).
    Uart,
    /// SATA disk (0x78).
    Sata,
    /// PCIe endpoint (0x9C).
    Pex,
    /// SD/eMMC (0xAE).
    Sdio,
    /// I2C (0x4D).
    I2c,
}

impl BootSource {
    /// All boot sources, for help texts and tests.
    pub const ALL: [BootSource; 7] = [
        Self::Spi,
        Self::Nand,
        Self::Uart,
        Self::Sata,
        Self::Pex,
        Self::Sdio,
        Self::I2c,
    ];

    /// The `blockid` byte.
    pub const fn id(self) -> u8 {
        match self {
            Self::Spi => 0x5A,
            Self::Nand => 0x8B,
            Self::Uart => 0x69,
            Self::Sata => 0x78,
            Self::Pex => 0x9C,
            Self::Sdio => 0xAE,
            Self::I2c => 0x4D,
        }
    }

    /// The boot source for a `blockid` byte.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The `BOOT_FROM` keyword value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Spi => "spi",
            Self::Nand => "nand",
            Self::Uart => "uart",
            Self::Sata => "sata",
            Self::Pex => "pex",
            Self::Sdio => "sdio",
            Self::I2c => "i2c",
        }
    }

    /// Parses a `BOOT_FROM` value (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// Whether this tool can build images for the source (and locate their payload). SATA, SDIO
    /// and PEX store `src_addr` in units that changed between U-Boot releases; they are listed
    /// but not built.
    pub const fn is_supported(self) -> bool {
        matches!(self, Self::Spi | Self::Nand | Self::Uart | Self::I2c)
    }

    /// Alignment of the payload offset (`src_addr`) for this medium (U-Boot 2023.01
    /// `image_headersz_align`): UART 128, NAND 256, others 4.
    pub const fn payload_alignment(self) -> usize {
        match self {
            Self::Uart => 128,
            Self::Nand => 256,
            Self::Sdio | Self::Sata => 512,
            Self::Spi | Self::Pex | Self::I2c => 4,
        }
    }

    /// Alignment of the whole file (U-Boot 2023.01 `kwbimage_generate`): SPI and NAND 256,
    /// UART 128, SDIO/SATA 512, others 4.
    pub const fn file_alignment(self) -> usize {
        match self {
            Self::Spi | Self::Nand => 256,
            Self::Uart => 128,
            Self::Sdio | Self::Sata => 512,
            Self::Pex | Self::I2c => 4,
        }
    }
}

/// The 32-byte main header, field by field (U-Boot `struct main_hdr_v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MainHeader {
    /// 0x00 boot source id (see [`BootSource`]).
    pub block_id: u8,
    /// 0x01 flags; bit 0 = BootROM debug output.
    pub flags: u8,
    /// 0x02 NAND page size in bytes (0 = unspecified).
    pub nand_page_size: u16,
    /// 0x04 payload size including its 4-byte checksum.
    pub block_size: u32,
    /// 0x08 header version (1).
    pub version: u8,
    /// 0x09..0x0C header size (24 bits): main plus optional headers (plus padding in vendor images).
    pub header_size: u32,
    /// 0x0C offset of the payload in the image.
    pub src_addr: u32,
    /// 0x10 RAM address the payload is copied to.
    pub dest_addr: u32,
    /// 0x14 entry point.
    pub exec_addr: u32,
    /// 0x18 UART options: bits 2..0 baud code, 4..3 port, 7..5 MPP set.
    pub options: u8,
    /// 0x19 NAND erase-block size in 64 KiB units.
    pub nand_block_size: u8,
    /// 0x1A NAND bad-block marker location.
    pub nand_bad_block_location: u8,
    /// 0x1B..0x1E reserved bytes (kept so that re-serialising is exact).
    pub reserved: [u8; 3],
    /// 0x1E bit 0 set if optional headers follow (the other bits are ignored, as by U-Boot).
    pub ext: u8,
    /// 0x1F 8-bit header checksum.
    pub checksum: u8,
}

impl MainHeader {
    /// Reads the main header from the start of `image`.
    pub fn parse(image: &[u8]) -> Result<Self, ParseError> {
        const WHAT: &str = "kwbimage main header";
        let raw = slice(image, 0, MAIN_HEADER_LEN, WHAT)?;
        let msb = u32::from(u8_at(raw, 0x09, WHAT)?);
        Ok(Self {
            block_id: u8_at(raw, 0x00, WHAT)?,
            flags: u8_at(raw, 0x01, WHAT)?,
            nand_page_size: le16(raw, 0x02, WHAT)?,
            block_size: le32(raw, 0x04, WHAT)?,
            version: u8_at(raw, 0x08, WHAT)?,
            header_size: (msb << 16) | u32::from(le16(raw, 0x0A, WHAT)?),
            src_addr: le32(raw, 0x0C, WHAT)?,
            dest_addr: le32(raw, 0x10, WHAT)?,
            exec_addr: le32(raw, 0x14, WHAT)?,
            options: u8_at(raw, 0x18, WHAT)?,
            nand_block_size: u8_at(raw, 0x19, WHAT)?,
            nand_bad_block_location: u8_at(raw, 0x1A, WHAT)?,
            reserved: [
                u8_at(raw, 0x1B, WHAT)?,
                u8_at(raw, 0x1C, WHAT)?,
                u8_at(raw, 0x1D, WHAT)?,
            ],
            ext: u8_at(raw, 0x1E, WHAT)?,
            checksum: u8_at(raw, CHECKSUM_OFFSET, WHAT)?,
        })
    }

    /// Serialises the header (the checksum byte as stored in `self.checksum`).
    pub fn to_bytes(&self) -> [u8; MAIN_HEADER_LEN] {
        let mut b = [0u8; MAIN_HEADER_LEN];
        b[0x00] = self.block_id;
        b[0x01] = self.flags;
        b[0x02..0x04].copy_from_slice(&self.nand_page_size.to_le_bytes());
        b[0x04..0x08].copy_from_slice(&self.block_size.to_le_bytes());
        b[0x08] = self.version;
        b[0x09] = ((self.header_size >> 16) & 0xFF) as u8;
        b[0x0A..0x0C].copy_from_slice(&((self.header_size & 0xFFFF) as u16).to_le_bytes());
        b[0x0C..0x10].copy_from_slice(&self.src_addr.to_le_bytes());
        b[0x10..0x14].copy_from_slice(&self.dest_addr.to_le_bytes());
        b[0x14..0x18].copy_from_slice(&self.exec_addr.to_le_bytes());
        b[0x18] = self.options;
        b[0x19] = self.nand_block_size;
        b[0x1A] = self.nand_bad_block_location;
        b[0x1B..0x1E].copy_from_slice(&self.reserved);
        b[0x1E] = self.ext;
        b[CHECKSUM_OFFSET] = self.checksum;
        b
    }

    /// The boot source, if `block_id` is a known one.
    pub fn boot_source(&self) -> Option<BootSource> {
        BootSource::from_id(self.block_id)
    }
}

/// One register write of a register-set header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterWrite {
    /// Register address.
    pub address: u32,
    /// Value written.
    pub value: u32,
}

/// An optional header as found in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionalHeader {
    /// Type 1: secure-boot header (kept raw; not used on Armada 370).
    Secure {
        /// The whole header including prefix and trailer.
        raw: Vec<u8>,
    },
    /// Type 2: binary code executed by the BootROM (e.g. DDR training).
    Binary {
        /// Arguments (including any dummy alignment arguments mkimage inserted).
        args: Vec<u32>,
        /// Code including its zero padding to 4 bytes.
        code: Vec<u8>,
        /// Offset of the first code byte in the image.
        code_offset: usize,
    },
    /// Type 3: register writes.
    Register {
        /// The writes.
        entries: Vec<RegisterWrite>,
        /// Delay byte of the trailer (0 = BootROM SDRAM setup).
        delay: u8,
    },
    /// Any other type (kept raw).
    Unknown {
        /// The type byte.
        kind: u8,
        /// The whole header including prefix and trailer.
        raw: Vec<u8>,
    },
}

impl OptionalHeader {
    /// Human-readable type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Secure { .. } => "secure",
            Self::Binary { .. } => "binary",
            Self::Register { .. } => "register",
            Self::Unknown { .. } => "unknown",
        }
    }
}

/// A parsed image: headers, checksums (stored and computed) and where the payload is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedImage {
    /// The main header as stored.
    pub main: MainHeader,
    /// Optional headers in order, each with its offset and total size.
    pub optional: Vec<(usize, usize, OptionalHeader)>,
    /// End of the last optional header (or of the main header): where padding starts.
    pub headers_end: usize,
    /// Header checksum computed over `header_size` bytes.
    pub header_checksum_computed: u8,
    /// Byte range of the payload (without its checksum) in the file, if the boot source stores
    /// `src_addr` as a byte offset.
    pub payload: Option<Range<usize>>,
    /// Stored payload checksum, if the payload could be located.
    pub data_checksum_stored: Option<u32>,
    /// Computed payload checksum, if the payload could be located.
    pub data_checksum_computed: Option<u32>,
    /// Length of the image proper (payload end padded to the medium's alignment), if known.
    pub image_len: Option<usize>,
}

impl ParsedImage {
    /// True if the stored header checksum matches.
    pub fn header_checksum_ok(&self) -> bool {
        self.header_checksum_computed == self.main.checksum
    }

    /// True if the stored data checksum matches (false if the payload could not be located).
    pub fn data_checksum_ok(&self) -> bool {
        matches!((self.data_checksum_stored, self.data_checksum_computed), (Some(a), Some(b)) if a == b)
    }

    /// Returns an error describing the first bad checksum, if any.
    pub fn verify(&self) -> Result<(), ParseError> {
        if !self.header_checksum_ok() {
            return Err(ParseError::Checksum {
                what: "kwbimage header checksum",
                offset: CHECKSUM_OFFSET,
                stored: self.main.checksum.into(),
                computed: self.header_checksum_computed.into(),
            });
        }
        if let (Some(range), Some(stored), Some(computed)) = (
            &self.payload,
            self.data_checksum_stored,
            self.data_checksum_computed,
        ) && stored != computed
        {
            return Err(ParseError::Checksum {
                what: "kwbimage data checksum",
                offset: align_up(range.end, 4),
                stored,
                computed,
            });
        }
        Ok(())
    }

    /// The payload bytes (without padding or checksum).
    ///
    /// The payload length is `block_size - 4`, which includes mkimage's padding to 4 bytes:
    /// the original length is not stored in the image.
    pub fn payload<'a>(&self, image: &'a [u8]) -> Option<&'a [u8]> {
        self.payload.clone().and_then(|r| image.get(r))
    }

    /// Binary headers in order: `(args, code)`.
    pub fn binary_headers(&self) -> impl Iterator<Item = (&[u32], &[u8])> {
        self.optional.iter().filter_map(|(_, _, h)| match h {
            OptionalHeader::Binary { args, code, .. } => Some((args.as_slice(), code.as_slice())),
            _ => None,
        })
    }
}

/// Parses a kwbimage v1 image.
///
/// Structural problems (truncation, wrong version, broken header chain) are errors; checksum
/// mismatches are not — they are reported in [`ParsedImage`] so that `info` can show a damaged
/// image. Call [`ParsedImage::verify`] to turn them into errors. Bytes after the image are
/// ignored, so a whole boot-partition dump can be parsed.
pub fn parse(image: &[u8]) -> Result<ParsedImage, ParseError> {
    let main = MainHeader::parse(image)?;
    if main.version != 1 {
        return Err(ParseError::Invalid {
            what: "kwbimage main header",
            offset: 0x08,
            reason: format!(
                "version {} is not supported (only v1, Armada 370/XP); blockid byte is {:#04x}",
                main.version, main.block_id
            ),
        });
    }
    if main.boot_source().is_none() {
        return Err(ParseError::BadMagic {
            what: "kwbimage blockid",
            offset: 0,
            expected: "one of 5a 8b 69 78 9c ae 4d".into(),
            found: Hex(&[main.block_id]).to_string(),
        });
    }
    let header_size = main.header_size as usize;
    if header_size < MAIN_HEADER_LEN {
        return Err(ParseError::Invalid {
            what: "kwbimage header size",
            offset: 0x09,
            reason: format!("{header_size:#x} is smaller than the 32-byte main header"),
        });
    }
    let header_area = slice(image, 0, header_size, "kwbimage header area")?;

    let mut optional = Vec::new();
    let mut offset = MAIN_HEADER_LEN;
    // Only bit 0 of the main header's ext byte and of each optional header's "next" byte chains
    // another header: U-Boot tools/kwbimage.h, opt_hdr_v1_first() and opt_hdr_v1_next(). Any
    // other non-zero value ends the chain there, so this walk matches what mkimage/kwboot see.
    let mut more = main.ext & 1 != 0;
    // Each header is at least 8 bytes, so the walk ends after at most header_size / 8 steps.
    while more {
        if optional.len() > header_size / 8 {
            return Err(ParseError::Invalid {
                what: "kwbimage optional header chain",
                offset,
                reason: "more headers than fit in the header area".into(),
            });
        }
        let (size, next, header) = parse_optional(header_area, offset)?;
        optional.push((offset, size, header));
        offset += size;
        more = next;
    }
    let headers_end = offset;

    let header_checksum_computed = header_checksum(header_area);

    let source = main.boot_source();
    let (payload, data_checksum_stored, data_checksum_computed, image_len) = match source
        .filter(|s| s.is_supported())
    {
        Some(source) => {
            let src = main.src_addr as usize;
            if src < headers_end {
                return Err(ParseError::Invalid {
                    what: "kwbimage src_addr",
                    offset: 0x0C,
                    reason: format!(
                        "payload offset {src:#x} lies inside the headers (they end at {headers_end:#x})"
                    ),
                });
            }
            if main.block_size < 4 {
                return Err(ParseError::Invalid {
                    what: "kwbimage block_size",
                    offset: 0x04,
                    reason: format!(
                        "{:#x} is too small to hold the 4-byte data checksum",
                        main.block_size
                    ),
                });
            }
            let data_len = main.block_size as usize - 4;
            let data = slice(image, src, data_len, "kwbimage payload")?;
            let stored = le32(image, src + data_len, "kwbimage data checksum")?;
            let end = src + data_len + 4;
            (
                Some(src..src + data_len),
                Some(stored),
                Some(data_checksum(data)),
                Some(align_up(end, source.file_alignment())),
            )
        }
        None => (None, None, None, None),
    };

    Ok(ParsedImage {
        main,
        optional,
        headers_end,
        header_checksum_computed,
        payload,
        data_checksum_stored,
        data_checksum_computed,
        image_len,
    })
}

/// Parses the optional header at `offset` inside `area`; returns (size, next flag, header).
fn parse_optional(area: &[u8], offset: usize) -> Result<(usize, bool, OptionalHeader), ParseError> {
    const WHAT: &str = "kwbimage optional header";
    let kind = u8_at(area, offset, WHAT)?;
    let size = (usize::from(u8_at(area, offset + 1, WHAT)?) << 16)
        | usize::from(le16(area, offset + 2, WHAT)?);
    if size < 8 || offset + size > area.len() {
        return Err(ParseError::Invalid {
            what: WHAT,
            offset,
            reason: format!(
                "size {size:#x} is invalid (must be at least 8 and end inside the {:#x}-byte header area)",
                area.len()
            ),
        });
    }
    let raw = &area[offset..offset + size];
    let next = raw[size - 4] & 1 != 0;
    let header = match kind {
        1 => OptionalHeader::Secure { raw: raw.to_vec() },
        2 => {
            let nargs = le32(raw, 4, WHAT)? as usize;
            let code_start = nargs
                .checked_mul(4)
                .and_then(|n| n.checked_add(8))
                .filter(|&start| start <= size - 4)
                .ok_or_else(|| ParseError::Invalid {
                    what: "kwbimage binary header",
                    offset: offset + 4,
                    reason: format!("{nargs} arguments do not fit in a {size:#x}-byte header"),
                })?;
            let args = raw[8..code_start]
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .collect();
            OptionalHeader::Binary {
                args,
                code: raw[code_start..size - 4].to_vec(),
                code_offset: offset + code_start,
            }
        }
        3 => {
            if !(size - 8).is_multiple_of(8) {
                return Err(ParseError::Invalid {
                    what: "kwbimage register header",
                    offset,
                    reason: format!("size {size:#x} is not 8 + a multiple of 8"),
                });
            }
            let entries = raw[4..size - 4]
                .chunks_exact(8)
                .map(|e| RegisterWrite {
                    address: u32::from_le_bytes([e[0], e[1], e[2], e[3]]),
                    value: u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
                })
                .collect();
            OptionalHeader::Register {
                entries,
                delay: raw[size - 3],
            }
        }
        other => OptionalHeader::Unknown {
            kind: other,
            raw: raw.to_vec(),
        },
    };
    Ok((size, next, header))
}
