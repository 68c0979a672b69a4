#![no_main]
//! Fuzz target `wechatpay_notification`: see `paybridge_fuzz_harness::wechatpay_notification` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::wechatpay_notification(data));
