//! The bareproxy kernel.
#![cfg_attr(not(test), no_std)]
