//! Where the NSLU2's proxy configuration comes from: the flash slot at 0x7F8000, or the
//! built-in fallback.
//!
//! The slot (16 KiB, slugimage's "Loader config" pseudo partition) is written by `bareproxy
//! nslu2 pack --config <haproxy.cfg>`: a big-endian 32-bit length, twelve zero bytes, the text,
//! then erased flash (0xFF). It is copied to RAM through [`Flash::read`] rather than read as a
//! slice of the expansion-bus window: the bus makes only 16-bit accesses to the 16-bit flash,
//! and `Flash` is the reader that gets the byte order right.
//!
//! Decisions, as a box owner sees them:
//! - erased or empty slot: the built-in fallback (`fallback.cfg`) runs — a status page at
//!   `http://<box>/stats` and nothing else, so the box is visibly alive but balances nothing;
//! - a configuration that does not parse: the error (file, line, keyword) is printed and no proxy
//!   runs, as HAProxy refuses to start on a bad file; the box still answers ping. Check a file
//!   before flashing it with `bareproxy check-config`.

use alloc::vec;
use alloc::vec::Vec;

use ixp4xx::expbus::{Flash, FlashBus};
use kernel::kprintln;
use proxy::config::Parsed;

/// Offset of the configuration slot in flash (`nslu2-layout`, shared with the host tool).
const SLOT_OFFSET: usize = nslu2_layout::CONFIG.offset;
/// Size of the slot, header included.
const SLOT_SIZE: usize = nslu2_layout::CONFIG.size;

/// The configuration used when the slot is empty.
const FALLBACK: &str = include_str!("fallback.cfg");
/// Its name in errors.
const FALLBACK_NAME: &str = "built-in fallback.cfg";

/// The configuration to run, or `None` if the one in flash was rejected (reason logged). The
/// slot's RAM copy is freed on return.
pub fn load<F: FlashBus>(flash: &Flash<F>) -> Option<Parsed> {
    let slot = read_slot(flash);
    app::load_configuration(&app::ConfigSource {
        slot: &slot,
        slot_description: "flash slot at 0x7f8000",
        fallback_name: FALLBACK_NAME,
        fallback_text: FALLBACK,
        fallback_note: "no configuration in the flash slot at 0x7f8000; serving only the status \
                        page on port 80 (/stats)",
    })
}

/// The slot's bytes; an unreadable slot reads as erased (logged).
fn read_slot<F: FlashBus>(flash: &Flash<F>) -> Vec<u8> {
    let mut slot = vec![0u8; SLOT_SIZE];
    if let Err(error) = flash.read(SLOT_OFFSET, &mut slot) {
        kprintln!(
            "proxy: configuration slot at flash {:#x} unreadable: {:?}",
            SLOT_OFFSET,
            error
        );
        slot.fill(0xFF);
    }
    slot
}
