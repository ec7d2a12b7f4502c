//! Message body framing (RFC 9112 §6.3) and the streaming body reader.
//!
//! The body is never held: [`BodyReader::advance`] only says how many of the bytes in front of
//! it belong to the body, and the proxy forwards those bytes as they are.

use super::chunked::ChunkedDecoder;
use super::error::HttpError;
use super::head::{Head, MethodKind};
use super::limits::Limits;

/// How the length of a message body is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body at all.
    Empty,
    /// Exactly this many bytes (`Content-Length`, never 0 here: 0 is [`BodyLength::Empty`]).
    Length(u64),
    /// Chunked transfer coding, forwarded as received.
    Chunked,
    /// A response without length: the body runs until the server closes (RFC 9112 §6.3
    /// item 8). The client connection must close after it.
    UntilClose,
    /// After a `101 Switching Protocols` or a 2xx answer to `CONNECT`, both directions carry
    /// opaque bytes until either side closes.
    Tunnel,
}

impl BodyLength {
    /// The body length of a request (RFC 9112 §6.3 items 3-6): chunked, `Content-Length`, or
    /// none. The head has already been checked for ambiguous framing.
    pub fn of_request(head: &Head) -> BodyLength {
        if head.is_chunked() {
            BodyLength::Chunked
        } else {
            match head.content_length() {
                Some(0) | None => BodyLength::Empty,
                Some(n) => BodyLength::Length(n),
            }
        }
    }

    /// The body length of a response to a request made with `method` (RFC 9112 §6.3 items 1-2
    /// and 4-8).
    pub fn of_response(head: &Head, method: MethodKind) -> BodyLength {
        let status = head.status().unwrap_or(0);
        if status == 101 {
            return BodyLength::Tunnel;
        }
        if (100..200).contains(&status) || status == 204 || status == 304 {
            return BodyLength::Empty;
        }
        match method {
            MethodKind::Head => return BodyLength::Empty,
            MethodKind::Connect if (200..300).contains(&status) => return BodyLength::Tunnel,
            _ => {}
        }
        if head.is_chunked() {
            BodyLength::Chunked
        } else {
            match head.content_length() {
                Some(0) => BodyLength::Empty,
                Some(n) => BodyLength::Length(n),
                None => BodyLength::UntilClose,
            }
        }
    }

    /// True when the end of the body is known without the peer closing: the connection can
    /// carry another message afterwards.
    pub fn is_self_delimited(self) -> bool {
        matches!(
            self,
            BodyLength::Empty | BodyLength::Length(_) | BodyLength::Chunked
        )
    }
}

#[derive(Debug, Clone)]
enum BodyState {
    Remaining(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

/// One pass of [`BodyReader::advance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyChunk {
    /// Leading input bytes that are body: forward them verbatim.
    pub forward: usize,
    /// True when the body ended at `forward`.
    pub done: bool,
}

/// Streams one body: a `Content-Length` countdown, a chunked walk, or read-until-close.
#[derive(Debug, Clone)]
pub struct BodyReader {
    state: BodyState,
}

impl BodyReader {
    /// A reader for a body framed as `length`.
    pub fn new(length: BodyLength, limits: &Limits) -> BodyReader {
        let state = match length {
            BodyLength::Empty => BodyState::Done,
            BodyLength::Length(n) => BodyState::Remaining(n),
            BodyLength::Chunked => BodyState::Chunked(ChunkedDecoder::new(limits)),
            BodyLength::UntilClose | BodyLength::Tunnel => BodyState::UntilClose,
        };
        BodyReader { state }
    }

    /// True once the body is complete.
    pub fn is_done(&self) -> bool {
        matches!(self.state, BodyState::Done)
    }

    /// Walks `input`; bytes after the end of the body are not consumed.
    pub fn advance(&mut self, input: &[u8]) -> Result<BodyChunk, HttpError> {
        let chunk = match &mut self.state {
            BodyState::Done => BodyChunk {
                forward: 0,
                done: true,
            },
            BodyState::Remaining(remaining) => {
                let take = (*remaining).min(input.len() as u64);
                *remaining -= take;
                BodyChunk {
                    forward: take as usize,
                    done: *remaining == 0,
                }
            }
            BodyState::Chunked(decoder) => {
                let adv = decoder.advance(input)?;
                BodyChunk {
                    forward: adv.consumed,
                    done: adv.done,
                }
            }
            BodyState::UntilClose => BodyChunk {
                forward: input.len(),
                done: false,
            },
        };
        if chunk.done {
            self.state = BodyState::Done;
        }
        Ok(chunk)
    }

    /// The peer closed its side. For a read-until-close body that is the end; for any other
    /// unfinished body it is a truncation.
    pub fn on_eof(&mut self) -> Result<(), HttpError> {
        match self.state {
            BodyState::Done => Ok(()),
            BodyState::UntilClose => {
                self.state = BodyState::Done;
                Ok(())
            }
            BodyState::Remaining(_) | BodyState::Chunked(_) => Err(HttpError::Truncated),
        }
    }
}
