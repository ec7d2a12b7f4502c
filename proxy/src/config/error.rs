//! Configuration errors and warnings, each pointing at a file, line and (when known) column.

use alloc::string::String;
use core::fmt;

/// What kind of mistake a [`ConfigError`] reports; tests and tools match on this, people read
/// [`ConfigError::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Lexical problem: unterminated quote, bad escape, line continuation, environment variable.
    Syntax,
    /// A section keyword HAProxy has but bareproxy does not (`peers`, `userlist`, ...), or a
    /// line that is no section keyword before any section.
    UnknownSection,
    /// A keyword bareproxy does not support in this section.
    UnknownKeyword,
    /// A supported keyword used in a section where HAProxy does not allow it.
    NotAllowedHere,
    /// A keyword is missing a required argument.
    MissingArgument,
    /// An argument is malformed or out of range.
    InvalidValue,
    /// An argument or option HAProxy accepts but bareproxy cannot honour (hostnames, regexes,
    /// log-format expressions, ...).
    Unsupported,
    /// A `use_backend`/`default_backend` names no backend.
    UnknownBackend,
    /// A condition names no ACL defined before it.
    UnknownAcl,
    /// Two proxies, servers or binds share a name or address.
    Duplicate,
    /// An HTTP-only keyword or ACL in a TCP-mode proxy.
    HttpOnlyInTcpMode,
    /// A frontend routes to a backend of another mode.
    ModeMismatch,
    /// A frontend has no `bind` line.
    MissingBind,
    /// A bareproxy resource limit was exceeded (file size, line length, counts).
    Limit,
}

/// A configuration error. `Display` renders it as `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Name of the configuration file, as given to the parser.
    pub file: String,
    /// 1-based line number; 0 for problems with the file as a whole.
    pub line: u32,
    /// 1-based column (in characters) of the offending word, when known.
    pub column: Option<u32>,
    /// The keyword of the offending line (or the offending word), when there is one.
    pub keyword: Option<String>,
    /// Machine-readable category.
    pub kind: ErrorKind,
    /// Human-readable explanation, without the location prefix.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, &self.file, self.line, self.column)?;
        f.write_str(&self.message)
    }
}

impl core::error::Error for ConfigError {}

/// Something HAProxy accepts but that is probably a mistake; the configuration is still valid.
/// `Display` renders it as `file:line: warning: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Name of the configuration file.
    pub file: String,
    /// 1-based line number the warning is about.
    pub line: u32,
    /// Human-readable explanation.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, &self.file, self.line, None)?;
        write!(f, "warning: {}", self.message)
    }
}

fn write_location(
    f: &mut fmt::Formatter<'_>,
    file: &str,
    line: u32,
    column: Option<u32>,
) -> fmt::Result {
    match (line, column) {
        (0, _) => write!(f, "{file}: "),
        (line, None) => write!(f, "{file}:{line}: "),
        (line, Some(column)) => write!(f, "{file}:{line}:{column}: "),
    }
}

/// An error found while handling one line, before the file name, line number and keyword are
/// attached by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub column: Option<u32>,
    pub kind: ErrorKind,
    pub message: String,
}

impl Fail {
    pub(crate) fn new(kind: ErrorKind, column: Option<u32>, message: impl Into<String>) -> Self {
        Fail {
            column,
            kind,
            message: message.into(),
        }
    }
}
