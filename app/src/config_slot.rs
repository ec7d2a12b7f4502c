//! The configuration slot: where a board keeps the user's haproxy.cfg text.
//!
//! Layout: a big-endian 32-bit length, twelve zero bytes, then the text (the 16-byte header
//! every partition of the NSLU2's Sercomm flash layout carries, see `tools/src/image/nslu2.rs`;
//! the host tool writes it with [`header`] and
//! [`encode`] for `bareproxy config-slot` and `bareproxy nslu2 pack`, the firmware reads it with
//! [`text`]); the rest of the slot is padding
//! (0xFF in erased flash, 0x00 in RAM). On the NSLU2 the slot is in flash at 0x7F8000; on
//! vexpress it is RAM at 0x6000_8000, filled by QEMU's `-device loader` (see `qemu/src/lib.rs`).
//! An empty, erased or malformed slot means "no configuration": the board falls back to the
//! built-in demo configuration.

/// Size of the slot header.
pub const HEADER_LEN: usize = 16;

/// The header for `len` bytes of text.
pub const fn header(len: u32) -> [u8; HEADER_LEN] {
    let be = len.to_be_bytes();
    let mut header = [0; HEADER_LEN];
    header[0] = be[0];
    header[1] = be[1];
    header[2] = be[2];
    header[3] = be[3];
    header
}

/// A slot image holding `text`: the header, then the text (no padding). `None` when the text
/// does not fit the 32-bit length.
pub fn encode(text: &[u8]) -> Option<alloc::vec::Vec<u8>> {
    let len = u32::try_from(text.len()).ok()?;
    let mut slot = alloc::vec::Vec::with_capacity(HEADER_LEN + text.len());
    slot.extend_from_slice(&header(len));
    slot.extend_from_slice(text);
    Some(slot)
}

/// The configuration text in `slot`, or `None` if the slot holds none.
pub fn text(slot: &[u8]) -> Option<&[u8]> {
    let header = slot.get(..HEADER_LEN)?;
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if len == 0 || header[4..].iter().any(|&b| b != 0) {
        return None;
    }
    slot.get(HEADER_LEN..HEADER_LEN.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(text: &[u8], size: usize, pad: u8) -> Vec<u8> {
        let mut slot = encode(text).unwrap();
        slot.resize(size, pad);
        slot
    }

    #[test]
    fn header_is_big_endian_length_then_twelve_zeros() {
        assert_eq!(
            header(0x0102_0304),
            [1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(encode(b"ab").unwrap(), [&header(2)[..], b"ab"].concat());
    }

    #[test]
    fn reads_the_text_and_rejects_empty_erased_or_overlong_slots() {
        assert_eq!(text(&slot(b"global\n", 64, 0xff)), Some(&b"global\n"[..]));
        assert_eq!(text(&[0u8; 64]), None);
        assert_eq!(text(&[0xffu8; 64]), None);
        let mut overlong = slot(b"x", 32, 0);
        overlong[..4].copy_from_slice(&100u32.to_be_bytes());
        assert_eq!(text(&overlong), None);
        assert_eq!(text(&[0, 0, 0]), None);
    }
}
