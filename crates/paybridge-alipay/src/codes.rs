//! Every code and `sub_code` the refund calls document: how each is handled, what it says
//! about the request that drew it (refused, retry the same `out_request_no`, or ambiguous: see
//! [`Disposition`]), and its meaning. Then the status words, and how errors steer retries.

use std::time::Duration;

use paybridge_core::{CodeMeaning, Disposition, Error, RefundStatus, RejectionClass};
use paybridge_transport::Action;

/// `code` of a successful reply.
pub const SUCCESS: &str = "10000";
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
        (BUSINESS_FAILURE, "ACQ.TRADE_STATUS_ERROR") => {
            (ProviderState, "the trade's status does not allow a refund")
        }
        (BUSINESS_FAILURE, DISCORDANT_REPEAT_REQUEST) => (
            Duplicate,
            "this out_request_no was used with other parameters",
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
pub const RETRY_RULES: paybridge_transport::RetryRules = paybridge_transport::RetryRules {
    action: retry_action,
    ..paybridge_transport::RetryRules::keyed(crate::PROVIDER)
};

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
    }
}
