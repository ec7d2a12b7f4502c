//! GPIO: 16 lines, active-low output enable, per-line interrupt style for lines 0–12.
//!
//! Registers (Linux `drivers/gpio/gpio-ixp4xx.c`): GPOUTR 0x00 output levels, GPOER 0x04 output
//! *disable* (1 = input), GPINR 0x08 input levels, GPISR 0x0C interrupt status (write 1 to
//! clear), GPIT1R/GPIT2R 0x10/0x14 interrupt style, 3 bits per line, lines 0–7 / 8–15.
//! The NSLU2 wiring (LED polarities, buttons, beeper, power-off) is in [`Nslu2Gpio`].

use tock_registers::interfaces::{Readable, Writeable};

use crate::map;
use hil::mmio::{Bus, Mmio, RegDef, reg};

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
pub enum GpioError {
    /// Line number ≥ 16, or an interrupt requested on lines 13–15.
    InvalidLine,
}

/// The GPIO controller.
#[derive(Debug)]
pub struct Gpio<B: Bus> {
    bus: B,
}

impl Gpio<Mmio> {
    /// The controller at [`map::GPIO_BASE`].
    ///
    /// # Safety
    /// The window must be device-mapped and owned by the returned value alone.
    pub unsafe fn ixp420() -> Self {
        // SAFETY: forwarded to the caller.
        Gpio::new(unsafe { Mmio::new(map::GPIO_BASE, map::PERIPHERAL_WINDOW) })
    }
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
    pub fn set_output(&mut self, line: u32, high: bool) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        self.write_level(bit, high);
        let oe = reg(&self.bus, GPOER).get();
        reg(&self.bus, GPOER).set(oe & !bit);
        Ok(())
    }

    /// Makes `line` an input (output driver off).
    pub fn set_input(&mut self, line: u32) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        let oe = reg(&self.bus, GPOER).get();
        reg(&self.bus, GPOER).set(oe | bit);
        Ok(())
    }

    /// Sets the output level of `line` (effective only while it is an output).
    pub fn set_level(&mut self, line: u32, high: bool) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        self.write_level(bit, high);
        Ok(())
    }

    fn write_level(&mut self, bit: u32, high: bool) {
        let out = reg(&self.bus, GPOUTR).get();
        reg(&self.bus, GPOUTR).set(if high { out | bit } else { out & !bit });
    }

    /// The level on pin `line`.
    pub fn level(&self, line: u32) -> Result<bool, GpioError> {
        let bit = Self::check(line)?;
        Ok(reg(&self.bus, GPINR).get() & bit != 0)
    }

    /// Selects when `line` (0–12) interrupts, and clears its stale status.
    pub fn set_interrupt_style(
        &mut self,
        line: u32,
        style: InterruptStyle,
    ) -> Result<(), GpioError> {
        if map::irq::gpio(line).is_none() {
            return Err(GpioError::InvalidLine);
        }
        let (register, shift) = if line < 8 {
            (GPIT1R, line * 3)
        } else {
            (GPIT2R, (line - 8) * 3)
        };
        let old = reg(&self.bus, register).get();
        let new = (old & !(0b111 << shift)) | (style as u32) << shift;
        reg(&self.bus, register).set(new);
        reg(&self.bus, GPISR).set(1 << line);
        Ok(())
    }

    /// Clears the latched interrupt status of `line`.
    pub fn ack_interrupt(&mut self, line: u32) -> Result<(), GpioError> {
        let bit = Self::check(line)?;
        reg(&self.bus, GPISR).set(bit);
        Ok(())
    }
}

/// The NSLU2's LEDs (Linux `nslu2-setup.c` LED table for polarities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Led {
    /// Red half of Ready/Status (GPIO0, active high).
    StatusRed,
    /// Green half of Ready/Status (GPIO1, active high).
    ReadyGreen,
    /// Disk 2 (GPIO2, active low).
    Disk2,
    /// Disk 1 (GPIO3, active low).
    Disk1,
}

impl Led {
    /// GPIO line and whether "on" is a high level.
    pub const fn line(self) -> (u32, bool) {
        match self {
            Led::StatusRed => (map::gpio::LED_STATUS_RED, true),
            Led::ReadyGreen => (map::gpio::LED_READY_GREEN, true),
            Led::Disk2 => (map::gpio::LED_DISK2, false),
            Led::Disk1 => (map::gpio::LED_DISK1, false),
        }
    }
}

/// The NSLU2's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// Power button (GPIO5, active high).
    Power,
    /// Reset button behind the paper-clip hole (GPIO12, active low).
    Reset,
}

/// The NSLU2 board's use of the GPIO block: LEDs, buttons, beeper, power-off.
#[derive(Debug)]
pub struct Nslu2Gpio<B: Bus> {
    gpio: Gpio<B>,
}

impl<B: Bus> Nslu2Gpio<B> {
    /// Configures LEDs (all off), the beeper (low) as outputs and the buttons and power-off
    /// line as inputs. Power-off stays an input until [`power_off`](Self::power_off).
    pub fn new(mut gpio: Gpio<B>) -> Self {
        for led in [Led::StatusRed, Led::ReadyGreen, Led::Disk2, Led::Disk1] {
            let (line, on_high) = led.line();
            // Lines below 16 cannot fail.
            let _ = gpio.set_output(line, !on_high);
        }
        let _ = gpio.set_output(map::gpio::BUZZER, false);
        let _ = gpio.set_input(map::gpio::POWER_BUTTON);
        let _ = gpio.set_input(map::gpio::RESET_BUTTON);
        let _ = gpio.set_input(map::gpio::POWER_OFF);
        Nslu2Gpio { gpio }
    }

    /// Switches `led` on or off, respecting its polarity.
    pub fn set_led(&mut self, led: Led, on: bool) {
        let (line, on_high) = led.line();
        let _ = self.gpio.set_level(line, on == on_high);
    }

    /// Whether `button` is pressed now.
    pub fn is_pressed(&self, button: Button) -> bool {
        match button {
            Button::Power => self.gpio.level(map::gpio::POWER_BUTTON).unwrap_or(false),
            Button::Reset => !self.gpio.level(map::gpio::RESET_BUTTON).unwrap_or(true),
        }
    }

    /// Drives the beeper pin; toggle it at audio rate (e.g. from timer 2) to make a tone.
    pub fn set_beeper(&mut self, high: bool) {
        let _ = self.gpio.set_level(map::gpio::BUZZER, high);
    }

    /// Cuts the power by driving GPIO8 high (Linux `nslu2_power_off`).
    pub fn power_off(&mut self) {
        let _ = self.gpio.set_output(map::gpio::POWER_OFF, true);
    }

    /// The underlying controller, e.g. for interrupt configuration.
    pub fn gpio(&mut self) -> &mut Gpio<B> {
        &mut self.gpio
    }
}
