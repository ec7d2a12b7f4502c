//! Drivers for the peripherals of QEMU's `vexpress-a9` machine (Arm Versatile Express with a
//! Cortex-A9 daughterboard). This is the board the whole firmware runs on end to end in tests.
//!
//! Every driver here is plain register access (tock-registers) with no dependency on the kernel,
//! so the same code is unit-tested on the host against fake register blocks.
#![cfg_attr(not(test), no_std)]

pub mod lan9118;
