//! GPIO banks (32 lines each), enough to drive the Mirabox LEDs.
//!
//! Source: Linux `drivers/gpio/gpio-mvebu.c` (`GPIO_OUT_OFF` 0x00, `GPIO_IO_CONF_OFF` 0x04 with
//! 1 = input, `GPIO_BLINK_EN_OFF` 0x08, `GPIO_IN_POL_OFF` 0x0C, `GPIO_DATA_IN_OFF` 0x10) and
//! `armada-370-mirabox.dts` (LEDs on gpio1 31, gpio2 0, gpio2 1, all `GPIO_ACTIVE_LOW`). The MPP
//! pin mux must select GPIO for those pins; the stock U-Boot does (checklist item).

use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::{Readable, Writeable};

/// Output levels, one bit per line (`GPIO_OUT_OFF`).
const DATA_OUT: RegDef = RegDef::at(0x00);
/// Direction, 1 = input (`GPIO_IO_CONF_OFF`).
const IO_CONF: RegDef = RegDef::at(0x04);
/// Blink enable (`GPIO_BLINK_EN_OFF`).
const BLINK_EN: RegDef = RegDef::at(0x08);
/// Input levels (`GPIO_DATA_IN_OFF`).
const DATA_IN: RegDef = RegDef::at(0x10);

/// One GPIO bank.
pub struct GpioBank<B: Bus> {
    bus: B,
}

impl<B: Bus> GpioBank<B> {
    /// Wraps a bus; touches no register.
    pub fn new(bus: B) -> Self {
        GpioBank { bus }
    }

    /// Sets or clears `line`'s bit of a one-bit-per-line register, keeping the other lines.
    fn update(&self, register: RegDef, line: u32, set: bool) {
        let bit = 1u32 << (line & 31);
        let register = reg(&self.bus, register);
        let v = register.get();
        register.set(if set { v | bit } else { v & !bit });
    }

    /// Makes `line` (0..32) an output driving `high`, blinking off. The level is set before
    /// the direction so the pin never glitches.
    pub fn set_output(&mut self, line: u32, high: bool) {
        self.update(BLINK_EN, line, false);
        self.update(DATA_OUT, line, high);
        self.update(IO_CONF, line, false);
    }

    /// Drives output `line` high or low.
    pub fn write(&mut self, line: u32, high: bool) {
        self.update(DATA_OUT, line, high);
    }

    /// Reads the input level of `line`.
    pub fn read(&self, line: u32) -> bool {
        reg(&self.bus, DATA_IN).get() & (1 << (line & 31)) != 0
    }
}

/// An LED on a GPIO line, with its polarity.
pub struct Led<B: Bus> {
    bank: GpioBank<B>,
    line: u32,
    active_low: bool,
}

impl<B: Bus> Led<B> {
    /// Configures the line as an output with the LED off.
    pub fn new(mut bank: GpioBank<B>, line: u32, active_low: bool) -> Self {
        bank.set_output(line, active_low);
        Led {
            bank,
            line,
            active_low,
        }
    }

    /// Turns the LED on or off.
    pub fn set(&mut self, on: bool) {
        self.bank.write(self.line, on != self.active_low);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;

    struct Regs(RefCell<[u32; 8]>);
    impl Bus for Regs {
        fn read(&self, o: usize) -> u32 {
            self.0.borrow()[o / 4]
        }
        fn write(&self, o: usize, v: u32) {
            self.0.borrow_mut()[o / 4] = v;
        }
    }

    #[test]
    fn active_low_led_drives_the_inverse_level_and_keeps_other_lines() {
        let regs = Regs(RefCell::new([0, 0xFFFF_FFFF, 0xFFFF_FFFF, 0, 0, 0, 0, 0]));
        let mut led = Led::new(GpioBank::new(&regs), 1, true);
        assert_eq!(regs.0.borrow()[DATA_OUT.offset() / 4], 0b10, "off = high");
        assert_eq!(
            regs.0.borrow()[IO_CONF.offset() / 4],
            !0b10,
            "only line 1 became an output"
        );
        assert_eq!(regs.0.borrow()[BLINK_EN.offset() / 4], !0b10);
        led.set(true);
        assert_eq!(regs.0.borrow()[DATA_OUT.offset() / 4], 0);
        led.set(false);
        assert_eq!(regs.0.borrow()[DATA_OUT.offset() / 4], 0b10);
    }
}
