//! What servicing an interrupt found.

use core::ops::{BitOr, BitOrAssign};

/// Causes reported by [`Nic::on_interrupt`](crate::Nic::on_interrupt). Several may be set at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Events {
    /// At least one received frame is waiting: poll the stack.
    pub rx_ready: bool,
    /// Transmit completions were reaped, so room may have opened: poll the stack.
    pub tx_done: bool,
    /// The PHY reported a link change: re-read [`Nic::link_state`](crate::Nic::link_state).
    pub link_changed: bool,
    /// A receive-side error or overrun was counted (and recovered from).
    pub rx_error: bool,
    /// A transmit-side error was counted (and recovered from).
    pub tx_error: bool,
}

impl Events {
    /// No event.
    pub const NONE: Events = Events {
        rx_ready: false,
        tx_done: false,
        link_changed: false,
        rx_error: false,
        tx_error: false,
    };

    /// Whether nothing happened (a spurious or shared interrupt).
    pub const fn is_empty(&self) -> bool {
        !(self.rx_ready || self.tx_done || self.link_changed || self.rx_error || self.tx_error)
    }
}

impl BitOr for Events {
    type Output = Events;

    fn bitor(self, rhs: Events) -> Events {
        Events {
            rx_ready: self.rx_ready | rhs.rx_ready,
            tx_done: self.tx_done | rhs.tx_done,
            link_changed: self.link_changed | rhs.link_changed,
            rx_error: self.rx_error | rhs.rx_error,
            tx_error: self.tx_error | rhs.tx_error,
        }
    }
}

impl BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        *self = *self | rhs;
    }
}
