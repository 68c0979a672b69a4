//! `WechatPayClient`: one async method per call, over any [`Transport`].

use std::fmt;
use std::sync::Arc;

use paybridge_core::{Clock, Endpoint, Error, IdGenerator};
use paybridge_transport::{Connection, Transport};

use crate::codec::Codec;
use crate::config::WechatPayConfig;
use crate::validate;
use crate::wire::requests::{CreateRefundRequest, QueryRefund};
use crate::wire::responses::RefundResponse;

/// A WeChat Pay API v3 client for one merchant.
pub struct WechatPayClient<T> {
    connection: Connection<Codec, T>,
    pub(crate) notify_url: Option<String>,
}

impl<T> fmt::Debug for WechatPayClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayClient")
            .field("codec", self.connection.codec())
            .field("notify_url", &self.notify_url)
            .finish_non_exhaustive()
    }
}

impl<T> WechatPayClient<T> {
    /// A client sending through `transport`, with the system clock and random nonces.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL, the merchant id or serial, the APIv3 key or the
    /// default notification URL is refused.
    pub fn new(config: WechatPayConfig, transport: T) -> Result<WechatPayClient<T>, Error> {
        if let Some(url) = &config.notify_url {
            paybridge_core::validate::http_url("notify_url", url).map_err(|e| Error::Config {
                reason: format!("wechatpay notify_url: {e}"),
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
            connection: Connection::new(codec, transport, config.retry, crate::codes::RETRY_RULES),
            notify_url: config.notify_url,
        })
    }

    /// Uses `clock` for timestamps and the signature window, and `ids` for nonces — tests
    /// and replays.
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
}

impl<T: Transport> WechatPayClient<T> {
    /// Sends `request`, re-signing every attempt with a fresh timestamp and nonce while its
    /// `out_refund_no` stays the same. Retries when nothing was sent, when the answer was lost,
    /// on `SYSTEM_ERROR` (WeChat Pay's documented answer: the same `out_refund_no` again), and
    /// after `FREQUENCY_LIMITED` (waiting at least a second, or the `Retry-After` asked).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's
    /// rules; otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied
    /// nothing, or [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it
    /// by a look-up under the same `out_refund_no`, never by a new one.
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
}
