//! Repairs the byte order of the command line in the ATAG list QEMU writes, before the kernel
//! reads it.
//!
//! QEMU models a BE-32 core (SCTLR.B set by `-cpu pxa255,cfgend=on`) the way the architecture
//! defines it: word-invariant. RAM keeps little-endian words; a word load returns the word as
//! stored, and a byte load at address A reads byte A ^ 3 (QEMU `target/arm/translate.c`, the
//! `sctlr_b` address adjustment). That is why the raw image is handed to QEMU word-swapped.
//! QEMU's Linux boot path (`hw/arm/boot.c`, `set_kernel_args`) writes the ATAG list as
//! little-endian words, which therefore read back correctly, but copies the command line in as a
//! byte string: through the BE-32 core each group of four characters then appears reversed.
//! Swapping the bytes of every word of the ATAG_CMDLINE payload undoes exactly that. A real
//! big-endian bootloader (RedBoot on the NSLU2) writes the string through the same core and
//! needs no repair, so this lives in the QEMU board, not in the kernel.
//!
//! Tag layout: Linux `arch/arm/include/uapi/asm/setup.h` (`struct tag_header`: size in words,
//! tag; ATAG_CORE 0x5441_0001, ATAG_CMDLINE 0x5441_0009, ATAG_NONE 0).

const ATAG_CORE: u32 = 0x5441_0001;
const ATAG_CMDLINE: u32 = 0x5441_0009;
/// Tags walked at most; QEMU writes four or five.
const MAX_TAGS: usize = 32;

/// Swaps the bytes of each word of the ATAG_CMDLINE payload in the list at `list`, which spans
/// at most `limit_words` words. Leaves anything that is not an ATAG list (first tag not
/// ATAG_CORE) or that runs past `limit_words` untouched from that point on. Returns whether a
/// command line was repaired.
///
/// # Safety
/// `list..list + 4 * limit_words` must be RAM this code may read and write, with nothing else
/// using it while this runs.
pub unsafe fn repair_cmdline(list: *mut u32, limit_words: usize) -> bool {
    // SAFETY: every access below is at an index checked against `limit_words`, inside the
    // region the caller vouches for.
    let word = |index: usize| unsafe { list.add(index).read_volatile() };
    if limit_words < 2 || word(1) != ATAG_CORE {
        return false;
    }
    let mut at = 0;
    for _ in 0..MAX_TAGS {
        if at + 2 > limit_words {
            return false;
        }
        let (size, tag) = (word(at) as usize, word(at + 1));
        if size < 2 || at + size > limit_words {
            return false; // ATAG_NONE (size 0) or a malformed header: nothing more to do.
        }
        if tag == ATAG_CMDLINE {
            for index in at + 2..at + size {
                // SAFETY: `index < at + size <= limit_words`.
                unsafe { list.add(index).write_volatile(word(index).swap_bytes()) };
            }
            return true;
        }
        at += size;
    }
    false
}
