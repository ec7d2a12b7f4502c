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
//! On non-ARM hosts the cache operations compile to nothing; host tests use a model instead.

use core::ops::Range;

use nic::dma::{BusAddress, DmaMemory};

/// XScale D-cache line size.
pub const CACHE_LINE: usize = 32;

/// DMA memory for an IXP420 whose RAM is mapped one-to-one (virtual = physical).
#[derive(Debug, Clone)]
pub struct XscaleDma {
    ram: Range<usize>,
}

impl XscaleDma {
    /// DMA over the identity-mapped RAM range `ram`.
    ///
    /// # Safety
    /// `ram` must be identity-mapped (or the MMU off), and no one else may rely on dirty cache
    /// lines in buffers handed to a device (the driver's buffers are line-aligned and owned).
    pub unsafe fn new(ram: Range<usize>) -> Self {
        XscaleDma { ram }
    }

    fn lines(ptr: *const u8, len: usize) -> impl Iterator<Item = usize> {
        let start = ptr.addr() & !(CACHE_LINE - 1);
        let end = ptr.addr().saturating_add(len);
        (start..end).step_by(CACHE_LINE)
    }
}

#[cfg(target_arch = "arm")]
mod cp15 {
    pub fn clean_line(addr: usize) {
        // SAFETY: cleaning a D-cache line writes back data; it has no effect on memory safety.
        unsafe { core::arch::asm!("mcr p15, 0, {0}, c7, c10, 1", in(reg) addr, options(nostack)) };
    }
    pub fn invalidate_line(addr: usize) {
        // SAFETY: the callers only invalidate lines of buffers owned by a device or cleaned
        // first (partial lines), so no CPU data is lost.
        unsafe { core::arch::asm!("mcr p15, 0, {0}, c7, c6, 1", in(reg) addr, options(nostack)) };
    }
    pub fn drain_write_buffer() {
        // SAFETY: drains the write buffer; no memory-safety effect.
        unsafe {
            core::arch::asm!("mcr p15, 0, {0}, c7, c10, 4", in(reg) 0usize, options(nostack))
        };
    }
}

#[cfg(not(target_arch = "arm"))]
mod cp15 {
    pub fn clean_line(_: usize) {}
    pub fn invalidate_line(_: usize) {}
    pub fn drain_write_buffer() {}
}

impl DmaMemory for XscaleDma {
    fn bus_address(&self, ptr: *const u8) -> Option<BusAddress> {
        let addr = ptr.expose_provenance();
        if self.ram.contains(&addr) {
            BusAddress::try_from(addr).ok()
        } else {
            None
        }
    }

    fn cpu_pointer(&self, bus: BusAddress) -> Option<*mut u8> {
        let addr = usize::try_from(bus).ok()?;
        self.ram
            .contains(&addr)
            .then(|| core::ptr::with_exposed_provenance_mut(addr))
    }

    fn clean(&self, ptr: *const u8, len: usize) {
        for line in Self::lines(ptr, len) {
            cp15::clean_line(line);
        }
        cp15::drain_write_buffer();
    }

    fn invalidate(&self, ptr: *const u8, len: usize) {
        let start = ptr.addr();
        let end = start.saturating_add(len);
        for line in Self::lines(ptr, len) {
            let partial = line < start || line + CACHE_LINE > end;
            if partial {
                cp15::clean_line(line);
            }
            cp15::invalidate_line(line);
        }
        cp15::drain_write_buffer();
    }
}
