//! Armada 370 address map and interrupt numbers (chip facts; board wiring lives in the board crate).
//!
//! Offsets are from the internal-register window, which the BootROM puts at 0xD000_0000 and the
//! stock Mirabox U-Boot (2009.08, Marvell 1.1.2) leaves there. The register that moves the window
//! lives inside it, so the base cannot be discovered; it is part of the boot-loader contract
//! (barebox mvebu docs; U-Boot `arch/arm/mach-mvebu/include/mach/soc.h` `INTREG_BASE`).
//! Unit offsets and IRQ numbers: Linux `arch/arm/boot/dts/marvell/armada-370-xp.dtsi`,
//! `armada-370.dtsi`, `armada-370-mirabox.dts`.

/// Internal registers after the stock U-Boot.
pub const INTERNAL_REGS: usize = 0xD000_0000;

/// Aurora L2 cache controller (`cache-controller@8000`, `marvell,aurora-outer-cache`).
pub const L2_OFFSET: usize = 0x0_8000;
/// UART0 (console, MPP0/1) and UART1 (`serial@12000`, `serial@12100`).
pub const UART0_OFFSET: usize = 0x1_2000;
/// UART1.
pub const UART1_OFFSET: usize = 0x1_2100;
/// GPIO bank 0/1/2 (`gpio@18100`, `gpio@18140`, `gpio@18180`); 32 lines each.
pub const GPIO_OFFSETS: [usize; 3] = [0x1_8100, 0x1_8140, 0x1_8180];
/// System controller (`system-controller@18200`): reset registers.
pub const SYSTEM_CONTROLLER_OFFSET: usize = 0x1_8200;
/// Clock gating control (`clock-gating-control@18220`): bit 4 = ge0, bit 3 = ge1.
pub const CLOCK_GATING_OFFSET: usize = 0x1_8220;
/// Sample-at-reset register (`core-clock@18230`): TCLK and CPU strap bits.
pub const SAR_OFFSET: usize = 0x1_8230;
/// MBus bridge: CPU decoding windows (`mbus-controller@20000`).
pub const MBUS_WINDOWS_OFFSET: usize = 0x2_0000;
/// MBus SDRAM chip-select windows (second `reg` of `mbus-controller@20000`).
pub const MBUS_SDRAM_OFFSET: usize = 0x2_0180;
/// Global timers and watchdog (`timer@20300`, `watchdog@20300`).
pub const TIMER_OFFSET: usize = 0x2_0300;
/// RSTOUTn mask register used by the watchdog (second `reg` of `watchdog@20300`).
pub const WDT_RSTOUT_OFFSET: usize = 0x2_0704;
/// MPIC main (global) registers (`interrupt-controller@20a00`, first `reg`).
pub const MPIC_MAIN_OFFSET: usize = 0x2_0A00;
/// Per-CPU timers (`timer@20300` second `reg`).
pub const LOCAL_TIMER_OFFSET: usize = 0x2_1040;
/// MPIC per-CPU registers ("current CPU" view, `interrupt-controller@20a00` second `reg`).
pub const MPIC_PERCPU_OFFSET: usize = 0x2_1870;
/// Ethernet port 0 (`ethernet@70000`).
pub const ETH0_OFFSET: usize = 0x7_0000;
/// SMI/MDIO master, inside port 0's window (`mdio@72004`), shared by both ports.
pub const SMI_OFFSET: usize = 0x7_2004;
/// Ethernet port 1 (`ethernet@74000`).
pub const ETH1_OFFSET: usize = 0x7_4000;
/// Size of one Ethernet port window.
pub const ETH_WINDOW_LEN: usize = 0x4000;

/// Window lengths of the units [`crate::Peripherals::take`] hands out (the `reg` sizes of
/// `armada-370-xp.dtsi` where a driver reaches all of it, else what the driver reaches).
pub mod len {
    /// Aurora L2 (`cache-controller@8000`, `reg = <0x08000 0x1000>`).
    pub const L2: usize = 0x1000;
    /// One GPIO bank (`gpio@18100`, `reg = <0x18100 0x40>`).
    pub const GPIO: usize = 0x40;
    /// System controller (`system-controller@18200`, `reg = <0x18200 0x100>`), which holds the
    /// SAR at + 0x30 too.
    pub const SYSTEM_CONTROLLER: usize = 0x100;
    /// MBus SDRAM chip-select windows (four base/size pairs).
    pub const MBUS_SDRAM: usize = 0x20;
    /// RSTOUT mask (`watchdog@20300` second `reg`, 4 bytes).
    pub const WDT_RSTOUT: usize = 4;
    /// MPIC main block (`interrupt-controller@20a00`, `reg = <0x20a00 0x1d0>`).
    pub const MPIC_MAIN: usize = 0x1D0;
    /// MPIC per-CPU block (`reg = <0x21870 0x58>`).
    pub const MPIC_PERCPU: usize = 0x58;
    /// SMI, one register (`mdio@72004`, `reg = <0x72004 0x4>`).
    pub const SMI: usize = 4;
}

/// Absolute address of a unit after the stock U-Boot.
pub const fn unit(offset: usize) -> usize {
    INTERNAL_REGS + offset
}

/// MPIC interrupt numbers (`interrupts = <n>` in the DTS). 0..=28 are per-CPU (masked in the
/// per-CPU block), 29 and up are global.
pub mod irq {
    /// Per-CPU timer 0 (the per-CPU clock-event timer in Linux).
    pub const LOCAL_TIMER0: u32 = 5;
    /// Ethernet port 0 (per-CPU).
    pub const ETH0: u32 = 8;
    /// Ethernet port 1 (per-CPU).
    pub const ETH1: u32 = 10;
    /// Global timers 0..3.
    pub const GLOBAL_TIMER: [u32; 4] = [37, 38, 39, 40];
    /// UART0 / UART1.
    pub const UART0: u32 = 41;
    /// UART1.
    pub const UART1: u32 = 42;
    /// Highest per-CPU interrupt number (`irq-armada-370-xp.c`: `irq < ARMADA_370_XP_MAX_PER_CPU_IRQS`).
    pub const MAX_PER_CPU: u32 = 28;
}
