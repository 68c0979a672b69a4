#![no_main]
//! Fuzz target `key_pem`: see `paybridge_fuzz_harness::key_pem` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::key_pem(data));
