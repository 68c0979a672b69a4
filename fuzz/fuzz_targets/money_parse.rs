#![no_main]
//! Fuzz target `money_parse`: see `paybridge_fuzz_harness::money_parse` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::money_parse(data));
