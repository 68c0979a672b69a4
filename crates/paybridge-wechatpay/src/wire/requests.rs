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

/// Which prepay call a payment is created with: WeChat Pay's trade types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TradeType {
    /// Inside WeChat or a mini-program (`POST /v3/pay/transactions/jsapi`): answers a
    /// `prepay_id` the page hands to `WeixinJSBridge` / `wx.requestPayment`.
    Jsapi,
    /// The merchant's own app through WeChat's SDK (`POST /v3/pay/transactions/app`): answers a
    /// `prepay_id`.
    App,
    /// A mobile browser outside WeChat (`POST /v3/pay/transactions/h5`): answers an `h5_url`.
    H5,
    /// A QR code the customer scans (`POST /v3/pay/transactions/native`): answers a `code_url`.
    Native,
}

impl TradeType {
    /// The `trade_type` WeChat Pay reports the payment with (`MWEB` for H5).
    pub const fn wire_name(self) -> &'static str {
        match self {
            TradeType::Jsapi => "JSAPI",
            TradeType::App => "APP",
            TradeType::H5 => "MWEB",
            TradeType::Native => "NATIVE",
        }
    }

    /// The last segment of its prepay path (`/v3/pay/transactions/{segment}`).
    pub const fn path_segment(self) -> &'static str {
        match self {
            TradeType::Jsapi => "jsapi",
            TradeType::App => "app",
            TradeType::H5 => "h5",
            TradeType::Native => "native",
        }
    }

    /// The trade type whose prepay path ends in `segment`.
    pub fn from_path_segment(segment: &str) -> Option<TradeType> {
        [
            TradeType::Jsapi,
            TradeType::App,
            TradeType::H5,
            TradeType::Native,
        ]
        .into_iter()
        .find(|kind| kind.path_segment() == segment)
    }
}

/// The body of every prepay call (`POST /v3/pay/transactions/{jsapi|app|h5|native}`): one
/// order, keyed by the merchant's `out_trade_no` — sending it again with the same content
/// answers the same order; with other content WeChat Pay refuses it (`OUT_TRADE_NO_USED`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrepayRequest {
    /// The AppID (official account, mini-program or mobile app) the payment belongs to.
    pub appid: String,
    /// The merchant id.
    pub mchid: String,
    /// What the payer sees in their bill (≤ 127 characters).
    pub description: String,
    /// The merchant's order number (6–32 of `0-9 A-Z a-z _ - *`): the idempotency key.
    pub out_trade_no: String,
    /// When the order stops being payable (RFC 3339, `2018-06-08T10:34:56+08:00`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    /// Merchant data returned as is in the query and the notification (≤ 128).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attach: Option<String>,
    /// Where the payment's notification goes: an absolute URL without a query.
    pub notify_url: String,
    /// The order's discount tag.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_tag: Option<String>,
    /// Whether the payer may ask for an electronic invoice after paying.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub support_fapiao: Option<bool>,
    /// How much, in fen.
    pub amount: PrepayAmount,
    /// The payer (JSAPI: required).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payer: Option<Payer>,
    /// Goods, for single-item discounts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<PrepayDetail>,
    /// Where the payment happens (H5: required, with the payer's IP and `h5_info`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scene_info: Option<SceneInfo>,
    /// Settlement options (profit sharing).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub settle_info: Option<SettleInfo>,
}

impl PrepayRequest {
    /// An order of `total` fen in CNY under the merchant's `out_trade_no`; the optional fields
    /// are unset.
    pub fn new(
        appid: impl Into<String>,
        mchid: impl Into<String>,
        description: impl Into<String>,
        out_trade_no: impl Into<String>,
        notify_url: impl Into<String>,
        total: i64,
    ) -> PrepayRequest {
        PrepayRequest {
            appid: appid.into(),
            mchid: mchid.into(),
            description: description.into(),
            out_trade_no: out_trade_no.into(),
            time_expire: None,
            attach: None,
            notify_url: notify_url.into(),
            goods_tag: None,
            support_fapiao: None,
            amount: PrepayAmount {
                total,
                currency: Some("CNY".into()),
            },
            payer: None,
            detail: None,
            scene_info: None,
            settle_info: None,
        }
    }
}

/// The `amount` of a prepay request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrepayAmount {
    /// Fen (positive).
    pub total: i64,
    /// `CNY` (WeChat Pay's default when left out).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub currency: Option<String>,
}

/// The payer of a JSAPI payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Payer {
    /// Their `openid` under the request's `appid`.
    pub openid: String,
}

impl Payer {
    /// The payer `openid`.
    pub fn new(openid: impl Into<String>) -> Payer {
        Payer {
            openid: openid.into(),
        }
    }
}

/// Goods of an order, for single-item discounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrepayDetail {
    /// The original price, fen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cost_price: Option<i64>,
    /// The merchant's receipt number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub invoice_id: Option<String>,
    /// The goods.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_detail: Option<Vec<PrepayGoods>>,
}

/// One item of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrepayGoods {
    /// The merchant's goods id.
    pub merchant_goods_id: String,
    /// WeChat Pay's goods id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wechatpay_goods_id: Option<String>,
    /// The goods' name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_name: Option<String>,
    /// How many.
    pub quantity: i64,
    /// Unit price, fen.
    pub unit_price: i64,
}

/// Where a payment happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SceneInfo {
    /// The payer's IP address (IPv4 or IPv6).
    pub payer_client_ip: String,
    /// The merchant's device.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub device_id: Option<String>,
    /// The merchant's shop.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub store_info: Option<StoreInfo>,
    /// The H5 scene (required for H5).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub h5_info: Option<H5Info>,
}

impl SceneInfo {
    /// A scene naming the payer's IP only.
    pub fn client_ip(ip: impl Into<String>) -> SceneInfo {
        SceneInfo {
            payer_client_ip: ip.into(),
            device_id: None,
            store_info: None,
            h5_info: None,
        }
    }
}

/// The merchant's shop where a payment happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoreInfo {
    /// The shop's id.
    pub id: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Its area code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub area_code: Option<String>,
    /// Its address.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub address: Option<String>,
}

/// The H5 scene: what kind of page the payer pays from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct H5Info {
    /// `Wap` (a mobile website), `iOS` or `Android` (an app's web view).
    #[serde(rename = "type")]
    pub kind: String,
    /// The app's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub app_name: Option<String>,
    /// The website's URL.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub app_url: Option<String>,
    /// The iOS bundle id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bundle_id: Option<String>,
    /// The Android package name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub package_name: Option<String>,
}

impl H5Info {
    /// A payment from a mobile website (`Wap`).
    pub fn wap() -> H5Info {
        H5Info {
            kind: "Wap".into(),
            app_name: None,
            app_url: None,
            bundle_id: None,
            package_name: None,
        }
    }
}

/// Settlement options of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SettleInfo {
    /// Whether the payment is to be shared with partners.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub profit_sharing: Option<bool>,
}

/// `POST /v3/pay/transactions/jsapi`: a JSAPI / mini-program order (the payer required).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsapiPrepay(pub PrepayRequest);

/// `POST /v3/pay/transactions/app`: an order paid through WeChat's SDK in the merchant's app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppPrepay(pub PrepayRequest);

/// `POST /v3/pay/transactions/h5`: an order paid from a mobile browser (the scene required).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct H5Prepay(pub PrepayRequest);

/// `POST /v3/pay/transactions/native`: an order paid by scanning a QR code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NativePrepay(pub PrepayRequest);

/// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…`: an order by the merchant's
/// number (the only way to find one not paid yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueryByOutTradeNo {
    /// The merchant's order number (path-escaped when sent).
    #[serde(skip)]
    pub out_trade_no: String,
    /// The merchant id (a query parameter).
    #[serde(skip)]
    pub mchid: String,
}

impl QueryByOutTradeNo {
    /// The look-up of `out_trade_no` of merchant `mchid`.
    pub fn new(out_trade_no: impl Into<String>, mchid: impl Into<String>) -> QueryByOutTradeNo {
        QueryByOutTradeNo {
            out_trade_no: out_trade_no.into(),
            mchid: mchid.into(),
        }
    }
}

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid=…`: a paid order by WeChat Pay's id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueryByTransactionId {
    /// WeChat Pay's payment id (path-escaped when sent).
    #[serde(skip)]
    pub transaction_id: String,
    /// The merchant id (a query parameter).
    #[serde(skip)]
    pub mchid: String,
}

impl QueryByTransactionId {
    /// The look-up of `transaction_id` of merchant `mchid`.
    pub fn new(
        transaction_id: impl Into<String>,
        mchid: impl Into<String>,
    ) -> QueryByTransactionId {
        QueryByTransactionId {
            transaction_id: transaction_id.into(),
            mchid: mchid.into(),
        }
    }
}

/// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` with `{"mchid"}`: closes an
/// unpaid order so it can no longer be paid. WeChat Pay answers 204 with no body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CloseOrder {
    /// The merchant's order number (in the path, path-escaped).
    #[serde(skip)]
    pub out_trade_no: String,
    /// The merchant id (the body).
    pub mchid: String,
}

impl CloseOrder {
    /// The close of `out_trade_no` of merchant `mchid`.
    pub fn new(out_trade_no: impl Into<String>, mchid: impl Into<String>) -> CloseOrder {
        CloseOrder {
            out_trade_no: out_trade_no.into(),
            mchid: mchid.into(),
        }
    }
}
