//! kwbimage v1: our builder against `mkimage -T kwbimage` from u-boot-tools 2023.01, over many
//! generated configurations (NAND, SPI, UART; with and without binary and register headers).
//! Binary headers carry synthetic bytes generated here, never vendor code.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use bareproxy_tool::image::kwbimage::{self, BootSource, KwbConfig, cfg};
use common::{Rng, run_ok, uboot_tool};

const CONFIGURATIONS: usize = 150;

/// A random configuration file plus the files it names and the mkimage addresses.
struct Case {
    cfg_text: String,
    binaries: Vec<(String, Vec<u8>)>,
    payload: Vec<u8>,
    dest: u32,
    exec: u32,
    has_binary: bool,
    has_register: bool,
}

fn generate(rng: &mut Rng, index: usize) -> Case {
    let source = ["nand", "spi", "uart"][index % 3];
    let mut t = String::from("# generated\nVERSION 1\n");
    let _ = writeln!(t, "BOOT_FROM {source}");
    if rng.chance(30) {
        let _ = writeln!(
            t,
            "CPU {}",
            rng.pick(&["SHEEVA", "FEROCEON", "A9", "SHEEVA"])
        );
    }
    if rng.chance(60) {
        let page = *rng.pick(&[0x200u32, 0x800, 0x1000, 0x2000]);
        // Both spellings mkimage accepts for hex values.
        if rng.chance(50) {
            let _ = writeln!(t, "NAND_PAGE_SIZE {page:#x}");
        } else {
            let _ = writeln!(t, "NAND_PAGE_SIZE {page:x}");
        }
    }
    if rng.chance(60) {
        let _ = writeln!(
            t,
            "NAND_BLKSZ {:#x}",
            rng.range(0, 255) * 0x10000 + rng.range(0, 1) * 0x8000
        );
    }
    if rng.chance(40) {
        let _ = writeln!(t, "NAND_BADBLK_LOCATION {:#x}", rng.range(0, 255));
    }
    if rng.chance(40) {
        let rate = rng.pick(&[2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400]);
        let _ = writeln!(t, "BAUDRATE {rate}");
    }
    if rng.chance(20) {
        let _ = writeln!(t, "UART_PORT {}", rng.range(0, 3));
    }
    if rng.chance(20) {
        let _ = writeln!(t, "UART_MPP {:#x}", rng.range(0, 7));
    }
    if rng.chance(40) {
        let _ = writeln!(t, "DEBUG {}", rng.range(0, 2));
    }
    let mut binaries = Vec::new();
    let (mut has_binary, mut has_register) = (false, false);
    let style = index % 4; // 0: none, 1: binary only, 2: register only, 3: mixed
    let items = if style == 0 { 0 } else { rng.range(1, 4) };
    for _ in 0..items {
        let binary = match style {
            1 => true,
            2 => false,
            _ => rng.chance(50),
        };
        if binary {
            let name = format!("bin{}.bin", binaries.len());
            let len = rng.range(1, 400) as usize;
            let nargs = rng.range(0, 6);
            let _ = write!(t, "BINARY {name}");
            for _ in 0..nargs {
                let _ = write!(t, " {:08x}", rng.u32());
            }
            t.push('\n');
            binaries.push((name, rng.bytes(len)));
            has_binary = true;
        } else {
            for _ in 0..rng.range(1, 6) {
                let _ = writeln!(t, "DATA {:#010x} {:#010x}", rng.u32(), rng.u32());
            }
            has_register = true;
            match rng.range(0, 2) {
                0 => {} // closed by the next BINARY or the end of the file, delay 1
                1 => {
                    let _ = writeln!(t, "DATA_DELAY {}", rng.range(0, 255));
                }
                _ => t.push_str("DATA_DELAY SDRAM_SETUP\n"),
            }
        }
    }
    let payload_len = *rng.pick(&[1usize, 2, 3, 4, 5, 127, 128, 129, 1000, 4093, 20000]);
    Case {
        cfg_text: t,
        binaries,
        payload: rng.bytes(payload_len),
        dest: if rng.chance(70) { rng.u32() } else { 0 },
        exec: if rng.chance(70) { rng.u32() } else { 0 },
        has_binary,
        has_register,
    }
}

fn mkimage(dir: &Path, case: &Case) -> Vec<u8> {
    fs::write(dir.join("image.cfg"), &case.cfg_text).unwrap();
    fs::write(dir.join("payload.bin"), &case.payload).unwrap();
    for (name, bytes) in &case.binaries {
        fs::write(dir.join(name), bytes).unwrap();
    }
    let _ = fs::remove_file(dir.join("out.kwb"));
    run_ok(
        Command::new(uboot_tool("mkimage"))
            .current_dir(dir)
            .args(["-n", "image.cfg", "-T", "kwbimage"])
            .args([
                "-a",
                &format!("{:x}", case.dest),
                "-e",
                &format!("{:x}", case.exec),
            ])
            .args(["-d", "payload.bin", "out.kwb"]),
    );
    fs::read(dir.join("out.kwb")).unwrap()
}

fn ours(case: &Case) -> Vec<u8> {
    let mut load = |name: &str| {
        case.binaries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| format!("no such file {name}"))
    };
    let parsed = cfg::parse(&case.cfg_text, &mut load).expect("our cfg parser rejected it");
    let config = KwbConfig {
        dest_addr: case.dest,
        exec_addr: case.exec,
        ..parsed.config
    };
    kwbimage::build(&config, &case.payload).expect("our builder rejected it")
}

#[test]
fn build_matches_mkimage_across_generated_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0x4B57_4249_4D41_4745);
    let mut seen = std::collections::HashSet::new();
    for index in 0..CONFIGURATIONS {
        let case = generate(&mut rng, index);
        let reference = mkimage(dir.path(), &case);
        let built = ours(&case);
        if built != reference {
            let first = built.iter().zip(&reference).position(|(a, b)| a != b);
            panic!(
                "configuration {index} differs from mkimage (lengths {} vs {}, first difference at {first:?})\n{}",
                built.len(),
                reference.len(),
                case.cfg_text
            );
        }

        // The parser reads mkimage's image back: checksums, payload, headers.
        let parsed = kwbimage::parse(&reference).unwrap();
        parsed.verify().unwrap();
        let payload = parsed.payload(&reference).unwrap();
        assert_eq!(&payload[..case.payload.len()], case.payload.as_slice());
        assert_eq!(parsed.binary_headers().count(), case.binaries.len());
        for ((_, code), (_, original)) in parsed.binary_headers().zip(&case.binaries) {
            assert_eq!(&code[..original.len()], original.as_slice());
        }

        // Round trip: the configuration recovered from mkimage's image rebuilds it exactly.
        let recovered = KwbConfig::from_image(&parsed).unwrap();
        assert_eq!(
            kwbimage::build(&recovered, payload).unwrap(),
            reference,
            "{index}"
        );

        let source = parsed.main.boot_source().unwrap();
        seen.insert((source, case.has_binary, case.has_register));
    }
    // Every medium was exercised with and without each kind of optional header.
    for source in [BootSource::Nand, BootSource::Spi, BootSource::Uart] {
        for binary in [false, true] {
            for register in [false, true] {
                assert!(
                    seen.contains(&(source, binary, register)),
                    "no case for {source:?} binary={binary} register={register}"
                );
            }
        }
    }
}

#[test]
fn dumpimage_extracts_what_our_parser_extracts() {
    let dumpimage = uboot_tool("dumpimage");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(7);
    for index in 0..12 {
        // Style 1 (index % 4 == 1) always has at least one binary header; the boot source
        // cycles through NAND, SPI and UART.
        let case = generate(&mut rng, 4 * index + 1);
        assert!(case.has_binary);
        let image = ours(&case);
        fs::write(dir.path().join("ours.kwb"), &image).unwrap();
        let parsed = kwbimage::parse(&image).unwrap();
        run_ok(
            Command::new(&dumpimage)
                .current_dir(dir.path())
                .args(["-T", "kwbimage", "-p", "0", "-o", "data.bin", "ours.kwb"]),
        );
        let data = fs::read(dir.path().join("data.bin")).unwrap();
        assert_eq!(data.as_slice(), parsed.payload(&image).unwrap());
        run_ok(
            Command::new(&dumpimage)
                .current_dir(dir.path())
                .args(["-T", "kwbimage", "-p", "1", "-o", "bin1.bin", "ours.kwb"]),
        );
        let bin1 = fs::read(dir.path().join("bin1.bin")).unwrap();
        let (_, code) = parsed.binary_headers().next().unwrap();
        assert_eq!(bin1.as_slice(), code, "configuration {index}");
    }
}
