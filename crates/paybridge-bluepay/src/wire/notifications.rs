//! What BluePay POSTs to the merchant's callback URLs, once its signature has been verified.

use serde::{Deserialize, Serialize};

use crate::wire::responses::{CodeValue, PayoutCheckData, WebPayDetail};

/// What BluePay expects back from a notification handler.
pub const NOTIFICATION_ACK: &str = r#"{"code":10000,"message":"Success"}"#;

/// The refund notification (`payment.refund.success`, `.failed`, `.cancel`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RefundEvent {
    /// The event name.
    pub event_name: String,
    /// The merchant's refund id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_refund_order_id: Option<String>,
    /// BluePay's refund id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_transaction_id: Option<String>,
    /// The payment refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_transaction_id: Option<String>,
    /// Satang.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<i64>,
    /// Fee returned, satang.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_refunded: Option<i64>,
    /// Raw status (`COMPLETE`, `FAILED`, `CANCEL`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_create_time: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_return_time: Option<String>,
    /// Reason given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// Negative code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<CodeValue>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// The QR payment notification (`qrcode.payment.success` / `.failed`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct QrPaymentEvent {
    /// The event name.
    pub event_name: String,
    /// The merchant's order id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_order_id: Option<String>,
    /// BluePay's transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Satang.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Raw status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_status: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_time: Option<String>,
    /// The channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Negative code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<CodeValue>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// A WebPay notification (`order.payment.success` / `.failed`): the WebPay status shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct WebPayEvent {
    /// The event name.
    pub event_name: String,
    /// The payment.
    #[serde(flatten)]
    pub detail: WebPayDetail,
}

/// A payout notification (`disbursement.success` / `.failed`): the check-payout shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PayoutEvent {
    /// The event name.
    pub event_name: String,
    /// The payout.
    #[serde(flatten)]
    pub detail: PayoutCheckData,
}

/// A verified BluePay notification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BluePayNotification {
    /// A refund reached a final state.
    Refund(RefundEvent),
    /// A QR payment succeeded or failed.
    QrPayment(QrPaymentEvent),
    /// A WebPay payment succeeded or failed.
    WebPay(WebPayEvent),
    /// A payout succeeded or failed.
    Payout(PayoutEvent),
    /// An event this version does not know; verified, kept raw.
    Other {
        /// The event name.
        event_name: String,
        /// The `param` object.
        param: serde_json::Value,
    },
}

impl BluePayNotification {
    /// The event name BluePay gave.
    pub fn event_name(&self) -> &str {
        match self {
            BluePayNotification::Refund(e) => &e.event_name,
            BluePayNotification::QrPayment(e) => &e.event_name,
            BluePayNotification::WebPay(e) => &e.event_name,
            BluePayNotification::Payout(e) => &e.event_name,
            BluePayNotification::Other { event_name, .. } => event_name,
        }
    }
}
