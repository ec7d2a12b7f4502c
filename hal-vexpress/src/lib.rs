//! Drivers for the peripherals of QEMU's `vexpress-a9` machine (Arm Versatile Express with a
//! Cortex-A9 daughterboard). This is the board the whole firmware runs on end to end in tests.
//!
//! Every driver here is plain register access (tock-registers) with no dependency on the kernel,
//! so the same code is unit-tested on the host against fake register blocks.
//!
//! | module | device | where on vexpress-a9 |
//! |---|---|---|
//! | [`pl011`] | PL011 UART (console) | 0x1000_9000, GIC ID 37 |
//! | [`gic`] | A9 MPCore GIC | 0x1E00_1000 / 0x1E00_0100 |
//! | [`a9_timers`] | A9 global + private timers | 0x1E00_0200 / 0x1E00_0600, ID 29 |
//! | [`sysreg`] | V2M system registers | 0x1000_0000 |
//! | [`lan9118`] | SMSC LAN9118 Ethernet | 0x4E00_0000, GIC ID 47 |
#![cfg_attr(not(test), no_std)]

pub mod a9_timers;
pub mod gic;
pub mod lan9118;
pub mod pl011;
pub mod sysreg;
