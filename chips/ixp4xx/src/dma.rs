//! [`nic::dma::DmaMemory`] for the real IXP420: identity bus addresses over SDRAM and XScale
//! D-cache maintenance by line (32 bytes).
//!
//! The operations are the ones Linux's `arch/arm/mm/proc-xscale.S` uses for streaming DMA:
//! clean D line `mcr p15, 0, Rd, c7, c10, 1`, invalidate D line `mcr p15, 0, Rd, c7, c6, 1`,
//! then drain the write buffer `mcr p15, 0, Rd, c7, c10, 4` so the NPE sees the data before the
//! queue-manager write that hands it over. An invalidate of a range whose first or last line is
//! only partly covered cleans that line first (as Linux's `xscale_dma_inv_range`), so a
//! neighbour's dirty bytes are not lost; [`crate::eth::EthMemory`] is line-aligned anyway.
//! With the MMU off (RedBoot's state) data accesses are uncached and the line operations are
//! harmless no-ops, but the write-buffer drain still matters.
//!
//! The line operations and the identity window are the shared `arm-cache` crate's
//! (`arm_cache::XscaleL1`); on non-ARM hosts they compile to nothing and host tests use a
//! model instead.

use core::ops::Range;

use arm_cache::{DmaWindow, InnerCache, XscaleL1, clean_lines, invalidate_lines_keeping_edges};
use nic::dma::{BusAddress, DmaMemory};

/// XScale D-cache line size.
pub const CACHE_LINE: usize = arm_cache::LINE;

/// DMA memory for an IXP420 whose RAM is mapped one-to-one (virtual = physical).
#[derive(Debug, Clone)]
pub struct XscaleDma {
    ram: DmaWindow,
}

impl XscaleDma {
    /// DMA over the identity-mapped RAM range `ram` (the AHB's 32-bit address space).
    ///
    /// # Safety
    /// `ram` must be identity-mapped (or the MMU off), and no one else may rely on dirty cache
    /// lines in buffers handed to a device (the driver's buffers are line-aligned and owned).
    pub unsafe fn new(ram: Range<usize>) -> Self {
        let base = u32::try_from(ram.start).unwrap_or(u32::MAX);
        let len = u32::try_from(ram.end.saturating_sub(ram.start)).unwrap_or(u32::MAX - base);
        XscaleDma {
            ram: DmaWindow { base, len },
        }
    }
}

impl DmaMemory for XscaleDma {
    fn bus_address(&self, ptr: *const u8) -> Option<BusAddress> {
        self.ram.bus_address(ptr)
    }

    fn cpu_pointer(&self, bus: BusAddress) -> Option<*mut u8> {
        self.ram.cpu_pointer(bus)
    }

    fn clean(&self, ptr: *const u8, len: usize) {
        clean_lines(&XscaleL1, ptr, len);
        XscaleL1.barrier();
    }

    fn invalidate(&self, ptr: *const u8, len: usize) {
        invalidate_lines_keeping_edges(&XscaleL1, ptr, len);
        XscaleL1.barrier();
    }
}
