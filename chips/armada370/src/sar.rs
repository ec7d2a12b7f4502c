//! Sample-at-reset (SAR) straps: the TCLK frequency, which clocks the UARTs and timers.

/// Sample-at-reset bit 20 selects TCLK: 0 = 166 MHz, 1 = 200 MHz (Linux
/// `drivers/clk/mvebu/armada-370.c`: `SARL_A370_TCLK_FREQ_OPT` 20, `a370_tclk_freqs`).
pub const fn tclk_from_sar(sar: u32) -> u32 {
    if sar & (1 << 20) == 0 {
        166_000_000
    } else {
        200_000_000
    }
}

/// TCLK of the running SoC, read from the sample-at-reset register.
///
/// # Safety
/// `internal_regs` must be the mapped internal-register window (0xD000_0000 after the stock
/// U-Boot); the SAR register is read-only, so concurrent users are harmless.
pub unsafe fn read_tclk_hz(internal_regs: usize) -> u32 {
    use hil::mmio::Bus;
    // SAFETY: forwarded to the caller; SAR is one 32-bit register at `map::SAR_OFFSET`.
    let sar = unsafe { hil::mmio::Mmio::new(internal_regs + crate::map::SAR_OFFSET, 4) };
    tclk_from_sar(sar.read(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tclk_follows_sar_bit_20() {
        assert_eq!(tclk_from_sar(0), 166_000_000);
        assert_eq!(tclk_from_sar(1 << 20), 200_000_000);
        assert_eq!(tclk_from_sar(!(1 << 20)), 166_000_000);
    }
}
