//! A day in the sandbox, then the books closed against the provider's own statement, for WeChat
//! Pay and Alipay: payments, partial refunds sent by a batch through faults that leave rows
//! unknown, a refund made in the provider's portal — then `reconcile --date` reports every
//! finding, settles every unknown the statement shows, and settles nothing it does not. A
//! corrupted statement is refused (exit 5) and settles nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use paybridge::batch::{BatchStore, RowState, SqliteBatchStore};
use paybridge_sandbox::{ProviderId, Quirks, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

use common::{json_lines, run, temp};

async fn sandbox(quirks: Quirks) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        fault_delay: Duration::from_millis(600),
        quirks,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// The sandbox's config with a client timeout shorter than its delay faults.
fn config(sb: &SandboxHandle, dir: &Path) -> PathBuf {
    let path = dir.join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[transport]\nrequest_timeout_ms = 300\n");
    std::fs::write(&path, text).unwrap();
    path
}

/// Today in Beijing, as the sandbox's statements count days.
fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = paybridge::core::Timestamp::from_unix(i64::try_from(now).unwrap()).unwrap();
    let (year, month, day, ..) = at.with_offset(480).unwrap().local_fields();
    format!("{year:04}-{month:02}-{day:02}")
}

fn args(config: &Path, words: &[&str]) -> Vec<String> {
    let mut all = vec!["--config".to_owned(), config.display().to_string()];
    all.extend(words.iter().map(|w| (*w).to_owned()));
    all
}

/// Runs a batch of `rows` partial refunds (25.00 of 100.00 each, new payments) under `prefix`.
async fn batch(
    sb: &SandboxHandle,
    provider: ProviderId,
    dir: &Path,
    config: &Path,
    journal: &Path,
    prefix: &str,
    rows: usize,
) -> (std::process::Output, Vec<String>) {
    let mut csv = String::from("refund_id,amount,currency,payment,order_ref,total\n");
    let mut payments = Vec::new();
    for i in 0..rows {
        let p = sb
            .create_payment(provider, 10_000, paybridge::Currency::Cny)
            .unwrap();
        csv.push_str(&format!(
            "{prefix}-{i},25.00,CNY,{},{},100.00\n",
            p.payment, p.order_ref
        ));
        payments.push(p.payment);
    }
    let file = dir.join(format!("{prefix}.csv"));
    std::fs::write(&file, csv).unwrap();
    let output = run(
        args(
            config,
            &[
                "batch",
                &file.display().to_string(),
                "--provider",
                provider.name(),
                "--journal",
                &journal.display().to_string(),
                "--deadline",
                "2",
            ],
        ),
        None,
    )
    .await;
    (output, payments)
}

/// A day: two refunds sent cleanly (succeeded), four sent while every call failed (unknown,
/// each applied or not as the faults fell), and two a run claimed and died before sending
/// (`sending`, never applied).
async fn a_day_with_unknown_refunds(
    sb: &SandboxHandle,
    provider: ProviderId,
    dir: &Path,
    config: &Path,
) -> (PathBuf, Vec<String>) {
    let journal = dir.join("refunds.journal");
    let (clean, payments) = batch(sb, provider, dir, config, &journal, "ok", 2).await;
    assert_eq!(clean.status.code(), Some(0), "{clean:?}");
    sb.set_faults(1.0, 7);
    let (faulty, _) = batch(sb, provider, dir, config, &journal, "day", 4).await;
    sb.set_faults(0.0, 7);
    assert_eq!(faulty.status.code(), Some(4), "{faulty:?}");
    // A run that claimed two rows and was killed before sending them.
    let store = SqliteBatchStore::open(&journal).unwrap();
    let dead = paybridge::batch::Owner::new("dead-run", Duration::from_millis(1));
    for i in 0..2 {
        let payment = sb
            .create_payment(provider, 10_000, paybridge::Currency::Cny)
            .unwrap();
        let request = paybridge::RefundRequest::builder(
            paybridge::MerchantRefundId::new(format!("crash-{i}")).unwrap(),
            paybridge::Money::new(2_500, paybridge::Currency::Cny),
        )
        .payment(paybridge::PaymentRef::new(payment.payment).unwrap())
        .total(paybridge::Money::new(10_000, paybridge::Currency::Cny))
        .build()
        .unwrap();
        store
            .record_intents(provider.name(), &[(1, &request)])
            .await
            .unwrap();
        store
            .claim(
                provider.name(),
                &format!("crash-{i}"),
                &dead,
                paybridge::batch::ClaimFor::Send(&request),
            )
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    (journal, payments)
}

async fn states(journal: &Path, provider: ProviderId) -> Vec<(String, RowState)> {
    let store = SqliteBatchStore::open(journal).unwrap();
    store
        .all(provider.name())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.refund_id, r.state))
        .collect()
}

async fn a_day_closes_against_the_statement(provider: ProviderId) {
    let dir = temp(&format!("statement-{}", provider.name()));
    let sb = sandbox(Quirks::default()).await;
    let config = config(&sb, &dir);
    let (journal, payments) = a_day_with_unknown_refunds(&sb, provider, &dir, &config).await;
    let before = states(&journal, provider).await;
    // Which of them the provider applied (the faults fell before or after applying).
    let applied: Vec<String> = before
        .iter()
        .filter(|(id, _)| sb.ledger().refund(provider, id).is_some())
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        applied.iter().any(|id| id.starts_with("day-"))
            && !applied.iter().any(|id| id.starts_with("crash-")),
        "{applied:?}"
    );
    // A refund made in the provider's portal, unknown to the batch.
    sb.refund_directly(provider, &payments[0], "portal-1", 1_000)
        .unwrap();

    // The day's statement, downloaded and checked on its own.
    let download = run(
        args(
            &config,
            &[
                "statement",
                "download",
                "--provider",
                provider.name(),
                "--date",
                &today(),
                "-o",
                &dir.join("statement").display().to_string(),
            ],
        ),
        None,
    )
    .await;
    assert_eq!(download.status.code(), Some(0), "{download:?}");
    let summary = &json_lines(&download)[0];
    assert_eq!(
        summary["rows"]["refund"].as_u64().unwrap(),
        applied.len() as u64 + 1,
        "{summary}"
    );
    assert_eq!(summary["rows"]["payment"], 8, "{summary}");

    // Reconciled against the store: exit 4 (the portal refund and the unsent rows stand).
    let reconcile = run(
        args(
            &config,
            &[
                "reconcile",
                "--provider",
                provider.name(),
                "--journal",
                &journal.display().to_string(),
                "--date",
                &today(),
            ],
        ),
        None,
    )
    .await;
    assert_eq!(reconcile.status.code(), Some(4), "{reconcile:?}");
    let lines = json_lines(&reconcile);
    let finding = |id: &str| -> Value {
        lines
            .iter()
            .find(|l| l["refund_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no finding for {id}: {lines:#?}"))
    };
    for (id, state) in &before {
        let f = finding(id);
        let expected = match state {
            RowState::Succeeded => "matched",
            _ if applied.contains(id) => "settled",
            _ => "unsettled",
        };
        assert_eq!(f["finding"], expected, "{f}");
    }
    assert_eq!(finding("portal-1")["finding"], "unknown_to_store");
    let summary = lines.iter().find(|l| l.get("summary").is_some()).unwrap();
    assert_eq!(summary["summary"]["agree"], false, "{summary}");
    assert_eq!(lines.last().unwrap()["error"]["kind"], "books_differ");

    // The store: every unknown the statement showed is succeeded, naming the statement; every
    // other is still unknown — nothing settled that the statement does not show.
    for ((id, after), (_, prior)) in states(&journal, provider).await.iter().zip(&before) {
        if applied.contains(id) {
            assert_eq!(*after, RowState::Succeeded, "{id}");
        } else {
            assert_eq!(after, prior, "{id}: not on the statement, so not moved");
        }
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wechatpay_day_closes_against_its_trade_bill() {
    a_day_closes_against_the_statement(ProviderId::WechatPay).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alipay_day_closes_against_its_trade_bill() {
    a_day_closes_against_the_statement(ProviderId::Alipay).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_statement_is_refused_and_settles_nothing() {
    for provider in [ProviderId::WechatPay, ProviderId::Alipay] {
        let dir = temp(&format!("statement-corrupt-{}", provider.name()));
        let sb = sandbox(Quirks {
            bill_corrupt: true,
            ..Quirks::default()
        })
        .await;
        let config = config(&sb, &dir);
        let (journal, _) = a_day_with_unknown_refunds(&sb, provider, &dir, &config).await;
        let before = states(&journal, provider).await;
        let download = run(
            args(
                &config,
                &[
                    "statement",
                    "download",
                    "--provider",
                    provider.name(),
                    "--date",
                    &today(),
                ],
            ),
            None,
        )
        .await;
        assert_eq!(download.status.code(), Some(5), "{provider}: {download:?}");
        let reconcile = run(
            args(
                &config,
                &[
                    "reconcile",
                    "--provider",
                    provider.name(),
                    "--journal",
                    &journal.display().to_string(),
                    "--date",
                    &today(),
                ],
            ),
            None,
        )
        .await;
        assert_eq!(
            reconcile.status.code(),
            Some(5),
            "{provider}: {reconcile:?}"
        );
        assert_eq!(
            states(&journal, provider).await,
            before,
            "{provider}: nothing may be settled from a corrupted statement"
        );
        sb.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_without_statements_say_so() {
    let dir = temp("statement-none");
    let sb = sandbox(Quirks::default()).await;
    let config = config(&sb, &dir);
    for provider in ["bluepay", "nomad", "scanforpay"] {
        let output = run(
            args(
                &config,
                &[
                    "statement",
                    "download",
                    "--provider",
                    provider,
                    "--date",
                    &today(),
                ],
            ),
            None,
        )
        .await;
        assert_eq!(output.status.code(), Some(2), "{provider}: {output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("no statement"));
    }
    sb.shutdown().await;
}
