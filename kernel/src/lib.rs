//! The bareproxy kernel: everything between the reset vector and the network stack.
//!
//! # Where things are
//!
//! | module | concern |
//! |---|---|
//! | [`board`] | the traits and the [`board::Platform`] description a board crate provides |
//! | [`bootinfo`] | DTB / ATAG / default boot information, the command line |
//! | `arch` | ARMv7-A and ARMv5TE specifics: start-up, MMU and caches, idle, CPU id |
//! | [`console`] | plain-text console output and the wire format shared with defmt frames |
//! | `log` | the defmt global logger (target only) |
//! | [`time`] | monotonic time (narrow counters extended to 64 bits once, here) and the tick |
//! | [`irq`] | interrupt dispatch |
//! | [`mem`] | the physical memory map and the heap |
//! | `kernel` | boot sequence, banner, self-tests, the idle loop |
//!
//! Only `board`, `bootinfo`, `console`, `time`, `irq` and `mem` build on the host, where their
//! unit tests run; the rest is ARM-only. The application (network service, proxy, configuration
//! slot, main loop) is the `app` crate, which uses only the host-buildable part.
#![cfg_attr(not(test), no_std)]

#[cfg(target_arch = "arm")]
extern crate alloc;

pub mod board;
pub mod bootinfo;
pub mod console;
pub mod irq;
pub mod mem;
pub mod time;

#[cfg(target_arch = "arm")]
mod arch;
#[cfg(target_arch = "arm")]
mod kernel;
#[cfg(target_arch = "arm")]
mod log;
#[cfg(target_arch = "arm")]
mod panic;

#[cfg(target_arch = "arm")]
pub use kernel::{ExceptionKind, Kernel, boot, halt, handle_exception, handle_irq, heap_usage};

/// The firmware version, as Cargo knows it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git revision the firmware was built from.
pub const GIT_REVISION: &str = env!("BAREPROXY_GIT_REVISION");

/// Defines the board's IRQ and synchronous-exception entry points (aarch32-rt attributes),
/// forwarding to [`handle_irq`] and [`handle_exception`]. Every board crate invokes it once.
/// (aarch32-rt's attribute re-creates the handler's signature with a parameter named `addr`,
/// so that is the name the bodies must use.)
#[cfg(target_arch = "arm")]
#[macro_export]
macro_rules! exception_entries {
    () => {
        #[::aarch32_rt::irq]
        fn bareproxy_irq() {
            $crate::handle_irq();
        }

        #[::aarch32_rt::exception(Undefined)]
        fn bareproxy_undefined(addr: usize) -> ! {
            $crate::handle_exception($crate::ExceptionKind::Undefined, addr)
        }

        #[::aarch32_rt::exception(PrefetchAbort)]
        fn bareproxy_prefetch_abort(addr: usize) -> ! {
            $crate::handle_exception($crate::ExceptionKind::PrefetchAbort, addr)
        }

        #[::aarch32_rt::exception(DataAbort)]
        fn bareproxy_data_abort(addr: usize) -> ! {
            $crate::handle_exception($crate::ExceptionKind::DataAbort, addr)
        }
    };
}
