//! Frames of RedBoot's upgrade protocol (ethertype 0x8888), as upslug2 speaks it.
//!
//! Payload layout (after the Ethernet header), all header fields little-endian u16
//! (upslug2 `nslu2_protocol.h`; RedBoot `upgrade.c`; reference notes ixp4xx-nslu2.md §4.1):
//!
//! ```text
//! 0  type       Command
//! 2  sequence   echoed unchanged in the reply
//! 4  offset     address & 0xF          } the address inside the current 1 MiB block
//! 6  chunk      address >> 4           }
//! 8  length     data bytes that follow
//! 10 data       (replies to data/verify: a u16 return code)
//! ```
//!
//! RedBoot answers in the buffer it received, so every request carries room for the reply: at
//! least 2 data bytes, and 56 for HardwareInfo.

use std::fmt;

/// The ethertype RedBoot listens to.
pub const ETHERTYPE: u16 = 0x8888;
/// Length of the protocol header.
pub const HEADER_LEN: usize = 10;
/// Most data bytes per packet (upslug2: 1504 failed with EMSGSIZE, 1472 works).
pub const MAX_DATA: usize = 1472;
/// Size of the 1 MiB window a packet address can express.
pub const BLOCK: usize = 0x10_0000;
/// Length of the HardwareInfo reply data.
pub const HARDWARE_INFO_LEN: usize = 56;
/// Replies to data/verify carry a u16 return code; requests leave room for it.
const MIN_DATA: usize = 2;

/// A request type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// 0: report hardware and firmware identity.
    HardwareInfo,
    /// 1: start a normal upgrade (RedBoot and SysConf are kept).
    UpgradeStart,
    /// 2: program data.
    UpgradeData,
    /// 3: reboot.
    Reboot,
    /// 4: compare data with the flash.
    UpgradeVerify,
    /// 5: start a complete reprogram (RedBoot too). Never sent by this tool.
    ReprogramStart,
}

impl Command {
    /// The wire value.
    pub const fn code(self) -> u16 {
        match self {
            Self::HardwareInfo => 0,
            Self::UpgradeStart => 1,
            Self::UpgradeData => 2,
            Self::Reboot => 3,
            Self::UpgradeVerify => 4,
            Self::ReprogramStart => 5,
        }
    }

    /// The command for a wire value.
    pub fn from_code(code: u16) -> Option<Self> {
        [
            Self::HardwareInfo,
            Self::UpgradeStart,
            Self::UpgradeData,
            Self::Reboot,
            Self::UpgradeVerify,
            Self::ReprogramStart,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// Return codes in replies to data and verify packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnCode {
    /// 0
    Ok,
    /// 5: data while not upgrading (the Start was lost, or the box restarted).
    ProtocolError,
    /// 6: packet from the future (ignored by the box).
    SequenceError,
    /// 7: flash write failed (fatal).
    ProgramError,
    /// 9: flash contents differ (fatal).
    VerifyError,
    /// Anything else.
    Other(u16),
}

impl ReturnCode {
    /// From the wire value.
    pub fn from_code(code: u16) -> Self {
        match code {
            0 => Self::Ok,
            5 => Self::ProtocolError,
            6 => Self::SequenceError,
            7 => Self::ProgramError,
            9 => Self::VerifyError,
            other => Self::Other(other),
        }
    }
}

/// A decoded packet header plus its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Raw type (see [`Command::from_code`]).
    pub kind: u16,
    /// Sequence number.
    pub sequence: u16,
    /// Address inside the current 1 MiB block (`offset + 16 * chunk`).
    pub address: u32,
    /// The length field.
    pub length: u16,
    /// The bytes after the header (may be longer than `length`: padding, reply room).
    pub data: &'a [u8],
}

impl Packet<'_> {
    /// The return code of a data/verify reply (`None` if the reply is too short to hold one).
    pub fn return_code(&self) -> Option<ReturnCode> {
        let b = self.data.get(..2)?;
        Some(ReturnCode::from_code(u16::from_le_bytes([b[0], b[1]])))
    }
}

/// Builds a request. `address` is the address inside the 1 MiB block (must be < 1 MiB).
pub fn encode(command: Command, sequence: u16, address: usize, data: &[u8]) -> Vec<u8> {
    debug_assert!(address < BLOCK && data.len() <= MAX_DATA);
    let room = match command {
        Command::HardwareInfo => HARDWARE_INFO_LEN,
        _ => MIN_DATA,
    };
    let length = match command {
        Command::HardwareInfo => HARDWARE_INFO_LEN,
        _ => data.len(),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + data.len().max(room));
    out.extend_from_slice(&command.code().to_le_bytes());
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(&((address & 0xF) as u16).to_le_bytes());
    out.extend_from_slice(&((address >> 4) as u16).to_le_bytes());
    out.extend_from_slice(&(length as u16).to_le_bytes());
    out.extend_from_slice(data);
    out.resize(HEADER_LEN + data.len().max(room), 0);
    out
}

/// Parses a received payload; `None` if it is shorter than the header.
pub fn decode(payload: &[u8]) -> Option<Packet<'_>> {
    let header = payload.get(..HEADER_LEN)?;
    let u16_at = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
    Some(Packet {
        kind: u16_at(0),
        sequence: u16_at(2),
        address: u32::from(u16_at(4)) + (u32::from(u16_at(6)) << 4),
        length: u16_at(8),
        data: &payload[HEADER_LEN..],
    })
}

/// The HardwareInfo reply, copied by RedBoot from its own trailer and the flash trailer
/// (ixp4xx-nslu2.md §4.6). All values big-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwareInfo {
    /// 0x3FFC1 VerControl.
    pub ver_control: u16,
    /// 0x3FFC3 DownControl.
    pub down_control: u16,
    /// 0x3FFC5 hardware id (32 bytes).
    pub hardware_id: [u8; 32],
    /// 0x3FFE5 hardware version.
    pub hardware_version: u16,
    /// Flash 0x7FFFF0 product id (1 on an NSLU2).
    pub product_id: u16,
    /// 0x3FFE9.
    pub product_id_mask: u16,
    /// Flash 0x7FFFF2 protocol id (0).
    pub protocol_id: u16,
    /// 0x3FFED.
    pub protocol_id_mask: u16,
    /// 0x3FFEF function id (3 = RedBoot).
    pub function_id: u16,
    /// 0x3FFF1.
    pub function_id_mask: u16,
    /// Flash 0x7FFFF4 firmware version (e.g. 0x2329 = Linksys R23V29).
    pub firmware_version: u16,
    /// 0x3FFF5.
    pub cseg: u16,
    /// 0x3FFF7.
    pub csize: u16,
}

/// Hardware ids upslug2 accepts: the NSLU2 and the Netgear DG834Gv3 (upslug2
/// `nslu2_upgrade.cc`); the rest of the 32 bytes is zero.
const KNOWN_HARDWARE_IDS: [(&str, &[u8]); 2] = [
    ("Linksys NSLU2", &[0x04, 0x70, 0x31, 0x95, 0x58, 0x10]),
    ("Netgear DG834Gv3", b"DG834V3"),
];

impl HardwareInfo {
    /// Parses the 56 reply bytes.
    pub fn parse(data: &[u8]) -> Option<Self> {
        let d = data.get(..HARDWARE_INFO_LEN)?;
        let be = |at: usize| u16::from_be_bytes([d[at], d[at + 1]]);
        let mut hardware_id = [0u8; 32];
        hardware_id.copy_from_slice(&d[4..36]);
        Some(Self {
            ver_control: be(0),
            down_control: be(2),
            hardware_id,
            hardware_version: be(36),
            product_id: be(38),
            product_id_mask: be(40),
            protocol_id: be(42),
            protocol_id_mask: be(44),
            function_id: be(46),
            function_id_mask: be(48),
            firmware_version: be(50),
            cseg: be(52),
            csize: be(54),
        })
    }

    /// The 56 bytes, as a box sends them.
    pub fn to_bytes(&self) -> [u8; HARDWARE_INFO_LEN] {
        let mut d = [0u8; HARDWARE_INFO_LEN];
        let mut put = |at: usize, v: u16| d[at..at + 2].copy_from_slice(&v.to_be_bytes());
        put(0, self.ver_control);
        put(2, self.down_control);
        put(36, self.hardware_version);
        put(38, self.product_id);
        put(40, self.product_id_mask);
        put(42, self.protocol_id);
        put(44, self.protocol_id_mask);
        put(46, self.function_id);
        put(48, self.function_id_mask);
        put(50, self.firmware_version);
        put(52, self.cseg);
        put(54, self.csize);
        d[4..36].copy_from_slice(&self.hardware_id);
        d
    }

    /// The product name if the hardware id is one upslug2 knows.
    pub fn model(&self) -> Option<&'static str> {
        KNOWN_HARDWARE_IDS.iter().find_map(|(name, id)| {
            let matches = self.hardware_id.starts_with(id)
                && self.hardware_id[id.len()..].iter().all(|&b| b == 0);
            matches.then_some(*name)
        })
    }
}

impl fmt::Display for HardwareInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  model            {}",
            self.model().unwrap_or("unknown")
        )?;
        let id: Vec<String> = self
            .hardware_id
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        writeln!(
            f,
            "  hardware id      {}",
            id.join(" ").trim_end_matches(" 00")
        )?;
        writeln!(f, "  hardware version {:#06x}", self.hardware_version)?;
        writeln!(
            f,
            "  product id       {} (mask {:#06x})",
            self.product_id, self.product_id_mask
        )?;
        writeln!(
            f,
            "  protocol id      {} (mask {:#06x})",
            self.protocol_id, self.protocol_id_mask
        )?;
        writeln!(
            f,
            "  function id      {} (mask {:#06x})",
            self.function_id, self.function_id_mask
        )?;
        write!(
            f,
            "  firmware version R{:02X}V{:02X} ({:#06x})",
            self.firmware_version >> 8,
            self.firmware_version & 0xFF,
            self.firmware_version
        )
    }
}

/// One packet of the transfer plan: `len` bytes at flash offset `flash_offset`.
/// `len == 0` marks the start of a 1 MiB block (address 0) when the data does not begin there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Offset in the flash.
    pub flash_offset: usize,
    /// Bytes (0 for a block marker).
    pub len: usize,
}

impl Span {
    /// The address the packet carries: the offset inside the 1 MiB block.
    pub fn block_address(&self) -> usize {
        self.flash_offset % BLOCK
    }
}

/// Shortest run of erased (0xFF) bytes worth skipping: freshly erased flash reads 0xFF already,
/// and a new packet costs 24 bytes of headers (upslug2's break-even point).
pub const SKIP_RUN: usize = 24;

/// Plans the packets that write (or verify) `image[start..]`.
///
/// RedBoot counts 1 MiB blocks by packets with address 0, so every block starts with one at
/// address 0 — a zero-length marker if the block's data starts later or it has none at all.
/// With `skip_erased`, 4-byte aligned runs of at least [`SKIP_RUN`] 0xFF bytes are not sent.
/// Every span is 4-byte aligned and at most [`MAX_DATA`] long (the flash is programmed in
/// 16-bit words).
pub fn plan(image: &[u8], start: usize, skip_erased: bool) -> Vec<Span> {
    let mut spans = Vec::new();
    let end = image.len() - image.len() % 4;
    let mut block_start = start - start % BLOCK;
    while block_start < end {
        let block_end = (block_start + BLOCK).min(end);
        let from = start.max(block_start);
        let mut block_spans = Vec::new();
        let mut pos = from;
        while pos < block_end {
            // Skip an erased run if it is long enough.
            if skip_erased {
                let run = image[pos..block_end]
                    .chunks_exact(4)
                    .take_while(|w| w.iter().all(|&b| b == 0xFF))
                    .count()
                    * 4;
                if run >= SKIP_RUN {
                    pos += run;
                    continue;
                }
            }
            // Take data up to MAX_DATA, stopping before the next erased run worth skipping.
            let mut len = 0;
            let mut erased = 0;
            while pos + len < block_end && len < MAX_DATA {
                let word = &image[pos + len..pos + len + 4];
                if skip_erased && word.iter().all(|&b| b == 0xFF) {
                    erased += 4;
                    if erased >= SKIP_RUN {
                        len -= erased - 4;
                        break;
                    }
                } else {
                    erased = 0;
                }
                len += 4;
            }
            block_spans.push(Span {
                flash_offset: pos,
                len,
            });
            pos += len;
        }
        // A block with nothing to send still needs its marker: RedBoot only learns that a
        // block was skipped by seeing address 0 again.
        if block_spans
            .first()
            .is_none_or(|first| first.block_address() != 0)
        {
            spans.push(Span {
                flash_offset: block_start,
                len: 0,
            });
        }
        spans.extend(block_spans);
        block_start += BLOCK;
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_splits_the_address() {
        let data = [1, 2, 3, 4];
        let wire = encode(Command::UpgradeData, 0xBEEF, 0xABCDE, &data);
        assert_eq!(&wire[..10], &[2, 0, 0xEF, 0xBE, 0x0E, 0, 0xCD, 0xAB, 4, 0]);
        let p = decode(&wire).unwrap();
        assert_eq!(
            (p.kind, p.sequence, p.address, p.length),
            (2, 0xBEEF, 0xABCDE, 4)
        );
        assert_eq!(p.data, &data);
        // Requests leave room for the reply.
        assert_eq!(encode(Command::Reboot, 1, 0, &[]).len(), 12);
        assert_eq!(encode(Command::HardwareInfo, 1, 0, &[]).len(), 66);
    }

    #[test]
    fn plan_marks_blocks_skips_erased_runs_and_covers_everything_else() {
        let mut image = vec![0xFFu8; 0x30_0000];
        image[0x6_0000..0x6_1000].fill(0x11);
        image[0x6_1000 + 20..0x6_1000 + 40].fill(0x22); // short gap of 20 0xFF: sent
        image[0x10_0100..0x10_0200].fill(0x33); // second block: marker needed
        image[0x20_0000..0x20_0010].fill(0x44); // third block starts at address 0
        let spans = plan(&image, 0x6_0000, true);
        assert_eq!(
            spans[0],
            Span {
                flash_offset: 0,
                len: 0
            }
        );
        assert!(
            spans
                .iter()
                .all(|s| s.len <= MAX_DATA && s.flash_offset % 4 == 0 && s.len % 4 == 0)
        );
        // Every non-0xFF byte from 0x60000 on is covered by exactly one span.
        let mut covered = vec![false; image.len()];
        for s in &spans {
            for c in &mut covered[s.flash_offset..s.flash_offset + s.len] {
                assert!(!*c);
                *c = true;
            }
        }
        for (i, &b) in image.iter().enumerate().skip(0x6_0000) {
            assert!(b == 0xFF || covered[i], "byte {i:#x} not sent");
        }
        assert!(
            covered[0x6_1000..0x6_1000 + 20].iter().all(|&c| c),
            "short gap sent"
        );
        // Markers: block 0 (data starts at 0x60000) and block 1 (data at 0x100100); block 2
        // starts with data at address 0.
        let markers: Vec<_> = spans.iter().filter(|s| s.len == 0).collect();
        assert_eq!(markers.len(), 2, "{markers:?}");
        // Every block gets exactly one packet at address 0, even one with nothing to send.
        let mut sparse = vec![0xFFu8; 0x40_0000];
        sparse[0x30_0010] = 0;
        let sparse_spans = plan(&sparse, 0x6_0000, true);
        let at_zero: Vec<usize> = sparse_spans
            .iter()
            .filter(|s| s.block_address() == 0)
            .map(|s| s.flash_offset)
            .collect();
        assert_eq!(at_zero, vec![0, 0x10_0000, 0x20_0000, 0x30_0000]);
        assert!(
            spans
                .iter()
                .any(|s| s.flash_offset == 0x20_0000 && s.len > 0)
        );
        // Without skipping, everything from the start is covered.
        let full = plan(&image, 0x6_0000, false);
        let sent: usize = full.iter().map(|s| s.len).sum();
        assert_eq!(sent, image.len() - 0x6_0000);
    }

    #[test]
    fn hardware_info_round_trip() {
        let mut id = [0u8; 32];
        id[..6].copy_from_slice(&[0x04, 0x70, 0x31, 0x95, 0x58, 0x10]);
        let info = HardwareInfo {
            ver_control: 1,
            down_control: 2,
            hardware_id: id,
            hardware_version: 3,
            product_id: 1,
            product_id_mask: 0xFFFF,
            protocol_id: 0,
            protocol_id_mask: 0xFFFF,
            function_id: 3,
            function_id_mask: 0xFFFF,
            firmware_version: 0x2329,
            cseg: 0,
            csize: 0,
        };
        let parsed = HardwareInfo::parse(&info.to_bytes()).unwrap();
        assert_eq!(parsed, info);
        assert_eq!(parsed.model(), Some("Linksys NSLU2"));
        assert!(parsed.to_string().contains("R23V29"));
        assert!(HardwareInfo::parse(&[0; 55]).is_none());
    }
}
