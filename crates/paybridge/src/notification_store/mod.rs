//! Exactly-once handling of notifications that survives restarts: a notification is recorded
//! when it arrives and marked handled only after the merchant's handler succeeded, in SQLite or PostgreSQL.
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

use async_trait::async_trait;
use paybridge_core::{Error, Notification, NotificationEvent};

#[cfg(test)]
mod contract;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

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

/// Where notifications' handling is recorded: [`SqliteNotificationStore`] for one service
/// instance, [`PostgresNotificationStore`] (feature `postgres`) for several behind one load
/// balancer.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Records a verified notification on receipt and says whether to run the handler.
    ///
    /// # Errors
    /// The store cannot be used (then do not acknowledge: the provider will deliver again).
    async fn begin(&self, notification: &Notification) -> Result<Claim, Error>;

    /// Marks the notification handled: later deliveries are acknowledged without the handler.
    ///
    /// # Errors
    /// The store cannot be written.
    async fn handled(&self, notification: &Notification) -> Result<(), Error>;

    /// Releases the claim after the handler failed, so a redelivery runs it again.
    ///
    /// # Errors
    /// The store cannot be written.
    async fn failed(&self, notification: &Notification) -> Result<(), Error>;

    /// How many deliveries of `notification` arrived (0 if none, or if it has no identity).
    ///
    /// # Errors
    /// The store cannot be read.
    async fn deliveries(&self, notification: &Notification) -> Result<u64, Error>;
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
