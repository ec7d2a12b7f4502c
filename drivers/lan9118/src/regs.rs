//! The registers the driver touches, as [`hil::mmio::RegDef`]s typed by their bit-field sets.
//! The offsets come from [`Lan9118Registers`] (`offset_of!`), the single source of the layout.

use core::mem::offset_of;

use hil::mmio::RegDef;

use super::registers::{self as r, Lan9118Registers};

macro_rules! reg_defs {
($($(#[$doc:meta])* $name:ident: $fields:ty = $field:ident;)*) => {
    $(
        $(#[$doc])*
        pub const $name: RegDef<$fields> = RegDef::at(offset_of!(Lan9118Registers, $field));
    )*
};
}

reg_defs! {
    RX_DATA_FIFO: () = rx_data_fifo;
    TX_DATA_FIFO: () = tx_data_fifo;
    RX_STATUS_FIFO: r::RX_STATUS::Register = rx_status_fifo;
    TX_STATUS_FIFO: r::TX_STATUS::Register = tx_status_fifo;
    ID_REV: r::ID_REV::Register = id_rev;
    IRQ_CFG: r::IRQ_CFG::Register = irq_cfg;
    INT_STS: r::INT::Register = int_sts;
    INT_EN: r::INT::Register = int_en;
    BYTE_TEST: () = byte_test;
    FIFO_INT: r::FIFO_INT::Register = fifo_int;
    RX_CFG: r::RX_CFG::Register = rx_cfg;
    TX_CFG: r::TX_CFG::Register = tx_cfg;
    HW_CFG: r::HW_CFG::Register = hw_cfg;
    RX_DP_CTRL: r::RX_DP_CTRL::Register = rx_dp_ctrl;
    RX_FIFO_INF: r::RX_FIFO_INF::Register = rx_fifo_inf;
    TX_FIFO_INF: r::TX_FIFO_INF::Register = tx_fifo_inf;
    PMT_CTRL: r::PMT_CTRL::Register = pmt_ctrl;
    RX_DROP: () = rx_drop;
    MAC_CSR_CMD: r::MAC_CSR_CMD::Register = mac_csr_cmd;
    MAC_CSR_DATA: () = mac_csr_data;
}
