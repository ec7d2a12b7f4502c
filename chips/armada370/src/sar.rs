//! Sample-at-reset (SAR) straps: the TCLK frequency, which clocks the UARTs and the Ethernet
//! ports' coalescing timers. The register is read through
//! [`crate::watchdog::SystemController::tclk_hz`] (it lies inside the system controller).

/// Sample-at-reset bit 20 selects TCLK: 0 = 166 MHz, 1 = 200 MHz (Linux
/// `drivers/clk/mvebu/armada-370.c`: `SARL_A370_TCLK_FREQ_OPT` 20, `a370_tclk_freqs`).
pub const fn tclk_from_sar(sar: u32) -> u32 {
    if sar & (1 << 20) == 0 {
        166_000_000
    } else {
        200_000_000
    }
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
