//! A register-level model of the PXA255's interrupt controller and OS timer, written from the
//! *Intel PXA255 Processor Developer's Manual* (order no. 278693), not from the drivers:
//!
//! - §4.2.2: ICPR is every asserted source; ICIP = ICPR ∧ ICMR ∧ ¬ICLR; ICFP = ICPR ∧ ICMR ∧
//!   ICLR; the pending registers are read-only; ICCR.DIM is bit 0.
//! - §4.4.2: OSCR counts up and wraps; when it becomes equal to OSMRn and OIER bit n is set,
//!   OSSR bit n is set; writing 1 clears an OSSR bit, 0 does nothing; OSSR bits 0..3 are the
//!   interrupt controller's sources 26..29 (Table 4-36). OWER.WME is set by writing 1 and never
//!   cleared by a write; an OSMR3 match with WME set resets the processor (§4.4.1).
//!
//! An access to an offset the manual does not define panics, so a driver writing a wrong offset
//! fails its test.

use std::sync::Mutex;

use hil::mmio::Bus;

/// The first interrupt-controller source of the OS timer's matches (Table 4-36: OST match 0).
const OST_FIRST_SOURCE: u32 = 26;

#[derive(Default)]
struct State {
    /// Sources asserted by units other than the OS timer (levels, set by the test).
    lines: u32,
    icmr: u32,
    iclr: u32,
    iccr: u32,
    oscr: u32,
    osmr: [u32; 4],
    ossr: u32,
    oier: u32,
    ower: u32,
    reset: bool,
}

impl State {
    fn icpr(&self) -> u32 {
        self.lines | (self.ossr & 0xF) << OST_FIRST_SOURCE
    }
}

/// The interrupt controller and the OS timer of one chip; [`Siu::icu`] and [`Siu::ost`] are
/// their register windows.
#[derive(Default)]
pub struct Siu(Mutex<State>);

/// The interrupt controller's window.
pub struct IcuWindow<'a>(&'a Siu);
/// The OS timer's window.
pub struct OstWindow<'a>(&'a Siu);

impl Siu {
    /// A chip out of reset: every register 0 (§4.2.2, §4.4.2).
    pub fn new() -> Self {
        Self::default()
    }

    pub fn icu(&self) -> IcuWindow<'_> {
        IcuWindow(self)
    }

    pub fn ost(&self) -> OstWindow<'_> {
        OstWindow(self)
    }

    /// Leaves the mask and routing as a boot loader might have: everything unmasked, `fiq`
    /// routed to FIQ.
    pub fn boot_loader_left(&self, fiq: u32) {
        let mut s = self.0.lock().unwrap();
        s.icmr = u32::MAX;
        s.iclr = fiq;
    }

    /// Asserts (`true`) or deasserts a source of another unit (a level).
    pub fn set_line(&self, irq: u32, asserted: bool) {
        let mut s = self.0.lock().unwrap();
        if asserted {
            s.lines |= 1 << irq;
        } else {
            s.lines &= !(1 << irq);
        }
    }

    /// Sets OSCR, as if it had counted there.
    pub fn set_count(&self, count: u32) {
        self.0.lock().unwrap().oscr = count;
    }

    /// Programs match `n` at count `at` with its interrupt enabled, as another user of the
    /// timer (or a boot loader) would.
    pub fn program_match(&self, n: usize, at: u32) {
        let mut s = self.0.lock().unwrap();
        s.osmr[n] = at;
        s.oier |= 1 << n;
    }

    /// Lets `counts` 3.6864 MHz clocks pass: OSCR steps through every value in between, and
    /// each match register equal to one of them matches.
    pub fn advance(&self, counts: u32) {
        let mut s = self.0.lock().unwrap();
        let start = s.oscr;
        for n in 0..4 {
            // OSMRn is among start+1 ..= start+counts.
            let matched = s.osmr[n].wrapping_sub(start).wrapping_sub(1) < counts;
            if matched && s.oier & 1 << n != 0 {
                s.ossr |= 1 << n;
            }
            if matched && n == 3 && s.ower & 1 != 0 {
                s.reset = true;
            }
        }
        s.oscr = start.wrapping_add(counts);
    }

    /// Whether the watchdog has reset the processor.
    pub fn reset_happened(&self) -> bool {
        self.0.lock().unwrap().reset
    }

    /// OSSR, as a test looks at it.
    pub fn ossr(&self) -> u32 {
        self.0.lock().unwrap().ossr
    }

    /// OSMR `n`, as a test looks at it.
    pub fn osmr(&self, n: usize) -> u32 {
        self.0.lock().unwrap().osmr[n]
    }

    /// ICMR, ICLR and ICCR, as a test looks at them.
    pub fn icu_setup(&self) -> (u32, u32, u32) {
        let s = self.0.lock().unwrap();
        (s.icmr, s.iclr, s.iccr)
    }

    /// OIER, as a test looks at it.
    pub fn oier(&self) -> u32 {
        self.0.lock().unwrap().oier
    }
}

impl Bus for IcuWindow<'_> {
    fn read(&self, offset: usize) -> u32 {
        let s = self.0.0.lock().unwrap();
        match offset {
            0x00 => s.icpr() & s.icmr & !s.iclr, // ICIP
            0x04 => s.icmr,
            0x08 => s.iclr,
            0x0C => s.icpr() & s.icmr & s.iclr, // ICFP
            0x10 => s.icpr(),
            0x14 => s.iccr,
            _ => panic!("ICU read at undefined offset {offset:#x}"),
        }
    }
    fn write(&self, offset: usize, value: u32) {
        let mut s = self.0.0.lock().unwrap();
        match offset {
            0x00 | 0x0C | 0x10 => {} // pending registers are read-only
            0x04 => s.icmr = value,
            0x08 => s.iclr = value,
            0x14 => s.iccr = value & 1,
            _ => panic!("ICU write at undefined offset {offset:#x}"),
        }
    }
}

impl Bus for OstWindow<'_> {
    fn read(&self, offset: usize) -> u32 {
        let s = self.0.0.lock().unwrap();
        match offset {
            0x00..=0x0C => s.osmr[offset / 4],
            0x10 => s.oscr,
            0x14 => s.ossr,
            0x18 => s.ower,
            0x1C => s.oier,
            _ => panic!("OS timer read at undefined offset {offset:#x}"),
        }
    }
    fn write(&self, offset: usize, value: u32) {
        let mut s = self.0.0.lock().unwrap();
        match offset {
            0x00..=0x0C => s.osmr[offset / 4] = value,
            0x10 => s.oscr = value,
            0x14 => s.ossr &= !(value & 0xF), // write 1 to clear
            0x18 => s.ower |= value & 1,      // set only; a reset clears it
            0x1C => s.oier = value & 0xF,
            _ => panic!("OS timer write at undefined offset {offset:#x}"),
        }
    }
}
