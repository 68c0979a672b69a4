#![no_main]
//! Fuzz target `scanforpay_notification`: see `paybridge_fuzz_harness::scanforpay_notification` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::scanforpay_notification(data));
