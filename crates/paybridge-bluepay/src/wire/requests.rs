//! The `param` objects of every BluePay call, as the provider names their fields.
//!
//! Fields are declared in the order BluePay's documentation lists them; `param` is written as
//! RFC 8785 canonical JSON, so declaration order never reaches the wire. Amounts are satang.
//! Every `param` also carries `timestamp`, which is not a field here: the codec stamps it from
//! the client's clock at each attempt ([`crate::Codec::encode_at`]), so no caller writes one.

use serde::{Deserialize, Serialize};

/// 5.1 Refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundParam {
    /// BluePay's id of the payment refunded.
    pub original_transaction_id: String,
    /// The merchant's refund id (1–32 characters): the idempotency key.
    pub mch_refund_order_id: String,
    /// Satang, > 0.
    pub refund_amount: i64,
    /// Shown to the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// Where the refund notification is sent.
    pub refund_callback_url: String,
}

impl RefundParam {
    /// A `RefundParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        original_transaction_id: impl Into<String>,
        mch_refund_order_id: impl Into<String>,
        refund_amount: i64,
        refund_callback_url: impl Into<String>,
    ) -> RefundParam {
        RefundParam {
            original_transaction_id: original_transaction_id.into(),
            mch_refund_order_id: mch_refund_order_id.into(),
            refund_amount,
            refund_callback_url: refund_callback_url.into(),
            refund_reason: None,
        }
    }
}

/// 5.2 Get refund payments: by payment or by refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundPaymentsParam {
    /// Every refund of this payment…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_transaction_id: Option<String>,
    /// …or this refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_transaction_id: Option<String>,
}

impl RefundPaymentsParam {
    /// A `RefundPaymentsParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new() -> RefundPaymentsParam {
        RefundPaymentsParam {
            original_transaction_id: None,
            refund_transaction_id: None,
        }
    }
}

/// 3.1 QR code create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct QrCreateParam {
    /// `TRUEMONEY_DYNAMIC_QR`, `WECHAT_DYNAMIC_QR`, `THAI_QR`…
    pub channel_code: String,
    /// The merchant's order id (≤ 32).
    pub mch_order_id: String,
    /// Satang; required for dynamic QR codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Where the payment notification is sent.
    pub notify_url: String,
    /// Customer name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Customer e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Thai mobile number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// 30–3600 (default 3600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_seconds: Option<u32>,
}

impl QrCreateParam {
    /// A `QrCreateParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        channel_code: impl Into<String>,
        mch_order_id: impl Into<String>,
        notify_url: impl Into<String>,
    ) -> QrCreateParam {
        QrCreateParam {
            channel_code: channel_code.into(),
            mch_order_id: mch_order_id.into(),
            notify_url: notify_url.into(),
            amount: None,
            customer_name: None,
            email: None,
            mobile: None,
            remark: None,
            expire_seconds: None,
        }
    }
}

/// 3.3 QR code payment list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct QrPaymentListParam {
    /// The merchant's order id.
    pub mch_order_id: String,
    /// `yyyy-MM-dd`.
    pub start_date: String,
    /// `yyyy-MM-dd`.
    pub end_date: String,
}

impl QrPaymentListParam {
    /// A `QrPaymentListParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        mch_order_id: impl Into<String>,
        start_date: impl Into<String>,
        end_date: impl Into<String>,
    ) -> QrPaymentListParam {
        QrPaymentListParam {
            mch_order_id: mch_order_id.into(),
            start_date: start_date.into(),
            end_date: end_date.into(),
        }
    }
}

/// 4.1 WebPay create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebPayCreateParam {
    /// `TRUEMONEY_URL`, `WECHAT_URL`, `WECHAT_JS_URL`…
    pub channel_code: String,
    /// The merchant's order id (≤ 32).
    pub mch_order_id: String,
    /// Satang.
    pub amount: i64,
    /// Where the payment notification is sent.
    pub notify_url: String,
    /// Where the customer returns.
    pub redirect_url: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer e-mail.
    pub email: String,
    /// Thai mobile number, `0[689]` and eight digits.
    pub mobile: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// 30–3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_seconds: Option<u32>,
    /// The payer's IP (`WECHAT_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_client_ip: Option<String>,
    /// WeChat open id (`WECHAT_JS_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wp_openid: Option<String>,
    /// WeChat app id (`WECHAT_JS_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wp_appid: Option<String>,
}

impl WebPayCreateParam {
    /// A `WebPayCreateParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        channel_code: impl Into<String>,
        mch_order_id: impl Into<String>,
        amount: i64,
        notify_url: impl Into<String>,
        redirect_url: impl Into<String>,
        customer_name: impl Into<String>,
        email: impl Into<String>,
        mobile: impl Into<String>,
    ) -> WebPayCreateParam {
        WebPayCreateParam {
            channel_code: channel_code.into(),
            mch_order_id: mch_order_id.into(),
            amount,
            notify_url: notify_url.into(),
            redirect_url: redirect_url.into(),
            customer_name: customer_name.into(),
            email: email.into(),
            mobile: mobile.into(),
            remark: None,
            expire_seconds: None,
            payer_client_ip: None,
            wp_openid: None,
            wp_appid: None,
        }
    }
}

/// 4.2 WebPay status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebPayDetailParam {
    /// The merchant's order id.
    pub mch_order_id: String,
}

impl WebPayDetailParam {
    /// A `WebPayDetailParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(mch_order_id: impl Into<String>) -> WebPayDetailParam {
        WebPayDetailParam {
            mch_order_id: mch_order_id.into(),
        }
    }
}

/// 2.1 Create payout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PayoutTransferParam {
    /// The merchant's order id.
    pub mch_order_id: String,
    /// The payout's idempotency key.
    pub idempotency_id: String,
    /// Satang.
    pub amount: i64,
    /// `BANK`, `PROMPTPAY` or `EWALLET`.
    pub pay_method_code: String,
    /// Bank or wallet code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_code: Option<String>,
    /// `NATID` or `MSISDN` (PromptPay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promptpay_account_type: Option<String>,
    /// The destination account.
    pub account_no: String,
    /// Account holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// `INDIVIDUAL` or `ORGANIZATION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_tax_id: Option<String>,
    /// Thai mobile number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Relationship to the merchant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

impl PayoutTransferParam {
    /// A `PayoutTransferParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(
        mch_order_id: impl Into<String>,
        idempotency_id: impl Into<String>,
        amount: i64,
        pay_method_code: impl Into<String>,
        account_no: impl Into<String>,
    ) -> PayoutTransferParam {
        PayoutTransferParam {
            mch_order_id: mch_order_id.into(),
            idempotency_id: idempotency_id.into(),
            amount,
            pay_method_code: pay_method_code.into(),
            account_no: account_no.into(),
            transfer_code: None,
            promptpay_account_type: None,
            account_name: None,
            account_type: None,
            account_tax_id: None,
            mobile: None,
            relationship: None,
            remark: None,
        }
    }
}

/// 2.2 Check payout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PayoutCheckParam {
    /// The merchant's order id.
    pub mch_order_id: String,
}

impl PayoutCheckParam {
    /// A `PayoutCheckParam` with its required fields; the optional ones are unset (set them on the
    /// value: the fields are public, and new ones may be added without breaking callers).
    #[allow(clippy::too_many_arguments, reason = "one argument per required field")]
    pub fn new(mch_order_id: impl Into<String>) -> PayoutCheckParam {
        PayoutCheckParam {
            mch_order_id: mch_order_id.into(),
        }
    }
}

/// 1.1 Balance inquiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceParam {}
