//! The unified [`RefundProvider`] and [`PaymentProvider`] over [`AlipayClient`].
//!
//! Refunds: every refund carries the merchant's refund id as `out_request_no`; a repeat of it
//! moves no money and says so with `fund_change: "N"`, which is answered by looking the refund
//! up — it is returned if it is this refund, and never counted twice. `refund_fee` (everything
//! refunded on the trade) is checked against the refund. Alipay's notifications name the refund
//! only by `out_biz_no`, so the provider confirms one by a query before handing it over.
//!
//! Payments: the merchant's order reference is the `out_trade_no` of every call. A QR code
//! comes from `alipay.trade.precreate`, a JSAPI trade from `alipay.trade.create`; the web, wap
//! and app cashiers are signed here and sent nowhere (the customer's browser or app carries
//! them); a barcode is charged once with `alipay.trade.pay` and settled by
//! [`paybridge_core::barcode::settle`] — looked up while the buyer confirms, cancelled at the
//! deadline only right after a look-up showed it unpaid. `ACQ.TRADE_HAS_SUCCESS` on a create
//! means paid: the trade is looked up and reported. A payment is reported from a verified
//! answer that names this `out_trade_no`, checked against the amount
//! ([`paybridge_core::check_payment`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::barcode::{self, BarcodeAnswer, BarcodeSteps, CancelAnswer};
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, Notification, NotificationEvent, OrderRef, Payment,
    PaymentAction, PaymentLookup, PaymentProvider, PaymentRequest, PaymentStatus, PaymentUpdate,
    Refund, RefundLookup, RefundProvider, RefundRequest, RefundStatus, Scene, SceneKind, Timestamp,
    check_payment,
};
use paybridge_transport::Transport;

use crate::cashier::{MAX_REDIRECT_URL_LEN, SignedOrder};
use crate::codec::{PROVIDER, SHANGHAI_OFFSET_MINUTES, alipay_time};
use crate::wire::notifications::{AlipayNotification, NOTIFICATION_ACK};
use crate::wire::requests::{
    Cashier, CashierOrder, TradeCancel, TradeClose, TradeCreate, TradePay, TradePrecreate,
    TradeQuery, TradeRef, TradeRefund, TradeRefundQuery,
};
use crate::wire::responses::{
    PrecreateResponse, RefundQueryResponse, TradeCreateResponse, TradePayResponse,
    TradeQueryResponse, TradeRefundResponse,
};
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

/// The unified form of a verified notification, from its own fields: a trade's state with its
/// total — a payment event. The provider's [`RefundProvider::verify_notification`] goes
/// further for a refund's notification and confirms the refund by a query.
///
/// `TRADE_SUCCESS` (or `TRADE_FINISHED`) is paid — partly or wholly refunded when it carries a
/// `refund_fee`, by that sum against `total_amount`; `TRADE_CLOSED` is refunded in full when
/// the trade had been paid (a `refund_fee` or a `gmt_payment` says so), else closed unpaid;
/// `WAIT_BUYER_PAY` is pending.
///
/// # Errors
/// [`Error::MalformedResponse`] when an amount is not a yuan amount, or the notification does
/// not name its `out_trade_no`, or calls a trade paid without saying for how much.
pub fn unified_notification(notification: &AlipayNotification) -> Result<Notification, Error> {
    let raw = notification.trade_status().map(str::to_owned);
    let order_ref = notification
        .get("out_trade_no")
        .ok_or_else(|| Error::malformed(PROVIDER, None, "notification without `out_trade_no`"))?;
    let amount = notification
        .get("total_amount")
        .map(|t| yuan(Some(t), "total_amount"))
        .transpose()?;
    let refunded = notification
        .get("refund_fee")
        .map(|t| yuan(Some(t), "refund_fee"))
        .transpose()?;
    let status = match raw.as_deref() {
        Some(paid @ ("TRADE_SUCCESS" | "TRADE_FINISHED")) => {
            let total = amount.ok_or_else(|| {
                Error::malformed(
                    PROVIDER,
                    None,
                    format!("a {paid} notification without `total_amount`"),
                )
            })?;
            match refunded {
                Some(refunded) => PaymentStatus::paid_with_refunds(total.minor, refunded.minor),
                None => PaymentStatus::Succeeded,
            }
        }
        Some(other) => codes::trade_status(
            other,
            refunded.is_some_and(|r| r.is_positive()) || notification.get("gmt_payment").is_some(),
        ),
        None => PaymentStatus::Pending,
    };
    Ok(Notification {
        provider: PROVIDER.to_owned(),
        event_name: notification.notify_type().map(str::to_owned),
        event: NotificationEvent::Payment {
            payment: PaymentUpdate {
                payment: notification.get("trade_no").map(str::to_owned),
                order_ref: Some(order_ref.to_owned()),
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

/// The scenes Alipay takes payments in: QR (`alipay.trade.precreate`), desktop web
/// (`alipay.trade.page.pay`), mobile web (`alipay.trade.wap.pay`), the merchant's app
/// (`alipay.trade.app.pay`), JSAPI — a mini-program or Alipay's in-app browser
/// (`alipay.trade.create`) — and barcode (`alipay.trade.pay`).
pub const SCENES: &[SceneKind] = &[
    SceneKind::Qr,
    SceneKind::Web,
    SceneKind::Wap,
    SceneKind::App,
    SceneKind::Jsapi,
    SceneKind::Barcode,
];

/// What every payment order carries, from a unified request: checked against Alipay's rules
/// before anything is built.
struct OrderFields {
    out_trade_no: String,
    total_amount: String,
    subject: String,
    time_expire: Option<String>,
    notify_url: Option<String>,
}

/// A trade query's answer in the unified model, checked against the look-up: it must name this
/// `out_trade_no`, with this amount in CNY (and this `trade_no`, where the caller knows it).
///
/// The query carries no refunded sum, so a trade refunded in part (still `TRADE_SUCCESS`)
/// reads as succeeded; a trade refunded in full is `TRADE_CLOSED` after having been paid — its
/// `send_pay_date`, or a non-zero `buyer_pay_amount`, says it was — and reads as refunded; one
/// closed without ever being paid reads as closed.
///
/// # Errors
/// [`Error::MalformedResponse`] for an answer without the trade's `out_trade_no`,
/// `total_amount` or `trade_status`, or in another currency; [`Error::IntegrityMismatch`] for
/// one about another order or amount.
pub fn payment_from_query(
    answer: &TradeQueryResponse,
    lookup: &PaymentLookup,
) -> Result<Payment, Error> {
    let out_trade_no = answer
        .out_trade_no
        .as_deref()
        .ok_or_else(|| Error::malformed(PROVIDER, None, "trade query without `out_trade_no`"))?;
    let order_ref =
        OrderRef::new(out_trade_no).map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
    if let Some(currency) = answer.trans_currency.as_deref().filter(|c| *c != "CNY") {
        return Err(Error::malformed(
            PROVIDER,
            None,
            format!("trade priced in {currency:?}, not CNY"),
        ));
    }
    let amount = yuan(answer.total_amount.as_deref(), "total_amount")?;
    let raw = answer
        .trade_status
        .clone()
        .ok_or_else(|| Error::malformed(PROVIDER, None, "trade query without `trade_status`"))?;
    let paid_before = answer
        .send_pay_date
        .as_deref()
        .is_some_and(|d| !d.is_empty())
        || answer
            .buyer_pay_amount
            .as_deref()
            .and_then(|a| Money::parse(a, Currency::Cny).ok())
            .is_some_and(|a| a.is_positive());
    let payment = Payment {
        provider: PROVIDER.to_owned(),
        order_ref,
        payment: answer.trade_no.clone().filter(|t| !t.is_empty()),
        amount,
        status: codes::trade_status(&raw, paid_before),
        provider_status: Some(raw),
        action: None,
    };
    check_payment(PROVIDER, payment, lookup)
}

/// A barcode charge's answer (`10000` paid, `10003` waiting for the buyer) in the unified
/// model, checked against the order: a paid answer must say for how much.
fn charged(answer: &TradePayResponse, lookup: &PaymentLookup) -> Result<Payment, Error> {
    let code = answer.code.clone().unwrap_or_default();
    let status = if code == codes::SUCCESS {
        PaymentStatus::Succeeded
    } else {
        PaymentStatus::Pending
    };
    let out_trade_no = answer
        .out_trade_no
        .as_deref()
        .ok_or_else(|| Error::malformed(PROVIDER, None, "charge answer without `out_trade_no`"))?;
    let amount = match (answer.total_amount.as_deref(), lookup.amount) {
        (Some(total), _) => yuan(Some(total), "total_amount")?,
        // Waiting for the buyer: nothing was taken yet, the order's amount stands.
        (None, Some(asked)) if status == PaymentStatus::Pending => asked,
        (None, _) => {
            return Err(Error::malformed(
                PROVIDER,
                None,
                format!("charge answer {code} without `total_amount`"),
            ));
        }
    };
    let payment = Payment {
        provider: PROVIDER.to_owned(),
        order_ref: OrderRef::new(out_trade_no)
            .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?,
        payment: answer.trade_no.clone().filter(|t| !t.is_empty()),
        amount,
        status,
        provider_status: Some(code),
        action: None,
    };
    check_payment(PROVIDER, payment, lookup)
}

/// The one value a create answers with (`qr_code`, `trade_no`), from an answer about this
/// order.
fn answered(
    out_trade_no: Option<&str>,
    value: Option<&str>,
    name: &str,
    request: &PaymentRequest,
) -> Result<String, Error> {
    if let Some(named) = out_trade_no
        && named != request.order_ref().as_str()
    {
        return Err(mismatch("out_trade_no", request.order_ref(), named));
    }
    value
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Error::malformed(PROVIDER, None, format!("create answer without `{name}`")))
}

/// What the merchant shows for a signed cashier order: the app gets the order string its SDK
/// takes; a browser the redirect URL, or — when the URL would be longer than
/// [`MAX_REDIRECT_URL_LEN`], which some browsers and proxies cut — the self-submitting form.
pub fn cashier_action(cashier: Cashier, order: &SignedOrder) -> PaymentAction {
    match cashier {
        Cashier::App => PaymentAction::Sdk {
            params: BTreeMap::from([("order_string".to_owned(), order.order_string())]),
        },
        Cashier::Page | Cashier::Wap => {
            let url = order.redirect_url();
            if url.len() <= MAX_REDIRECT_URL_LEN {
                PaymentAction::Redirect { url }
            } else {
                PaymentAction::Form {
                    html: order.form_html(),
                }
            }
        }
    }
}

impl<T> AlipayClient<T> {
    /// The fields every order of `request` carries, checked: CNY, Alipay's field limits, an
    /// expiry still ahead.
    fn order_fields(&self, request: &PaymentRequest) -> Result<OrderFields, Error> {
        let amount = request.amount();
        if amount.currency != Currency::Cny {
            return Err(Error::invalid(
                "amount",
                format!("Alipay payments are in CNY, not {}", amount.currency),
            ));
        }
        let time_expire = match request.expires_at() {
            Some(at) if at.unix_seconds() <= self.clock.now().unix_seconds() => {
                return Err(Error::invalid(
                    "expires_at",
                    "is not in the future: Alipay would refuse the order",
                ));
            }
            Some(at) => Some(alipay_time(at)),
            None => None,
        };
        let fields = OrderFields {
            out_trade_no: request.order_ref().as_str().to_owned(),
            total_amount: amount.to_decimal_string(),
            subject: request.description_or_order_ref().to_owned(),
            time_expire,
            notify_url: request
                .notify_url()
                .map(str::to_owned)
                .or_else(|| self.notify_url.clone()),
        };
        validate::field("out_trade_no", &fields.out_trade_no, 64)?;
        validate::yuan("total_amount", &fields.total_amount)?;
        validate::field("subject", &fields.subject, validate::MAX_SUBJECT_LEN)?;
        Ok(fields)
    }

    /// The cashier order a request in the web, wap or app scene makes (`None` for any other
    /// scene): the wap cashier's `quit_url` is its return URL.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the request breaks Alipay's rules; nothing is built.
    pub fn cashier_order(&self, request: &PaymentRequest) -> Result<Option<CashierOrder>, Error> {
        let (cashier, return_url) = match request.scene() {
            Scene::Web { return_url } => (Cashier::Page, return_url.clone()),
            Scene::Wap { return_url } => (Cashier::Wap, return_url.clone()),
            Scene::App => (Cashier::App, None),
            _ => return Ok(None),
        };
        let fields = self.order_fields(request)?;
        let mut order = CashierOrder::new(
            cashier,
            fields.out_trade_no,
            fields.total_amount,
            fields.subject,
        );
        order.time_expire = fields.time_expire;
        order.notify_url = fields.notify_url;
        if cashier == Cashier::Wap {
            order.quit_url.clone_from(&return_url);
        }
        order.return_url = return_url;
        validate::cashier_order(&order)?;
        Ok(Some(order))
    }
}

impl<T: Transport> AlipayClient<T> {
    /// A create that Alipay answered `ACQ.TRADE_HAS_SUCCESS`: the trade is paid — looked up and
    /// reported as it stands, never as a refusal.
    async fn already_paid(&self, request: &PaymentRequest) -> Result<Payment, Error> {
        match PaymentProvider::payment_status(self, &PaymentLookup::from(request)).await {
            Ok(payment) => Ok(payment),
            // Paid, but not as this request asked (another amount): say so, not "unknown".
            Err(error @ Error::IntegrityMismatch { .. }) => Err(error),
            Err(error) => Err(Error::OutcomeUnknown {
                provider: PROVIDER,
                reason: format!(
                    "Alipay says out_trade_no {} is paid already ({}), and the look-up that \
                     would report it failed: {}",
                    request.order_ref(),
                    codes::TRADE_HAS_SUCCESS,
                    error.summary()
                ),
            }),
        }
    }

    /// A new payment waiting for the buyer, with what to show them.
    fn waiting(
        request: &PaymentRequest,
        payment: Option<String>,
        action: PaymentAction,
    ) -> Payment {
        Payment {
            provider: PROVIDER.to_owned(),
            order_ref: request.order_ref().clone(),
            payment,
            amount: request.amount(),
            status: PaymentStatus::Pending,
            provider_status: None,
            action: Some(action),
        }
    }

    /// A QR payment: `alipay.trade.precreate`, its code to show.
    async fn create_qr(
        &self,
        request: &PaymentRequest,
        fields: OrderFields,
    ) -> Result<Payment, Error> {
        let mut precreate =
            TradePrecreate::new(fields.out_trade_no, fields.total_amount, fields.subject);
        precreate.time_expire = fields.time_expire;
        precreate.notify_url = fields.notify_url;
        let answer: PrecreateResponse = match self.trade_precreate(&precreate).await {
            Ok(answer) => answer,
            Err(Error::Rejected { code, .. }) if code == codes::TRADE_HAS_SUCCESS => {
                return self.already_paid(request).await;
            }
            Err(error) => return Err(error.unknown_if_maybe_applied(PROVIDER)),
        };
        // Alipay accepted the order: whatever is wrong with its answer now, the trade may
        // exist, so an error is an unknown outcome, settled under the same out_trade_no.
        let content = answered(
            answer.out_trade_no.as_deref(),
            answer.qr_code.as_deref(),
            "qr_code",
            request,
        )
        .map_err(|e| e.unknown_if_maybe_applied(PROVIDER))?;
        Ok(Self::waiting(request, None, PaymentAction::Qr { content }))
    }

    /// A JSAPI payment: `alipay.trade.create` for the payer, its `trade_no` for the
    /// mini-program.
    async fn create_jsapi(
        &self,
        request: &PaymentRequest,
        fields: OrderFields,
        payer: &str,
    ) -> Result<Payment, Error> {
        let mut create = TradeCreate::jsapi(
            fields.out_trade_no,
            fields.total_amount,
            fields.subject,
            payer,
        );
        create.time_expire = fields.time_expire;
        create.notify_url = fields.notify_url;
        let answer: TradeCreateResponse = match self.trade_create(&create).await {
            Ok(answer) => answer,
            Err(Error::Rejected { code, .. }) if code == codes::TRADE_HAS_SUCCESS => {
                return self.already_paid(request).await;
            }
            Err(error) => return Err(error.unknown_if_maybe_applied(PROVIDER)),
        };
        let trade_no = answered(
            answer.out_trade_no.as_deref(),
            answer.trade_no.as_deref(),
            "trade_no",
            request,
        )
        .map_err(|e| e.unknown_if_maybe_applied(PROVIDER))?;
        // The mini-program's `my.tradePay` takes the trade number as `tradeNO`.
        let action = PaymentAction::Sdk {
            params: BTreeMap::from([("tradeNO".to_owned(), trade_no.clone())]),
        };
        Ok(Self::waiting(request, Some(trade_no), action))
    }
}

/// One barcode payment's calls, for [`barcode::settle`]: the charge once, look-ups and the
/// cancel under its `out_trade_no`, time on tokio's clock.
struct BarcodeCharge<'a, T> {
    client: &'a AlipayClient<T>,
    pay: TradePay,
    lookup: PaymentLookup,
    started: tokio::time::Instant,
}

impl<T> BarcodeCharge<'_, T> {
    fn trade(&self) -> TradeRef {
        TradeRef::by_out_trade_no(self.pay.out_trade_no.clone())
    }
}

#[async_trait]
impl<T: Transport> BarcodeSteps for BarcodeCharge<'_, T> {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    async fn charge(&self) -> Result<BarcodeAnswer, Error> {
        match self.client.trade_pay(&self.pay).await {
            Ok(answer) => charged(&answer, &self.lookup).map(BarcodeAnswer::Payment),
            // Paid already (a charge under this out_trade_no went through before): the
            // look-up reports it.
            Err(Error::Rejected { code, .. }) if code == codes::TRADE_HAS_SUCCESS => {
                self.query().await.map_err(|error| Error::OutcomeUnknown {
                    provider: PROVIDER,
                    reason: format!(
                        "Alipay says out_trade_no {} is paid already, and the look-up that would \
                         report it failed: {}",
                        self.pay.out_trade_no,
                        error.summary()
                    ),
                })
            }
            Err(error) => Err(error),
        }
    }

    async fn query(&self) -> Result<BarcodeAnswer, Error> {
        match self.client.trade_query(&TradeQuery(self.trade())).await {
            Ok(answer) => payment_from_query(&answer, &self.lookup).map(BarcodeAnswer::Payment),
            Err(Error::Rejected { code, .. }) if code == codes::TRADE_NOT_EXIST => {
                Ok(BarcodeAnswer::NotFound)
            }
            Err(error) => Err(error),
        }
    }

    fn can_cancel(&self) -> bool {
        true
    }

    async fn cancel(&self) -> Result<CancelAnswer, Error> {
        let answer = self.client.trade_cancel(&TradeCancel(self.trade())).await?;
        if answer.retry_flag.as_deref() == Some("Y") {
            return Ok(CancelAnswer::Retry);
        }
        if let Some(named) = answer.out_trade_no.as_deref()
            && named != self.pay.out_trade_no
        {
            return Err(mismatch("out_trade_no", &self.pay.out_trade_no, named));
        }
        let status = match answer.action.as_deref().filter(|a| !a.is_empty()) {
            Some("refund") => PaymentStatus::Refunded,
            // Alipay names the action whenever a trade existed; none means there was no trade
            // to reverse, so nothing was taken.
            Some("close") | None => PaymentStatus::Closed,
            Some(other) => {
                return Err(Error::malformed(
                    PROVIDER,
                    None,
                    format!("cancel answered action {other:?}"),
                ));
            }
        };
        Ok(CancelAnswer::Done(Payment {
            provider: PROVIDER.to_owned(),
            order_ref: self.lookup.order_ref.clone(),
            payment: answer.trade_no.clone().filter(|t| !t.is_empty()),
            amount: self
                .lookup
                .amount
                .unwrap_or_else(|| Money::zero(Currency::Cny)),
            status,
            provider_status: Some(format!(
                "cancelled: {}",
                answer.action.as_deref().unwrap_or("no trade")
            )),
            action: None,
        }))
    }

    fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    async fn wait(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[async_trait]
impl<T: Transport> PaymentProvider for AlipayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn scenes(&self) -> &'static [SceneKind] {
        SCENES
    }

    /// Creates the payment in its scene. Web, wap and app orders are signed and returned —
    /// nothing is sent, and Alipay learns of the order when the customer's browser or app
    /// brings it. A barcode payment is charged once and settled before this returns: paid,
    /// closed (cancelled unpaid at the deadline, or refunded if the buyer paid meanwhile), or
    /// an unknown outcome to look up under the same order reference.
    async fn create_payment(&self, request: &PaymentRequest) -> Result<Payment, Error> {
        self.check_scene(request.scene())?;
        if let Some(order) = self.cashier_order(request)? {
            let signed = self.sign_order(&order)?;
            let action = cashier_action(order.cashier, &signed);
            return Ok(Self::waiting(request, None, action));
        }
        let fields = self.order_fields(request)?;
        match request.scene() {
            Scene::Qr => self.create_qr(request, fields).await,
            Scene::Jsapi { payer } => self.create_jsapi(request, fields, payer).await,
            Scene::Barcode { auth_code } => {
                let mut pay = TradePay::bar_code(
                    fields.out_trade_no,
                    fields.total_amount,
                    fields.subject,
                    auth_code.clone(),
                );
                pay.time_expire = fields.time_expire;
                pay.notify_url = fields.notify_url;
                validate::pay(&pay)?;
                let steps = BarcodeCharge {
                    client: self,
                    pay,
                    lookup: PaymentLookup::from(request),
                    started: tokio::time::Instant::now(),
                };
                barcode::settle(&steps, request.barcode_policy()).await
            }
            other => Err(Error::UnsupportedScene {
                provider: PROVIDER,
                scene: other.kind().as_str(),
                reason: "paybridge does not take Alipay payments in this scene".into(),
            }),
        }
    }

    /// `alipay.trade.query` under the order reference. A trade Alipay does not hold yet (a QR
    /// code nobody scanned, a cashier order nobody paid) is [`Error::PaymentNotFound`].
    async fn payment_status(&self, lookup: &PaymentLookup) -> Result<Payment, Error> {
        let query = TradeQuery(TradeRef::by_out_trade_no(lookup.order_ref.as_str()));
        match self.trade_query(&query).await {
            Ok(answer) => payment_from_query(&answer, lookup),
            Err(Error::Rejected { code, .. }) if code == codes::TRADE_NOT_EXIST => {
                Err(Error::PaymentNotFound {
                    provider: PROVIDER,
                    order_ref: lookup.order_ref.to_string(),
                })
            }
            Err(error) => Err(error),
        }
    }

    /// `alipay.trade.close`, then a look-up, which says what became of the trade: closed, or
    /// paid (a paid trade is not closed — refund it). A trade Alipay does not hold yet (a QR
    /// code nobody scanned) cannot be closed: that is [`Error::PaymentNotFound`], and the
    /// code stays payable until its `time_expire`.
    async fn close_payment(&self, lookup: &PaymentLookup) -> Result<Payment, Error> {
        let close = TradeClose(TradeRef::by_out_trade_no(lookup.order_ref.as_str()));
        let closed = match self.trade_close(&close).await {
            Err(error) if error.nothing_sent() => return Err(error),
            other => other,
        };
        // Alipay holding no such trade is the one refusal the look-up below explains.
        let not_there =
            matches!(&closed, Err(Error::Rejected { code, .. }) if code == codes::TRADE_NOT_EXIST);
        let looked = PaymentProvider::payment_status(self, lookup).await;
        match (closed, looked) {
            // Still waiting after a close that did not take: the close's own error says why.
            (Err(error), Ok(payment)) if payment.status == PaymentStatus::Pending => {
                Err(error.unknown_if_maybe_applied(PROVIDER))
            }
            (_, Ok(payment)) => Ok(payment),
            (Err(error), Err(_)) if !not_there => Err(error.unknown_if_maybe_applied(PROVIDER)),
            (_, Err(error)) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(amount: Option<i64>) -> PaymentLookup {
        PaymentLookup {
            order_ref: OrderRef::new("o-1").unwrap(),
            payment: None,
            amount: amount.map(|m| Money::new(m, Currency::Cny)),
        }
    }

    fn query(status: &str) -> TradeQueryResponse {
        TradeQueryResponse {
            code: Some("10000".into()),
            trade_no: Some("2026120322001".into()),
            out_trade_no: Some("o-1".into()),
            trade_status: Some(status.into()),
            total_amount: Some("12.34".into()),
            buyer_pay_amount: Some("0.00".into()),
            ..TradeQueryResponse::default()
        }
    }

    #[test]
    fn a_query_answer_is_read_exactly_and_checked_against_the_order() {
        let paid = payment_from_query(&query("TRADE_SUCCESS"), &lookup(Some(1_234))).unwrap();
        assert_eq!(paid.status, PaymentStatus::Succeeded);
        assert_eq!(paid.amount, Money::new(1_234, Currency::Cny));
        assert_eq!(paid.payment.as_deref(), Some("2026120322001"));
        // Closed without ever being paid, or closed after a full refund.
        let closed = payment_from_query(&query("TRADE_CLOSED"), &lookup(None)).unwrap();
        assert_eq!(closed.status, PaymentStatus::Closed);
        let mut refunded = query("TRADE_CLOSED");
        refunded.send_pay_date = Some("2026-12-03 20:13:20".into());
        assert_eq!(
            payment_from_query(&refunded, &lookup(None)).unwrap().status,
            PaymentStatus::Refunded
        );
        let mut paid_amount = query("TRADE_CLOSED");
        paid_amount.buyer_pay_amount = Some("12.34".into());
        assert_eq!(
            payment_from_query(&paid_amount, &lookup(None))
                .unwrap()
                .status,
            PaymentStatus::Refunded
        );
        // Another amount, another order, another currency, no status: never this payment.
        assert!(matches!(
            payment_from_query(&query("TRADE_SUCCESS"), &lookup(Some(1_235))),
            Err(Error::IntegrityMismatch {
                field: "amount",
                ..
            })
        ));
        let mut other = query("TRADE_SUCCESS");
        other.out_trade_no = Some("o-2".into());
        assert!(matches!(
            payment_from_query(&other, &lookup(None)),
            Err(Error::IntegrityMismatch {
                field: "order_ref",
                ..
            })
        ));
        let mut dollars = query("TRADE_SUCCESS");
        dollars.trans_currency = Some("USD".into());
        assert!(matches!(
            payment_from_query(&dollars, &lookup(None)),
            Err(Error::MalformedResponse { .. })
        ));
        let mut silent = query("TRADE_SUCCESS");
        silent.trade_status = None;
        assert!(payment_from_query(&silent, &lookup(None)).is_err());
        let mut inexact = query("TRADE_SUCCESS");
        inexact.total_amount = Some("12.345".into());
        assert!(payment_from_query(&inexact, &lookup(None)).is_err());
    }

    #[test]
    fn a_charge_answer_paid_must_say_for_how_much() {
        let waiting = TradePayResponse {
            code: Some("10003".into()),
            out_trade_no: Some("o-1".into()),
            trade_no: Some("2026".into()),
            ..TradePayResponse::default()
        };
        let read = charged(&waiting, &lookup(Some(500))).unwrap();
        assert_eq!(read.status, PaymentStatus::Pending);
        assert_eq!(read.amount.minor, 500);
        let paid_silently = TradePayResponse {
            code: Some("10000".into()),
            ..waiting.clone()
        };
        assert!(matches!(
            charged(&paid_silently, &lookup(Some(500))),
            Err(Error::MalformedResponse { .. })
        ));
        let paid = TradePayResponse {
            total_amount: Some("5.00".into()),
            ..paid_silently
        };
        assert_eq!(
            charged(&paid, &lookup(Some(500))).unwrap().status,
            PaymentStatus::Succeeded
        );
        assert!(charged(&paid, &lookup(Some(501))).is_err());
    }
}
