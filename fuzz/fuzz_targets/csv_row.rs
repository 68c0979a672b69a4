#![no_main]
//! Fuzz target `csv_row`: see `paybridge_fuzz_harness::csv_row` for what it asserts.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paybridge_fuzz_harness::csv_row(data));
