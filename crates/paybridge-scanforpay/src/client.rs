//! `ScanForPayClient`: one async method per call, over any [`Transport`].

use paybridge_core::Endpoint;
use std::fmt;
use std::sync::Arc;

use paybridge_core::{Clock, Delivery, Error, IdGenerator, TransportErrorKind};
use paybridge_transport::{Budget, Connection, SensitiveValues, Transport};

use crate::codec::Codec;
use crate::config::ScanForPayConfig;
use crate::validate;
use crate::wire::requests::{
    BarcodePayBody, DynamicQrBody, HostedQrBody, JsapiBody, PayQueryBody, RefundBody,
    WebsiteRedirectBody,
};
use crate::wire::responses::{
    PayQueryResponse, PayUrlResponse, QrResponse, RefundResponse, ResponseValue,
};

/// A ScanForPay client.
pub struct ScanForPayClient<T> {
    connection: Connection<Codec, T>,
    pub(crate) store_no: String,
}

impl<T> fmt::Debug for ScanForPayClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanForPayClient")
            .field("codec", self.connection.codec())
            .finish_non_exhaustive()
    }
}

impl<T> ScanForPayClient<T> {
    /// A client sending through `transport`, with the system clock and random message ids.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL, a key or a default (callback URL, store number,
    /// payment method) is refused.
    pub fn new(config: ScanForPayConfig, transport: T) -> Result<ScanForPayClient<T>, Error> {
        validate::field("store_no", &config.store_no, 15).map_err(|e| Error::Config {
            reason: e.to_string(),
        })?;
        Ok(ScanForPayClient {
            connection: Connection::new(
                Codec::new(
                    &config.base_url,
                    &config.partner_no,
                    config.sign_key.clone(),
                )?,
                transport,
                config.retry,
                crate::codes::RETRY_RULES,
            )
            .masking(SensitiveValues::new([config.sign_key.expose()])),
            store_no: config.store_no,
        })
    }

    /// Uses `clock` for `reqTime` and `ids` for `reqMsgId` — tests and replays.
    pub fn with_sources(
        mut self,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> ScanForPayClient<T> {
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

impl<T: Transport> ScanForPayClient<T> {
    /// Sends `body`, re-signing each attempt with a fresh `reqMsgId` (unique per request, as the
    /// docs require) while every merchant number stays the same. Retries when nothing was sent,
    /// when the answer was lost, and on the ambiguous codes 9, 21 and 22 — all safe, as the call
    /// is keyed by the merchant's number, and for ScanForPay, which has no refund query, sending
    /// the same `refundNo` again is the documented way to learn an outcome.
    ///
    /// For a call that applies something ([`Endpoint::APPLIES`]), an error after an attempt
    /// that may have been applied comes back as [`Error::OutcomeUnknown`], never as a refusal:
    /// ScanForPay answers a repeat of a refund that exhausted the payment with code 35.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn call<E: Endpoint>(&self, body: &E) -> Result<E::Response, Error>
    where
        Codec: paybridge_core::Codec<E>,
    {
        self.connection.call(body).await
    }

    /// Refunds (part of) a payment (the endpoint itself; [`paybridge_core::RefundProvider::refund`]
    /// adds the unified model and its checks).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn create_refund(
        &self,
        body: &RefundBody,
    ) -> Result<ResponseValue<RefundResponse>, Error> {
        validate::field("partnerOrderNo", &body.partner_order_no, 32)?;
        validate::field("refundNo", &body.refund_no, 32)?;
        validate::amount("orderAmount", body.order_amount)?;
        validate::optional("operatorId", body.operator_id.as_deref(), 20)?;
        validate::optional("terminalNo", body.terminal_no.as_deref(), 20)?;
        self.call(body).await
    }

    /// A payment's state by the merchant's order number (this client's store).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn pay_query(
        &self,
        partner_order_no: &str,
    ) -> Result<ResponseValue<PayQueryResponse>, Error> {
        validate::field("partnerOrderNo", partner_order_no, 32)?;
        let body = PayQueryBody {
            store_no: self.store_no.clone(),
            partner_order_no: Some(partner_order_no.to_owned()),
            order_no: None,
        };
        self.call(&body).await
    }

    /// Charges the customer's payment code.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn barcode_pay(
        &self,
        body: &BarcodePayBody,
    ) -> Result<ResponseValue<PayQueryResponse>, Error> {
        validate::common(&body.common)?;
        validate::field("barcode", &body.barcode, 20)?;
        // In one attempt: a charge whose answer was lost is settled by looking the order up,
        // never by charging the customer's code again, so the retry engine gets a budget of
        // one. It keeps within an enclosing budget's time, and sends nothing when that has no
        // attempt left.
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
            None => std::time::Duration::from_secs(3600),
        };
        Budget::new(within, 1).spend_within(self.call(body)).await
    }

    /// A dynamic QR code for the customer to scan.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn dynamic_qr(
        &self,
        body: &DynamicQrBody,
    ) -> Result<ResponseValue<QrResponse>, Error> {
        validate::common(&body.common)?;
        validate::wallet(&body.wallet, &["Wechat", "Alipay"])?;
        self.call(body).await
    }

    /// A hosted QR payment page.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn hosted_qr(
        &self,
        body: &HostedQrBody,
    ) -> Result<ResponseValue<PayUrlResponse>, Error> {
        validate::common(&body.0.common)?;
        validate::wallet(&body.0.wallet, &["Wechat", "Alipay", "AlipayHK"])?;
        validate::field("currency", &body.0.currency, 3)?;
        self.call(body).await
    }

    /// A website payment redirect.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn website_redirect(
        &self,
        body: &WebsiteRedirectBody,
    ) -> Result<ResponseValue<PayUrlResponse>, Error> {
        validate::common(&body.0.common)?;
        validate::wallet(&body.0.wallet, &["AlipayHK", "Alipay", "Wechat"])?;
        validate::field("currency", &body.0.currency, 3)?;
        self.call(body).await
    }

    /// An in-wallet H5 payment page.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn jsapi(&self, body: &JsapiBody) -> Result<ResponseValue<PayUrlResponse>, Error> {
        validate::common(&body.common)?;
        validate::wallet(&body.wallet, &["Wechat", "Alipay"])?;
        self.call(body).await
    }
}
