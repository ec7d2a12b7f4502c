//! ARM Linux boot tags (ATAGs): the boot-information format of the stock Mirabox U-Boot and of
//! RedBoot on the NSLU2.
//!
//! Format: Linux `Documentation/arch/arm/booting.rst` §4 and `arch/arm/include/uapi/asm/setup.h`:
//! a list of tags, each a header of two words (size in words including the header, tag id)
//! followed by the payload, starting with ATAG_CORE and ending with ATAG_NONE. Words are in the
//! CPU's byte order (the bootloader wrote them as native integers).

use super::{BootInfoError, RamBanks, TooManyBanks};
use crate::board::MemoryRange;

/// `ATAG_NONE`: end of list.
pub const ATAG_NONE: u32 = 0x0000_0000;
/// `ATAG_CORE`: must be first.
pub const ATAG_CORE: u32 = 0x5441_0001;
/// `ATAG_MEM`: one bank of RAM (size, start).
pub const ATAG_MEM: u32 = 0x5441_0002;
/// `ATAG_CMDLINE`: NUL-terminated command line.
pub const ATAG_CMDLINE: u32 = 0x5441_0009;

/// What an ATAG list told us.
#[derive(Debug, Default)]
pub struct AtagInfo<'a> {
    /// RAM banks, in list order.
    pub ram: RamBanks,
    /// The command line, if the list carried one.
    pub cmdline: Option<&'a str>,
}

fn word(list: &[u8], index: usize) -> Option<u32> {
    let bytes = list.get(index * 4..index * 4 + 4)?;
    Some(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Whether `list` starts like an ATAG list (ATAG_CORE with a plausible size).
pub fn looks_like_atags(list: &[u8]) -> bool {
    matches!(
        (word(list, 0), word(list, 1)),
        (Some(2 | 5), Some(ATAG_CORE))
    )
}

/// Parses an ATAG list held in `list` (which may extend past the end of the list).
pub fn parse(list: &[u8]) -> Result<AtagInfo<'_>, BootInfoError> {
    if !looks_like_atags(list) {
        return Err(BootInfoError::Malformed {
            offset: 0,
            what: "list does not start with ATAG_CORE",
        });
    }
    let mut info = AtagInfo::default();
    let mut index = 0usize;
    loop {
        let offset = index * 4;
        let (Some(size), Some(tag)) = (word(list, index), word(list, index + 1)) else {
            return Err(BootInfoError::Malformed {
                offset,
                what: "list runs past its buffer without ATAG_NONE",
            });
        };
        if tag == ATAG_NONE {
            return Ok(info);
        }
        let size = size as usize;
        if size < 2 || size > list.len() / 4 - index {
            return Err(BootInfoError::Malformed {
                offset,
                what: "tag size is impossible",
            });
        }
        match tag {
            ATAG_MEM if size >= 4 => {
                let (Some(bytes), Some(start)) = (word(list, index + 2), word(list, index + 3))
                else {
                    return Err(BootInfoError::Malformed {
                        offset,
                        what: "truncated ATAG_MEM",
                    });
                };
                info.ram
                    .push(MemoryRange {
                        base: start as usize,
                        size: bytes as usize,
                    })
                    .map_err(|TooManyBanks| BootInfoError::Malformed {
                        offset,
                        what: "too many ATAG_MEM banks",
                    })?;
            }
            ATAG_MEM => {
                return Err(BootInfoError::Malformed {
                    offset,
                    what: "ATAG_MEM shorter than 4 words",
                });
            }
            ATAG_CMDLINE => {
                let payload = &list[offset + 8..offset + size * 4];
                let text = payload.split(|&b| b == 0).next().unwrap_or_default();
                info.cmdline = core::str::from_utf8(text).ok();
            }
            _ => {}
        }
        index += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    #[test]
    fn mirabox_style_two_banks_and_a_command_line() {
        let cmdline = b"console=ttyS0,115200\0\0\0\0";
        let mut words = vec![5, ATAG_CORE, 0, 4096, 0];
        words.extend([4, ATAG_MEM, 0x2000_0000, 0]);
        words.extend([4, ATAG_MEM, 0x2000_0000, 0x2000_0000]);
        words.extend([2 + cmdline.len() as u32 / 4, ATAG_CMDLINE]);
        words.extend(
            cmdline
                .chunks(4)
                .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])),
        );
        words.extend([0, ATAG_NONE]);
        let bytes = list(&words);
        let info = parse(&bytes).expect("valid list");
        assert_eq!(info.ram.as_slice().len(), 2);
        assert_eq!(info.ram.total_bytes(), 1 << 30);
        assert_eq!(info.cmdline, Some("console=ttyS0,115200"));
    }

    #[test]
    fn redboot_style_core_without_payload() {
        let words = [2, ATAG_CORE, 4, ATAG_MEM, 0x0200_0000, 0, 0, ATAG_NONE];
        let bytes = list(&words);
        let info = parse(&bytes).expect("valid list");
        assert_eq!(
            info.ram.as_slice(),
            &[MemoryRange {
                base: 0,
                size: 32 << 20
            }]
        );
        assert_eq!(info.cmdline, None);
    }

    #[test]
    fn malformed_lists_are_errors_not_panics() {
        let cases: &[&[u32]] = &[
            &[],
            &[2, 0x1234_5678],
            &[2, ATAG_CORE],                               // no terminator
            &[2, ATAG_CORE, 0xffff_ffff, ATAG_MEM],        // absurd size
            &[2, ATAG_CORE, 1, ATAG_MEM, 0, ATAG_NONE],    // size below the header
            &[2, ATAG_CORE, 3, ATAG_MEM, 0, 0, ATAG_NONE], // short ATAG_MEM
            &[2, ATAG_CORE, 4, ATAG_MEM, 0x100],           // truncated payload
        ];
        for words in cases {
            assert!(parse(&list(words)).is_err(), "accepted {words:x?}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x2545_f491_u32;
        for _ in 0..20_000 {
            let mut bytes = vec![0u8; (state % 96) as usize];
            for b in bytes.iter_mut() {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                *b = state as u8;
            }
            // Give a fraction of the inputs a valid head so the parser gets past the first check.
            if bytes.len() >= 8 && state.is_multiple_of(2) {
                bytes[..8].copy_from_slice(&list(&[2, ATAG_CORE]));
            }
            let _ = parse(&bytes);
        }
    }
}
