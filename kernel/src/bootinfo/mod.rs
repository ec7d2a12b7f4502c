//! What the bootloader tells the kernel: RAM, the command line and (with a device tree) where
//! the devices are.
//!
//! Boot protocol (Linux `Documentation/arch/arm/booting.rst`): r0 = 0, r1 = machine type,
//! r2 = physical address of a DTB or of an ATAG list. Which one arrives depends on the board:
//!
//! | board | what arrives |
//! |---|---|
//! | QEMU vexpress-a9 (`-kernel` ELF + `-dtb`) | r2 = 0; QEMU put the DTB at the RAM base |
//! | Mirabox, stock U-Boot 2009 `bootm` | r2 → ATAG list (two ATAG_MEM banks, command line) |
//! | NSLU2, stock RedBoot | r2 = 0x100 → ATAG list whose ATAG_MEM is not trustworthy |
//!
//! So the kernel tries r2, then the board's probe addresses, and falls back to the board's
//! compiled-in defaults. Anything found is checked against what the board considers possible
//! before it is believed.

pub mod atag;
pub mod cmdline;
pub mod dtb;

use crate::board::{MemoryRange, Platform};

/// Most RAM banks a board can describe.
pub const MAX_RAM_BANKS: usize = 8;

/// A malformed boot-information structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootInfoError {
    /// The structure is inconsistent at `offset` bytes from its start.
    Malformed {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
}

impl core::fmt::Display for BootInfoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Malformed { offset, what } => write!(f, "{what} (at byte {offset})"),
        }
    }
}

/// More than [`MAX_RAM_BANKS`] banks were described.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyBanks;

/// The RAM banks of a board, in the order they were described.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RamBanks {
    banks: heapless::Vec<MemoryRange, MAX_RAM_BANKS>,
}

impl RamBanks {
    /// One bank.
    pub fn single(range: MemoryRange) -> Self {
        let mut banks = Self::default();
        // A fresh list has room for one bank.
        let _ = banks.push(range);
        banks
    }

    /// Adds a bank; empty banks are ignored. Fails when the list is full.
    pub fn push(&mut self, range: MemoryRange) -> Result<(), TooManyBanks> {
        if range.size == 0 {
            return Ok(());
        }
        self.banks.push(range).map_err(|_| TooManyBanks)
    }

    /// The banks.
    pub fn as_slice(&self) -> &[MemoryRange] {
        &self.banks
    }

    /// Total RAM in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.banks.iter().map(|bank| bank.size as u64).sum()
    }

    /// Whether every bank lies inside `window` and `address` is in one of them.
    fn plausible(&self, window: MemoryRange, address: usize) -> bool {
        !self.banks.is_empty()
            && self
                .banks
                .iter()
                .all(|bank| bank.base >= window.base && bank.end() <= window.end())
            && self.banks.iter().any(|bank| bank.contains(address))
    }
}

/// Where the boot information came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A flattened device tree.
    DeviceTree,
    /// An ATAG list.
    Atags,
    /// The board's compiled-in defaults.
    BoardDefaults,
}

impl Source {
    /// Short human description for the banner.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::DeviceTree => "from device tree",
            Self::Atags => "from ATAGs",
            Self::BoardDefaults => "board default",
        }
    }
}

/// Longest command line kept.
pub const CMDLINE_CAPACITY: usize = 256;

/// The kernel's view of the boot information.
#[derive(Debug)]
pub struct BootInfo {
    /// Where RAM size and devices came from.
    pub source: Source,
    /// RAM banks.
    pub ram: RamBanks,
    /// The kernel command line (truncated to [`CMDLINE_CAPACITY`]).
    pub cmdline: heapless::String<CMDLINE_CAPACITY>,
    /// The device tree, when one was found; it stays readable because its RAM is reserved.
    pub dtb: Option<&'static [u8]>,
    /// Machine type from r1.
    pub machine_type: u32,
    /// Why a structure that was found was not used, for the boot log.
    pub rejected: Option<(usize, BootInfoError)>,
}

impl BootInfo {
    /// The address of the first device tree node compatible with `compatible`, translated to a
    /// CPU physical address; `None` without a device tree or without such a node.
    pub fn device_address(&self, compatible: &str) -> Option<usize> {
        dtb::device_address(self.dtb?, compatible)
    }
}

fn copy_cmdline(text: Option<&str>) -> heapless::String<CMDLINE_CAPACITY> {
    let mut out = heapless::String::new();
    for ch in text.unwrap_or("").chars() {
        if out.push(ch).is_err() {
            break;
        }
    }
    out
}

/// Largest DTB or ATAG list we are willing to read.
const MAX_BLOB_BYTES: usize = 1 << 20;

/// Finds and parses the boot information.
///
/// `regs` are r0–r2 as the bootloader left them; `kernel_address` is an address inside the
/// running image (RAM found must contain it, or it is not believed).
///
/// # Safety
/// Every address inside `platform.ram_window` must be readable RAM (or at least readable without
/// side effects) while this runs.
pub unsafe fn discover(regs: [u32; 3], platform: &Platform, kernel_address: usize) -> BootInfo {
    let mut info = BootInfo {
        source: Source::BoardDefaults,
        ram: RamBanks::single(platform.default_ram),
        cmdline: heapless::String::new(),
        dtb: None,
        machine_type: regs[1],
        rejected: None,
    };
    let window = platform.ram_window;
    let r2 = regs[2] as usize;
    let candidates = core::iter::once(r2).chain(platform.boot_info_probes.iter().copied());
    for address in candidates {
        if address % 4 != 0 || !window.contains(address) || window.end() - address < 8 {
            continue;
        }
        let available = (window.end() - address).min(MAX_BLOB_BYTES);
        // SAFETY: `address..address + available` lies inside the RAM window, readable per this
        // function's contract, and nothing writes it while the kernel boots.
        let blob = unsafe { core::slice::from_raw_parts(address as *const u8, available) };
        if dtb::looks_like_dtb(blob) {
            match dtb::parse(blob) {
                Ok(found) if found.ram.plausible(window, kernel_address) => {
                    info.source = Source::DeviceTree;
                    info.ram = found.ram;
                    info.cmdline = copy_cmdline(found.cmdline);
                    info.dtb = Some(&blob[..found.total_size]);
                    return info;
                }
                Ok(_) => info.rejected = Some((address, implausible_ram())),
                Err(error) => info.rejected = Some((address, error)),
            }
        } else if atag::looks_like_atags(blob) {
            match atag::parse(blob) {
                Ok(found) if found.ram.plausible(window, kernel_address) => {
                    info.source = Source::Atags;
                    info.ram = found.ram;
                    info.cmdline = copy_cmdline(found.cmdline);
                    return info;
                }
                Ok(_) => info.rejected = Some((address, implausible_ram())),
                Err(error) => info.rejected = Some((address, error)),
            }
        }
    }
    info
}

const fn implausible_ram() -> BootInfoError {
    BootInfoError::Malformed {
        offset: 0,
        what: "RAM banks outside the board's RAM window or not holding the kernel",
    }
}
