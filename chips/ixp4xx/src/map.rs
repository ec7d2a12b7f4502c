//! IXP420 physical addresses and interrupt numbers (no board facts: the NSLU2's GPIO lines,
//! timer crystal and flash layout are in `boards/nslu2`).
//!
//! Sources: Linux `arch/arm/mach-ixp4xx/include/mach/ixp4xx-regs.h`, `irqs.h` (pre-DT
//! kernels), `arch/arm/boot/dts/intel/ixp/intel-ixp4xx.dtsi`.
//! All peripheral windows are accessed with 32-bit accesses only.

/// Expansion-bus chip select 0 (`IXP4XX_EXP_BUS_BASE1`), where boards put their boot flash.
pub const EXP_CS0_BASE: usize = 0x5000_0000;
/// Size of one expansion-bus chip-select window (16 MiB, whatever part is fitted).
pub const EXP_CS_WINDOW: usize = 0x100_0000;
/// AHB queue manager (16 KiB window).
pub const QMGR_BASE: usize = 0x6000_0000;
/// Size of the queue-manager window.
pub const QMGR_SIZE: usize = 0x4000;
/// Expansion-bus configuration: CS timing registers, EXP_CNFG0..3.
pub const EXP_CFG_BASE: usize = 0xC400_0000;
/// UART1 (Linux ttyS0).
pub const UART1_BASE: usize = 0xC800_0000;
/// UART2.
pub const UART2_BASE: usize = 0xC800_1000;
/// Interrupt controller.
pub const INTC_BASE: usize = 0xC800_3000;
/// GPIO controller.
pub const GPIO_BASE: usize = 0xC800_4000;
/// OS timers, timestamp counter and watchdog.
pub const TIMER_BASE: usize = 0xC800_5000;
/// NPE-A control registers.
pub const NPE_A_BASE: usize = 0xC800_6000;
/// NPE-B control registers (the engine of the EthB MAC).
pub const NPE_B_BASE: usize = 0xC800_7000;
/// NPE-C control registers.
pub const NPE_C_BASE: usize = 0xC800_8000;
/// EthB MAC registers (NPE-B; also owns the MDIO pins).
pub const ETH_B_MAC_BASE: usize = 0xC800_9000;
/// Size of every small peripheral window at 0xC800_x000.
pub const PERIPHERAL_WINDOW: usize = 0x1000;

/// Core input clock of the UARTs (`IXP4XX_UART_XTAL`, DT `clock-frequency`).
pub const UART_CLOCK_HZ: u32 = 14_745_600;
/// OS timer clock of a generic IXP4xx board (`IXP4XX_TIMER_FREQ`); boards with another crystal
/// say so (the NSLU2 does).
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

/// Queue numbers of the NPE-B Ethernet port that the microcode fixes (Linux `ixp4xx_eth.c`:
/// `RXFREE_QUEUE`, `TX_QUEUE`, `TXDONE_QUEUE`). The receive queue is the board's choice
/// (`eth::Config::rx_queue`).
pub mod queue {
    /// CPU → NPE: empty RX descriptors (26 + NPE id).
    pub const RX_FREE: u32 = 27;
    /// CPU → NPE: descriptors to send (23 + NPE id).
    pub const TX: u32 = 24;
    /// NPE → CPU: sent descriptors, shared by all ports.
    pub const TX_DONE: u32 = 31;
}
