//! Counters for `/_sandbox/stats`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::faults::FaultKind;

/// What the sandbox has seen and done.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) requests: AtomicU64,
    pub(crate) refunds_applied: AtomicU64,
    pub(crate) portal_refunds: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) resends: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) faults: [AtomicU64; 4],
    pub(crate) notifications_sent: AtomicU64,
    pub(crate) notifications_acknowledged: AtomicU64,
    pub(crate) payments_created: AtomicU64,
    pub(crate) charges: AtomicU64,
    pub(crate) payments_closed: AtomicU64,
    pub(crate) customer_payments: AtomicU64,
    pub(crate) customer_abandons: AtomicU64,
}

/// A copy of the counters, as `/_sandbox/stats` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StatsSnapshot {
    /// Provider calls received (control calls excluded).
    pub requests: u64,
    /// Refunds recorded in the ledger.
    pub refunds_applied: u64,
    /// Refunds applied through `POST /_sandbox/refunds`, as the provider's portal would: not by
    /// any client, and not counted in `refunds_applied`.
    pub portal_refunds: u64,
    /// Refund requests that repeated a known refund id (kept for the interface specification; the same count
    /// as `resends`).
    pub duplicates: u64,
    /// Refund requests that repeated a known refund id: each was answered as the provider
    /// answers a repeat, and recorded as another attempt of that refund — never merged away.
    pub resends: u64,
    /// Provider calls refused (signature, fields, rules).
    pub rejected: u64,
    /// Faults injected, all kinds.
    pub faults_injected: u64,
    /// Faults by kind.
    pub faults_by_kind: FaultCounts,
    /// Notification deliveries attempted.
    pub notifications_sent: u64,
    /// Notifications acknowledged the provider's way.
    pub notifications_acknowledged: u64,
    /// Payments created through a provider's payment API (not `POST /_sandbox/payments`).
    #[serde(default)]
    pub payments_created: u64,
    /// Barcode charges received, resends included: a client that charges twice shows here.
    #[serde(default)]
    pub charges: u64,
    /// Payments closed or cancelled through a provider's API.
    #[serde(default)]
    pub payments_closed: u64,
    /// Payments the customer paid (`POST /_sandbox/customer` `pay`, or a barcode charge).
    #[serde(default)]
    pub customer_payments: u64,
    /// Payments the customer walked away from.
    #[serde(default)]
    pub customer_abandons: u64,
}

/// Faults injected, by kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FaultCounts {
    /// Dropped before applying.
    pub drop_before_apply: u64,
    /// Applied, then dropped.
    pub drop_after_apply: u64,
    /// Answered 5xx.
    pub server_error: u64,
    /// Applied, answer delayed past the client's timeout.
    pub delay: u64,
}

impl Stats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A refund request repeated a known refund id.
    pub(crate) fn resend(&self) {
        Stats::bump(&self.duplicates);
        Stats::bump(&self.resends);
    }

    pub(crate) fn fault(&self, kind: FaultKind) {
        let index = FaultKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        if let Some(counter) = self.faults.get(index) {
            Stats::bump(counter);
        }
    }

    /// The counters now.
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let [a, b, c, d] = &self.faults;
        StatsSnapshot {
            requests: get(&self.requests),
            refunds_applied: get(&self.refunds_applied),
            portal_refunds: get(&self.portal_refunds),
            duplicates: get(&self.duplicates),
            resends: get(&self.resends),
            rejected: get(&self.rejected),
            faults_injected: get(a) + get(b) + get(c) + get(d),
            faults_by_kind: FaultCounts {
                drop_before_apply: get(a),
                drop_after_apply: get(b),
                server_error: get(c),
                delay: get(d),
            },
            notifications_sent: get(&self.notifications_sent),
            notifications_acknowledged: get(&self.notifications_acknowledged),
            payments_created: get(&self.payments_created),
            charges: get(&self.charges),
            payments_closed: get(&self.payments_closed),
            customer_payments: get(&self.customer_payments),
            customer_abandons: get(&self.customer_abandons),
        }
    }
}
