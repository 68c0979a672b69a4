//! Batches against a sandbox that behaves like the real providers at their worst: a quarter of
//! calls fail (dropped before or after the refund is applied, 5xx, answered too late), the
//! ambiguous answers are on (BluePay's 21401 for a repeated pending id, ScanForPay's 35 for a
//! repeat that exhausted the payment, Nomad's 200 with null amounts), refunds stay pending for
//! seconds and a quarter of payments are refunded in two parts. After a run, one re-run and a
//! `reconcile`, every row's reported state is checked against the sandbox's ledger: none doubled,
//! none lost, none reported refused, failed, invalid or deferred while the ledger holds its money.
//! A second test SIGKILLs batches of every provider at random moments and re-runs them to the end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use paybridge::batch::{BatchStore, RowState, SqliteBatchStore};
use paybridge_sandbox::{ProviderId, Quirks, RefundState, Sandbox, SandboxConfig, SandboxHandle};

mod common;
use common::{BIN, args, json_lines as lines, run, temp};

async fn sandbox(seed: u64, refund_delay: Duration, fault_rate: f64) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        refund_delay,
        fault_rate,
        fault_seed: seed,
        fault_delay: Duration::from_millis(1500),
        quirks: Quirks::ALL,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// The sandbox's own config, as written, with a client timeout shorter than its delay faults.
fn config(sb: &SandboxHandle, dir: &Path) -> PathBuf {
    let path = dir.join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[transport]\nrequest_timeout_ms = 700\n");
    std::fs::write(&path, text).unwrap();
    path
}

fn currency(provider: ProviderId) -> paybridge::Currency {
    match provider {
        ProviderId::BluePay => paybridge::Currency::Thb,
        ProviderId::Nomad => paybridge::Currency::Cny,
        ProviderId::ScanForPay => paybridge::Currency::Hkd,
        ProviderId::WechatPay | ProviderId::Alipay => paybridge::Currency::Cny,
    }
}

/// One planned refund.
#[derive(Clone, Debug)]
struct Planned {
    refund_id: String,
    payment: String,
    amount: i64,
}

/// `payments` payments of 100.00; a quarter refunded in two parts (40.00 + 60.00, exhausting
/// the payment), the rest once — a third of those in full, the others in part.
fn plan(
    sb: &SandboxHandle,
    provider: ProviderId,
    tag: &str,
    payments: usize,
) -> (String, Vec<Planned>) {
    let mut csv = String::from("refund_id,amount,currency,payment,order_ref,total\n");
    let mut first = Vec::new();
    let mut second = Vec::new();
    for p in 0..payments {
        let payment = sb
            .create_payment(provider, 10_000, currency(provider))
            .unwrap();
        let parts: Vec<i64> = if p % 4 == 0 {
            vec![4_000, 6_000]
        } else if p % 3 == 0 {
            vec![10_000]
        } else {
            vec![2_500 + i64::try_from(p).unwrap()]
        };
        for (i, amount) in parts.into_iter().enumerate() {
            let planned = Planned {
                refund_id: format!("{tag}-{p}-{i}"),
                payment: payment.payment.clone(),
                amount,
            };
            csv.push_str(&format!(
                "{},{}.{:02},{},{},{},100.00\n",
                planned.refund_id,
                amount / 100,
                amount % 100,
                currency(provider).code(),
                payment.payment,
                payment.order_ref
            ));
            if i == 0 {
                first.push(planned);
            } else {
                second.push(planned);
            }
        }
    }
    first.extend(second);
    (csv, first)
}

fn batch_args(provider: ProviderId, file: &Path, journal: &Path, config: &Path) -> Vec<String> {
    args(&[
        "batch",
        file.to_str().unwrap(),
        "--provider",
        provider.name(),
        "--concurrency",
        "16",
        "--deadline",
        "12",
        "--journal",
        journal.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ])
}

fn reconcile_args(provider: ProviderId, journal: &Path, config: &Path) -> Vec<String> {
    args(&[
        "reconcile",
        "--provider",
        provider.name(),
        "--deadline",
        "12",
        "--journal",
        journal.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ])
}

/// What the ledger holds for each refund id of a provider: (payment, amount, state, attempts).
fn ledger(
    sb: &SandboxHandle,
    provider: ProviderId,
) -> HashMap<String, Vec<(String, i64, RefundState, u32)>> {
    let mut held: HashMap<String, Vec<_>> = HashMap::new();
    for payment in sb.ledger().payments() {
        if payment.provider != provider {
            continue;
        }
        assert!(
            payment.refunded_minor() <= payment.amount_minor,
            "{} refunded {} of {}",
            payment.payment,
            payment.refunded_minor(),
            payment.amount_minor
        );
        for refund in &payment.refunds {
            held.entry(refund.refund_id.clone()).or_default().push((
                payment.payment.clone(),
                refund.amount_minor,
                refund.status,
                refund.attempts,
            ));
        }
    }
    held
}

#[derive(Debug, Default)]
struct Findings {
    doubled: usize,
    lost: usize,
    contradicting: Vec<String>,
    by_state: HashMap<&'static str, usize>,
}

/// Every row's state in a SQLite store against the ledger.
async fn check(
    sb: &SandboxHandle,
    provider: ProviderId,
    journal: &Path,
    planned: &[Planned],
) -> Findings {
    let store = SqliteBatchStore::open(journal).unwrap();
    check_store(sb, provider, &store, planned).await
}

/// Every row's state in `store` against the ledger.
async fn check_store(
    sb: &SandboxHandle,
    provider: ProviderId,
    store: &dyn BatchStore,
    planned: &[Planned],
) -> Findings {
    let held = ledger(sb, provider);
    let rows: HashMap<String, RowState> = store
        .all(provider.name())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.refund_id, r.state))
        .collect();
    let mut findings = Findings::default();
    for refund in planned {
        let state = rows
            .get(&refund.refund_id)
            .copied()
            .unwrap_or(RowState::Intent);
        *findings.by_state.entry(state.as_str()).or_default() += 1;
        let entries = held.get(&refund.refund_id).cloned().unwrap_or_default();
        if entries.len() > 1 {
            findings.doubled += 1;
        }
        let holds = entries
            .iter()
            .any(|(_, _, status, _)| *status != RefundState::Failed);
        if let Some((payment, amount, _, _)) = entries.first()
            && (payment != &refund.payment || *amount != refund.amount)
        {
            findings.contradicting.push(format!(
                "{}: the ledger holds {amount} on {payment}, planned {} on {}",
                refund.refund_id, refund.amount, refund.payment
            ));
        }
        match state {
            RowState::Refused | RowState::Failed | RowState::Invalid | RowState::Deferred
                if holds =>
            {
                findings.contradicting.push(format!(
                    "{}: reported {state} while the ledger holds its money",
                    refund.refund_id
                ));
            }
            RowState::Succeeded | RowState::Pending if !holds => {
                findings.contradicting.push(format!(
                    "{}: reported {state} but the ledger has no such refund",
                    refund.refund_id
                ));
            }
            _ => {}
        }
        // Every planned refund is valid and fits its payment: one the ledger lacks, reported
        // as anything but refused, is lost.
        if !holds && state != RowState::Refused {
            findings.lost += 1;
        }
    }
    findings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_quirks_never_double_lose_or_misreport_a_refund() {
    let mut report = Vec::new();
    for seed in [11_u64, 23, 37] {
        let sb = sandbox(seed, Duration::from_secs(3), 0.25).await;
        let dir = temp(&format!("faults-{seed}"));
        let config = config(&sb, &dir);
        let mut jobs = Vec::new();
        for provider in ProviderId::ALL {
            let (csv, planned) = plan(&sb, provider, &format!("s{seed}{}", provider.name()), 240);
            assert_eq!(planned.len(), 300);
            let file = dir.join(format!("{}.csv", provider.name()));
            std::fs::write(&file, csv).unwrap();
            let journal = dir.join(format!("{}.journal", provider.name()));
            jobs.push((provider, file, journal, planned));
        }
        // First run, all three providers at once; then each run again.
        for phase in ["run", "re-run"] {
            let runs: Vec<_> = jobs
                .iter()
                .map(|(provider, file, journal, _)| {
                    tokio::spawn(run(batch_args(*provider, file, journal, &config), None))
                })
                .collect();
            for (handle, (provider, _, journal, planned)) in runs.into_iter().zip(&jobs) {
                let output = handle.await.unwrap();
                let code = output.status.code();
                assert!(
                    matches!(code, Some(0 | 4)),
                    "seed {seed} {provider} {phase}: exit {code:?}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                let findings = check(&sb, *provider, journal, planned).await;
                assert!(
                    findings.contradicting.is_empty() && findings.doubled == 0,
                    "seed {seed} {provider} after the {phase}: {findings:?}"
                );
            }
        }
        // Let pending refunds settle, then reconcile what is not final.
        tokio::time::sleep(Duration::from_millis(3_500)).await;
        sb.set_faults(0.25, seed + 1000);
        for (provider, _, journal, planned) in &jobs {
            let output = run(reconcile_args(*provider, journal, &config), None).await;
            let code = output.status.code();
            let findings = check(&sb, *provider, journal, planned).await;
            assert!(
                findings.contradicting.is_empty() && findings.doubled == 0 && findings.lost == 0,
                "seed {seed} {provider} after reconcile: {findings:?}"
            );
            let unknown = findings.by_state.get("unknown").copied().unwrap_or(0)
                + findings.by_state.get("sending").copied().unwrap_or(0);
            assert_eq!(
                code == Some(0),
                unknown == 0,
                "reconcile exits 0 exactly when nothing is unknown: {findings:?}"
            );
            report.push(format!(
                "seed {seed} {provider}: {:?}, exit {code:?}",
                findings.by_state
            ));
        }
        let stats = sb.stats();
        assert!(stats.faults_injected > 0, "{stats:?}");
        assert!(
            stats.resends > 0,
            "no resend reached the sandbox: {stats:?}"
        );
        report.push(format!(
            "seed {seed}: {} requests, {} faults, {} resends, {} refunds applied",
            stats.requests, stats.faults_injected, stats.resends, stats.refunds_applied
        ));
    }
    for line in report {
        eprintln!("{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_every_provider_killed_at_random_moments_refund_each_row_exactly_once() {
    let sb = sandbox(5, Duration::from_millis(1500), 0.0).await;
    let dir = temp("kill");
    let config = config(&sb, &dir);
    let mut rng = 0x5eed_u64;
    let mut next = |below: u64| {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % below
    };
    for provider in ProviderId::ALL {
        let (csv, planned) = plan(&sb, provider, &format!("k{}", provider.name()), 240);
        let file = dir.join(format!("{}.csv", provider.name()));
        std::fs::write(&file, csv).unwrap();
        let journal = dir.join(format!("{}.journal", provider.name()));
        let mut kills = 0;
        let mut runs = 0;
        let mut unkilled = 0;
        loop {
            runs += 1;
            assert!(runs < 40, "{provider}: the batch never finished");
            let mut child = Command::new(BIN)
                .args(batch_args(provider, &file, &journal, &config))
                .env("RUST_LOG", "off")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let status = if kills < 4 {
                // Kill mid-batch, not before it starts or after it ends: wait until the
                // sandbox sees this run's first refund requests, then a random moment more.
                let before = sb.stats().requests;
                let started = tokio::time::Instant::now();
                while sb.stats().requests == before
                    && started.elapsed() < Duration::from_secs(5)
                    && child.try_wait().unwrap().is_none()
                {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                tokio::time::sleep(Duration::from_millis(next(60))).await;
                match child.try_wait().unwrap() {
                    Some(status) => status,
                    None => {
                        child.kill().unwrap(); // SIGKILL
                        kills += 1;
                        child.wait().unwrap()
                    }
                }
            } else {
                unkilled += 1;
                tokio::task::spawn_blocking(move || child.wait().unwrap())
                    .await
                    .unwrap()
            };
            // Rows still pending at the provider are settled by the next run's look-ups. With
            // ScanForPay's exhausted-payment quirk a resend cannot tell and nothing else can:
            // those rows stay unknown (exit 4) however often it runs — checked below to be held.
            if status.success() || unkilled == 3 {
                break;
            }
            let findings = check(&sb, provider, &journal, &planned).await;
            assert!(
                findings.contradicting.is_empty() && findings.doubled == 0,
                "{provider} after run {runs}: {findings:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(kills >= 3, "{provider}: killed only {kills} times");
        let findings = check(&sb, provider, &journal, &planned).await;
        assert!(
            findings.contradicting.is_empty() && findings.doubled == 0 && findings.lost == 0,
            "{provider}: {findings:?}"
        );
        eprintln!(
            "{provider}: {runs} runs, {kills} killed, {:?}",
            findings.by_state
        );
    }
}

fn held(sb: &SandboxHandle, refund_id: &str) -> bool {
    ledger(sb, ProviderId::BluePay)
        .get(refund_id)
        .is_some_and(|e| e.iter().any(|(_, _, s, _)| *s != RefundState::Failed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_runs_after_a_config_fix_an_edit_a_repeat_a_failure_and_a_broken_store() {
    let sb = sandbox(1, Duration::ZERO, 0.0).await;
    let dir = temp("reruns");
    let good = config(&sb, &dir);
    let c = good.to_str().unwrap().to_owned();
    let mut csv = String::from("refund_id,amount,currency,payment\n");
    let mut payments = Vec::new();
    for i in 0..5 {
        let p = sb
            .create_payment(ProviderId::BluePay, 10_000, paybridge::Currency::Thb)
            .unwrap();
        csv.push_str(&format!("cfg-{i},10.00,THB,{}\n", p.payment));
        payments.push(p.payment);
    }
    let file = dir.join("rows.csv");
    std::fs::write(&file, &csv).unwrap();
    let f = file.to_str().unwrap().to_owned();
    let batch = |config: &str| args(&["batch", &f, "--provider", "bluepay", "--config", config]);

    // 1. A config without BluePay's callback URL: every row is held back, nothing is sent…
    let broken = dir.join("broken.toml");
    let text = std::fs::read_to_string(&good).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("refund_callback_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&broken, without).unwrap();
    let first = run(batch(broken.to_str().unwrap()), None).await;
    assert_eq!(
        first.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        lines(&first)[..5].iter().all(|l| l["state"] == "invalid"),
        "{:?}",
        lines(&first)
    );
    assert_eq!(sb.stats().requests, 0, "nothing was sent");
    // …and once the config is fixed, the re-run refunds them all.
    let second = run(batch(&c), None).await;
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!((0..5).all(|i| held(&sb, &format!("cfg-{i}"))));
    let summary = lines(&second).pop().unwrap();
    assert_eq!(summary["summary"]["succeeded"], 5, "{summary}");
    // The written config's callback URL is the sandbox's own sink, which received and
    // acknowledged each refund's notification.
    let started = std::time::Instant::now();
    while sb.sink_received(ProviderId::BluePay).len() < 5
        && started.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sb.sink_received(ProviderId::BluePay).len(), 5);
    assert!(sb.stats().notifications_acknowledged >= 5);

    // 2. An edited file: a new row inserted above the others is refunded, the others skipped
    // (keyed by refund id, not by line).
    let extra = sb
        .create_payment(ProviderId::BluePay, 10_000, paybridge::Currency::Thb)
        .unwrap();
    let edited = csv.replacen(
        "payment\n",
        &format!("payment\nnew-1,3.00,THB,{}\n", extra.payment),
        1,
    );
    std::fs::write(&file, &edited).unwrap();
    let requests = sb.stats().requests;
    let third = run(batch(&c), None).await;
    assert_eq!(
        third.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    assert!(held(&sb, "new-1"));
    assert_eq!(
        sb.stats().requests,
        requests + 1,
        "only the new row was sent"
    );
    assert_eq!(lines(&third).pop().unwrap()["summary"]["already_final"], 5);

    // 3. A changed amount for a refund already sent: the row is settled by what was sent, and
    // reported as a conflict showing both versions and what the provider holds — exit 3,
    // nothing new sent, never "invalid" or "nothing sent".
    std::fs::write(&file, edited.replace("cfg-2,10.00", "cfg-2,11.00")).unwrap();
    let requests = sb.stats().requests;
    let changed = run(batch(&c), None).await;
    assert_eq!(
        changed.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let rows = lines(&changed);
    let row = rows.iter().find(|l| l["refund_id"] == "cfg-2").unwrap();
    assert_eq!(row["line"], 5, "{row}");
    assert_eq!(row["state"], "succeeded", "{row}");
    assert_eq!(row["conflict"]["differs"], "amount", "{row}");
    assert_eq!(row["conflict"]["file"]["amount"], "11.00", "{row}");
    assert_eq!(row["conflict"]["sent"]["amount"]["minor"], 1000, "{row}");
    assert_eq!(row["refund"]["amount"]["minor"], 1000, "{row}");
    assert_eq!(sb.stats().requests, requests, "nothing new was sent");
    // The same when the changed row no longer validates at all.
    std::fs::write(&file, edited.replace("cfg-2,10.00,THB", "cfg-2,10.00,XXX")).unwrap();
    let broken_row = run(batch(&c), None).await;
    assert_eq!(broken_row.status.code(), Some(3));
    let rows = lines(&broken_row);
    let row = rows.iter().find(|l| l["refund_id"] == "cfg-2").unwrap();
    assert_eq!(row["state"], "succeeded", "{row}");
    assert!(
        row["conflict"]["differs"]
            .as_str()
            .unwrap()
            .contains("no longer a valid refund"),
        "{row}"
    );
    assert_eq!(sb.stats().requests, requests, "nothing new was sent");

    // 4. A refund id twice in the file: refused whole, naming both lines, nothing sent.
    std::fs::write(&file, format!("{edited}cfg-0,1.00,THB,{}\n", payments[0])).unwrap();
    let repeated = run(batch(&c), None).await;
    assert_eq!(repeated.status.code(), Some(2));
    let said = String::from_utf8_lossy(&repeated.stderr);
    assert!(said.contains("refund id cfg-0 on lines [3, 8]"), "{said}");
    assert_eq!(sb.stats().requests, requests);

    // 5. A refund the provider holds but fails: not "refunded" — the row is failed, exit 3,
    // and so is `refund` for it.
    let sb2 = sandbox(2, Duration::from_secs(30), 0.0).await;
    let dir2 = temp("failed");
    let c2 = config(&sb2, &dir2);
    let p = sb2
        .create_payment(ProviderId::BluePay, 10_000, paybridge::Currency::Thb)
        .unwrap();
    let file2 = dir2.join("rows.csv");
    std::fs::write(
        &file2,
        format!(
            "refund_id,amount,currency,payment\nf-1,5.00,THB,{}\n",
            p.payment
        ),
    )
    .unwrap();
    let batch2 = args(&[
        "batch",
        file2.to_str().unwrap(),
        "--provider",
        "bluepay",
        "--config",
        c2.to_str().unwrap(),
    ]);
    let pending = run(batch2.clone(), None).await;
    assert_eq!(pending.status.code(), Some(0));
    assert_eq!(lines(&pending)[0]["state"], "pending");
    assert!(sb2.fail_refund(ProviderId::BluePay, "f-1"));
    let failed = run(batch2, None).await;
    assert_eq!(
        failed.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert_eq!(lines(&failed)[0]["state"], "failed", "{:?}", lines(&failed));
    let refund = run(
        args(&[
            "refund",
            "--provider",
            "bluepay",
            "--payment",
            &p.payment,
            "--refund-id",
            "f-1",
            "--amount",
            "5.00",
            "--currency",
            "THB",
            "--config",
            c2.to_str().unwrap(),
        ]),
        None,
    )
    .await;
    assert_eq!(
        refund.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&refund.stderr)
    );
    assert_eq!(lines(&refund)[0]["status"], "failed");

    // 6. A store that is not a SQLite file: exit 2 naming it, nothing sent, the file untouched.
    std::fs::write(&file, &edited).unwrap();
    let journal = PathBuf::from(format!("{f}.journal"));
    assert!(
        !PathBuf::from(format!("{f}.journal-wal")).exists(),
        "a clean exit folds the write-ahead log back"
    );
    std::fs::write(&journal, b"this is not a database, it is a text file....").unwrap();
    let requests = sb.stats().requests;
    let corrupt = run(batch(&c), None).await;
    assert_eq!(corrupt.status.code(), Some(2));
    let said = String::from_utf8_lossy(&corrupt.stderr);
    assert!(said.contains(&journal.display().to_string()), "{said}");
    assert_eq!(sb.stats().requests, requests);
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        b"this is not a database, it is a text file...."
    );
}

/// Every row line a run printed against the ledger: none reported refused or failed while the
/// ledger holds its money; none reported succeeded or pending while it does not; and, unless
/// other runs worked on the store after it (`alone` false), none reported invalid or deferred
/// ("nothing applied yet") while the ledger holds it. Returns the contradictions.
fn printed_against_ledger(
    sb: &SandboxHandle,
    provider: ProviderId,
    output: &std::process::Output,
    alone: bool,
) -> Vec<String> {
    let held = ledger(sb, provider);
    let mut wrong = Vec::new();
    for line in lines(output) {
        let (Some(id), Some(state)) = (line["refund_id"].as_str(), line["state"].as_str()) else {
            continue;
        };
        let holds = held
            .get(id)
            .is_some_and(|e| e.iter().any(|(_, _, s, _)| *s != RefundState::Failed));
        match state {
            "refused" | "failed" if holds => {
                wrong.push(format!(
                    "{id}: printed {state} while the ledger holds it: {line}"
                ));
            }
            // A later run may send what this one had not applied yet; the store, checked
            // separately, must not still say so.
            "invalid" | "deferred" if holds && alone => {
                wrong.push(format!(
                    "{id}: printed {state} while the ledger holds it: {line}"
                ));
            }
            "succeeded" | "pending" if !holds => {
                wrong.push(format!(
                    "{id}: printed {state} but the ledger has no such refund: {line}"
                ));
            }
            _ => {}
        }
    }
    wrong
}

/// Settles what is left (a last run and reconcile, no faults), then nothing may be lost.
async fn settle_the_rest(
    sb: &SandboxHandle,
    provider: ProviderId,
    file: &Path,
    journal: &Path,
    config: &Path,
    planned: &[Planned],
) -> Findings {
    sb.set_faults(0.0, 0);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let last = run(batch_args(provider, file, journal, config), None).await;
    assert!(
        matches!(last.status.code(), Some(0 | 4)),
        "{provider}: {}",
        String::from_utf8_lossy(&last.stderr)
    );
    assert!(printed_against_ledger(sb, provider, &last, true).is_empty());
    let _ = run(reconcile_args(provider, journal, config), None).await;
    let findings = check(sb, provider, journal, planned).await;
    assert!(
        findings.contradicting.is_empty() && findings.doubled == 0 && findings.lost == 0,
        "{provider} once settled: {findings:?}"
    );
    findings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_batches_and_a_reconcile_at_once_on_one_store_never_double_lose_or_misreport() {
    let sb = sandbox(41, Duration::from_millis(1500), 0.1).await;
    let dir = temp("overlap");
    let config = config(&sb, &dir);
    for provider in ProviderId::ALL {
        sb.set_faults(0.1, 41);
        let (csv, planned) = plan(&sb, provider, &format!("o{}", provider.name()), 240);
        assert_eq!(planned.len(), 300);
        let file = dir.join(format!("{}.csv", provider.name()));
        std::fs::write(&file, csv).unwrap();
        let journal = dir.join(format!("{}.journal", provider.name()));
        let mut runs: Vec<_> = (0..3)
            .map(|_| tokio::spawn(run(batch_args(provider, &file, &journal, &config), None)))
            .collect();
        // The reconcile starts while the batches are under way.
        tokio::time::sleep(Duration::from_millis(300)).await;
        runs.push(tokio::spawn(run(
            reconcile_args(provider, &journal, &config),
            None,
        )));
        for (i, handle) in runs.into_iter().enumerate() {
            let output = handle.await.unwrap();
            let code = output.status.code();
            assert!(
                matches!(code, Some(0 | 4)),
                "{provider} run {i}: exit {code:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let wrong = printed_against_ledger(&sb, provider, &output, false);
            assert!(wrong.is_empty(), "{provider} run {i}: {wrong:#?}");
        }
        let findings = check(&sb, provider, &journal, &planned).await;
        assert!(
            findings.contradicting.is_empty() && findings.doubled == 0,
            "{provider} after the overlapping runs: {findings:?}"
        );
        let settled = settle_the_rest(&sb, provider, &file, &journal, &config, &planned).await;
        eprintln!(
            "{provider}: three batches and a reconcile at once: {:?}",
            settled.by_state
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_fills_up_mid_run_ends_unknown_never_nothing_sent() {
    let sb = sandbox(43, Duration::ZERO, 0.0).await;
    let dir = temp("full");
    let config = config(&sb, &dir);
    for provider in [ProviderId::BluePay, ProviderId::ScanForPay] {
        let (csv, planned) = plan(&sb, provider, &format!("f{}", provider.name()), 240);
        let file = dir.join(format!("{}.csv", provider.name()));
        std::fs::write(&file, csv).unwrap();
        let journal = dir.join(format!("{}.journal", provider.name()));
        // A file-size limit on the process: the store's write-ahead log hits it part-way
        // through, as a full disk would (SIGXFSZ ignored, so the write fails with EFBIG).
        let argv: Vec<String> = batch_args(provider, &file, &journal, &config);
        let quoted: Vec<String> = argv.iter().map(|a| format!("'{a}'")).collect();
        let script = format!(
            "trap '' XFSZ; ulimit -f 240; exec {BIN} {}",
            quoted.join(" ")
        );
        let output = tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .args(["-c", &script])
                .env("RUST_LOG", "off")
                .env_remove("PAYBRIDGE_CONFIG")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{provider}: {said}");
        assert!(said.contains("stopped recording"), "{provider}: {said}");
        assert!(!said.contains("nothing was sent"), "{provider}: {said}");
        let printed = lines(&output);
        let wrong = printed_against_ledger(&sb, provider, &output, true);
        assert!(wrong.is_empty(), "{provider}: {wrong:#?}");
        let unknown = printed.iter().filter(|l| l["state"] == "unknown").count();
        let not_started = printed.iter().filter(|l| l["state"] == "deferred").count();
        assert!(
            not_started > 0,
            "{provider}: the run stopped starting sends"
        );
        // The summary counts what the store holds.
        let summary = printed
            .iter()
            .find_map(|l| l.get("summary").cloned())
            .unwrap();
        let store = SqliteBatchStore::open(&journal).unwrap();
        let rows = store.all(provider.name()).await.unwrap();
        drop(store);
        let sending = rows.iter().filter(|r| r.state == RowState::Sending).count();
        assert_eq!(summary["sending"], sending, "{provider}: {summary}");
        assert_eq!(summary["counts_from_store"], true, "{provider}: {summary}");
        // Every row printed unknown is held by the provider or still `sending` in the store.
        let findings = check(&sb, provider, &journal, &planned).await;
        assert!(
            findings.contradicting.is_empty() && findings.doubled == 0,
            "{provider}: {findings:?}"
        );
        eprintln!(
            "{provider}: store full: {unknown} unknown, {not_started} not started, {sending} sending in the store"
        );
        // Once the store is writable again, a re-run settles everything.
        settle_the_rest(&sb, provider, &file, &journal, &config, &planned).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_already_refunded_outside_paybridge_are_never_reported_refunded_by_it() {
    for (seed, rate) in [(51_u64, 0.0), (52, 0.3)] {
        let sb = sandbox(seed, Duration::from_millis(800), rate).await;
        let dir = temp(&format!("portal-{seed}"));
        let config = config(&sb, &dir);
        for provider in [ProviderId::ScanForPay, ProviderId::BluePay] {
            let code = currency(provider).code();
            let mut csv = String::from("refund_id,amount,currency,payment,order_ref,total\n");
            let mut fits = Vec::new();
            for p in 0..30 {
                let payment = sb
                    .create_payment(provider, 10_000, currency(provider))
                    .unwrap();
                // A third refunded in full in the portal, a third in part (40.00), a third not.
                let portal = [10_000, 4_000, 0][p % 3];
                if portal > 0 {
                    sb.refund_directly(
                        provider,
                        &payment.payment,
                        &format!("portal-{seed}-{p}"),
                        portal,
                    )
                    .unwrap();
                }
                // The batch asks for the whole payment, or for 60.00 where 40.00 went already.
                let ask = if p % 3 == 1 { 6_000 } else { 10_000 };
                fits.push(portal + ask <= 10_000);
                csv.push_str(&format!(
                    "b{seed}-{p},{}.{:02},{code},{},{},100.00\n",
                    ask / 100,
                    ask % 100,
                    payment.payment,
                    payment.order_ref
                ));
            }
            let file = dir.join(format!("{}.csv", provider.name()));
            std::fs::write(&file, csv).unwrap();
            let journal = dir.join(format!("{}.journal", provider.name()));
            for step in 0..3 {
                let output = if step == 1 {
                    run(reconcile_args(provider, &journal, &config), None).await
                } else {
                    run(batch_args(provider, &file, &journal, &config), None).await
                };
                let wrong = printed_against_ledger(&sb, provider, &output, true);
                assert!(
                    wrong.is_empty(),
                    "{provider} seed {seed} step {step}: {wrong:#?}"
                );
            }
            let held = ledger(&sb, provider);
            let store = SqliteBatchStore::open(&journal).unwrap();
            for (p, fits) in fits.iter().enumerate() {
                let id = format!("b{seed}-{p}");
                let row = store.get(provider.name(), &id).await.unwrap().unwrap();
                let holds = held.contains_key(&id);
                assert_eq!(
                    holds, *fits,
                    "{provider} {id}: the ledger decides what fits"
                );
                if !holds {
                    assert!(
                        matches!(row.state, RowState::Refused | RowState::Unknown),
                        "{provider} {id}: {:?} for a refund the provider never held: {:?}",
                        row.state,
                        row.reason
                    );
                }
            }
            assert!(sb.stats().portal_refunds >= 20);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hosts_sharing_a_postgres_store_one_killed_refund_each_row_exactly_once() {
    let Ok(params) = std::env::var("PAYBRIDGE_TEST_POSTGRES") else {
        assert!(
            std::env::var("CI").is_err(),
            "PAYBRIDGE_TEST_POSTGRES must be set in CI (bash .ci/run sets it)"
        );
        eprintln!("skipped: PAYBRIDGE_TEST_POSTGRES is not set (bash .ci/run sets it)");
        return;
    };
    let sb = sandbox(61, Duration::from_millis(1000), 0.1).await;
    let dir = temp("pg-hosts");
    let config = config(&sb, &dir);
    let table = format!("pb_hosts_{}", std::process::id());
    for provider in ProviderId::ALL {
        sb.set_faults(0.1, 61);
        let (csv, planned) = plan(&sb, provider, &format!("h{}", provider.name()), 240);
        let file = dir.join(format!("{}.csv", provider.name()));
        std::fs::write(&file, csv).unwrap();
        let pg_args = |command: &str| {
            let mut argv = if command == "batch" {
                batch_args(provider, &file, Path::new(&table), &config)
            } else {
                reconcile_args(provider, Path::new(&table), &config)
            };
            argv.extend(args(&["--store", "postgres", "--lease", "3"]));
            argv
        };
        let before = sb.stats().requests;
        let mut victim = Command::new(BIN)
            .args(pg_args("batch"))
            .env("RUST_LOG", "off")
            .env_remove("PAYBRIDGE_CONFIG")
            .env("PAYBRIDGE_BATCH_POSTGRES", &params)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Each host's output is read as it runs: a full pipe would stall a host mid-claim.
        let hosts: Vec<_> = (0..2)
            .map(|_| tokio::spawn(run_with_env(pg_args("batch"), &params)))
            .collect();
        // Kill one mid-run: once refunds flow, a moment later.
        let started = tokio::time::Instant::now();
        while sb.stats().requests < before + 40 && started.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        let killed = victim.try_wait().unwrap().is_none();
        victim.kill().unwrap(); // SIGKILL
        victim.wait().unwrap();
        for host in hosts {
            let output = host.await.unwrap();
            let code = output.status.code();
            assert!(
                matches!(code, Some(0 | 4)),
                "{provider}: exit {code:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let wrong = printed_against_ledger(&sb, provider, &output, false);
            assert!(wrong.is_empty(), "{provider}: {wrong:#?}");
        }
        // What the store holds against the ledger, then settled to the end.
        let store = paybridge::batch::PostgresBatchStore::connect(&params, Some(&table))
            .await
            .unwrap();
        let findings = check_store(&sb, provider, &store, &planned).await;
        assert!(
            findings.contradicting.is_empty() && findings.doubled == 0,
            "{provider} after the three hosts: {findings:?}"
        );
        sb.set_faults(0.0, 0);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let last = run_with_env(pg_args("batch"), &params).await;
        assert!(
            matches!(last.status.code(), Some(0 | 4)),
            "{}",
            String::from_utf8_lossy(&last.stderr)
        );
        let _ = run_with_env(pg_args("reconcile"), &params).await;
        let findings = check_store(&sb, provider, &store, &planned).await;
        assert!(
            findings.contradicting.is_empty() && findings.doubled == 0 && findings.lost == 0,
            "{provider} once settled: {findings:?}"
        );
        eprintln!(
            "{provider}: three hosts on PostgreSQL, one killed ({killed}): {:?}",
            findings.by_state
        );
    }
    let (client, connection) = tokio_postgres::connect(&params, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
        .await
        .unwrap();
}

fn run_with_env(
    argv: Vec<String>,
    params: &str,
) -> impl Future<Output = std::process::Output> + use<> {
    let params = params.to_owned();
    async move {
        tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .args(argv)
                .env("RUST_LOG", "off")
                .env_remove("PAYBRIDGE_CONFIG")
                .env("PAYBRIDGE_BATCH_POSTGRES", params)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    }
}
