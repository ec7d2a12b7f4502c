//! The defmt global logger: frames go to the console UART in the wire format described in
//! [`crate::console`] (`0x00`, rzCOBS frame, `0x00`), with a microsecond timestamp.

use core::cell::{Cell, UnsafeCell};

use critical_section::RestoreState;

use crate::console::{self, FRAME_DELIMITER};

defmt::timestamp!("{=u64:us}", crate::time::now().as_micros());

#[defmt::global_logger]
struct Logger;

/// Logger state, touched only between `acquire` and `release`, i.e. inside the critical section
/// `acquire` enters.
struct State {
    taken: Cell<bool>,
    restore: Cell<RestoreState>,
    encoder: UnsafeCell<defmt::Encoder>,
}

// SAFETY: every field is accessed only while the critical section taken in `acquire` is held,
// which on these single-core systems excludes every other context.
unsafe impl Sync for State {}

static STATE: State = State {
    taken: Cell::new(false),
    restore: Cell::new(RestoreState::invalid()),
    encoder: UnsafeCell::new(defmt::Encoder::new()),
};

fn write_raw(bytes: &[u8]) {
    if let Some(console) = console::get() {
        console.write_bytes(bytes);
    }
}

// SAFETY: `acquire` enters a critical section and refuses re-entry, so `write` and `release`
// run with exclusive access to the encoder, as the `Logger` contract requires.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        // SAFETY: paired with the `release` call in `Logger::release`.
        let restore = unsafe { critical_section::acquire() };
        if STATE.taken.get() {
            // A frame logged from inside a frame (a fault while logging): drop the inner one.
            // SAFETY: releases the section just acquired.
            unsafe { critical_section::release(restore) };
            panic!("defmt logger re-entered");
        }
        STATE.taken.set(true);
        STATE.restore.set(restore);
        write_raw(&[FRAME_DELIMITER]);
        // SAFETY: exclusive access inside the critical section (see `State`).
        unsafe { (*STATE.encoder.get()).start_frame(write_raw) };
    }

    unsafe fn flush() {
        if let Some(console) = console::get() {
            console.flush();
        }
    }

    unsafe fn release() {
        // SAFETY: exclusive access inside the critical section (see `State`).
        unsafe { (*STATE.encoder.get()).end_frame(write_raw) };
        STATE.taken.set(false);
        // SAFETY: restores the state saved by the matching `acquire`.
        unsafe { critical_section::release(STATE.restore.get()) };
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: exclusive access inside the critical section (see `State`).
        unsafe { (*STATE.encoder.get()).write(bytes, write_raw) };
    }
}
