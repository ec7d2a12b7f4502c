//! Interrupt dispatch: a table from interrupt number to handler, filled at boot.
//!
//! The board's IRQ entry calls [`dispatch`], which claims interrupts from the controller until
//! none is pending, runs their handlers with interrupts masked, and completes them. Handlers are
//! plain `fn()`s: short, and they only record what happened (a tick, a NIC event); the real work
//! happens in the main loop.

use core::cell::Cell;

use critical_section::Mutex;

use crate::board::{InterruptController, IrqNumber};

/// Interrupt numbers the table can hold (GIC 96, Armada MPIC 115, IXP4xx 64).
pub const MAX_IRQS: usize = 128;

/// Most interrupts taken in one [`dispatch`] call, so that a source that cannot be cleared does
/// not pin the CPU inside the handler forever.
const MAX_CLAIMS_PER_ENTRY: usize = 32;

/// An interrupt number beyond the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqOutOfRange(pub IrqNumber);

/// One handler slot: empty, or the function to run.
type Slot = Cell<Option<fn()>>;

struct Table {
    handlers: [Slot; MAX_IRQS],
    unexpected: Cell<u32>,
    pending_wake: Cell<bool>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    handlers: [const { Cell::new(None) }; MAX_IRQS],
    unexpected: Cell::new(0),
    pending_wake: Cell::new(false),
});

/// Installs `handler` for `irq` (replacing any previous one). The caller then unmasks it at the
/// controller.
pub fn register(irq: IrqNumber, handler: fn()) -> Result<(), IrqOutOfRange> {
    let slot = usize::try_from(irq)
        .ok()
        .filter(|&i| i < MAX_IRQS)
        .ok_or(IrqOutOfRange(irq))?;
    critical_section::with(|cs| TABLE.borrow(cs).handlers[slot].set(Some(handler)));
    Ok(())
}

/// Handles every pending interrupt; returns how many were taken. Interrupts without a handler
/// are masked at the controller and counted, so a misconfigured device cannot storm.
pub fn dispatch(controller: &dyn InterruptController) -> usize {
    critical_section::with(|cs| {
        let table = TABLE.borrow(cs);
        let mut taken = 0;
        while taken < MAX_CLAIMS_PER_ENTRY {
            let Some(irq) = controller.claim() else { break };
            let handler = usize::try_from(irq)
                .ok()
                .and_then(|i| table.handlers.get(i))
                .and_then(Cell::get);
            match handler {
                Some(handler) => handler(),
                None => {
                    controller.disable(irq);
                    table
                        .unexpected
                        .set(table.unexpected.get().saturating_add(1));
                }
            }
            controller.complete(irq);
            taken += 1;
        }
        if taken > 0 {
            table.pending_wake.set(true);
        }
        taken
    })
}

/// Whether an interrupt arrived since the last call (clears the flag). The idle loop checks this
/// with interrupts masked before it sleeps, so no wake-up is lost.
pub fn take_wake() -> bool {
    critical_section::with(|cs| TABLE.borrow(cs).pending_wake.replace(false))
}

/// Interrupts that arrived with no handler installed.
pub fn unexpected_count() -> u32 {
    critical_section::with(|cs| TABLE.borrow(cs).unexpected.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A controller with a scripted queue of pending interrupts.
    #[derive(Default)]
    struct ScriptedController {
        pending: StdMutex<Vec<IrqNumber>>,
        disabled: StdMutex<Vec<IrqNumber>>,
        completed: StdMutex<Vec<IrqNumber>>,
    }

    impl InterruptController for ScriptedController {
        fn init(&self) {}
        fn enable(&self, _: IrqNumber) {}
        fn disable(&self, irq: IrqNumber) {
            self.disabled.lock().unwrap().push(irq);
        }
        fn claim(&self) -> Option<IrqNumber> {
            self.pending.lock().unwrap().pop()
        }
        fn complete(&self, irq: IrqNumber) {
            self.completed.lock().unwrap().push(irq);
        }
    }

    static CALLS: AtomicU32 = AtomicU32::new(0);
    fn count_call() {
        CALLS.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn dispatch_runs_handlers_masks_strays_and_is_bounded() {
        register(29, count_call).unwrap();
        assert_eq!(register(500, count_call), Err(IrqOutOfRange(500)));
        let controller = ScriptedController::default();
        *controller.pending.lock().unwrap() = vec![29, 90, 29];
        assert_eq!(dispatch(&controller), 3);
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
        assert_eq!(*controller.disabled.lock().unwrap(), vec![90]);
        assert_eq!(*controller.completed.lock().unwrap(), vec![29, 90, 29]);
        assert!(unexpected_count() >= 1);
        assert!(take_wake());
        assert!(!take_wake());

        // A source that never clears is cut off after a bounded number of claims.
        *controller.pending.lock().unwrap() = vec![29; 1000];
        assert_eq!(dispatch(&controller), MAX_CLAIMS_PER_ENTRY);
    }
}
