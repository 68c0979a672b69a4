//! Every ScanForPay response code: how it is handled, what it says about the request that drew
//! it (refused, retry the same id, or ambiguous: see [`Disposition`]), and its documented
//! meaning.

use paybridge_core::{CodeMeaning, Disposition, RejectionClass};
use paybridge_core::{PaymentStatus, RefundStatus};

/// `code` of a successful answer.
pub const SUCCESS: i64 = 1;
/// "Payment result timed out, state unknown (query again)": the outcome is unknown.
pub const STATE_UNKNOWN: i64 = 21;
/// Duplicate order (a refund number reused for a different amount).
pub const DUPLICATE_ORDER: i64 = 31;
/// The refund exceeds the refundable amount. ScanForPay also answers a *repeat* of a refund that
/// exhausted the payment this way, so after an attempt that may have been applied it proves
/// nothing (the client's retry history turns it into an unknown outcome).
pub const EXCEEDS_REFUNDABLE: i64 = 35;

/// How a code is handled, and its published meaning.
///
/// Code 21 is reported by the codec as an unknown outcome. Codes 9 and 22 are failures whose
/// timing the docs do not give — possibly after the refund was recorded — so they are ambiguous;
/// ScanForPay has no refund query, and its documented way to settle them is to send the refund
/// again under the same `refundNo`, which the client's retry loop does. A code we do not know is
/// ambiguous too: never a refusal.
pub fn classify(code: i64) -> CodeMeaning {
    use RejectionClass::{Ambiguous, Authentication, CallerError, Duplicate, ProviderState};
    let (class, meaning) = match code {
        2 => (ProviderState, "transaction failure"),
        3 => (Authentication, "illegal request / not authorized"),
        4 => (CallerError, "parameter empty"),
        5 => (CallerError, "parameter illegitimate"),
        6 => (CallerError, "invalid JSON"),
        7 => (CallerError, "both order numbers empty"),
        8 => (Authentication, "invalid signature"),
        9 => (Ambiguous, "unknown system error"),
        20 => (ProviderState, "institution signature verification failed"),
        21 => (Ambiguous, "payment result timed out, state unknown"),
        22 => (Ambiguous, "institution request failed"),
        30 => (CallerError, "order does not exist"),
        31 => (Duplicate, "duplicate order"),
        32 => (ProviderState, "illegal order status"),
        33 => (ProviderState, "order closed"),
        34 => (ProviderState, "cancellation not allowed"),
        35 => (ProviderState, "refund exceeds refundable amount"),
        40 => (CallerError, "open Alipay or WeChat to pay"),
        41 => (CallerError, "pay with Alipay"),
        42 => (CallerError, "pay with WeChat"),
        43 => (ProviderState, "merchant has no acquiring account"),
        44 => (ProviderState, "payment type not enabled"),
        _ => (Ambiguous, "unknown code"),
    };
    CodeMeaning::new(class, meaning)
}

/// What `code` says about the request that drew it.
pub fn disposition(code: i64) -> Disposition {
    classify(code).disposition()
}

/// How ScanForPay's errors steer retries: every call is keyed by the merchant's number, so a
/// repeat is harmless — and for ScanForPay, which has no refund query, sending the same
/// `refundNo` again is the documented way to learn an outcome. So besides what is retryable,
/// an unknown outcome (code 21, a lost answer) is tried again too, re-signed with a fresh
/// `reqMsgId`.
pub const RETRY_RULES: paybridge_transport::RetryRules = paybridge_transport::RetryRules {
    action: retry_action,
    ..paybridge_transport::RetryRules::keyed(crate::PROVIDER)
};

fn retry_action(error: &paybridge_core::Error) -> paybridge_transport::Action {
    if error.is_retryable() || error.outcome_unknown() {
        paybridge_transport::Action::Retry
    } else {
        paybridge_transport::Action::Stop
    }
}

// Status words → unified statuses.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every published code, with the disposition and meaning we give it: a test per code.
    const TABLE: &[(i64, &str, &str)] = &[
        (2, "refused", "transaction failure"),
        (3, "refused", "illegal request / not authorized"),
        (4, "refused", "parameter empty"),
        (5, "refused", "parameter illegitimate"),
        (6, "refused", "invalid JSON"),
        (7, "refused", "both order numbers empty"),
        (8, "refused", "invalid signature"),
        (9, "ambiguous", "unknown system error"),
        (20, "refused", "institution signature verification failed"),
        (21, "ambiguous", "payment result timed out, state unknown"),
        (22, "ambiguous", "institution request failed"),
        (30, "refused", "order does not exist"),
        (31, "refused", "duplicate order"),
        (32, "refused", "illegal order status"),
        (33, "refused", "order closed"),
        (34, "refused", "cancellation not allowed"),
        (35, "refused", "refund exceeds refundable amount"),
        (40, "refused", "open Alipay or WeChat to pay"),
        (41, "refused", "pay with Alipay"),
        (42, "refused", "pay with WeChat"),
        (43, "refused", "merchant has no acquiring account"),
        (44, "refused", "payment type not enabled"),
    ];

    #[test]
    fn every_published_code_has_its_disposition_and_meaning() {
        for &(code, disposition, meaning) in TABLE {
            let row = classify(code);
            assert_eq!(row.disposition().as_str(), disposition, "{code}");
            assert_eq!(row.meaning, meaning, "{code}");
        }
    }

    #[test]
    fn an_unknown_code_is_ambiguous_never_a_refusal() {
        for code in [0, 10, 36, 99, -1] {
            assert_eq!(disposition(code), Disposition::Ambiguous, "{code}");
        }
    }
}
