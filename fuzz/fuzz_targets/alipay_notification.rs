#![no_main]
//! Fuzz target `alipay_notification`: see `paybridge_fuzz_harness::alipay_notification` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::alipay_notification(data));
