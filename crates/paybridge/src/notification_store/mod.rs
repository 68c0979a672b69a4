//! Exactly-once handling of notifications that survives restarts: a notification is recorded
//! when it arrives and marked handled only after the merchant's handler succeeded, in SQLite or
//! PostgreSQL (or, for tests, in memory: [`MemoryNotificationStore`]).
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
//! redelivery after a restart runs the handler again. Notifications are keyed by account, provider and
//! event identity (the refund's id and status, or the payment's); one that names no refund or
//! payment has no identity and is never deduplicated — it is never given a key it would share
//! with others.

use async_trait::async_trait;
use paybridge_core::{Error, Notification, NotificationEvent};

#[cfg(test)]
mod contract;
mod memory;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryNotificationStore;
#[cfg(feature = "postgres")]
pub use postgres::{DEFAULT_TABLE, PostgresNotificationStore};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteNotificationStore;

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

/// Where notifications' handling is recorded: `SqliteNotificationStore` (feature `sqlite`) for
/// one service instance, `PostgresNotificationStore` (feature `postgres`) for several behind one
/// load balancer.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Records a verified notification on receipt and says whether to run the handler.
    ///
    /// # Errors
    /// The store cannot be used (then do not acknowledge: the provider will deliver again).
    async fn begin(&self, account: &str, notification: &Notification) -> Result<Claim, Error>;

    /// Marks the notification handled: later deliveries are acknowledged without the handler.
    ///
    /// # Errors
    /// The store cannot be written.
    async fn handled(&self, account: &str, notification: &Notification) -> Result<(), Error>;

    /// Releases the claim after the handler failed, so a redelivery runs it again.
    ///
    /// # Errors
    /// The store cannot be written.
    async fn failed(&self, account: &str, notification: &Notification) -> Result<(), Error>;

    /// How many deliveries of `notification` arrived (0 if none, or if it has no identity).
    ///
    /// # Errors
    /// The store cannot be read.
    async fn deliveries(&self, account: &str, notification: &Notification) -> Result<u64, Error>;
}

/// A notification's identity: the account it arrived for, the provider, its subject and status —
/// all of them read from what was verified. `None` when it names no subject.
///
/// `account` is the account's name in `paybridge.toml` (`bluepay`, or `bluepay.th-main` where a
/// provider has several): two accounts of one provider may use the same refund ids, and each
/// one's news is its own. For an account named as its provider the key is the provider's alone,
/// as before accounts were part of it.
pub fn event_key(account: &str, notification: &Notification) -> Option<String> {
    let provider = &notification.provider;
    let subject = match &notification.event {
        NotificationEvent::Refund { refund } => {
            format!("refund:{}:{}", refund.refund_id, refund.status.as_str())
        }
        NotificationEvent::Payment { payment } | NotificationEvent::Payout { payout: payment } => {
            let kind = match &notification.event {
                NotificationEvent::Payout { .. } => "payout",
                _ => "payment",
            };
            // An empty id names nothing: fall back to the order reference, never to no key.
            let subject = payment
                .payment
                .as_deref()
                .filter(|s| !s.is_empty())
                .or(payment.order_ref.as_deref().filter(|s| !s.is_empty()))?;
            format!("{kind}:{subject}:{:?}", payment.status)
        }
        _ => return None,
    };
    Some(if account == provider.as_str() {
        format!("{provider}:{subject}")
    } else {
        format!("{account}/{provider}:{subject}")
    })
}
