//! [`Budget`]: how many TCP sockets the stack owns and how big their buffers are, decided once at
//! boot from the free heap.
//!
//! # The formula
//! ```text
//! reserve    = max(free / 4, 1 MiB), at most free    -- left for the proxy and everything else
//! usable     = free - reserve
//! per_socket = rx + tx + SOCKET_OVERHEAD               -- SOCKET_OVERHEAD is measured, not guessed
//! buffers    = the largest B in 16, 8, 4, 2 KiB with usable / (2B + SOCKET_OVERHEAD) >= 512,
//!              else 2 KiB
//! sockets    = min(usable / (2B + SOCKET_OVERHEAD), MAX_SOCKETS)
//! ```
//! A proxied connection costs two sockets (client side and backend side), so the proxy can carry
//! about `sockets / 2` connections, minus its listening backlog.
//!
//! Worked examples (checked by the unit tests below; counts from a 64-bit host, where
//! `SOCKET_OVERHEAD` is 1088 bytes; on 32-bit ARM it is smaller and the counts a little higher):
//! - 128 MiB board, ~120 MiB free: 16 KiB buffers, 1024 sockets (the cap), ~34 MiB of heap.
//! - NSLU2, 32 MiB RAM, ~26 MiB free: 16 KiB buffers, 603 sockets (~20 MiB).
//! - 8 MiB free: 4 KiB buffers, 677 sockets.
//! - 2 MiB free: 2 KiB buffers, 202 sockets.
//!
//! # Why the cap at [`MAX_SOCKETS`]
//! smoltcp finds the socket for an incoming segment by walking every socket in the set, and walks
//! them all again on every egress poll. Past about a thousand sockets that walk costs more per
//! frame than the frame itself on a 400 MHz ARM, so more sockets would lower throughput for
//! everybody.
//!
//! # Why at most 16 KiB
//! The receive window smoltcp advertises is clamped to `max_burst x MSS` of the NIC anyway (the
//! LAN9118's 10.5 KB RX FIFO gives 6 segments, about 8.7 KB); a bigger receive buffer only helps
//! when the application reads late, and a bigger transmit buffer only lets the proxy queue more
//! per wake-up. 16 KiB keeps one full window plus the next in flight.

use core::mem::size_of;

use smoltcp::iface::SocketStorage;

use crate::pool::Slot;

/// Upper bound on TCP sockets, whatever the RAM (see the module docs for why).
pub const MAX_SOCKETS: usize = 1024;

/// Below this many sockets [`Budget::from_ram`] gives up: the box could not serve anything.
pub const MIN_SOCKETS: usize = 8;

/// Socket count the buffer size is chosen for: the largest buffers that still allow this many.
pub const TARGET_SOCKETS: usize = 512;

/// Buffer sizes tried, largest first.
const BUFFER_STEPS: [usize; 4] = [16 * 1024, 8 * 1024, 4 * 1024, 2 * 1024];

/// Smallest heap reserve left for the rest of the firmware.
const MIN_RESERVE: usize = 1024 * 1024;

/// Per-allocation bookkeeping a typical embedded allocator adds (header plus alignment slack).
const ALLOC_OVERHEAD: usize = 16;

/// Heap bytes one socket costs besides its two buffers: its slot in smoltcp's socket set (a
/// socket in use lives inline there), the stack's own slot record (where a free socket is parked,
/// also inline), and the allocator's overhead for the two buffer allocations.
pub const SOCKET_OVERHEAD: usize =
    size_of::<SocketStorage<'static>>() + size_of::<Slot>() + 2 * ALLOC_OVERHEAD;

/// Socket count and buffer sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// TCP sockets allocated at construction (listening, accepted and outgoing share them).
    pub sockets: usize,
    /// Receive buffer per socket, bytes.
    pub rx_buffer: usize,
    /// Transmit buffer per socket, bytes.
    pub tx_buffer: usize,
}

/// Why no budget could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetError {
    /// Not even [`MIN_SOCKETS`] sockets of the smallest size fit in the usable heap.
    TooLittleRam {
        /// The free heap the caller reported.
        free_heap_bytes: usize,
    },
}

impl Budget {
    /// The budget for a heap with `free_heap_bytes` free, by the formula in the module docs.
    pub fn from_ram(free_heap_bytes: usize) -> Result<Budget, BudgetError> {
        let reserve = (free_heap_bytes / 4).max(MIN_RESERVE).min(free_heap_bytes);
        let usable = free_heap_bytes - reserve;
        let fits = |buffer: usize| usable / (2 * buffer + SOCKET_OVERHEAD);
        let buffer = BUFFER_STEPS
            .iter()
            .copied()
            .find(|&b| fits(b) >= TARGET_SOCKETS)
            .unwrap_or(BUFFER_STEPS[BUFFER_STEPS.len() - 1]);
        let sockets = fits(buffer).min(MAX_SOCKETS);
        if sockets < MIN_SOCKETS {
            return Err(BudgetError::TooLittleRam { free_heap_bytes });
        }
        Ok(Budget {
            sockets,
            rx_buffer: buffer,
            tx_buffer: buffer,
        })
    }

    /// A budget given explicitly (tests, or a board that knows better).
    pub const fn fixed(sockets: usize, rx_buffer: usize, tx_buffer: usize) -> Budget {
        Budget {
            sockets,
            rx_buffer,
            tx_buffer,
        }
    }

    /// Heap bytes the stack will take for its sockets under this budget.
    pub const fn heap_bytes(&self) -> usize {
        self.sockets * (self.rx_buffer + self.tx_buffer + SOCKET_OVERHEAD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn big_board_hits_the_socket_cap_with_full_buffers() {
        let b = Budget::from_ram(120 * MIB).unwrap();
        assert_eq!(b.sockets, MAX_SOCKETS);
        assert_eq!(b.rx_buffer, 16 * 1024);
        assert!(b.heap_bytes() <= 120 * MIB * 3 / 4);
    }

    #[test]
    fn nslu2_gets_at_least_the_target_with_full_buffers() {
        let b = Budget::from_ram(26 * MIB).unwrap();
        assert!(b.sockets >= TARGET_SOCKETS, "{b:?}");
        assert_eq!(b.rx_buffer, 16 * 1024);
        assert!(b.heap_bytes() <= 26 * MIB * 3 / 4);
    }

    #[test]
    fn small_heap_shrinks_buffers_before_sockets() {
        let b = Budget::from_ram(8 * MIB).unwrap();
        assert!(b.rx_buffer < 16 * 1024, "{b:?}");
        assert!(b.sockets >= TARGET_SOCKETS, "{b:?}");
        assert!(b.heap_bytes() <= 6 * MIB);
    }

    #[test]
    fn tiny_heap_is_refused_not_overcommitted() {
        assert_eq!(
            Budget::from_ram(MIB),
            Err(BudgetError::TooLittleRam {
                free_heap_bytes: MIB
            })
        );
        assert!(Budget::from_ram(0).is_err());
        let b = Budget::from_ram(MIB + 100 * 1024).unwrap();
        assert!(b.sockets >= MIN_SOCKETS && b.heap_bytes() <= 100 * 1024);
    }

    #[test]
    fn budget_never_exceeds_the_usable_heap() {
        let mut free = 0usize;
        while free < 300 * MIB {
            if let Ok(b) = Budget::from_ram(free) {
                let reserve = (free / 4).max(MIN_RESERVE);
                assert!(b.heap_bytes() <= free - reserve, "{free}: {b:?}");
                assert!(b.sockets <= MAX_SOCKETS);
            }
            free += 777 * 1024;
        }
    }
}
