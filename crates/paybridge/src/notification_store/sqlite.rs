//! The notification store in a SQLite file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::{Error, Notification};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Claim, NotificationStore, event_key};
use crate::sqlite_group::{commit_group, next_group};

/// [`NotificationStore`] in a SQLite file (WAL, every change synced before it is answered): one
/// file per service, or per machine. Several service instances behind one load balancer need a
/// shared database.
///
/// One writer thread makes every change, and the changes that arrive together share one commit
/// (each in a savepoint of its own): a receiver taking many deliveries at once pays for one
/// sync per group instead of two per notification.
///
/// Cloning is cheap: clones share the writer.
#[derive(Clone)]
pub struct SqliteNotificationStore {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
    path: PathBuf,
    lease: Duration,
}

/// What a change answers.
enum Reply {
    Claim(Claim),
    Done,
    Deliveries(u64),
}

/// A change, run by the writer inside the group's transaction.
type Change = Box<dyn FnOnce(&Connection) -> rusqlite::Result<Reply> + Send>;

struct Job {
    change: Change,
    done: tokio::sync::oneshot::Sender<Result<Reply, String>>,
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
        let (jobs, queue) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("paybridge-notification-store".into())
            .spawn(move || write_loop(&connection, &queue))
            .map_err(|e| Error::Config {
                reason: format!("cannot start the notification store's writer: {e}"),
            })?;
        Ok(SqliteNotificationStore {
            inner: Arc::new(Inner {
                jobs: Mutex::new(jobs),
                path: path.to_owned(),
                lease,
            }),
        })
    }

    /// Has the writer make `change` for this notification's key, and waits until it is
    /// committed. A notification without an identity is answered `anonymous` untouched.
    async fn run(
        &self,
        account: &str,
        notification: &Notification,
        change: impl FnOnce(&Connection, &str) -> rusqlite::Result<Reply> + Send + 'static,
        anonymous: Reply,
    ) -> Result<Reply, Error> {
        let Some(key) = event_key(account, notification) else {
            return Ok(anonymous);
        };
        let (done, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            change: Box::new(move |connection| change(connection, &key)),
            done,
        };
        let fail = |why: String| Error::Config {
            reason: format!(
                "the notification store {} cannot be used: {why}",
                self.inner.path.display()
            ),
        };
        self.inner
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(job)
            .map_err(|_| fail("its writer stopped".into()))?;
        answer
            .await
            .map_err(|_| fail("its writer stopped".into()))?
            .map_err(fail)
    }
}

/// The writer: takes what has arrived, makes it in one transaction (each change in a savepoint,
/// so one that fails leaves the others), commits, and only then answers each.
fn write_loop(connection: &Connection, queue: &std::sync::mpsc::Receiver<Job>) {
    while let Some(group) = next_group(queue, 256) {
        let (changes, answers): (Vec<Change>, Vec<_>) =
            group.into_iter().map(|job| (job.change, job.done)).unzip();
        let results = commit_group(
            connection,
            changes,
            // `begin` reads, then inserts or updates: one statement that changes the file,
            // but the change is opaque here, so each keeps its savepoint.
            |_| true,
            |change, connection| change(connection).map_err(|e| e.to_string()),
            ToString::to_string,
        );
        for (done, result) in answers.into_iter().zip(results) {
            let _ = done.send(result);
        }
    }
}

fn deliveries(connection: &Connection, key: &str) -> rusqlite::Result<Reply> {
    let count: Option<i64> = connection
        .prepare_cached("SELECT deliveries FROM notifications WHERE key = ?1")
        .and_then(|mut statement| statement.query_row(params![key], |row| row.get(0)))
        .optional()?;
    Ok(Reply::Deliveries(
        count.map_or(0, |c| u64::try_from(c).unwrap_or(0)),
    ))
}

fn set_state(connection: &Connection, key: &str, state: &str) -> rusqlite::Result<Reply> {
    connection
        .prepare_cached(
            "UPDATE notifications SET state = ?2,
                handled_at = CASE WHEN ?2 = 'handled' THEN ?3 ELSE handled_at END
             WHERE key = ?1 AND state != 'handled'",
        )
        .and_then(|mut statement| statement.execute(params![key, state, now_millis()]))?;
    Ok(Reply::Done)
}

fn begin(connection: &Connection, key: &str, lease: Duration) -> rusqlite::Result<Reply> {
    let now = now_millis();
    let lease = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let found: Option<(String, i64)> = connection
        .prepare_cached("SELECT state, claimed_at FROM notifications WHERE key = ?1")
        .and_then(|mut statement| {
            statement.query_row(params![key], |row| Ok((row.get(0)?, row.get(1)?)))
        })
        .optional()?;
    let claim = match found {
        None => {
            connection
                .prepare_cached(
                    "INSERT INTO notifications (key, state, claimed_at) VALUES (?1, 'handling', ?2)",
                )
                .and_then(|mut statement| statement.execute(params![key, now]))?;
            Claim::Handle
        }
        Some((state, claimed_at)) => {
            let claim = match state.as_str() {
                "handled" => Claim::AlreadyHandled,
                "handling" if now.saturating_sub(claimed_at) < lease => Claim::InProgress,
                _ => Claim::Handle,
            };
            connection
                .prepare_cached(
                    "UPDATE notifications SET deliveries = deliveries + 1,
                        state = CASE WHEN ?2 THEN 'handling' ELSE state END,
                        claimed_at = CASE WHEN ?2 THEN ?3 ELSE claimed_at END
                     WHERE key = ?1",
                )
                .and_then(|mut statement| {
                    statement.execute(params![key, claim == Claim::Handle, now])
                })?;
            claim
        }
    };
    Ok(Reply::Claim(claim))
}

/// A reply of the wrong kind: a broken invariant of this file, refused rather than guessed.
fn mismatched() -> Error {
    Error::Config {
        reason: "the notification store answered out of turn".into(),
    }
}

#[async_trait]
impl NotificationStore for SqliteNotificationStore {
    async fn begin(&self, account: &str, notification: &Notification) -> Result<Claim, Error> {
        let lease = self.inner.lease;
        // No identity: nothing to deduplicate against.
        match self
            .run(
                account,
                notification,
                move |connection, key| begin(connection, key, lease),
                Reply::Claim(Claim::Handle),
            )
            .await?
        {
            Reply::Claim(claim) => Ok(claim),
            _ => Err(mismatched()),
        }
    }

    async fn handled(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.run(
            account,
            notification,
            |connection, key| set_state(connection, key, "handled"),
            Reply::Done,
        )
        .await
        .map(|_| ())
    }

    async fn failed(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.run(
            account,
            notification,
            |connection, key| set_state(connection, key, "failed"),
            Reply::Done,
        )
        .await
        .map(|_| ())
    }

    async fn deliveries(&self, account: &str, notification: &Notification) -> Result<u64, Error> {
        match self
            .run(account, notification, deliveries, Reply::Deliveries(0))
            .await?
        {
            Reply::Deliveries(count) => Ok(count),
            _ => Err(mismatched()),
        }
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
