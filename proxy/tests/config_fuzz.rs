//! The parser never panics, whatever it is fed: arbitrary text, arbitrary bytes, and valid
//! configurations mutated with the tokens most likely to confuse it. Whenever a mutated input
//! still parses, its rendering must parse back to the same model. Iteration counts are fixed, so
//! the run time is bounded.

use proptest::prelude::*;
use proxy::config;

const SEEDS: &[&str] = &[
    include_str!("data/config/full.cfg"),
    include_str!("data/config/ipv6.cfg"),
    include_str!("data/config/manual-listen.cfg"),
    config::DEMO_CONFIG,
];

/// Fragments that exercise every branch of the lexer and of the keyword handlers.
const TOKENS: &[&str] = &[
    " ",
    "\t",
    "\n",
    "\r\n",
    "#",
    "\"",
    "'",
    "\\",
    "\\x4",
    "\\x41",
    "$",
    "${",
    "{",
    "}",
    "!",
    "(",
    ")",
    ",",
    ":",
    "::",
    "[",
    "]",
    "[::]",
    "*",
    "/",
    "%",
    "%%",
    "%[",
    "-",
    "--",
    "-i",
    "-m",
    "or",
    "||",
    "if",
    "unless",
    "0",
    "1",
    "65535",
    "65536",
    "4294967296",
    "999999999999999999999",
    "ms",
    "us",
    "d",
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "bind",
    "mode",
    "tcp",
    "http",
    "server",
    "acl",
    "use_backend",
    "default_backend",
    "option",
    "no",
    "httpchk",
    "forwardfor",
    "timeout",
    "client",
    "stats",
    "cookie",
    "insert",
    "http-request",
    "http-response",
    "deny",
    "redirect",
    "location",
    "set-header",
    "log",
    "global",
    "local0",
    "maxconn",
    "weight",
    "check",
    "inter",
    "rise",
    "fall",
    "backup",
    "path_beg",
    "hdr(host)",
    "src",
    "method",
    "TRUE",
    "METH_GET",
    "10.0.0.1:80",
    "10.0.0.0/8",
    ":::80",
    "v4v6",
    "monitor-uri",
    "balance",
    "uri",
    "é",
    "\u{0}",
    "\u{7f}",
];

fn mutate(seed: &str, edits: &[(usize, usize, usize, u8)]) -> String {
    let mut text: Vec<char> = seed.chars().collect();
    for &(pos, len, token, op) in edits {
        let at = if text.is_empty() {
            0
        } else {
            pos % (text.len() + 1)
        };
        match op % 4 {
            // Insert a token.
            0 => {
                let token: Vec<char> = TOKENS[token % TOKENS.len()].chars().collect();
                text.splice(at..at, token);
            }
            // Delete a short run.
            1 => {
                let end = (at + len % 16).min(text.len());
                text.drain(at..end);
            }
            // Replace a short run with a token.
            2 => {
                let end = (at + len % 8).min(text.len());
                let token: Vec<char> = TOKENS[token % TOKENS.len()].chars().collect();
                text.splice(at..end, token);
            }
            // Duplicate a short run (duplicate lines, sections, names).
            _ => {
                let end = (at + len % 64).min(text.len());
                let copy: Vec<char> = text[at..end].to_vec();
                text.splice(at..at, copy);
            }
        }
    }
    text.into_iter().collect()
}

fn check_no_panic_and_stable(text: &str) {
    if let Ok(parsed) = config::parse("fuzz.cfg", text) {
        let rendered = parsed.config.to_string();
        match config::parse("rendered.cfg", &rendered) {
            Ok(again) => assert_eq!(
                parsed.config, again.config,
                "unstable rendering:\n{rendered}"
            ),
            Err(e) => panic!("rendering of a valid config does not parse: {e}\n{rendered}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_valid_configurations(
        seed in 0..SEEDS.len(),
        edits in prop::collection::vec((any::<usize>(), any::<usize>(), any::<usize>(), any::<u8>()), 1..8),
    ) {
        check_no_panic_and_stable(&mutate(SEEDS[seed], &edits));
    }

    /// A single edit keeps many inputs valid, so the rendering check runs often.
    #[test]
    fn single_edit_configurations(
        seed in 0..SEEDS.len(),
        edit in (any::<usize>(), any::<usize>(), any::<usize>(), any::<u8>()),
    ) {
        check_no_panic_and_stable(&mutate(SEEDS[seed], &[edit]));
    }

    #[test]
    fn token_soup(tokens in prop::collection::vec(0..TOKENS.len(), 0..200)) {
        let text: String = tokens.iter().map(|&t| TOKENS[t]).collect();
        check_no_panic_and_stable(&text);
    }

    #[test]
    fn arbitrary_text(text in "\\PC{0,400}") {
        check_no_panic_and_stable(&text);
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = config::parse_bytes("fuzz.bin", &bytes);
    }
}
