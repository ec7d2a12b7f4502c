//! Fuzz target: see `bareproxy_tool::fuzz_support::check_kwbimage` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bareproxy_tool::fuzz_support::check_kwbimage(data);
});
