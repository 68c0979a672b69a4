//! Response bodies (and the notification body). Unknown fields are ignored; `code` and `status`
//! are kept as numbers, mapped by [`crate::codes`] and [`crate::codes`].

use serde::{Deserialize, Serialize};

/// The response header. Samples write `reqMsgId` where the docs say `respMsgId`: both are read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ResponseHeader {
    /// `"1.0"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The merchant's partner number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_no: Option<String>,
    /// The response's message id.
    #[serde(alias = "reqMsgId", skip_serializing_if = "Option::is_none")]
    pub resp_msg_id: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resp_time: Option<String>,
    /// `"SHA256"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_type: Option<String>,
}

/// The `response` value: `{"header": …, "body": …}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseValue<B> {
    /// Header.
    #[serde(default)]
    pub header: ResponseHeader,
    /// Body.
    pub body: B,
}

/// The refund answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct RefundResponse {
    /// 1 success; see [`crate::codes`].
    pub code: Option<i64>,
    /// Message (may be Chinese).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    /// The refund amount, minor units (the seed sample spells it with a trailing space).
    #[serde(alias = "orderAmount ", skip_serializing_if = "Option::is_none")]
    pub order_amount: Option<i64>,
    /// 0 processing, 1 success, 2 failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// ISO 4217.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The merchant's refund number.
    #[serde(alias = " refundNo ", skip_serializing_if = "Option::is_none")]
    pub refund_no: Option<String>,
}

/// The payment query answer (also barcode pay's, and the notification body).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PayQueryResponse {
    /// 1 success.
    pub code: Option<i64>,
    /// Message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    /// ScanForPay's order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_order_no: Option<String>,
    /// Minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_amount: Option<i64>,
    /// `Wechat`, `Alipay`, `AlipayHK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    /// 0 to be paid, 1 success, 2 failed, 3 refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// When it was paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_time: Option<String>,
    /// ISO 4217.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The buyer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer: Option<String>,
    /// The buyer's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<String>,
}

/// The dynamic QR answer. The docs name the content only "QR content": the spellings seen in
/// the wild are all read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct QrResponse {
    /// 1 success.
    pub code: Option<i64>,
    /// Message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    /// What the QR code encodes.
    #[serde(
        alias = "qrcode",
        alias = "codeUrl",
        alias = "qrContent",
        skip_serializing_if = "Option::is_none"
    )]
    pub qr_code: Option<String>,
}

/// The answer of the page-creating calls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct PayUrlResponse {
    /// 1 success.
    pub code: Option<i64>,
    /// Message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    /// Where to send the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_url: Option<String>,
}

/// A response body's `code` and `msg`, whatever the call.
pub trait Coded {
    /// The code.
    fn code(&self) -> Option<i64>;
    /// The message.
    fn msg(&self) -> Option<&str>;
}

macro_rules! coded {
    ($($ty:ty),*) => {$(
        impl Coded for $ty {
            fn code(&self) -> Option<i64> {
                self.code
            }
            fn msg(&self) -> Option<&str> {
                self.msg.as_deref()
            }
        }
    )*};
}

coded!(RefundResponse, PayQueryResponse, QrResponse, PayUrlResponse);
