//! What the merchant sends, as WeChat Pay names it.

use serde::{Deserialize, Serialize};

/// `POST /v3/refund/domestic/refunds`: refund (part of) a payment. `out_refund_no` is the
/// idempotency key: a repeat refunds once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateRefundRequest {
    /// WeChat Pay's id of the payment (this or `out_trade_no`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transaction_id: Option<String>,
    /// The merchant's order number of the payment (this or `transaction_id`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// The merchant's refund number (≤ 64): the refund's idempotency key.
    pub out_refund_no: String,
    /// Shown to the payer (≤ 80).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Where the refund's notification goes (overrides the merchant platform's setting).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notify_url: Option<String>,
    /// `AVAILABLE` to refund from the available balance.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub funds_account: Option<String>,
    /// How much, of what total.
    pub amount: RefundAmount,
    /// Goods being refunded, for single-item discounts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_detail: Option<Vec<GoodsDetail>>,
}

impl CreateRefundRequest {
    /// A refund of `refund` fen of the payment WeChat Pay calls `transaction_id`, whose total was
    /// `total` fen, under the merchant's `out_refund_no`; the optional fields are unset.
    pub fn by_transaction_id(
        transaction_id: impl Into<String>,
        out_refund_no: impl Into<String>,
        refund: i64,
        total: i64,
    ) -> CreateRefundRequest {
        CreateRefundRequest {
            transaction_id: Some(transaction_id.into()),
            out_trade_no: None,
            out_refund_no: out_refund_no.into(),
            reason: None,
            notify_url: None,
            funds_account: None,
            amount: RefundAmount::cny(refund, total),
            goods_detail: None,
        }
    }

    /// As [`CreateRefundRequest::by_transaction_id`], naming the payment by the merchant's
    /// `out_trade_no`.
    pub fn by_out_trade_no(
        out_trade_no: impl Into<String>,
        out_refund_no: impl Into<String>,
        refund: i64,
        total: i64,
    ) -> CreateRefundRequest {
        CreateRefundRequest {
            transaction_id: None,
            out_trade_no: Some(out_trade_no.into()),
            ..CreateRefundRequest::by_transaction_id("", out_refund_no, refund, total)
        }
    }
}

/// The `amount` of a refund request, in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundAmount {
    /// The refund.
    pub refund: i64,
    /// The payment's total.
    pub total: i64,
    /// `CNY`, the only currency of domestic refunds.
    pub currency: String,
    /// Which funds accounts the refund comes from, for merchants that split it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from: Option<Vec<RefundFrom>>,
}

impl RefundAmount {
    /// `refund` of `total` fen, in CNY.
    pub fn cny(refund: i64, total: i64) -> RefundAmount {
        RefundAmount {
            refund,
            total,
            currency: "CNY".into(),
            from: None,
        }
    }
}

/// One funds account a refund comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundFrom {
    /// `AVAILABLE` or `UNAVAILABLE`.
    pub account: String,
    /// Fen.
    pub amount: i64,
}

/// One item being refunded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsDetail {
    /// The merchant's goods id.
    pub merchant_goods_id: String,
    /// WeChat Pay's goods id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wechatpay_goods_id: Option<String>,
    /// The goods' name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_name: Option<String>,
    /// Unit price, fen.
    pub unit_price: i64,
    /// Refunded for this item, fen.
    pub refund_amount: i64,
    /// How many are refunded.
    pub refund_quantity: i64,
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`: a refund by the merchant's number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueryRefund {
    /// The merchant's refund number (path-escaped when sent).
    #[serde(skip)]
    pub out_refund_no: String,
}

impl QueryRefund {
    /// The look-up of `out_refund_no`.
    pub fn new(out_refund_no: impl Into<String>) -> QueryRefund {
        QueryRefund {
            out_refund_no: out_refund_no.into(),
        }
    }
}
