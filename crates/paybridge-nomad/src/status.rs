//! The broker's status words mapped to the unified model. Only an explicit success is a
//! success; anything unrecognised is pending, with the raw value kept by the caller.

use paybridge_core::RefundStatus;

/// The broker's refund status in the unified model: `SUCCESS` succeeded, `CLOSE`/`CLOSED` failed,
/// `PROCESSING` pending, `ABNORMAL` needs the merchant; anything else pending.
pub fn refund_status(raw: &str) -> RefundStatus {
    match raw {
        "SUCCESS" => RefundStatus::Succeeded,
        "CLOSE" | "CLOSED" => RefundStatus::Failed,
        "ABNORMAL" => RefundStatus::RequiresAttention,
        _ => RefundStatus::Pending,
    }
}
