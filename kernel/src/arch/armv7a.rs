//! ARMv7-A: Cortex-A9 (QEMU vexpress-a9) and Marvell PJ4B (Armada 370).
//!
//! References: *ARM Architecture Reference Manual ARMv7-A/R* (DDI 0406C) §B3.5.1
//! "Short-descriptor translation table format" (section descriptors), §B3.8.2 (memory region
//! attributes, TEX/C/B with SCTLR.TRE = 0), §B4.1.130 (SCTLR), §B4.2.1 (cache maintenance by
//! set/way).

use super::SectionKind;

/// Section descriptor bits (B3.5.1, Figure B3-4).
const SECTION: u32 = 0b10;
const B: u32 = 1 << 2;
const C: u32 = 1 << 3;
const XN: u32 = 1 << 4;
/// AP[1:0] = 0b11: read/write at every privilege level (AP[2] = 0).
const AP_FULL: u32 = 0b11 << 10;
const TEX_SHIFT: u32 = 12;

/// A 1 MiB section at `base` (domain 0).
pub(super) const fn section_descriptor(base: u32, kind: SectionKind) -> u32 {
    let attributes = match kind {
        // Normal, outer and inner write-back write-allocate: TEX = 0b001, C = 1, B = 1.
        SectionKind::Ram => (0b001 << TEX_SHIFT) | C | B,
        // Shareable device: TEX = 0b000, C = 0, B = 1; never executable.
        SectionKind::Device => B | XN,
    };
    (base & 0xfff0_0000) | AP_FULL | attributes | SECTION
}

/// Invalidates every data/unified cache level by set/way (B4.2.1), as the ARM ARM's example
/// sequence does. Needed before the caches are first enabled: their contents are undefined after
/// reset on real silicon.
fn invalidate_data_caches() {
    // SAFETY: CLIDR/CSSELR/CCSIDR reads and DCISW writes only affect cache contents, which hold
    // nothing of value while the data cache is still disabled.
    unsafe {
        let clidr: u32;
        core::arch::asm!("mrc p15, 1, {0}, c0, c0, 1", out(reg) clidr, options(nomem, nostack));
        let levels = (clidr >> 24) & 0x7; // LoC
        for level in 0..levels {
            let cache_type = (clidr >> (level * 3)) & 0x7;
            if cache_type < 2 {
                continue; // no data cache at this level
            }
            core::arch::asm!("mcr p15, 2, {0}, c0, c0, 0", "isb", in(reg) level << 1, options(nostack));
            let ccsidr: u32;
            core::arch::asm!("mrc p15, 1, {0}, c0, c0, 0", out(reg) ccsidr, options(nomem, nostack));
            let line_shift = (ccsidr & 0x7) + 4;
            let ways = ((ccsidr >> 3) & 0x3ff) + 1;
            let sets = ((ccsidr >> 13) & 0x7fff) + 1;
            let way_shift = (ways - 1).leading_zeros() & 31;
            for way in 0..ways {
                for set in 0..sets {
                    let operand = (way.checked_shl(way_shift).unwrap_or(0))
                        | (set << line_shift)
                        | (level << 1);
                    core::arch::asm!("mcr p15, 0, {0}, c7, c6, 2", in(reg) operand, options(nostack));
                }
            }
        }
        core::arch::asm!("dsb", "isb", options(nostack));
    }
}

/// Turns on the MMU with `table` as TTBR0, domain 0 as client, caches and branch prediction on.
///
/// # Safety
/// `table` must hold a valid identity map covering the running code, its data and stacks.
pub(super) unsafe fn enable_mmu(table: usize) {
    invalidate_data_caches();
    // SAFETY: the caller guarantees the table maps everything in use one-to-one, so execution
    // continues at the same addresses once translation is on.
    unsafe {
        core::arch::asm!(
            "mov {tmp}, #0",
            "mcr p15, 0, {tmp}, c7, c5, 0",   // ICIALLU: invalidate instruction cache
            "mcr p15, 0, {tmp}, c7, c5, 6",   // BPIALL: invalidate branch predictors
            "mcr p15, 0, {tmp}, c8, c7, 0",   // TLBIALL
            "mcr p15, 0, {tmp}, c2, c0, 2",   // TTBCR = 0: TTBR0 translates everything
            "mcr p15, 0, {table}, c2, c0, 0", // TTBR0 (table walks non-cacheable)
            "mov {tmp}, #1",
            "mcr p15, 0, {tmp}, c3, c0, 0",   // DACR: domain 0 client, so permissions and XN apply
            "dsb",
            "isb",
            "mrc p15, 0, {tmp}, c1, c0, 0",   // SCTLR
            "bic {tmp}, {tmp}, #(1 << 1)",    // A = 0: unaligned accesses to Normal memory allowed
            "bic {tmp}, {tmp}, #(1 << 28)",   // TRE = 0: TEX/C/B encode attributes directly
            "orr {tmp}, {tmp}, #(1 << 0)",    // M: MMU on
            "orr {tmp}, {tmp}, #(1 << 2)",    // C: data caches on
            "orr {tmp}, {tmp}, #(1 << 11)",   // Z: branch prediction on
            "orr {tmp}, {tmp}, #(1 << 12)",   // I: instruction cache on
            "mcr p15, 0, {tmp}, c1, c0, 0",
            "isb",
            tmp = out(reg) _,
            table = in(reg) table,
            options(nostack),
        );
    }
}

/// ARMv7 cores have VBAR, which aarch32-rt already pointed at the vector table.
pub fn install_vectors() {}

/// MIDR: implementer, variant, architecture, part number, revision.
pub fn cpu_id() -> u32 {
    let midr: u32;
    // SAFETY: reading MIDR has no side effects.
    unsafe {
        core::arch::asm!("mrc p15, 0, {0}, c0, c0, 0", out(reg) midr, options(nomem, nostack))
    };
    midr
}

/// (DFSR, DFAR): why and where the last data abort happened.
pub fn fault_status() -> (u32, u32) {
    let (status, address): (u32, u32);
    // SAFETY: reading DFSR and DFAR has no side effects.
    unsafe {
        core::arch::asm!(
            "mrc p15, 0, {0}, c5, c0, 0",
            "mrc p15, 0, {1}, c6, c0, 0",
            out(reg) status,
            out(reg) address,
            options(nomem, nostack),
        );
    }
    (status, address)
}
