//! Response bodies. Every field is nullable, as published; amounts are read as whole fen
//! whatever their JSON spelling; unknown fields are ignored.

use serde::Deserializer;
use serde::{Deserialize, Serialize};

/// The answer to create refund and query refund.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RefundResponse {
    /// Echoed code (the samples put 200 here even in errors: never trusted for success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The payment company's refund id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_ref: Option<String>,
    /// The merchant's refund number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_order_ref: Option<String>,
    /// The payment company's transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// `ORIGINAL`, `BALANCE`, `OTHER_BALANCE`, `OTHER_BANKCARD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Where the money went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// `SUCCESS`, `CLOSE`/`CLOSED`, `PROCESSING`, `ABNORMAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub refund_amount: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_amount: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub payer_refund: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub payer_total: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub settlement_amount: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub settlement_total: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount_refund_amount: Option<i64>,
    /// ISO 4217.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Refund source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_account: Option<String>,
    /// Profit-sharing account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funds_account: Option<String>,
}

/// The answer to create payment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct CreatePaymentResponse {
    /// Code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What to show the payer (QR content, H5 URL…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_message: Option<String>,
    /// Parameters for an in-app invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_invoke_message: Option<serde_json::Value>,
    /// Timestamp for the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<String>,
    /// Nonce for the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
}

/// The answer to query payment (`Timing` keeps its capital T on the wire).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct QueryPaymentResponse {
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_ref: Option<String>,
    /// The payer's currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
    /// The order's currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// What the payer paid, in the payer's currency.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub payer_total: Option<i64>,
    /// The amount charged.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub actual_amount: Option<i64>,
    /// The total.
    #[serde(
        deserialize_with = "crate::wire::responses::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub total: Option<i64>,
    /// The payer's bank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
    /// When it was paid.
    #[serde(rename = "Timing", skip_serializing_if = "Option::is_none")]
    pub timing: Option<String>,
    /// The payment company's transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// `SUCCESS`, `NOTPAY`, `CLOSED`, `REFUND`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_state: Option<String>,
    /// Description of the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    /// `NATIVE`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<String>,
    /// Extra message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_message: Option<String>,
}

/// The answer to close payment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ClosePaymentResponse {
    /// Code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_message: Option<String>,
}

/// An error body in any of its published shapes: `{code, message}`, `{code, message, errors}`,
/// the older `{field, msg}` (422) and `{errors}` (401).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ErrorBody {
    /// Code (not meaningful: samples say 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<serde_json::Value>,
    /// Message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Detail: a string, a list or an object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<serde_json::Value>,
    /// The field at fault (old 422 shape).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The message (old 422 shape).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
}

impl ErrorBody {
    /// One line saying what the body says, whichever shape it has.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(m) = self.message.as_deref().filter(|m| !m.is_empty()) {
            parts.push(m.to_owned());
        }
        match (&self.field, &self.msg) {
            (Some(f), Some(m)) => parts.push(format!("{f}: {m}")),
            (None, Some(m)) | (Some(m), None) => parts.push(m.clone()),
            (None, None) => {}
        }
        match &self.errors {
            Some(serde_json::Value::String(s)) => parts.push(s.clone()),
            Some(other @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => {
                parts.push(other.to_string())
            }
            _ => {}
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

// Amounts in fen. The broker's spec types them as JSON `number`; we send integers and accept an
// integral number however it is written (`10`, `10.0`, `1e1`), refusing fractions of a fen.

/// Reads an integral JSON number as `i64`; a fractional or out-of-range one is an error.
pub(crate) fn integral<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    let value = Option::<serde_json::Number>::deserialize(deserializer)?;
    value
        .map(|n| {
            to_fen(&n).ok_or_else(|| {
                serde::de::Error::custom(format!("{n} is not a whole number of fen"))
            })
        })
        .transpose()
}

/// The fen in a JSON number, if it is a whole number within ±2^53.
pub fn to_fen(number: &serde_json::Number) -> Option<i64> {
    if let Some(i) = number.as_i64() {
        // Beyond ±(2^53 − 1) a sender working in doubles may already have rounded the amount.
        return (i.unsigned_abs() < 1 << 53).then_some(i);
    }
    // `10.0` or `1e1`: parse the decimal text exactly rather than through a float.
    let text = number.to_string();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let negative = int_part.starts_with('-');
    let digits: String = int_part
        .trim_start_matches('-')
        .chars()
        .chain(frac_part.chars())
        .collect();
    let scale = exponent - i32::try_from(frac_part.len()).ok()?;
    let mut value: i64 = digits.parse().ok()?;
    if scale >= 0 {
        for _ in 0..scale {
            value = value.checked_mul(10)?;
        }
    } else {
        for _ in 0..scale.unsigned_abs() {
            if value % 10 != 0 {
                return None;
            }
            value /= 10;
        }
    }
    let value = if negative { -value } else { value };
    (value.unsigned_abs() < (1 << 53)).then_some(value)
}

#[cfg(test)]
mod amount_tests {
    use super::*;

    fn fen(text: &str) -> Option<i64> {
        to_fen(&serde_json::from_str::<serde_json::Number>(text).unwrap())
    }

    #[test]
    fn integral_numbers_in_any_spelling() {
        assert_eq!(fen("10"), Some(10));
        assert_eq!(fen("10.0"), Some(10));
        assert_eq!(fen("10.000"), Some(10));
        assert_eq!(fen("1e1"), Some(10));
        assert_eq!(fen("1.5e1"), Some(15));
        assert_eq!(fen("-3.0"), Some(-3));
        assert_eq!(fen("10.5"), None);
        assert_eq!(fen("1e-1"), None);
        assert_eq!(fen("1e30"), None);
        // Found by fuzzing (nomad_response): plain integers get the same bound as decimals.
        assert_eq!(fen("3000000003000003333"), None);
        assert_eq!(fen("9007199254740991"), Some(9_007_199_254_740_991));
        assert_eq!(fen("9007199254740992"), None);
    }
}
