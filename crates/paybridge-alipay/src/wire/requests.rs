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

/// `alipay.trade.precreate` (face to face, QR): a trade the buyer pays by scanning the code
/// Alipay answers with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradePrecreate {
    /// The merchant's order number: the payment's idempotency key (≤ 64).
    pub out_trade_no: String,
    /// Yuan, a decimal with two places (`"88.88"`), written from fen exactly.
    pub total_amount: String,
    /// What the buyer sees the payment as (required by every payment method).
    pub subject: String,
    /// `FACE_TO_FACE_PAYMENT` (Alipay's default when absent).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product_code: Option<String>,
    /// When the unpaid trade closes: `yyyy-MM-dd HH:mm:ss`, Beijing time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    /// Where Alipay posts the payment's notification: the `notify_url` common parameter, not
    /// part of `biz_content`.
    #[serde(skip)]
    pub notify_url: Option<String>,
}

impl TradePrecreate {
    /// A QR trade of `total_amount` (yuan, two places) under `out_trade_no`.
    pub fn new(
        out_trade_no: impl Into<String>,
        total_amount: impl Into<String>,
        subject: impl Into<String>,
    ) -> TradePrecreate {
        TradePrecreate {
            out_trade_no: out_trade_no.into(),
            total_amount: total_amount.into(),
            subject: subject.into(),
            product_code: Some("FACE_TO_FACE_PAYMENT".into()),
            time_expire: None,
            notify_url: None,
        }
    }
}

/// `alipay.trade.pay` (face to face, barcode): charges the payment code scanned from the
/// buyer's phone. `auth_code` is a bearer instrument for its few minutes of life, so `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradePay {
    /// The merchant's order number: the payment's idempotency key (≤ 64).
    pub out_trade_no: String,
    /// Yuan, a decimal with two places, written from fen exactly.
    pub total_amount: String,
    /// What the buyer sees the payment as.
    pub subject: String,
    /// `bar_code`: the merchant scanned the buyer's payment code.
    pub scene: String,
    /// The buyer's payment code (16 to 24 digits starting 25 to 30).
    pub auth_code: String,
    /// `FACE_TO_FACE_PAYMENT`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product_code: Option<String>,
    /// When the unpaid trade closes: `yyyy-MM-dd HH:mm:ss`, Beijing time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    /// The `notify_url` common parameter.
    #[serde(skip)]
    pub notify_url: Option<String>,
}

impl std::fmt::Debug for TradePay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TradePay")
            .field("out_trade_no", &self.out_trade_no)
            .field("total_amount", &self.total_amount)
            .field("subject", &self.subject)
            .field("scene", &self.scene)
            .field("auth_code", &"<redacted>")
            .field("product_code", &self.product_code)
            .field("time_expire", &self.time_expire)
            .field("notify_url", &self.notify_url)
            .finish()
    }
}

impl TradePay {
    /// A barcode charge of `total_amount` (yuan, two places) under `out_trade_no`.
    pub fn bar_code(
        out_trade_no: impl Into<String>,
        total_amount: impl Into<String>,
        subject: impl Into<String>,
        auth_code: impl Into<String>,
    ) -> TradePay {
        TradePay {
            out_trade_no: out_trade_no.into(),
            total_amount: total_amount.into(),
            subject: subject.into(),
            scene: "bar_code".into(),
            auth_code: auth_code.into(),
            product_code: Some("FACE_TO_FACE_PAYMENT".into()),
            time_expire: None,
            notify_url: None,
        }
    }
}

/// `alipay.trade.create` (JSAPI: a mini-program or Alipay's in-app browser): a trade for one
/// buyer, paid with the `trade_no` it answers (`my.tradePay`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCreate {
    /// The merchant's order number: the payment's idempotency key (≤ 64).
    pub out_trade_no: String,
    /// Yuan, a decimal with two places, written from fen exactly.
    pub total_amount: String,
    /// What the buyer sees the payment as.
    pub subject: String,
    /// `JSAPI_PAY`.
    pub product_code: String,
    /// The buyer, by their open id at the merchant's app.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_open_id: Option<String>,
    /// The buyer by their legacy user id (`2088…`), for apps without open ids.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_id: Option<String>,
    /// When the unpaid trade closes: `yyyy-MM-dd HH:mm:ss`, Beijing time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    /// The `notify_url` common parameter.
    #[serde(skip)]
    pub notify_url: Option<String>,
}

impl TradeCreate {
    /// A JSAPI trade of `total_amount` (yuan, two places) for the buyer `buyer_open_id`.
    pub fn jsapi(
        out_trade_no: impl Into<String>,
        total_amount: impl Into<String>,
        subject: impl Into<String>,
        buyer_open_id: impl Into<String>,
    ) -> TradeCreate {
        TradeCreate {
            out_trade_no: out_trade_no.into(),
            total_amount: total_amount.into(),
            subject: subject.into(),
            product_code: "JSAPI_PAY".into(),
            buyer_open_id: Some(buyer_open_id.into()),
            buyer_id: None,
            time_expire: None,
            notify_url: None,
        }
    }
}

/// A trade named by the merchant's `out_trade_no` or Alipay's `trade_no`: the
/// `biz_content` of `alipay.trade.query`, `alipay.trade.close` and `alipay.trade.cancel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRef {
    /// The merchant's order number (this or `trade_no`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// Alipay's trade number (this or `out_trade_no`; Alipay reads it first when both are
    /// given).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trade_no: Option<String>,
}

impl TradeRef {
    /// The trade the merchant knows as `out_trade_no`.
    pub fn by_out_trade_no(out_trade_no: impl Into<String>) -> TradeRef {
        TradeRef {
            out_trade_no: Some(out_trade_no.into()),
            trade_no: None,
        }
    }

    /// The trade Alipay knows as `trade_no`.
    pub fn by_trade_no(trade_no: impl Into<String>) -> TradeRef {
        TradeRef {
            out_trade_no: None,
            trade_no: Some(trade_no.into()),
        }
    }
}

/// `alipay.trade.query`: where a trade stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TradeQuery(pub TradeRef);

/// `alipay.trade.close`: closes an unpaid trade so it can no longer be paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TradeClose(pub TradeRef);

/// `alipay.trade.cancel`: reverses a face-to-face trade — closes it if unpaid, **refunds** it
/// if paid. Only for a trade a look-up just showed unpaid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TradeCancel(pub TradeRef);

/// Which of Alipay's cashiers an order is for: the customer's browser or app carries it to
/// Alipay; nothing is sent server to server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cashier {
    /// `alipay.trade.page.pay`: a desktop browser (`FAST_INSTANT_TRADE_PAY`).
    Page,
    /// `alipay.trade.wap.pay`: a mobile browser (`QUICK_WAP_WAY`).
    Wap,
    /// `alipay.trade.app.pay`: the merchant's app, through Alipay's SDK
    /// (`QUICK_MSECURITY_PAY`).
    App,
}

impl Cashier {
    /// The `method` parameter.
    pub const fn method(self) -> &'static str {
        match self {
            Cashier::Page => "alipay.trade.page.pay",
            Cashier::Wap => "alipay.trade.wap.pay",
            Cashier::App => "alipay.trade.app.pay",
        }
    }

    /// The `product_code` this cashier's orders carry.
    pub const fn product_code(self) -> &'static str {
        match self {
            Cashier::Page => "FAST_INSTANT_TRADE_PAY",
            Cashier::Wap => "QUICK_WAP_WAY",
            Cashier::App => "QUICK_MSECURITY_PAY",
        }
    }

    /// The cashier whose `method` is `method`.
    pub fn from_method(method: &str) -> Option<Cashier> {
        [Cashier::Page, Cashier::Wap, Cashier::App]
            .into_iter()
            .find(|c| c.method() == method)
    }
}

/// The `biz_content` of `alipay.trade.page.pay`, `alipay.trade.wap.pay` and
/// `alipay.trade.app.pay`: the order the customer's browser or app carries to Alipay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CashierOrder {
    /// Which cashier (decides `method`); not part of `biz_content`.
    #[serde(skip, default = "default_cashier")]
    pub cashier: Cashier,
    /// The merchant's order number: the payment's idempotency key (≤ 64).
    pub out_trade_no: String,
    /// Yuan, a decimal with two places, written from fen exactly.
    pub total_amount: String,
    /// What the buyer sees the payment as.
    pub subject: String,
    /// The cashier's product code ([`Cashier::product_code`]).
    pub product_code: String,
    /// Where a mobile browser goes when the buyer leaves the cashier unpaid (wap only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quit_url: Option<String>,
    /// When the unpaid trade closes: `yyyy-MM-dd HH:mm:ss`, Beijing time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    /// The `notify_url` common parameter.
    #[serde(skip)]
    pub notify_url: Option<String>,
    /// The `return_url` common parameter: where the browser is sent back after paying (page
    /// and wap).
    #[serde(skip)]
    pub return_url: Option<String>,
}

fn default_cashier() -> Cashier {
    Cashier::Page
}

impl CashierOrder {
    /// An order of `total_amount` (yuan, two places) under `out_trade_no` for `cashier`.
    pub fn new(
        cashier: Cashier,
        out_trade_no: impl Into<String>,
        total_amount: impl Into<String>,
        subject: impl Into<String>,
    ) -> CashierOrder {
        CashierOrder {
            cashier,
            out_trade_no: out_trade_no.into(),
            total_amount: total_amount.into(),
            subject: subject.into(),
            product_code: cashier.product_code().into(),
            quit_url: None,
            time_expire: None,
            notify_url: None,
            return_url: None,
        }
    }
}

/// `alipay.data.dataservice.bill.downloadurl.query`: where to download a bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillDownloadUrlQuery {
    /// `trade` (the trade bill) or `signcustomer` (the account's fund flow).
    pub bill_type: String,
    /// `YYYY-MM-DD` (a day's bill) or `YYYY-MM` (a month's).
    pub bill_date: String,
}
