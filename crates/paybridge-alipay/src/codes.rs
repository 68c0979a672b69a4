//! Every code and `sub_code` the refund and payment calls document: how each is handled, what
//! it says about the request that drew it (refused, retry the same `out_request_no` or
//! `out_trade_no`, or ambiguous: see [`Disposition`]), and its meaning. Then the status words,
//! and how errors steer retries.

use std::time::Duration;

use paybridge_core::{
    CodeMeaning, Disposition, Error, PaymentStatus, RefundStatus, RejectionClass,
};
use paybridge_transport::Action;

/// `code` of a successful reply.
pub const SUCCESS: &str = "10000";
/// `alipay.trade.pay`'s "order created, waiting for the buyer" (the buyer must confirm on
/// their phone): not a failure, and not paid yet.
pub const WAITING_FOR_BUYER: &str = "10003";
/// Service unavailable: it may have applied; retry the same `out_request_no`, then query.
pub const SERVICE_UNAVAILABLE: &str = "20000";
/// A business failure: the `sub_code` says which.
pub const BUSINESS_FAILURE: &str = "40004";
/// Call frequency exceeded: retry later.
pub const FREQUENCY_EXCEEDED: &str = "40005";
/// The `out_request_no` was used before with another amount.
pub const DISCORDANT_REPEAT_REQUEST: &str = "ACQ.DISCORDANT_REPEAT_REQUEST";
/// No such trade.
pub const TRADE_NOT_EXIST: &str = "ACQ.TRADE_NOT_EXIST";
/// A system error on Alipay's side: it may have applied.
pub const SYSTEM_ERROR: &str = "ACQ.SYSTEM_ERROR";
/// The trade is paid already: a create under its `out_trade_no` is answered so — it is looked
/// up and reported, never read as a refusal.
pub const TRADE_HAS_SUCCESS: &str = "ACQ.TRADE_HAS_SUCCESS";
/// The trade under this `out_trade_no` is closed: it can no longer be paid.
pub const TRADE_HAS_CLOSE: &str = "ACQ.TRADE_HAS_CLOSE";
/// The trade's state does not allow the call (closing a paid trade, refunding an unpaid one).
pub const TRADE_STATUS_ERROR: &str = "ACQ.TRADE_STATUS_ERROR";
/// The barcode is not a valid (or is a used, or expired) payment code.
pub const PAYMENT_AUTH_CODE_INVALID: &str = "ACQ.PAYMENT_AUTH_CODE_INVALID";
/// The `out_trade_no` was used before with other parameters (another amount).
pub const CONTEXT_INCONSISTENT: &str = "ACQ.CONTEXT_INCONSISTENT";
/// No bill for the date asked (nothing happened that day, or it is not ready): an empty
/// statement, not a failure.
pub const BILL_NOT_EXIST: &str = "isp.bill_not_exist";
/// The refund query's status of a refund that succeeded.
pub const REFUND_SUCCESS: &str = "REFUND_SUCCESS";

/// How long to wait after `40005` before the same call is tried again.
pub const FREQUENCY_BACKOFF: Duration = Duration::from_secs(1);

/// The code a rejection is known by: a business failure's (`40004`) `sub_code`, which is what
/// says what failed; any other reply's `code`.
pub fn rejection_code(code: &str, sub_code: Option<&str>) -> String {
    match sub_code.filter(|s| !s.is_empty()) {
        Some(sub_code) if code == BUSINESS_FAILURE => sub_code.to_owned(),
        _ => code.to_owned(),
    }
}

/// The meaning and handling of a reply's `code` and `sub_code`. Anything undocumented is
/// ambiguous — never a refusal.
pub fn classify(code: &str, sub_code: Option<&str>) -> CodeMeaning {
    use RejectionClass::{
        Ambiguous, Authentication, CallerError, Duplicate, ProviderState, Retryable,
    };
    let (class, meaning) = match (code, sub_code.unwrap_or("")) {
        // Only `alipay.trade.pay` answers it, and reads it as an answer; anywhere else it is
        // not understood.
        (WAITING_FOR_BUYER, _) => (
            Ambiguous,
            "order created, waiting for the buyer to confirm; look the trade up",
        ),
        (SERVICE_UNAVAILABLE, _) => (
            Ambiguous,
            "service unavailable; retry the same out_request_no, then query",
        ),
        ("20001", _) => (Authentication, "insufficient authorization"),
        ("40001", _) => (CallerError, "missing required parameter"),
        ("40002", _) => (CallerError, "invalid parameter (or signature)"),
        ("40006", _) => (Authentication, "insufficient permissions"),
        (FREQUENCY_EXCEEDED, _) => (Retryable, "call frequency exceeded; retry later"),
        (BUSINESS_FAILURE, "ACQ.SELLER_BALANCE_NOT_ENOUGH") => (
            ProviderState,
            "the seller's balance is not enough for the refund",
        ),
        (BUSINESS_FAILURE, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL") => (
            CallerError,
            "the refund amount must equal the trade's total",
        ),
        (BUSINESS_FAILURE, "ACQ.REASON_TRADE_REFUND_FEE_ERR") => (
            CallerError,
            "the refund amount is invalid or exceeds what is refundable",
        ),
        (BUSINESS_FAILURE, TRADE_NOT_EXIST) => (CallerError, "no such trade"),
        (BUSINESS_FAILURE, TRADE_STATUS_ERROR) => {
            (ProviderState, "the trade's status does not allow this call")
        }
        (BUSINESS_FAILURE, TRADE_HAS_SUCCESS) => (
            ProviderState,
            "the trade under this out_trade_no is paid already",
        ),
        (BUSINESS_FAILURE, TRADE_HAS_CLOSE) => (
            ProviderState,
            "the trade under this out_trade_no is closed; pay under a new one",
        ),
        (BUSINESS_FAILURE, CONTEXT_INCONSISTENT) => (
            Duplicate,
            "this out_trade_no was used with other parameters",
        ),
        (BUSINESS_FAILURE, PAYMENT_AUTH_CODE_INVALID) => (
            CallerError,
            "the payment code is invalid, used or expired; ask the buyer to refresh it",
        ),
        (BUSINESS_FAILURE, "ACQ.INVALID_PARAMETER") => (CallerError, "invalid parameter"),
        (BUSINESS_FAILURE, "ACQ.ACCESS_FORBIDDEN") => (Authentication, "no access to this call"),
        (BUSINESS_FAILURE, "ACQ.EXIST_FORBIDDEN_WORD") => {
            (CallerError, "the order holds a forbidden word")
        }
        (BUSINESS_FAILURE, "ACQ.TOTAL_FEE_EXCEED") => {
            (CallerError, "the amount is over Alipay's limit")
        }
        (BUSINESS_FAILURE, "ACQ.BUYER_SELLER_EQUAL") => {
            (CallerError, "the buyer and the seller are the same account")
        }
        (BUSINESS_FAILURE, "ACQ.TRADE_BUYER_NOT_MATCH") => {
            (CallerError, "the trade belongs to another buyer")
        }
        (
            BUSINESS_FAILURE,
            "ACQ.BUYER_BALANCE_NOT_ENOUGH"
            | "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH"
            | "ACQ.ERROR_BALANCE_PAYMENT_DISABLE"
            | "ACQ.BUYER_ENABLE_STATUS_FORBID"
            | "ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR"
            | "ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR"
            | "ACQ.BEYOND_PAY_RESTRICTION"
            | "ACQ.BEYOND_PER_RECEIPT_RESTRICTION"
            | "ACQ.PAYMENT_REQUEST_HAS_RISK"
            | "ACQ.NO_PAYMENT_INSTRUMENTS_AVAILABLE"
            | "ACQ.SELLER_BEEN_BLOCKED",
        ) => (
            ProviderState,
            "the buyer cannot pay this (balance, limits, risk or account state)",
        ),
        (BUSINESS_FAILURE, DISCORDANT_REPEAT_REQUEST) => (
            Duplicate,
            "this out_request_no was used with other parameters",
        ),
        (BUSINESS_FAILURE, BILL_NOT_EXIST) => (
            ProviderState,
            "no bill for that date (nothing happened, or it is not ready yet)",
        ),
        (BUSINESS_FAILURE, SYSTEM_ERROR) => {
            (Ambiguous, "system error; retry the same out_request_no")
        }
        _ => (Ambiguous, "unknown code"),
    };
    CodeMeaning::new(class, meaning)
}

/// What `code` and `sub_code` say about the request that drew them.
pub fn disposition(code: &str, sub_code: Option<&str>) -> Disposition {
    classify(code, sub_code).disposition()
}

/// How Alipay's errors steer retries. Both calls are keyed by `out_request_no` (a repeat refunds
/// once, and says so with `fund_change: "N"`) or only read, so a repeat is harmless: besides
/// what is retryable, an ambiguous or lost answer is tried again — re-signed with a fresh
/// timestamp — which is Alipay's documented answer to `20000` and `ACQ.SYSTEM_ERROR`. `40005`
/// waits [`FREQUENCY_BACKOFF`] at least.
///
/// `ACQ.TRADE_HAS_SUCCESS` is handed over as it is even after an attempt that may have been
/// applied: the caller answers it by looking the trade up (it says the trade is paid, which
/// the look-up confirms), so it must not be blurred into an unknown outcome.
pub const RETRY_RULES: paybridge_transport::RetryRules = paybridge_transport::RetryRules {
    action: retry_action,
    resolved_by_caller: already_paid,
    ..paybridge_transport::RetryRules::keyed(crate::PROVIDER)
};

fn already_paid(error: &Error) -> bool {
    matches!(error, Error::Rejected { code, .. } if *code == TRADE_HAS_SUCCESS)
}

fn retry_action(error: &Error) -> Action {
    match error {
        Error::Rejected { code, .. } if *code == FREQUENCY_EXCEEDED => {
            Action::RetryAfter(FREQUENCY_BACKOFF)
        }
        error if error.is_retryable() || error.outcome_unknown() => Action::Retry,
        _ => Action::Stop,
    }
}

/// The refund query's `refund_status`: `REFUND_SUCCESS` → succeeded; any other word pending,
/// kept raw. (An absent status is no refund: the caller says so.)
pub fn refund_status(raw: &str) -> RefundStatus {
    match raw {
        REFUND_SUCCESS => RefundStatus::Succeeded,
        _ => RefundStatus::Pending,
    }
}

/// The trade statuses Alipay documents (`trade_status` of a query or a notification).
pub const TRADE_STATUSES: [&str; 4] = [
    "WAIT_BUYER_PAY",
    "TRADE_CLOSED",
    "TRADE_SUCCESS",
    "TRADE_FINISHED",
];

/// A trade's `trade_status` in the unified model. `was_paid`: the answer shows the trade was
/// paid at some point (a query's `send_pay_date` or a non-zero `buyer_pay_amount`; a
/// notification's `gmt_payment` or `refund_fee`).
///
/// `TRADE_SUCCESS` is paid (and may have been refunded in part: the query does not say how
/// much, so it reads as succeeded); `TRADE_FINISHED` is paid and no longer refundable;
/// `TRADE_CLOSED` is either closed unpaid or paid and then refunded in full — told apart by
/// `was_paid`; `WAIT_BUYER_PAY`, and any word Alipay does not document, is pending.
pub fn trade_status(raw: &str, was_paid: bool) -> PaymentStatus {
    match raw {
        "TRADE_SUCCESS" | "TRADE_FINISHED" => PaymentStatus::Succeeded,
        "TRADE_CLOSED" if was_paid => PaymentStatus::Refunded,
        "TRADE_CLOSED" => PaymentStatus::Closed,
        _ => PaymentStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented code and sub_code, with its disposition: a test per code.
    const TABLE: &[(&str, Option<&str>, &str)] = &[
        ("20000", None, "ambiguous"),
        ("20000", Some("isp.unknow-error"), "ambiguous"),
        ("20001", None, "refused"),
        ("40001", None, "refused"),
        ("40002", None, "refused"),
        ("40006", None, "refused"),
        ("40005", None, "retry_same_id"),
        ("40004", Some("ACQ.SELLER_BALANCE_NOT_ENOUGH"), "refused"),
        ("40004", Some("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"), "refused"),
        ("40004", Some("ACQ.REASON_TRADE_REFUND_FEE_ERR"), "refused"),
        ("40004", Some("ACQ.TRADE_NOT_EXIST"), "refused"),
        ("40004", Some("ACQ.TRADE_STATUS_ERROR"), "refused"),
        ("40004", Some("ACQ.DISCORDANT_REPEAT_REQUEST"), "refused"),
        ("40004", Some("ACQ.SYSTEM_ERROR"), "ambiguous"),
        ("10003", None, "ambiguous"),
        ("40004", Some("ACQ.TRADE_HAS_SUCCESS"), "refused"),
        ("40004", Some("ACQ.TRADE_HAS_CLOSE"), "refused"),
        ("40004", Some("ACQ.CONTEXT_INCONSISTENT"), "refused"),
        ("40004", Some("ACQ.PAYMENT_AUTH_CODE_INVALID"), "refused"),
        ("40004", Some("ACQ.INVALID_PARAMETER"), "refused"),
        ("40004", Some("ACQ.ACCESS_FORBIDDEN"), "refused"),
        ("40004", Some("ACQ.EXIST_FORBIDDEN_WORD"), "refused"),
        ("40004", Some("ACQ.TOTAL_FEE_EXCEED"), "refused"),
        ("40004", Some("ACQ.BUYER_SELLER_EQUAL"), "refused"),
        ("40004", Some("ACQ.TRADE_BUYER_NOT_MATCH"), "refused"),
        ("40004", Some("ACQ.BUYER_BALANCE_NOT_ENOUGH"), "refused"),
        ("40004", Some("ACQ.PAYMENT_REQUEST_HAS_RISK"), "refused"),
        ("40004", Some("isp.bill_not_exist"), "refused"),
    ];

    #[test]
    fn every_documented_code_has_its_disposition() {
        for &(code, sub, disposition) in TABLE {
            let row = classify(code, sub);
            assert_eq!(row.disposition().as_str(), disposition, "{code} {sub:?}");
            assert_ne!(row.meaning, "unknown code", "{code} {sub:?}");
        }
    }

    #[test]
    fn anything_undocumented_is_ambiguous_never_a_refusal() {
        for (code, sub) in [
            ("40004", Some("ACQ.SOMETHING_NEW")),
            ("40004", None),
            ("50000", None),
            ("", None),
        ] {
            assert_eq!(
                disposition(code, sub),
                Disposition::Ambiguous,
                "{code} {sub:?}"
            );
        }
    }

    #[test]
    fn rejections_are_known_by_their_sub_code() {
        assert_eq!(
            rejection_code("40004", Some(TRADE_NOT_EXIST)),
            TRADE_NOT_EXIST
        );
        assert_eq!(rejection_code("20000", None), "20000");
        assert_eq!(rejection_code("20000", Some("isp.unknow-error")), "20000");
        assert_eq!(
            rejection_code("40005", Some("aop.ACQ.FREQUENCY_EXCEEDED")),
            "40005"
        );
    }

    #[test]
    fn retries_wait_on_frequency_and_stop_on_refusals() {
        let rejected = |code: &str, class| Error::Rejected {
            provider: crate::PROVIDER,
            code: code.into(),
            message: String::new(),
            class,
        };
        assert_eq!(
            retry_action(&rejected("40005", RejectionClass::Retryable)),
            Action::RetryAfter(FREQUENCY_BACKOFF)
        );
        assert_eq!(
            retry_action(&rejected("20000", RejectionClass::Ambiguous)),
            Action::Retry
        );
        assert_eq!(
            retry_action(&rejected(TRADE_NOT_EXIST, RejectionClass::CallerError)),
            Action::Stop
        );
        assert_eq!(refund_status(REFUND_SUCCESS), RefundStatus::Succeeded);
        assert_eq!(refund_status("REFUND_PROCESSING"), RefundStatus::Pending);
        // "Already paid" is the caller's to settle by a look-up, never blurred into unknown.
        assert!(already_paid(&rejected(
            TRADE_HAS_SUCCESS,
            RejectionClass::ProviderState
        )));
        assert!(!already_paid(&rejected(
            TRADE_HAS_CLOSE,
            RejectionClass::ProviderState
        )));
        assert_eq!(
            retry_action(&rejected(TRADE_HAS_SUCCESS, RejectionClass::ProviderState)),
            Action::Stop
        );
    }

    #[test]
    fn trade_statuses_read_as_alipay_documents_them() {
        assert_eq!(
            trade_status("WAIT_BUYER_PAY", false),
            PaymentStatus::Pending
        );
        assert_eq!(
            trade_status("TRADE_SUCCESS", true),
            PaymentStatus::Succeeded
        );
        assert_eq!(
            trade_status("TRADE_FINISHED", true),
            PaymentStatus::Succeeded
        );
        assert_eq!(trade_status("TRADE_CLOSED", false), PaymentStatus::Closed);
        assert_eq!(trade_status("TRADE_CLOSED", true), PaymentStatus::Refunded);
        assert_eq!(
            trade_status("TRADE_SOMETHING_NEW", true),
            PaymentStatus::Pending
        );
        for raw in TRADE_STATUSES {
            assert_ne!(
                trade_status(raw, false) == PaymentStatus::Pending,
                raw != "WAIT_BUYER_PAY",
                "{raw}"
            );
        }
    }
}
