//! MBus address decoding: what U-Boot left in the CPU windows, and the DRAM chip-select windows.
//!
//! Source: Linux `drivers/bus/mvebu-mbus.c`:
//! - CPU windows (`armada_370_xp_mbus_win_offset`): windows 0..7 at 0x20000 + 16·w, 8..19 at
//!   0x20090 + 8·(w − 8); CTRL (`WIN_CTRL_OFF`): bit 0 enable, bits 7..4 target, bits 15..8
//!   attribute, bits 31..16 size − 1 in 64 KiB units; BASE (`WIN_BASE_OFF`): bits 31..16.
//! - SDRAM windows (`mvebu_mbus_default_setup_cpu_target`): chip select n at 0x20180 + 8·n
//!   (base, bits 31..24) and + 4 (size: bit 0 enabled, bits 31..24 = size − 1 in 16 MiB units);
//!   the DRAM target id is 0 and the attribute of CS n is `0xF & !(1 << n)`.
//!
//! When the boot loader passes no ATAGs/DT memory node, the SDRAM windows are the authority on
//! how much RAM there is (the Mirabox has 1 GiB as two 512 MiB chip selects; its mainline DTS
//! wrongly says 512 MiB).

use hil::mmio::{Bus, RegDef, reg};
use tock_registers::interfaces::Readable;
use tock_registers::register_bitfields;

register_bitfields![u32,
    /// CPU window control (`WIN_CTRL_OFF`).
    pub WIN_CTRL [
        /// `WIN_CTRL_ENABLE`.
        ENABLE OFFSET(0) NUMBITS(1) [],
        /// `WIN_CTRL_TGT_MASK`: MBus target id.
        TARGET OFFSET(4) NUMBITS(4) [],
        /// `WIN_CTRL_ATTR_MASK`: MBus attribute.
        ATTR OFFSET(8) NUMBITS(8) [],
        /// `WIN_CTRL_SIZE_MASK`: size − 1 in 64 KiB units.
        SIZE OFFSET(16) NUMBITS(16) []
    ],
    /// CPU window base (`WIN_BASE_OFF`): bits 31..16 of the address.
    pub WIN_BASE [
        BASE OFFSET(16) NUMBITS(16) []
    ],
    /// SDRAM chip-select base (`DDR_BASE_CS_OFF(n)`, `DDR_BASE_CS_LOW_MASK`).
    pub DDR_BASE [
        /// Bits 31..24 of the address.
        BASE OFFSET(24) NUMBITS(8) []
    ],
    /// SDRAM chip-select size (`DDR_SIZE_CS_OFF(n)`).
    pub DDR_SIZE [
        /// `DDR_SIZE_ENABLED`.
        ENABLED OFFSET(0) NUMBITS(1) [],
        /// `DDR_SIZE_MASK`: size − 1 in 16 MiB units.
        SIZE OFFSET(24) NUMBITS(8) []
    ]
];

/// Chip select 0's base register; chip select n's is 8·n further (`DDR_BASE_CS_OFF(n)`).
const DDR_BASE_CS0: RegDef<DDR_BASE::Register> = RegDef::at(0x0);
/// Chip select 0's size register (`DDR_SIZE_CS_OFF(n)`).
const DDR_SIZE_CS0: RegDef<DDR_SIZE::Register> = RegDef::at(0x4);

/// Number of CPU decoding windows on Armada 370/XP.
pub const CPU_WINDOWS: usize = 20;
/// Number of DRAM chip selects.
pub const DRAM_CHIP_SELECTS: usize = 4;
/// MBus target id of the DRAM controller.
pub const DRAM_TARGET: u8 = 0;

/// One enabled DRAM chip-select window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DramWindow {
    /// Chip select (0..=3).
    pub cs: u8,
    /// CPU physical base.
    pub base: u32,
    /// Size in bytes (multiple of 16 MiB; up to 4 GiB hence u64).
    pub size: u64,
    /// MBus attribute for this chip select, used by DMA masters' windows.
    pub attribute: u8,
}

/// One enabled CPU decoding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuWindow {
    /// Window number.
    pub index: u8,
    /// MBus target id.
    pub target: u8,
    /// MBus attribute.
    pub attribute: u8,
    /// CPU base address.
    pub base: u32,
    /// Size in bytes.
    pub size: u64,
}

/// The DRAM chip-select windows, read from a bus over 0x20180 (`map::MBUS_SDRAM_OFFSET`).
/// Disabled chip selects are `None`.
pub fn dram_windows<B: Bus>(sdram: &B) -> [Option<DramWindow>; DRAM_CHIP_SELECTS] {
    let mut out = [None; DRAM_CHIP_SELECTS];
    for (cs, slot) in out.iter_mut().enumerate() {
        let base = reg(sdram, DDR_BASE_CS0.nth(cs, 8)).read(DDR_BASE::BASE);
        let size = reg(sdram, DDR_SIZE_CS0.nth(cs, 8)).extract();
        if !size.is_set(DDR_SIZE::ENABLED) {
            continue;
        }
        *slot = Some(DramWindow {
            cs: cs as u8,
            base: base << 24,
            size: (u64::from(size.read(DDR_SIZE::SIZE)) + 1) << 24,
            attribute: 0xF & !(1u8 << cs),
        });
    }
    out
}

/// Total DRAM decoded by the chip-select windows, in bytes.
pub fn dram_size<B: Bus>(sdram: &B) -> u64 {
    dram_windows(sdram).iter().flatten().map(|w| w.size).sum()
}

/// CPU window `index` (0..20), if enabled, read from a bus over 0x20000 (`map::MBUS_WINDOWS_OFFSET`).
pub fn cpu_window<B: Bus>(windows: &B, index: usize) -> Option<CpuWindow> {
    if index >= CPU_WINDOWS {
        return None;
    }
    let off = if index < 8 {
        16 * index
    } else {
        0x90 + 8 * (index - 8)
    };
    let ctrl = reg(windows, RegDef::<WIN_CTRL::Register>::at(off)).extract();
    if !ctrl.is_set(WIN_CTRL::ENABLE) {
        return None;
    }
    let base = reg(windows, RegDef::<WIN_BASE::Register>::at(off + 4)).read(WIN_BASE::BASE);
    Some(CpuWindow {
        index: index as u8,
        target: ctrl.read(WIN_CTRL::TARGET) as u8,
        attribute: ctrl.read(WIN_CTRL::ATTR) as u8,
        base: base << 16,
        size: (u64::from(ctrl.read(WIN_CTRL::SIZE)) + 1) << 16,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Words<const N: usize>([u32; N]);
    impl<const N: usize> Bus for Words<N> {
        fn read(&self, o: usize) -> u32 {
            self.0.get(o / 4).copied().unwrap_or(0)
        }
        fn write(&self, _: usize, _: u32) {}
    }

    #[test]
    fn mirabox_two_chip_selects_make_one_gib() {
        // bdinfo: 512 MiB at 0 (CS0) and 512 MiB at 0x2000_0000 (CS1); CS2/3 disabled.
        let sdram = Words([
            0x0000_0000,
            0x1F00_0001,
            0x2000_0000,
            0x1F00_0005,
            0,
            0,
            0,
            0,
        ]);
        let w = dram_windows(&sdram);
        assert_eq!(
            w[0],
            Some(DramWindow {
                cs: 0,
                base: 0,
                size: 512 << 20,
                attribute: 0x0E
            })
        );
        assert_eq!(
            w[1],
            Some(DramWindow {
                cs: 1,
                base: 0x2000_0000,
                size: 512 << 20,
                attribute: 0x0D
            })
        );
        assert_eq!(w[2], None);
        assert_eq!(dram_size(&sdram), 1 << 30);
    }

    #[test]
    fn cpu_windows_decode_both_register_banks() {
        let mut regs = [0u32; 64];
        regs[0] = 0x07FF_1E01; // window 0: 128 MiB, attr 0x1E, target 0, enabled
        regs[1] = 0xF800_0000;
        regs[0x90 / 4] = 0x000F_2D11; // window 8: 1 MiB, attr 0x2D, target 1
        regs[0x94 / 4] = 0xFFF0_0000;
        let bus = Words(regs);
        assert_eq!(
            cpu_window(&bus, 0),
            Some(CpuWindow {
                index: 0,
                target: 0,
                attribute: 0x1E,
                base: 0xF800_0000,
                size: 128 << 20
            })
        );
        assert_eq!(cpu_window(&bus, 1), None);
        assert_eq!(
            cpu_window(&bus, 8),
            Some(CpuWindow {
                index: 8,
                target: 1,
                attribute: 0x2D,
                base: 0xFFF0_0000,
                size: 1 << 20
            })
        );
        assert_eq!(cpu_window(&bus, 20), None);
    }
}
