//! Chunked bodies: any split of the stream gives the same result as one piece, and every
//! framing error is caught at the right offset.

use proxy::http::*;

/// A small deterministic generator (xorshift64*) so the random splits are reproducible.
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

/// Walks `stream` in pieces whose sizes come from `split`; returns the bytes walked when the
/// body ended (or the error).
fn walk_split(stream: &[u8], mut split: impl FnMut() -> usize) -> Result<usize, HttpError> {
    let mut decoder = ChunkedDecoder::new(&Limits::default());
    let mut at = 0;
    // Bounded: every pass consumes at least one byte or ends.
    for _ in 0..=stream.len() {
        let end = (at + split().max(1)).min(stream.len());
        let adv = decoder.advance(&stream[at..end])?;
        at += adv.consumed;
        if adv.done {
            return Ok(at);
        }
        if end == stream.len() && adv.consumed == 0 {
            break;
        }
    }
    panic!("body did not end within {stream:?}");
}

const BODY: &[u8] = b"5\r\nhello\r\n1a; name=value\r\nabcdefghijklmnopqrstuvwxyz\r\nA;x\r\n0123456789\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";

#[test]
fn whole_body_with_extensions_and_trailers() {
    let mut tail = BODY.to_vec();
    tail.extend_from_slice(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(walk_split(&tail, || usize::MAX), Ok(BODY.len()));
}

#[test]
fn one_byte_at_a_time() {
    assert_eq!(walk_split(BODY, || 1), Ok(BODY.len()));
}

#[test]
fn random_splits_agree_with_one_piece() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..500 {
        let mut split_rng = Rng(rng.next() | 1);
        assert_eq!(walk_split(BODY, || split_rng.below(9) + 1), Ok(BODY.len()));
    }
}

#[test]
fn empty_body_and_uppercase_sizes() {
    assert_eq!(walk_split(b"0\r\n\r\n", || 1), Ok(5));
    assert_eq!(walk_split(b"A\r\n0123456789\r\n0\r\n\r\n", || 2), Ok(20));
    assert_eq!(
        walk_split(b"0000a\r\n0123456789\r\n0\r\n\r\n", || 3),
        Ok(24)
    );
}

#[test]
fn framing_errors_are_caught_at_their_offset() {
    let cases: &[(&[u8], HttpError)] = &[
        (b"x\r\n", HttpError::BadChunkSize { at: 0 }),
        (b"\r\n", HttpError::BadChunkSize { at: 0 }),
        (b" 5\r\nhello\r\n", HttpError::BadChunkSize { at: 0 }),
        (b"-5\r\n", HttpError::BadChunkSize { at: 0 }),
        (b"5\nhello\r\n", HttpError::BadChunkSize { at: 1 }),
        (b"5 5\r\n", HttpError::BadChunkSize { at: 2 }),
        (b"5\r\r\n", HttpError::BadChunkSize { at: 2 }),
        (b"5;a\nb\r\n", HttpError::BadChunkSize { at: 3 }),
        (b"0x5\r\n", HttpError::BadChunkSize { at: 1 }),
        (b"5\r\nhelloX\r\n", HttpError::BadChunkTerminator { at: 8 }),
        (
            b"5\r\nhello\n0\r\n\r\n",
            HttpError::BadChunkTerminator { at: 8 },
        ),
        (b"5\r\nhello\rX", HttpError::BadChunkTerminator { at: 9 }),
        (b"0\r\n\n", HttpError::BadTrailer { at: 3 }),
        (b"0\r\n folded: x\r\n\r\n", HttpError::BadTrailer { at: 3 }),
        (b"0\r\nX Y: 1\r\n\r\n", HttpError::BadTrailer { at: 4 }),
        (b"0\r\nX: 1\n\r\n", HttpError::BadTrailer { at: 7 }),
        (b"0\r\nX: a\0b\r\n\r\n", HttpError::BadTrailer { at: 7 }),
        (b"0\r\nX: 1\r\n\rX", HttpError::BadTrailer { at: 10 }),
        (
            b"fffffffffffffffff\r\n",
            HttpError::ChunkSizeOverflow { at: 13 },
        ),
    ];
    for (stream, expected) in cases {
        // Same error whichever way the stream is cut.
        assert_eq!(
            walk_split(stream, || usize::MAX),
            Err(*expected),
            "{stream:?}"
        );
        assert_eq!(
            walk_split(stream, || 1),
            Err(*expected),
            "{stream:?} byte by byte"
        );
        assert_eq!(expected.status(Direction::Request), 400);
        assert_eq!(expected.status(Direction::Response), 502);
    }
}

#[test]
fn size_line_and_trailer_limits() {
    let limits = Limits {
        max_chunk_line_bytes: 16,
        max_trailer_bytes: 16,
        ..Limits::default()
    };
    let mut decoder = ChunkedDecoder::new(&limits);
    let err = decoder
        .advance(b"1;aaaaaaaaaaaaaaaaaaaaaaaa\r\n")
        .unwrap_err();
    assert_eq!(err, HttpError::ChunkLineTooLong { at: 16 });

    let mut decoder = ChunkedDecoder::new(&limits);
    assert!(decoder.advance(b"0\r\nX: 123456789\r\n\r\n").is_ok());
    let mut decoder = ChunkedDecoder::new(&limits);
    let err = decoder
        .advance(b"0\r\nX: 1234567890123456\r\n\r\n")
        .unwrap_err();
    assert_eq!(err, HttpError::TrailersTooLarge);
}

#[test]
fn huge_chunk_is_streamed_without_buffering() {
    // A chunk bigger than anything the proxy could hold: the decoder only counts it.
    let mut decoder = ChunkedDecoder::new(&Limits::default());
    let adv = decoder.advance(b"fffffffffffff\r\n").unwrap();
    assert_eq!(adv.consumed, 15);
    let block = [b'z'; 4096];
    for _ in 0..256 {
        let adv = decoder.advance(&block).unwrap();
        assert_eq!(adv.consumed, block.len());
        assert!(!adv.done);
    }
    assert_eq!(decoder.position(), 15 + 256 * 4096);
}

#[test]
fn chunk_sizes_stop_at_2_pow_52_minus_1_like_haproxy() {
    // HAProxy refuses more than 13 significant hex digits so that no size reaches a peer that
    // keeps integers in doubles (HAProxy `include/haproxy/h1.h`, `h1_parse_chunk_size`).
    let largest = b"fffffffffffff\r\n";
    let mut decoder = ChunkedDecoder::new(&Limits::default());
    assert_eq!(decoder.advance(largest).unwrap().consumed, largest.len());
    assert_eq!(
        walk_split(b"10000000000000\r\n", || 1),
        Err(HttpError::ChunkSizeOverflow { at: 13 })
    );
    // Leading zeros do not count: the value does.
    let padded = b"00000000000000001\r\nx\r\n0\r\n\r\n";
    assert!(walk_split(padded, || usize::MAX).is_ok());
}

#[test]
fn body_reader_counts_content_length_down() {
    let mut body = BodyReader::new(BodyLength::Length(10), &Limits::default());
    assert_eq!(
        body.advance(b"0123").unwrap(),
        BodyChunk {
            forward: 4,
            done: false
        }
    );
    assert_eq!(
        body.advance(b"456789GET").unwrap(),
        BodyChunk {
            forward: 6,
            done: true
        }
    );
    assert!(body.is_done());
    // Truncation is detected; read-until-close ends cleanly on EOF.
    let mut body = BodyReader::new(BodyLength::Length(10), &Limits::default());
    body.advance(b"01").unwrap();
    assert_eq!(body.on_eof(), Err(HttpError::Truncated));
    let mut body = BodyReader::new(BodyLength::UntilClose, &Limits::default());
    assert_eq!(
        body.advance(b"abc").unwrap(),
        BodyChunk {
            forward: 3,
            done: false
        }
    );
    assert_eq!(body.on_eof(), Ok(()));
    assert!(body.is_done());
}
