//! The unified [`RefundProvider`] over [`AlipayClient`]. Every refund carries the merchant's
//! refund id as `out_request_no`; a repeat of it moves no money and says so with
//! `fund_change: "N"`, which is answered by looking the refund up — it is returned if it is this
//! refund, and never counted twice. `refund_fee` (everything refunded on the trade) is checked
//! against the refund. Alipay's notifications name the refund only by `out_biz_no`, so the
//! provider confirms one by a query before handing it over.

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, Notification, NotificationEvent, PaymentStatus,
    PaymentUpdate, Refund, RefundLookup, RefundProvider, RefundRequest, RefundStatus, Timestamp,
};
use paybridge_transport::Transport;

use crate::codec::{PROVIDER, SHANGHAI_OFFSET_MINUTES};
use crate::wire::notifications::{AlipayNotification, NOTIFICATION_ACK};
use crate::wire::requests::{TradeRefund, TradeRefundQuery};
use crate::wire::responses::{RefundQueryResponse, TradeRefundResponse};
use crate::{AlipayClient, codes, validate};

/// A yuan amount as Alipay writes it, read exactly into fen.
fn yuan(text: Option<&str>, field: &str) -> Result<Money, Error> {
    let text =
        text.ok_or_else(|| Error::malformed(PROVIDER, None, format!("reply without `{field}`")))?;
    Money::parse(text, Currency::Cny)
        .map_err(|e| Error::malformed(PROVIDER, None, format!("`{field}` {text:?}: {e}")))
}

fn beijing_time(text: Option<&String>) -> Option<Timestamp> {
    text.and_then(|t| Timestamp::parse_local(t, SHANGHAI_OFFSET_MINUTES).ok())
}

fn mismatch(field: &'static str, expected: impl ToString, actual: impl ToString) -> Error {
    Error::IntegrityMismatch {
        provider: PROVIDER,
        field,
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// The trade a look-up names: Alipay's `trade_no` (the payment) or the merchant's
/// `out_trade_no` (the order ref).
fn query_for(lookup: &RefundLookup) -> Result<TradeRefundQuery, Error> {
    let id = lookup.refund_id.as_str();
    match (&lookup.payment, &lookup.order_ref) {
        (Some(payment), _) => Ok(TradeRefundQuery::by_trade_no(payment.as_str(), id)),
        (None, Some(order)) => Ok(TradeRefundQuery::by_out_trade_no(order.as_str(), id)),
        (None, None) => Err(Error::invalid(
            "payment",
            "alipay looks refunds up within their trade: give its trade_no (--payment) or out_trade_no (--order-ref)",
        )),
    }
}

/// A refund as the refund query reports it (`None`: the query does not show it).
fn refund_from_query(
    reply: &RefundQueryResponse,
    lookup: &RefundLookup,
) -> Result<Option<Refund>, Error> {
    let Some(raw) = reply.refund_status.clone() else {
        return Ok(None);
    };
    if let Some(id) = reply.out_request_no.as_deref()
        && id != lookup.refund_id.as_str()
    {
        return Err(mismatch("out_request_no", &lookup.refund_id, id));
    }
    // `out_request_no` is unique within a trade only: the answer must be about this one.
    if let (Some(asked), Some(answered)) = (lookup.payment.as_ref(), reply.trade_no.as_deref())
        && asked.as_str() != answered
    {
        return Err(mismatch("trade_no", asked, answered));
    }
    if let (Some(asked), Some(answered)) =
        (lookup.order_ref.as_ref(), reply.out_trade_no.as_deref())
        && asked.as_str() != answered
    {
        return Err(mismatch("out_trade_no", asked, answered));
    }
    let amount = yuan(reply.refund_amount.as_deref(), "refund_amount")?;
    if let Some(expected) = lookup.amount
        && expected != amount
    {
        return Err(mismatch("refund_amount", expected, amount));
    }
    let status = codes::refund_status(&raw);
    Ok(Some(Refund {
        provider: PROVIDER.to_owned(),
        payment: reply
            .trade_no
            .clone()
            .or_else(|| reply.out_trade_no.clone()),
        refund_id: lookup.refund_id.clone(),
        provider_refund_id: None,
        amount,
        status,
        provider_status: Some(raw),
        created_at: None,
        completed_at: if status.is_final() {
            beijing_time(reply.gmt_refund_pay.as_ref())
        } else {
            None
        },
    }))
}

/// The unified form of a verified notification, from its own fields: a trade's state (with its
/// total). The provider's [`RefundProvider::verify_notification`] goes further for a refund's
/// notification and confirms the refund by a query.
///
/// # Errors
/// [`Error::MalformedResponse`] when an amount is not a yuan amount.
pub fn unified_notification(notification: &AlipayNotification) -> Result<Notification, Error> {
    let raw = notification.trade_status().map(str::to_owned);
    let status = match raw.as_deref() {
        Some("TRADE_SUCCESS" | "TRADE_FINISHED") if notification.get("refund_fee").is_some() => {
            PaymentStatus::Refunded
        }
        Some("TRADE_SUCCESS" | "TRADE_FINISHED") => PaymentStatus::Succeeded,
        Some("TRADE_CLOSED") if notification.get("refund_fee").is_some() => PaymentStatus::Refunded,
        Some("TRADE_CLOSED") => PaymentStatus::Failed,
        _ => PaymentStatus::Pending,
    };
    let amount = notification
        .get("total_amount")
        .map(|t| yuan(Some(t), "total_amount"))
        .transpose()?;
    Ok(Notification {
        provider: PROVIDER.to_owned(),
        event_name: notification.notify_type().map(str::to_owned),
        event: NotificationEvent::Payment {
            payment: PaymentUpdate {
                payment: notification.get("trade_no").map(str::to_owned),
                order_ref: notification.get("out_trade_no").map(str::to_owned),
                amount,
                status,
                provider_status: raw,
            },
        },
    })
}

impl<T: Transport> AlipayClient<T> {
    /// What a successful `alipay.trade.refund` reply says about the refund asked for.
    async fn settle_reply(
        &self,
        reply: &TradeRefundResponse,
        request: &RefundRequest,
    ) -> Result<Refund, Error> {
        let amount = request.amount();
        let refunded_on_trade = yuan(reply.refund_fee.as_deref(), "refund_fee")?;
        if refunded_on_trade.minor < amount.minor {
            return Err(mismatch(
                "refund_fee",
                format!("at least {amount}"),
                refunded_on_trade,
            ));
        }
        if let Some(total) = request.total()
            && refunded_on_trade.minor > total.minor
        {
            return Err(mismatch(
                "refund_fee",
                format!("at most {total}"),
                refunded_on_trade,
            ));
        }
        match reply.fund_change.as_deref() {
            Some("Y") => Ok(Refund {
                provider: PROVIDER.to_owned(),
                payment: reply
                    .trade_no
                    .clone()
                    .or_else(|| reply.out_trade_no.clone()),
                refund_id: request.refund_id().clone(),
                provider_refund_id: None,
                amount,
                // Alipay refunds synchronously: `10000` with money moved is a refund made.
                status: RefundStatus::Succeeded,
                provider_status: Some("fund_change Y".into()),
                created_at: None,
                completed_at: None,
            }),
            // A repeat of an out_request_no already refunded: the refund exists and is not
            // new. It is looked up — returned if it is this refund — and never counted twice.
            Some("N") => {
                let lookup = RefundLookup::from(request);
                match self.refund_status(&lookup).await {
                    Ok(refund) => Ok(refund),
                    Err(Error::RefundNotFound { .. }) => Err(Error::OutcomeUnknown {
                        provider: PROVIDER,
                        reason: format!(
                            "Alipay answered fund_change N (out_request_no {} was refunded before), \
                             but its refund query does not show the refund yet",
                            request.refund_id()
                        ),
                    }),
                    Err(error) => Err(Error::OutcomeUnknown {
                        provider: PROVIDER,
                        reason: format!(
                            "Alipay answered fund_change N, and the look-up that would tell failed: {error}"
                        ),
                    }),
                }
            }
            other => Err(Error::malformed(
                PROVIDER,
                None,
                format!("refund reply with fund_change {other:?}"),
            )),
        }
    }
}

#[async_trait]
impl<T: Transport> RefundProvider for AlipayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let amount = request.amount();
        if amount.currency != Currency::Cny {
            return Err(Error::invalid(
                "amount",
                format!("Alipay refunds are in CNY, not {}", amount.currency),
            ));
        }
        let refund_id = request.refund_id();
        validate::field("out_request_no", refund_id.as_str(), 64)?;
        let yuan_amount = amount.to_decimal_string();
        let mut body = match (request.payment(), request.order_ref()) {
            (Some(payment), _) => {
                TradeRefund::by_trade_no(payment.as_str(), refund_id.as_str(), yuan_amount)
            }
            (None, Some(order)) => {
                TradeRefund::by_out_trade_no(order.as_str(), refund_id.as_str(), yuan_amount)
            }
            (None, None) => {
                return Err(Error::invalid(
                    "payment",
                    "alipay needs the trade: its trade_no (--payment) or out_trade_no (--order-ref)",
                ));
            }
        };
        body.refund_reason = request.reason().map(str::to_owned);
        body.notify_url = request
            .notify_url()
            .map(str::to_owned)
            .or_else(|| self.notify_url.clone());
        match self.trade_refund(&body).await {
            // Alipay accepted it: whatever is wrong with its reply, the refund may exist, so an
            // error from here on is an unknown outcome — never a refusal.
            Ok(reply) => self
                .settle_reply(&reply, request)
                .await
                .map_err(|e| e.unknown_if_maybe_applied(PROVIDER)),
            Err(Error::Rejected { code, message, .. })
                if code == codes::DISCORDANT_REPEAT_REQUEST =>
            {
                // The id holds another refund of this trade: one query names it.
                let held = match self.refund_status(&RefundLookup::from(request)).await {
                    Err(Error::IntegrityMismatch { field, actual, .. }) => {
                        format!(" — it holds {field} {actual}")
                    }
                    _ => String::new(),
                };
                Err(Error::Rejected {
                    provider: PROVIDER,
                    code,
                    message: format!(
                        "out_request_no {refund_id} was used before with another amount than this \
                         request's {}{held}: {message}",
                        request.amount()
                    ),
                    class: paybridge_core::RejectionClass::Duplicate,
                })
            }
            Err(error) => Err(error.unknown_if_maybe_applied(PROVIDER)),
        }
    }

    async fn refund_status(&self, lookup: &RefundLookup) -> Result<Refund, Error> {
        let query = query_for(lookup)?;
        let not_found = || Error::RefundNotFound {
            provider: PROVIDER,
            refund_id: lookup.refund_id.to_string(),
        };
        match self.refund_query(&query).await {
            // Alipay documents a query without `refund_status` as "no such refund, or not yet
            // accepted": it proves neither.
            Ok(reply) => refund_from_query(&reply, lookup)?.ok_or_else(|| Error::OutcomeUnknown {
                provider: PROVIDER,
                reason: format!(
                    "the refund query shows no refund_status for out_request_no {}: Alipay \
                     documents that as no such refund or not yet accepted; send the refund again \
                     with the same out_request_no",
                    lookup.refund_id
                ),
            }),
            Err(Error::Rejected { code, .. }) if code == codes::TRADE_NOT_EXIST => Err(not_found()),
            Err(error) => Err(error),
        }
    }

    /// Verifies the form over its own parameters. A refund's notification (it names the
    /// refund's `out_request_no` as `out_biz_no`) is confirmed by a refund query, and handed over
    /// as that refund; any other as the trade's state.
    async fn verify_notification(
        &self,
        request: &http::Request<Bytes>,
    ) -> Result<Notification, Error> {
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let notification = self
            .codec()
            .verify_notification(request.body(), content_type)?;
        let Some(out_biz_no) = notification
            .out_biz_no()
            .filter(|_| notification.get("refund_fee").is_some())
        else {
            return unified_notification(&notification);
        };
        let mut lookup = RefundLookup::new(
            MerchantRefundId::new(out_biz_no)
                .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?,
        );
        lookup.payment = notification
            .get("trade_no")
            .map(paybridge_core::PaymentRef::new)
            .transpose()
            .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
        lookup.order_ref = notification
            .get("out_trade_no")
            .map(paybridge_core::OrderRef::new)
            .transpose()
            .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
        let refund = self.refund_status(&lookup).await?;
        Ok(Notification {
            provider: PROVIDER.to_owned(),
            event_name: notification.notify_type().map(str::to_owned),
            event: NotificationEvent::Refund { refund },
        })
    }

    fn notification_ack(&self) -> http::Response<Bytes> {
        paybridge_core::notification_ack(NOTIFICATION_ACK, "text/plain")
    }

    fn verification_settings(&self) -> Option<&'static str> {
        Some(
            "alipay_public_key_file, or in certificate mode alipay_cert_file and alipay_root_cert_file",
        )
    }
}
