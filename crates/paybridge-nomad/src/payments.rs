//! The unified [`PaymentProvider`] over [`NomadClient`]: the broker's create, query and close
//! payment calls. The broker passes WeChat Pay's (or Alipay's) trade states through, so a
//! payment reads the way a WeChat Pay v3 one does; what the broker never says is how much of a
//! payment was refunded, so a `REFUND` state reads as refunded.

use std::collections::BTreeMap;

use async_trait::async_trait;
use paybridge_core::{
    Currency, Error, Money, OrderRef, Payment, PaymentAction, PaymentLookup, PaymentProvider,
    PaymentRequest, PaymentStatus, Scene, SceneKind, check_payment, existing_after_refusal,
};
use paybridge_transport::Transport;

use crate::NomadClient;
use crate::codec::PROVIDER;
use crate::wire::requests::{CreatePaymentRequest, QueryPayment};
use crate::wire::responses::{CreatePaymentResponse, QueryPaymentResponse};

/// The scenes the broker's `paymentType` covers: `NATIVE`, `H5`, `APP` and `JSAPI` (a
/// mini-program is JSAPI with the mini-program's payer id).
pub const SCENES: &[SceneKind] = &[
    SceneKind::Qr,
    SceneKind::Wap,
    SceneKind::App,
    SceneKind::Jsapi,
];

/// The broker's trade state (WeChat Pay's words) in the unified model.
pub fn payment_status(trade_state: &str) -> PaymentStatus {
    match trade_state {
        "SUCCESS" => PaymentStatus::Succeeded,
        // The broker does not say how much was refunded.
        "REFUND" => PaymentStatus::Refunded,
        "CLOSED" | "REVOKED" => PaymentStatus::Closed,
        "PAYERROR" => PaymentStatus::Failed,
        _ => PaymentStatus::Pending,
    }
}

fn currency(code: Option<&str>) -> Result<Currency, Error> {
    match code {
        None | Some("CNY") => Ok(Currency::Cny),
        Some("GBP") => Ok(Currency::Gbp),
        Some(other) => Err(Error::malformed(
            PROVIDER,
            None,
            format!("payment in unexpected currency {other:?}"),
        )),
    }
}

/// A query payment answer in the unified model, checked against the look-up.
fn unified(answer: &QueryPaymentResponse, lookup: &PaymentLookup) -> Result<Payment, Error> {
    let order_ref = answer
        .order_ref
        .as_deref()
        .ok_or_else(|| Error::malformed(PROVIDER, None, "payment answer without `orderRef`"))?;
    let order_ref =
        OrderRef::new(order_ref).map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
    let minor = answer
        .actual_amount
        .or(answer.total)
        .ok_or_else(|| Error::malformed(PROVIDER, None, "payment answer without `actualAmount`"))?;
    let raw = answer.trade_state.clone();
    let payment = Payment {
        provider: PROVIDER.to_owned(),
        order_ref,
        payment: answer.transaction_id.clone().filter(|t| !t.is_empty()),
        amount: Money::new(minor, currency(answer.currency.as_deref())?),
        status: raw
            .as_deref()
            .map_or(PaymentStatus::Pending, payment_status),
        provider_status: raw,
        action: None,
    };
    check_payment(PROVIDER, payment, lookup)
}

/// What the broker's create answer tells the merchant to show, by payment type.
fn action(payment_type: &str, answer: &CreatePaymentResponse) -> Result<PaymentAction, Error> {
    let message = || {
        answer
            .pay_message
            .clone()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| {
                Error::malformed(PROVIDER, None, "create payment answer without `payMessage`")
            })
    };
    match payment_type {
        "NATIVE" => Ok(PaymentAction::Qr {
            content: message()?,
        }),
        "H5" => Ok(PaymentAction::Redirect { url: message()? }),
        _ => {
            let Some(serde_json::Value::Object(fields)) = &answer.pay_invoke_message else {
                return Err(Error::malformed(
                    PROVIDER,
                    None,
                    "create payment answer without `payInvokeMessage` parameters",
                ));
            };
            let params: BTreeMap<String, String> = fields
                .iter()
                .map(|(name, value)| {
                    let text = match value {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (name.clone(), text)
                })
                .collect();
            Ok(PaymentAction::Sdk { params })
        }
    }
}

impl<T> NomadClient<T> {
    /// The broker's create-payment body for a unified request.
    ///
    /// # Errors
    /// [`Error::UnsupportedScene`] or [`Error::InvalidRequest`] before anything is sent.
    pub fn payment_body(&self, request: &PaymentRequest) -> Result<CreatePaymentRequest, Error> {
        let amount = request.amount();
        let currency = match amount.currency {
            Currency::Cny | Currency::Gbp => amount.currency.code(),
            other => {
                return Err(Error::invalid(
                    "currency",
                    format!("the broker takes CNY or GBP, not {other}"),
                ));
            }
        };
        let (payment_type, payer) = match request.scene() {
            Scene::Qr => ("NATIVE", None),
            Scene::Wap { .. } => ("H5", None),
            Scene::App => ("APP", None),
            Scene::Jsapi { payer } => ("JSAPI", Some(payer.clone())),
            other => {
                return Err(Error::UnsupportedScene {
                    provider: PROVIDER,
                    scene: other.kind().as_str(),
                    reason: "the broker's payment types are NATIVE, H5, JSAPI, MINIPRO and APP"
                        .into(),
                });
            }
        };
        let method = self.payment_method.as_deref().unwrap_or("wechatpay");
        let mut body = CreatePaymentRequest::new(
            method,
            payment_type,
            request.order_ref().as_str(),
            amount.minor,
            currency,
        );
        body.description = Some(request.description_or_order_ref().to_owned());
        body.time_expire = request.expires_at().map(|at| at.to_rfc3339());
        body.notify_url = request
            .notify_url()
            .map(str::to_owned)
            .or_else(|| self.notify_url.clone());
        body.payer_id = payer;
        body.success_url = request.scene().return_url().map(str::to_owned);
        Ok(body)
    }
}

impl<T: Transport> NomadClient<T> {
    /// Creates the payment (or, for a barcode, charges and settles it).
    async fn create_new(&self, request: &PaymentRequest) -> Result<Payment, Error> {
        self.check_scene(request.scene())?;
        let body = self.payment_body(request)?;
        let answer = self
            .create_payment(&body)
            .await
            .map_err(|e| e.unknown_if_maybe_applied(PROVIDER))?;
        // The broker accepted the order: whatever is wrong with its answer now, the order
        // exists, so it is unknown, to be looked up under the same reference.
        let action = action(&body.payment_type, &answer)
            .map_err(|e| e.unknown_if_maybe_applied(PROVIDER))?;
        Ok(Payment {
            provider: PROVIDER.to_owned(),
            order_ref: request.order_ref().clone(),
            payment: None,
            amount: request.amount(),
            status: PaymentStatus::Pending,
            provider_status: Some("NOTPAY".into()),
            action: Some(action),
        })
    }
}

#[async_trait]
impl<T: Transport> PaymentProvider for NomadClient<T> {
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
        let mut query = QueryPayment::new();
        query.order_ref = Some(lookup.order_ref.to_string());
        query.payment_method = self.payment_method.clone();
        match self.query_payment(&query).await {
            Ok(answer) => unified(&answer, lookup),
            // (decided) The broker documents no "not found" answer; a 404 to a query is one.
            Err(Error::Rejected { code, .. }) if code == "404" => Err(Error::PaymentNotFound {
                provider: PROVIDER,
                order_ref: lookup.order_ref.to_string(),
            }),
            Err(error) => Err(error),
        }
    }

    async fn close_payment(&self, lookup: &PaymentLookup) -> Result<Payment, Error> {
        let closed = self
            .close_payment(lookup.order_ref.as_str(), self.payment_method.as_deref())
            .await;
        // The look-up says what the order now is: a paid or closed order is reported as such
        // (a close refused because it was paid is no failure); an order still waiting after a
        // close was refused or lost is that error — it stays payable.
        let found = PaymentProvider::payment_status(self, lookup).await;
        match (closed, found) {
            (_, Ok(payment)) if payment.status != PaymentStatus::Pending => Ok(payment),
            (Ok(_), Ok(_)) => Err(Error::OutcomeUnknown {
                provider: PROVIDER,
                reason: "the broker accepted the close, but the order still reads as waiting \
                         for the customer"
                    .into(),
            }),
            (Err(error), Ok(_)) => Err(error.unknown_if_maybe_applied(PROVIDER)),
            (Ok(_), Err(error)) => Err(error),
            (Err(error), Err(_)) => Err(error.unknown_if_maybe_applied(PROVIDER)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_states_read_as_wechat_pay_defines_them() {
        assert_eq!(payment_status("SUCCESS"), PaymentStatus::Succeeded);
        assert_eq!(payment_status("NOTPAY"), PaymentStatus::Pending);
        assert_eq!(payment_status("USERPAYING"), PaymentStatus::Pending);
        assert_eq!(payment_status("CLOSED"), PaymentStatus::Closed);
        assert_eq!(payment_status("PAYERROR"), PaymentStatus::Failed);
        assert_eq!(payment_status("REFUND"), PaymentStatus::Refunded);
        assert_eq!(payment_status("SOMETHING_NEW"), PaymentStatus::Pending);
    }
}
