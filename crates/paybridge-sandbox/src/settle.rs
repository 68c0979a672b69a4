//! Refunds after they were recorded: made final now or after the configured delay, and the
//! provider's notification — written by its emulator — delivered.

use std::sync::Arc;

use paybridge_core::ProviderId;

use paybridge_emulator::{Payment, RefundEntry, RefundState};

use crate::Shared;
use crate::host::SandboxHost;
use crate::notify;

/// After a refund was recorded: make it final (now, or after the configured delay) and deliver
/// the provider's notification.
pub(crate) fn settle(
    shared: &Arc<Shared>,
    provider: ProviderId,
    payment: Payment,
    entry: RefundEntry,
) {
    if entry.status != RefundState::Pending {
        deliver(shared, provider, &payment, &entry);
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
            deliver(&shared, provider, &payment, &entry);
        }
    });
}

fn deliver(shared: &Arc<Shared>, provider: ProviderId, payment: &Payment, entry: &RefundEntry) {
    let Some(emulator) = shared.emulator(provider) else {
        return;
    };
    let host = SandboxHost(Arc::clone(shared));
    if let Some(delivery) = emulator.refund_notification(&host, payment, entry) {
        notify::deliver(shared, delivery);
    }
}
