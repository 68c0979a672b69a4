//! Deduplicating notifications on the merchant's side. Providers redeliver until acknowledged,
//! and deliveries can overtake each other: a handler must act once per piece of news and never
//! let an older status overwrite a final one.

use std::collections::HashMap;
use std::sync::Mutex;

use paybridge_core::{Notification, NotificationEvent, PaymentStatus, RefundStatus};

/// What a delivery is, relative to what was seen before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// News: the first word on this refund or payment, or a later status. Act on it.
    New,
    /// The same news again (a redelivery). Acknowledge, do nothing.
    Duplicate,
    /// Older news arriving after a final status (out of order). Acknowledge, do nothing: the
    /// final status stands.
    OutOfOrder,
}

/// How far along a status is: pending < needs attention < final.
fn rank_refund(status: RefundStatus) -> u8 {
    match status {
        RefundStatus::Pending => 0,
        RefundStatus::RequiresAttention => 1,
        _ => 2,
    }
}

fn rank_payment(status: PaymentStatus) -> u8 {
    match status {
        PaymentStatus::Pending => 0,
        PaymentStatus::Succeeded | PaymentStatus::Failed | PaymentStatus::Closed => 1,
        PaymentStatus::PartiallyRefunded => 2,
        _ => 3,
    }
}

/// The latest status seen per refund (or payment), by provider, in memory. It marks news seen
/// when it is recorded — before the handler acts — so a handler that fails loses that news on
/// redelivery, and a restart forgets everything: for handling exactly once across failures and
/// restarts use `notification_store` (feature `sqlite`), which marks news handled only after
/// the handler succeeded.
#[derive(Debug, Default)]
pub struct NotificationLog {
    latest: Mutex<HashMap<String, (u8, String)>>,
}

impl NotificationLog {
    /// An empty log.
    pub fn new() -> NotificationLog {
        NotificationLog::default()
    }

    /// Records a verified notification and says whether it is news.
    pub fn record(&self, notification: &Notification) -> Freshness {
        let (subject, rank, status) = match &notification.event {
            NotificationEvent::Refund { refund } => (
                format!("{}:refund:{}", notification.provider, refund.refund_id),
                rank_refund(refund.status),
                refund.status.as_str().to_owned(),
            ),
            NotificationEvent::Payment { payment }
            | NotificationEvent::Payout { payout: payment } => (
                format!(
                    "{}:payment:{}",
                    notification.provider,
                    payment
                        .payment
                        .as_deref()
                        .or(payment.order_ref.as_deref())
                        .unwrap_or("")
                ),
                rank_payment(payment.status),
                format!("{:?}", payment.status),
            ),
            _ => (notification.dedup_key(), 0, String::new()),
        };
        let mut latest = self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match latest.get(&subject) {
            Some((_, seen)) if *seen == status => Freshness::Duplicate,
            Some((seen_rank, _)) if *seen_rank > rank || *seen_rank == 2 => Freshness::OutOfOrder,
            _ => {
                latest.insert(subject, (rank, status));
                Freshness::New
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::{Currency, MerchantRefundId, Money, Refund};

    fn refund(id: &str, status: RefundStatus) -> Notification {
        Notification {
            provider: "bluepay".into(),
            event_name: None,
            event: NotificationEvent::Refund {
                refund: Refund {
                    provider: "bluepay".into(),
                    payment: Some("CU1".into()),
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
    fn duplicates_and_out_of_order_deliveries_are_recognised() {
        let log = NotificationLog::new();
        assert_eq!(
            log.record(&refund("r1", RefundStatus::Pending)),
            Freshness::New
        );
        assert_eq!(
            log.record(&refund("r1", RefundStatus::Pending)),
            Freshness::Duplicate
        );
        assert_eq!(
            log.record(&refund("r1", RefundStatus::Succeeded)),
            Freshness::New
        );
        assert_eq!(
            log.record(&refund("r1", RefundStatus::Succeeded)),
            Freshness::Duplicate
        );
        // A late "pending" after the final status, and a contradictory final: neither overwrites.
        assert_eq!(
            log.record(&refund("r1", RefundStatus::Pending)),
            Freshness::OutOfOrder
        );
        assert_eq!(
            log.record(&refund("r1", RefundStatus::Failed)),
            Freshness::OutOfOrder
        );
        // Other refunds are independent; a final status may arrive first.
        assert_eq!(
            log.record(&refund("r2", RefundStatus::Succeeded)),
            Freshness::New
        );
        assert_eq!(
            log.record(&refund("r2", RefundStatus::Pending)),
            Freshness::OutOfOrder
        );
    }
}
