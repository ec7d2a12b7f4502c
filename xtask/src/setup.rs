//! What the build and the tests need from the machine, checked (and installed when we are root
//! on Debian) so that a fresh machine needs nothing but rustup.

use std::process::Command;

use anyhow::{Result, bail};

/// (command that must exist, Debian package providing it).
const TOOLS: &[(&str, &str)] = &[
    ("qemu-system-arm", "qemu-system-arm"),
    ("dtc", "device-tree-compiler"),
    ("mkimage", "u-boot-tools"),
    ("dumpimage", "u-boot-tools"),
    ("kwboot", "u-boot-tools"),
    ("ip", "iproute2"),
];

fn have(command: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {command} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Makes sure the Debian packages and rustup components are present.
pub fn ensure() -> Result<()> {
    let mut packages: Vec<&str> = TOOLS
        .iter()
        .filter(|(cmd, _)| !have(cmd))
        .map(|(_, pkg)| *pkg)
        .collect();
    packages.dedup();
    if !packages.is_empty() {
        let install = format!(
            "apt-get install -y --no-install-recommends {}",
            packages.join(" ")
        );
        if !is_root() {
            bail!("missing system packages; run:\n    sudo apt-get update && sudo {install}");
        }
        println!("== installing {}", packages.join(" "));
        crate::run(
            Command::new("apt-get")
                .args(["update", "-qq"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
        crate::run(
            Command::new("sh")
                .args(["-c", &install])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    // rust-toolchain.toml names the components; this installs any a partial toolchain lacks.
    let components = ["rust-src", "clippy", "rustfmt", "llvm-tools"];
    let listed = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .current_dir(crate::root())
        .output()?;
    let installed = String::from_utf8_lossy(&listed.stdout).into_owned();
    for component in components {
        if !installed.lines().any(|line| line.starts_with(component)) {
            crate::run(
                Command::new("rustup")
                    .args(["component", "add", component])
                    .current_dir(crate::root()),
            )?;
        }
    }
    Ok(())
}
