//! The unified [`RefundProvider`] over [`WechatPayClient`]. WeChat Pay refunds once per
//! `out_refund_no` and answers a repeat with the refund it holds, so the refund path needs no
//! duplicate look-up; what it checks is that the refund it got back is the one asked for (id,
//! amount, currency). Anything it cannot prove after WeChat Pay may have acted is unknown.

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, Notification, NotificationEvent, Refund,
    RefundLookup, RefundProvider, RefundRequest, RefundStatus, Timestamp,
};
use paybridge_transport::Transport;

use crate::codec::PROVIDER;
use crate::wire::notifications::{RefundResource, WechatPayNotification};
use crate::wire::requests::CreateRefundRequest;
use crate::wire::responses::RefundResponse;
use crate::{WechatPayClient, codes, validate};

fn time(text: Option<&String>) -> Option<Timestamp> {
    text.and_then(|t| Timestamp::parse_rfc3339(t).ok())
}

fn mismatch(field: &'static str, expected: impl ToString, actual: impl ToString) -> Error {
    Error::IntegrityMismatch {
        provider: PROVIDER,
        field,
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// A refund as WeChat Pay reports it, checked against the merchant's id and, where known, the
/// amount and payment.
fn unified_refund(
    answer: &RefundResponse,
    refund_id: &MerchantRefundId,
    expected: Option<Money>,
    payment: Option<&str>,
) -> Result<Refund, Error> {
    if let Some(id) = answer.out_refund_no.as_deref()
        && id != refund_id.as_str()
    {
        return Err(mismatch("out_refund_no", refund_id, id));
    }
    let amounts = answer
        .amount
        .as_ref()
        .ok_or_else(|| Error::malformed(PROVIDER, None, "refund answer without `amount`"))?;
    let refunded = amounts
        .refund
        .ok_or_else(|| Error::malformed(PROVIDER, None, "refund answer without `amount.refund`"))?;
    let currency = match amounts.currency.as_deref() {
        None | Some("CNY") => Currency::Cny,
        Some(other) => return Err(mismatch("amount.currency", "CNY", other)),
    };
    let amount = Money::new(refunded, currency);
    if let Some(expected) = expected
        && expected != amount
    {
        return Err(mismatch("amount.refund", expected, amount));
    }
    // The payment asked for (its transaction_id or out_trade_no) must be one the answer names,
    // whichever of the two it gives.
    if let Some(asked) = payment {
        let named = [
            answer.transaction_id.as_deref(),
            answer.out_trade_no.as_deref(),
        ];
        if named.iter().any(Option::is_some) && !named.contains(&Some(asked)) {
            let said = named.into_iter().flatten().collect::<Vec<_>>().join(" / ");
            return Err(mismatch("transaction_id", asked, said));
        }
    }
    let raw = answer.status.clone();
    let status = raw
        .as_deref()
        .map_or(RefundStatus::Pending, codes::refund_status);
    Ok(Refund {
        provider: PROVIDER.to_owned(),
        payment: answer
            .transaction_id
            .clone()
            .or_else(|| answer.out_trade_no.clone()),
        refund_id: refund_id.clone(),
        provider_refund_id: answer.refund_id.clone(),
        amount,
        status,
        provider_status: raw,
        created_at: time(answer.create_time.as_ref()),
        completed_at: if status.is_final() {
            time(answer.success_time.as_ref())
        } else {
            None
        },
    })
}

fn refund_from_resource(resource: &RefundResource) -> Result<Refund, Error> {
    let malformed = |why: &str| Error::malformed(PROVIDER, None, why.to_owned());
    let id = resource
        .out_refund_no
        .as_deref()
        .ok_or_else(|| malformed("refund notification without `out_refund_no`"))?;
    let refund_id =
        MerchantRefundId::new(id).map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
    let refunded = resource
        .amount
        .as_ref()
        .and_then(|a| a.refund)
        .ok_or_else(|| malformed("refund notification without `amount.refund`"))?;
    let raw = resource.refund_status.clone();
    let status = raw
        .as_deref()
        .map_or(RefundStatus::Pending, codes::refund_status);
    Ok(Refund {
        provider: PROVIDER.to_owned(),
        payment: resource
            .transaction_id
            .clone()
            .or_else(|| resource.out_trade_no.clone()),
        refund_id,
        provider_refund_id: resource.refund_id.clone(),
        amount: Money::new(refunded, Currency::Cny),
        status,
        provider_status: raw,
        created_at: None,
        completed_at: time(resource.success_time.as_ref()),
    })
}

/// The unified form of a verified, decrypted WeChat Pay notification.
///
/// # Errors
/// [`Error::MalformedResponse`] when the refund inside lacks its id or amount.
pub fn unified_notification(notification: &WechatPayNotification) -> Result<Notification, Error> {
    Ok(Notification {
        provider: PROVIDER.to_owned(),
        event_name: Some(notification.event_type.clone()),
        event: NotificationEvent::Refund {
            refund: refund_from_resource(&notification.refund)?,
        },
    })
}

#[async_trait]
impl<T: Transport> RefundProvider for WechatPayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let amount = request.amount();
        if amount.currency != Currency::Cny {
            return Err(Error::invalid(
                "amount",
                format!("WeChat Pay refunds are in CNY, not {}", amount.currency),
            ));
        }
        let refund_id = request.refund_id();
        validate::out_refund_no(refund_id.as_str())?;
        let total = request.total().ok_or_else(|| {
            Error::invalid(
                "total",
                "wechatpay needs the payment's total amount (--total)",
            )
        })?;
        if total.currency != Currency::Cny {
            return Err(Error::invalid(
                "total",
                "the payment's total must be in CNY",
            ));
        }
        // One of the two names the payment ("二选一"): WeChat Pay's own id when there is one.
        let mut body = match (request.payment(), request.order_ref()) {
            (Some(payment), _) => CreateRefundRequest::by_transaction_id(
                payment.as_str(),
                refund_id.as_str(),
                amount.minor,
                total.minor,
            ),
            (None, Some(order)) => CreateRefundRequest::by_out_trade_no(
                order.as_str(),
                refund_id.as_str(),
                amount.minor,
                total.minor,
            ),
            (None, None) => {
                return Err(Error::invalid(
                    "payment",
                    "wechatpay needs the payment's transaction_id (--payment) or out_trade_no (--order-ref)",
                ));
            }
        };
        body.reason = request.reason().map(str::to_owned);
        body.notify_url = request
            .notify_url()
            .map(str::to_owned)
            .or_else(|| self.notify_url.clone());
        let payment = body
            .transaction_id
            .clone()
            .or_else(|| body.out_trade_no.clone());
        match self.create_refund(&body).await {
            // WeChat Pay accepted it: whatever is wrong with its answer now, the refund may
            // exist, so an error from here on is an unknown outcome — never a refusal.
            Ok(answer) => unified_refund(&answer, refund_id, Some(amount), payment.as_deref())
                .map_err(|e| e.unknown_if_maybe_applied(PROVIDER)),
            Err(error) => Err(error.unknown_if_maybe_applied(PROVIDER)),
        }
    }

    async fn refund_status(&self, lookup: &RefundLookup) -> Result<Refund, Error> {
        let answer = match self.query_refund(lookup.refund_id.as_str()).await {
            Ok(answer) => answer,
            Err(Error::Rejected { code, .. }) if code == codes::RESOURCE_NOT_EXISTS => {
                return Err(Error::RefundNotFound {
                    provider: PROVIDER,
                    refund_id: lookup.refund_id.to_string(),
                });
            }
            Err(error) => return Err(error),
        };
        let payment = lookup
            .payment
            .as_ref()
            .map(|p| p.to_string())
            .or_else(|| lookup.order_ref.as_ref().map(|o| o.to_string()));
        unified_refund(
            &answer,
            &lookup.refund_id,
            lookup.amount,
            payment.as_deref(),
        )
    }

    async fn verify_notification(
        &self,
        request: &http::Request<Bytes>,
    ) -> Result<Notification, Error> {
        let notification = self
            .codec()
            .verify_notification(request.headers(), request.body())?;
        // Merchants sharing an APIv3 key would otherwise read each other's news as their own.
        if let Some(mchid) = notification
            .refund
            .mchid
            .as_deref()
            .filter(|m| *m != self.codec().mchid())
        {
            return Err(Error::Verification {
                provider: PROVIDER,
                reason: format!("the notification is for merchant {mchid}, not this one"),
            });
        }
        unified_notification(&notification)
    }

    /// HTTP 204, no body: what WeChat Pay takes as "handled".
    fn notification_ack(&self) -> http::Response<Bytes> {
        let mut response =
            http::Response::new(Bytes::from_static(crate::NOTIFICATION_ACK.as_bytes()));
        *response.status_mut() = http::StatusCode::NO_CONTENT;
        response
    }

    fn verification_settings(&self) -> Option<&'static str> {
        Some("wechatpay_public_key_file and wechatpay_public_key_id, or platform_certificates_dir")
    }
}
