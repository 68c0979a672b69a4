//! The `biz_content` of each call, as Alipay names its fields.

use serde::{Deserialize, Serialize};

/// `alipay.trade.refund`: refund (part of) a trade. `out_request_no` is the refund's
/// idempotency key; paybridge always sends it (the merchant's refund id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRefund {
    /// The merchant's order number (this or `trade_no`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// Alipay's trade number (this or `out_trade_no`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
    /// Yuan, a decimal with two places (`"88.88"`), written from fen exactly.
    pub refund_amount: String,
    /// Shown to the buyer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refund_reason: Option<String>,
    /// The refund's idempotency key (≤ 64).
    pub out_request_no: String,
    /// Extra fields to return (`refund_detail_item_list`…).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub query_options: Option<Vec<String>>,
    /// Where Alipay posts the async notification: the `notify_url` common parameter, not part
    /// of `biz_content`.
    #[serde(skip)]
    pub notify_url: Option<String>,
}

impl TradeRefund {
    /// A refund of `refund_amount` (yuan, two places) of Alipay's trade `trade_no` under the
    /// merchant's `out_request_no`; the optional fields are unset.
    pub fn by_trade_no(
        trade_no: impl Into<String>,
        out_request_no: impl Into<String>,
        refund_amount: impl Into<String>,
    ) -> TradeRefund {
        TradeRefund {
            out_trade_no: None,
            trade_no: Some(trade_no.into()),
            refund_amount: refund_amount.into(),
            refund_reason: None,
            out_request_no: out_request_no.into(),
            query_options: None,
            notify_url: None,
        }
    }

    /// As [`TradeRefund::by_trade_no`], naming the trade by the merchant's `out_trade_no`.
    pub fn by_out_trade_no(
        out_trade_no: impl Into<String>,
        out_request_no: impl Into<String>,
        refund_amount: impl Into<String>,
    ) -> TradeRefund {
        TradeRefund {
            out_trade_no: Some(out_trade_no.into()),
            trade_no: None,
            ..TradeRefund::by_trade_no("", out_request_no, refund_amount)
        }
    }
}

/// `alipay.trade.fastpay.refund.query`: a refund by its `out_request_no`, within its trade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRefundQuery {
    /// The merchant's order number (this or `trade_no`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// Alipay's trade number (this or `out_trade_no`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
    /// The refund's `out_request_no`.
    pub out_request_no: String,
    /// Extra fields to return.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub query_options: Option<Vec<String>>,
}

impl TradeRefundQuery {
    /// The look-up of `out_request_no` within the trade `trade_no`.
    pub fn by_trade_no(
        trade_no: impl Into<String>,
        out_request_no: impl Into<String>,
    ) -> TradeRefundQuery {
        TradeRefundQuery {
            out_trade_no: None,
            trade_no: Some(trade_no.into()),
            out_request_no: out_request_no.into(),
            query_options: None,
        }
    }

    /// The look-up of `out_request_no` within the merchant's order `out_trade_no`.
    pub fn by_out_trade_no(
        out_trade_no: impl Into<String>,
        out_request_no: impl Into<String>,
    ) -> TradeRefundQuery {
        TradeRefundQuery {
            out_trade_no: Some(out_trade_no.into()),
            trade_no: None,
            out_request_no: out_request_no.into(),
            query_options: None,
        }
    }
}
