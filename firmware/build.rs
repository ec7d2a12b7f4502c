//! Stamps the build with the git revision (shown in the boot banner) and emits the
//! `arm_architecture` cfgs that select the ARMv7-A or ARMv5TE code paths.

use std::process::Command;

fn main() {
    arm_targets::process();
    let revision = Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=10"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BAREPROXY_GIT_REVISION={revision}");
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/index");
}
