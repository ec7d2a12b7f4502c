//! The PXA25x idles in the XScale core's IDLE power mode: CP14 register 7 (PWRMODE) = 1 stops
//! the core clock until an interrupt is asserted, even one that is masked in the CPSR (Intel
//! *XScale Core Developer's Manual* §7.2.2 "Idle Mode"; the PXA255 manual §3.4.2; Linux
//! `arch/arm/mm/proc-xscale.S`, `cpu_xscale_do_idle`). QEMU's `pxa2xx` implements it, so an
//! idle emulated guest costs the host nothing.

/// [`hil::Idle`] through PWRMODE.
#[derive(Debug, Clone, Copy, Default)]
pub struct PowerModeIdle;

impl hil::Idle for PowerModeIdle {
    fn wait_for_interrupt(&self) {
        #[cfg(target_arch = "arm")]
        // SAFETY: IDLE stops the core clock until an interrupt is asserted; no state is lost.
        unsafe {
            core::arch::asm!("mov {0}, #1", "mcr p14, 0, {0}, c7, c0, 0", out(reg) _, options(nomem, nostack));
        }
    }
}
