//! The batch store in PostgreSQL: one table that runs on many hosts share, so a batch can be
//! split across machines and a run killed on one is taken over on another.
//!
//! A claim is one transaction: the row is read `FOR UPDATE SKIP LOCKED` (a row another run is
//! claiming at this moment is reported held, not waited on), decided by the same rule as in
//! SQLite, and written. Leases are read on the database's clock, never on the hosts' clocks,
//! which may disagree.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use paybridge_core::{Error, RefundRequest};
use tokio::sync::Mutex;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, Row, Socket};

use super::store::{ClaimView, Decision, StoreErrorKind, claim_lost, decide};
use super::{
    BatchStore, Claim, ClaimFor, Owner, RawRow, RowState, Settled, StoreError, StoredRefund,
    StoredRequest,
};
use crate::notification_store::postgres::{Connect, connector, valid_table};

/// The table used unless another is named.
pub(super) const DEFAULT_TABLE: &str = "paybridge_batch_refunds";

/// Milliseconds on the database's clock.
const NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Serialises schema creation between runs starting together. "pbbatch1" read as ASCII.
const SCHEMA_LOCK: i64 = 0x7062_6261_7463_6831;

/// Connections kept: claims and settlements of rows in flight run side by side.
const CONNECTIONS: usize = 4;

/// [`BatchStore`] in a PostgreSQL table, for runs on several hosts sharing one batch.
///
/// Cloning is cheap: clones share the connections, which are re-opened if they close.
#[derive(Clone)]
pub struct PostgresBatchStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: tokio_postgres::Config,
    connect: Box<Connect>,
    table: String,
    slots: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for PostgresBatchStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the connection settings' password: name where the store is, nothing more.
        f.debug_struct("PostgresBatchStore")
            .field("dbname", &self.inner.config.get_dbname())
            .field("table", &self.inner.table)
            .finish_non_exhaustive()
    }
}

const SELECT: &str = "provider, refund_id, line, amount_minor, currency, payment, order_ref, \
                      total_minor, reason_text, notify_url, state, reason, refund_json, attempts, \
                      claimed_by, COALESCE(lease_until < ";

fn select(table: &str) -> String {
    format!("SELECT {SELECT}{NOW}, false) FROM {table}")
}

fn raw(row: &Row) -> Result<RawRow, tokio_postgres::Error> {
    Ok(RawRow {
        provider: row.try_get(0)?,
        refund_id: row.try_get(1)?,
        line: row.try_get(2)?,
        amount_minor: row.try_get(3)?,
        currency: row.try_get(4)?,
        payment: row.try_get(5)?,
        order_ref: row.try_get(6)?,
        total_minor: row.try_get(7)?,
        reason_text: row.try_get(8)?,
        notify_url: row.try_get(9)?,
        state: row.try_get(10)?,
        reason: row.try_get(11)?,
        refund_json: row.try_get(12)?,
        attempts: row.try_get(13)?,
        claimed_by: row.try_get(14)?,
        lease_expired: row.try_get(15)?,
    })
}

impl PostgresBatchStore {
    /// Connects without TLS (a database on the same host or a private network) using libpq-style
    /// `params` (`host=… user=… password=… dbname=…` or a `postgresql://` URL) to `table`
    /// (`paybridge_batch_refunds` if `None`), creating it if needed.
    ///
    /// Take `params` from the environment or a file, never from a command line: they hold a
    /// password.
    ///
    /// # Errors
    /// [`Error::Config`] when the settings cannot be read (the message never repeats them), the
    /// table name is not a plain lower-case SQL name, or the database cannot be reached or
    /// prepared.
    pub async fn connect(params: &str, table: Option<&str>) -> Result<PostgresBatchStore, Error> {
        let config: tokio_postgres::Config = params.parse().map_err(|_| Error::Config {
            reason: "the PostgreSQL batch store's connection settings cannot be read".into(),
        })?;
        PostgresBatchStore::connect_with(config, NoTls, table).await
    }

    /// Connects with `tls` (for example `tokio-postgres-rustls`) to `table`
    /// (`paybridge_batch_refunds` if `None`), creating it if needed.
    ///
    /// # Errors
    /// [`Error::Config`] when the table name is not a plain lower-case SQL name, or the
    /// database cannot be reached or prepared.
    pub async fn connect_with<T>(
        config: tokio_postgres::Config,
        tls: T,
        table: Option<&str>,
    ) -> Result<PostgresBatchStore, Error>
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let table = table.unwrap_or(DEFAULT_TABLE);
        if !valid_table(table) {
            return Err(Error::Config {
                reason: "the batch store's table must be a lower-case SQL name (letters, digits, \
                         underscores; at most 63)"
                    .into(),
            });
        }
        let store = PostgresBatchStore {
            inner: Arc::new(Inner {
                config,
                connect: connector(tls, "batch"),
                table: table.to_owned(),
                slots: (0..CONNECTIONS).map(|_| Mutex::new(None)).collect(),
                next: AtomicUsize::new(0),
            }),
        };
        let unusable = |e: StoreError| Error::Config {
            reason: e.to_string(),
        };
        let mut slot = store.connection().await.map_err(unusable)?;
        let client = slot.as_mut().ok_or_else(|| Error::Config {
            reason: "the PostgreSQL batch store has no connection".into(),
        })?;
        let schema = format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                provider      TEXT NOT NULL,
                refund_id     TEXT NOT NULL,
                line          BIGINT,
                amount_minor  BIGINT,
                currency      TEXT,
                payment       TEXT,
                order_ref     TEXT,
                total_minor   BIGINT,
                reason_text   TEXT,
                notify_url    TEXT,
                state         TEXT NOT NULL CHECK (state IN ('intent', 'sending', 'succeeded',
                                  'pending', 'unknown', 'refused', 'failed', 'invalid', 'deferred')),
                reason        TEXT,
                error_kind    TEXT,
                refund_json   TEXT,
                attempts      BIGINT NOT NULL DEFAULT 0,
                updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
                claimed_by    TEXT,
                lease_until   BIGINT,
                PRIMARY KEY (provider, refund_id)
            )"
        );
        let fail = |e: tokio_postgres::Error| Error::Config {
            reason: format!("the PostgreSQL batch store cannot be prepared: {e}"),
        };
        let tx = client.transaction().await.map_err(fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(fail)?;
        tx.batch_execute(&schema).await.map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        drop(slot);
        Ok(store)
    }

    fn name(&self) -> String {
        format!(
            "PostgreSQL table {} in {}",
            self.inner.table,
            self.inner
                .config
                .get_dbname()
                .unwrap_or("the default database")
        )
    }

    fn fail(&self, error: &tokio_postgres::Error) -> StoreError {
        StoreError::new(&self.name(), StoreErrorKind::Unavailable, error.to_string())
    }

    /// A free connection (opened, or re-opened if it closed).
    async fn connection(&self) -> Result<tokio::sync::MutexGuard<'_, Option<Client>>, StoreError> {
        let slots = &self.inner.slots;
        let mut guard = match slots.iter().find_map(|slot| slot.try_lock().ok()) {
            Some(guard) => guard,
            None => {
                let i = self.inner.next.fetch_add(1, Ordering::Relaxed) % slots.len();
                match slots.get(i) {
                    Some(slot) => slot.lock().await,
                    None => {
                        return Err(StoreError::new(
                            &self.name(),
                            StoreErrorKind::Unavailable,
                            "no connection slot",
                        ));
                    }
                }
            }
        };
        if guard.as_ref().is_none_or(Client::is_closed) {
            let client = (self.inner.connect)(self.inner.config.clone())
                .await
                .map_err(|e| self.fail(&e))?;
            // A run stalled inside a claim (its process stopped, its output blocked) would
            // hold the row's lock for good; the database ends such a transaction instead.
            client
                .batch_execute("SET idle_in_transaction_session_timeout = '60s'")
                .await
                .map_err(|e| self.fail(&e))?;
            *guard = Some(client);
        }
        Ok(guard)
    }

    /// Runs `op` in one transaction on a free connection.
    async fn transaction<T>(
        &self,
        op: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.connection().await?;
        let Some(client) = guard.as_mut() else {
            return Err(StoreError::new(
                &self.name(),
                StoreErrorKind::Unavailable,
                "no connection",
            ));
        };
        let tx = client.transaction().await.map_err(|e| self.fail(&e))?;
        let value = op(&tx).await?;
        tx.commit().await.map_err(|e| self.fail(&e))?;
        Ok(value)
    }

    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredRefund>, StoreError> {
        let guard = self.connection().await?;
        let Some(client) = guard.as_ref() else {
            return Ok(Vec::new());
        };
        let rows = client.query(sql, params).await.map_err(|e| self.fail(&e))?;
        let name = self.name();
        rows.iter()
            .map(|row| raw(row).map_err(|e| self.fail(&e))?.into_stored(&name))
            .collect()
    }
}

fn line(line: u64) -> i64 {
    i64::try_from(line).unwrap_or(i64::MAX)
}

#[async_trait]
impl BatchStore for PostgresBatchStore {
    fn describe(&self) -> String {
        self.name()
    }

    async fn record_intents(
        &self,
        provider: &str,
        rows: &[(u64, &RefundRequest)],
    ) -> Result<(), StoreError> {
        let table = &self.inner.table;
        // One lock order for every run inserting the same file: by refund id.
        let mut rows: Vec<(i64, &str, StoredRequest)> = rows
            .iter()
            .map(|(l, r)| (line(*l), r.refund_id().as_str(), StoredRequest::of(r)))
            .collect();
        rows.sort_by(|a, b| a.1.cmp(b.1));
        let sql = format!(
            "INSERT INTO {table} AS r (provider, refund_id, line, amount_minor, currency,
                payment, order_ref, total_minor, reason_text, notify_url, state)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'intent')
             ON CONFLICT (provider, refund_id) DO UPDATE SET
                line = excluded.line, amount_minor = excluded.amount_minor,
                currency = excluded.currency, payment = excluded.payment,
                order_ref = excluded.order_ref, total_minor = excluded.total_minor,
                reason_text = excluded.reason_text, notify_url = excluded.notify_url,
                updated_at = now()
             WHERE r.state IN ('intent', 'invalid', 'deferred') AND r.claimed_by IS NULL"
        );
        self.transaction(async |tx| {
            let insert = tx.prepare(&sql).await.map_err(|e| self.fail(&e))?;
            for (line, refund_id, stored) in &rows {
                tx.execute(
                    &insert,
                    &[
                        &provider,
                        refund_id,
                        line,
                        &stored.amount.minor,
                        &stored.amount.currency.code(),
                        &stored.payment,
                        &stored.order_ref,
                        &stored.total_minor,
                        &stored.reason,
                        &stored.notify_url,
                    ],
                )
                .await
                .map_err(|e| self.fail(&e))?;
            }
            Ok(())
        })
        .await
    }

    async fn record_invalid(
        &self,
        provider: &str,
        refund_id: &str,
        at: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let table = &self.inner.table;
        let sql = format!(
            "INSERT INTO {table} AS r (provider, refund_id, line, state, reason, error_kind)
             VALUES ($1, $2, $3, 'invalid', $4, 'invalid_request')
             ON CONFLICT (provider, refund_id) DO UPDATE SET
                line = excluded.line, state = 'invalid', reason = excluded.reason,
                error_kind = 'invalid_request', updated_at = now()
             WHERE r.state IN ('intent', 'invalid', 'deferred') AND r.claimed_by IS NULL"
        );
        let guard = self.connection().await?;
        let Some(client) = guard.as_ref() else {
            return Ok(false);
        };
        let changed = client
            .execute(&sql, &[&provider, &refund_id, &line(at), &reason])
            .await
            .map_err(|e| self.fail(&e))?;
        Ok(changed == 1)
    }

    async fn claim(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        purpose: ClaimFor<'_>,
    ) -> Result<Claim, StoreError> {
        let table = &self.inner.table;
        let request = purpose.request();
        let name = self.name();
        let purpose = purpose.purpose();
        self.transaction(async |tx| {
            let locked = tx
                .query_opt(
                    &format!(
                        "{} WHERE provider = $1 AND refund_id = $2 FOR UPDATE SKIP LOCKED",
                        select(table)
                    ),
                    &[&provider, &refund_id],
                )
                .await
                .map_err(|e| self.fail(&e))?;
            let Some(row) = locked else {
                let exists = tx
                    .query_opt(
                        &format!(
                            "SELECT claimed_by FROM {table} WHERE provider = $1 AND refund_id = $2"
                        ),
                        &[&provider, &refund_id],
                    )
                    .await
                    .map_err(|e| self.fail(&e))?;
                return Ok(match exists {
                    Some(row) => Claim::Held {
                        by: row
                            .try_get::<_, Option<String>>(0)
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| "a run claiming it at this moment".into()),
                    },
                    None => Claim::Absent,
                });
            };
            let stored = raw(&row).map_err(|e| self.fail(&e))?.into_stored(&name)?;
            match decide(Some(&ClaimView::of(&stored)), owner, purpose) {
                Decision::Answer(answer) => Ok(answer),
                Decision::Take {
                    prior,
                    step,
                    sending,
                    write_request,
                    took_over_from,
                } => {
                    let state = if sending { RowState::Sending } else { prior };
                    tx.execute(
                        &format!(
                            "UPDATE {table} SET state = $3, attempts = attempts + $4,
                                claimed_by = $5, lease_until = {NOW} + $6, updated_at = now()
                             WHERE provider = $1 AND refund_id = $2"
                        ),
                        &[
                            &provider,
                            &refund_id,
                            &state.as_str(),
                            &i64::from(sending),
                            &owner.id(),
                            &owner.lease_ms(),
                        ],
                    )
                    .await
                    .map_err(|e| self.fail(&e))?;
                    let request = match (write_request, &request) {
                        (true, Some(r)) => {
                            tx.execute(
                                &format!(
                                    "UPDATE {table} SET amount_minor = $3, currency = $4,
                                        payment = $5, order_ref = $6, total_minor = $7,
                                        reason_text = $8, notify_url = $9
                                     WHERE provider = $1 AND refund_id = $2"
                                ),
                                &[
                                    &provider,
                                    &refund_id,
                                    &r.amount.minor,
                                    &r.amount.currency.code(),
                                    &r.payment,
                                    &r.order_ref,
                                    &r.total_minor,
                                    &r.reason,
                                    &r.notify_url,
                                ],
                            )
                            .await
                            .map_err(|e| self.fail(&e))?;
                            Some(r.clone())
                        }
                        _ => stored.request,
                    };
                    Ok(Claim::Taken {
                        prior,
                        request,
                        step,
                        took_over_from,
                    })
                }
            }
        })
        .await
    }

    async fn settle(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        settled: &Settled,
    ) -> Result<(), StoreError> {
        let table = &self.inner.table;
        let guard = self.connection().await?;
        let Some(client) = guard.as_ref() else {
            return Err(StoreError::new(
                &self.name(),
                StoreErrorKind::Unavailable,
                "no connection",
            ));
        };
        let changed = client
            .execute(
                &format!(
                    "UPDATE {table} SET state = $3, reason = $4, error_kind = $5,
                        refund_json = COALESCE($6, refund_json), claimed_by = NULL,
                        lease_until = NULL, updated_at = now()
                     WHERE provider = $1 AND refund_id = $2 AND claimed_by = $7"
                ),
                &[
                    &provider,
                    &refund_id,
                    &settled.state.as_str(),
                    &settled.reason,
                    &settled.error_kind,
                    &settled.refund_json(),
                    &owner.id(),
                ],
            )
            .await
            .map_err(|e| self.fail(&e))?;
        if changed == 1 {
            return Ok(());
        }
        let holder = client
            .query_opt(
                &format!("SELECT claimed_by FROM {table} WHERE provider = $1 AND refund_id = $2"),
                &[&provider, &refund_id],
            )
            .await
            .map_err(|e| self.fail(&e))?
            .map(|row| row.try_get::<_, Option<String>>(0).ok().flatten());
        Err(claim_lost(&self.name(), refund_id, holder))
    }

    async fn release(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
    ) -> Result<(), StoreError> {
        let table = &self.inner.table;
        let guard = self.connection().await?;
        if let Some(client) = guard.as_ref() {
            client
                .execute(
                    &format!(
                        "UPDATE {table} SET claimed_by = NULL, lease_until = NULL
                         WHERE provider = $1 AND refund_id = $2 AND claimed_by = $3"
                    ),
                    &[&provider, &refund_id, &owner.id()],
                )
                .await
                .map_err(|e| self.fail(&e))?;
        }
        Ok(())
    }

    async fn renew(&self, owner: &Owner) -> Result<(), StoreError> {
        let table = &self.inner.table;
        let guard = self.connection().await?;
        if let Some(client) = guard.as_ref() {
            client
                .execute(
                    &format!("UPDATE {table} SET lease_until = {NOW} + $2 WHERE claimed_by = $1"),
                    &[&owner.id(), &owner.lease_ms()],
                )
                .await
                .map_err(|e| self.fail(&e))?;
        }
        Ok(())
    }

    async fn get(
        &self,
        provider: &str,
        refund_id: &str,
    ) -> Result<Option<StoredRefund>, StoreError> {
        let sql = format!(
            "{} WHERE provider = $1 AND refund_id = $2",
            select(&self.inner.table)
        );
        Ok(self.query(&sql, &[&provider, &refund_id]).await?.pop())
    }

    async fn all(&self, provider: &str) -> Result<Vec<StoredRefund>, StoreError> {
        let sql = format!(
            "{} WHERE provider = $1 ORDER BY refund_id",
            select(&self.inner.table)
        );
        self.query(&sql, &[&provider]).await
    }

    async fn providers(&self) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT provider FROM {} ORDER BY provider",
            self.inner.table
        );
        let guard = self.connection().await?;
        let Some(client) = guard.as_ref() else {
            return Ok(Vec::new());
        };
        let rows = client.query(&sql, &[]).await.map_err(|e| self.fail(&e))?;
        rows.iter()
            .map(|row| row.try_get::<_, String>(0).map_err(|e| self.fail(&e)))
            .collect()
    }
}
