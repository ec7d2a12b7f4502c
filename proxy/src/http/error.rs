//! Why a message was refused, and which status HAProxy would answer for it.

use core::fmt;

/// Which way a message travels, which decides the status code of a framing error: a bad
/// request is the client's fault (400), a bad response the server's (502).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to proxy to server.
    Request,
    /// Server to proxy to client.
    Response,
}

/// A message the engine refuses to forward. Every variant is a protocol violation by the peer
/// that sent the message except [`HttpError::RewriteTooLarge`], which is ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// The head did not end within [`Limits::max_head_bytes`](super::Limits).
    HeadTooLarge,
    /// More header fields than [`Limits::max_headers`](super::Limits).
    TooManyHeaders,
    /// httparse refused the start line or a header field: bad token, bad target, invalid
    /// header name (including whitespace before the colon), CR/LF/NUL in a value, obs-fold.
    Syntax(SyntaxError),
    /// A version other than HTTP/1.0 or HTTP/1.1, including HTTP/0.9's bare request line.
    Version,
    /// Both `Content-Length` and `Transfer-Encoding` (RFC 9112 §6.3 item 3).
    ContentLengthWithTransferEncoding,
    /// More than one `Content-Length` value, identical or not.
    DuplicateContentLength,
    /// A `Content-Length` that is not 1*DIGIT or does not fit in 64 bits.
    InvalidContentLength,
    /// A `Transfer-Encoding` that is not exactly one `chunked` (in any case): another coding,
    /// `chunked` twice, or an empty element.
    InvalidTransferEncoding,
    /// `Transfer-Encoding` in an HTTP/1.0 message (RFC 9112 §6.1: treat as faulty).
    TransferEncodingInHttp10,
    /// More than one `Host` field in a request (RFC 9112 §3.2).
    DuplicateHost,
    /// An HTTP/1.1 request without a `Host` field (RFC 9112 §3.2: answer 400).
    MissingHost,
    /// A response that would open a tunnel the request did not ask for: a `101` to a request
    /// without `Connection: upgrade` and `Upgrade`, or a `101` naming no protocol.
    UnsolicitedSwitch,
    /// An absolute-form target whose authority is not what the `Host` field says (RFC 9112
    /// §3.2.2: the authority wins, so the two must not disagree), or that carries userinfo.
    HostMismatch,
    /// A request target in none of the forms RFC 9112 §3.2 defines for its method, or with a
    /// fragment (`#`).
    InvalidTarget,
    /// A chunk-size line that is not `1*HEXDIG [ext] CRLF`; `at` is the offset in the body.
    BadChunkSize {
        /// Byte offset of the offending byte from the start of the body.
        at: u64,
    },
    /// A chunk size above [`MAX_CHUNK_SIZE`](super::chunked::MAX_CHUNK_SIZE), 2^52 - 1.
    ChunkSizeOverflow {
        /// Byte offset of the offending digit from the start of the body.
        at: u64,
    },
    /// A chunk-size line longer than [`Limits::max_chunk_line_bytes`](super::Limits).
    ChunkLineTooLong {
        /// Byte offset where the limit was crossed.
        at: u64,
    },
    /// Chunk data not followed by CRLF.
    BadChunkTerminator {
        /// Byte offset of the offending byte from the start of the body.
        at: u64,
    },
    /// A malformed trailer field (bad name, obs-fold, bare CR or LF, NUL).
    BadTrailer {
        /// Byte offset of the offending byte from the start of the body.
        at: u64,
    },
    /// A trailer section longer than [`Limits::max_trailer_bytes`](super::Limits).
    TrailersTooLarge,
    /// The peer closed the connection before the message was complete.
    Truncated,
    /// The rewritten head does not fit in the output buffer the proxy supplied.
    RewriteTooLarge,
}

/// The piece of the head httparse refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxError {
    /// Invalid byte in a header name (also whitespace before the colon, obs-fold).
    HeaderName,
    /// Invalid byte in a header value.
    HeaderValue,
    /// Bad line ending.
    NewLine,
    /// Bad status code.
    Status,
    /// Bad method or request-target.
    Token,
}

impl HttpError {
    /// The status the proxy answers with, as HAProxy does: a request it cannot parse gets 400
    /// (HAProxy has no 431/414/505 by default), a response it cannot parse gets 502, and a
    /// failed header rewrite gets 500 (HAProxy's behaviour with `strict-mode on`).
    pub fn status(&self, direction: Direction) -> u16 {
        match (self, direction) {
            (HttpError::RewriteTooLarge, _) => 500,
            (_, Direction::Request) => 400,
            (_, Direction::Response) => 502,
        }
    }
}

impl From<httparse::Error> for HttpError {
    fn from(e: httparse::Error) -> Self {
        match e {
            httparse::Error::HeaderName => HttpError::Syntax(SyntaxError::HeaderName),
            httparse::Error::HeaderValue => HttpError::Syntax(SyntaxError::HeaderValue),
            httparse::Error::NewLine => HttpError::Syntax(SyntaxError::NewLine),
            httparse::Error::Status => HttpError::Syntax(SyntaxError::Status),
            httparse::Error::Token => HttpError::Syntax(SyntaxError::Token),
            httparse::Error::TooManyHeaders => HttpError::TooManyHeaders,
            httparse::Error::Version => HttpError::Version,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::HeadTooLarge => f.write_str("message head exceeds the size limit"),
            HttpError::TooManyHeaders => f.write_str("too many header fields"),
            HttpError::Syntax(s) => write!(f, "malformed message head ({s:?})"),
            HttpError::Version => f.write_str("unsupported HTTP version"),
            HttpError::ContentLengthWithTransferEncoding => {
                f.write_str("both Content-Length and Transfer-Encoding")
            }
            HttpError::DuplicateContentLength => f.write_str("more than one Content-Length"),
            HttpError::InvalidContentLength => f.write_str("invalid Content-Length"),
            HttpError::InvalidTransferEncoding => {
                f.write_str("Transfer-Encoding is not exactly chunked")
            }
            HttpError::TransferEncodingInHttp10 => f.write_str("Transfer-Encoding in HTTP/1.0"),
            HttpError::DuplicateHost => f.write_str("more than one Host"),
            HttpError::MissingHost => f.write_str("no Host in an HTTP/1.1 request"),
            HttpError::InvalidTarget => f.write_str("request target of no valid form"),
            HttpError::HostMismatch => f.write_str("Host differs from the target's authority"),
            HttpError::UnsolicitedSwitch => {
                f.write_str("101 to a request that asked for no upgrade")
            }
            HttpError::BadChunkSize { at } => write!(f, "bad chunk size at body offset {at}"),
            HttpError::ChunkSizeOverflow { at } => {
                write!(f, "chunk size above 2^52-1 at body offset {at}")
            }
            HttpError::ChunkLineTooLong { at } => {
                write!(f, "chunk-size line too long at body offset {at}")
            }
            HttpError::BadChunkTerminator { at } => {
                write!(f, "chunk data not followed by CRLF at body offset {at}")
            }
            HttpError::BadTrailer { at } => write!(f, "bad trailer at body offset {at}"),
            HttpError::TrailersTooLarge => f.write_str("trailer section exceeds the size limit"),
            HttpError::Truncated => f.write_str("connection closed inside a message"),
            HttpError::RewriteTooLarge => f.write_str("rewritten head does not fit"),
        }
    }
}
