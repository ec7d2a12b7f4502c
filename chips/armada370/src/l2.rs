//! Aurora L2 cache controller (Marvell's outer cache on the Armada 370): range maintenance.
//!
//! Source: Linux `arch/arm/mm/cache-aurora-l2.h` (`AURORA_SYNC_REG` 0x700,
//! `AURORA_RANGE_BASE_ADDR_REG` 0x720, `AURORA_INVAL_RANGE_REG` 0x774,
//! `AURORA_CLEAN_RANGE_REG` 0x7B4, `AURORA_FLUSH_RANGE_REG` 0x7F4, `MAX_RANGE_SIZE` 1024) and
//! `arch/arm/mm/cache-l2x0.c` (`aurora_pa_range`, `calc_range_end`/`aurora_range_end`,
//! `aurora_inv_range`): the range registers take **physical** addresses; a range operation is
//! "write the first line's address to RANGE_BASE, then the *last line's* address (inclusive) to
//! the operation register", then write 0 to SYNC. One operation covers at most 1024 bytes and
//! must not cross a 4 KiB page (the controller translates only the start address), so longer
//! ranges are split. Lines are 32 bytes. The L2 control register is at 0x100 (bit 0 = enabled,
//! as on the L2C-310 whose layout Aurora follows).
//!
//! Order with the L1 (Linux `arch/arm/mm/dma-mapping.c` `__dma_page_cpu_to_dev` /
//! `__dma_page_dev_to_cpu`): before DMA reads memory, clean L1 first, then L2; before the CPU
//! reads DMA-written memory, invalidate L2 first, then L1. [`crate::cache::CachedDma`] does that.

use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

/// L2 line size.
pub const LINE: usize = 32;
/// Longest range one operation may cover.
pub const MAX_RANGE: usize = 1024;
/// Range operations must stay within one page of this size.
pub const PAGE: usize = 4096;

register_bitfields![u32,
    /// L2 control (Linux `cache-l2x0.h` `L2X0_CTRL`: Aurora keeps the L2C-310 layout here).
    pub CONTROL [
        /// The L2 is on (`L2X0_CTRL_EN`).
        ENABLE OFFSET(0) NUMBITS(1) []
    ]
];

const CONTROL: RegDef<CONTROL::Register> = RegDef::at(0x100);
const SYNC: RegDef = RegDef::at(0x700);
const RANGE_BASE: RegDef = RegDef::at(0x720);
const INVALIDATE_RANGE: RegDef = RegDef::at(0x774);
const CLEAN_RANGE: RegDef = RegDef::at(0x7B4);
const FLUSH_RANGE: RegDef = RegDef::at(0x7F4);

/// Which range operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    /// Write dirty lines back to DRAM.
    Clean,
    /// Discard lines without writing them back.
    Invalidate,
    /// Clean, then invalidate.
    Flush,
}

impl RangeOp {
    const fn register(self) -> RegDef {
        match self {
            RangeOp::Clean => CLEAN_RANGE,
            RangeOp::Invalidate => INVALIDATE_RANGE,
            RangeOp::Flush => FLUSH_RANGE,
        }
    }
}

/// The Aurora L2 controller.
pub struct AuroraL2<B: Bus> {
    bus: B,
}

impl<B: Bus> AuroraL2<B> {
    /// Wraps a bus; touches no register.
    pub fn new(bus: B) -> Self {
        AuroraL2 { bus }
    }

    /// Whether the L2 is enabled (the boot loader decides; Linux enables it if it is not).
    pub fn is_enabled(&self) -> bool {
        reg(&self.bus, CONTROL).is_set(CONTROL::ENABLE)
    }

    /// Applies `op` to every line overlapping physical `[start, start + len)`, rounding outwards
    /// to lines, split into page-bounded chunks of at most [`MAX_RANGE`] bytes, each followed by
    /// a cache sync.
    pub fn range(&self, op: RangeOp, start: u32, len: usize) {
        if len == 0 {
            return;
        }
        // u64: the end of a range at the top of the 32-bit space does not fit a 32-bit usize.
        let (line, page, max) = (LINE as u64, PAGE as u64, MAX_RANGE as u64);
        let mut addr = u64::from(start) & !(line - 1);
        let end = (u64::from(start) + len as u64)
            .next_multiple_of(line)
            .min(1 << 32);
        while addr < end {
            let page_end = (addr / page + 1) * page;
            let chunk_end = end.min(addr + max).min(page_end);
            reg(&self.bus, RANGE_BASE).set(addr as u32);
            reg(&self.bus, op.register()).set((chunk_end - line) as u32);
            self.sync();
            addr = chunk_end;
        }
    }

    /// Waits for outstanding L2 operations and drains its buffers.
    pub fn sync(&self) {
        reg(&self.bus, SYNC).set(0);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::RefCell;
    use std::vec::Vec;

    struct Rec(RefCell<Vec<(usize, u32)>>);
    impl Bus for Rec {
        fn read(&self, _: usize) -> u32 {
            0
        }
        fn write(&self, o: usize, v: u32) {
            self.0.borrow_mut().push((o, v));
        }
    }

    #[test]
    fn ranges_round_outwards_and_split_at_1k_and_pages() {
        let rec = Rec(RefCell::new(Vec::new()));
        let l2 = AuroraL2::new(&rec);
        // 0x0FF0..0x1608: crosses a page at 0x1000 and is longer than 1 KiB after it.
        l2.range(RangeOp::Clean, 0x0FF0, 0x618);
        assert_eq!(
            *rec.0.borrow(),
            [
                (RANGE_BASE.offset(), 0x0FE0),
                (CLEAN_RANGE.offset(), 0x0FE0),
                (SYNC.offset(), 0),
                (RANGE_BASE.offset(), 0x1000),
                (CLEAN_RANGE.offset(), 0x13E0),
                (SYNC.offset(), 0),
                (RANGE_BASE.offset(), 0x1400),
                (CLEAN_RANGE.offset(), 0x1600),
                (SYNC.offset(), 0),
            ]
        );
        rec.0.borrow_mut().clear();
        l2.range(RangeOp::Invalidate, 0x2000, 0);
        assert!(rec.0.borrow().is_empty());
        l2.range(RangeOp::Invalidate, 0x2004, 4);
        assert_eq!(
            *rec.0.borrow(),
            [
                (RANGE_BASE.offset(), 0x2000),
                (INVALIDATE_RANGE.offset(), 0x2000),
                (SYNC.offset(), 0)
            ]
        );
    }
}
