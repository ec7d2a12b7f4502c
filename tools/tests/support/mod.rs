//! Test doubles for the recovery commands: a simulated BootROM on a pty ([`bootrom`]), a
//! simulated NSLU2 RedBoot in a network namespace ([`nslu2`]), and a child-process guard.
#![allow(dead_code)] // Each test binary uses a different subset.

pub mod bootrom;
pub mod nslu2;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` with stdout/stderr captured, killing it (by its PID, via `Child::kill`) if it has
/// not finished after `limit`. Returns the output and whether it was killed.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> (Output, bool) {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut guard = ChildGuard(Some(child));
    let deadline = Instant::now() + limit;
    let mut killed = false;
    loop {
        let child = guard.0.as_mut().expect("child present");
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let child = guard.0.take().expect("child present");
    (child.wait_with_output().expect("collect output"), killed)
}

/// Kills the child by PID if the test panics before it was collected.
pub struct ChildGuard(pub Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
