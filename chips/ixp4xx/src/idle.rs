//! The IXP4xx does not idle: its XScale core lacks the PWRMODE register, so the CP14 write that
//! idles a PXA is undefined here (Linux `arch/arm/mach-ixp4xx/common.c`, `ixp4xx_init_irq`:
//! "ixp4xx does not implement the XScale PWRMODE register so it must not call
//! cpu_do_idle()"; Linux polls instead). The kernel's idle loop therefore polls on this chip.

/// [`hil::Idle`] that returns at once: the main loop polls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Polling;

impl hil::Idle for Polling {
    fn wait_for_interrupt(&self) {}
}
