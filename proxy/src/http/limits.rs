//! Per-connection size limits of the HTTP/1.1 engine.
//!
//! Every buffer the engine owns is sized from these numbers once, when a connection's reader is
//! created, so the memory a connection can take is known up front.

/// Hard ceiling on [`Limits::max_headers`]: the parser works on a stack array of this many
/// header slots (a few KiB of stack on a 32-bit target).
pub const MAX_HEADERS_CAP: usize = 128;

/// Size limits applied to each message on one side of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message head (start line + header fields + blank line), in bytes. A head that
    /// does not end within this many bytes is refused: 400 for a request, 502 for a response.
    /// HAProxy answers 400 when request headers overflow `tune.bufsize - tune.maxrewrite`
    /// (haproxy/haproxy issue #1309); the default here is that difference for HAProxy's
    /// defaults (16384 - 8192).
    pub max_head_bytes: usize,
    /// Most header fields accepted in one head (HAProxy's `tune.http.maxhdr` defaults to 101).
    /// Clamped to [`MAX_HEADERS_CAP`].
    pub max_headers: usize,
    /// Largest chunk-size line (size, extensions and CRLF) in a chunked body.
    pub max_chunk_line_bytes: usize,
    /// Largest trailer section of a chunked body, in bytes.
    pub max_trailer_bytes: usize,
}

impl Limits {
    /// `max_headers` clamped to what the parser can hold.
    pub fn header_slots(&self) -> usize {
        self.max_headers.clamp(1, MAX_HEADERS_CAP)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 8192,
            max_headers: 101,
            max_chunk_line_bytes: 1024,
            max_trailer_bytes: 4096,
        }
    }
}
