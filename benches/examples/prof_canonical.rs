//! Runs the 4k canonicalization in a loop, for profilers.
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stdout)]
fn main() {
    let doc = paybridge_benches::document_of_size(4096);
    let mut total = 0usize;
    for _ in 0..200_000 {
        total += paybridge_sign::canonical::to_vec(std::hint::black_box(&doc))
            .unwrap()
            .len();
    }
    println!("{total}");
}
