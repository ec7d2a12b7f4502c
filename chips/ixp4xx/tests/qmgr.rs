//! The queue-manager driver against the register-level model: SRAM allocation, FIFO order
//! across pointer wrap, status flags and watermarks, overflow/underflow, interrupts.

mod model;

use ixp4xx::qmgr::{IrqSource, QmgrError, QueueLen, QueueManager, stat};
use model::{Block, Soc};

fn qm(soc: &Soc) -> QueueManager<model::Port<'_>> {
    let mut q = QueueManager::new(soc.port(Block::Qmgr));
    q.reset();
    q
}

#[test]
fn allocation_uses_distinct_pages_until_sram_runs_out() {
    let soc = Soc::new();
    let mut q = qm(&soc);
    // 124 free pages of 16 words: 15 queues of 128 words (8 pages each) fit, a 16th does not.
    for n in 0..15 {
        q.request(n, QueueLen::Words128, 0, 0).unwrap();
    }
    assert_eq!(
        q.request(15, QueueLen::Words128, 0, 0),
        Err(QmgrError::OutOfSram)
    );
    // The four pages left still hold a 64-word queue.
    q.request(15, QueueLen::Words64, 0, 0).unwrap();
    let mut firsts: Vec<u32> = (0..16).map(|n| (q.config(n) >> 14) & 0xFF).collect();
    firsts.sort();
    assert_eq!(firsts[0], 4, "pages 0-3 hold the config words");
    assert!(firsts.windows(2).all(|w| w[1] >= w[0] + 4));
    assert_eq!(
        q.request(3, QueueLen::Words16, 0, 0),
        Err(QmgrError::InUse(3))
    );
    assert_eq!(
        q.request(64, QueueLen::Words16, 0, 0),
        Err(QmgrError::InvalidQueue(64))
    );
    assert_eq!(
        q.request(20, QueueLen::Words16, 8, 0),
        Err(QmgrError::InvalidQueue(20))
    );
    // Releasing one 128-word queue makes room again and drains what it held.
    q.put(2, 0x1000);
    q.put(2, 0x2000);
    assert_eq!(q.release(2), Ok(2));
    assert_eq!(q.config(2), 0);
    q.request(40, QueueLen::Words128, 0, 0).unwrap();
}

#[test]
fn entries_come_out_in_order_across_pointer_wrap() {
    let soc = Soc::new();
    let mut q = qm(&soc);
    q.request(24, QueueLen::Words16, 0, 0).unwrap();
    let mut next_in = 1u32;
    let mut next_out = 1u32;
    for round in 0..50 {
        for _ in 0..(round % 16 + 1) {
            q.put(24, next_in << 5);
            next_in += 1;
        }
        while let Some(entry) = q.get(24) {
            assert_eq!(entry, next_out << 5);
            next_out += 1;
        }
    }
    assert_eq!(next_in, next_out);
    assert!(next_in > 128, "the 7-bit pointers wrapped");
    assert_eq!(soc.state.borrow().qm.overflows[24], 0);
}

#[test]
fn status_flags_follow_fill_level_and_watermarks() {
    let soc = Soc::new();
    let mut q = qm(&soc);
    // 16 entries, nearly-empty at ≤ 2 (code 2), nearly-full at ≤ 4 free (code 3).
    q.request(5, QueueLen::Words16, 2, 3).unwrap();
    assert_eq!(q.status_low(5), stat::EMPTY | stat::NEARLY_EMPTY);
    q.put(5, 0x20);
    q.put(5, 0x40);
    assert_eq!(q.status_low(5), stat::NEARLY_EMPTY);
    q.put(5, 0x60);
    assert_eq!(q.status_low(5), 0);
    for i in 3..16 {
        q.put(5, (i + 1) << 5);
    }
    assert!(q.is_full(5));
    assert_eq!(q.status_low(5), stat::NEARLY_FULL | stat::FULL);
    assert!(!q.has_overflowed(5));
    q.put(5, 0xFFE0); // lost
    assert!(q.has_overflowed(5));
    for _ in 0..16 {
        assert!(q.get(5).is_some());
    }
    assert_eq!(q.get(5), None);
    assert!(q.is_empty(5));
    assert_eq!(soc.state.borrow().qm.underflows[5], 1);
    // Queues 32-63: nearly-empty (= empty with watermark 0) and full from the upper registers.
    q.request(40, QueueLen::Words16, 0, 0).unwrap();
    assert!(q.is_empty(40) && q.is_nearly_empty(40) && !q.is_full(40));
    for i in 0..16 {
        q.put(40, (i + 1) << 5);
    }
    assert!(!q.is_empty(40) && q.is_full(40));
}

#[test]
fn interrupts_latch_on_the_selected_condition_and_ack() {
    let soc = Soc::new();
    let mut q = qm(&soc);
    q.request(3, QueueLen::Words64, 0, 0).unwrap();
    q.request(33, QueueLen::Words16, 0, 0).unwrap();
    q.set_irq_source(3, IrqSource::NotEmpty).unwrap();
    assert_eq!(
        q.set_irq_source(33, IrqSource::Empty),
        Err(QmgrError::InvalidQueue(33))
    );
    q.put(3, 0x20); // before enabling: nothing latched
    assert_eq!(q.take_irq_status(0), 0);
    q.enable_irq(3);
    q.enable_irq(33);
    q.put(3, 0x40);
    q.put(33, 0x60); // queues ≥ 32: "not nearly empty"
    assert!(soc.state.borrow().qm.irq_line(0));
    assert_eq!(q.take_irq_status(0), 1 << 3);
    assert_eq!(q.take_irq_status(0), 0, "acknowledged");
    assert_eq!(q.take_irq_status(1), 1 << 1);
    q.disable_irq(3);
    q.put(3, 0x80);
    assert_eq!(q.take_irq_status(0), 0);
    assert!(!soc.state.borrow().qm.irq_line(0));
}
