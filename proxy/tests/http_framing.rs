//! Head parsing and framing decisions: every smuggling vector the engine refuses, the body
//! length of every kind of message, and the size limits.

use proxy::http::*;

/// Feeds `bytes` to a fresh client side until the head is complete or refused.
fn request(bytes: &[u8]) -> Result<ClientSide, HttpError> {
    request_with(bytes, Limits::default())
}

fn request_with(bytes: &[u8], limits: Limits) -> Result<ClientSide, HttpError> {
    let mut side = ClientSide::new(limits);
    let step = side.read(bytes)?;
    assert_eq!(step.event, Event::Head, "head not complete in {bytes:?}");
    Ok(side)
}

/// Parses `bytes` as the response to a request with `method`.
fn response(bytes: &[u8], method: MethodKind) -> Result<ServerSide, HttpError> {
    let mut side = ServerSide::new(Limits::default());
    side.expect_response(method);
    let step = side.read(bytes)?;
    assert_eq!(step.event, Event::Head, "head not complete in {bytes:?}");
    Ok(side)
}

fn request_error(bytes: &[u8]) -> HttpError {
    match request(bytes) {
        Ok(side) => panic!("accepted {:?} as {:?}", bytes, side.body_length()),
        Err(e) => e,
    }
}

#[test]
fn simple_request_is_parsed_into_its_parts() {
    let side = request(b"GET /a?b=c HTTP/1.1\r\nHost: example\r\nX-A:  spaced \r\n\r\n").unwrap();
    let head = side.request();
    assert_eq!(head.method(), Some("GET"));
    assert_eq!(head.target(), Some("/a?b=c"));
    assert_eq!(head.version(), Version::Http11);
    assert_eq!(head.header("host"), Some(&b"example"[..]));
    assert_eq!(head.header("x-a"), Some(&b"spaced"[..]));
    assert_eq!(side.body_length(), BodyLength::Empty);
    assert!(head.wants_keep_alive());
}

#[test]
fn content_length_and_transfer_encoding_together_is_400() {
    let e = request_error(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    assert_eq!(e, HttpError::ContentLengthWithTransferEncoding);
    assert_eq!(e.status(Direction::Request), 400);
    // Order does not matter.
    assert_eq!(
        request_error(
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
        ),
        HttpError::ContentLengthWithTransferEncoding
    );
}

#[test]
fn duplicate_content_length_is_400_even_when_equal() {
    for head in [
        &b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 4\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4,5\r\n\r\n",
    ] {
        assert_eq!(
            request_error(head),
            HttpError::DuplicateContentLength,
            "{head:?}"
        );
    }
}

#[test]
fn invalid_content_length_is_400() {
    for value in [
        "+4",
        "-1",
        "0x10",
        "4 4",
        "",
        "abc",
        "18446744073709551616",
        "1e3",
    ] {
        let head = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {value}\r\n\r\n");
        assert_eq!(
            request_error(head.as_bytes()),
            HttpError::InvalidContentLength,
            "{value:?}"
        );
    }
    // The largest value that fits is accepted.
    let side =
        request(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n")
            .unwrap();
    assert_eq!(side.body_length(), BodyLength::Length(u64::MAX));
}

#[test]
fn transfer_encoding_must_be_exactly_chunked() {
    // Any coding but chunked is one this proxy does not decode: forwarding `gzip, chunked` as
    // written would leave the next hop to agree with us on codings we never checked.
    for value in [
        "gzip",
        "chunked, gzip",
        "chunked, chunked",
        "chunked,",
        ", chunked",
        "chunked;q=1",
        "\"chunked\"",
        "identity",
        "gzip, chunked",
        "gzip,chunked",
    ] {
        let head = format!("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {value}\r\n\r\n");
        assert_eq!(
            request_error(head.as_bytes()),
            HttpError::InvalidTransferEncoding,
            "{value:?}"
        );
        let head = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: {value}\r\n\r\n");
        let error = response(head.as_bytes(), MethodKind::Other).err();
        assert_eq!(error, Some(HttpError::InvalidTransferEncoding), "{value:?}");
        assert_eq!(
            HttpError::InvalidTransferEncoding.status(Direction::Response),
            502
        );
    }
    // Split over two fields, whichever comes first.
    for fields in [
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
    ] {
        let head = format!("POST / HTTP/1.1\r\nHost: a\r\n{fields}\r\n\r\n");
        assert_eq!(
            request_error(head.as_bytes()),
            HttpError::InvalidTransferEncoding,
            "{fields:?}"
        );
    }
    // Accepted forms: chunked in any case, with optional whitespace (forwarded as exactly
    // `chunked`, see http_rewrite.rs).
    for value in ["chunked", "CHUNKED", "Chunked ", " chunked"] {
        let head = format!("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {value}\r\n\r\n");
        let side = request(head.as_bytes()).unwrap();
        assert_eq!(side.body_length(), BodyLength::Chunked, "{value:?}");
    }
}

#[test]
fn an_http11_request_without_host_is_400() {
    // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
    // HTTP/1.1 request message that lacks a Host header field".
    let error = request_error(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
    assert_eq!(error, HttpError::MissingHost);
    assert_eq!(error.status(Direction::Request), 400);
    // An empty Host is what RFC 9112 §3.2 asks for when the target has no authority.
    assert!(request(b"GET / HTTP/1.1\r\nHost:\r\n\r\n").is_ok());
    // HTTP/1.0 has no Host requirement.
    assert!(request(b"GET / HTTP/1.0\r\n\r\n").is_ok());
    // A response needs none.
    assert!(response(b"HTTP/1.1 204 No Content\r\n\r\n", MethodKind::Other).is_ok());
}

#[test]
fn transfer_encoding_in_http10_is_400() {
    assert_eq!(
        request_error(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
        HttpError::TransferEncodingInHttp10
    );
}

#[test]
fn malformed_heads_are_400() {
    let cases: &[(&[u8], HttpError)] = &[
        // obs-fold
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n",
            HttpError::Syntax(SyntaxError::HeaderName),
        ),
        // whitespace before the colon
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 4\r\n\r\n",
            HttpError::Syntax(SyntaxError::HeaderName),
        ),
        // invalid name bytes
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nX(A): 1\r\n\r\n",
            HttpError::Syntax(SyntaxError::HeaderName),
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n",
            HttpError::Syntax(SyntaxError::HeaderName),
        ),
        // NUL and bare CR in a value
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n",
            HttpError::Syntax(SyntaxError::HeaderValue),
        ),
        // unsupported versions, HTTP/0.9
        (b"GET / HTTP/1.2\r\n\r\n", HttpError::Version),
        (b"GET / HTTP/2.0\r\n\r\n", HttpError::Version),
        (b"GET / HTTP/0.9\r\n\r\n", HttpError::Version),
        // two Host fields
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            HttpError::DuplicateHost,
        ),
    ];
    for (head, expected) in cases {
        let e = request_error(head);
        assert_eq!(e, *expected, "{head:?}");
        assert_eq!(e.status(Direction::Request), 400);
    }
    // Bare CR inside a value and a broken request line are refused, whatever httparse calls
    // them.
    for head in [
        &b"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n"[..],
        b"GET /\r\n\r\n",
        b"GET  / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1 x\r\n\r\n",
        b"G(T / HTTP/1.1\r\n\r\n",
        b"GET /a b HTTP/1.1\r\n\r\n",
    ] {
        assert!(request(head).is_err(), "{head:?}");
    }
}

#[test]
fn leading_empty_lines_are_skipped() {
    let side = request(b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(side.request().method(), Some("GET"));
}

#[test]
fn head_larger_than_the_limit_is_400() {
    let limits = Limits {
        max_head_bytes: 64,
        ..Limits::default()
    };
    let mut head = b"GET / HTTP/1.1\r\nX-Pad: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 64));
    head.extend_from_slice(b"\r\n\r\n");
    let mut side = ClientSide::new(limits);
    let e = side.read(&head).unwrap_err();
    assert_eq!(e, HttpError::HeadTooLarge);
    assert_eq!(e.status(Direction::Request), 400);
    // The failure sticks: the connection cannot be resynchronised.
    assert_eq!(
        side.read(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        Err(HttpError::HeadTooLarge)
    );
    // A head of exactly the limit is accepted.
    let exact = b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n";
    let side = request_with(
        exact,
        Limits {
            max_head_bytes: exact.len(),
            ..Limits::default()
        },
    );
    assert!(side.is_ok());
}

#[test]
fn too_many_headers_is_400() {
    let limits = Limits {
        max_headers: 3,
        ..Limits::default()
    };
    assert!(request_with(b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits).is_ok());
    assert_eq!(
        request_with(
            b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            limits
        )
        .err(),
        Some(HttpError::TooManyHeaders)
    );
}

#[test]
fn response_framing_follows_rfc9112() {
    use MethodKind::*;
    let cases: &[(&[u8], MethodKind, BodyLength)] = &[
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", Other, BodyLength::Length(5)),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Other, BodyLength::Empty),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Other, BodyLength::Chunked),
        (b"HTTP/1.1 200 OK\r\n\r\n", Other, BodyLength::UntilClose),
        (b"HTTP/1.0 200 OK\r\n\r\n", Other, BodyLength::UntilClose),
        // HEAD: no body whatever the fields say.
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", Head, BodyLength::Empty),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Head, BodyLength::Empty),
        (b"HTTP/1.1 200 OK\r\n\r\n", Head, BodyLength::Empty),
        // 1xx, 204, 304: no body.
        (b"HTTP/1.1 100 Continue\r\n\r\n", Other, BodyLength::Empty),
        (b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", Other, BodyLength::Empty),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", Other, BodyLength::Empty),
        (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", Other, BodyLength::Empty),
        // Protocol switches and CONNECT tunnels.
        (b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", Other, BodyLength::Tunnel),
        (b"HTTP/1.1 200 Connection established\r\n\r\n", Connect, BodyLength::Tunnel),
        (b"HTTP/1.1 407 Auth\r\nContent-Length: 2\r\n\r\n", Connect, BodyLength::Length(2)),
    ];
    for (head, method, expected) in cases {
        let side = response(head, *method).unwrap();
        assert_eq!(side.body_length(), *expected, "{head:?} to {method:?}");
    }
}

#[test]
fn ambiguous_responses_are_502() {
    for head in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
    ] {
        let e = response(head, MethodKind::Other).expect_err("accepted");
        assert_eq!(e.status(Direction::Response), 502, "{head:?}");
    }
}

#[test]
fn keep_alive_wishes_by_version() {
    let cases: &[(&[u8], bool)] = &[
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            false,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n",
            false,
        ),
        (b"GET / HTTP/1.0\r\n\r\n", false),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        (
            b"GET / HTTP/1.0\r\nConnection: foo,  Keep-Alive\r\n\r\n",
            true,
        ),
    ];
    for (head, keep) in cases {
        assert_eq!(
            request(head).unwrap().request().wants_keep_alive(),
            *keep,
            "{head:?}"
        );
    }
}

#[test]
fn expect_continue_only_counts_in_http11() {
    let side =
        request(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
            .unwrap();
    assert!(side.request().expects_continue());
    let side =
        request(b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").unwrap();
    assert!(!side.request().expects_continue());
}

#[test]
fn request_targets_must_have_one_of_the_forms_rfc_9112_defines() {
    // RFC 9112 §3.2: origin-form (`/path?query`), absolute-form (`http://host/path`),
    // authority-form (CONNECT only) and asterisk-form (OPTIONS only).
    for (method, target) in [
        ("GET", "/"),
        ("GET", "/a/b?c=d&e"),
        ("GET", "http://example.test/x"),
        ("GET", "HTTPS://example.test"),
        ("OPTIONS", "*"),
        ("CONNECT", "example.test:443"),
        ("CONNECT", "[2001:db8::1]:443"),
        // Origin-form allows empty segments; `http-request normalize-uri` is what merges them.
        ("GET", "//admin/"),
    ] {
        let head = format!("{method} {target} HTTP/1.1\r\nHost: example.test\r\n\r\n");
        assert!(request(head.as_bytes()).is_ok(), "{method} {target}");
    }
    for (method, target) in [
        ("GET", "x"),
        ("GET", "admin/"),
        ("GET", "*"),
        ("GET", "example.test:80"),
        ("OPTIONS", "*x"),
        ("CONNECT", "/"),
        ("CONNECT", "example.test"),
        ("GET", "http:/x"),
        ("GET", "1http://x"),
        // A fragment is never sent (RFC 9110 §4.2.5); HAProxy refuses it since CVE-2023-45539.
        ("GET", "/x#frag"),
        ("GET", "/#"),
        ("GET", "http://example.test/#x"),
    ] {
        let head = format!("{method} {target} HTTP/1.1\r\nHost: example.test\r\n\r\n");
        let error = request_error(head.as_bytes());
        assert_eq!(error, HttpError::InvalidTarget, "{method} {target}");
        assert_eq!(error.status(Direction::Request), 400);
    }
}

#[test]
fn an_absolute_form_target_must_name_the_host_the_host_field_names() {
    // RFC 9112 §3.2.2: the target's authority wins over Host. Rules, ACLs and the server read
    // Host, so a request whose two disagree is refused rather than read two ways.
    let error = request_error(b"GET http://inner.test/x HTTP/1.1\r\nHost: outer.test\r\n\r\n");
    assert_eq!(error, HttpError::HostMismatch);
    assert_eq!(error.status(Direction::Request), 400);
    for (target, host) in [
        ("http://inner.test/x", "inner.test"),
        ("http://Inner.Test:8080/x?y", "inner.test:8080"),
        ("https://inner.test", " inner.test "),
        ("http://inner.test?q", "INNER.TEST"),
    ] {
        let head = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert!(
            request(head.as_bytes()).is_ok(),
            "{target} with Host {host}"
        );
    }
    for (target, host) in [
        ("http://inner.test:8080/x", "inner.test"),
        ("http://user@inner.test/x", "inner.test"),
        ("http:///x", ""),
    ] {
        let head = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(
            request_error(head.as_bytes()),
            HttpError::HostMismatch,
            "{target} with Host {host}"
        );
    }
    // HTTP/1.0 may leave Host out; the authority then stands alone.
    assert!(request(b"GET http://inner.test/x HTTP/1.0\r\n\r\n").is_ok());
}
