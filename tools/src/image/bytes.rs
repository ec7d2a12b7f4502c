//! Bounds-checked field access shared by the parsers, and the common parse error.

use core::fmt;

/// Why an image could not be parsed. Every variant carries the byte offset (from the start of
/// the file) where the problem is, so a user can look at it with a hex dump.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The file ends before a structure that must be there.
    #[error(
        "{what}: file truncated at offset {offset:#x} (need {needed} bytes, file has {file_len})"
    )]
    Truncated {
        what: &'static str,
        offset: usize,
        needed: usize,
        file_len: usize,
    },
    /// A magic number or signature does not match.
    #[error("{what}: bad magic at offset {offset:#x}: expected {expected}, found {found}")]
    BadMagic {
        what: &'static str,
        offset: usize,
        expected: String,
        found: String,
    },
    /// A field holds a value the format does not allow.
    #[error("{what} at offset {offset:#x}: {reason}")]
    Invalid {
        what: &'static str,
        offset: usize,
        reason: String,
    },
    /// A stored checksum does not match the one computed over the data it protects.
    #[error(
        "{what} at offset {offset:#x}: checksum mismatch (stored {stored:#x}, computed {computed:#x})"
    )]
    Checksum {
        what: &'static str,
        offset: usize,
        stored: u32,
        computed: u32,
    },
}

/// Returns `buf[offset..offset + len]` or a [`ParseError::Truncated`] naming `what`.
pub(crate) fn slice<'a>(
    buf: &'a [u8],
    offset: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], ParseError> {
    offset
        .checked_add(len)
        .and_then(|end| buf.get(offset..end))
        .ok_or(ParseError::Truncated {
            what,
            offset,
            needed: len,
            file_len: buf.len(),
        })
}

pub(crate) fn array<const N: usize>(
    buf: &[u8],
    offset: usize,
    what: &'static str,
) -> Result<[u8; N], ParseError> {
    let bytes = slice(buf, offset, N, what)?;
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

pub(crate) fn u8_at(buf: &[u8], offset: usize, what: &'static str) -> Result<u8, ParseError> {
    Ok(array::<1>(buf, offset, what)?[0])
}

pub(crate) fn le16(buf: &[u8], offset: usize, what: &'static str) -> Result<u16, ParseError> {
    Ok(u16::from_le_bytes(array(buf, offset, what)?))
}

pub(crate) fn le32(buf: &[u8], offset: usize, what: &'static str) -> Result<u32, ParseError> {
    Ok(u32::from_le_bytes(array(buf, offset, what)?))
}

pub(crate) fn be32(buf: &[u8], offset: usize, what: &'static str) -> Result<u32, ParseError> {
    Ok(u32::from_be_bytes(array(buf, offset, what)?))
}

/// Rounds `value` up to a multiple of `align` (a power of two or any non-zero value).
pub(crate) fn align_up(value: usize, align: usize) -> usize {
    value.div_ceil(align) * align
}

/// Displays bytes as lowercase hex, for error messages about magic numbers.
pub(crate) struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
