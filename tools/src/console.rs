//! Log console decoding: splits the firmware's console byte stream into plain-text lines and
//! defmt log frames, and renders both as [`Line`]s.
//!
//! # Wire format (firmware `console.rs`)
//!
//! One UART carries both kinds of output. Plain text (banner, panics, exception reports) never
//! contains a NUL byte. Every defmt frame is written as `0x00`, the rzCOBS encoding of the frame
//! (which never contains `0x00`), `0x00` — the very first frame after reset carries one extra
//! leading `0x00` from defmt's encoder. So NUL bytes cut the stream into *segments*:
//!
//! ```text
//! text 00 frame 00 text 00 frame 00 00 frame 00 text …
//! ```
//!
//! # How [`Demux`] decides what a segment is
//!
//! * A segment that ends at a NUL and decodes completely — rzCOBS first, then against the ELF's
//!   defmt table, consuming every byte — is a log frame. Anything else is text. Empty segments
//!   (two NULs in a row) carry nothing and do not change the state.
//! * Segments alternate between text and frame, so after a frame the decoder expects text and
//!   prints its lines as soon as each `\n` arrives (a person watching a boot wants the banner
//!   line now, not at the next NUL). After a text segment it expects a frame and buffers until
//!   the closing NUL, because rzCOBS output may contain `\n` bytes.
//! * Resynchronisation: a segment expected to be a frame that fails to decode is printed as text
//!   and flips the expectation; a segment longer than [`MAX_FRAME_LEN`] cannot be a frame and is
//!   flushed as text; a complete printable CRLF line where a frame was expected means the parity
//!   was off (we joined mid-frame) and is printed as text at once. A decoder that joins mid-stream therefore prints at most one segment of
//!   noise before it is back in step.
//!
//! Memory is bounded: text lines are cut at [`MAX_TEXT_LINE`] bytes, frames at
//! [`MAX_FRAME_LEN`]. No input makes [`Demux::feed`] panic (tested with random bytes).
//!
//! The QEMU runner (`qemu/`) uses this module too: build a [`Demux`] with the firmware's table
//! ([`load_table`]), feed it whatever the serial port produced, print the lines.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
pub use defmt_decoder::Table;

/// Longest rzCOBS-encoded frame accepted. The firmware's log frames are far shorter (format
/// string index, timestamp, a few arguments); a longer NUL-free run is text.
pub const MAX_FRAME_LEN: usize = 2048;

/// Longest text line kept before it is emitted unfinished (a console spewing bytes without a
/// newline must not grow memory without bound).
pub const MAX_TEXT_LINE: usize = 4096;

/// Reads the defmt table from a firmware ELF. `Ok(None)` if the ELF has no `.defmt` section
/// (e.g. a build without logging); errors for unreadable files and defmt version mismatches.
pub fn load_table(elf_path: &Path) -> anyhow::Result<Option<Table>> {
    let elf = std::fs::read(elf_path)
        .with_context(|| format!("cannot read firmware ELF {}", elf_path.display()))?;
    Table::parse(&elf)
        .with_context(|| format!("cannot read the defmt table of {}", elf_path.display()))
}

/// Severity of a defmt log frame (`None` in [`LineKind::Log`] for `defmt::println!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `defmt::trace!`
    Trace,
    /// `defmt::debug!`
    Debug,
    /// `defmt::info!`
    Info,
    /// `defmt::warn!`
    Warn,
    /// `defmt::error!`
    Error,
}

impl Level {
    /// Parses defmt's lower-case level name (`"info"`).
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "trace" => Some(Self::Trace),
            "debug" => Some(Self::Debug),
            "info" => Some(Self::Info),
            "warn" => Some(Self::Warn),
            "error" => Some(Self::Error),
            _ => None,
        }
    }

    /// Upper-case name, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        }
    }
}

/// What a [`Line`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// Plain text written by the firmware (banner, panic message).
    Text,
    /// A decoded defmt frame.
    Log {
        /// The frame's level; `None` for `println!` frames.
        level: Option<Level>,
        /// The firmware's timestamp as its format string renders it, if it logs one.
        timestamp: Option<String>,
    },
    /// A segment in frame position that is a valid rzCOBS frame, but no defmt table was given to
    /// decode it (the text holds the decoded bytes in hex).
    UndecodedFrame,
}

/// One line of console output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Host time since the [`Demux`] was created, when the line was complete.
    pub host_time: Duration,
    /// Text or log frame.
    pub kind: LineKind,
    /// The line's text, without line terminator; control characters other than tab replaced by
    /// U+FFFD.
    pub text: String,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.host_time;
        write!(f, "[{:>5}.{:06}] ", host.as_secs(), host.subsec_micros())?;
        match &self.kind {
            LineKind::Text => f.write_str(&self.text),
            LineKind::Log { level, timestamp } => {
                let level = level.map_or("PRINT", Level::as_str);
                match timestamp {
                    Some(ts) => write!(f, "{level:<5} {ts} {}", self.text),
                    None => write!(f, "{level:<5} {}", self.text),
                }
            }
            LineKind::UndecodedFrame => write!(f, "<defmt frame, no --elf: {}>", self.text),
        }
    }
}

/// What the current segment is expected to be (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Print lines as they complete.
    Text,
    /// Buffer until the closing NUL, then decode.
    Frame,
}

/// Splits a console byte stream into [`Line`]s. Feed it chunks of any size.
pub struct Demux {
    table: Option<Table>,
    started: Instant,
    expect: Expect,
    /// Bytes of the current segment not yet emitted.
    segment: Vec<u8>,
    /// True once part of the current segment was printed as text: it can no longer be a frame.
    segment_printed: bool,
}

impl fmt::Debug for Demux {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Demux")
            .field("has_table", &self.table.is_some())
            .field("expect", &self.expect)
            .field("buffered", &self.segment.len())
            .finish()
    }
}

impl Demux {
    /// A demultiplexer; without a table, frames are reported as [`LineKind::UndecodedFrame`].
    pub fn new(table: Option<Table>) -> Self {
        Self {
            table,
            started: Instant::now(),
            expect: Expect::Text,
            segment: Vec::with_capacity(MAX_TEXT_LINE),
            segment_printed: false,
        }
    }

    /// Feeds received bytes; returns the lines they completed, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        for &byte in bytes {
            if byte == 0 {
                self.end_segment(&mut lines);
                continue;
            }
            self.segment.push(byte);
            match self.expect {
                Expect::Text if byte == b'\n' || self.segment.len() >= MAX_TEXT_LINE => {
                    self.emit_text(&mut lines);
                }
                Expect::Frame if byte == b'\n' && looks_like_text_line(&self.segment) => {
                    // A whole printable line ending in CRLF where a frame was expected: we
                    // joined mid-frame and the parity is off. Frames start with a binary format
                    // index and carry binary timestamps, so this practically never misfires
                    // (and the next NUL would resynchronise anyway).
                    self.expect = Expect::Text;
                    self.emit_text(&mut lines);
                }
                Expect::Frame if self.segment.len() > MAX_FRAME_LEN => {
                    // Too long for a frame: we were out of step. Treat it as text from here.
                    self.expect = Expect::Text;
                    self.emit_text(&mut lines);
                }
                _ => {}
            }
        }
        lines
    }

    /// Emits whatever is buffered as text, e.g. at the end of input (a prompt without newline).
    pub fn flush(&mut self) -> Vec<Line> {
        let mut lines = Vec::new();
        if !self.segment.is_empty() {
            self.emit_text(&mut lines);
        }
        lines
    }

    fn end_segment(&mut self, lines: &mut Vec<Line>) {
        if self.segment.is_empty() && !self.segment_printed {
            return; // Empty segment between two NULs.
        }
        if !self.segment_printed
            && let Some(line) = self.decode_frame()
        {
            lines.push(line);
            self.segment.clear();
            self.expect = Expect::Text;
        } else {
            if !self.segment.is_empty() {
                self.emit_text(lines);
            }
            self.expect = Expect::Frame;
        }
        self.segment_printed = false;
    }

    /// Emits the buffered bytes as one text line (up to and without its `\r\n`).
    fn emit_text(&mut self, lines: &mut Vec<Line>) {
        let raw = self.segment.strip_suffix(b"\n").unwrap_or(&self.segment);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = sanitize(raw);
        lines.push(Line {
            host_time: self.started.elapsed(),
            kind: LineKind::Text,
            text,
        });
        self.segment.clear();
        self.segment_printed = true;
    }

    /// Decodes the buffered segment as one complete frame, or `None` if it is not one.
    fn decode_frame(&self) -> Option<Line> {
        if self.segment.len() > MAX_FRAME_LEN {
            return None;
        }
        let raw = rzcobs_decode(&self.segment)?;
        let host_time = self.started.elapsed();
        let Some(table) = &self.table else {
            // Without a table any byte string "decodes"; only claim frames of plausible shape
            // (a 2-byte format index at least) so that stray NULs in text stay text.
            if raw.len() < 2 {
                return None;
            }
            let hex: Vec<String> = raw.iter().map(|b| format!("{b:02x}")).collect();
            return Some(Line {
                host_time,
                kind: LineKind::UndecodedFrame,
                text: hex.join(" "),
            });
        };
        // defmt-decoder formats some argument types with `unwrap()` inside (e.g. out-of-range
        // ISO 8601 timestamps); arbitrary console bytes must not take the tool down with it.
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (frame, consumed) = table.decode(&raw).ok()?;
            // The encoder pads its last group with zero bits, so decoding may yield trailing
            // zeros; any other leftover byte means this was not a frame.
            if raw.get(consumed..)?.iter().any(|&b| b != 0) {
                return None;
            }
            // The level type lives in defmt-parser, which defmt-decoder does not re-export.
            let level = frame
                .level()
                .and_then(|level| Level::from_name(level.as_str()));
            let timestamp = frame.display_timestamp().map(|ts| ts.to_string());
            Some((level, timestamp, frame.display_message().to_string()))
        }));
        let (level, timestamp, message) = decoded.ok().flatten()?;
        Some(Line {
            host_time,
            kind: LineKind::Log { level, timestamp },
            text: sanitize(message.as_bytes()),
        })
    }
}

/// True for a complete CRLF-terminated line of printable UTF-8 (what the firmware's text writer
/// produces), at least one character long.
fn looks_like_text_line(segment: &[u8]) -> bool {
    let Some(body) = segment.strip_suffix(b"\r\n") else {
        return false;
    };
    !body.is_empty()
        && std::str::from_utf8(body).is_ok_and(|t| t.chars().all(|c| !c.is_control() || c == '\t'))
}

/// Lossy UTF-8 with control characters (other than tab) replaced, so that console noise cannot
/// move the user's terminal cursor or change its colours.
fn sanitize(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// Decodes one rzCOBS frame (without its NUL delimiters); `None` if it is malformed.
///
/// rzCOBS ("reverse zero-compressing COBS", github.com/Dirbaio/rzcobs, used by defmt) is decoded
/// from the end: a byte `0b0xxxxxxx` describes the next 7 output bytes, LSB first (bit set = a
/// zero byte, clear = copy one byte from the stream); `0b1nnnnnnn` (not 0xFF) copies `n + 7`
/// stream bytes and then one zero; 0xFF copies 134 stream bytes. The output is built backwards,
/// so the 7-bit groups are read MSB first.
pub fn rzcobs_decode(encoded: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / 7 + 1);
    let mut stream = encoded.iter().rev().copied();
    while let Some(code) = stream.next() {
        match code {
            0x00 => return None,
            0x01..=0x7F => {
                for bit in 0..7 {
                    if code & (0x40 >> bit) != 0 {
                        out.push(0);
                    } else {
                        out.push(stream.next()?);
                    }
                }
            }
            0x80..=0xFE => {
                out.push(0);
                for _ in 0..(code & 0x7F) + 7 {
                    out.push(stream.next()?);
                }
            }
            0xFF => {
                for _ in 0..134 {
                    out.push(stream.next()?);
                }
            }
        }
    }
    out.reverse();
    Some(out)
}
