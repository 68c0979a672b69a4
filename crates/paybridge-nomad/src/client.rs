//! `NomadClient`: one async method per broker call, over any [`Transport`].

use std::fmt;

use std::sync::Arc;

use paybridge_core::{Clock, Endpoint, Error, IdGenerator};
use paybridge_transport::{Connection, Transport};

use crate::codec::Codec;
use crate::config::NomadConfig;
use crate::validate;
use crate::wire::requests::{
    ClosePayment, CreatePaymentRequest, CreateRefundRequest, QueryPayment, QueryRefund,
};
use crate::wire::responses::{
    ClosePaymentResponse, CreatePaymentResponse, QueryPaymentResponse, RefundResponse,
};

/// A broker client. Input is validated before anything is sent.
pub struct NomadClient<T> {
    connection: Connection<Codec, T>,
    pub(crate) payment_method: Option<String>,
    pub(crate) notify_url: Option<String>,
}

impl<T> fmt::Debug for NomadClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NomadClient")
            .field("codec", self.connection.codec())
            .finish_non_exhaustive()
    }
}

impl<T> NomadClient<T> {
    /// A client sending through `transport`.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL, a key or a default (callback URL, store number,
    /// payment method) is refused.
    pub fn new(config: NomadConfig, transport: T) -> Result<NomadClient<T>, Error> {
        if let Some(method) = &config.payment_method {
            validate::payment_method(method).map_err(|e| Error::Config {
                reason: e.to_string(),
            })?;
        }
        if let Some(url) = &config.notify_url {
            validate::url("notify_url", url).map_err(|e| Error::Config {
                reason: e.to_string(),
            })?;
        }
        Ok(NomadClient {
            connection: Connection::new(
                Codec::new(&config.base_url, &config.merchant, config.api_key)?,
                transport,
                config.retry,
                crate::codes::RETRY_RULES,
            ),
            payment_method: config.payment_method,
            notify_url: config.notify_url,
        })
    }

    /// Uses `clock` and `ids` to stamp attempts (the broker signs neither) — tests and replays.
    pub fn with_sources(
        mut self,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> NomadClient<T> {
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

impl<T: Transport> NomadClient<T> {
    /// Sends `call` and decodes the answer, retrying what is safe to retry: every call is
    /// keyed (`refundOrderRef`, `orderRef`) or only reads, so repeats are harmless. For a call
    /// that creates, an error after an attempt that may have been applied is reported as
    /// [`Error::OutcomeUnknown`], never as a refusal: the earlier attempt may be why the broker
    /// refuses ("the refund exceeds the refundable amount").
    ///
    /// # Errors
    /// The last attempt's error, settled as above.
    pub async fn call<E: Endpoint>(&self, call: &E) -> Result<E::Response, Error> {
        self.connection.call(call).await
    }

    /// Creates a refund. Checks ids, amounts (`0 < refundAmount ≤ totalAmount`), currency (CNY)
    /// and enumerated fields first.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn create_refund(&self, body: &CreateRefundRequest) -> Result<RefundResponse, Error> {
        validate::refund(body)?;
        self.call(body).await
    }

    /// Looks a refund up by the merchant's refund number.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn query_refund(&self, query: &QueryRefund) -> Result<RefundResponse, Error> {
        validate::id("refund_order_ref", &query.refund_order_ref)?;
        if let Some(order_ref) = &query.order_ref {
            validate::id("order_ref", order_ref)?;
        }
        self.call(query).await
    }

    /// Creates a payment (currency CNY or GBP).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn create_payment(
        &self,
        body: &CreatePaymentRequest,
    ) -> Result<CreatePaymentResponse, Error> {
        validate::payment(body)?;
        self.call(body).await
    }

    /// Looks a payment up.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn query_payment(&self, query: &QueryPayment) -> Result<QueryPaymentResponse, Error> {
        match &query.order_ref {
            Some(order_ref) => validate::id("order_ref", order_ref)?,
            None => {
                return Err(Error::invalid(
                    "order_ref",
                    "is required to query a payment",
                ));
            }
        }
        self.call(query).await
    }

    /// Closes an unpaid payment.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn close_payment(
        &self,
        order_ref: &str,
        payment_method: Option<&str>,
    ) -> Result<ClosePaymentResponse, Error> {
        validate::id("order_ref", order_ref)?;
        if let Some(method) = payment_method {
            validate::payment_method(method)?;
        }
        self.call(&ClosePayment {
            order_ref: order_ref.to_owned(),
            payment_method: payment_method.map(str::to_owned),
        })
        .await
    }
}
