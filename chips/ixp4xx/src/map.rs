//! IXP420 physical addresses, interrupt numbers and the NSLU2's board wiring.
//!
//! Sources: Linux `arch/arm/mach-ixp4xx/include/mach/ixp4xx-regs.h`, `irqs.h`, `nslu2.h`,
//! `nslu2-setup.c` (pre-DT kernels), `arch/arm/boot/dts/intel/ixp/intel-ixp4xx.dtsi` and
//! `intel-ixp42x-linksys-nslu2.dts`; NetBSD `sys/arch/evbarm/nslu2/nslu2reg.h`.
//! All peripheral windows are accessed with 32-bit accesses only.

/// Expansion-bus chip select 0: the 8 MiB NOR flash (16-bit bus).
pub const FLASH_BASE: usize = 0x5000_0000;
/// Size of the NSLU2's flash.
pub const FLASH_SIZE: usize = 0x80_0000;
/// AHB queue manager (16 KiB window).
pub const QMGR_BASE: usize = 0x6000_0000;
/// Size of the queue-manager window.
pub const QMGR_SIZE: usize = 0x4000;
/// Expansion-bus configuration: CS timing registers, EXP_CNFG0..3.
pub const EXP_CFG_BASE: usize = 0xC400_0000;
/// UART1, the NSLU2 console (Linux ttyS0, header J2).
pub const UART1_BASE: usize = 0xC800_0000;
/// UART2 (not wired out on the NSLU2).
pub const UART2_BASE: usize = 0xC800_1000;
/// Interrupt controller.
pub const INTC_BASE: usize = 0xC800_3000;
/// GPIO controller.
pub const GPIO_BASE: usize = 0xC800_4000;
/// OS timers, timestamp counter and watchdog.
pub const TIMER_BASE: usize = 0xC800_5000;
/// NPE-A control registers.
pub const NPE_A_BASE: usize = 0xC800_6000;
/// NPE-B control registers (the NSLU2's Ethernet engine).
pub const NPE_B_BASE: usize = 0xC800_7000;
/// NPE-C control registers.
pub const NPE_C_BASE: usize = 0xC800_8000;
/// EthB MAC registers (NPE-B; also owns the MDIO pins).
pub const ETH_B_MAC_BASE: usize = 0xC800_9000;
/// Size of every small peripheral window at 0xC800_x000.
pub const PERIPHERAL_WINDOW: usize = 0x1000;

/// Core input clock of the UARTs (`IXP4XX_UART_XTAL`, DT `clock-frequency`).
pub const UART_CLOCK_HZ: u32 = 14_745_600;
/// OS timer clock on the NSLU2: the board file's non-standard crystal (`NSLU2_FREQ`). Generic
/// IXP4xx boards run at 66.666 MHz; confirm on hardware (the README's checklist).
pub const NSLU2_TIMER_HZ: u32 = 66_000_000;
/// OS timer clock of a generic IXP4xx board (`IXP4XX_TIMER_FREQ`).
pub const GENERIC_TIMER_HZ: u32 = 66_666_000;

/// Interrupt numbers of the IXP42x interrupt controller (Linux `irqs.h`).
pub mod irq {
    /// NPE-A.
    pub const NPE_A: u32 = 0;
    /// NPE-B.
    pub const NPE_B: u32 = 1;
    /// NPE-C.
    pub const NPE_C: u32 = 2;
    /// Queue manager, queues 0–31.
    pub const QM1: u32 = 3;
    /// Queue manager, queues 32–63.
    pub const QM2: u32 = 4;
    /// OS timer 1 (the tick).
    pub const TIMER1: u32 = 5;
    /// GPIO line 0.
    pub const GPIO0: u32 = 6;
    /// GPIO line 1.
    pub const GPIO1: u32 = 7;
    /// OS timer 2.
    pub const TIMER2: u32 = 11;
    /// UART2.
    pub const UART2: u32 = 13;
    /// Timestamp counter.
    pub const TIMESTAMP: u32 = 14;
    /// UART1 (console).
    pub const UART1: u32 = 15;
    /// Watchdog.
    pub const WATCHDOG: u32 = 16;

    /// The interrupt number of GPIO line `line`, or `None` for lines 13–15 (no interrupt).
    pub const fn gpio(line: u32) -> Option<u32> {
        match line {
            0 => Some(GPIO0),
            1 => Some(GPIO1),
            2..=12 => Some(line + 17),
            _ => None,
        }
    }
}

/// NSLU2 GPIO lines (Linux `nslu2.h`, NetBSD `nslu2reg.h`).
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

/// Where RedBoot and the factory keep things in the NSLU2 flash (offsets from [`FLASH_BASE`]).
pub mod flash {
    /// Station MAC address, 6 bytes, inside the RedBoot partition (`NODE_ADDRESS`,
    /// Linux `nslu2-setup.c`).
    pub const MAC_ADDRESS_OFFSET: usize = 0x3_FFB0;
    /// The NPE-B microcode slot (slugimage's "Microcode" pseudo partition), written by
    /// `bareproxy nslu2 pack --microcode` (tools/src/image/nslu2.rs): a 16-byte header whose
    /// first word is the big-endian file length (0xFFFFFFFF = erased), then the file.
    pub const MICROCODE_SLOT_OFFSET: usize = 0x7F_C000;
    /// Size of the microcode slot including its header.
    pub const MICROCODE_SLOT_SIZE: usize = 0x3000;
    /// Bytes of header before the microcode file.
    pub const MICROCODE_HEADER_LEN: usize = 16;
    /// Largest microcode file the slot holds.
    pub const MICROCODE_MAX_LEN: usize = MICROCODE_SLOT_SIZE - MICROCODE_HEADER_LEN;
}

/// Queue numbers for the NSLU2's Ethernet port (Linux `ixp4xx_eth.c`, NSLU2 board file/DT).
pub mod queue {
    /// CPU → NPE: empty RX descriptors (26 + NPE id).
    pub const RX_FREE: u32 = 27;
    /// NPE → CPU: filled RX descriptors (board choice).
    pub const RX: u32 = 3;
    /// CPU → NPE: descriptors to send (23 + NPE id).
    pub const TX: u32 = 24;
    /// NPE → CPU: sent descriptors, shared by all ports.
    pub const TX_DONE: u32 = 31;
}
