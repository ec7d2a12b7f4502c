//! The bareproxy application: what runs on top of the kernel, the same on every board.
//!
//! `no_std`, and it builds and runs its tests on the host: it takes only narrow inputs from the
//! kernel (the command line, a seed, heap figures, the `hil::InterruptController` the NIC line
//! is on, an [`kernel::time::Instant`]) and uses only the kernel's host-buildable parts (time,
//! command-line parsing, the console's `kprintln!`, the IRQ table).
//!
//! # Where things are
//!
//! | module | concern |
//! |---|---|
//! | [`service`] | the main loop once: configuration loading, start-up, each turn's work ([`App`]) |
//! | [`network`] | NIC interrupt halves, stack bring-up from the command line, diagnostics |
//! | [`proxy_service`] | the proxy engine on the stack's sockets ([`proxy_service::StackTransport`]) |
//! | [`config_slot`] | the configuration slot format, shared with the host tool |
//! | [`link`] | link-state polling and its console log |
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod config_slot;
pub mod link;
pub mod network;
pub mod proxy_service;
pub mod service;

pub use network::{Network, NetworkError, NetworkInputs};
pub use service::{App, Board, ConfigSource, HeapUsage, load_configuration};
