//! mvneta and PHY drivers against the behavioural model (`mvneta/model.rs`): bring-up, byte-exact
//! traffic both ways with many ring wrap-arounds, two ports back to back, RX overrun and
//! recovery, TX completion under load (the TX-interrupt pitfall), RX coalescing, link down/up,
//! bad frames, internal-error restart, filters, MIB, cache-maintenance discipline and its cost.

#[path = "mvneta/model.rs"]
mod model;
#[path = "mvneta/tcp.rs"]
mod tcp;

use armada370::mdio::Smi;
use armada370::mvneta::registers as r;
use armada370::mvneta::{Config, Mvneta, NetaError};
use hil::mdio::{Mdio, MdioError};
use hil::mmio::Bus;
use mii::{Phy, PhyConfig, PhyError, RgmiiDelays};
use model::*;
use nic::dma::DmaMemory;
use nic::{Duplex, LinkState, MacAddress, Nic, Speed, TxError};

const OUR_MAC: [u8; 6] = [0x00, 0x50, 0x43, 0x12, 0x34, 0x56];
const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0xAA, 0xBB, 0xCC];

type Driver = Mvneta<&'static NetaModel, &'static NetaModel, &'static Smi<&'static SmiModel>>;

struct Rig {
    model: &'static NetaModel,
    smi: &'static SmiModel,
    nic: Driver,
}

fn phy_config(address: u8) -> PhyConfig {
    PhyConfig {
        address,
        delays: RgmiiDelays::KeepBootloader,
        gigabit: true,
    }
}

/// One port on its own SMI bus. The rig is leaked: tests are short-lived processes.
fn rig_with(config: Config, prepare: impl FnOnce(&NetaModel)) -> Rig {
    let smi_rc = SmiModel::new(&[0, 1]);
    let smi_model: &'static SmiModel = Box::leak(Box::new(smi_rc.clone()));
    let smi: &'static Smi<&'static SmiModel> = Box::leak(Box::new(Smi::new(smi_model)));
    let model: &'static NetaModel = Box::leak(Box::new(NetaModel::new(OUR_MAC, smi_rc, 0)));
    prepare(model);
    let phy = Phy::new(smi, phy_config(0)).expect("phy");
    // SAFETY: the arena is leaked (lives forever) and only the driver and the model touch it.
    let nic = unsafe { Mvneta::new_raw(model, model, Some(phy), model.memory(), config) }
        .expect("bring-up");
    Rig {
        model,
        smi: smi_model,
        nic,
    }
}

fn rig() -> Rig {
    rig_with(Config::default(), |_| {})
}

fn small_rings() -> Config {
    Config {
        rx_ring_len: 16,
        tx_ring_len: 16,
        rx_coalesce_frames: 1,
        ..Config::default()
    }
}

fn frame(dest: [u8; 6], len: usize, seed: u32) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[..6].copy_from_slice(&dest);
    f[6..12].copy_from_slice(&PEER_MAC);
    f[12] = 0x88;
    f[13] = 0xB5;
    for (i, b) in f.iter_mut().enumerate().skip(14) {
        *b = (i as u32)
            .wrapping_mul(7)
            .wrapping_add(seed)
            .wrapping_mul(2_654_435_761)
            .to_le_bytes()[3];
    }
    f
}

fn receive_one(nic: &mut Driver) -> Option<Vec<u8>> {
    nic.receive(|f| f.to_vec())
}

fn send(nic: &mut Driver, data: &[u8]) -> Result<(), TxError> {
    nic.transmit(data.len(), |buf| buf.copy_from_slice(data))
}

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
fn bring_up_keeps_the_boot_loader_mac_and_programs_the_port_as_documented() {
    let Rig { model, mut nic, .. } = rig();
    assert_eq!(nic.mac_address(), MacAddress(OUR_MAC));
    assert_eq!(
        model.reg(r::cpu_map(0)),
        0xFFFF,
        "CPU 0 granted every queue"
    );
    assert_eq!(model.reg(r::ACC_MODE), 1, "software buffer management");
    assert_eq!(model.reg(r::SDMA_CONFIG), 0x0100_0038);
    assert_eq!(model.reg(r::PORT_CONFIG), 0x0200_1000);
    assert_eq!(model.reg(r::MBUS_RETRY), 0x20);
    // The Mirabox values predicted from U-Boot's bdinfo (two 512 MiB chip selects) by Linux
    // `mvneta_conf_mbus_windows`: base | attribute << 8 | target, size − 1 in 64 KiB units.
    assert_eq!(model.reg(r::win_base(0)), 0x0000_0E00);
    assert_eq!(model.reg(r::win_size(0)), 0x1FFF_0000);
    assert_eq!(model.reg(r::win_base(1)), 0x2000_0D00);
    assert_eq!(model.reg(r::win_size(1)), 0x1FFF_0000);
    assert_eq!(model.reg(r::BASE_ADDR_ENABLE), 0x3C);
    assert_eq!(model.reg(r::ACCESS_PROTECT), 0x0F);
    // Unicast entry for the last nibble (6) of our address: register 0x3604, byte lane 2.
    assert_eq!(model.reg(r::DA_FILT_UNICAST + 4), 0x01 << 16);
    assert_eq!(
        model.rx_counters(),
        (0, 128),
        "every RX descriptor handed over"
    );
    assert_eq!(model.reg(r::rxq_size(0)), 128 | (192 << 19));
    assert_eq!((model.reg(r::GMAC_CTRL_0) >> 2) & 0x1FFF, 767);
    assert_eq!(model.reg(r::TX_MTU) & 0x3FFFF, 1536 * 8);
    assert!(model.reg(r::TX_TOKEN_SIZE) >= 1536 * 8);
    assert_eq!(
        model.queues_enabled(),
        (true, true),
        "link was up, queues started"
    );
    let autoneg = model.reg(r::GMAC_AUTONEG_CONFIG);
    assert_eq!(autoneg & 0b11, 0b10, "forced link pass, not down");
    assert_ne!(autoneg & (1 << 6), 0, "GMII speed");
    assert_ne!(autoneg & (1 << 12), 0, "full duplex");
    assert_eq!(
        nic.link_state(),
        LinkState::Up {
            speed: Speed::Mbps1000,
            duplex: Duplex::Full
        }
    );
    assert!(!model.irq_line(), "interrupts stay off until enabled");
    model.assert_no_violations();
}

#[test]
fn configured_mac_wins_and_an_invalid_one_is_refused() {
    let cfg = Config {
        mac_address: Some(MacAddress([0x02, 1, 2, 3, 4, 0x5A])),
        ..Config::default()
    };
    let Rig { model, nic, .. } = rig_with(cfg, |_| {});
    assert_eq!(nic.mac_address(), MacAddress([0x02, 1, 2, 3, 4, 0x5A]));
    assert_eq!(model.reg(r::MAC_ADDR_HIGH), 0x0201_0203);
    assert_eq!(model.reg(r::MAC_ADDR_LOW), 0x045A);

    let smi_rc = SmiModel::new(&[0]);
    let model: &'static NetaModel = Box::leak(Box::new(NetaModel::new([0; 6], smi_rc, 0)));
    // SAFETY: leaked arena, used only by this driver and model.
    let r = unsafe {
        Mvneta::<_, _, &Smi<&SmiModel>>::new_raw(
            model,
            model,
            None,
            model.memory(),
            Config::default(),
        )
    };
    assert!(matches!(r, Err(NetaError::NoMacAddress(_))));
    let bad = Config {
        rx_ring_len: 0,
        ..Config::default()
    };
    // SAFETY: as above.
    let r = unsafe {
        Mvneta::<_, _, &Smi<&SmiModel>>::new_raw(model, model, None, model.memory(), bad)
    };
    assert_eq!(r.err(), Some(NetaError::InvalidConfig("rx_ring_len")));
}

#[test]
fn memory_left_dirty_by_earlier_code_is_flushed_before_the_device_writes_it() {
    // Garbage in the cache over the RX buffers would be written back over received frames.
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |m| m.scribble_memory(0x5A));
    for seed in 0..40 {
        let f = frame(OUR_MAC, 60 + seed as usize * 30, seed);
        assert_eq!(model.inject(&f), RxOutcome::Delivered);
        assert_eq!(receive_one(&mut nic).as_deref(), Some(&f[..]));
    }
    model.assert_no_violations();
}

// ------------------------------------------------------------------------------ data path

#[test]
fn transmit_is_byte_exact_and_pads_runts() {
    let Rig { model, mut nic, .. } = rig();
    let long = frame(PEER_MAC, 1514, 1);
    let runt = frame(PEER_MAC, 42, 2);
    send(&mut nic, &long).unwrap();
    send(&mut nic, &runt).unwrap();
    let wire = model.take_wire();
    assert_eq!(wire[0], long);
    assert_eq!(&wire[1][..42], &runt[..]);
    assert_eq!(wire[1].len(), 60, "Z_PAD pads to the minimum");
    assert!(wire[1][42..].iter().all(|&b| b == 0));
    assert_eq!(nic.transmit(13, |_| ()), Err(TxError::InvalidLength));
    assert_eq!(nic.transmit(1515, |_| ()), Err(TxError::InvalidLength));
    let s = nic.stats();
    assert_eq!((s.tx_frames, s.tx_bytes), (2, 1514 + 42));
    model.assert_no_violations();
}

#[test]
fn receive_is_byte_exact_without_header_or_fcs() {
    let Rig { model, mut nic, .. } = rig();
    assert!(!nic.rx_ready());
    for len in [14, 60, 61, 1514, 1518] {
        let f = frame(OUR_MAC, len, len as u32);
        assert_eq!(model.inject(&f), RxOutcome::Delivered);
        assert!(nic.rx_ready());
        assert_eq!(receive_one(&mut nic), Some(f));
    }
    assert_eq!(receive_one(&mut nic), None);
    assert_eq!(model.rx_counters(), (0, 128), "every descriptor given back");
    let s = nic.stats();
    assert_eq!(s.rx_frames, 5);
    model.assert_no_violations();
}

#[test]
fn sustained_traffic_both_ways_wraps_the_rings_many_times() {
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |_| {});
    nic.set_interrupts_enabled(true);
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut sent, mut received) = (Vec::new(), 0usize);
    let mut expected_rx = std::collections::VecDeque::new();
    for round in 0..3000u32 {
        // Bursts of up to 5 frames each way, drained in between: 16-entry rings wrap ~500 times.
        for _ in 0..rng.below(6) {
            let f = frame(OUR_MAC, 14 + rng.below(1505) as usize, round);
            if model.inject(&f) == RxOutcome::Delivered {
                expected_rx.push_back(f);
            }
        }
        for _ in 0..rng.below(6) {
            let f = frame(PEER_MAC, 14 + rng.below(1501) as usize, round ^ 0xFFFF);
            match send(&mut nic, &f) {
                Ok(()) => {
                    // What the wire carries: Z_PAD pads runts to 60 bytes.
                    let mut on_wire = f.clone();
                    on_wire.resize(f.len().max(60), 0);
                    sent.push(on_wire)
                }
                Err(TxError::WouldBlock) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        if model.irq_line() {
            nic.on_interrupt();
        }
        while let Some(f) = receive_one(&mut nic) {
            assert_eq!(Some(f), expected_rx.pop_front(), "RX order/content");
            received += 1;
        }
    }
    assert!(expected_rx.is_empty());
    nic.on_interrupt();
    let wire = model.take_wire();
    assert_eq!(wire.len(), sent.len());
    assert!(wire == sent, "TX order/content");
    assert!(
        received > 16 * 100 && sent.len() > 16 * 100,
        "rings wrapped many times"
    );
    assert_eq!(nic.tx_in_flight(), 0);
    model.assert_no_violations();
}

#[test]
fn two_ports_back_to_back_share_one_smi_bus() {
    let smi_rc = SmiModel::new(&[0, 1]);
    let smi_model: &'static SmiModel = Box::leak(Box::new(smi_rc.clone()));
    let smi: &'static Smi<&'static SmiModel> = Box::leak(Box::new(Smi::new(smi_model)));
    let mac1 = [0x00, 0x50, 0x43, 0x12, 0x34, 0x57];
    let m0: &'static NetaModel = Box::leak(Box::new(NetaModel::new(OUR_MAC, smi_rc.clone(), 0)));
    let m1: &'static NetaModel = Box::leak(Box::new(NetaModel::new(mac1, smi_rc, 1)));
    let cfg = small_rings();
    // SAFETY: leaked arenas, one per driver.
    let mut eth0 = unsafe {
        Mvneta::new_raw(
            m0,
            m0,
            Some(Phy::new(smi, phy_config(0)).unwrap()),
            m0.memory(),
            cfg,
        )
    }
    .unwrap();
    // SAFETY: as above.
    let mut eth1 = unsafe {
        Mvneta::new_raw(
            m1,
            m1,
            Some(Phy::new(smi, phy_config(1)).unwrap()),
            m1.memory(),
            cfg,
        )
    }
    .unwrap();
    for i in 0..200u32 {
        let a = frame(mac1, 60 + (i as usize * 7) % 1400, i);
        let b = frame(OUR_MAC, 60 + (i as usize * 13) % 1400, !i);
        send(&mut eth0, &a).unwrap();
        send(&mut eth1, &b).unwrap();
        for f in m0.take_wire() {
            assert_eq!(m1.inject(&f), RxOutcome::Delivered);
        }
        for f in m1.take_wire() {
            assert_eq!(m0.inject(&f), RxOutcome::Delivered);
        }
        assert_eq!(receive_one(&mut eth1), Some(a));
        assert_eq!(receive_one(&mut eth0), Some(b));
        eth0.on_interrupt();
        eth1.on_interrupt();
    }
    m0.assert_no_violations();
    m1.assert_no_violations();
}

// ------------------------------------------------------------------------------ overrun, errors

#[test]
fn rx_overrun_is_counted_and_reception_recovers() {
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |_| {});
    nic.set_interrupts_enabled(true);
    let frames: Vec<_> = (0..21).map(|i| frame(OUR_MAC, 100 + i, i as u32)).collect();
    let outcomes: Vec<_> = frames.iter().map(|f| model.inject(f)).collect();
    assert!(outcomes[..16].iter().all(|o| *o == RxOutcome::Delivered));
    assert!(outcomes[16..].iter().all(|o| *o == RxOutcome::Overrun));
    assert!(model.irq_line());
    let ev = nic.on_interrupt();
    assert!(ev.rx_ready && ev.rx_error);
    assert!(
        !model.irq_line(),
        "RX masked until drained, overrun acknowledged"
    );
    for f in &frames[..16] {
        assert_eq!(receive_one(&mut nic).as_ref(), Some(f));
    }
    assert_eq!(receive_one(&mut nic), None);
    let s = nic.stats();
    assert_eq!((s.rx_frames, s.rx_overruns, s.rx_dropped), (16, 1, 5));
    // The ring is whole again and the RX interrupt re-armed.
    let f = frame(OUR_MAC, 300, 99);
    assert_eq!(model.inject(&f), RxOutcome::Delivered);
    assert!(model.irq_line());
    assert_eq!(receive_one(&mut nic), Some(f));
    model.assert_no_violations();
}

#[test]
fn bad_frames_are_dropped_counted_and_do_not_desynchronise_the_ring() {
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |_| {});
    model.inject_bad_crc(&frame(OUR_MAC, 100, 1));
    // A frame longer than one buffer arrives in two descriptors when the MAC does not cut it.
    model.state_mut().enforce_max_rx_size = false;
    model.inject(&frame(OUR_MAC, 1600, 2));
    model.state_mut().enforce_max_rx_size = true;
    // And one the MAC cuts (max RX size) is flagged as a length error.
    model.inject(&frame(OUR_MAC, 1600, 3));
    let good = frame(OUR_MAC, 200, 4);
    model.inject(&good);
    assert_eq!(receive_one(&mut nic), Some(good));
    let s = nic.stats();
    assert_eq!(s.rx_errors.crc, 1);
    assert_eq!(s.rx_errors.length, 2);
    assert_eq!(s.rx_frames, 1);
    assert_eq!(model.rx_counters(), (0, 16));
    model.assert_no_violations();
}

#[test]
fn internal_address_error_restarts_the_port_cleanly() {
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |_| {});
    model.state_mut().auto_tx = false;
    for i in 0..3 {
        send(&mut nic, &frame(PEER_MAC, 100, i)).unwrap();
    }
    model.inject(&frame(OUR_MAC, 100, 7));
    model.raise_misc(r::misc::INTERNAL_ADDR_ERR);
    let ev = nic.on_interrupt();
    assert!(ev.rx_error && ev.tx_error);
    let s = nic.stats();
    assert_eq!((s.recoveries, s.tx_dropped), (1, 3));
    assert_eq!(model.rx_counters(), (0, 16));
    assert_eq!(model.tx_counters(), (0, 0));
    assert_eq!(model.queues_enabled(), (true, true));
    model.state_mut().auto_tx = true;
    let f = frame(PEER_MAC, 500, 8);
    send(&mut nic, &f).unwrap();
    assert_eq!(model.take_wire(), vec![f]);
    let g = frame(OUR_MAC, 500, 9);
    model.inject(&g);
    assert_eq!(receive_one(&mut nic), Some(g));
    model.assert_no_violations();
}

// ------------------------------------------------------------------------------ interrupts

#[test]
fn tx_completion_under_load_is_interrupt_driven_and_never_stalls() {
    let cfg = Config {
        tx_coalesce_frames: 8,
        ..small_rings()
    };
    let Rig { model, mut nic, .. } = rig_with(cfg, |_| {});
    nic.set_interrupts_enabled(true);
    model.state_mut().auto_tx = false; // the wire drains only when the test says so
    for i in 0..16 {
        send(&mut nic, &frame(PEER_MAC, 64, i)).unwrap();
    }
    assert_eq!(
        send(&mut nic, &frame(PEER_MAC, 64, 99)),
        Err(TxError::WouldBlock)
    );
    assert_eq!(
        model.reg(r::txq_size(0)) >> 16,
        7,
        "coalesce: one interrupt per 8 frames"
    );
    model.transmit_pending(7);
    assert!(!model.irq_line(), "7 sent: below the threshold");
    model.transmit_pending(1);
    assert!(model.irq_line(), "8 sent: TX-done interrupt");
    let ev = nic.on_interrupt();
    assert!(ev.tx_done);
    assert_eq!(nic.tx_in_flight(), 8);
    assert!(!model.irq_line());
    // The remaining 8 must interrupt too, however the wire drains them.
    model.transmit_pending(8);
    assert!(model.irq_line());
    nic.on_interrupt();
    assert_eq!(nic.tx_in_flight(), 0);
    // The pitfall: a lone frame with a coalescing threshold of 8 would never complete.
    send(&mut nic, &frame(PEER_MAC, 64, 100)).unwrap();
    assert_eq!(model.reg(r::txq_size(0)) >> 16, 0);
    model.transmit_pending(1);
    assert!(model.irq_line(), "a single frame still raises TX-done");
    assert!(nic.on_interrupt().tx_done);
    assert_eq!(model.take_wire().len(), 17);
    model.assert_no_violations();
}

#[test]
fn ring_full_is_resolved_by_reaping_even_without_an_interrupt() {
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |_| {});
    model.state_mut().auto_tx = false;
    for i in 0..16 {
        send(&mut nic, &frame(PEER_MAC, 64, i)).unwrap();
    }
    assert!(!nic.tx_ready());
    model.transmit_pending(4);
    assert!(nic.tx_ready(), "tx_ready reaps when the ring is full");
    assert_eq!(nic.tx_in_flight(), 12);
    model.assert_no_violations();
}

#[test]
fn rx_interrupt_coalescing_by_frames_and_by_time() {
    let cfg = Config {
        rx_coalesce_frames: 4,
        rx_coalesce_usecs: 50,
        ..small_rings()
    };
    let Rig { model, mut nic, .. } = rig_with(cfg, |_| {});
    nic.set_interrupts_enabled(true);
    assert_eq!(model.reg(r::rxq_time_coal(0)), 200 * 50, "µs × TCLK MHz");
    for i in 0..3 {
        model.inject(&frame(OUR_MAC, 100, i));
    }
    assert!(!model.irq_line(), "3 < 4 frames");
    model.advance_us(49);
    assert!(!model.irq_line());
    model.advance_us(1);
    assert!(model.irq_line(), "time coalescing expired");
    assert!(nic.on_interrupt().rx_ready);
    assert!(!model.irq_line(), "masked while the stack drains");
    model.inject(&frame(OUR_MAC, 100, 3));
    assert!(!model.irq_line());
    let mut n = 0;
    while receive_one(&mut nic).is_some() {
        n += 1;
    }
    assert_eq!(n, 4);
    for i in 0..4 {
        model.inject(&frame(OUR_MAC, 100, 10 + i));
    }
    assert!(model.irq_line(), "4 frames reach the threshold at once");
    model.assert_no_violations();
}

#[test]
fn causes_read_zero_without_the_cpu_map_grant() {
    // What the driver's CPU_MAP write buys: take it away and the RX cause disappears.
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |_| {});
    nic.set_interrupts_enabled(true);
    model.inject(&frame(OUR_MAC, 100, 0));
    assert!(model.irq_line());
    model.write(r::cpu_map(0), 0);
    assert_eq!(model.read(r::INTR_NEW_CAUSE) & r::cause_rx(0), 0);
    assert!(!model.irq_line());
}

// ------------------------------------------------------------------------------ link

#[test]
fn link_down_stops_the_queues_and_link_up_at_another_speed_reconfigures_the_mac() {
    let Rig {
        model,
        smi,
        mut nic,
    } = rig_with(small_rings(), |_| {});
    smi.phy(0).set_link(false);
    assert_eq!(nic.link_state(), LinkState::Down);
    assert_eq!(model.queues_enabled(), (false, false));
    assert_eq!(
        model.reg(r::GMAC_AUTONEG_CONFIG) & 0b11,
        0b01,
        "forced down"
    );
    assert_eq!(model.inject(&frame(OUR_MAC, 100, 1)), RxOutcome::LinkDown);
    // Frames queued while down wait in the ring.
    send(&mut nic, &frame(PEER_MAC, 100, 2)).unwrap();
    assert!(model.take_wire().is_empty());
    {
        let mut phy = smi.phy(0);
        phy.partner = PARTNER_100HD;
        phy.set_link(true);
    }
    assert_eq!(
        nic.link_state(),
        LinkState::Up {
            speed: Speed::Mbps100,
            duplex: Duplex::Half
        }
    );
    let a = model.reg(r::GMAC_AUTONEG_CONFIG);
    assert_eq!(
        (a & (1 << 5) != 0, a & (1 << 6) != 0, a & (1 << 12) != 0),
        (true, false, false)
    );
    assert_eq!(model.queues_enabled(), (true, true));
    nic.on_interrupt();
    assert_eq!(
        model.take_wire().len(),
        1,
        "the queued frame left after link up"
    );
    let f = frame(OUR_MAC, 100, 3);
    assert_eq!(model.inject(&f), RxOutcome::Delivered);
    assert_eq!(receive_one(&mut nic), Some(f));
    // A flap between two polls is still seen (BMSR link status latches low).
    smi.phy(0).set_link(false);
    smi.phy(0).set_link(true);
    assert_eq!(
        nic.link_state(),
        LinkState::Up {
            speed: Speed::Mbps100,
            duplex: Duplex::Half
        }
    );
    model.assert_no_violations();
}

#[test]
fn link_change_cause_is_reported() {
    let Rig { model, mut nic, .. } = rig();
    nic.set_interrupts_enabled(true);
    model.raise_misc(r::misc::LINK_CHANGE);
    assert!(model.irq_line());
    assert!(nic.on_interrupt().link_changed);
    assert!(!model.irq_line());
}

// ------------------------------------------------------------------------------ filters, MIB

#[test]
fn address_filters_accept_ours_broadcast_and_listed_multicast_only() {
    let cfg = Config {
        accept_all_multicast: false,
        ..small_rings()
    };
    let Rig { model, mut nic, .. } = rig_with(cfg, |_| {});
    let other_unicast = [0x00, 0x50, 0x43, 0x12, 0x34, 0x57];
    let ipv4_mc = MacAddress([0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB]);
    let ipv6_mc = MacAddress([0x33, 0x33, 0xFF, 0x12, 0x34, 0x56]);
    assert_eq!(
        model.inject(&frame(other_unicast, 60, 0)),
        RxOutcome::Filtered
    );
    assert_eq!(model.inject(&frame(ipv6_mc.0, 60, 0)), RxOutcome::Filtered);
    assert_eq!(model.inject(&frame([0xFF; 6], 60, 0)), RxOutcome::Delivered);
    nic.set_multicast_filter(&[ipv4_mc, ipv6_mc]);
    assert_eq!(model.inject(&frame(ipv4_mc.0, 60, 1)), RxOutcome::Delivered);
    assert_eq!(model.inject(&frame(ipv6_mc.0, 60, 2)), RxOutcome::Delivered);
    assert_eq!(
        model.inject(&frame([0x01, 0, 0x5E, 0, 0, 0xFC], 60, 3)),
        RxOutcome::Filtered
    );
    assert_eq!(
        model.inject(&frame([0x33, 0x33, 0, 0, 0, 1], 60, 4)),
        RxOutcome::Filtered
    );
    let mut n = 0;
    while receive_one(&mut nic).is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    model.assert_no_violations();
}

#[test]
fn mib_counters_accumulate_across_clear_on_read() {
    let Rig { model, mut nic, .. } = rig();
    model.inject(&frame(OUR_MAC, 100, 1));
    model.inject(&frame([0xFF; 6], 60, 2));
    send(&mut nic, &frame(PEER_MAC, 200, 3)).unwrap();
    let m = nic.mib_counters();
    assert_eq!(
        (m.good_frames_rx, m.good_octets_rx, m.broadcast_rx),
        (2, 104 + 64, 1)
    );
    assert_eq!((m.good_frames_tx, m.good_octets_tx), (1, 204));
    send(&mut nic, &frame(PEER_MAC, 200, 4)).unwrap();
    assert_eq!(nic.mib_counters().good_frames_tx, 2);
}

// ------------------------------------------------------------------------------ PHY / MDIO

#[test]
fn phy_resolves_the_highest_common_mode() {
    let smi_rc = SmiModel::new(&[3]);
    let smi = Smi::new(&*smi_rc);
    let phy = Phy::new(&smi, phy_config(3)).unwrap();
    assert_eq!(phy.id(), 0x0141_0DD1);
    assert_eq!(
        phy.link_state().unwrap(),
        LinkState::Up {
            speed: Speed::Mbps1000,
            duplex: Duplex::Full
        }
    );
    smi_rc.phy(3).partner = PARTNER_100FD;
    assert_eq!(
        phy.link_state().unwrap(),
        LinkState::Up {
            speed: Speed::Mbps100,
            duplex: Duplex::Full
        }
    );
    smi_rc.phy(3).partner = PartnerAbility {
        lpa: 0x0021,
        stat1000: 0,
    };
    assert_eq!(
        phy.link_state().unwrap(),
        LinkState::Up {
            speed: Speed::Mbps10,
            duplex: Duplex::Half
        }
    );
    let _no_gig = Phy::new(
        &smi,
        PhyConfig {
            gigabit: false,
            ..phy_config(3)
        },
    )
    .unwrap();
    assert_eq!(smi_rc.phy(3).ctrl1000, 0, "1000BASE-T not advertised");
    assert_eq!(
        smi_rc.phy(3).bmcr & (1 << 12),
        1 << 12,
        "autonegotiation enabled"
    );
    assert_eq!(
        smi_rc.phy(3).resets,
        0,
        "KeepBootloader never resets the PHY"
    );
}

#[test]
fn marvell_rgmii_delays_are_set_on_page_2_then_the_phy_is_reset() {
    let smi_rc = SmiModel::new(&[0]);
    let smi = Smi::new(&*smi_rc);
    Phy::new(
        &smi,
        PhyConfig {
            delays: RgmiiDelays::Marvell,
            ..phy_config(0)
        },
    )
    .unwrap();
    let phy = smi_rc.phy(0);
    assert_eq!(phy.mscr_page2 & 0x30, 0x30);
    assert_eq!(phy.page, 0, "back on page 0");
    assert_eq!(phy.resets, 1);
    drop(phy);
    smi_rc.phy(0).id = (0x0022, 0x1611);
    assert_eq!(
        Phy::new(
            &smi,
            PhyConfig {
                delays: RgmiiDelays::Marvell,
                ..phy_config(0)
            }
        )
        .err(),
        Some(PhyError::NotMarvell(0x0022_1611))
    );
}

#[test]
fn mdio_errors_are_reported_not_hung_on() {
    let smi_rc = SmiModel::new(&[0]);
    let smi = Smi::new(&*smi_rc);
    assert_eq!(smi.read(5, 2), Err(MdioError::NoResponse));
    assert_eq!(smi.read(32, 0), Err(MdioError::InvalidAddress));
    assert_eq!(
        Phy::new(&smi, phy_config(7)).err(),
        Some(PhyError::Mdio(MdioError::NoResponse))
    );
    smi_rc.set_stuck_busy(true);
    assert_eq!(smi.read(0, 1), Err(MdioError::Timeout));
    assert_eq!(smi.write(0, 0, 0), Err(MdioError::Timeout));
}

// ------------------------------------------------------------------------------ the cache model

#[test]
fn the_model_catches_missing_cache_maintenance() {
    // The model's checks have teeth: drive its DMA view by hand the way a buggy driver would.
    let smi_rc = SmiModel::new(&[0]);
    let model = NetaModel::new(OUR_MAC, smi_rc, 0);
    let mem = model.memory().as_ptr().cast::<u8>();
    // A CPU write the device reads without a clean.
    // SAFETY: inside the model's arena.
    unsafe { mem.write_volatile(0xAB) };
    model.write(r::win_base(0), 0x0000_0E00);
    model.write(r::win_size(0), 0x1FFF_0000);
    model.write(r::BASE_ADDR_ENABLE, 0x3E);
    model.write(r::ACCESS_PROTECT, 0x3);
    model.write(r::txq_size(0), 4);
    model.write(r::txq_base_addr(0), BUS_BASE);
    model.write(r::GMAC_CTRL_2, 0);
    while model.read(r::GMAC_CTRL_2) & (1 << 6) != 0 {}
    model.write(r::ACC_MODE, 1);
    model.write(r::GMAC_CTRL_0, 1);
    model.write(r::TXQ_CMD, 1);
    model.write(r::txq_update(0), 1);
    let v = model.violations();
    assert!(v.iter().any(|s| s.contains("never cleaned")), "{v:?}");
    // Cleaning afterwards and then invalidating is fine; invalidating a dirty line is not.
    model.clean(mem, 32);
    let before = model.violations().len();
    // SAFETY: as above.
    unsafe { mem.add(64).write_volatile(1) };
    model.invalidate(mem.wrapping_add(64), 4);
    let v = model.violations();
    assert_eq!(v.len(), before + 1);
    assert!(v[before].contains("invalidate discards CPU writes"));
}

#[test]
fn maintenance_cost_per_frame() {
    // Measured, not asserted against a budget: what cached DMA costs per frame (README, cache.rs).
    let Rig { model, mut nic, .. } = rig_with(small_rings(), |_| {});
    let (c0, cl0, i0, il0) = model.maintenance();
    for i in 0..100 {
        model.inject(&frame(OUR_MAC, 1514, i));
        receive_one(&mut nic).unwrap();
        send(&mut nic, &frame(PEER_MAC, 1514, i)).unwrap();
    }
    nic.on_interrupt();
    let (c1, cl1, i1, il1) = model.maintenance();
    let per = |a: u64, b: u64| (b - a) as f64 / 100.0;
    println!(
        "per 1514-byte frame each way: {:.1} cleans ({:.1} lines), {:.1} invalidates ({:.1} lines)",
        per(c0, c1),
        per(cl0, cl1),
        per(i0, i1),
        per(il0, il1)
    );
    // RX: descriptor invalidate + buffer invalidate (1520 bytes = 48 lines) + descriptor clean;
    // TX: buffer clean (48 lines) + descriptor clean.
    assert_eq!((c1 - c0, i1 - i0), (300, 200));
    assert_eq!((cl1 - cl0, il1 - il0), (100 * (1 + 48 + 1), 100 * (1 + 48)));
    model.assert_no_violations();
}

#[test]
fn the_model_catches_miscounted_handovers_and_forbidden_register_order() {
    let Rig { model, .. } = rig_with(small_rings(), |_| {});
    model.assert_no_violations();
    // One refill more than the ring holds.
    model.write(r::rxq_status_update(0), 1 << 16);
    // Acknowledging a TX completion that never happened.
    model.write(r::txq_update(0), 1 << 16);
    // Moving the RX ring under a running queue, and resetting the DMA under it.
    model.write(r::rxq_base_addr(0), BUS_BASE);
    model.write(r::PORT_RX_RESET, 1);
    let v = model.violations();
    assert_eq!(v.len(), 4, "{v:?}");
    assert!(v[0].contains("overruns the ring"));
    assert!(v[1].contains("acknowledged 1 but only 0 sent"));
    assert!(v[2].contains("base address changed while the queue runs"));
    assert!(v[3].contains("reset while the RX queue runs"));
}
