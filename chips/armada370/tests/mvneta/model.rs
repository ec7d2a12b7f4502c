//! Behavioural model of one mvneta port, its DMA view of memory, and the SMI/MDIO bus with
//! clause-22 PHYs — written from the documented behaviour (Linux `mvneta.c`, `mvmdio.c`,
//! IEEE 802.3 clause 22), not from the driver.
//!
//! What it does: counters move as the controller's do (RX occupied/non-occupied, TX
//! pending/sent, ≤ 255 per update write); TX descriptors are consumed when pending is bumped
//! (or on demand when `auto_tx` is off); injected frames fill RX descriptors with a 2-byte
//! Marvell header and the FCS; NEW/MISC cause bits are derived like the hardware's (level: RX
//! "occupied ≥ threshold" or time coalescing expired, TX "sent > threshold", masked by
//! INTR_ENABLE and CPU_MAP); MIB counters clear on read; DMA goes through the port's address
//! windows.
//!
//! What it punishes (recorded in `violations`):
//! - cache: the device reading a line the CPU wrote and did not clean; the CPU invalidating a
//!   line holding writes it never cleaned; both sides writing one line. The CPU's view and
//!   DRAM are kept apart: the device only ever sees what `clean` pushed to "DRAM", and the CPU
//!   only sees device writes after `invalidate` — a forgotten maintenance call yields stale
//!   data exactly as on the Armada 370;
//! - counters: processed > occupied, refills or pending beyond the ring, acknowledging more
//!   than was sent;
//! - order: ring base/size changed while the queue runs, queues enabled without a ring, with the
//!   port disabled or in port reset, or without SW buffer management; DMA reset asserted on a
//!   running queue; port disabled under running queues; misaligned rings.
//!
//! Model assumptions where documentation is silent (kept deliberately simple):
//! - broadcast frames pass the DA filter regardless of the tables (U-Boot's DHCP works with all
//!   multicast tables rejecting);
//! - ACCESS_PROTECT: bit 0 of a window's pair allows reads, value 3 allows writes;
//! - MISC_CAUSE: bits written as 0 clear;
//! - TX checksum generation is not modelled (requesting it is a violation).

#![allow(dead_code)]

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::cell::{Ref, RefCell, RefMut};
use std::collections::HashMap;
use std::rc::Rc;

use armada370::mvneta::registers as r;
use hil::mmio::Bus;
use nic::dma::{BusAddress, DmaMemory};

pub const LINE: usize = 32;
/// Bus address of the arena's first byte (inside DRAM chip select 0).
pub const BUS_BASE: u32 = 0x0100_0000;
pub const TCLK_HZ: u32 = 200_000_000;

// ----------------------------------------------------------------------------- cache + arena

/// Model "DRAM" as the device sees it, and the CPU's cached view (the arena itself).
struct CacheModel {
    /// What DRAM holds.
    ram: Vec<u8>,
    /// The CPU view of each byte at the last clean/invalidate of its line (dirty = differs).
    synced: Vec<u8>,
    /// The device wrote the line since the CPU last invalidated it.
    device_written: Vec<bool>,
    pub cleans: u64,
    pub clean_lines: u64,
    pub invalidates: u64,
    pub invalidate_lines: u64,
}

pub struct Arena {
    ptr: *mut u8,
    layout: Layout,
}

impl Arena {
    fn new(len: usize) -> Arena {
        let layout = Layout::from_size_align(len, 4096).expect("layout");
        // SAFETY: non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        Arena { ptr, layout }
    }
    fn len(&self) -> usize {
        self.layout.size()
    }
    /// The CPU view of byte `off` (what the host memory holds).
    fn cpu(&self, off: usize) -> u8 {
        assert!(off < self.len());
        // SAFETY: in bounds of the live allocation; plain byte read.
        unsafe { self.ptr.add(off).read_volatile() }
    }
    fn set_cpu(&self, off: usize, v: u8) {
        assert!(off < self.len());
        // SAFETY: as in `cpu`.
        unsafe { self.ptr.add(off).write_volatile(v) }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout in `new`.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

// ----------------------------------------------------------------------------- PHY + SMI

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartnerAbility {
    pub lpa: u16,
    pub stat1000: u16,
}

pub const PARTNER_1000FD: PartnerAbility = PartnerAbility {
    lpa: 0x01E1,
    stat1000: 1 << 11,
};
pub const PARTNER_100FD: PartnerAbility = PartnerAbility {
    lpa: 0x0101,
    stat1000: 0,
};
pub const PARTNER_100HD: PartnerAbility = PartnerAbility {
    lpa: 0x0081,
    stat1000: 0,
};

/// A clause-22 PHY (Marvell-like ids and page register).
pub struct PhyModel {
    pub id: (u16, u16),
    pub bmcr: u16,
    pub advertise: u16,
    pub ctrl1000: u16,
    pub link_up: bool,
    /// BMSR link status latches low until read.
    latched_down: bool,
    pub partner: PartnerAbility,
    reset_reads_left: u32,
    pub page: u16,
    pub mscr_page2: u16,
    pub resets: u32,
}

impl PhyModel {
    pub fn new() -> PhyModel {
        PhyModel {
            id: (0x0141, 0x0DD1),
            bmcr: 0x1140,
            advertise: 0x01E1,
            ctrl1000: 0x0300,
            link_up: true,
            latched_down: false,
            partner: PARTNER_1000FD,
            reset_reads_left: 0,
            page: 0,
            mscr_page2: 0,
            resets: 0,
        }
    }

    fn read(&mut self, reg: u8) -> u16 {
        match reg {
            0 => {
                if self.reset_reads_left > 0 {
                    self.reset_reads_left -= 1;
                    if self.reset_reads_left == 0 {
                        self.bmcr &= !(1 << 15);
                    }
                }
                self.bmcr
            }
            1 => {
                // 10/100 HD/FD (bits 11..14), extended status (8), AN ability (3).
                let mut v = 0x7809 | (1 << 8);
                let link = self.link_up && !self.latched_down;
                self.latched_down = false;
                if link {
                    v |= 1 << 2;
                }
                if self.link_up && self.bmcr & (1 << 12) != 0 {
                    v |= 1 << 5;
                }
                v
            }
            2 => self.id.0,
            3 => self.id.1,
            4 => self.advertise,
            5 => {
                if self.link_up {
                    self.partner.lpa
                } else {
                    0
                }
            }
            9 => self.ctrl1000,
            10 => {
                if self.link_up {
                    self.partner.stat1000
                } else {
                    0
                }
            }
            15 => 0x3000,
            21 if self.page == 2 => self.mscr_page2,
            22 => self.page,
            _ => 0,
        }
    }

    fn write(&mut self, reg: u8, v: u16) {
        match reg {
            0 => {
                self.bmcr = v & !(1 << 9); // restart AN self-clears
                if v & (1 << 15) != 0 {
                    self.resets += 1;
                    self.reset_reads_left = 2;
                }
            }
            4 => self.advertise = v,
            9 => self.ctrl1000 = v,
            21 if self.page == 2 => self.mscr_page2 = v,
            22 => self.page = v,
            _ => {}
        }
    }

    /// Unplug (false) or plug (true) the cable.
    pub fn set_link(&mut self, up: bool) {
        if !up && self.link_up {
            self.latched_down = true;
        }
        self.link_up = up;
    }

    /// What the PHY negotiated: (Mb/s, full duplex).
    pub fn negotiated(&self) -> Option<(u32, bool)> {
        if !self.link_up {
            return None;
        }
        let g = self.ctrl1000 & (self.partner.stat1000 >> 2);
        if g & (1 << 9) != 0 {
            return Some((1000, true));
        }
        if g & (1 << 8) != 0 {
            return Some((1000, false));
        }
        let c = self.advertise & self.partner.lpa;
        if c & (1 << 8) != 0 {
            Some((100, true))
        } else if c & (1 << 7) != 0 {
            Some((100, false))
        } else if c & (1 << 6) != 0 {
            Some((10, true))
        } else if c & (1 << 5) != 0 {
            Some((10, false))
        } else {
            None
        }
    }
}

/// The SMI register with PHYs behind it; busy for a couple of reads after each command.
pub struct SmiModel {
    pub phys: RefCell<HashMap<u8, PhyModel>>,
    state: RefCell<SmiState>,
}

struct SmiState {
    busy_reads: u32,
    value: u32,
    pub stuck_busy: bool,
    pub accesses: u64,
}

impl SmiModel {
    pub fn new(addresses: &[u8]) -> Rc<SmiModel> {
        Rc::new(SmiModel {
            phys: RefCell::new(addresses.iter().map(|&a| (a, PhyModel::new())).collect()),
            state: RefCell::new(SmiState {
                busy_reads: 0,
                value: 0,
                stuck_busy: false,
                accesses: 0,
            }),
        })
    }
    pub fn phy(&self, addr: u8) -> RefMut<'_, PhyModel> {
        RefMut::map(self.phys.borrow_mut(), |m| m.get_mut(&addr).expect("phy"))
    }
    pub fn set_stuck_busy(&self, stuck: bool) {
        self.state.borrow_mut().stuck_busy = stuck;
    }
}

impl Bus for SmiModel {
    fn read(&self, offset: usize) -> u32 {
        assert_eq!(offset, 0);
        let mut s = self.state.borrow_mut();
        if s.stuck_busy {
            return 1 << 28;
        }
        if s.busy_reads > 0 {
            s.busy_reads -= 1;
            return 1 << 28;
        }
        s.value
    }
    fn write(&self, offset: usize, v: u32) {
        assert_eq!(offset, 0);
        let mut s = self.state.borrow_mut();
        assert!(
            s.busy_reads == 0 && !s.stuck_busy,
            "SMI command written while busy"
        );
        s.accesses += 1;
        let phy = ((v >> 16) & 0x1F) as u8;
        let reg = ((v >> 21) & 0x1F) as u8;
        s.busy_reads = 2;
        let mut phys = self.phys.borrow_mut();
        if v & (1 << 26) != 0 {
            s.value = match phys.get_mut(&phy) {
                Some(p) => (1 << 27) | u32::from(p.read(reg)),
                None => 0xFFFF, // no READ_VALID: nobody answered
            };
        } else {
            if let Some(p) = phys.get_mut(&phy) {
                p.write(reg, v as u16);
            }
            s.value = 0;
        }
    }
}

// ----------------------------------------------------------------------------- the port

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxOutcome {
    Delivered,
    Filtered,
    Overrun,
    LinkDown,
    PortStopped,
    AddressError,
}

#[derive(Default)]
struct RxQueue {
    enabled: bool,
    base: u32,
    size: usize,
    buf_size: usize,
    occupied: usize,
    non_occupied: usize,
    hw_index: usize,
    elapsed_cycles: u64,
    timer_fired: bool,
}

#[derive(Default)]
struct TxQueue {
    enabled: bool,
    base: u32,
    size: usize,
    threshold: usize,
    pending: usize,
    sent: usize,
    hw_index: usize,
}

pub struct State {
    regs: HashMap<usize, u32>,
    cache: CacheModel,
    pub violations: Vec<String>,
    rx: RxQueue,
    tx: TxQueue,
    port_reset_reads_left: u32,
    misc_cause: u32,
    mib: HashMap<usize, u64>,
    overrun_counter: u32,
    pub wire: Vec<Vec<u8>>,
    pub lost_on_wire: u64,
    pub auto_tx: bool,
    pub enforce_max_rx_size: bool,
    pub address_errors: u64,
    pub register_writes: u64,
}

pub struct NetaModel {
    arena: Arena,
    st: RefCell<State>,
    smi: Rc<SmiModel>,
    phy_addr: u8,
}

/// DRAM chip selects of the modelled board (Mirabox: 2 × 512 MiB).
const DRAM: [(u32, u64, u8); 2] = [(0, 512 << 20, 0x0E), (0x2000_0000, 512 << 20, 0x0D)];

fn fcs(data: &[u8]) -> u32 {
    // IEEE 802.3 CRC-32 (reflected 0xEDB88320), bytewise.
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// CRC-8 of an address for the "other multicast" table, written from the polynomial
/// (x^8 + x^2 + x + 1) as a long division over 48 + 8 bits.
fn other_mcast_index(addr: &[u8; 6]) -> u8 {
    let mut value: u64 = 0;
    for b in addr {
        value = (value << 8) | u64::from(*b);
    }
    value <<= 8; // append 8 zero bits
    let poly: u64 = 0x107;
    for bit in (8..56).rev() {
        if value & (1 << bit) != 0 {
            value ^= poly << (bit - 8);
        }
    }
    value as u8
}

impl NetaModel {
    /// A port with `mac` left in its MAC registers (as U-Boot leaves it), an arena of `len`
    /// bytes of DMA-able memory, and the PHY at `phy_addr` on `smi`.
    pub fn new(mac: [u8; 6], smi: Rc<SmiModel>, phy_addr: u8) -> NetaModel {
        let len = (size_of::<armada370::mvneta::PortMemory>() + 8192).next_multiple_of(4096);
        let arena = Arena::new(len);
        let mut regs = HashMap::new();
        regs.insert(
            r::MAC_ADDR_HIGH,
            u32::from_be_bytes([mac[0], mac[1], mac[2], mac[3]]),
        );
        regs.insert(
            r::MAC_ADDR_LOW,
            (u32::from(mac[4]) << 8) | u32::from(mac[5]),
        );
        // Reset values: port reset asserted, all windows disabled, TX token size 0.
        regs.insert(r::GMAC_CTRL_2, 1 << 6);
        regs.insert(r::BASE_ADDR_ENABLE, 0x3F);
        regs.insert(r::GMAC_AUTONEG_CONFIG, 0x9268);
        let st = State {
            regs,
            cache: CacheModel {
                ram: vec![0; len],
                synced: vec![0; len],
                device_written: vec![false; len / LINE],
                cleans: 0,
                clean_lines: 0,
                invalidates: 0,
                invalidate_lines: 0,
            },
            violations: Vec::new(),
            rx: RxQueue::default(),
            tx: TxQueue::default(),
            port_reset_reads_left: 0,
            misc_cause: 0,
            mib: HashMap::new(),
            overrun_counter: 0,
            wire: Vec::new(),
            lost_on_wire: 0,
            auto_tx: true,
            enforce_max_rx_size: true,
            address_errors: 0,
            register_writes: 0,
        };
        NetaModel {
            arena,
            st: RefCell::new(st),
            smi,
            phy_addr,
        }
    }

    /// The arena start, where tests place the driver's `PortMemory`.
    pub fn memory(&self) -> std::ptr::NonNull<armada370::mvneta::PortMemory> {
        std::ptr::NonNull::new(self.arena.ptr.cast()).expect("arena")
    }

    /// Simulates what a boot loader or start-up code left in the (cached) memory: garbage
    /// written by the CPU and never cleaned.
    pub fn scribble_memory(&self, seed: u8) {
        for i in 0..self.arena.len() {
            self.arena
                .set_cpu(i, (i as u8).wrapping_mul(31).wrapping_add(seed));
        }
    }

    pub fn state(&self) -> Ref<'_, State> {
        self.st.borrow()
    }
    pub fn state_mut(&self) -> RefMut<'_, State> {
        self.st.borrow_mut()
    }

    pub fn reg(&self, off: usize) -> u32 {
        self.st.borrow().regs.get(&off).copied().unwrap_or(0)
    }

    pub fn take_wire(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.st.borrow_mut().wire)
    }

    pub fn violations(&self) -> Vec<String> {
        self.st.borrow().violations.clone()
    }

    /// Panics listing every rule the driver broke.
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "model violations:\n{}", v.join("\n"));
    }

    pub fn rx_counters(&self) -> (usize, usize) {
        let s = self.st.borrow();
        (s.rx.occupied, s.rx.non_occupied)
    }
    pub fn tx_counters(&self) -> (usize, usize) {
        let s = self.st.borrow();
        (s.tx.pending, s.tx.sent)
    }
    pub fn queues_enabled(&self) -> (bool, bool) {
        let s = self.st.borrow();
        (s.rx.enabled, s.tx.enabled)
    }
    pub fn maintenance(&self) -> (u64, u64, u64, u64) {
        let c = &self.st.borrow().cache;
        (c.cleans, c.clean_lines, c.invalidates, c.invalidate_lines)
    }

    /// The per-CPU interrupt line of this port towards CPU 0.
    pub fn irq_line(&self) -> bool {
        let s = self.st.borrow();
        let mask = s.regs.get(&r::INTR_NEW_MASK).copied().unwrap_or(0);
        Self::new_cause(&s) & mask != 0
    }

    pub fn raise_misc(&self, bits: u32) {
        self.st.borrow_mut().misc_cause |= bits;
    }

    /// Lets `us` microseconds pass (RX time coalescing).
    pub fn advance_us(&self, us: u64) {
        let mut s = self.st.borrow_mut();
        if s.rx.occupied > 0 {
            let coal = u64::from(s.regs.get(&r::rxq_time_coal(0)).copied().unwrap_or(0));
            s.rx.elapsed_cycles += us * u64::from(TCLK_HZ / 1_000_000);
            if s.rx.elapsed_cycles >= coal {
                s.rx.timer_fired = true;
            }
        }
    }

    // ------------------------------------------------------------------ cause logic

    fn new_cause(s: &State) -> u32 {
        let map = s.regs.get(&r::cpu_map(0)).copied().unwrap_or(0);
        let enable = s.regs.get(&r::INTR_ENABLE).copied().unwrap_or(0);
        let rx_thresh = (s.regs.get(&r::rxq_threshold(0)).copied().unwrap_or(0) & 0x3FFF) as usize;
        let mut cause = 0;
        let rx_due = s.rx.occupied > 0 && (s.rx.occupied >= rx_thresh.max(1) || s.rx.timer_fired);
        if rx_due && map & 1 != 0 && enable & 1 != 0 {
            cause |= r::cause_rx(0);
        }
        if s.tx.sent > s.tx.threshold && map & (1 << 8) != 0 && enable & (1 << 8) != 0 {
            cause |= r::cause_tx(0);
        }
        let misc_mask = s.regs.get(&r::INTR_MISC_MASK).copied().unwrap_or(0);
        if s.misc_cause & misc_mask != 0 {
            cause |= r::CAUSE_MISC;
        }
        cause
    }

    // ------------------------------------------------------------------ DMA view

    fn offset_of_bus(&self, bus: u32, len: usize) -> Option<usize> {
        let off = bus.checked_sub(BUS_BASE)? as usize;
        (off + len <= self.arena.len()).then_some(off)
    }

    /// Whether the port's windows let the device `write` (or read) `[bus, bus+len)`.
    fn window_allows(s: &State, bus: u32, len: usize, write: bool) -> bool {
        let enable = s.regs.get(&r::BASE_ADDR_ENABLE).copied().unwrap_or(0x3F);
        let protect = s.regs.get(&r::ACCESS_PROTECT).copied().unwrap_or(0);
        let (start, end) = (u64::from(bus), u64::from(bus) + len as u64);
        (0..r::WINDOWS).any(|w| {
            if enable & (1 << w) != 0 {
                return false;
            }
            let base = s.regs.get(&r::win_base(w)).copied().unwrap_or(0);
            let size = s.regs.get(&r::win_size(w)).copied().unwrap_or(0);
            let wstart = u64::from(base & 0xFFFF_0000);
            let wend = wstart + u64::from(size | 0xFFFF) + 1;
            let target = base & 0xF;
            let attr = ((base >> 8) & 0xFF) as u8;
            let dram_ok = target == 0
                && DRAM.iter().any(|&(b, sz, a)| {
                    a == attr && start >= u64::from(b) && end <= u64::from(b) + sz
                });
            let p = (protect >> (2 * w)) & 3;
            let access_ok = if write { p == 3 } else { p & 1 != 0 };
            dram_ok && access_ok && start >= wstart && end <= wend
        })
    }

    /// Device read: what DRAM holds; punishes lines with uncleaned CPU writes.
    fn device_read(&self, s: &mut State, bus: u32, len: usize, what: &str) -> Option<Vec<u8>> {
        if !Self::window_allows(s, bus, len, false) {
            s.address_errors += 1;
            s.misc_cause |= r::misc::INTERNAL_ADDR_ERR;
            return None;
        }
        let Some(off) = self.offset_of_bus(bus, len) else {
            s.violations.push(format!(
                "{what}: bus address {bus:#x}+{len} outside DMA memory"
            ));
            return None;
        };
        let first = off / LINE;
        let last = (off + len - 1) / LINE;
        for line in first..=last {
            let dirty =
                (line * LINE..(line + 1) * LINE).any(|i| self.arena.cpu(i) != s.cache.synced[i]);
            if dirty {
                s.violations.push(format!(
                    "{what}: device read line {:#x} holding CPU writes that were never cleaned",
                    BUS_BASE as usize + line * LINE
                ));
            }
        }
        Some(s.cache.ram[off..off + len].to_vec())
    }

    fn device_write(&self, s: &mut State, bus: u32, data: &[u8], what: &str) -> bool {
        if !Self::window_allows(s, bus, data.len(), true) {
            s.address_errors += 1;
            s.misc_cause |= r::misc::INTERNAL_ADDR_ERR;
            return false;
        }
        let Some(off) = self.offset_of_bus(bus, data.len()) else {
            s.violations
                .push(format!("{what}: bus address {bus:#x} outside DMA memory"));
            return false;
        };
        s.cache.ram[off..off + data.len()].copy_from_slice(data);
        for line in off / LINE..=(off + data.len() - 1) / LINE {
            s.cache.device_written[line] = true;
        }
        true
    }

    fn arena_range(&self, ptr: *const u8, len: usize) -> Option<(usize, usize)> {
        let start = (ptr as usize).checked_sub(self.arena.ptr as usize)?;
        (start + len <= self.arena.len()).then_some((start / LINE, (start + len - 1) / LINE))
    }

    // ------------------------------------------------------------------ RX

    fn filter_accepts(s: &State, da: &[u8]) -> bool {
        let reg = |o: usize| s.regs.get(&o).copied().unwrap_or(0);
        let table = |base: usize, i: usize| (reg(base + (i / 4) * 4) >> (8 * (i % 4))) & 0xFF;
        if da.iter().all(|&b| b == 0xFF) {
            return true;
        }
        if da[0] & 1 != 0 {
            if da[..5] == [0x01, 0x00, 0x5E, 0x00, 0x00] {
                return table(r::DA_FILT_SPECIAL_MCAST, usize::from(da[5])) & 1 != 0;
            }
            let mut a = [0u8; 6];
            a.copy_from_slice(da);
            return table(r::DA_FILT_OTHER_MCAST, usize::from(other_mcast_index(&a))) & 1 != 0;
        }
        if reg(r::PORT_CONFIG) & 1 != 0 {
            return true;
        }
        let high = reg(r::MAC_ADDR_HIGH).to_be_bytes();
        let low = reg(r::MAC_ADDR_LOW);
        let ours =
            da[..4] == high && da[4] == (low >> 8) as u8 && da[5] & 0xF0 == (low as u8) & 0xF0;
        ours && table(r::DA_FILT_UNICAST, usize::from(da[5] & 0xF)) & 1 != 0
    }

    fn link_ok(&self, s: &State) -> bool {
        let autoneg = s.regs.get(&r::GMAC_AUTONEG_CONFIG).copied().unwrap_or(0);
        let mac_up = autoneg & 2 != 0 && autoneg & 1 == 0;
        let phys = self.smi.phys.borrow();
        let Some(neg) = phys.get(&self.phy_addr).and_then(|p| p.negotiated()) else {
            return false;
        };
        let mac_speed = if autoneg & (1 << 6) != 0 {
            1000
        } else if autoneg & (1 << 5) != 0 {
            100
        } else {
            10
        };
        let mac_fd = autoneg & (1 << 12) != 0;
        mac_up && (mac_speed, mac_fd) == neg
    }

    fn port_running(s: &State) -> bool {
        let ctrl0 = s.regs.get(&r::GMAC_CTRL_0).copied().unwrap_or(0);
        ctrl0 & 1 != 0
            && s.port_reset_reads_left == 0
            && s.regs.get(&r::GMAC_CTRL_2).copied().unwrap_or(0) & (1 << 6) == 0
    }

    pub fn inject(&self, frame: &[u8]) -> RxOutcome {
        self.inject_with(frame, None)
    }

    /// A frame whose FCS is wrong: the controller delivers it with the CRC error code.
    pub fn inject_bad_crc(&self, frame: &[u8]) -> RxOutcome {
        self.inject_with(frame, Some(0))
    }

    fn inject_with(&self, frame: &[u8], forced_error: Option<u32>) -> RxOutcome {
        let mut guard = self.st.borrow_mut();
        let s = &mut *guard;
        if !self.link_ok(s) {
            return RxOutcome::LinkDown;
        }
        if !Self::port_running(s) || !s.rx.enabled {
            return RxOutcome::PortStopped;
        }
        if frame.len() < 6 || !Self::filter_accepts(s, &frame[..6]) {
            return RxOutcome::Filtered;
        }
        let mut data = vec![0u8, 0u8];
        data.extend_from_slice(frame);
        data.extend_from_slice(&fcs(frame).to_le_bytes());
        let mut error = forced_error;
        let max_field = (s.regs.get(&r::GMAC_CTRL_0).copied().unwrap_or(0) >> 2) & 0x1FFF;
        let max_bytes = 2 * max_field as usize + 2;
        if s.enforce_max_rx_size && data.len() > max_bytes {
            data.truncate(max_bytes);
            error = Some(2);
        }
        let buf_size = s.rx.buf_size.max(8);
        let pieces: Vec<&[u8]> = data.chunks(buf_size).collect();
        if s.rx.non_occupied < pieces.len() {
            s.overrun_counter += 1;
            s.misc_cause |= r::misc::RX_OVERRUN;
            return RxOutcome::Overrun;
        }
        let n = pieces.len();
        for (k, piece) in pieces.iter().enumerate() {
            let desc_bus = s.rx.base + (32 * s.rx.hw_index) as u32;
            let Some(desc) = self.device_read(s, desc_bus, 32, "RX descriptor") else {
                return RxOutcome::AddressError;
            };
            let buf = u32::from_le_bytes([desc[8], desc[9], desc[10], desc[11]]);
            if !self.device_write(s, buf, piece, "RX buffer") {
                return RxOutcome::AddressError;
            }
            let mut status = 0u32;
            if k == 0 {
                status |= 1 << 27;
            }
            if k == n - 1 {
                status |= 1 << 26;
                if let Some(code) = error {
                    status |= (1 << 16) | (code << 17);
                }
            }
            if frame.len() >= 14 && frame[12..14] == [0x08, 0x00] {
                status |= 1 << 25;
            }
            let mut head = [0u8; 8];
            head[..4].copy_from_slice(&status.to_le_bytes());
            head[6..8].copy_from_slice(&(piece.len() as u16).to_le_bytes());
            self.device_write(s, desc_bus, &head, "RX descriptor");
            s.rx.hw_index = (s.rx.hw_index + 1) % s.rx.size;
        }
        s.rx.non_occupied -= n;
        s.rx.occupied += n;
        if error.is_none() {
            *s.mib.entry(r::mib::GOOD_FRAMES_RX).or_default() += 1;
            *s.mib.entry(r::mib::GOOD_OCTETS_RX).or_default() += (frame.len() + 4) as u64;
            if frame[0] & 1 != 0 {
                let key = if frame[..6].iter().all(|&b| b == 0xFF) {
                    r::mib::BROADCAST_RX
                } else {
                    r::mib::MULTICAST_RX
                };
                *s.mib.entry(key).or_default() += 1;
            }
        } else if error == Some(0) {
            *s.mib.entry(r::mib::BAD_CRC).or_default() += 1;
        }
        RxOutcome::Delivered
    }

    // ------------------------------------------------------------------ TX

    /// Transmits up to `max` pending descriptors (what the wire drains). Returns how many.
    pub fn transmit_pending(&self, max: usize) -> usize {
        let mut guard = self.st.borrow_mut();
        self.run_tx(&mut guard, max)
    }

    fn run_tx(&self, s: &mut State, max: usize) -> usize {
        let mut done = 0;
        while done < max && s.tx.pending > 0 && s.tx.enabled && Self::port_running(s) {
            let desc_bus = s.tx.base + (32 * s.tx.hw_index) as u32;
            let Some(desc) = self.device_read(s, desc_bus, 32, "TX descriptor") else {
                break;
            };
            let command = u32::from_le_bytes([desc[0], desc[1], desc[2], desc[3]]);
            let size = usize::from(u16::from_le_bytes([desc[6], desc[7]]));
            let buf = u32::from_le_bytes([desc[8], desc[9], desc[10], desc[11]]);
            if command & (1 << 21) == 0 || command & (1 << 20) == 0 {
                s.violations.push(format!(
                    "TX descriptor {}: not a single-buffer frame (command {command:#x})",
                    s.tx.hw_index
                ));
            }
            if command & (1 << 31) == 0 {
                s.violations
                    .push("TX checksum generation requested (not modelled)".into());
            }
            let Some(mut data) = self.device_read(s, buf, size, "TX buffer") else {
                break;
            };
            if command & (1 << 19) != 0 && data.len() < 60 {
                data.resize(60, 0);
            }
            s.tx.hw_index = (s.tx.hw_index + 1) % s.tx.size;
            s.tx.pending -= 1;
            s.tx.sent = (s.tx.sent + 1).min(0x3FFF);
            if self.link_ok(s) {
                *s.mib.entry(r::mib::GOOD_FRAMES_TX).or_default() += 1;
                *s.mib.entry(r::mib::GOOD_OCTETS_TX).or_default() += (data.len() + 4) as u64;
                s.wire.push(data);
            } else {
                s.lost_on_wire += 1;
            }
            done += 1;
        }
        done
    }

    // ------------------------------------------------------------------ register writes

    fn write_reg(&self, s: &mut State, off: usize, v: u32) {
        s.register_writes += 1;
        let old = s.regs.get(&off).copied().unwrap_or(0);
        match off {
            o if o == r::rxq_status_update(0) => {
                let processed = (v & 0xFF) as usize;
                let refilled = ((v >> 16) & 0xFF) as usize;
                if processed > s.rx.occupied {
                    s.violations.push(format!(
                        "RX: {processed} processed but only {} occupied",
                        s.rx.occupied
                    ));
                }
                s.rx.occupied -= processed.min(s.rx.occupied);
                if s.rx.occupied == 0 {
                    s.rx.timer_fired = false;
                    s.rx.elapsed_cycles = 0;
                }
                if s.rx.occupied + s.rx.non_occupied + refilled > s.rx.size {
                    s.violations.push(format!(
                        "RX: refilling {refilled} overruns the ring ({} occupied + {} free of {})",
                        s.rx.occupied, s.rx.non_occupied, s.rx.size
                    ));
                }
                s.rx.non_occupied =
                    (s.rx.non_occupied + refilled).min(s.rx.size - s.rx.occupied.min(s.rx.size));
                return;
            }
            o if o == r::txq_update(0) => {
                let added = (v & 0xFF) as usize;
                let acked = ((v >> 16) & 0xFF) as usize;
                if acked > s.tx.sent {
                    s.violations.push(format!(
                        "TX: acknowledged {acked} but only {} sent",
                        s.tx.sent
                    ));
                }
                s.tx.sent -= acked.min(s.tx.sent);
                if s.tx.pending + s.tx.sent + added > s.tx.size {
                    s.violations.push(format!(
                        "TX: {added} more pending overruns the ring ({} pending + {} sent of {})",
                        s.tx.pending, s.tx.sent, s.tx.size
                    ));
                }
                s.tx.pending += added;
                if s.auto_tx {
                    self.run_tx(s, usize::MAX);
                }
                return;
            }
            r::RXQ_CMD => {
                if v & 1 != 0 {
                    if s.rx.base == 0 || s.rx.size == 0 {
                        s.violations.push("RXQ enabled without a ring".into());
                    }
                    if !Self::port_running(s) {
                        s.violations
                            .push("RXQ enabled while the port is disabled or in reset".into());
                    }
                    if s.regs.get(&r::ACC_MODE).copied() != Some(1) {
                        s.violations
                            .push("RXQ enabled without SW buffer management (ACC_MODE)".into());
                    }
                    s.rx.enabled = true;
                }
                if v & (1 << 8) != 0 {
                    s.rx.enabled = false;
                }
                return;
            }
            r::TXQ_CMD => {
                if v & 1 != 0 {
                    if s.tx.base == 0 || s.tx.size == 0 {
                        s.violations.push("TXQ enabled without a ring".into());
                    }
                    if !Self::port_running(s) {
                        s.violations
                            .push("TXQ enabled while the port is disabled or in reset".into());
                    }
                    s.tx.enabled = true;
                }
                if v & (1 << 8) != 0 {
                    s.tx.enabled = false;
                }
                if s.auto_tx {
                    self.run_tx(s, usize::MAX);
                }
                return;
            }
            o if o == r::rxq_base_addr(0) => {
                if s.rx.enabled {
                    s.violations
                        .push("RXQ base address changed while the queue runs".into());
                }
                if !v.is_multiple_of(32) {
                    s.violations
                        .push(format!("RX ring at {v:#x} not 32-byte aligned"));
                }
                s.rx.base = v;
                s.rx.hw_index = 0;
            }
            o if o == r::rxq_size(0) => {
                if s.rx.enabled && v != old {
                    s.violations
                        .push("RXQ size changed while the queue runs".into());
                }
                s.rx.size = (v & 0x3FFF) as usize;
                s.rx.buf_size = ((v >> 19) * 8) as usize;
            }
            o if o == r::txq_base_addr(0) => {
                if s.tx.enabled {
                    s.violations
                        .push("TXQ base address changed while the queue runs".into());
                }
                if !v.is_multiple_of(32) {
                    s.violations
                        .push(format!("TX ring at {v:#x} not 32-byte aligned"));
                }
                s.tx.base = v;
                s.tx.hw_index = 0;
            }
            o if o == r::txq_size(0) => {
                if s.tx.enabled && (v & 0x3FFF) != (old & 0x3FFF) {
                    s.violations
                        .push("TXQ ring size changed while the queue runs".into());
                }
                s.tx.size = (v & 0x3FFF) as usize;
                s.tx.threshold = ((v >> 16) & 0x3FFF) as usize;
            }
            r::PORT_RX_RESET => {
                if v & 1 != 0 {
                    if s.rx.enabled {
                        s.violations
                            .push("RX DMA reset while the RX queue runs".into());
                    }
                    s.rx.occupied = 0;
                    s.rx.non_occupied = 0;
                    s.rx.hw_index = 0;
                    s.rx.timer_fired = false;
                }
            }
            r::PORT_TX_RESET => {
                if v & 1 != 0 {
                    if s.tx.enabled {
                        s.violations
                            .push("TX DMA reset while the TX queue runs".into());
                    }
                    s.tx.pending = 0;
                    s.tx.sent = 0;
                    s.tx.hw_index = 0;
                }
            }
            r::INTR_MISC_CAUSE => {
                s.misc_cause &= v;
                return;
            }
            r::INTR_NEW_CAUSE => return, // RX/TX bits follow the counters; MISC follows MISC_CAUSE
            r::GMAC_CTRL_0 => {
                if v & 1 == 0 && old & 1 != 0 && (s.rx.enabled || s.tx.enabled) {
                    s.violations
                        .push("port disabled while queues run (port_down first)".into());
                }
            }
            r::GMAC_CTRL_2 if old & (1 << 6) != 0 && v & (1 << 6) == 0 => {
                s.port_reset_reads_left = 3;
            }
            _ => {}
        }
        s.regs.insert(off, v);
    }

    fn read_reg(&self, s: &mut State, off: usize) -> u32 {
        match off {
            o if o == r::rxq_status(0) => {
                (s.rx.occupied as u32) | ((s.rx.non_occupied as u32) << 16)
            }
            o if o == r::txq_status(0) => (s.tx.sent as u32) << 16,
            r::RXQ_CMD => u32::from(s.rx.enabled),
            r::TXQ_CMD => u32::from(s.tx.enabled),
            r::INTR_NEW_CAUSE => Self::new_cause(s),
            r::INTR_MISC_CAUSE => s.misc_cause,
            r::PORT_STATUS => r::PORT_STATUS_TX_FIFO_EMPTY,
            r::GMAC_CTRL_2 => {
                let v = s.regs.get(&off).copied().unwrap_or(0);
                if s.port_reset_reads_left > 0 {
                    s.port_reset_reads_left -= 1;
                    v | (1 << 6)
                } else {
                    v
                }
            }
            r::GMAC_STATUS => {
                let a = s.regs.get(&r::GMAC_AUTONEG_CONFIG).copied().unwrap_or(0);
                let up = a & 2 != 0 && a & 1 == 0;
                u32::from(up) | ((a >> 5) & 1) << 2 | ((a >> 6) & 1) << 1 | ((a >> 12) & 1) << 3
            }
            r::RX_OVERRUN_COUNTER => std::mem::take(&mut s.overrun_counter),
            o if r::mib::RANGE.contains(&o) => {
                // 64-bit counters: low word at the base, high word at +4.
                let (key, high) = if s.mib.contains_key(&(o - 4))
                    && matches!(o - 4, r::mib::GOOD_OCTETS_RX | r::mib::GOOD_OCTETS_TX)
                {
                    (o - 4, true)
                } else {
                    (o, false)
                };
                let v = s.mib.get(&key).copied().unwrap_or(0);
                if high {
                    s.mib.remove(&key);
                    (v >> 32) as u32
                } else if matches!(o, r::mib::GOOD_OCTETS_RX | r::mib::GOOD_OCTETS_TX) {
                    // The high word read that follows clears the pair.
                    v as u32
                } else {
                    s.mib.remove(&key);
                    v as u32
                }
            }
            _ => s.regs.get(&off).copied().unwrap_or(0),
        }
    }
}

impl Bus for NetaModel {
    fn read(&self, offset: usize) -> u32 {
        assert!(
            offset.is_multiple_of(4) && offset < 0x4000,
            "bad offset {offset:#x}"
        );
        let mut s = self.st.borrow_mut();
        self.read_reg(&mut s, offset)
    }
    fn write(&self, offset: usize, value: u32) {
        assert!(
            offset.is_multiple_of(4) && offset < 0x4000,
            "bad offset {offset:#x}"
        );
        let mut s = self.st.borrow_mut();
        self.write_reg(&mut s, offset, value);
    }
}

impl DmaMemory for NetaModel {
    fn bus_address(&self, ptr: *const u8) -> Option<BusAddress> {
        let off = (ptr as usize).checked_sub(self.arena.ptr as usize)?;
        (off < self.arena.len()).then(|| BUS_BASE + off as u32)
    }

    fn cpu_pointer(&self, bus: BusAddress) -> Option<*mut u8> {
        let off = self.offset_of_bus(bus, 1)?;
        // SAFETY: `off` is inside the arena allocation.
        Some(unsafe { self.arena.ptr.add(off) })
    }

    fn clean(&self, ptr: *const u8, len: usize) {
        let mut guard = self.st.borrow_mut();
        let s = &mut *guard;
        s.cache.cleans += 1;
        let Some((first, last)) = self.arena_range(ptr, len.max(1)) else {
            s.violations
                .push(format!("clean of {ptr:p}+{len} outside DMA memory"));
            return;
        };
        for line in first..=last {
            s.cache.clean_lines += 1;
            let range = line * LINE..(line + 1) * LINE;
            let dirty = range
                .clone()
                .any(|i| self.arena.cpu(i) != s.cache.synced[i]);
            if !dirty {
                continue; // a clean line is not written back
            }
            if s.cache.device_written[line] {
                s.violations.push(format!(
                    "line {:#x}: CPU and device both wrote it; the clean overwrites the device's data",
                    BUS_BASE as usize + line * LINE
                ));
            }
            for i in range {
                let v = self.arena.cpu(i);
                s.cache.ram[i] = v;
                s.cache.synced[i] = v;
            }
        }
    }

    fn invalidate(&self, ptr: *const u8, len: usize) {
        let mut guard = self.st.borrow_mut();
        let s = &mut *guard;
        s.cache.invalidates += 1;
        let Some((first, last)) = self.arena_range(ptr, len.max(1)) else {
            s.violations
                .push(format!("invalidate of {ptr:p}+{len} outside DMA memory"));
            return;
        };
        for line in first..=last {
            s.cache.invalidate_lines += 1;
            let range = line * LINE..(line + 1) * LINE;
            if range
                .clone()
                .any(|i| self.arena.cpu(i) != s.cache.synced[i])
            {
                s.violations.push(format!(
                    "line {:#x}: invalidate discards CPU writes that were never cleaned",
                    BUS_BASE as usize + line * LINE
                ));
            }
            for i in range {
                let v = s.cache.ram[i];
                self.arena.set_cpu(i, v);
                s.cache.synced[i] = v;
            }
            s.cache.device_written[line] = false;
        }
    }
}

/// Drivers hold the model by reference for both the bus and the DMA view.
impl DmaMemory for &NetaModel {
    fn bus_address(&self, ptr: *const u8) -> Option<BusAddress> {
        (**self).bus_address(ptr)
    }
    fn cpu_pointer(&self, bus: BusAddress) -> Option<*mut u8> {
        (**self).cpu_pointer(bus)
    }
    fn clean(&self, ptr: *const u8, len: usize) {
        (**self).clean(ptr, len)
    }
    fn invalidate(&self, ptr: *const u8, len: usize) {
        (**self).invalidate(ptr, len)
    }
}
