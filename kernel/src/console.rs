//! The console: one UART carrying both plain text and defmt log frames.
//!
//! # Wire format
//!
//! * **Plain text** — the boot banner, panic messages and exception reports — is written as
//!   UTF-8 with `\r\n` line ends and never contains a NUL byte. A person on `screen` or `minicom`
//!   can read it with nothing else, which matters most exactly when the box does not boot.
//! * **defmt frames** — everything logged through `defmt` — are written as
//!   `0x00`, the rzCOBS encoding of the frame (which never contains `0x00`), then `0x00`.
//!
//! So NUL bytes split the stream into segments, each of which is either text or one frame. The
//! host side (`bareproxy console`, the QEMU runner) decodes frames with the firmware's ELF and
//! passes text through; on a raw terminal frames show as a little binary noise between readable
//! lines. A decoder that joins mid-stream resynchronises at the next NUL.
//!
//! Text is written inside a critical section, so a frame logged from an interrupt never lands in
//! the middle of a line.

use core::cell::Cell;
use core::fmt;

use critical_section::Mutex;

use crate::board::Console;

/// Separates defmt frames from text and from each other.
pub const FRAME_DELIMITER: u8 = 0x00;

static CONSOLE: Mutex<Cell<Option<&'static dyn Console>>> = Mutex::new(Cell::new(None));

/// Makes `console` the kernel's console.
pub fn install(console: &'static dyn Console) {
    critical_section::with(|cs| CONSOLE.borrow(cs).set(Some(console)));
}

/// The installed console, if any.
pub fn get() -> Option<&'static dyn Console> {
    critical_section::with(|cs| CONSOLE.borrow(cs).get())
}

/// A `fmt::Write` adapter that turns `\n` into `\r\n` and drops NUL bytes, so that text can never
/// be mistaken for a frame delimiter.
pub struct TextWriter<'a> {
    console: &'a dyn Console,
}

impl<'a> TextWriter<'a> {
    /// Text output to `console`.
    pub fn new(console: &'a dyn Console) -> Self {
        Self { console }
    }
}

impl fmt::Write for TextWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for piece in text.split_inclusive('\n') {
            let (line, newline) = match piece.strip_suffix('\n') {
                Some(line) => (line.strip_suffix('\r').unwrap_or(line), true),
                None => (piece, false),
            };
            for run in line.as_bytes().split(|&b| b == FRAME_DELIMITER) {
                self.console.write_bytes(run);
            }
            if newline {
                self.console.write_bytes(b"\r\n");
            }
        }
        Ok(())
    }
}

/// Writes formatted plain text to the console, atomically with respect to log frames.
pub fn print(args: fmt::Arguments<'_>) {
    critical_section::with(|cs| {
        if let Some(console) = CONSOLE.borrow(cs).get() {
            let _ = fmt::write(&mut TextWriter::new(console), args);
        }
    });
}

/// Prints a line of plain text on the console (see the module docs for when to use text rather
/// than defmt).
#[macro_export]
macro_rules! kprintln {
    () => { $crate::console::print(format_args!("\n")) };
    ($($arg:tt)*) => {{
        $crate::console::print(format_args!($($arg)*));
        $crate::console::print(format_args!("\n"));
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    #[derive(Default)]
    struct Recorder(StdMutex<Vec<u8>>);

    impl Console for Recorder {
        fn write_bytes(&self, bytes: &[u8]) {
            self.0.lock().unwrap().extend_from_slice(bytes);
        }
        fn read_byte(&self) -> Option<u8> {
            None
        }
        fn flush(&self) {}
    }

    #[test]
    fn text_gets_crlf_and_loses_nul_bytes() {
        let recorder = Recorder::default();
        let mut writer = TextWriter::new(&recorder);
        fmt::write(&mut writer, format_args!("a\nb\r\nc\0d")).unwrap();
        assert_eq!(recorder.0.lock().unwrap().as_slice(), b"a\r\nb\r\ncd");
    }
}
