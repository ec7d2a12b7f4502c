//! UART boot (`bareproxy kwboot`) against a simulated BootROM on a pty — and U-Boot's real
//! `kwboot` against the same simulator, which keeps the simulator honest: both tools must get
//! their images accepted, byte for byte the same.
//!
//! Needs `/usr/bin/kwboot` (Debian: `apt-get install u-boot-tools`).

mod common;
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bareproxy_tool::image::kwbimage::{self, BootSource, Cpu, HeaderSpec, KwbConfig, uart};
use bareproxy_tool::kwboot::{self, HandshakeError, Progress, SerialLink, Timing, TransferError};
use common::{Rng, bareproxy, uboot_tool};
use support::bootrom::{BootRom, Config, Outcome};
use support::run_bounded;

/// Generous bound for one whole transfer in a test (a few KiB at pty speed take well under 1 s).
const PROCESS_LIMIT: Duration = Duration::from_secs(60);

/// An image like the ones our image tool makes for the Mirabox: binary header ("DDR
/// training"), a register header, a payload of `payload_len` random bytes.
fn test_image(boot_source: BootSource, payload_len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let cfg = KwbConfig {
        boot_source,
        cpu: Cpu::Sheeva,
        nand_page_size: if boot_source == BootSource::Nand {
            0x800
        } else {
            0
        },
        nand_block_size: if boot_source == BootSource::Nand {
            0x20000
        } else {
            0
        },
        baudrate: Some(115_200),
        headers: vec![
            HeaderSpec::Register {
                entries: vec![kwbimage::RegisterWrite {
                    address: 0xD001_8000,
                    value: 0x1111_1111,
                }],
                delay: 0,
            },
            HeaderSpec::Binary {
                args: vec![0x5B, 0x68],
                code: rng.bytes(300),
            },
        ],
        dest_addr: 0x0060_0000,
        exec_addr: 0x006A_0000,
        ..KwbConfig::default()
    };
    kwbimage::build(&cfg, &rng.bytes(payload_len)).expect("test image builds")
}

/// What a correct UART boot must deliver: the image as `kwb info` knows it, patched for UART.
fn assert_delivered(outcome: &Outcome, original: &[u8]) {
    assert!(outcome.handshake, "the boot pattern was never answered");
    assert!(outcome.complete, "the transfer never reached EOT");
    outcome
        .verdict
        .as_ref()
        .unwrap_or_else(|e| panic!("the BootROM would reject the image: {e}"));
    // Independent of our patcher: the payload the BootROM loads is the original payload.
    let sent = kwbimage::parse(&outcome.image).expect("received image parses");
    let orig = kwbimage::parse(original).expect("original parses");
    assert_eq!(sent.payload(&outcome.image), orig.payload(original));
    assert_eq!(sent.main.dest_addr, orig.main.dest_addr);
    assert_eq!(sent.main.exec_addr, orig.main.exec_addr);
    assert_eq!(
        sent.binary_headers().collect::<Vec<_>>(),
        orig.binary_headers().collect::<Vec<_>>(),
        "the DDR training code must arrive unchanged"
    );
}

/// Compares two received images, naming the first differing offset (not dumping kilobytes).
fn assert_same_bytes(ours: &[u8], theirs: &[u8], name: &str) {
    let first = ours.iter().zip(theirs).position(|(a, b)| a != b);
    let count = ours.iter().zip(theirs).filter(|(a, b)| a != b).count();
    let last = ours.iter().zip(theirs).rposition(|(a, b)| a != b);
    assert!(
        first.is_none() && ours.len() == theirs.len(),
        "{name}: bareproxy and U-Boot's kwboot sent different images: lengths {} and {}, {count} bytes \
         differ, first at {first:x?} ({:02x?} vs {:02x?}), last at {last:x?}",
        ours.len(),
        theirs.len(),
        first.map(|i| &ours[i..(i + 8).min(ours.len())]),
        first.map(|i| &theirs[i..(i + 8).min(theirs.len())]),
    );
}

fn write_image(dir: &Path, name: &str, image: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, image).unwrap();
    path.to_string_lossy().into_owned()
}

/// Runs `bareproxy kwboot <pty> -b <image>` against a simulator.
fn boot_with_our_tool(config: Config, image_path: &str) -> (Outcome, std::process::Output) {
    let sim = BootRom::start(config);
    let (out, killed) = run_bounded(
        bareproxy().args(["kwboot", sim.path(), "-b", image_path, "--wait", "20"]),
        PROCESS_LIMIT,
    );
    assert!(
        !killed,
        "bareproxy kwboot did not finish within {PROCESS_LIMIT:?}"
    );
    (sim.finish(), out)
}

/// Runs Debian's `kwboot -b <image> <pty>` against a simulator.
fn boot_with_real_kwboot(config: Config, image_path: &str) -> (Outcome, std::process::Output) {
    let kwboot = uboot_tool("kwboot");
    let sim = BootRom::start(config);
    let (out, killed) = run_bounded(
        Command::new(kwboot).args(["-b", image_path, sim.path()]),
        PROCESS_LIMIT,
    );
    assert!(!killed, "kwboot did not finish within {PROCESS_LIMIT:?}");
    (sim.finish(), out)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn both_tools_deliver_the_same_bytes_for_nand_and_uart_images() {
    let dir = tempfile::tempdir().unwrap();
    for (name, source, len) in [
        ("nand.kwb", BootSource::Nand, 5000),
        ("uart.kwb", BootSource::Uart, 777),
        ("spi.kwb", BootSource::Spi, 128 * 40 + 3),
    ] {
        let image = test_image(source, len, len as u64);
        let path = write_image(dir.path(), name, &image);

        let (ours, out) = boot_with_our_tool(Config::default(), &path);
        assert!(
            out.status.success(),
            "{name}: bareproxy kwboot failed: {}",
            stderr(&out)
        );
        assert_delivered(&ours, &image);

        let (theirs, out) = boot_with_real_kwboot(Config::default(), &path);
        assert!(
            out.status.success(),
            "{name}: kwboot failed: {}",
            stderr(&out)
        );
        assert_delivered(&theirs, &image);

        assert_same_bytes(&ours.image, &uart::patch(&image).unwrap().bytes, name);
        let old_header = kwbimage::parse(&image).unwrap().main.header_size as usize;
        if old_header.is_multiple_of(128) || source != BootSource::Spi {
            assert_same_bytes(&ours.image, &theirs.image, name);
        } else {
            // SPI images have no padding after the headers, so the header area grows into the
            // payload and the payload moves. kwboot 2023.01 leaves the payload's old first bytes
            // in the new header padding (and sums them into the header checksum); we zero them.
            // Both are valid for the BootROM (checked above); everything else must match.
            let gap = old_header..old_header.next_multiple_of(128);
            assert!(ours.image[gap.clone()].iter().all(|&b| b == 0));
            assert_eq!(theirs.image[gap.clone()], image[old_header..gap.end]);
            let mask = |img: &[u8]| {
                let mut img = img.to_vec();
                img[0x1F] = 0;
                img[gap.clone()].fill(0);
                img
            };
            assert_same_bytes(&mask(&ours.image), &mask(&theirs.image), name);
        }
    }
}

/// An image laid out like the stock Mirabox boot loader: the vendor counts the padding in the
/// header size (`header_size == src_addr == 0xC000`), NAND blockid, no NAND page size.
fn stock_like_image() -> Vec<u8> {
    let nand = test_image(BootSource::Nand, 60_001, 21);
    let parsed = kwbimage::parse(&nand).unwrap();
    let payload = parsed.payload.clone().unwrap();
    let data = &nand[payload.start..payload.end + 4];
    let mut main = parsed.main;
    main.header_size = 0xC000;
    main.src_addr = 0xC000;
    main.nand_page_size = 0;
    main.options = 0;
    let mut image = vec![0u8; (0xC000 + data.len()).next_multiple_of(256)];
    image[..parsed.headers_end].copy_from_slice(&nand[..parsed.headers_end]);
    image[0xC000..0xC000 + data.len()].copy_from_slice(data);
    main.checksum = 0;
    image[..32].copy_from_slice(&main.to_bytes());
    main.checksum = kwbimage::header_checksum(&image[..0xC000]);
    image[..32].copy_from_slice(&main.to_bytes());
    kwbimage::parse(&image).unwrap().verify().unwrap();
    image
}

#[test]
fn a_stock_layout_image_changes_only_blockid_flags_and_checksum() {
    // Reference notes §2.4: kwboot 2023.01 changes exactly these three bytes of the stock image.
    let dir = tempfile::tempdir().unwrap();
    let image = stock_like_image();
    let path = write_image(dir.path(), "stock.kwb", &image);
    let (ours, out) = boot_with_our_tool(Config::default(), &path);
    assert!(out.status.success(), "bareproxy: {}", stderr(&out));
    assert_delivered(&ours, &image);
    let (theirs, out) = boot_with_real_kwboot(Config::default(), &path);
    assert!(out.status.success(), "kwboot: {}", stderr(&out));
    assert_same_bytes(&ours.image, &theirs.image, "stock.kwb");
    // Sent: the image up to the end of its data, in whole 128-byte blocks (the file itself is
    // padded to NAND's 256); only zero padding differs in length.
    let common = ours.image.len().min(image.len());
    let changed: Vec<usize> = (0..common).filter(|&i| ours.image[i] != image[i]).collect();
    assert_eq!(changed, vec![0x00, 0x01, 0x1F]);
    assert!(
        ours.image[common..]
            .iter()
            .chain(&image[common..])
            .all(|&b| b == 0)
    );
}

#[test]
fn a_nakd_first_block_is_retried_by_both_tools() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(BootSource::Nand, 3000, 11);
    let path = write_image(dir.path(), "img.kwb", &image);
    let config = Config {
        nak_first_block: 2,
        ..Config::default()
    };
    let (ours, out) = boot_with_our_tool(config.clone(), &path);
    assert!(out.status.success(), "bareproxy: {}", stderr(&out));
    assert!(
        stderr(&out).contains("block 1: NAK, sending again"),
        "{}",
        stderr(&out)
    );
    assert_delivered(&ours, &image);
    assert!(ours.naks >= 2);

    let (theirs, out) = boot_with_real_kwboot(config, &path);
    assert!(out.status.success(), "kwboot: {}", stderr(&out));
    assert_delivered(&theirs, &image);
    assert_same_bytes(&ours.image, &theirs.image, "img.kwb");
}

#[test]
fn slow_ddr_training_is_waited_for_and_its_output_shown() {
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(BootSource::Nand, 2000, 12);
    let path = write_image(dir.path(), "img.kwb", &image);
    // Longer than the 2 s block timeout: only the 10 s training allowance makes this work.
    let config = Config {
        training_text:
            b"DDR3 Training Sequence - Ver 4.0.0\r\nDDR3 Training Sequence - Ended Successfully\r\n"
                .to_vec(),
        training_delay: Duration::from_millis(3000),
        ..Config::default()
    };
    let (ours, out) = boot_with_our_tool(config.clone(), &path);
    assert!(out.status.success(), "bareproxy: {}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Ended Successfully"),
        "the training output must be shown: {:?}",
        out
    );
    assert_delivered(&ours, &image);
    assert_eq!(ours.naks, 0, "no block may have been resent");

    let (theirs, out) = boot_with_real_kwboot(config, &path);
    assert!(out.status.success(), "kwboot: {}", stderr(&out));
    assert_delivered(&theirs, &image);
}

#[test]
fn a_board_that_never_answers_gives_a_clear_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_image(
        dir.path(),
        "img.kwb",
        &test_image(BootSource::Nand, 100, 13),
    );
    let sim = BootRom::start(Config {
        silent: true,
        ..Config::default()
    });
    let (out, killed) = run_bounded(
        bareproxy().args(["kwboot", sim.path(), "-b", &path, "--wait", "1"]),
        PROCESS_LIMIT,
    );
    let outcome = sim.finish();
    assert!(!killed);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no answer from the BootROM after"), "{err}");
    assert!(err.contains("power-cycle the board"), "{err}");
    assert!(!outcome.handshake && outcome.image.is_empty());
}

/// Progress sink that records what the library reports.
#[derive(Default)]
struct Recorder {
    done: usize,
    retries: Vec<(usize, &'static str)>,
    board: Vec<u8>,
}

impl Progress for Recorder {
    fn blocks(&mut self, done: usize, _total: usize) {
        self.done = done;
    }
    fn board_output(&mut self, bytes: &[u8]) {
        self.board.extend_from_slice(bytes);
    }
    fn retry(&mut self, block: usize, _attempt: u32, reason: &'static str) {
        self.retries.push((block, reason));
    }
}

fn fast_timing() -> Timing {
    Timing {
        handshake_limit: Some(Duration::from_secs(10)),
        block_timeout: Duration::from_millis(500),
        training_timeout: Duration::from_secs(5),
        ..Timing::default()
    }
}

#[test]
fn a_corrupted_header_block_is_resent_and_a_corrupted_data_block_aborts() {
    let image = uart::patch(&test_image(BootSource::Nand, 4000, 14)).unwrap();
    assert!(image.header_blocks() >= 2 && image.blocks() > image.header_blocks() + 2);

    // Header block 1 corrupted on the line: NAK, resend, success.
    let sim = BootRom::start(Config {
        corrupt_block: Some(1),
        ..Config::default()
    });
    let mut link = SerialLink::open(sim.path()).unwrap();
    let mut rec = Recorder::default();
    kwboot::handshake(&mut link, &fast_timing(), |_| {}).unwrap();
    kwboot::send_image(&mut link, &image, &fast_timing(), &mut rec).unwrap();
    drop(link);
    let outcome = sim.finish();
    assert_eq!(rec.retries, vec![(1, "NAK")]);
    assert_eq!(rec.done, image.blocks());
    assert!(outcome.complete && outcome.verdict.is_ok());
    assert_eq!(outcome.image, image.bytes);

    // A data block corrupted: the BootROM NAKs it and cannot recover; we must stop, not resend.
    let bad = image.header_blocks() + 2;
    let sim = BootRom::start(Config {
        corrupt_block: Some(bad),
        ..Config::default()
    });
    let mut link = SerialLink::open(sim.path()).unwrap();
    let mut rec = Recorder::default();
    kwboot::handshake(&mut link, &fast_timing(), |_| {}).unwrap();
    let err = kwboot::send_image(&mut link, &image, &fast_timing(), &mut rec).unwrap_err();
    drop(link);
    let outcome = sim.finish();
    assert!(
        matches!(err, TransferError::DataRejected { block, .. } if block == bad),
        "{err}"
    );
    assert!(err.to_string().contains("power-cycle the board"), "{err}");
    assert!(rec.retries.is_empty());
    assert_eq!(rec.done, bad - 1);
    assert!(!outcome.complete);
    assert_eq!(outcome.image.len(), (bad - 1) * 128);
}

#[test]
fn real_kwboot_also_gives_up_on_a_corrupted_data_block() {
    // Keeps the simulator's data-phase behaviour honest: the reference tool fails here too.
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(BootSource::Nand, 4000, 15);
    let path = write_image(dir.path(), "img.kwb", &image);
    let bad = uart::patch(&image).unwrap().header_blocks() + 2;
    let config = Config {
        corrupt_block: Some(bad),
        ..Config::default()
    };
    let (theirs, out) = boot_with_real_kwboot(config.clone(), &path);
    assert!(!out.status.success(), "kwboot must fail: {}", stderr(&out));
    assert!(!theirs.complete);
    let (ours, out) = boot_with_our_tool(config, &path);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("data block {bad} of")),
        "{}",
        stderr(&out)
    );
    assert!(!ours.complete);
}

#[test]
fn silent_board_library_error_names_the_wait() {
    let sim = BootRom::start(Config {
        silent: true,
        ..Config::default()
    });
    let mut link = SerialLink::open(sim.path()).unwrap();
    let timing = Timing {
        handshake_limit: Some(Duration::from_millis(300)),
        ..Timing::default()
    };
    let mut bursts = 0;
    let err = kwboot::handshake(&mut link, &timing, |_| bursts += 1).unwrap_err();
    assert!(matches!(err, HandshakeError::NoAnswer(d) if d >= Duration::from_millis(300)));
    assert!(bursts >= 1);
}

#[test]
fn a_damaged_image_is_refused_before_touching_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let mut image = test_image(BootSource::Nand, 500, 16);
    image[0x40] ^= 1; // inside the header area: header checksum now wrong
    let path = write_image(dir.path(), "bad.kwb", &image);
    let (out, killed) = run_bounded(
        bareproxy().args(["kwboot", "/dev/null-not-a-port", "-b", &path]),
        PROCESS_LIMIT,
    );
    assert!(!killed);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refusing a damaged image"),
        "{}",
        stderr(&out)
    );
}

/// Checks what a `-B` transfer delivered: the original payload followed by switch-back code
/// that is the new entry point, an extra binary header announcing the switch, and a data phase
/// at the new speed.
fn assert_baud_switched(outcome: &Outcome, original: &[u8], baud: u32, who: &str) {
    assert!(outcome.complete, "{who}: transfer incomplete");
    outcome
        .verdict
        .as_ref()
        .unwrap_or_else(|e| panic!("{who}: the BootROM would reject the image: {e}"));
    assert!(
        outcome.announced,
        "{who}: no baud-rate announcement in the binary headers"
    );
    assert_eq!(
        outcome.data_phase_baud,
        Some(baud),
        "{who}: data phase speed"
    );
    assert_eq!(
        outcome.final_baud,
        Some(115_200),
        "{who}: speed after the transfer"
    );
    let sent = kwbimage::parse(&outcome.image).unwrap();
    let orig = kwbimage::parse(original).unwrap();
    let orig_payload = orig.payload(original).unwrap();
    let sent_payload = sent.payload(&outcome.image).unwrap();
    assert!(
        sent_payload.starts_with(orig_payload),
        "{who}: payload kept"
    );
    assert!(
        sent_payload.len() > orig_payload.len(),
        "{who}: code appended"
    );
    assert_eq!(
        sent.main.exec_addr,
        orig.main.dest_addr + orig_payload.len() as u32,
        "{who}: entry point = the appended code"
    );
    assert_eq!(
        sent.binary_headers().count(),
        orig.binary_headers().count() + 1,
        "{who}"
    );
    assert_eq!(
        sent.binary_headers().next(),
        orig.binary_headers().next(),
        "{who}: the DDR training code is untouched"
    );
}

#[test]
fn baud_switch_for_the_data_phase_works_with_both_tools() {
    let dir = tempfile::tempdir().unwrap();
    for (name, image) in [
        ("nand.kwb", test_image(BootSource::Nand, 9000, 31)),
        ("stock.kwb", stock_like_image()),
    ] {
        let path = write_image(dir.path(), name, &image);
        let sim = BootRom::start(Config::default());
        let (out, killed) = run_bounded(
            bareproxy().args([
                "kwboot",
                sim.path(),
                "-b",
                &path,
                "-B",
                "230400",
                "--wait",
                "20",
            ]),
            PROCESS_LIMIT,
        );
        let ours = sim.finish();
        assert!(
            !killed && out.status.success(),
            "{name}: bareproxy: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("line speed now 230400 baud"),
            "{}",
            stderr(&out)
        );
        assert_baud_switched(&ours, &image, 230_400, "bareproxy");

        let sim = BootRom::start(Config::default());
        let (out, killed) = run_bounded(
            Command::new(uboot_tool("kwboot")).args(["-b", &path, "-B", "230400", sim.path()]),
            PROCESS_LIMIT,
        );
        let theirs = sim.finish();
        assert!(
            !killed && out.status.success(),
            "{name}: kwboot: {}",
            stderr(&out)
        );
        assert_baud_switched(&theirs, &image, 230_400, "kwboot");
    }
}

#[test]
fn baud_switch_refuses_silly_speeds() {
    let image = test_image(BootSource::Nand, 100, 32);
    for baud in [0, 300, 10_000_000] {
        assert!(matches!(
            uart::patch_with_baud_switch(&image, baud),
            Err(uart::UartPatchError::BadBaud(b)) if b == baud
        ));
    }
}

#[test]
fn patching_damaged_or_random_images_never_panics() {
    let mut rng = Rng::new(40);
    let good = [
        test_image(BootSource::Nand, 700, 41),
        test_image(BootSource::Spi, 300, 42),
        stock_like_image(),
    ];
    for round in 0..1500 {
        let mut image = good[round % good.len()].clone();
        // Damage a few bytes, mostly in the headers, and fix the header checksum half of the
        // time so that the damage gets past the checksum check.
        for _ in 0..rng.range(1, 6) {
            let at = if rng.chance(80) {
                rng.range(0, 0x60) as usize
            } else {
                rng.range(0, image.len() as u64 - 1) as usize
            };
            image[at] = rng.next_u64() as u8;
        }
        if rng.chance(50)
            && let Ok(parsed) = kwbimage::parse(&image)
            && let Some(area) = image.get(..parsed.main.header_size as usize)
        {
            image[0x1F] = kwbimage::header_checksum(area);
        }
        if rng.chance(20) {
            image.truncate(rng.range(0, image.len() as u64) as usize);
        }
        if let Ok(patched) = uart::patch(&image) {
            assert_eq!(patched.bytes.len() % 128, 0);
        }
        if let Ok(patched) = uart::patch_with_baud_switch(&image, 230_400) {
            assert_eq!(patched.bytes.len() % 128, 0);
            assert_eq!(patched.baud_switch, Some(230_400));
        }
    }
}
