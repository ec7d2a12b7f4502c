//! Stamps the build with the git revision (shown in the boot banner) and emits the
//! `arm_architecture` cfgs that select the ARMv7-A or ARMv5TE code paths.

use std::process::Command;

fn main() {
    arm_targets::process();
    let revision = Command::new("git")
        .args(["describe", "--always", "--abbrev=10"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BAREPROXY_GIT_REVISION={revision}");
    // Rebuild when the commit changes: HEAD, and the branch file HEAD points to. (Watching the
    // index would rebuild the firmware on every `git add`.)
    println!("cargo:rerun-if-changed=../.git/HEAD");
    let head = std::fs::read_to_string("../.git/HEAD").unwrap_or_default();
    if let Some(reference) = head.trim().strip_prefix("ref: ") {
        println!("cargo:rerun-if-changed=../.git/{reference}");
    }
}
