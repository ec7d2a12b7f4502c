//! [`SmoltcpDevice`]: any [`Nic`] as a smoltcp 0.14 `phy::Device`.
//!
//! # Why there is a staging buffer
//! smoltcp's `Device::receive` returns an RX token *and* a TX token, and consumes the TX token
//! *inside* the RX token's closure (an ARP reply, an ICMP echo reply, a TCP RST is built while the
//! received frame is still borrowed; see `Interface::poll_ingress_single`). A [`Nic`] lends its
//! receive buffer only for the duration of [`Nic::receive`], and cannot lend a transmit buffer at
//! the same time. So the TX token of a receive pair writes its frame into a small staging buffer
//! owned by the adapter, and the adapter hands it to the NIC as soon as the receive closure has
//! returned. Frames from `Device::transmit` (all ordinary socket egress) go straight into the
//! NIC's buffer, zero copy.
//!
//! The borrows are split by field: the RX token holds `&mut` to the NIC, both tokens share
//! `&RefCell` to the staging buffer. No raw pointers, no aliasing.
//!
//! A staged frame that the NIC cannot take yet (TX full) stays staged; while it is pending the
//! adapter hands out no tokens, which back-pressures the stack instead of dropping the reply.

use core::cell::RefCell;

use smoltcp::phy::{self, Checksum, ChecksumCapabilities, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use crate::{Capabilities, Nic, Offload, TxError};

/// Default size of the staging buffer: a standard Ethernet frame without FCS.
pub const DEFAULT_STAGING_LEN: usize = 1514;

/// Adapter from a [`Nic`] to smoltcp's [`phy::Device`].
///
/// `STAGING` bounds the frames smoltcp may build (the adapter advertises
/// `min(nic max_frame_len, STAGING)` as MTU); raise it for jumbo-frame NICs.
pub struct SmoltcpDevice<N: Nic, const STAGING: usize = DEFAULT_STAGING_LEN> {
    nic: N,
    staged: RefCell<StagedFrame<STAGING>>,
    replies_lost: u64,
}

/// One frame built by smoltcp that the NIC has not taken yet.
struct StagedFrame<const STAGING: usize> {
    buf: [u8; STAGING],
    /// 0 when empty.
    len: usize,
    /// Frames that went through staging since construction.
    total: u64,
}

impl<N: Nic, const STAGING: usize> SmoltcpDevice<N, STAGING> {
    /// Wraps `nic`.
    pub fn new(nic: N) -> Self {
        SmoltcpDevice {
            nic,
            staged: RefCell::new(StagedFrame {
                buf: [0; STAGING],
                len: 0,
                total: 0,
            }),
            replies_lost: 0,
        }
    }

    /// The wrapped NIC, e.g. for [`Nic::on_interrupt`] or [`Nic::stats`].
    pub fn nic(&self) -> &N {
        &self.nic
    }

    /// The wrapped NIC, mutably.
    pub fn nic_mut(&mut self) -> &mut N {
        &mut self.nic
    }

    /// Unwraps the NIC. A still-staged frame is discarded.
    pub fn into_inner(self) -> N {
        self.nic
    }

    /// Frames smoltcp built that the NIC refused as invalid (cannot happen with a NIC that honours
    /// its own `max_frame_len`; kept as evidence if it does).
    pub fn replies_lost(&self) -> u64 {
        self.replies_lost
    }

    /// Frames that were built in the staging buffer rather than in the NIC (replies built while
    /// a received frame was borrowed, or frames the NIC refused despite `tx_ready`).
    pub fn frames_staged(&self) -> u64 {
        self.staged.borrow().total
    }

    /// Whether a staged frame still waits for room in the NIC.
    pub fn has_staged_frame(&self) -> bool {
        self.staged.borrow().len != 0
    }

    /// Tries to hand the staged frame, if any, to the NIC. Returns whether staging is now empty.
    fn flush_staged(&mut self) -> bool {
        flush(&mut self.nic, &self.staged, &mut self.replies_lost)
    }
}

/// Moves a staged frame into the NIC. Returns `true` when nothing is left staged.
fn flush<N: Nic, const STAGING: usize>(
    nic: &mut N,
    staged: &RefCell<StagedFrame<STAGING>>,
    lost: &mut u64,
) -> bool {
    let mut staged = staged.borrow_mut();
    let len = staged.len;
    if len == 0 {
        return true;
    }
    let frame = &staged.buf[..len];
    match nic.transmit(len, |buf| buf.copy_from_slice(frame)) {
        Ok(()) => {
            staged.len = 0;
            true
        }
        Err(TxError::WouldBlock) => false,
        Err(TxError::InvalidLength) => {
            *lost = lost.wrapping_add(1);
            staged.len = 0;
            true
        }
    }
}

/// Translates "what the hardware does" into smoltcp's "what smoltcp must still do".
fn smoltcp_checksum(offload: Offload) -> Checksum {
    match offload {
        Offload::None => Checksum::Both,
        Offload::Rx => Checksum::Tx,
        Offload::Tx => Checksum::Rx,
        Offload::Both => Checksum::None,
    }
}

/// smoltcp's view of a NIC's capabilities, with the MTU capped to what the adapter can stage.
pub fn device_capabilities(caps: &Capabilities, staging_len: usize) -> DeviceCapabilities {
    let mut checksum = ChecksumCapabilities::default();
    checksum.ipv4 = smoltcp_checksum(caps.checksum.ipv4);
    checksum.tcp = smoltcp_checksum(caps.checksum.tcp);
    checksum.udp = smoltcp_checksum(caps.checksum.udp);
    checksum.icmpv4 = smoltcp_checksum(caps.checksum.icmpv4);
    checksum.icmpv6 = smoltcp_checksum(caps.checksum.icmpv6);
    let mut dev = DeviceCapabilities::default();
    dev.medium = Medium::Ethernet;
    dev.max_transmission_unit = caps.max_frame_len.min(staging_len);
    dev.max_burst_size = caps.max_burst;
    dev.checksum = checksum;
    dev
}

impl<N: Nic, const STAGING: usize> phy::Device for SmoltcpDevice<N, STAGING> {
    type RxToken<'a>
        = RxToken<'a, N, STAGING>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, N, STAGING>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        if !self.flush_staged() || !self.nic.rx_ready() {
            return None;
        }
        let rx = RxToken {
            nic: &mut self.nic,
            staged: &self.staged,
            lost: &mut self.replies_lost,
        };
        let tx = TxToken {
            nic: None,
            staged: &self.staged,
        };
        Some((rx, tx))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        if !self.flush_staged() || !self.nic.tx_ready() {
            return None;
        }
        Some(TxToken {
            nic: Some(&mut self.nic),
            staged: &self.staged,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        device_capabilities(&self.nic.capabilities(), STAGING)
    }
}

/// Receive half of the token pair `SmoltcpDevice` returns from `Device::receive`.
pub struct RxToken<'a, N: Nic, const STAGING: usize> {
    nic: &'a mut N,
    staged: &'a RefCell<StagedFrame<STAGING>>,
    lost: &'a mut u64,
}

impl<N: Nic, const STAGING: usize> phy::RxToken for RxToken<'_, N, STAGING> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        let mut pending = Some(f);
        let mut result = None;
        self.nic.receive(|frame| {
            if let Some(f) = pending.take() {
                result = Some(f(frame));
            }
        });
        let result = match (result, pending) {
            (Some(result), _) => result,
            // The NIC broke its `rx_ready` promise. smoltcp ignores empty frames.
            (None, Some(f)) => f(&[]),
            (None, None) => unreachable!("the closure either ran and stored a result or did not"),
        };
        // A reply built inside `f` sits in the staging buffer; send it now. If the NIC is full,
        // it stays staged and goes out on the next `receive`/`transmit`.
        flush(self.nic, self.staged, self.lost);
        result
    }
}

/// Transmit token: straight into the NIC when it came from `transmit`, staged when it came with
/// a receive token.
pub struct TxToken<'a, N: Nic, const STAGING: usize> {
    nic: Option<&'a mut N>,
    staged: &'a RefCell<StagedFrame<STAGING>>,
}

impl<N: Nic, const STAGING: usize> phy::TxToken for TxToken<'_, N, STAGING> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut pending = Some(f);
        if let Some(nic) = self.nic {
            let mut result = None;
            // On `Err` the NIC did not call the closure and `pending` still holds `f`.
            let _ = nic.transmit(len, |buf| {
                if let Some(f) = pending.take() {
                    result = Some(f(buf));
                }
            });
            if let Some(result) = result {
                return result;
            }
        }
        let Some(f) = pending else {
            unreachable!("`f` ran, so its result was returned above");
        };
        // Either this token belongs to a receive pair, or the NIC refused despite `tx_ready`.
        // Build the frame in the staging buffer; `flush` sends it as soon as the NIC has room.
        // smoltcp never builds a frame above the advertised MTU, which is at most `STAGING`.
        let mut staged = self.staged.borrow_mut();
        let len = len.min(STAGING);
        let result = f(&mut staged.buf[..len]);
        staged.len = len;
        staged.total = staged.total.wrapping_add(1);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChecksumOffload;

    /// (smoltcp verifies on RX, smoltcp computes on TX)
    fn duties(c: Checksum) -> (bool, bool) {
        (c.rx(), c.tx())
    }

    #[test]
    fn checksum_offload_maps_to_what_smoltcp_must_still_do() {
        assert_eq!(duties(smoltcp_checksum(Offload::None)), (true, true));
        assert_eq!(duties(smoltcp_checksum(Offload::Rx)), (false, true));
        assert_eq!(duties(smoltcp_checksum(Offload::Tx)), (true, false));
        assert_eq!(duties(smoltcp_checksum(Offload::Both)), (false, false));
    }

    #[test]
    fn capabilities_cap_mtu_to_staging_and_keep_burst() {
        let caps = Capabilities {
            max_frame_len: 9014,
            max_burst: Some(6),
            checksum: ChecksumOffload {
                tcp: Offload::Both,
                ..ChecksumOffload::NONE
            },
        };
        let dev = device_capabilities(&caps, 1514);
        assert_eq!(dev.max_transmission_unit, 1514);
        assert_eq!(dev.max_burst_size, Some(6));
        assert_eq!(dev.medium, Medium::Ethernet);
        assert_eq!(duties(dev.checksum.tcp), (false, false));
        assert_eq!(duties(dev.checksum.ipv4), (true, true));
        let dev = device_capabilities(&Capabilities::ETHERNET, 9000);
        assert_eq!(dev.max_transmission_unit, 1514);
    }
}
