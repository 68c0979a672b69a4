//! What WeChat Pay answers. Every field it may leave out is an `Option`: the client checks
//! what it relies on, and never trusts a default.

use serde::{Deserialize, Serialize};

/// A refund, as the create and query calls both answer it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundResponse {
    /// WeChat Pay's refund id.
    pub refund_id: Option<String>,
    /// The merchant's refund number.
    pub out_refund_no: Option<String>,
    /// WeChat Pay's payment id.
    pub transaction_id: Option<String>,
    /// The merchant's order number.
    pub out_trade_no: Option<String>,
    /// `ORIGINAL`, `BALANCE`, `OTHER_BALANCE` or `OTHER_BANKCARD`.
    pub channel: Option<String>,
    /// Where the money goes (`招商银行信用卡0403`, `支付用户零钱`…).
    pub user_received_account: Option<String>,
    /// When it succeeded (RFC 3339), once it has.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub success_time: Option<String>,
    /// When it was created (RFC 3339).
    pub create_time: Option<String>,
    /// `SUCCESS`, `CLOSED`, `PROCESSING` or `ABNORMAL`.
    pub status: Option<String>,
    /// The funds account it came from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub funds_account: Option<String>,
    /// The amounts, in fen.
    pub amount: Option<RefundAmounts>,
    /// Discounts refunded.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub promotion_detail: Option<Vec<PromotionDetail>>,
}

/// The amounts of a refund, in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundAmounts {
    /// The payment's total.
    pub total: Option<i64>,
    /// This refund.
    pub refund: Option<i64>,
    /// What the payer paid.
    pub payer_total: Option<i64>,
    /// What the payer gets back.
    pub payer_refund: Option<i64>,
    /// The refund less refunds of non-settlement coupons.
    pub settlement_refund: Option<i64>,
    /// The settlement total.
    pub settlement_total: Option<i64>,
    /// Discounts refunded.
    pub discount_refund: Option<i64>,
    /// `CNY`.
    pub currency: Option<String>,
    /// Per funds account, when the refund was split.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from: Option<Vec<crate::wire::requests::RefundFrom>>,
}

/// One discount refunded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PromotionDetail {
    /// The coupon's id.
    pub promotion_id: Option<String>,
    /// `GLOBAL` or `SINGLE`.
    pub scope: Option<String>,
    /// `COUPON` or `DISCOUNT`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The coupon's amount, fen.
    pub amount: Option<i64>,
    /// Refunded of it, fen.
    pub refund_amount: Option<i64>,
}

/// The body of an error answer (HTTP 4xx/5xx).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// `PARAM_ERROR`, `SYSTEM_ERROR`, `FREQUENCY_LIMITED`…
    pub code: Option<String>,
    /// In words.
    pub message: Option<String>,
}

/// What the JSAPI and APP prepay calls answer: the prepay session (valid two hours) the
/// invocation parameters are signed over.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrepayIdResponse {
    /// `wx201410272009395522657a690389285100`.
    pub prepay_id: Option<String>,
}

/// What the Native prepay call answers: the QR code's content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NativePrepayResponse {
    /// `weixin://wxpay/bizpayurl?pr=…`.
    pub code_url: Option<String>,
}

/// What the H5 prepay call answers: the cashier page to send the mobile browser to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct H5PrepayResponse {
    /// `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=…&package=…`.
    pub h5_url: Option<String>,
}

/// A signed `204 No Content` (closing an order): no body at all. It reads only from an empty
/// body (the codec gives it JSON `null`), so an answer with content is refused as unexpected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoContent;

/// A payment as the query answers it — and, decrypted, as the payment notification carries
/// it (the same object).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transaction {
    /// The AppID the payment belongs to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub appid: Option<String>,
    /// The merchant id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mchid: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// WeChat Pay's payment id, once it is paid.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transaction_id: Option<String>,
    /// `JSAPI`, `NATIVE`, `APP`, `MICROPAY`, `MWEB` or `FACEPAY`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_type: Option<String>,
    /// `SUCCESS`, `REFUND`, `NOTPAY`, `CLOSED`, `REVOKED`, `USERPAYING` or `PAYERROR`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_state: Option<String>,
    /// The state in words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_state_desc: Option<String>,
    /// The payer's bank (`CMC`, `OTHERS`…).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bank_type: Option<String>,
    /// The merchant data given at prepay.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attach: Option<String>,
    /// When it was paid (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub success_time: Option<String>,
    /// The payer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payer: Option<TransactionPayer>,
    /// The amounts, in fen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amount: Option<TransactionAmount>,
    /// Where it was paid.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scene_info: Option<TransactionSceneInfo>,
    /// Discounts applied.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub promotion_detail: Option<Vec<TransactionPromotion>>,
}

/// The payer of a payment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransactionPayer {
    /// Their `openid` under the payment's `appid`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub openid: Option<String>,
}

/// The amounts of a payment, in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransactionAmount {
    /// The order's total.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total: Option<i64>,
    /// What the payer paid (the total less discounts).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payer_total: Option<i64>,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub currency: Option<String>,
    /// The currency the payer paid in.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payer_currency: Option<String>,
}

/// Where a payment happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransactionSceneInfo {
    /// The merchant's device.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub device_id: Option<String>,
}

/// One discount applied to a payment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransactionPromotion {
    /// The coupon's id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub coupon_id: Option<String>,
    /// The coupon's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// `GLOBAL` or `SINGLE`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<String>,
    /// `CASH` or `NOCASH`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<String>,
    /// The discount, fen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amount: Option<i64>,
    /// The coupon's batch.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stock_id: Option<String>,
    /// Of it, paid by WeChat Pay, fen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wechatpay_contribute: Option<i64>,
    /// Of it, paid by the merchant, fen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub merchant_contribute: Option<i64>,
    /// Of it, paid by others, fen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub other_contribute: Option<i64>,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub currency: Option<String>,
}
