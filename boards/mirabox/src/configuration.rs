//! Where the Mirabox's proxy configuration comes from: a slot in RAM that U-Boot fills before
//! `bootm`, or the built-in fallback.
//!
//! The slot ([`SLOT`]) is 256 KiB at 0x00F0_0000 (15 MiB): clear of the image (from 0x8000, at
//! most 6 MiB - 32 KiB, `linker/mirabox.x`), of U-Boot itself (0x0060_0000..0x006B_0000), of the
//! usual uImage load address 0x0200_0000, and kept out of the heap by the platform's
//! reserved list (`memory_map::RESERVED`). It is as large as the largest configuration the parser accepts
//! (`proxy::config::limits::MAX_CONFIG_BYTES`).
//!
//! Format (`kernel::config_slot`): a big-endian 32-bit length, twelve zero bytes, the
//! haproxy.cfg text. U-Boot loads the file as it is (`tftpboot 0x00F00000 bareproxy.cfg.slot`);
//! what follows it in RAM does not matter, the length says where the text ends.
//!
//! Decisions, as a box owner sees them:
//! - no configuration in the slot (nothing loaded, or zeroed RAM): the built-in fallback
//!   (`fallback.cfg`) runs — a status page at `http://<box>/stats` and nothing else, so the box
//!   is visibly alive but balances nothing;
//! - a configuration that does not parse: the error (file, line, keyword) is printed and no proxy
//!   runs, as HAProxy refuses to start on a bad file; the box still answers ping;
//! - the slot is plain RAM: it survives a warm reset (`reset`, the watchdog), so a box that
//!   reboots without loading the slot again keeps the configuration it had. To get the fallback
//!   back, clear the header from U-Boot: `mw.l 0x00F00000 0 4`.

use kernel::board::MemoryRange;

/// The configuration slot in RAM.
pub const SLOT: MemoryRange = MemoryRange {
    base: 0x00F0_0000,
    size: 0x4_0000,
};

/// The configuration used when the slot is empty.
const FALLBACK: &str = include_str!("fallback.cfg");
/// Its name in errors.
const FALLBACK_NAME: &str = "built-in fallback.cfg";

/// Where the application finds the configuration (`app::load_configuration` reads it).
pub fn source() -> app::ConfigSource<'static> {
    // SAFETY: the slot is RAM the kernel keeps out of its heap, identity-mapped; nothing writes
    // it after U-Boot (the kernel never hands it out, so the shared slice is never aliased by a
    // writer).
    let slot = unsafe { core::slice::from_raw_parts(SLOT.base as *const u8, SLOT.size) };
    app::ConfigSource {
        slot,
        slot_description: "RAM slot at 0x00f00000",
        fallback_name: FALLBACK_NAME,
        fallback_text: FALLBACK,
        fallback_note: "no configuration in the RAM slot at 0x00f00000; serving only the status \
                        page on port 80 (/stats)",
    }
}
