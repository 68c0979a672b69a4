#![no_main]
//! Fuzz target `bluepay_response`: see `paybridge_fuzz_harness::bluepay_response` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::bluepay_response(data));
