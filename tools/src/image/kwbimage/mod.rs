//! Marvell kwbimage v1: the boot image the Armada 370/XP BootROM loads from NAND, SPI-NOR or UART.
//!
//! Layout (all integers little endian; U-Boot `tools/kwbimage.h`, `tools/kwbimage.c`):
//!
//! ```text
//! 0x00            main header, 32 bytes            (MainHeader)
//! 0x20            optional headers, chained        (OptionalHeader: binary code, register writes)
//! ...             zero padding up to `src_addr`
//! src_addr        payload, zero-padded to 4 bytes
//! +block_size-4   32-bit additive checksum of the padded payload
//! ...             zero padding to the boot medium's alignment
//! ```
//!
//! * [`parse`] reads any image (and tolerates trailing bytes, e.g. a whole NAND partition dump).
//! * [`build`] lays out a new image exactly like `mkimage -T kwbimage` from U-Boot 2023.01
//!   (the Debian 12 `u-boot-tools`), from a [`KwbConfig`] that [`cfg::parse`] reads from a
//!   U-Boot `kwbimage.cfg` file.
//! * [`unbrick::rebuild`] keeps the header area of a user's own boot-partition dump (with the
//!   vendor DDR training code) and puts a new payload behind it.
//! * [`uart::patch`] prepares any image for UART boot (what `kwboot` sends).

pub mod baud_code;
pub mod cfg;
pub mod uart;
pub mod unbrick;

mod build;
mod header;

pub use build::{BuildError, MAX_BINARY_ARGS, build};
pub use header::{
    BootSource, MAIN_HEADER_LEN, MainHeader, OptionalHeader, ParsedImage, RegisterWrite, parse,
};

/// Where the BootROM runs binary-header code from on Sheeva cores (Armada 370/XP): the header
/// block is copied to on-chip SRAM at this address (U-Boot `kwbimage.c`, `add_binary_header_v1`).
pub const SHEEVA_BIN_BASE: u32 = 0x4000_4000;

/// Largest header area mkimage accepts (U-Boot `kwbimage.c`: 192 KiB).
pub const MAX_HEADER_SIZE: usize = 192 * 1024;

/// Which CPU core runs the binary headers; decides the code alignment mkimage enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cpu {
    /// No `CPU` line: code 4-byte aligned.
    #[default]
    Unspecified,
    /// `CPU FEROCEON` (Kirkwood): code 4-byte aligned.
    Feroceon,
    /// `CPU SHEEVA` (Armada 370/XP): code 16-byte aligned, dummy arguments inserted.
    Sheeva,
    /// `CPU A9` (Armada 375/38x/39x): code 4-byte aligned.
    A9,
}

/// One optional header to emit, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderSpec {
    /// Code the BootROM runs before loading the payload (DDR training), with its arguments.
    Binary {
        /// Arguments stored before the code (mkimage `BINARY file arg…`).
        args: Vec<u32>,
        /// The code; zero-padded to 4 bytes in the image.
        code: Vec<u8>,
    },
    /// Register writes done by the BootROM (mkimage `DATA` lines closed by `DATA_DELAY`).
    Register {
        /// The writes, in order.
        entries: Vec<RegisterWrite>,
        /// Delay after the writes in ms; 0 means "run the BootROM's own SDRAM setup".
        delay: u8,
    },
}

/// Everything [`build`] needs besides the payload: the contents of a `kwbimage.cfg` plus
/// mkimage's `-a`/`-e` addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KwbConfig {
    /// `BOOT_FROM` (default SPI, as in mkimage).
    pub boot_source: BootSource,
    /// `CPU`.
    pub cpu: Cpu,
    /// `NAND_PAGE_SIZE` in bytes (0 = not given).
    pub nand_page_size: u16,
    /// `NAND_BLKSZ` in bytes; stored in 64 KiB units.
    pub nand_block_size: u32,
    /// `NAND_BADBLK_LOCATION`.
    pub nand_bad_block_location: u8,
    /// `DEBUG`: ask the BootROM to print its messages.
    pub debug: bool,
    /// `BAUDRATE` for the BootROM's UART output (`None` = BootROM default).
    pub baudrate: Option<u32>,
    /// `UART_PORT` (0..=3).
    pub uart_port: u8,
    /// `UART_MPP` (0..=7).
    pub uart_mpp: u8,
    /// Optional headers in order.
    pub headers: Vec<HeaderSpec>,
    /// RAM address the payload is copied to (`mkimage -a`).
    pub dest_addr: u32,
    /// Entry point (`mkimage -e`).
    pub exec_addr: u32,
}

impl Default for KwbConfig {
    fn default() -> Self {
        Self {
            boot_source: BootSource::Spi,
            cpu: Cpu::Unspecified,
            nand_page_size: 0,
            nand_block_size: 0,
            nand_bad_block_location: 0,
            debug: false,
            baudrate: None,
            uart_port: 0,
            uart_mpp: 0,
            headers: Vec::new(),
            dest_addr: 0,
            exec_addr: 0,
        }
    }
}

/// BootROM baud-rate codes for `options` bits 2..0 (U-Boot `kwbimage.h` `MAIN_HDR_V1_OPT_BAUD_*`).
pub const BAUD_CODES: [(u32, u8); 7] = [
    (2400, 1),
    (4800, 2),
    (9600, 3),
    (19200, 4),
    (38400, 5),
    (57600, 6),
    (115200, 7),
];

/// The baud rate a code in `options` bits 2..0 stands for (`None` = BootROM default).
pub fn baud_from_code(code: u8) -> Option<u32> {
    BAUD_CODES
        .iter()
        .find(|(_, c)| *c == code & 7)
        .map(|(rate, _)| *rate)
}

/// 8-bit header checksum: byte sum of the header area with the checksum byte itself skipped.
pub fn header_checksum(header_area: &[u8]) -> u8 {
    header_area
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != header::CHECKSUM_OFFSET)
        .fold(0u8, |sum, (_, b)| sum.wrapping_add(*b))
}

/// 32-bit data checksum: sum of little-endian words of the payload zero-padded to 4 bytes.
pub fn data_checksum(payload: &[u8]) -> u32 {
    payload.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_le_bytes(word))
    })
}
