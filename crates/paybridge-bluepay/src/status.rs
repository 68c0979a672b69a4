//! BluePay's status words mapped to the unified model. Only an explicit success is a success;
//! anything unrecognised is pending, with the raw value kept by the caller.

use paybridge_core::{PaymentStatus, RefundStatus};

/// A refund status (`refundStatus`). `PENDING` (documented), `COMPLETE` (documented, in notifications), `FAILED`
/// and `CANCEL` (decided from the event names); `COMPLETED`/`CANCELLED` spellings accepted.
pub fn refund_status(raw: &str) -> RefundStatus {
    match raw {
        "COMPLETE" | "COMPLETED" => RefundStatus::Succeeded,
        "FAILED" => RefundStatus::Failed,
        "CANCEL" | "CANCELLED" => RefundStatus::Cancelled,
        _ => RefundStatus::Pending,
    }
}

/// A transaction status (`transactionStatus`): `PENDING`, `COMPLETED`, `FAILED` (documented).
pub fn payment_status(raw: &str) -> PaymentStatus {
    match raw {
        "COMPLETED" | "COMPLETE" => PaymentStatus::Succeeded,
        "FAILED" => PaymentStatus::Failed,
        _ => PaymentStatus::Pending,
    }
}

/// The status a refund event's name implies, for a notification whose `refundStatus` is absent.
pub fn refund_status_from_event(event_name: &str) -> Option<RefundStatus> {
    match event_name {
        "payment.refund.success" => Some(RefundStatus::Succeeded),
        "payment.refund.failed" => Some(RefundStatus::Failed),
        "payment.refund.cancel" => Some(RefundStatus::Cancelled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_explicit_success_succeeds() {
        assert_eq!(refund_status("COMPLETE"), RefundStatus::Succeeded);
        assert_eq!(refund_status("COMPLETED"), RefundStatus::Succeeded);
        assert_eq!(refund_status("PENDING"), RefundStatus::Pending);
        assert_eq!(refund_status("FAILED"), RefundStatus::Failed);
        assert_eq!(refund_status("CANCEL"), RefundStatus::Cancelled);
        assert_eq!(refund_status("CANCELLED"), RefundStatus::Cancelled);
        for unknown in ["", "SUCCESS?", "complete", "PROCESSING", "REFUNDED"] {
            assert_eq!(refund_status(unknown), RefundStatus::Pending, "{unknown:?}");
        }
        assert_eq!(payment_status("COMPLETED"), PaymentStatus::Succeeded);
        assert_eq!(payment_status("EXPIRED"), PaymentStatus::Pending);
    }
}
