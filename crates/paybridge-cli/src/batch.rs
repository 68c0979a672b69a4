//! `paybridge batch`: refunds every row of a CSV file exactly once, even across crashes.
//!
//! Before a row's refund is sent, a `sending` record is appended to the journal and fsynced;
//! when its outcome is known, a final record is (see [`crate::journal`]: rows in flight
//! together share their fsyncs). A re-run skips rows already done and resolves
//! rows left in doubt (sent, outcome never recorded) by looking them up first — sending again
//! only when the provider has no such refund, or cannot look refunds up (the refund id makes the
//! resend idempotent). Rows are streamed and work is bounded, so memory stays flat: completed
//! lines are kept as a bitset.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use paybridge::{
    Error, Gateway, RefundLookup, RefundOutcome, RefundProvider, RefundRequest, ReliablePolicy,
    reliable_refund,
};
use tokio::sync::Semaphore;

use paybridge::rows::{Columns, RequestFields};

use crate::commands::{build_request, known_provider, load_gateway};
use crate::exit::Failure;
use crate::journal::{Journal, JournalState, Record, read_journal};
use crate::output;

/// `paybridge batch` options.
#[derive(Args, Debug)]
pub(crate) struct BatchArgs {
    /// The CSV file: a header row, then one refund per row. Columns in any order: refund_id,
    /// amount, currency always; payment, order_ref, total, reason as the provider needs.
    file: PathBuf,
    /// bluepay, nomad or scanforpay.
    #[arg(long)]
    provider: String,
    /// Refunds in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The journal (default FILE.csv.journal).
    #[arg(long)]
    journal: Option<PathBuf>,
}

#[derive(Default)]
struct Tally {
    refunded: u64,
    failed: u64,
    unknown: u64,
    malformed: u64,
    already_done: u64,
}

/// Settles one row: resolves it first if an earlier run left it in doubt.
async fn settle(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    in_doubt: bool,
    policy: &ReliablePolicy,
) -> RefundOutcome {
    if in_doubt {
        match provider.refund_status(&RefundLookup::from(request)).await {
            Ok(refund) => return RefundOutcome::Refunded(refund),
            Err(Error::RefundNotFound { .. }) => {}
            // Cannot tell right now: the reliable refund resends under the same id, which the
            // provider answers with the original refund if there is one.
            Err(_) => {}
        }
    }
    reliable_refund(provider, request, policy).await
}

fn progress(total_hint: Option<u64>) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = total_hint.map_or_else(
        indicatif::ProgressBar::new_spinner,
        indicatif::ProgressBar::new,
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} rows {per_sec} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

pub(crate) async fn run(config: Option<&Path>, args: BatchArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    if args.concurrency == 0 || args.concurrency > 1024 {
        return Err(Failure::input("--concurrency must be between 1 and 1024"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(&args.file)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", args.file.display())))?;
    let header = reader
        .headers()
        .map_err(|e| Failure::input(format!("{}: {e}", args.file.display())))?
        .clone();
    let columns = Columns::from_header(header.iter())?;
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.journal", args.file.display())));
    let prior = read_journal(&journal_path)?;
    let gateway: Gateway = load_gateway(config)?;
    let provider = Arc::clone(gateway.provider(&args.provider)?);
    let journal = Arc::new(Journal::open(&journal_path)?);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let policy = Arc::new(ReliablePolicy {
        deadline: Duration::from_secs(60),
        ..ReliablePolicy::default()
    });
    let bar = progress(None);
    let mut tasks = tokio::task::JoinSet::new();
    let mut first_error: Option<Failure> = None;

    for (index, row) in reader.records().enumerate() {
        // Line numbers count the header as line 1.
        let line = u64::try_from(index).unwrap_or(u64::MAX) + 2;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                output::line(
                    &serde_json::json!({ "line": line, "error": format!("unreadable row: {e}") }),
                );
                lock(&tally).malformed += 1;
                continue;
            }
        };
        if prior.done.contains(line) {
            output::line(
                &serde_json::json!({ "line": line, "refund_id": row.get(columns.position("refund_id").unwrap_or(usize::MAX)), "status": "already_done" }),
            );
            lock(&tally).already_done += 1;
            continue;
        }
        let request = build_request(&RequestFields::from_row(&columns, |i| row.get(i)));
        let request = match request {
            Ok(request) => request,
            Err(failure) => {
                output::line(&serde_json::json!({ "line": line, "error": failure.message }));
                lock(&tally).malformed += 1;
                continue;
            }
        };
        let in_doubt = match prior.in_doubt.get(&line) {
            Some(id) if id != request.refund_id().as_str() => {
                first_error = Some(Failure::input(format!(
                    "the journal says line {line} was refund {id}, but the CSV now says {}: the CSV changed since the last run",
                    request.refund_id()
                )));
                break;
            }
            Some(_) => true,
            None => false,
        };
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .map_err(|e| Failure::input(e.to_string()))?;
        let (provider, journal, tally, policy, bar) = (
            Arc::clone(&provider),
            Arc::clone(&journal),
            Arc::clone(&tally),
            Arc::clone(&policy),
            bar.clone(),
        );
        tasks.spawn(async move {
            let _permit = permit;
            let refund_id = request.refund_id().to_string();
            journal.append(&Record { line, refund_id: refund_id.clone(), state: JournalState::Sending }).await?;
            let outcome = settle(provider.as_ref(), &request, in_doubt, &policy).await;
            let (state, json) = match &outcome {
                RefundOutcome::Refunded(refund) => (JournalState::Refunded, serde_json::json!({ "line": line, "refund": refund })),
                RefundOutcome::Unknown(e) => (JournalState::Unknown, serde_json::json!({ "line": line, "refund_id": refund_id, "status": "unknown", "error": e.to_string() })),
                other => (JournalState::Failed, serde_json::json!({ "line": line, "refund_id": refund_id, "status": "failed", "error": other.error().map(ToString::to_string) })),
            };
            journal.append(&Record { line, refund_id, state }).await?;
            output::line(&json);
            {
                let mut t = lock(&tally);
                match state {
                    JournalState::Refunded => t.refunded += 1,
                    JournalState::Unknown => t.unknown += 1,
                    _ => t.failed += 1,
                }
            }
            if let Some(bar) = bar {
                bar.inc(1);
            }
            Ok::<(), Failure>(())
        });
        // Reap finished tasks as we go, so the set stays as small as the concurrency.
        while let Some(done) = tasks.try_join_next() {
            if let Ok(Err(failure)) = done {
                first_error.get_or_insert(failure);
            }
        }
        if first_error.is_some() {
            break;
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(failure)) = done {
            first_error.get_or_insert(failure);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let t = lock(&tally);
    output::line(&serde_json::json!({ "summary": {
        "refunded": t.refunded, "failed": t.failed, "unknown": t.unknown,
        "malformed": t.malformed, "already_done": t.already_done,
        "journal": journal_path.display().to_string(),
    }}));
    if let Some(failure) = first_error {
        return Err(failure);
    }
    let (code, message) = if t.unknown > 0 {
        (
            4,
            format!(
                "{} refund(s) still unknown: run the batch again to resolve them",
                t.unknown
            ),
        )
    } else if t.failed > 0 {
        (3, format!("{} refund(s) failed", t.failed))
    } else if t.malformed > 0 {
        (2, format!("{} malformed row(s) skipped", t.malformed))
    } else {
        return Ok(());
    };
    Err(Failure {
        code,
        kind: "batch",
        message,
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
