//! The `param` objects of every BluePay call, as the provider names their fields.
//!
//! `param` is written as RFC 8785 canonical JSON, so declaration order never reaches the wire.
//! Fields are declared in that order all the same (by their JSON names, as UTF-16 sorts them):
//! the canonical writer then writes them straight through instead of moving them into place, and
//! a test below keeps every `param` so declared. Amounts are satang.
//! Every `param` also carries `timestamp`, which is not a field here: the codec stamps it from
//! the client's clock at each attempt ([`crate::Codec::encode_at`]), so no caller writes one.

use serde::{Deserialize, Serialize};

/// 5.1 Refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundParam {
    /// The merchant's refund id (1–32 characters): the idempotency key.
    pub mch_refund_order_id: String,
    /// BluePay's id of the payment refunded.
    pub original_transaction_id: String,
    /// Satang, > 0.
    pub refund_amount: i64,
    /// Where the refund notification is sent.
    pub refund_callback_url: String,
    /// Shown to the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
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
    /// Satang; required for dynamic QR codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// `TRUEMONEY_DYNAMIC_QR`, `WECHAT_DYNAMIC_QR`, `THAI_QR`…
    pub channel_code: String,
    /// Customer name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Customer e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// 30–3600 (default 3600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_seconds: Option<u32>,
    /// The merchant's order id (≤ 32).
    pub mch_order_id: String,
    /// Thai mobile number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Where the payment notification is sent.
    pub notify_url: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
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
    /// `yyyy-MM-dd`.
    pub end_date: String,
    /// The merchant's order id.
    pub mch_order_id: String,
    /// `yyyy-MM-dd`.
    pub start_date: String,
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
    /// Satang.
    pub amount: i64,
    /// `TRUEMONEY_URL`, `WECHAT_URL`, `WECHAT_JS_URL`…
    pub channel_code: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer e-mail.
    pub email: String,
    /// 30–3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_seconds: Option<u32>,
    /// The merchant's order id (≤ 32).
    pub mch_order_id: String,
    /// Thai mobile number, `0[689]` and eight digits.
    pub mobile: String,
    /// Where the payment notification is sent.
    pub notify_url: String,
    /// The payer's IP (`WECHAT_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_client_ip: Option<String>,
    /// Where the customer returns.
    pub redirect_url: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// WeChat app id (`WECHAT_JS_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wp_appid: Option<String>,
    /// WeChat open id (`WECHAT_JS_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wp_openid: Option<String>,
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
    /// Account holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// The destination account.
    pub account_no: String,
    /// Tax id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_tax_id: Option<String>,
    /// `INDIVIDUAL` or `ORGANIZATION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Satang.
    pub amount: i64,
    /// The payout's idempotency key.
    pub idempotency_id: String,
    /// The merchant's order id.
    pub mch_order_id: String,
    /// Thai mobile number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// `BANK`, `PROMPTPAY` or `EWALLET`.
    pub pay_method_code: String,
    /// `NATID` or `MSISDN` (PromptPay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promptpay_account_type: Option<String>,
    /// Relationship to the merchant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Bank or wallet code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_code: Option<String>,
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

#[cfg(test)]
mod tests {
    use paybridge_sign::canonical;

    use super::*;
    use crate::codec::Stamped;

    /// A `param` with each optional field set.
    fn assert_arrives_in_order<P: Serialize>(param: &P) {
        assert!(
            canonical::arrives_in_order(param).unwrap(),
            "{} is not declared in canonical order: {}",
            std::any::type_name::<P>(),
            serde_json::to_string(param).unwrap()
        );
    }

    #[test]
    fn a_refund_is_sent_without_a_reorder() {
        // The stamped `timestamp` comes last, after every refund field, as it sorts.
        let mut refund = RefundParam::new("CU1", "R1", 100, "https://m.example/n");
        refund.refund_reason = Some("r".into());
        let stamped = Stamped {
            param: &refund,
            timestamp: 1_722_415_059,
        };
        assert!(canonical::arrives_in_order(&stamped).unwrap());
    }

    #[test]
    fn every_param_is_declared_in_canonical_order() {
        let mut refund = RefundParam::new("CU1", "R1", 100, "https://m.example/n");
        refund.refund_reason = Some("r".into());
        assert_arrives_in_order(&refund);
        let mut refunds = RefundPaymentsParam::new();
        refunds.original_transaction_id = Some("CU1".into());
        refunds.refund_transaction_id = Some("RF1".into());
        assert_arrives_in_order(&refunds);
        let mut qr = QrCreateParam::new("PROMPTPAY", "O1", "https://m.example/n");
        qr.amount = Some(1);
        qr.customer_name = Some("n".into());
        qr.email = Some("e".into());
        qr.mobile = Some("m".into());
        qr.remark = Some("r".into());
        qr.expire_seconds = Some(60);
        assert_arrives_in_order(&qr);
        assert_arrives_in_order(&QrPaymentListParam::new("O1", "2026-01-01", "2026-01-02"));
        let mut web = WebPayCreateParam::new("C", "O1", 1, "https://n", "https://r", "n", "e", "m");
        web.remark = Some("r".into());
        web.expire_seconds = Some(60);
        web.payer_client_ip = Some("127.0.0.1".into());
        web.wp_openid = Some("o".into());
        web.wp_appid = Some("a".into());
        assert_arrives_in_order(&web);
        assert_arrives_in_order(&WebPayDetailParam::new("O1"));
        let mut payout = PayoutTransferParam::new("O1", "I1", 1, "PROMPTPAY", "0812345678");
        payout.transfer_code = Some("t".into());
        payout.promptpay_account_type = Some("p".into());
        payout.account_name = Some("n".into());
        payout.account_type = Some("a".into());
        payout.account_tax_id = Some("x".into());
        payout.mobile = Some("m".into());
        payout.relationship = Some("r".into());
        payout.remark = Some("r".into());
        assert_arrives_in_order(&payout);
        assert_arrives_in_order(&PayoutCheckParam::new("O1"));
        assert_arrives_in_order(&BalanceParam {});
    }
}
