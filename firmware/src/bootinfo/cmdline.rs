//! The kernel command line: space-separated `key=value` words, as Linux uses them.
//!
//! bareproxy understands:
//!
//! | word | meaning |
//! |---|---|
//! | `selftest=timer` | measure the tick against the clock and the board's reference counter |
//! | `selftest=fault` | take a deliberate data abort (checks the exception path) |
//! | `selftest=panic` | panic deliberately (checks the panic path and the reset) |
//! | `selftest=shutdown` | power off once the other self-tests have run |
//!
//! Several self-tests may be given, comma-separated, e.g. `selftest=timer,shutdown`; they run in
//! the order of the table. Unknown words are ignored, so a Linux-style command line left in a
//! bootloader environment does no harm.

/// Self-tests requested on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SelfTests {
    /// `timer`
    pub timer: bool,
    /// `fault`
    pub fault: bool,
    /// `panic`
    pub panic: bool,
    /// `shutdown`
    pub shutdown: bool,
}

/// The value of the first `key=value` word with this key.
pub fn value<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline
        .split_ascii_whitespace()
        .filter_map(|word| word.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// The self-tests the command line asks for.
pub fn self_tests(cmdline: &str) -> SelfTests {
    let mut tests = SelfTests::default();
    for name in value(cmdline, "selftest").unwrap_or("").split(',') {
        match name {
            "timer" => tests.timer = true,
            "fault" => tests.fault = true,
            "panic" => tests.panic = true,
            "shutdown" => tests.shutdown = true,
            _ => {}
        }
    }
    tests
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_and_self_tests() {
        let line = "console=ttyAMA0 selftest=timer,shutdown,bogus root=/dev/x";
        assert_eq!(value(line, "console"), Some("ttyAMA0"));
        assert_eq!(value(line, "missing"), None);
        let tests = self_tests(line);
        assert!(tests.timer && tests.shutdown && !tests.panic && !tests.fault);
        assert_eq!(self_tests(""), SelfTests::default());
    }
}
