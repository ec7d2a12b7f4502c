//! The interrupt controller and OS timer drivers, through the `hil` traits the kernel uses,
//! against the register-level model in `model/` (the manual's semantics, not the drivers').

mod model;

use hil::{Clock, InterruptController, TickTimer};
use model::Siu;
use pxa25x::icu::{Icu, irq};
use pxa25x::ostimer::{OSCR_HZ, OsTimer};

/// One 100 Hz tick in OSCR counts.
const PERIOD: u32 = OSCR_HZ / 100;

#[test]
fn init_masks_every_source_routes_them_to_irq_and_masks_idle_wake_ups() {
    let siu = Siu::new();
    // What a boot loader may leave: everything unmasked, the FFUART routed to FIQ.
    siu.boot_loader_left(1 << irq::FFUART);
    siu.set_line(irq::FFUART, true);
    let icu = Icu::new(siu.icu());
    assert_eq!(icu.claim(), None, "an FIQ-routed source is not an IRQ");
    icu.init();
    assert_eq!(siu.icu_setup(), (0, 0, 1));
    assert_eq!(icu.claim(), None, "masked after init");
    icu.enable(irq::FFUART);
    assert_eq!(icu.claim(), Some(irq::FFUART), "now routed to IRQ");
}

#[test]
fn enable_and_disable_change_only_their_own_mask_bit() {
    let siu = Siu::new();
    let icu = Icu::new(siu.icu());
    icu.init();
    siu.set_line(irq::FFUART, true);
    siu.set_line(irq::OST1, true);
    icu.enable(irq::FFUART);
    icu.enable(irq::OST1);
    assert_eq!(siu.icu_setup().0, 1 << irq::FFUART | 1 << irq::OST1);
    icu.disable(irq::FFUART);
    assert_eq!(siu.icu_setup().0, 1 << irq::OST1);
    assert_eq!(icu.claim(), Some(irq::OST1));
    icu.disable(irq::OST1);
    assert_eq!(icu.claim(), None, "asserted but masked");
    // Numbers beyond the 32 sources are ignored, not wrapped onto another source.
    icu.enable(32 + irq::FFUART);
    assert_eq!(siu.icu_setup().0, 0);
}

#[test]
fn claim_serves_every_pending_source_lowest_first_and_complete_needs_nothing() {
    let siu = Siu::new();
    let icu = Icu::new(siu.icu());
    icu.init();
    for source in [irq::OST2, irq::FFUART] {
        siu.set_line(source, true);
        icu.enable(source);
    }
    assert_eq!(icu.claim(), Some(irq::FFUART));
    icu.complete(irq::FFUART);
    // The level stays until the cause is cleared at the source.
    assert_eq!(icu.claim(), Some(irq::FFUART));
    siu.set_line(irq::FFUART, false);
    assert_eq!(icu.claim(), Some(irq::OST2));
    siu.set_line(irq::OST2, false);
    assert_eq!(icu.claim(), None);
}

#[test]
fn the_clock_is_oscr_32_bits_at_3_6864_mhz() {
    let siu = Siu::new();
    let timer = OsTimer::new(siu.ost());
    siu.set_count(u32::MAX - 1);
    assert_eq!(timer.now_ticks(), u64::from(u32::MAX - 1));
    siu.advance(3);
    assert_eq!(timer.now_ticks(), 1, "wraps at 2^32; the kernel extends it");
    assert_eq!(timer.counter_bits(), 32);
    assert_eq!(timer.frequency_hz(), 3_686_400);
}

#[test]
fn the_tick_matches_once_a_period_raises_ost0_and_acknowledge_clears_it() {
    let siu = Siu::new();
    let icu = Icu::new(siu.icu());
    let timer = OsTimer::new(siu.ost());
    icu.init();
    siu.set_count(1000);
    timer.start_periodic(100);
    icu.enable(timer.irq());
    assert_eq!(timer.irq(), 26);
    siu.advance(PERIOD - 1);
    assert_eq!(icu.claim(), None, "one count early");
    assert!(!timer.acknowledge(), "nothing to acknowledge yet");
    siu.advance(1);
    assert_eq!(icu.claim(), Some(26));
    assert!(timer.acknowledge());
    assert_eq!(siu.ossr(), 0);
    assert_eq!(icu.claim(), None, "acknowledged at the source");
    assert!(!timer.acknowledge(), "acknowledged once");
    // And again one period later: periodic.
    siu.advance(PERIOD - 1);
    assert_eq!(icu.claim(), None);
    siu.advance(1);
    assert_eq!(icu.claim(), Some(26));
    assert!(timer.acknowledge());
}

#[test]
fn a_late_acknowledge_does_not_shift_the_next_tick() {
    let siu = Siu::new();
    let timer = OsTimer::new(siu.ost());
    timer.start_periodic(100);
    // The interrupt is served 500 counts after the match.
    siu.advance(PERIOD + 500);
    assert!(timer.acknowledge());
    siu.advance(PERIOD - 501);
    assert_eq!(siu.ossr(), 0);
    siu.advance(1);
    assert_eq!(siu.ossr(), 1, "second match two periods after the start");
}

#[test]
fn a_tick_missed_by_more_than_a_period_is_rearmed_from_now() {
    let siu = Siu::new();
    let timer = OsTimer::new(siu.ost());
    timer.start_periodic(100);
    siu.advance(3 * PERIOD + 7);
    assert!(timer.acknowledge());
    // Re-armed to a match already past, the tick would wait for OSCR to wrap (19 minutes).
    siu.advance(PERIOD);
    assert_eq!(siu.ossr() & 1, 1);
}

#[test]
fn the_tick_runs_across_the_counter_wrap() {
    let siu = Siu::new();
    let timer = OsTimer::new(siu.ost());
    siu.set_count(u32::MAX - PERIOD / 2);
    timer.start_periodic(100);
    for _ in 0..3 {
        siu.advance(PERIOD - 1);
        assert_eq!(siu.ossr(), 0);
        siu.advance(1);
        assert!(timer.acknowledge());
    }
}

#[test]
fn the_tick_leaves_the_other_matches_alone() {
    let siu = Siu::new();
    // Match 1 in use by someone else: enabled, pending.
    siu.program_match(1, 10);
    siu.advance(10);
    assert_eq!(siu.ossr(), 0b10);
    let timer = OsTimer::new(siu.ost());
    timer.start_periodic(100);
    assert_eq!(siu.oier(), 0b11, "match 1's interrupt enable kept");
    siu.advance(PERIOD);
    assert!(timer.acknowledge());
    assert_eq!(
        siu.ossr(),
        0b10,
        "match 1's status kept (OSSR is write-1-to-clear)"
    );
}

#[test]
fn start_periodic_clears_a_stale_match_0() {
    let siu = Siu::new();
    siu.program_match(0, 5);
    siu.advance(5);
    assert_eq!(siu.ossr(), 1, "a match left pending");
    let timer = OsTimer::new(siu.ost());
    timer.start_periodic(100);
    assert_eq!(siu.ossr(), 0);
    assert_eq!(siu.osmr(0), 5 + PERIOD);
}

#[test]
fn the_watchdog_reset_fires_after_its_delay_and_cannot_be_disarmed() {
    let siu = Siu::new();
    let timer = OsTimer::new(siu.ost());
    siu.set_count(u32::MAX - 100);
    timer.arm_reset(1000);
    siu.advance(999);
    assert!(!siu.reset_happened());
    // OWER.WME is set-only (§4.4.2.3): writing 0 does not disarm it. This is why the OS timer
    // is offered as `hil::Power` and not as a stoppable `hil::Watchdog`.
    hil::mmio::Bus::write(&siu.ost(), 0x18, 0);
    siu.advance(1);
    assert!(siu.reset_happened());
}
