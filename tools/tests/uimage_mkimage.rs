//! uImage: our packer against `mkimage -A … -O … -T … -C …` (u-boot-tools 2023.01) with a
//! pinned SOURCE_DATE_EPOCH, and our images against `dumpimage -l`.

mod common;

use std::fs;
use std::process::Command;

use bareproxy_tool::image::uimage::{self, ARCHES, COMPRESSIONS, OSES, TYPES, UImageParams};
use common::{Rng, bareproxy, run_ok, uboot_tool};

const CASES: usize = 60;

fn random_name(rng: &mut Rng) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ";
    let len = rng.range(0, 32) as usize;
    (0..len)
        .map(|_| *rng.pick(CHARS) as char)
        .collect::<String>()
}

#[test]
fn pack_matches_mkimage_and_dumpimage_lists_it() {
    let mkimage = uboot_tool("mkimage");
    let dumpimage = uboot_tool("dumpimage");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0x7549_6D61_6765);
    for index in 0..CASES {
        // The first case is the Mirabox firmware's own command line.
        let (arch, os, kind, comp) = if index == 0 {
            ("arm", "linux", "kernel", "none")
        } else {
            (
                rng.pick(ARCHES).name,
                rng.pick(OSES).name,
                rng.pick(TYPES).name,
                rng.pick(COMPRESSIONS).name,
            )
        };
        let params = UImageParams {
            arch: uimage::code_by_name(ARCHES, arch).unwrap(),
            os: uimage::code_by_name(OSES, os).unwrap(),
            image_type: uimage::code_by_name(TYPES, kind).unwrap(),
            compression: uimage::code_by_name(COMPRESSIONS, comp).unwrap(),
            load_addr: rng.u32(),
            entry_addr: rng.u32(),
            name: random_name(&mut rng),
            timestamp: rng.u32() >> 1,
        };
        let payload_len = *rng.pick(&[1usize, 3, 4, 64, 1000, 65_537]);
        let payload = rng.bytes(payload_len);
        fs::write(dir.path().join("payload.bin"), &payload).unwrap();
        let _ = fs::remove_file(dir.path().join("ref.uImage"));
        run_ok(
            Command::new(&mkimage)
                .current_dir(dir.path())
                .env("SOURCE_DATE_EPOCH", params.timestamp.to_string())
                .args(["-A", arch, "-O", os, "-T", kind, "-C", comp])
                .args([
                    "-a",
                    &format!("{:x}", params.load_addr),
                    "-e",
                    &format!("{:x}", params.entry_addr),
                ])
                .args(["-n", &params.name, "-d", "payload.bin", "ref.uImage"]),
        );
        let reference = fs::read(dir.path().join("ref.uImage")).unwrap();
        let ours = uimage::pack(&params, &payload).unwrap();
        assert_eq!(ours, reference, "case {index}: {params:?}");

        let (header, data) = uimage::parse(&reference).unwrap();
        assert_eq!(header.params, params);
        assert_eq!(data, payload.as_slice());

        fs::write(dir.path().join("ours.uImage"), &ours).unwrap();
        let listing = run_ok(
            Command::new(&dumpimage)
                .current_dir(dir.path())
                .args(["-l", "ours.uImage"]),
        );
        let listing = String::from_utf8_lossy(&listing.stdout);
        assert!(
            listing.contains(&format!("Image Name:   {}", params.name)),
            "{listing}"
        );
        assert!(
            listing.contains(&format!("Data Size:    {} Bytes", payload.len())),
            "{listing}"
        );
        assert!(
            listing.contains(&format!("Load Address: {:08x}", params.load_addr)),
            "{listing}"
        );
    }
}

#[test]
fn cli_pack_matches_mkimage_for_the_mirabox_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let payload: Vec<u8> = (0..5000u32).map(|i| (i * 13 + 1) as u8).collect();
    fs::write(dir.path().join("fw.bin"), &payload).unwrap();
    run_ok(
        Command::new(uboot_tool("mkimage"))
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["-A", "arm", "-O", "linux", "-T", "kernel", "-C", "none"])
            .args([
                "-a",
                "0x00008000",
                "-e",
                "0x00008000",
                "-n",
                "bareproxy",
                "-d",
                "fw.bin",
                "ref.uImage",
            ]),
    );
    run_ok(
        bareproxy()
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args([
                "uimage",
                "pack",
                "-d",
                "fw.bin",
                "-o",
                "ours.uImage",
                "-a",
                "0x8000",
                "-n",
                "bareproxy",
            ]),
    );
    assert_eq!(
        fs::read(dir.path().join("ours.uImage")).unwrap(),
        fs::read(dir.path().join("ref.uImage")).unwrap()
    );
    let info = run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["uimage", "info", "ours.uImage"]),
    );
    assert!(String::from_utf8_lossy(&info.stdout).contains("data CRC"));

    // A flipped data byte is a verification failure: exit code 3.
    let mut broken = fs::read(dir.path().join("ours.uImage")).unwrap();
    broken[100] ^= 0x40;
    fs::write(dir.path().join("broken.uImage"), &broken).unwrap();
    let out = bareproxy()
        .current_dir(dir.path())
        .args(["uimage", "info", "broken.uImage"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("offset 0x18"));
}
