//! [`nic::dma::DmaMemory`] for the Armada 370 hardware: identity bus addresses and L1 + L2
//! cache maintenance.
//!
//! The Armada 370 does not snoop DMA (Linux `arch/arm/mach-mvebu/coherency.c`: I/O coherency
//! needs the coherency fabric in SMP mode, which the single-core A370 never enables), so every
//! buffer and descriptor handover needs explicit maintenance in **both** cache levels:
//! - device will read (TX buffer, any descriptor the CPU wrote): clean L1 by MVA
//!   (DCCMVAC, `mcr p15, 0, rX, c7, c10, 1`), DSB, then clean the Aurora L2 range and sync;
//! - CPU will read what the device wrote (RX buffer, descriptor status): invalidate the L2
//!   range first, then L1 by MVA (DCIMVAC, `mcr p15, 0, rX, c7, c6, 1`), DSB.
//!
//! Order from Linux `arch/arm/mm/dma-mapping.c` (`__dma_page_cpu_to_dev`: inner then outer;
//! `__dma_page_dev_to_cpu`: outer then inner). The L1 half is the shared `arm-cache` crate's
//! (`arm_cache::Armv7L1` on the board, a fake in the tests); the PJ4B L1 line is 32 bytes like
//! the Aurora's. What is this chip's alone is the Aurora L2 between the two L1 steps.
//!
//! # Cached or uncached DMA memory?
//! The mvneta driver works with either: it calls `clean`/`invalidate` at every handover, and
//! with [`UncachedDma`] those calls become barriers. This crate recommends **cached** memory
//! ([`CachedDma`]) for the buffers and descriptors:
//! - one descriptor is exactly 32 bytes = one cache line on both levels, so per-descriptor
//!   maintenance never touches a neighbour (the ring needs only 32-byte alignment);
//! - the host tests count the maintenance the driver issues (`tests/mvneta.rs`,
//!   `maintenance_cost_per_frame`): per received frame one descriptor invalidate + one
//!   descriptor clean + one buffer invalidate of `ceil(len/32)` lines; per sent frame one
//!   buffer clean and one descriptor clean. For a 1514-byte frame that is ~50 L1 operations
//!   (one MCR each) and 2–3 L2 range operations (1 KiB maximum per operation);
//! - the proxy copies every payload byte between the RX buffers and socket buffers: with
//!   uncached buffers every one of those reads is a separate uncached bus access instead of a
//!   32-byte line fill, which on ARMv7 is several times slower per byte than the maintenance.
//!
//! What was *not* measured (no board in the loop): the real cycle cost of either option. The
//! README's hardware checklist has the throughput test that decides it on a Mirabox.

use arm_cache::{DmaWindow, InnerCache, clean_lines, invalidate_lines};
use nic::dma::{BusAddress, DmaMemory};

use crate::l2::{AuroraL2, RangeOp};
use hil::mmio::Bus;

/// DMA through cached, identity-mapped memory: L1 by MVA plus the Aurora L2.
pub struct CachedDma<L1: InnerCache, B: Bus> {
    l1: L1,
    l2: Option<AuroraL2<B>>,
    ram: DmaWindow,
}

impl<L1: InnerCache, B: Bus> CachedDma<L1, B> {
    /// `l2` is `None` when the boot loader left the L2 disabled ([`AuroraL2::is_enabled`]);
    /// `ram` is the memory the device may reach (from [`crate::mbus::dram_windows`]) and must be
    /// identity-mapped by the firmware's MMU tables.
    pub fn new(l1: L1, l2: Option<AuroraL2<B>>, ram: DmaWindow) -> Self {
        CachedDma { l1, l2, ram }
    }
}

impl<L1: InnerCache, B: Bus> DmaMemory for CachedDma<L1, B> {
    fn bus_address(&self, ptr: *const u8) -> Option<BusAddress> {
        self.ram.bus_address(ptr)
    }

    fn cpu_pointer(&self, bus: BusAddress) -> Option<*mut u8> {
        self.ram.cpu_pointer(bus)
    }

    fn clean(&self, ptr: *const u8, len: usize) {
        if len == 0 {
            return;
        }
        clean_lines(&self.l1, ptr, len);
        self.l1.barrier();
        if let Some(l2) = &self.l2 {
            l2.range(RangeOp::Clean, ptr as usize as u32, len);
        }
        self.l1.barrier();
    }

    fn invalidate(&self, ptr: *const u8, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(l2) = &self.l2 {
            l2.range(RangeOp::Invalidate, ptr as usize as u32, len);
        }
        // Whole lines: the driver's buffers and descriptors are line-aligned and padded, so no
        // neighbour shares a line (and an L1 clean after the L2 invalidate would be wrong).
        invalidate_lines(&self.l1, ptr, len);
        self.l1.barrier();
    }
}

/// DMA through memory the firmware mapped Normal non-cacheable (or with caches off):
/// maintenance reduces to ordering barriers.
pub struct UncachedDma<L1: InnerCache> {
    barrier: L1,
    ram: DmaWindow,
}

impl<L1: InnerCache> UncachedDma<L1> {
    /// `barrier` provides the DSB; `ram` as for [`CachedDma::new`].
    pub fn new(barrier: L1, ram: DmaWindow) -> Self {
        UncachedDma { barrier, ram }
    }
}

impl<L1: InnerCache> DmaMemory for UncachedDma<L1> {
    fn bus_address(&self, ptr: *const u8) -> Option<BusAddress> {
        self.ram.bus_address(ptr)
    }
    fn cpu_pointer(&self, bus: BusAddress) -> Option<*mut u8> {
        self.ram.cpu_pointer(bus)
    }
    fn clean(&self, _ptr: *const u8, _len: usize) {
        // Buffered non-cacheable writes must reach DRAM before the doorbell register write.
        self.barrier.barrier();
    }
    fn invalidate(&self, _ptr: *const u8, _len: usize) {
        self.barrier.barrier();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::RefCell;
    use std::rc::Rc;
    use std::vec::Vec;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Op {
        L1Clean(usize),
        L1Inv(usize),
        Dsb,
        L2(usize, u32),
    }
    type Log = Rc<RefCell<Vec<Op>>>;
    struct FakeL1(Log);
    impl InnerCache for FakeL1 {
        fn clean_line(&self, a: usize) {
            self.0.borrow_mut().push(Op::L1Clean(a));
        }
        fn invalidate_line(&self, a: usize) {
            self.0.borrow_mut().push(Op::L1Inv(a));
        }
        fn barrier(&self) {
            self.0.borrow_mut().push(Op::Dsb);
        }
    }
    struct FakeL2(Log);
    impl Bus for FakeL2 {
        fn read(&self, _: usize) -> u32 {
            1
        }
        fn write(&self, o: usize, v: u32) {
            self.0.borrow_mut().push(Op::L2(o, v));
        }
    }

    fn dma(log: &Log) -> CachedDma<FakeL1, FakeL2> {
        CachedDma::new(
            FakeL1(log.clone()),
            Some(AuroraL2::new(FakeL2(log.clone()))),
            DmaWindow {
                base: 0,
                len: 0x4000_0000,
            },
        )
    }

    #[test]
    fn clean_is_l1_then_l2_and_invalidate_is_l2_then_l1() {
        let log: Log = Rc::default();
        let d = dma(&log);
        let p = core::ptr::without_provenance::<u8>(0x1010);
        d.clean(p, 0x30); // lines 0x1000, 0x1020
        assert_eq!(
            *log.borrow(),
            [
                Op::L1Clean(0x1000),
                Op::L1Clean(0x1020),
                Op::Dsb,
                Op::L2(0x720, 0x1000),
                Op::L2(0x7B4, 0x1020),
                Op::L2(0x700, 0),
                Op::Dsb,
            ]
        );
        log.borrow_mut().clear();
        d.invalidate(p, 0x30);
        assert_eq!(
            *log.borrow(),
            [
                Op::L2(0x720, 0x1000),
                Op::L2(0x774, 0x1020),
                Op::L2(0x700, 0),
                Op::L1Inv(0x1000),
                Op::L1Inv(0x1020),
                Op::Dsb,
            ]
        );
    }

    #[test]
    fn bus_addresses_are_identity_inside_ram_only() {
        let log: Log = Rc::default();
        let d = dma(&log);
        assert_eq!(
            d.bus_address(core::ptr::without_provenance(0x200)),
            Some(0x200)
        );
        assert_eq!(
            d.bus_address(core::ptr::without_provenance(0xD007_0000)),
            None
        );
        assert!(d.cpu_pointer(0x8000_0000).is_none());
    }
}
