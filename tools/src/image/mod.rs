//! Vendor boot-image formats: one module per format, pure functions over bytes.
//!
//! Parsers never panic on malformed input; every failure is a [`ParseError`] that names the
//! structure and the byte offset where the problem was found.

pub mod kwbimage;
pub mod nslu2;
pub mod uimage;

mod bytes;

pub use bytes::ParseError;
