//! Panics and fatal exceptions: report in plain text on the console, then reset the board.
//!
//! A panic is a bug; the report (message and source location) is the one thing a person at the
//! serial console needs to file it, so it bypasses defmt and needs no ELF to read.

use core::cell::Cell;
use core::panic::PanicInfo;

use critical_section::Mutex;

use crate::kprintln;

static PANICKING: Mutex<Cell<bool>> = Mutex::new(Cell::new(false));

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    aarch32_cpu::interrupt::disable();
    let nested = critical_section::with(|cs| PANICKING.borrow(cs).replace(true));
    if !nested {
        match info.location() {
            Some(at) => kprintln!(
                "\nPANIC at {}:{}:{}: {}",
                at.file(),
                at.line(),
                at.column(),
                info.message()
            ),
            None => kprintln!("\nPANIC: {}", info.message()),
        }
    }
    reset_after_fatal_error()
}

/// Flushes the console and resets the board; without a platform, halts.
pub(crate) fn reset_after_fatal_error() -> ! {
    match crate::kernel::platform() {
        Some(platform) => {
            kprintln!("resetting");
            platform.console.flush();
            platform.power.reset()
        }
        None => crate::kernel::halt(),
    }
}
