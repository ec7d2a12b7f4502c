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

/// Multi-file and script images: mkimage puts a table of component sizes (big-endian, ended by
/// a zero word) before the components, each padded to four bytes but the last (U-Boot
/// `tools/mkimage.c` `main` and `copy_datafile`; read back by `boot/image.c`
/// `image_multi_getimg`).
#[test]
fn multi_file_and_script_images_match_mkimage_and_dumpimage_lists_their_parts() {
    let mkimage = uboot_tool("mkimage");
    let dumpimage = uboot_tool("dumpimage");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0x006D_756C_7469);
    for index in 0..24 {
        let kind = if index % 2 == 0 { "multi" } else { "script" };
        let count = rng.range(1, 5) as usize;
        let parts: Vec<Vec<u8>> = (0..count)
            .map(|_| {
                let len = *rng.pick(&[1usize, 3, 4, 5, 1000, 4097]);
                rng.bytes(len)
            })
            .collect();
        let names: Vec<String> = (0..count).map(|i| format!("part{i}.bin")).collect();
        for (name, part) in names.iter().zip(&parts) {
            fs::write(dir.path().join(name), part).unwrap();
        }
        let params = UImageParams {
            arch: uimage::code_by_name(ARCHES, "arm").unwrap(),
            os: uimage::code_by_name(OSES, "linux").unwrap(),
            image_type: uimage::code_by_name(uimage::COMPONENT_TYPES, kind).unwrap(),
            compression: 0,
            load_addr: rng.u32(),
            entry_addr: rng.u32(),
            name: random_name(&mut rng),
            timestamp: rng.u32() >> 1,
        };
        let _ = fs::remove_file(dir.path().join("ref.uImage"));
        run_ok(
            Command::new(&mkimage)
                .current_dir(dir.path())
                .env("SOURCE_DATE_EPOCH", params.timestamp.to_string())
                .args(["-A", "arm", "-O", "linux", "-T", kind, "-C", "none"])
                .args([
                    "-a",
                    &format!("{:x}", params.load_addr),
                    "-e",
                    &format!("{:x}", params.entry_addr),
                ])
                .args(["-n", &params.name, "-d", &names.join(":"), "ref.uImage"]),
        );
        let reference = fs::read(dir.path().join("ref.uImage")).unwrap();
        let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let ours = uimage::pack_components(&params, &slices).unwrap();
        assert_eq!(
            ours,
            reference,
            "case {index}: {kind}, sizes {:?}",
            sizes(&parts)
        );

        let (header, data) = uimage::parse(&reference).unwrap();
        assert_eq!(header.params, params);
        assert_eq!(uimage::components(data).unwrap(), slices, "case {index}");

        fs::write(dir.path().join("ours.uImage"), &ours).unwrap();
        let listing = run_ok(
            Command::new(&dumpimage)
                .current_dir(dir.path())
                .args(["-l", "ours.uImage"]),
        );
        let listing = String::from_utf8_lossy(&listing.stdout);
        for (i, part) in parts.iter().enumerate() {
            assert!(
                listing.contains(&format!("Image {i}: {} Bytes", part.len())),
                "case {index}: {listing}"
            );
        }
    }
}

fn sizes(parts: &[Vec<u8>]) -> Vec<usize> {
    parts.iter().map(Vec::len).collect()
}

#[test]
fn components_of_a_damaged_size_table_are_refused_with_the_offset() {
    // No terminating zero word.
    assert!(matches!(
        uimage::components(&[0, 0, 0, 4, 1, 2, 3, 4]),
        Err(bareproxy_tool::image::ParseError::Truncated { .. })
    ));
    // The table promises more than the data holds: the second part would end past it.
    let data = [0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 9, 0, 0, 0, 1, 2];
    let error = uimage::components(&data).unwrap_err();
    assert!(error.to_string().contains("0x50"), "{error}");
    // An empty table (mkimage never writes one).
    assert!(uimage::components(&[0, 0, 0, 0]).is_err());
    // Packing refuses what mkimage refuses: no part, an empty part, and a single-file type.
    let params = UImageParams {
        image_type: uimage::code_by_name(uimage::COMPONENT_TYPES, "script").unwrap(),
        ..UImageParams::arm_linux_kernel(0, 0, "s", 0)
    };
    assert!(uimage::pack_components(&params, &[]).is_err());
    assert!(uimage::pack_components(&params, &[b"x", b""]).is_err());
    let kernel = UImageParams::arm_linux_kernel(0, 0, "k", 0);
    assert!(uimage::pack_components(&kernel, &[b"x"]).is_err());
    assert!(uimage::pack(&params, b"echo\n").is_err());
}

#[test]
fn cli_packs_a_script_like_mkimage_and_extracts_each_part() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("boot.txt"),
        "echo bareproxy\nbootm 0x2000000\n",
    )
    .unwrap();
    fs::write(dir.path().join("extra.bin"), [1u8, 2, 3, 4, 5]).unwrap();
    run_ok(
        Command::new(uboot_tool("mkimage"))
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["-A", "arm", "-O", "linux", "-T", "script", "-C", "none"])
            .args([
                "-a",
                "0",
                "-e",
                "0",
                "-n",
                "install",
                "-d",
                "boot.txt:extra.bin",
            ])
            .arg("ref.scr"),
    );
    run_ok(
        bareproxy()
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["uimage", "pack", "-T", "script", "-a", "0", "-n", "install"])
            .args(["-d", "boot.txt:extra.bin", "-o", "ours.scr"]),
    );
    assert_eq!(
        fs::read(dir.path().join("ours.scr")).unwrap(),
        fs::read(dir.path().join("ref.scr")).unwrap()
    );
    let info = run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["uimage", "info", "ours.scr"]),
    );
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("part 0      31 bytes"), "{info}");
    assert!(info.contains("part 1      5 bytes"), "{info}");
    run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["uimage", "extract", "ours.scr", "--part", "1", "-o", "p1"]),
    );
    assert_eq!(fs::read(dir.path().join("p1")).unwrap(), [1, 2, 3, 4, 5]);
    // Without --part, a multi-part image gives its first part, as `dumpimage -p 0`.
    run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["uimage", "extract", "ours.scr", "-o", "p0"]),
    );
    assert_eq!(
        fs::read(dir.path().join("p0")).unwrap(),
        b"echo bareproxy\nbootm 0x2000000\n"
    );
    let out = bareproxy()
        .current_dir(dir.path())
        .args(["uimage", "extract", "ours.scr", "--part", "2", "-o", "p2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has 2 parts"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
