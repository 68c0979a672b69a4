//! The unified [`RefundProvider`] over [`BluePayClient`], with BluePay's retry-safety rules:
//! a repeated `mchRefundOrderId` (21407) is answered by looking the refund up, and an answer that
//! may or may not have been acted on is reported as unknown, never guessed.

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, Notification, NotificationEvent, PaymentUpdate,
    Refund, RefundLookup, RefundProvider, RefundRequest, RefundStatus, Timestamp,
};
use paybridge_transport::Transport;

use crate::codec::{BANGKOK_OFFSET_MINUTES, PROVIDER};
use crate::wire::notifications::NOTIFICATION_ACK;
use crate::wire::notifications::{BluePayNotification, RefundEvent};
use crate::wire::requests::RefundParam;
use crate::wire::responses::{RefundData, RefundPayment};
use crate::{BluePayClient, codes, validate};

fn bangkok_time(text: Option<&String>) -> Option<Timestamp> {
    text.and_then(|t| Timestamp::parse_local(t, BANGKOK_OFFSET_MINUTES).ok())
}

fn thb(minor: Option<i64>, what: &str) -> Result<Money, Error> {
    minor
        .map(|m| Money::new(m, Currency::Thb))
        .ok_or_else(|| Error::malformed(PROVIDER, None, format!("{what} without `refundAmount`")))
}

/// A refund as *get refund payments* reports it.
fn refund_from_payment(
    payment: &RefundPayment,
    refund_id: &MerchantRefundId,
) -> Result<Refund, Error> {
    let raw = payment.refund_status.clone();
    let status = raw
        .as_deref()
        .map_or(RefundStatus::Pending, codes::refund_status);
    Ok(Refund {
        provider: PROVIDER.to_owned(),
        payment: payment.original_transaction_id.clone(),
        refund_id: refund_id.clone(),
        provider_refund_id: payment.refund_transaction_id.clone(),
        amount: thb(payment.refund_amount, "refund record")?,
        status,
        provider_status: raw,
        created_at: bangkok_time(payment.refund_create_time.as_ref()),
        completed_at: if status.is_final() {
            bangkok_time(payment.refund_return_time.as_ref())
        } else {
            None
        },
    })
}

/// Checks a refund BluePay reports against what was asked: same payment, same amount.
fn check_integrity(refund: &Refund, payment: &str, amount: Money) -> Result<(), Error> {
    if refund.amount != amount {
        return Err(Error::IntegrityMismatch {
            provider: PROVIDER,
            field: "refundAmount",
            expected: amount.to_string(),
            actual: refund.amount.to_string(),
        });
    }
    if refund.payment.as_deref().is_some_and(|p| p != payment) {
        return Err(Error::IntegrityMismatch {
            provider: PROVIDER,
            field: "originalTransactionId",
            expected: payment.to_owned(),
            actual: refund.payment.clone().unwrap_or_default(),
        });
    }
    Ok(())
}

fn refund_from_event(event: &RefundEvent) -> Result<Refund, Error> {
    let id = event.mch_refund_order_id.as_deref().ok_or_else(|| {
        Error::malformed(
            PROVIDER,
            None,
            "refund notification without `mchRefundOrderId`",
        )
    })?;
    let refund_id =
        MerchantRefundId::new(id).map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
    let raw = event.refund_status.clone();
    let status = match raw.as_deref() {
        Some(value) => codes::refund_status(value),
        None => codes::refund_status_from_event(&event.event_name).unwrap_or(RefundStatus::Pending),
    };
    Ok(Refund {
        provider: PROVIDER.to_owned(),
        payment: event.original_transaction_id.clone(),
        refund_id,
        provider_refund_id: event.refund_transaction_id.clone(),
        amount: thb(event.refund_amount, "refund notification")?,
        status,
        provider_status: raw.or_else(|| Some(event.event_name.clone())),
        created_at: bangkok_time(event.refund_create_time.as_ref()),
        completed_at: bangkok_time(event.refund_return_time.as_ref()),
    })
}

/// The unified form of a verified BluePay notification.
///
/// # Errors
/// [`Error::MalformedResponse`] when the notification holds a currency or value paybridge
/// cannot read.
pub fn unified_notification(notification: &BluePayNotification) -> Result<Notification, Error> {
    let payment_update = |transaction_id: &Option<String>,
                          order: &Option<String>,
                          amount: Option<i64>,
                          raw: &Option<String>| PaymentUpdate {
        payment: transaction_id.clone(),
        order_ref: order.clone(),
        amount: amount.map(|a| Money::new(a, Currency::Thb)),
        status: raw.as_deref().map_or(
            paybridge_core::PaymentStatus::Pending,
            codes::payment_status,
        ),
        provider_status: raw.clone(),
    };
    let event = match notification {
        BluePayNotification::Refund(e) => NotificationEvent::Refund {
            refund: refund_from_event(e)?,
        },
        BluePayNotification::QrPayment(e) => NotificationEvent::Payment {
            payment: payment_update(
                &e.transaction_id,
                &e.mch_order_id,
                e.amount,
                &e.transaction_status,
            ),
        },
        BluePayNotification::WebPay(e) => NotificationEvent::Payment {
            payment: payment_update(
                &e.detail.transaction_id,
                &e.detail.mch_order_id,
                e.detail.amount,
                &e.detail.transaction_status,
            ),
        },
        BluePayNotification::Payout(e) => NotificationEvent::Payout {
            payout: payment_update(
                &e.detail.transaction_id,
                &e.detail.mch_order_id,
                e.detail.amount,
                &e.detail.transaction_status,
            ),
        },
        // Signed but unknown to us: acknowledged, and handed over as BluePay sent it.
        BluePayNotification::Other { param, .. } => NotificationEvent::Unrecognized {
            raw: param.to_string(),
        },
    };
    Ok(Notification {
        provider: PROVIDER.to_owned(),
        event_name: Some(notification.event_name().to_owned()),
        event,
    })
}

impl<T: Transport> BluePayClient<T> {
    /// The refund with merchant id `refund_id` on payment `payment`, if BluePay has it.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn find_refund(
        &self,
        payment: &str,
        refund_id: &MerchantRefundId,
    ) -> Result<Option<Refund>, Error> {
        let refunds = self.refund_payments(payment).await?;
        refunds
            .iter()
            .find(|r| r.mch_refund_order_id.as_deref() == Some(refund_id.as_str()))
            .map(|r| refund_from_payment(r, refund_id))
            .transpose()
    }

    fn refund_from_data(
        &self,
        data: &RefundData,
        payment: &str,
        refund_id: &MerchantRefundId,
    ) -> Result<Refund, Error> {
        if data
            .mch_refund_order_id
            .as_deref()
            .is_some_and(|id| id != refund_id.as_str())
        {
            return Err(Error::IntegrityMismatch {
                provider: PROVIDER,
                field: "mchRefundOrderId",
                expected: refund_id.to_string(),
                actual: data.mch_refund_order_id.clone().unwrap_or_default(),
            });
        }
        let raw = data.refund_status.clone();
        let status = raw
            .as_deref()
            .map_or(RefundStatus::Pending, codes::refund_status);
        Ok(Refund {
            provider: PROVIDER.to_owned(),
            payment: Some(payment.to_owned()),
            refund_id: refund_id.clone(),
            provider_refund_id: data.refund_transaction_id.clone(),
            amount: thb(data.refund_amount, "refund answer")?,
            status,
            provider_status: raw,
            created_at: bangkok_time(data.refund_create_time.as_ref()),
            completed_at: None,
        })
    }
}

#[async_trait]
impl<T: Transport> RefundProvider for BluePayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let amount = request.amount();
        validate::thb_amount("amount", amount)?;
        let payment = request.payment().ok_or_else(|| {
            Error::invalid(
                "payment",
                "bluepay needs the payment's originalTransactionId (--payment)",
            )
        })?;
        let refund_id = request.refund_id();
        validate::order_id("refund_id", refund_id.as_str())?;
        let callback = request
            .notify_url()
            .map(str::to_owned)
            .or_else(|| self.refund_callback_url.clone())
            .ok_or_else(|| {
                Error::invalid(
                    "notify_url",
                    "bluepay needs a refundCallbackUrl: pass one or configure a default",
                )
            })?;
        let param = RefundParam {
            original_transaction_id: payment.to_string(),
            mch_refund_order_id: refund_id.to_string(),
            refund_amount: amount.minor,
            refund_reason: request.reason().map(str::to_owned),
            refund_callback_url: callback,
        };
        match self.create_refund(param).await {
            // BluePay accepted it: whatever is wrong with its answer, the refund may exist, so
            // an error from here on is an unknown outcome — never a refusal.
            Ok(data) => self
                .refund_from_data(&data, payment.as_str(), refund_id)
                .and_then(|refund| {
                    check_integrity(&refund, payment.as_str(), amount)?;
                    Ok(refund)
                })
                .map_err(|e| e.unknown_if_maybe_applied(PROVIDER)),
            Err(Error::Rejected { code, message, .. }) if code == codes::DUPLICATE_REFUND_ID => {
                // The id was used before — by an earlier attempt of this very refund, typically.
                // Return that refund if it is this one; never make a second. If the look-up
                // fails, BluePay still said the id holds a refund: the outcome is unknown.
                match self.find_refund(payment.as_str(), refund_id).await {
                    Ok(Some(existing)) => {
                        check_integrity(&existing, payment.as_str(), amount)?;
                        Ok(existing)
                    }
                    Err(lookup) => Err(Error::OutcomeUnknown {
                        provider: PROVIDER,
                        reason: format!(
                            "code {code} ({message}), and the look-up that would tell failed: {lookup}"
                        ),
                    }),
                    // The id holds a refund the payment's list does not show (yet): it may be
                    // ours, applied by an earlier attempt and not listed yet, so this proves
                    // nothing either way.
                    Ok(None) => Err(Error::OutcomeUnknown {
                        provider: PROVIDER,
                        reason: format!(
                            "code {code} ({message}): mchRefundOrderId {refund_id} holds a refund, \
                             but payment {payment}'s refunds do not list it"
                        ),
                    }),
                }
            }
            Err(Error::Rejected { code, message, .. }) if code == codes::REFUND_PROCESSING => {
                // "Refund processing" is how BluePay answers a repeat of a pending refund — or a
                // new refund while another of the payment is pending. The payment's refunds say
                // which: ours is returned as it stands; if it is not there, nothing was applied
                // and the same id may be sent again once the other refund settles.
                match self.find_refund(payment.as_str(), refund_id).await {
                    Ok(Some(existing)) => {
                        check_integrity(&existing, payment.as_str(), amount)
                            .map_err(|e| e.unknown_if_maybe_applied(PROVIDER))?;
                        Ok(existing)
                    }
                    Ok(None) => Err(Error::Rejected {
                        provider: PROVIDER,
                        code,
                        message: format!(
                            "{message}: another refund of payment {payment} is pending; {refund_id} is not among its refunds"
                        ),
                        class: paybridge_core::RejectionClass::Retryable,
                    }),
                    Err(lookup) => Err(Error::OutcomeUnknown {
                        provider: PROVIDER,
                        reason: format!(
                            "code {code} ({message}), and the look-up that would tell failed: {lookup}"
                        ),
                    }),
                }
            }
            Err(error) => Err(error.unknown_if_maybe_applied(PROVIDER)),
        }
    }

    async fn refund_status(&self, lookup: &RefundLookup) -> Result<Refund, Error> {
        let payment = lookup.payment.as_ref().ok_or_else(|| {
            Error::invalid(
                "payment",
                "bluepay looks refunds up by the payment's originalTransactionId (--payment)",
            )
        })?;
        let refund = self
            .find_refund(payment.as_str(), &lookup.refund_id)
            .await?
            .ok_or_else(|| Error::RefundNotFound {
                provider: PROVIDER,
                refund_id: lookup.refund_id.to_string(),
            })?;
        if let Some(amount) = lookup.amount {
            check_integrity(&refund, payment.as_str(), amount)?;
        }
        Ok(refund)
    }

    async fn verify_notification(
        &self,
        request: &http::Request<Bytes>,
    ) -> Result<Notification, Error> {
        let notification = self.codec().verify_notification(request.body())?;
        unified_notification(&notification)
    }

    fn notification_ack(&self) -> http::Response<Bytes> {
        paybridge_core::notification_ack(NOTIFICATION_ACK, "application/json")
    }

    fn verification_settings(&self) -> Option<&'static str> {
        Some("platform_public_key_file (BluePay's platform public key)")
    }
}
