//! Outgoing heads: header rule order, X-Forwarded-For, Connection handling, cookie
//! persistence, canned responses.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proxy::http::*;

fn parse(direction: Direction, bytes: &[u8]) -> Head {
    let mut head = Head::new(direction, Limits::default());
    let (_, complete) = head.push(bytes).unwrap();
    assert!(complete);
    head
}

fn req_rw<'a>(ops: &'a [HeaderOp<'a>]) -> RequestRewrite<'a> {
    RequestRewrite {
        ops,
        forwarded_for: None,
        connection: Persist::KeepAlive,
        cookie: None,
        strip_expect: false,
    }
}

fn out_request(head: &Head, rw: &RequestRewrite<'_>) -> String {
    let mut buf = [0u8; 2048];
    let n = write_request(head, rw, &mut buf).unwrap();
    // What we write must itself parse.
    parse(Direction::Request, &buf[..n]);
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn out_response(head: &Head, rw: &ResponseRewrite<'_>) -> String {
    let mut buf = [0u8; 2048];
    let n = write_response(head, rw, &mut buf).unwrap();
    parse(Direction::Response, &buf[..n]);
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn header_rules_apply_in_order() {
    let head = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-B: keep\r\n\r\n",
    );
    let ops = [
        HeaderOp::Add {
            name: "X-C",
            value: b"added",
        },
        HeaderOp::Set {
            name: "X-A",
            value: b"set",
        },
        HeaderOp::Add {
            name: "X-D",
            value: b"gone",
        },
        HeaderOp::Del { name: "x-d" },
        HeaderOp::Add {
            name: "X-A",
            value: b"again",
        },
    ];
    assert_eq!(
        out_request(&head, &req_rw(&ops)),
        "GET / HTTP/1.1\r\nHost: h\r\nX-B: keep\r\nX-C: added\r\nX-A: set\r\nX-A: again\r\n\r\n"
    );
    // A later set replaces an earlier add of the same name.
    let ops = [
        HeaderOp::Add {
            name: "X-E",
            value: b"1",
        },
        HeaderOp::Set {
            name: "X-E",
            value: b"2",
        },
    ];
    assert_eq!(
        out_request(&head, &req_rw(&ops)),
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-B: keep\r\nX-E: 2\r\n\r\n"
    );
}

#[test]
fn forwarded_for_is_appended_after_the_rules() {
    let head = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n",
    );
    let mut rw = req_rw(&[]);
    rw.forwarded_for = Some(ForwardedFor {
        header: "X-Forwarded-For",
        client: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
        if_none: false,
    });
    assert_eq!(
        out_request(&head, &rw),
        "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.9.9.9\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n"
    );
    // if-none: present, so nothing added; once deleted by a rule, added again.
    rw.forwarded_for = Some(ForwardedFor {
        header: "X-Forwarded-For",
        client: IpAddr::V6(Ipv6Addr::LOCALHOST),
        if_none: true,
    });
    assert_eq!(
        out_request(&head, &rw),
        "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n"
    );
    let ops = [HeaderOp::Del {
        name: "x-forwarded-for",
    }];
    rw.ops = &ops;
    assert_eq!(
        out_request(&head, &rw),
        "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ::1\r\n\r\n"
    );
}

#[test]
fn forwarded_for_if_none_counts_only_a_field_that_is_forwarded() {
    // `Connection: X-Forwarded-For` makes the client's field hop-by-hop: it is dropped, so
    // `if-none` must not treat it as present, or the server would get no X-Forwarded-For.
    let head = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Forwarded-For\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n",
    );
    let mut rw = req_rw(&[]);
    rw.forwarded_for = Some(ForwardedFor {
        header: "X-Forwarded-For",
        client: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
        if_none: true,
    });
    assert_eq!(
        out_request(&head, &rw),
        "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n"
    );
}

#[test]
fn transfer_encoding_is_forwarded_as_exactly_chunked() {
    // The parser accepts chunked in any case and with whitespace; the next hop gets one
    // spelling, so no two parsers along the way can read it differently.
    let head = parse(
        Direction::Request,
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  CHUNKED \r\n\r\n",
    );
    assert_eq!(
        out_request(&head, &req_rw(&[])),
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let head = parse(
        Direction::Response,
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n",
    );
    let rw = ResponseRewrite {
        ops: &[],
        connection: Persist::KeepAlive,
        cookie: None,
    };
    assert_eq!(
        out_response(&head, &rw),
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    );
}

#[test]
fn hop_by_hop_fields_are_stripped_but_framing_is_not() {
    let head = parse(
        Direction::Request,
        b"POST / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret, Content-Length, Host\r\nKeep-Alive: timeout=5\r\nX-Secret: s\r\nProxy-Connection: x\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n",
    );
    assert_eq!(
        out_request(&head, &req_rw(&[])),
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"
    );
}

#[test]
fn connection_field_states_this_hops_persistence() {
    let cases: &[(&[u8], Persist, &str)] = &[
        (
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            Persist::KeepAlive,
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            Persist::Close,
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        ),
        (
            b"GET / HTTP/1.0\r\n\r\n",
            Persist::KeepAlive,
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ),
        (
            b"GET / HTTP/1.0\r\nConnection: close\r\n\r\n",
            Persist::Close,
            "GET / HTTP/1.0\r\n\r\n",
        ),
        (
            b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            Persist::Close,
            "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        ),
    ];
    for (input, persist, expected) in cases {
        let head = parse(Direction::Request, input);
        let mut rw = req_rw(&[]);
        rw.connection = *persist;
        assert_eq!(out_request(&head, &rw), *expected);
    }
    let head = parse(
        Direction::Response,
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    );
    let rw = ResponseRewrite {
        ops: &[],
        connection: Persist::Close,
        cookie: None,
    };
    assert_eq!(
        out_response(&head, &rw),
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn expect_can_be_stripped_when_the_proxy_answers_it() {
    let head = parse(
        Direction::Request,
        b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
    );
    assert!(head.expects_continue());
    let mut rw = req_rw(&[]);
    rw.strip_expect = true;
    assert_eq!(
        out_request(&head, &rw),
        "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n"
    );
    assert_eq!(responses::CONTINUE, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn rewrite_that_does_not_fit_is_500() {
    let head = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    let mut small = [0u8; 20];
    let e = write_request(&head, &req_rw(&[]), &mut small).unwrap_err();
    assert_eq!(e, HttpError::RewriteTooLarge);
    assert_eq!(e.status(Direction::Request), 500);
}

fn policy(mode: CookieMode) -> CookiePolicy<'static> {
    CookiePolicy {
        name: "SRV",
        mode,
        indirect: false,
        nocache: false,
        preserve: false,
        httponly: false,
        secure: false,
        domain: None,
    }
}

#[test]
fn cookie_insert_mode() {
    let req = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; SRV=s2; b=2\r\n\r\n",
    );
    let mut p = policy(CookieMode::Insert);
    assert_eq!(server_cookie(&p, &req), Some(&b"s2"[..]));
    // Without indirect the server sees the cookie; with it, the cookie is hidden.
    let mut rw = req_rw(&[]);
    rw.cookie = Some(&p);
    assert!(out_request(&req, &rw).contains("Cookie: a=1; SRV=s2; b=2\r\n"));
    p.indirect = true;
    let mut rw = req_rw(&[]);
    rw.cookie = Some(&p);
    assert!(out_request(&req, &rw).contains("Cookie: a=1; b=2\r\n"));
    let only = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: a\r\nCookie: SRV=s2\r\n\r\n",
    );
    assert_eq!(out_request(&only, &rw), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");

    // Response: insert for a client that was not stuck yet, drop the server's own SRV.
    p.nocache = true;
    p.httponly = true;
    p.domain = Some("example.com");
    let resp = parse(
        Direction::Response,
        b"HTTP/1.1 200 OK\r\nSet-Cookie: SRV=mine\r\nSet-Cookie: sess=1\r\nContent-Length: 0\r\n\r\n",
    );
    let cookie = ResponseCookie {
        policy: &p,
        server_value: b"s1",
        direct: false,
    };
    let rw = ResponseRewrite {
        ops: &[],
        connection: Persist::KeepAlive,
        cookie: Some(cookie),
    };
    assert_eq!(
        out_response(&resp, &rw),
        "HTTP/1.1 200 OK\r\nSet-Cookie: sess=1\r\nContent-Length: 0\r\nSet-Cookie: SRV=s1; path=/; domain=example.com; HttpOnly\r\nCache-Control: private\r\n\r\n"
    );
    // A client already stuck to this server gets nothing new.
    let cookie = ResponseCookie {
        policy: &p,
        server_value: b"s1",
        direct: true,
    };
    let rw = ResponseRewrite {
        ops: &[],
        connection: Persist::KeepAlive,
        cookie: Some(cookie),
    };
    assert_eq!(
        out_response(&resp, &rw),
        "HTTP/1.1 200 OK\r\nSet-Cookie: sess=1\r\nContent-Length: 0\r\n\r\n"
    );
    // nocache leaves an already private response alone.
    let private = parse(
        Direction::Response,
        b"HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n\r\n",
    );
    let cookie = ResponseCookie {
        policy: &p,
        server_value: b"s1",
        direct: false,
    };
    assert!(!cookie.adds_cache_private(&private));
    assert!(cookie.inserts(&private));
}

#[test]
fn cookie_preserve_keeps_the_servers_cookie() {
    let mut p = policy(CookieMode::Insert);
    p.preserve = true;
    let resp = parse(
        Direction::Response,
        b"HTTP/1.1 200 OK\r\nSet-Cookie: SRV=logout; Max-Age=0\r\n\r\n",
    );
    let cookie = ResponseCookie {
        policy: &p,
        server_value: b"s1",
        direct: false,
    };
    let rw = ResponseRewrite {
        ops: &[],
        connection: Persist::KeepAlive,
        cookie: Some(cookie),
    };
    assert_eq!(
        out_response(&resp, &rw),
        "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=logout; Max-Age=0\r\n\r\n"
    );
}

#[test]
fn cookie_rewrite_mode() {
    let p = policy(CookieMode::Rewrite);
    let resp = parse(
        Direction::Response,
        b"HTTP/1.1 200 OK\r\nSet-Cookie: SRV=anything; Path=/app; Secure\r\n\r\n",
    );
    let cookie = ResponseCookie {
        policy: &p,
        server_value: b"web2",
        direct: false,
    };
    let rw = ResponseRewrite {
        ops: &[],
        connection: Persist::KeepAlive,
        cookie: Some(cookie),
    };
    assert_eq!(
        out_response(&resp, &rw),
        "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=web2; Path=/app; Secure\r\n\r\n"
    );
    let req = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: a\r\nCookie: SRV=web2\r\n\r\n",
    );
    assert_eq!(server_cookie(&p, &req), Some(&b"web2"[..]));
}

#[test]
fn cookie_prefix_mode() {
    let p = policy(CookieMode::Prefix);
    let resp = parse(
        Direction::Response,
        b"HTTP/1.1 200 OK\r\nSet-Cookie: SRV=abc123; HttpOnly\r\n\r\n",
    );
    let cookie = ResponseCookie {
        policy: &p,
        server_value: b"s3",
        direct: false,
    };
    let rw = ResponseRewrite {
        ops: &[],
        connection: Persist::KeepAlive,
        cookie: Some(cookie),
    };
    assert_eq!(
        out_response(&resp, &rw),
        "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=s3~abc123; HttpOnly\r\n\r\n"
    );
    // The request carries the prefixed value; the server sees its own.
    let req = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: a\r\nCookie: x=1; SRV=s3~abc123\r\n\r\n",
    );
    assert_eq!(server_cookie(&p, &req), Some(&b"s3"[..]));
    let mut rw = req_rw(&[]);
    rw.cookie = Some(&p);
    assert!(out_request(&req, &rw).contains("Cookie: x=1; SRV=abc123\r\n"));
    // No `~`: no server named.
    let bare = parse(
        Direction::Request,
        b"GET / HTTP/1.1\r\nHost: a\r\nCookie: SRV=abc\r\n\r\n",
    );
    assert_eq!(server_cookie(&p, &bare), None);
}

#[test]
fn canned_error_pages_are_well_formed() {
    for status in [400u16, 403, 408, 500, 502, 503, 504] {
        let page = responses::error_response(status);
        let head = parse(Direction::Response, page);
        assert_eq!(head.status(), Some(status));
        assert_eq!(head.header("connection"), Some(&b"close"[..]));
        assert_eq!(head.header("cache-control"), Some(&b"no-cache"[..]));
        assert_eq!(head.header("content-type"), Some(&b"text/html"[..]));
        let body = &page[head.raw().len()..];
        assert_eq!(head.content_length(), Some(body.len() as u64), "{status}");
        assert!(body.starts_with(format!("<html><body><h1>{status} ").as_bytes()));
    }
    assert_eq!(responses::error_response(418), responses::INTERNAL_ERROR);
    assert!(
        responses::BAD_REQUEST
            .ends_with(b"Your browser sent an invalid request.\n</body></html>\n")
    );
}
