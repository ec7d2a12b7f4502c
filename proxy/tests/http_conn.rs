//! Connection-level behaviour: pipelining in order, keep-alive decisions, interim responses,
//! end of stream.

use proxy::http::*;

/// Drives `side_read` over `input` until the message ends or input runs dry; returns
/// (bytes consumed, events seen, body bytes forwarded).
fn drive(
    mut read: impl FnMut(&[u8]) -> Result<Step, HttpError>,
    input: &[u8],
) -> (usize, Vec<Event>, Vec<u8>) {
    let mut at = 0;
    let mut events = Vec::new();
    let mut body = Vec::new();
    for _ in 0..=input.len() + 2 {
        let step = read(&input[at..]).unwrap();
        if matches!(step.event, Event::Body | Event::End) {
            body.extend_from_slice(&input[at..at + step.consumed]);
        }
        at += step.consumed;
        events.push(step.event);
        let dry = at == input.len() && step.event == Event::Body;
        if dry || matches!(step.event, Event::End | Event::Idle | Event::NeedMore) {
            break;
        }
    }
    (at, events, body)
}

#[test]
fn pipelined_requests_are_read_one_at_a_time() {
    let stream = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut client = ClientSide::new(Limits::default());
    let mut at = 0;
    let mut targets = Vec::new();
    for _ in 0..3 {
        let (n, events, body) = drive(|i| client.read(i), &stream[at..]);
        assert_eq!(events.first(), Some(&Event::Head));
        assert_eq!(events.last(), Some(&Event::End));
        targets.push((client.request().target().unwrap().to_string(), body));
        at += n;
        // Until the response is done, nothing more is read.
        assert_eq!(
            client.read(&stream[at..]).unwrap(),
            Step {
                consumed: 0,
                event: Event::Idle
            }
        );
        assert_eq!(client.finish_exchange(Persist::KeepAlive), Next::ReadNext);
    }
    assert_eq!(at, stream.len());
    assert_eq!(
        targets,
        [
            ("/1".to_string(), vec![]),
            ("/2".to_string(), b"hi".to_vec()),
            ("/3".to_string(), vec![])
        ]
    );
}

#[test]
fn head_fed_one_byte_at_a_time() {
    let stream =
        b"GET /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let mut client = ClientSide::new(Limits::default());
    let mut events = Vec::new();
    let mut body = Vec::new();
    for &b in stream {
        let step = client.read(&[b]).unwrap();
        assert_eq!(step.consumed, 1);
        if matches!(step.event, Event::Body | Event::End) {
            body.push(b);
        }
        events.push(step.event);
    }
    assert_eq!(events.iter().filter(|e| **e == Event::Head).count(), 1);
    assert_eq!(events.last(), Some(&Event::End));
    assert_eq!(body, b"3\r\nabc\r\n0\r\n\r\n");
    assert!(client.request_complete());
}

fn exchange(mode: HttpMode, req: &[u8], resp: &[u8]) -> (Persistence, Vec<Event>) {
    let mut client = ClientSide::new(Limits::default());
    let (_, _, _) = drive(|i| client.read(i), req);
    let mut server = ServerSide::new(Limits::default());
    server.expect_response(client.request().method_kind());
    let (_, events, _) = drive(|i| server.read(i), resp);
    let plan = plan_response(
        mode,
        client.request(),
        client.request_complete(),
        server.response(),
        server.body_length(),
    );
    (plan, events)
}

/// Mode, request, response, expected client and server persistence.
type KeepAliveCase = (HttpMode, &'static [u8], &'static [u8], Persist, Persist);

#[test]
fn keep_alive_decisions() {
    use Persist::{Close, KeepAlive};
    let ok = &b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..];
    let cases: &[KeepAliveCase] = &[
        (
            HttpMode::KeepAlive,
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            ok,
            KeepAlive,
            KeepAlive,
        ),
        (
            HttpMode::KeepAlive,
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            ok,
            Close,
            KeepAlive,
        ),
        (
            HttpMode::KeepAlive,
            b"GET / HTTP/1.0\r\n\r\n",
            ok,
            Close,
            KeepAlive,
        ),
        (
            HttpMode::KeepAlive,
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            ok,
            KeepAlive,
            KeepAlive,
        ),
        // Server closes: the client connection survives (the body is self-delimited).
        (
            HttpMode::KeepAlive,
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            KeepAlive,
            Close,
        ),
        (
            HttpMode::KeepAlive,
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
            KeepAlive,
            Close,
        ),
        // Body until close: both close.
        (
            HttpMode::KeepAlive,
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
            Close,
            Close,
        ),
        (
            HttpMode::ServerClose,
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            ok,
            KeepAlive,
            Close,
        ),
        (
            HttpMode::Close,
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            ok,
            Close,
            Close,
        ),
        // Request body not fully read when the response came: close the client.
        (
            HttpMode::KeepAlive,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
            ok,
            Close,
            Close,
        ),
    ];
    for (mode, req, resp, client, server) in cases {
        let (plan, _) = exchange(*mode, req, resp);
        assert_eq!(
            plan,
            Persistence {
                client: *client,
                server: *server
            },
            "{mode:?} {:?} -> {:?}",
            String::from_utf8_lossy(req),
            String::from_utf8_lossy(resp)
        );
    }
}

#[test]
fn finish_exchange_closes_when_asked_or_request_unfinished() {
    let mut client = ClientSide::new(Limits::default());
    drive(
        |i| client.read(i),
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab",
    );
    assert!(!client.request_complete());
    assert_eq!(client.finish_exchange(Persist::KeepAlive), Next::Close);
    let mut client = ClientSide::new(Limits::default());
    drive(|i| client.read(i), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(client.finish_exchange(Persist::Close), Next::Close);
}

#[test]
fn interim_responses_precede_the_final_one() {
    let mut server = ServerSide::new(Limits::default());
    server.expect_response(MethodKind::Other);
    let stream = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx";
    let mut at = 0;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (n, events, _) = drive(|i| server.read(i), &stream[at..]);
        assert_eq!(events.first(), Some(&Event::Head));
        assert_eq!(events.last(), Some(&Event::End));
        statuses.push((server.response().status(), server.response().is_interim()));
        at += n;
    }
    assert_eq!(at, stream.len());
    assert_eq!(
        statuses,
        [(Some(100), true), (Some(103), true), (Some(201), false)]
    );
    assert!(server.response_complete());
}

#[test]
fn server_bytes_before_a_request_are_not_read() {
    let mut server = ServerSide::new(Limits::default());
    assert_eq!(
        server.read(b"HTTP/1.1 200 OK\r\n\r\n").unwrap(),
        Step {
            consumed: 0,
            event: Event::Idle
        }
    );
}

#[test]
fn end_of_stream() {
    // Between messages: clean.
    let mut client = ClientSide::new(Limits::default());
    assert_eq!(client.on_eof(), Ok(Eof::Idle));
    // Mid-head: truncated.
    let mut client = ClientSide::new(Limits::default());
    assert_eq!(client.read(b"GET / HT").unwrap().event, Event::NeedMore);
    assert_eq!(client.on_eof(), Err(HttpError::Truncated));
    // Mid-body: truncated.
    let mut client = ClientSide::new(Limits::default());
    drive(
        |i| client.read(i),
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab",
    );
    assert_eq!(client.on_eof(), Err(HttpError::Truncated));
    // A body that runs until close ends on EOF.
    let mut server = ServerSide::new(Limits::default());
    server.expect_response(MethodKind::Other);
    let (_, events, body) = drive(|i| server.read(i), b"HTTP/1.1 200 OK\r\n\r\nsome bytes");
    assert_eq!(events, [Event::Head, Event::Body]);
    assert_eq!(body, b"some bytes");
    assert_eq!(server.on_eof(), Ok(Eof::EndOfBody));
    assert!(server.response_complete());
}

#[test]
fn tunnel_after_switching_protocols() {
    let mut server = ServerSide::new(Limits::default());
    server.expect_response(MethodKind::Other);
    let (_, _, body) = drive(
        |i| server.read(i),
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
    );
    assert_eq!(server.body_length(), BodyLength::Tunnel);
    assert_eq!(body, b"\x81\x05hello");
}
