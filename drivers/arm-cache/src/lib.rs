//! L1 data-cache maintenance by address for DMA, and the identity-mapped RAM window a DMA
//! engine reaches: the part of a chip's `nic::dma::DmaMemory` that is the CPU's, not the SoC's.
//!
//! Neither the Armada 370 nor the IXP420 snoops DMA, so every buffer or descriptor handed to a
//! device is cleaned from the CPU's data cache first, and every one the device wrote is
//! invalidated before the CPU reads it. The two cores spell the line operations the same way
//! (CP15 c7 by modified virtual address) and differ only in the barrier that ends them:
//!
//! | core | clean line | invalidate line | barrier | source |
//! |---|---|---|---|---|
//! | ARMv7 ([`Armv7L1`]: Sheeva PJ4B, Cortex-A9) | DCCMVAC `c7, c10, 1` | DCIMVAC `c7, c6, 1` | DSB | ARM ARM v7-A B4.2.1; Linux `arch/arm/mm/cache-v7.S` `v7_dma_clean_range`/`v7_dma_inv_range` |
//! | XScale ARMv5TE ([`XscaleL1`]: IXP420, PXA255) | `c7, c10, 1` | `c7, c6, 1` | drain write buffer `c7, c10, 4` | Linux `arch/arm/mm/proc-xscale.S` `xscale_dma_clean_range`/`xscale_dma_inv_range` |
//!
//! All of them have 32-byte lines ([`LINE`]).
//!
//! # Where things are
//!
//! | item | concern |
//! |---|---|
//! | [`InnerCache`] | the three operations a chip's DMA memory needs from the L1; fakes implement it in tests |
//! | [`Armv7L1`], [`XscaleL1`] | the CP15 implementations |
//! | [`clean_lines`], [`invalidate_lines`], [`invalidate_lines_keeping_edges`] | a byte range as cache lines |
//! | [`DmaWindow`] | identity bus addresses inside the RAM a device can reach |
#![no_std]

/// The L1 data-cache line of every core above: XScale (Developer's Manual §6.1), PJ4B and
/// Cortex-A9 (CTR.DminLine = 3, i.e. 8 words).
pub const LINE: usize = 32;

/// L1 data-cache maintenance by virtual address, to the point of coherency.
pub trait InnerCache {
    /// Cleans (writes back) the line containing `addr`.
    fn clean_line(&self, addr: usize);
    /// Invalidates the line containing `addr`, discarding whatever the CPU wrote to it.
    fn invalidate_line(&self, addr: usize);
    /// Waits until every earlier maintenance operation and memory write has reached memory.
    fn barrier(&self);
}

/// The ARMv7 L1 through CP15. Only on ARMv7 targets: DSB does not exist before ARMv6.
#[cfg(all(target_arch = "arm", target_feature = "v7"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Armv7L1;

#[cfg(all(target_arch = "arm", target_feature = "v7"))]
impl InnerCache for Armv7L1 {
    fn clean_line(&self, addr: usize) {
        // SAFETY: DCCMVAC only writes a line back to memory; it changes no program state and
        // cannot fault for a mapped address (callers pass addresses of their own buffers).
        unsafe {
            core::arch::asm!("mcr p15, 0, {0}, c7, c10, 1", in(reg) addr, options(nostack, preserves_flags))
        };
    }
    fn invalidate_line(&self, addr: usize) {
        // SAFETY: DCIMVAC discards the line; callers pass only lines of buffers the device owns,
        // which the CPU has not written since handing them over, so no program data is lost.
        unsafe {
            core::arch::asm!("mcr p15, 0, {0}, c7, c6, 1", in(reg) addr, options(nostack, preserves_flags))
        };
    }
    fn barrier(&self) {
        // SAFETY: DSB is a pure ordering barrier.
        unsafe { core::arch::asm!("dsb", options(nostack, preserves_flags)) };
    }
}

/// The XScale L1 through CP15. On a host build the operations do nothing, so chip code that
/// uses it still runs in host tests (which check the chip's behaviour against a model, not the
/// cache).
#[derive(Debug, Clone, Copy, Default)]
pub struct XscaleL1;

impl InnerCache for XscaleL1 {
    fn clean_line(&self, addr: usize) {
        #[cfg(target_arch = "arm")]
        // SAFETY: cleaning a D-cache line writes data back; it changes no program state.
        unsafe {
            core::arch::asm!("mcr p15, 0, {0}, c7, c10, 1", in(reg) addr, options(nostack, preserves_flags))
        };
        #[cfg(not(target_arch = "arm"))]
        let _ = addr;
    }
    fn invalidate_line(&self, addr: usize) {
        #[cfg(target_arch = "arm")]
        // SAFETY: as for `Armv7L1`: callers invalidate only lines the device owns, or lines
        // they cleaned first (`invalidate_lines_keeping_edges`), so no CPU data is lost.
        unsafe {
            core::arch::asm!("mcr p15, 0, {0}, c7, c6, 1", in(reg) addr, options(nostack, preserves_flags))
        };
        #[cfg(not(target_arch = "arm"))]
        let _ = addr;
    }
    fn barrier(&self) {
        #[cfg(target_arch = "arm")]
        // SAFETY: draining the write buffer only waits for buffered writes; the register
        // operand is ignored (XScale Developer's Manual §7.2.8, "should be zero").
        unsafe {
            core::arch::asm!("mcr p15, 0, {0}, c7, c10, 4", in(reg) 0usize, options(nostack, preserves_flags))
        };
    }
}

/// The start addresses of the cache lines that `len` bytes at `ptr` touch.
fn lines(ptr: *const u8, len: usize) -> impl Iterator<Item = usize> {
    let start = ptr.addr() & !(LINE - 1);
    let end = if len == 0 {
        start
    } else {
        ptr.addr().saturating_add(len)
    };
    (start..end).step_by(LINE)
}

/// Cleans every line of `len` bytes at `ptr`; the caller adds the barrier, so that an outer
/// cache's own operation can come between (Linux `__dma_page_cpu_to_dev`: inner, then outer).
pub fn clean_lines(cache: &impl InnerCache, ptr: *const u8, len: usize) {
    for line in lines(ptr, len) {
        cache.clean_line(line);
    }
}

/// Invalidates every line of `len` bytes at `ptr`, whole lines included where the range covers
/// them only in part. For buffers whose lines are wholly the device's (line-aligned and padded
/// to whole lines); otherwise use [`invalidate_lines_keeping_edges`]. No barrier, as for
/// [`clean_lines`].
pub fn invalidate_lines(cache: &impl InnerCache, ptr: *const u8, len: usize) {
    for line in lines(ptr, len) {
        cache.invalidate_line(line);
    }
}

/// As [`invalidate_lines`], but a first or last line the range covers only in part is cleaned
/// before it is invalidated, so bytes of a neighbour sharing it are not lost (Linux
/// `xscale_dma_inv_range` and `v7_dma_inv_range` do the same).
pub fn invalidate_lines_keeping_edges(cache: &impl InnerCache, ptr: *const u8, len: usize) {
    let start = ptr.addr();
    let end = start.saturating_add(len);
    for line in lines(ptr, len) {
        if line < start || line.saturating_add(LINE) > end {
            cache.clean_line(line);
        }
        cache.invalidate_line(line);
    }
}

/// The RAM a DMA engine can reach, mapped one-to-one by the firmware (CPU address = bus
/// address), as both the Armada 370 MBus and the IXP420 AHB see SDRAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaWindow {
    /// First address.
    pub base: u32,
    /// Length in bytes.
    pub len: u32,
}

impl DmaWindow {
    /// Whether `addr` is inside the window.
    pub fn contains(&self, addr: usize) -> bool {
        addr >= self.base as usize && addr - (self.base as usize) < self.len as usize
    }

    /// The bus address of `ptr`, if the device can reach it.
    pub fn bus_address(&self, ptr: *const u8) -> Option<u32> {
        let addr = ptr.expose_provenance();
        if self.contains(addr) {
            u32::try_from(addr).ok()
        } else {
            None
        }
    }

    /// The CPU pointer for a bus address the device reported, if it is inside the window.
    pub fn cpu_pointer(&self, bus: u32) -> Option<*mut u8> {
        let addr = usize::try_from(bus).ok()?;
        self.contains(addr)
            .then(|| core::ptr::with_exposed_provenance_mut(addr))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::RefCell;
    use std::vec::Vec;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Op {
        Clean(usize),
        Invalidate(usize),
    }

    #[derive(Default)]
    struct Log(RefCell<Vec<Op>>);

    impl InnerCache for Log {
        fn clean_line(&self, addr: usize) {
            self.0.borrow_mut().push(Op::Clean(addr));
        }
        fn invalidate_line(&self, addr: usize) {
            self.0.borrow_mut().push(Op::Invalidate(addr));
        }
        fn barrier(&self) {}
    }

    fn at(addr: usize) -> *const u8 {
        core::ptr::without_provenance(addr)
    }

    #[test]
    fn a_range_covers_every_line_it_touches_and_nothing_else() {
        let log = Log::default();
        clean_lines(&log, at(0x1010), 0x30);
        assert_eq!(*log.0.borrow(), [Op::Clean(0x1000), Op::Clean(0x1020)]);
        log.0.borrow_mut().clear();
        clean_lines(&log, at(0x1000), 0x40);
        assert_eq!(*log.0.borrow(), [Op::Clean(0x1000), Op::Clean(0x1020)]);
        log.0.borrow_mut().clear();
        clean_lines(&log, at(0x101f), 1);
        assert_eq!(*log.0.borrow(), [Op::Clean(0x1000)]);
    }

    #[test]
    fn an_empty_range_touches_no_line() {
        let log = Log::default();
        clean_lines(&log, at(0x1010), 0);
        invalidate_lines(&log, at(0x1010), 0);
        invalidate_lines_keeping_edges(&log, at(0x1010), 0);
        assert!(log.0.borrow().is_empty());
    }

    #[test]
    fn plain_invalidation_discards_partial_lines_too() {
        let log = Log::default();
        invalidate_lines(&log, at(0x1010), 0x30);
        assert_eq!(
            *log.0.borrow(),
            [Op::Invalidate(0x1000), Op::Invalidate(0x1020)]
        );
    }

    #[test]
    fn edges_shared_with_a_neighbour_are_cleaned_before_they_are_invalidated() {
        let log = Log::default();
        // 0x1010..0x1050: partial first line, whole middle line, partial last line.
        invalidate_lines_keeping_edges(&log, at(0x1010), 0x40);
        assert_eq!(
            *log.0.borrow(),
            [
                Op::Clean(0x1000),
                Op::Invalidate(0x1000),
                Op::Invalidate(0x1020),
                Op::Clean(0x1040),
                Op::Invalidate(0x1040),
            ]
        );
        log.0.borrow_mut().clear();
        // Whole lines: nothing to keep.
        invalidate_lines_keeping_edges(&log, at(0x1000), 0x40);
        assert_eq!(
            *log.0.borrow(),
            [Op::Invalidate(0x1000), Op::Invalidate(0x1020)]
        );
    }

    #[test]
    fn bus_addresses_are_identity_inside_the_window_only() {
        let window = DmaWindow {
            base: 0x1000,
            len: 0x1000,
        };
        assert_eq!(window.bus_address(at(0x1000)), Some(0x1000));
        assert_eq!(window.bus_address(at(0x1fff)), Some(0x1fff));
        assert_eq!(window.bus_address(at(0x2000)), None);
        assert_eq!(window.bus_address(at(0xfff)), None);
        assert!(window.cpu_pointer(0x1800).is_some());
        assert!(window.cpu_pointer(0x2000).is_none());
    }

    #[test]
    fn a_window_reaching_the_top_of_the_address_space_does_not_overflow() {
        let window = DmaWindow {
            base: 0xF000_0000,
            len: 0x1000_0000,
        };
        assert!(window.contains(0xFFFF_FFFF));
        assert!(!window.contains(0xEFFF_FFFF));
    }
}
