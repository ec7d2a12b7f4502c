//! The expansion bus: chip-select configuration, the feature ("fuse") register, and reads of the
//! NOR flash on CS0 (where the MAC address and the user-supplied NPE microcode live).
//!
//! Flash access rules (Linux 2.6 `drivers/mtd/maps/ixp4xx.c`, LKML "ixp4xx_copy_from little
//! endian/alignment", 2005): the bus makes only 16-bit accesses to the 16-bit flash, and the
//! data is laid out for a big-endian reader: byte stream A B is the half-word A << 8 | B. A BE32
//! CPU reads that half-word at the even address; a little-endian one must read at `address ^ 2`
//! (address coherency) and gets the same value. [`FlashBus::read_be16`] returns that value, so
//! [`Flash`] is endian-correct by construction.
//!
//! Configuration registers (Linux `drivers/bus/intel-ixp4xx-eb.c`): EXP_TIMING_CSn at 4·n,
//! EXP_CNFG0 0x20, EXP_CNFG1 0x24, EXP_CNFG2 0x28 (features, reads inverted; NPE reset bits).

use tock_registers::interfaces::Readable;

use hil::mmio::{Bus, RegDef, reg};

/// 16-bit reads from a flash window.
pub trait FlashBus {
    /// The half-word holding bytes `offset` (bits 15:8) and `offset + 1` (bits 7:0);
    /// `offset` is even and below the window size.
    fn read_be16(&self, offset: usize) -> u16;
}

impl<T: FlashBus + ?Sized> FlashBus for &T {
    fn read_be16(&self, offset: usize) -> u16 {
        (**self).read_be16(offset)
    }
}

/// The flash, memory-mapped through an expansion-bus chip select.
#[derive(Debug)]
pub struct FlashMmio {
    base: usize,
    size: usize,
}

impl FlashMmio {
    /// The flash window of `size` bytes at `base`.
    ///
    /// # Safety
    /// `base..base + size` must be the flash window, mapped (uncached or device) and in array
    /// (read) mode for as long as the value lives; no one may program the flash meanwhile.
    pub unsafe fn new(base: usize, size: usize) -> Self {
        FlashMmio { base, size }
    }
}

impl FlashBus for FlashMmio {
    fn read_be16(&self, offset: usize) -> u16 {
        debug_assert!(offset.is_multiple_of(2) && offset < self.size);
        // Little-endian cores see the two half-words of a bus word swapped (address coherency).
        let lane = if cfg!(target_endian = "little") { 2 } else { 0 };
        let ptr = core::ptr::with_exposed_provenance::<u16>(self.base + (offset ^ lane));
        // SAFETY: `new`'s contract makes the window readable; `offset` is even and inside it,
        // so the access is an aligned 16-bit read of flash.
        unsafe { ptr.read_volatile() }
    }
}

/// Why a flash read was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FlashError {
    /// `offset..offset + len` is not inside the flash.
    OutOfRange {
        /// Requested start.
        offset: usize,
        /// Requested length.
        len: usize,
    },
    /// The MAC address in flash is erased, multicast or all zero.
    InvalidMacAddress([u8; 6]),
    /// The microcode slot is erased: the user has not supplied NPE-B microcode.
    NoMicrocode,
    /// The microcode slot's header gives a length larger than the slot (or the buffer).
    MicrocodeTooLarge {
        /// Length from the header.
        len: u32,
        /// Largest length accepted.
        max: usize,
    },
}

/// Byte-granular reads from a 16-bit flash.
#[derive(Debug)]
pub struct Flash<F: FlashBus> {
    bus: F,
    size: usize,
}

/// Where a length-prefixed file lives in flash: a `header_len`-byte header whose first word is
/// the file's big-endian length (0xFFFF_FFFF = erased slot), then the file. The NSLU2 keeps
/// its NPE-B microcode in one (`nslu2-layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashSlot {
    /// Offset of the header from the start of the flash.
    pub offset: usize,
    /// Bytes of header before the file.
    pub header_len: usize,
    /// Largest file the slot holds.
    pub max_len: usize,
}

impl<F: FlashBus> Flash<F> {
    /// Wraps a bus over a flash of `size` bytes.
    pub const fn new(bus: F, size: usize) -> Self {
        Flash { bus, size }
    }

    /// Size of the flash in bytes.
    pub const fn size(&self) -> usize {
        self.size
    }

    /// Copies `buf.len()` bytes starting at `offset` (any alignment) into `buf`.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), FlashError> {
        let out_of_range = FlashError::OutOfRange {
            offset,
            len: buf.len(),
        };
        let end = offset.checked_add(buf.len()).ok_or(out_of_range)?;
        if end > self.size {
            return Err(out_of_range);
        }
        for (i, byte) in buf.iter_mut().enumerate() {
            let at = offset + i;
            let half = self.bus.read_be16(at & !1).to_be_bytes();
            *byte = half[at & 1];
        }
        Ok(())
    }

    /// The station MAC address the factory stored at `offset` (a board fact), refused if erased
    /// (FF…), all zero or multicast.
    pub fn mac_address_at(&self, offset: usize) -> Result<nic::MacAddress, FlashError> {
        let mut mac = [0u8; 6];
        self.read(offset, &mut mac)?;
        let candidate = nic::MacAddress(mac);
        if candidate.is_valid_station() {
            Ok(candidate)
        } else {
            Err(FlashError::InvalidMacAddress(mac))
        }
    }
}

impl<F: FlashBus> Flash<F> {
    /// Copies the user-supplied NPE microcode file out of its flash `slot` into `buf` and
    /// returns it; give it a buffer of `slot.max_len` bytes. The file itself is validated by
    /// [`crate::npe::Firmware::parse`].
    pub fn read_microcode<'b>(
        &self,
        slot: FlashSlot,
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], FlashError> {
        let mut header = [0u8; 4];
        self.read(slot.offset, &mut header)?;
        let len = u32::from_be_bytes(header);
        if len == u32::MAX {
            return Err(FlashError::NoMicrocode);
        }
        let max = slot.max_len.min(buf.len());
        let fits = usize::try_from(len).ok().filter(|&l| l <= max);
        let len_bytes = fits.ok_or(FlashError::MicrocodeTooLarge { len, max })?;
        let file = &mut buf[..len_bytes];
        self.read(slot.offset + slot.header_len, file)?;
        Ok(file)
    }
}

const EXP_TIMING_CS0: RegDef<()> = RegDef::at(0x00);
const EXP_CNFG0: RegDef<()> = RegDef::at(0x20);
const EXP_CNFG2: RegDef<()> = RegDef::at(0x28);

/// Feature bits of EXP_CNFG2 as Linux's `cpu_ixp4xx_features()` reports them (register bits
/// read inverted: a feature is present when its register bit reads 0).
pub mod feature {
    /// NPE-B Ethernet 0 (`IXP4XX_FEATURE_NPEB_ETH0`).
    pub const NPEB_ETH0: u32 = 1 << 9;
    /// NPE-A present / out of reset.
    pub const RESET_NPEA: u32 = 1 << 11;
    /// NPE-B present / out of reset.
    pub const RESET_NPEB: u32 = 1 << 12;
    /// NPE-C present / out of reset.
    pub const RESET_NPEC: u32 = 1 << 13;
    /// Bits defined on the IXP42x.
    pub const IXP42X_MASK: u32 = 0x00C3_FFFF;
}

/// The expansion-bus configuration block (read-only use: features and the flash timing).
///
/// The hard NPE reset through EXP_CNFG2 is deliberately not offered: old and current Linux
/// disagree on its write polarity (Linux `ixp4xx-npe.c` `npe_reset` before and after its DT
/// conversion); the soft reset in [`crate::npe`] is
/// what Linux relies on for a working engine.
#[derive(Debug)]
pub struct ExpansionBus<B: Bus> {
    bus: B,
}

impl<B: Bus> ExpansionBus<B> {
    /// Wraps a bus.
    pub const fn new(bus: B) -> Self {
        ExpansionBus { bus }
    }

    /// The feature set in Linux's sense: bit set = present/enabled (see [`feature`]).
    pub fn features(&self) -> u32 {
        !reg(&self.bus, EXP_CNFG2).get() & feature::IXP42X_MASK
    }

    /// Whether the chip has NPE-B with its Ethernet MAC (Linux refuses the port otherwise).
    pub fn has_npeb_ethernet(&self) -> bool {
        let wanted = feature::NPEB_ETH0 | feature::RESET_NPEB;
        self.features() & wanted == wanted
    }

    /// The CS0 (flash) timing register: bit 31 enable, bit 1 write enable, bit 0 8-bit.
    pub fn flash_timing(&self) -> u32 {
        reg(&self.bus, EXP_TIMING_CS0).get()
    }

    /// Whether the boot-time alias of the flash at address 0 is still on (EXP_CNFG0 bit 31);
    /// RedBoot turns it off, so `true` means RAM at 0 is hidden.
    pub fn flash_aliased_at_zero(&self) -> bool {
        reg(&self.bus, EXP_CNFG0).get() & (1 << 31) != 0
    }
}
