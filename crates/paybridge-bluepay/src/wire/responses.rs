//! The `data` objects BluePay answers with. Every field is optional and unknown fields are
//! ignored, so a new field or a missing one never breaks parsing; status values are kept as the
//! raw strings BluePay sent (see [`crate::codes`] for their meaning).

use serde::{Deserialize, Serialize};

/// A code BluePay writes as a number in some places and as text in others (`failedCode`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CodeValue {
    /// `-10004`.
    Number(i64),
    /// `"-10004"`.
    Text(String),
}

/// Data of a successful refund call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RefundData {
    /// The merchant's refund id, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_refund_order_id: Option<String>,
    /// BluePay's refund id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_transaction_id: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss`, Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_create_time: Option<String>,
    /// Satang.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<i64>,
    /// `PENDING`, `COMPLETE`, `FAILED`, `CANCEL`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<String>,
}

/// One refund in a *get refund payments* answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RefundPayment {
    /// The merchant's refund id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_refund_order_id: Option<String>,
    /// The payment refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_transaction_id: Option<String>,
    /// BluePay's refund id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_transaction_id: Option<String>,
    /// Satang.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<i64>,
    /// Fee returned, satang.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_refunded: Option<i64>,
    /// Raw status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_create_time: Option<String>,
    /// Bangkok time the refund reached its final state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_return_time: Option<String>,
    /// Negative per-transaction code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<CodeValue>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// Data of *QR code create*.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct QrCreateData {
    /// The merchant's order id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_order_id: Option<String>,
    /// BluePay's transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// What the QR code encodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_code_content: Option<String>,
    /// The channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
    /// Notification URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// `ACTIVE`, `INACTIVE`, `CANCELLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_status: Option<String>,
    /// `PENDING`, `COMPLETED`, `FAILED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_status: Option<String>,
    /// A link to the QR image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_link: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_time: Option<String>,
}

/// One payment in a *QR code payment list*.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct QrPayment {
    /// BluePay's transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_create_time: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_return_time: Option<String>,
    /// Satang.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<i64>,
    /// Raw status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_status: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// Data of *WebPay create*.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct WebPayCreateData {
    /// The merchant's order id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_order_id: Option<String>,
    /// Where to send the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_url: Option<String>,
    /// BluePay's transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_time: Option<String>,
    /// A short form of `pay_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_url: Option<String>,
}

/// Data of *WebPay status*, and the body of a WebPay notification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct WebPayDetail {
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
    /// Customer name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// The channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
    /// Customer e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Notification URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// Return URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// Payment page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_url: Option<String>,
}

/// Data of *create payout*.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PayoutTransferData {
    /// The merchant's order id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_order_id: Option<String>,
    /// BluePay's transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Raw status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_status: Option<String>,
    /// Bangkok time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_time: Option<String>,
}

/// Data of *check payout*, and the body of a payout notification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PayoutCheckData {
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
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Negative per-transaction code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_code: Option<CodeValue>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_message: Option<String>,
}

/// Data of *balance inquiry*.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct BalanceData {
    /// Baht as decimal text (`"10000.00"`); see [`crate::BluePayClient::balance`] for the exact
    /// `Money`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<String>,
}
