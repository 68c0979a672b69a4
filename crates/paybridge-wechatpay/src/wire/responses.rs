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
