//! What the durable batch store costs a batch: refunds/s of the same batch through the SQLite
//! store and through the in-memory one, against the in-process sandbox (WeChat Pay, aws-lc-rs
//! on both sides), at concurrency 1, 8 and 32. The two stores run in alternating rounds within
//! one process, so the machine's drift falls on both; each line gives the medians of the rates
//! and the median of the rounds' ratios (each round's two batches ran back to back).
//!
//! ```sh
//! cargo run --release -p paybridge-benches --bin store_cost            # store file under target/
//! cargo run --release -p paybridge-benches --bin store_cost -- /dev/shm # store file on tmpfs
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measuring tool: it prints statistics and stops on a broken setup"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use paybridge::batch::input::BatchFile;
use paybridge::batch::run::{BatchOptions, Reporter, run_batch};
use paybridge::batch::{BatchStore, MemoryBatchStore, SqliteBatchStore};
use paybridge::{Config, Currency, Gateway};
use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig, SandboxHandle};

const ROUNDS: usize = 11;

/// A CSV of `rows` refunds of 1.00 against fresh 100.00 payments, ids prefixed `tag`.
fn batch(sandbox: &SandboxHandle, tag: &str, rows: usize) -> BatchFile {
    let mut csv = String::from("refund_id,amount,currency,payment,order_ref,total\n");
    for i in 0..rows {
        let payment = sandbox
            .create_payment(ProviderId::WechatPay, 10_000, Currency::Cny)
            .unwrap();
        csv.push_str(&format!(
            "{tag}-{i},1.00,CNY,{},{},100.00\n",
            payment.payment, payment.order_ref
        ));
    }
    BatchFile::parse(csv.as_bytes()).unwrap()
}

/// Refunds/s of one batch through `store`.
async fn round(
    store: Arc<dyn BatchStore>,
    gateway: &Gateway,
    file: &BatchFile,
    concurrency: usize,
) -> f64 {
    let provider = Arc::clone(gateway.provider("wechatpay").unwrap());
    let options = BatchOptions {
        concurrency,
        ..BatchOptions::default()
    };
    let quiet: Reporter = Arc::new(|_| {});
    let cpu = cpu_seconds();
    let started = Instant::now();
    let outcome = run_batch(store, provider, file, &options, quiet)
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    assert_eq!(outcome.verdict.code, 0, "{}", outcome.verdict.message);
    if std::env::var_os("STORE_COST_DEBUG").is_some() {
        println!(
            "  c={concurrency}: {:.0} refunds/s, {:.0} µs of CPU per refund (client and sandbox), {:.0}% of two cores",
            file.rows.len() as f64 / elapsed,
            cpu * 1e6 / file.rows.len() as f64,
            cpu / elapsed / 2.0 * 100.0
        );
    }
    file.rows.len() as f64 / elapsed
}

/// This process's user and system CPU time so far, from `/proc/self/stat` (clock ticks of 10
/// ms on Linux); 0 elsewhere.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/store_cost"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        refund_delay: std::time::Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let config = dir.join("paybridge.toml");
    sandbox.write_config(&config).unwrap();
    let gateway = Gateway::from_config(&Config::load(&config).unwrap()).unwrap();
    println!(
        "\n## What the durable store costs (issue 28): the same batch through SQLite (file in {}) and in memory, medians of {ROUNDS} alternating rounds\n",
        dir.display()
    );
    println!(
        "| concurrency | SQLite refunds/s | memory refunds/s | SQLite / memory (median of rounds) | ≥ 0.85 |"
    );
    println!("|---|---|---|---|---|");
    let mut failures = 0;
    for (concurrency, rows) in [(1, 300), (8, 800), (32, 1200)] {
        let (mut sqlite, mut memory) = (Vec::new(), Vec::new());
        for r in 0..ROUNDS {
            let tag = format!("c{concurrency}r{r}");
            let path: &Path = &dir.join(format!("{tag}.journal"));
            let durable: Arc<dyn BatchStore> = Arc::new(SqliteBatchStore::open(path).unwrap());
            let in_memory: Arc<dyn BatchStore> = Arc::new(MemoryBatchStore::new());
            let (a, b) = (
                batch(&sandbox, &format!("{tag}s"), rows),
                batch(&sandbox, &format!("{tag}m"), rows),
            );
            // Alternate which goes first, so neither always meets a warmer machine.
            if r % 2 == 0 {
                sqlite.push(round(durable, &gateway, &a, concurrency).await);
                memory.push(round(in_memory, &gateway, &b, concurrency).await);
            } else {
                memory.push(round(in_memory, &gateway, &b, concurrency).await);
                sqlite.push(round(durable, &gateway, &a, concurrency).await);
            }
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        // Each round's two batches ran back to back, so their ratio is what the machine's drift
        // (other tenants, over seconds) disturbs least; the goal is judged on the median of those.
        let ratio = median(sqlite.iter().zip(&memory).map(|(s, m)| s / m).collect());
        let (s, m) = (median(sqlite), median(memory));
        let pass = ratio >= 0.85;
        failures += usize::from(!pass);
        println!(
            "| {concurrency} | {s:.0} | {m:.0} | {ratio:.2} | {} |",
            if pass { "pass" } else { "FAIL" }
        );
    }
    if failures > 0 {
        eprintln!("{failures} store goal(s) not met");
        std::process::exit(1);
    }
}
