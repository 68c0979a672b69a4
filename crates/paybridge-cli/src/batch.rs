//! `paybridge batch` and `paybridge reconcile`: arguments in, JSON lines out. The rules —
//! reading the file all or nothing, claiming rows, settling what was sent by what was sent,
//! reporting — are the library's ([`paybridge::batch`]), so a merchant running batches from
//! their own code gets the same guarantees.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use paybridge::batch::input::BatchFile;
use paybridge::batch::run::{BatchOptions, RunOutcome, reconcile as reconcile_store, run_batch};
use paybridge::batch::{BatchStore, PostgresBatchStore, SqliteBatchStore};
use paybridge::{ProviderId, RefundProvider, ReliablePolicy};

use crate::commands::{known_provider, load_gateway};
use crate::exit::Failure;
use crate::output;
use crate::progress::{Progress, SummaryTable};

/// Where a batch's progress is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum StoreKind {
    /// A SQLite file (`--journal FILE`), for runs on one machine.
    #[default]
    Sqlite,
    /// A PostgreSQL table (`--journal TABLE`, default `paybridge_batch_refunds`) shared by runs
    /// on several machines. The connection settings come from the environment variable
    /// `PAYBRIDGE_BATCH_POSTGRES`, or from the file `PAYBRIDGE_BATCH_POSTGRES_FILE` names —
    /// never from an argument: they hold a password.
    Postgres,
}

/// Where the store is and how long a run's claims last.
#[derive(Args, Debug)]
pub(crate) struct StoreArgs {
    /// sqlite (a file, for one machine) or postgres (a table shared by runs on several).
    #[arg(long, value_enum, default_value_t = StoreKind::Sqlite)]
    store: StoreKind,
    /// How long a run's claim on a row lasts unless renewed (it renews every quarter): a run
    /// killed mid-send holds its rows this long before another run takes them over.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    lease: u64,
}

/// `paybridge batch` options.
#[derive(Args, Debug)]
pub(crate) struct BatchArgs {
    /// The CSV file: a header row, then one refund per row. Columns in any order: refund_id,
    /// amount, currency always; payment, order_ref, total, reason as the provider needs. A file
    /// that can be read two ways (a row of another width, a repeated column, an amount that is
    /// not a plain decimal, a repeated refund id) is refused whole, nothing sent.
    file: PathBuf,
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    provider: String,
    /// Refunds in flight at the provider at once (the store's writes for the rows around them
    /// go on meanwhile).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The batch store: a SQLite file (default FILE.csv.journal), or with --store postgres a
    /// table name.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// How long one refund may take, retries and look-ups included, before it is reported as
    /// it stands (unknown, if it may have been applied).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    deadline: u64,
    #[command(flatten)]
    store: StoreArgs,
}

/// `paybridge reconcile` options.
#[derive(Args, Debug)]
pub(crate) struct ReconcileArgs {
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    provider: String,
    /// The batch store (default: the one *.journal file in the current directory), or with
    /// --store postgres a table name.
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Look-ups in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long settling one refund may take.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    deadline: u64,
    /// Match this statement file (as `statement download -o` wrote it) against the batch
    /// instead of looking refunds up.
    #[arg(long)]
    statement: Option<PathBuf>,
    /// Download the provider's trade statement of this day (YYYY-MM-DD) and match it against
    /// the batch; with --statement, the day the file covers (refunds the store holds for that
    /// day and the statement lacks are reported).
    #[arg(long)]
    date: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

fn options(
    concurrency: usize,
    deadline_secs: u64,
    store: &StoreArgs,
) -> Result<BatchOptions, Failure> {
    if concurrency == 0 || concurrency > 1024 {
        return Err(Failure::input("--concurrency must be between 1 and 1024"));
    }
    if deadline_secs == 0 || deadline_secs > 86_400 {
        return Err(Failure::input(
            "--deadline must be between 1 and 86400 seconds",
        ));
    }
    if store.lease < 2 || store.lease > 86_400 {
        return Err(Failure::input(
            "--lease must be between 2 and 86400 seconds",
        ));
    }
    let deadline = Duration::from_secs(deadline_secs);
    let lease = Duration::from_secs(store.lease);
    Ok(BatchOptions {
        concurrency,
        policy: ReliablePolicy {
            deadline,
            ..ReliablePolicy::default()
        },
        lease,
        // Long enough for another live run to finish the rows it holds.
        patience: deadline * 2 + lease,
    })
}

/// The PostgreSQL connection settings, from the environment (never an argument).
fn postgres_params() -> Result<String, Failure> {
    if let Ok(params) = std::env::var("PAYBRIDGE_BATCH_POSTGRES") {
        return Ok(params);
    }
    if let Ok(path) = std::env::var("PAYBRIDGE_BATCH_POSTGRES_FILE") {
        return std::fs::read_to_string(&path)
            .map(|text| text.trim().to_owned())
            .map_err(|e| {
                Failure::input(format!(
                    "cannot read PAYBRIDGE_BATCH_POSTGRES_FILE {path}: {e}"
                ))
            });
    }
    Err(Failure::input(
        "--store postgres takes its connection settings from PAYBRIDGE_BATCH_POSTGRES (or a file \
         named by PAYBRIDGE_BATCH_POSTGRES_FILE); neither is set",
    ))
}

async fn open_store(kind: StoreKind, journal: &Path) -> Result<Arc<dyn BatchStore>, Failure> {
    Ok(match kind {
        StoreKind::Sqlite => Arc::new(SqliteBatchStore::open(journal)?),
        StoreKind::Postgres => {
            let table = journal
                .to_str()
                .ok_or_else(|| Failure::input("--journal: not UTF-8"))?;
            Arc::new(PostgresBatchStore::connect(&postgres_params()?, Some(table)).await?)
        }
    })
}

/// Prints the summary (a JSON line on stdout; on a terminal, a table on stderr) and turns the
/// verdict into the exit.
fn finish(
    outcome: RunOutcome,
    progress: &Progress,
    title: String,
    kind: &'static str,
) -> Result<(), Failure> {
    let summary = &outcome.summary;
    let mut fields = serde_json::Map::new();
    for (state, count) in &summary.counts {
        fields.insert((*state).to_owned(), (*count).into());
    }
    if let Ok(serde_json::Value::Object(rest)) = serde_json::to_value(summary) {
        for (key, value) in rest {
            if key != "counts" {
                fields.insert(key, value);
            }
        }
    }
    let mut rows: Vec<(String, u64)> = summary
        .counts
        .iter()
        .filter(|(_, count)| **count > 0)
        .map(|(state, count)| ((*state).to_owned(), *count))
        .collect();
    for (name, count) in [
        ("already final before this run", summary.already_final),
        ("conflicting with what was sent", summary.conflicts),
        ("settled by another run", summary.settled_by_others),
    ] {
        if count > 0 {
            rows.push((name.to_owned(), count));
        }
    }
    progress.finish(&SummaryTable {
        title,
        done: summary.counts.values().sum(),
        rows,
        unit: "refunds",
        verdict: if outcome.verdict.code == 0 {
            "all settled".to_owned()
        } else {
            format!("exit {}: {}", outcome.verdict.code, outcome.verdict.message)
        },
    });
    output::line(&serde_json::json!({ "summary": fields }));
    if outcome.verdict.code == 0 {
        Ok(())
    } else {
        Err(Failure {
            code: outcome.verdict.code,
            kind,
            message: outcome.verdict.message,
        })
    }
}

fn provider(config: Option<&Path>, name: &str) -> Result<Arc<dyn RefundProvider>, Failure> {
    let gateway = load_gateway(config)?;
    Ok(Arc::clone(gateway.provider(name)?))
}

pub(crate) async fn run(config: Option<&Path>, args: BatchArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    let options = options(args.concurrency, args.deadline, &args.store)?;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", args.file.display())))?;
    let file = BatchFile::parse(&bytes)
        .map_err(|e| Failure::input(format!("{}: {e}", args.file.display())))?;
    let journal = match (&args.journal, args.store.store) {
        (Some(journal), _) => journal.clone(),
        (None, StoreKind::Sqlite) => PathBuf::from(format!("{}.journal", args.file.display())),
        (None, StoreKind::Postgres) => PathBuf::from("paybridge_batch_refunds"),
    };
    let store = open_store(args.store.store, &journal).await?;
    let provider = provider(config, &args.provider)?;
    let progress = Progress::new(Some(file.rows.len() as u64), "rows");
    let outcome = run_batch(store, provider, &file, &options, progress.reporter())
        .await
        .map_err(|e| Failure {
            code: 2,
            kind: "store",
            message: format!("{e} (before the first send: nothing was sent)"),
        })?;
    let title = format!(
        "batch {} through {} (store {})",
        args.file.display(),
        args.provider,
        journal.display()
    );
    finish(outcome, &progress, title, "batch")
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

/// Refuses a store that holds refunds, none of them `provider`'s: reconciling it would settle
/// nothing and say all is well.
async fn check_store_provider(store: &dyn BatchStore, provider: ProviderId) -> Result<(), Failure> {
    let held = store.providers().await.map_err(|e| Failure {
        code: 4,
        kind: "store",
        message: e.to_string(),
    })?;
    if held.is_empty() || held.iter().any(|name| name == provider.name()) {
        return Ok(());
    }
    Err(Failure::input(format!(
        "the batch store {} holds refunds of {}, none of {provider}: name {provider}'s store with --journal, or reconcile with --provider {}",
        store.describe(),
        held.join(", "),
        held.first().map_or("", String::as_str),
    )))
}

pub(crate) async fn reconcile(config: Option<&Path>, args: ReconcileArgs) -> Result<(), Failure> {
    let provider_id = known_provider(&args.provider)?;
    let options = options(args.concurrency, args.deadline, &args.store)?;
    let journal = match (args.journal, args.store.store) {
        (Some(path), _) => path,
        (None, StoreKind::Sqlite) => default_journal()?,
        (None, StoreKind::Postgres) => PathBuf::from("paybridge_batch_refunds"),
    };
    if args.store.store == StoreKind::Sqlite && !journal.exists() {
        return Err(Failure::input(format!(
            "no batch store at {}",
            journal.display()
        )));
    }
    let store = open_store(args.store.store, &journal).await?;
    check_store_provider(store.as_ref(), provider_id).await?;
    let day = args
        .date
        .as_deref()
        .map(crate::statement::day)
        .transpose()?;
    match (args.statement, day) {
        (Some(file), day) => {
            return crate::statement::reconcile(
                config,
                &args.provider,
                store,
                crate::statement::StatementFrom::File(file),
                day,
                options.lease,
            )
            .await;
        }
        (None, Some(day)) => {
            return crate::statement::reconcile(
                config,
                &args.provider,
                store,
                crate::statement::StatementFrom::Day(day),
                None,
                options.lease,
            )
            .await;
        }
        (None, None) => {}
    }
    let provider = provider(config, &args.provider)?;
    // The bar's total: the rows not final. Read only when a bar is drawn — the reconcile
    // reads the store itself.
    let open = if Progress::wanted() {
        let rows = store.all(provider.name()).await.map_err(|e| Failure {
            code: 4,
            kind: "store",
            message: e.to_string(),
        })?;
        Some(rows.iter().filter(|row| !row.state.is_final()).count() as u64)
    } else {
        None
    };
    let progress = Progress::new(open, "refunds");
    let title = format!("reconcile {} with {}", store.describe(), args.provider);
    let outcome = reconcile_store(store, provider, &options, progress.reporter())
        .await
        .map_err(|e| Failure {
            code: 4,
            kind: "store",
            message: e.to_string(),
        })?;
    finish(outcome, &progress, title, "reconcile")
}
