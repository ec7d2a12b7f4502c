//! Sans-IO HTTP/1.1 engine: parsing, framing, streaming and rewriting for both sides of a
//! proxied connection.
//!
//! Nothing here touches a socket or a clock. The proxy loop hands the engine the bytes at the
//! front of a socket's receive buffer; the engine says how many it took and what they were;
//! the proxy drops that many from the buffer and forwards what must be forwarded. Timeouts
//! (408, 504) belong to the loop, which sends the canned page from [`responses`].
//!
//! Memory per connection is fixed when the sides are created: two head buffers of
//! [`Limits::max_head_bytes`] and two field tables of [`Limits::max_headers`] entries. Bodies
//! are never buffered: chunked bodies are validated on the fly and forwarded exactly as
//! received (not re-chunked), `Content-Length` bodies are counted down.
//!
//! # Where things are
//!
//! | file | what |
//! | --- | --- |
//! | `limits.rs` | [`Limits`]: head size, field count, chunk-line and trailer limits |
//! | `head.rs` | [`Head`]: collecting and parsing a head (httparse), RFC 9112 framing checks |
//! | `body.rs` | [`BodyLength`] (RFC 9112 §6.3) and [`BodyReader`] |
//! | `chunked.rs` | [`ChunkedDecoder`]: the chunked-coding state machine |
//! | `reader.rs` | [`MessageReader`]: head → body → end, one message at a time |
//! | `conn.rs` | [`ClientSide`], [`ServerSide`], keep-alive planning ([`plan_request`], [`plan_response`]) |
//! | `rewrite.rs` | writing the outgoing heads: header rules, X-Forwarded-For, `Connection` |
//! | `cookie.rs` | cookie persistence (`insert`, `rewrite`, `prefix`, `indirect`, `nocache`) |
//! | `responses.rs` | HAProxy's default error pages and `100 Continue` |
//! | `error.rs` | [`HttpError`] and the status each error answers with |
//!
//! # Refused messages
//!
//! A request is answered 400 and a response 502 ([`HttpError::status`]) when: the head is
//! larger than the limit or has too many fields (HAProxy answers 400 here too, not 431); the
//! start line or a field is malformed (httparse: bad token or target, invalid field name,
//! whitespace before the colon, CR/LF/NUL in a value, obs-fold); the version is not
//! HTTP/1.0 or 1.1 (HTTP/0.9 included); `Content-Length` and `Transfer-Encoding` both appear;
//! `Content-Length` is repeated (even with the same value), a list, or not digits;
//! `Transfer-Encoding` is not exactly one `chunked` (any other coding is one we do not
//! decode; `chunked` is forwarded in that one spelling) or appears in HTTP/1.0; a request has
//! two `Host` fields, an HTTP/1.1 request none, or an absolute-form request one that differs
//! from its target's authority; a request target is in none of RFC 9112
//! §3.2's forms for its method, or has a fragment; a chunk size is not hex, is above
//! [`MAX_CHUNK_SIZE`] (2^52 - 1, as HAProxy) or is followed by
//! anything but extensions and CRLF; chunk data is not followed by CRLF; a trailer is
//! malformed. HAProxy itself tolerates some of these (it drops `Content-Length` when
//! `Transfer-Encoding` is present, and merges identical `Content-Length` values); this engine
//! refuses them, as the project's issue requires: there is no honest reason to send them.
//!
//! # Driving it
//!
//! One transaction on a keep-alive connection, with `rx`/`tx` standing for the sockets'
//! buffers (in the firmware: smoltcp's `recv`/`send` closures):
//!
//! ```
//! use proxy::http::*;
//!
//! let limits = Limits::default();
//! let mut client = ClientSide::new(limits);
//! let mut server = ServerSide::new(limits);
//! let mut to_server = Vec::new();
//! let mut to_client = Vec::new();
//! let mut out = [0u8; 8192];
//!
//! // Client -> proxy: a request with a body, and a pipelined request behind it.
//! let mut rx: &[u8] = b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n";
//! loop {
//!     let step = client.read(rx).unwrap(); // Err(e): send responses::error_response(e.status(Direction::Request))
//!     match step.event {
//!         Event::Head => {
//!             let req = client.request();
//!             let rw = RequestRewrite {
//!                 ops: &[HeaderOp::Set { name: "X-Env", value: b"prod" }],
//!                 forwarded_for: None,
//!                 connection: plan_request(HttpMode::KeepAlive, req),
//!                 cookie: None,
//!                 strip_expect: false,
//!             };
//!             let n = write_request(req, &rw, &mut out).unwrap(); // Err: 500
//!             to_server.extend_from_slice(&out[..n]);
//!             server.expect_response(req.method_kind());
//!         }
//!         Event::Body | Event::End => to_server.extend_from_slice(&rx[..step.consumed]),
//!         Event::NeedMore | Event::Idle => {}
//!     }
//!     rx = &rx[step.consumed..];
//!     if matches!(step.event, Event::End | Event::NeedMore | Event::Idle) {
//!         break;
//!     }
//! }
//! assert!(to_server.starts_with(b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-Env: prod\r\n\r\nabc"));
//! assert_eq!(rx, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"); // waits in the socket until the response is done
//!
//! // Server -> proxy: the response.
//! let mut rx: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
//! let mut plan = None;
//! while !server.response_complete() {
//!     let step = server.read(rx).unwrap(); // Err(e) before any byte went to the client: 502
//!     match step.event {
//!         Event::Head => {
//!             let resp = server.response();
//!             let p = plan_response(HttpMode::KeepAlive, client.request(),
//!                 client.request_complete(), resp, server.body_length());
//!             let rw = ResponseRewrite { ops: &[], connection: p.client, cookie: None };
//!             let n = write_response(resp, &rw, &mut out).unwrap();
//!             to_client.extend_from_slice(&out[..n]);
//!             plan = Some(p);
//!         }
//!         Event::Body | Event::End => to_client.extend_from_slice(&rx[..step.consumed]),
//!         Event::NeedMore | Event::Idle => break, // wait for more bytes
//!     }
//!     rx = &rx[step.consumed..];
//! }
//! assert_eq!(to_client, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
//! // Response done: the next pipelined request may be read.
//! let plan = plan.unwrap();
//! assert_eq!(client.finish_exchange(plan.client), Next::ReadNext);
//! ```
//!
//! Forwarding is limited by the peer's free send space: pass `&rx[..min(rx.len(), tx_free)]`
//! to `read` and the engine never claims more than can be forwarded. 1xx responses arrive as
//! a `Head` + `End` pair before the final response; forward them only to HTTP/1.1 clients,
//! with `connection: Persist::KeepAlive` so no `Connection` field is added. For
//! `Expect: 100-continue` ([`Head::expects_continue`]) the proxy either forwards the
//! expectation and relays the server's 100, or writes [`responses::CONTINUE`] itself and sets
//! `strip_expect`. A `Tunnel` body ([`BodyLength::Tunnel`], after 101 or CONNECT 2xx) means
//! raw forwarding both ways until either side closes.

mod body;
mod chunked;
mod conn;
mod cookie;
mod error;
mod head;
mod limits;
mod reader;
pub mod responses;
mod rewrite;
mod token;

pub use body::{BodyChunk, BodyLength, BodyReader};
pub use chunked::{Advance, ChunkedDecoder, MAX_CHUNK_SIZE};
pub use conn::{
    ClientSide, HttpMode, Next, Persist, Persistence, ServerSide, check_tunnel, plan_request,
    plan_response,
};
pub use cookie::{CookieMode, CookiePolicy, ResponseCookie, server_cookie};
pub use error::{Direction, HttpError, SyntaxError};
pub use head::{ConnectionTokens, Head, MethodKind, Version};
pub use limits::{Limits, MAX_HEADERS_CAP};
pub use reader::{Eof, Event, MessageReader, Step};
pub use rewrite::{
    ForwardedFor, HeaderOp, RequestRewrite, ResponseRewrite, connection_value, write_request,
    write_response,
};
