//! `cargo xtask fuzz [--seconds N] [--sanitizer address|none] [TARGET…]`: runs each cargo-fuzz
//! target for N seconds — on stable with `-s none`, or with a sanitizer under
//! `RUSTC_BOOTSTRAP=1` — and fails on any crash. New inputs go to a scratch corpus; the committed
//! seeds in `fuzz/corpus/<target>` are read, never rewritten.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.join("fuzz"))
        .unwrap_or_default()
}

fn targets() -> Result<Vec<String>, String> {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok()?.path().file_stem()?.to_str().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    eprintln!("==> installing cargo-fuzz");
    crate::cargo(
        "install cargo-fuzz",
        &["install", "cargo-fuzz", "--locked"],
        &[],
    )
}

/// `Done N runs in S second(s)` from libFuzzer's output.
fn executions(log: &str) -> Option<u64> {
    log.lines().rev().find_map(|line| {
        line.strip_prefix("Done ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut seconds = 60u64;
    let mut sanitizer = "none".to_owned();
    let mut chosen = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds takes a number")?
            }
            "--sanitizer" => sanitizer = it.next().cloned().ok_or("--sanitizer takes a name")?,
            name => chosen.push(name.to_owned()),
        }
    }
    let all = targets()?;
    for name in &chosen {
        if !all.contains(name) {
            return Err(format!(
                "no fuzz target {name:?} (targets: {})",
                all.join(", ")
            ));
        }
    }
    let chosen = if chosen.is_empty() { all } else { chosen };
    ensure_cargo_fuzz()?;
    let scratch = std::env::temp_dir().join("paybridge-fuzz-corpus");
    let mut results = Vec::new();
    for target in &chosen {
        let work = scratch.join(target);
        std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
        eprintln!("\n==> fuzz {target} for {seconds} s (sanitizer: {sanitizer})");
        let mut command = Command::new("cargo");
        command
            .current_dir(fuzz_dir())
            .args(["fuzz", "run", target.as_str()])
            .arg(&work)
            .arg(Path::new("corpus").join(target))
            .args([
                "-s",
                sanitizer.as_str(),
                "--",
                &format!("-max_total_time={seconds}"),
                "-print_final_stats=1",
            ]);
        if sanitizer != "none" {
            // Sanitizers need unstable rustc flags; allowed on a stable toolchain this way.
            command.env("RUSTC_BOOTSTRAP", "1");
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!("fuzz target {target} failed:\n{}", tail.join("\n")));
        }
        results.push((target.clone(), executions(&log)));
    }
    println!("\n| target | seconds | executions |");
    println!("|---|---|---|");
    for (target, runs) in results {
        println!(
            "| {target} | {seconds} | {} |",
            runs.map_or_else(|| "?".to_owned(), |n| n.to_string())
        );
    }
    Ok(())
}
