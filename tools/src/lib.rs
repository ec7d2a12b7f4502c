//! Host-side library behind the `bareproxy` command-line tool.
//!
//! Everything that reads or writes a vendor boot format lives in [`image`], one module per
//! format, with no I/O: functions take and return byte slices so that the firmware build
//! (`cargo xtask`) can call them directly and the fuzz targets can feed them arbitrary input.
//! The command-line front end (`src/main.rs` and `src/cli/`) is a thin layer over this.
//!
//! * [`image::kwbimage`] — Marvell kwbimage v1, the Armada 370 BootROM format (Mirabox).
//! * [`image::uimage`] — U-Boot legacy `uImage`, what the stock Mirabox U-Boot `bootm`s.
//! * [`image::nslu2`] — the Linksys NSLU2 8 MiB flash image (RedBoot, FIS directory, Sercomm
//!   headers and trailers), laid out like nslu2-linux's `slugimage`.
//!
//! Talking to boxes (I/O, used by the recovery commands):
//!
//! * [`kwboot`] — UART boot of Marvell SoCs (BootROM boot pattern + xmodem), and a terminal.
//! * [`upgrade`] — NSLU2 re-flashing through RedBoot's Ethernet upgrade mode (upslug2's
//!   protocol, raw `AF_PACKET` frames).
//! * [`console`] — splits the firmware's console stream into text lines and defmt log frames
//!   (also used by the QEMU runner).

pub mod console;
pub mod fuzz_support;
pub mod image;
pub mod kwboot;
pub mod upgrade;
