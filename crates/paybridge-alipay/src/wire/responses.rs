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

reply_status!(
    Status,
    TradeRefundResponse,
    RefundQueryResponse,
    PrecreateResponse,
    TradePayResponse,
    TradeCreateResponse,
    TradeQueryResponse,
    TradeCloseResponse,
    TradeCancelResponse,
    BillDownloadUrlResponse
);

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

/// `alipay_trade_precreate_response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrecreateResponse {
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
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// What the QR code shows (a URL the buyer's Alipay opens).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub qr_code: Option<String>,
}

/// `alipay_trade_pay_response`: `10000` paid, `10003` waiting for the buyer to confirm.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradePayResponse {
    /// `10000` paid; `10003` created, waiting for the buyer.
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
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// The buyer's masked account.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_logon_id: Option<String>,
    /// The trade's total, yuan.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total_amount: Option<String>,
    /// What the merchant receives, yuan.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub receipt_amount: Option<String>,
    /// What the buyer paid, yuan.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_pay_amount: Option<String>,
    /// When it was paid (`yyyy-MM-dd HH:mm:ss`, Beijing time).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gmt_payment: Option<String>,
    /// The buyer's user id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_user_id: Option<String>,
}

/// `alipay_trade_create_response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCreateResponse {
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
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// Alipay's trade number, which the mini-program pays with (`my.tradePay`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
}

/// `alipay_trade_query_response`. It says nothing of how much was refunded: a trade refunded
/// in part stays `TRADE_SUCCESS`, one refunded in full is `TRADE_CLOSED`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeQueryResponse {
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
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// The buyer's masked account.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_logon_id: Option<String>,
    /// `WAIT_BUYER_PAY`, `TRADE_SUCCESS`, `TRADE_FINISHED` or `TRADE_CLOSED`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_status: Option<String>,
    /// The trade's total, yuan.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total_amount: Option<String>,
    /// The currency `total_amount` is in, when the trade was priced in another than CNY.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trans_currency: Option<String>,
    /// What the merchant received, yuan.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub receipt_amount: Option<String>,
    /// What the buyer paid, yuan (`0.00` for a trade never paid).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_pay_amount: Option<String>,
    /// When the money went to the merchant: only a trade that was paid has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub send_pay_date: Option<String>,
}

/// `alipay_trade_close_response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCloseResponse {
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
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
}

/// `alipay_trade_cancel_response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCancelResponse {
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
    /// Alipay's trade number (when a trade was closed or refunded).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
    /// The merchant's order number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// `Y`: call the cancel again; `N`: done.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retry_flag: Option<String>,
    /// What the cancel did: `close` (no money had moved) or `refund` (the buyer had paid, and
    /// got it back).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub action: Option<String>,
    /// When the money went back, for a `refund`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gmt_refund_pay: Option<String>,
}

/// `alipay_data_dataservice_bill_downloadurl_query_response`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BillDownloadUrlResponse {
    /// `10000` on success.
    pub code: Option<String>,
    /// In words.
    pub msg: Option<String>,
    /// A business failure's code (`isp.bill_not_exist`: no bill for that date).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_code: Option<String>,
    /// In words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sub_msg: Option<String>,
    /// Where the bill's zip is, for about 30 seconds; the download itself is not signed.
    pub bill_download_url: Option<String>,
}
