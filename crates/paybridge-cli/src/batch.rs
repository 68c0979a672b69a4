//! `paybridge batch` and `paybridge reconcile`: refunds of a CSV file kept in a SQLite store
//! ([`paybridge::batch`]), so a re-run after a crash, `kill -9`, a config fix or an edited file
//! takes every refund from where it stands — exactly once, never under a new id, never reported
//! refused while the provider may hold the money.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use paybridge::batch::{BatchStore, RowState, Settled, StoredRequest, advance, look_up_only};
use paybridge::{RefundProvider, RefundRequest, ReliablePolicy};
use tokio::sync::Semaphore;

use paybridge::rows::{Columns, RequestFields};

use crate::commands::{build_request, known_provider, load_gateway};
use crate::exit::Failure;
use crate::output;

/// `paybridge batch` options.
#[derive(Args, Debug)]
pub(crate) struct BatchArgs {
    /// The CSV file: a header row, then one refund per row. Columns in any order: refund_id,
    /// amount, currency always; payment, order_ref, total, reason as the provider needs.
    file: PathBuf,
    /// bluepay, nomad, scanforpay, wechatpay or alipay.
    #[arg(long)]
    provider: String,
    /// Refunds in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The batch store, a SQLite file (default FILE.csv.journal).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// How long one refund may take, retries and look-ups included, before it is reported as
    /// it stands (unknown, if it may have been applied).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    deadline: u64,
}

/// `paybridge reconcile` options.
#[derive(Args, Debug)]
pub(crate) struct ReconcileArgs {
    /// bluepay, nomad, scanforpay, wechatpay or alipay.
    #[arg(long)]
    provider: String,
    /// The batch store (default: the one *.journal file in the current directory).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Look-ups in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long settling one refund may take.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    deadline: u64,
}

/// One CSV row, read.
struct Row {
    line: u64,
    refund_id: Option<String>,
    request: Result<RefundRequest, String>,
}

fn read_rows(file: &Path) -> Result<Vec<Row>, Failure> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(file)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", file.display())))?;
    let header = reader
        .headers()
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?
        .clone();
    let columns = Columns::from_header(header.iter())?;
    let id_column = columns.position("refund_id");
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        // Line numbers count the header as line 1.
        let line = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(2);
        let row = match record {
            Ok(record) => Row {
                line,
                refund_id: id_column
                    .and_then(|i| record.get(i))
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
                request: build_request(&RequestFields::from_row(&columns, |i| record.get(i)))
                    .map_err(|f| f.message),
            },
            Err(e) => Row {
                line,
                refund_id: None,
                request: Err(format!("unreadable row: {e}")),
            },
        };
        rows.push(row);
    }
    Ok(rows)
}

/// Refuses a file that names a refund id twice, naming every line.
fn refuse_repeated_ids(rows: &[Row]) -> Result<(), Failure> {
    let mut lines: HashMap<&str, Vec<u64>> = HashMap::new();
    for row in rows {
        if let Some(id) = &row.refund_id {
            lines.entry(id.as_str()).or_default().push(row.line);
        }
    }
    let mut repeated: Vec<(&str, Vec<u64>)> =
        lines.into_iter().filter(|(_, l)| l.len() > 1).collect();
    if repeated.is_empty() {
        return Ok(());
    }
    repeated.sort_by_key(|(_, lines)| lines.first().copied());
    let list: Vec<String> = repeated
        .iter()
        .map(|(id, lines)| format!("{id} on lines {lines:?}"))
        .collect();
    Err(Failure::input(format!(
        "the file names a refund id more than once, so it cannot say which refund is meant \
         (nothing was sent): {}",
        list.join("; ")
    )))
}

/// Refuses a file whose row for a refund that may already have been sent asks for a different
/// refund (payment, order, amount, total): the id is spent on the first one.
fn refuse_changed_rows(
    rows: &[Row],
    store: &BatchStore,
    provider: &str,
) -> Result<HashMap<String, RowState>, Failure> {
    let mut prior = HashMap::new();
    let mut changed = Vec::new();
    for row in rows {
        let (Some(id), Ok(request)) = (&row.refund_id, &row.request) else {
            continue;
        };
        let Some(stored) = store.get(provider, id)? else {
            continue;
        };
        if stored.state.may_have_been_sent()
            && let Some(before) = &stored.request
            && let Some(field) = before.differs_from(&StoredRequest::of(request))
        {
            changed.push(format!(
                "line {}: refund {id} was {} with another {field} (stored {:?} on {:?}, now {} on {:?})",
                row.line,
                stored.state,
                before.amount.to_string(),
                before.payment.as_deref().or(before.order_ref.as_deref()),
                request.amount(),
                request
                    .payment()
                    .map(ToString::to_string)
                    .or_else(|| request.order_ref().map(ToString::to_string)),
            ));
        }
        prior.insert(id.clone(), stored.state);
    }
    if changed.is_empty() {
        Ok(prior)
    } else {
        Err(Failure::input(format!(
            "the file changed refunds that were already sent; a refund id names one refund for good \
             — give a changed refund a new id (nothing was sent): {}",
            changed.join("; ")
        )))
    }
}

/// Counts per final state, and the exit code they make.
#[derive(Default)]
struct Tally {
    by_state: HashMap<RowState, u64>,
    already_final: u64,
    config_deferred: u64,
}

impl Tally {
    fn add(&mut self, settled: &Settled, was_final: bool) {
        *self.by_state.entry(settled.state).or_default() += 1;
        if was_final {
            self.already_final += 1;
        }
        if settled.state == RowState::Deferred
            && matches!(settled.error_kind, Some("config" | "invalid_request"))
        {
            self.config_deferred += 1;
        }
    }

    fn count(&self, state: RowState) -> u64 {
        self.by_state.get(&state).copied().unwrap_or(0)
    }

    /// Rows that may have moved money without our knowing how it ended.
    fn unknown(&self) -> u64 {
        RowState::ALL
            .into_iter()
            .filter(|s| s.is_unknown())
            .map(|s| self.count(s))
            .sum()
    }

    fn summary(&self, store: &Path) -> serde_json::Value {
        let mut counts = serde_json::Map::new();
        for state in RowState::ALL {
            counts.insert(state.as_str().to_owned(), self.count(state).into());
        }
        counts.insert("already_final".into(), self.already_final.into());
        counts.insert("journal".into(), store.display().to_string().into());
        serde_json::json!({ "summary": counts })
    }

    /// 4 while anything may have moved money unseen or is still to be sent; 3 when the provider
    /// refused or failed refunds; 2 for invalid rows or refunds held back by configuration.
    fn verdict(&self) -> Result<(), Failure> {
        let unknown = self.unknown();
        let transient = self.count(RowState::Deferred) - self.config_deferred;
        let refused = self.count(RowState::Refused) + self.count(RowState::Failed);
        let invalid = self.count(RowState::Invalid) + self.config_deferred;
        let (code, message) = if unknown > 0 {
            (
                4,
                format!(
                    "{unknown} refund(s) may have been applied and are not settled: run `paybridge \
                     reconcile` (or this batch again) — never refund them under new ids"
                ),
            )
        } else if transient > 0 {
            (
                4,
                format!(
                    "{transient} refund(s) were not applied yet for a passing reason: run the batch again"
                ),
            )
        } else if refused > 0 {
            (
                3,
                format!("{refused} refund(s) refused or failed at the provider"),
            )
        } else if invalid > 0 {
            (
                2,
                format!(
                    "{invalid} row(s) invalid or held back by configuration (nothing sent): fix them and run again"
                ),
            )
        } else {
            return Ok(());
        };
        Err(Failure {
            code,
            kind: "batch",
            message,
        })
    }
}

fn row_line(line: Option<u64>, refund_id: &str, settled: &Settled) -> serde_json::Value {
    serde_json::json!({
        "line": line,
        "refund_id": refund_id,
        "state": settled.state.as_str(),
        "reason": settled.reason,
        "refund": settled.refund,
    })
}

fn progress() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} rows {per_sec} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

fn policy(deadline_secs: u64) -> Result<Arc<ReliablePolicy>, Failure> {
    if deadline_secs == 0 || deadline_secs > 86_400 {
        return Err(Failure::input(
            "--deadline must be between 1 and 86400 seconds",
        ));
    }
    Ok(Arc::new(ReliablePolicy {
        deadline: Duration::from_secs(deadline_secs),
        ..ReliablePolicy::default()
    }))
}

fn check_concurrency(concurrency: usize) -> Result<(), Failure> {
    if concurrency == 0 || concurrency > 1024 {
        return Err(Failure::input("--concurrency must be between 1 and 1024"));
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) async fn run(config: Option<&Path>, args: BatchArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    check_concurrency(args.concurrency)?;
    let policy = policy(args.deadline)?;
    let rows = read_rows(&args.file)?;
    refuse_repeated_ids(&rows)?;
    let journal = args
        .journal
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.journal", args.file.display())));
    let store = BatchStore::open(&journal)?;
    let prior = refuse_changed_rows(&rows, &store, &args.provider)?;
    let gateway = load_gateway(config)?;
    let provider: Arc<dyn RefundProvider> = Arc::clone(gateway.provider(&args.provider)?);
    // Every refund is on disk as an intent before the first one is sent.
    let valid: Vec<(u64, &RefundRequest)> = rows
        .iter()
        .filter_map(|r| r.request.as_ref().ok().map(|q| (r.line, q)))
        .collect();
    store.record_intents(&args.provider, &valid)?;

    let tally = Arc::new(Mutex::new(Tally::default()));
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let bar = progress();
    let mut tasks = tokio::task::JoinSet::new();
    let mut first_error: Option<Failure> = None;
    for row in rows {
        let request = match row.request {
            Ok(request) => request,
            Err(reason) => {
                let settled = Settled {
                    state: RowState::Invalid,
                    reason,
                    error_kind: Some("invalid_request"),
                    refund: None,
                };
                if let Some(id) = &row.refund_id
                    && paybridge::MerchantRefundId::new(id.as_str()).is_ok()
                {
                    store.record_invalid(&args.provider, id, row.line, &settled.reason)?;
                }
                output::line(&row_line(
                    Some(row.line),
                    row.refund_id.as_deref().unwrap_or(""),
                    &settled,
                ));
                lock(&tally).add(&settled, false);
                continue;
            }
        };
        let before = prior.get(request.refund_id().as_str()).copied();
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .map_err(|e| Failure::input(e.to_string()))?;
        let (provider, store, tally, policy, bar) = (
            Arc::clone(&provider),
            store.clone(),
            Arc::clone(&tally),
            Arc::clone(&policy),
            bar.clone(),
        );
        tasks.spawn(async move {
            let _permit = permit;
            let settled = advance(&store, provider.as_ref(), &request, before, &policy).await?;
            let was_final = before.is_some_and(RowState::is_final);
            output::line(&row_line(
                Some(row.line),
                request.refund_id().as_str(),
                &settled,
            ));
            lock(&tally).add(&settled, was_final);
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
    store.close();
    let tally = lock(&tally);
    output::line(&tally.summary(&journal));
    if let Some(failure) = first_error {
        return Err(failure);
    }
    tally.verdict()
}

/// The store `reconcile` reads when none is named: the one `*.journal` file here.
fn default_journal() -> Result<PathBuf, Failure> {
    let found: Vec<PathBuf> = std::fs::read_dir(".")
        .map_err(|e| Failure::input(format!("cannot list the current directory: {e}")))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "journal"))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::input(
            "no *.journal here: name the batch's store with --journal (batch FILE.csv keeps it in FILE.csv.journal)",
        )),
        several => Err(Failure::input(format!(
            "several stores here ({}): name one with --journal",
            several
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub(crate) async fn reconcile(config: Option<&Path>, args: ReconcileArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    check_concurrency(args.concurrency)?;
    let policy = policy(args.deadline)?;
    let journal = match args.journal {
        Some(path) => path,
        None => default_journal()?,
    };
    if !journal.exists() {
        return Err(Failure::input(format!(
            "no batch store at {}",
            journal.display()
        )));
    }
    let store = BatchStore::open(&journal)?;
    let rows = store.all(&args.provider)?;
    let gateway = load_gateway(config)?;
    let provider: Arc<dyn RefundProvider> = Arc::clone(gateway.provider(&args.provider)?);
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut tasks = tokio::task::JoinSet::new();
    for row in rows {
        if row.state.is_final() {
            continue;
        }
        let request = match row.request.as_ref().map(|r| r.to_request(&row.refund_id)) {
            Some(Ok(request)) => request,
            Some(Err(error)) => {
                let settled = Settled {
                    state: row.state,
                    reason: format!("the stored request is not valid: {error}"),
                    error_kind: Some(error.kind_name()),
                    refund: None,
                };
                output::line(&row_line(row.line, &row.refund_id, &settled));
                lock(&tally).add(&settled, false);
                continue;
            }
            None => {
                let settled = Settled {
                    state: row.state,
                    reason: row
                        .reason
                        .clone()
                        .unwrap_or_else(|| "never a valid refund; nothing was sent".into()),
                    error_kind: Some("invalid_request"),
                    refund: None,
                };
                output::line(&row_line(row.line, &row.refund_id, &settled));
                lock(&tally).add(&settled, false);
                continue;
            }
        };
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .map_err(|e| Failure::input(e.to_string()))?;
        let (provider, store, tally, policy) = (
            Arc::clone(&provider),
            store.clone(),
            Arc::clone(&tally),
            Arc::clone(&policy),
        );
        tasks.spawn(async move {
            let _permit = permit;
            // Reconciling settles what may have been sent; it never sends a refund that was
            // not (that is the batch's job, with its file).
            let settled = match row.state {
                RowState::Intent | RowState::Deferred | RowState::Invalid => {
                    look_up_only(&store, provider.as_ref(), &request, row.state).await?
                }
                state => advance(&store, provider.as_ref(), &request, Some(state), &policy).await?,
            };
            output::line(&row_line(row.line, &row.refund_id, &settled));
            lock(&tally).add(&settled, false);
            Ok::<(), Failure>(())
        });
    }
    let mut first_error = None;
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(failure)) = done {
            first_error.get_or_insert(failure);
        }
    }
    store.close();
    let tally = lock(&tally);
    output::line(&tally.summary(&journal));
    if let Some(failure) = first_error {
        return Err(failure);
    }
    let unknown = tally.unknown();
    if unknown > 0 {
        return Err(Failure {
            code: 4,
            kind: "reconcile",
            message: format!(
                "{unknown} refund(s) are still unknown: run reconcile again later — never refund them under new ids"
            ),
        });
    }
    Ok(())
}
