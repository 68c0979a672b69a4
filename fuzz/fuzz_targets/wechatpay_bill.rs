#![no_main]
//! Fuzz target `wechatpay_bill`: see `paybridge_fuzz_harness::wechatpay_bill` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::wechatpay_bill(data));
