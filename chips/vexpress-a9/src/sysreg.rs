//! Versatile Express motherboard system registers (V2M-P1 "SYS" block at 0x1000_0000): the
//! free-running 24 MHz counter ([`hil::Clock`], 32 bits) and reset / power-off through the
//! configuration interface ([`hil::Power`]).
//!
//! Offsets: *Motherboard Express µATX Technical Reference Manual* (ARM DUI 0447), §4.3
//! "System register summary"; QEMU implements them in hw/misc/arm_sysctl.c.

use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;

register_bitfields! [u32,
    /// SYS_CFGCTRL (TRM §4.3.17): start bit, write bit, function, site (0 = motherboard).
    pub CFGCTRL [
        START OFFSET(31) NUMBITS(1) [],
        WRITE OFFSET(30) NUMBITS(1) [],
        /// TRM §4.3.17 table "SYS_CFGCTRL function values".
        FUNCTION OFFSET(20) NUMBITS(6) [
            Shutdown = 8,
            Reboot = 9
        ]
    ]
];

/// SYS_LED: the eight user LEDs.
pub const SYS_LED: RegDef = RegDef::at(0x08);
/// SYS_24MHZ: free-running 24 MHz counter.
pub const SYS_24MHZ: RegDef = RegDef::at(0x5c);
/// SYS_CFGDATA.
pub const SYS_CFGDATA: RegDef = RegDef::at(0xa0);
/// SYS_CFGCTRL.
pub const SYS_CFGCTRL: RegDef<CFGCTRL::Register> = RegDef::at(0xa4);
/// SYS_CFGSTAT.
pub const SYS_CFGSTAT: RegDef = RegDef::at(0xa8);
/// Length of the SYS block.
pub const WINDOW_LEN: usize = 0x1000;

/// Frequency of SYS_24MHZ.
pub const COUNTER_24MHZ_HZ: u32 = 24_000_000;

/// The motherboard system-register block.
pub struct SysRegs<B: Bus> {
    bus: B,
}

impl<B: Bus> SysRegs<B> {
    /// The SYS block behind `bus`.
    pub const fn new(bus: B) -> Self {
        Self { bus }
    }

    /// The free-running 24 MHz counter (wraps every ~179 s).
    pub fn counter_24mhz(&self) -> u32 {
        reg(&self.bus, SYS_24MHZ).get()
    }

    /// Drives the eight user LEDs on the motherboard.
    pub fn set_leds(&self, mask: u8) {
        reg(&self.bus, SYS_LED).set(u32::from(mask));
    }

    fn configure(&self, function: tock_registers::fields::FieldValue<u32, CFGCTRL::Register>) {
        // Three writes that form one request: keep an interrupt handler's request out of the
        // middle of them.
        critical_section::with(|_| {
            reg(&self.bus, SYS_CFGSTAT).set(0);
            reg(&self.bus, SYS_CFGDATA).set(0);
            reg(&self.bus, SYS_CFGCTRL).write(CFGCTRL::START::SET + CFGCTRL::WRITE::SET + function);
        });
    }

    /// Asks the motherboard controller to power the system off (QEMU exits with status 0).
    pub fn request_shutdown(&self) {
        self.configure(CFGCTRL::FUNCTION::Shutdown);
    }

    /// Asks the motherboard controller to reset the system.
    pub fn request_reboot(&self) {
        self.configure(CFGCTRL::FUNCTION::Reboot);
    }
}

impl<B: Bus + Sync> hil::Clock for SysRegs<B> {
    fn now_ticks(&self) -> u64 {
        u64::from(self.counter_24mhz())
    }
    fn frequency_hz(&self) -> u64 {
        u64::from(COUNTER_24MHZ_HZ)
    }
    fn counter_bits(&self) -> u32 {
        32
    }
}

/// The motherboard controller acts on a request asynchronously: [`hil::platform::halt`] waits
/// for it with interrupts masked and the core asleep, so nothing runs after the request.
impl<B: Bus + Sync> hil::Power for SysRegs<B> {
    fn reset(&self) -> ! {
        self.request_reboot();
        hil::platform::halt()
    }
    fn power_off(&self) -> ! {
        self.request_shutdown();
        hil::platform::halt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Block(Mutex<[u32; 0xac / 4]>);
    impl Bus for Block {
        fn read(&self, offset: usize) -> u32 {
            self.0.lock().unwrap()[offset / 4]
        }
        fn write(&self, offset: usize, value: u32) {
            self.0.lock().unwrap()[offset / 4] = value;
        }
    }

    #[test]
    fn shutdown_writes_the_documented_command_word() {
        let sys = SysRegs::new(Block(Mutex::new([0; 0xac / 4])));
        sys.request_shutdown();
        assert_eq!(sys.bus.0.lock().unwrap()[0xa4 / 4], 0xc080_0000);
        sys.request_reboot();
        assert_eq!(sys.bus.0.lock().unwrap()[0xa4 / 4], 0xc090_0000);
    }

    #[test]
    fn the_24mhz_counter_is_a_32_bit_clock() {
        let sys = SysRegs::new(Block(Mutex::new([0; 0xac / 4])));
        sys.bus.0.lock().unwrap()[0x5c / 4] = 0xffff_fff0;
        assert_eq!(hil::Clock::now_ticks(&sys), 0xffff_fff0);
        assert_eq!(hil::Clock::frequency_hz(&sys), 24_000_000);
        assert_eq!(hil::Clock::counter_bits(&sys), 32);
    }
}
