#![no_main]
//! Fuzz target `canonicalize`: see `paybridge_fuzz_harness::canonicalize` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::canonicalize(data));
