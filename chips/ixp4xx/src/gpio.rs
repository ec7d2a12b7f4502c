//! GPIO: 16 lines, active-low output enable, per-line interrupt style for lines 0–12.
//!
//! Registers (Linux `drivers/gpio/gpio-ixp4xx.c`): GPOUTR 0x00 output levels, GPOER 0x04 output
//! *disable* (1 = input), GPINR 0x08 input levels, GPISR 0x0C interrupt status (write 1 to
//! clear), GPIT1R/GPIT2R 0x10/0x14 interrupt style, 3 bits per line, lines 0–7 / 8–15.
//! Lines are numbered as the chip numbers them; which line is an LED or a button is a board fact
//! (the NSLU2's is in `boards/nslu2/src/wiring.rs`). Methods take `&self`; the read-modify-write
//! updates of the output, direction and style registers run in a critical section.

use tock_registers::interfaces::{Readable, Writeable};

use crate::map;
use hil::mmio::{Bus, RegDef, reg};

const GPOUTR: RegDef<()> = RegDef::at(0x00);
const GPOER: RegDef<()> = RegDef::at(0x04);
const GPINR: RegDef<()> = RegDef::at(0x08);
const GPISR: RegDef<()> = RegDef::at(0x0C);
const GPIT1R: RegDef<()> = RegDef::at(0x10);
const GPIT2R: RegDef<()> = RegDef::at(0x14);

/// Number of GPIO lines.
pub const LINES: u32 = 16;

/// When a GPIO line interrupts (GPITnR codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptStyle {
    /// While high.
    ActiveHigh = 0,
    /// While low.
    ActiveLow = 1,
    /// On a rising edge (latched in GPISR).
    RisingEdge = 2,
    /// On a falling edge.
    FallingEdge = 3,
    /// On both edges.
    BothEdges = 4,
}

/// Why a GPIO request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GpioError {
    /// Line number ≥ 16, or an interrupt requested on lines 13–15.
    InvalidLine,
}

/// The GPIO controller.
#[derive(Debug)]
pub struct Gpio<B: Bus> {
    bus: B,
}

impl<B: Bus> Gpio<B> {
    /// Wraps a bus; does not touch the hardware.
    pub const fn new(bus: B) -> Self {
        Gpio { bus }
    }

    fn check(line: u32) -> Result<u32, GpioError> {
        if line < LINES {
            Ok(1 << line)
        } else {
            Err(GpioError::InvalidLine)
        }
    }

    /// Makes `line` an output driving `high`. The level is set before the driver is enabled
    /// so the pin never glitches to a stale level.
    pub fn set_output(&self, line: u32, high: bool) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        self.write_level(bit, high);
        self.update(GPOER, |oe| oe & !bit);
        Ok(())
    }

    /// Makes `line` an input (output driver off).
    pub fn set_input(&self, line: u32) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        self.update(GPOER, |oe| oe | bit);
        Ok(())
    }

    /// Sets the output level of `line` (effective only while it is an output).
    pub fn set_level(&self, line: u32, high: bool) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        self.write_level(bit, high);
        Ok(())
    }

    fn write_level(&self, bit: u32, high: bool) {
        self.update(GPOUTR, |out| if high { out | bit } else { out & !bit });
    }

    /// Read-modify-write of `register` that an interrupt cannot split.
    fn update(&self, register: RegDef<()>, f: impl FnOnce(u32) -> u32) {
        critical_section::with(|_| {
            let old = reg(&self.bus, register).get();
            reg(&self.bus, register).set(f(old));
        });
    }

    /// The level on pin `line`.
    pub fn level(&self, line: u32) -> Result<bool, GpioError> {
        let bit = Self::check(line)?;
        Ok(reg(&self.bus, GPINR).get() & bit != 0)
    }

    /// Selects when `line` (0–12) interrupts, and clears its stale status.
    pub fn set_interrupt_style(&self, line: u32, style: InterruptStyle) -> Result<(), GpioError> {
        if map::irq::gpio(line).is_none() {
            return Err(GpioError::InvalidLine);
        }
        let (register, shift) = if line < 8 {
            (GPIT1R, line * 3)
        } else {
            (GPIT2R, (line - 8) * 3)
        };
        self.update(register, |old| {
            (old & !(0b111 << shift)) | (style as u32) << shift
        });
        reg(&self.bus, GPISR).set(1 << line);
        Ok(())
    }

    /// Clears the latched interrupt status of `line`.
    pub fn ack_interrupt(&self, line: u32) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        reg(&self.bus, GPISR).set(bit);
        Ok(())
    }
}
