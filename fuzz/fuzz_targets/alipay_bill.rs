#![no_main]
//! Fuzz target `alipay_bill`: see `paybridge_fuzz_harness::alipay_bill` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::alipay_bill(data));
