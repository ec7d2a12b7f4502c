//! The Linksys NSLU2's 8 MiB NOR flash, written down once: the firmware (`boards/nslu2`) reads
//! its MAC address, configuration and NPE-B microcode from here, and the host tool
//! (`tools/src/image/nslu2.rs`, `bareproxy nslu2 pack`) builds images with this layout.
//!
//! ```text
//! 0x000000  RedBoot      256 KiB  boot loader; MAC at 0x3FFB0, Sercomm RedBoot trailer at 0x3FFBA
//! 0x040000  SysConf      128 KiB  Linksys settings
//! 0x060000  Kernel         1 MiB  16-byte header (BE32 length, 12 zero bytes) + code, 0xFF padded
//! 0x160000  Ramdisk     6.5 MiB  16-byte header + data
//! 0x7E0000  FIS directory         RedBoot partition table, 0xFF padded
//! 0x7F8000  Config        16 KiB  slugimage's "Loader config" slot; here: proxy configuration
//! 0x7FC000  Microcode     12 KiB  NPE-B microcode, 16-byte header + file, user supplied
//! 0x7FFFF0  Trailer       16 B    Sercomm flash trailer, "eRcOmM" at 0x7FFFF8
//! ```
//!
//! Sources: the Linksys RedBoot GPL tree (`upgrade.c`, the flash-trailer checks; `do_move()`
//! and `KERNEL_RAM_ADDRESS` for the kernel copy), nslu2-linux's `slugimage` (its default
//! partition table, the "Loader config" and "Microcode" pseudo partitions), Linux
//! `arch/arm/mach-ixp4xx/nslu2-setup.c` (`NODE_ADDRESS`, the MAC address in flash) and
//! `arch/arm/mach-ixp4xx/include/mach/ixp4xx-regs.h` (`IXP4XX_EXP_BUS_BASE1`, expansion-bus
//! chip select 0 at 0x5000_0000).
#![no_std]

/// Where the flash appears in the IXP420 address map (expansion-bus CS0); FIS entries store
/// absolute addresses.
pub const FLASH_BASE: usize = 0x5000_0000;
/// Flash size: 8 MiB.
pub const FLASH_SIZE: usize = 0x80_0000;
/// Erase-block size.
pub const BLOCK_SIZE: usize = 0x2_0000;
/// Length of the Sercomm partition header in front of the kernel, ramdisk, configuration and
/// microcode: a big-endian 32-bit length (0xFFFF_FFFF = erased), then 12 zero bytes.
pub const SLOT_HEADER_LEN: usize = 16;

/// A fixed region of the flash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Name (FIS directory name for real partitions).
    pub name: &'static str,
    /// Offset from the start of the flash.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
}

impl Region {
    /// The region's byte range in the flash.
    pub const fn range(self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.size
    }
    /// The largest payload after the [`SLOT_HEADER_LEN`]-byte header.
    pub const fn max_payload(self) -> usize {
        self.size - SLOT_HEADER_LEN
    }
}

/// RedBoot partition.
pub const REDBOOT: Region = Region {
    name: "RedBoot",
    offset: 0,
    size: 0x4_0000,
};
/// SysConf partition.
pub const SYSCONF: Region = Region {
    name: "SysConf",
    offset: 0x4_0000,
    size: 0x2_0000,
};
/// Kernel partition (RedBoot loads it from here).
pub const KERNEL: Region = Region {
    name: "Kernel",
    offset: 0x6_0000,
    size: 0x10_0000,
};
/// Ramdisk partition: from 0x160000 up to the FIS directory.
pub const RAMDISK: Region = Region {
    name: "Ramdisk",
    offset: 0x16_0000,
    size: 0x68_0000,
};
/// FIS directory block.
pub const FIS_DIRECTORY: Region = Region {
    name: "FIS directory",
    offset: 0x7E_0000,
    size: 0x2_0000,
};
/// Proxy configuration slot (slugimage's "Loader config" pseudo partition, inside the FIS block).
pub const CONFIG: Region = Region {
    name: "Config",
    offset: 0x7F_8000,
    size: 0x4000,
};
/// NPE-B microcode slot (slugimage's "Microcode" pseudo partition, inside the FIS block).
pub const MICROCODE: Region = Region {
    name: "Microcode",
    offset: 0x7F_C000,
    size: 0x3000,
};
/// Sercomm flash trailer.
pub const TRAILER: Region = Region {
    name: "Trailer",
    offset: 0x7F_FFF0,
    size: 16,
};
/// The board's Ethernet MAC address, 6 bytes inside the RedBoot partition (`NODE_ADDRESS`,
/// Linux `nslu2-setup.c`).
pub const MAC_ADDRESS_OFFSET: usize = 0x3_FFB0;
/// Largest NPE-B microcode file the [`MICROCODE`] slot holds.
pub const MICROCODE_MAX_LEN: usize = MICROCODE.max_payload();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_in_order_inside_the_flash() {
        let regions = [REDBOOT, SYSCONF, KERNEL, RAMDISK, FIS_DIRECTORY];
        for pair in regions.windows(2) {
            assert!(pair[0].range().end <= pair[1].offset, "{pair:?}");
        }
        assert_eq!(FIS_DIRECTORY.range().end, FLASH_SIZE);
        // The pseudo partitions and the trailer live in the FIS directory's erase block.
        for slot in [CONFIG, MICROCODE, TRAILER] {
            assert!(slot.offset >= FIS_DIRECTORY.offset);
            assert!(slot.range().end <= FIS_DIRECTORY.range().end);
        }
        assert!(REDBOOT.range().contains(&(MAC_ADDRESS_OFFSET + 5)));
        assert_eq!(MICROCODE_MAX_LEN, 0x2FF0);
    }
}
