//! The queue manager, NPE loader and NPE-B Ethernet driver against register-level models
//! (`tests/model/`): load, configure, sustained traffic with ring wrap-around, queue-full and
//! error paths, interrupts, statistics, MDIO, quiesce at boot, and cache maintenance checking.

mod model;

use hil::mdio::Mdio;
use ixp4xx::eth::{self, Config, EthError, EthMemory, Ethernet, Mac};
use ixp4xx::map::queue;
use ixp4xx::npe::{Firmware, FirmwareError, Npe, NpeError, NpeId, ecs};
use ixp4xx::qmgr::QueueManager;
use model::microcode::Image;
use model::{Block, Dma, Port, Soc};
use nic::dma::DmaMemory;
use nic::{Duplex, LinkState, MacAddress, Nic, Speed, TxError};

const STATION: MacAddress = MacAddress([0x00, 0x0F, 0x66, 0x12, 0x34, 0x56]);
const VERSION: [u8; 4] = [2, 1, 0, 0x0C];
/// The NSLU2's PHY address on the NPE-B MDIO bus (a board fact, `boards/nslu2/src/wiring.rs`).
const NSLU2_PHY_ADDRESS: u8 = 1;

type Eth<'a, D> = Ethernet<'static, Port<'a>, Port<'a>, Port<'a>, D>;

fn memory(soc: &Soc) -> &'static mut EthMemory {
    let mem: &'static mut EthMemory = Box::leak(Box::new(EthMemory::new()));
    soc.attach_memory((mem as *mut EthMemory).cast(), size_of::<EthMemory>());
    mem
}

fn npe(soc: &Soc) -> Npe<Port<'_>> {
    Npe::new(soc.port(Block::Npe), NpeId::B)
}

fn qmgr(soc: &Soc) -> QueueManager<Port<'_>> {
    QueueManager::new(soc.port(Block::Qmgr))
}

fn mac(soc: &Soc) -> Mac<Port<'_>> {
    Mac::new(soc.port(Block::Mac))
}

/// Quiesce, load synthetic microcode, bring the port up with DMA memory `dma`.
fn bring_up_with<'a, D: DmaMemory>(soc: &'a Soc, dma: D) -> Result<Eth<'a, D>, EthError> {
    soc.set_ethernet_microcode(VERSION);
    let mem = memory(soc);
    let (mut n, mut q, mut m) = (npe(soc), qmgr(soc), mac(soc));
    eth::quiesce(&mut n, &mut q, &mut m)?;
    let status = eth::load_microcode(&mut n, &Image::ethernet(7).to_be_bytes())?;
    assert_eq!(status.version, VERSION);
    assert_eq!(status.image.0, 0x010C_0200);
    let config = Config {
        mac_address: STATION,
        phy_address: NSLU2_PHY_ADDRESS,
        rx_queue: model::RX_QUEUE,
    };
    Ethernet::new(q, n, m, dma, mem, config)
}

fn bring_up(soc: &Soc) -> Eth<'_, Dma<'_>> {
    bring_up_with(soc, soc.dma()).expect("bring-up")
}

/// A frame of `len` bytes addressed to the station, its payload derived from `seq`.
fn frame(len: usize, seq: u32) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend(STATION.0);
    f.extend([0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
    f.extend((0..len - 14).map(|i| (seq as usize * 31 + i * 7) as u8));
    f.truncate(len);
    f
}

fn assert_clean(soc: &Soc) {
    assert_eq!(soc.violations(), vec![], "cache-maintenance violations");
    let s = soc.state.borrow();
    assert_eq!(s.npe_errors, Vec::<String>::new(), "NPE protocol errors");
    assert!(s.qm.overflows.iter().all(|&o| o == 0), "queue overflow");
    assert_eq!(s.qm.unconfigured_puts, 0);
}

#[test]
fn load_writes_every_block_and_starts_the_npe() {
    let soc = Soc::new();
    soc.set_ethernet_microcode(VERSION);
    let image = Image::ethernet(42);
    let mut n = npe(&soc);
    let status = eth::load_microcode(&mut n, &image.to_be_bytes()).unwrap();
    assert_eq!(status.version, VERSION);
    let s = soc.state.borrow();
    assert!(s.npe.running);
    assert_eq!(s.npe.starts, 1);
    for block in &image.blocks {
        let memory = if block.data {
            &s.npe.data_memory
        } else {
            &s.npe.instruction_memory
        };
        let at = block.npe_addr as usize;
        assert_eq!(&memory[at..at + block.words.len()], &block.words[..]);
    }
    // Linux's reset left its ECS table behind, then npe_start cleared ACTIVE in pri-1/2/debug.
    assert_eq!(s.npe.ecs[&ecs::BG_CTXT_REG_0], 0xA000_0000);
    assert_eq!(s.npe.ecs[&ecs::PRI_1_CTXT_REG_0], 0x2000_0080);
    assert_eq!(s.npe.ecs[&ecs::DBG_CTXT_REG_0], 0x2000_0000);
    assert_eq!(s.npe.ecs[&ecs::DBG_CTXT_REG_2], 0x001E_0000);
    assert_eq!(s.npe.ecs[&ecs::INSTRUCTION_REG], 0x1003_C00F);
    assert_eq!(s.npe.mailbox_status, 0xF0F0);
    // Reset stepped: mailbox reset, 32 × (REGMAP + two halves), context 0 (REGMAP, CINDEX)
    // and contexts 1–15 (STEVT, STARTPC, REGMAP, CINDEX).
    assert_eq!(s.npe.stepped.len(), 1 + 32 * 3 + 2 + 15 * 4);
    assert_eq!(s.npe.writes_while_running, 0);
}

#[test]
fn reset_drains_a_stale_in_fifo_word() {
    let soc = Soc::new();
    soc.state.borrow_mut().npe.in_fifo.push_back(0xDEAD_BEEF);
    npe(&soc).reset().unwrap();
    let s = soc.state.borrow();
    assert!(s.npe.in_fifo.is_empty());
    assert_eq!(s.npe.stepped[0], ixp4xx::npe::instr::READ_FIFO);
}

#[test]
fn loading_a_running_npe_is_refused() {
    let soc = Soc::new();
    soc.state.borrow_mut().npe.running = true;
    let bytes = Image::ethernet(1).to_be_bytes();
    let firmware = Firmware::parse(&bytes, NpeId::B).unwrap();
    assert_eq!(npe(&soc).load(&firmware), Err(NpeError::Running));
    assert!(
        soc.state
            .borrow()
            .npe
            .instruction_memory
            .iter()
            .all(|&w| w == 0)
    );
}

#[test]
fn byte_swapped_image_loads_the_same_words() {
    let image = Image::ethernet(9);
    let (be, le) = (Soc::new(), Soc::new());
    npe(&be).boot(&image.to_be_bytes()).unwrap();
    let id = npe(&le).boot(&image.to_le_bytes()).unwrap();
    assert_eq!(id.0, image.id);
    assert_eq!(
        be.state.borrow().npe.instruction_memory,
        le.state.borrow().npe.instruction_memory
    );
    assert_eq!(
        be.state.borrow().npe.data_memory,
        le.state.borrow().npe.data_memory
    );
}

#[test]
fn image_for_another_npe_is_rejected_before_touching_it() {
    let soc = Soc::new();
    let mut image = Image::ethernet(3);
    image.id = 0x020C_0200; // NPE-C
    let err = npe(&soc).boot(&image.to_be_bytes()).unwrap_err();
    assert!(matches!(
        err,
        NpeError::Firmware(FirmwareError::WrongNpe {
            expected: NpeId::B,
            ..
        })
    ));
    assert!(soc.state.borrow().npe.stepped.is_empty());
}

#[test]
fn bring_up_sends_the_linux_message_set_and_configures_queues_and_mac() {
    let soc = Soc::new();
    let eth = bring_up(&soc);
    let s = soc.state.borrow();
    assert_eq!(s.npe.eth.rx_qos, [Some(model::RX_QUEUE as u8); 8]);
    assert_eq!(s.npe.eth.mac, Some(STATION.0));
    assert_eq!(s.npe.eth.firewall_mode, Some(0));
    // Queue lengths: RX-free 64, RX 64, TX 16, TX-done 64 (config bits 25:24).
    let len = |q: u32| 16 << ((s.qm.sram[q as usize] >> 24) & 3);
    assert_eq!(
        [
            len(queue::RX_FREE),
            len(model::RX_QUEUE),
            len(queue::TX),
            len(queue::TX_DONE)
        ],
        [64, 64, 16, 64]
    );
    assert_eq!(s.qm.count(queue::RX_FREE as usize), 64);
    assert_eq!(s.mac.station_address(), STATION.0);
    assert_eq!(s.mac.reg(ixp4xx::eth::mac::regs::TX_CONTROL0), 0x3D);
    assert_eq!(s.mac.reg(ixp4xx::eth::mac::regs::RX_CONTROL0), 0x01);
    assert_eq!(s.mac.reg(ixp4xx::eth::mac::regs::CORE_CONTROL), 0x10);
    drop(s);
    assert_eq!(eth.rx_posted(), 64);
    assert_eq!(eth.mac_address(), STATION);
    assert_clean(&soc);
}

#[test]
fn sustained_traffic_both_ways_wraps_every_ring_byte_exact() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    let mut received = Vec::new();
    let mut expected_rx = Vec::new();
    let mut expected_tx = Vec::new();
    let mut sent = Vec::new();
    for round in 0..200u32 {
        // A burst of RX frames of varying size (including max-size ones)...
        for k in 0..7 {
            let seq = round * 7 + k;
            let len = 14 + (seq as usize * 97) % (1514 - 14 + 1);
            let f = frame(len, seq);
            soc.inject(&f);
            expected_rx.push(f);
        }
        // ...and TX frames while the NPE has not yet run.
        for k in 0..5 {
            let seq = 100_000 + round * 5 + k;
            let len = 14 + (seq as usize * 53) % (1514 - 14 + 1);
            let f = frame(len, seq);
            eth.transmit(len, |buf| buf.copy_from_slice(&f)).unwrap();
            expected_tx.push(f);
        }
        soc.npe_run();
        let events = eth.on_interrupt();
        assert!(events.rx_ready && events.tx_done);
        for _ in 0..64 {
            if eth.receive(|f| received.push(f.to_vec())).is_none() {
                break;
            }
        }
        sent.extend(soc.take_sent());
    }
    assert_eq!(received.len(), expected_rx.len());
    assert!(received == expected_rx, "RX frames differ");
    assert!(sent == expected_tx, "TX frames differ");
    let stats = eth.stats();
    assert_eq!(stats.rx_frames, 1400);
    assert_eq!(stats.tx_frames, 1000);
    assert_eq!(
        stats.rx_bytes,
        expected_rx.iter().map(|f| f.len() as u64).sum::<u64>()
    );
    assert_eq!(stats.rx_errors.total() + stats.tx_errors.total(), 0);
    // 1400 frames through 64-entry queues and 1000 through 16: every pointer wrapped many times.
    assert_eq!(eth.rx_posted(), 64);
    assert_eq!(eth.tx_in_flight(), 0);
    assert_clean(&soc);
}

#[test]
fn full_tx_ring_would_block_until_tx_done() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    for seq in 0..16 {
        eth.transmit(60, |b| b.copy_from_slice(&frame(60, seq)))
            .unwrap();
    }
    assert!(!eth.tx_ready());
    assert_eq!(
        eth.transmit(60, |_| unreachable!()),
        Err(TxError::WouldBlock)
    );
    assert_eq!(eth.tx_in_flight(), 16);
    // The NPE sends only three; exactly three descriptors come back.
    assert_eq!(soc.npe_run_limited(3).0, 3);
    assert!(eth.on_interrupt().tx_done);
    for seq in 16..19 {
        eth.transmit(60, |b| b.copy_from_slice(&frame(60, seq)))
            .unwrap();
    }
    assert_eq!(eth.transmit(60, |_| ()), Err(TxError::WouldBlock));
    soc.npe_run();
    // In polled mode tx_ready reaps TX-done itself.
    assert!(eth.tx_ready());
    let sent = soc.take_sent();
    assert_eq!(sent.len(), 19);
    assert!(sent.iter().zip(0..).all(|(f, seq)| *f == frame(60, seq)));
    assert_eq!(eth.transmit(13, |_| ()), Err(TxError::InvalidLength));
    assert_eq!(eth.transmit(1515, |_| ()), Err(TxError::InvalidLength));
    assert_clean(&soc);
}

#[test]
fn rx_free_exhaustion_drops_in_the_npe_and_recovers() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    for seq in 0..70 {
        soc.inject(&frame(100, seq));
    }
    assert_eq!(soc.npe_run().1, 64);
    assert_eq!(soc.state.borrow().counters[12], 6);
    let mut got = 0;
    while eth
        .receive(|f| assert_eq!(f, frame(100, got).as_slice()))
        .is_some()
    {
        got += 1;
    }
    assert_eq!(got, 64);
    // The NPE's underflow count reaches NicStats through GETSTATS.
    assert_eq!(eth.stats().rx_dropped, 6);
    // Buffers were re-posted: traffic flows again.
    soc.inject(&frame(80, 500));
    soc.npe_run();
    assert_eq!(eth.receive(|f| f.to_vec()), Some(frame(80, 500)));
    assert_clean(&soc);
}

#[test]
fn bad_rx_entries_and_runts_are_counted_not_trusted() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    // A runt from the NPE: length error, buffer re-posted.
    soc.inject(&[0xAA; 5]);
    soc.npe_run();
    // Entries the NPE should never produce: outside memory, a TX descriptor, a duplicate.
    let first_tx_desc = {
        let s = soc.state.borrow();
        let rx_ring =
            s.qm.entries(queue::RX_FREE as usize)
                .into_iter()
                .min()
                .unwrap();
        rx_ring + 64 * 32
    };
    {
        let mut s = soc.state.borrow_mut();
        s.qm.put(model::RX_QUEUE as usize, 0x0010_0000);
        s.qm.put(model::RX_QUEUE as usize, first_tx_desc);
    }
    soc.inject(&frame(64, 1));
    soc.npe_run();
    let dup = soc
        .state
        .borrow()
        .qm
        .entries(model::RX_QUEUE as usize)
        .last()
        .copied()
        .unwrap();
    soc.state.borrow_mut().qm.put(model::RX_QUEUE as usize, dup);
    assert_eq!(eth.receive(|f| f.to_vec()), Some(frame(64, 1)));
    assert_eq!(eth.receive(|f| f.to_vec()), None);
    let stats = eth.stats();
    assert_eq!(stats.rx_errors.length, 1);
    assert_eq!(stats.rx_errors.frame, 3);
    assert_eq!(eth.rx_posted(), 64);
    assert_clean(&soc);
}

#[test]
fn bogus_tx_done_entries_are_counted() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    eth.transmit(60, |b| b.fill(1)).unwrap();
    soc.npe_run();
    let returned = soc.state.borrow().qm.entries(queue::TX_DONE as usize)[0];
    {
        let mut s = soc.state.borrow_mut();
        s.qm.put(queue::TX_DONE as usize, returned); // twice
        s.qm.put(queue::TX_DONE as usize, (returned & !3) | 2); // wrong NPE
        s.qm.put(queue::TX_DONE as usize, 0x0000_0020); // not ours
    }
    assert!(eth.on_interrupt().tx_done);
    assert_eq!(eth.stats().tx_errors.other, 3);
    assert_eq!(eth.tx_in_flight(), 0);
    assert_clean(&soc);
}

/// Forwards to the model but drops every clean: the NPE must notice stale data.
struct NoClean<'a>(Dma<'a>);
impl DmaMemory for NoClean<'_> {
    fn bus_address(&self, p: *const u8) -> Option<u32> {
        self.0.bus_address(p)
    }
    fn cpu_pointer(&self, b: u32) -> Option<*mut u8> {
        self.0.cpu_pointer(b)
    }
    fn clean(&self, _: *const u8, _: usize) {}
    fn invalidate(&self, p: *const u8, l: usize) {
        self.0.invalidate(p, l)
    }
}

/// Forwards to the model but drops every invalidate.
struct NoInvalidate<'a>(Dma<'a>);
impl DmaMemory for NoInvalidate<'_> {
    fn bus_address(&self, p: *const u8) -> Option<u32> {
        self.0.bus_address(p)
    }
    fn cpu_pointer(&self, b: u32) -> Option<*mut u8> {
        self.0.cpu_pointer(b)
    }
    fn clean(&self, p: *const u8, l: usize) {
        self.0.clean(p, l)
    }
    fn invalidate(&self, _: *const u8, _: usize) {}
}

#[test]
fn descriptors_handed_over_without_clean_are_caught() {
    let soc = Soc::new();
    let mut eth = bring_up_with(&soc, NoClean(soc.dma())).unwrap();
    // Bring-up already posted RX descriptors the device now reads without a clean.
    soc.inject(&frame(60, 0));
    soc.npe_run();
    let violations = soc.violations();
    assert!(
        violations
            .iter()
            .any(|v| v.what == "device read a line the CPU wrote without a clean"),
        "{violations:?}"
    );
    let before = violations.len();
    eth.transmit(60, |b| b.copy_from_slice(&frame(60, 1)))
        .unwrap();
    soc.npe_run();
    assert!(soc.violations().len() > before);
    // And what went on the wire is not the frame: the device saw stale memory.
    assert_ne!(soc.take_sent().first(), Some(&frame(60, 1)));
}

#[test]
fn buffers_read_without_invalidate_are_caught() {
    let soc = Soc::new();
    let mut eth = bring_up_with(&soc, NoInvalidate(soc.dma())).unwrap();
    soc.inject(&frame(60, 0));
    soc.npe_run();
    // The driver reads its stale cached descriptor (pkt_len 0 as it armed it) and never sees
    // the frame; the model flags the descriptor taken without an invalidate.
    assert_eq!(eth.receive(|f| f.to_vec()), None);
    assert!(
        soc.violations()
            .iter()
            .any(|v| v.what == "CPU took a descriptor the device wrote and never invalidated it"),
        "{:?}",
        soc.violations()
    );
}

#[test]
fn queue_interrupts_follow_rx_and_tx_done() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    eth.set_interrupts_enabled(true);
    assert!(!soc.state.borrow().qm.irq_line(0));
    soc.inject(&frame(60, 0));
    soc.npe_run();
    assert!(soc.state.borrow().qm.irq_line(0));
    let events = eth.on_interrupt();
    assert!(events.rx_ready && !events.tx_done);
    assert!(!soc.state.borrow().qm.irq_line(0), "acknowledged");
    assert!(eth.receive(|_| ()).is_some());
    eth.transmit(60, |b| b.fill(0)).unwrap();
    soc.npe_run();
    assert!(soc.state.borrow().qm.irq_line(0));
    let events = eth.on_interrupt();
    assert!(events.tx_done && !events.rx_ready);
    eth.set_interrupts_enabled(false);
    soc.inject(&frame(60, 1));
    soc.npe_run();
    assert!(!soc.state.borrow().qm.irq_line(0));
    assert_clean(&soc);
}

#[test]
fn npe_message_failures_surface_as_errors() {
    let soc = Soc::new();
    soc.state.borrow_mut().npe.corrupt_next_reply = Some([0xFF00_0000, 0]);
    let err = bring_up_with(&soc, soc.dma()).unwrap_err();
    assert!(
        matches!(err, EthError::Npe(NpeError::UnexpectedReply { .. })),
        "{err:?}"
    );

    let soc = Soc::new();
    soc.set_ethernet_microcode(VERSION);
    let mut n = npe(&soc);
    eth::load_microcode(&mut n, &Image::ethernet(1).to_be_bytes()).unwrap();
    soc.state.borrow_mut().npe.hung = true;
    assert_eq!(
        n.send_expect_echo(ixp4xx::eth::message::set_firewall_mode(0)),
        Err(NpeError::ReceiveTimeout)
    );
    // A stopped NPE never takes the message from its in-FIFO.
    n.stop();
    assert_eq!(n.send_message([1, 2]), Err(NpeError::SendTimeout));
    assert_eq!(n.send_message([1, 2]), Err(NpeError::InFifoBusy));
}

#[test]
fn ethernet_needs_a_running_npe() {
    let soc = Soc::new();
    let mem = memory(&soc);
    let config = Config {
        mac_address: STATION,
        phy_address: 1,
        rx_queue: model::RX_QUEUE,
    };
    let err = Ethernet::new(qmgr(&soc), npe(&soc), mac(&soc), soc.dma(), mem, config).unwrap_err();
    assert_eq!(err, EthError::NpeNotRunning);
}

#[test]
fn the_receive_queue_must_be_free_and_able_to_interrupt() {
    for rx_queue in [queue::RX_FREE, queue::TX, queue::TX_DONE, 32, 63] {
        let soc = Soc::new();
        soc.set_ethernet_microcode(VERSION);
        let mem = memory(&soc);
        let (mut n, mut q, mut m) = (npe(&soc), qmgr(&soc), mac(&soc));
        eth::quiesce(&mut n, &mut q, &mut m).unwrap();
        eth::load_microcode(&mut n, &Image::ethernet(7).to_be_bytes()).unwrap();
        let config = Config {
            mac_address: STATION,
            phy_address: NSLU2_PHY_ADDRESS,
            rx_queue,
        };
        let err = Ethernet::new(q, n, m, soc.dma(), mem, config).err();
        assert_eq!(
            err,
            Some(EthError::InvalidRxQueue(rx_queue)),
            "queue {rx_queue}"
        );
    }
}

#[test]
fn quiesce_stops_what_redboot_left_running() {
    // RedBoot's state: NPE running Ethernet microcode, RX-free posted into RAM the image
    // is about to reuse, MAC receiving.
    let redboot = |soc: &Soc| {
        soc.set_ethernet_microcode(VERSION);
        let mem = memory(soc);
        let desc = model::BUS_BASE + 0x40;
        let data = model::BUS_BASE + 0x1000;
        // The descriptor RedBoot left: next 0, buf_len 1536, data pointer.
        let words = [0u32, 1536 << 16, data, 0, 0, 0, 0, 0];
        // SAFETY: the descriptor lies inside the leaked EthMemory.
        unsafe {
            let p = (mem as *mut EthMemory).cast::<u8>().add(0x40).cast::<u32>();
            for (i, w) in words.iter().enumerate() {
                p.add(i).write(*w);
            }
        }
        let mut s = soc.state.borrow_mut();
        let dma = s.dma.as_mut().unwrap();
        dma.clean((mem as *mut EthMemory).cast::<u8>().wrapping_add(0x40), 32);
        s.npe.running = true;
        s.npe.eth.rx_qos = [Some(3); 8];
        s.qm.write(0x2000 + 4 * 27, 2 << 24 | 4 << 14);
        s.qm.write(0x2000 + 4 * 3, 2 << 24 | 8 << 14);
        s.qm.put(27, desc);
        s.mac.write(ixp4xx::eth::mac::regs::RX_CONTROL0, 1);
    };
    // Control: without quiesce, a frame on the wire lands in RAM.
    let soc = Soc::new();
    redboot(&soc);
    soc.inject(&frame(60, 0));
    soc.npe_run();
    assert_eq!(soc.state.borrow().device_writes, 1);

    let soc = Soc::new();
    redboot(&soc);
    eth::quiesce(&mut npe(&soc), &mut qmgr(&soc), &mut mac(&soc)).unwrap();
    soc.inject(&frame(60, 0));
    soc.npe_run();
    let s = soc.state.borrow();
    assert_eq!(s.device_writes, 0);
    assert!(!s.npe.running);
    assert!(
        s.qm.sram[..64].iter().all(|&c| c == 0),
        "queues unconfigured"
    );
    assert_eq!(s.qm.count(27), 0);
    assert_eq!(s.mac.reg(ixp4xx::eth::mac::regs::RX_CONTROL0), 0);
    assert_eq!(s.mac.core_resets, 1);
}

#[test]
fn mdio_resolves_link_and_reports_missing_phy() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    assert_eq!(
        eth.link_state(),
        LinkState::Up {
            speed: Speed::Mbps100,
            duplex: Duplex::Full
        }
    );
    soc.state.borrow_mut().mac.phy[5] = 0x0021; // partner: 10BASE-T half only
    assert_eq!(
        eth.link_state(),
        LinkState::Up {
            speed: Speed::Mbps10,
            duplex: Duplex::Half
        }
    );
    assert_eq!(
        soc.state
            .borrow()
            .mac
            .reg(ixp4xx::eth::mac::regs::TX_CONTROL0)
            & 0x02,
        0x02,
        "half duplex programmed"
    );
    soc.state.borrow_mut().mac.phy[1] &= !0x0004;
    assert_eq!(eth.link_state(), LinkState::Down);
    assert_eq!(eth.phy_read(2), Ok(0x0013));
    eth.restart_autonegotiation().unwrap();
    assert_eq!(soc.state.borrow().mac.phy[0], 0x1000);

    soc.state.borrow_mut().mac.phy_address = 5;
    assert_eq!(
        eth.phy_read(1),
        Err(EthError::Mdio(ixp4xx::eth::MdioError::NoResponse))
    );
    let m = mac(&soc);
    soc.state
        .borrow_mut()
        .mac
        .write(ixp4xx::eth::mac::regs::CORE_CONTROL, 0);
    assert_eq!(m.read(5, 1), Err(ixp4xx::eth::MdioError::Timeout));
    assert_eq!(m.read(32, 1), Err(ixp4xx::eth::MdioError::InvalidAddress));
}

#[test]
fn npe_counters_arrive_by_getstats_dma() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    {
        let mut s = soc.state.borrow_mut();
        s.counters[1] = 3; // FCS errors
        s.counters[19] = 2; // carrier sense errors
        s.counters[16] = 4; // late collisions
    }
    let counters = eth.stats();
    assert_eq!(counters.rx_errors.crc, 3);
    assert_eq!(counters.tx_errors.carrier, 2);
    assert_eq!(counters.tx_errors.collision, 4);
    // Counters are a snapshot of the NPE's cumulative values, not added up per call.
    soc.state.borrow_mut().counters[1] = 5;
    assert_eq!(eth.stats().rx_errors.crc, 5);
    let request = *soc.state.borrow().npe.messages.last().unwrap();
    assert_eq!(request[0], 0x0410_0000);
    assert!(
        (model::BUS_BASE..model::BUS_BASE + size_of::<EthMemory>() as u32).contains(&request[1])
    );
    assert_clean(&soc);
}

/// DMA memory the NPE cannot reach.
struct Unreachable;
impl DmaMemory for Unreachable {
    fn bus_address(&self, _: *const u8) -> Option<u32> {
        None
    }
    fn cpu_pointer(&self, _: u32) -> Option<*mut u8> {
        None
    }
    fn clean(&self, _: *const u8, _: usize) {}
    fn invalidate(&self, _: *const u8, _: usize) {}
}

#[test]
fn unreachable_dma_memory_is_refused_before_any_message() {
    let soc = Soc::new();
    let err = bring_up_with(&soc, Unreachable).unwrap_err();
    assert_eq!(err, EthError::DmaUnreachable);
    assert!(soc.state.borrow().npe.messages.is_empty());
}

#[test]
fn station_address_and_filter_messages() {
    let soc = Soc::new();
    let mut eth = bring_up(&soc);
    let new = MacAddress([0x02, 1, 2, 3, 4, 5]);
    eth.set_mac_address(new).unwrap();
    eth.set_firewall_mode(1).unwrap();
    eth.set_all_multicast(true);
    let s = soc.state.borrow();
    assert_eq!(s.npe.eth.mac, Some(new.0));
    assert_eq!(s.npe.eth.firewall_mode, Some(1));
    assert_eq!(s.mac.station_address(), new.0);
    assert_eq!(s.mac.reg(ixp4xx::eth::mac::regs::RX_CONTROL0), 0x21);
    drop(s);
    assert_eq!(eth.mac_address(), new);
}
