//! The command line as a new user meets it: every command's help names every provider this
//! build has (written from the registry, so it cannot go stale), shell completions, one
//! provider's broken section stopping only that provider, `reconcile` refusing another
//! provider's store, and — on a terminal — `batch` keeping stdout for JSON lines while stderr
//! shows the bar and ends with a summary table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig, SandboxHandle};

use common::{BIN, json_lines, run, temp};

/// The subcommands a command's `--help` lists (without `help` itself).
fn subcommands(path: &[String]) -> Vec<String> {
    let output = Command::new(BIN).args(path).arg("--help").output().unwrap();
    assert!(output.status.success(), "{path:?} --help failed");
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command path, the root first.
fn every_command() -> Vec<Vec<String>> {
    let mut all = vec![Vec::new()];
    let mut i = 0;
    while let Some(path) = all.get(i).cloned() {
        for sub in subcommands(&path) {
            let mut child = path.clone();
            child.push(sub);
            all.push(child);
        }
        i += 1;
    }
    all
}

#[test]
fn every_commands_help_names_every_registered_provider() {
    let providers: Vec<&str> = paybridge::supported_providers()
        .map(ProviderId::name)
        .collect();
    assert_eq!(providers.len(), 5, "the CLI builds with every provider");
    let commands = every_command();
    for leaf in [
        "demo",
        "sandbox",
        "refund",
        "refund-status",
        "batch",
        "reconcile",
        "canonicalize",
        "sign",
        "completions",
        "create",
        "status",
        "close",
        "download",
        "verify",
    ] {
        assert!(
            commands
                .iter()
                .any(|c| c.last().map(String::as_str) == Some(leaf)),
            "{leaf} is not among the commands the help lists: {commands:?}"
        );
    }
    for path in &commands {
        for flag in ["-h", "--help"] {
            let output = Command::new(BIN).args(path).arg(flag).output().unwrap();
            assert!(output.status.success());
            let text = String::from_utf8(output.stdout).unwrap();
            for provider in &providers {
                assert!(
                    text.contains(provider),
                    "`paybridge {} {flag}` does not name {provider}:\n{text}",
                    path.join(" ")
                );
            }
        }
    }
}

#[test]
fn the_identifier_help_says_what_each_provider_calls_each_identifier() {
    let output = Command::new(BIN)
        .args(["refund", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    for profile in paybridge::profiles() {
        for meaning in [profile.payment, profile.order_ref, profile.total] {
            assert!(
                text.contains(meaning),
                "refund --help lacks {}'s {meaning:?}",
                profile.provider
            );
        }
    }
    // What once was wrong: --total and --order-ref "for nomad only".
    assert!(!text.contains("(nomad)"), "{text}");
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef paybridge"),
        ("fish", "complete -c paybridge"),
    ] {
        let output = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script:.200}");
        assert!(script.contains("refund-status"), "{shell}");
    }
    let output = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

async fn sandbox() -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn with_config(config: &Path, words: &[&str]) -> Vec<String> {
    let mut all = vec!["--config".to_owned(), config.display().to_string()];
    all.extend(words.iter().map(|w| (*w).to_owned()));
    all
}

/// A CSV of `rows` refunds of 25.00 THB against fresh BluePay payments of 100.00.
fn bluepay_csv(sb: &SandboxHandle, dir: &Path, rows: usize) -> PathBuf {
    let mut csv = String::from("refund_id,amount,currency,payment\n");
    for i in 0..rows {
        let p = sb
            .create_payment(ProviderId::BluePay, 10_000, paybridge::Currency::Thb)
            .unwrap();
        csv.push_str(&format!("fd-{i},25.00,THB,{}\n", p.payment));
    }
    let path = dir.join("refunds.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_section_stops_only_its_own_provider_and_names_it() {
    let sb = sandbox().await;
    let dir = temp("front-door-broken");
    let config = dir.join("paybridge.toml");
    sb.write_config(&config).unwrap();
    // Nomad's key now comes from a variable nobody set.
    let text = std::fs::read_to_string(&config).unwrap();
    let mut broken = String::new();
    let mut section = String::new();
    for line in text.lines() {
        if line.starts_with('[') {
            section = line.to_owned();
        }
        if section == "[nomad]" && line.starts_with("api_key_file") {
            broken.push_str("api_key_env = \"PAYBRIDGE_TEST_UNSET_VARIABLE\"\n");
        } else {
            broken.push_str(line);
            broken.push('\n');
        }
    }
    assert_ne!(
        broken, text,
        "the sandbox's config has a [nomad] api_key_file"
    );
    std::fs::write(&config, broken).unwrap();

    let payment = sb
        .create_payment(ProviderId::BluePay, 10_000, paybridge::Currency::Thb)
        .unwrap();
    let bluepay = run(
        with_config(
            &config,
            &[
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &payment.payment,
                "--refund-id",
                "fd-broken-1",
                "--amount",
                "10.00",
                "--currency",
                "THB",
            ],
        ),
        None,
    )
    .await;
    assert!(
        bluepay.status.success(),
        "bluepay refused because nomad's section is broken: {}",
        String::from_utf8_lossy(&bluepay.stderr)
    );
    assert_eq!(json_lines(&bluepay)[0]["refund_id"], "fd-broken-1");
    let requests = sb.stats().requests;

    let nomad = run(
        with_config(
            &config,
            &[
                "refund",
                "--provider",
                "nomad",
                "--order-ref",
                "o-1",
                "--total",
                "1.00",
                "--refund-id",
                "fd-broken-2",
                "--amount",
                "1.00",
                "--currency",
                "CNY",
            ],
        ),
        None,
    )
    .await;
    assert_eq!(nomad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&nomad.stderr);
    assert!(
        stderr.contains("[nomad]") && stderr.contains("PAYBRIDGE_TEST_UNSET_VARIABLE"),
        "{stderr}"
    );
    assert_eq!(sb.stats().requests, requests, "nothing went to nomad");
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_refuses_a_store_of_another_provider() {
    let sb = sandbox().await;
    let dir = temp("front-door-other-store");
    let config = dir.join("paybridge.toml");
    sb.write_config(&config).unwrap();
    let csv = bluepay_csv(&sb, &dir, 2);
    let journal = dir.join("refunds.csv.journal");
    let batch = run(
        with_config(
            &config,
            &["batch", &csv.display().to_string(), "--provider", "bluepay"],
        ),
        None,
    )
    .await;
    assert!(batch.status.success(), "{batch:?}");
    let requests = sb.stats().requests;
    let reconcile = run(
        with_config(
            &config,
            &[
                "reconcile",
                "--provider",
                "wechatpay",
                "--journal",
                &journal.display().to_string(),
            ],
        ),
        None,
    )
    .await;
    assert_eq!(reconcile.status.code(), Some(2), "{reconcile:?}");
    let stderr = String::from_utf8_lossy(&reconcile.stderr);
    assert!(
        stderr.contains("holds refunds of bluepay, none of wechatpay"),
        "{stderr}"
    );
    let lines = json_lines(&reconcile);
    assert_eq!(
        lines.len(),
        1,
        "only the error, no all-zero summary: {lines:?}"
    );
    assert!(lines[0].get("summary").is_none());
    assert_eq!(sb.stats().requests, requests, "nothing was sent");
}

/// Runs `command` (a shell line) on a pseudo-terminal with `script`, returning what the terminal
/// showed.
fn on_a_terminal(command: &str) -> (Option<i32>, String) {
    let output = Command::new("script")
        .args(["-q", "-e", "-c", command, "/dev/null"])
        .env("RUST_LOG", "off")
        .env_remove("PAYBRIDGE_CONFIG")
        .output()
        .expect("`script` (util-linux) runs the batch on a terminal");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_batch_keeps_stdout_for_json_and_ends_with_a_summary_table() {
    let sb = sandbox().await;
    let dir = temp("front-door-terminal");
    let config = dir.join("paybridge.toml");
    sb.write_config(&config).unwrap();
    let csv = bluepay_csv(&sb, &dir, 40);
    let out = dir.join("out.jsonl");
    let line = format!(
        "{BIN} --config {} batch {} --provider bluepay --concurrency 4 > {}",
        config.display(),
        csv.display(),
        out.display()
    );
    let (code, terminal) = tokio::task::spawn_blocking(move || on_a_terminal(&line))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{terminal}");
    let stdout = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 41, "40 rows and the summary:\n{stdout}");
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stdout holds a line that is not JSON ({e}): {line:?}"));
        assert!(value.is_object());
    }
    assert!(!stdout.contains('\u{1b}'), "no terminal codes on stdout");
    // The terminal saw the summary table, with the time and rate.
    assert!(terminal.contains("batch "), "{terminal}");
    assert!(terminal.contains("  succeeded  40"), "{terminal}");
    assert!(terminal.contains("40 refunds in "), "{terminal}");
    assert!(terminal.contains("all settled"), "{terminal}");
}
