//! The Linksys NSLU2 8 MiB flash image, laid out like nslu2-linux's `slugimage`
//! (OpenWrt `scripts/slugimage.pl`) without the optional second-stage "Loader".
//!
//! ```text
//! 0x000000  RedBoot      256 KiB  boot loader; MAC at 0x3FFB0, Sercomm RedBoot trailer at 0x3FFBA
//! 0x040000  SysConf      128 KiB  Linksys settings
//! 0x060000  Kernel         1 MiB  16-byte header (BE32 length, 12 zero bytes) + code, 0xFF padded
//! 0x160000  Ramdisk     6.5 MiB  16-byte header + data; length 0 when unused (never erased:
//!                                 RedBoot copies "length" bytes unchecked, 0xFFFFFFFF hangs it)
//! 0x7E0000  FIS directory         RedBoot partition table (256-byte big-endian entries), 0xFF padded
//! 0x7F8000  Config        16 KiB  slugimage's "Loader config" slot; here: proxy configuration,
//!                                 16-byte header + text (ours; empty = erased)
//! 0x7FC000  Microcode     12 KiB  NPE-B microcode, 16-byte header + file, user supplied (as SlugOS)
//! 0x7FFFF0  Trailer       16 B    Sercomm flash trailer, "eRcOmM" at 0x7FFFF8
//! ```
//!
//! RedBoot boots by copying the kernel partition to RAM 0x01D00000 (at most 0xFFFF0 bytes)
//! and jumping there; it never reads the FIS directory, which exists for Linux and tools.
//! Facts: the Linksys RedBoot GPL tree (`upgrade.c`, its `VCI_TABLE` and flash-trailer checks),
//! nslu2-linux's `slugimage` (`printRedbootTrailer`, its default partition table) and `upslug2`
//! (the "eRcOmM" signature at file end - 8).

use crate::image::bytes::{ParseError, be32, slice};

// The layout itself is shared with the firmware (`boards/nslu2/layout`), written once there.
pub use nslu2_layout::{
    BLOCK_SIZE, CONFIG, FIS_DIRECTORY, FLASH_SIZE, KERNEL, MAC_ADDRESS_OFFSET as MAC_OFFSET,
    MICROCODE, RAMDISK, REDBOOT, Region, SYSCONF, TRAILER,
};
/// Where the flash appears in the IXP420 address map; FIS entries store absolute addresses.
pub const FLASH_BASE: u32 = nslu2_layout::FLASH_BASE as u32;
/// Length of the Sercomm partition header (the firmware's configuration slot header).
pub const PART_HEADER_LEN: usize = app::config_slot::HEADER_LEN;
const _: () = assert!(PART_HEADER_LEN == nslu2_layout::SLOT_HEADER_LEN);
/// Largest kernel RedBoot copies without touching the Ramdisk partition.
pub const KERNEL_MAX: usize = KERNEL.size - PART_HEADER_LEN;

/// slugimage's default Sercomm flash trailer: product 1, protocol 0, version 0x2363, "eRcOmM".
pub const DEFAULT_TRAILER: [u8; 16] = [
    0x00, 0x01, 0x00, 0x00, 0x23, 0x63, 0x90, 0xF7, b'e', b'R', b'c', b'O', b'm', b'M', 0x00, 0xB4,
];

/// The last 70 bytes of a RedBoot partition that slugimage writes when it has to invent one
/// (the Sercomm upgrade tools check this hardware id): "sErCoMm", VerControl 1, DownControl 0,
/// HID 04 70 31 95 58 10, ProdID 1, FuncID 3, Fver 0x2363, Csize 0x20, "sErCoMm".
pub const DEFAULT_REDBOOT_TRAILER: [u8; 70] = {
    let mut t = [0u8; 70];
    let head = *b"sErCoMm\x00\x01\x00\x00\x04\x70\x31\x95\x58\x10";
    let mut i = 0;
    while i < head.len() {
        t[i] = head[i];
        i += 1;
    }
    let tail =
        *b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x23\x63\x00\x00\x00\x20sErCoMm";
    let mut j = 0;
    while j < tail.len() {
        t[43 + j] = tail[j];
        j += 1;
    }
    t
};

/// Everything that goes into a flash image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlashContents {
    /// RedBoot partition, exactly 256 KiB (normally from the user's own flash dump); `None`
    /// invents one like slugimage: zeros ending in [`DEFAULT_REDBOOT_TRAILER`] — flashable with
    /// upgrade tools, which never rewrite RedBoot, but not bootable.
    pub redboot: Option<Vec<u8>>,
    /// SysConf partition, at most 128 KiB (0xFF padded); `None` = 128 KiB of zeros (slugimage).
    pub sysconf: Option<Vec<u8>>,
    /// The code RedBoot loads (this firmware's big-endian binary), at most [`KERNEL_MAX`].
    pub kernel: Vec<u8>,
    /// Ramdisk data; empty = a valid header with length 0.
    pub ramdisk: Vec<u8>,
    /// Proxy configuration text for the [`CONFIG`] slot (`None` = erased).
    pub config: Option<Vec<u8>>,
    /// NPE-B microcode for the [`MICROCODE`] slot (`None` = erased). Never shipped by us.
    pub microcode: Option<Vec<u8>>,
    /// Sercomm flash trailer (`None` = [`DEFAULT_TRAILER`]).
    pub trailer: Option<[u8; 16]>,
    /// Overrides the MAC address bytes at [`MAC_OFFSET`] (slugimage `-e`).
    pub mac: Option<[u8; 6]>,
}

/// Why an image could not be packed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// A part is larger than its slot.
    #[error("{part} is {len} bytes ({len:#x}); its slot holds at most {max} bytes ({max:#x})")]
    TooLarge {
        part: &'static str,
        len: usize,
        max: usize,
    },
    /// The RedBoot partition must be given whole.
    #[error("RedBoot partition is {0:#x} bytes; it must be exactly 0x40000")]
    RedBootSize(usize),
}

/// One RedBoot FIS directory entry (all integers big endian; RedBoot `include/fis.h`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FisEntry {
    /// Name (up to 16 bytes, NUL terminated).
    pub name: String,
    /// Absolute flash address.
    pub flash_base: u32,
    /// RAM load address.
    pub mem_base: u32,
    /// Partition size.
    pub size: u32,
    /// Entry point.
    pub entry_point: u32,
    /// Data length.
    pub data_length: u32,
    /// slugimage "skip" regions `(offset, size)` stored in the entry's padding.
    pub skips: Vec<(u32, u32)>,
}

const FIS_ENTRY_LEN: usize = 256;
/// slugimage reads at most 0x1000 bytes of directory.
const FIS_MAX_ENTRIES: usize = 0x1000 / FIS_ENTRY_LEN;

impl FisEntry {
    fn to_bytes(&self) -> [u8; FIS_ENTRY_LEN] {
        let mut e = [0u8; FIS_ENTRY_LEN];
        let name = self.name.as_bytes();
        let n = name.len().min(15);
        e[..n].copy_from_slice(&name[..n]);
        for (i, v) in [
            self.flash_base,
            self.mem_base,
            self.size,
            self.entry_point,
            self.data_length,
        ]
        .into_iter()
        .enumerate()
        {
            e[0x10 + 4 * i..0x14 + 4 * i].copy_from_slice(&v.to_be_bytes());
        }
        // slugimage puts the records at the end of the padding, the last one just before the
        // two checksum words (0xF8), each "skip" + BE32 offset + BE32 size.
        let count = self.skips.len();
        for (i, (offset, size)) in self.skips.iter().enumerate() {
            let at = FIS_ENTRY_LEN - 8 - 12 * (count - i);
            e[at..at + 4].copy_from_slice(b"skip");
            e[at + 4..at + 8].copy_from_slice(&offset.to_be_bytes());
            e[at + 8..at + 12].copy_from_slice(&size.to_be_bytes());
        }
        e
    }

    fn parse(raw: &[u8], offset: usize) -> Result<Self, ParseError> {
        const WHAT: &str = "FIS directory entry";
        let name_raw = slice(raw, 0, 16, WHAT)?;
        let name_len = name_raw.iter().position(|&b| b == 0).unwrap_or(16);
        let mut skips = Vec::new();
        let pad = slice(raw, 0x24, 0xF8 - 0x24, WHAT)?;
        let mut i = 0;
        while i + 12 <= pad.len() {
            if &pad[i..i + 4] == b"skip" {
                skips.push((be32(pad, i + 4, WHAT)?, be32(pad, i + 8, WHAT)?));
                i += 12;
            } else {
                i += 1;
            }
        }
        let field = |n: usize| be32(raw, 0x10 + 4 * n, WHAT).map_err(|e| shift(e, offset));
        Ok(Self {
            name: String::from_utf8_lossy(&name_raw[..name_len]).into_owned(),
            flash_base: field(0)?,
            mem_base: field(1)?,
            size: field(2)?,
            entry_point: field(3)?,
            data_length: field(4)?,
            skips,
        })
    }
}

fn shift(e: ParseError, base: usize) -> ParseError {
    match e {
        ParseError::Truncated {
            what,
            offset,
            needed,
            file_len,
        } => ParseError::Truncated {
            what,
            offset: offset + base,
            needed,
            file_len,
        },
        other => other,
    }
}

/// The FIS directory [`pack`] writes: slugimage's table for a flash without Loader.
pub fn fis_directory() -> Vec<FisEntry> {
    let entry = |r: Region, skips: Vec<(u32, u32)>| FisEntry {
        name: r.name.into(),
        flash_base: FLASH_BASE + r.offset as u32,
        mem_base: 0,
        size: r.size as u32,
        entry_point: 0,
        data_length: 0,
        skips,
    };
    let header_skip = vec![(0, PART_HEADER_LEN as u32)];
    vec![
        entry(REDBOOT, vec![]),
        entry(SYSCONF, vec![]),
        entry(KERNEL, header_skip.clone()),
        entry(RAMDISK, header_skip),
        entry(FIS_DIRECTORY, vec![]),
    ]
}

/// A partition with its 16-byte Sercomm header: BE32 length, 12 zero bytes, data, 0xFF to `size`.
fn with_header(part: &'static str, data: &[u8], size: usize) -> Result<Vec<u8>, PackError> {
    let max = size - PART_HEADER_LEN;
    if data.len() > max {
        return Err(PackError::TooLarge {
            part,
            len: data.len(),
            max,
        });
    }
    // The same header as the firmware's configuration slot (`app::config_slot`), which is
    // where the Config partition's format comes from; `max` keeps the length within 32 bits.
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&app::config_slot::header(data.len() as u32));
    out.extend_from_slice(data);
    out.resize(size, 0xFF);
    Ok(out)
}

/// The Kernel partition alone (1 MiB): header, `kernel`, 0xFF padding. This is what goes at
/// flash offset 0x60000 (e.g. with RedBoot's `fis write` or a flash programmer).
pub fn kernel_partition(kernel: &[u8]) -> Result<Vec<u8>, PackError> {
    with_header("Kernel", kernel, KERNEL.size)
}

/// Builds the 8 MiB flash image.
pub fn pack(contents: &FlashContents) -> Result<Vec<u8>, PackError> {
    let mut flash = vec![0xFFu8; FLASH_SIZE];

    match &contents.redboot {
        Some(redboot) if redboot.len() != REDBOOT.size => {
            return Err(PackError::RedBootSize(redboot.len()));
        }
        Some(redboot) => flash[REDBOOT.range()].copy_from_slice(redboot),
        None => {
            flash[REDBOOT.range()].fill(0);
            flash[REDBOOT.size - 70..REDBOOT.size].copy_from_slice(&DEFAULT_REDBOOT_TRAILER);
        }
    }
    if let Some(mac) = contents.mac {
        flash[MAC_OFFSET..MAC_OFFSET + 6].copy_from_slice(&mac);
    }
    match &contents.sysconf {
        Some(sysconf) if sysconf.len() > SYSCONF.size => {
            return Err(PackError::TooLarge {
                part: "SysConf",
                len: sysconf.len(),
                max: SYSCONF.size,
            });
        }
        Some(sysconf) => {
            flash[SYSCONF.offset..SYSCONF.offset + sysconf.len()].copy_from_slice(sysconf)
        }
        None => flash[SYSCONF.range()].fill(0),
    }
    flash[KERNEL.range()].copy_from_slice(&kernel_partition(&contents.kernel)?);
    flash[RAMDISK.range()].copy_from_slice(&with_header(
        "Ramdisk",
        &contents.ramdisk,
        RAMDISK.size,
    )?);

    let mut directory = Vec::with_capacity(6 * FIS_ENTRY_LEN);
    for entry in fis_directory() {
        directory.extend_from_slice(&entry.to_bytes());
    }
    flash[FIS_DIRECTORY.offset..FIS_DIRECTORY.offset + directory.len()].copy_from_slice(&directory);
    // The rest of the block, including the 0xFF terminator entry, stays erased.

    if let Some(config) = &contents.config {
        flash[CONFIG.range()].copy_from_slice(&with_header("Config", config, CONFIG.size)?);
    }
    if let Some(microcode) = &contents.microcode {
        flash[MICROCODE.range()].copy_from_slice(&with_header(
            "Microcode",
            microcode,
            MICROCODE.size,
        )?);
    }
    flash[TRAILER.range()].copy_from_slice(&contents.trailer.unwrap_or(DEFAULT_TRAILER));
    Ok(flash)
}

/// What [`unpack`] found besides the contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackedFlash {
    /// Contents, with `redboot`, `sysconf` and `trailer` always filled in from the image, so
    /// that [`pack`] of them rebuilds an image this tool made byte for byte.
    pub contents: FlashContents,
    /// The FIS directory entries, if the directory block starts with a "RedBoot" entry.
    pub fis: Option<Vec<FisEntry>>,
    /// The MAC address stored in the RedBoot partition.
    pub mac: [u8; 6],
    /// True if the flash trailer carries RedBoot's "eRcOmM" signature (else RedBoot enters
    /// upgrade mode instead of booting).
    pub trailer_signature_ok: bool,
}

/// Reads a header partition at `offset`: `None` if erased (length 0xFFFFFFFF).
fn read_header_part(
    image: &[u8],
    region: Region,
    what: &'static str,
) -> Result<Option<Vec<u8>>, ParseError> {
    let len = be32(image, region.offset, what)?;
    if len == u32::MAX {
        return Ok(None);
    }
    let len = len as usize;
    if len > region.size - PART_HEADER_LEN {
        return Err(ParseError::Invalid {
            what,
            offset: region.offset,
            reason: format!(
                "length {len:#x} exceeds the {:#x}-byte slot (a kernel running into 0x160000, \
                 the APEX/slugimage -L layout, is not supported)",
                region.size - PART_HEADER_LEN
            ),
        });
    }
    Ok(Some(
        slice(image, region.offset + PART_HEADER_LEN, len, what)?.to_vec(),
    ))
}

/// Splits an 8 MiB flash image (a dump of the whole flash, or an image made by this tool,
/// slugimage or the Linksys firmware) into its parts.
pub fn unpack(image: &[u8]) -> Result<UnpackedFlash, ParseError> {
    if image.len() != FLASH_SIZE {
        return Err(ParseError::Invalid {
            what: "NSLU2 flash image",
            offset: image.len().min(FLASH_SIZE),
            reason: format!(
                "the image is {:#x} bytes; it must be exactly {FLASH_SIZE:#x} (8 MiB)",
                image.len()
            ),
        });
    }
    let fis_block = &image[FIS_DIRECTORY.range()];
    let fis = if fis_block.starts_with(b"RedBoot") {
        let mut entries = Vec::new();
        for i in 0..FIS_MAX_ENTRIES {
            let raw = &fis_block[i * FIS_ENTRY_LEN..(i + 1) * FIS_ENTRY_LEN];
            if raw[0] == 0xFF {
                break;
            }
            entries.push(FisEntry::parse(
                raw,
                FIS_DIRECTORY.offset + i * FIS_ENTRY_LEN,
            )?);
        }
        Some(entries)
    } else {
        None
    };
    let kernel = read_header_part(image, KERNEL, "Kernel partition header")?;
    let ramdisk = read_header_part(image, RAMDISK, "Ramdisk partition header")?;
    let erased = |r: Region| image[r.range()].iter().all(|&b| b == 0xFF);
    let config = if erased(CONFIG) {
        None
    } else {
        read_header_part(image, CONFIG, "Config slot header")?
    };
    let microcode = if erased(MICROCODE) {
        None
    } else {
        read_header_part(image, MICROCODE, "Microcode slot header")?
    };
    let mut trailer = [0u8; 16];
    trailer.copy_from_slice(&image[TRAILER.range()]);
    let mut mac = [0u8; 6];
    mac.copy_from_slice(&image[MAC_OFFSET..MAC_OFFSET + 6]);
    Ok(UnpackedFlash {
        contents: FlashContents {
            redboot: Some(image[REDBOOT.range()].to_vec()),
            sysconf: Some(image[SYSCONF.range()].to_vec()),
            kernel: kernel.unwrap_or_default(),
            ramdisk: ramdisk.unwrap_or_default(),
            config,
            microcode,
            trailer: Some(trailer),
            mac: None,
        },
        fis,
        mac,
        trailer_signature_ok: &trailer[8..14] == b"eRcOmM",
    })
}

/// Replaces the kernel (and optionally the proxy configuration) in the user's own flash image,
/// keeping their RedBoot (with the MAC address), SysConf, microcode and trailer.
pub fn repack(
    base_image: &[u8],
    kernel: &[u8],
    config: Option<&[u8]>,
) -> Result<Vec<u8>, RepackError> {
    let mut contents = unpack(base_image)?.contents;
    contents.kernel = kernel.to_vec();
    if let Some(config) = config {
        contents.config = Some(config.to_vec());
    }
    Ok(pack(&contents)?)
}

/// Why [`repack`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepackError {
    /// The base image could not be read.
    #[error("base image: {0}")]
    Parse(#[from] ParseError),
    /// The new image could not be built.
    #[error(transparent)]
    Pack(#[from] PackError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_trailers_match_the_reference_bytes() {
        // slugimage's default RedBoot trailer (`printRedbootTrailer`) and flash trailer, as its
        // word list packs on a little-endian host; RedBoot `upgrade.c` checks the same bytes.
        assert_eq!(&DEFAULT_REDBOOT_TRAILER[..7], b"sErCoMm");
        assert_eq!(
            &DEFAULT_REDBOOT_TRAILER[11..17],
            &[0x04, 0x70, 0x31, 0x95, 0x58, 0x10]
        );
        assert_eq!(&DEFAULT_REDBOOT_TRAILER[17..43], &[0u8; 26]);
        assert_eq!(&DEFAULT_REDBOOT_TRAILER[63..], b"sErCoMm");
        assert_eq!(&DEFAULT_TRAILER[8..14], b"eRcOmM");
    }

    #[test]
    fn fis_entry_layout_matches_slugimage() {
        let kernel = &fis_directory()[2];
        let raw = kernel.to_bytes();
        assert_eq!(&raw[..7], b"Kernel\0");
        assert_eq!(&raw[0x10..0x14], &0x5006_0000u32.to_be_bytes());
        assert_eq!(&raw[0x18..0x1C], &0x0010_0000u32.to_be_bytes());
        assert_eq!(&raw[236..240], b"skip");
        assert_eq!(&raw[240..248], &[0, 0, 0, 0, 0, 0, 0, 16]);
        assert_eq!(FisEntry::parse(&raw, 0).unwrap(), *kernel);
    }
}
