//! `WechatPayClient`: one async method per call, over any [`Transport`].

use std::fmt;
use std::sync::Arc;

use paybridge_core::{Clock, Endpoint, Error, IdGenerator};
use paybridge_transport::{Connection, RetryPolicy, Transport};

use crate::codec::{Codec, PROVIDER};
use crate::config::WechatPayConfig;
use crate::invocation::{AppInvocation, JsapiInvocation};
use crate::validate;
use crate::wire::requests::{
    AppPrepay, CloseOrder, CreateRefundRequest, H5Prepay, JsapiPrepay, NativePrepay, PrepayRequest,
    QueryByOutTradeNo, QueryByTransactionId, QueryRefund, TradeType,
};
use crate::wire::responses::{RefundResponse, Transaction};

/// A WeChat Pay API v3 client for one merchant.
pub struct WechatPayClient<T> {
    connection: Connection<Codec, T>,
    /// The connection's policy, kept for the bill download, which is no endpoint of the table
    /// (its URL comes from an answer and its answer is not signed).
    retry: RetryPolicy,
    pub(crate) notify_url: Option<String>,
    pub(crate) appid: Option<String>,
}

impl<T> fmt::Debug for WechatPayClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayClient")
            .field("codec", self.connection.codec())
            .field("notify_url", &self.notify_url)
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

/// What a prepay call answered: what the payer's side needs to pay the order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Prepaid {
    /// JSAPI and APP: the prepay session the invocation parameters are signed over.
    PrepayId(String),
    /// Native: the QR code's content.
    CodeUrl(String),
    /// H5: the cashier page to send the mobile browser to.
    H5Url(String),
}

/// A prepay answer's value, checked for what it is used as: an id that goes on one line of
/// a signed message, or a link that goes to a payer.
fn answered(field: &str, value: Option<String>) -> Result<String, Error> {
    let malformed = |why: String| Error::malformed(PROVIDER, Some(200), why);
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| malformed(format!("prepay answer without `{field}`")))?;
    let ok = match field {
        "prepay_id" => {
            value.len() <= 64
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        }
        "h5_url" => {
            value.len() <= 2048 && paybridge_core::validate::http_url(field, &value).is_ok()
        }
        _ => value.len() <= 2048 && value.bytes().all(|b| b.is_ascii_graphic()),
    };
    if ok {
        Ok(value)
    } else {
        Err(malformed(format!(
            "prepay answer's `{field}` is not one: {}",
            paybridge_core::excerpt(value.as_bytes(), 80)
        )))
    }
}

impl<T> WechatPayClient<T> {
    /// A client sending through `transport`, with the system clock and random nonces.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL, the merchant id or serial, the APIv3 key, the
    /// AppID or the default notification URL is refused.
    pub fn new(config: WechatPayConfig, transport: T) -> Result<WechatPayClient<T>, Error> {
        if let Some(url) = &config.notify_url {
            paybridge_core::validate::http_url("notify_url", url).map_err(|e| Error::Config {
                reason: format!("wechatpay notify_url: {e}"),
            })?;
        }
        if let Some(appid) = &config.appid {
            validate::appid(appid).map_err(|e| Error::Config {
                reason: format!("wechatpay appid: {e}"),
            })?;
        }
        let codec = Codec::new(
            &config.base_url,
            &config.mchid,
            &config.merchant_serial_no,
            config.merchant_key,
            config.platform_keys,
            &config.apiv3_key,
        )?;
        Ok(WechatPayClient {
            retry: config.retry.clone(),
            connection: Connection::new(codec, transport, config.retry, crate::codes::RETRY_RULES),
            notify_url: config.notify_url,
            appid: config.appid,
        })
    }

    /// Uses `clock` for timestamps and the signature window, and `ids` for nonces — of
    /// requests and of invocation parameters alike — for tests and replays.
    pub fn with_sources(
        mut self,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> WechatPayClient<T> {
        self.connection.codec_mut().set_clock(Arc::clone(&clock));
        self.connection.set_sources(clock, ids);
        self
    }

    /// The codec, for building or reading messages without sending them.
    pub fn codec(&self) -> &Codec {
        self.connection.codec()
    }

    /// The transport this client sends through: to share its pooled connections with other
    /// clients, or to inspect a scripted test double.
    pub fn transport(&self) -> &T {
        self.connection.transport()
    }

    /// The AppID payments are taken under, if configured.
    pub fn appid(&self) -> Option<&str> {
        self.appid.as_deref()
    }

    /// The JSAPI / mini-program invocation of `prepay_id` under the configured AppID, stamped
    /// now with a fresh nonce from the client's sources.
    ///
    /// # Errors
    /// [`Error::Config`] without an AppID; otherwise as [`Codec::jsapi_invocation`].
    pub fn jsapi_invocation(&self, prepay_id: &str) -> Result<JsapiInvocation, Error> {
        self.codec().jsapi_invocation(
            self.configured_appid()?,
            prepay_id,
            self.connection.now().unix_seconds(),
            &self.connection.ids().next_id(),
        )
    }

    /// The APP invocation of `prepay_id` under the configured AppID, stamped now with a fresh
    /// nonce from the client's sources.
    ///
    /// # Errors
    /// [`Error::Config`] without an AppID; otherwise as [`Codec::app_invocation`].
    pub fn app_invocation(&self, prepay_id: &str) -> Result<AppInvocation, Error> {
        self.codec().app_invocation(
            self.configured_appid()?,
            prepay_id,
            self.connection.now().unix_seconds(),
            &self.connection.ids().next_id(),
        )
    }

    /// A fresh attempt's timestamp and nonce, from the client's sources.
    pub(crate) fn stamp(&self) -> (i64, String) {
        (
            self.connection.now().unix_seconds(),
            self.connection.ids().next_id(),
        )
    }

    /// How calls are retried.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub(crate) fn configured_appid(&self) -> Result<&str, Error> {
        self.appid.as_deref().ok_or_else(|| Error::Config {
            reason: "wechatpay appid is not configured: a payment belongs to an AppID (official \
                     account, mini-program or mobile app); set `appid` in [wechatpay]"
                .into(),
        })
    }
}

impl<T: Transport> WechatPayClient<T> {
    /// Sends `request`, re-signing every attempt with a fresh timestamp and nonce while its
    /// merchant number (`out_refund_no`, `out_trade_no`) stays the same. Retries when nothing
    /// was sent, when the answer was lost, on `SYSTEM_ERROR` (WeChat Pay's documented answer:
    /// the same request again), and after `FREQUENCY_LIMITED` (waiting at least a second, or
    /// the `Retry-After` asked).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's
    /// rules; otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied
    /// nothing, or [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it
    /// by a look-up under the same merchant number, never by a new one.
    pub async fn call<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error>
    where
        Codec: paybridge_core::Codec<E>,
    {
        self.connection.call(request).await
    }

    /// Refunds (part of) a payment (the endpoint itself;
    /// [`paybridge_core::RefundProvider::refund`] adds the unified model and its checks).
    ///
    /// # Errors
    /// As [`WechatPayClient::call`].
    pub async fn create_refund(
        &self,
        request: &CreateRefundRequest,
    ) -> Result<RefundResponse, Error> {
        validate::refund(request)?;
        self.call(request).await
    }

    /// A refund by the merchant's refund number.
    ///
    /// # Errors
    /// As [`WechatPayClient::call`]; `RESOURCE_NOT_EXISTS` when WeChat Pay has no such refund.
    pub async fn query_refund(&self, out_refund_no: &str) -> Result<RefundResponse, Error> {
        validate::out_refund_no(out_refund_no)?;
        self.call(&QueryRefund::new(out_refund_no)).await
    }

    /// Creates an order of `kind` (the endpoint itself;
    /// [`paybridge_core::PaymentProvider::create_payment`] adds the unified model, the
    /// invocation parameters and its checks). The answer is checked to be what the payer's
    /// side can use.
    ///
    /// # Errors
    /// As [`WechatPayClient::call`]; [`Error::MalformedResponse`] when the answer lacks what
    /// the call answers.
    pub async fn prepay(&self, kind: TradeType, request: &PrepayRequest) -> Result<Prepaid, Error> {
        validate::prepay(request, kind)?;
        let body = request.clone();
        match kind {
            TradeType::Jsapi => self
                .call(&JsapiPrepay(body))
                .await
                .and_then(|a| answered("prepay_id", a.prepay_id).map(Prepaid::PrepayId)),
            TradeType::App => self
                .call(&AppPrepay(body))
                .await
                .and_then(|a| answered("prepay_id", a.prepay_id).map(Prepaid::PrepayId)),
            TradeType::H5 => self
                .call(&H5Prepay(body))
                .await
                .and_then(|a| answered("h5_url", a.h5_url).map(Prepaid::H5Url)),
            TradeType::Native => self
                .call(&NativePrepay(body))
                .await
                .and_then(|a| answered("code_url", a.code_url).map(Prepaid::CodeUrl)),
        }
    }

    /// An order by the merchant's order number.
    ///
    /// # Errors
    /// As [`WechatPayClient::call`]; `ORDER_NOT_EXIST` when WeChat Pay has no such order.
    pub async fn query_by_out_trade_no(&self, out_trade_no: &str) -> Result<Transaction, Error> {
        validate::out_trade_no(out_trade_no)?;
        self.call(&QueryByOutTradeNo::new(out_trade_no, self.codec().mchid()))
            .await
    }

    /// A paid order by WeChat Pay's payment id.
    ///
    /// # Errors
    /// As [`WechatPayClient::call`]; `ORDER_NOT_EXIST` when WeChat Pay has no such payment.
    pub async fn query_by_transaction_id(
        &self,
        transaction_id: &str,
    ) -> Result<Transaction, Error> {
        validate::transaction_id(transaction_id)?;
        self.call(&QueryByTransactionId::new(
            transaction_id,
            self.codec().mchid(),
        ))
        .await
    }

    /// Closes an unpaid order (WeChat Pay answers a signed 204).
    ///
    /// # Errors
    /// As [`WechatPayClient::call`]; `ORDERPAID` for a paid order.
    pub async fn close_order(&self, out_trade_no: &str) -> Result<(), Error> {
        validate::out_trade_no(out_trade_no)?;
        self.call(&CloseOrder::new(out_trade_no, self.codec().mchid()))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepay_answers_are_checked_for_their_use() {
        assert!(
            answered(
                "prepay_id",
                Some("wx201410272009395522657a690389285100".into())
            )
            .is_ok()
        );
        for bad in [
            None,
            Some(String::new()),
            Some("wx1\nwx2".into()),
            Some("a".repeat(65)),
        ] {
            assert!(answered("prepay_id", bad).is_err());
        }
        assert!(
            answered(
                "h5_url",
                Some("https://wx.tenpay.com/cgi-bin/x?prepay_id=1".into())
            )
            .is_ok()
        );
        assert!(answered("h5_url", Some("javascript:alert(1)".into())).is_err());
        assert!(
            answered(
                "code_url",
                Some("weixin://wxpay/bizpayurl?pr=p4lpSuKzz".into())
            )
            .is_ok()
        );
        assert!(answered("code_url", Some("weixin://x y".into())).is_err());
    }
}
