//! What the sandbox lends every provider's emulator: its clock, the ledger, counting, settling
//! (a recorded refund made final now or after the configured delay, and the provider's
//! notification — written by its emulator — delivered) and notification delivery.

use std::sync::Arc;

use paybridge_core::{ProviderId, Timestamp};
use paybridge_emulator::{
    Counted, Host, Ledger, OutgoingNotification, Payment, RefundEntry, RefundState,
};

use crate::Shared;
use crate::stats::Stats;

/// The sandbox, as an emulator sees it during one call.
pub(crate) struct SandboxHost(pub(crate) Arc<Shared>);

impl Host for SandboxHost {
    fn now(&self) -> Timestamp {
        crate::now(&self.0)
    }

    fn ledger(&self) -> &Ledger {
        &self.0.ledger
    }

    fn base_url(&self) -> &str {
        &self.0.base_url
    }

    fn settles_at_once(&self) -> bool {
        self.0.config.refund_delay.is_zero()
    }

    fn timestamp_window_secs(&self) -> i64 {
        self.0.config.timestamp_window_secs
    }

    fn count(&self, event: Counted) {
        match event {
            Counted::RefundApplied => Stats::bump(&self.0.stats.refunds_applied),
            Counted::Rejected => Stats::bump(&self.0.stats.rejected),
            Counted::Resend => self.0.stats.resend(),
            Counted::PaymentCreated => Stats::bump(&self.0.stats.payments_created),
            Counted::Charge => Stats::bump(&self.0.stats.charges),
            Counted::PaymentClosed => Stats::bump(&self.0.stats.payments_closed),
            _ => {}
        }
    }

    fn settle(&self, provider: ProviderId, payment: Payment, entry: RefundEntry) {
        settle(&self.0, provider, payment, entry);
    }

    fn deliver(&self, delivery: OutgoingNotification) {
        crate::notify::deliver(&self.0, delivery);
    }
}

/// After a refund was recorded: make it final (now, or after the configured delay) and deliver
/// the provider's notification.
fn settle(shared: &Arc<Shared>, provider: ProviderId, payment: Payment, entry: RefundEntry) {
    if entry.status != RefundState::Pending {
        deliver(shared, provider, &payment, &entry);
        return;
    }
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        tokio::time::sleep(shared.config.refund_delay).await;
        let now = crate::now(&shared);
        if let Some((payment, entry)) = shared.ledger.finish_in(
            provider,
            &payment.payment,
            &entry.refund_id,
            RefundState::Succeeded,
            now,
        ) {
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
        crate::notify::deliver(shared, delivery);
    }
}
