//! The AHB Queue Manager: 64 hardware FIFOs of 32-bit entries in 8 KiB of SRAM, through which
//! the XScale and the NPEs hand each other buffer descriptors.
//!
//! Register block (Linux `drivers/soc/ixp4xx/ixp4xx-qmgr.c`, `include/linux/soc/ixp4xx/qmgr.h`,
//! `struct qmgr_regs`):
//!
//! | Offset | Register | Use |
//! |---|---|---|
//! | 0x000 + 16·q | ACC\[q\] | write = put, read = get (0 = empty) |
//! | 0x400–0x40C | STAT1\[4\] | queues 0–31, 4 bits each: empty, nearly empty, nearly full, full |
//! | 0x410–0x414 | STAT2\[2\] | queues 0–31, 2 bits each: underflow, overflow |
//! | 0x418 | STATNE_H | queues 32–63: nearly empty |
//! | 0x41C | STATF_H | queues 32–63: full |
//! | 0x420–0x42C | IRQSRC\[4\] | queues 0–31, interrupt condition, 4 bits each |
//! | 0x430–0x434 | IRQEN\[2\] | interrupt enable, 1 bit per queue |
//! | 0x438–0x43C | IRQSTAT\[2\] | interrupt pending, write 1 to clear |
//! | 0x2000 + 4·q | SRAM config word of queue q | see [`config_word`] |
//!
//! SRAM is handed out in 128 pages of 16 words; pages 0–3 hold the 64 config words themselves.
//! Queues 32–63 always interrupt on "not nearly empty". Like Linux, [`QueueManager::put`] does
//! not check for a full queue: callers size queues so they cannot overflow (the Ethernet
//! driver owns at most as many descriptors as each queue holds).

use tock_registers::interfaces::{Readable, Writeable};

use hil::mmio::{Bus, RegDef, reg};

/// Number of queues.
pub const QUEUES: u32 = 64;
/// Byte offset of the SRAM (config words, then queue buffers).
pub const SRAM_OFFSET: usize = 0x2000;
/// Words per SRAM page.
pub const PAGE_WORDS: u32 = 16;
/// Number of SRAM pages.
pub const PAGES: u32 = 128;
/// Pages reserved for the config words.
pub const RESERVED_PAGES: u32 = 4;

const STAT1: usize = 0x400;
const STAT2: usize = 0x410;
const STATNE_H: RegDef<()> = RegDef::at(0x418);
const STATF_H: RegDef<()> = RegDef::at(0x41C);
const IRQSRC: usize = 0x420;
const IRQEN: usize = 0x430;
const IRQSTAT: usize = 0x438;

/// STAT1 bits of one queue (queues 0–31).
pub mod stat {
    /// Empty.
    pub const EMPTY: u32 = 1 << 0;
    /// At or below the nearly-empty watermark.
    pub const NEARLY_EMPTY: u32 = 1 << 1;
    /// At or above the nearly-full watermark.
    pub const NEARLY_FULL: u32 = 1 << 2;
    /// Full.
    pub const FULL: u32 = 1 << 3;
}

/// Queue length (SRAM config bits 25:24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueLen {
    /// 16 entries.
    Words16 = 0,
    /// 32 entries.
    Words32 = 1,
    /// 64 entries.
    Words64 = 2,
    /// 128 entries.
    Words128 = 3,
}

impl QueueLen {
    /// Number of entries.
    pub const fn entries(self) -> u32 {
        16 << self as u32
    }
}

/// Interrupt condition of a queue 0–31 (IRQSRC codes; bit 2 inverts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrqSource {
    /// Empty.
    Empty = 0,
    /// Nearly empty.
    NearlyEmpty = 1,
    /// Nearly full.
    NearlyFull = 2,
    /// Full.
    Full = 3,
    /// Not empty (the RX queue's condition).
    NotEmpty = 4,
    /// Not nearly empty.
    NotNearlyEmpty = 5,
    /// Not nearly full.
    NotNearlyFull = 6,
    /// Not full.
    NotFull = 7,
}

/// Why a queue-manager request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QmgrError {
    /// Queue number ≥ 64 (or ≥ 32 for an IRQSRC condition), or watermark code > 7.
    InvalidQueue(u32),
    /// The queue is already configured.
    InUse(u32),
    /// Not enough contiguous free SRAM.
    OutOfSram,
}

/// The SRAM config word of a queue (Linux `qmgr_request_queue`): buffer size code in 25:24,
/// nearly-empty watermark code in 28:26, nearly-full code in 31:29, first page in 21:14; the
/// hardware keeps the read (13:7) and write (6:0) pointers.
pub const fn config_word(len: QueueLen, first_page: u32, ne_code: u32, nf_code: u32) -> u32 {
    (len as u32) << 24 | ne_code << 26 | nf_code << 29 | first_page << 14
}

/// The queue manager.
#[derive(Debug)]
pub struct QueueManager<B: Bus> {
    bus: B,
    /// SRAM page allocation bitmap (bit set = used), pages 0–3 always used.
    pages: u128,
}

impl<B: Bus> QueueManager<B> {
    /// Wraps a bus; the allocation state starts empty, so call [`reset`](Self::reset) before
    /// requesting queues.
    pub const fn new(bus: B) -> Self {
        QueueManager {
            bus,
            pages: (1 << RESERVED_PAGES) - 1,
        }
    }

    /// Puts every queue and interrupt register in its reset state (Linux `ixp4xx_qmgr_probe`):
    /// all queues unconfigured and therefore empty, interrupts off and acknowledged. This also
    /// discards whatever RedBoot left queued (its posted RX buffers), so the NPE must be stopped
    /// first.
    pub fn reset(&mut self) {
        for i in 0..4 {
            self.bus.write(STAT1 + 4 * i, 0x3333_3333);
            self.bus.write(IRQSRC + 4 * i, 0);
        }
        for i in 0..2 {
            self.bus.write(STAT2 + 4 * i, 0);
            self.bus.write(IRQSTAT + 4 * i, 0xFFFF_FFFF);
            self.bus.write(IRQEN + 4 * i, 0);
        }
        reg(&self.bus, STATNE_H).set(0xFFFF_FFFF);
        reg(&self.bus, STATF_H).set(0);
        for q in 0..QUEUES as usize {
            self.bus.write(SRAM_OFFSET + 4 * q, 0);
        }
        self.pages = (1 << RESERVED_PAGES) - 1;
    }

    /// Configures queue `q` with `len` one-word entries and watermark codes `ne_code` and
    /// `nf_code` (0–7: 0, 1, 2, 4, 8, 16, 32, 64 entries).
    pub fn request(
        &mut self,
        q: u32,
        len: QueueLen,
        ne_code: u32,
        nf_code: u32,
    ) -> Result<(), QmgrError> {
        if q >= QUEUES || ne_code > 7 || nf_code > 7 {
            return Err(QmgrError::InvalidQueue(q));
        }
        if self.config(q) != 0 {
            return Err(QmgrError::InUse(q));
        }
        let needed = len.entries() / PAGE_WORDS;
        let run: u128 = (1u128 << needed) - 1;
        let first = (RESERVED_PAGES..=PAGES - needed)
            .find(|&p| self.pages & (run << p) == 0)
            .ok_or(QmgrError::OutOfSram)?;
        self.pages |= run << first;
        self.bus.write(
            SRAM_OFFSET + 4 * q as usize,
            config_word(len, first, ne_code, nf_code),
        );
        Ok(())
    }

    /// Drains queue `q` (discarding at most its capacity of entries), disables its interrupt
    /// and returns its SRAM. Returns how many entries were discarded.
    pub fn release(&mut self, q: u32) -> Result<u32, QmgrError> {
        if q >= QUEUES {
            return Err(QmgrError::InvalidQueue(q));
        }
        let config = self.config(q);
        if config == 0 {
            return Ok(0);
        }
        let mut drained = 0;
        while drained < QueueLen::Words128.entries() && self.get(q).is_some() {
            drained += 1;
        }
        self.disable_irq(q);
        self.bus.write(SRAM_OFFSET + 4 * q as usize, 0);
        let len_code = (config >> 24) & 3;
        let needed = (16u32 << len_code) / PAGE_WORDS;
        let first = (config >> 14) & 0xFF;
        let run: u128 = (1u128 << needed) - 1;
        if first < PAGES {
            self.pages &= !(run << first);
        }
        self.pages |= (1 << RESERVED_PAGES) - 1;
        Ok(drained)
    }

    /// The SRAM config word of queue `q` (0 = unused).
    pub fn config(&self, q: u32) -> u32 {
        self.bus.read(SRAM_OFFSET + 4 * (q % QUEUES) as usize)
    }

    /// Appends `entry` (never 0) to queue `q`. Unchecked like Linux's `qmgr_put_entry`: a put
    /// to a full queue is lost and sets the overflow flag.
    pub fn put(&self, q: u32, entry: u32) {
        self.bus.write(16 * (q % QUEUES) as usize, entry);
    }

    /// Takes the oldest entry of queue `q`, or `None` if it is empty.
    pub fn get(&self, q: u32) -> Option<u32> {
        match self.bus.read(16 * (q % QUEUES) as usize) {
            0 => None,
            entry => Some(entry),
        }
    }

    /// The four STAT1 bits ([`stat`]) of a queue 0–31.
    pub fn status_low(&self, q: u32) -> u32 {
        let q = q % 32;
        (self.bus.read(STAT1 + 4 * (q / 8) as usize) >> ((q % 8) * 4)) & 0xF
    }

    /// Whether queue `q` is at or below its nearly-empty watermark (empty when the watermark
    /// code is 0, which is how Linux tests queues 32–63 for empty).
    pub fn is_nearly_empty(&self, q: u32) -> bool {
        if q < 32 {
            self.status_low(q) & stat::NEARLY_EMPTY != 0
        } else {
            reg(&self.bus, STATNE_H).get() & (1 << (q % 32)) != 0
        }
    }

    /// Whether queue `q` is empty (queues 32–63: nearly empty, see
    /// [`is_nearly_empty`](Self::is_nearly_empty)).
    pub fn is_empty(&self, q: u32) -> bool {
        if q < 32 {
            self.status_low(q) & stat::EMPTY != 0
        } else {
            self.is_nearly_empty(q)
        }
    }

    /// Whether queue `q` is full.
    pub fn is_full(&self, q: u32) -> bool {
        if q < 32 {
            self.status_low(q) & stat::FULL != 0
        } else {
            reg(&self.bus, STATF_H).get() & (1 << (q % 32)) != 0
        }
    }

    /// Whether a put to queue `q` (0–31) was lost to a full queue since the flag was cleared.
    pub fn has_overflowed(&self, q: u32) -> bool {
        q < 32 && (self.bus.read(STAT2 + 4 * (q / 16) as usize) >> ((q % 16) * 2)) & 2 != 0
    }

    /// Selects the interrupt condition of a queue 0–31 (queues 32–63 are fixed to
    /// "not nearly empty").
    pub fn set_irq_source(&mut self, q: u32, source: IrqSource) -> Result<(), QmgrError> {
        if q >= 32 {
            return Err(QmgrError::InvalidQueue(q));
        }
        let offset = IRQSRC + 4 * (q / 8) as usize;
        let shift = (q % 8) * 4;
        let old = self.bus.read(offset);
        self.bus
            .write(offset, (old & !(0xF << shift)) | (source as u32) << shift);
        Ok(())
    }

    /// Enables the interrupt of queue `q`.
    pub fn enable_irq(&mut self, q: u32) {
        let offset = IRQEN + 4 * (q / 32 % 2) as usize;
        let old = self.bus.read(offset);
        self.bus.write(offset, old | 1 << (q % 32));
    }

    /// Disables the interrupt of queue `q` and clears its pending bit.
    pub fn disable_irq(&mut self, q: u32) {
        let half = (q / 32 % 2) as usize;
        let old = self.bus.read(IRQEN + 4 * half);
        self.bus.write(IRQEN + 4 * half, old & !(1 << (q % 32)));
        self.bus.write(IRQSTAT + 4 * half, 1 << (q % 32));
    }

    /// Reads and acknowledges the pending interrupts of queues 0–31 (`half` 0) or 32–63
    /// (`half` 1); bit n of the result is queue 32·half + n.
    pub fn take_irq_status(&mut self, half: u32) -> u32 {
        let offset = IRQSTAT + 4 * (half % 2) as usize;
        let status = self.bus.read(offset);
        if status != 0 {
            self.bus.write(offset, status);
        }
        status
    }
}
