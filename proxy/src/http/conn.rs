//! The two sides of a proxied connection and the keep-alive decisions that tie them.
//!
//! # Sequencing
//!
//! Like HAProxy, the engine handles one transaction at a time per client connection. Once a
//! request has been read to its end, [`ClientSide`] goes idle: pipelined requests behind it
//! stay unread in the socket buffer until the response has been forwarded completely and
//! [`ClientSide::finish_exchange`] has let the next one in. Responses therefore go back in
//! request order without any queue in the proxy.
//!
//! A response may arrive before its request's body has been read (a server refusing an upload
//! early). The proxy forwards it, and the client connection is closed after it, because the
//! unread rest of the request body cannot be told apart from a next request.

use super::body::BodyLength;
use super::error::{Direction, HttpError};
use super::head::{Head, MethodKind};
use super::limits::Limits;
use super::reader::{Eof, MessageReader, Step};

/// HAProxy's HTTP connection modes (`option http-keep-alive`, the default;
/// `option http-server-close`; `option httpclose`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HttpMode {
    /// Keep both the client and the server connection open between transactions.
    #[default]
    KeepAlive,
    /// Keep the client connection, close the server connection after each response.
    ServerClose,
    /// Close both connections after each transaction.
    Close,
}

impl HttpMode {
    /// The more restrictive of two modes: a transaction runs in the stricter of its
    /// frontend's and its backend's (manual 4.2 "option http-server-close": "the frontend
    /// and the backend ... the most restrictive one applies").
    pub fn strictest(self, other: HttpMode) -> HttpMode {
        let rank = |m: HttpMode| match m {
            HttpMode::KeepAlive => 0,
            HttpMode::ServerClose => 1,
            HttpMode::Close => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// Whether a connection stays open after the current message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persist {
    /// Keep it open for the next message.
    KeepAlive,
    /// Close it once the current message has been sent.
    Close,
}

/// What the proxy does with each connection once the current transaction ends. Decide it when
/// the response head arrives ([`plan_response`]) and pass `client` to the response rewrite so
/// the client is told the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persistence {
    /// The client connection.
    pub client: Persist,
    /// The server connection.
    pub server: Persist,
}

/// What the proxy asks of the server when it forwards `request`: keep-alive unless the mode
/// closes server connections or the request opens a tunnel.
pub fn plan_request(mode: HttpMode, request: &Head) -> Persist {
    let tunnel = request.method_kind() == MethodKind::Connect || request.connection().upgrade;
    if mode == HttpMode::KeepAlive && !tunnel {
        Persist::KeepAlive
    } else {
        Persist::Close
    }
}

/// A response that turns the connection into a tunnel must answer a request that asked for
/// one: a `101` only a request with `Connection: upgrade` and an `Upgrade` field, and the `101`
/// must name the protocol (RFC 9110 §7.8 and §15.2.2). A 2xx tunnel answers CONNECT by
/// construction ([`BodyLength::of_response`]). Anything else would hand the client an
/// unfiltered byte pipe it never asked for; HAProxy answers 502.
pub fn check_tunnel(request: &Head, response: &Head, body: BodyLength) -> Result<(), HttpError> {
    if body != BodyLength::Tunnel || response.status() != Some(101) {
        return Ok(());
    }
    let asked = request.connection().upgrade && request.header("upgrade").is_some();
    if asked && response.header("upgrade").is_some() {
        Ok(())
    } else {
        Err(HttpError::UnsolicitedSwitch)
    }
}

/// Decides both connections' fate once the response head is known.
///
/// * The client connection stays open only if the client asked for it (HTTP/1.1 without
///   `close`, HTTP/1.0 with `keep-alive`), the mode allows it, the response body ends by
///   itself, and the request was read to its end.
/// * The server connection stays open only in [`HttpMode::KeepAlive`], if the request was sent
///   as keep-alive, the server agreed, the body ends by itself and the request was complete.
pub fn plan_response(
    mode: HttpMode,
    request: &Head,
    request_complete: bool,
    response: &Head,
    response_body: BodyLength,
) -> Persistence {
    let reusable = response_body.is_self_delimited() && request_complete;
    let client = mode != HttpMode::Close && request.wants_keep_alive() && reusable;
    let server = plan_request(mode, request) == Persist::KeepAlive
        && response.wants_keep_alive()
        && reusable;
    let persist = |keep| {
        if keep {
            Persist::KeepAlive
        } else {
            Persist::Close
        }
    };
    Persistence {
        client: persist(client),
        server: persist(server),
    }
}

/// The client-facing side of a connection: reads requests in order.
#[derive(Debug)]
pub struct ClientSide {
    reader: MessageReader,
}

/// What [`ClientSide::finish_exchange`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read the next request on this connection.
    ReadNext,
    /// Close the connection once the response has been flushed.
    Close,
}

impl ClientSide {
    /// A client side with buffers sized from `limits`.
    pub fn new(limits: Limits) -> ClientSide {
        ClientSide {
            reader: MessageReader::new(Direction::Request, limits),
        }
    }

    /// Feeds bytes from the client socket. See [`Step`].
    pub fn read(&mut self, input: &[u8]) -> Result<Step, HttpError> {
        self.reader.read(input)
    }

    /// The current request head.
    pub fn request(&self) -> &Head {
        self.reader.head()
    }

    /// How the current request's body is framed.
    pub fn body_length(&self) -> BodyLength {
        self.reader.body_length()
    }

    /// True once the current request has been read to its end.
    pub fn request_complete(&self) -> bool {
        self.reader.is_finished()
    }

    /// The client closed its sending side.
    pub fn on_eof(&mut self) -> Result<Eof, HttpError> {
        self.reader.on_eof()
    }

    /// Call when the response has been forwarded completely. Lets the next pipelined request
    /// in if `client` is [`Persist::KeepAlive`] and the request was read to its end.
    pub fn finish_exchange(&mut self, client: Persist) -> Next {
        if client == Persist::KeepAlive && self.reader.is_finished() {
            self.reader.start_next(MethodKind::Other);
            Next::ReadNext
        } else {
            Next::Close
        }
    }
}

/// The server-facing side of a connection: reads the response to each forwarded request.
#[derive(Debug)]
pub struct ServerSide {
    reader: MessageReader,
}

impl ServerSide {
    /// A server side with buffers sized from `limits`.
    pub fn new(limits: Limits) -> ServerSide {
        // Nothing may be read before a request has been sent.
        ServerSide {
            reader: MessageReader::new_idle(Direction::Response, limits),
        }
    }

    /// Call after forwarding a request head with method class `method` (see
    /// [`Head::method_kind`]): the next bytes from the server are its response.
    pub fn expect_response(&mut self, method: MethodKind) {
        self.reader.start_next(method);
    }

    /// Feeds bytes from the server socket. 1xx interim responses come out as a
    /// [`Event::Head`](super::Event::Head) and an [`Event::End`](super::Event::End) each,
    /// followed by the final response.
    pub fn read(&mut self, input: &[u8]) -> Result<Step, HttpError> {
        self.reader.read(input)
    }

    /// The current response head.
    pub fn response(&self) -> &Head {
        self.reader.head()
    }

    /// How the current response's body is framed.
    pub fn body_length(&self) -> BodyLength {
        self.reader.body_length()
    }

    /// True once the final response has been read to its end.
    pub fn response_complete(&self) -> bool {
        self.reader.is_finished()
    }

    /// The server closed its sending side; ends a read-until-close body.
    pub fn on_eof(&mut self) -> Result<Eof, HttpError> {
        self.reader.on_eof()
    }
}
