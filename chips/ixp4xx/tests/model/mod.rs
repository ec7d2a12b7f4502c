//! Behavioural models of the IXP420 parts the Ethernet driver talks to, for host tests:
//! the queue manager (`qmgr`), NPE-B with Ethernet microcode behaviour (`npe` plus the data
//! path below), the EthB MAC with its MDIO PHY (`mac`), and a non-coherent memory system that
//! checks cache maintenance (`dma`). `microcode` builds synthetic (never real) NPE images.
//!
//! The models share one [`Soc`]; the driver gets [`Port`]s (its `Bus` implementations) and a
//! [`Dma`] (its `DmaMemory`), all borrowing the `Soc`. The NPE does nothing on its own: a test
//! calls [`Soc::npe_run`] to let it process the TX queue, deliver injected frames and answer
//! statistics requests, which keeps every test deterministic.
#![allow(dead_code)]

pub mod dma;
pub mod mac;
pub mod microcode;
pub mod npe;
pub mod qmgr;

use std::cell::RefCell;
use std::collections::VecDeque;

use hil::mmio::Bus;
use ixp4xx::map::queue;

pub use dma::{DmaState, Violation};

/// The receive queue these tests configure (`eth::Config::rx_queue`; the NSLU2's choice, Linux
/// DT `queue-rx = <&qmgr 3>`).
pub const RX_QUEUE: u32 = 3;
/// Bus address at which the model places the driver's DMA memory (any RAM address works).
pub const BUS_BASE: u32 = 0x0040_0000;
/// Words in the model's statistics block (Intel `IxEthEthObjStats`).
pub const STATS_WORDS: usize = 22;

pub struct SocState {
    pub qm: qmgr::QmState,
    pub npe: npe::NpeState,
    pub mac: mac::MacState,
    pub dma: Option<DmaState>,
    /// Frames waiting on the wire for the NPE to receive.
    pub wire_rx: VecDeque<Vec<u8>>,
    /// Frames the NPE transmitted, in order.
    pub wire_tx: Vec<Vec<u8>>,
    /// MIB counters the NPE reports via GETSTATS.
    pub counters: [u32; STATS_WORDS],
    /// An RX descriptor taken from RX-free but not yet used (after a too-large frame).
    rx_held: Option<u32>,
    /// Device writes to RAM (frames and descriptors) since construction.
    pub device_writes: u64,
    /// Protocol errors the NPE would trip over (bad descriptors, unconfigured RX queue...).
    pub npe_errors: Vec<String>,
}

pub struct Soc {
    pub state: RefCell<SocState>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    Qmgr,
    Npe,
    Mac,
}

/// A register window of the model, as the driver's `Bus`.
#[derive(Clone, Copy)]
pub struct Port<'a> {
    soc: &'a Soc,
    block: Block,
}

impl Bus for Port<'_> {
    fn read(&self, offset: usize) -> u32 {
        let mut s = self.soc.state.borrow_mut();
        match self.block {
            Block::Qmgr => {
                let value = s.qm.read(offset);
                let q = offset / 16;
                let device_to_cpu = q == RX_QUEUE as usize || q == queue::TX_DONE as usize;
                if let Some(d) = s.dma.as_mut()
                    && offset < 0x400
                    && value != 0
                    && device_to_cpu
                {
                    d.note_handover(value & !0x1F);
                }
                value
            }
            Block::Npe => s.npe.read(offset),
            Block::Mac => s.mac.read(offset),
        }
    }

    fn write(&self, offset: usize, value: u32) {
        let mut s = self.soc.state.borrow_mut();
        match self.block {
            Block::Qmgr => s.qm.write(offset, value),
            Block::Npe => {
                s.npe.write(offset, value);
                // The microcode answers GETSTATS by DMA before replying; the model does both
                // at once, which needs the memory model, hence here and not in `npe`.
                if s.npe.running {
                    s.serve_stats();
                }
            }
            Block::Mac => s.mac.write(offset, value),
        }
    }
}

/// The model's memory system, as the driver's `DmaMemory`.
#[derive(Clone, Copy)]
pub struct Dma<'a> {
    soc: &'a Soc,
}

impl nic::dma::DmaMemory for Dma<'_> {
    fn bus_address(&self, ptr: *const u8) -> Option<u32> {
        self.soc.state.borrow().dma.as_ref()?.bus_address(ptr)
    }
    fn cpu_pointer(&self, bus: u32) -> Option<*mut u8> {
        self.soc.state.borrow().dma.as_ref()?.cpu_pointer(bus)
    }
    fn clean(&self, ptr: *const u8, len: usize) {
        if let Some(d) = self.soc.state.borrow_mut().dma.as_mut() {
            d.clean(ptr, len)
        }
    }
    fn invalidate(&self, ptr: *const u8, len: usize) {
        if let Some(d) = self.soc.state.borrow_mut().dma.as_mut() {
            d.invalidate(ptr, len)
        }
    }
}

impl Soc {
    pub fn new() -> Self {
        Soc {
            state: RefCell::new(SocState {
                qm: qmgr::QmState::new(),
                npe: npe::NpeState::new(),
                mac: mac::MacState::new(),
                dma: None,
                wire_rx: VecDeque::new(),
                wire_tx: Vec::new(),
                counters: [0; STATS_WORDS],
                rx_held: None,
                device_writes: 0,
                npe_errors: Vec::new(),
            }),
        }
    }

    pub fn port(&self, block: Block) -> Port<'_> {
        Port { soc: self, block }
    }

    pub fn dma(&self) -> Dma<'_> {
        Dma { soc: self }
    }

    /// Declares `len` bytes at `cpu_base` as the RAM the NPE can reach.
    pub fn attach_memory(&self, cpu_base: *mut u8, len: usize) {
        self.state.borrow_mut().dma = Some(DmaState::new(cpu_base, len, BUS_BASE));
    }

    /// Makes START behave like Ethernet microcode: it posts this status message.
    pub fn set_ethernet_microcode(&self, version: [u8; 4]) {
        self.state.borrow_mut().npe.status_on_start = Some([0, u32::from_be_bytes(version)]);
    }

    pub fn inject(&self, frame: &[u8]) {
        self.state.borrow_mut().wire_rx.push_back(frame.to_vec());
    }

    pub fn take_sent(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.state.borrow_mut().wire_tx)
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.state
            .borrow()
            .dma
            .as_ref()
            .map(|d| d.all_violations())
            .unwrap_or_default()
    }

    /// Lets the NPE work: answer statistics requests, transmit up to `tx_limit` queued frames,
    /// then receive injected frames while RX-free buffers last. Returns (sent, received).
    pub fn npe_run_limited(&self, tx_limit: usize) -> (usize, usize) {
        let mut s = self.state.borrow_mut();
        let s = &mut *s;
        if !s.npe.running || s.npe.status_on_start.is_none() {
            return (0, 0);
        }
        s.serve_stats();
        let sent = s.transmit(tx_limit);
        let received = s.receive();
        (sent, received)
    }

    pub fn npe_run(&self) -> (usize, usize) {
        self.npe_run_limited(usize::MAX)
    }
}

impl SocState {
    fn serve_stats(&mut self) {
        while let Some((bus, reset)) = self.npe.stats_requests.pop_front() {
            let counters = self.counters;
            let ok = self
                .dma
                .as_mut()
                .is_some_and(|d| d.device_write_words(bus, &counters));
            if ok {
                self.device_writes += 1;
            }
            if reset {
                self.counters = [0; STATS_WORDS];
            }
            let cmd = if reset { 0x05 } else { 0x04 };
            let word0 = cmd << 24 | 0x10 << 16;
            self.npe.out_fifo.extend([word0, bus]);
        }
    }

    fn transmit(&mut self, limit: usize) -> usize {
        let mut sent = 0;
        while sent < limit {
            let entry = self.qm.get(queue::TX as usize);
            if entry == 0 {
                break;
            }
            let desc = entry & !0x1F;
            let Some(dma) = self.dma.as_mut() else { break };
            let Some(words) = dma.device_read(desc, 32) else {
                self.npe_errors
                    .push(format!("TX entry {entry:#x} outside memory"));
                continue;
            };
            let word = |i: usize| u32::from_ne_bytes(words[4 * i..4 * i + 4].try_into().unwrap());
            if word(0) != 0 {
                self.npe_errors
                    .push(format!("TX descriptor {desc:#x}: next != 0"));
            }
            let pkt_len = (word(1) & 0xFFFF) as usize;
            let buf_len = (word(1) >> 16) as usize;
            if pkt_len > buf_len || pkt_len == 0 {
                self.npe_errors.push(format!(
                    "TX descriptor {desc:#x}: pkt_len {pkt_len} buf_len {buf_len}"
                ));
            }
            if let Some(frame) = dma.device_read(word(2), pkt_len.max(1)) {
                self.wire_tx
                    .push(frame[..pkt_len.min(frame.len())].to_vec());
            }
            // TX-done entries carry the NPE id (1 = NPE-B) in their low bits.
            self.qm.put(queue::TX_DONE as usize, desc | 1);
            sent += 1;
        }
        sent
    }

    fn receive(&mut self) -> usize {
        let mut received = 0;
        let mac_rx_enabled = self.mac.reg(ixp4xx::eth::mac::regs::RX_CONTROL0) & 1 != 0;
        while let Some(frame) = self.wire_rx.front().cloned() {
            if !mac_rx_enabled {
                self.wire_rx.pop_front();
                continue;
            }
            let Some(rxq) = self.npe.eth.rx_qos[0] else {
                self.npe_errors
                    .push("frame received before RX QoS was configured".into());
                self.wire_rx.pop_front();
                continue;
            };
            let desc = match self.rx_held.take() {
                Some(d) => d,
                None => match self.qm.get(queue::RX_FREE as usize) {
                    0 => {
                        // No buffer: the microcode drops the frame and counts it.
                        self.counters[12] += 1;
                        self.wire_rx.pop_front();
                        continue;
                    }
                    entry => entry & !0x1F,
                },
            };
            let Some(dma) = self.dma.as_mut() else { break };
            let Some(words) = dma.device_read(desc, 32) else {
                self.npe_errors
                    .push(format!("RX-free entry {desc:#x} outside memory"));
                continue;
            };
            let word = |i: usize| u32::from_ne_bytes(words[4 * i..4 * i + 4].try_into().unwrap());
            if word(0) != 0 {
                self.npe_errors
                    .push(format!("RX descriptor {desc:#x}: next != 0"));
            }
            let buf_len = (word(1) >> 16) as usize;
            if frame.len() > buf_len {
                self.counters[5] += 1;
                self.rx_held = Some(desc);
                self.wire_rx.pop_front();
                continue;
            }
            self.wire_rx.pop_front();
            if dma.device_write(word(2), &frame) {
                dma.device_write_words(desc + 4, &[(buf_len as u32) << 16 | frame.len() as u32]);
                self.device_writes += 1;
            }
            self.qm.put(rxq as usize, desc | 1);
            received += 1;
        }
        received
    }
}
