//! Replays every file of every fuzz corpus through its target on stable Rust, so a crash once
//! found (and its input kept in the corpus) stays fixed — no fuzzer needed.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut replayed = 0;
    for (name, target) in paybridge_fuzz_harness::TARGETS {
        let dir = corpus.join(name);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut count = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(
                outcome.is_ok(),
                "{name}: {} fails its target",
                path.display()
            );
            count += 1;
        }
        assert!(count > 0, "{name} has no seed corpus");
        replayed += count;
    }
    eprintln!("replayed {replayed} corpus files");
}
