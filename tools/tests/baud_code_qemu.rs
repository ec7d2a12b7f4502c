//! Runs the baud-rate switch code (`image::kwbimage::baud_code`) on an emulated ARM core:
//! QEMU `vexpress-a9` executes a small harness that calls the announcing binary-header code
//! and then enters the switch-back code, both pointed at "UART registers" in RAM, and the test
//! reads the results through the QEMU monitor. This checks the hand-assembled machine code
//! itself: the divisor arithmetic, the register protocol (DLAB on/off), the calling convention
//! (r0 = 0, callee-saved registers and stack preserved) and the final jump.
//!
//! Needs `qemu-system-arm` (Debian: `apt-get install qemu-system-arm`); fails if missing.

mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bareproxy_tool::image::kwbimage::baud_code::{self, SwitchParams};
use support::ChildGuard;

/// Harness, loaded by QEMU at 0x60010000 (assembled with llvm-mc for armv5te):
///
/// ```text
///     ldr  sp, =0x60100000
///     @ fake UART A at 0x60200000: LSR = 0x60 (THRE|TEMT), DLH = 1, LCR = 3
///     @ fake UART B at 0x60200100: LSR = 0x60, DLL = 108, LCR = 3
///     ldr  r4, =0x12345678        @ must survive the call
///     mov  r0, #0x55
///     ldr  r3, =0x60010100        @ announce code
///     blx  r3
///     ldr  r1, =0x60300000        @ results: r0, r4, sp
///     str  r0, [r1]; str r4, [r1, #4]; str sp, [r1, #8]
///     ldr  r3, =0x60010200        @ restore code; its exec literal = done
///     bx   r3
/// done:                           @ 0x60010064
///     ldr  r1, =0x60300000; mov r0, #1; str r0, [r1, #12]
/// 1:  b    1b
/// ```
const HARNESS: [u32; 36] = [
    0xe59fd06c, 0xe59f106c, 0xe3a00060, 0xe5810014, 0xe3a00001, 0xe5810004, 0xe3a00003, 0xe581000c,
    0xe59f1054, 0xe3a00060, 0xe5810014, 0xe3a0006c, 0xe5810000, 0xe3a00003, 0xe581000c, 0xe59f403c,
    0xe3a00055, 0xe59f3038, 0xe12fff33, 0xe59f1038, 0xe5810000, 0xe5814004, 0xe581d008, 0xe59f3024,
    0xe12fff13, 0xe59f1020, 0xe3a00001, 0xe581000c, 0xeafffffe, 0x60100000, 0x60200000, 0x60200100,
    0x12345678, 0x60010100, 0x60010200, 0x60300000,
];
const DONE: u32 = 0x6001_0064;
const UART_A: u32 = 0x6020_0000;
const UART_B: u32 = 0x6020_0100;
const RESULTS: u32 = 0x6030_0000;

fn qemu() -> &'static Path {
    let path = Path::new("/usr/bin/qemu-system-arm");
    assert!(
        path.is_file(),
        "qemu-system-arm not found: this test runs the ARM code in QEMU; install it with \
         `apt-get install qemu-system-arm`"
    );
    path
}

/// The divisor the code must compute: round(divisor * from / to).
fn expected_divisor(divisor: u32, from: u32, to: u32) -> u32 {
    (divisor * from + to / 2) / to
}

/// Runs the blob and returns the monitor's answers for `xp /4wx` at each address.
fn run(blob: &[u8], addresses: &[u32]) -> Vec<[u32; 4]> {
    let dir = tempfile::tempdir().unwrap();
    let kernel = dir.path().join("harness.bin");
    std::fs::write(&kernel, blob).unwrap();
    let child = Command::new(qemu())
        .args([
            "-M",
            "vexpress-a9",
            "-m",
            "256M",
            "-display",
            "none",
            "-serial",
            "none",
        ])
        .args(["-monitor", "stdio", "-kernel"])
        .arg(&kernel)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start qemu-system-arm");
    let mut guard = ChildGuard(Some(child));
    let child = guard.0.as_mut().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    // Poll the "done" flag (bounded): the code's busy-wait loops take a moment under TCG.
    let deadline = Instant::now() + Duration::from_secs(60);
    let read = |stdin: &mut std::process::ChildStdin, address: u32| -> [u32; 4] {
        writeln!(stdin, "xp /4wx {address:#x}").unwrap();
        let prefix = format!("{address:08x}:");
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("QEMU monitor answered");
            // Monitor output may carry terminal escapes before the address.
            if let Some(at) = line.find(&prefix) {
                let words: Vec<u32> = line[at + prefix.len()..]
                    .split_whitespace()
                    .filter_map(|w| u32::from_str_radix(w.trim_start_matches("0x"), 16).ok())
                    .collect();
                return [words[0], words[1], words[2], words[3]];
            }
        }
    };
    loop {
        let results = read(&mut stdin, RESULTS);
        if results[3] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the harness never reached `done`: {results:x?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let answers = addresses.iter().map(|&a| read(&mut stdin, a)).collect();
    let _ = writeln!(stdin, "quit");
    answers
}

#[test]
fn switch_code_computes_divisors_and_returns_properly() {
    for (fast, delay) in [(230_400u32, 1000u32), (460_800, 1), (57_600, 50)] {
        let announce = baud_code::announce(SwitchParams {
            uart: UART_A,
            from_baud: 115_200,
            to_baud: fast,
            delay_loops: delay,
        });
        let restore = baud_code::restore(
            SwitchParams {
                uart: UART_B,
                from_baud: fast,
                to_baud: 115_200,
                delay_loops: delay,
            },
            DONE,
        );
        let mut blob: Vec<u8> = HARNESS.iter().flat_map(|w| w.to_le_bytes()).collect();
        blob.resize(0x100, 0);
        blob.extend_from_slice(&announce);
        blob.resize(0x200, 0);
        blob.extend_from_slice(&restore);

        let answers = run(
            &blob,
            &[RESULTS, UART_A, UART_A + 0x10, UART_B, UART_B + 0x10],
        );
        let [results, a_lo, a_hi, b_lo, b_hi] = answers[..] else {
            unreachable!()
        };
        assert_eq!(
            results,
            [0, 0x1234_5678, 0x6010_0000, 1],
            "r0, r4, sp, done"
        );
        // UART A: the 16 magic bytes went through THR (the last, NUL, is what RAM keeps at
        // offset 0 until the divisor is written); DLH was 1, so the old divisor is 0x100.
        let a = expected_divisor(0x100, 115_200, fast);
        assert_eq!(
            a_lo,
            [a & 0xFF, (a >> 8) & 0xFF, 0, 3],
            "A: DLL, DLH, -, LCR (DLAB off)"
        );
        assert_eq!(a_hi[1], 0x60, "A: LSR untouched");
        // UART B: divisor 108 at the fast speed, back to 115200.
        let b = expected_divisor(108, fast, 115_200);
        assert_eq!(
            b_lo,
            [b & 0xFF, (b >> 8) & 0xFF, 0, 3],
            "B: DLL, DLH, -, LCR"
        );
        assert_eq!(b_hi[1], 0x60, "B: LSR untouched");
    }
}
