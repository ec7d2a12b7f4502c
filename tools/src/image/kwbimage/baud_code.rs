//! ARM code that switches the Armada BootROM's UART to another speed for the data phase of a
//! UART boot (the mechanism of U-Boot's `kwboot -B`: `tools/kwboot.c`, `kwboot_baud_code` and
//! `kwboot_img_patch`; this code is our own).
//!
//! Two pieces, both ARMv5TE A32, little endian, position independent, with their parameters in
//! a literal pool at the end that [`announce`] and [`restore`] fill in:
//!
//! * [`ANNOUNCE`] runs as a binary header (a function the BootROM calls): it prints
//!   `"$baudratechange\0"` at the current speed so the host knows to switch, waits for the
//!   transmitter to drain, reprograms the divisor for the new speed, waits a moment for the
//!   host to follow, and returns 0.
//! * [`RESTORE`] is appended to the payload and becomes the entry point: it switches back to
//!   115200 (what U-Boot or our firmware expect) and jumps to the original entry point. It uses
//!   no stack.
//!
//! The shared `switch` routine computes the new divisor from the current one, so it does not
//! need to know the UART clock: `new = round(old_divisor * old_baud / new_baud)`, by repeated
//! subtraction (the PJ4B core has no guaranteed divide instruction; at most a few thousand
//! iterations).
//!
//! Source (assembled with `llvm-mc -triple=armv5te-none-eabi`, linked at 0 with `ld.lld`,
//! `llvm-objcopy -O binary`):
//!
//! ```text
//! announce:                           restore:
//!     push  {r4, lr}                      ldr   r4, uart
//!     ldr   r4, uart                      ldr   r1, old
//!     adr   r3, magic                     ldr   r2, new
//!     mov   r2, #16                       bl    switch
//! 1:  ldr   r0, [r4, #0x14]  @ LSR        ldr   pc, exec
//!     tst   r0, #0x20        @ THRE
//!     beq   1b
//!     ldrb  r0, [r3], #1
//!     str   r0, [r4]         @ THR
//!     subs  r2, r2, #1
//!     bne   1b
//!     ldr   r1, old
//!     ldr   r2, new
//!     bl    switch
//!     mov   r0, #0
//!     pop   {r4, pc}
//!
//! switch:                 @ r4 = UART base, r1 = current baud, r2 = new baud
//! 2:  ldr   r0, [r4, #0x14]           @ wait for TEMT: the last bit has left
//!     tst   r0, #0x40
//!     beq   2b
//!     ldr   r3, [r4, #0x0C]           @ LCR |= DLAB
//!     orr   r3, r3, #0x80
//!     str   r3, [r4, #0x0C]
//!     ldr   r0, [r4]                  @ divisor = DLL | DLH << 8
//!     and   r0, r0, #0xFF
//!     ldr   r12, [r4, #4]
//!     and   r12, r12, #0xFF
//!     orr   r0, r0, r12, lsl #8
//!     mul   r12, r0, r1               @ UART clock / 16
//!     add   r12, r12, r2, lsr #1      @ + new/2: round to nearest
//!     mov   r0, #0
//! 3:  cmp   r12, r2                   @ r0 = r12 / new
//!     subhs r12, r12, r2
//!     addhs r0, r0, #1
//!     bhs   3b
//!     and   r1, r0, #0xFF             @ DLL, DLH
//!     str   r1, [r4]
//!     mov   r1, r0, lsr #8
//!     and   r1, r1, #0xFF
//!     str   r1, [r4, #4]
//!     bic   r3, r3, #0x80             @ DLAB off
//!     str   r3, [r4, #0x0C]
//!     ldr   r0, delay                 @ give the host time to switch too
//! 4:  subs  r0, r0, #1
//!     bne   4b
//!     bx    lr
//! ```
//!
//! Literal pools: `announce` — uart, old, new, delay, then the 16-byte magic; `restore` — uart,
//! old, new, delay, exec.

/// The string the host waits for before switching its own speed.
pub const MAGIC: &[u8; 16] = b"$baudratechange\0";

/// UART0 of the Armada 370/XP as the BootROM maps it (internal registers at 0xD0000000).
pub const BOOTROM_UART0: u32 = 0xD001_2000;

/// Busy-wait iterations after switching (two instructions each: ~55 ms at 1.2 GHz, longer while
/// the BootROM runs from slower clocks) so that the host has switched before the next byte.
pub const SWITCH_DELAY_LOOPS: u32 = 0x0200_0000;

/// The announcing binary-header code (literal pool zeroed).
pub const ANNOUNCE: [u32; 53] = [
    0xe92d4010, 0xe59f40a8, 0xe28f30b4, 0xe3a02010, 0xe5940014, 0xe3100020, 0x0afffffc, 0xe4d30001,
    0xe5840000, 0xe2522001, 0x1afffff8, 0xe59f1084, 0xe59f2084, 0xeb000001, 0xe3a00000,
    0xe8bd8010, //
    // switch
    0xe5940014, 0xe3100040, 0x0afffffc, 0xe594300c, 0xe3833080, 0xe584300c, 0xe5940000, 0xe20000ff,
    0xe594c004, 0xe20cc0ff, 0xe180040c, 0xe00c0190, 0xe08cc0a2, 0xe3a00000, 0xe15c0002, 0x204cc002,
    0x22800001, 0x2afffffb, 0xe20010ff, 0xe5841000, 0xe1a01420, 0xe20110ff, 0xe5841004, 0xe3c33080,
    0xe584300c, 0xe59f0014, 0xe2500001, 0x1afffffd, 0xe12fff1e, //
    // literal pool: uart, old, new, delay, magic (4 words)
    0, 0, 0, 0, 0, 0, 0, 0,
];

/// Word indices of [`ANNOUNCE`]'s literal pool.
const ANNOUNCE_UART: usize = 45;
const ANNOUNCE_MAGIC: usize = 49;

/// The restoring entry-point code (literal pool zeroed).
pub const RESTORE: [u32; 39] = [
    0xe59f4080, 0xe59f1080, 0xe59f2080, 0xeb000000, 0xe59ff080, //
    // switch
    0xe5940014, 0xe3100040, 0x0afffffc, 0xe594300c, 0xe3833080, 0xe584300c, 0xe5940000, 0xe20000ff,
    0xe594c004, 0xe20cc0ff, 0xe180040c, 0xe00c0190, 0xe08cc0a2, 0xe3a00000, 0xe15c0002, 0x204cc002,
    0x22800001, 0x2afffffb, 0xe20010ff, 0xe5841000, 0xe1a01420, 0xe20110ff, 0xe5841004, 0xe3c33080,
    0xe584300c, 0xe59f0014, 0xe2500001, 0x1afffffd, 0xe12fff1e, //
    // literal pool: uart, old, new, delay, exec
    0, 0, 0, 0, 0,
];

const RESTORE_UART: usize = 34;

/// The parameters both pieces take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchParams {
    /// UART register base.
    pub uart: u32,
    /// Speed before the switch.
    pub from_baud: u32,
    /// Speed after the switch.
    pub to_baud: u32,
    /// Busy-wait loops after the switch (must be non-zero).
    pub delay_loops: u32,
}

fn to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// [`ANNOUNCE`] with its literal pool filled in, as bytes.
pub fn announce(params: SwitchParams) -> Vec<u8> {
    let mut code = ANNOUNCE;
    code[ANNOUNCE_UART] = params.uart;
    code[ANNOUNCE_UART + 1] = params.from_baud;
    code[ANNOUNCE_UART + 2] = params.to_baud;
    code[ANNOUNCE_UART + 3] = params.delay_loops.max(1);
    for (slot, chunk) in code[ANNOUNCE_MAGIC..].iter_mut().zip(MAGIC.chunks_exact(4)) {
        *slot = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    to_bytes(&code)
}

/// [`RESTORE`] with its literal pool filled in (jumping to `exec` at the end), as bytes.
pub fn restore(params: SwitchParams, exec: u32) -> Vec<u8> {
    let mut code = RESTORE;
    code[RESTORE_UART] = params.uart;
    code[RESTORE_UART + 1] = params.from_baud;
    code[RESTORE_UART + 2] = params.to_baud;
    code[RESTORE_UART + 3] = params.delay_loops.max(1);
    code[RESTORE_UART + 4] = exec;
    to_bytes(&code)
}

/// Shorthand used by [`super::uart`].
pub(crate) fn with_params(baud: u32, exec: u32, uart: u32, delay_loops: u32) -> (Vec<u8>, Vec<u8>) {
    let up = SwitchParams {
        uart,
        from_baud: super::uart::BOOTROM_BAUD,
        to_baud: baud,
        delay_loops,
    };
    let down = SwitchParams {
        from_baud: baud,
        to_baud: super::uart::BOOTROM_BAUD,
        ..up
    };
    (announce(up), restore(down, exec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_pools_sit_where_the_code_loads_them() {
        // `ldr rX, [pc, #imm]` reads pc + 8 + imm: check each literal load of both pieces.
        let load = |words: &[u32], at: usize| (at * 4 + 8 + (words[at] & 0xFFF) as usize) / 4;
        assert_eq!(load(&ANNOUNCE, 1), ANNOUNCE_UART); // ldr r4, uart
        assert_eq!(load(&ANNOUNCE, 11), ANNOUNCE_UART + 1); // ldr r1, old
        assert_eq!(load(&ANNOUNCE, 12), ANNOUNCE_UART + 2); // ldr r2, new
        assert_eq!(load(&ANNOUNCE, 41), ANNOUNCE_UART + 3); // ldr r0, delay
        assert_eq!(
            (2 * 4 + 8 + (ANNOUNCE[2] & 0xFF) as usize) / 4,
            ANNOUNCE_MAGIC
        ); // adr r3
        assert_eq!(load(&RESTORE, 0), RESTORE_UART);
        assert_eq!(load(&RESTORE, 1), RESTORE_UART + 1);
        assert_eq!(load(&RESTORE, 2), RESTORE_UART + 2);
        assert_eq!(load(&RESTORE, 30), RESTORE_UART + 3);
        assert_eq!(load(&RESTORE, 4), RESTORE_UART + 4); // ldr pc, exec
        let code = announce(SwitchParams {
            uart: BOOTROM_UART0,
            from_baud: 115_200,
            to_baud: 230_400,
            delay_loops: 0,
        });
        assert!(code.ends_with(MAGIC));
        assert_eq!(code.len() % 16, 4, "53 words");
    }
}
