//! bareproxy's hardware interface layer: what the kernel and the application need from hardware,
//! and the one way every driver reaches its registers.
//!
//! Chip and driver crates implement these traits directly (Tock's HIL split: the seams live
//! outside the kernel, so a driver needs no forwarding wrapper in the board); the kernel and the
//! application only ever see the traits.
//!
//! # Where things are
//!
//! | module | concern |
//! |---|---|
//! | [`mmio`] | [`mmio::Bus`] (32-bit register access by offset), [`mmio::Mmio`] (the one owned MMIO handle), [`mmio::RegDef`]/[`mmio::Reg`] (tock-registers fields over a bus), [`mmio::poll_until`] |
//! | [`platform`] | [`Console`], [`Clock`], [`TickTimer`], [`InterruptController`], [`Power`], [`Watchdog`], [`Idle`]: what the kernel runs on |
//! | [`take_once`] | [`take_once::TakeOnce`], the guard of every chip's `Peripherals::take()` |
//! | [`mdio`] | [`mdio::Mdio`], clause-22 management access to PHYs, and [`mdio::MdioError`] |
//!
//! Every trait here takes `&self` and is `Sync`: the kernel calls them from the main loop and
//! from interrupt context. A driver whose operation is several register accesses that must not
//! interleave (a read-modify-write, an MDIO handshake) takes a critical section around them; a
//! single 32-bit volatile access is atomic with respect to an interrupt on these single-core
//! CPUs.
#![no_std]

pub mod mdio;
pub mod mmio;
pub mod platform;
pub mod take_once;

pub use platform::{
    Clock, Console, Idle, InterruptController, IrqNumber, Power, TickTimer, Watchdog,
};
