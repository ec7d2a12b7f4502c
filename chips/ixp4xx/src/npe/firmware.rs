//! Parser for NPE microcode files (magic 0xFEEDF00D), the format Linux's `npe_load_firmware`
//! reads (`drivers/soc/ixp4xx/ixp4xx-npe.c`) and OpenWrt's `IxNpeMicrocode.h` converter writes.
//!
//! The file is a sequence of 32-bit words, normally big-endian (a file whose magic reads
//! byte-swapped is accepted and read little-endian, as Linux does):
//!
//! | Word | Field |
//! |---|---|
//! | 0 | magic 0xFEEDF00D |
//! | 1 | image ID: 31:28 device (0 = IXP42x), 27:24 NPE (0 A, 1 B, 2 C), 23:16 functionality, 15:8 major, 7:0 minor |
//! | 2 | `size`: number of words after this header; the file is exactly 12 + 4·size bytes |
//! | 3… | block table: {type, offset} pairs, type 0 instruction, 1 data; a single type word 0xF ends it. Offsets are in words from word 3 and point past the table |
//! | at offset | code block: NPE word address, word count, then the words |
//!
//! The input is untrusted (the user supplies it): every check yields a [`FirmwareError`] with
//! the byte offset in the file, and nothing here panics or allocates.

use core::fmt;

/// The magic number in word 0.
pub const MAGIC: u32 = 0xFEED_F00D;
/// Bytes in the fixed header (magic, image ID, size).
pub const HEADER_BYTES: usize = 12;

const BLOCK_INSTRUCTION: u32 = 0;
const BLOCK_DATA: u32 = 1;
const BLOCK_END: u32 = 0xF;

/// The NPE an image is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NpeId {
    /// NPE-A.
    A = 0,
    /// NPE-B (Ethernet on the NSLU2).
    B = 1,
    /// NPE-C.
    C = 2,
}

impl NpeId {
    /// Instruction memory size in words on the IXP42x (Linux `IXP42X_NPE_*_INSTR`... sizes:
    /// NPE-A 0x1000, NPE-B/C 0x800).
    pub const fn instruction_words(self) -> u32 {
        match self {
            NpeId::A => 0x1000,
            NpeId::B | NpeId::C => 0x800,
        }
    }

    /// Data memory size in words on the IXP42x.
    pub const fn data_words(self) -> u32 {
        0x800
    }
}

/// The decoded image ID (word 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ImageId(pub u32);

impl ImageId {
    /// Device family: 0 = IXP42x.
    pub const fn device(self) -> u32 {
        self.0 >> 28
    }
    /// Target NPE number (0 A, 1 B, 2 C).
    pub const fn npe(self) -> u32 {
        (self.0 >> 24) & 0xF
    }
    /// Functionality ID (which feature set the image implements).
    pub const fn functionality(self) -> u32 {
        (self.0 >> 16) & 0xFF
    }
    /// Major revision.
    pub const fn major(self) -> u32 {
        (self.0 >> 8) & 0xFF
    }
    /// Minor revision.
    pub const fn minor(self) -> u32 {
        self.0 & 0xFF
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NPE-{} func {:#04x} rev {}.{} ({:#010x})",
            char::from(b'A' + (self.npe() as u8).min(25)),
            self.functionality(),
            self.major(),
            self.minor(),
            self.0
        )
    }
}

/// Why a microcode file was rejected. Offsets are byte offsets into the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FirmwareError {
    /// Shorter than the 12-byte header, or not a whole number of words.
    BadLength {
        /// File length in bytes.
        len: usize,
    },
    /// Word 0 is neither 0xFEEDF00D nor its byte swap.
    BadMagic {
        /// What word 0 holds (read big-endian).
        found: u32,
    },
    /// Word 2 disagrees with the file length.
    SizeMismatch {
        /// Words declared in word 2.
        declared_words: u32,
        /// File length in bytes.
        file_len: usize,
    },
    /// Built for an IXP43x/46x (device field non-zero).
    WrongDevice(ImageId),
    /// Built for a different NPE than the one being loaded.
    WrongNpe {
        /// The image's ID.
        image: ImageId,
        /// The NPE being loaded.
        expected: NpeId,
    },
    /// The block table runs off the end of the file without its 0xF end marker.
    MissingEndMarker {
        /// Where the end marker was looked for last.
        offset: usize,
    },
    /// A block-table entry with a type other than 0, 1 or 0xF.
    UnknownBlockType {
        /// Offset of the type word.
        offset: usize,
        /// The type found.
        block_type: u32,
    },
    /// A block offset that points into the block table or past the end of the file.
    BadBlockOffset {
        /// Offset of the table entry.
        offset: usize,
        /// The word offset it holds.
        target: u32,
    },
    /// A code block whose words run past the end of the file.
    BlockTruncated {
        /// Offset of the code block.
        offset: usize,
        /// Words it claims.
        count: u32,
    },
    /// Two table entries whose code blocks share words of the file (each block must be loaded
    /// once; a table that aliases them is corrupt).
    BlocksOverlap {
        /// Offset of the later code block.
        offset: usize,
        /// Offset of the earlier code block it overlaps.
        other: usize,
    },
    /// A code block that does not fit the NPE's instruction or data memory.
    BlockOutOfNpeMemory {
        /// Offset of the code block.
        offset: usize,
        /// First NPE word address.
        npe_addr: u32,
        /// Words it claims.
        count: u32,
        /// Memory size in words.
        limit: u32,
    },
}

impl fmt::Display for FirmwareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FirmwareError::BadLength { len } => {
                write!(
                    f,
                    "microcode file length {len} is not a 12+4n byte word file"
                )
            }
            FirmwareError::BadMagic { found } => {
                write!(f, "offset 0: magic {found:#010x}, expected 0xfeedf00d")
            }
            FirmwareError::SizeMismatch {
                declared_words,
                file_len,
            } => write!(
                f,
                "offset 8: header declares {declared_words} words but the file has {file_len} bytes"
            ),
            FirmwareError::WrongDevice(id) => {
                write!(
                    f,
                    "offset 4: image {id} is for an IXP43x/46x, not an IXP42x"
                )
            }
            FirmwareError::WrongNpe { image, expected } => {
                write!(f, "offset 4: image {image} is not for NPE-{expected:?}")
            }
            FirmwareError::MissingEndMarker { offset } => {
                write!(f, "offset {offset}: block table has no end marker")
            }
            FirmwareError::UnknownBlockType { offset, block_type } => {
                write!(f, "offset {offset}: unknown block type {block_type:#x}")
            }
            FirmwareError::BadBlockOffset { offset, target } => {
                write!(
                    f,
                    "offset {offset}: block offset {target} (words) is outside the code area"
                )
            }
            FirmwareError::BlockTruncated { offset, count } => {
                write!(
                    f,
                    "offset {offset}: block of {count} words runs past the end of the file"
                )
            }
            FirmwareError::BlocksOverlap { offset, other } => {
                write!(
                    f,
                    "offset {offset}: code block overlaps the one at offset {other}"
                )
            }
            FirmwareError::BlockOutOfNpeMemory {
                offset,
                npe_addr,
                count,
                limit,
            } => write!(
                f,
                "offset {offset}: block {npe_addr:#x}+{count} words exceeds NPE memory of {limit} words"
            ),
        }
    }
}

/// Which NPE memory a code block goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BlockKind {
    /// Instruction memory (ECS command 0x11).
    Instruction,
    /// Data memory (ECS command 0x13).
    Data,
}

/// One validated code block.
#[derive(Debug, Clone, Copy)]
pub struct CodeBlock<'a> {
    /// Target memory.
    pub kind: BlockKind,
    /// First NPE word address.
    pub npe_addr: u32,
    words: &'a [u8],
    little_endian: bool,
}

impl<'a> CodeBlock<'a> {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len() / 4
    }

    /// Whether the block is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words to write, in order.
    pub fn words(&self) -> impl Iterator<Item = u32> + 'a {
        let little_endian = self.little_endian;
        self.words
            .chunks_exact(4)
            .map(move |c| word_from(c, little_endian))
    }
}

/// A validated microcode image, borrowing the file.
#[derive(Debug, Clone, Copy)]
pub struct Firmware<'a> {
    bytes: &'a [u8],
    little_endian: bool,
    id: ImageId,
    /// Number of table entries before the end marker.
    blocks: usize,
}

fn word_from(chunk: &[u8], little_endian: bool) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(chunk);
    if little_endian {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    }
}

impl<'a> Firmware<'a> {
    /// Validates `bytes` as a microcode image for NPE `npe` on an IXP42x.
    pub fn parse(bytes: &'a [u8], npe: NpeId) -> Result<Self, FirmwareError> {
        if bytes.len() < HEADER_BYTES || !bytes.len().is_multiple_of(4) {
            return Err(FirmwareError::BadLength { len: bytes.len() });
        }
        let magic_be = word_from(&bytes[0..4], false);
        let little_endian = match magic_be {
            MAGIC => false,
            m if m.swap_bytes() == MAGIC => true,
            found => return Err(FirmwareError::BadMagic { found }),
        };
        let word = |index: usize| word_from(&bytes[4 * index..4 * index + 4], little_endian);
        let id = ImageId(word(1));
        let size = word(2);
        let total_words = bytes.len() / 4 - 3;
        if usize::try_from(size).ok() != Some(total_words) {
            return Err(FirmwareError::SizeMismatch {
                declared_words: size,
                file_len: bytes.len(),
            });
        }
        if id.device() != 0 {
            return Err(FirmwareError::WrongDevice(id));
        }
        if id.npe() != npe as u32 {
            return Err(FirmwareError::WrongNpe {
                image: id,
                expected: npe,
            });
        }
        // Body word i is file word 3 + i.
        let body = |i: usize| word(3 + i);
        let body_offset = |i: usize| HEADER_BYTES + 4 * i;

        let mut blocks = 0;
        loop {
            let at = 2 * blocks;
            if at >= total_words {
                return Err(FirmwareError::MissingEndMarker {
                    offset: body_offset(at),
                });
            }
            match body(at) {
                BLOCK_END => break,
                BLOCK_INSTRUCTION | BLOCK_DATA if at + 1 < total_words => blocks += 1,
                BLOCK_INSTRUCTION | BLOCK_DATA => {
                    return Err(FirmwareError::MissingEndMarker {
                        offset: body_offset(at + 1),
                    });
                }
                block_type => {
                    return Err(FirmwareError::UnknownBlockType {
                        offset: body_offset(at),
                        block_type,
                    });
                }
            }
        }
        let table_end = 2 * blocks + 1;
        let firmware = Firmware {
            bytes,
            little_endian,
            id,
            blocks,
        };
        for i in 0..blocks {
            let kind_word = body(2 * i);
            let target = body(2 * i + 1);
            let entry_offset = body_offset(2 * i + 1);
            let start = usize::try_from(target).unwrap_or(usize::MAX);
            if start < table_end || start.saturating_add(2) > total_words {
                return Err(FirmwareError::BadBlockOffset {
                    offset: entry_offset,
                    target,
                });
            }
            let npe_addr = body(start);
            let count = body(start + 1);
            let available = total_words - start - 2;
            if usize::try_from(count).map_or(true, |c| c > available) {
                return Err(FirmwareError::BlockTruncated {
                    offset: body_offset(start),
                    count,
                });
            }
            // Extents (start word, end word) of the blocks before this one; the table is short, so
            // a quadratic check needs no allocation.
            let end = start + 2 + count as usize;
            for j in 0..i {
                let other = usize::try_from(body(2 * j + 1)).unwrap_or(usize::MAX);
                let other_end = other + 2 + body(other + 1) as usize;
                if start < other_end && other < end {
                    return Err(FirmwareError::BlocksOverlap {
                        offset: body_offset(start),
                        other: body_offset(other),
                    });
                }
            }
            let limit = if kind_word == BLOCK_INSTRUCTION {
                npe.instruction_words()
            } else {
                npe.data_words()
            };
            if npe_addr.checked_add(count).is_none_or(|end| end > limit) {
                return Err(FirmwareError::BlockOutOfNpeMemory {
                    offset: body_offset(start),
                    npe_addr,
                    count,
                    limit,
                });
            }
        }
        Ok(firmware)
    }

    /// The image ID.
    pub fn id(&self) -> ImageId {
        self.id
    }

    /// Whether the file was stored little-endian (byte-swapped magic).
    pub fn is_byte_swapped(&self) -> bool {
        self.little_endian
    }

    /// The validated code blocks, in table order.
    pub fn blocks(&self) -> impl Iterator<Item = CodeBlock<'a>> + 'a {
        let bytes = self.bytes;
        let little_endian = self.little_endian;
        (0..self.blocks).map(move |i| {
            // All indices were bounds-checked by `parse`.
            let body = |j: usize| word_from(&bytes[HEADER_BYTES + 4 * j..][..4], little_endian);
            let kind = if body(2 * i) == BLOCK_INSTRUCTION {
                BlockKind::Instruction
            } else {
                BlockKind::Data
            };
            let start = body(2 * i + 1) as usize;
            let npe_addr = body(start);
            let count = body(start + 1) as usize;
            let from = HEADER_BYTES + 4 * (start + 2);
            CodeBlock {
                kind,
                npe_addr,
                words: &bytes[from..from + 4 * count],
                little_endian,
            }
        })
    }
}
