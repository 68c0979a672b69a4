//! Every BluePay response code, what it means and how it is handled.

use paybridge_core::RejectionClass;

/// `code` of a successful response.
pub const SUCCESS: i64 = 10_000;
/// Duplicate `mchRefundOrderId`: the refund exists; look it up.
pub const DUPLICATE_REFUND_ID: i64 = 21_407;

/// The meaning and handling of a response code. Unknown codes are refusals of unknown kind:
/// treated as provider state, never as success or as safe to retry.
pub fn classify(code: i64) -> (RejectionClass, &'static str) {
    use RejectionClass::{Authentication, CallerError, Duplicate, ProviderState, Retryable};
    match code {
        21_000 => (Retryable, "server error"),
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
        21_401 => (ProviderState, "refund processing"),
        21_402 => (ProviderState, "refund not allowed"),
        21_403 => (ProviderState, "transaction older than 60 days"),
        21_404 => (ProviderState, "full refund not supported"),
        21_405 => (ProviderState, "partial refund not supported"),
        21_406 => (CallerError, "refund amount invalid"),
        21_407 => (Duplicate, "duplicate mchRefundOrderId"),
        21_408 => (ProviderState, "original transaction not completed"),
        // One pending refund per payment: this clears by itself once the other settles, and the
        // same mchRefundOrderId can safely be sent again — so it is retried, not reported.
        21_409 => (Retryable, "a pending refund exists"),
        _ => (ProviderState, "unknown code"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_code_is_classified() {
        let published = [
            21_000, 21_001, 21_002, 21_003, 21_004, 21_005, 21_006, 21_007, 21_008, 21_009, 21_010,
            21_011, 21_012, 21_013, 21_014, 21_015, 21_016, 21_020, 21_401, 21_402, 21_403, 21_404,
            21_405, 21_406, 21_407, 21_408, 21_409,
        ];
        for code in published {
            assert_ne!(classify(code).1, "unknown code", "{code}");
        }
        assert_eq!(classify(DUPLICATE_REFUND_ID).0, RejectionClass::Duplicate);
        assert_eq!(
            classify(99_999),
            (RejectionClass::ProviderState, "unknown code")
        );
        for code in -10_006..=-10_000 {
            assert_ne!(failed_code_meaning(code), "unknown failure");
        }
    }
}
