//! The unified [`PaymentProvider`] over [`ScanForPayClient`]: dynamic QR, website redirect,
//! in-wallet H5 and barcode payments, looked up by *payment query*.
//!
//! ScanForPay publishes no close or cancel call. An unpaid order lapses on its own; a barcode
//! payment still waiting for the buyer at its deadline is reported as it stands (pending), never
//! as failed, since the buyer may still confirm it.

use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::barcode::{self, BarcodeAnswer, BarcodeSteps, CancelAnswer};
use paybridge_core::{
    Currency, Error, Money, OrderRef, Payment, PaymentAction, PaymentLookup, PaymentProvider,
    PaymentRequest, PaymentStatus, Scene, SceneKind, check_payment, existing_after_refusal,
};
use paybridge_transport::Transport;

use crate::codec::PROVIDER;
use crate::wire::requests::{
    BarcodePayBody, DynamicQrBody, HostedPageBody, JsapiBody, PaymentCommon, WebsiteRedirectBody,
};
use crate::wire::responses::{PayQueryResponse, ResponseValue};
use crate::{ScanForPayClient, codes};

/// The scenes ScanForPay's calls cover.
pub const SCENES: &[SceneKind] = &[
    SceneKind::Qr,
    SceneKind::Web,
    SceneKind::Jsapi,
    SceneKind::Barcode,
];

/// The wallet asked for when the merchant names none: Alipay is the one every ScanForPay
/// creation call takes.
const DEFAULT_WALLET: &str = "Alipay";

/// ScanForPay's "order does not exist".
const ORDER_NOT_FOUND: i64 = 30;

/// A payment query answer (or a barcode charge's, which has the same shape) in the unified
/// model, checked against the look-up.
fn unified(answer: &PayQueryResponse, lookup: &PaymentLookup) -> Result<Payment, Error> {
    let malformed = |why: &str| Error::malformed(PROVIDER, None, why.to_owned());
    let order_ref = answer
        .partner_order_no
        .as_deref()
        .ok_or_else(|| malformed("payment answer without `partnerOrderNo`"))?;
    let order_ref =
        OrderRef::new(order_ref).map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
    let minor = answer
        .order_amount
        .ok_or_else(|| malformed("payment answer without `orderAmount`"))?;
    let currency = match answer.currency.as_deref() {
        Some(code) => Currency::from_code(code)
            .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?,
        // The answer names no currency: it is the one asked about, or none can be claimed.
        None => lookup
            .amount
            .map(|m| m.currency)
            .ok_or_else(|| malformed("payment answer without `currency`"))?,
    };
    let status = answer
        .status
        .ok_or_else(|| malformed("payment answer without `status`"))?;
    let payment = Payment {
        provider: PROVIDER.to_owned(),
        order_ref,
        payment: answer.order_no.clone(),
        amount: Money::new(minor, currency),
        status: codes::payment_status(status),
        provider_status: Some(status.to_string()),
        action: None,
    };
    check_payment(PROVIDER, payment, lookup)
}

fn common(store_no: &str, request: &PaymentRequest) -> PaymentCommon {
    let mut common = PaymentCommon::new(
        store_no,
        request.order_ref().as_str(),
        request.amount().minor,
    );
    common.order_title = Some(request.description_or_order_ref().to_owned());
    common.notify_url = request.notify_url().map(str::to_owned);
    common
}

fn pay_url(value: Option<String>) -> Result<String, Error> {
    value
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::malformed(PROVIDER, None, "answer without `payUrl`"))
}

/// A barcode payment's calls, for [`barcode::settle`].
struct Steps<'a, T> {
    client: &'a ScanForPayClient<T>,
    body: BarcodePayBody,
    lookup: PaymentLookup,
    started: tokio::time::Instant,
}

impl<T: Transport> Steps<'_, T> {
    fn answer(
        &self,
        result: Result<ResponseValue<PayQueryResponse>, Error>,
    ) -> Result<BarcodeAnswer, Error> {
        match result {
            Ok(value) => unified(&value.body, &self.lookup).map(BarcodeAnswer::Payment),
            Err(Error::Rejected { code, .. }) if code == ORDER_NOT_FOUND => {
                Ok(BarcodeAnswer::NotFound)
            }
            Err(error) => Err(error),
        }
    }
}

#[async_trait]
impl<T: Transport> BarcodeSteps for Steps<'_, T> {
    fn provider(&self) -> &'static str {
        PROVIDER
    }
    async fn charge(&self) -> Result<BarcodeAnswer, Error> {
        let result = self.client.barcode_pay(&self.body).await;
        self.answer(result)
    }
    async fn query(&self) -> Result<BarcodeAnswer, Error> {
        let result = self.client.pay_query(self.lookup.order_ref.as_str()).await;
        self.answer(result)
    }
    fn can_cancel(&self) -> bool {
        false
    }
    async fn cancel(&self) -> Result<CancelAnswer, Error> {
        Err(Error::Unsupported {
            provider: PROVIDER,
            operation: "cancel",
            reason: "ScanForPay publishes no cancel call".into(),
        })
    }
    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
    async fn wait(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

impl<T: Transport> ScanForPayClient<T> {
    /// Creates the payment (or, for a barcode, charges and settles it).
    async fn create_new(&self, request: &PaymentRequest) -> Result<Payment, Error> {
        self.check_scene(request.scene())?;
        let amount = request.amount();
        let common = common(&self.store_no, request);
        let pending = |action: PaymentAction| Payment {
            provider: PROVIDER.to_owned(),
            order_ref: request.order_ref().clone(),
            payment: None,
            amount,
            status: PaymentStatus::Pending,
            provider_status: Some("0".into()),
            action: Some(action),
        };
        // Whatever is wrong with an answer after the order may exist is unknown, to be
        // looked up under the same partnerOrderNo.
        let unknown = |e: Error| e.unknown_if_maybe_applied(PROVIDER);
        // The dynamic QR, in-wallet and barcode calls take no currency: their orders are in
        // the store's currency, HKD. Only the hosted page (web) names one.
        if !matches!(request.scene(), Scene::Web { .. }) && amount.currency != Currency::Hkd {
            return Err(Error::invalid(
                "currency",
                format!(
                    "ScanForPay's {} payments are in HKD, not {}",
                    request.scene().kind(),
                    amount.currency
                ),
            ));
        }
        match request.scene() {
            Scene::Qr => {
                let body = DynamicQrBody::new(common, DEFAULT_WALLET);
                let answer = self.dynamic_qr(&body).await.map_err(unknown)?;
                let content = answer
                    .body
                    .qr_code
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        unknown(Error::malformed(PROVIDER, None, "answer without a QR code"))
                    })?;
                Ok(pending(PaymentAction::Qr { content }))
            }
            Scene::Web { return_url } => {
                let mut page = HostedPageBody::new(common, DEFAULT_WALLET, amount.currency.code());
                page.return_url = return_url.clone();
                let answer = self
                    .website_redirect(&WebsiteRedirectBody(page))
                    .await
                    .map_err(unknown)?;
                let url = pay_url(answer.body.pay_url).map_err(unknown)?;
                Ok(pending(PaymentAction::Redirect { url }))
            }
            Scene::Jsapi { .. } => {
                // ScanForPay's in-wallet page identifies the payer itself: the payer id is not
                // sent.
                let body = JsapiBody::new(common, DEFAULT_WALLET);
                let answer = self.jsapi(&body).await.map_err(unknown)?;
                let url = pay_url(answer.body.pay_url).map_err(unknown)?;
                Ok(pending(PaymentAction::Redirect { url }))
            }
            Scene::Barcode { auth_code } => {
                let steps = Steps {
                    client: self,
                    body: BarcodePayBody::new(common, auth_code.clone()),
                    lookup: PaymentLookup::from(request),
                    started: tokio::time::Instant::now(),
                };
                barcode::settle(&steps, request.barcode_policy()).await
            }
            other => Err(Error::UnsupportedScene {
                provider: PROVIDER,
                scene: other.kind().as_str(),
                reason: "ScanForPay offers qr, web, jsapi and barcode".into(),
            }),
        }
    }
}

#[async_trait]
impl<T: Transport> PaymentProvider for ScanForPayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn scenes(&self) -> &'static [SceneKind] {
        SCENES
    }

    async fn create_payment(&self, request: &PaymentRequest) -> Result<Payment, Error> {
        match self.create_new(request).await {
            // A refused create may be a repeat of one that worked: report that payment.
            Err(refusal) => existing_after_refusal(self, request, refusal).await,
            created => created,
        }
    }

    async fn payment_status(&self, lookup: &PaymentLookup) -> Result<Payment, Error> {
        match self.pay_query(lookup.order_ref.as_str()).await {
            Ok(value) => unified(&value.body, lookup),
            Err(Error::Rejected { code, .. }) if code == ORDER_NOT_FOUND => {
                Err(Error::PaymentNotFound {
                    provider: PROVIDER,
                    order_ref: lookup.order_ref.to_string(),
                })
            }
            Err(error) => Err(error),
        }
    }

    async fn close_payment(&self, _lookup: &PaymentLookup) -> Result<Payment, Error> {
        Err(Error::Unsupported {
            provider: PROVIDER,
            operation: "close",
            reason: "ScanForPay publishes no close or cancel call; an unpaid order lapses on \
                     its own (look it up to see it fail)"
                .into(),
        })
    }
}
