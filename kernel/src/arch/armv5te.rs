//! ARMv5TE as implemented by the Intel XScale core (IXP420 in the NSLU2; PXA255 under QEMU).
//!
//! References: *ARM Architecture Reference Manual* (DDI 0100I) §B4.3 "First-level descriptors"
//! and §B4.4 "Second-level descriptors"; *Intel XScale Core Developer's Manual* §3.2 (the X bit,
//! TEX[0]), §2.3.3 (CPWAIT). Idling is the chip's choice (`hil::Idle`). Linux `arch/arm/mm/mmu.c`
//! (`build_mem_type_table`) clears descriptor bit 4 on the XScale family, so we do too.
//!
//! ARMv5 has no VBAR: the vectors are at 0 or, with SCTLR.V, at 0xFFFF_0000. Address 0 is
//! RedBoot's RAM on the NSLU2 and flash on QEMU's PXA boards, so the kernel uses high vectors,
//! mapping the 4 KiB page at 0xFFFF_0000 onto a page of its own through a second-level table.

use super::{SectionKind, TRANSLATION_TABLE};

const SECTION: u32 = 0b10;
const COARSE_TABLE: u32 = 0b01;
const SMALL_PAGE: u32 = 0b10;
const B: u32 = 1 << 2;
const C: u32 = 1 << 3;
/// AP = 0b11 (read/write for all) for a section...
const AP_FULL: u32 = 0b11 << 10;
/// ... and for the four subpages of a small page.
const SMALL_PAGE_AP_FULL: u32 = 0xff << 4;

/// Where the high vectors live.
const HIGH_VECTORS: usize = 0xffff_0000;

/// A 1 MiB section at `base` (domain 0).
pub(super) const fn section_descriptor(base: u32, kind: SectionKind) -> u32 {
    let attributes = match kind {
        // XScale: X = 0, C = 1, B = 1 is write-back, read-allocate (Developer's Manual table 3-2).
        SectionKind::Ram => C | B,
        // Uncached, unbuffered: every register access reaches the device, in order.
        SectionKind::Device => 0,
    };
    (base & 0xfff0_0000) | AP_FULL | attributes | SECTION
}

/// The second-level table for the last MiB of the address space and the page it maps at
/// 0xFFFF_0000: eight `ldr pc, [pc, #24]` followed by the eight handler addresses.
#[repr(C, align(1024))]
struct CoarseTable([u32; 256]);
#[repr(C, align(4096))]
struct VectorPage([u32; 1024]);

static mut HIGH_VECTOR_TABLE: CoarseTable = CoarseTable([0; 256]);
static mut VECTOR_PAGE: VectorPage = VectorPage([0; 1024]);

unsafe extern "C" {
    fn _start();
    fn _asm_undefined_handler();
    fn _asm_svc_handler();
    fn _asm_prefetch_abort_handler();
    fn _asm_data_abort_handler();
    fn _asm_irq_handler();
    fn _asm_fiq_handler();
}

/// Fills the vector page and maps it at 0xFFFF_0000.
///
/// # Safety
/// Runs once at boot, with the MMU off, before [`enable_mmu`].
unsafe fn map_high_vectors() {
    const LDR_PC_FROM_LITERAL: u32 = 0xe59f_f018; // ldr pc, [pc, #24]
    let handlers: [unsafe extern "C" fn(); 8] = [
        _start,
        _asm_undefined_handler,
        _asm_svc_handler,
        _asm_prefetch_abort_handler,
        _asm_data_abort_handler,
        _start, // the reserved vector is never taken
        _asm_irq_handler,
        _asm_fiq_handler,
    ];
    // SAFETY: single-threaded boot, MMU off; the raw pointers avoid references to `static mut`s.
    unsafe {
        let page = &mut *core::ptr::addr_of_mut!(VECTOR_PAGE);
        for (slot, handler) in handlers.iter().enumerate() {
            page.0[slot] = LDR_PC_FROM_LITERAL;
            page.0[slot + 8] = *handler as usize as u32;
        }
        let page_address = core::ptr::addr_of!(VECTOR_PAGE) as u32;
        let coarse = &mut *core::ptr::addr_of_mut!(HIGH_VECTOR_TABLE);
        coarse.0[(HIGH_VECTORS >> 12) & 0xff] =
            (page_address & 0xffff_f000) | SMALL_PAGE_AP_FULL | C | B | SMALL_PAGE;
        let table = &mut *core::ptr::addr_of_mut!(TRANSLATION_TABLE);
        table.0[HIGH_VECTORS >> 20] =
            (core::ptr::addr_of!(HIGH_VECTOR_TABLE) as u32 & 0xffff_fc00) | COARSE_TABLE;
    }
}

/// Turns on the MMU with `table`, the caches, the write buffer, branch prediction and high
/// vectors. The B (big-endian) bit RedBoot set is preserved.
///
/// # Safety
/// `table` must hold a valid identity map covering the running code, its data and stacks.
pub(super) unsafe fn enable_mmu(table: usize) {
    // SAFETY: forwarded: boot, MMU off.
    unsafe { map_high_vectors() };
    // SAFETY: the caller guarantees the identity map covers everything in use, so execution
    // continues at the same addresses once translation is on. The caches were off, so
    // invalidating them discards nothing.
    unsafe {
        core::arch::asm!(
            "mov {tmp}, #0",
            "mcr p15, 0, {tmp}, c7, c7, 0",   // invalidate I and D caches and the BTB
            "mcr p15, 0, {tmp}, c7, c10, 4",  // drain the write buffer
            "mcr p15, 0, {tmp}, c8, c7, 0",   // invalidate I and D TLBs
            "mcr p15, 0, {table}, c2, c0, 0", // TTB
            "mov {tmp}, #1",
            "mcr p15, 0, {tmp}, c3, c0, 0",   // DACR: domain 0 client
            "mrc p15, 0, {tmp}, c1, c0, 0",   // control register
            "bic {tmp}, {tmp}, #(1 << 1)",    // A = 0
            "orr {tmp}, {tmp}, #(1 << 0)",    // M
            "orr {tmp}, {tmp}, #(1 << 2)",    // C
            "orr {tmp}, {tmp}, #(1 << 3)",    // W: write buffer
            "orr {tmp}, {tmp}, #(1 << 11)",   // Z: branch target buffer
            "orr {tmp}, {tmp}, #(1 << 12)",   // I
            "orr {tmp}, {tmp}, #(1 << 13)",   // V: vectors at 0xFFFF_0000
            "mcr p15, 0, {tmp}, c1, c0, 0",
            // CPWAIT: make sure the CP15 change has taken effect before continuing.
            "mrc p15, 0, {tmp}, c2, c0, 0",
            "mov {tmp}, {tmp}",
            "sub pc, pc, #4",
            tmp = out(reg) _,
            table = in(reg) table,
            options(nostack),
        );
    }
}

/// Nothing to do after [`enable_mmu`]: the high-vector page is already in place.
pub fn install_vectors() {}

/// The CP15 ID register.
pub fn cpu_id() -> u32 {
    let id: u32;
    // SAFETY: reading the ID register has no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {0}, c0, c0, 0", out(reg) id, options(nomem, nostack)) };
    id
}

/// (FSR, FAR): why and where the last data abort happened.
pub fn fault_status() -> (u32, u32) {
    let (status, address): (u32, u32);
    // SAFETY: reading FSR and FAR has no side effects.
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
