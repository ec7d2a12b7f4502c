//! Flattened device tree (DTB) reader.
//!
//! Format: Devicetree Specification v0.4, chapter 5 "Flattened Devicetree (DTB) Format".
//!
//! This is a small single-pass walker rather than the `fdt` crate: `fdt` 0.2.0-alpha3 loops
//! forever on some corrupted blobs (our `corrupted_bodies_never_panic` test found it), and a boot
//! that hangs on a bad DTB is worse than one that falls back to board defaults. Every token,
//! length and string offset is checked against the block it lives in, nesting is bounded, and
//! each step consumes input, so any blob ends in a result or an error.

use super::{BootInfoError, RamBanks};
use crate::board::MemoryRange;

/// FDT header magic (spec §5.2), stored big-endian.
pub const FDT_MAGIC: u32 = 0xd00d_feed;
/// Size of the version-17 header.
const HEADER_BYTES: usize = 40;
/// Structure-block tokens (spec §5.4.1).
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;
/// Deepest nesting accepted; real trees are 3–5 levels deep.
const MAX_DEPTH: usize = 16;

/// What a device tree told us.
#[derive(Debug)]
pub struct DtbInfo<'a> {
    /// RAM from the memory node(s).
    pub ram: RamBanks,
    /// `/chosen/bootargs`.
    pub cmdline: Option<&'a str>,
    /// The blob's own size (`totalsize`).
    pub total_size: usize,
}

fn be32(blob: &[u8], offset: usize) -> Option<u32> {
    let bytes = blob.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Whether `blob` starts with the FDT magic.
pub fn looks_like_dtb(blob: &[u8]) -> bool {
    be32(blob, 0) == Some(FDT_MAGIC)
}

const fn malformed(offset: usize, what: &'static str) -> BootInfoError {
    BootInfoError::Malformed { offset, what }
}

/// The two blocks of a checked blob.
struct Blocks<'a> {
    /// The structure block, and its offset in the blob (for error messages).
    structure: &'a [u8],
    structure_offset: usize,
    strings: &'a [u8],
    total: usize,
}

/// Checks the header (spec §5.2) and slices out the blocks.
fn blocks(blob: &[u8]) -> Result<Blocks<'_>, BootInfoError> {
    if !looks_like_dtb(blob) {
        return Err(malformed(0, "bad FDT magic"));
    }
    let field = |offset| {
        be32(blob, offset)
            .map(|v| v as usize)
            .ok_or(malformed(offset, "truncated FDT header"))
    };
    let total = field(4)?;
    if total < HEADER_BYTES || total > blob.len() {
        return Err(malformed(
            4,
            "FDT totalsize smaller than the header or larger than the buffer",
        ));
    }
    if field(20)? < 16 || field(24)? > 17 {
        return Err(malformed(20, "unsupported FDT version"));
    }
    let block = |offset_field, size_field| -> Result<(usize, &[u8]), BootInfoError> {
        let start = field(offset_field)?;
        let end = start
            .checked_add(field(size_field)?)
            .filter(|&end| end <= total);
        let end = end.ok_or(malformed(offset_field, "FDT block lies outside totalsize"))?;
        Ok((start, &blob[start..end]))
    };
    let (structure_offset, structure) = block(8, 36)?;
    let (_, strings) = block(12, 32)?;
    if structure_offset % 4 != 0 {
        return Err(malformed(8, "FDT structure block is not word aligned"));
    }
    Ok(Blocks {
        structure,
        structure_offset,
        strings,
        total,
    })
}

/// One step of the walk.
enum Event<'a> {
    /// A node starts; `depth` 0 is the root.
    Begin { depth: usize, name: &'a str },
    /// A property of the innermost open node.
    Property {
        depth: usize,
        name: &'a str,
        value: &'a [u8],
    },
    /// The innermost open node ends.
    End { depth: usize },
}

/// Walks the structure block, calling `visit` for each node and property, with every length and
/// offset checked. `visit` may stop the walk early by returning `false`.
fn walk<'a>(
    blocks: &Blocks<'a>,
    mut visit: impl FnMut(Event<'a>) -> bool,
) -> Result<(), BootInfoError> {
    let s = blocks.structure;
    let error = |at: usize, what| malformed(blocks.structure_offset + at, what);
    let mut at = 0usize;
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let token = be32(s, at).ok_or(error(at, "structure block ends without FDT_END"))?;
        let token_at = at;
        at += 4;
        match token {
            FDT_BEGIN_NODE => {
                if depth == 0 && seen_root {
                    return Err(error(token_at, "second root node"));
                }
                if depth >= MAX_DEPTH {
                    return Err(error(token_at, "nodes nested too deeply"));
                }
                let rest = s.get(at..).unwrap_or_default();
                let len = rest
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(error(at, "unterminated node name"))?;
                let name = core::str::from_utf8(&rest[..len])
                    .map_err(|_| error(at, "node name is not UTF-8"))?;
                at = (at + len + 1).next_multiple_of(4);
                seen_root = true;
                if !visit(Event::Begin { depth, name }) {
                    return Ok(());
                }
                depth += 1;
            }
            FDT_END_NODE => {
                depth = depth
                    .checked_sub(1)
                    .ok_or(error(token_at, "FDT_END_NODE without an open node"))?;
                if !visit(Event::End { depth }) {
                    return Ok(());
                }
            }
            FDT_PROP => {
                if depth == 0 {
                    return Err(error(token_at, "property outside any node"));
                }
                let len = be32(s, at).ok_or(error(at, "truncated property"))? as usize;
                let name_offset = be32(s, at + 4).ok_or(error(at, "truncated property"))? as usize;
                let value = at
                    .checked_add(8)
                    .and_then(|start| s.get(start..start.checked_add(len)?))
                    .ok_or(error(at, "property value runs past the structure block"))?;
                let name = blocks
                    .strings
                    .get(name_offset..)
                    .and_then(|rest| {
                        rest.split(|&b| b == 0)
                            .next()
                            .filter(|n| n.len() < rest.len())
                    })
                    .and_then(|n| core::str::from_utf8(n).ok())
                    .ok_or(error(at, "property name offset is invalid"))?;
                at = (at + 8 + len).next_multiple_of(4);
                if !visit(Event::Property {
                    depth: depth - 1,
                    name,
                    value,
                }) {
                    return Ok(());
                }
            }
            FDT_NOP => {}
            FDT_END if depth == 0 && seen_root => return Ok(()),
            FDT_END => return Err(error(token_at, "FDT_END inside an open node")),
            _ => return Err(error(token_at, "unknown structure token")),
        }
    }
}

/// Reads a big-endian number of `count` cells (0–2) from the start of `bytes`.
fn cells_value(bytes: &[u8], count: usize) -> Option<u64> {
    if count > 2 {
        return None;
    }
    let mut value = 0u64;
    for index in 0..count {
        value = (value << 32) | u64::from(be32(bytes, index * 4)?);
    }
    Some(value)
}

/// `#address-cells` / `#size-cells` (spec §2.3.5), with the defaults for a node that has none.
#[derive(Clone, Copy)]
struct Cells {
    address: usize,
    size: usize,
}

const DEFAULT_CELLS: Cells = Cells {
    address: 2,
    size: 1,
};

/// Parses RAM and the command line out of a DTB at the start of `blob`.
pub fn parse(blob: &[u8]) -> Result<DtbInfo<'_>, BootInfoError> {
    let blocks = blocks(blob)?;
    let mut root_cells = DEFAULT_CELLS;
    let mut ram = RamBanks::default();
    let mut cmdline = None;
    // State of the current depth-1 node.
    let (mut in_memory, mut in_chosen) = (false, false);
    let mut memory_reg: Option<&[u8]> = None;
    let mut bad_bank = None;
    walk(&blocks, |event| {
        match event {
            Event::Begin { depth: 1, name } => {
                in_chosen = name == "chosen";
                in_memory = name == "memory" || name.starts_with("memory@");
                memory_reg = None;
            }
            Event::Property {
                depth: 0,
                name: "#address-cells",
                value,
            } => {
                root_cells.address =
                    cells_value(value, 1).map_or(root_cells.address, |v| v as usize);
            }
            Event::Property {
                depth: 0,
                name: "#size-cells",
                value,
            } => {
                root_cells.size = cells_value(value, 1).map_or(root_cells.size, |v| v as usize);
            }
            Event::Property {
                depth: 1,
                name: "device_type",
                value,
            } => in_memory |= value == b"memory\0",
            Event::Property {
                depth: 1,
                name: "reg",
                value,
            } => memory_reg = Some(value),
            Event::Property {
                depth: 1,
                name: "bootargs",
                value,
            } if in_chosen => {
                let text = value.split(|&b| b == 0).next().unwrap_or_default();
                cmdline = core::str::from_utf8(text).ok();
            }
            Event::End { depth: 1 } => {
                if let (true, Some(reg)) = (in_memory, memory_reg) {
                    let entry = (root_cells.address + root_cells.size) * 4;
                    if entry == 0 || root_cells.address > 2 || root_cells.size > 2 {
                        bad_bank = Some("memory reg uses unsupported cell sizes");
                        return false;
                    }
                    for chunk in reg.chunks_exact(entry) {
                        let base = cells_value(chunk, root_cells.address)
                            .and_then(|v| usize::try_from(v).ok());
                        let size = cells_value(&chunk[root_cells.address * 4..], root_cells.size)
                            .and_then(|v| usize::try_from(v).ok());
                        let (Some(base), Some(size)) = (base, size) else {
                            bad_bank = Some("memory bank beyond the 32-bit address space");
                            return false;
                        };
                        if ram.push(MemoryRange { base, size }).is_err() {
                            bad_bank = Some("too many memory banks");
                            return false;
                        }
                    }
                }
                in_memory = false;
                in_chosen = false;
            }
            _ => {}
        }
        true
    })?;
    if let Some(what) = bad_bank {
        return Err(malformed(blocks.structure_offset, what));
    }
    Ok(DtbInfo {
        ram,
        cmdline,
        total_size: blocks.total,
    })
}

/// Per-level state for [`device_address`].
#[derive(Clone, Copy)]
struct Level<'a> {
    /// This node's `#address-cells`/`#size-cells`: how its children encode `reg` and `ranges`.
    cells: Cells,
    /// This node's `ranges`: `None` if absent (children unreachable), `Some(&[])` for identity.
    ranges: Option<&'a [u8]>,
    compatible: bool,
    reg: Option<&'a [u8]>,
}

const EMPTY_LEVEL: Level<'static> = Level {
    cells: DEFAULT_CELLS,
    ranges: None,
    compatible: false,
    reg: None,
};

/// Maps `address` through the `ranges` of the buses enclosing a node at depth `depth`
/// (spec §2.3.8). `None` if a bus on the way has no `ranges` or no window covers the address.
fn translate(levels: &[Level<'_>], depth: usize, mut address: u64) -> Option<u64> {
    // Buses at depth d (1 ≤ d < node depth) translate from their children's space to their
    // parent's; the root's children are already CPU addresses.
    for bus in (1..depth).rev() {
        let ranges = levels[bus].ranges?;
        if ranges.is_empty() {
            continue;
        }
        let (child, parent) = (levels[bus].cells, levels[bus - 1].cells);
        let entry = (child.address + parent.address + child.size) * 4;
        if entry == 0 {
            return None;
        }
        let window = ranges.chunks_exact(entry).find_map(|e| {
            let child_base = cells_value(e, child.address)?;
            let parent_base = cells_value(&e[child.address * 4..], parent.address)?;
            let len = cells_value(&e[(child.address + parent.address) * 4..], child.size)?;
            (address >= child_base && address - child_base < len)
                .then_some((child_base, parent_base))
        })?;
        address = address - window.0 + window.1;
    }
    Some(address)
}

/// Address of the first node compatible with `compatible`, translated through its ancestors'
/// `ranges` into a CPU physical address.
pub fn device_address(blob: &[u8], compatible: &str) -> Option<usize> {
    let blocks = blocks(blob).ok()?;
    let mut levels = [EMPTY_LEVEL; MAX_DEPTH];
    let mut found = None;
    let resolve = |levels: &[Level<'_>], depth: usize| -> Option<u64> {
        let node = levels[depth];
        if !node.compatible || depth == 0 {
            return None;
        }
        let cells = levels[depth - 1].cells;
        translate(levels, depth, cells_value(node.reg?, cells.address)?)
    };
    walk(&blocks, |event| {
        match event {
            Event::Begin { depth, .. } => {
                // A child starts: the parent's properties are complete.
                if depth > 0 {
                    found = resolve(&levels, depth - 1);
                }
                levels[depth] = EMPTY_LEVEL;
            }
            Event::Property { depth, name, value } => {
                let level = &mut levels[depth];
                match name {
                    "#address-cells" => {
                        level.cells.address = cells_value(value, 1).map_or(2, |v| v as usize)
                    }
                    "#size-cells" => {
                        level.cells.size = cells_value(value, 1).map_or(1, |v| v as usize)
                    }
                    "ranges" => level.ranges = Some(value),
                    "reg" => level.reg = Some(value),
                    "compatible" => {
                        level.compatible =
                            value.split(|&b| b == 0).any(|c| c == compatible.as_bytes());
                    }
                    _ => {}
                }
            }
            Event::End { depth } => found = resolve(&levels, depth),
        }
        found.is_none()
    })
    .ok()?;
    found.and_then(|address| usize::try_from(address).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device tree built by hand: root (2 address cells, 1 size cell) → memory; a `bus`
    /// with `ranges` mapping bus 0x0 to 0x1000_0000 → `uart@9000` compatible "arm,pl011".
    fn sample_dtb(bootargs: &str) -> Vec<u8> {
        let mut strings = Vec::new();
        let mut string_offset = |name: &str| {
            let at = strings.len() as u32;
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
            at
        };
        let (ac, sc, dt, reg, rg, compat, bargs) = (
            string_offset("#address-cells"),
            string_offset("#size-cells"),
            string_offset("device_type"),
            string_offset("reg"),
            string_offset("ranges"),
            string_offset("compatible"),
            string_offset("bootargs"),
        );
        let mut s: Vec<u8> = Vec::new();
        let begin = |s: &mut Vec<u8>, name: &str| {
            s.extend(1u32.to_be_bytes());
            s.extend(name.as_bytes());
            s.push(0);
            while !s.len().is_multiple_of(4) {
                s.push(0);
            }
        };
        let prop = |s: &mut Vec<u8>, name: u32, value: &[u8]| {
            s.extend(3u32.to_be_bytes());
            s.extend((value.len() as u32).to_be_bytes());
            s.extend(name.to_be_bytes());
            s.extend(value);
            while !s.len().is_multiple_of(4) {
                s.push(0);
            }
        };
        let cells = |v: &[u32]| v.iter().flat_map(|c| c.to_be_bytes()).collect::<Vec<u8>>();
        let end = |s: &mut Vec<u8>| s.extend(2u32.to_be_bytes());
        begin(&mut s, "");
        prop(&mut s, ac, &cells(&[1]));
        prop(&mut s, sc, &cells(&[1]));
        begin(&mut s, "chosen");
        let mut args = bootargs.as_bytes().to_vec();
        args.push(0);
        prop(&mut s, bargs, &args);
        end(&mut s);
        begin(&mut s, "memory@60000000");
        prop(&mut s, dt, b"memory\0");
        prop(&mut s, reg, &cells(&[0x6000_0000, 0x0800_0000]));
        end(&mut s);
        begin(&mut s, "bus");
        prop(&mut s, ac, &cells(&[1]));
        prop(&mut s, sc, &cells(&[1]));
        prop(&mut s, rg, &cells(&[0, 0x1000_0000, 0x0010_0000]));
        begin(&mut s, "uart@9000");
        prop(&mut s, compat, b"arm,pl011\0arm,primecell\0");
        prop(&mut s, reg, &cells(&[0x9000, 0x1000]));
        end(&mut s);
        end(&mut s);
        end(&mut s);
        s.extend(9u32.to_be_bytes());
        let rsvmap_off = HEADER_BYTES as u32;
        let struct_off = rsvmap_off + 16;
        let strings_off = struct_off + s.len() as u32;
        let total = strings_off + strings.len() as u32;
        let header = [
            FDT_MAGIC,
            total,
            struct_off,
            strings_off,
            rsvmap_off,
            17,
            16,
            0,
            strings.len() as u32,
            s.len() as u32,
        ];
        let mut blob = cells(&header);
        blob.extend([0u8; 16]);
        blob.extend(s);
        blob.extend(strings);
        blob
    }

    #[test]
    fn reads_memory_bootargs_and_translated_device_addresses() {
        let blob = sample_dtb("selftest=timer");
        let info = parse(&blob).expect("valid DTB");
        assert_eq!(
            info.ram.as_slice(),
            &[MemoryRange {
                base: 0x6000_0000,
                size: 128 << 20
            }]
        );
        assert_eq!(info.cmdline, Some("selftest=timer"));
        assert_eq!(info.total_size, blob.len());
        assert_eq!(device_address(&blob, "arm,pl011"), Some(0x1000_9000));
        assert_eq!(device_address(&blob, "smsc,lan9118"), None);
    }

    #[test]
    fn corrupt_headers_are_errors() {
        let good = sample_dtb("");
        let mut cases = Vec::new();
        for (offset, value) in [
            (0, 0u32),
            (4, 8),
            (4, u32::MAX),
            (8, u32::MAX - 2),
            (12, 0x7fff_ffff),
            (20, 1),
        ] {
            let mut bad = good.clone();
            bad[offset..offset + 4].copy_from_slice(&value.to_be_bytes());
            cases.push(bad);
        }
        cases.push(good[..good.len() - 1].to_vec());
        cases.push(good[..12].to_vec());
        for case in cases {
            assert!(parse(&case).is_err());
        }
    }

    #[test]
    fn corrupted_bodies_never_panic() {
        let good = sample_dtb("console=ttyAMA0");
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..5_000 {
            let mut blob = good.clone();
            for _ in 0..1 + state % 4 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                // Leave the header intact so the structure parser itself is exercised.
                let index = HEADER_BYTES + (state as usize % (blob.len() - HEADER_BYTES));
                blob[index] = (state >> 8) as u8;
            }
            let _ = parse(&blob);
            let _ = device_address(&blob, "arm,pl011");
        }
    }
}
