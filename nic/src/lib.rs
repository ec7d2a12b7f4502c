//! The NIC interface: see README.
#![no_std]
