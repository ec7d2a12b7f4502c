//! `bareproxy check-config` against valid and invalid configurations: the exit code scripts rely
//! on, and an error that names the file, line and keyword.

use std::process::Command;

fn check(text: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("box.cfg");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bareproxy"))
        .arg("check-config")
        .arg(&path)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_demo_configuration_is_valid_and_dumps() {
    let (code, stdout, _) = check(proxy::config::DEMO_CONFIG, &["--dump"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("backend servers"), "{stdout}");
    assert!(
        stdout.contains("valid (2 frontends, 3 backends"),
        "{stdout}"
    );
}

#[test]
fn an_unsupported_keyword_is_exit_code_3_with_file_line_and_keyword() {
    let text = "frontend f\n    bind :80\n    default_backend b\n    tcp-request content accept\nbackend b\n    server s 10.0.0.1:80\n";
    let (code, _, stderr) = check(text, &[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("box.cfg:4:"), "{stderr}");
    assert!(stderr.contains("'tcp-request'"), "{stderr}");
}

#[test]
fn a_hostname_is_refused_because_the_box_has_no_resolver() {
    let text = "backend b\n    server s web.example:80\n";
    let (code, _, stderr) = check(text, &[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("box.cfg:2"), "{stderr}");
}

#[test]
fn config_slot_writes_the_header_the_firmware_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("box.cfg"), dir.path().join("box.slot"));
    std::fs::write(&input, proxy::config::DEMO_CONFIG).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_bareproxy"))
        .arg("config-slot")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success());
    let slot = std::fs::read(&output).unwrap();
    let length = u32::from_be_bytes(slot[..4].try_into().unwrap()) as usize;
    assert_eq!(length, proxy::config::DEMO_CONFIG.len());
    assert!(slot[4..16].iter().all(|&b| b == 0));
    assert_eq!(&slot[16..], proxy::config::DEMO_CONFIG.as_bytes());
    // An invalid configuration writes nothing.
    std::fs::write(&input, "frontend f\n    bogus\n").unwrap();
    std::fs::remove_file(&output).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bareproxy"))
        .arg("config-slot")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'bogus'"));
    assert!(!output.exists());
}
