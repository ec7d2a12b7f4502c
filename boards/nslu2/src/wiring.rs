//! NSLU2 board wiring: what the Linksys NSLU2 connects to the IXP420 (the chip crate has no
//! board facts). Sources: Linux `arch/arm/mach-ixp4xx/nslu2-setup.c` and
//! `include/mach/nslu2.h` (pre-DT kernels), `arch/arm/boot/dts/intel/ixp/
//! intel-ixp42x-linksys-nslu2.dts`; NetBSD `sys/arch/evbarm/nslu2/nslu2reg.h`. The flash layout
//! is in the `nslu2-layout` crate, shared with the host tool.
//!
//! The chip's host tests include this file (`chips/ixp4xx/tests/peripherals.rs`) to check the
//! LED polarities and buttons against the GPIO model.
#![allow(dead_code)] // LEDs, buttons, beeper: documented facts the board does not use yet.

use hil::mmio::Bus;
use ixp4xx::expbus::FlashSlot;
use ixp4xx::gpio::Gpio;

/// OS timer clock: the board's non-standard crystal (Linux `NSLU2_FREQ`, 66.000 MHz; generic
/// IXP4xx boards run at 66.666 MHz); confirm on hardware (the ixp4xx README's checklist).
pub const TIMER_HZ: u32 = 66_000_000;
/// The PHY's address on the NPE-B MDIO bus (DT `ethernet-phy@1`).
pub const PHY_ADDRESS: u8 = 1;
/// The queue NPE-B posts received frames on (DT `ethernet@c8009000`, `queue-rx = <&qmgr 3>`).
pub const RX_QUEUE: u32 = 3;
/// The 32 MiB of SDRAM at 0 (DT `memory@0`), identity-mapped: what NPE-B may DMA to.
pub const RAM: core::ops::Range<usize> = 0..0x0200_0000;
/// The NPE-B microcode slot as `bareproxy nslu2 pack --microcode` writes it.
pub const MICROCODE_SLOT: FlashSlot = FlashSlot {
    offset: nslu2_layout::MICROCODE.offset,
    header_len: nslu2_layout::SLOT_HEADER_LEN,
    max_len: nslu2_layout::MICROCODE_MAX_LEN,
};

/// GPIO lines (Linux `nslu2.h`, NetBSD `nslu2reg.h`).
pub mod gpio {
    /// Red half of the bi-colour Ready/Status LED, active high.
    pub const LED_STATUS_RED: u32 = 0;
    /// Green half of the Ready/Status LED, active high (red + green = amber).
    pub const LED_READY_GREEN: u32 = 1;
    /// Disk 2 LED, active low.
    pub const LED_DISK2: u32 = 2;
    /// Disk 1 LED, active low.
    pub const LED_DISK1: u32 = 3;
    /// Buzzer: toggle at audio rate.
    pub const BUZZER: u32 = 4;
    /// Power button, active high; IRQ 22.
    pub const POWER_BUTTON: u32 = 5;
    /// Bit-banged I²C clock (X1205 RTC).
    pub const I2C_SCL: u32 = 6;
    /// Bit-banged I²C data.
    pub const I2C_SDA: u32 = 7;
    /// Power off: driving it high cuts the power. Never drive it by accident.
    pub const POWER_OFF: u32 = 8;
    /// Reset button (paper clip), active low; IRQ 29.
    pub const RESET_BUTTON: u32 = 12;
}

/// The LEDs (Linux `nslu2-setup.c` LED table for polarities).
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
            Led::StatusRed => (gpio::LED_STATUS_RED, true),
            Led::ReadyGreen => (gpio::LED_READY_GREEN, true),
            Led::Disk2 => (gpio::LED_DISK2, false),
            Led::Disk1 => (gpio::LED_DISK1, false),
        }
    }
}

/// The buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// Power button (GPIO5, active high).
    Power,
    /// Reset button behind the paper-clip hole (GPIO12, active low).
    Reset,
}

/// The board's use of the GPIO block: LEDs, buttons, beeper, power-off.
#[derive(Debug)]
pub struct Nslu2Gpio<B: Bus> {
    gpio: Gpio<B>,
}

impl<B: Bus> Nslu2Gpio<B> {
    /// Configures LEDs (all off), the beeper (low) as outputs and the buttons and power-off
    /// line as inputs. Power-off stays an input until [`power_off`](Self::power_off).
    pub fn new(gpio: Gpio<B>) -> Self {
        for led in [Led::StatusRed, Led::ReadyGreen, Led::Disk2, Led::Disk1] {
            let (line, on_high) = led.line();
            // Lines below 16 cannot fail.
            let _ = gpio.set_output(line, !on_high);
        }
        let _ = gpio.set_output(gpio::BUZZER, false);
        let _ = gpio.set_input(gpio::POWER_BUTTON);
        let _ = gpio.set_input(gpio::RESET_BUTTON);
        let _ = gpio.set_input(gpio::POWER_OFF);
        Nslu2Gpio { gpio }
    }

    /// Switches `led` on or off, respecting its polarity.
    pub fn set_led(&self, led: Led, on: bool) {
        let (line, on_high) = led.line();
        let _ = self.gpio.set_level(line, on == on_high);
    }

    /// Whether `button` is pressed now.
    pub fn is_pressed(&self, button: Button) -> bool {
        match button {
            Button::Power => self.gpio.level(gpio::POWER_BUTTON).unwrap_or(false),
            Button::Reset => !self.gpio.level(gpio::RESET_BUTTON).unwrap_or(true),
        }
    }

    /// Drives the beeper pin; toggle it at audio rate (e.g. from timer 2) to make a tone.
    pub fn set_beeper(&self, high: bool) {
        let _ = self.gpio.set_level(gpio::BUZZER, high);
    }

    /// Cuts the power by driving GPIO8 high (Linux `nslu2_power_off`).
    pub fn power_off(&self) {
        let _ = self.gpio.set_output(gpio::POWER_OFF, true);
    }

    /// The underlying controller, e.g. for interrupt configuration.
    pub fn gpio(&self) -> &Gpio<B> {
        &self.gpio
    }
}
