//! ScanForPay's numeric statuses in the unified model.

use paybridge_core::{PaymentStatus, RefundStatus};

/// Refund `status`: 0 processing ("Dealing"), 1 success (the docs say "Cancelled"; their own
/// plugin treats 1 as success — we follow the plugin), 2 failed; anything else pending.
pub fn refund_status(status: i64) -> RefundStatus {
    match status {
        1 => RefundStatus::Succeeded,
        2 => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    }
}

/// Payment `status`: 0 to be paid, 1 success, 2 failed, 3 refunded.
pub fn payment_status(status: i64) -> PaymentStatus {
    match status {
        1 => PaymentStatus::Succeeded,
        2 => PaymentStatus::Failed,
        3 => PaymentStatus::Refunded,
        _ => PaymentStatus::Pending,
    }
}
