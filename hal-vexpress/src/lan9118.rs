//! SMSC LAN9118 Ethernet controller.
