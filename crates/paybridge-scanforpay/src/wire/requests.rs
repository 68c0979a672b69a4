//! The `request` value of every ScanForPay call: a header and a body, as the provider names
//! their fields. Amounts are integers in the currency's minor unit.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The request header. Fields are declared in canonical (sorted) order, so writing the header
/// never needs a reorder; they borrow, so building one allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestHeader<'a> {
    /// The merchant's partner number (≤ 15).
    #[serde(borrow)]
    pub partner_no: Cow<'a, str>,
    /// Unique per request: 32 characters (decided: a UUID without hyphens).
    #[serde(borrow)]
    pub req_msg_id: Cow<'a, str>,
    /// RFC 3339, e.g. `2018-07-25T18:06:05+08:00`.
    #[serde(borrow)]
    pub req_time: Cow<'a, str>,
    /// `"SHA256"`.
    #[serde(borrow)]
    pub sign_type: Cow<'a, str>,
    /// `"1.0"`.
    #[serde(borrow)]
    pub version: Cow<'a, str>,
}

/// The `request` value: `{"body": …, "header": …}` (canonical order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestValue<'a, B> {
    /// Body.
    pub body: B,
    /// Header.
    #[serde(borrow)]
    pub header: RequestHeader<'a>,
}

/// `/api/common/refund`: refund (part of) a payment.
///
/// Fields are declared in wire (canonical) order, so signing writes them without a reorder; this
/// body is on every refund's hot path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundBody {
    /// Operator (≤ 20).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub operator_id: Option<String>,
    /// The refund amount, minor units.
    pub order_amount: i64,
    /// The merchant's order number of the payment (≤ 32).
    pub partner_order_no: String,
    /// The merchant's refund number (≤ 32): the idempotency key.
    pub refund_no: String,
    /// Terminal (≤ 20).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub terminal_no: Option<String>,
}

/// `/api/common/payQuery`: a payment's state (`orderNo` wins over `partnerOrderNo`). Declared
/// in wire (canonical) order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayQueryBody {
    /// ScanForPay's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub order_no: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partner_order_no: Option<String>,
    /// Store (≤ 15).
    pub store_no: String,
}

/// Fields every payment creation carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCommon {
    /// Store (≤ 15).
    pub store_no: String,
    /// The merchant's order number (≤ 32).
    pub partner_order_no: String,
    /// Minor units.
    pub order_amount: i64,
    /// Title (≤ 100).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub order_title: Option<String>,
    /// Operator (≤ 20).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub operator_id: Option<String>,
    /// Terminal (≤ 20).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub terminal_no: Option<String>,
    /// Notification URL (≤ 200).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notify_url: Option<String>,
}

/// `/api/offline/pay`: the merchant scans the customer's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BarcodePayBody {
    /// Common fields.
    #[serde(flatten)]
    pub common: PaymentCommon,
    /// The customer's payment code (≤ 20).
    pub barcode: String,
}

/// `/api/offline/create`: a dynamic QR code the customer scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynamicQrBody {
    /// Common fields.
    #[serde(flatten)]
    pub common: PaymentCommon,
    /// `Wechat` or `Alipay`.
    pub wallet: String,
    /// Expiry.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub it_b_pay: Option<String>,
}

/// `/api/offline/qrcode` (hosted QR page) and `/api/online/create` (website redirect).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostedPageBody {
    /// Common fields.
    #[serde(flatten)]
    pub common: PaymentCommon,
    /// `AlipayHK`, `Alipay` or `Wechat`.
    pub wallet: String,
    /// `HKD`…
    pub currency: String,
    /// Goods amount.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_amount: Option<i64>,
    /// Extra amount.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_extra_amount: Option<i64>,
    /// Where the customer returns.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_url: Option<String>,
}

/// The hosted QR page call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HostedQrBody(pub HostedPageBody);

/// The website redirect call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebsiteRedirectBody(pub HostedPageBody);

/// `/api/jspay/create`: an H5 page inside the wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsapiBody {
    /// Common fields.
    #[serde(flatten)]
    pub common: PaymentCommon,
    /// `Wechat` or `Alipay`.
    pub wallet: String,
    /// Where the customer returns.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_url: Option<String>,
}
