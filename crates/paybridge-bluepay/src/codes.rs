//! Every BluePay response code: how it is handled, what it says about the request that drew it
//! (refused, retry the same id, or ambiguous: see [`Disposition`]), and its documented meaning.

use paybridge_core::{CodeMeaning, Disposition, RejectionClass};
use paybridge_core::{PaymentStatus, RefundStatus};

/// `code` of a successful response.
pub const SUCCESS: i64 = 10_000;
/// Refund processing: a refund under this id (or of this payment) is pending; look it up.
pub const REFUND_PROCESSING: i64 = 21_401;
/// Duplicate `mchRefundOrderId`: the refund exists; look it up.
pub const DUPLICATE_REFUND_ID: i64 = 21_407;

/// The meaning and handling of a response code.
///
/// A code we do not know is **ambiguous**: it may be a failure after the refund was recorded,
/// so it is settled by a look-up — never reported as a refusal, never blindly resent.
pub fn classify(code: i64) -> CodeMeaning {
    use RejectionClass::{
        Ambiguous, Authentication, CallerError, Duplicate, ProviderState, Retryable,
    };
    let (class, meaning) = match code {
        // A server error does not say whether the refund was recorded before it happened.
        21_000 => (Ambiguous, "server error"),
        21_001 => (Authentication, "sign error"),
        21_002 => (CallerError, "param error"),
        21_003 => (Authentication, "appId error"),
        21_004 => (ProviderState, "merchant unavailable"),
        21_005 => (ProviderState, "merchant channel unavailable"),
        21_006 => (CallerError, "transaction not found"),
        21_007 => (Duplicate, "duplicate merchant order id"),
        21_008 => (CallerError, "timestamp error"),
        // Re-sent with a fresh timestamp by the client's retry loop.
        21_009 => (Retryable, "timestamp expired"),
        21_010 => (CallerError, "amount exceeds limit"),
        21_011 => (Retryable, "network error"),
        21_012 => (CallerError, "bank code error"),
        21_013 => (CallerError, "wallet code error"),
        21_014 => (ProviderState, "balance insufficient"),
        21_015 => (Duplicate, "duplicate idempotencyId"),
        21_016 => (Authentication, "merchant IP forbidden"),
        21_020 => (Retryable, "too many requests"),
        // BluePay answers a repeated id of a pending refund with this: the refund may be ours.
        21_401 => (Ambiguous, "refund processing"),
        21_402 => (ProviderState, "refund not allowed"),
        21_403 => (ProviderState, "transaction older than 60 days"),
        21_404 => (ProviderState, "full refund not supported"),
        21_405 => (ProviderState, "partial refund not supported"),
        21_406 => (CallerError, "refund amount invalid"),
        // Refused as a new refund; the client looks the id up and returns the refund it finds.
        21_407 => (Duplicate, "duplicate mchRefundOrderId"),
        21_408 => (ProviderState, "original transaction not completed"),
        // One pending refund per payment: this clears by itself once the other settles, and the
        // same mchRefundOrderId can safely be sent again — so it is retried, not reported.
        21_409 => (Retryable, "a pending refund exists"),
        _ => (Ambiguous, "unknown code"),
    };
    CodeMeaning::new(class, meaning)
}

/// What `code` says about the request that drew it.
pub fn disposition(code: i64) -> Disposition {
    classify(code).disposition()
}

/// The meaning of a per-transaction `failedCode`.
pub fn failed_code_meaning(code: i64) -> &'static str {
    match code {
        -10_000 => "service error",
        -10_001 => "exceeds limit",
        -10_002 => "params error",
        -10_003 => "insufficient balance",
        -10_004 => "channel rejected",
        -10_005 => "destination account error",
        -10_006 => "network reject",
        _ => "unknown failure",
    }
}

/// How BluePay's errors steer retries. Every BluePay call is keyed by a merchant id or only
/// reads, so whatever is retryable is tried again (a lost or unanswered request, server busy,
/// timestamp expired, a refund still pending), each attempt re-signed with a fresh timestamp.
/// "Duplicate `mchRefundOrderId`" names a refund that exists: the refund path looks it up (and
/// returns it, or says whose it is) rather than guessing, so it passes unchanged.
pub const RETRY_RULES: paybridge_transport::RetryRules = paybridge_transport::RetryRules {
    resolved_by_caller: is_duplicate_refund_id,
    ..paybridge_transport::RetryRules::keyed(crate::PROVIDER)
};

fn is_duplicate_refund_id(error: &paybridge_core::Error) -> bool {
    matches!(error, paybridge_core::Error::Rejected { code, .. }
        if *code == DUPLICATE_REFUND_ID)
}

// Status words → unified statuses.
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

    /// Every published code, with the disposition and meaning we give it: a test per code.
    const TABLE: &[(i64, &str, &str)] = &[
        (21_000, "ambiguous", "server error"),
        (21_001, "refused", "sign error"),
        (21_002, "refused", "param error"),
        (21_003, "refused", "appId error"),
        (21_004, "refused", "merchant unavailable"),
        (21_005, "refused", "merchant channel unavailable"),
        (21_006, "refused", "transaction not found"),
        (21_007, "refused", "duplicate merchant order id"),
        (21_008, "refused", "timestamp error"),
        (21_009, "retry_same_id", "timestamp expired"),
        (21_010, "refused", "amount exceeds limit"),
        (21_011, "retry_same_id", "network error"),
        (21_012, "refused", "bank code error"),
        (21_013, "refused", "wallet code error"),
        (21_014, "refused", "balance insufficient"),
        (21_015, "refused", "duplicate idempotencyId"),
        (21_016, "refused", "merchant IP forbidden"),
        (21_020, "retry_same_id", "too many requests"),
        (21_401, "ambiguous", "refund processing"),
        (21_402, "refused", "refund not allowed"),
        (21_403, "refused", "transaction older than 60 days"),
        (21_404, "refused", "full refund not supported"),
        (21_405, "refused", "partial refund not supported"),
        (21_406, "refused", "refund amount invalid"),
        (21_407, "refused", "duplicate mchRefundOrderId"),
        (21_408, "refused", "original transaction not completed"),
        (21_409, "retry_same_id", "a pending refund exists"),
    ];

    #[test]
    fn every_published_code_has_its_disposition_and_meaning() {
        for &(code, disposition, meaning) in TABLE {
            let row = classify(code);
            assert_eq!(row.disposition().as_str(), disposition, "{code}");
            assert_eq!(row.meaning, meaning, "{code}");
        }
        assert_eq!(
            classify(DUPLICATE_REFUND_ID).class,
            RejectionClass::Duplicate
        );
    }

    #[test]
    fn an_unknown_code_is_ambiguous_never_a_refusal() {
        for code in [0, 1, 99_999, 21_999, -1] {
            assert_eq!(disposition(code), Disposition::Ambiguous, "{code}");
        }
    }

    #[test]
    fn every_failed_code_has_a_meaning() {
        for code in -10_006..=-10_000 {
            assert_ne!(failed_code_meaning(code), "unknown failure");
        }
    }
}

#[cfg(test)]
mod status_tests {
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
