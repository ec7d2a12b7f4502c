//! LAN9118 driver against a behavioural model of the chip (`lan9118/model.rs`): bring-up, MAC and
//! PHY, byte-exact TX and RX, FIFO limits, bad frames, interrupts and the IRQ pin, recovery,
//! sustained traffic, and a smoltcp TCP exchange.

#[path = "lan9118/model.rs"]
mod model;
#[path = "lan9118/tcp.rs"]
mod tcp;

use lan9118::{Config, Lan9118, Lan9118Error, RxDiscard};
use model::*;
use nic::{Duplex, LinkState, MacAddress, Nic, Speed, TxError};

const OUR_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0xAA, 0xBB, 0xCC];

fn driver(model: &Lan9118Model) -> Lan9118<&Lan9118Model> {
    Lan9118::new(model, Config::default()).expect("bring-up")
}

/// A frame to `dest` of `len` bytes with a length-dependent payload pattern.
fn frame(dest: [u8; 6], len: usize, seed: u8) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[..6].copy_from_slice(&dest);
    f[6..12].copy_from_slice(&PEER_MAC);
    for (i, b) in f.iter_mut().enumerate().skip(12) {
        *b = (i as u8).wrapping_mul(7).wrapping_add(seed) ^ (len as u8);
    }
    f
}

fn receive_one(nic: &mut Lan9118<&Lan9118Model>) -> Option<Vec<u8>> {
    nic.receive(|f| f.to_vec())
}

/// Small deterministic PRNG for the fuzz-style tests (no test depends on its exact values).
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ------------------------------------------------------------------------------ bring-up

#[test]
fn bring_up_reads_the_preloaded_mac_and_configures_the_chip() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    assert_eq!(nic.mac_address(), MacAddress(OUR_MAC));
    assert_eq!(nic.chip_id(), 0x0118);
    assert_eq!(nic.revision(), 1);
    let s = model.state();
    assert_eq!(
        s.mac_cr & MAC_CR_PRMS,
        0,
        "QEMU's reset-time promiscuous mode cleared"
    );
    assert_eq!(s.mac_cr & MAC_CR_BCAST, 0, "broadcast accepted");
    assert_ne!(s.mac_cr & MAC_CR_RXEN, 0);
    assert_ne!(s.mac_cr & MAC_CR_TXEN, 0);
    drop(s);
    assert_ne!(model.tx_cfg() & 2, 0, "TX_ON");
    assert_eq!(
        model.irq_cfg() & (IRQ_POL | IRQ_TYPE | IRQ_EN),
        IRQ_POL | IRQ_TYPE
    );
    assert!(!model.irq_line(), "pin idles deasserted after bring-up");
    assert_eq!(
        nic.link_state(),
        LinkState::Up {
            speed: Speed::Mbps100,
            duplex: Duplex::Full
        }
    );
    assert_ne!(
        model.state().mac_cr & MAC_CR_FDPX,
        0,
        "MAC follows the full-duplex link"
    );
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

#[test]
fn configured_mac_is_programmed_and_filters_unicast() {
    let model = Lan9118Model::new();
    let mac = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
    let config = Config {
        mac_address: Some(MacAddress(mac)),
        ..Config::default()
    };
    let mut nic = Lan9118::new(&model, config).expect("bring-up");
    assert_eq!(nic.mac_address(), MacAddress(mac));
    assert_eq!(model.state().mac, mac);
    assert_eq!(model.deliver(&frame(OUR_MAC, 60, 1)), RxOutcome::Filtered);
    assert_eq!(model.deliver(&frame(mac, 60, 2)), RxOutcome::Queued);
    assert_eq!(receive_one(&mut nic), Some(frame(mac, 60, 2)));
}

#[test]
fn missing_chip_and_bad_mac_are_errors_not_panics() {
    let model = Lan9118Model::new();
    model.state().absent = true;
    assert_eq!(
        Lan9118::new(&model, Config::default()).err(),
        Some(Lan9118Error::NoDevice { byte_test: 0 })
    );
    let model = Lan9118Model::with_mac([0; 6]);
    assert!(matches!(
        Lan9118::new(&model, Config::default()),
        Err(Lan9118Error::InvalidMacAddress(_))
    ));
    let model = Lan9118Model::new();
    let multicast = Config {
        mac_address: Some(MacAddress([0x01, 0, 0x5e, 0, 0, 1])),
        ..Config::default()
    };
    assert!(matches!(
        Lan9118::new(&model, multicast),
        Err(Lan9118Error::InvalidMacAddress(_))
    ));
}

#[test]
fn slow_handshakes_are_waited_for_and_stuck_ones_time_out() {
    let model = Lan9118Model::new();
    {
        let mut s = model.state();
        s.reset_busy_reads = 40;
        s.csr_busy_reads = 3;
        s.mii_busy_reads = 2;
    }
    let mut nic = driver(&model);
    assert!(nic.link_state().is_up());
    assert!(model.violations().is_empty(), "{:?}", model.violations());

    let model = Lan9118Model::new();
    model.state().reset_busy_reads = u32::MAX;
    assert_eq!(
        Lan9118::new(&model, Config::default()).err(),
        Some(Lan9118Error::ResetTimeout)
    );
    let model = Lan9118Model::new();
    model.state().csr_busy_reads = u32::MAX;
    assert_eq!(
        Lan9118::new(&model, Config::default()).err(),
        Some(Lan9118Error::CsrTimeout)
    );
}

#[test]
fn link_down_and_up_follow_the_phy() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    model.set_link(false);
    assert_eq!(nic.link_state(), LinkState::Down);
    model.set_link(true);
    model.state().lpa = 0x0021; // partner: 10BASE-T half duplex only
    assert_eq!(
        nic.link_state(),
        LinkState::Up {
            speed: Speed::Mbps10,
            duplex: Duplex::Half
        }
    );
    assert_eq!(
        model.state().mac_cr & MAC_CR_FDPX,
        0,
        "MAC back to half duplex"
    );
}

// ------------------------------------------------------------------------------------ TX

#[test]
fn tx_of_every_length_is_byte_exact() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    let mut total = 0u64;
    for len in 14..=1514usize {
        let expected = frame(PEER_MAC, len, 3);
        let filled = nic
            .transmit(len, |buf| {
                assert_eq!(buf.len(), len);
                buf.copy_from_slice(&expected);
                len
            })
            .expect("room in the FIFO");
        assert_eq!(filled, len);
        assert_eq!(model.take_sent(), vec![expected], "frame of {len} bytes");
        total += len as u64;
    }
    let stats = nic.stats();
    assert_eq!(stats.tx_frames, 1501);
    assert_eq!(stats.tx_bytes, total);
    assert_eq!(stats.tx_errors.total(), 0);
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

#[test]
fn tx_rejects_bad_lengths_without_calling_the_closure() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    for len in [0, 13, 1515, 4000, usize::MAX] {
        let r = nic.transmit(len, |_| panic!("closure must not run for len {len}"));
        assert_eq!(r, Err(TxError::InvalidLength));
    }
    assert!(model.take_sent().is_empty());
}

#[test]
fn tx_fifo_full_blocks_and_the_ioc_interrupt_reopens_it() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    nic.set_interrupts_enabled(true);
    model.state().hold_tx = true;
    // 4608 bytes of TX FIFO, 1524 per full frame (8 command bytes + 1516 data): 3 fit.
    let mut queued = 0;
    while nic.tx_ready() {
        nic.transmit(1514, |b| b.fill(0xEE))
            .expect("tx_ready promised room");
        queued += 1;
        assert!(queued <= 3, "more frames queued than the FIFO holds");
    }
    assert_eq!(queued, 3);
    assert_eq!(nic.transmit(1514, |_| ()), Err(TxError::WouldBlock));
    // A small frame still fits in the remaining 36 bytes.
    nic.transmit(20, |b| b.fill(1)).expect("small frame fits");
    assert_eq!(nic.transmit(20, |_| ()), Err(TxError::WouldBlock));
    let ioc: Vec<bool> = model
        .state()
        .sent_cmd_a
        .iter()
        .map(|a| a >> 31 == 1)
        .collect();
    assert_eq!(
        ioc,
        vec![false, false, true, true],
        "IOC only once the FIFO is nearly full"
    );
    assert!(!model.irq_line());

    model.release_tx();
    assert!(model.irq_line(), "TX_IOC raised the pin");
    let events = nic.on_interrupt();
    assert!(events.tx_done);
    assert!(!model.irq_line(), "acknowledged");
    assert!(nic.tx_ready());
    assert_eq!(model.take_sent().len(), 4);
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

#[test]
fn tx_status_errors_are_counted_by_kind() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    model.state().tx_status_errors.extend([
        TXS_ES | TXS_NO_CARRIER,
        TXS_ES | TXS_LOSS_OF_CARRIER,
        TXS_ES | TXS_LATE_COLLISION,
        TXS_ES | TXS_EXCESSIVE_DEFERRAL,
        0,
    ]);
    for _ in 0..5 {
        nic.transmit(60, |b| b.fill(0)).expect("room");
    }
    let stats = nic.stats();
    assert_eq!(stats.tx_errors.carrier, 2);
    assert_eq!(stats.tx_errors.collision, 1);
    assert_eq!(stats.tx_errors.other, 1);
    assert_eq!(model.take_sent().len(), 1);
}

#[test]
fn tx_error_interrupt_resets_the_tx_path() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    nic.set_interrupts_enabled(true);
    model.raise(TXE_INT);
    assert!(model.irq_line());
    let events = nic.on_interrupt();
    assert!(events.tx_error);
    assert!(!model.irq_line());
    assert_eq!(model.state().tx_dumps, 1);
    assert_ne!(model.tx_cfg() & 2, 0, "transmitter back on");
    let stats = nic.stats();
    assert_eq!((stats.recoveries, stats.tx_errors.fifo), (1, 1));
    nic.transmit(64, |b| b.fill(9))
        .expect("TX works after recovery");
    assert_eq!(model.take_sent(), vec![vec![9; 64]]);
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

// ------------------------------------------------------------------------------------ RX

#[test]
fn rx_of_every_length_is_byte_exact_with_fcs_stripped() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    let mut total = 0u64;
    for len in 14..=1518usize {
        let f = frame(OUR_MAC, len, 5);
        assert_eq!(model.deliver(&f), RxOutcome::Queued);
        assert!(nic.rx_ready());
        assert_eq!(receive_one(&mut nic), Some(f), "frame of {len} bytes");
        total += len as u64;
    }
    assert!(!nic.rx_ready());
    assert_eq!(receive_one(&mut nic), None);
    let stats = nic.stats();
    assert_eq!(stats.rx_frames, 1505);
    assert_eq!(stats.rx_bytes, total);
    assert_eq!(stats.rx_errors.total(), 0);
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

#[test]
fn rx_accepts_broadcast_and_multicast_and_drains_a_full_fifo_in_order() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    let frames: Vec<Vec<u8>> = (0..6)
        .map(|i| match i % 3 {
            0 => frame([0xFF; 6], 1514, i),
            1 => frame([0x33, 0x33, 0, 0, 0, 1], 1514, i),
            _ => frame(OUR_MAC, 1514, i),
        })
        .collect();
    for f in &frames {
        assert_eq!(model.deliver(f), RxOutcome::Queued);
    }
    // The 7th full-size frame does not fit in 2640 words: the chip drops and counts it.
    assert_eq!(model.deliver(&frame(OUR_MAC, 1514, 9)), RxOutcome::Overrun);
    for f in &frames {
        assert_eq!(receive_one(&mut nic).as_ref(), Some(f));
    }
    assert_eq!(receive_one(&mut nic), None);
    let stats = nic.stats();
    assert_eq!(stats.rx_dropped, 1, "RX_DROP folded into the stats");
    assert_eq!(
        nic.stats().rx_dropped,
        1,
        "RX_DROP clears on read: no double count"
    );
}

#[test]
fn bad_frames_are_dropped_counted_and_never_desync_the_fifo() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    let good = frame(OUR_MAC, 100, 7);
    let words = |n: usize| vec![0xDEAD_BEEFu32; n];
    // Oversized (QEMU passes up to 2047 bytes), then a good one.
    assert_eq!(model.deliver(&frame(OUR_MAC, 1600, 1)), RxOutcome::Queued);
    // Undersized status (runt without error bit), with its words.
    model.deliver_raw(10 << 16, &words(3));
    // Error statuses, each with matching data.
    model.deliver_raw((64 << 16) | RXS_ES | RXS_CRC_ERROR, &words(16));
    model.deliver_raw((64 << 16) | RXS_ES | RXS_RUNT, &words(16));
    model.deliver_raw((64 << 16) | RXS_ES | RXS_TOO_LONG, &words(16));
    model.deliver_raw((64 << 16) | RXS_ES | RXS_COLLISION, &words(16));
    model.deliver_raw((64 << 16) | RXS_FILTER_FAIL, &words(16));
    assert_eq!(model.deliver(&good), RxOutcome::Queued);

    assert_eq!(receive_one(&mut nic), Some(good.clone()));
    let e = nic.stats().rx_errors;
    assert_eq!((e.length, e.crc, e.frame, e.filtered), (4, 1, 1, 1));
    assert_eq!(nic.stats().rx_frames, 1);
    assert!(model.violations().is_empty(), "{:?}", model.violations());

    // A status claiming more data than the FIFO holds: resynchronise, then carry on.
    model.deliver_raw(16_000 << 16, &words(4));
    assert!(!nic.rx_ready());
    assert_eq!(nic.stats().recoveries, 1);
    assert_eq!(model.state().rx_dumps, 1);
    assert_ne!(model.state().mac_cr & MAC_CR_RXEN, 0, "receiver re-enabled");
    assert_eq!(model.deliver(&good), RxOutcome::Queued);
    assert_eq!(receive_one(&mut nic), Some(good));
}

#[test]
fn fast_forward_discard_mode_skips_rejected_frames() {
    let model = Lan9118Model::new();
    let config = Config {
        rx_discard: RxDiscard::FastForward,
        ..Config::default()
    };
    let mut nic = Lan9118::new(&model, config).expect("bring-up");
    let good = frame(OUR_MAC, 70, 4);
    model.deliver(&frame(OUR_MAC, 1700, 1));
    model.deliver_raw((40 << 16) | RXS_ES | RXS_CRC_ERROR, &[1; 10]);
    model.deliver_raw(12 << 16, &[2; 3]); // 3 words: too short to fast-forward, drained
    model.deliver(&good);
    assert_eq!(receive_one(&mut nic), Some(good));
    assert_eq!(model.state().fast_forwards, 2);
    assert_eq!(nic.stats().rx_errors.total(), 3);
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

#[test]
fn random_statuses_and_data_never_panic_and_rx_recovers() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        for _ in 0..rng.below(4) {
            let status = rng.next() as u32;
            let n = rng.below(600) as usize;
            let data: Vec<u32> = (0..n).map(|_| rng.next() as u32).collect();
            model.deliver_raw(status, &data);
        }
        if rng.below(3) == 0 {
            let len = rng.below(2100) as usize;
            let mut f = frame(OUR_MAC, len.max(14), round as u8);
            f.truncate(len);
            model.deliver(&f);
        }
        // Bounded drain: at most as many receives as statuses in the FIFO.
        for _ in 0..=RX_STATUS_FIFO_ENTRIES {
            if nic.receive(|f| f.len()).is_none() {
                break;
            }
        }
        let _ = nic.on_interrupt();
    }
    // Whatever state the garbage left, a clean frame still arrives intact.
    for _ in 0..=RX_STATUS_FIFO_ENTRIES {
        if nic.receive(|_| ()).is_none() {
            break;
        }
    }
    let good = frame(OUR_MAC, 333, 8);
    assert_eq!(model.deliver(&good), RxOutcome::Queued);
    assert_eq!(receive_one(&mut nic), Some(good));
    let stats = nic.stats();
    assert!(stats.rx_errors.total() + stats.recoveries > 0);
}

// ---------------------------------------------------------------------------- interrupts

#[test]
fn pin_polarity_is_set_before_anything_can_assert_it() {
    // Without IRQ_POL and IRQ_TYPE, QEMU drives the idle line high: a stuck interrupt.
    let raw = Lan9118Model::new();
    assert!(raw.irq_line(), "model reproduces QEMU's inverted default");
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    model.deliver(&frame(OUR_MAC, 60, 0));
    assert!(
        !model.irq_line(),
        "interrupts disabled: pin quiet although a frame waits"
    );
    nic.set_interrupts_enabled(true);
    assert!(model.irq_line(), "enabled with a frame waiting: asserted");
    nic.set_interrupts_enabled(false);
    assert!(!model.irq_line());
}

#[test]
fn rx_interrupt_is_masked_until_the_fifo_is_drained() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    nic.set_interrupts_enabled(true);
    assert!(!model.irq_line());
    let a = frame(OUR_MAC, 200, 1);
    let b = frame(OUR_MAC, 300, 2);
    model.deliver(&a);
    model.deliver(&b);
    assert!(model.irq_line());

    let events = nic.on_interrupt();
    assert!(events.rx_ready && !events.tx_done && !events.link_changed);
    // RSFL is level-sensitive in the model and two statuses still wait: only the mask
    // deasserts the pin.
    assert!(!model.irq_line(), "RSFL masked while the stack drains");
    assert_eq!(model.int_en() & RSFL_INT, 0);

    assert_eq!(receive_one(&mut nic), Some(a));
    assert_eq!(
        model.int_en() & RSFL_INT,
        0,
        "still masked: a frame remains"
    );
    assert_eq!(receive_one(&mut nic), Some(b));
    assert!(!nic.rx_ready());
    assert_ne!(model.int_en() & RSFL_INT, 0, "re-armed once empty");
    assert!(!model.irq_line());

    model.deliver(&frame(OUR_MAC, 64, 3));
    assert!(model.irq_line(), "next frame interrupts again");
}

#[test]
fn spurious_interrupt_reports_nothing() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    nic.set_interrupts_enabled(true);
    assert!(nic.on_interrupt().is_empty());
}

#[test]
fn link_change_interrupt_reports_and_clears() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    nic.set_interrupts_enabled(true);
    assert!(
        !model.irq_line(),
        "bring-up consumed the initial PHY events"
    );
    model.set_link(false);
    assert!(model.irq_line());
    let events = nic.on_interrupt();
    assert!(events.link_changed);
    assert!(!model.irq_line());
    assert_eq!(nic.link_state(), LinkState::Down);
    model.set_link(true);
    assert!(model.irq_line());
    assert!(nic.on_interrupt().link_changed);
    assert!(nic.link_state().is_up());
    assert!(!model.irq_line());
}

#[test]
fn overrun_and_receiver_error_interrupts_are_counted_and_recovered() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    nic.set_interrupts_enabled(true);
    let mut dropped = 0;
    for i in 0..10 {
        if model.deliver(&frame(OUR_MAC, 1514, i)) == RxOutcome::Overrun {
            dropped += 1;
        }
    }
    assert_eq!(dropped, 4);
    let events = nic.on_interrupt();
    assert!(events.rx_error && events.rx_ready);
    let stats = nic.stats();
    assert_eq!((stats.rx_dropped, stats.rx_overruns), (4, 1));

    model.raise(RXE_INT);
    assert!(nic.on_interrupt().rx_error);
    assert_eq!(nic.stats().recoveries, 1);
    assert_eq!(model.rx_status_entries(), 0, "RX FIFOs dumped");
    assert!(!model.irq_line());
    let good = frame(OUR_MAC, 99, 1);
    model.deliver(&good);
    assert_eq!(receive_one(&mut nic), Some(good));
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

// ------------------------------------------------------------------------------ traffic

#[test]
fn sustained_bidirectional_traffic_is_byte_exact() {
    let model = Lan9118Model::new();
    let mut nic = driver(&model);
    nic.set_interrupts_enabled(true);
    let mut rng = XorShift(42);
    let (mut rx_expected, mut tx_expected) = (0u64, 0u64);
    for i in 0..5000u32 {
        let rx_len = 14 + rng.below(1501) as usize;
        let f = frame(OUR_MAC, rx_len, i as u8);
        assert_eq!(model.deliver(&f), RxOutcome::Queued);
        if model.irq_line() {
            assert!(nic.on_interrupt().rx_ready);
        }
        assert_eq!(receive_one(&mut nic), Some(f));
        rx_expected += rx_len as u64;

        let tx_len = 14 + rng.below(1501) as usize;
        let g = frame(PEER_MAC, tx_len, !(i as u8));
        nic.transmit(tx_len, |b| b.copy_from_slice(&g))
            .expect("room");
        assert_eq!(model.take_sent(), vec![g]);
        tx_expected += tx_len as u64;
    }
    let stats = nic.stats();
    assert_eq!((stats.rx_frames, stats.tx_frames), (5000, 5000));
    assert_eq!((stats.rx_bytes, stats.tx_bytes), (rx_expected, tx_expected));
    assert_eq!(
        stats.rx_errors.total() + stats.tx_errors.total() + stats.recoveries,
        0
    );
    assert!(model.violations().is_empty(), "{:?}", model.violations());
}

#[test]
fn the_internal_phy_answers_clause_22_mdio_through_mii_acc() {
    use hil::mdio::{Mdio, MdioError};
    let model = Lan9118Model::new();
    let nic = driver(&model);
    // PHYSID1/2 of the internal PHY, read the way any PHY driver reads them.
    assert_eq!(Mdio::read(&nic, 1, 2), Ok(0x0007));
    assert_eq!(Mdio::read(&nic, 1, 3), Ok(0xC0D1));
    // What bring-up advertised through `mii`: 10/100 half/full, IEEE 802.3 selector.
    assert_eq!(Mdio::read(&nic, 1, 4), Ok(0x01E1));
    assert_eq!(Mdio::read(&nic, 32, 0), Err(MdioError::InvalidAddress));
    assert_eq!(Mdio::read(&nic, 1, 32), Err(MdioError::InvalidAddress));
}
