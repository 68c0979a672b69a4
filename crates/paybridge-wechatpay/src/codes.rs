//! Every WeChat Pay error code the refund and payment calls document: how it is handled, what
//! it says about the request that drew it (refused, retry the same merchant number, or
//! ambiguous: see [`Disposition`]), and its meaning. Then the status words, and how errors
//! steer retries.

use std::time::Duration;

use paybridge_core::{
    CodeMeaning, Disposition, Error, PaymentStatus, RefundStatus, RejectionClass,
};
use paybridge_transport::Action;

/// A system error: WeChat Pay says to retry with the same `out_refund_no`.
pub const SYSTEM_ERROR: &str = "SYSTEM_ERROR";
/// Too many calls (HTTP 429): retry later.
pub const FREQUENCY_LIMITED: &str = "FREQUENCY_LIMITED";
/// The query found no refund under this `out_refund_no` (or the payment does not exist).
pub const RESOURCE_NOT_EXISTS: &str = "RESOURCE_NOT_EXISTS";
/// The payment query (or close) found no order under this number.
pub const ORDER_NOT_EXIST: &str = "ORDER_NOT_EXIST";
/// The order is paid: it cannot be created again or closed (refund it instead).
pub const ORDERPAID: &str = "ORDERPAID";
/// The order is closed: it can no longer be paid (create a new one under a new number).
pub const ORDER_CLOSED: &str = "ORDER_CLOSED";
/// The `out_trade_no` names an order with other content.
pub const OUT_TRADE_NO_USED: &str = "OUT_TRADE_NO_USED";

/// The bill call found no bill for the day: an empty statement, not an error.
pub const NO_STATEMENT_EXIST: &str = "NO_STATEMENT_EXIST";
/// The bill of the day is still being generated: not ready, retry later (not empty).
pub const STATEMENT_CREATING: &str = "STATEMENT_CREATING";

/// How long to wait after `FREQUENCY_LIMITED` before the same call is tried again, unless the
/// answer's `Retry-After` asks for longer. WeChat Pay's limits are per second.
pub const FREQUENCY_LIMITED_BACKOFF: Duration = Duration::from_secs(1);

/// The meaning and handling of an error code.
///
/// `SYSTEM_ERROR` is ambiguous: it does not say whether the refund was recorded before the
/// error, and WeChat Pay's documented way to learn is to send the refund again under the same
/// `out_refund_no` (a repeat refunds once), which the client's retry loop does; a look-up
/// settles it after that. A code we do not know is ambiguous too — never a refusal.
pub fn classify(code: &str) -> CodeMeaning {
    use RejectionClass::{
        Ambiguous, Authentication, CallerError, Duplicate, ProviderState, Retryable,
    };
    let (class, meaning) = match code {
        SYSTEM_ERROR => (
            Ambiguous,
            "system error; retry with the same out_refund_no or out_trade_no",
        ),
        FREQUENCY_LIMITED => (Retryable, "frequency limited; retry later"),
        "NOT_ENOUGH" => (ProviderState, "insufficient balance for the refund"),
        "USER_ACCOUNT_ABNORMAL" => (ProviderState, "the payer's account is abnormal"),
        "PARAM_ERROR" => (CallerError, "parameter error"),
        "INVALID_REQUEST" => (
            ProviderState,
            "the request does not fit the payment's state or rules",
        ),
        "MCH_NOT_EXISTS" => (CallerError, "merchant id does not exist"),
        RESOURCE_NOT_EXISTS => (CallerError, "no such order or refund"),
        "SIGN_ERROR" => (Authentication, "signature error"),
        "NO_AUTH" => (Authentication, "not authorized for this call"),
        ORDER_NOT_EXIST => (CallerError, "no such order"),
        ORDERPAID => (ProviderState, "the order is paid; refund it instead"),
        ORDER_CLOSED => (
            ProviderState,
            "the order is closed; create a new one under a new out_trade_no",
        ),
        OUT_TRADE_NO_USED => (
            Duplicate,
            "the out_trade_no names an order with other content",
        ),
        "APPID_MCHID_NOT_MATCH" => (CallerError, "the appid is not bound to this mchid"),
        "INVALID_TRANSACTIONID" => (CallerError, "the transaction_id is not valid"),
        "OPENID_MISMATCH" => (CallerError, "the openid does not belong to the appid"),
        "TRADE_ERROR" => (ProviderState, "the trade was refused for business reasons"),
        "RULE_LIMIT" => (ProviderState, "refused by a business rule"),
        "ACCOUNT_ERROR" => (ProviderState, "the payer's account is abnormal"),
        "BANK_ERROR" => (Ambiguous, "the bank's system failed"),
        NO_STATEMENT_EXIST => (CallerError, "no bill exists for the day"),
        STATEMENT_CREATING => (
            Retryable,
            "the bill is still being generated (after 10:00 Beijing time the next day); retry later",
        ),
        _ => (Ambiguous, "unknown code"),
    };
    CodeMeaning::new(class, meaning)
}

/// What `code` says about the request that drew it.
pub fn disposition(code: &str) -> Disposition {
    classify(code).disposition()
}

/// How WeChat Pay's errors steer retries. Both calls are keyed by the merchant's
/// `out_refund_no` (a repeat refunds once) or only read, so a repeat is harmless, and sending
/// the same refund again is WeChat Pay's documented answer to `SYSTEM_ERROR`: besides what is
/// retryable, an ambiguous answer or a lost one is tried again, re-signed with a fresh
/// timestamp and nonce. `FREQUENCY_LIMITED` waits [`FREQUENCY_LIMITED_BACKOFF`] at least.
///
/// `ORDERPAID` and `ORDER_CLOSED` say what state the order is in, whoever put it there, so
/// they stay what they are even after an attempt that may have been applied: the payment
/// calls answer them with a look-up.
pub const RETRY_RULES: paybridge_transport::RetryRules = paybridge_transport::RetryRules {
    action: retry_action,
    resolved_by_caller: order_state,
    ..paybridge_transport::RetryRules::keyed(crate::PROVIDER)
};

fn order_state(error: &Error) -> bool {
    matches!(error, Error::Rejected { code, .. } if *code == ORDERPAID || *code == ORDER_CLOSED)
}

fn retry_action(error: &Error) -> Action {
    match error {
        Error::Rejected { code, .. } if *code == FREQUENCY_LIMITED => {
            Action::RetryAfter(FREQUENCY_LIMITED_BACKOFF)
        }
        error if error.is_retryable() || error.outcome_unknown() => Action::Retry,
        _ => Action::Stop,
    }
}

/// A refund `status` (query) or `refund_status` (notification): SUCCESS → succeeded,
/// PROCESSING → pending, CLOSED → cancelled, ABNORMAL → requires attention; anything else
/// pending (the raw word is kept beside it).
pub fn refund_status(raw: &str) -> RefundStatus {
    match raw {
        "SUCCESS" => RefundStatus::Succeeded,
        "CLOSED" => RefundStatus::Cancelled,
        "ABNORMAL" => RefundStatus::RequiresAttention,
        _ => RefundStatus::Pending,
    }
}

/// A payment's `trade_state`: SUCCESS → succeeded; REFUND → refunded (the query does not
/// say how much went back, and no v3 call lists an order's refunds, so a partly refunded
/// payment reads as refunded too — core's rule for a provider that does not say how much);
/// NOTPAY, USERPAYING → pending; CLOSED, REVOKED → closed; PAYERROR → failed; anything else
/// pending (the raw word is kept beside it).
pub fn trade_state(raw: &str) -> PaymentStatus {
    match raw {
        "SUCCESS" => PaymentStatus::Succeeded,
        "REFUND" => PaymentStatus::Refunded,
        "CLOSED" | "REVOKED" => PaymentStatus::Closed,
        "PAYERROR" => PaymentStatus::Failed,
        _ => PaymentStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented code, with the disposition we give it: a test per code.
    const TABLE: &[(&str, &str)] = &[
        ("SYSTEM_ERROR", "ambiguous"),
        ("FREQUENCY_LIMITED", "retry_same_id"),
        ("NOT_ENOUGH", "refused"),
        ("USER_ACCOUNT_ABNORMAL", "refused"),
        ("PARAM_ERROR", "refused"),
        ("INVALID_REQUEST", "refused"),
        ("MCH_NOT_EXISTS", "refused"),
        ("RESOURCE_NOT_EXISTS", "refused"),
        ("SIGN_ERROR", "refused"),
        ("NO_AUTH", "refused"),
        ("ORDER_NOT_EXIST", "refused"),
        ("ORDERPAID", "refused"),
        ("ORDER_CLOSED", "refused"),
        ("OUT_TRADE_NO_USED", "refused"),
        ("APPID_MCHID_NOT_MATCH", "refused"),
        ("INVALID_TRANSACTIONID", "refused"),
        ("OPENID_MISMATCH", "refused"),
        ("TRADE_ERROR", "refused"),
        ("RULE_LIMIT", "refused"),
        ("ACCOUNT_ERROR", "refused"),
        ("BANK_ERROR", "ambiguous"),
        ("NO_STATEMENT_EXIST", "refused"),
        ("STATEMENT_CREATING", "retry_same_id"),
    ];

    #[test]
    fn every_documented_code_has_its_disposition() {
        for &(code, disposition) in TABLE {
            let row = classify(code);
            assert_eq!(row.disposition().as_str(), disposition, "{code}");
            assert_ne!(row.meaning, "unknown code", "{code}");
        }
    }

    #[test]
    fn an_unknown_code_is_ambiguous_never_a_refusal() {
        for code in ["", "ORDER_NOT_EXISTS", "system_error", "BIZERR_NEED_RETRY"] {
            assert_eq!(disposition(code), Disposition::Ambiguous, "{code}");
        }
    }

    #[test]
    fn statuses_map_as_decided() {
        assert_eq!(refund_status("SUCCESS"), RefundStatus::Succeeded);
        assert_eq!(refund_status("PROCESSING"), RefundStatus::Pending);
        assert_eq!(refund_status("CLOSED"), RefundStatus::Cancelled);
        assert_eq!(refund_status("ABNORMAL"), RefundStatus::RequiresAttention);
        for other in ["", "success", "REFUNDCLOSE", "FAIL"] {
            assert_eq!(refund_status(other), RefundStatus::Pending, "{other:?}");
        }
    }

    #[test]
    fn trade_states_map_as_decided() {
        assert_eq!(trade_state("SUCCESS"), PaymentStatus::Succeeded);
        assert_eq!(trade_state("REFUND"), PaymentStatus::Refunded);
        assert_eq!(trade_state("NOTPAY"), PaymentStatus::Pending);
        assert_eq!(trade_state("USERPAYING"), PaymentStatus::Pending);
        assert_eq!(trade_state("CLOSED"), PaymentStatus::Closed);
        assert_eq!(trade_state("REVOKED"), PaymentStatus::Closed);
        assert_eq!(trade_state("PAYERROR"), PaymentStatus::Failed);
        for other in ["", "success", "PAID", "TRADE_SUCCESS"] {
            assert_eq!(trade_state(other), PaymentStatus::Pending, "{other:?}");
        }
    }

    #[test]
    fn the_order_state_survives_a_lost_attempt_and_nothing_else_does() {
        let rejected = |code: &str| Error::Rejected {
            provider: crate::PROVIDER,
            code: code.into(),
            message: String::new(),
            class: classify(code).class,
        };
        assert!(order_state(&rejected(ORDERPAID)));
        assert!(order_state(&rejected(ORDER_CLOSED)));
        for code in [
            OUT_TRADE_NO_USED,
            "PARAM_ERROR",
            ORDER_NOT_EXIST,
            SYSTEM_ERROR,
        ] {
            assert!(!order_state(&rejected(code)), "{code}");
        }
    }

    #[test]
    fn frequency_limits_wait_system_errors_retry_and_refusals_stop() {
        let rejected = |code: &str| Error::Rejected {
            provider: crate::PROVIDER,
            code: code.into(),
            message: String::new(),
            class: classify(code).class,
        };
        assert_eq!(
            retry_action(&rejected(FREQUENCY_LIMITED)),
            Action::RetryAfter(FREQUENCY_LIMITED_BACKOFF)
        );
        assert_eq!(retry_action(&rejected(SYSTEM_ERROR)), Action::Retry);
        assert_eq!(retry_action(&rejected("SOMETHING_NEW")), Action::Retry);
        for code in ["PARAM_ERROR", "NOT_ENOUGH", "SIGN_ERROR", "INVALID_REQUEST"] {
            assert_eq!(retry_action(&rejected(code)), Action::Stop, "{code}");
        }
    }
}
