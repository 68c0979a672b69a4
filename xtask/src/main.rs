//! `cargo xtask` — the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask ci`: what `.ci/run` runs — `lint` then the README's test command.
//! - `cargo xtask lint`: fmt, clippy `-D warnings`, docs with `-D warnings` (with and without
//!   every feature), `cargo package` of every publishable crate, and each crypto backend built
//!   alone.
//! - `cargo xtask fuzz [--seconds N] [--sanitizer address] [TARGET…]`: each fuzz target for N
//!   seconds (stable, `-s none`, unless a sanitizer is asked for); fails on any crash.
//! - `cargo xtask soak [--refunds N] [--fault-rate R] [--seed S]`: refunds through the reliable
//!   refund against a faulty sandbox, checked against its ledger; one line of results.
//! - `cargo xtask bench [FILTER]`: runs the criterion benchmarks and prints every goal ratio
//!   from the issues as a table with pass/fail (exit 1 if any fails).
#![forbid(unsafe_code)]
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool reports on its streams"
)]
#![allow(
    clippy::float_arithmetic,
    reason = "benchmark ratios are statistics, not money"
)]

mod bench;
mod fuzz;

use std::process::{Command, ExitCode};

/// The README's test command, run verbatim by `ci`.
pub(crate) const TEST_COMMAND: &[&str] = &["test", "--workspace", "--all-features"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => lint().and_then(|()| cargo("tests", TEST_COMMAND, &[])),
        Some("lint") => lint(),
        Some("bench") => bench::run(args.get(1).map(String::as_str)),
        Some("fuzz") => fuzz::run(args.get(1..).unwrap_or_default()),
        Some("soak") => {
            // The soak lives in its own crate so xtask stays light; this runs it optimized.
            let mut run = vec!["run", "--release", "--quiet", "-p", "paybridge-soak", "--"];
            run.extend(args.get(1..).unwrap_or_default().iter().map(String::as_str));
            cargo("soak", &run, &[])
        }
        _ => {
            eprintln!(
                "usage: cargo xtask ci | lint | bench [FILTER] | fuzz [--seconds N] [--sanitizer NAME] [TARGET…]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `cargo` with `args` (and `env`), failing with the step's name if it fails.
pub(crate) fn cargo(step: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("\n==> {step}: cargo {}", args.join(" "));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("{step}: could not run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

/// The crates that are never published (`publish = false`): automation, benchmarks, the soak and
/// the fuzz harness.
const INTERNAL_CRATES: [&str; 4] = [
    "xtask",
    "paybridge-benches",
    "paybridge-soak",
    "paybridge-fuzz-harness",
];

/// The provider crates: each builds, and is depended on, alone.
const PROVIDER_CRATES: [&str; 5] = [
    "paybridge-bluepay",
    "paybridge-nomad",
    "paybridge-scanforpay",
    "paybridge-wechatpay",
    "paybridge-alipay",
];

/// Removes the entries of `dir` whose names start with `prefix` (`""`: `dir` itself), if any.
fn remove_ours(dir: &std::path::Path, prefix: &str) -> Result<(), String> {
    let fail =
        |path: &std::path::Path, e: std::io::Error| format!("cannot clear {}: {e}", path.display());
    if prefix.is_empty() {
        return match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fail(dir, e)),
            _ => Ok(()),
        };
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let path = entry.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|e| fail(&path, e))?;
        }
    }
    Ok(())
}

/// `cargo tree` of normal dependencies, one crate per line (`name vX.Y.Z …`).
fn cargo_tree(args: &[&str]) -> Result<String, String> {
    let output = Command::new(env!("CARGO"))
        .arg("tree")
        .args(args)
        .args(["-e", "normal", "--prefix", "none"])
        .output()
        .map_err(|e| format!("cargo tree {}: {e}", args.join(" ")))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn lint() -> Result<(), String> {
    cargo("format", &["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        "clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // The documentation is read both ways: docs.rs builds with every feature, a merchant's
    // `cargo doc` with the defaults; neither may warn (a broken link is a warning).
    cargo(
        "docs (all features)",
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    cargo(
        "docs (default features)",
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    // Every publishable crate packages and builds from its package alone, in dependency order
    // (cargo resolves the workspace's own crates from the packages it just made).
    // Cargo verifies each package against the packages it just made of the others, as if
    // from a registry — and a registry crate is immutable per version to cargo: it reuses the
    // copy it extracted last time (under $CARGO_HOME/registry/src/-<hash>/) and what it
    // compiled of it (in the target directory), so yesterday's paybridge-core 0.1.0 would
    // stand in for today's. Verify in a target directory of its own, cleared of our crates,
    // after removing our crates' extractions (nothing else's).
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        std::path::PathBuf::from,
    );
    let verify_target = target.join("package-verify");
    remove_ours(&target.join("package"), "")?;
    for dir in ["debug/.fingerprint", "debug/deps", "debug/build"] {
        remove_ours(&verify_target.join(dir), "paybridge")?;
        remove_ours(&verify_target.join(dir), "libpaybridge")?;
    }
    let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(
        || std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        std::path::PathBuf::from,
    );
    if let Ok(registries) = std::fs::read_dir(cargo_home.join("registry/src")) {
        // Local overlay registries are named "-<hash>"; crates.io's is not.
        for registry in registries.flatten() {
            if registry.file_name().to_string_lossy().starts_with('-') {
                remove_ours(&registry.path(), "paybridge")?;
            }
        }
    }
    let mut package = vec!["package", "--workspace", "--allow-dirty"];
    for internal in INTERNAL_CRATES {
        package.extend(["--exclude", internal]);
    }
    let verify_target = verify_target.display().to_string();
    cargo(
        "package (every publishable crate)",
        &package,
        &[("CARGO_TARGET_DIR", verify_target.as_str())],
    )?;
    // Each crypto backend alone must build: nothing may lean on the other being there.
    for package in ["paybridge-sign", "paybridge-transport"] {
        for backend in ["ring", "aws-lc-rs"] {
            cargo(
                &format!("{package} with {backend} only"),
                &[
                    "check",
                    "-p",
                    package,
                    "--no-default-features",
                    "--features",
                    backend,
                ],
                &[],
            )?;
        }
    }
    // The facade with one provider at a time: a merchant using one provider builds, lints and
    // passes the facade's tests without the others. Each run names its crypto backend, as a
    // merchant who turns the defaults off does; BluePay's runs on ring alone, the others on
    // aws-lc-rs alone, so both backends are built and tested without the other.
    for feature in PROVIDER_CRATES.map(|c| c.trim_start_matches("paybridge-")) {
        let backend = if feature == "bluepay" {
            "ring"
        } else {
            "aws-lc-rs"
        };
        let features = format!("{feature},{backend}");
        let alone = ["--no-default-features", "--features", features.as_str()];
        cargo(
            &format!("facade with {feature} only, on {backend}"),
            &[
                &["clippy", "-p", "paybridge", "--all-targets"][..],
                &alone,
                &["--", "-D", "warnings"],
            ]
            .concat(),
            &[],
        )?;
        cargo(
            &format!("facade tests with {feature} only, on {backend}"),
            &[&["test", "-p", "paybridge"][..], &alone].concat(),
            &[],
        )?;
    }
    // Choosing ring is one line, and then no aws-lc (and no C toolchain for it) is built.
    let ring_only = cargo_tree(&[
        "-p",
        "paybridge",
        "--no-default-features",
        "--features",
        "ring,bluepay,nomad,scanforpay,wechatpay,alipay,axum,batch",
    ])?;
    if ring_only.lines().any(|l| l.starts_with("aws-lc-")) {
        return Err("the facade with `ring` and no default features still builds aws-lc".into());
    }
    eprintln!("==> the facade on ring alone builds no aws-lc");
    // Each provider crate stands alone: a merchant who depends on one gets no other.
    for krate in PROVIDER_CRATES {
        let tree = cargo_tree(&["-p", krate])?;
        if let Some(other) = PROVIDER_CRATES.iter().find(|other| {
            **other != krate && tree.lines().any(|l| l.starts_with(&format!("{other} ")))
        }) {
            return Err(format!(
                "{krate} depends on {other}: provider crates must stand alone"
            ));
        }
        eprintln!("==> {krate} stands alone (cargo tree shows no other provider)");
    }
    eprintln!("\nxtask lint: all checks passed");
    Ok(())
}
