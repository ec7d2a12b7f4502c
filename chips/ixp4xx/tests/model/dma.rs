//! A non-coherent memory system: the CPU's view (the real host memory the driver points into,
//! standing in for "RAM as seen through the D-cache") and the device's view (a separate copy,
//! standing in for "RAM as the NPE's DMA sees it") only meet through `clean` and `invalidate`.
//!
//! Per 32-byte line the model remembers whether the device wrote it since the CPU last
//! invalidated it. Violations of the DMA contract are recorded, not panicked on, so tests can
//! assert both that a correct driver causes none and that a broken one is caught:
//! - the device reads a line whose CPU copy differs and was never cleaned (stale data on the
//!   wire);
//! - the device writes a line the CPU holds modified (the CPU's later write-back would clobber
//!   the device's data);
//! - the CPU cleans a line the device wrote without invalidating it first (same clobbering);
//! - the CPU invalidates a line it modified and never cleaned (its writes are lost);
//! - DMA outside the memory the driver handed over.
//!
//! Reads by the CPU of device-written lines it never invalidated cannot be intercepted; they see
//! the stale CPU copy, which the end-to-end frame checks catch.

pub const LINE: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// CPU and device views agree unless the CPU wrote (CPU-dirty).
    Synced,
    /// The device wrote it; the CPU must invalidate before touching it.
    DeviceWritten,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub what: &'static str,
    pub bus: u32,
}

pub struct DmaState {
    cpu_base: *mut u8,
    len: usize,
    pub bus_base: u32,
    device: Vec<u8>,
    lines: Vec<Line>,
    pub violations: Vec<Violation>,
    /// Descriptors the CPU dequeued while the device had written them, not yet invalidated.
    pub handed_over: Vec<u32>,
    pub cleans: u64,
    pub invalidates: u64,
}

impl DmaState {
    /// A memory system over `len` bytes of host memory at `cpu_base`, seen by the device at
    /// `bus_base`. The device view starts as a copy of the CPU view.
    pub fn new(cpu_base: *mut u8, len: usize, bus_base: u32) -> Self {
        // SAFETY: the test hands over a live allocation of `len` bytes that outlives the model.
        let device = unsafe { std::slice::from_raw_parts(cpu_base, len) }.to_vec();
        DmaState {
            cpu_base,
            len,
            bus_base,
            device,
            lines: vec![Line::Synced; len.div_ceil(LINE)],
            violations: Vec::new(),
            handed_over: Vec::new(),
            cleans: 0,
            invalidates: 0,
        }
    }

    fn cpu_line(&self, line: usize) -> &[u8] {
        let start = line * LINE;
        let end = (start + LINE).min(self.len);
        // SAFETY: inside the allocation handed to `new`.
        unsafe { std::slice::from_raw_parts(self.cpu_base.add(start), end - start) }
    }

    fn cpu_differs(&self, line: usize) -> bool {
        let start = line * LINE;
        let end = (start + LINE).min(self.len);
        self.cpu_line(line) != &self.device[start..end]
    }

    fn violation(&mut self, what: &'static str, line: usize) {
        let bus = self.bus_base + (line * LINE) as u32;
        self.violations.push(Violation { what, bus });
    }

    /// Lines covered by a CPU range, rounded outwards; None if outside the memory.
    fn cpu_lines(&self, ptr: *const u8, len: usize) -> Option<std::ops::Range<usize>> {
        let off = (ptr as usize).checked_sub(self.cpu_base as usize)?;
        if len == 0 || off + len > self.len {
            return None;
        }
        Some(off / LINE..(off + len).div_ceil(LINE))
    }

    pub fn bus_address(&self, ptr: *const u8) -> Option<u32> {
        let off = (ptr as usize).checked_sub(self.cpu_base as usize)?;
        (off < self.len).then(|| self.bus_base + off as u32)
    }

    pub fn cpu_pointer(&self, bus: u32) -> Option<*mut u8> {
        let off = bus.checked_sub(self.bus_base)? as usize;
        // SAFETY: offset checked against the allocation.
        (off < self.len).then(|| unsafe { self.cpu_base.add(off) })
    }

    pub fn clean(&mut self, ptr: *const u8, len: usize) {
        self.cleans += 1;
        let Some(lines) = self.cpu_lines(ptr, len) else {
            self.violations.push(Violation {
                what: "clean outside DMA memory",
                bus: 0,
            });
            return;
        };
        for line in lines {
            if !self.cpu_differs(line) {
                continue;
            }
            if self.lines[line] == Line::DeviceWritten {
                self.violation(
                    "clean of a line the device wrote and the CPU never invalidated",
                    line,
                );
            }
            let start = line * LINE;
            let data = self.cpu_line(line).to_vec();
            self.device[start..start + data.len()].copy_from_slice(&data);
            self.lines[line] = Line::Synced;
        }
    }

    pub fn invalidate(&mut self, ptr: *const u8, len: usize) {
        self.invalidates += 1;
        let Some(lines) = self.cpu_lines(ptr, len) else {
            self.violations.push(Violation {
                what: "invalidate outside DMA memory",
                bus: 0,
            });
            return;
        };
        let (first, end) = (lines.start, lines.end);
        let base = self.bus_base;
        self.handed_over.retain(|&bus| {
            let line = ((bus - base) as usize) / LINE;
            !(first..end).contains(&line)
        });
        for line in lines {
            if self.lines[line] == Line::Synced && self.cpu_differs(line) {
                self.violation(
                    "invalidate discarded CPU writes that were never cleaned",
                    line,
                );
            }
            let start = line * LINE;
            let end = (start + LINE).min(self.len);
            // SAFETY: inside the allocation handed to `new`.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.device[start..end].as_ptr(),
                    self.cpu_base.add(start),
                    end - start,
                )
            };
            self.lines[line] = Line::Synced;
        }
    }

    /// The CPU just dequeued descriptor `bus` from a device-to-CPU queue: if the device wrote
    /// it, the CPU owes an invalidate before it may look at it.
    pub fn note_handover(&mut self, bus: u32) {
        let Some(off) = bus.checked_sub(self.bus_base).map(|o| o as usize) else {
            return;
        };
        if off < self.len && self.lines[off / LINE] == Line::DeviceWritten {
            self.handed_over.push(bus);
        }
    }

    /// Recorded violations plus every handover still waiting for its invalidate.
    pub fn all_violations(&self) -> Vec<Violation> {
        let mut all = self.violations.clone();
        all.extend(self.handed_over.iter().map(|&bus| Violation {
            what: "CPU took a descriptor the device wrote and never invalidated it",
            bus,
        }));
        all
    }

    fn bus_lines(&mut self, bus: u32, len: usize) -> Option<(usize, std::ops::Range<usize>)> {
        let off = bus.checked_sub(self.bus_base)? as usize;
        if len == 0 || off + len > self.len {
            self.violations.push(Violation {
                what: "DMA outside the memory handed to the device",
                bus,
            });
            return None;
        }
        Some((off, off / LINE..(off + len).div_ceil(LINE)))
    }

    /// The device reads `len` bytes at `bus` (what it gets is the device view).
    pub fn device_read(&mut self, bus: u32, len: usize) -> Option<Vec<u8>> {
        let (off, lines) = self.bus_lines(bus, len)?;
        for line in lines {
            if self.lines[line] == Line::Synced && self.cpu_differs(line) {
                self.violation("device read a line the CPU wrote without a clean", line);
            }
        }
        Some(self.device[off..off + len].to_vec())
    }

    pub fn device_read_word(&mut self, bus: u32) -> Option<u32> {
        let b = self.device_read(bus, 4)?;
        Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The device writes `data` at `bus`.
    pub fn device_write(&mut self, bus: u32, data: &[u8]) -> bool {
        let Some((off, lines)) = self.bus_lines(bus, data.len()) else {
            return false;
        };
        for line in lines.clone() {
            if self.lines[line] == Line::Synced && self.cpu_differs(line) {
                self.violation("device wrote a line the CPU holds modified", line);
            }
        }
        self.device[off..off + data.len()].copy_from_slice(data);
        for line in lines {
            self.lines[line] = Line::DeviceWritten;
        }
        true
    }

    /// Words are stored as the CPU reads them: native order (a BE32 core reads the NPE's
    /// big-endian words natively; the host model keeps the same word values).
    pub fn device_write_words(&mut self, bus: u32, words: &[u32]) -> bool {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        self.device_write(bus, &bytes)
    }
}
