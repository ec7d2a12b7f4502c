//! `bareproxy kwb …` end to end: extract/pack round trip on mkimage's images, unbrick output
//! accepted by dumpimage, exit codes and error offsets on damaged input.

mod common;

use std::fs;
use std::process::Command;

use common::{Rng, bareproxy, run_ok, uboot_tool};

const CFG: &str = "VERSION 1\nBOOT_FROM nand\nNAND_PAGE_SIZE 0x800\nNAND_BLKSZ 0x20000\n\
NAND_BADBLK_LOCATION 0x1\nDATA 0xd0018000 0x11111111\nDATA_DELAY SDRAM_SETUP\nBINARY train.bin 5b 68\n";

/// A NAND image made by mkimage with synthetic "training code", plus 64 KiB of trailing bytes
/// like a partition dump.
fn mkimage_dump(dir: &std::path::Path, rng: &mut Rng) -> Vec<u8> {
    fs::write(dir.join("nand.cfg"), CFG).unwrap();
    fs::write(dir.join("train.bin"), rng.bytes(1234)).unwrap();
    fs::write(dir.join("old-uboot.bin"), rng.bytes(50_001)).unwrap();
    run_ok(
        Command::new(uboot_tool("mkimage"))
            .current_dir(dir)
            .args([
                "-n", "nand.cfg", "-T", "kwbimage", "-a", "600000", "-e", "6a0000",
            ])
            .args(["-d", "old-uboot.bin", "stock.kwb"]),
    );
    fs::read(dir.join("stock.kwb")).unwrap()
}

#[test]
fn extract_then_pack_reproduces_mkimage_output() {
    let dir = tempfile::tempdir().unwrap();
    let image = mkimage_dump(dir.path(), &mut Rng::new(3));
    run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["kwb", "extract", "stock.kwb", "-o", "x"]),
    );
    let x = dir.path().join("x");
    run_ok(bareproxy().current_dir(&x).args([
        "kwb",
        "pack",
        "-c",
        "image.cfg",
        "-d",
        "payload.bin",
        "-a",
        "0x600000",
        "-e",
        "0x6a0000",
        "-o",
        "rebuilt.kwb",
    ]));
    assert_eq!(fs::read(x.join("rebuilt.kwb")).unwrap(), image);
    // mkimage itself reads the cfg we wrote back to the same image.
    run_ok(Command::new(uboot_tool("mkimage")).current_dir(&x).args([
        "-n",
        "image.cfg",
        "-T",
        "kwbimage",
        "-a",
        "600000",
        "-e",
        "6a0000",
        "-d",
        "payload.bin",
        "m.kwb",
    ]));
    assert_eq!(fs::read(x.join("m.kwb")).unwrap(), image);
}

#[test]
fn unbrick_builds_a_uart_image_dumpimage_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(4);
    let mut dump = mkimage_dump(dir.path(), &mut rng);
    dump.extend(rng.bytes(65_536));
    fs::write(dir.path().join("mtd0.bin"), &dump).unwrap();
    fs::write(dir.path().join("firmware.bin"), rng.bytes(77_777)).unwrap();
    run_ok(bareproxy().current_dir(dir.path()).args([
        "kwb",
        "unbrick",
        "--dump",
        "mtd0.bin",
        "-d",
        "firmware.bin",
        "--boot-from",
        "uart",
        "-a",
        "0x800000",
        "-e",
        "0x800000",
        "-o",
        "uart.kwb",
    ]));
    let listing = run_ok(
        Command::new(uboot_tool("dumpimage"))
            .current_dir(dir.path())
            .args(["-T", "kwbimage", "-l", "uart.kwb"]),
    );
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("Boot from uart"), "{listing}");
    run_ok(
        Command::new(uboot_tool("dumpimage"))
            .current_dir(dir.path())
            .args(["-T", "kwbimage", "-p", "1", "-o", "code.bin", "uart.kwb"]),
    );
    let code = fs::read(dir.path().join("code.bin")).unwrap();
    assert_eq!(
        &code[..1234],
        fs::read(dir.path().join("train.bin")).unwrap().as_slice()
    );
    let info = run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["kwb", "info", "uart.kwb"]),
    );
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("boot from uart") && info.contains("load address       0x00800000"),
        "{info}"
    );
}

#[test]
fn damaged_images_give_exit_codes_and_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let image = mkimage_dump(dir.path(), &mut Rng::new(5));
    let run = |name: &str, bytes: &[u8]| {
        fs::write(dir.path().join(name), bytes).unwrap();
        let out = bareproxy()
            .current_dir(dir.path())
            .args(["kwb", "info", name])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let mut bad_data = image.clone();
    bad_data[0x700] ^= 1; // inside the payload (headers end at 0x518, payload at 0x600)
    let (code, err) = run("bad-data.kwb", &bad_data);
    assert_eq!(code, Some(3));
    assert!(err.contains("data checksum"), "{err}");

    let mut bad_header = image.clone();
    bad_header[0x10] ^= 1;
    let (code, err) = run("bad-header.kwb", &bad_header);
    assert_eq!(code, Some(3));
    assert!(err.contains("offset 0x1f"), "{err}");

    let (code, err) = run("short.kwb", &image[..0x300]);
    assert_eq!(code, Some(1));
    assert!(err.contains("truncated at offset"), "{err}");

    let (code, err) = run("zeros.kwb", &[0u8; 64]);
    assert_eq!(code, Some(1));
    assert!(err.contains("offset 0x8"), "{err}");
}
