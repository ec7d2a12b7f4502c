//! Mirabox board wiring: what Linux `arch/arm/boot/dts/marvell/armada-370-mirabox.dts` says
//! about how the Armada 370 is connected on this board (the chip crate has no board facts).
#![allow(dead_code)] // LEDs and baud rate: documented facts the board does not use yet.

/// MDIO addresses of the PHYs of eth0 and eth1 (`ethernet-phy@0`, `ethernet-phy@1`).
pub const PHY_ADDRESSES: [u8; 2] = [0, 1];
/// Green power LED: GPIO bank 1, line 31 (MPP63), active low.
pub const LED_PWR_GREEN: (usize, u32) = (1, 31);
/// Blue status LED: GPIO bank 2, line 0 (MPP64), active low.
pub const LED_STAT_BLUE: (usize, u32) = (2, 0);
/// Green status LED: GPIO bank 2, line 1 (MPP65), active low.
pub const LED_STAT_GREEN: (usize, u32) = (2, 1);
/// Console baud rate (`stdout-path = "serial0:115200n8"`).
pub const CONSOLE_BAUD: u32 = 115_200;
