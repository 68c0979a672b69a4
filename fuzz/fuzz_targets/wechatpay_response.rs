#![no_main]
//! Fuzz target `wechatpay_response`: see `paybridge_fuzz_harness::wechatpay_response` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::wechatpay_response(data));
