//! The batch store in one SQLite file: WAL journal, every commit synced before it returns, and
//! every write made by one writer thread per process that groups the changes arriving together
//! into one commit. Several processes may share the file: each write transaction starts
//! `BEGIN IMMEDIATE`, so claims are decided under SQLite's one write lock, and leases are read
//! on the machine's clock, which every process on it shares.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::{Error, RefundRequest};
use rusqlite::{Connection, OptionalExtension, params};

use crate::sqlite_group::{commit_group, exec, next_group};

use super::store::{ClaimView, Decision, Purpose, StoreErrorKind, claim_lost, decide};
use super::{
    BatchStore, Claim, ClaimFor, Owner, RawRow, RowState, RowWrite, RowWritten, Settled,
    StoreError, StoredRefund, StoredRequest,
};

/// [`BatchStore`] in a SQLite file, for runs on one machine.
///
/// Cloning is cheap: clones share the connections and the writer.
///
/// # What a crash can lose
/// The file is in WAL mode with `synchronous = FULL`: a commit returns only once the log is on
/// the disk. A claim (`sending`) is committed before its refund is sent, and an outcome before
/// it is reported, so neither a crash, nor `kill -9`, nor a power cut loses either; a run after
/// any of them resolves a `sending` row by a look-up, under the same refund id.
///
/// SQLite's other settings would cost less and are not offered, for what they risk:
/// - `NORMAL` syncs the log only at checkpoints. A process crash or `kill -9` still loses
///   nothing (the operating system holds the writes), but a power cut or a kernel crash can
///   undo the last commits: a row that was `sending` when its refund went out reopens as
///   `intent`, and the next run, taking it for never sent, would read a rejection of the
///   resend (say, "refund exceeds the payment" because the first one was applied) as final —
///   the merchant told "failed" refunds again under a new id. An outcome already reported can
///   vanish the same way.
/// - `OFF` leaves the file itself open to corruption by a power cut.
///
/// The cost of `FULL` is kept down instead by grouping: the changes that arrive together share
/// one commit, and a batch overlaps its rows' commits with the provider calls (see
/// `run_batch`). `cargo run --release -p paybridge-benches --bin store_cost` measures what is
/// left against [`MemoryBatchStore`](super::MemoryBatchStore).
#[derive(Clone)]
pub struct SqliteBatchStore {
    reader: Arc<Mutex<Connection>>,
    writer: std::sync::mpsc::Sender<Job>,
    writer_thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteBatchStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBatchStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// 1: the refunds table; 2: claims (`claimed_by`, `lease_until`).
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS refunds (
    provider      TEXT NOT NULL,
    refund_id     TEXT NOT NULL,
    line          INTEGER,
    amount_minor  INTEGER,
    currency      TEXT,
    payment       TEXT,
    order_ref     TEXT,
    total_minor   INTEGER,
    reason_text   TEXT,
    notify_url    TEXT,
    state         TEXT NOT NULL CHECK (state IN ('intent', 'sending', 'succeeded', 'pending',
                      'unknown', 'refused', 'failed', 'invalid', 'deferred')),
    reason        TEXT,
    error_kind    TEXT,
    refund_json   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    claimed_by    TEXT,
    lease_until   INTEGER,
    PRIMARY KEY (provider, refund_id)
) WITHOUT ROWID;
";

/// Milliseconds since the epoch on this machine's clock, as SQLite reads it.
const NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

const COLUMNS: &str = "provider, refund_id, line, amount_minor, currency, payment, order_ref, \
                       total_minor, reason_text, notify_url, state, reason, refund_json, attempts, \
                       claimed_by, lease_until IS NOT NULL AND lease_until < ";

fn columns() -> String {
    format!("{COLUMNS}{NOW_MS}")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl SqliteBatchStore {
    /// Opens (creating if needed) the store at `path`: WAL journal, every commit synced to disk
    /// before it returns, the schema checked (and a store of an earlier paybridge brought up to
    /// date). Several processes may open one file at once.
    ///
    /// # Errors
    /// [`Error::Config`] naming the file when it cannot be opened, is not a SQLite database, is
    /// corrupt, or was written by a newer paybridge.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteBatchStore, Error> {
        let path = path.as_ref();
        // Processes creating one store together meet SQLite's lock while one of them switches
        // the journal mode or creates the table: wait for it, as for any other write.
        let started = std::time::Instant::now();
        let reader = loop {
            match Self::prepare(path) {
                Ok(connection) => break connection,
                Err(Prepare::Sqlite(e))
                    if is_busy(&e) && started.elapsed() < Duration::from_secs(30) =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(Prepare::Sqlite(e)) => return Err(open_error(path, &e)),
                Err(Prepare::Damaged(check)) => return Err(damaged_error(path, &check)),
                Err(Prepare::Newer(version)) => {
                    return Err(Error::Config {
                        reason: format!(
                            "the batch store {} was written by a newer paybridge (schema {version})",
                            path.display()
                        ),
                    });
                }
            }
        };
        let fail = |e: rusqlite::Error| open_error(path, &e);
        let writer_connection = Connection::open(path).map_err(fail)?;
        writer_connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(fail)?;
        writer_connection
            .execute_batch("PRAGMA synchronous = FULL;")
            .map_err(fail)?;
        writer_connection.set_prepared_statement_cache_capacity(64);
        let (writer, jobs) = std::sync::mpsc::channel();
        let name = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("paybridge-batch-store".into())
            .spawn(move || write_loop(&writer_connection, &name, &jobs))
            .map_err(|e| Error::Config {
                reason: format!("cannot start the batch store's writer: {e}"),
            })?;
        Ok(SqliteBatchStore {
            reader: Arc::new(Mutex::new(reader)),
            writer,
            writer_thread: Arc::new(Mutex::new(Some(thread))),
            path: path.to_owned(),
        })
    }

    /// The connection, set up and with the schema in place.
    fn prepare(path: &Path) -> Result<Connection, Prepare> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(30))?;
        // journal_mode answers with a row; a file that is not a database fails here.
        let _mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        connection.execute_batch("PRAGMA synchronous = FULL;")?;
        let check: String = connection.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
        if check != "ok" {
            return Err(Prepare::Damaged(check));
        }
        connection.execute_batch("BEGIN IMMEDIATE")?;
        let migrated = Self::migrate(&connection);
        match migrated {
            Ok(()) => connection.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = connection.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(connection)
    }

    fn migrate(connection: &Connection) -> Result<(), Prepare> {
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Prepare::Newer(version));
        }
        connection.execute_batch(SCHEMA)?;
        if version == 1 {
            connection.execute_batch(
                "ALTER TABLE refunds ADD COLUMN claimed_by TEXT;
                 ALTER TABLE refunds ADD COLUMN lease_until INTEGER;",
            )?;
        }
        connection.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
        Ok(())
    }

    /// Closes the store (what dropping its last handle does): waits for the writer to finish
    /// and the connections to close, so SQLite folds its write-ahead log back into the file.
    /// Every change was durable before; this only tidies the files up.
    pub fn close(self) {
        drop(self);
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn fail(&self, error: &rusqlite::Error) -> StoreError {
        unavailable(&self.name(), error)
    }

    /// Runs `op` in the writer's next commit and answers once that commit is on disk.
    async fn write(&self, op: Op) -> Result<Reply, StoreError> {
        self.write_all(vec![op])
            .await
            .pop()
            .unwrap_or_else(|| Err(self.stopped()))
    }

    /// Runs `ops` in one commit (see [`commit_group`]), and answers each once it is on disk.
    async fn write_all(&self, ops: Vec<Op>) -> Vec<Result<Reply, StoreError>> {
        let count = ops.len();
        if count == 0 {
            return Vec::new();
        }
        let (done, answer) = tokio::sync::oneshot::channel();
        if self.writer.send(Job { ops, done }).is_err() {
            return (0..count).map(|_| Err(self.stopped())).collect();
        }
        match answer.await {
            Ok(results) if results.len() == count => results,
            _ => (0..count).map(|_| Err(self.stopped())).collect(),
        }
    }

    fn stopped(&self) -> StoreError {
        StoreError::new(
            &self.name(),
            StoreErrorKind::Unavailable,
            "its writer stopped",
        )
    }

    fn claim_op(provider: &str, refund_id: &str, owner: &Owner, purpose: ClaimFor<'_>) -> Op {
        let request = purpose.request();
        let (provider, refund_id, owner) =
            (provider.to_owned(), refund_id.to_owned(), owner.clone());
        let purpose = purpose.purpose();
        Op::single(move |connection, store| {
            claim_in(
                connection,
                store,
                &provider,
                &refund_id,
                &owner,
                purpose,
                request.as_ref(),
            )
            .map(Reply::Claimed)
        })
    }

    fn claimed(&self, reply: Reply) -> Result<Claim, StoreError> {
        match reply {
            Reply::Claimed(claim) => Ok(claim),
            _ => Err(StoreError::new(
                &self.name(),
                StoreErrorKind::Unavailable,
                "the writer answered a claim with something else",
            )),
        }
    }

    fn settle_op(provider: &str, refund_id: &str, owner: &Owner, settled: &Settled) -> Op {
        let refund_json = settled.refund_json();
        let (provider, refund_id, owner) = (
            provider.to_owned(),
            refund_id.to_owned(),
            owner.id().to_owned(),
        );
        let (state, reason, kind) = (settled.state, settled.reason.clone(), settled.error_kind);
        Op::single(move |connection, store| {
            let changed = exec(
                connection,
                "UPDATE refunds SET state = ?3, reason = ?4, error_kind = ?5,
                        refund_json = COALESCE(?6, refund_json), claimed_by = NULL,
                        lease_until = NULL,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE provider = ?1 AND refund_id = ?2 AND claimed_by = ?7",
                params![
                    provider,
                    refund_id,
                    state.as_str(),
                    reason,
                    kind,
                    refund_json,
                    owner
                ],
            )
            .map_err(|e| unavailable(store, &e))?;
            if changed == 1 {
                Ok(Reply::Done)
            } else {
                Err(claim_lost_in(connection, store, &provider, &refund_id))
            }
        })
    }
}

fn open_error(path: &Path, error: &rusqlite::Error) -> Error {
    Error::Config {
        reason: format!("the batch store {} cannot be used: {error}", path.display()),
    }
}

fn damaged_error(path: &Path, check: &str) -> Error {
    Error::Config {
        reason: format!(
            "the batch store {} is damaged ({check}); keep it for inspection and restore a copy",
            path.display()
        ),
    }
}

/// Why a connection could not be set up.
enum Prepare {
    Sqlite(rusqlite::Error),
    Damaged(String),
    Newer(i64),
}

impl From<rusqlite::Error> for Prepare {
    fn from(error: rusqlite::Error) -> Prepare {
        Prepare::Sqlite(error)
    }
}

fn unavailable(store: &str, error: &rusqlite::Error) -> StoreError {
    StoreError::new(store, StoreErrorKind::Unavailable, error.to_string())
}

fn read_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        provider: row.get(0)?,
        refund_id: row.get(1)?,
        line: row.get(2)?,
        amount_minor: row.get(3)?,
        currency: row.get(4)?,
        payment: row.get(5)?,
        order_ref: row.get(6)?,
        total_minor: row.get(7)?,
        reason_text: row.get(8)?,
        notify_url: row.get(9)?,
        state: row.get(10)?,
        reason: row.get(11)?,
        refund_json: row.get(12)?,
        attempts: row.get(13)?,
        claimed_by: row.get(14)?,
        lease_expired: row.get(15)?,
    })
}

fn get_row(
    connection: &Connection,
    store: &str,
    provider: &str,
    refund_id: &str,
) -> Result<Option<StoredRefund>, StoreError> {
    // Through the statement cache: every claim reads its row first.
    query_row(
        connection,
        &format!(
            "SELECT {} FROM refunds WHERE provider = ?1 AND refund_id = ?2",
            columns()
        ),
        params![provider, refund_id],
        read_raw,
    )
    .optional()
    .map_err(|e| unavailable(store, &e))?
    .map(|raw| raw.into_stored(store))
    .transpose()
}

/// What a write does, given the writer's connection and the store's name.
type Apply = Box<dyn FnOnce(&Connection, &str) -> Result<Reply, StoreError> + Send>;

/// A write, as the writer runs it inside the group's transaction.
struct Op {
    apply: Apply,
    /// It changes the file with more than one statement, so it runs in a savepoint of its own:
    /// one that fails half-way is undone whole and the group goes on. A write of one statement
    /// needs none (SQLite undoes a failed statement itself), and a row's claim and settle are
    /// such writes, so most of the group skips two statements each.
    several: bool,
}

impl Op {
    /// A write of several statements, undone whole if any fails.
    fn several(
        apply: impl FnOnce(&Connection, &str) -> Result<Reply, StoreError> + Send + 'static,
    ) -> Op {
        Op {
            apply: Box::new(apply),
            several: true,
        }
    }

    /// A write that changes the file with at most one statement (it may read around it).
    fn single(
        apply: impl FnOnce(&Connection, &str) -> Result<Reply, StoreError> + Send + 'static,
    ) -> Op {
        Op {
            apply: Box::new(apply),
            several: false,
        }
    }
}

/// What a write answers.
enum Reply {
    Done,
    Recorded(bool),
    Claimed(Claim),
}

/// Writes waiting for the writer, and who to tell when they are on disk. A job's writes go
/// into one commit and are answered together.
struct Job {
    ops: Vec<Op>,
    done: tokio::sync::oneshot::Sender<Vec<Result<Reply, StoreError>>>,
}

/// [`Connection::query_row`] through the statement cache.
fn query_row<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
    connection: &Connection,
    sql: &str,
    params: P,
    f: F,
) -> rusqlite::Result<T> {
    connection.prepare_cached(sql)?.query_row(params, f)
}

/// The writer: owns its own connection; takes every write waiting, applies them in one
/// transaction (see [`commit_group`]), syncs once, then answers each.
fn write_loop(connection: &Connection, store: &str, jobs: &std::sync::mpsc::Receiver<Job>) {
    while let Some(group) = next_group(jobs, 512) {
        let mut ops = Vec::new();
        let mut answers = Vec::with_capacity(group.len());
        for job in group {
            answers.push((job.ops.len(), job.done));
            ops.extend(job.ops);
        }
        // A group that cannot commit fails whole: every write in it, claims included.
        let mut results = commit_group(
            connection,
            ops,
            |op| op.several,
            |op, connection| (op.apply)(connection, store),
            |e| unavailable(store, e),
        )
        .into_iter();
        for (count, done) in answers {
            let _ = done.send(results.by_ref().take(count).collect());
        }
    }
}

/// A claim's UPDATE: the row's state, attempts and lease (`?1`–`?6`) and, `with_request`, the
/// request it is sent with (`?7`–`?13`). Built once each: the writer runs it for every row.
fn claim_sql(with_request: bool) -> &'static str {
    fn build(request_columns: &str) -> String {
        format!(
            "UPDATE refunds SET state = ?3, attempts = attempts + ?4, claimed_by = ?5,
                    lease_until = {NOW_MS} + ?6,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'){request_columns}
                 WHERE provider = ?1 AND refund_id = ?2"
        )
    }
    static PLAIN: LazyLock<String> = LazyLock::new(|| build(""));
    static WITH_REQUEST: LazyLock<String> = LazyLock::new(|| {
        build(
            ", amount_minor = ?7, currency = ?8, payment = ?9, order_ref = ?10,
                    total_minor = ?11, reason_text = ?12, notify_url = ?13",
        )
    });
    if with_request { &WITH_REQUEST } else { &PLAIN }
}

fn claim_in(
    connection: &Connection,
    store: &str,
    provider: &str,
    refund_id: &str,
    owner: &Owner,
    purpose: Purpose,
    request: Option<&StoredRequest>,
) -> Result<Claim, StoreError> {
    let fail = |e: &rusqlite::Error| unavailable(store, e);
    let row = get_row(connection, store, provider, refund_id)?;
    let view = row.as_ref().map(ClaimView::of);
    match decide(view.as_ref(), owner, purpose) {
        Decision::Answer(answer) => Ok(answer),
        Decision::Take {
            prior,
            step,
            sending,
            write_request,
            took_over_from,
        } => {
            let new_state = if sending { RowState::Sending } else { prior };
            // One statement either way, so the claim needs no savepoint (see `Op`).
            let (state, attempts, owner_id, lease) = (
                new_state.as_str(),
                i64::from(sending),
                owner.id(),
                owner.lease_ms(),
            );
            let mut values: Vec<&dyn rusqlite::ToSql> =
                vec![&provider, &refund_id, &state, &attempts, &owner_id, &lease];
            let currency;
            let writes = match (write_request, request) {
                (true, Some(request)) => {
                    currency = request.amount.currency.code();
                    values.extend::<[&dyn rusqlite::ToSql; 7]>([
                        &request.amount.minor,
                        &currency,
                        &request.payment,
                        &request.order_ref,
                        &request.total_minor,
                        &request.reason,
                        &request.notify_url,
                    ]);
                    Some(request)
                }
                _ => None,
            };
            exec(
                connection,
                claim_sql(writes.is_some()),
                rusqlite::params_from_iter(values),
            )
            .map_err(|e| fail(&e))?;
            let request = match writes {
                Some(request) => Some(request.clone()),
                None => row.and_then(|r| r.request),
            };
            Ok(Claim::Taken {
                prior,
                request,
                step,
                took_over_from,
            })
        }
    }
}

#[async_trait]
impl BatchStore for SqliteBatchStore {
    fn describe(&self) -> String {
        self.name()
    }

    async fn record_intents(
        &self,
        provider: &str,
        rows: &[(u64, &RefundRequest)],
    ) -> Result<(), StoreError> {
        let provider = provider.to_owned();
        let rows: Vec<(i64, String, StoredRequest)> = rows
            .iter()
            .map(|(line, request)| {
                (
                    i64::try_from(*line).unwrap_or(i64::MAX),
                    request.refund_id().as_str().to_owned(),
                    StoredRequest::of(request),
                )
            })
            .collect();
        self.write(Op::several(move |connection, store| {
            let fail = |e: &rusqlite::Error| unavailable(store, e);
            let mut insert = connection
                .prepare_cached(
                    "INSERT INTO refunds (provider, refund_id, line, amount_minor, currency,
                        payment, order_ref, total_minor, reason_text, notify_url, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'intent')
                     ON CONFLICT (provider, refund_id) DO UPDATE SET
                        line = excluded.line, amount_minor = excluded.amount_minor,
                        currency = excluded.currency, payment = excluded.payment,
                        order_ref = excluded.order_ref, total_minor = excluded.total_minor,
                        reason_text = excluded.reason_text, notify_url = excluded.notify_url,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE refunds.state IN ('intent', 'invalid', 'deferred')
                        AND refunds.claimed_by IS NULL",
                )
                .map_err(|e| fail(&e))?;
            for (line, refund_id, stored) in &rows {
                insert
                    .execute(params![
                        provider,
                        refund_id,
                        line,
                        stored.amount.minor,
                        stored.amount.currency.code(),
                        stored.payment,
                        stored.order_ref,
                        stored.total_minor,
                        stored.reason,
                        stored.notify_url,
                    ])
                    .map_err(|e| fail(&e))?;
            }
            Ok(Reply::Done)
        }))
        .await
        .map(|_| ())
    }

    async fn record_invalid(
        &self,
        provider: &str,
        refund_id: &str,
        line: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let (provider, refund_id, reason) =
            (provider.to_owned(), refund_id.to_owned(), reason.to_owned());
        let line = i64::try_from(line).unwrap_or(i64::MAX);
        let reply = self
            .write(Op::single(move |connection, store| {
                let changed = exec(
                    connection,
                    "INSERT INTO refunds (provider, refund_id, line, state, reason, error_kind)
                         VALUES (?1, ?2, ?3, 'invalid', ?4, 'invalid_request')
                         ON CONFLICT (provider, refund_id) DO UPDATE SET
                            line = excluded.line, state = 'invalid', reason = excluded.reason,
                            error_kind = 'invalid_request',
                            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                         WHERE refunds.state IN ('intent', 'invalid', 'deferred')
                            AND refunds.claimed_by IS NULL",
                    params![provider, refund_id, line, reason],
                )
                .map_err(|e| unavailable(store, &e))?;
                Ok(Reply::Recorded(changed == 1))
            }))
            .await?;
        Ok(matches!(reply, Reply::Recorded(true)))
    }

    async fn claim(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        purpose: ClaimFor<'_>,
    ) -> Result<Claim, StoreError> {
        let reply = self
            .write(Self::claim_op(provider, refund_id, owner, purpose))
            .await?;
        self.claimed(reply)
    }

    async fn settle(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        settled: &Settled,
    ) -> Result<(), StoreError> {
        self.write(Self::settle_op(provider, refund_id, owner, settled))
            .await
            .map(|_| ())
    }

    fn commits_together(&self) -> bool {
        true
    }

    async fn write_rows(
        &self,
        provider: &str,
        owner: &Owner,
        rows: &[RowWrite<'_>],
    ) -> Vec<RowWritten> {
        // Every row's outcome and claim in one commit, in the order given.
        let mut ops = Vec::new();
        for row in rows {
            if let Some((refund_id, settled)) = row.settle {
                ops.push(Self::settle_op(provider, refund_id, owner, settled));
            }
            if let Some((refund_id, purpose)) = row.claim {
                ops.push(Self::claim_op(provider, refund_id, owner, purpose));
            }
        }
        let mut results = self.write_all(ops).await.into_iter();
        rows.iter()
            .map(|row| RowWritten {
                settled: match row.settle {
                    Some(_) => results
                        .next()
                        .unwrap_or_else(|| Err(self.stopped()))
                        .map(|_| ()),
                    None => Ok(()),
                },
                claimed: row.claim.map(|_| {
                    results
                        .next()
                        .unwrap_or_else(|| Err(self.stopped()))
                        .and_then(|reply| self.claimed(reply))
                }),
            })
            .collect()
    }

    async fn release(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
    ) -> Result<(), StoreError> {
        let (provider, refund_id, owner) = (
            provider.to_owned(),
            refund_id.to_owned(),
            owner.id().to_owned(),
        );
        self.write(Op::single(move |connection, store| {
            exec(
                connection,
                "UPDATE refunds SET claimed_by = NULL, lease_until = NULL
                     WHERE provider = ?1 AND refund_id = ?2 AND claimed_by = ?3",
                params![provider, refund_id, owner],
            )
            .map_err(|e| unavailable(store, &e))?;
            Ok(Reply::Done)
        }))
        .await
        .map(|_| ())
    }

    async fn renew(&self, owner: &Owner) -> Result<(), StoreError> {
        let (id, lease) = (owner.id().to_owned(), owner.lease_ms());
        self.write(Op::single(move |connection, store| {
            exec(
                connection,
                &format!("UPDATE refunds SET lease_until = {NOW_MS} + ?2 WHERE claimed_by = ?1"),
                params![id, lease],
            )
            .map_err(|e| unavailable(store, &e))?;
            Ok(Reply::Done)
        }))
        .await
        .map(|_| ())
    }

    async fn get(
        &self,
        provider: &str,
        refund_id: &str,
    ) -> Result<Option<StoredRefund>, StoreError> {
        let reader = lock(&self.reader);
        get_row(&reader, &self.name(), provider, refund_id)
    }

    async fn all(&self, provider: &str) -> Result<Vec<StoredRefund>, StoreError> {
        let reader = lock(&self.reader);
        let mut statement = reader
            .prepare(&format!(
                "SELECT {} FROM refunds WHERE provider = ?1 ORDER BY refund_id",
                columns()
            ))
            .map_err(|e| self.fail(&e))?;
        let rows = statement
            .query_map(params![provider], read_raw)
            .map_err(|e| self.fail(&e))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(|e| self.fail(&e))?.into_stored(&self.name())?);
        }
        Ok(out)
    }

    async fn providers(&self) -> Result<Vec<String>, StoreError> {
        let reader = lock(&self.reader);
        let mut statement = reader
            .prepare("SELECT DISTINCT provider FROM refunds ORDER BY provider")
            .map_err(|e| self.fail(&e))?;
        let names = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| self.fail(&e))?;
        names.map(|name| name.map_err(|e| self.fail(&e))).collect()
    }
}

/// The error for a settle that found the row held by another run (or gone).
fn claim_lost_in(
    connection: &Connection,
    store: &str,
    provider: &str,
    refund_id: &str,
) -> StoreError {
    let holder: Option<Option<String>> = query_row(
        connection,
        "SELECT claimed_by FROM refunds WHERE provider = ?1 AND refund_id = ?2",
        params![provider, refund_id],
        |row| row.get(0),
    )
    .optional()
    .unwrap_or(None);
    claim_lost(store, refund_id, holder)
}

impl Drop for SqliteBatchStore {
    fn drop(&mut self) {
        // The last handle stops the writer (by dropping the last sender) and waits for it to
        // close its connection; earlier handles just let go.
        if Arc::strong_count(&self.writer_thread) != 1 {
            return;
        }
        let (detached, _) = std::sync::mpsc::channel();
        drop(std::mem::replace(&mut self.writer, detached));
        if let Some(thread) = lock(&self.writer_thread).take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::{Currency, MerchantRefundId, Money, PaymentRef};

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pb-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("batch.journal")
    }

    fn request(id: &str, minor: i64) -> RefundRequest {
        RefundRequest::builder(
            MerchantRefundId::new(id).unwrap(),
            Money::new(minor, Currency::Thb),
        )
        .payment(PaymentRef::new("CU1").unwrap())
        .build()
        .unwrap()
    }

    #[test]
    fn a_store_of_an_earlier_paybridge_is_brought_up_to_date() {
        let path = temp("v1");
        {
            let connection = Connection::open(&path).unwrap();
            connection
                .execute_batch(
                    "CREATE TABLE refunds (provider TEXT NOT NULL, refund_id TEXT NOT NULL,
                        line INTEGER, amount_minor INTEGER, currency TEXT, payment TEXT,
                        order_ref TEXT, total_minor INTEGER, reason_text TEXT, notify_url TEXT,
                        state TEXT NOT NULL, reason TEXT, error_kind TEXT, refund_json TEXT,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                        PRIMARY KEY (provider, refund_id)) WITHOUT ROWID;
                     INSERT INTO refunds (provider, refund_id, amount_minor, currency, state)
                        VALUES ('bluepay', 'old', 100, 'THB', 'unknown');
                     PRAGMA user_version = 1;",
                )
                .unwrap();
        }
        let store = SqliteBatchStore::open(&path).unwrap();
        let row = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(store.get("bluepay", "old"))
            .unwrap()
            .unwrap();
        assert_eq!((row.state, row.claim), (RowState::Unknown, None));
    }

    #[test]
    fn a_file_that_is_not_a_store_is_refused_naming_it() {
        let path = temp("garbage");
        std::fs::write(&path, vec![0x5au8; 8192]).unwrap();
        let error = SqliteBatchStore::open(&path).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, Error::Config { .. }), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            vec![0x5au8; 8192],
            "left as it was"
        );
    }

    #[test]
    fn a_store_cut_short_is_refused_or_reads_back_what_it_committed() {
        let path = temp("torn");
        {
            let store = SqliteBatchStore::open(&path).unwrap();
            let rows: Vec<RefundRequest> = (0..200)
                .map(|i| request(&format!("r{i}"), 100 + i))
                .collect();
            let refs: Vec<(u64, &RefundRequest)> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| (i as u64, r))
                .collect();
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(store.record_intents("bluepay", &refs))
                .unwrap();
        }
        // Fold the WAL into the main file, then tear the file's tail off.
        {
            let connection = Connection::open(&path).unwrap();
            connection
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        match SqliteBatchStore::open(&path) {
            Err(error) => assert!(error.to_string().contains("batch store"), "{error}"),
            Ok(store) => {
                // If SQLite can still read it, every row it returns must be whole.
                let all = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap()
                    .block_on(store.all("bluepay"));
                if let Ok(rows) = all {
                    for row in rows {
                        assert!(row.request.is_some());
                    }
                }
            }
        }
    }
}
