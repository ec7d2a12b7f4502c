//! The console demultiplexer on synthetic streams: text lines, defmt frames decoded against a
//! defmt table, resynchronisation after garbage, and random input (must never panic).
//!
//! The table is built from JSON (defmt-decoder's `Table` is serde-deserialisable), so no
//! firmware ELF is needed here; decoding the real firmware's frames from its ELF is covered by
//! the QEMU runner's boot test.

mod common;
mod support;

use bareproxy_tool::console::{Demux, Level, Line, LineKind, MAX_FRAME_LEN, rzcobs_decode};
use common::Rng;

/// A table with a microsecond timestamp and three log statements:
/// 1 = info "booted {=u32} MiB", 2 = error "link down on port {=u8}", 3 = println "hello".
fn table() -> defmt_decoder::Table {
    let entry = |tag: &str, string: &str| serde_json::json!({"string": {"tag": tag, "string": string}, "raw_symbol": "test"});
    let json = serde_json::json!({
        "timestamp": entry("Timestamp", "{=u32:us}"),
        "entries": {
            "1": entry("Info", "booted {=u32} MiB"),
            "2": entry("Error", "link down on port {=u8}"),
            "3": entry("Println", "hello"),
        },
        "bitflags": {},
        "encoding": "Rzcobs",
    });
    serde_json::from_value(json).expect("table JSON matches defmt-decoder 1.x")
}

/// rzCOBS encoder, written from the format description (github.com/Dirbaio/rzcobs): output is
/// produced forwards and decoded backwards; every run of up to 7 bytes is followed by a byte
/// whose bits mark which of them were zeros, a run of 7+ non-zero bytes followed by a zero is
/// closed by `0x80 | (len - 7)`, and 134 non-zero bytes in a row are closed by 0xFF.
fn rzcobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut run = 0u8;
    let mut zeros = 0u8;
    for &byte in data {
        if run < 7 {
            if byte == 0 {
                zeros |= 1 << run;
            } else {
                out.push(byte);
            }
            run += 1;
            if run == 7 && zeros != 0 {
                out.push(zeros);
                run = 0;
                zeros = 0;
            }
        } else if byte == 0 {
            out.push((run - 7) | 0x80);
            run = 0;
            zeros = 0;
        } else {
            out.push(byte);
            run += 1;
            if run == 134 {
                out.push(0xFF);
                run = 0;
                zeros = 0;
            }
        }
    }
    match run {
        0 => {}
        1..=6 => out.push((zeros | (0xFF << run)) & 0x7F),
        _ => out.push((run - 7) | 0x80),
    }
    out
}

/// A frame as the firmware puts it on the wire: `00 rzcobs(index, timestamp, args) 00`.
fn wire_frame(index: u16, timestamp_us: u32, args: &[u8]) -> Vec<u8> {
    let mut raw = index.to_le_bytes().to_vec();
    raw.extend_from_slice(&timestamp_us.to_le_bytes());
    raw.extend_from_slice(args);
    let mut wire = vec![0];
    wire.extend(rzcobs_encode(&raw));
    wire.push(0);
    wire
}

fn summary(lines: &[Line]) -> Vec<(LineKind, String)> {
    lines
        .iter()
        .map(|l| (l.kind.clone(), l.text.clone()))
        .collect()
}

fn log(level: Option<Level>, ts: &str, text: &str) -> (LineKind, String) {
    (
        LineKind::Log {
            level,
            timestamp: Some(ts.to_string()),
        },
        text.to_string(),
    )
}

fn text(t: &str) -> (LineKind, String) {
    (LineKind::Text, t.to_string())
}

/// The firmware's boot: banner text, frames (the first with defmt's extra leading NUL), text in
/// between, a panic message at the end.
fn boot_stream() -> Vec<u8> {
    let mut s = b"bareproxy 0.1 on mirabox\r\nDRAM 1 GiB\r\n".to_vec();
    s.push(0); // defmt's encoder writes one NUL before its very first frame
    s.extend(wire_frame(1, 1_500_000, &1024u32.to_le_bytes()));
    s.extend(wire_frame(2, 2_000_001, &[3]));
    s.extend(b"panicked at proxy/src/lib.rs:10:5:\r\nout of buffers\r\n");
    s.extend(wire_frame(3, 3_000_000, &[]));
    s
}

fn expected_boot() -> Vec<(LineKind, String)> {
    vec![
        text("bareproxy 0.1 on mirabox"),
        text("DRAM 1 GiB"),
        log(Some(Level::Info), "1.500000", "booted 1024 MiB"),
        log(Some(Level::Error), "2.000001", "link down on port 3"),
        text("panicked at proxy/src/lib.rs:10:5:"),
        text("out of buffers"),
        log(None, "3.000000", "hello"),
    ]
}

#[test]
fn rzcobs_round_trips_random_data() {
    let mut rng = Rng::new(1);
    for _ in 0..2000 {
        let len = rng.range(0, 400) as usize;
        // Mix of zero-heavy and zero-free data to hit every code path (runs of 134 included).
        let zero_percent = rng.range(0, 60);
        let data: Vec<u8> = (0..len)
            .map(|_| {
                if rng.chance(zero_percent) {
                    0
                } else {
                    rng.range(1, 255) as u8
                }
            })
            .collect();
        let encoded = rzcobs_encode(&data);
        assert!(!encoded.contains(&0));
        let decoded = rzcobs_decode(&encoded).expect("valid encoding decodes");
        // The encoder pads its last group with "zero" bits: trailing zeros may appear.
        assert_eq!(&decoded[..data.len()], &data[..]);
        assert!(decoded[data.len()..].iter().all(|&b| b == 0));
    }
}

#[test]
fn a_boot_decodes_into_text_and_log_lines() {
    let mut demux = Demux::new(Some(table()));
    let lines = demux.feed(&boot_stream());
    assert_eq!(summary(&lines), expected_boot());
    let shown = lines[2].to_string();
    assert!(shown.ends_with("INFO  1.500000 booted 1024 MiB"), "{shown}");
    assert!(lines[0].to_string().ends_with("] bareproxy 0.1 on mirabox"));
}

#[test]
fn any_chunking_gives_the_same_lines() {
    let stream = boot_stream();
    let mut rng = Rng::new(2);
    for _ in 0..200 {
        let mut demux = Demux::new(Some(table()));
        let mut lines = Vec::new();
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let n = (rng.range(1, 20) as usize).min(rest.len());
            lines.extend(demux.feed(&rest[..n]));
            rest = &rest[n..];
        }
        assert_eq!(summary(&lines), expected_boot());
    }
}

#[test]
fn text_lines_are_emitted_before_the_next_nul() {
    let mut demux = Demux::new(Some(table()));
    let lines = demux.feed(b"U-Boot 2009.08\r\nMarvell>> ");
    assert_eq!(summary(&lines), vec![text("U-Boot 2009.08")]);
    // A prompt without newline comes out on flush.
    assert_eq!(summary(&demux.flush()), vec![text("Marvell>> ")]);
}

#[test]
fn joining_mid_frame_resynchronises_at_the_next_nul() {
    let stream = boot_stream();
    let table = table();
    // Start at every offset of the stream: what comes first may be noise, but every line that
    // starts after the join point must come out exactly.
    let panic_at = stream.windows(8).position(|w| w == b"panicked").unwrap();
    let last_frame_at = stream.len() - wire_frame(3, 3_000_000, &[]).len();
    let want = expected_boot();
    for start in 0..stream.len() {
        let mut demux = Demux::new(Some(table.clone()));
        let got = summary(&demux.feed(&stream[start..]));
        if start <= panic_at {
            assert!(got.ends_with(&want[4..]), "start {start}: {got:?}");
        } else if start <= last_frame_at {
            assert!(got.ends_with(&want[6..]), "start {start}: {got:?}");
        }
    }
}

#[test]
fn garbage_between_frames_costs_at_most_one_line() {
    let mut rng = Rng::new(3);
    let mut demux = Demux::new(Some(table()));
    let mut stream = rng.bytes(300); // may contain NULs and things that look like frames
    stream.push(0);
    stream.extend(boot_stream());
    let lines = demux.feed(&stream);
    let got = summary(&lines);
    let want = expected_boot();
    // Everything after the text banner must come out exactly.
    assert!(got.ends_with(&want[2..]), "{got:?}");
    for line in &lines {
        assert!(!line.text.chars().any(|c| c.is_control() && c != '\t'));
    }
}

#[test]
fn without_a_table_frames_are_reported_not_printed_as_noise() {
    let mut demux = Demux::new(None);
    let lines = demux.feed(&boot_stream());
    let kinds: Vec<_> = lines.iter().map(|l| l.kind.clone()).collect();
    assert_eq!(kinds[0], LineKind::Text);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == LineKind::UndecodedFrame)
            .count(),
        3
    );
    assert!(
        lines[2]
            .to_string()
            .contains("<defmt frame, no --elf: 01 00 60 e3 16 00")
    );
}

#[test]
fn random_input_never_panics_and_memory_stays_bounded() {
    let mut rng = Rng::new(4);
    let table = table();
    for round in 0..300 {
        let mut demux = Demux::new(if round % 2 == 0 {
            Some(table.clone())
        } else {
            None
        });
        for _ in 0..20 {
            let len = rng.range(0, 3000) as usize;
            let zero_percent = rng.range(0, 30);
            let chunk: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.chance(zero_percent) {
                        0
                    } else {
                        rng.next_u64() as u8
                    }
                })
                .collect();
            for line in demux.feed(&chunk) {
                assert!(line.text.len() <= 4 * 4096 + 3 * MAX_FRAME_LEN);
                let _ = line.to_string();
            }
        }
        let _ = demux.flush();
    }
}

#[test]
fn a_long_nul_free_run_in_frame_position_becomes_text() {
    let mut demux = Demux::new(Some(table()));
    let mut stream = b"banner\r\n".to_vec();
    stream.push(0); // now a frame is expected...
    stream.extend(std::iter::repeat_n(b'x', MAX_FRAME_LEN + 10)); // ...but text keeps coming
    stream.extend(b"\r\nnext line\r\n");
    let lines = demux.feed(&stream);
    let got = summary(&lines);
    assert_eq!(got.first(), Some(&text("banner")));
    assert_eq!(got.last(), Some(&text("next line")));
}

#[test]
fn the_console_command_reads_a_tcp_serial() {
    use std::io::Write as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(&boot_stream()).unwrap();
        // Dropping the connection ends the console session.
    });
    let (out, killed) = support::run_bounded(
        common::bareproxy().args(["console", &format!("tcp:{addr}")]),
        std::time::Duration::from_secs(30),
    );
    server.join().unwrap();
    assert!(!killed && out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert!(lines[0].ends_with("] bareproxy 0.1 on mirabox"), "{stdout}");
    assert!(lines[2].contains("<defmt frame, no --elf: "), "{stdout}");
    assert!(lines[5].ends_with("] out of buffers"), "{stdout}");
}
