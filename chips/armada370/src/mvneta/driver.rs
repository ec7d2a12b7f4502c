//! The mvneta driver proper: bring-up, receive, transmit, interrupts, link, recovery, MIB.
//!
//! # Sequence (Linux `mvneta.c`: `mvneta_port_disable`, `mvneta_defaults_set`,
//! `mvneta_conf_mbus_windows`, `mvneta_rxq_hw_init`, `mvneta_txq_hw_init`, `mvneta_start_dev`,
//! `mvneta_mac_config`, `mvneta_mac_link_up` → `mvneta_port_up`, `mvneta_port_down`)
//! 1. Station address: configuration, else what U-Boot left in MAC_ADDR_HIGH/LOW.
//! 2. Port disabled; causes and masks cleared; CPU 0 granted every queue in CPU_MAP (without
//!    it the per-CPU cause registers read 0); RX/TX DMA reset pulsed; SW buffer management.
//! 3. DMA windows from the DRAM chip selects; unicast/multicast filters.
//! 4. RX ring: every descriptor gets its buffer, the ring is cleaned, and all descriptors are
//!    handed over with RXQ_STATUS_UPDATE (non-occupied += n, ≤ 255 per write).
//! 5. TX ring programmed; GMAC: RGMII, no PCS / in-band AN, port reset released (polled).
//! 6. Port enabled; queues started only once the PHY reports link (`port_up`).
//!
//! # Handover by counters
//! RX: the driver processes exactly the `occupied` descriptors the hardware reported, in ring
//! order, and gives each back (same buffer, as U-Boot does) with one STATUS_UPDATE write of
//! "1 processed, 1 refilled". TX: the driver counts what it queued (`tx_in_flight`) and only
//! acknowledges `sent` descriptors it queued. Every descriptor or buffer handover is preceded by
//! the cache maintenance of [`nic::dma::DmaMemory`]: clean before the device reads, invalidate
//! before the CPU reads what the device wrote.
//!
//! # Interrupts and coalescing
//! RX: RXQ_THRESHOLD (frames) and RXQ_TIME_COAL (µs × TCLK MHz) coalesce; the RX cause is
//! masked by the handler and re-armed when the ring is drained, so a level-triggered line does
//! not storm while the stack is busy. TX: the well-known mvneta pitfall is that no descriptor
//! bit requests a completion interrupt — the only knob is the "sent" threshold in TXQ_SIZE
//! (Linux once used 16 and TX stalled when fewer frames than that were in flight: Willy
//! Tarreau's "net: mvneta: fix TX coalesce interrupt mode", 2014). This driver re-programs the
//! threshold to `min(tx_coalesce_frames, in_flight) - 1` whenever `in_flight` changes (only
//! when the value differs), so an interrupt is always due by the time the last queued frame is
//! sent, and under load it comes once per `tx_coalesce_frames` frames.

use core::ptr::NonNull;

use nic::dma::{BusAddress, DmaMemory};
use nic::{
    Capabilities, ChecksumOffload, Duplex, Events, LinkState, MIN_FRAME_LEN, MacAddress, Nic,
    NicStats, Speed, TxError,
};
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};

use super::descriptors::*;
use super::registers::*;
use crate::mbus::{DRAM_TARGET, DramWindow};
use hil::mdio::Mdio;
use hil::mmio::{Bus, Reg, RegDef, poll_until, reg};
use mii::{Phy, PhyError};

/// Largest frame sent or delivered, header included, FCS excluded.
pub const MAX_FRAME_LEN: usize = 1514;
/// Largest frame accepted on receive: 1514 plus an 802.1Q tag.
const MAX_RX_FRAME_LEN: usize = 1518;
/// The only queues used.
const RXQ: usize = 0;
const TXQ: usize = 0;
/// Counter fields of RXQ_STATUS_UPDATE / TXQ_UPDATE are 8 bits wide.
const MAX_COUNTER_STEP: usize = 255;
/// Reads of PORT_STATUS used as the ~200 µs settle delay of `mvneta_port_disable` and
/// `mvneta_port_down` (≥ 100 ns per uncached register read on the Armada 370).
const SETTLE_READS: u32 = 2_000;
/// MISC causes the driver handles.
const MISC_HANDLED: u32 = misc::LINK_CHANGE
    | misc::PHY_STATUS_CHANGE
    | misc::INTERNAL_ADDR_ERR
    | misc::RX_OVERRUN
    | misc::TX_UNDERRUN
    | misc::TXQ_ERROR;

/// Driver configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Station address; `None` keeps what U-Boot left in the MAC registers.
    pub mac_address: Option<MacAddress>,
    /// RX descriptors used (1..=[`RX_RING_MAX`]).
    pub rx_ring_len: usize,
    /// TX descriptors used (1..=[`TX_RING_MAX`]).
    pub tx_ring_len: usize,
    /// RX interrupt after this many frames… (Linux `MVNETA_RX_COAL_PKTS` 32).
    pub rx_coalesce_frames: u32,
    /// …or this many µs after the first one (Linux `MVNETA_RX_COAL_USEC` 100).
    pub rx_coalesce_usecs: u32,
    /// TX-done interrupt at most once per this many frames (adaptive, see module docs).
    pub tx_coalesce_frames: u32,
    /// TCLK, for the RX time coalescing (read it with [`crate::sar::tclk_from_sar`]).
    pub tclk_hz: u32,
    /// Accept every multicast frame (needed for IPv6 neighbour discovery without a list).
    pub accept_all_multicast: bool,
    /// Accept every unicast frame.
    pub promiscuous: bool,
    /// DRAM chip-select windows the port may reach ([`crate::mbus::dram_windows`]).
    pub dram: [Option<DramWindow>; 4],
    /// Link used when the driver has no PHY (fixed link).
    pub fixed_link: (Speed, Duplex),
}

impl Default for Config {
    /// Mirabox defaults: 1 GiB as two 512 MiB chip selects, TCLK 200 MHz (check the SAR).
    fn default() -> Self {
        Config {
            mac_address: None,
            rx_ring_len: RX_RING_MAX,
            tx_ring_len: TX_RING_MAX,
            rx_coalesce_frames: 32,
            rx_coalesce_usecs: 100,
            tx_coalesce_frames: 16,
            tclk_hz: 200_000_000,
            accept_all_multicast: true,
            promiscuous: false,
            dram: [
                Some(DramWindow {
                    cs: 0,
                    base: 0,
                    size: 512 << 20,
                    attribute: 0x0E,
                }),
                Some(DramWindow {
                    cs: 1,
                    base: 0x2000_0000,
                    size: 512 << 20,
                    attribute: 0x0D,
                }),
                None,
                None,
            ],
            fixed_link: (Speed::Mbps1000, Duplex::Full),
        }
    }
}

/// Why bring-up failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NetaError {
    /// A configuration value is out of range (which one is named).
    InvalidConfig(&'static str),
    /// Neither the configuration nor the MAC registers held a usable unicast address.
    NoMacAddress(
        // `nic` has no defmt dependency; its `Debug` names the six octets.
        #[cfg_attr(feature = "defmt", defmt(Debug2Format))] MacAddress,
    ),
    /// The DMA memory is not reachable by the device (outside RAM or the DRAM windows).
    DmaUnreachable,
    /// GMAC_CTRL_2.PORT_RESET did not clear.
    PortResetTimeout,
    /// The PHY failed.
    Phy(PhyError),
}

impl From<PhyError> for NetaError {
    fn from(e: PhyError) -> Self {
        NetaError::Phy(e)
    }
}

/// Hardware MIB counters accumulated since construction (the registers clear on read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MibCounters {
    /// Good octets received.
    pub good_octets_rx: u64,
    /// Good frames received.
    pub good_frames_rx: u64,
    /// Bad frames received.
    pub bad_frames_rx: u64,
    /// Broadcast frames received.
    pub broadcast_rx: u64,
    /// Multicast frames received.
    pub multicast_rx: u64,
    /// Good octets sent.
    pub good_octets_tx: u64,
    /// Good frames sent.
    pub good_frames_tx: u64,
    /// CRC errors.
    pub bad_crc: u64,
    /// Frames discarded for lack of a descriptor (port counter 0x2484).
    pub rx_discard: u64,
    /// RX overruns (port counter 0x2488).
    pub rx_overrun: u64,
}

/// A received frame found valid but not yet delivered.
#[derive(Debug, Clone, Copy)]
struct PendingRx {
    index: usize,
    data_size: usize,
}

/// Driver for one mvneta port.
pub struct Mvneta<B: Bus, D: DmaMemory, M: Mdio> {
    bus: B,
    dma: D,
    phy: Option<Phy<M>>,
    mem: NonNull<PortMemory>,
    config: Config,
    mac: MacAddress,
    rx_len: usize,
    tx_len: usize,
    /// Bus address of every RX buffer (descriptors are rewritten from here, never trusted).
    rx_bus: [BusAddress; RX_RING_MAX],
    /// Next RX descriptor in ring order.
    rx_next: usize,
    /// Occupied descriptors reported by RXQ_STATUS and not yet processed.
    rx_hw_occupied: usize,
    /// The descriptor at `rx_next`, checked and ready for delivery.
    rx_pending: Option<PendingRx>,
    /// Dropping the remaining descriptors of a frame that spanned several.
    rx_discarding: bool,
    /// Next TX descriptor to fill.
    tx_put: usize,
    /// Descriptors queued (pending or sent) and not yet acknowledged.
    tx_in_flight: usize,
    /// Sent threshold currently programmed in TXQ_SIZE.
    tx_threshold: usize,
    link: LinkState,
    queues_running: bool,
    stats: NicStats,
    mib: MibCounters,
    interrupts_enabled: bool,
    rx_irq_masked: bool,
}

// SAFETY: the driver exclusively owns its `PortMemory` (constructor contracts) and its bus; moving
// it to another context moves that ownership. It is not `Sync`.
unsafe impl<B: Bus + Send, D: DmaMemory + Send, M: Mdio + Send> Send for Mvneta<B, D, M> {}

impl<B: Bus, D: DmaMemory, M: Mdio> Mvneta<B, D, M> {
    /// Brings up the port behind `bus` with rings and buffers in `mem`.
    pub fn new(
        bus: B,
        dma: D,
        phy: Option<Phy<M>>,
        mem: &'static mut PortMemory,
        config: Config,
    ) -> Result<Self, NetaError> {
        // SAFETY: a `&'static mut` is exclusive for the rest of the program.
        unsafe { Self::new_raw(bus, dma, phy, NonNull::from(mem), config) }
    }

    /// As [`Self::new`] with memory given by pointer (host tests place it in a model's arena).
    ///
    /// # Safety
    /// `mem` must be valid for reads and writes of a `PortMemory` for the driver's whole life
    /// and accessed by nobody but the driver and the device (through `dma`).
    pub unsafe fn new_raw(
        bus: B,
        dma: D,
        phy: Option<Phy<M>>,
        mem: NonNull<PortMemory>,
        config: Config,
    ) -> Result<Self, NetaError> {
        if config.rx_ring_len == 0 || config.rx_ring_len > RX_RING_MAX {
            return Err(NetaError::InvalidConfig("rx_ring_len"));
        }
        if config.tx_ring_len == 0 || config.tx_ring_len > TX_RING_MAX {
            return Err(NetaError::InvalidConfig("tx_ring_len"));
        }
        if config.rx_coalesce_frames == 0 || config.rx_coalesce_frames > 0x3FFF {
            return Err(NetaError::InvalidConfig("rx_coalesce_frames"));
        }
        if config.tx_coalesce_frames == 0 || config.tx_coalesce_frames > 0x3FFF {
            return Err(NetaError::InvalidConfig("tx_coalesce_frames"));
        }
        let mut nic = Mvneta {
            bus,
            dma,
            phy,
            mem,
            rx_len: config.rx_ring_len,
            tx_len: config.tx_ring_len,
            config,
            mac: MacAddress::default(),
            rx_bus: [0; RX_RING_MAX],
            rx_next: 0,
            rx_hw_occupied: 0,
            rx_pending: None,
            rx_discarding: false,
            tx_put: 0,
            tx_in_flight: 0,
            tx_threshold: 0,
            link: LinkState::Down,
            queues_running: false,
            stats: NicStats::default(),
            mib: MibCounters::default(),
            interrupts_enabled: false,
            rx_irq_masked: false,
        };
        nic.bring_up()?;
        Ok(nic)
    }

    // ------------------------------------------------------------------ register helpers

    fn reg<R: tock_registers::RegisterLongName>(&self, offset: usize) -> Reg<'_, B, R> {
        reg(&self.bus, RegDef::at(offset))
    }

    fn rd(&self, offset: usize) -> u32 {
        self.bus.read(offset)
    }

    fn wr(&self, offset: usize, value: u32) {
        self.bus.write(offset, value)
    }

    fn settle(&self) {
        for _ in 0..SETTLE_READS {
            let _ = self.rd(PORT_STATUS);
        }
    }

    // ------------------------------------------------------------------ memory helpers

    fn rx_desc_ptr(&self, i: usize) -> *mut RxDesc {
        // SAFETY: `mem` is valid for the driver's life (constructor contract); `i` is bounds
        // checked by the array projection. No reference is created.
        unsafe { &raw mut (*self.mem.as_ptr()).rx_desc[i] }
    }

    fn tx_desc_ptr(&self, i: usize) -> *mut TxDesc {
        // SAFETY: as in `rx_desc_ptr`.
        unsafe { &raw mut (*self.mem.as_ptr()).tx_desc[i] }
    }

    fn rx_buf_ptr(&self, i: usize) -> *mut u8 {
        // SAFETY: as in `rx_desc_ptr`.
        unsafe { (&raw mut (*self.mem.as_ptr()).rx_buf[i]).cast() }
    }

    fn tx_buf_ptr(&self, i: usize) -> *mut u8 {
        // SAFETY: as in `rx_desc_ptr`.
        unsafe { (&raw mut (*self.mem.as_ptr()).tx_buf[i]).cast() }
    }

    /// Writes RX descriptor `i` and cleans its line so the device sees it.
    fn put_rx_desc(&self, i: usize, d: RxDesc) {
        let p = self.rx_desc_ptr(i);
        // SAFETY: `p` points into the driver-owned ring; the device does not own this
        // descriptor now (it is not counted as non-occupied), so no DMA races the write.
        unsafe { p.write_volatile(d) };
        self.dma.clean(p.cast(), size_of::<RxDesc>());
    }

    /// Invalidates RX descriptor `i` and reads what the device wrote.
    fn get_rx_desc(&self, i: usize) -> RxDesc {
        let p = self.rx_desc_ptr(i);
        self.dma.invalidate(p.cast(), size_of::<RxDesc>());
        // SAFETY: `p` points into the ring; the device handed this descriptor back (it is
        // counted as occupied), so it no longer writes it.
        unsafe { p.read_volatile() }
    }

    fn put_tx_desc(&self, i: usize, d: TxDesc) {
        let p = self.tx_desc_ptr(i);
        // SAFETY: the descriptor is not pending (the driver counts it as free), so the device
        // does not read it concurrently.
        unsafe { p.write_volatile(d) };
        self.dma.clean(p.cast(), size_of::<TxDesc>());
    }

    // ------------------------------------------------------------------ bring-up

    fn bring_up(&mut self) -> Result<(), NetaError> {
        // 1. Station address, before anything resets the registers U-Boot left.
        let left = self.read_mac_registers();
        let mac = self.config.mac_address.unwrap_or(left);
        if !mac.is_valid_station() {
            return Err(NetaError::NoMacAddress(mac));
        }
        self.mac = mac;

        // 2. `mvneta_port_disable` + `mvneta_defaults_set`.
        self.reg::<GMAC_CTRL_0::Register>(GMAC_CTRL_0)
            .modify(GMAC_CTRL_0::PORT_ENABLE::CLEAR);
        self.settle();
        for cause in [INTR_NEW_CAUSE, INTR_OLD_CAUSE, INTR_MISC_CAUSE] {
            self.wr(cause, 0);
        }
        for mask in [INTR_NEW_MASK, INTR_OLD_MASK, INTR_MISC_MASK, INTR_ENABLE] {
            self.wr(mask, 0);
        }
        self.wr(MBUS_RETRY, 0x20);
        // One CPU: grant it every RX (7..0) and TX (15..8) queue.
        self.wr(cpu_map(0), 0xFFFF);
        self.wr(PORT_RX_RESET, 1);
        self.wr(PORT_TX_RESET, 1);
        self.wr(TXQ_CMD_1, 0);
        for q in 0..8 {
            self.wr(txq_token_cfg(q), 0);
            self.wr(txq_token_count(q), 0);
        }
        self.wr(PORT_TX_RESET, 0);
        self.wr(PORT_RX_RESET, 0);
        self.wr(ACC_MODE, ACC_MODE_SW_BM);
        let promisc = if self.config.promiscuous {
            PORT_CONFIG_UNI_PROMISC
        } else {
            0
        };
        self.wr(PORT_CONFIG, PORT_CONFIG_DEFAULT | promisc);
        self.wr(PORT_CONFIG_EXTEND, 0);
        self.wr(RX_MIN_FRAME_SIZE, 64);
        self.wr(SDMA_CONFIG, SDMA_CONFIG_DEFAULT);
        let unit = self.rd(UNIT_CONTROL);
        self.wr(UNIT_CONTROL, unit & !(1 << 1));
        self.clear_filters();
        self.wr(INTR_ENABLE, 0xFFFF);
        self.collect_counters();
        self.mib = MibCounters::default();
        // `mvneta_port_power_up`.
        self.wr(UNIT_INTR_CAUSE, 0);

        // 3. DMA windows and filters.
        self.program_windows()?;
        self.write_mac_registers(mac);
        self.write_filter_byte(
            DA_FILT_UNICAST,
            usize::from(mac.0[5] & 0xF),
            FILTER_ACCEPT_Q0,
        );
        if self.config.accept_all_multicast {
            for i in 0..256 {
                self.write_filter_byte(DA_FILT_SPECIAL_MCAST, i, FILTER_ACCEPT_Q0);
                self.write_filter_byte(DA_FILT_OTHER_MCAST, i, FILTER_ACCEPT_Q0);
            }
        }
        if self.config.promiscuous {
            let prio = self.rd(TYPE_PRIO);
            self.wr(TYPE_PRIO, prio | (1 << 21));
        }

        // 4./5. Rings.
        self.init_rx_ring()?;
        self.init_tx_ring()?;

        // GMAC (`mvneta_mac_config` for RGMII): RGMII on, PCS and in-band AN off, port reset
        // released and polled.
        self.reg::<GMAC_CTRL_0::Register>(GMAC_CTRL_0)
            .modify(GMAC_CTRL_0::PORT_1000BASE_X::CLEAR);
        self.reg::<GMAC_CTRL_2::Register>(GMAC_CTRL_2).modify(
            GMAC_CTRL_2::PORT_RGMII::SET
                + GMAC_CTRL_2::PCS_ENABLE::CLEAR
                + GMAC_CTRL_2::INBAND_AN_EN::CLEAR
                + GMAC_CTRL_2::PORT_RESET::CLEAR,
        );
        let ctrl2 = self.reg::<GMAC_CTRL_2::Register>(GMAC_CTRL_2);
        if !poll_until(crate::POLL_LIMIT, || !ctrl2.is_set(GMAC_CTRL_2::PORT_RESET)) {
            return Err(NetaError::PortResetTimeout);
        }
        self.reg::<GMAC_AUTONEG::Register>(GMAC_AUTONEG_CONFIG)
            .modify(
                GMAC_AUTONEG::INBAND_AN_EN::CLEAR
                    + GMAC_AUTONEG::AN_SPEED_EN::CLEAR
                    + GMAC_AUTONEG::AN_DUPLEX_EN::CLEAR
                    + GMAC_AUTONEG::AN_FLOW_CTRL_EN::CLEAR
                    + GMAC_AUTONEG::FORCE_LINK_PASS::CLEAR
                    + GMAC_AUTONEG::FORCE_LINK_DOWN::SET,
            );

        // `mvneta_start_dev`: sizes, then port enable. Queues start on link up.
        self.reg::<GMAC_CTRL_0::Register>(GMAC_CTRL_0)
            .modify(GMAC_CTRL_0::MAX_RX_SIZE.val(((BUF_SIZE - 2) / 2) as u32));
        let mtu = (BUF_SIZE * 8) as u32;
        self.wr(TX_MTU, (self.rd(TX_MTU) & !0x3FFFF) | mtu);
        for token in [TX_TOKEN_SIZE, txq_token_size(TXQ)] {
            let v = self.rd(token);
            if v & 0x7FFF_FFFF < mtu {
                self.wr(token, (v & !0x7FFF_FFFF) | mtu);
            }
        }
        self.reg::<GMAC_CTRL_0::Register>(GMAC_CTRL_0)
            .modify(GMAC_CTRL_0::PORT_ENABLE::SET);
        self.link_state();
        Ok(())
    }

    fn read_mac_registers(&self) -> MacAddress {
        let high = self.rd(MAC_ADDR_HIGH).to_be_bytes();
        let low = self.rd(MAC_ADDR_LOW);
        MacAddress([
            high[0],
            high[1],
            high[2],
            high[3],
            (low >> 8) as u8,
            low as u8,
        ])
    }

    fn write_mac_registers(&self, mac: MacAddress) {
        let a = mac.0;
        self.wr(MAC_ADDR_LOW, (u32::from(a[4]) << 8) | u32::from(a[5]));
        self.wr(MAC_ADDR_HIGH, u32::from_be_bytes([a[0], a[1], a[2], a[3]]));
    }

    fn clear_filters(&self) {
        for i in 0..4 {
            self.wr(DA_FILT_UNICAST + 4 * i, 0);
        }
        for i in 0..64 {
            self.wr(DA_FILT_SPECIAL_MCAST + 4 * i, 0);
            self.wr(DA_FILT_OTHER_MCAST + 4 * i, 0);
        }
    }

    /// Entry `index` of a byte-per-entry filter table: register `base + (index / 4) * 4`,
    /// byte lane `index % 4`.
    fn write_filter_byte(&self, base: usize, index: usize, value: u8) {
        let off = base + (index / 4) * 4;
        let shift = 8 * (index % 4);
        let v = (self.rd(off) & !(0xFF << shift)) | (u32::from(value) << shift);
        self.wr(off, v);
    }

    /// Accepts the given multicast addresses (in addition to broadcast); replaces the previous
    /// list and turns `accept_all_multicast` off. Non-multicast entries are ignored.
    pub fn set_multicast_filter(&mut self, addresses: &[MacAddress]) {
        self.config.accept_all_multicast = false;
        for i in 0..64 {
            self.wr(DA_FILT_SPECIAL_MCAST + 4 * i, 0);
            self.wr(DA_FILT_OTHER_MCAST + 4 * i, 0);
        }
        for a in addresses.iter().filter(|a| !a.is_unicast()) {
            let b = a.0;
            if b[..5] == [0x01, 0x00, 0x5E, 0x00, 0x00] {
                self.write_filter_byte(DA_FILT_SPECIAL_MCAST, usize::from(b[5]), FILTER_ACCEPT_Q0);
            } else {
                self.write_filter_byte(
                    DA_FILT_OTHER_MCAST,
                    usize::from(crc8(&b)),
                    FILTER_ACCEPT_Q0,
                );
            }
        }
    }

    fn program_windows(&self) -> Result<(), NetaError> {
        for w in 0..WINDOWS {
            self.wr(win_base(w), 0);
            self.wr(win_size(w), 0);
            if w < 4 {
                self.wr(win_remap(w), 0);
            }
        }
        let mut disabled = (1u32 << WINDOWS) - 1;
        let mut protect = 0u32;
        let mut any = false;
        for (w, win) in self.config.dram.iter().flatten().take(WINDOWS).enumerate() {
            if win.size < 1 << 16 || win.size > 1 << 32 {
                return Err(NetaError::InvalidConfig("dram window size"));
            }
            self.wr(
                win_base(w),
                (win.base & 0xFFFF_0000) | (u32::from(win.attribute) << 8) | u32::from(DRAM_TARGET),
            );
            self.wr(win_size(w), ((win.size - 1) as u32) & 0xFFFF_0000);
            disabled &= !(1 << w);
            protect |= 3 << (2 * w);
            any = true;
        }
        if !any {
            return Err(NetaError::InvalidConfig("no DRAM window"));
        }
        self.wr(BASE_ADDR_ENABLE, disabled);
        self.wr(ACCESS_PROTECT, protect);
        Ok(())
    }

    /// Whether `[bus, bus + len)` lies inside one configured DRAM window.
    fn reachable(&self, bus: BusAddress, len: usize) -> bool {
        let (start, end) = (u64::from(bus), u64::from(bus) + len as u64);
        self.config
            .dram
            .iter()
            .flatten()
            .any(|w| start >= u64::from(w.base) && end <= u64::from(w.base) + w.size)
    }

    fn bus_address_of(&self, ptr: *const u8, len: usize) -> Result<BusAddress, NetaError> {
        let bus = self.dma.bus_address(ptr).ok_or(NetaError::DmaUnreachable)?;
        if self.reachable(bus, len) {
            Ok(bus)
        } else {
            Err(NetaError::DmaUnreachable)
        }
    }

    fn init_rx_ring(&mut self) -> Result<(), NetaError> {
        for i in 0..self.rx_len {
            let buf = self.rx_buf_ptr(i);
            self.rx_bus[i] = self.bus_address_of(buf, BUF_SIZE)?;
            // Whatever the CPU left in the buffer (zeroing at start-up, a previous run) must not
            // be written back over received data later: clean and discard it now.
            self.dma.clean_and_invalidate(buf, BUF_SIZE);
            self.put_rx_desc(i, self.fresh_rx_desc(i));
        }
        let ring = self.bus_address_of(
            self.rx_desc_ptr(0).cast(),
            self.rx_len * size_of::<RxDesc>(),
        )?;
        // `mvneta_rxq_hw_init`: offset 0, buffer manager off (bit 0 in new Linux, bit 1 in old).
        let cfg = self.rd(rxq_config(RXQ));
        self.wr(rxq_config(RXQ), cfg & !(0xF00 | 0x3));
        self.wr(rxq_base_addr(RXQ), ring);
        self.wr(
            rxq_size(RXQ),
            self.rx_len as u32 | (((BUF_SIZE / 8) as u32) << 19),
        );
        self.wr(rxq_threshold(RXQ), self.config.rx_coalesce_frames);
        let cycles =
            u64::from(self.config.tclk_hz / 1_000_000) * u64::from(self.config.rx_coalesce_usecs);
        self.wr(rxq_time_coal(RXQ), cycles.min(u64::from(u32::MAX)) as u32);
        self.rx_next = 0;
        self.rx_hw_occupied = 0;
        self.rx_pending = None;
        self.rx_discarding = false;
        self.rx_counters(0, self.rx_len);
        Ok(())
    }

    fn fresh_rx_desc(&self, i: usize) -> RxDesc {
        RxDesc {
            buf_phys_addr: self.rx_bus[i],
            buf_cookie: i as u32,
            ..RxDesc::default()
        }
    }

    fn init_tx_ring(&mut self) -> Result<(), NetaError> {
        for i in 0..self.tx_len {
            self.bus_address_of(self.tx_buf_ptr(i), BUF_SIZE)?;
            self.put_tx_desc(i, TxDesc::default());
        }
        let ring = self.bus_address_of(
            self.tx_desc_ptr(0).cast(),
            self.tx_len * size_of::<TxDesc>(),
        )?;
        self.wr(txq_token_cfg(TXQ), 0x03FF_FFFF);
        self.wr(txq_token_count(TXQ), 0x3FFF_FFFF);
        self.wr(txq_base_addr(TXQ), ring);
        self.tx_threshold = 0;
        self.wr(txq_size(TXQ), self.tx_len as u32);
        self.tx_put = 0;
        self.tx_in_flight = 0;
        Ok(())
    }

    /// RXQ_STATUS_UPDATE in chunks of ≤ 255 per field.
    fn rx_counters(&self, mut processed: usize, mut refilled: usize) {
        while processed > 0 || refilled > 0 {
            let p = processed.min(MAX_COUNTER_STEP);
            let r = refilled.min(MAX_COUNTER_STEP);
            self.wr(rxq_status_update(RXQ), p as u32 | ((r as u32) << 16));
            processed -= p;
            refilled -= r;
        }
    }

    // ------------------------------------------------------------------ link

    fn port_up(&mut self) {
        self.wr(TXQ_CMD, 1 << TXQ);
        self.wr(RXQ_CMD, 1 << RXQ);
        self.queues_running = true;
    }

    /// `mvneta_port_down`: stop both queues and wait (bounded) until they are idle.
    fn port_down(&mut self) {
        if self.rd(RXQ_CMD) & 0xFF != 0 {
            self.wr(RXQ_CMD, 0xFF << 8);
        }
        poll_until(crate::POLL_LIMIT, || self.rd(RXQ_CMD) & 0xFF == 0);
        if self.rd(TXQ_CMD) & 0xFF != 0 {
            self.wr(TXQ_CMD, 0xFF << 8);
        }
        poll_until(crate::POLL_LIMIT, || self.rd(TXQ_CMD) & 0xFF == 0);
        poll_until(crate::POLL_LIMIT, || {
            self.rd(PORT_STATUS) & PORT_STATUS_TX_FIFO_EMPTY != 0
        });
        self.settle();
        self.queues_running = false;
    }

    fn apply_link(&mut self, link: LinkState) {
        match link {
            LinkState::Up { speed, duplex } => {
                if self.queues_running {
                    self.port_down();
                }
                let autoneg = self.reg::<GMAC_AUTONEG::Register>(GMAC_AUTONEG_CONFIG);
                let mut v = autoneg.extract();
                v.modify(
                    GMAC_AUTONEG::FORCE_LINK_DOWN::CLEAR
                        + GMAC_AUTONEG::SET_MII_SPEED::CLEAR
                        + GMAC_AUTONEG::SET_GMII_SPEED::CLEAR
                        + GMAC_AUTONEG::CONFIG_FLOW_CTRL::CLEAR
                        + GMAC_AUTONEG::SET_FULL_DUPLEX::CLEAR
                        + GMAC_AUTONEG::FORCE_LINK_PASS::SET,
                );
                match speed {
                    Speed::Mbps1000 | Speed::Unknown => v.modify(GMAC_AUTONEG::SET_GMII_SPEED::SET),
                    Speed::Mbps100 => v.modify(GMAC_AUTONEG::SET_MII_SPEED::SET),
                    Speed::Mbps10 => {}
                }
                if duplex != Duplex::Half {
                    v.modify(GMAC_AUTONEG::SET_FULL_DUPLEX::SET);
                }
                autoneg.set(v.get());
                self.port_up();
            }
            LinkState::Down => {
                self.port_down();
                self.reg::<GMAC_AUTONEG::Register>(GMAC_AUTONEG_CONFIG)
                    .modify(
                        GMAC_AUTONEG::FORCE_LINK_PASS::CLEAR + GMAC_AUTONEG::FORCE_LINK_DOWN::SET,
                    );
            }
        }
        self.link = link;
    }

    // ------------------------------------------------------------------ RX

    /// Finds the next deliverable frame, dropping (and counting) bad descriptors on the way.
    fn rx_peek(&mut self) -> Option<PendingRx> {
        if let Some(p) = self.rx_pending {
            return Some(p);
        }
        // Each pass consumes one descriptor or returns; the ring bounds the work.
        for _ in 0..=self.rx_len {
            if self.rx_hw_occupied == 0 {
                let occupied = self
                    .reg::<RXQ_STATUS::Register>(rxq_status(RXQ))
                    .read(RXQ_STATUS::OCCUPIED);
                // More than the ring is impossible; never trust it beyond the ring.
                self.rx_hw_occupied = (occupied as usize).min(self.rx_len);
                if self.rx_hw_occupied == 0 {
                    self.rearm_rx_interrupt();
                    return None;
                }
            }
            let i = self.rx_next;
            let d = self.get_rx_desc(i);
            let first = d.status & RX_FIRST != 0;
            let last = d.status & RX_LAST != 0;
            if self.rx_discarding {
                self.rx_discarding = !last;
                self.recycle_rx(i);
                continue;
            }
            if d.buf_phys_addr != self.rx_bus[i] {
                self.stats.rx_errors.frame += 1;
                self.rx_discarding = first && !last;
                self.recycle_rx(i);
                continue;
            }
            if !first {
                // A continuation without its start (e.g. after a restart): drop it.
                self.stats.rx_errors.frame += 1;
                self.recycle_rx(i);
                continue;
            }
            if !last {
                // The frame spans descriptors: larger than a buffer, which the max RX size
                // programmed in GMAC_CTRL_0 should prevent. Drop all its pieces.
                self.stats.rx_errors.length += 1;
                self.rx_discarding = true;
                self.recycle_rx(i);
                continue;
            }
            if d.status & RX_ERR_SUMMARY != 0 {
                match (d.status >> RX_ERR_CODE_SHIFT) & 0x3 {
                    RX_ERR_CRC => self.stats.rx_errors.crc += 1,
                    RX_ERR_LEN => self.stats.rx_errors.length += 1,
                    // Overrun and resource errors: the frame was lost for lack of room.
                    _ => self.stats.rx_dropped += 1,
                }
                self.recycle_rx(i);
                continue;
            }
            let size = usize::from(d.data_size);
            let min = MARVELL_HEADER + MIN_FRAME_LEN + FCS;
            let max = (MARVELL_HEADER + MAX_RX_FRAME_LEN + FCS).min(BUF_SIZE);
            if !(min..=max).contains(&size) {
                self.stats.rx_errors.length += 1;
                self.recycle_rx(i);
                continue;
            }
            let p = PendingRx {
                index: i,
                data_size: size,
            };
            self.rx_pending = Some(p);
            return Some(p);
        }
        None
    }

    /// Gives descriptor `i` back to the hardware with its own buffer and advances.
    fn recycle_rx(&mut self, i: usize) {
        self.put_rx_desc(i, self.fresh_rx_desc(i));
        self.rx_pending = None;
        self.rx_next = (i + 1) % self.rx_len;
        self.rx_hw_occupied -= 1;
        self.rx_counters(1, 1);
    }

    fn new_mask(&self) -> u32 {
        let rx = if self.rx_irq_masked { 0 } else { cause_rx(RXQ) };
        rx | cause_tx(TXQ) | CAUSE_MISC
    }

    fn rearm_rx_interrupt(&mut self) {
        if self.rx_irq_masked {
            self.rx_irq_masked = false;
            if self.interrupts_enabled {
                self.wr(INTR_NEW_MASK, self.new_mask());
            }
        }
    }

    // ------------------------------------------------------------------ TX

    /// Acknowledges sent descriptors; returns how many.
    fn reap_tx(&mut self) -> usize {
        let sent = self
            .reg::<TXQ_STATUS::Register>(txq_status(TXQ))
            .read(TXQ_STATUS::SENT) as usize;
        if sent == 0 {
            return 0;
        }
        if sent > self.tx_in_flight {
            // The hardware claims frames it was never given: count it, acknowledge only ours.
            self.stats.tx_errors.other += 1;
        }
        let mut n = sent.min(self.tx_in_flight);
        let reaped = n;
        while n > 0 {
            let k = n.min(MAX_COUNTER_STEP);
            self.wr(txq_update(TXQ), (k as u32) << 16);
            n -= k;
        }
        self.tx_in_flight -= reaped;
        self.update_tx_threshold();
        reaped
    }

    /// Sent threshold so that an interrupt is due by the time every in-flight frame is sent.
    fn update_tx_threshold(&mut self) {
        let want = (self.config.tx_coalesce_frames as usize)
            .min(self.tx_in_flight)
            .max(1)
            - 1;
        if want != self.tx_threshold {
            self.tx_threshold = want;
            self.wr(txq_size(TXQ), self.tx_len as u32 | ((want as u32) << 16));
        }
    }

    // ------------------------------------------------------------------ recovery and counters

    /// Full port restart: queues stopped, DMA reset, rings rebuilt, queues restarted if the
    /// link is up. Frames in flight are lost (counted in `tx_dropped`); used after an internal
    /// address error, and available to the caller (e.g. on a TX watchdog).
    pub fn restart(&mut self) -> Result<(), NetaError> {
        self.port_down();
        self.reg::<GMAC_CTRL_0::Register>(GMAC_CTRL_0)
            .modify(GMAC_CTRL_0::PORT_ENABLE::CLEAR);
        self.settle();
        self.stats.tx_dropped += self.tx_in_flight as u64;
        self.wr(PORT_RX_RESET, 1);
        self.wr(PORT_TX_RESET, 1);
        self.wr(PORT_TX_RESET, 0);
        self.wr(PORT_RX_RESET, 0);
        self.init_rx_ring()?;
        self.init_tx_ring()?;
        self.reg::<GMAC_CTRL_0::Register>(GMAC_CTRL_0)
            .modify(GMAC_CTRL_0::PORT_ENABLE::SET);
        if self.link.is_up() {
            self.port_up();
        }
        self.stats.recoveries += 1;
        Ok(())
    }

    fn collect_counters(&mut self) {
        let r64 = |s: &Self, off: usize| u64::from(s.rd(off)) | (u64::from(s.rd(off + 4)) << 32);
        self.mib.good_octets_rx += r64(self, mib::GOOD_OCTETS_RX);
        self.mib.good_octets_tx += r64(self, mib::GOOD_OCTETS_TX);
        self.mib.good_frames_rx += u64::from(self.rd(mib::GOOD_FRAMES_RX));
        self.mib.bad_frames_rx += u64::from(self.rd(mib::BAD_FRAMES_RX));
        self.mib.broadcast_rx += u64::from(self.rd(mib::BROADCAST_RX));
        self.mib.multicast_rx += u64::from(self.rd(mib::MULTICAST_RX));
        self.mib.good_frames_tx += u64::from(self.rd(mib::GOOD_FRAMES_TX));
        self.mib.bad_crc += u64::from(self.rd(mib::BAD_CRC));
        // Read the rest of the block too: every counter clears on read (`mvneta_mib_counters_clear`).
        for off in mib::RANGE.step_by(4) {
            if !matches!(
                off,
                mib::GOOD_OCTETS_RX
                    | 0x3004
                    | mib::GOOD_OCTETS_TX
                    | 0x303C
                    | mib::GOOD_FRAMES_RX
                    | mib::BAD_FRAMES_RX
                    | mib::BROADCAST_RX
                    | mib::MULTICAST_RX
                    | mib::GOOD_FRAMES_TX
                    | mib::BAD_CRC
            ) {
                let _ = self.rd(off);
            }
        }
        let discard = u64::from(self.rd(RX_DISCARD_COUNTER));
        let overrun = u64::from(self.rd(RX_OVERRUN_COUNTER));
        self.mib.rx_discard += discard;
        self.mib.rx_overrun += overrun;
        // Frames lost for lack of a free descriptor. Whether "discard" and "overrun" can count
        // the same frame is undocumented; only the overrun counter is folded in (README).
        self.stats.rx_dropped += overrun;
    }

    /// MIB counters accumulated since construction.
    pub fn mib_counters(&mut self) -> MibCounters {
        self.collect_counters();
        self.mib
    }

    /// Descriptors queued for transmission and not yet reaped.
    pub fn tx_in_flight(&self) -> usize {
        self.tx_in_flight
    }

    /// The PHY, if the driver has one.
    pub fn phy(&mut self) -> Option<&mut Phy<M>> {
        self.phy.as_mut()
    }
}

/// CRC-8 (polynomial x^8 + x^2 + x + 1, MSB first, initial 0) of a MAC address, the index of the
/// "other multicast" filter table (Linux `mvneta_addr_crc`).
fn crc8(bytes: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in bytes {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

impl<B: Bus, D: DmaMemory, M: Mdio> Nic for Mvneta<B, D, M> {
    fn mac_address(&self) -> MacAddress {
        self.mac
    }

    fn link_state(&mut self) -> LinkState {
        let now = match self.phy.as_mut() {
            // An MDIO failure leaves the last known state: better than flapping on a glitch.
            Some(phy) => phy.link_state().unwrap_or(self.link),
            None => LinkState::Up {
                speed: self.config.fixed_link.0,
                duplex: self.config.fixed_link.1,
            },
        };
        if now != self.link {
            self.apply_link(now);
        }
        self.link
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_frame_len: MAX_FRAME_LEN,
            max_burst: Some(self.rx_len),
            // Offload exists (TX ≤ 1600 bytes on the A370, RX L4-OK bit) but its exact
            // semantics are not verified against hardware; see the README.
            checksum: ChecksumOffload::NONE,
        }
    }

    fn rx_ready(&mut self) -> bool {
        self.rx_peek().is_some()
    }

    fn receive<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let p = self.rx_peek()?;
        let buf = self.rx_buf_ptr(p.index);
        self.dma.invalidate(buf, p.data_size);
        let len = p.data_size - MARVELL_HEADER - FCS;
        // SAFETY: the buffer lies in driver-owned memory, `MARVELL_HEADER + len + FCS ≤
        // BUF_SIZE` was checked in `rx_peek`, the device handed the descriptor back (it does not
        // write the buffer until `recycle_rx`), and the slice does not outlive this call.
        let frame = unsafe { core::slice::from_raw_parts(buf.add(MARVELL_HEADER), len) };
        let r = f(frame);
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += len as u64;
        self.recycle_rx(p.index);
        Some(r)
    }

    fn tx_ready(&mut self) -> bool {
        if self.tx_in_flight == self.tx_len {
            self.reap_tx();
        }
        self.tx_in_flight < self.tx_len
    }

    fn transmit<R>(&mut self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, TxError> {
        if !(MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&len) {
            return Err(TxError::InvalidLength);
        }
        if !self.tx_ready() {
            return Err(TxError::WouldBlock);
        }
        let i = self.tx_put;
        let buf = self.tx_buf_ptr(i);
        let Some(bus) = self.dma.bus_address(buf) else {
            // Checked at bring-up; unreachable unless `dma` changed its mind.
            return Err(TxError::WouldBlock);
        };
        // SAFETY: the buffer is driver-owned, `len ≤ BUF_SIZE`, and descriptor `i` is free (not
        // pending), so the device does not read the buffer while the closure writes it.
        let slice = unsafe { core::slice::from_raw_parts_mut(buf, len) };
        let r = f(slice);
        self.dma.clean(buf, len);
        self.put_tx_desc(
            i,
            TxDesc {
                command: TX_SINGLE_FRAME,
                data_size: len as u16,
                buf_phys_addr: bus,
                ..TxDesc::default()
            },
        );
        self.tx_put = (i + 1) % self.tx_len;
        self.tx_in_flight += 1;
        self.update_tx_threshold();
        self.wr(txq_update(TXQ), 1);
        self.stats.tx_frames += 1;
        self.stats.tx_bytes += len as u64;
        Ok(r)
    }

    fn on_interrupt(&mut self) -> Events {
        let mut ev = Events::NONE;
        let cause = self.rd(INTR_NEW_CAUSE);
        let polled = !self.interrupts_enabled;
        if (cause & cause_tx(TXQ) != 0 || polled) && self.reap_tx() > 0 {
            ev.tx_done = true;
        }
        if cause & cause_rx(RXQ) != 0 {
            ev.rx_ready = true;
            if !polled && !self.rx_irq_masked {
                self.rx_irq_masked = true;
                self.wr(INTR_NEW_MASK, self.new_mask());
            }
        } else if polled || self.rx_pending.is_some() {
            ev.rx_ready = self.rx_pending.is_some()
                || self
                    .reg::<RXQ_STATUS::Register>(rxq_status(RXQ))
                    .read(RXQ_STATUS::OCCUPIED)
                    > 0;
        }
        if cause & CAUSE_MISC != 0 || polled {
            let misc = self.rd(INTR_MISC_CAUSE);
            if misc != 0 {
                // Linux writes 0 after reading; the hardware clears the bits written as 0.
                self.wr(INTR_MISC_CAUSE, 0);
            }
            if misc & (misc::LINK_CHANGE | misc::PHY_STATUS_CHANGE) != 0 {
                ev.link_changed = true;
            }
            if misc & misc::RX_OVERRUN != 0 {
                self.stats.rx_overruns += 1;
                ev.rx_error = true;
            }
            if misc & (misc::TX_UNDERRUN | misc::TXQ_ERROR) != 0 {
                self.stats.tx_errors.fifo += 1;
                ev.tx_error = true;
            }
            if misc & misc::INTERNAL_ADDR_ERR != 0 {
                // The DMA engine hit an address outside its windows: its queue state is no
                // longer trustworthy. Rebuild everything.
                ev.rx_error = true;
                ev.tx_error = true;
                if self.restart().is_err() {
                    self.stats.tx_errors.other += 1;
                }
            }
        }
        ev
    }

    fn set_interrupts_enabled(&mut self, enabled: bool) {
        self.interrupts_enabled = enabled;
        if enabled {
            self.wr(INTR_MISC_MASK, MISC_HANDLED);
            self.wr(INTR_NEW_MASK, self.new_mask());
        } else {
            self.wr(INTR_NEW_MASK, 0);
            self.wr(INTR_MISC_MASK, 0);
        }
    }

    fn stats(&mut self) -> NicStats {
        self.collect_counters();
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::crc8;

    #[test]
    fn crc8_matches_the_bitwise_definition() {
        // CRC-8/SMBUS check value for "123456789" is 0xF4.
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc8(&[0; 6]), 0);
    }
}
