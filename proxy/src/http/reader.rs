//! The per-message read loop shared by both sides: head, then body, then done.

use super::body::{BodyLength, BodyReader};
use super::error::{Direction, HttpError};
use super::head::{Head, MethodKind};
use super::limits::Limits;

/// What the bytes consumed by a [`MessageReader::read`] call were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The consumed bytes were kept in the head buffer; the head is not complete yet. Drop
    /// them from the socket and call again when more bytes arrive.
    NeedMore,
    /// The consumed bytes completed the head: [`MessageReader::head`] is ready. Decide what to
    /// do with it and write the rewritten head to the peer; the original bytes are not
    /// forwarded.
    Head,
    /// The consumed bytes are body: forward them to the peer as they are.
    Body,
    /// The consumed bytes (possibly none) are the end of the body: forward them; the message
    /// is complete.
    End,
    /// The reader has finished its message and consumes nothing until it is started again
    /// (pipelined bytes stay in the socket buffer meanwhile).
    Idle,
}

/// Result of one [`MessageReader::read`] call: `input[..consumed]` is what `event` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Bytes of the input taken by this call.
    pub consumed: usize,
    /// What those bytes were.
    pub event: Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Body,
    Finished,
    Failed(HttpError),
}

/// How a peer's close landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eof {
    /// Between messages: nothing was lost.
    Idle,
    /// It ended a read-until-close body or a tunnel: the message is complete.
    EndOfBody,
}

/// Reads messages travelling one way on one connection, one at a time.
#[derive(Debug)]
pub struct MessageReader {
    head: Head,
    body: BodyReader,
    body_length: BodyLength,
    limits: Limits,
    state: State,
    /// Method of the request a response answers (framing depends on it).
    request_method: MethodKind,
}

impl MessageReader {
    /// A reader for messages going `direction`, with buffers sized from `limits`.
    pub fn new(direction: Direction, limits: Limits) -> MessageReader {
        MessageReader {
            head: Head::new(direction, limits),
            body: BodyReader::new(BodyLength::Empty, &limits),
            body_length: BodyLength::Empty,
            limits,
            state: State::Head,
            request_method: MethodKind::Other,
        }
    }

    /// Walks `input`, the bytes at the front of the socket's receive buffer. Never consumes
    /// more than one message's worth, so pipelined messages wait their turn.
    pub fn read(&mut self, input: &[u8]) -> Result<Step, HttpError> {
        match self.state {
            State::Failed(e) => Err(e),
            State::Finished => Ok(Step {
                consumed: 0,
                event: Event::Idle,
            }),
            State::Head => {
                if self.head.is_complete() {
                    self.head.clear();
                }
                let (consumed, complete) = match self.head.push(input) {
                    Ok(r) => r,
                    Err(e) => return Err(self.fail(e)),
                };
                if !complete {
                    return Ok(Step {
                        consumed,
                        event: Event::NeedMore,
                    });
                }
                self.body_length = match self.head.direction() {
                    Direction::Request => BodyLength::of_request(&self.head),
                    Direction::Response => BodyLength::of_response(&self.head, self.request_method),
                };
                self.body = BodyReader::new(self.body_length, &self.limits);
                self.state = State::Body;
                Ok(Step {
                    consumed,
                    event: Event::Head,
                })
            }
            State::Body => {
                let chunk = match self.body.advance(input) {
                    Ok(c) => c,
                    Err(e) => return Err(self.fail(e)),
                };
                if !chunk.done {
                    return Ok(Step {
                        consumed: chunk.forward,
                        event: Event::Body,
                    });
                }
                self.state = if self.head.is_interim() {
                    // A 1xx is followed by the real response to the same request.
                    State::Head
                } else {
                    State::Finished
                };
                Ok(Step {
                    consumed: chunk.forward,
                    event: Event::End,
                })
            }
        }
    }

    fn fail(&mut self, e: HttpError) -> HttpError {
        self.state = State::Failed(e);
        e
    }

    /// The current head; complete from the [`Event::Head`] step until the next message starts.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// How the current message's body is framed (valid from [`Event::Head`] on).
    pub fn body_length(&self) -> BodyLength {
        self.body_length
    }

    /// True between the [`Event::Head`] and [`Event::End`] steps of a message.
    pub fn in_body(&self) -> bool {
        self.state == State::Body
    }

    /// True once the current message has been read to its end.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// A reader that takes nothing until [`MessageReader::start_next`] is called: a server
    /// side before its first request.
    pub fn new_idle(direction: Direction, limits: Limits) -> MessageReader {
        let mut reader = MessageReader::new(direction, limits);
        reader.state = State::Finished;
        reader
    }

    /// Lets the reader take the next message. For a response reader, `request_method` is the
    /// method of the request the next response answers.
    pub fn start_next(&mut self, request_method: MethodKind) {
        self.head.clear();
        self.body = BodyReader::new(BodyLength::Empty, &self.limits);
        self.body_length = BodyLength::Empty;
        self.request_method = request_method;
        self.state = State::Head;
    }

    /// The peer closed its sending side.
    pub fn on_eof(&mut self) -> Result<Eof, HttpError> {
        match self.state {
            State::Failed(e) => Err(e),
            State::Finished => Ok(Eof::Idle),
            State::Head if self.head.is_empty() || self.head.is_complete() => Ok(Eof::Idle),
            State::Head => Err(self.fail(HttpError::Truncated)),
            State::Body => match self.body.on_eof() {
                Ok(()) => {
                    self.state = State::Finished;
                    Ok(Eof::EndOfBody)
                }
                Err(e) => Err(self.fail(e)),
            },
        }
    }
}
