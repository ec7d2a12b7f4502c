//! A minimal serial terminal (what `kwboot -t` does after the upload): board output to stdout,
//! keystrokes to the board, stdin in raw mode so that Ctrl-C reaches the board's U-Boot.
//!
//! Leave with Ctrl-\ followed by `c` (the same escape as kwboot); Ctrl-\ twice sends one Ctrl-\.
//! End of input on stdin (a pipe) also ends the session.

use std::io::{self, Read as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// The escape key: Ctrl-\ (FS).
pub const ESCAPE: u8 = 0x1C;
/// After [`ESCAPE`]: quit.
pub const QUIT: u8 = b'c';

/// How often the output thread checks whether the session is over.
const POLL: Duration = Duration::from_millis(100);

/// Puts a terminal into raw mode and restores it when dropped (also on error paths).
struct RawMode {
    fd: libc::c_int,
    saved: libc::termios,
}

impl RawMode {
    /// Raw mode on `fd` if it is a terminal; `None` for pipes and files.
    fn enable(fd: libc::c_int) -> Option<Self> {
        // SAFETY: isatty only inspects the descriptor.
        if unsafe { libc::isatty(fd) } != 1 {
            return None;
        }
        // SAFETY: termios is plain data; all-zero is a valid value to be overwritten.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is an open terminal and `saved` is a valid termios to fill.
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return None;
        }
        let mut raw = saved;
        // SAFETY: cfmakeraw only modifies the struct it is given.
        unsafe { libc::cfmakeraw(&mut raw) };
        // SAFETY: fd is an open terminal and `raw` a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return None;
        }
        Some(Self { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read from the same descriptor in `enable`.
        unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved) };
    }
}

/// What a keystroke means once the escape sequence is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Send(u8),
    Swallow,
    Quit,
}

/// The escape-sequence state machine.
#[derive(Debug, Default)]
struct EscapeState {
    escaped: bool,
}

impl EscapeState {
    fn key(&mut self, byte: u8) -> Key {
        match (self.escaped, byte) {
            (false, ESCAPE) => {
                self.escaped = true;
                Key::Swallow
            }
            (false, b) => Key::Send(b),
            (true, QUIT) | (true, b'C') => Key::Quit,
            (true, b) => {
                self.escaped = false;
                Key::Send(b)
            }
        }
    }
}

/// Runs the terminal until the user quits or stdin ends.
pub fn run(port: Box<dyn serialport::SerialPort>) -> io::Result<()> {
    let mut to_board = port;
    let mut from_board = to_board.try_clone()?;
    from_board.set_timeout(POLL)?;
    let done = Arc::new(AtomicBool::new(false));
    let output = {
        let done = Arc::clone(&done);
        thread::spawn(move || -> io::Result<()> {
            let mut buf = [0u8; 1024];
            let stdout = io::stdout();
            while !done.load(Ordering::Relaxed) {
                match from_board.read(&mut buf) {
                    Ok(0) => {}
                    Ok(n) => {
                        let mut out = stdout.lock();
                        out.write_all(&buf[..n])?;
                        out.flush()?;
                    }
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    };

    eprintln!("[terminal: Ctrl-\\ then c to quit]\r");
    let raw = RawMode::enable(libc::STDIN_FILENO);
    let mut escape = EscapeState::default();
    let mut stdin = io::stdin().lock();
    let mut key = [0u8; 1];
    let result = loop {
        if output.is_finished() {
            break Ok(());
        }
        match stdin.read(&mut key) {
            Ok(0) => break Ok(()),
            Ok(_) => match escape.key(key[0]) {
                Key::Send(b) => {
                    if let Err(e) = to_board.write_all(&[b]) {
                        break Err(e);
                    }
                }
                Key::Swallow => {}
                Key::Quit => break Ok(()),
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    drop(raw);
    done.store(true, Ordering::Relaxed);
    let output_result = output
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("terminal output thread panicked")));
    eprintln!("\r\n[terminal closed]");
    result.and(output_result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_then_c_quits_and_double_escape_sends_one() {
        let mut state = EscapeState::default();
        assert_eq!(state.key(b'a'), Key::Send(b'a'));
        assert_eq!(state.key(ESCAPE), Key::Swallow);
        assert_eq!(state.key(ESCAPE), Key::Send(ESCAPE));
        assert_eq!(state.key(b'c'), Key::Send(b'c'));
        assert_eq!(state.key(ESCAPE), Key::Swallow);
        assert_eq!(state.key(b'c'), Key::Quit);
    }
}
