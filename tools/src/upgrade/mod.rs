//! Re-flashing a Linksys NSLU2 through RedBoot's network "upgrade mode" (what upslug2 does).
//!
//! In upgrade mode (hold reset while powering on, status LED alternating red/green; or
//! automatically when the flash holds no valid image) RedBoot answers raw Ethernet frames of
//! ethertype 0x8888: hardware info, start, data, verify, reboot. It keeps its own 256 KiB and
//! the 128 KiB SysConf and re-writes everything from 0x60000 on. Facts and sources: reference
//! notes ixp4xx-nslu2.md §4 (upslug2 `nslu2_protocol.h`/`nslu2_upgrade.cc`, RedBoot
//! `upgrade.c`).
//!
//! * [`protocol`] — frame layout, HardwareInfo, the packet plan (1 MiB block markers, skipping
//!   erased runs).
//! * [`raw`] — the `AF_PACKET` socket (needs root / CAP_NET_RAW).
//! * [`session`] — discovery and the upgrade conversation, over any [`session::Transport`].

pub mod protocol;
pub mod raw;
pub mod session;

pub use raw::{Mac, RawSocket, format_mac, parse_mac};
pub use session::{Found, Progress, Session, Timing, UpgradeError, discover};
