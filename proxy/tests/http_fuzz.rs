//! Random and mutated input never panics, and whatever the engine accepts it can rewrite into
//! a head it accepts again. Bounded iterations, fixed seed.

use proxy::http::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEEDS: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    b"PUT / HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nSet-Cookie: SRV=1\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
];

const ALPHABET: &[u8] =
    b"\r\n\r\n :;,=~\t\0\x7f\xffaZ09-chunkedContent-LengthTransfer-EncodingHTTP/1.";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(6) {
        let at = rng.below(data.len() + 1);
        match rng.below(4) {
            0 if at < data.len() => data[at] = ALPHABET[rng.below(ALPHABET.len())],
            1 => data.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            2 if at < data.len() => {
                data.remove(at);
            }
            _ => data.insert(at, rng.next() as u8),
        }
    }
    data
}

/// Runs `input` through a reader in random pieces, rewriting every head it accepts.
fn run(rng: &mut Rng, direction: Direction, input: &[u8]) {
    let limits = Limits {
        max_head_bytes: 256,
        max_headers: 8,
        ..Limits::default()
    };
    let mut reader = MessageReader::new(direction, limits);
    let mut at = 0;
    let mut out = [0u8; 1024];
    for _ in 0..input.len() + 4 {
        let end = (at + rng.below(16) + 1).min(input.len());
        let Ok(step) = reader.read(&input[at..end]) else {
            return;
        };
        at += step.consumed;
        match step.event {
            Event::Head => {
                let head = reader.head();
                let written = match direction {
                    Direction::Request => write_request(
                        head,
                        &RequestRewrite {
                            ops: &[HeaderOp::Set {
                                name: "X-Fuzz",
                                value: b"1",
                            }],
                            forwarded_for: None,
                            connection: Persist::Close,
                            cookie: None,
                            strip_expect: true,
                        },
                        &mut out,
                    ),
                    Direction::Response => write_response(
                        head,
                        &ResponseRewrite {
                            ops: &[],
                            connection: Persist::KeepAlive,
                            cookie: None,
                        },
                        &mut out,
                    ),
                };
                // A rewritten head that fits must parse again.
                if let Ok(n) = written {
                    let mut again = Head::new(
                        direction,
                        Limits {
                            max_head_bytes: 1024,
                            ..limits
                        },
                    );
                    let (_, complete) = again.push(&out[..n]).expect("rewritten head reparses");
                    assert!(complete);
                }
                reader.start_next(MethodKind::Other);
                let _ = reader.read(&[]);
            }
            Event::End | Event::Idle => reader.start_next(MethodKind::Other),
            Event::NeedMore | Event::Body => {}
        }
        if at >= input.len() {
            let _ = reader.on_eof();
            return;
        }
    }
}

#[test]
fn mutated_messages_never_panic() {
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    for i in 0..20_000 {
        let seed = SEEDS[i % SEEDS.len()];
        let input = mutate(&mut rng, seed);
        let direction = if seed.starts_with(b"HTTP/") {
            Direction::Response
        } else {
            Direction::Request
        };
        run(&mut rng, direction, &input);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..5_000 {
        let len = rng.below(300);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        run(&mut rng, Direction::Request, &input);
        run(&mut rng, Direction::Response, &input);
        let mut decoder = ChunkedDecoder::new(&Limits::default());
        let _ = decoder.advance(&input);
    }
}
