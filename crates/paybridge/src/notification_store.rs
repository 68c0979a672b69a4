//! Exactly-once handling of notifications that survives restarts: a notification is recorded
//! when it arrives and marked handled only after the merchant's handler succeeded, in SQLite.
//!
//! The flow for every verified delivery:
//!
//! 1. [`NotificationStore::begin`] — [`Claim::Handle`]: run the handler; [`Claim::AlreadyHandled`]:
//!    acknowledge without running it; [`Claim::InProgress`]: another delivery of the same news
//!    is being handled right now — answer with a non-2xx so the provider delivers it again later.
//! 2. The handler runs.
//! 3. On success, [`NotificationStore::handled`], then the provider's acknowledgement. On
//!    failure, [`NotificationStore::failed`] and no acknowledgement: the redelivery runs the
//!    handler again.
//!
//! A claim left by a process that died mid-handler expires after the store's lease, so the
//! redelivery after a restart runs the handler again. Notifications are keyed by provider and
//! event identity (the refund's id and status, or the payment's); one that names no refund or
//! payment has no identity and is never deduplicated — it is never given a key it would share
//! with others.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use paybridge_core::{Error, Notification, NotificationEvent};
use rusqlite::{Connection, OptionalExtension, params};

/// What to do with a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Run the handler (first delivery, or a redelivery whose handler did not finish).
    Handle,
    /// Handled before: acknowledge, do not run the handler again.
    AlreadyHandled,
    /// Another delivery of the same news is being handled now: do not acknowledge yet.
    InProgress,
}

/// Where notifications' handling is recorded.
pub trait NotificationStore: Send + Sync {
    /// Records a verified notification on receipt and says whether to run the handler.
    ///
    /// # Errors
    /// The store cannot be used (then do not acknowledge: the provider will deliver again).
    fn begin(&self, notification: &Notification) -> Result<Claim, Error>;

    /// Marks the notification handled: later deliveries are acknowledged without the handler.
    ///
    /// # Errors
    /// The store cannot be written.
    fn handled(&self, notification: &Notification) -> Result<(), Error>;

    /// Releases the claim after the handler failed, so a redelivery runs it again.
    ///
    /// # Errors
    /// The store cannot be written.
    fn failed(&self, notification: &Notification) -> Result<(), Error>;
}

/// A notification's identity: provider, subject and status. `None` when it names no subject.
pub fn event_key(notification: &Notification) -> Option<String> {
    match &notification.event {
        NotificationEvent::Refund { refund } => Some(format!(
            "{}:refund:{}:{}",
            notification.provider,
            refund.refund_id,
            refund.status.as_str()
        )),
        NotificationEvent::Payment { payment } | NotificationEvent::Payout { payout: payment } => {
            let kind = match &notification.event {
                NotificationEvent::Payout { .. } => "payout",
                _ => "payment",
            };
            let subject = payment
                .payment
                .as_deref()
                .or(payment.order_ref.as_deref())
                .filter(|s| !s.is_empty())?;
            Some(format!(
                "{}:{kind}:{subject}:{:?}",
                notification.provider, payment.status
            ))
        }
        _ => None,
    }
}

/// [`NotificationStore`] in a SQLite file (WAL, every change synced): one file per service, or
/// per machine. Several service instances behind one load balancer need a shared database.
pub struct SqliteNotificationStore {
    connection: Mutex<Connection>,
    path: PathBuf,
    lease: Duration,
}

impl std::fmt::Debug for SqliteNotificationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteNotificationStore")
            .field("path", &self.path)
            .field("lease", &self.lease)
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
    pub fn open(path: &Path, lease: Duration) -> Result<SqliteNotificationStore, Error> {
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
            connection: Mutex::new(connection),
            path: path.to_owned(),
            lease,
        })
    }

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

    /// How many deliveries of `notification` arrived (0 if none, or if it has no identity).
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn deliveries(&self, notification: &Notification) -> Result<u64, Error> {
        let Some(key) = event_key(notification) else {
            return Ok(0);
        };
        let count: Option<i64> = self
            .connection()
            .query_row(
                "SELECT deliveries FROM notifications WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.fail(&e))?;
        Ok(count.map_or(0, |c| u64::try_from(c).unwrap_or(0)))
    }

    fn set_state(&self, notification: &Notification, state: &str) -> Result<(), Error> {
        let Some(key) = event_key(notification) else {
            return Ok(());
        };
        self.connection()
            .execute(
                "UPDATE notifications SET state = ?2,
                    handled_at = CASE WHEN ?2 = 'handled' THEN ?3 ELSE handled_at END
                 WHERE key = ?1 AND state != 'handled'",
                params![key, state, now_millis()],
            )
            .map_err(|e| self.fail(&e))?;
        Ok(())
    }
}

impl NotificationStore for SqliteNotificationStore {
    fn begin(&self, notification: &Notification) -> Result<Claim, Error> {
        let Some(key) = event_key(notification) else {
            // No identity: nothing to deduplicate against.
            return Ok(Claim::Handle);
        };
        let now = now_millis();
        let lease = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        let mut connection = self.connection();
        let tx = connection.transaction().map_err(|e| self.fail(&e))?;
        let found: Option<(String, i64)> = tx
            .query_row(
                "SELECT state, claimed_at FROM notifications WHERE key = ?1",
                params![key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| self.fail(&e))?;
        let claim = match found {
            None => {
                tx.execute(
                    "INSERT INTO notifications (key, state, claimed_at) VALUES (?1, 'handling', ?2)",
                    params![key, now],
                )
                .map_err(|e| self.fail(&e))?;
                Claim::Handle
            }
            Some((state, claimed_at)) => {
                let claim = match state.as_str() {
                    "handled" => Claim::AlreadyHandled,
                    "handling" if now.saturating_sub(claimed_at) < lease => Claim::InProgress,
                    _ => Claim::Handle,
                };
                tx.execute(
                    "UPDATE notifications SET deliveries = deliveries + 1,
                        state = CASE WHEN ?2 THEN 'handling' ELSE state END,
                        claimed_at = CASE WHEN ?2 THEN ?3 ELSE claimed_at END
                     WHERE key = ?1",
                    params![key, claim == Claim::Handle, now],
                )
                .map_err(|e| self.fail(&e))?;
                claim
            }
        };
        tx.commit().map_err(|e| self.fail(&e))?;
        Ok(claim)
    }

    fn handled(&self, notification: &Notification) -> Result<(), Error> {
        self.set_state(notification, "handled")
    }

    fn failed(&self, notification: &Notification) -> Result<(), Error> {
        self.set_state(notification, "failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::{
        Currency, MerchantRefundId, Money, PaymentStatus, PaymentUpdate, Refund, RefundStatus,
    };

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pb-notes-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("notifications.sqlite")
    }

    fn refund(provider: &str, id: &str, status: RefundStatus) -> Notification {
        Notification {
            provider: provider.into(),
            event_name: None,
            event: NotificationEvent::Refund {
                refund: Refund {
                    provider: provider.into(),
                    payment: None,
                    refund_id: MerchantRefundId::new(id).unwrap(),
                    provider_refund_id: None,
                    amount: Money::new(100, Currency::Thb),
                    status,
                    provider_status: None,
                    created_at: None,
                    completed_at: None,
                },
            },
        }
    }

    #[test]
    fn handled_once_across_restarts_and_again_after_a_failed_handler() {
        let path = temp("once");
        let long = Duration::from_secs(3600);
        let done = refund("bluepay", "r1", RefundStatus::Succeeded);
        let store = SqliteNotificationStore::open(&path, long).unwrap();
        assert_eq!(store.begin(&done).unwrap(), Claim::Handle);
        // A redelivery while the handler runs is not handled twice.
        assert_eq!(store.begin(&done).unwrap(), Claim::InProgress);
        store.handled(&done).unwrap();
        drop(store);
        let store = SqliteNotificationStore::open(&path, long).unwrap();
        assert_eq!(store.begin(&done).unwrap(), Claim::AlreadyHandled);
        assert_eq!(store.deliveries(&done).unwrap(), 3);
        // A failed handler leaves the news unhandled: the redelivery runs it again.
        let other = refund("bluepay", "r2", RefundStatus::Succeeded);
        assert_eq!(store.begin(&other).unwrap(), Claim::Handle);
        store.failed(&other).unwrap();
        assert_eq!(store.begin(&other).unwrap(), Claim::Handle);
        store.handled(&other).unwrap();
        // A later status of the same refund is new news; the same id at another provider too.
        assert_eq!(
            store
                .begin(&refund("bluepay", "r1", RefundStatus::Failed))
                .unwrap(),
            Claim::Handle
        );
        assert_eq!(
            store
                .begin(&refund("nomad", "r1", RefundStatus::Succeeded))
                .unwrap(),
            Claim::Handle
        );
    }

    #[test]
    fn a_claim_left_by_a_dead_handler_expires() {
        let path = temp("lease");
        let store = SqliteNotificationStore::open(&path, Duration::ZERO).unwrap();
        let n = refund("bluepay", "r1", RefundStatus::Succeeded);
        assert_eq!(store.begin(&n).unwrap(), Claim::Handle);
        // The process died before `handled`: with the lease gone, the redelivery is handled.
        drop(store);
        let store = SqliteNotificationStore::open(&path, Duration::ZERO).unwrap();
        assert_eq!(store.begin(&n).unwrap(), Claim::Handle);
    }

    #[test]
    fn notifications_without_an_identity_share_no_key() {
        let path = temp("anonymous");
        let store = SqliteNotificationStore::open(&path, Duration::from_secs(60)).unwrap();
        let anonymous = Notification {
            provider: "scanforpay".into(),
            event_name: None,
            event: NotificationEvent::Payment {
                payment: PaymentUpdate {
                    payment: None,
                    order_ref: None,
                    amount: None,
                    status: PaymentStatus::Succeeded,
                    provider_status: None,
                },
            },
        };
        assert_eq!(event_key(&anonymous), None);
        for _ in 0..3 {
            assert_eq!(store.begin(&anonymous).unwrap(), Claim::Handle);
        }
        let named = Notification {
            event: NotificationEvent::Payment {
                payment: PaymentUpdate {
                    payment: Some("p1".into()),
                    order_ref: None,
                    amount: None,
                    status: PaymentStatus::Succeeded,
                    provider_status: None,
                },
            },
            ..anonymous
        };
        assert_eq!(store.begin(&named).unwrap(), Claim::Handle);
        store.handled(&named).unwrap();
        assert_eq!(store.begin(&named).unwrap(), Claim::AlreadyHandled);
    }
}
