//! Request bodies and query parameters of the broker's calls, camelCase as published. Amounts
//! are fen, sent as JSON integers.

use serde::{Deserialize, Serialize};

/// `POST /refund/{merchant}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateRefundRequest {
    /// `wechatpay` or `alipay`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payment_method: Option<String>,
    /// The payment company's transaction id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transaction_id: Option<String>,
    /// The merchant's order number of the payment.
    pub order_ref: String,
    /// The merchant's refund number: the idempotency key.
    pub refund_order_ref: String,
    /// Shown to the customer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Fen.
    pub refund_amount: i64,
    /// The original payment's total, fen.
    pub total_amount: i64,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub currency: Option<String>,
    /// Where WeChat Pay reports the result.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notify_url: Option<String>,
    /// `REFUND_SOURCE_SUB_MERCHANT` (default) or `REFUND_SOURCE_PARTNER_ADVANCE`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refund_account: Option<String>,
    /// For profit-sharing orders.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub funds_account: Option<String>,
}

impl CreateRefundRequest {
    /// A `CreateRefundRequest` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        order_ref: impl Into<String>,
        refund_order_ref: impl Into<String>,
        refund_amount: i64,
        total_amount: i64,
    ) -> CreateRefundRequest {
        CreateRefundRequest {
            order_ref: order_ref.into(),
            refund_order_ref: refund_order_ref.into(),
            refund_amount,
            total_amount,
            payment_method: None,
            transaction_id: None,
            reason: None,
            currency: None,
            notify_url: None,
            refund_account: None,
            funds_account: None,
        }
    }
}

/// `GET /refund/{merchant}` query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueryRefund {
    /// The merchant's refund number (required).
    pub refund_order_ref: String,
    /// The merchant's order number.
    pub order_ref: Option<String>,
    /// The payment company's refund id.
    pub refund_id: Option<String>,
    /// `wechatpay` or `alipay`.
    pub payment_method: Option<String>,
}

impl QueryRefund {
    /// A `QueryRefund` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(refund_order_ref: impl Into<String>) -> QueryRefund {
        QueryRefund {
            refund_order_ref: refund_order_ref.into(),
            order_ref: None,
            refund_id: None,
            payment_method: None,
        }
    }
}

/// A product line of a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Quantity.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quantity: Option<i64>,
    /// Unit price, fen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub price: Option<i64>,
}

/// `POST /payment/{merchant}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreatePaymentRequest {
    /// `wechatpay` or `alipay`.
    pub payment_method: String,
    /// `NATIVE`, `H5`, `JSAPI`, `MINIPRO` or `APP`.
    pub payment_type: String,
    /// The merchant's order number.
    pub order_ref: String,
    /// Fen (or pence for GBP).
    pub actual_amount: i64,
    /// `CNY` or `GBP`.
    pub currency: String,
    /// Total before subsidies.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total: Option<i64>,
    /// Subsidy.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subsidy_amount: Option<i64>,
    /// Cost price.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cost_price: Option<i64>,
    /// Invoice id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub invoice_id: Option<String>,
    /// Profit sharing (default true).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub profit_sharing: Option<bool>,
    /// Product lines.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub products: Option<Vec<Product>>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// Echoed back.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attach: Option<String>,
    /// Expiry (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    /// Goods tag.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_tag: Option<String>,
    /// Payer id at the payment company.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payer_id: Option<String>,
    /// Payer id at the merchant.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub merchant_payer_id: Option<String>,
    /// Result notification URL.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notify_url: Option<String>,
    /// Return URL on success.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub success_url: Option<String>,
    /// Return URL on cancel.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cancel_url: Option<String>,
    /// Sub-app id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sp_app_id: Option<String>,
}

impl CreatePaymentRequest {
    /// A `CreatePaymentRequest` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        payment_method: impl Into<String>,
        payment_type: impl Into<String>,
        order_ref: impl Into<String>,
        actual_amount: i64,
        currency: impl Into<String>,
    ) -> CreatePaymentRequest {
        CreatePaymentRequest {
            payment_method: payment_method.into(),
            payment_type: payment_type.into(),
            order_ref: order_ref.into(),
            actual_amount,
            currency: currency.into(),
            total: None,
            subsidy_amount: None,
            cost_price: None,
            invoice_id: None,
            profit_sharing: None,
            products: None,
            description: None,
            attach: None,
            time_expire: None,
            goods_tag: None,
            payer_id: None,
            merchant_payer_id: None,
            notify_url: None,
            success_url: None,
            cancel_url: None,
            sp_app_id: None,
        }
    }
}

/// `GET /payment/{merchant}` query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[non_exhaustive]
pub struct QueryPayment {
    /// The merchant's order number.
    pub order_ref: Option<String>,
    /// `wechatpay` or `alipay`.
    pub payment_method: Option<String>,
}

impl QueryPayment {
    /// A `QueryPayment` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new() -> QueryPayment {
        QueryPayment {
            order_ref: None,
            payment_method: None,
        }
    }
}

/// `POST /payment/close/{merchant}/{order_ref}?payment_method=…`: closes an unpaid payment.
/// Its fields travel in the path and query; it has no body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ClosePayment {
    /// The merchant's order number.
    pub order_ref: String,
    /// `wechatpay` or `alipay`.
    pub payment_method: Option<String>,
}

impl ClosePayment {
    /// A `ClosePayment` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(order_ref: impl Into<String>) -> ClosePayment {
        ClosePayment {
            order_ref: order_ref.into(),
            payment_method: None,
        }
    }
}
