//! What the sandbox lends every provider's emulator: its clock, the ledger, counting, settling
//! and notification delivery.

use std::sync::Arc;

use paybridge_core::{ProviderId, Timestamp};
use paybridge_emulator::{Counted, Delivery, Host, Ledger, Payment, RefundEntry};

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
            _ => {}
        }
    }

    fn settle(&self, provider: ProviderId, payment: Payment, entry: RefundEntry) {
        crate::settle::settle(&self.0, provider, payment, entry);
    }

    fn deliver(&self, delivery: Delivery) {
        crate::notify::deliver(&self.0, delivery);
    }
}
