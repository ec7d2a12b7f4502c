//! The portable proxy engine. It knows nothing of the board or the NIC, so it builds and is tested
//! on the host as well as in the firmware.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod config;
pub mod engine;
pub mod http;
