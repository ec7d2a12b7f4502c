//! Register-level model of the AHB queue manager (Linux `ixp4xx-qmgr.c` semantics).
//!
//! 64 queues whose entries live in the 2048-word SRAM at the place the config word says; the
//! config word's read/write pointers are maintained like the hardware does. Status flags are
//! derived from the fill level and watermarks at read time; an interrupt bit latches in IRQSTAT
//! whenever an enabled queue's condition holds after a put or get. Puts to a full queue are lost
//! and set the overflow flag, gets from an empty queue return 0 and set underflow: both are also
//! counted so tests can assert on them.

const SRAM_WORDS: usize = 2048;

pub struct QmState {
    pub sram: Vec<u32>,
    count: [u32; 64],
    stat2: [u32; 2],
    irqsrc: [u32; 4],
    pub irqen: [u32; 2],
    pub irqstat: [u32; 2],
    pub overflows: [u32; 64],
    pub underflows: [u32; 64],
    /// Puts to a queue without a config word.
    pub unconfigured_puts: u32,
    pub resets_seen: u32,
}

fn wm_entries(code: u32) -> u32 {
    [0, 1, 2, 4, 8, 16, 32, 64][(code & 7) as usize]
}

impl QmState {
    pub fn new() -> Self {
        QmState {
            sram: vec![0; SRAM_WORDS],
            count: [0; 64],
            stat2: [0; 2],
            irqsrc: [0; 4],
            irqen: [0; 2],
            irqstat: [0; 2],
            overflows: [0; 64],
            underflows: [0; 64],
            unconfigured_puts: 0,
            resets_seen: 0,
        }
    }

    fn len(&self, q: usize) -> u32 {
        16 << ((self.sram[q] >> 24) & 3)
    }

    fn base(&self, q: usize) -> usize {
        (((self.sram[q] >> 14) & 0xFF) * 16) as usize
    }

    pub fn count(&self, q: usize) -> u32 {
        self.count[q]
    }

    pub fn entries(&self, q: usize) -> Vec<u32> {
        let cfg = self.sram[q];
        let rp = (cfg >> 7) & 0x7F;
        let len = self.len(q);
        (0..self.count[q])
            .map(|i| self.sram[self.base(q) + ((rp + i) % len) as usize])
            .collect()
    }

    /// STAT1-style bits for queue q: empty, nearly empty, nearly full, full.
    fn flags(&self, q: usize) -> u32 {
        let count = self.count[q];
        let cfg = self.sram[q];
        let len = self.len(q);
        let ne = wm_entries(cfg >> 26);
        let nf = wm_entries(cfg >> 29);
        let mut f = 0;
        if count == 0 {
            f |= 1;
        }
        if count <= ne {
            f |= 2;
        }
        if cfg != 0 && len - count <= nf {
            f |= 4;
        }
        if cfg != 0 && count == len {
            f |= 8;
        }
        f
    }

    fn condition(&self, q: usize) -> bool {
        let f = self.flags(q);
        if q >= 32 {
            return f & 2 == 0;
        }
        let src = (self.irqsrc[q / 8] >> ((q % 8) * 4)) & 7;
        let bit = match src & 3 {
            0 => f & 1,
            1 => f & 2,
            2 => f & 4,
            _ => f & 8,
        } != 0;
        if src & 4 != 0 { !bit } else { bit }
    }

    fn update_irq(&mut self, q: usize) {
        let (half, bit) = (q / 32, 1 << (q % 32));
        if self.irqen[half] & bit != 0 && self.condition(q) {
            self.irqstat[half] |= bit;
        }
    }

    /// Whether the queue manager's interrupt output `half` (IRQ 3 / 4) is asserted.
    pub fn irq_line(&self, half: usize) -> bool {
        self.irqstat[half] & self.irqen[half] != 0
    }

    pub fn put(&mut self, q: usize, entry: u32) {
        let cfg = self.sram[q];
        if cfg == 0 {
            self.unconfigured_puts += 1;
            return;
        }
        let len = self.len(q);
        if self.count[q] == len {
            self.overflows[q] += 1;
            if q < 32 {
                self.stat2[q / 16] |= 2 << ((q % 16) * 2);
            }
            return;
        }
        let wp = cfg & 0x7F;
        let slot = self.base(q) + (wp % len) as usize;
        self.sram[slot] = entry;
        self.sram[q] = (cfg & !0x7F) | ((wp + 1) & 0x7F);
        self.count[q] += 1;
        self.update_irq(q);
    }

    pub fn get(&mut self, q: usize) -> u32 {
        let cfg = self.sram[q];
        if self.count[q] == 0 {
            if cfg != 0 {
                self.underflows[q] += 1;
                if q < 32 {
                    self.stat2[q / 16] |= 1 << ((q % 16) * 2);
                }
            }
            return 0;
        }
        let len = self.len(q);
        let rp = (cfg >> 7) & 0x7F;
        let entry = self.sram[self.base(q) + (rp % len) as usize];
        self.sram[q] = (cfg & !(0x7F << 7)) | (((rp + 1) & 0x7F) << 7);
        self.count[q] -= 1;
        self.update_irq(q);
        entry
    }

    pub fn read(&mut self, offset: usize) -> u32 {
        match offset {
            0x000..0x400 if offset.is_multiple_of(16) => self.get(offset / 16),
            0x400..0x410 => {
                let i = (offset - 0x400) / 4;
                (0..8).map(|k| self.flags(i * 8 + k) << (k * 4)).sum()
            }
            0x410..0x418 => self.stat2[(offset - 0x410) / 4],
            0x418 => (0..32).map(|k| ((self.flags(32 + k) >> 1) & 1) << k).sum(),
            0x41C => (0..32).map(|k| ((self.flags(32 + k) >> 3) & 1) << k).sum(),
            0x420..0x430 => self.irqsrc[(offset - 0x420) / 4],
            0x430..0x438 => self.irqen[(offset - 0x430) / 4],
            0x438..0x440 => self.irqstat[(offset - 0x438) / 4],
            0x2000..0x4000 => self.sram[(offset - 0x2000) / 4],
            _ => panic!("queue manager: read of unmapped offset {offset:#x}"),
        }
    }

    pub fn write(&mut self, offset: usize, value: u32) {
        match offset {
            0x000..0x400 if offset.is_multiple_of(16) => self.put(offset / 16, value),
            // Status words are derived; Linux writes their reset values at init.
            0x400..0x410 | 0x418 | 0x41C => {
                if offset == 0x400 {
                    self.resets_seen += 1;
                }
            }
            0x410..0x418 => self.stat2[(offset - 0x410) / 4] = value,
            0x420..0x430 => self.irqsrc[(offset - 0x420) / 4] = value,
            0x430..0x438 => self.irqen[(offset - 0x430) / 4] = value,
            0x438..0x440 => self.irqstat[(offset - 0x438) / 4] &= !value,
            0x2000..0x2100 => {
                // Writing a config word (re)defines the queue: the pointers in it are the new
                // state, which Linux always writes as 0 (empty).
                let q = (offset - 0x2000) / 4;
                self.sram[q] = value;
                let wp = value & 0x7F;
                let rp = (value >> 7) & 0x7F;
                self.count[q] = if value == 0 {
                    0
                } else {
                    (wp.wrapping_sub(rp)) & 0x7F
                };
            }
            0x2100..0x4000 => self.sram[(offset - 0x2000) / 4] = value,
            _ => panic!("queue manager: write of unmapped offset {offset:#x}"),
        }
    }
}
