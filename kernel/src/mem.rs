//! The physical memory map and the choice of heap.

use crate::board::MemoryRange;

/// Most pieces RAM can be cut into while reserved ranges are removed.
const MAX_PIECES: usize = 16;

/// The largest range of RAM that overlaps none of `reserved`; `None` if nothing is left.
pub fn largest_free(banks: &[MemoryRange], reserved: &[MemoryRange]) -> Option<MemoryRange> {
    let mut pieces: heapless::Vec<MemoryRange, MAX_PIECES> = heapless::Vec::new();
    for bank in banks {
        // Overflowing the list only loses candidates; the choice among the rest stays valid.
        let _ = pieces.push(*bank);
    }
    // Banks that touch (the Mirabox's two 512 MiB chip selects) form one range.
    pieces.sort_unstable_by_key(|bank| bank.base);
    let mut merged: heapless::Vec<MemoryRange, MAX_PIECES> = heapless::Vec::new();
    for bank in &pieces {
        match merged.last_mut() {
            Some(last) if last.end() == bank.base => last.size += bank.size,
            _ => {
                let _ = merged.push(*bank);
            }
        }
    }
    pieces = merged;
    for hole in reserved {
        let mut next: heapless::Vec<MemoryRange, MAX_PIECES> = heapless::Vec::new();
        for piece in &pieces {
            if hole.end() <= piece.base || hole.base >= piece.end() {
                let _ = next.push(*piece);
                continue;
            }
            if hole.base > piece.base {
                let _ = next.push(MemoryRange {
                    base: piece.base,
                    size: hole.base - piece.base,
                });
            }
            if hole.end() < piece.end() {
                let _ = next.push(MemoryRange {
                    base: hole.end(),
                    size: piece.end() - hole.end(),
                });
            }
        }
        pieces = next;
    }
    pieces
        .iter()
        .copied()
        .filter(|p| p.size > 0)
        .max_by_key(|p| p.size)
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn range(base: usize, size: usize) -> MemoryRange {
        MemoryRange { base, size }
    }

    #[test]
    fn carves_the_kernel_and_bootloader_out_of_ram() {
        // vexpress: RAM 128 MiB at 0x6000_0000, DTB in the first 64 KiB, kernel image after it.
        let ram = [range(0x6000_0000, 128 << 20)];
        let reserved = [range(0x6000_0000, 0x1_0000), range(0x6001_0000, 0x20_0000)];
        assert_eq!(
            largest_free(&ram, &reserved),
            Some(range(0x6021_0000, (128 << 20) - 0x21_0000))
        );
    }

    #[test]
    fn picks_the_larger_side_and_the_larger_bank() {
        // NSLU2: image at 29 MiB of 32, RedBoot's low 16 MiB reserved.
        let ram = [range(0, 32 << 20)];
        let reserved = [range(0x01d0_0000, 0x20_0000), range(0, 16 << 20)];
        assert_eq!(
            largest_free(&ram, &reserved),
            Some(range(16 << 20, 0x01d0_0000 - (16 << 20)))
        );
        let banks = [range(0, 512 << 20), range(512 << 20, 512 << 20)];
        let reserved = [range(0x8000, 0x40_0000)];
        assert_eq!(
            largest_free(&banks, &reserved),
            Some(range(0x40_8000, (1 << 30) - 0x40_8000))
        );
        assert_eq!(largest_free(&[range(0, 4096)], &[range(0, 8192)]), None);
    }
}
