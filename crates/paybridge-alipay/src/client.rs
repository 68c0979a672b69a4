//! `AlipayClient`: one async method per call, over any [`Transport`].

use std::fmt;
use std::sync::Arc;

use paybridge_core::{Clock, Error, IdGenerator};
use paybridge_transport::{Connection, Transport};

use crate::codec::{AlipayCall, Codec};
use crate::config::AlipayConfig;
use crate::validate;
use crate::wire::requests::{TradeRefund, TradeRefundQuery};
use crate::wire::responses::{RefundQueryResponse, Reply, TradeRefundResponse};

/// An Alipay Open Platform client for one app.
pub struct AlipayClient<T> {
    connection: Connection<Codec, T>,
    pub(crate) notify_url: Option<String>,
}

impl<T> fmt::Debug for AlipayClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlipayClient")
            .field("codec", self.connection.codec())
            .field("notify_url", &self.notify_url)
            .finish_non_exhaustive()
    }
}

impl<T> AlipayClient<T> {
    /// A client sending through `transport`, with the system clock.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL, the app id or the default notification URL is
    /// refused.
    pub fn new(config: AlipayConfig, transport: T) -> Result<AlipayClient<T>, Error> {
        if let Some(url) = &config.notify_url {
            paybridge_core::validate::http_url("notify_url", url).map_err(|e| Error::Config {
                reason: format!("alipay notify_url: {e}"),
            })?;
        }
        let codec = Codec::new(
            &config.base_url,
            &config.app_id,
            config.app_key,
            config.keys,
        )?;
        Ok(AlipayClient {
            connection: Connection::new(codec, transport, config.retry, crate::codes::RETRY_RULES),
            notify_url: config.notify_url,
        })
    }

    /// Uses `clock` for `timestamp` (and `ids`, which Alipay does not use) — tests and replays.
    pub fn with_sources(
        mut self,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> AlipayClient<T> {
        self.connection.set_sources(clock, ids);
        self
    }

    /// The codec, for building or reading messages without sending them.
    pub fn codec(&self) -> &Codec {
        self.connection.codec()
    }

    /// The transport this client sends through.
    pub fn transport(&self) -> &T {
        self.connection.transport()
    }
}

impl<T: Transport> AlipayClient<T> {
    /// Sends `call`, re-signing every attempt with a fresh `timestamp` while its
    /// `out_request_no` stays the same. Retries when nothing was sent, when the answer was lost,
    /// on `20000` and `ACQ.SYSTEM_ERROR` (Alipay's documented answer: the same `out_request_no`
    /// again), and after `40005` (waiting at least a second).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's
    /// rules; otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied
    /// nothing, or [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it
    /// by a look-up under the same `out_request_no`, never by a new one.
    pub async fn call<E: AlipayCall>(&self, call: &E) -> Result<E::Response, Error>
    where
        E::Response: Reply,
    {
        self.connection.call(call).await
    }

    /// `alipay.trade.refund` (the call itself; [`paybridge_core::RefundProvider::refund`] adds
    /// the unified model, `fund_change` and its checks).
    ///
    /// # Errors
    /// As [`AlipayClient::call`].
    pub async fn trade_refund(&self, refund: &TradeRefund) -> Result<TradeRefundResponse, Error> {
        validate::refund(refund)?;
        self.call(refund).await
    }

    /// `alipay.trade.fastpay.refund.query`.
    ///
    /// # Errors
    /// As [`AlipayClient::call`].
    pub async fn refund_query(
        &self,
        query: &TradeRefundQuery,
    ) -> Result<RefundQueryResponse, Error> {
        validate::query(query)?;
        self.call(query).await
    }
}
