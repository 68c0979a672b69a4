//! The unified [`RefundProvider`] over [`ScanForPayClient`].
//!
//! ScanForPay has no refund query. `refund_status` answers from *payment query* only where that
//! proves something about this refund: an unpaid or failed payment has none. Any other status —
//! 3 (refunded) included — names no particular refund (a refund made in the portal or by another
//! system reads the same), so it says plainly that it cannot know. The way to learn a refund's
//! outcome is to send it again with the same `refundNo` (idempotent by the provider's rules),
//! which the facade's reliable refund and the batch do.

use async_trait::async_trait;
use paybridge_core::{Currency, Money, NotificationEvent, PaymentUpdate};

use crate::wire::notifications::PaymentNotification;
use bytes::Bytes;
use paybridge_core::{
    Error, Notification, Refund, RefundLookup, RefundProvider, RefundRequest, RefundStatus,
    Timestamp,
};
use paybridge_transport::Transport;

use crate::codec::PROVIDER;
use crate::wire::notifications::NOTIFICATION_ACK;
use crate::wire::requests::RefundBody;
use crate::wire::responses::{RefundResponse, ResponseValue};
use crate::{ScanForPayClient, codes, validate};

fn response_time(value: &ResponseValue<impl Sized>) -> Option<Timestamp> {
    value
        .header
        .resp_time
        .as_deref()
        .and_then(|t| Timestamp::parse_rfc3339(t).ok())
}

/// The unified refund from ScanForPay's refund answer, checked against the request.
fn unified_refund(
    value: &ResponseValue<RefundResponse>,
    request: &RefundRequest,
    payment: &str,
) -> Result<Refund, Error> {
    let amount = request.amount();
    let answer = &value.body;
    let refunded = answer
        .order_amount
        .ok_or_else(|| Error::malformed(PROVIDER, None, "refund answer without `orderAmount`"))?;
    if refunded != amount.minor {
        return Err(Error::IntegrityMismatch {
            provider: PROVIDER,
            field: "orderAmount",
            expected: amount.minor.to_string(),
            actual: refunded.to_string(),
        });
    }
    if let Some(currency) = answer
        .currency
        .as_deref()
        .filter(|c| *c != amount.currency.code())
    {
        return Err(Error::IntegrityMismatch {
            provider: PROVIDER,
            field: "currency",
            expected: amount.currency.code().to_owned(),
            actual: currency.to_owned(),
        });
    }
    if let Some(echoed) = answer
        .refund_no
        .as_deref()
        .filter(|n| *n != request.refund_id().as_str())
    {
        return Err(Error::IntegrityMismatch {
            provider: PROVIDER,
            field: "refundNo",
            expected: request.refund_id().to_string(),
            actual: echoed.to_owned(),
        });
    }
    let raw = answer.status;
    let status = raw.map_or(RefundStatus::Pending, codes::refund_status);
    let at = response_time(value);
    Ok(Refund {
        provider: PROVIDER.to_owned(),
        payment: Some(payment.to_owned()),
        refund_id: request.refund_id().clone(),
        provider_refund_id: answer.refund_no.clone(),
        amount,
        status,
        provider_status: raw.map(|s| s.to_string()),
        created_at: at,
        completed_at: if status.is_final() { at } else { None },
    })
}

#[async_trait]
impl<T: Transport> RefundProvider for ScanForPayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let amount = request.amount();
        // ScanForPay's payment reference is the merchant's own order number (partnerOrderNo).
        let payment = request
            .payment()
            .map(|p| p.as_str())
            .or_else(|| request.order_ref().map(|o| o.as_str()))
            .ok_or_else(|| {
                Error::invalid(
                    "payment",
                    "scanforpay needs the payment's partnerOrderNo (--payment or --order-ref)",
                )
            })?;
        validate::field("refund_id", request.refund_id().as_str(), 32)?;
        validate::field("payment", payment, 32)?;
        let body = RefundBody {
            partner_order_no: payment.to_string(),
            refund_no: request.refund_id().to_string(),
            order_amount: amount.minor,
            operator_id: None,
            terminal_no: None,
        };
        let value = match self.create_refund(&body).await {
            Ok(value) => value,
            Err(Error::Rejected { code, message, .. }) if code == codes::DUPLICATE_ORDER => {
                return Err(Error::Rejected {
                    provider: PROVIDER,
                    code,
                    message: format!(
                        "refundNo {} already holds another refund than this one ({amount} on \
                         {payment}); ScanForPay does not say which: {message}",
                        request.refund_id()
                    ),
                    class: paybridge_core::RejectionClass::Duplicate,
                });
            }
            Err(error) => return Err(error.unknown_if_maybe_applied(PROVIDER)),
        };
        // ScanForPay accepted the refund: whatever is wrong with its answer now, the refund may
        // exist, so it is an unknown outcome — never a refusal.
        unified_refund(&value, request, payment).map_err(|e| e.unknown_if_maybe_applied(PROVIDER))
    }

    async fn refund_status(&self, lookup: &RefundLookup) -> Result<Refund, Error> {
        let payment = lookup
            .payment
            .as_ref()
            .map(|p| p.as_str())
            .or_else(|| lookup.order_ref.as_ref().map(|o| o.as_str()))
            .ok_or_else(|| {
                Error::invalid(
                    "payment",
                    "scanforpay reconciles refunds through the payment's partnerOrderNo (--payment or --order-ref)",
                )
            })?;
        let value = self.pay_query(payment).await?;
        let body = &value.body;
        let cannot_know = |why: String| Error::OutcomeUnknown {
            provider: PROVIDER,
            reason: format!(
                "ScanForPay has no refund query and {why}; send the refund again with the same refundNo \
                 ({}) to learn its outcome",
                lookup.refund_id
            ),
        };
        if let Some(answered) = body.partner_order_no.as_deref().filter(|p| *p != payment) {
            return Err(Error::IntegrityMismatch {
                provider: PROVIDER,
                field: "partnerOrderNo",
                expected: payment.to_string(),
                actual: answered.to_owned(),
            });
        }
        match body.status {
            // Never paid, or failed: no refund can exist.
            Some(0 | 2) => Err(Error::RefundNotFound {
                provider: PROVIDER,
                refund_id: lookup.refund_id.to_string(),
            }),
            // Refunded — by which refund? A refund made elsewhere (the portal, another system)
            // reads the same, so this names no particular refund and settles none.
            Some(3) => Err(cannot_know(format!(
                "payment {payment} shows status 3 (refunded), which names no particular refund: \
                 one made elsewhere reads the same"
            ))),
            Some(other) => Err(cannot_know(format!(
                "payment {payment} shows status {other}, which says nothing about this refund"
            ))),
            None => Err(Error::malformed(
                PROVIDER,
                None,
                "payment query answer without `status`",
            )),
        }
    }

    async fn verify_notification(
        &self,
        request: &http::Request<Bytes>,
    ) -> Result<Notification, Error> {
        let value = self.codec().verify_notification(request.body())?;
        unified_notification(&value)
    }

    fn notification_ack(&self) -> http::Response<Bytes> {
        paybridge_core::notification_ack(NOTIFICATION_ACK, "text/plain")
    }

    fn verification_settings(&self) -> Option<&'static str> {
        Some("sign_key_file or sign_key_env (the SHA-256 sign key)")
    }
}

/// The unified form of a verified payment notification.
///
/// # Errors
/// [`Error::MalformedResponse`] when the notification holds a currency or value paybridge
/// cannot read.
pub fn unified_notification(value: &PaymentNotification) -> Result<Notification, Error> {
    let body = &value.body;
    let amount = match (body.order_amount, body.currency.as_deref()) {
        (Some(minor), Some(code)) => Some(Money::new(
            minor,
            Currency::from_code(code)
                .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?,
        )),
        _ => None,
    };
    let raw = body.status;
    Ok(Notification {
        provider: PROVIDER.to_owned(),
        event_name: None,
        event: NotificationEvent::Payment {
            payment: PaymentUpdate {
                payment: body
                    .partner_order_no
                    .clone()
                    .or_else(|| body.order_no.clone()),
                order_ref: body.partner_order_no.clone(),
                amount,
                status: raw.map_or(
                    paybridge_core::PaymentStatus::Pending,
                    codes::payment_status,
                ),
                provider_status: raw.map(|s| s.to_string()),
            },
        },
    })
}
