//! haproxy.cfg-style configuration: a parser for the subset of HAProxy's configuration language
//! that bareproxy implements, producing a validated, resolved [`Config`].
//!
//! Users bring the `haproxy.cfg` they know; anything outside the subset is an error naming the
//! file, line and keyword, never silently ignored. The same code runs in the firmware (reading
//! the configuration blob packed into the image, or [`DEMO_CONFIG`] under QEMU) and in the host
//! tool's `check-config` subcommand, so a configuration that checks on the host loads on the box.
//!
//! Entry points: [`parse`] (text) and [`parse_bytes`] (a blob). The result's `Display` renders a
//! normalised configuration (defaults applied, `listen` split, every value explicit) that parses
//! back to the same [`Config`].
//!
//! Where things are:
//! - [`model`]: the data types the engine consumes (indices, not names; [`Duration`]s;
//!   `core::net` addresses) and HAProxy's default values;
//! - `lexer`: HAProxy quoting and escaping; `value`: numbers, durations, addresses, networks;
//! - `acl`: ACL criteria and `if`/`unless` conditions;
//! - `section`: section kinds, the sets of sections a keyword may be allowed in, and the
//!   per-section draft;
//! - `keywords`: the keyword tables, one entry per keyword naming where it is allowed and
//!   carrying its handler (adding a keyword is one entry there), and the handlers; `parser`:
//!   sections, dispatch through the tables, `defaults` inheritance, `listen` expansion and
//!   cross-section checks; `render`: the `Display` implementation;
//! - [`limits`]: every bound the parser enforces (the NSLU2 has 32 MiB of RAM).
//!
//! References are to HAProxy's configuration manual, `doc/configuration.txt` in the HAProxy
//! sources, by section number.
//!
//! [`Duration`]: core::time::Duration

mod acl;
mod error;
mod keywords;
mod lexer;
pub mod limits;
pub mod model;
mod parser;
mod render;
mod section;
mod value;

use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;

pub use error::{ConfigError, ErrorKind, Warning};
pub use model::*;

/// The built-in demo configuration used by the QEMU board: an HTTP load balancer on port 80
/// (IPv4 and IPv6) in front of two servers on the host, a stats page, and a TCP listener.
pub const DEMO_CONFIG: &str = include_str!("demo.cfg");

/// File name reported in errors about [`DEMO_CONFIG`].
pub const DEMO_CONFIG_NAME: &str = "demo.cfg";

/// A successfully parsed configuration and the warnings found on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The configuration.
    pub config: Config,
    /// Things HAProxy would also warn about: the configuration is valid but probably not what
    /// was meant. Tools print them; the firmware logs them.
    pub warnings: Vec<Warning>,
}

/// Parses configuration `text`; `file` names it in errors and warnings.
///
/// Never panics, whatever the input.
pub fn parse(file: &str, text: &str) -> Result<Parsed, ConfigError> {
    parser::Parser::new(file).parse(text)
}

/// Parses a configuration blob, which must be UTF-8. Padding at the end (NUL bytes, or the 0xFF
/// of erased flash) is ignored: neither can end a UTF-8 text.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Result<Parsed, ConfigError> {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0 && b != 0xff)
        .map_or(0, |i| i + 1);
    let bytes = &bytes[..end];
    match core::str::from_utf8(bytes) {
        Ok(text) => parse(file, text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            Err(ConfigError {
                file: file.to_string(),
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: None,
                keyword: None,
                kind: ErrorKind::Syntax,
                message: format!("invalid UTF-8 at byte offset {}", e.valid_up_to()),
            })
        }
    }
}

impl Config {
    /// The built-in demo configuration, parsed.
    pub fn demo() -> Result<Parsed, ConfigError> {
        parse(DEMO_CONFIG_NAME, DEMO_CONFIG)
    }
}
