//! Boots the vexpress-a9 firmware under QEMU and checks what the kernel core does: the banner,
//! RAM taken from the device tree, the tick rate against two independent counters, a clean
//! power-off, and the panic and fault paths ending in a reset.
//!
//! Needs the images from `cargo xtask build` (`cargo xtask test` builds them first).

use std::time::Duration;

use qemu_tests::{Qemu, QemuConfig, number_after};

/// Generous: QEMU's TCG on a loaded two-core CI machine can be slow to start.
const BOOT: Duration = Duration::from_secs(30);

fn config(append: Option<&str>) -> QemuConfig {
    let mut config = QemuConfig::vexpress_built().expect("vexpress images");
    config.append = append.map(str::to_owned);
    config
}

#[test]
fn banner_reports_version_cpu_and_the_ram_the_device_tree_gives() {
    let mut config = config(None);
    config.memory_mib = 256;
    let qemu = Qemu::spawn(&config).unwrap();
    let text = qemu.wait_for("heap:", BOOT).unwrap();
    assert!(
        text.contains(&format!("bareproxy {} (", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("on vexpress-a9"), "{text}");
    assert!(text.contains("cpu:   ARM Cortex-A9"), "{text}");
    // QEMU rewrites the DTB's /memory (1 GiB in the source) to the -m size: 256 MiB proves the
    // kernel read it from the tree rather than from its 128 MiB default.
    assert!(
        text.contains("ram:   256 MiB at 0x60000000 (from device tree)"),
        "{text}"
    );
    assert!(text.contains("clock: 100.000 MHz, tick 100 Hz"), "{text}");
}

#[test]
fn without_a_device_tree_the_board_defaults_are_used() {
    let mut config = config(None);
    config.dtb = None;
    let qemu = Qemu::spawn(&config).unwrap();
    let text = qemu.wait_for("heap:", BOOT).unwrap();
    assert!(
        text.contains("ram:   128 MiB at 0x60000000 (board default)"),
        "{text}"
    );
}

#[test]
fn tick_rate_matches_the_clock_and_the_independent_24mhz_counter() {
    let mut qemu = Qemu::spawn(&config(Some("selftest=timer,shutdown"))).unwrap();
    let text = qemu.wait_for("(reference)", BOOT).unwrap();
    let ticks = number_after(&text, "selftest: timer ");
    let clock_us = number_after(&text, "ticks in ");
    let reference_us = number_after(&text, "(clock), ");
    assert_eq!(ticks, 50);
    // 50 ticks at 100 Hz are 500 ms. The A9 global timer (the kernel's clock) and the
    // motherboard's SYS_24MHZ counter are separate devices; both must agree with the tick count.
    // QEMU derives all three from its virtual clock, so they agree closely; 2 % allows for the
    // sample edges.
    for measured in [clock_us, reference_us] {
        assert!(
            (490_000..=510_000).contains(&measured),
            "50 ticks took {measured} us:\n{text}"
        );
    }
    assert!(
        clock_us.abs_diff(reference_us) < 5_000,
        "clock {clock_us} us vs reference {reference_us} us"
    );
    assert!(qemu.wait_exit(BOOT).unwrap().success());
}

#[test]
fn shutdown_powers_the_board_off_cleanly() {
    let mut qemu = Qemu::spawn(&config(Some("selftest=shutdown"))).unwrap();
    qemu.wait_for("selftest: shutting down", BOOT).unwrap();
    let status = qemu.wait_exit(BOOT).unwrap();
    assert!(status.success(), "QEMU exit status {status}");
}

#[test]
fn a_panic_prints_its_location_in_plain_text_and_resets() {
    let mut qemu = Qemu::spawn(&config(Some("selftest=panic"))).unwrap();
    let text = qemu.wait_for("resetting", BOOT).unwrap();
    assert!(text.contains("PANIC at kernel/src/kernel.rs:"), "{text}");
    assert!(text.contains("selftest: deliberate panic"), "{text}");
    // Under -no-reboot, the board reset the firmware requested makes QEMU exit.
    qemu.wait_exit(BOOT).unwrap();
}

#[test]
fn a_data_abort_is_reported_with_the_faulting_address_and_resets() {
    let mut qemu = Qemu::spawn(&config(Some("selftest=fault"))).unwrap();
    let text = qemu.wait_for("resetting", BOOT).unwrap();
    assert!(text.contains("EXCEPTION: data abort at pc 0x"), "{text}");
    assert!(text.contains("address 0xfff00000"), "{text}");
    assert!(!text.contains("without a fault"), "{text}");
    qemu.wait_exit(BOOT).unwrap();
}

#[test]
fn idle_firmware_keeps_running_until_killed() {
    let mut qemu = Qemu::spawn(&config(None)).unwrap();
    qemu.wait_for("heap:", BOOT).unwrap();
    assert!(
        qemu.wait_exit(Duration::from_millis(1500)).is_err(),
        "firmware exited on its own"
    );
    // Drop kills QEMU by PID.
}

#[test]
fn defmt_frames_decode_against_the_firmware_elf() {
    use bareproxy_tool::console::{Demux, LineKind, load_table};
    let elf = qemu_tests::image("vexpress", "bareproxy-vexpress.elf").unwrap();
    let table = load_table(&elf)
        .unwrap()
        .expect("the firmware ELF carries a defmt table");
    let qemu = Qemu::spawn(&config(None)).unwrap();
    qemu.wait_for("heap:", BOOT).unwrap();
    // The "kernel up" frame follows the banner; give it a moment to arrive.
    let deadline = std::time::Instant::now() + BOOT;
    let mut demux = Demux::new(Some(table));
    let (mut lines, mut fed) = (Vec::new(), 0);
    loop {
        let bytes = qemu.console_bytes();
        lines.extend(demux.feed(&bytes[fed..]));
        fed = bytes.len();
        let logged = lines.iter().find(|line| {
            matches!(line.kind, LineKind::Log { .. }) && line.text.contains("kernel up")
        });
        if let Some(line) = logged {
            assert!(line.text.contains("100 Hz tick"), "{line}");
            // The text lines survive next to the frames.
            assert!(
                lines
                    .iter()
                    .any(|l| matches!(l.kind, LineKind::Text) && l.text.contains("bareproxy"))
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no decoded 'kernel up' frame in {lines:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
