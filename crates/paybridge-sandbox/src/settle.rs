//! Refunds after they were recorded: made final now or after the configured delay, and the
//! provider's notification delivered. Each provider module hands in how its notification is
//! built, so this module depends on none of them.

use std::sync::Arc;

use paybridge_core::ProviderId;

use crate::Shared;
use crate::ledger::{Payment, RefundEntry, RefundState};
use crate::notify::{self, Delivery};

/// How a provider writes a final refund's notification (`None`: it sends none).
pub(crate) type RefundNotification = fn(&Shared, &Payment, &RefundEntry) -> Option<Delivery>;

/// After a refund was recorded: make it final (now, or after the configured delay) and deliver
/// the provider's notification.
pub(crate) fn settle(
    shared: &Arc<Shared>,
    provider: ProviderId,
    payment: Payment,
    entry: RefundEntry,
    notification: RefundNotification,
) {
    if entry.status != RefundState::Pending {
        deliver(shared, notification, &payment, &entry);
        return;
    }
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        tokio::time::sleep(shared.config.refund_delay).await;
        let now = crate::now(&shared);
        if let Some((payment, entry)) =
            shared
                .ledger
                .finish(provider, &entry.refund_id, RefundState::Succeeded, now)
        {
            deliver(&shared, notification, &payment, &entry);
        }
    });
}

fn deliver(
    shared: &Arc<Shared>,
    notification: RefundNotification,
    payment: &Payment,
    entry: &RefundEntry,
) {
    if let Some(delivery) = notification(shared, payment, entry) {
        notify::deliver(shared, delivery);
    }
}
