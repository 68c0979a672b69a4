#![no_main]
//! Fuzz target `alipay_response`: see `paybridge_fuzz_harness::alipay_response` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::alipay_response(data));
