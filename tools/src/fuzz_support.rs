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
