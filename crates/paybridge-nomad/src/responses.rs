//! Response bodies. Every field is nullable, as published; amounts are read as whole fen
//! whatever their JSON spelling; unknown fields are ignored.

use serde::{Deserialize, Serialize};

/// The answer to create refund and query refund.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub refund_amount: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_amount: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub payer_refund: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub payer_total: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub settlement_amount: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub settlement_total: Option<i64>,
    /// Fen.
    #[serde(
        deserialize_with = "crate::amount::integral",
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
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub payer_total: Option<i64>,
    /// The amount charged.
    #[serde(
        deserialize_with = "crate::amount::integral",
        skip_serializing_if = "Option::is_none"
    )]
    pub actual_amount: Option<i64>,
    /// The total.
    #[serde(
        deserialize_with = "crate::amount::integral",
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
