//! A register model of a 16550 at a 4-byte stride: DLAB banking, a TX log, an RX queue, and the
//! DesignWare rule that LCR writes are ignored while USR.BUSY is set.

extern crate std;

use core::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::vec::Vec;

use hil::Console;

use super::*;

#[derive(Default)]
struct Model {
    lcr: Cell<u32>,
    ier: Cell<u32>,
    dll: Cell<u32>,
    dlh: Cell<u32>,
    fcr: RefCell<Vec<u32>>,
    mcr: Cell<u32>,
    tx: RefCell<Vec<u8>>,
    rx: RefCell<VecDeque<u8>>,
    /// USR reads that still report busy (u32::MAX: forever).
    busy_reads: Cell<u32>,
    /// Transmitter dead: THRE/TEMT never set.
    dead: Cell<bool>,
    lcr_while_busy: Cell<u32>,
}

// SAFETY: each test owns its model and uses it from its own thread only; `Sync` is needed
// because `hil::Console` requires it, not for any real sharing.
unsafe impl Sync for Model {}

impl Bus for Model {
    fn read(&self, offset: usize) -> u32 {
        let dlab = self.lcr.get() & 0x80 != 0;
        match offset {
            0x00 if dlab => self.dll.get(),
            0x00 => u32::from(self.rx.borrow_mut().pop_front().unwrap_or(0)),
            0x04 if dlab => self.dlh.get(),
            0x04 => self.ier.get(),
            0x0C => self.lcr.get(),
            0x10 => self.mcr.get(),
            0x14 => {
                let mut v = u32::from(!self.rx.borrow().is_empty());
                if !self.dead.get() {
                    v |= 0x60;
                }
                v
            }
            0x7C => {
                let left = self.busy_reads.get();
                if left == 0 {
                    0
                } else {
                    if left != u32::MAX {
                        self.busy_reads.set(left - 1);
                    }
                    1
                }
            }
            _ => 0,
        }
    }
    fn write(&self, offset: usize, value: u32) {
        let dlab = self.lcr.get() & 0x80 != 0;
        match offset {
            0x00 if dlab => self.dll.set(value),
            0x00 => self.tx.borrow_mut().push(value as u8),
            0x04 if dlab => self.dlh.set(value),
            0x04 => self.ier.set(value),
            0x08 => self.fcr.borrow_mut().push(value),
            0x0C if self.busy_reads.get() != 0 => {
                self.lcr_while_busy.set(self.lcr_while_busy.get() + 1)
            }
            0x0C => self.lcr.set(value),
            0x10 => self.mcr.set(value),
            _ => {}
        }
    }
}

#[test]
fn divisor_rounds_to_nearest() {
    // 200e6 / (16 * 115200) = 108.5 -> 109 (round half up); 166e6 -> 90.06 -> 90.
    assert_eq!(divisor(200_000_000, 115_200), Ok(109));
    assert_eq!(divisor(166_000_000, 115_200), Ok(90));
    // The IXP4xx / PXA 14.7456 MHz clock: 115200 is exactly 8.
    assert_eq!(divisor(14_745_600, 115_200), Ok(8));
    assert_eq!(divisor(200_000_000, 0), Err(UartError::BaudTooHigh));
    assert_eq!(divisor(1_000, 115_200), Err(UartError::BaudTooHigh));
    assert_eq!(divisor(200_000_000, 1), Err(UartError::BaudTooLow));
}

#[test]
fn keep_bootloader_setup_reads_the_divisor_and_restores_lcr() {
    let m = Model::default();
    m.lcr.set(0x03);
    m.dll.set(109);
    m.ier.set(0x0F);
    let uart = Ns16550::new(&m, Variant::DwApb);
    assert_eq!(uart.keep_bootloader_setup(), 109);
    assert_eq!(m.lcr.get(), 0x03, "DLAB cleared again");
    assert_eq!(m.ier.get(), 0, "interrupts masked");
    assert_eq!(*m.fcr.borrow(), [1]);
}

#[test]
fn dw_init_waits_for_busy_then_programs_8n1() {
    let m = Model::default();
    m.busy_reads.set(3);
    let uart = Ns16550::new(&m, Variant::DwApb);
    uart.init(200_000_000, 115_200).unwrap();
    assert_eq!(m.lcr_while_busy.get(), 0, "no LCR write while busy");
    assert_eq!((m.dlh.get(), m.dll.get()), (0, 109));
    assert_eq!(m.lcr.get(), 0x03);
    assert_eq!(m.mcr.get(), 0x3);
    assert_eq!(m.fcr.borrow()[0], 0x07, "FIFOs enabled and cleared");
    assert_eq!(m.ier.get(), 0);
}

#[test]
fn dw_init_reports_a_uart_that_stays_busy() {
    let m = Model::default();
    m.busy_reads.set(u32::MAX);
    let uart = Ns16550::new(&m, Variant::DwApb);
    assert_eq!(uart.init(200_000_000, 115_200), Err(UartError::Busy));
    assert_eq!(m.lcr_while_busy.get(), 0);
    assert_eq!(
        uart.init(200_000_000, 0),
        Err(UartError::BaudTooHigh),
        "bad baud rates are refused before touching anything"
    );
}

#[test]
fn xscale_keeps_the_unit_enabled() {
    let m = Model::default();
    let uart = Ns16550::new(&m, Variant::Xscale);
    uart.enable();
    assert_eq!(m.ier.get(), 1 << 6);
    uart.init(14_745_600, 115_200).unwrap();
    assert_eq!(m.dll.get(), 8);
    assert_eq!(m.ier.get(), 1 << 6, "UUE set again after programming");
    assert_eq!(
        *m.fcr.borrow().last().unwrap(),
        0x87,
        "FIFOs reset, trigger 8"
    );
    uart.set_rx_interrupt(true);
    assert_eq!(m.ier.get(), (1 << 6) | (1 << 4) | 1);
    uart.set_rx_interrupt(false);
    assert_eq!(m.ier.get(), 1 << 6);
    let dw = Model::default();
    Ns16550::new(&dw, Variant::DwApb).set_rx_interrupt(true);
    assert_eq!(dw.ier.get(), 1);
}

#[test]
fn console_writes_reads_and_a_dead_transmitter_does_not_hang() {
    let m = Model::default();
    let mut uart = Ns16550::new(&m, Variant::Standard);
    Console::write_bytes(&uart, b"ok");
    core::fmt::Write::write_str(&mut uart, "a\n").unwrap();
    assert_eq!(*m.tx.borrow(), b"oka\r\n");
    assert_eq!(Console::read_byte(&uart), None);
    m.rx.borrow_mut().extend(b"xy");
    assert_eq!(Console::read_byte(&uart), Some(b'x'));
    assert_eq!(uart.read_byte(), Some(b'y'));
    m.dead.set(true);
    assert!(!uart.write_byte(b'z'));
    Console::write_bytes(&uart, b"lost");
    Console::flush(&uart);
    assert_eq!(*m.tx.borrow(), b"oka\r\n");
}
