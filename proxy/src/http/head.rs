//! A parsed message head, owned, in a buffer sized once per connection.
//!
//! [`Head`] collects the bytes of one head (start line, fields, blank line) from whatever
//! slices the socket hands over, finds where the head ends, parses it with httparse and keeps
//! the fields as offsets into its own buffer. The buffer and the field table are allocated when
//! the connection's reader is made and reused for every message after that, so parsing a
//! message allocates nothing.
//!
//! After parsing, the framing fields are checked (RFC 9112 §6): a head that could be read in
//! two ways by two parsers -- the root of request smuggling -- is refused here, before a single
//! byte of it is forwarded.

use alloc::vec::Vec;

use super::error::{Direction, HttpError};
use super::limits::Limits;
use super::token::{eq_ignore_case, is_tchar, list_items, trim_ows};

/// HTTP version of a message. httparse accepts nothing else; HTTP/0.9 and HTTP/2.0 request
/// lines are refused with [`HttpError::Version`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: connections close after each message unless `Connection: keep-alive`.
    Http10,
    /// HTTP/1.1: connections persist unless `Connection: close`.
    Http11,
}

impl Version {
    /// The version as it appears on the start line.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// The request methods whose framing rules differ from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// `HEAD`: the response has no body whatever its fields say.
    Head,
    /// `CONNECT`: a 2xx response turns the connection into a tunnel.
    Connect,
    /// Every other method.
    Other,
}

/// The tokens of the `Connection` fields this engine acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionTokens {
    /// `close` was listed.
    pub close: bool,
    /// `keep-alive` was listed.
    pub keep_alive: bool,
    /// `upgrade` was listed (a protocol switch is asked for or granted).
    pub upgrade: bool,
}

/// A byte range in the head buffer. u32 because the buffer never reaches 4 GiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn of(buf: &[u8], part: &[u8]) -> Span {
        // Both slices come from the same buffer (httparse hands out sub-slices of its input),
        // so the address difference is the offset.
        let start = (part.as_ptr() as usize).saturating_sub(buf.as_ptr() as usize);
        Span {
            start: start as u32,
            len: part.len() as u32,
        }
    }

    fn get(self, buf: &[u8]) -> &[u8] {
        let start = self.start as usize;
        buf.get(start..start + self.len as usize).unwrap_or(&[])
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct FieldSpan {
    name: Span,
    value: Span,
}

#[derive(Debug, Clone, Copy)]
enum StartLine {
    Request { method: Span, target: Span },
    Response { status: u16, reason: Span },
}

/// Where [`Head::push`] is in finding the end of the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collect {
    /// Nothing kept yet: empty lines before the start line are skipped (RFC 9112 §2.2).
    Start,
    /// Inside the head.
    Inside,
    /// The blank line was seen and the head parsed.
    Parsed,
}

/// One message head, parsed and checked.
#[derive(Debug)]
pub struct Head {
    direction: Direction,
    limits: Limits,
    buf: Vec<u8>,
    fields: Vec<FieldSpan>,
    collect: Collect,
    start: StartLine,
    version: Version,
    content_length: Option<u64>,
    chunked: bool,
    connection: ConnectionTokens,
    expect_continue: bool,
}

impl Head {
    /// An empty head for messages travelling in `direction`. Allocates its buffers here, once.
    pub fn new(direction: Direction, limits: Limits) -> Head {
        Head {
            direction,
            limits,
            buf: Vec::with_capacity(limits.max_head_bytes),
            fields: Vec::with_capacity(limits.header_slots()),
            collect: Collect::Start,
            start: StartLine::Response {
                status: 0,
                reason: Span::default(),
            },
            version: Version::Http11,
            content_length: None,
            chunked: false,
            connection: ConnectionTokens::default(),
            expect_continue: false,
        }
    }

    /// Forgets the previous message so the buffers can take the next one.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.fields.clear();
        self.collect = Collect::Start;
        self.content_length = None;
        self.chunked = false;
        self.connection = ConnectionTokens::default();
        self.expect_continue = false;
    }

    /// True once a whole head has been parsed and checked.
    pub fn is_complete(&self) -> bool {
        self.collect == Collect::Parsed
    }

    /// True when no byte of a head has been kept yet (only empty lines, if anything, seen).
    pub fn is_empty(&self) -> bool {
        self.collect == Collect::Start
    }

    /// Takes bytes of the head from `input`, stopping right after the blank line that ends it.
    /// Returns how many bytes were taken and whether the head is now complete (and parsed).
    /// Bytes after the head are left for the body reader.
    pub fn push(&mut self, input: &[u8]) -> Result<(usize, bool), HttpError> {
        let mut taken = 0;
        for &byte in input {
            if self.collect == Collect::Parsed {
                break;
            }
            taken += 1;
            if self.collect == Collect::Start {
                if byte == b'\r' || byte == b'\n' {
                    continue;
                }
                self.collect = Collect::Inside;
            }
            if self.buf.len() >= self.limits.max_head_bytes {
                return Err(HttpError::HeadTooLarge);
            }
            self.buf.push(byte);
            if byte == b'\n' && (self.buf.ends_with(b"\n\n") || self.buf.ends_with(b"\n\r\n")) {
                self.parse()?;
                self.collect = Collect::Parsed;
            }
        }
        Ok((taken, self.collect == Collect::Parsed))
    }

    fn parse(&mut self) -> Result<(), HttpError> {
        let mut slots = [httparse::EMPTY_HEADER; super::limits::MAX_HEADERS_CAP];
        let slots = &mut slots[..self.limits.header_slots()];
        let buf = self.buf.as_slice();
        let (start, version, count) = match self.direction {
            Direction::Request => {
                let mut req = httparse::Request::new(slots);
                let status = req.parse(buf)?;
                if status.is_partial() {
                    return Err(HttpError::Syntax(super::error::SyntaxError::NewLine));
                }
                let (Some(method), Some(target), Some(version)) =
                    (req.method, req.path, req.version)
                else {
                    return Err(HttpError::Syntax(super::error::SyntaxError::Token));
                };
                check_target(method, target.as_bytes())?;
                let start = StartLine::Request {
                    method: Span::of(buf, method.as_bytes()),
                    target: Span::of(buf, target.as_bytes()),
                };
                (start, version, req.headers.len())
            }
            Direction::Response => {
                let mut resp = httparse::Response::new(slots);
                let status = resp.parse(buf)?;
                if status.is_partial() {
                    return Err(HttpError::Syntax(super::error::SyntaxError::NewLine));
                }
                let (Some(code), Some(version)) = (resp.code, resp.version) else {
                    return Err(HttpError::Syntax(super::error::SyntaxError::Status));
                };
                let reason = resp.reason.unwrap_or("");
                let start = StartLine::Response {
                    status: code,
                    reason: Span::of(buf, reason.as_bytes()),
                };
                (start, version, resp.headers.len())
            }
        };
        self.version = if version == 0 {
            Version::Http10
        } else {
            Version::Http11
        };
        self.start = start;
        self.fields.clear();
        for field in slots.iter().take(count) {
            self.fields.push(FieldSpan {
                name: Span::of(buf, field.name.as_bytes()),
                value: Span::of(buf, field.value),
            });
        }
        self.check_framing()
    }

    /// RFC 9112 §6 checks, and the `Connection`/`Expect` tokens.
    fn check_framing(&mut self) -> Result<(), HttpError> {
        let mut content_length: Option<u64> = None;
        let mut transfer_encoding = false;
        let mut chunked = false;
        let mut hosts = 0usize;
        let mut connection = ConnectionTokens::default();
        let mut expect_continue = false;
        for (name, value) in self.headers() {
            if eq_ignore_case(name.as_bytes(), b"content-length") {
                if content_length.is_some() {
                    return Err(HttpError::DuplicateContentLength);
                }
                content_length = Some(parse_content_length(value)?);
            } else if eq_ignore_case(name.as_bytes(), b"transfer-encoding") {
                transfer_encoding = true;
                for coding in value.split(|&b| b == b',') {
                    let coding = trim_ows(coding);
                    if coding.is_empty() || !coding.iter().all(|&b| is_tchar(b)) {
                        return Err(HttpError::InvalidTransferEncoding);
                    }
                    // Exactly one coding, `chunked`: a second `chunked` means the sender and
                    // some other hop disagree on the framing, and any other coding is one this
                    // proxy does not decode, so it could not vouch for the next hop's reading
                    // of it (RFC 9112 §6.1 lets a server refuse codings it does not know).
                    if chunked || !eq_ignore_case(coding, b"chunked") {
                        return Err(HttpError::InvalidTransferEncoding);
                    }
                    chunked = true;
                }
            } else if eq_ignore_case(name.as_bytes(), b"host") {
                hosts += 1;
            } else if eq_ignore_case(name.as_bytes(), b"connection") {
                for token in list_items(value) {
                    if eq_ignore_case(token, b"close") {
                        connection.close = true;
                    } else if eq_ignore_case(token, b"keep-alive") {
                        connection.keep_alive = true;
                    } else if eq_ignore_case(token, b"upgrade") {
                        connection.upgrade = true;
                    }
                }
            } else if eq_ignore_case(name.as_bytes(), b"expect") {
                expect_continue |= eq_ignore_case(trim_ows(value), b"100-continue");
            }
        }
        if transfer_encoding {
            if content_length.is_some() {
                return Err(HttpError::ContentLengthWithTransferEncoding);
            }
            if self.version == Version::Http10 {
                return Err(HttpError::TransferEncodingInHttp10);
            }
        }
        if self.direction == Direction::Request {
            if hosts > 1 {
                return Err(HttpError::DuplicateHost);
            }
            // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400.
            if hosts == 0 && self.version == Version::Http11 {
                return Err(HttpError::MissingHost);
            }
            self.check_authority()?;
        }
        self.content_length = content_length;
        self.chunked = chunked;
        self.connection = connection;
        // RFC 9110 §10.1.1: a server MUST ignore 100-continue from an HTTP/1.0 client.
        self.expect_continue = expect_continue && self.version == Version::Http11;
        Ok(())
    }

    /// RFC 9112 §3.2.2: with an absolute-form target, the recipient must use the target's
    /// authority and ignore `Host`. Everything downstream (ACLs, `redirect scheme`, the
    /// server) reads `Host`, so a request in which the two disagree is refused; userinfo
    /// (`user@host`, deprecated by RFC 9110 §4.2.4) is refused with it.
    fn check_authority(&self) -> Result<(), HttpError> {
        let Some(target) = self.target() else {
            return Ok(());
        };
        if target.starts_with('/') {
            return Ok(());
        }
        let Some((_, rest)) = target.split_once("://") else {
            return Ok(());
        };
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return Err(HttpError::HostMismatch);
        }
        match self.header("host") {
            Some(host) if !eq_ignore_case(trim_ows(host), authority.as_bytes()) => {
                Err(HttpError::HostMismatch)
            }
            _ => Ok(()),
        }
    }

    /// Which way this head travels.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The raw bytes of the head, blank line included.
    pub fn raw(&self) -> &[u8] {
        &self.buf
    }

    /// The HTTP version on the start line.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request method (`None` for a response).
    pub fn method(&self) -> Option<&str> {
        match self.start {
            StartLine::Request { method, .. } => {
                Some(core::str::from_utf8(method.get(&self.buf)).unwrap_or(""))
            }
            StartLine::Response { .. } => None,
        }
    }

    /// The method class that matters for framing the response.
    pub fn method_kind(&self) -> MethodKind {
        match self.method() {
            Some("HEAD") => MethodKind::Head,
            Some("CONNECT") => MethodKind::Connect,
            _ => MethodKind::Other,
        }
    }

    /// The request-target (`None` for a response).
    pub fn target(&self) -> Option<&str> {
        match self.start {
            StartLine::Request { target, .. } => {
                Some(core::str::from_utf8(target.get(&self.buf)).unwrap_or(""))
            }
            StartLine::Response { .. } => None,
        }
    }

    /// The status code (`None` for a request).
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { status, .. } => Some(status),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase (`None` for a request).
    pub fn reason(&self) -> Option<&[u8]> {
        match self.start {
            StartLine::Response { reason, .. } => Some(reason.get(&self.buf)),
            StartLine::Request { .. } => None,
        }
    }

    /// True for an interim (1xx) response other than 101: a final response follows it.
    pub fn is_interim(&self) -> bool {
        matches!(self.status(), Some(100..=199)) && self.status() != Some(101)
    }

    /// The header fields in order, as (name, value); values are trimmed of surrounding
    /// whitespace by httparse.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields.iter().map(|f| {
            let name = core::str::from_utf8(f.name.get(&self.buf)).unwrap_or("");
            (name, f.value.get(&self.buf))
        })
    }

    /// The first value of the field `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| eq_ignore_case(n.as_bytes(), name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Every value of the field `name` (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers()
            .filter(move |(n, _)| eq_ignore_case(n.as_bytes(), name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The `Content-Length` value, if the message had one.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// True when `Transfer-Encoding` ends in `chunked`.
    pub fn is_chunked(&self) -> bool {
        self.chunked
    }

    /// The `close`, `keep-alive` and `upgrade` tokens of the `Connection` fields.
    pub fn connection(&self) -> ConnectionTokens {
        self.connection
    }

    /// True for an HTTP/1.1 request carrying `Expect: 100-continue`.
    pub fn expects_continue(&self) -> bool {
        self.expect_continue
    }

    /// True when the sender wants the connection kept open after this message: HTTP/1.1
    /// without `close`, or HTTP/1.0 with `keep-alive` (RFC 9112 §9.3).
    pub fn wants_keep_alive(&self) -> bool {
        match self.version {
            Version::Http11 => !self.connection.close,
            Version::Http10 => self.connection.keep_alive && !self.connection.close,
        }
    }
}

/// `Content-Length = 1*DIGIT` (RFC 9110 §8.6). A list (`42, 42`) counts as a duplicate.
/// RFC 9112 §3.2: a request target is in origin-form (`/path?query`), absolute-form
/// (`scheme://authority/path`), authority-form (`host:port`, CONNECT only) or asterisk-form
/// (`*`, OPTIONS only). Anything else, and any fragment (RFC 9110 §4.2.5: a fragment is never
/// sent; HAProxy refuses `#` since its fix for CVE-2023-45539), is a 400: a target that is not
/// what it seems is how path ACLs are bypassed. httparse has already refused bytes outside
/// the URI character set.
fn check_target(method: &str, target: &[u8]) -> Result<(), HttpError> {
    if target.contains(&b'#') {
        return Err(HttpError::InvalidTarget);
    }
    let valid = match (method, target) {
        ("OPTIONS", b"*") => true,
        ("CONNECT", _) => is_authority_form(target),
        (_, [b'/', ..]) => true,
        _ => is_absolute_form(target),
    };
    if valid {
        Ok(())
    } else {
        Err(HttpError::InvalidTarget)
    }
}

/// `scheme "://" …`, the scheme `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn is_absolute_form(target: &[u8]) -> bool {
    let Some(colon) = target.windows(3).position(|w| w == b"://") else {
        return false;
    };
    let scheme = &target[..colon];
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// `host ":" port` with a non-empty host and a decimal port (RFC 9112 §3.2.3).
fn is_authority_form(target: &[u8]) -> bool {
    let Some(colon) = target.iter().rposition(|&b| b == b':') else {
        return false;
    };
    let (host, port) = (&target[..colon], &target[colon + 1..]);
    !host.is_empty()
        && !host.contains(&b'/')
        && !port.is_empty()
        && port.len() <= 5
        && port.iter().all(u8::is_ascii_digit)
}

fn parse_content_length(value: &[u8]) -> Result<u64, HttpError> {
    let value = trim_ows(value);
    if value.contains(&b',') {
        return Err(HttpError::DuplicateContentLength);
    }
    if value.is_empty() {
        return Err(HttpError::InvalidContentLength);
    }
    let mut length: u64 = 0;
    for &b in value {
        if !b.is_ascii_digit() {
            return Err(HttpError::InvalidContentLength);
        }
        length = length
            .checked_mul(10)
            .and_then(|l| l.checked_add(u64::from(b - b'0')))
            .ok_or(HttpError::InvalidContentLength)?;
    }
    Ok(length)
}
