//! The notification store in a SQLite file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::{Error, Notification};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Claim, NotificationStore, event_key};

/// [`NotificationStore`] in a SQLite file (WAL, every change synced): one file per service, or
/// per machine. Several service instances behind one load balancer need a shared database.
///
/// Cloning is cheap: clones share one connection.
#[derive(Clone)]
pub struct SqliteNotificationStore {
    inner: Arc<Inner>,
}

struct Inner {
    connection: Mutex<Connection>,
    path: PathBuf,
    lease: Duration,
}

impl std::fmt::Debug for SqliteNotificationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteNotificationStore")
            .field("path", &self.inner.path)
            .field("lease", &self.inner.lease)
            .finish_non_exhaustive()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS notifications (
    key          TEXT PRIMARY KEY,
    state        TEXT NOT NULL CHECK (state IN ('handling', 'handled', 'failed')),
    claimed_at   INTEGER NOT NULL,
    deliveries   INTEGER NOT NULL DEFAULT 1,
    handled_at   INTEGER
) WITHOUT ROWID;
";

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl SqliteNotificationStore {
    /// Opens (creating if needed) the store at `path`; a claim older than `lease` is taken to
    /// belong to a handler that died, and is given to the next delivery.
    ///
    /// # Errors
    /// [`Error::Config`] naming the file when it cannot be opened or is not a database.
    pub fn open(path: impl AsRef<Path>, lease: Duration) -> Result<SqliteNotificationStore, Error> {
        let path = path.as_ref();
        let fail = |e: rusqlite::Error| Error::Config {
            reason: format!(
                "the notification store {} cannot be used: {e}",
                path.display()
            ),
        };
        let connection = Connection::open(path).map_err(fail)?;
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(fail)?;
        let _mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(fail)?;
        connection
            .execute_batch("PRAGMA synchronous = FULL;")
            .map_err(fail)?;
        connection.execute_batch(SCHEMA).map_err(fail)?;
        Ok(SqliteNotificationStore {
            inner: Arc::new(Inner {
                connection: Mutex::new(connection),
                path: path.to_owned(),
                lease,
            }),
        })
    }

    /// Runs a blocking call on the connection off the async runtime.
    async fn run<T: Send + 'static>(
        &self,
        account: &str,
        notification: &Notification,
        call: fn(&Inner, &str) -> Result<T, Error>,
        anonymous: T,
    ) -> Result<T, Error> {
        let Some(key) = event_key(account, notification) else {
            return Ok(anonymous);
        };
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || call(&inner, &key))
            .await
            .map_err(|e| Error::Config {
                reason: format!("the notification store stopped: {e}"),
            })?
    }
}

impl Inner {
    fn fail(&self, error: &rusqlite::Error) -> Error {
        Error::Config {
            reason: format!(
                "the notification store {} cannot be used: {error}",
                self.path.display()
            ),
        }
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn deliveries(&self, key: &str) -> Result<u64, Error> {
        let count: Option<i64> = self
            .connection()
            .prepare_cached("SELECT deliveries FROM notifications WHERE key = ?1")
            .and_then(|mut statement| statement.query_row(params![key], |row| row.get(0)))
            .optional()
            .map_err(|e| self.fail(&e))?;
        Ok(count.map_or(0, |c| u64::try_from(c).unwrap_or(0)))
    }

    fn set_state(&self, key: &str, state: &str) -> Result<(), Error> {
        self.connection()
            .prepare_cached(
                "UPDATE notifications SET state = ?2,
                    handled_at = CASE WHEN ?2 = 'handled' THEN ?3 ELSE handled_at END
                 WHERE key = ?1 AND state != 'handled'",
            )
            .and_then(|mut statement| statement.execute(params![key, state, now_millis()]))
            .map_err(|e| self.fail(&e))?;
        Ok(())
    }

    fn begin(&self, key: &str) -> Result<Claim, Error> {
        let now = now_millis();
        let lease = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        let mut connection = self.connection();
        let tx = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.fail(&e))?;
        let found: Option<(String, i64)> = tx
            .prepare_cached("SELECT state, claimed_at FROM notifications WHERE key = ?1")
            .and_then(|mut statement| {
                statement.query_row(params![key], |row| Ok((row.get(0)?, row.get(1)?)))
            })
            .optional()
            .map_err(|e| self.fail(&e))?;
        let claim = match found {
            None => {
                tx.prepare_cached(
                    "INSERT INTO notifications (key, state, claimed_at) VALUES (?1, 'handling', ?2)",
                )
                .and_then(|mut statement| statement.execute(params![key, now]))
                .map_err(|e| self.fail(&e))?;
                Claim::Handle
            }
            Some((state, claimed_at)) => {
                let claim = match state.as_str() {
                    "handled" => Claim::AlreadyHandled,
                    "handling" if now.saturating_sub(claimed_at) < lease => Claim::InProgress,
                    _ => Claim::Handle,
                };
                tx.prepare_cached(
                    "UPDATE notifications SET deliveries = deliveries + 1,
                        state = CASE WHEN ?2 THEN 'handling' ELSE state END,
                        claimed_at = CASE WHEN ?2 THEN ?3 ELSE claimed_at END
                     WHERE key = ?1",
                )
                .and_then(|mut statement| {
                    statement.execute(params![key, claim == Claim::Handle, now])
                })
                .map_err(|e| self.fail(&e))?;
                claim
            }
        };
        tx.commit().map_err(|e| self.fail(&e))?;
        Ok(claim)
    }
}

#[async_trait]
impl NotificationStore for SqliteNotificationStore {
    async fn begin(&self, account: &str, notification: &Notification) -> Result<Claim, Error> {
        // No identity: nothing to deduplicate against.
        self.run(account, notification, Inner::begin, Claim::Handle)
            .await
    }

    async fn handled(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.run(
            account,
            notification,
            |inner, key| inner.set_state(key, "handled"),
            (),
        )
        .await
    }

    async fn failed(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.run(
            account,
            notification,
            |inner, key| inner.set_state(key, "failed"),
            (),
        )
        .await
    }

    async fn deliveries(&self, account: &str, notification: &Notification) -> Result<u64, Error> {
        self.run(account, notification, Inner::deliveries, 0).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::contract;
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pb-notes-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("notifications.sqlite")
    }

    fn opener(name: &str) -> impl AsyncFn(Duration) -> SqliteNotificationStore {
        let path = temp(name);
        async move |lease| SqliteNotificationStore::open(&path, lease).unwrap()
    }

    #[tokio::test]
    async fn handled_once_across_restarts_and_again_after_a_failed_handler() {
        contract::handled_once_across_restarts_and_again_after_a_failed_handler(opener("once"))
            .await;
    }

    #[tokio::test]
    async fn a_claim_left_by_a_dead_handler_expires() {
        contract::a_claim_left_by_a_dead_handler_expires(opener("lease")).await;
    }

    #[tokio::test]
    async fn notifications_without_an_identity_share_no_key() {
        contract::notifications_without_an_identity_share_no_key(opener("anonymous")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn instances_racing_on_one_store_hand_each_notification_out_once() {
        contract::instances_racing_on_one_store_hand_each_notification_out_once(opener("race"))
            .await;
    }
}
