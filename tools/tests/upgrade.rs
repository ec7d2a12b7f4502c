//! `bareproxy upgrade` end to end against a simulated NSLU2 on a veth pair between two network
//! namespaces created here (needs root and `ip` from iproute2; CI runs as root). Where
//! `ip netns add` is refused, each test prints why and skips.

mod common;
mod support;

use std::process::Output;
use std::time::Duration;

use bareproxy_tool::image::nslu2;
use common::Rng;
use support::nslu2::{BOX_MAC, BoxState, FLASH_SIZE, Faults, SimBox, VethPair, initial_flash};
use support::run_bounded;

const LIMIT: Duration = Duration::from_secs(300);
const BOX: &str = "00:0f:66:12:34:56";

/// The namespace pair, or `None` (after printing why) where namespaces are unavailable.
fn veth_pair(test: &str) -> Option<VethPair> {
    match VethPair::create() {
        Ok(pair) => Some(pair),
        Err(why) => {
            eprintln!("SKIPPED {test}: network namespaces unavailable here ({why})");
            None
        }
    }
}

/// Runs `bareproxy upgrade <args> -d host0` inside the host namespace.
fn upgrade(pair: &VethPair, args: &[&str]) -> Output {
    let mut cmd = pair.host_command(env!("CARGO_BIN_EXE_bareproxy"));
    cmd.arg("upgrade").args(args).args(["-d", "host0"]);
    let (out, killed) = run_bounded(&mut cmd, LIMIT);
    assert!(
        !killed,
        "bareproxy upgrade {args:?} did not finish within {LIMIT:?}"
    );
    out
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A flash image like `bareproxy nslu2 pack` makes: kernel, ramdisk with long erased (0xFF)
/// stretches that the upload skips, and short ones it must send.
fn test_image(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let kernel = rng.bytes(700_000);
    let mut ramdisk = rng.bytes(2_500_000);
    ramdisk[100_000..400_000].fill(0xFF);
    ramdisk[500_001..500_021].fill(0xFF);
    nslu2::pack(&nslu2::FlashContents {
        kernel,
        ramdisk,
        ..nslu2::FlashContents::default()
    })
    .unwrap()
}

/// Byte-exact: 0x60000.. is the image, 0..0x60000 (RedBoot, SysConf) is what the box had.
fn assert_flashed(state: &BoxState, image: &[u8], before: &[u8]) {
    assert_eq!(state.flash.len(), FLASH_SIZE);
    assert!(
        state.flash[..0x6_0000] == before[..0x6_0000],
        "RedBoot/SysConf must not be touched"
    );
    if let Some(at) = (0x6_0000..FLASH_SIZE).find(|&i| state.flash[i] != image[i]) {
        panic!(
            "flash differs from the image at {at:#x}: {:02x?} vs {:02x?}",
            &state.flash[at..(at + 8).min(FLASH_SIZE)],
            &image[at..(at + 8).min(FLASH_SIZE)]
        );
    }
}

#[test]
fn flash_over_a_lossy_reordering_link_is_byte_exact() {
    let Some(pair) = veth_pair("flash_over_a_lossy_reordering_link_is_byte_exact") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let image = test_image(1);
    let path = dir.path().join("flash.bin");
    std::fs::write(&path, &image).unwrap();
    let before = initial_flash(7);
    let sim = SimBox::start(
        &pair,
        Faults {
            drop_requests: 2,
            drop_replies: 2,
            reorder_replies: 2,
            erase_delay: Duration::from_millis(1500),
            seed: 3,
            ..Faults::default()
        },
        before.clone(),
    );
    let out = upgrade(
        &pair,
        &[
            "flash",
            "--image",
            path.to_str().unwrap(),
            "--resend-ms",
            "10",
            "--timeout",
            "30",
        ],
    );
    let state = sim.finish();
    assert!(out.status.success(), "{}", text(&out));
    assert_flashed(&state, &image, &before);
    assert_eq!(state.erases, 1, "erase exactly once");
    assert!(state.rebooted, "the box must be rebooted at the end");
    assert!(state.verify_packets > 0, "verify pass ran");
    assert!(
        state.duplicates > 0,
        "losses/slow erase must have caused resends"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("flashing Linksys NSLU2 at 00:0f:66:12:34:56"),
        "{stderr}"
    );
}

#[test]
fn kernel_only_flash_writes_the_kernel_partition_and_trailer() {
    let Some(pair) = veth_pair("kernel_only_flash_writes_the_kernel_partition_and_trailer") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let kernel = Rng::new(5).bytes(300_001);
    let path = dir.path().join("kernel.bin");
    std::fs::write(&path, &kernel).unwrap();
    let before = initial_flash(8);
    let sim = SimBox::start(&pair, Faults::default(), before.clone());
    let out = upgrade(
        &pair,
        &[
            "flash",
            "--kernel",
            path.to_str().unwrap(),
            "--target",
            BOX,
            "--no-reboot",
        ],
    );
    let state = sim.finish();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!state.rebooted);
    // Independent of the image builder: the Sercomm header (BE length), the kernel, the
    // flash trailer signature RedBoot checks before booting.
    assert_eq!(
        &state.flash[0x6_0000..0x6_0004],
        &(kernel.len() as u32).to_be_bytes()
    );
    assert_eq!(&state.flash[0x6_0010..0x6_0010 + kernel.len()], &kernel[..]);
    assert_eq!(&state.flash[0x7F_FFF8..0x7F_FFFE], b"eRcOmM");
    let expected = nslu2::pack(&nslu2::FlashContents {
        kernel,
        ..nslu2::FlashContents::default()
    })
    .unwrap();
    assert_flashed(&state, &expected, &before);
}

#[test]
fn discover_and_info_show_the_box() {
    let Some(pair) = veth_pair("discover_and_info_show_the_box") else {
        return;
    };
    let sim = SimBox::start(&pair, Faults::default(), initial_flash(9));
    let discover = upgrade(&pair, &["discover", "--discover-ms", "500"]);
    let info = upgrade(&pair, &["info", "--target", BOX, "--discover-ms", "500"]);
    let state = sim.finish();
    assert!(discover.status.success(), "{}", text(&discover));
    let listed = String::from_utf8_lossy(&discover.stdout);
    assert!(
        listed.contains("00:0f:66:12:34:56  Linksys NSLU2  firmware 0x2329"),
        "{listed}"
    );
    assert_eq!(listed.lines().count(), 1, "one box, listed once: {listed}");
    assert!(info.status.success(), "{}", text(&info));
    let shown = String::from_utf8_lossy(&info.stdout);
    for expected in [
        "model            Linksys NSLU2",
        "product id       1",
        "R23V29",
        "04 70 31 95 58 10",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    assert!(state.hardware_info_requests >= 2);
    assert_eq!(state.erases, 0, "discovery must not touch the flash");
    assert_eq!(BOX_MAC[0..3], [0x00, 0x0F, 0x66]);
}

#[test]
fn a_box_that_stops_answering_gives_a_clear_error() {
    let Some(pair) = veth_pair("a_box_that_stops_answering_gives_a_clear_error") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flash.bin");
    std::fs::write(&path, test_image(2)).unwrap();
    let sim = SimBox::start(
        &pair,
        Faults {
            die_after_data: Some(40),
            ..Faults::default()
        },
        initial_flash(10),
    );
    let out = upgrade(
        &pair,
        &[
            "flash",
            "--image",
            path.to_str().unwrap(),
            "--resend-ms",
            "10",
            "--timeout",
            "2",
        ],
    );
    let state = sim.finish();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no answer from 00:0f:66:12:34:56 to programming"),
        "{stderr}"
    );
    assert!(stderr.contains("run the flash again"), "{stderr}");
    assert_eq!(state.data_programmed, 40);
    assert!(!state.rebooted);
}

#[test]
fn no_box_in_upgrade_mode_is_reported() {
    let Some(pair) = veth_pair("no_box_in_upgrade_mode_is_reported") else {
        return;
    };
    // No simulator running: nothing answers on the link.
    let out = upgrade(&pair, &["reboot", "--discover-ms", "300"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no box in upgrade mode answered on host0"),
        "{}",
        text(&out)
    );
}

#[test]
fn without_root_the_tool_says_so() {
    // Drop root for the child with setpriv (util-linux); nothing else needed.
    let (out, killed) = run_bounded(
        std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(env!("CARGO_BIN_EXE_bareproxy"))
            .args(["upgrade", "discover", "-d", "lo"]),
        LIMIT,
    );
    assert!(!killed);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs root (raw Ethernet): run with sudo"),
        "{}",
        text(&out)
    );
}
