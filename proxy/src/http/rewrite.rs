//! Writing the outgoing head: the request as the server gets it, the response as the client
//! gets it.
//!
//! The original head is never edited in place; the outgoing head is written fresh into a
//! buffer the proxy supplies (typically the free space of the peer socket's send buffer), in
//! this order:
//!
//! 1. the start line, unchanged;
//! 2. the original fields that survive, in their order and spelling (but `Transfer-Encoding`,
//!    which goes on as exactly `chunked`): hop-by-hop fields
//!    (`Connection`, `Keep-Alive`, `Proxy-Connection`, `Upgrade` unless upgrading, and every
//!    field the `Connection` header names) are dropped, as are fields deleted by a later
//!    `del-header`/`set-header`; persistence cookies are edited on the way;
//! 3. fields added by `add-header`/`set-header`, in rule order, unless a later rule deletes
//!    them again -- exactly the result of applying the rules one after another;
//! 4. `X-Forwarded-For` (request, `option forwardfor`), added after the rules as HAProxy does;
//! 5. an inserted persistence `Set-Cookie` and `Cache-Control: private` (response);
//! 6. the `Connection` field that states this hop's persistence (see [`connection_value`]).
//!
//! `Content-Length`, `Transfer-Encoding` and `Host` are never dropped as hop-by-hop even when
//! `Connection` names them: the body is forwarded verbatim, so its framing must reach the
//! peer intact.

use core::fmt::Write as _;
use core::net::IpAddr;

use super::conn::Persist;
use super::cookie::{CookiePolicy, ResponseCookie, SetCookieAction, edit_request_cookie};
use super::error::HttpError;
use super::head::{Head, Version};
use super::token::{eq_ignore_case, list_items};

/// One `http-request`/`http-response` header rule, applied in the order given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderOp<'a> {
    /// `add-header NAME VALUE`: append a field.
    Add {
        /// Field name.
        name: &'a str,
        /// Field value.
        value: &'a [u8],
    },
    /// `set-header NAME VALUE`: remove every `NAME` field, then append one.
    Set {
        /// Field name.
        name: &'a str,
        /// Field value.
        value: &'a [u8],
    },
    /// `del-header NAME`: remove every `NAME` field.
    Del {
        /// Field name.
        name: &'a str,
    },
}

impl HeaderOp<'_> {
    fn name(&self) -> &str {
        match self {
            HeaderOp::Add { name, .. } | HeaderOp::Set { name, .. } | HeaderOp::Del { name } => {
                name
            }
        }
    }

    fn removes(&self, field: &str) -> bool {
        matches!(self, HeaderOp::Set { .. } | HeaderOp::Del { .. })
            && eq_ignore_case(self.name().as_bytes(), field.as_bytes())
    }
}

/// `option forwardfor [header NAME] [if-none]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardedFor<'a> {
    /// Field name, `X-Forwarded-For` by default.
    pub header: &'a str,
    /// The client's address.
    pub client: IpAddr,
    /// Add nothing if the request (after the rules) already has the field.
    pub if_none: bool,
}

/// Everything that shapes the request sent to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRewrite<'a> {
    /// `http-request add-header|set-header|del-header` rules, in order.
    pub ops: &'a [HeaderOp<'a>],
    /// `option forwardfor`.
    pub forwarded_for: Option<ForwardedFor<'a>>,
    /// Persistence asked of the server (see [`plan_request`](super::plan_request)).
    pub connection: Persist,
    /// The backend's cookie persistence, to hide or unprefix the cookie.
    pub cookie: Option<&'a CookiePolicy<'a>>,
    /// Drop `Expect: 100-continue` because the proxy answered it itself.
    pub strip_expect: bool,
}

/// Everything that shapes the response sent to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseRewrite<'a> {
    /// `http-response add-header|set-header|del-header` rules, in order.
    pub ops: &'a [HeaderOp<'a>],
    /// Persistence of the client connection (see [`plan_response`](super::plan_response)).
    pub connection: Persist,
    /// Cookie persistence for this response.
    pub cookie: Option<ResponseCookie<'a>>,
}

/// A bounded output cursor: the rewrite never allocates and fails cleanly when full.
struct Out<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: bool,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) if !self.overflow => {
                dst.copy_from_slice(bytes);
                self.len = end;
            }
            _ => self.overflow = true,
        }
    }

    fn field(&mut self, name: &[u8], value: &[u8]) {
        self.put(name);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }

    fn finish(self) -> Result<usize, HttpError> {
        if self.overflow {
            Err(HttpError::RewriteTooLarge)
        } else {
            Ok(self.len)
        }
    }
}

impl core::fmt::Write for Out<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.put(s.as_bytes());
        Ok(())
    }
}

/// The `Connection` value that tells the peer this hop's persistence, given the version on
/// the start line being sent: HTTP/1.1 persists by default and needs `close` to stop, HTTP/1.0
/// closes by default and needs `keep-alive` to persist (RFC 9112 §9.3). HAProxy's H1 mux
/// writes the same tokens. A protocol upgrade keeps its `upgrade` token instead.
pub fn connection_value(version: Version, persist: Persist, upgrade: bool) -> Option<&'static str> {
    if upgrade {
        return Some("upgrade");
    }
    match (version, persist) {
        (Version::Http11, Persist::Close) => Some("close"),
        (Version::Http10, Persist::KeepAlive) => Some("keep-alive"),
        _ => None,
    }
}

/// True when `name` is hop-by-hop in `head` and must not be forwarded.
fn is_hop_by_hop(head: &Head, name: &str) -> bool {
    let n = name.as_bytes();
    if eq_ignore_case(n, b"connection")
        || eq_ignore_case(n, b"keep-alive")
        || eq_ignore_case(n, b"proxy-connection")
    {
        return true;
    }
    if eq_ignore_case(n, b"upgrade") {
        return !head.connection().upgrade;
    }
    if eq_ignore_case(n, b"content-length")
        || eq_ignore_case(n, b"transfer-encoding")
        || eq_ignore_case(n, b"host")
    {
        return false;
    }
    head.headers_named("connection")
        .flat_map(list_items)
        .any(|token| eq_ignore_case(token, n))
}

/// True when `op` (at index `i` of `ops`) adds a field no later rule removes.
fn added_survives(ops: &[HeaderOp<'_>], i: usize) -> bool {
    let name = ops[i].name();
    ops[i + 1..].iter().all(|later| !later.removes(name))
}

fn write_added(ops: &[HeaderOp<'_>], out: &mut Out<'_>) {
    for (i, op) in ops.iter().enumerate() {
        if let HeaderOp::Add { name, value } | HeaderOp::Set { name, value } = op
            && added_survives(ops, i)
        {
            out.field(name.as_bytes(), value);
        }
    }
}

/// True when the message will carry a `name` field after the rules.
fn has_field_after_ops(head: &Head, ops: &[HeaderOp<'_>], name: &str) -> bool {
    // A field the `Connection` header names is dropped as hop-by-hop: it does not count.
    let original = head.header(name).is_some()
        && !is_hop_by_hop(head, name)
        && !ops.iter().any(|op| op.removes(name));
    let added = ops.iter().enumerate().any(|(i, op)| {
        matches!(op, HeaderOp::Add { .. } | HeaderOp::Set { .. })
            && eq_ignore_case(op.name().as_bytes(), name.as_bytes())
            && added_survives(ops, i)
    });
    original || added
}

/// The value a surviving field is forwarded with: its own, except `Transfer-Encoding`, which
/// the parser has checked is one `chunked` in some spelling, and which goes on as exactly
/// `chunked` so that no later parser can read it differently.
fn forwarded_value<'v>(name: &str, value: &'v [u8]) -> &'v [u8] {
    if eq_ignore_case(name.as_bytes(), b"transfer-encoding") {
        b"chunked"
    } else {
        value
    }
}

/// Writes the request head for the server into `out`; returns its length.
/// [`HttpError::RewriteTooLarge`] (answer 500) if it does not fit.
pub fn write_request(
    request: &Head,
    rewrite: &RequestRewrite<'_>,
    out: &mut [u8],
) -> Result<usize, HttpError> {
    let mut out = Out {
        buf: out,
        len: 0,
        overflow: false,
    };
    out.put(request.method().unwrap_or("").as_bytes());
    out.put(b" ");
    out.put(request.target().unwrap_or("").as_bytes());
    out.put(b" ");
    out.put(request.version().as_str().as_bytes());
    out.put(b"\r\n");
    for (name, value) in request.headers() {
        if is_hop_by_hop(request, name) || rewrite.ops.iter().any(|op| op.removes(name)) {
            continue;
        }
        if rewrite.strip_expect && eq_ignore_case(name.as_bytes(), b"expect") {
            continue;
        }
        match rewrite.cookie {
            Some(policy) if eq_ignore_case(name.as_bytes(), b"cookie") => {
                let mark = out.len;
                out.put(name.as_bytes());
                out.put(b": ");
                let value_start = out.len;
                edit_request_cookie(policy, value, |bytes| out.put(bytes));
                if out.len == value_start && !out.overflow {
                    // Every cookie in the field was removed: drop the field itself.
                    out.len = mark;
                } else {
                    out.put(b"\r\n");
                }
            }
            _ => out.field(name.as_bytes(), forwarded_value(name, value)),
        }
    }
    write_added(rewrite.ops, &mut out);
    if let Some(xff) = rewrite.forwarded_for
        && !(xff.if_none && has_field_after_ops(request, rewrite.ops, xff.header))
    {
        out.put(xff.header.as_bytes());
        out.put(b": ");
        let _ = write!(out, "{}", xff.client);
        out.put(b"\r\n");
    }
    let upgrade = request.connection().upgrade;
    if let Some(value) = connection_value(request.version(), rewrite.connection, upgrade) {
        out.field(b"Connection", value.as_bytes());
    }
    out.put(b"\r\n");
    out.finish()
}

/// Writes the response head for the client into `out`; returns its length.
/// [`HttpError::RewriteTooLarge`] (answer 500) if it does not fit.
pub fn write_response(
    response: &Head,
    rewrite: &ResponseRewrite<'_>,
    out: &mut [u8],
) -> Result<usize, HttpError> {
    let mut out = Out {
        buf: out,
        len: 0,
        overflow: false,
    };
    out.put(response.version().as_str().as_bytes());
    let _ = write!(out, " {:03} ", response.status().unwrap_or(0));
    out.put(response.reason().unwrap_or(b""));
    out.put(b"\r\n");
    for (name, value) in response.headers() {
        if is_hop_by_hop(response, name) || rewrite.ops.iter().any(|op| op.removes(name)) {
            continue;
        }
        match rewrite.cookie {
            Some(cookie) if eq_ignore_case(name.as_bytes(), b"set-cookie") => {
                match cookie.action(value) {
                    SetCookieAction::Keep => out.field(name.as_bytes(), value),
                    SetCookieAction::Drop => {}
                    SetCookieAction::Replace => {
                        out.put(name.as_bytes());
                        out.put(b": ");
                        cookie.replace(value, |bytes| out.put(bytes));
                        out.put(b"\r\n");
                    }
                }
            }
            _ => out.field(name.as_bytes(), forwarded_value(name, value)),
        }
    }
    write_added(rewrite.ops, &mut out);
    if let Some(cookie) = rewrite.cookie {
        if cookie.inserts(response) {
            out.put(b"Set-Cookie: ");
            cookie.inserted_value(|bytes| out.put(bytes));
            out.put(b"\r\n");
        }
        if cookie.adds_cache_private(response) {
            out.field(b"Cache-Control", b"private");
        }
    }
    // The `upgrade` token only means something on a 101 going back to the client.
    let upgrade = response.connection().upgrade && response.status() == Some(101);
    if let Some(value) = connection_value(response.version(), rewrite.connection, upgrade) {
        out.field(b"Connection", value.as_bytes());
    }
    out.put(b"\r\n");
    out.finish()
}
