//! The NPE-B Ethernet port as a [`nic::Nic`].
//!
//! Data path (Linux `ixp4xx_eth.c`, condensed; queue numbers in [`crate::map::queue`]):
//! - RX: the CPU puts empty descriptors on RX-free (27); the NPE fills them and puts them on RX
//!   (3). [`Nic::receive`] lends the frame where the NPE wrote it, then re-arms the same
//!   descriptor and buffer and puts it back on RX-free. Zero copy.
//! - TX: [`Nic::transmit`] fills a free descriptor's buffer and puts the descriptor on TX (24);
//!   the NPE returns it on TX-done (31), reaped in [`Nic::on_interrupt`] or when the free list
//!   runs dry. Linux keeps free TX descriptors on a queue-manager queue (TX-ready); this driver
//!   keeps them in a small array instead, which saves two MMIO accesses per frame.
//!
//! Ownership is tracked per descriptor (a bit set means "the NPE has it"), so a descriptor the
//! NPE returns twice, or an entry pointing outside the ring, is counted and ignored rather than
//! trusted. Every handover goes through [`DmaMemory`]: clean what the NPE will read,
//! invalidate what it wrote, before the CPU reads it.
//!
//! Endianness: descriptor and message words are plain `u32` values (identical in BE32 and
//! little-endian). Frame bytes are handed over as the NPE stores them, which is byte order on a
//! BE32 core (the firmware) and in the host models; a little-endian build on real hardware
//! would need Linux's per-word swap and is not supported.

use core::marker::PhantomData;
use core::mem::offset_of;
use core::ptr::NonNull;

use nic::dma::{BusAddress, DmaMemory};
use nic::{Capabilities, Events, LinkState, MacAddress, Nic, NicStats, TxError};

use super::descriptor::{
    self as d, BUFFER_BYTES, DESCRIPTOR_BYTES, ENTRY_ADDRESS_MASK, EthMemory, RX_BUFFER_LEN,
    RX_DATA_OFFSET, RX_DESCRIPTORS, STATS_WORDS, TX_DESCRIPTORS, stats_word,
};
use super::mac::Mac;
use super::message;
use crate::map::queue;
use crate::npe::{Npe, NpeError};
use crate::qmgr::{IrqSource, QmgrError, QueueLen, QueueManager};
use hil::mdio::{Mdio, MdioError};
use hil::mmio::Bus;
use mii::{Phy, PhyConfig, PhyError};

/// Largest frame accepted for transmission (header + payload, no FCS).
pub const MAX_FRAME_LEN: usize = 1514;
/// The NPE id the TX-done entries of NPE-B carry in their low two bits.
const NPE_B_ENTRY_TAG: u32 = 1;

/// Why the port could not be brought up or a control operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EthError {
    /// NPE-B is not running: load the microcode first ([`super::load_microcode`]).
    NpeNotRunning,
    /// An NPE message or control operation failed.
    Npe(NpeError),
    /// The queue manager refused a queue.
    Qmgr(QmgrError),
    /// The DMA memory is not reachable by the NPE, or not contiguous on the bus.
    DmaUnreachable,
    /// A PHY register access failed.
    Mdio(MdioError),
    /// The PHY could not be found or set up (`mii`).
    Phy(PhyError),
    /// The NPE's reply to a statistics request was not a statistics reply.
    UnexpectedReply([u32; 2]),
    /// [`Config::rx_queue`] is one of this port's other queues, or not one of the queues 0–31
    /// whose "not empty" condition can interrupt.
    InvalidRxQueue(u32),
}

impl From<NpeError> for EthError {
    fn from(e: NpeError) -> Self {
        EthError::Npe(e)
    }
}
impl From<QmgrError> for EthError {
    fn from(e: QmgrError) -> Self {
        EthError::Qmgr(e)
    }
}
impl From<MdioError> for EthError {
    fn from(e: MdioError) -> Self {
        EthError::Mdio(e)
    }
}
impl From<PhyError> for EthError {
    fn from(e: PhyError) -> Self {
        EthError::Phy(e)
    }
}

/// Port configuration.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Station address (normally [`crate::expbus::Flash::mac_address_at`]).
    pub mac_address: MacAddress,
    /// PHY address on the NPE-B MDIO bus (a board fact: 1 on the NSLU2).
    pub phy_address: u8,
    /// The queue the NPE posts received frames on: a board's choice among the queues no other
    /// port uses (Linux DT `queue-rx`: 3 for EthB on the NSLU2).
    pub rx_queue: u32,
}

/// Raw NPE MIB counters from the last GETSTATS (Intel `IxEthEthObjStats` order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NpeCounters(pub [u32; stats_word::COUNT]);

/// The NPE-B Ethernet port.
pub struct Ethernet<'m, Q: Bus, N: Bus, M: Bus, D: DmaMemory> {
    qmgr: QueueManager<Q>,
    npe: Npe<N>,
    mac: Mac<M>,
    dma: D,
    mem: NonNull<EthMemory>,
    _mem: PhantomData<&'m mut EthMemory>,
    bus_base: BusAddress,
    station: MacAddress,
    phy: u8,
    /// [`Config::rx_queue`].
    rx_queue: u32,
    /// A received, validated descriptor waiting for `receive`.
    rx_pending: Option<usize>,
    /// Bit i: RX descriptor i is on RX-free or RX (owned by the NPE).
    rx_with_npe: u64,
    /// Free TX descriptor indices (a stack).
    tx_free: [u8; TX_DESCRIPTORS],
    tx_free_len: usize,
    /// Bit i: TX descriptor i is with the NPE.
    tx_with_npe: u32,
    stats: NicStats,
    npe_counters: NpeCounters,
    link: LinkState,
}

impl<Q: Bus, N: Bus, M: Bus, D: DmaMemory> core::fmt::Debug for Ethernet<'_, Q, N, M, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ethernet")
            .field("station", &self.station)
            .field("rx_with_npe", &self.rx_with_npe.count_ones())
            .field("tx_with_npe", &self.tx_with_npe.count_ones())
            .field("stats", &self.stats)
            .finish()
    }
}

const RX_DESC_OFFSET: usize = offset_of!(EthMemory, rx_descriptors);
const TX_DESC_OFFSET: usize = offset_of!(EthMemory, tx_descriptors);
const STATS_OFFSET: usize = offset_of!(EthMemory, stats);
const RX_BUF_OFFSET: usize = offset_of!(EthMemory, rx_buffers);
const TX_BUF_OFFSET: usize = offset_of!(EthMemory, tx_buffers);

impl<'m, Q: Bus, N: Bus, M: Bus, D: DmaMemory> Ethernet<'m, Q, N, M, D> {
    /// Brings the port up on a running NPE-B (Linux `eth_open`): RX QoS → RX queue 3, station
    /// address and firewall-off messages (each must be echoed), queues requested on a reset
    /// queue manager, all RX buffers posted, MAC configured and enabled. Interrupts stay off;
    /// after enabling them, call [`Nic::on_interrupt`] once (or poll) because the queue
    /// manager only latches conditions that arise later.
    ///
    /// On error the hardware is left half-configured: run [`super::quiesce`] and
    /// [`super::load_microcode`] again before retrying.
    pub fn new(
        mut qmgr: QueueManager<Q>,
        mut npe: Npe<N>,
        mac: Mac<M>,
        dma: D,
        mem: &'m mut EthMemory,
        config: Config,
    ) -> Result<Self, EthError> {
        if !npe.is_running() {
            return Err(EthError::NpeNotRunning);
        }
        if config.rx_queue >= 32
            || [queue::RX_FREE, queue::TX, queue::TX_DONE].contains(&config.rx_queue)
        {
            return Err(EthError::InvalidRxQueue(config.rx_queue));
        }
        let mem_ptr = NonNull::from(mem);
        let bus_base = dma
            .bus_address(mem_ptr.as_ptr().cast_const().cast())
            .ok_or(EthError::DmaUnreachable)?;
        let size = size_of::<EthMemory>();
        // SAFETY: `size - 1` bytes past the start is the last byte of the EthMemory object.
        let last = unsafe { mem_ptr.cast::<u8>().as_ptr().add(size - 1) };
        let contiguous = u32::try_from(size - 1)
            .ok()
            .and_then(|n| bus_base.checked_add(n))
            .is_some_and(|end| dma.bus_address(last) == Some(end));
        if !contiguous {
            return Err(EthError::DmaUnreachable);
        }

        for priority in 0..8 {
            npe.send_expect_echo(message::rx_qos_entry(priority, config.rx_queue as u8))?;
        }
        npe.send_expect_echo(message::set_port_address(config.mac_address.0))?;
        npe.send_expect_echo(message::set_firewall_mode(0))?;

        qmgr.request(queue::RX_FREE, QueueLen::Words64, 0, 0)?;
        qmgr.request(config.rx_queue, QueueLen::Words64, 0, 0)?;
        qmgr.request(queue::TX, QueueLen::Words16, 0, 0)?;
        qmgr.request(queue::TX_DONE, QueueLen::Words64, 0, 0)?;

        let mut eth = Ethernet {
            qmgr,
            npe,
            mac,
            dma,
            mem: mem_ptr,
            _mem: PhantomData,
            bus_base,
            station: config.mac_address,
            phy: config.phy_address,
            rx_queue: config.rx_queue,
            rx_pending: None,
            rx_with_npe: 0,
            tx_free: core::array::from_fn(|i| i as u8),
            tx_free_len: TX_DESCRIPTORS,
            tx_with_npe: 0,
            stats: NicStats::default(),
            npe_counters: NpeCounters::default(),
            link: LinkState::Down,
        };
        for i in 0..TX_DESCRIPTORS {
            eth.write_descriptor(TX_DESC_OFFSET, i, [0; 8]);
        }
        for i in 0..RX_DESCRIPTORS {
            // The CPU may hold lines of a buffer it never meant to write (zero-initialisation);
            // push them out and drop them before the NPE owns the buffer.
            let buf = eth.ptr(RX_BUF_OFFSET + i * BUFFER_BYTES);
            eth.dma.clean_and_invalidate(buf, BUFFER_BYTES);
            eth.post_rx(i);
        }
        eth.mac.configure_and_enable(config.mac_address.0);
        Ok(eth)
    }

    fn ptr(&self, offset: usize) -> *mut u8 {
        // SAFETY: every caller passes an offset inside EthMemory (constants from offset_of!
        // plus an index bounded by the ring size).
        unsafe { self.mem.cast::<u8>().as_ptr().add(offset) }
    }

    fn bus(&self, offset: usize) -> BusAddress {
        // Offsets are below size_of::<EthMemory>(), which `new` proved fits the bus window.
        self.bus_base.wrapping_add(offset as u32)
    }

    fn read_descriptor_word(&self, ring: usize, index: usize, word: usize) -> u32 {
        let p = self
            .ptr(ring + index * DESCRIPTOR_BYTES)
            .cast::<u32>()
            .wrapping_add(word);
        // SAFETY: `p` is an aligned word of descriptor `index` inside EthMemory; volatile
        // because the NPE writes descriptors behind the compiler's back.
        unsafe { p.read_volatile() }
    }

    fn write_descriptor(&mut self, ring: usize, index: usize, words: [u32; 8]) {
        let base = self.ptr(ring + index * DESCRIPTOR_BYTES).cast::<u32>();
        for (w, value) in words.into_iter().enumerate() {
            // SAFETY: word `w` < 8 of an aligned descriptor inside EthMemory.
            unsafe { base.add(w).write_volatile(value) };
        }
    }

    /// Re-arms RX descriptor `i` and gives it to the NPE.
    fn post_rx(&mut self, i: usize) {
        let data = self.bus(RX_BUF_OFFSET + i * BUFFER_BYTES + RX_DATA_OFFSET);
        let mut words = [0u32; 8];
        words[d::W_LENGTHS] = d::lengths_word(RX_BUFFER_LEN, 0);
        words[d::W_DATA] = data;
        self.write_descriptor(RX_DESC_OFFSET, i, words);
        self.dma.clean(
            self.ptr(RX_DESC_OFFSET + i * DESCRIPTOR_BYTES),
            DESCRIPTOR_BYTES,
        );
        self.rx_with_npe |= 1 << i;
        self.qmgr.put(
            queue::RX_FREE,
            self.bus(RX_DESC_OFFSET + i * DESCRIPTOR_BYTES),
        );
    }

    /// The ring index of the descriptor a queue entry names, if it names one of `ring`'s.
    fn index_of(&self, entry: u32, ring: usize, count: usize) -> Option<usize> {
        let offset = (entry & ENTRY_ADDRESS_MASK).checked_sub(self.bus(ring))? as usize;
        let index = offset / DESCRIPTOR_BYTES;
        (offset.is_multiple_of(DESCRIPTOR_BYTES) && index < count).then_some(index)
    }

    /// Takes filled descriptors from the RX queue until one holds a good frame (kept in
    /// `rx_pending`); bad ones are counted and re-armed.
    fn fetch_rx(&mut self) -> bool {
        if self.rx_pending.is_some() {
            return true;
        }
        for _ in 0..=RX_DESCRIPTORS {
            let Some(entry) = self.qmgr.get(self.rx_queue) else {
                return false;
            };
            let Some(i) = self.index_of(entry, RX_DESC_OFFSET, RX_DESCRIPTORS) else {
                // Not one of ours: nothing to recycle, the NPE is confused.
                self.stats.rx_errors.frame += 1;
                continue;
            };
            if self.rx_with_npe & (1 << i) == 0 {
                // Returned twice: the first return is authoritative.
                self.stats.rx_errors.frame += 1;
                continue;
            }
            self.rx_with_npe &= !(1 << i);
            self.dma.invalidate(
                self.ptr(RX_DESC_OFFSET + i * DESCRIPTOR_BYTES),
                DESCRIPTOR_BYTES,
            );
            let lengths = self.read_descriptor_word(RX_DESC_OFFSET, i, d::W_LENGTHS);
            let data = self.read_descriptor_word(RX_DESC_OFFSET, i, d::W_DATA);
            let len = d::pkt_len(lengths) as usize;
            let expected = self.bus(RX_BUF_OFFSET + i * BUFFER_BYTES + RX_DATA_OFFSET);
            if data != expected {
                self.stats.rx_errors.frame += 1;
                self.post_rx(i);
            } else if len == 0 {
                // Never filled: a stale duplicate entry for a descriptor this driver already
                // re-armed and re-posted. It is still on RX-free, so it must not be posted
                // twice; it stays with the NPE.
                self.rx_with_npe |= 1 << i;
                self.stats.rx_errors.frame += 1;
            } else if !(nic::MIN_FRAME_LEN..=RX_BUFFER_LEN as usize).contains(&len) {
                self.stats.rx_errors.length += 1;
                self.post_rx(i);
            } else {
                self.rx_pending = Some(i);
                return true;
            }
        }
        false
    }

    /// Returns sent descriptors from TX-done to the free list; how many came back.
    fn reap_tx_done(&mut self) -> usize {
        let mut reaped = 0;
        for _ in 0..2 * TX_DESCRIPTORS {
            let Some(entry) = self.qmgr.get(queue::TX_DONE) else {
                break;
            };
            let index = self.index_of(entry, TX_DESC_OFFSET, TX_DESCRIPTORS);
            match index {
                Some(i) if entry & 3 == NPE_B_ENTRY_TAG && self.tx_with_npe & (1 << i) != 0 => {
                    self.tx_with_npe &= !(1 << i);
                    // The NPE may have written status fields; drop any stale cached copy
                    // before the CPU writes the descriptor again.
                    self.dma.invalidate(
                        self.ptr(TX_DESC_OFFSET + i * DESCRIPTOR_BYTES),
                        DESCRIPTOR_BYTES,
                    );
                    if self.tx_free_len < TX_DESCRIPTORS {
                        self.tx_free[self.tx_free_len] = i as u8;
                        self.tx_free_len += 1;
                    }
                    reaped += 1;
                }
                _ => self.stats.tx_errors.other += 1,
            }
        }
        reaped
    }

    /// Asks the NPE for its MIB counters (GETSTATS into the DMA statistics block).
    pub fn refresh_npe_counters(&mut self) -> Result<NpeCounters, EthError> {
        let block = self.ptr(STATS_OFFSET);
        let bytes = STATS_WORDS * 4;
        // No dirty CPU lines may be written back over what the NPE is about to store.
        self.dma.clean_and_invalidate(block, bytes);
        self.npe
            .send_message(message::get_stats(self.bus(STATS_OFFSET)))?;
        let reply = self.npe.receive_message()?;
        if message::command(reply) != message::id::GET_STATS {
            return Err(EthError::UnexpectedReply(reply));
        }
        self.dma.invalidate(block, bytes);
        let mut counters = NpeCounters::default();
        for (w, slot) in counters.0.iter_mut().enumerate() {
            // SAFETY: word `w` < 22 of the statistics block inside EthMemory, aligned.
            *slot = unsafe { block.cast::<u32>().add(w).read_volatile() };
        }
        self.npe_counters = counters;
        Ok(counters)
    }

    /// Sets the station address in the NPE (echoed message) and the MAC.
    pub fn set_mac_address(&mut self, mac: MacAddress) -> Result<(), EthError> {
        self.npe
            .send_expect_echo(message::set_port_address(mac.0))?;
        self.mac.set_station_address(mac.0);
        self.station = mac;
        Ok(())
    }

    /// Sets the NPE firewall (address filter) mode; 0 = off, as Linux runs it.
    pub fn set_firewall_mode(&mut self, mode: u8) -> Result<(), EthError> {
        self.npe
            .send_expect_echo(message::set_firewall_mode(mode))?;
        Ok(())
    }

    /// Receive all multicast frames (or stop doing so) in the MAC filter.
    pub fn set_all_multicast(&mut self, enabled: bool) {
        self.mac.set_all_multicast(enabled);
    }

    /// The port's PHY, the generic clause-22 driver over the MAC's MDIO, found by its
    /// identifier (as `lan9118` does: the PHY borrows the MAC, which the port owns).
    fn phy(&self) -> Result<Phy<&Mac<M>>, PhyError> {
        Phy::probe(&self.mac, PhyConfig::fast_ethernet(self.phy))
    }

    /// Restarts PHY autonegotiation with every 10/100 mode the PHY has advertised.
    pub fn restart_autonegotiation(&mut self) -> Result<(), EthError> {
        self.phy()?.start_autonegotiation()?;
        Ok(())
    }

    /// Direct MDIO access to the port's PHY.
    pub fn phy_read(&mut self, reg: u8) -> Result<u16, EthError> {
        Ok(self.mac.read(self.phy, reg)?)
    }

    /// Number of TX descriptors currently with the NPE.
    pub fn tx_in_flight(&self) -> usize {
        self.tx_with_npe.count_ones() as usize
    }

    /// Number of RX buffers currently posted to the NPE.
    pub fn rx_posted(&self) -> usize {
        self.rx_with_npe.count_ones() as usize
    }
}

impl<Q: Bus, N: Bus, M: Bus, D: DmaMemory> Nic for Ethernet<'_, Q, N, M, D> {
    fn mac_address(&self) -> MacAddress {
        self.station
    }

    fn link_state(&mut self) -> LinkState {
        let state = self
            .phy()
            .ok()
            .and_then(|phy| phy.link_state().ok())
            .unwrap_or(LinkState::Down);
        if state != self.link {
            if let LinkState::Up { duplex, .. } = state {
                self.mac.set_duplex(duplex != nic::Duplex::Half);
            }
            self.link = state;
        }
        state
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_frame_len: MAX_FRAME_LEN,
            max_burst: Some(RX_DESCRIPTORS),
            ..Capabilities::ETHERNET
        }
    }

    fn rx_ready(&mut self) -> bool {
        self.fetch_rx()
    }

    fn receive<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if !self.fetch_rx() {
            return None;
        }
        let i = self.rx_pending.take()?;
        let len = d::pkt_len(self.read_descriptor_word(RX_DESC_OFFSET, i, d::W_LENGTHS)) as usize;
        let frame = self.ptr(RX_BUF_OFFSET + i * BUFFER_BYTES + RX_DATA_OFFSET);
        self.dma.invalidate(frame, len);
        // SAFETY: `frame..frame+len` lies inside RX buffer i (len ≤ 1536 = buffer − offset,
        // checked in fetch_rx); the NPE does not own the buffer until post_rx below, and the
        // slice does not outlive `f`.
        let result = f(unsafe { core::slice::from_raw_parts(frame, len) });
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += len as u64;
        self.post_rx(i);
        Some(result)
    }

    fn tx_ready(&mut self) -> bool {
        if self.tx_free_len == 0 {
            self.reap_tx_done();
        }
        self.tx_free_len > 0
    }

    fn transmit<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, TxError> {
        if !(nic::MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&len) {
            return Err(TxError::InvalidLength);
        }
        if !self.tx_ready() {
            return Err(TxError::WouldBlock);
        }
        self.tx_free_len -= 1;
        let i = usize::from(self.tx_free[self.tx_free_len]);
        let buf = self.ptr(TX_BUF_OFFSET + i * BUFFER_BYTES);
        // SAFETY: `buf..buf+len` lies inside TX buffer i (len ≤ 1514 < BUFFER_BYTES), which
        // is on the free list, so neither the NPE nor anything else uses it; the slice does
        // not outlive `f`.
        let result = f(unsafe { core::slice::from_raw_parts_mut(buf, len) });
        self.dma.clean(buf, len);
        let mut words = [0u32; 8];
        words[d::W_LENGTHS] = d::lengths_word(len as u32, len as u32);
        words[d::W_DATA] = self.bus(TX_BUF_OFFSET + i * BUFFER_BYTES);
        self.write_descriptor(TX_DESC_OFFSET, i, words);
        self.dma.clean(
            self.ptr(TX_DESC_OFFSET + i * DESCRIPTOR_BYTES),
            DESCRIPTOR_BYTES,
        );
        self.tx_with_npe |= 1 << i;
        self.qmgr
            .put(queue::TX, self.bus(TX_DESC_OFFSET + i * DESCRIPTOR_BYTES));
        self.stats.tx_frames += 1;
        self.stats.tx_bytes += len as u64;
        Ok(result)
    }

    fn on_interrupt(&mut self) -> Events {
        let _ = self.qmgr.take_irq_status(0);
        let before = self.stats.rx_errors.total() + self.stats.tx_errors.other;
        let tx_done = self.reap_tx_done() > 0;
        let rx_ready = self.fetch_rx();
        let after = self.stats.rx_errors.total() + self.stats.tx_errors.other;
        Events {
            rx_ready,
            tx_done,
            rx_error: after != before,
            ..Events::NONE
        }
    }

    fn set_interrupts_enabled(&mut self, enabled: bool) {
        if enabled {
            // Queues below 32 have a selectable condition; TX-done (31) too.
            let _ = self.qmgr.set_irq_source(self.rx_queue, IrqSource::NotEmpty);
            let _ = self
                .qmgr
                .set_irq_source(queue::TX_DONE, IrqSource::NotEmpty);
            self.qmgr.enable_irq(self.rx_queue);
            self.qmgr.enable_irq(queue::TX_DONE);
        } else {
            self.qmgr.disable_irq(self.rx_queue);
            self.qmgr.disable_irq(queue::TX_DONE);
        }
    }

    fn stats(&mut self) -> NicStats {
        // A failed refresh keeps the previous snapshot; the driver's own counts stay exact.
        let _ = self.refresh_npe_counters();
        let c = &self.npe_counters.0;
        let w = |i: usize| u64::from(c[i]);
        let mut stats = self.stats;
        stats.rx_errors.crc += w(stats_word::FCS_ERRORS);
        stats.rx_errors.frame += w(stats_word::ALIGNMENT_ERRORS) + w(stats_word::MAC_RX_ERRORS);
        stats.rx_errors.length += w(stats_word::RX_LARGE_FRAME_DISCARDS);
        stats.rx_overruns += w(stats_word::RX_OVERRUN_DISCARDS);
        stats.rx_dropped += w(stats_word::RX_UNDERFLOW_DISCARDS);
        stats.tx_errors.collision +=
            w(stats_word::LATE_COLLISIONS) + w(stats_word::EXCESSIVE_COLLISIONS);
        stats.tx_errors.carrier += w(stats_word::CARRIER_SENSE_ERRORS);
        stats.tx_errors.other += w(stats_word::MAC_TX_ERRORS);
        stats.tx_dropped += w(stats_word::TX_LARGE_FRAME_DISCARDS);
        stats
    }
}
