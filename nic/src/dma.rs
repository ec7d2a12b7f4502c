//! The contract between a DMA-ring Ethernet driver (mvneta, IXP4xx NPE) and the memory system.
//!
//! Neither the Armada 370 nor the IXP420 snoops DMA: the CPU's caches and the device see RAM
//! differently unless the driver cleans (writes back) what the device will read and invalidates
//! what the device has written before the CPU reads it. A driver makes every such move through
//! [`DmaMemory`], which gives two things:
//!
//! * **Bus addresses.** Descriptors hold 32-bit physical addresses. On the boards the firmware
//!   maps RAM one-to-one, so the translation is the identity; host tests run the same driver
//!   against a register-level model whose "RAM" is an arena at some host address, so the model's
//!   implementation translates. Drivers never cast pointers to `u32` themselves.
//! * **Cache maintenance**, by address range. The board implementation performs the CP15 (and
//!   outer-cache) operations; a model records them and checks that the device never reads a
//!   line the CPU wrote without a clean in between, nor the CPU a line the device wrote without
//!   an invalidate — the mistakes real hardware punishes and an emulator forgives.
//!
//! Ranges need not be cache-line aligned; implementations round outwards. Buffers that share a
//! cache line with CPU-owned data are the driver's bug: allocate DMA buffers line-aligned.

/// A physical address as a device sees it.
pub type BusAddress = u32;

/// DMA address translation and cache maintenance for one device.
pub trait DmaMemory {
    /// The bus address of `ptr`, or `None` if the device cannot reach that memory.
    fn bus_address(&self, ptr: *const u8) -> Option<BusAddress>;

    /// The CPU pointer for a bus address the device handed back, or `None` if it lies outside
    /// memory the driver gave the device (a corrupt descriptor must not become a wild pointer).
    fn cpu_pointer(&self, bus: BusAddress) -> Option<*mut u8>;

    /// Before the device reads `len` bytes at `ptr`: write dirty lines back to RAM.
    fn clean(&self, ptr: *const u8, len: usize);

    /// Before the CPU reads `len` bytes the device wrote at `ptr`: discard cached copies.
    fn invalidate(&self, ptr: *const u8, len: usize);

    /// Both, for descriptors the CPU writes and the device then updates in place.
    fn clean_and_invalidate(&self, ptr: *const u8, len: usize) {
        self.clean(ptr, len);
        self.invalidate(ptr, len);
    }
}
