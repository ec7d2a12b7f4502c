//! The guard behind every chip's `Peripherals::take()`: owned peripherals are only owned if
//! they can be taken once.

use core::cell::Cell;

use critical_section::Mutex;

/// True from [`TakeOnce::take`] the first time only. The check and the set are one step in a
/// critical section, because the ARMv5TE chips have no atomic read-modify-write.
pub struct TakeOnce(Mutex<Cell<bool>>);

impl TakeOnce {
    /// Not taken yet.
    pub const fn new() -> Self {
        TakeOnce(Mutex::new(Cell::new(false)))
    }

    /// Whether this is the first call.
    pub fn take(&self) -> bool {
        critical_section::with(|cs| !self.0.borrow(cs).replace(true))
    }
}

impl Default for TakeOnce {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_take_succeeds() {
        let once = TakeOnce::new();
        assert!(once.take());
        assert!(!once.take());
        assert!(!once.take());
    }
}
