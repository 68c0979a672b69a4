#![no_main]
//! Fuzz target `bluepay_notification`: see `paybridge_fuzz_harness::bluepay_notification` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::bluepay_notification(data));
