#![no_main]
//! Fuzz target `verified_views`: see `paybridge_fuzz_harness::verified_views` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::verified_views(data));
