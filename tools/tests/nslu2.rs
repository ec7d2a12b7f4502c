//! NSLU2 flash image: layout facts from slugimage/RedBoot, round trips, refusals, and the CLI.

mod common;

use std::fs;

use bareproxy_tool::image::nslu2::{self, FlashContents, PackError};
use common::{Rng, bareproxy, run_ok};

fn be32(image: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes(image[offset..offset + 4].try_into().unwrap())
}

/// A stand-in for a user's own flash dump: random RedBoot (with a MAC) and SysConf bytes.
fn stock_like_image(rng: &mut Rng) -> Vec<u8> {
    let mut redboot = rng.bytes(nslu2::REDBOOT.size);
    redboot[nslu2::MAC_OFFSET..nslu2::MAC_OFFSET + 6]
        .copy_from_slice(&[0x00, 0x0f, 0x66, 0x12, 0x34, 0x56]);
    nslu2::pack(&FlashContents {
        redboot: Some(redboot),
        sysconf: Some(rng.bytes(nslu2::SYSCONF.size)),
        kernel: rng.bytes(900_000),
        ramdisk: rng.bytes(2_000_000),
        trailer: Some(*b"\x00\x01\x00\x00\x23\x29\x90\xf7eRcOmM\x00\xff"),
        ..FlashContents::default()
    })
    .unwrap()
}

#[test]
fn layout_matches_slugimage_and_redboot() {
    let image = nslu2::pack(&FlashContents {
        kernel: vec![0xAB; 1000],
        microcode: Some(vec![0xCD; 100]),
        config: Some(b"frontend web\n  bind :80\n".to_vec()),
        mac: Some([2, 0, 0, 0, 0, 1]),
        ..FlashContents::default()
    })
    .unwrap();
    assert_eq!(image.len(), 8 * 1024 * 1024);
    // Kernel: BE32 length, 12 zero bytes, data, erased padding.
    assert_eq!(be32(&image, 0x60000), 1000);
    assert_eq!(&image[0x60004..0x60010], &[0; 12]);
    assert_eq!(image[0x60010], 0xAB);
    assert_eq!(image[0x60010 + 1000], 0xFF);
    // Ramdisk header valid although empty: length 0, not erased.
    assert_eq!(&image[0x160000..0x160010], &[0; 16]);
    // FIS directory: RedBoot first, absolute big-endian addresses, 0xFF after the 5 entries.
    assert_eq!(&image[0x7E0000..0x7E0008], b"RedBoot\0");
    assert_eq!(be32(&image, 0x7E0010), 0x5000_0000);
    assert_eq!(&image[0x7E0200..0x7E0207], b"Kernel\0");
    assert_eq!(be32(&image, 0x7E0210), 0x5006_0000);
    assert_eq!(&image[0x7E0400..0x7E040E], b"FIS directory\0");
    assert_eq!(image[0x7E0500], 0xFF);
    // Microcode and config slots with their headers, the trailer with RedBoot's signature.
    assert_eq!(be32(&image, 0x7FC000), 100);
    assert_eq!(be32(&image, 0x7F8000), 24);
    assert_eq!(&image[0x7FFFF8..0x7FFFFE], b"eRcOmM");
    // Invented RedBoot: zeros, our MAC, the Sercomm trailer.
    assert_eq!(&image[0x3FFB0..0x3FFB6], &[2, 0, 0, 0, 0, 1]);
    assert_eq!(&image[0x3FFBA..0x3FFC1], b"sErCoMm");
    assert!(image[..0x3FFB0].iter().all(|&b| b == 0));
}

#[test]
fn unpack_then_pack_reproduces_images_we_made() {
    let mut rng = Rng::new(42);
    for round in 0..6 {
        let contents = FlashContents {
            redboot: rng.chance(50).then(|| rng.bytes(nslu2::REDBOOT.size)),
            sysconf: rng.chance(50).then(|| rng.bytes_in(0, 0x20000)),
            kernel: rng.bytes_in(0, nslu2::KERNEL_MAX),
            ramdisk: rng.bytes_in(0, 300_000),
            microcode: rng.chance(50).then(|| rng.bytes_in(1, 0x2FF0)),
            config: rng.chance(50).then(|| rng.bytes_in(0, 0x3FF0)),
            trailer: None,
            mac: rng.chance(50).then_some([1, 2, 3, 4, 5, round]),
        };
        let image = nslu2::pack(&contents).unwrap();
        let unpacked = nslu2::unpack(&image).unwrap();
        assert_eq!(unpacked.contents.kernel, contents.kernel);
        assert_eq!(unpacked.contents.microcode, contents.microcode);
        assert_eq!(unpacked.fis.as_ref().map(Vec::len), Some(5));
        assert_eq!(
            nslu2::pack(&unpacked.contents).unwrap(),
            image,
            "round {round}"
        );
    }
}

#[test]
fn repack_keeps_the_users_redboot_sysconf_and_mac() {
    let mut rng = Rng::new(1);
    let stock = stock_like_image(&mut rng);
    let firmware = rng.bytes(300_000);
    let new = nslu2::repack(&stock, &firmware, Some(b"listen :80")).unwrap();
    assert_eq!(&new[..0x60000], &stock[..0x60000]);
    assert_eq!(&new[0x7FFFF0..], &stock[0x7FFFF0..]);
    let unpacked = nslu2::unpack(&new).unwrap();
    assert_eq!(unpacked.mac, [0x00, 0x0f, 0x66, 0x12, 0x34, 0x56]);
    assert_eq!(unpacked.contents.kernel, firmware);
    assert_eq!(
        unpacked.contents.config.as_deref(),
        Some(b"listen :80".as_slice())
    );
}

#[test]
fn parts_that_do_not_fit_are_refused() {
    let too_big = |c: FlashContents| nslu2::pack(&c).unwrap_err();
    assert!(matches!(
        too_big(FlashContents {
            kernel: vec![0; nslu2::KERNEL_MAX + 1],
            ..Default::default()
        }),
        PackError::TooLarge {
            part: "Kernel",
            max: 0xFFFF0,
            ..
        }
    ));
    assert!(matches!(
        too_big(FlashContents {
            microcode: Some(vec![0; 0x2FF1]),
            ..Default::default()
        }),
        PackError::TooLarge {
            part: "Microcode",
            ..
        }
    ));
    assert_eq!(
        too_big(FlashContents {
            redboot: Some(vec![0; 100]),
            ..Default::default()
        }),
        PackError::RedBootSize(100)
    );
    assert!(
        nslu2::unpack(&[0xFF; 4096])
            .unwrap_err()
            .to_string()
            .contains("8 MiB")
    );
    let mut image = nslu2::pack(&FlashContents::default()).unwrap();
    image[0x60000..0x60004].copy_from_slice(&0x0020_0000u32.to_be_bytes());
    let error = nslu2::unpack(&image).unwrap_err().to_string();
    assert!(error.contains("0x60000"), "{error}");
}

#[test]
fn cli_unpack_and_pack_round_trip_and_info_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(9);
    let stock = stock_like_image(&mut rng);
    fs::write(dir.path().join("stock.bin"), &stock).unwrap();
    fs::write(dir.path().join("fw.bin"), rng.bytes(200_000)).unwrap();
    fs::write(dir.path().join("NPE-B"), rng.bytes(8000)).unwrap();

    run_ok(bareproxy().current_dir(dir.path()).args([
        "nslu2",
        "pack",
        "--base",
        "stock.bin",
        "--kernel",
        "fw.bin",
        "--microcode",
        "NPE-B",
        "-o",
        "new.bin",
    ]));
    run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["nslu2", "unpack", "new.bin", "-o", "parts"]),
    );
    run_ok(bareproxy().current_dir(dir.path()).args([
        "nslu2",
        "pack",
        "--dir",
        "parts",
        "-o",
        "again.bin",
    ]));
    let new = fs::read(dir.path().join("new.bin")).unwrap();
    assert_eq!(fs::read(dir.path().join("again.bin")).unwrap(), new);
    assert_eq!(&new[..0x60000], &stock[..0x60000]);

    let info = run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["nslu2", "info", "new.bin"]),
    );
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("00:0f:66:12:34:56"), "{text}");

    // Without the user's RedBoot the MAC is unset: RedBoot would wait in assign mode.
    run_ok(
        bareproxy()
            .current_dir(dir.path())
            .args(["nslu2", "pack", "--kernel", "fw.bin", "-o", "bare.bin"]),
    );
    let out = bareproxy()
        .current_dir(dir.path())
        .args(["nslu2", "info", "bare.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));

    // A kernel that does not fit is an error (exit 1) naming the limit.
    fs::write(dir.path().join("huge.bin"), vec![0u8; 0x100000]).unwrap();
    let out = bareproxy()
        .current_dir(dir.path())
        .args(["nslu2", "kernel", "-k", "huge.bin", "-o", "k.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0xffff0"));
}
