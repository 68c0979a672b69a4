//! The signed reply values. Every field Alipay may leave out is an `Option`.

use serde::{Deserialize, Serialize};

/// What every reply carries: `code` (`"10000"` is success), `msg`, and on a business failure
/// `sub_code` / `sub_msg`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Status {
    /// `10000`, `20000`, `40004`…
    pub code: Option<String>,
    /// In words.
    pub msg: Option<String>,
    /// `ACQ.TRADE_NOT_EXIST`…
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_code: Option<String>,
    /// In words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_msg: Option<String>,
}

/// A reply value: its status fields, read in the same pass as the rest (a `flatten`ed
/// [`Status`] would make serde buffer the whole value first).
pub trait Reply {
    /// The reply's `code`, `msg`, `sub_code` and `sub_msg`.
    fn status(&self) -> Status;
}

macro_rules! reply_status {
    ($($reply:ty),*) => {$(
        impl Reply for $reply {
            fn status(&self) -> Status {
                Status {
                    code: self.code.clone(),
                    msg: self.msg.clone(),
                    sub_code: self.sub_code.clone(),
                    sub_msg: self.sub_msg.clone(),
                }
            }
        }
    )*};
}

reply_status!(Status, TradeRefundResponse, RefundQueryResponse);

/// `alipay_trade_refund_response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRefundResponse {
    /// `10000` on success.
    pub code: Option<String>,
    /// In words.
    pub msg: Option<String>,
    /// A business failure's code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_code: Option<String>,
    /// In words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_msg: Option<String>,
    /// Alipay's trade number.
    pub trade_no: Option<String>,
    /// The merchant's order number.
    pub out_trade_no: Option<String>,
    /// The buyer's masked account.
    pub buyer_logon_id: Option<String>,
    /// `"Y"`: money moved now; `"N"`: a repeat of an `out_request_no` already refunded.
    pub fund_change: Option<String>,
    /// Everything refunded on the trade so far, yuan.
    pub refund_fee: Option<String>,
    /// What went back to the buyer this time, yuan.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub send_back_fee: Option<String>,
    /// The store's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub store_name: Option<String>,
    /// Which funds channels the refund went through.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refund_detail_item_list: Option<Vec<FundDetail>>,
}

/// One funds channel of a refund.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FundDetail {
    /// `ALIPAYACCOUNT`, `BANKCARD`…
    pub fund_channel: Option<String>,
    /// Yuan.
    pub amount: Option<String>,
    /// Yuan actually moved.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub real_amount: Option<String>,
}

/// `alipay_trade_fastpay_refund_query_response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundQueryResponse {
    /// `10000` on success.
    pub code: Option<String>,
    /// In words.
    pub msg: Option<String>,
    /// A business failure's code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_code: Option<String>,
    /// In words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_msg: Option<String>,
    /// Alipay's trade number.
    pub trade_no: Option<String>,
    /// The merchant's order number.
    pub out_trade_no: Option<String>,
    /// The refund's `out_request_no`.
    pub out_request_no: Option<String>,
    /// `REFUND_SUCCESS`; **absent** when there is no such refund (or it is not accepted yet).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refund_status: Option<String>,
    /// The trade's total, yuan.
    pub total_amount: Option<String>,
    /// This refund, yuan.
    pub refund_amount: Option<String>,
    /// When the money went back (`yyyy-MM-dd HH:mm:ss`, Beijing time).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gmt_refund_pay: Option<String>,
}
