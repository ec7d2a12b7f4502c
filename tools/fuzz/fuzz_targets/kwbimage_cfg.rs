//! Fuzz target: see `bareproxy_tool::fuzz_support::check_kwbimage_cfg` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bareproxy_tool::fuzz_support::check_kwbimage_cfg(data);
});
