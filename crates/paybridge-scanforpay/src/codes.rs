//! Every ScanForPay response code, what it means and how it is handled.

use paybridge_core::RejectionClass;

/// `code` of a successful answer.
pub const SUCCESS: i64 = 1;
/// "Payment result timed out, state unknown (query again)": the outcome is unknown.
pub const STATE_UNKNOWN: i64 = 21;
/// Duplicate order (a refund number reused for a different amount).
pub const DUPLICATE_ORDER: i64 = 31;

/// How a code is handled, and its published meaning. Code 21 is not a rejection at all (the
/// outcome is unknown) and is reported as such by the codec; unknown codes are provider state —
/// never success, never safe to retry blindly.
pub fn classify(code: i64) -> (RejectionClass, &'static str) {
    use RejectionClass::{Authentication, CallerError, Duplicate, ProviderState, Retryable};
    match code {
        2 => (ProviderState, "transaction failure"),
        3 => (Authentication, "illegal request / not authorized"),
        4 => (CallerError, "parameter empty"),
        5 => (CallerError, "parameter illegitimate"),
        6 => (CallerError, "invalid JSON"),
        7 => (CallerError, "both order numbers empty"),
        8 => (Authentication, "invalid signature"),
        9 => (Retryable, "unknown system error"),
        20 => (ProviderState, "institution signature verification failed"),
        21 => (Retryable, "payment result timed out, state unknown"),
        22 => (Retryable, "institution request failed"),
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
        _ => (ProviderState, "unknown code"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_code_is_classified() {
        for code in [
            2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 30, 31, 32, 33, 34, 35, 40, 41, 42, 43, 44,
        ] {
            assert_ne!(classify(code).1, "unknown code", "{code}");
        }
        for code in [9, 21, 22] {
            assert_eq!(classify(code).0, RejectionClass::Retryable, "{code}");
        }
    }
}
