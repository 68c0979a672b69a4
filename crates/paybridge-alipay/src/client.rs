//! `AlipayClient`: one async method per call, over any [`Transport`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use paybridge_core::{Clock, Delivery, Error, IdGenerator, SystemClock, TransportErrorKind};
use paybridge_transport::{Budget, Connection, Transport};

use crate::cashier::SignedOrder;
use crate::codec::{AlipayCall, Codec};
use crate::config::AlipayConfig;
use crate::validate;
use crate::wire::requests::{
    CashierOrder, TradeCancel, TradeClose, TradeCreate, TradePay, TradePrecreate, TradeQuery,
    TradeRefund, TradeRefundQuery,
};
use crate::wire::responses::{
    PrecreateResponse, RefundQueryResponse, Reply, TradeCancelResponse, TradeCloseResponse,
    TradeCreateResponse, TradePayResponse, TradeQueryResponse, TradeRefundResponse,
};

/// An Alipay Open Platform client for one app.
pub struct AlipayClient<T> {
    connection: Connection<Codec, T>,
    pub(crate) notify_url: Option<String>,
    /// The time cashier orders are signed at (the connection stamps the calls it sends).
    pub(crate) clock: Arc<dyn Clock>,
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
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` for `timestamp` (and `ids`, which Alipay does not use) — tests and replays.
    pub fn with_sources(
        mut self,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> AlipayClient<T> {
        self.connection.set_sources(Arc::clone(&clock), ids);
        self.clock = clock;
        self
    }

    /// Signs a cashier order (`alipay.trade.page.pay`, `wap.pay` or `app.pay`) now, sending
    /// nothing: the customer's browser or app carries it to Alipay. `notify_url` defaults to
    /// the client's.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the order breaks Alipay's rules; [`Error::Signing`].
    pub fn sign_order(&self, order: &CashierOrder) -> Result<SignedOrder, Error> {
        let mut order = order.clone();
        if order.notify_url.is_none() {
            order.notify_url.clone_from(&self.notify_url);
        }
        self.codec().sign_order(&order, self.clock.now())
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

    /// `alipay.trade.precreate`: a QR trade. A resend under the same `out_trade_no` is the
    /// same trade, so it is retried like a refund.
    ///
    /// # Errors
    /// As [`AlipayClient::call`].
    pub async fn trade_precreate(
        &self,
        precreate: &TradePrecreate,
    ) -> Result<PrecreateResponse, Error> {
        validate::precreate(precreate)?;
        self.call(precreate).await
    }

    /// `alipay.trade.pay`: charges a payment code, **in one attempt**. A charge whose answer
    /// was lost is settled by looking the trade up, never by charging again — the payment
    /// code is single-use and the buyer may be confirming on their phone — so nothing here
    /// sends it twice. The answer is `10000` (paid) or `10003` (waiting for the buyer).
    ///
    /// # Errors
    /// As [`AlipayClient::call`]; [`Error::Transport`] (nothing sent) when the caller's
    /// budget has no attempt left.
    pub async fn trade_pay(&self, pay: &TradePay) -> Result<TradePayResponse, Error> {
        validate::pay(pay)?;
        // A budget of one attempt stops the retry engine from resending the charge. It keeps
        // within an enclosing budget's time, and sends nothing when that has no attempt left.
        let within = match Budget::current() {
            Some(outer) if outer.attempts_left() == 0 => {
                return Err(Error::Transport {
                    kind: TransportErrorKind::ResponseTimeout,
                    delivery: Delivery::NotSent,
                    message: "the call's budget of attempts is spent; the charge was not sent"
                        .into(),
                });
            }
            Some(outer) => outer
                .deadline()
                .saturating_duration_since(tokio::time::Instant::now()),
            // The connection's own deadline still bounds the attempt.
            None => Duration::from_secs(3600),
        };
        Budget::new(within, 1).spend_within(self.call(pay)).await
    }

    /// `alipay.trade.create`: a JSAPI trade for one buyer (its `trade_no` is what the
    /// mini-program pays with). A resend under the same `out_trade_no` is the same trade.
    ///
    /// # Errors
    /// As [`AlipayClient::call`].
    pub async fn trade_create(&self, create: &TradeCreate) -> Result<TradeCreateResponse, Error> {
        validate::create(create)?;
        self.call(create).await
    }

    /// `alipay.trade.query`.
    ///
    /// # Errors
    /// As [`AlipayClient::call`]; `ACQ.TRADE_NOT_EXIST` is a [`Error::Rejected`].
    pub async fn trade_query(&self, query: &TradeQuery) -> Result<TradeQueryResponse, Error> {
        validate::trade_ref(&query.0)?;
        self.call(query).await
    }

    /// `alipay.trade.close`: an unpaid trade can no longer be paid (`ACQ.TRADE_STATUS_ERROR`
    /// for one that is paid or closed).
    ///
    /// # Errors
    /// As [`AlipayClient::call`].
    pub async fn trade_close(&self, close: &TradeClose) -> Result<TradeCloseResponse, Error> {
        validate::trade_ref(&close.0)?;
        self.call(close).await
    }

    /// `alipay.trade.cancel`: closes an unpaid trade, **refunds** a paid one. Call it only
    /// right after a look-up showed the trade unpaid.
    ///
    /// # Errors
    /// As [`AlipayClient::call`].
    pub async fn trade_cancel(&self, cancel: &TradeCancel) -> Result<TradeCancelResponse, Error> {
        validate::trade_ref(&cancel.0)?;
        self.call(cancel).await
    }
}
