//! Arm Generic Interrupt Controller as found in the Cortex-A9 MPCore (GICv1 with security
//! extensions): distributor at PERIPHBASE + 0x1000, CPU interface at PERIPHBASE + 0x100.
//!
//! Register layout: *ARM Generic Interrupt Controller Architecture Specification* v1.0/v2.0,
//! §4.1.2 (distributor) and §4.1.3 (CPU interface). The firmware runs in the Secure state (QEMU's
//! vexpress defaults to `secure=on`), where every interrupt is Group 0 and signalled as IRQ.
//! Interrupt IDs: 0–15 SGI, 16–31 PPI (private timer = 29), 32+ SPI.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

/// Interrupt ID the CPU interface returns when nothing is pending (GIC spec §3.2.5).
pub const SPURIOUS: u32 = 1023;

register_structs! {
    /// Distributor (GIC spec §4.1.2); only the banks a 96-line A9 GIC has.
    pub GicDistributor {
        (0x000 => ctlr: ReadWrite<u32>),
        (0x004 => typer: ReadOnly<u32>),
        (0x008 => iidr: ReadOnly<u32>),
        (0x00c => _reserved0),
        (0x080 => igroupr: [ReadWrite<u32>; 32]),
        (0x100 => isenabler: [ReadWrite<u32>; 32]),
        (0x180 => icenabler: [ReadWrite<u32>; 32]),
        (0x200 => ispendr: [ReadWrite<u32>; 32]),
        (0x280 => icpendr: [ReadWrite<u32>; 32]),
        (0x300 => isactiver: [ReadWrite<u32>; 32]),
        (0x380 => icactiver: [ReadWrite<u32>; 32]),
        (0x400 => ipriorityr: [ReadWrite<u32>; 255]),
        (0x7fc => _reserved1),
        (0x800 => itargetsr: [ReadWrite<u32>; 255]),
        (0xbfc => _reserved2),
        (0xc00 => icfgr: [ReadWrite<u32>; 64]),
        (0xd00 => @END),
    }
}

register_structs! {
    /// CPU interface (GIC spec §4.1.3).
    pub GicCpuInterface {
        (0x00 => ctlr: ReadWrite<u32>),
        (0x04 => pmr: ReadWrite<u32>),
        (0x08 => bpr: ReadWrite<u32>),
        (0x0c => iar: ReadOnly<u32>),
        (0x10 => eoir: WriteOnly<u32>),
        (0x14 => rpr: ReadOnly<u32>),
        (0x18 => hppir: ReadOnly<u32>),
        (0x1c => @END),
    }
}

/// Default priority for every interrupt: mid-range, so a later design can place urgent sources
/// above it without renumbering.
const DEFAULT_PRIORITY: u8 = 0xa0;

/// The GIC of a single-core system.
pub struct Gic {
    dist: *const GicDistributor,
    cpu: *const GicCpuInterface,
}

// SAFETY: the driver holds only MMIO addresses; each operation is a sequence of single-register
// volatile accesses whose per-bit set/clear registers make concurrent enable/disable safe.
unsafe impl Sync for Gic {}
// SAFETY: as above.
unsafe impl Send for Gic {}

impl Gic {
    /// # Safety
    /// `distributor` and `cpu_interface` must be the addresses of the GIC's two register blocks,
    /// mapped as device memory, owned by this driver alone.
    pub const unsafe fn new(distributor: usize, cpu_interface: usize) -> Self {
        Self {
            dist: distributor as *const GicDistributor,
            cpu: cpu_interface as *const GicCpuInterface,
        }
    }

    fn dist(&self) -> &GicDistributor {
        // SAFETY: `new`'s contract.
        unsafe { &*self.dist }
    }

    fn cpu(&self) -> &GicCpuInterface {
        // SAFETY: `new`'s contract.
        unsafe { &*self.cpu }
    }

    /// Number of interrupt IDs the distributor implements: 32 × (ITLinesNumber + 1).
    pub fn line_count(&self) -> u32 {
        32 * ((self.dist().typer.get() & 0x1f) + 1)
    }

    /// Puts the distributor and CPU interface in a known state: everything disabled, cleared,
    /// Group 0, default priority, SPIs routed to CPU 0, level-sensitive; then enables both.
    pub fn init(&self) {
        let dist = self.dist();
        let banks = (self.line_count() / 32) as usize;
        dist.ctlr.set(0);
        for bank in 0..banks.min(32) {
            dist.icenabler[bank].set(u32::MAX);
            dist.icpendr[bank].set(u32::MAX);
            dist.icactiver[bank].set(u32::MAX);
            dist.igroupr[bank].set(0);
        }
        let priority_word = u32::from_ne_bytes([DEFAULT_PRIORITY; 4]);
        for word in 0..(banks * 8).min(255) {
            dist.ipriorityr[word].set(priority_word);
        }
        // ITARGETSR for IDs 0–31 is read-only (banked per CPU); SPIs start at word 8.
        for word in 8..(banks * 8).min(255) {
            dist.itargetsr[word].set(0x0101_0101);
        }
        // Level-sensitive for every SPI (ICFGR fields 0b00 / 0b01); word 0 (SGIs) is read-only.
        for word in 2..(banks * 2).min(64) {
            dist.icfgr[word].set(0);
        }
        dist.ctlr.set(1);
        let cpu = self.cpu();
        cpu.pmr.set(0xff);
        cpu.bpr.set(0);
        cpu.ctlr.set(1);
    }

    /// Lets interrupt `id` reach the CPU.
    pub fn enable(&self, id: u32) {
        if id < self.line_count() {
            self.dist().isenabler[(id / 32) as usize].set(1 << (id % 32));
        }
    }

    /// Stops interrupt `id` from reaching the CPU.
    pub fn disable(&self, id: u32) {
        if id < self.line_count() {
            self.dist().icenabler[(id / 32) as usize].set(1 << (id % 32));
        }
    }

    /// Acknowledges the highest-priority pending interrupt; `None` if it was spurious.
    pub fn acknowledge(&self) -> Option<u32> {
        let id = self.cpu().iar.get() & 0x3ff;
        (id < SPURIOUS.min(self.line_count())).then_some(id)
    }

    /// Signals the end of handling an interrupt returned by [`Gic::acknowledge`].
    pub fn end_of_interrupt(&self, id: u32) {
        self.cpu().eoir.set(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C, align(4096))]
    struct FakeGic {
        dist: [u32; 0xd00 / 4],
        cpu: [u32; 0x1c / 4],
    }

    #[test]
    fn layout_matches_the_specification() {
        assert_eq!(core::mem::offset_of!(GicDistributor, isenabler), 0x100);
        assert_eq!(core::mem::offset_of!(GicDistributor, ipriorityr), 0x400);
        assert_eq!(core::mem::offset_of!(GicDistributor, itargetsr), 0x800);
        assert_eq!(core::mem::offset_of!(GicDistributor, icfgr), 0xc00);
        assert_eq!(core::mem::offset_of!(GicCpuInterface, eoir), 0x10);
    }

    #[test]
    fn init_routes_spis_and_enable_sets_the_right_bit() {
        let mut fake = Box::new(FakeGic {
            dist: [0; 0xd00 / 4],
            cpu: [0; 7],
        });
        fake.dist[1] = 0x402; // GICD_TYPER as QEMU's A9 reports it: 96 lines, security extensions.
        let dist = fake.dist.as_mut_ptr() as usize;
        let cpu = fake.cpu.as_mut_ptr() as usize;
        // SAFETY: the fake blocks are live, aligned and used by this driver only.
        let gic = unsafe { Gic::new(dist, cpu) };
        assert_eq!(gic.line_count(), 96);
        gic.init();
        assert_eq!(fake.dist[0], 1, "distributor enabled");
        assert_eq!(
            fake.dist[0x800 / 4 + 8],
            0x0101_0101,
            "SPIs 32-35 target CPU 0"
        );
        assert_eq!(
            fake.dist[0x400 / 4 + 11],
            0xa0a0_a0a0,
            "ID 47's priority word"
        );
        assert_eq!((fake.cpu[0], fake.cpu[1]), (1, 0xff));
        gic.enable(47);
        assert_eq!(fake.dist[0x100 / 4 + 1], 1 << 15);
        gic.enable(200); // beyond the implemented lines: ignored, not a wild write
        assert_eq!(fake.dist[0x100 / 4 + 6], 0);
    }

    #[test]
    fn spurious_and_out_of_range_ids_are_not_acknowledged() {
        let mut fake = Box::new(FakeGic {
            dist: [0; 0xd00 / 4],
            cpu: [0; 7],
        });
        fake.dist[1] = 0x2;
        fake.cpu[3] = SPURIOUS;
        let (dist, cpu) = (
            fake.dist.as_mut_ptr() as usize,
            fake.cpu.as_mut_ptr() as usize,
        );
        // SAFETY: as above.
        let gic = unsafe { Gic::new(dist, cpu) };
        assert_eq!(gic.acknowledge(), None);
        fake.cpu[3] = 29;
        assert_eq!(gic.acknowledge(), Some(29));
    }
}
