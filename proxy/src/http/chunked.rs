//! Incremental validator for the chunked transfer coding (RFC 9112 §7.1).
//!
//! The proxy forwards chunked bodies exactly as received -- it never re-chunks -- so this
//! decoder does not copy anything: it walks the framing, checks it strictly, and says how many
//! of the bytes it was shown belong to the body and may be forwarded. It works one byte at a
//! time where the framing is (size lines, CRLFs, trailers) and skips chunk data in one step,
//! so it can be fed any split of the stream and holds only a few words of state.
//!
//! Strictness is the point: every place where two parsers could disagree on where a chunk ends
//! is an error (bare LF instead of CRLF, a size above [`MAX_CHUNK_SIZE`], whitespace before the size,
//! obs-fold in trailers), because a disagreement between us and the server is a smuggling
//! vector.

use super::error::HttpError;
use super::limits::Limits;
use super::token::is_tchar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the first byte of a chunk-size line: a hex digit must come.
    SizeStart,
    /// Reading hex digits of the size.
    Size,
    /// After the size: spaces/tabs (BWS) then `;`, or CR.
    AfterSize,
    /// In chunk extensions, up to CR.
    Extension,
    /// CR of the size line seen; LF must follow.
    SizeLf,
    /// Inside chunk data.
    Data,
    /// After chunk data: CR must come.
    DataCr,
    /// After chunk data and CR: LF must come.
    DataLf,
    /// After the last chunk (or a trailer field): a trailer field or the final CRLF.
    TrailerStart,
    /// In a trailer field name, up to `:`.
    TrailerName,
    /// In a trailer field value, up to CR.
    TrailerValue,
    /// CR of a trailer field seen; LF must follow.
    TrailerLf,
    /// CR of the final empty line seen; LF must follow.
    EndLf,
    /// The body is complete.
    Done,
}

/// Result of one [`ChunkedDecoder::advance`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advance {
    /// How many leading bytes of the input were walked; they are body bytes to forward.
    pub consumed: usize,
    /// True when the final CRLF has been walked: the body ends at `consumed`.
    pub done: bool,
}

/// The chunked-body state machine.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// Remaining data bytes of the current chunk, or the size being accumulated.
    size: u64,
    /// Bytes of the current size line, against `max_line`.
    line_len: usize,
    /// Bytes of the trailer section, against `max_trailers`.
    trailer_len: usize,
    /// Offset of the next byte from the start of the body, for error reports.
    offset: u64,
    max_line: usize,
    max_trailers: usize,
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    pub fn new(limits: &Limits) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::SizeStart,
            size: 0,
            line_len: 0,
            trailer_len: 0,
            offset: 0,
            max_line: limits.max_chunk_line_bytes,
            max_trailers: limits.max_trailer_bytes,
        }
    }

    /// True when the whole body, trailers and final CRLF included, has been walked.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Body bytes walked so far (framing included).
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Walks `input`, stopping after the body's final CRLF if it is in there; bytes after the
    /// body (a pipelined message) are not consumed.
    pub fn advance(&mut self, input: &[u8]) -> Result<Advance, HttpError> {
        let mut i = 0;
        while i < input.len() && self.state != State::Done {
            if self.state == State::Data {
                // Chunk data is opaque: take as much of it as is here in one step.
                let available = (input.len() - i) as u64;
                let take = available.min(self.size);
                i += take as usize;
                self.offset += take;
                self.size -= take;
                if self.size == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            self.step(input[i])?;
            i += 1;
            self.offset += 1;
        }
        Ok(Advance {
            consumed: i,
            done: self.state == State::Done,
        })
    }

    fn step(&mut self, b: u8) -> Result<(), HttpError> {
        let at = self.offset;
        match self.state {
            State::SizeStart
            | State::Size
            | State::AfterSize
            | State::Extension
            | State::SizeLf => {
                self.line_len += 1;
                if self.line_len > self.max_line {
                    return Err(HttpError::ChunkLineTooLong { at });
                }
            }
            State::TrailerStart
            | State::TrailerName
            | State::TrailerValue
            | State::TrailerLf
            | State::EndLf => {
                self.trailer_len += 1;
                if self.trailer_len > self.max_trailers {
                    return Err(HttpError::TrailersTooLarge);
                }
            }
            State::Data | State::DataCr | State::DataLf | State::Done => {}
        }
        self.state = match (self.state, b) {
            (State::SizeStart, _) => {
                let digit = hex_value(b).ok_or(HttpError::BadChunkSize { at })?;
                self.size = u64::from(digit);
                State::Size
            }
            (State::Size, _) if hex_value(b).is_some() => {
                let digit = hex_value(b).unwrap_or(0);
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(u64::from(digit)))
                    .filter(|&size| size <= MAX_CHUNK_SIZE)
                    .ok_or(HttpError::ChunkSizeOverflow { at })?;
                State::Size
            }
            (State::Size | State::AfterSize, b' ' | b'\t') => State::AfterSize,
            (State::Size | State::AfterSize, b';') => State::Extension,
            (State::Size | State::AfterSize | State::Extension, b'\r') => State::SizeLf,
            // Extensions are forwarded untouched; only bytes that could end the line early or
            // confuse another parser are refused.
            (State::Extension, b'\n' | 0) => return Err(HttpError::BadChunkSize { at }),
            (State::Extension, _) => State::Extension,
            (State::SizeLf, b'\n') => {
                self.line_len = 0;
                if self.size == 0 {
                    State::TrailerStart
                } else {
                    State::Data
                }
            }
            (State::Size | State::AfterSize | State::SizeLf, _) => {
                return Err(HttpError::BadChunkSize { at });
            }
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => State::SizeStart,
            (State::DataCr | State::DataLf, _) => {
                return Err(HttpError::BadChunkTerminator { at });
            }
            (State::TrailerStart, b'\r') => State::EndLf,
            (State::TrailerStart | State::TrailerName, _) if is_tchar(b) => State::TrailerName,
            (State::TrailerName, b':') => State::TrailerValue,
            (State::TrailerValue, b'\r') => State::TrailerLf,
            (State::TrailerValue, b'\n' | 0) => return Err(HttpError::BadTrailer { at }),
            (State::TrailerValue, _) => State::TrailerValue,
            (State::TrailerLf, b'\n') => State::TrailerStart,
            (State::EndLf, b'\n') => State::Done,
            // Whitespace at the start of a trailer line is obs-fold; anything else is a bad
            // name or a bare CR/LF.
            (State::TrailerStart | State::TrailerName | State::TrailerLf | State::EndLf, _) => {
                return Err(HttpError::BadTrailer { at });
            }
            (State::Data | State::Done, _) => self.state,
        };
        Ok(())
    }
}

/// The largest chunk size accepted: 2^52 - 1, as HAProxy, so that no size we forward can be
/// misread by a peer that keeps integers in doubles (HAProxy `include/haproxy/h1.h`,
/// `h1_parse_chunk_size`: "Don't get more than 13 hexa-digit").
pub const MAX_CHUNK_SIZE: u64 = (1 << 52) - 1;

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(body: &[u8]) -> Result<Advance, HttpError> {
        ChunkedDecoder::new(&Limits::default()).advance(body)
    }

    #[test]
    fn stops_after_the_final_crlf() {
        let stream = b"4\r\nWiki\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let adv = walk(stream).unwrap();
        assert!(adv.done);
        assert_eq!(adv.consumed, 14);
    }

    #[test]
    fn size_overflow_is_refused() {
        assert_eq!(
            walk(b"10000000000000\r\n"),
            Err(HttpError::ChunkSizeOverflow { at: 13 })
        );
        // The largest size accepted is taken (and then waits for its data).
        let adv = walk(b"fffffffffffff\r\nab").unwrap();
        assert!(!adv.done);
        assert_eq!(adv.consumed, 17);
    }
}
