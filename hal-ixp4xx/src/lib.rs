//! Chip support; see README.
#![no_std]
