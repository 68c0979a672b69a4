#![no_main]
//! Fuzz target `nomad_response`: see `paybridge_fuzz_harness::nomad_response` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::nomad_response(data));
