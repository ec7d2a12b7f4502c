//! Ephemeral ports for outgoing connections (IANA dynamic range 49152-65535, RFC 6335 §6).
//!
//! Ports are handed out in sequence from a random start, skipping ports still held by a live
//! outgoing connection (a bitmap, 2 KiB). Sequential allocation spaces the reuse of a port by up
//! to 16384 connections, which keeps a new connection from meeting stale segments of an old one
//! with the same four-tuple as long as the backend's TIME-WAIT (60 s on Linux) is shorter than
//! the time to cycle through the range. This is the traditional BSD scheme (RFC 6056 §2.2): not
//! hard to guess, which matters little for connections to the proxy's own backends.

/// First port of the dynamic range.
pub const FIRST: u16 = 49152;
/// Number of ports in the range.
pub const COUNT: usize = 65536 - FIRST as usize;

#[derive(Debug)]
pub(crate) struct EphemeralPorts {
    in_use: [u64; COUNT / 64],
    /// Offset of the next candidate from `FIRST`.
    next: usize,
    used: usize,
}

impl EphemeralPorts {
    pub(crate) fn new(seed: u64) -> Self {
        // Mix the seed so that consecutive seeds do not give neighbouring start ports.
        let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        EphemeralPorts {
            in_use: [0; COUNT / 64],
            next: (mixed as usize) % COUNT,
            used: 0,
        }
    }

    fn bit(offset: usize) -> (usize, u64) {
        (offset / 64, 1u64 << (offset % 64))
    }

    /// A port no live outgoing connection holds, or `None` when all 16384 are held.
    pub(crate) fn allocate(&mut self) -> Option<u16> {
        if self.used >= COUNT {
            return None;
        }
        for _ in 0..COUNT {
            let offset = self.next;
            self.next = (self.next + 1) % COUNT;
            let (word, mask) = Self::bit(offset);
            if self.in_use[word] & mask == 0 {
                self.in_use[word] |= mask;
                self.used += 1;
                // `offset < COUNT`, so the sum is at most 65535.
                return Some(FIRST + offset as u16);
            }
        }
        None
    }

    /// Returns `port` to the range. Ports outside the range (0: none held) are ignored.
    pub(crate) fn release(&mut self, port: u16) {
        if port < FIRST {
            return;
        }
        let (word, mask) = Self::bit(usize::from(port - FIRST));
        if self.in_use[word] & mask != 0 {
            self.in_use[word] &= !mask;
            self.used -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_unique_while_held_and_sequential() {
        let mut p = EphemeralPorts::new(7);
        let a = p.allocate().unwrap();
        let b = p.allocate().unwrap();
        assert!(a >= FIRST && b >= FIRST);
        assert_eq!(b, if a == u16::MAX { FIRST } else { a + 1 });
        p.release(a);
        // The released port is not handed out again before the range has been cycled.
        let c = p.allocate().unwrap();
        assert_ne!(c, a);
    }

    #[test]
    fn exhaustion_is_reported_and_release_recovers() {
        let mut p = EphemeralPorts::new(1);
        let mut held = std::vec::Vec::new();
        while let Some(port) = p.allocate() {
            held.push(port);
            assert!(held.len() <= COUNT);
        }
        assert_eq!(held.len(), COUNT);
        held.sort_unstable();
        held.dedup();
        assert_eq!(held.len(), COUNT, "every port handed out once");
        p.release(held[100]);
        assert_eq!(p.allocate(), Some(held[100]));
        assert_eq!(p.allocate(), None);
        p.release(0);
        p.release(80);
    }
}
