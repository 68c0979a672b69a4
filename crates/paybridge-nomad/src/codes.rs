//! The broker's answers, by HTTP status (it decides success by status, not by the body's
//! `code`): how each is handled, what it says about the request that drew it (refused, retry
//! the same id, or ambiguous: see [`Disposition`]), and its documented meaning.

use paybridge_core::{CodeMeaning, Disposition, RejectionClass};

use crate::codec::Operation;
use paybridge_core::RefundStatus;

/// The meaning and handling of an HTTP status other than 2xx, for a call that creates
/// (`Operation::Create`) or only reads.
///
/// A 5xx is "failure at the payment company": for a create call it may follow the refund being
/// recorded, so it is ambiguous; for a read it is simply retried. A status we do not know is
/// ambiguous for a create call too — never a refusal.
pub fn classify(status: u16, operation: Operation) -> CodeMeaning {
    use RejectionClass::{Ambiguous, Authentication, CallerError, Retryable};
    let create = operation == Operation::Create;
    let (class, meaning) = match status {
        401 | 403 => (Authentication, "bad or missing API key"),
        // (decided) The broker documents no "not found"; a 404 to a query is one.
        404 => (CallerError, "not found"),
        422 => (CallerError, "validation failed"),
        408 | 429 => (Retryable, "try again later"),
        500..=599 if create => (Ambiguous, "failure at the payment company"),
        500..=599 => (Retryable, "failure at the payment company"),
        400..=499 => (CallerError, "request refused"),
        _ if create => (Ambiguous, "unexpected status"),
        _ => (Retryable, "unexpected status"),
    };
    CodeMeaning::new(class, meaning)
}

/// What `status` says about a request of `operation`.
pub fn disposition(status: u16, operation: Operation) -> Disposition {
    classify(status, operation).disposition()
}

/// How the broker's errors steer retries: every call is keyed by the merchant's references
/// or only reads, so whatever is retryable is tried again.
pub const RETRY_RULES: paybridge_transport::RetryRules =
    paybridge_transport::RetryRules::keyed(crate::PROVIDER);

// Status words → unified statuses.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every status the broker documents (and the ones HTTP gives it), for a refund (create) and
    /// a query (read), with the disposition and meaning we give it: a test per code.
    const TABLE: &[(u16, &str, &str, &str)] = &[
        (401, "refused", "refused", "bad or missing API key"),
        (403, "refused", "refused", "bad or missing API key"),
        (404, "refused", "refused", "not found"),
        (408, "retry_same_id", "retry_same_id", "try again later"),
        (422, "refused", "refused", "validation failed"),
        (429, "retry_same_id", "retry_same_id", "try again later"),
        (400, "refused", "refused", "request refused"),
        (
            500,
            "ambiguous",
            "retry_same_id",
            "failure at the payment company",
        ),
        (
            502,
            "ambiguous",
            "retry_same_id",
            "failure at the payment company",
        ),
        (
            503,
            "ambiguous",
            "retry_same_id",
            "failure at the payment company",
        ),
        (
            504,
            "ambiguous",
            "retry_same_id",
            "failure at the payment company",
        ),
        (302, "ambiguous", "retry_same_id", "unexpected status"),
    ];

    #[test]
    fn every_status_has_its_disposition_and_meaning() {
        for &(status, create, read, meaning) in TABLE {
            let row = classify(status, Operation::Create);
            assert_eq!(row.disposition().as_str(), create, "{status} create");
            assert_eq!(row.meaning, meaning, "{status}");
            assert_eq!(
                disposition(status, Operation::Read).as_str(),
                read,
                "{status} read"
            );
        }
    }
}
