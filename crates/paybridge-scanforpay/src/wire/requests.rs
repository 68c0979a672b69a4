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
#[non_exhaustive]
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

impl RefundBody {
    /// A `RefundBody` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        order_amount: i64,
        partner_order_no: impl Into<String>,
        refund_no: impl Into<String>,
    ) -> RefundBody {
        RefundBody {
            order_amount,
            partner_order_no: partner_order_no.into(),
            refund_no: refund_no.into(),
            operator_id: None,
            terminal_no: None,
        }
    }
}

/// `/api/common/payQuery`: a payment's state (`orderNo` wins over `partnerOrderNo`). Declared
/// in wire (canonical) order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
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

impl PayQueryBody {
    /// A `PayQueryBody` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(store_no: impl Into<String>) -> PayQueryBody {
        PayQueryBody {
            store_no: store_no.into(),
            order_no: None,
            partner_order_no: None,
        }
    }
}

/// Fields every payment creation carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
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

impl PaymentCommon {
    /// A `PaymentCommon` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        store_no: impl Into<String>,
        partner_order_no: impl Into<String>,
        order_amount: i64,
    ) -> PaymentCommon {
        PaymentCommon {
            store_no: store_no.into(),
            partner_order_no: partner_order_no.into(),
            order_amount,
            order_title: None,
            operator_id: None,
            terminal_no: None,
            notify_url: None,
        }
    }
}

/// `/api/offline/pay`: the merchant scans the customer's code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BarcodePayBody {
    /// Common fields.
    #[serde(flatten)]
    pub common: PaymentCommon,
    /// The customer's payment code (≤ 20).
    pub barcode: String,
}

// The payment code is a bearer instrument for the minutes it lives: kept out of logs.
impl std::fmt::Debug for BarcodePayBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BarcodePayBody")
            .field("common", &self.common)
            .field("barcode", &"[redacted]")
            .finish()
    }
}

impl BarcodePayBody {
    /// A `BarcodePayBody` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(common: PaymentCommon, barcode: impl Into<String>) -> BarcodePayBody {
        BarcodePayBody {
            common,
            barcode: barcode.into(),
        }
    }
}

/// `/api/offline/create`: a dynamic QR code the customer scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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

impl DynamicQrBody {
    /// A `DynamicQrBody` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(common: PaymentCommon, wallet: impl Into<String>) -> DynamicQrBody {
        DynamicQrBody {
            common,
            wallet: wallet.into(),
            it_b_pay: None,
        }
    }
}

/// `/api/offline/qrcode` (hosted QR page) and `/api/online/create` (website redirect).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
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

impl HostedPageBody {
    /// A `HostedPageBody` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        common: PaymentCommon,
        wallet: impl Into<String>,
        currency: impl Into<String>,
    ) -> HostedPageBody {
        HostedPageBody {
            common,
            wallet: wallet.into(),
            currency: currency.into(),
            goods_amount: None,
            goods_extra_amount: None,
            return_url: None,
        }
    }
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
#[non_exhaustive]
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

impl JsapiBody {
    /// A `JsapiBody` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(common: PaymentCommon, wallet: impl Into<String>) -> JsapiBody {
        JsapiBody {
            common,
            wallet: wallet.into(),
            return_url: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use paybridge_sign::canonical;

    use super::*;

    #[test]
    fn the_refund_request_is_declared_in_canonical_order() {
        let mut body = RefundBody::new(100, "P1", "R1");
        body.operator_id = Some("op".into());
        body.terminal_no = Some("t1".into());
        let value = RequestValue {
            body,
            header: RequestHeader {
                partner_no: "852000".into(),
                req_msg_id: "0".repeat(32).into(),
                req_time: "2018-07-25T18:06:05+08:00".into(),
                sign_type: "SHA256".into(),
                version: "1.0".into(),
            },
        };
        assert!(canonical::arrives_in_order(&value).unwrap());
        assert!(canonical::arrives_in_order(&PayQueryBody::new("S1")).unwrap());
    }
}
