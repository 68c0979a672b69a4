//! Batches of refunds that survive crashes, re-runs and edited input: every refund's progress is
//! kept in a SQLite file (WAL, one transaction per state change), keyed by (provider, refund id),
//! and each re-run or reconciliation takes a row from where it stands — never sending a refund
//! under a new id, never reporting "refused" while the provider may hold the money.
//!
//! A row's state moves `intent → sending → {succeeded, pending, unknown, refused, failed,
//! invalid, deferred}`:
//!
//! | state | means | a re-run |
//! |---|---|---|
//! | `intent` | recorded, not sent yet | sends it |
//! | `sending` | an attempt started; its outcome was never recorded (a crash) | looks it up, then sends it again under the same id if not found |
//! | `succeeded` | the provider holds it and the money went back | skips it (final) |
//! | `pending` | the provider holds it, not final yet (or needs the merchant's attention) | looks it up |
//! | `unknown` | an attempt may have been applied and nothing settled it | looks it up, then sends it again under the same id if not found |
//! | `refused` | the provider refused it and nothing was applied | skips it (final) |
//! | `failed` | the provider holds it and reports it failed or cancelled: no money went back | skips it (final) |
//! | `invalid` | the row is not a valid refund for this provider; nothing was sent | validates it again (the file or config may be fixed) |
//! | `deferred` | nothing was applied, for a reason that may pass (configuration, credentials, rate limits, the provider busy) | sends it |
//!
//! Inspect a store with `sqlite3 FILE 'select refund_id, state, reason from refunds'`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, OrderRef, PaymentRef, Refund, RefundLookup,
    RefundProvider, RefundRequest, RefundStatus, RejectionClass,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{RefundOutcome, ReliablePolicy, reliable_refund, resume_refund};

/// Where a refund of a batch stands. See the [module docs](self) for what each means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RowState {
    /// Recorded, not sent yet.
    Intent,
    /// An attempt started; its outcome was never recorded.
    Sending,
    /// The provider holds it and the money went back.
    Succeeded,
    /// The provider holds it; not final yet.
    Pending,
    /// An attempt may have been applied and nothing has settled it.
    Unknown,
    /// Refused by the provider; nothing was applied.
    Refused,
    /// The provider holds it and reports it failed or cancelled.
    Failed,
    /// Not a valid refund; nothing was sent.
    Invalid,
    /// Nothing was applied, for a reason that may pass.
    Deferred,
}

impl RowState {
    /// Every state.
    pub const ALL: [RowState; 9] = [
        RowState::Intent,
        RowState::Sending,
        RowState::Succeeded,
        RowState::Pending,
        RowState::Unknown,
        RowState::Refused,
        RowState::Failed,
        RowState::Invalid,
        RowState::Deferred,
    ];

    /// The name stored and printed.
    pub const fn as_str(self) -> &'static str {
        match self {
            RowState::Intent => "intent",
            RowState::Sending => "sending",
            RowState::Succeeded => "succeeded",
            RowState::Pending => "pending",
            RowState::Unknown => "unknown",
            RowState::Refused => "refused",
            RowState::Failed => "failed",
            RowState::Invalid => "invalid",
            RowState::Deferred => "deferred",
        }
    }

    /// The state called `name`.
    pub fn parse(name: &str) -> Option<RowState> {
        RowState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether nothing will change it any more.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            RowState::Succeeded | RowState::Refused | RowState::Failed
        )
    }

    /// Whether an attempt may have reached the provider: the row's request is then fixed, and
    /// the refund is settled by a look-up before anything is sent again.
    pub const fn may_have_been_sent(self) -> bool {
        matches!(
            self,
            RowState::Sending
                | RowState::Succeeded
                | RowState::Pending
                | RowState::Unknown
                | RowState::Refused
                | RowState::Failed
        )
    }

    /// Whether the outcome is still open in the sense that matters to money: the provider may
    /// hold the refund and we do not know it.
    pub const fn is_unknown(self) -> bool {
        matches!(self, RowState::Sending | RowState::Unknown)
    }
}

impl std::fmt::Display for RowState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a row ended and why.
#[derive(Clone, Debug)]
pub struct Settled {
    /// The row's state now.
    pub state: RowState,
    /// Why, in words.
    pub reason: String,
    /// The error kind behind it ([`Error::kind_name`]), if an error decided it.
    pub error_kind: Option<&'static str>,
    /// The refund as the provider reports it, when it holds one.
    pub refund: Option<Refund>,
}

impl Settled {
    fn from_refund(refund: Refund) -> Settled {
        let state = match refund.status {
            RefundStatus::Succeeded => RowState::Succeeded,
            RefundStatus::Failed | RefundStatus::Cancelled => RowState::Failed,
            _ => RowState::Pending,
        };
        let reason = match refund.status {
            RefundStatus::Succeeded => "the provider holds the refund and it succeeded".to_owned(),
            RefundStatus::Failed | RefundStatus::Cancelled => format!(
                "the provider holds the refund and reports it {} ({}): no money went back",
                refund.status.as_str(),
                refund.provider_status.as_deref().unwrap_or("no raw status")
            ),
            RefundStatus::RequiresAttention => format!(
                "the provider holds the refund and says it needs the merchant's attention ({})",
                refund.provider_status.as_deref().unwrap_or("no raw status")
            ),
            _ => "the provider holds the refund; it is not final yet".to_owned(),
        };
        Settled {
            state,
            reason,
            error_kind: None,
            refund: Some(refund),
        }
    }

    fn from_error(state: RowState, error: &Error) -> Settled {
        Settled {
            state,
            reason: error.to_string(),
            error_kind: Some(error.kind_name()),
            refund: None,
        }
    }

    /// The state a reliable refund's outcome puts a row in.
    pub fn from_outcome(outcome: RefundOutcome) -> Settled {
        match outcome {
            RefundOutcome::Refunded(refund) => Settled::from_refund(refund),
            RefundOutcome::Unknown(error) => Settled::from_error(RowState::Unknown, &error),
            RefundOutcome::NotSent(error) => {
                let state = match error {
                    Error::InvalidRequest { .. } => RowState::Invalid,
                    _ => RowState::Deferred,
                };
                Settled::from_error(state, &error)
            }
            RefundOutcome::Rejected(error) => {
                let state = match &error {
                    Error::Rejected {
                        class: RejectionClass::Retryable | RejectionClass::Authentication,
                        ..
                    }
                    | Error::Transport { .. } => RowState::Deferred,
                    Error::Rejected { .. } | Error::RefundNotFound { .. } => RowState::Refused,
                    Error::InvalidRequest { .. } => RowState::Invalid,
                    Error::Config { .. } => RowState::Deferred,
                    // Anything else that reached here may have been applied.
                    _ => RowState::Unknown,
                };
                Settled::from_error(state, &error)
            }
        }
    }
}

/// A refund as the store keeps it: the request's fields and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRefund {
    /// The provider's name.
    pub provider: String,
    /// The merchant refund id.
    pub refund_id: String,
    /// The input line it came from last (for messages).
    pub line: Option<u64>,
    /// The request, when the row was a valid one.
    pub request: Option<StoredRequest>,
    /// Where it stands.
    pub state: RowState,
    /// Why.
    pub reason: Option<String>,
    /// The refund as the provider last reported it.
    pub refund: Option<Refund>,
    /// Runs that sent (or looked up) this refund.
    pub attempts: u32,
}

/// The fields of a refund request, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest {
    /// The amount.
    pub amount: Money,
    /// The provider's payment reference.
    pub payment: Option<String>,
    /// The merchant order reference.
    pub order_ref: Option<String>,
    /// The payment's total, in the amount's currency.
    pub total_minor: Option<i64>,
    /// The reason.
    pub reason: Option<String>,
    /// The notification URL.
    pub notify_url: Option<String>,
}

impl StoredRequest {
    /// The stored fields of `request`.
    pub fn of(request: &RefundRequest) -> StoredRequest {
        StoredRequest {
            amount: request.amount(),
            payment: request.payment().map(ToString::to_string),
            order_ref: request.order_ref().map(ToString::to_string),
            total_minor: request.total().map(|t| t.minor),
            reason: request.reason().map(str::to_owned),
            notify_url: request.notify_url().map(str::to_owned),
        }
    }

    /// Whether `other` asks for a different refund: another payment, order, amount, currency or
    /// total. (A different reason or notification URL is the same refund.)
    pub fn differs_from(&self, other: &StoredRequest) -> Option<&'static str> {
        if self.amount != other.amount {
            Some("amount")
        } else if self.payment != other.payment {
            Some("payment")
        } else if self.order_ref != other.order_ref {
            Some("order_ref")
        } else if self.total_minor != other.total_minor {
            Some("total")
        } else {
            None
        }
    }

    /// The request again, for the refund id `refund_id`.
    ///
    /// # Errors
    /// A stored field no longer valid (a store edited by hand).
    pub fn to_request(&self, refund_id: &str) -> Result<RefundRequest, Error> {
        let mut builder = RefundRequest::builder(MerchantRefundId::new(refund_id)?, self.amount);
        if let Some(payment) = &self.payment {
            builder = builder.payment(PaymentRef::new(payment.as_str())?);
        }
        if let Some(order_ref) = &self.order_ref {
            builder = builder.order_ref(OrderRef::new(order_ref.as_str())?);
        }
        if let Some(total) = self.total_minor {
            builder = builder.total(Money::new(total, self.amount.currency));
        }
        if let Some(reason) = &self.reason {
            builder = builder.reason(reason.as_str());
        }
        if let Some(url) = &self.notify_url {
            builder = builder.notify_url(url.as_str());
        }
        builder.build()
    }
}

/// The batch store: one SQLite file, shared by the tasks of a run.
#[derive(Clone)]
pub struct BatchStore {
    connection: Arc<Mutex<Connection>>,
    writer: std::sync::mpsc::Sender<Job>,
    writer_thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
    path: PathBuf,
}

impl std::fmt::Debug for BatchStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

const SCHEMA_VERSION: i64 = 1;

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
    PRIMARY KEY (provider, refund_id)
) WITHOUT ROWID;
";

fn store_error(path: &Path, error: &rusqlite::Error) -> Error {
    Error::Config {
        reason: format!("the batch store {} cannot be used: {error}", path.display()),
    }
}

fn lock<T>(connection: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    connection
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl BatchStore {
    /// Opens (creating if needed) the store at `path`: WAL journal, every commit synced to disk
    /// before it returns, the schema checked.
    ///
    /// # Errors
    /// [`Error::Config`] naming the file when it cannot be opened, is not a SQLite database, is
    /// corrupt, or was written by a newer paybridge.
    pub fn open(path: &Path) -> Result<BatchStore, Error> {
        let fail = |e: rusqlite::Error| store_error(path, &e);
        let connection = Connection::open(path).map_err(fail)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(fail)?;
        // journal_mode answers with a row; a file that is not a database fails here.
        let _mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(fail)?;
        connection
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(fail)?;
        let check: String = connection
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(fail)?;
        if check != "ok" {
            return Err(Error::Config {
                reason: format!(
                    "the batch store {} is damaged ({check}); keep it for inspection and restore a copy",
                    path.display()
                ),
            });
        }
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(fail)?;
        if version > SCHEMA_VERSION {
            return Err(Error::Config {
                reason: format!(
                    "the batch store {} was written by a newer paybridge (schema {version})",
                    path.display()
                ),
            });
        }
        connection.execute_batch(SCHEMA).map_err(fail)?;
        connection
            .execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(fail)?;
        let writer_connection = Connection::open(path).map_err(fail)?;
        writer_connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(fail)?;
        writer_connection
            .execute_batch("PRAGMA synchronous = FULL;")
            .map_err(fail)?;
        let (writer, jobs) = std::sync::mpsc::channel();
        let owned = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("paybridge-batch-store".into())
            .spawn(move || write_loop(writer_connection, owned, jobs))
            .map_err(|e| Error::Config {
                reason: format!("cannot start the batch store's writer: {e}"),
            })?;
        Ok(BatchStore {
            connection: Arc::new(Mutex::new(connection)),
            writer,
            writer_thread: Arc::new(Mutex::new(Some(thread))),
            path: path.to_owned(),
        })
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

    fn fail(&self, error: &rusqlite::Error) -> Error {
        store_error(&self.path, error)
    }

    /// The stored refund `refund_id` of `provider`, if any.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn get(&self, provider: &str, refund_id: &str) -> Result<Option<StoredRefund>, Error> {
        let connection = lock(&self.connection);
        connection
            .query_row(
                &format!("SELECT {COLUMNS} FROM refunds WHERE provider = ?1 AND refund_id = ?2"),
                params![provider, refund_id],
                read_row,
            )
            .optional()
            .map_err(|e| self.fail(&e))?
            .transpose()
    }

    /// Every stored refund of `provider`, in refund id order.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn all(&self, provider: &str) -> Result<Vec<StoredRefund>, Error> {
        let connection = lock(&self.connection);
        let mut statement = connection
            .prepare(&format!(
                "SELECT {COLUMNS} FROM refunds WHERE provider = ?1 ORDER BY refund_id"
            ))
            .map_err(|e| self.fail(&e))?;
        let rows = statement
            .query_map(params![provider], read_row)
            .map_err(|e| self.fail(&e))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(|e| self.fail(&e))??);
        }
        Ok(out)
    }

    /// Records new refunds as `intent` (in one transaction), and refreshes the request of stored
    /// ones that were never sent (`intent`, `invalid`, `deferred`): the input may have been
    /// fixed since. Rows already sent are left as they are.
    ///
    /// # Errors
    /// The store cannot be written.
    pub fn record_intents(
        &self,
        provider: &str,
        rows: &[(u64, &RefundRequest)],
    ) -> Result<(), Error> {
        let mut connection = lock(&self.connection);
        let tx = connection.transaction().map_err(|e| self.fail(&e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO refunds (provider, refund_id, line, amount_minor, currency,
                        payment, order_ref, total_minor, reason_text, notify_url, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'intent')
                     ON CONFLICT (provider, refund_id) DO UPDATE SET
                        line = excluded.line, amount_minor = excluded.amount_minor,
                        currency = excluded.currency, payment = excluded.payment,
                        order_ref = excluded.order_ref, total_minor = excluded.total_minor,
                        reason_text = excluded.reason_text, notify_url = excluded.notify_url,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE refunds.state IN ('intent', 'invalid', 'deferred')",
                )
                .map_err(|e| self.fail(&e))?;
            for (line, request) in rows {
                let stored = StoredRequest::of(request);
                insert
                    .execute(params![
                        provider,
                        request.refund_id().as_str(),
                        i64::try_from(*line).unwrap_or(i64::MAX),
                        stored.amount.minor,
                        stored.amount.currency.code(),
                        stored.payment,
                        stored.order_ref,
                        stored.total_minor,
                        stored.reason,
                        stored.notify_url,
                    ])
                    .map_err(|e| self.fail(&e))?;
            }
        }
        tx.commit().map_err(|e| self.fail(&e))
    }

    /// Records a row whose input is not a valid refund (its refund id is): state `invalid`,
    /// unless the refund was already sent.
    ///
    /// # Errors
    /// The store cannot be written.
    pub fn record_invalid(
        &self,
        provider: &str,
        refund_id: &str,
        line: u64,
        reason: &str,
    ) -> Result<(), Error> {
        let connection = lock(&self.connection);
        connection
            .execute(
                "INSERT INTO refunds (provider, refund_id, line, state, reason, error_kind)
                 VALUES (?1, ?2, ?3, 'invalid', ?4, 'invalid_request')
                 ON CONFLICT (provider, refund_id) DO UPDATE SET
                    line = excluded.line, state = 'invalid', reason = excluded.reason,
                    error_kind = 'invalid_request',
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE refunds.state IN ('intent', 'invalid', 'deferred')",
                params![
                    provider,
                    refund_id,
                    i64::try_from(line).unwrap_or(i64::MAX),
                    reason
                ],
            )
            .map_err(|e| self.fail(&e))?;
        Ok(())
    }

    /// Makes `change` durable and returns once it is on disk, off the async runtime. Changes
    /// that arrive while the writer is syncing share its next commit (group commit): each is
    /// applied atomically on its own (a savepoint), and none is acknowledged before the commit
    /// that holds it is synced — so `sending` is still on disk before the refund is sent.
    ///
    /// # Errors
    /// The store cannot be written, or its writer stopped.
    pub async fn commit(&self, change: StateChange) -> Result<(), Error> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let stopped = || Error::Config {
            reason: format!("the batch store {}'s writer stopped", self.path.display()),
        };
        self.writer
            .send(Job { change, done })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// One state change of one row, as [`BatchStore::commit`] takes it.
#[derive(Clone, Debug)]
pub struct StateChange {
    provider: String,
    refund_id: String,
    /// `None`: move to `sending` and count an attempt.
    settled: Option<(RowState, String, Option<&'static str>, Option<String>)>,
}

impl StateChange {
    /// The row moves to `sending`, counting an attempt: committed before anything is sent.
    pub fn sending(provider: &str, refund_id: &str) -> StateChange {
        StateChange {
            provider: provider.to_owned(),
            refund_id: refund_id.to_owned(),
            settled: None,
        }
    }

    /// The row ended as `settled` says.
    ///
    /// # Errors
    /// The refund cannot be written as JSON.
    pub fn settled(
        provider: &str,
        refund_id: &str,
        settled: &Settled,
    ) -> Result<StateChange, Error> {
        let refund_json = settled
            .refund
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::Config {
                reason: format!("cannot store the refund: {e}"),
            })?;
        Ok(StateChange {
            provider: provider.to_owned(),
            refund_id: refund_id.to_owned(),
            settled: Some((
                settled.state,
                settled.reason.clone(),
                settled.error_kind,
                refund_json,
            )),
        })
    }

    fn apply(&self, connection: &Connection, path: &Path) -> Result<(), Error> {
        let changed = match &self.settled {
            None => connection.execute(
                "UPDATE refunds SET state = 'sending', attempts = attempts + 1,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE provider = ?1 AND refund_id = ?2",
                params![self.provider, self.refund_id],
            ),
            Some((state, reason, kind, refund_json)) => connection.execute(
                "UPDATE refunds SET state = ?3, reason = ?4, error_kind = ?5,
                    refund_json = COALESCE(?6, refund_json),
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE provider = ?1 AND refund_id = ?2",
                params![
                    self.provider,
                    self.refund_id,
                    state.as_str(),
                    reason,
                    kind,
                    refund_json
                ],
            ),
        }
        .map_err(|e| store_error(path, &e))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(Error::Config {
                reason: format!(
                    "the batch store {} has no row for refund {}",
                    path.display(),
                    self.refund_id
                ),
            })
        }
    }
}

/// A state change waiting for the writer, and who to tell when it is on disk.
struct Job {
    change: StateChange,
    done: tokio::sync::oneshot::Sender<Result<(), Error>>,
}

/// The writer: owns its own connection; takes every change waiting, applies each in its own
/// savepoint inside one transaction, syncs once, then answers each.
fn write_loop(connection: Connection, path: PathBuf, jobs: std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < 512
            && let Ok(next) = jobs.try_recv()
        {
            batch.push(next);
        }
        let results = write_batch(&connection, &path, &batch);
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.done.send(result);
        }
    }
}

fn write_batch(connection: &Connection, path: &Path, batch: &[Job]) -> Vec<Result<(), Error>> {
    let fail = |e: &rusqlite::Error| store_error(path, e);
    if let Err(e) = connection.execute_batch("BEGIN IMMEDIATE") {
        return batch.iter().map(|_| Err(fail(&e))).collect();
    }
    let mut results: Vec<Result<(), Error>> = Vec::with_capacity(batch.len());
    for job in batch {
        let result = connection
            .execute_batch("SAVEPOINT change")
            .map_err(|e| fail(&e))
            .and_then(|()| job.change.apply(connection, path));
        let end = if result.is_ok() {
            "RELEASE change"
        } else {
            "ROLLBACK TO change; RELEASE change"
        };
        results.push(result.and_then(|()| connection.execute_batch(end).map_err(|e| fail(&e))));
    }
    match connection.execute_batch("COMMIT") {
        Ok(()) => results,
        Err(e) => {
            let _ = connection.execute_batch("ROLLBACK");
            batch.iter().map(|_| Err(fail(&e))).collect()
        }
    }
}

impl Drop for BatchStore {
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

const COLUMNS: &str = "provider, refund_id, line, amount_minor, currency, payment, order_ref, \
                       total_minor, reason_text, notify_url, state, reason, refund_json, attempts";

type RowResult = Result<StoredRefund, Error>;

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RowResult> {
    let provider: String = row.get(0)?;
    let refund_id: String = row.get(1)?;
    let line: Option<i64> = row.get(2)?;
    let amount_minor: Option<i64> = row.get(3)?;
    let currency: Option<String> = row.get(4)?;
    let state: String = row.get(10)?;
    let refund_json: Option<String> = row.get(12)?;
    let attempts: i64 = row.get(13)?;
    let damaged = |what: String| Error::Config {
        reason: format!("the batch store's row for refund {refund_id} is damaged: {what}"),
    };
    let Some(state) = RowState::parse(&state) else {
        return Ok(Err(damaged(format!("unknown state {state:?}"))));
    };
    let request = match (amount_minor, currency) {
        (Some(minor), Some(code)) => match Currency::from_code(&code) {
            Ok(currency) => Some(StoredRequest {
                amount: Money::new(minor, currency),
                payment: row.get(5)?,
                order_ref: row.get(6)?,
                total_minor: row.get(7)?,
                reason: row.get(8)?,
                notify_url: row.get(9)?,
            }),
            Err(e) => return Ok(Err(damaged(e.to_string()))),
        },
        _ => None,
    };
    let refund = match refund_json
        .map(|j| serde_json::from_str::<Refund>(&j))
        .transpose()
    {
        Ok(refund) => refund,
        Err(e) => return Ok(Err(damaged(format!("refund: {e}")))),
    };
    Ok(Ok(StoredRefund {
        provider,
        refund_id,
        line: line.and_then(|l| u64::try_from(l).ok()),
        request,
        state,
        reason: row.get(11)?,
        refund,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
    }))
}

/// What a run does with a row that stands in `prior` (`None`: a new row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Final: nothing to do.
    Skip,
    /// Never sent (or proved not applied): send it.
    Send,
    /// May have been sent: look it up, and send it again under the same id only if the look-up
    /// finds nothing or cannot tell.
    Resume,
    /// The provider holds it: look it up for its current status.
    Refresh,
}

impl Step {
    /// The step for a row in `prior`.
    pub fn for_state(prior: Option<RowState>) -> Step {
        match prior {
            None | Some(RowState::Intent | RowState::Invalid | RowState::Deferred) => Step::Send,
            Some(RowState::Sending | RowState::Unknown) => Step::Resume,
            Some(RowState::Pending) => Step::Refresh,
            Some(RowState::Succeeded | RowState::Refused | RowState::Failed) => Step::Skip,
        }
    }
}

/// Takes one refund of a batch one step further from `prior`, recording every state change in
/// `store` before and after talking to the provider: `sending` is on disk before anything is
/// sent, and where the row ended is on disk before this returns.
///
/// # Errors
/// The store cannot be written (then nothing is sent, or the outcome is reported unknown by the
/// row remaining `sending`).
pub async fn advance(
    store: &BatchStore,
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    prior: Option<RowState>,
    policy: &ReliablePolicy,
) -> Result<Settled, Error> {
    let name = provider.name();
    let refund_id = request.refund_id().as_str().to_owned();
    let settled = match Step::for_state(prior) {
        Step::Skip => {
            return Ok(Settled {
                state: prior.unwrap_or(RowState::Intent),
                reason: "final in an earlier run".into(),
                error_kind: None,
                refund: None,
            });
        }
        Step::Refresh => refresh(provider, request).await,
        step @ (Step::Send | Step::Resume) => {
            store.commit(StateChange::sending(name, &refund_id)).await?;
            let outcome = if step == Step::Resume {
                resume_refund(provider, request, policy).await
            } else {
                reliable_refund(provider, request, policy).await
            };
            Settled::from_outcome(outcome)
        }
    };
    store
        .commit(StateChange::settled(name, &refund_id, &settled)?)
        .await?;
    Ok(settled)
}

/// A pending refund's status now. It stays pending when the look-up cannot tell.
///
/// A provider whose look-up cannot tell by design (ScanForPay has no refund query) documents
/// sending the refund again under the same id as the way to learn its state: the refund the
/// provider holds under that id is answered, and no second one can be made.
async fn refresh(provider: &dyn RefundProvider, request: &RefundRequest) -> Settled {
    let looked = match provider.refund_status(&RefundLookup::from(request)).await {
        Err(error) if error.outcome_unknown() => provider.refund(request).await,
        other => other,
    };
    match looked {
        Ok(refund) => Settled::from_refund(refund),
        Err(Error::RefundNotFound { .. }) => Settled {
            state: RowState::Unknown,
            reason: "an earlier answer said the provider holds this refund, but a look-up no \
                     longer finds it"
                .into(),
            error_kind: Some("refund_not_found"),
            refund: None,
        },
        Err(error) => Settled {
            state: RowState::Pending,
            reason: format!("still pending as last reported; the look-up failed: {error}"),
            error_kind: Some(error.kind_name()),
            refund: None,
        },
    }
}

/// Looks a refund that was never sent up, without sending anything: finds it only if someone
/// sent it outside this batch.
///
/// # Errors
/// The store cannot be written.
pub async fn look_up_only(
    store: &BatchStore,
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    prior: RowState,
) -> Result<Settled, Error> {
    let settled = match provider.refund_status(&RefundLookup::from(request)).await {
        Ok(refund) => Settled::from_refund(refund),
        Err(error) => Settled {
            state: prior,
            reason: format!(
                "never sent by this batch; the look-up says: {error}; run the batch again to send it"
            ),
            error_kind: Some(error.kind_name()),
            refund: None,
        },
    };
    if settled.refund.is_some() {
        store
            .commit(StateChange::settled(
                provider.name(),
                request.refund_id().as_str(),
                &settled,
            )?)
            .await?;
    }
    Ok(settled)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn rows_survive_reopening_and_sent_rows_keep_their_request() {
        let path = temp("reopen");
        let store = BatchStore::open(&path).unwrap();
        let a = request("a", 100);
        let b = request("b", 200);
        store
            .record_intents("bluepay", &[(2, &a), (3, &b)])
            .unwrap();
        store
            .commit(StateChange::sending("bluepay", "a"))
            .await
            .unwrap();
        drop(store);
        let store = BatchStore::open(&path).unwrap();
        let a2 = request("a", 999);
        let b2 = request("b", 250);
        store
            .record_intents("bluepay", &[(2, &a2), (3, &b2)])
            .unwrap();
        let a = store.get("bluepay", "a").unwrap().unwrap();
        assert_eq!(a.state, RowState::Sending);
        assert_eq!(a.attempts, 1);
        assert_eq!(
            a.request.unwrap().amount.minor,
            100,
            "a sent row keeps its request"
        );
        let b = store.get("bluepay", "b").unwrap().unwrap();
        assert_eq!(
            b.request.unwrap().amount.minor,
            250,
            "an unsent row takes the new one"
        );
        assert!(
            store.get("nomad", "a").unwrap().is_none(),
            "keyed by provider too"
        );
        assert_eq!(store.all("bluepay").unwrap().len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_changes_share_commits_and_each_stands_alone() {
        let path = temp("group");
        let store = BatchStore::open(&path).unwrap();
        let rows: Vec<RefundRequest> = (0..300).map(|i| request(&format!("g{i}"), 1 + i)).collect();
        let refs: Vec<(u64, &RefundRequest)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as u64, r))
            .collect();
        store.record_intents("bluepay", &refs).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..300 {
            let store = store.clone();
            tasks.spawn(async move {
                let id = format!("g{i}");
                store.commit(StateChange::sending("bluepay", &id)).await?;
                let settled = Settled {
                    state: RowState::Unknown,
                    reason: format!("row {i}"),
                    error_kind: None,
                    refund: None,
                };
                store
                    .commit(StateChange::settled("bluepay", &id, &settled)?)
                    .await
            });
        }
        // A change for a row that does not exist fails alone, among the others.
        let missing = store.commit(StateChange::sending("bluepay", "nope"));
        assert!(missing.await.unwrap_err().to_string().contains("no row"));
        while let Some(done) = tasks.join_next().await {
            done.unwrap().unwrap();
        }
        drop(store);
        let store = BatchStore::open(&path).unwrap();
        let all = store.all("bluepay").unwrap();
        assert_eq!(all.len(), 300);
        for row in all {
            assert_eq!(row.state, RowState::Unknown);
            assert_eq!(row.attempts, 1);
            assert_eq!(row.reason.unwrap(), format!("row {}", &row.refund_id[1..]));
        }
    }

    #[test]
    fn a_file_that_is_not_a_store_is_refused_naming_it() {
        let path = temp("garbage");
        std::fs::write(&path, vec![0x5au8; 8192]).unwrap();
        let error = BatchStore::open(&path).unwrap_err();
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
            let store = BatchStore::open(&path).unwrap();
            let rows: Vec<RefundRequest> = (0..200)
                .map(|i| request(&format!("r{i}"), 100 + i))
                .collect();
            let refs: Vec<(u64, &RefundRequest)> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| (i as u64, r))
                .collect();
            store.record_intents("bluepay", &refs).unwrap();
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
        match BatchStore::open(&path) {
            Err(error) => assert!(error.to_string().contains("batch store"), "{error}"),
            Ok(store) => {
                // If SQLite can still read it, every row it returns must be whole.
                if let Ok(rows) = store.all("bluepay") {
                    for row in rows {
                        assert!(row.request.is_some());
                    }
                }
            }
        }
    }

    #[test]
    fn a_refund_the_provider_failed_is_failed_not_succeeded() {
        let refund = Refund {
            provider: "bluepay".into(),
            payment: None,
            refund_id: MerchantRefundId::new("r").unwrap(),
            provider_refund_id: None,
            amount: Money::new(5, Currency::Thb),
            status: RefundStatus::Failed,
            provider_status: Some("FAILED".into()),
            created_at: None,
            completed_at: None,
        };
        let settled = Settled::from_outcome(RefundOutcome::Refunded(refund.clone()));
        assert_eq!(settled.state, RowState::Failed);
        let pending = Refund {
            status: RefundStatus::RequiresAttention,
            ..refund
        };
        assert_eq!(
            Settled::from_outcome(RefundOutcome::Refunded(pending)).state,
            RowState::Pending
        );
    }

    #[test]
    fn outcomes_map_to_states_that_never_claim_more_than_is_known() {
        let rejected = |class| {
            Settled::from_outcome(RefundOutcome::Rejected(Error::Rejected {
                provider: "bluepay",
                code: "1".into(),
                message: "m".into(),
                class,
            }))
            .state
        };
        assert_eq!(rejected(RejectionClass::Retryable), RowState::Deferred);
        assert_eq!(rejected(RejectionClass::Authentication), RowState::Deferred);
        assert_eq!(rejected(RejectionClass::ProviderState), RowState::Refused);
        let unknown = Settled::from_outcome(RefundOutcome::Unknown(Error::OutcomeUnknown {
            provider: "x",
            reason: "y".into(),
        }));
        assert_eq!(unknown.state, RowState::Unknown);
        let config = Settled::from_outcome(RefundOutcome::NotSent(Error::Config {
            reason: "no key".into(),
        }));
        assert_eq!(config.state, RowState::Deferred);
        let invalid =
            Settled::from_outcome(RefundOutcome::NotSent(Error::invalid("notify_url", "none")));
        assert_eq!(invalid.state, RowState::Invalid);
        for state in RowState::ALL {
            assert_eq!(RowState::parse(state.as_str()), Some(state));
        }
        assert_eq!(Step::for_state(Some(RowState::Unknown)), Step::Resume);
        assert_eq!(Step::for_state(Some(RowState::Deferred)), Step::Send);
        assert_eq!(Step::for_state(Some(RowState::Succeeded)), Step::Skip);
        assert_eq!(Step::for_state(Some(RowState::Pending)), Step::Refresh);
    }
}
