#![no_main]
//! Fuzz target `canonicalize_roundtrip`: see `paybridge_fuzz_harness::canonicalize_roundtrip` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::canonicalize_roundtrip(data));
