//! The unified [`RefundProvider`] over [`NomadClient`]. The broker signs nothing, so a
//! notification is only a hint: the verified news comes from a query refund made on its ids.

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, Notification, NotificationEvent, Refund,
    RefundLookup, RefundProvider, RefundRequest, RefundStatus, Timestamp,
};
use paybridge_transport::Transport;

use crate::NomadClient;
use crate::codec::PROVIDER;
use crate::codes::refund_status;
use crate::wire::notifications::{Hint, NOTIFICATION_ACK};
use crate::wire::requests::{CreateRefundRequest, QueryRefund};
use crate::wire::responses::RefundResponse;

/// A refund answer in the unified model, checked against the id (and amount) asked about.
fn unified(
    response: &RefundResponse,
    refund_id: &MerchantRefundId,
    expected: Option<Money>,
) -> Result<Refund, Error> {
    // An answer that does not name our refund names nothing: `{}` or an error object sent with
    // HTTP 200 must not read as a refund.
    match response.refund_order_ref.as_deref() {
        None => {
            return Err(Error::malformed(
                PROVIDER,
                None,
                "refund answer without `refundOrderRef`",
            ));
        }
        Some(echoed) if echoed != refund_id.as_str() => {
            return Err(Error::IntegrityMismatch {
                provider: PROVIDER,
                field: "refundOrderRef",
                expected: refund_id.to_string(),
                actual: echoed.to_owned(),
            });
        }
        Some(_) => {}
    }
    if let Some(currency) = response.currency.as_deref().filter(|c| *c != "CNY") {
        return Err(Error::IntegrityMismatch {
            provider: PROVIDER,
            field: "currency",
            expected: "CNY".into(),
            actual: currency.to_owned(),
        });
    }
    // (decided) The broker sometimes answers 200 with null amounts. The refund is the one under
    // our refund number (checked above), which the broker refunds at most once, so a missing
    // amount is not a contradiction: it is taken to be the amount we asked for. Only when we
    // know no amount either is the answer unusable.
    let amount = match (response.refund_amount, expected) {
        (Some(minor), _) => Money::new(minor, Currency::Cny),
        (None, Some(expected)) => expected,
        (None, None) => {
            return Err(Error::malformed(
                PROVIDER,
                None,
                "refund answer without `refundAmount`",
            ));
        }
    };
    if let Some(expected) = expected.filter(|e| *e != amount) {
        return Err(Error::IntegrityMismatch {
            provider: PROVIDER,
            field: "refundAmount",
            expected: expected.to_string(),
            actual: amount.to_string(),
        });
    }
    let raw = response.status.clone();
    let status = raw.as_deref().map_or(RefundStatus::Pending, refund_status);
    let time = |t: &Option<String>| t.as_deref().and_then(|t| Timestamp::parse_rfc3339(t).ok());
    Ok(Refund {
        provider: PROVIDER.to_owned(),
        payment: response
            .transaction_id
            .clone()
            .or_else(|| response.order_ref.clone()),
        refund_id: refund_id.clone(),
        provider_refund_id: response.refund_id.clone(),
        amount,
        status,
        provider_status: raw,
        created_at: time(&response.create_time),
        completed_at: if status.is_final() {
            time(&response.success_time)
        } else {
            None
        },
    })
}

/// The answer's payment must be the one asked about, where both sides name it: a refund id
/// reused on another payment holds another refund.
fn same_payment(
    response: &RefundResponse,
    transaction_id: Option<&str>,
    order_ref: Option<&str>,
) -> Result<(), Error> {
    for (field, asked, answered) in [
        (
            "transactionId",
            transaction_id,
            response.transaction_id.as_deref(),
        ),
        ("orderRef", order_ref, response.order_ref.as_deref()),
    ] {
        if let (Some(asked), Some(answered)) = (asked, answered)
            && asked != answered
        {
            return Err(Error::IntegrityMismatch {
                provider: PROVIDER,
                field,
                expected: asked.to_owned(),
                actual: answered.to_owned(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl<T: Transport> RefundProvider for NomadClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let amount = request.amount();
        if amount.currency != Currency::Cny {
            return Err(Error::invalid(
                "currency",
                format!("nomad refunds are in CNY, got {}", amount.currency),
            ));
        }
        let order_ref = request.order_ref().ok_or_else(|| {
            Error::invalid(
                "order_ref",
                "nomad needs the payment's orderRef (--order-ref)",
            )
        })?;
        // The broker wants the payment's total; without --total it is read from the payment
        // itself (a look-up, which applies nothing).
        let total = match request.total() {
            Some(total) => total,
            None => {
                let lookup = paybridge_core::PaymentLookup::new(order_ref.clone());
                paybridge_core::PaymentProvider::payment_status(self, &lookup)
                    .await
                    .map_err(|e| {
                        Error::invalid(
                            "total",
                            format!(
                                "nomad needs the payment's totalAmount (--total), and looking the \
                                 payment up for it failed: {}",
                                e.summary()
                            ),
                        )
                    })?
                    .amount
            }
        };
        let body = CreateRefundRequest {
            payment_method: self.payment_method.clone(),
            transaction_id: request.payment().map(ToString::to_string),
            order_ref: order_ref.to_string(),
            refund_order_ref: request.refund_id().to_string(),
            reason: request.reason().map(str::to_owned),
            refund_amount: amount.minor,
            total_amount: total.minor,
            currency: Some("CNY".to_owned()),
            notify_url: request
                .notify_url()
                .map(str::to_owned)
                .or_else(|| self.notify_url.clone()),
            refund_account: None,
            funds_account: None,
        };
        match self.create_refund(&body).await {
            // The broker accepted it: whatever is wrong with its answer, the refund may exist,
            // so an error from here on is an unknown outcome — never a refusal.
            Ok(response) => unified(&response, request.refund_id(), Some(amount))
                .and_then(|refund| {
                    same_payment(
                        &response,
                        request.payment().map(ToString::to_string).as_deref(),
                        Some(order_ref.as_str()),
                    )?;
                    Ok(refund)
                })
                .map_err(|e| e.unknown_if_maybe_applied(PROVIDER)),
            Err(error) => Err(error.unknown_if_maybe_applied(PROVIDER)),
        }
    }

    async fn refund_status(&self, lookup: &RefundLookup) -> Result<Refund, Error> {
        let query = QueryRefund {
            refund_order_ref: lookup.refund_id.to_string(),
            order_ref: lookup.order_ref.as_ref().map(ToString::to_string),
            refund_id: None,
            payment_method: self.payment_method.clone(),
        };
        match self.query_refund(&query).await {
            Ok(response) => {
                let refund = unified(&response, &lookup.refund_id, lookup.amount)?;
                same_payment(
                    &response,
                    lookup.payment.as_ref().map(ToString::to_string).as_deref(),
                    lookup
                        .order_ref
                        .as_ref()
                        .map(ToString::to_string)
                        .as_deref(),
                )?;
                Ok(refund)
            }
            // (decided) The broker documents no "not found" answer; a 404 to a query is one.
            Err(Error::Rejected { code, .. }) if code == "404" => Err(Error::RefundNotFound {
                provider: PROVIDER,
                refund_id: lookup.refund_id.to_string(),
            }),
            Err(error) => Err(error),
        }
    }

    /// The body is never trusted: its refund number (or, for a payment's news, its order
    /// reference) is used to query the broker, and the answer to that query is the
    /// notification.
    async fn verify_notification(
        &self,
        request: &http::Request<Bytes>,
    ) -> Result<Notification, Error> {
        let hint: Hint = serde_json::from_slice(request.body()).map_err(|e| {
            Error::malformed(PROVIDER, None, format!("notification is not JSON: {e}"))
        })?;
        let Some(refund_order_ref) = hint.refund_order_ref else {
            // A payment's news: confirmed by query payment on its order reference.
            let order_ref = hint.order_ref.ok_or_else(|| {
                Error::malformed(
                    PROVIDER,
                    None,
                    "notification names no refundOrderRef or orderRef",
                )
            })?;
            let order_ref = paybridge_core::OrderRef::new(order_ref)
                .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
            let payment = paybridge_core::PaymentProvider::payment_status(
                self,
                &paybridge_core::PaymentLookup::new(order_ref),
            )
            .await?;
            return Ok(Notification {
                provider: PROVIDER.to_owned(),
                event_name: payment.provider_status.clone(),
                event: NotificationEvent::Payment {
                    payment: paybridge_core::PaymentUpdate {
                        payment: payment.payment,
                        order_ref: Some(payment.order_ref.into_string()),
                        amount: Some(payment.amount),
                        status: payment.status,
                        provider_status: payment.provider_status,
                    },
                },
            });
        };
        let refund_id = MerchantRefundId::new(refund_order_ref)
            .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
        let order_ref = hint
            .order_ref
            .and_then(|o| paybridge_core::OrderRef::new(o).ok());
        let lookup = RefundLookup {
            refund_id,
            payment: None,
            order_ref,
            amount: None,
        };
        let refund = self.refund_status(&lookup).await?;
        Ok(Notification {
            provider: PROVIDER.to_owned(),
            event_name: refund.provider_status.clone(),
            event: NotificationEvent::Refund { refund },
        })
    }

    fn notification_ack(&self) -> http::Response<Bytes> {
        paybridge_core::notification_ack(NOTIFICATION_ACK, "application/json")
    }
}
