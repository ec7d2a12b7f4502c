//! Versatile Express motherboard system registers (V2M-P1 "SYS" block at 0x1000_0000).
//!
//! Offsets: *Motherboard Express µATX Technical Reference Manual* (ARM DUI 0447), §4.3
//! "System register summary"; QEMU implements them in hw/misc/arm_sysctl.c. The firmware uses
//! the free-running 24 MHz counter as an independent time reference and the configuration
//! interface (SYS_CFGDATA/CTRL) to power off or reset the board.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite};

register_structs! {
    /// The part of the SYS block the firmware uses (TRM §4.3).
    pub SysRegisters {
        (0x00 => id: ReadOnly<u32>),
        (0x04 => _reserved0),
        (0x08 => leds: ReadWrite<u32>),
        (0x0c => _reserved1),
        (0x5c => counter_24mhz: ReadOnly<u32>),
        (0x60 => _reserved2),
        (0xa0 => cfg_data: ReadWrite<u32>),
        (0xa4 => cfg_ctrl: ReadWrite<u32>),
        (0xa8 => cfg_stat: ReadWrite<u32>),
        (0xac => @END),
    }
}

/// Frequency of SYS_24MHZ.
pub const COUNTER_24MHZ_HZ: u32 = 24_000_000;

/// SYS_CFGCTRL fields (TRM §4.3.17): start bit, write bit, function, site (0 = motherboard).
const CFG_START: u32 = 1 << 31;
const CFG_WRITE: u32 = 1 << 30;
const CFG_FUNCTION_SHIFT: u32 = 20;
/// Configuration functions (TRM §4.3.17 table "SYS_CFGCTRL function values").
const FUNCTION_SHUTDOWN: u32 = 8;
const FUNCTION_REBOOT: u32 = 9;

/// The motherboard system-register block.
pub struct SysRegs {
    regs: *const SysRegisters,
}

// SAFETY: only the MMIO address is held; the counter read has no side effects and the
// configuration writes end the program.
unsafe impl Sync for SysRegs {}
// SAFETY: as above.
unsafe impl Send for SysRegs {}

impl SysRegs {
    /// # Safety
    /// `base` must address the V2M SYS register block, mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            regs: base as *const SysRegisters,
        }
    }

    fn regs(&self) -> &SysRegisters {
        // SAFETY: `new`'s contract.
        unsafe { &*self.regs }
    }

    /// The free-running 24 MHz counter (wraps every ~179 s).
    pub fn counter_24mhz(&self) -> u32 {
        self.regs().counter_24mhz.get()
    }

    /// Drives the eight user LEDs on the motherboard.
    pub fn set_leds(&self, mask: u8) {
        self.regs().leds.set(u32::from(mask));
    }

    fn configure(&self, function: u32) {
        let regs = self.regs();
        regs.cfg_stat.set(0);
        regs.cfg_data.set(0);
        regs.cfg_ctrl
            .set(CFG_START | CFG_WRITE | (function << CFG_FUNCTION_SHIFT));
    }

    /// Asks the motherboard controller to power the system off (QEMU exits with status 0).
    pub fn request_shutdown(&self) {
        self.configure(FUNCTION_SHUTDOWN);
    }

    /// Asks the motherboard controller to reset the system.
    pub fn request_reboot(&self) {
        self.configure(FUNCTION_REBOOT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_writes_the_documented_command_word() {
        let mut block = [0u32; 0xac / 4];
        // SAFETY: `block` stands in for the register block.
        let sys = unsafe { SysRegs::new(block.as_mut_ptr() as usize) };
        sys.request_shutdown();
        assert_eq!(block[0xa4 / 4], 0xc080_0000);
        sys.request_reboot();
        assert_eq!(block[0xa4 / 4], 0xc090_0000);
    }
}
