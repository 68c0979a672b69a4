#![no_main]
//! Fuzz target `scanforpay_response`: see `paybridge_fuzz_harness::scanforpay_response` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::scanforpay_response(data));
