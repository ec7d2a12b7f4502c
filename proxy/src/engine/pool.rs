//! Fixed pools: every byte a connection can use is allocated once, in [`Engine::new`], from
//! numbers derived from the box's RAM ([`ResourceLimits::from_ram`]).
//!
//! A session takes its buffers from [`BufferPool`] when it starts and gives them back when it
//! ends. When the pool is empty no session starts: TCP clients wait in the listen backlog,
//! HTTP clients get HAProxy's 503 page (sent from a static buffer, which needs no pool
//! memory). Running out is therefore an ordinary, counted event, never an allocation failure.
//!
//! [`Engine::new`]: super::Engine::new

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use crate::config::Tune;
use crate::http;

/// How much memory the engine may use, fixed at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimits {
    /// Size of one connection buffer. A rewritten HTTP head must fit in one, so
    /// [`ResourceLimits::http_limits`] keeps the head limit a quarter below it (HAProxy's
    /// `tune.maxrewrite` reserve plays the same role).
    pub buffer_size: usize,
    /// Buffers in the pool. An HTTP session takes four (a receive and a send buffer per
    /// side), a TCP session two (one per direction).
    pub buffers: usize,
    /// Session slots (client connections being served at once, over all frontends).
    pub max_sessions: usize,
    /// The largest HTTP head: three quarters of a buffer unless `tune.maxrewrite` says.
    pub max_head_bytes: usize,
    /// The most fields in one HTTP head: 101 (HAProxy's `tune.http.maxhdr` default) unless
    /// `tune.http.maxhdr` says.
    pub max_headers: usize,
}

/// Per-HTTP-session heap besides the buffers: two head buffers of the codec.
const fn http_session_overhead(buffer_size: usize) -> usize {
    2 * (buffer_size * 3 / 4) + 2048
}

impl ResourceLimits {
    /// Smallest buffer that still holds a useful HTTP head.
    pub const MIN_BUFFER_SIZE: usize = 2048;

    /// Limits for a box with `ram_bytes` of RAM: a quarter of it goes to connections (the rest
    /// is the kernel, the network stack's socket buffers and the heap's slack). Each session is
    /// costed as an HTTP session, the larger kind, so any mix of sessions fits.
    pub fn from_ram(ram_bytes: usize) -> ResourceLimits {
        let buffer_size = if ram_bytes >= 128 << 20 {
            16 << 10
        } else {
            8 << 10
        };
        let budget = ram_bytes / 4;
        let per_session = 4 * buffer_size + http_session_overhead(buffer_size);
        let max_sessions = (budget / per_session).clamp(1, 65_535);
        ResourceLimits::new(buffer_size, 4 * max_sessions, max_sessions)
    }

    /// [`ResourceLimits::from_ram`] with the configuration's `tune.*` applied, the budget
    /// worked out for the buffer size `tune.bufsize` asks for.
    pub fn from_ram_tuned(ram_bytes: usize, tune: &Tune) -> ResourceLimits {
        let Some(bufsize) = tune.bufsize else {
            return ResourceLimits::from_ram(ram_bytes).tuned(tune);
        };
        let buffer_size = (bufsize as usize).max(Self::MIN_BUFFER_SIZE);
        let per_session = 4 * buffer_size + http_session_overhead(buffer_size);
        let max_sessions = (ram_bytes / 4 / per_session).clamp(1, 65_535);
        ResourceLimits::new(buffer_size, 4 * max_sessions, max_sessions).tuned(tune)
    }

    /// These limits with `tune.*` applied (manual 3.2): `tune.bufsize` replaces the buffer
    /// size, `tune.maxrewrite` leaves the head the rest of the buffer (a reserve of half the
    /// buffer or more is cut to half, as HAProxy's `check_config_validity` does), and
    /// `tune.http.maxhdr` the field count. The number of buffers is not changed: a larger
    /// `tune.bufsize` on fixed limits costs more memory ([`ResourceLimits::from_ram_tuned`]
    /// budgets for it).
    pub fn tuned(self, tune: &Tune) -> ResourceLimits {
        let buffer_size = tune.bufsize.map_or(self.buffer_size, |b| {
            (b as usize).max(Self::MIN_BUFFER_SIZE)
        });
        let mut limits = ResourceLimits::new(buffer_size, self.buffers, self.max_sessions);
        if let Some(reserve) = tune.maxrewrite {
            limits.max_head_bytes = buffer_size - (reserve as usize).min(buffer_size / 2);
        }
        if let Some(fields) = tune.http_maxhdr {
            limits.max_headers = fields as usize;
        }
        limits
    }

    /// Fixed limits (tests, or a firmware that knows better).
    pub fn new(buffer_size: usize, buffers: usize, max_sessions: usize) -> ResourceLimits {
        let buffer_size = buffer_size.max(Self::MIN_BUFFER_SIZE);
        ResourceLimits {
            buffer_size,
            buffers,
            max_sessions: max_sessions.max(1),
            max_head_bytes: buffer_size * 3 / 4,
            max_headers: http::Limits::default().max_headers,
        }
    }

    /// The HTTP codec limits that go with these buffers.
    pub fn http_limits(&self) -> http::Limits {
        http::Limits {
            max_head_bytes: self.max_head_bytes,
            max_headers: self.max_headers,
            ..http::Limits::default()
        }
    }

    /// Bytes reserved by [`Engine::new`](super::Engine::new) for these limits.
    pub fn reserved_bytes(&self) -> usize {
        self.buffers * self.buffer_size
    }
}

/// One connection buffer: a byte window `[start, end)` of a fixed allocation. Bytes are
/// appended at `end` and consumed from `start`; the window slides back to the front when
/// space is needed.
#[derive(Debug)]
pub struct Buf {
    data: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Buf {
    fn new(size: usize) -> Buf {
        Buf {
            data: vec![0; size].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// Bytes waiting to be consumed.
    pub fn data(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Number of bytes waiting.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when no byte waits.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Bytes that can still be appended.
    pub fn free(&self) -> usize {
        self.data.len() - self.len()
    }

    /// Drops `n` bytes from the front.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// The free space, contiguous; call [`Buf::commit`] with what was written.
    pub fn space(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.data[self.end..]
    }

    /// Marks `n` bytes of [`Buf::space`] as written.
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.data.len());
    }

    /// Appends as much of `bytes` as fits; returns how much.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let space = self.space();
        let n = bytes.len().min(space.len());
        space[..n].copy_from_slice(&bytes[..n]);
        self.commit(n);
        n
    }

    /// Forgets the content.
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }
}

/// The free list of connection buffers.
#[derive(Debug)]
pub struct BufferPool {
    free: Vec<Buf>,
    total: usize,
    /// Times a session could not start because the pool was empty.
    pub exhausted: u64,
    /// Fewest free buffers seen.
    pub low_water: usize,
}

impl BufferPool {
    /// Allocates `count` buffers of `size` bytes now, once.
    pub fn new(count: usize, size: usize) -> BufferPool {
        let mut free = Vec::with_capacity(count);
        free.extend((0..count).map(|_| Buf::new(size)));
        BufferPool {
            free,
            total: count,
            exhausted: 0,
            low_water: count,
        }
    }

    /// Buffers in the pool, free or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Buffers free now.
    pub fn available(&self) -> usize {
        self.free.len()
    }

    /// Takes `N` buffers at once, or none (and counts the exhaustion).
    pub fn take<const N: usize>(&mut self) -> Option<[Buf; N]> {
        if self.free.len() < N {
            self.exhausted += 1;
            return None;
        }
        let taken: [Buf; N] = core::array::from_fn(|_| {
            // The length was checked above, so the pops cannot fail; an empty buffer keeps the
            // code panic-free even so.
            self.free.pop().unwrap_or_else(|| Buf::new(0))
        });
        self.low_water = self.low_water.min(self.free.len());
        Some(taken)
    }

    /// Returns a buffer to the pool.
    pub fn give(&mut self, mut buf: Buf) {
        buf.clear();
        if self.free.len() < self.total && !buf.data.is_empty() {
            self.free.push(buf);
        }
    }
}
