//! Runs the 4k canonicalization in a loop, for profilers: `sorted` (a type declared in canonical
//! order), `value` (a `serde_json::Value`), or the refund document as declared.
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stdout)]
fn main() {
    let doc = paybridge_benches::document_of_size(4096);
    let which = std::env::args().nth(1).unwrap_or_default();
    let sorted = paybridge_benches::SortedRefundDocument::from(&doc);
    let value = serde_json::to_value(&doc).unwrap();
    let mut total = 0usize;
    for _ in 0..200_000 {
        let bytes = match which.as_str() {
            "sorted" => paybridge_sign::canonical::to_vec(std::hint::black_box(&sorted)),
            "value" => paybridge_sign::canonical::to_vec(std::hint::black_box(&value)),
            _ => paybridge_sign::canonical::to_vec(std::hint::black_box(&doc)),
        };
        total += bytes.unwrap().len();
    }
    println!("{total}");
}
