//! The notification store in PostgreSQL: one table shared by every instance of a service, so
//! a redelivery that reaches another instance behind the load balancer is still recognised.
//!
//! Each claim is one `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement: PostgreSQL's row
//! lock makes the decision atomic across instances, without an explicit transaction, and the
//! lease is measured on the database's clock, not on instances' clocks that may disagree.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::{Error, IdGenerator, Notification, RandomIdGenerator};
use tokio::sync::RwLock;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, Socket, Statement};

use super::{Claim, NotificationStore, event_key};

/// The table used unless another is named.
pub const DEFAULT_TABLE: &str = "paybridge_notifications";

/// Milliseconds on the database's clock.
const NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Serialises schema creation between instances starting together (`CREATE TABLE IF NOT
/// EXISTS` alone races on the catalog). The number is "paybridg" read as ASCII.
const SCHEMA_LOCK: i64 = 0x7061_7962_7269_6467;

/// Opens a connection with the TLS the store was given, its driver task spawned.
pub(crate) type Connect = dyn Fn(
        tokio_postgres::Config,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Client, tokio_postgres::Error>> + Send>,
    > + Send
    + Sync;

/// A [`Connect`] over `tls`; `store` names the store in the warning when a connection closes.
pub(crate) fn connector<T>(tls: T, store: &'static str) -> Box<Connect>
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    Box::new(move |config: tokio_postgres::Config| {
        let tls = tls.clone();
        Box::pin(async move {
            let (client, connection) = config.connect(tls).await?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::warn!(%error, store, "a PostgreSQL store's connection closed");
                }
            });
            Ok(client)
        })
    })
}

/// [`NotificationStore`] in PostgreSQL, for several service instances behind one load balancer.
///
/// Cloning is cheap: clones share one connection, which is re-opened if it closes.
#[derive(Clone)]
pub struct PostgresNotificationStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: tokio_postgres::Config,
    connect: Box<Connect>,
    table: String,
    lease_ms: i64,
    /// Connections used in turn: PostgreSQL syncs the commits of several connections that
    /// arrive together once, but one connection's commits one after another.
    sessions: Vec<RwLock<Arc<Session>>>,
    claim_prefix: String,
    claims: AtomicU64,
}

/// How many connections one store keeps.
const SESSIONS: usize = 4;

/// A connection with its statements prepared.
struct Session {
    client: Client,
    begin: Statement,
    set_state: Statement,
    deliveries: Statement,
}

impl std::fmt::Debug for PostgresNotificationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the connection settings' password: name where the store is, nothing more.
        f.debug_struct("PostgresNotificationStore")
            .field("dbname", &self.inner.config.get_dbname())
            .field("table", &self.inner.table)
            .field("lease_ms", &self.inner.lease_ms)
            .finish_non_exhaustive()
    }
}

fn unusable(what: &str, error: &tokio_postgres::Error) -> Error {
    Error::Config {
        reason: format!("the PostgreSQL notification store {what}: {error}"),
    }
}

/// Whether `table` is a plain lower-case SQL name, safe to write into a statement.
pub(crate) fn valid_table(table: &str) -> bool {
    let mut chars = table.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && table.len() <= 63
}

impl PostgresNotificationStore {
    /// Connects without TLS (a database on the same host or a private network) using libpq-style
    /// `params` (`host=… user=… password=… dbname=…` or a `postgresql://` URL), creating the
    /// table [`DEFAULT_TABLE`] if needed. A claim older than `lease` is taken to belong to a
    /// handler that died.
    ///
    /// # Errors
    /// [`Error::Config`] when the settings cannot be read (the message never repeats them: they
    /// may hold a password), or the database cannot be reached or prepared.
    pub async fn connect(
        params: &str,
        lease: Duration,
    ) -> Result<PostgresNotificationStore, Error> {
        let config: tokio_postgres::Config = params.parse().map_err(|_| Error::Config {
            reason: "the PostgreSQL notification store's connection settings cannot be read".into(),
        })?;
        PostgresNotificationStore::connect_with(config, NoTls, lease, DEFAULT_TABLE).await
    }

    /// Connects with `tls` (for example `tokio-postgres-rustls`) to `table`.
    ///
    /// # Errors
    /// [`Error::Config`] when `table` is not a plain lower-case SQL name, or the database cannot
    /// be reached or prepared.
    pub async fn connect_with<T>(
        config: tokio_postgres::Config,
        tls: T,
        lease: Duration,
        table: &str,
    ) -> Result<PostgresNotificationStore, Error>
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        if !valid_table(table) {
            return Err(Error::Config {
                reason: "the notification store's table must be a lower-case SQL name \
                         (letters, digits, underscores; at most 63)"
                    .into(),
            });
        }
        let connect = connector(tls, "notifications");
        let mut client = connect(config.clone())
            .await
            .map_err(|e| unusable("cannot be reached", &e))?;
        let schema = format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                key         TEXT PRIMARY KEY,
                state       TEXT NOT NULL CHECK (state IN ('handling', 'handled', 'failed')),
                claim       TEXT NOT NULL,
                claimed_at  BIGINT NOT NULL,
                deliveries  BIGINT NOT NULL DEFAULT 1,
                handled_at  BIGINT
            )"
        );
        let tx = client
            .transaction()
            .await
            .map_err(|e| unusable("cannot be prepared", &e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(|e| unusable("cannot be prepared", &e))?;
        tx.batch_execute(&schema)
            .await
            .map_err(|e| unusable("cannot be prepared", &e))?;
        tx.commit()
            .await
            .map_err(|e| unusable("cannot be prepared", &e))?;
        let mut sessions = vec![RwLock::new(Arc::new(
            Session::prepare(client, table).await?,
        ))];
        while sessions.len() < SESSIONS {
            let client = connect(config.clone())
                .await
                .map_err(|e| unusable("cannot be reached", &e))?;
            sessions.push(RwLock::new(Arc::new(
                Session::prepare(client, table).await?,
            )));
        }
        Ok(PostgresNotificationStore {
            inner: Arc::new(Inner {
                config,
                connect,
                table: table.to_owned(),
                lease_ms: i64::try_from(lease.as_millis()).unwrap_or(i64::MAX),
                sessions,
                claim_prefix: RandomIdGenerator::new().next_id(),
                claims: AtomicU64::new(0),
            }),
        })
    }

    /// The next session in turn, re-connecting it first if its connection closed.
    async fn session(&self) -> Result<Arc<Session>, Error> {
        let turn = self.inner.claims.fetch_add(1, Ordering::Relaxed);
        let index = usize::try_from(turn % SESSIONS as u64).unwrap_or(0);
        let Some(session) = self.inner.sessions.get(index) else {
            return Err(Error::Config {
                reason: "the PostgreSQL notification store has no connection".into(),
            });
        };
        let current = Arc::clone(&*session.read().await);
        if !current.client.is_closed() {
            return Ok(current);
        }
        let mut slot = session.write().await;
        if slot.client.is_closed() {
            let client = (self.inner.connect)(self.inner.config.clone())
                .await
                .map_err(|e| unusable("cannot be reached", &e))?;
            *slot = Arc::new(Session::prepare(client, &self.inner.table).await?);
        }
        Ok(Arc::clone(&slot))
    }

    async fn set_state(
        &self,
        account: &str,
        notification: &Notification,
        state: &str,
    ) -> Result<(), Error> {
        let Some(key) = event_key(account, notification) else {
            return Ok(());
        };
        let session = self.session().await?;
        session
            .client
            .execute(&session.set_state, &[&key, &state])
            .await
            .map_err(|e| unusable("cannot be written", &e))?;
        Ok(())
    }
}

impl Session {
    async fn prepare(client: Client, table: &str) -> Result<Session, Error> {
        let prepare = |sql: String| {
            let client = &client;
            async move {
                client
                    .prepare(&sql)
                    .await
                    .map_err(|e| unusable("cannot be prepared", &e))
            }
        };
        // The claim is kept (and reported as in progress) while a live handler holds it; it
        // is taken over when it was released by a failure or its lease ran out.
        let held = format!(
            "(n.state = 'handled' OR (n.state = 'handling' AND {NOW} - n.claimed_at < $3))"
        );
        let begin = prepare(format!(
            "INSERT INTO {table} AS n (key, state, claim, claimed_at)
             VALUES ($1, 'handling', $2, {NOW})
             ON CONFLICT (key) DO UPDATE SET
                deliveries = n.deliveries + 1,
                state = CASE WHEN n.state = 'handled' THEN 'handled' ELSE 'handling' END,
                claim = CASE WHEN {held} THEN n.claim ELSE $2 END,
                claimed_at = CASE WHEN {held} THEN n.claimed_at ELSE {NOW} END
             RETURNING state, claim = $2"
        ))
        .await?;
        let set_state = prepare(format!(
            "UPDATE {table} SET state = $2,
                handled_at = CASE WHEN $2 = 'handled' THEN {NOW} ELSE handled_at END
             WHERE key = $1 AND state <> 'handled'"
        ))
        .await?;
        let deliveries = prepare(format!("SELECT deliveries FROM {table} WHERE key = $1")).await?;
        Ok(Session {
            client,
            begin,
            set_state,
            deliveries,
        })
    }
}

#[async_trait]
impl NotificationStore for PostgresNotificationStore {
    async fn begin(&self, account: &str, notification: &Notification) -> Result<Claim, Error> {
        let Some(key) = event_key(account, notification) else {
            // No identity: nothing to deduplicate against.
            return Ok(Claim::Handle);
        };
        // Unique to this call, so "we took the claim" is told apart from "another instance
        // took it in the same millisecond".
        let claim = format!(
            "{}-{}",
            self.inner.claim_prefix,
            self.inner.claims.fetch_add(1, Ordering::Relaxed)
        );
        let session = self.session().await?;
        let row = session
            .client
            .query_one(&session.begin, &[&key, &claim, &self.inner.lease_ms])
            .await
            .map_err(|e| unusable("cannot be written", &e))?;
        let state: &str = row.get(0);
        let ours: bool = row.get(1);
        Ok(match (state, ours) {
            ("handled", _) => Claim::AlreadyHandled,
            (_, true) => Claim::Handle,
            (_, false) => Claim::InProgress,
        })
    }

    async fn handled(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.set_state(account, notification, "handled").await
    }

    async fn failed(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.set_state(account, notification, "failed").await
    }

    async fn deliveries(&self, account: &str, notification: &Notification) -> Result<u64, Error> {
        let Some(key) = event_key(account, notification) else {
            return Ok(0);
        };
        let session = self.session().await?;
        let row = session
            .client
            .query_opt(&session.deliveries, &[&key])
            .await
            .map_err(|e| unusable("cannot be read", &e))?;
        Ok(row.map_or(0, |row| u64::try_from(row.get::<_, i64>(0)).unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::contract;
    use super::*;

    /// The test database, from `PAYBRIDGE_TEST_POSTGRES` (`.ci/run` starts one and sets it).
    fn database() -> Option<String> {
        match std::env::var("PAYBRIDGE_TEST_POSTGRES") {
            Ok(params) => Some(params),
            Err(_) => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!(
                        "skipped: PAYBRIDGE_TEST_POSTGRES is not set (bash .ci/run starts a \
                         PostgreSQL from Debian's packages and sets it)"
                    );
                }
                None
            }
        }
    }

    /// A fresh table per test, so runs never see each other's rows.
    fn opener(params: String, name: &str) -> impl AsyncFn(Duration) -> PostgresNotificationStore {
        let table = format!(
            "pb_test_{name}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        async move |lease| {
            let config: tokio_postgres::Config = params.parse().unwrap();
            PostgresNotificationStore::connect_with(config, NoTls, lease, &table)
                .await
                .unwrap()
        }
    }

    #[tokio::test]
    async fn handled_once_across_restarts_and_again_after_a_failed_handler() {
        let Some(params) = database() else { return };
        contract::handled_once_across_restarts_and_again_after_a_failed_handler(opener(
            params, "once",
        ))
        .await;
    }

    #[tokio::test]
    async fn a_claim_left_by_a_dead_handler_expires() {
        let Some(params) = database() else { return };
        contract::a_claim_left_by_a_dead_handler_expires(opener(params, "lease")).await;
    }

    #[tokio::test]
    async fn notifications_without_an_identity_share_no_key() {
        let Some(params) = database() else { return };
        contract::notifications_without_an_identity_share_no_key(opener(params, "anonymous")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn instances_racing_on_one_store_hand_each_notification_out_once() {
        let Some(params) = database() else { return };
        contract::instances_racing_on_one_store_hand_each_notification_out_once(opener(
            params, "race",
        ))
        .await;
    }

    #[tokio::test]
    async fn the_connection_settings_password_never_shows() {
        let secret = "s3cr3t-pw-Zq9";
        // Unreadable settings: the message does not repeat them.
        let bad = format!("host=127.0.0.1 password={secret} port=notaport");
        let error = PostgresNotificationStore::connect(&bad, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(!format!("{error} {error:?}").contains(secret), "{error}");
        // Unreachable database: neither does the connection error.
        let unreachable =
            format!("host=127.0.0.1 port=1 user=u password={secret} connect_timeout=2");
        let error = PostgresNotificationStore::connect(&unreachable, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(!format!("{error} {error:?}").contains(secret), "{error}");
        // A table name that would be SQL is refused before anything is sent.
        let config: tokio_postgres::Config = unreachable.parse().unwrap();
        let error = PostgresNotificationStore::connect_with(
            config,
            NoTls,
            Duration::from_secs(1),
            "x; DROP TABLE y",
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("lower-case SQL name"), "{error}");
        // A connected store's Debug names the database, never the password.
        let Some(params) = database() else { return };
        let store = opener(params.clone(), "debug")(Duration::from_secs(1)).await;
        let shown = format!("{store:?}");
        assert!(shown.contains("pb_test_debug"), "{shown}");
        // (The test database's password is a word its name also holds, so look for the
        // setting itself.)
        assert!(!shown.contains("password"), "{shown}");
    }
}
