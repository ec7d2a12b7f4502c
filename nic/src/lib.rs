//! The one narrow interface between bareproxy's Ethernet drivers and its network stack.
//!
//! Every Ethernet driver (`lan9118` for QEMU vexpress-a9, `armada370`'s mvneta on the Armada 370,
//! `ixp4xx`'s NPE-B port on the IXP420) implements [`Nic`]. The
//! firmware wraps whichever one the board has in [`SmoltcpDevice`] and hands that to smoltcp, so
//! neither the stack nor the proxy knows which NIC it runs on. The idea is embassy-net-driver's,
//! without async and without allocation.
//!
//! Where things are:
//! - [`Nic`] (this file): the trait, and [`TxError`].
//! - [`link`]: [`MacAddress`], [`LinkState`], [`Speed`], [`Duplex`].
//! - [`capabilities`]: [`Capabilities`] (frame size, burst, checksum offload).
//! - [`events`]: [`Events`], what an interrupt reported.
//! - [`stats`]: [`NicStats`] with the error breakdown.
//! - [`dma`]: [`dma::DmaMemory`], bus addresses and cache maintenance for DMA-ring drivers.
//! - [`smoltcp_device`] (feature `smoltcp`, default): [`SmoltcpDevice`], the adapter.
//! - [`loopback`] (feature `loopback`, default): two NICs joined back to back, for tests.
//!
//! # Contract in one paragraph
//! Frames cross the trait as Ethernet header plus payload, never with the FCS (drivers strip it on
//! receive; hardware appends it on transmit). Receive and transmit are closure based and never
//! block: [`Nic::receive`] lends the frame where it already lies (FIFO copy buffer, DMA buffer) for
//! the duration of the closure, and [`Nic::transmit`] lends a buffer of exactly the requested
//! length that the hardware sends once the closure returns. Bad frames are the driver's business:
//! it drops them, counts them in [`NicStats`], and never panics on what the wire delivers.
//!
//! # Implementing `Nic` for a DMA-ring NIC (mvneta, IXP4xx NPE)
//! - `rx_ready`: look at the next RX descriptor (mvneta: RXQ_STATUS occupied count; NPE: the
//!   RX queue-manager queue); skip and recycle descriptors with error or non-F|L status,
//!   counting them.
//! - `receive`: invalidate the buffer's cache lines if memory is cached, lend
//!   `&buf[..data_size - FCS]` to the closure, then hand the descriptor straight back to the
//!   hardware (the same buffer, as U-Boot's mvneta does). Zero copy.
//! - `transmit`: take the next free TX descriptor's buffer, let the closure fill it, clean the
//!   cache, publish the descriptor (mvneta TXQ_UPDATE; NPE: put it on the TX queue).
//!   `WouldBlock` when no descriptor is free.
//! - `on_interrupt`: acknowledge causes, reap sent descriptors (`tx_done`), fold MIB counters
//!   into [`NicStats`].
//! - `capabilities`: `max_burst` = RX ring size; mvneta can declare IPv4/TCP/UDP checksum
//!   offload ([`Offload::Rx`] when the driver drops frames the hardware flagged).
#![no_std]

pub mod capabilities;
pub mod dma;
pub mod events;
pub mod link;
#[cfg(feature = "loopback")]
pub mod loopback;
#[cfg(feature = "smoltcp")]
pub mod smoltcp_device;
pub mod stats;

pub use capabilities::{Capabilities, ChecksumOffload, Offload};
pub use events::Events;
pub use link::{Duplex, LinkState, MacAddress, Speed};
#[cfg(feature = "smoltcp")]
pub use smoltcp_device::SmoltcpDevice;
pub use stats::{NicStats, RxErrors, TxErrors};

/// Shortest frame a driver accepts for transmission or delivers on receive: one Ethernet header.
pub const MIN_FRAME_LEN: usize = 14;

/// Why [`Nic::transmit`] did not take a frame. In both cases the closure was not called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxError {
    /// The hardware has no room right now (FIFO or ring full). Retry after a `tx_done` event or
    /// on the next poll; nothing was counted as dropped.
    WouldBlock,
    /// `len` is below [`MIN_FRAME_LEN`] or above [`Capabilities::max_frame_len`].
    InvalidLength,
}

/// An Ethernet controller as the network stack sees it.
///
/// All methods are non-blocking: a driver may spin only on bounded hardware handshakes (MDIO,
/// indirect register ports), never waiting for traffic. The trait is not object safe on purpose
/// (the closures are generic), so calls are static and the closures inline into the driver.
pub trait Nic {
    /// The station address the hardware filters unicast frames on.
    fn mac_address(&self) -> MacAddress;

    /// Current link state. May talk to the PHY over MDIO, hence `&mut`.
    fn link_state(&mut self) -> LinkState;

    /// What the hardware can do; constant after construction.
    fn capabilities(&self) -> Capabilities;

    /// Whether [`receive`](Self::receive) will deliver a frame now.
    ///
    /// Drivers skip (drop and count) bad frames here, so `true` is a promise that the next
    /// `receive` calls its closure.
    fn rx_ready(&mut self) -> bool;

    /// Lends the next good received frame (header and payload, FCS stripped) to `f` and returns
    /// its result, or `None` when no frame is waiting. The frame is released when `f` returns.
    fn receive<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R>;

    /// Whether [`transmit`](Self::transmit) of a frame of up to
    /// [`Capabilities::max_frame_len`] bytes would be accepted now.
    fn tx_ready(&mut self) -> bool;

    /// Queues one frame of `len` bytes (header and payload, no FCS; the hardware pads runts to
    /// the Ethernet minimum and appends the FCS). `f` fills the driver-provided buffer of exactly
    /// `len` bytes; the frame is handed to the hardware when `f` returns.
    fn transmit<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, TxError>;

    /// Services the interrupt: reads and acknowledges the causes, drains completion status,
    /// does error recovery, and says what happened so the caller knows whether to poll the stack.
    /// Also safe to call without an interrupt (polled mode): it then reports pending work.
    fn on_interrupt(&mut self) -> Events;

    /// Enables or disables the NIC's interrupt output. The driver configures the line's
    /// electrical mode itself, so the caller only has to unmask it in its interrupt controller
    /// *after* enabling it here.
    fn set_interrupts_enabled(&mut self, enabled: bool);

    /// Counters since construction. `&mut` because some NICs keep clear-on-read hardware
    /// counters that the driver folds in here.
    fn stats(&mut self) -> NicStats;
}
