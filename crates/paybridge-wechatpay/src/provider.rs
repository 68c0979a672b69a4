//! The unified [`RefundProvider`] and [`PaymentProvider`] over [`WechatPayClient`].
//!
//! WeChat Pay refunds once per `out_refund_no` and answers a repeat with the refund it holds,
//! so the refund path needs no duplicate look-up; what it checks is that the refund it got
//! back is the one asked for (id, amount, currency). Payments are keyed the same way by the
//! merchant's `out_trade_no`: the same order sent again answers the same order. A payment is
//! reported paid only from a verified answer or notification naming this merchant's order
//! with its amount in CNY. Anything it cannot prove after WeChat Pay may have acted is
//! unknown.

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, Notification, NotificationEvent, OrderRef, Payment,
    PaymentAction, PaymentLookup, PaymentProvider, PaymentRequest, PaymentStatus, PaymentUpdate,
    Refund, RefundLookup, RefundProvider, RefundRequest, RefundStatus, Scene, SceneKind, Timestamp,
    check_payment,
};
use paybridge_transport::{Transport, percent_encode};

use crate::client::Prepaid;
use crate::codec::PROVIDER;
use crate::wire::notifications::{
    PaymentNotification, RefundResource, WechatPayEvent, WechatPayNotification,
};
use crate::wire::requests::{
    CreateRefundRequest, H5Info, Payer, PrepayRequest, SceneInfo, TradeType,
};
use crate::wire::responses::{RefundResponse, Transaction};
use crate::{WechatPayClient, codes, validate};

/// The scenes WeChat Pay API v3 takes payments in for a direct merchant: Native (QR), H5
/// (wap), APP and JSAPI (in WeChat and mini-programs).
pub const SCENES: &[SceneKind] = &[
    SceneKind::Qr,
    SceneKind::Wap,
    SceneKind::App,
    SceneKind::Jsapi,
];

/// Why a barcode payment is refused: WeChat Pay's 付款码 payments exist only in API v2.
const MICROPAY: &str = "WeChat Pay's 付款码 (micropay, the merchant scanning the customer's \
     payment code) is an API v2 product — XML signed with MD5 or HMAC-SHA256 under the API v2 \
     key — which paybridge does not speak; API v3 has no micropay";

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

/// A payment's amount as WeChat Pay states it, in fen of its currency (CNY when unnamed).
fn stated_amount(transaction: &Transaction) -> Result<Option<Money>, Error> {
    let Some(amount) = transaction.amount.as_ref() else {
        return Ok(None);
    };
    let Some(total) = amount.total else {
        return Ok(None);
    };
    let currency = match amount.currency.as_deref() {
        None => Currency::Cny,
        Some(code) => Currency::from_code(code).map_err(|_| {
            Error::malformed(
                PROVIDER,
                None,
                format!(
                    "the payment's currency {:?} is not one paybridge knows",
                    paybridge_core::excerpt(code.as_bytes(), 8)
                ),
            )
        })?,
    };
    Ok(Some(Money::new(total, currency)))
}

/// The payment a verified transaction (a query's answer) describes, for this merchant:
/// another `mchid` (or, when one is configured, `appid`) is not this merchant's payment. The
/// amount is the answer's; an unpaid order's answer that states none takes `fallback` (the
/// amount the merchant asked about), a paid one's never does.
fn payment_of(
    transaction: &Transaction,
    mchid: &str,
    appid: Option<&str>,
    fallback: Option<Money>,
) -> Result<Payment, Error> {
    let malformed = |why: &str| Error::malformed(PROVIDER, None, why.to_owned());
    if let Some(named) = transaction.mchid.as_deref()
        && named != mchid
    {
        return Err(mismatch("mchid", mchid, named));
    }
    if let (Some(ours), Some(named)) = (appid, transaction.appid.as_deref())
        && ours != named
    {
        return Err(mismatch("appid", ours, named));
    }
    let order = transaction
        .out_trade_no
        .as_deref()
        .ok_or_else(|| malformed("payment answer without `out_trade_no`"))?;
    let order_ref =
        OrderRef::new(order).map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?;
    let raw = transaction
        .trade_state
        .clone()
        .ok_or_else(|| malformed("payment answer without `trade_state`"))?;
    let status = codes::trade_state(&raw);
    let amount = match (stated_amount(transaction)?, fallback) {
        (Some(amount), _) => amount,
        // A paid order's answer must say what was paid; an unpaid one's may leave it out.
        (None, Some(asked)) if !status.was_paid() => asked,
        (None, _) => return Err(malformed("payment answer without `amount.total`")),
    };
    Ok(Payment {
        provider: PROVIDER.to_owned(),
        order_ref,
        payment: transaction.transaction_id.clone(),
        amount,
        status,
        provider_status: Some(raw),
        action: None,
    })
}

fn payment_update(transaction: &Transaction) -> Result<PaymentUpdate, Error> {
    let raw = transaction.trade_state.clone().ok_or_else(|| {
        Error::malformed(PROVIDER, None, "payment notification without `trade_state`")
    })?;
    Ok(PaymentUpdate {
        payment: transaction.transaction_id.clone(),
        order_ref: transaction.out_trade_no.clone(),
        amount: stated_amount(transaction)?,
        status: codes::trade_state(&raw),
        provider_status: Some(raw),
    })
}

/// The unified form of any verified, decrypted WeChat Pay notification: a refund, a payment,
/// or an event paybridge does not model (handed over as its decrypted text).
///
/// # Errors
/// [`Error::MalformedResponse`] when the refund or payment inside lacks what identifies it.
pub fn unified_event(event: &WechatPayEvent) -> Result<Notification, Error> {
    match event {
        WechatPayEvent::Refund(notification) => unified_notification(notification),
        WechatPayEvent::Payment(notification) => unified_payment_notification(notification),
        WechatPayEvent::Other(opened) => Ok(Notification {
            provider: PROVIDER.to_owned(),
            event_name: Some(opened.event_type.clone()),
            event: NotificationEvent::Unrecognized {
                raw: String::from_utf8_lossy(&opened.plaintext).into_owned(),
            },
        }),
    }
}

/// The unified form of a verified, decrypted payment notification.
///
/// # Errors
/// [`Error::MalformedResponse`] when the payment inside lacks its state.
pub fn unified_payment_notification(
    notification: &PaymentNotification,
) -> Result<Notification, Error> {
    Ok(Notification {
        provider: PROVIDER.to_owned(),
        event_name: Some(notification.event_type.clone()),
        event: NotificationEvent::Payment {
            payment: payment_update(&notification.transaction)?,
        },
    })
}

/// The merchant's payment a verified notification reports, checked against the order it is
/// taken for ([`check_payment`]): it must name this `out_trade_no`, and the amount and
/// currency the merchant asked for (and the payment id, where the merchant knows it). Only
/// then may a `TRANSACTION.SUCCESS` be read as this order paid.
///
/// # Errors
/// [`Error::InvalidRequest`] when the notification is not about a payment;
/// [`Error::MalformedResponse`] when it lacks the order or the amount;
/// [`Error::IntegrityMismatch`] when it names another order, amount or payment.
pub fn payment_from_notification(
    notification: &Notification,
    lookup: &PaymentLookup,
) -> Result<Payment, Error> {
    let NotificationEvent::Payment { payment: update } = &notification.event else {
        return Err(Error::invalid("notification", "is not about a payment"));
    };
    let malformed = |why: &str| Error::malformed(PROVIDER, None, why.to_owned());
    let order = update
        .order_ref
        .as_deref()
        .ok_or_else(|| malformed("payment notification without `out_trade_no`"))?;
    let payment = Payment {
        provider: PROVIDER.to_owned(),
        order_ref: OrderRef::new(order)
            .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?,
        payment: update.payment.clone(),
        amount: update
            .amount
            .ok_or_else(|| malformed("payment notification without `amount.total`"))?,
        status: update.status,
        provider_status: update.provider_status.clone(),
        action: None,
    };
    check_payment(PROVIDER, payment, lookup)
}

fn not_found(error: Error, lookup: &PaymentLookup) -> Error {
    match error {
        Error::Rejected { code, .. }
            if code == codes::ORDER_NOT_EXIST || code == codes::RESOURCE_NOT_EXISTS =>
        {
            Error::PaymentNotFound {
                provider: PROVIDER,
                order_ref: lookup.order_ref.to_string(),
            }
        }
        other => other,
    }
}

impl<T: Transport> WechatPayClient<T> {
    /// The prepay call a unified payment request makes, built and checked without sending
    /// anything: the trade type its scene takes and the body. The notification URL is the
    /// request's, else the configured one; the description the request's, else its order
    /// reference; `time_expire` the request's expiry in China Standard Time.
    ///
    /// # Errors
    /// [`Error::UnsupportedScene`] for web and barcode; [`Error::Config`] without a configured
    /// AppID; [`Error::InvalidRequest`] naming the field WeChat Pay would refuse (a currency
    /// other than CNY, no notification URL, H5 without the payer's `client_ip`…).
    pub fn prepay_request(
        &self,
        request: &PaymentRequest,
    ) -> Result<(TradeType, PrepayRequest), Error> {
        let scene = request.scene();
        if let Scene::Barcode { .. } = scene {
            return Err(Error::UnsupportedScene {
                provider: PROVIDER,
                scene: SceneKind::Barcode.as_str(),
                reason: MICROPAY.to_owned(),
            });
        }
        PaymentProvider::check_scene(self, scene)?;
        let kind = match scene {
            Scene::Qr => TradeType::Native,
            Scene::Wap { .. } => TradeType::H5,
            Scene::App => TradeType::App,
            Scene::Jsapi { .. } => TradeType::Jsapi,
            other => {
                return Err(Error::UnsupportedScene {
                    provider: PROVIDER,
                    scene: other.kind().as_str(),
                    reason: "WeChat Pay API v3 has no such product for a direct merchant".into(),
                });
            }
        };
        let appid = self.configured_appid()?;
        let amount = request.amount();
        if amount.currency != Currency::Cny {
            return Err(Error::invalid(
                "amount",
                format!("WeChat Pay payments are in CNY, not {}", amount.currency),
            ));
        }
        if kind == TradeType::H5 && request.client_ip().is_none() {
            return Err(Error::invalid(
                "client_ip",
                "WeChat Pay H5 needs the payer's IP address (--client-ip)",
            ));
        }
        let notify_url = request
            .notify_url()
            .or(self.notify_url.as_deref())
            .ok_or_else(|| {
                Error::invalid(
                    "notify_url",
                    "WeChat Pay payments need a notification URL (--notify-url, or notify_url in [wechatpay])",
                )
            })?;
        let mut body = PrepayRequest::new(
            appid,
            self.codec().mchid(),
            request.description_or_order_ref(),
            request.order_ref().as_str(),
            notify_url,
            amount.minor,
        );
        body.time_expire = request
            .expires_at()
            .map(|at| at.with_offset(8 * 60).unwrap_or(at).to_rfc3339());
        if let Scene::Jsapi { payer } = scene {
            body.payer = Some(Payer::new(payer.as_str()));
        }
        body.scene_info = request.client_ip().map(|ip| SceneInfo {
            h5_info: (kind == TradeType::H5).then(H5Info::wap),
            ..SceneInfo::client_ip(ip)
        });
        validate::prepay(&body, kind)?;
        Ok((kind, body))
    }

    /// What the merchant shows the payer for an order WeChat Pay just made.
    fn action(&self, scene: &Scene, prepaid: Prepaid) -> Result<PaymentAction, Error> {
        Ok(match prepaid {
            Prepaid::CodeUrl(content) => PaymentAction::Qr { content },
            // WeChat Pay sends the browser back to `redirect_url` when it is appended to the
            // cashier page's URL (URL-encoded).
            Prepaid::H5Url(url) => PaymentAction::Redirect {
                url: match scene.return_url() {
                    Some(back) => {
                        let join = if url.contains('?') { '&' } else { '?' };
                        format!("{url}{join}redirect_url={}", percent_encode(back))
                    }
                    None => url,
                },
            },
            Prepaid::PrepayId(id) => PaymentAction::Sdk {
                params: match scene {
                    Scene::App => self.app_invocation(&id)?.params(),
                    _ => self.jsapi_invocation(&id)?.params(),
                },
            },
        })
    }

    /// Looks the payment up — by WeChat Pay's id when `by_id` and the caller gave it, else by
    /// `out_trade_no` — and checks the answer against the look-up.
    async fn look_up(&self, lookup: &PaymentLookup, by_id: bool) -> Result<Payment, Error> {
        let answer = match (&lookup.payment, by_id) {
            (Some(id), true) => self.query_by_transaction_id(id.as_str()).await,
            _ => self.query_by_out_trade_no(lookup.order_ref.as_str()).await,
        };
        let transaction = answer.map_err(|e| not_found(e, lookup))?;
        let payment = payment_of(
            &transaction,
            self.codec().mchid(),
            self.appid(),
            lookup.amount,
        )?;
        check_payment(PROVIDER, payment, lookup)
    }
}

#[async_trait]
impl<T: Transport> PaymentProvider for WechatPayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn scenes(&self) -> &'static [SceneKind] {
        SCENES
    }

    async fn create_payment(&self, request: &PaymentRequest) -> Result<Payment, Error> {
        let (kind, body) = self.prepay_request(request)?;
        match self.prepay(kind, &body).await {
            Ok(prepaid) => {
                let action = self.action(request.scene(), prepaid).map_err(|e| {
                    // The order exists by now; only its invocation could not be signed.
                    Error::OutcomeUnknown {
                        provider: PROVIDER,
                        reason: format!(
                            "the order was created but what the payer needs could not be made: {e}"
                        ),
                    }
                })?;
                Ok(Payment {
                    provider: PROVIDER.to_owned(),
                    order_ref: request.order_ref().clone(),
                    // WeChat Pay names the payment (`transaction_id`) only once it is paid.
                    payment: None,
                    amount: request.amount(),
                    status: PaymentStatus::Pending,
                    provider_status: Some("NOTPAY".to_owned()),
                    action: Some(action),
                })
            }
            // Paid already (a repeat after the customer paid): what was paid, from a look-up
            // checked against this request.
            Err(Error::Rejected { code, .. }) if code == codes::ORDERPAID => {
                self.look_up(&PaymentLookup::from(request), false).await
            }
            Err(error) => Err(error.unknown_if_maybe_applied(PROVIDER)),
        }
    }

    async fn payment_status(&self, lookup: &PaymentLookup) -> Result<Payment, Error> {
        self.look_up(lookup, true).await
    }

    async fn close_payment(&self, lookup: &PaymentLookup) -> Result<Payment, Error> {
        match self.close_order(lookup.order_ref.as_str()).await {
            Ok(()) => {}
            // Paid (refund it instead) or closed already: the look-up says which.
            Err(Error::Rejected { code, .. })
                if code == codes::ORDERPAID || code == codes::ORDER_CLOSED => {}
            Err(error) if error.may_have_applied() => {
                // The close may have been applied: only a look-up showing the order closed
                // (or paid) settles it; one still waiting for the payer leaves it unknown.
                return match self.look_up(lookup, false).await {
                    Ok(payment) if payment.status != PaymentStatus::Pending => Ok(payment),
                    _ => Err(error.unknown_if_maybe_applied(PROVIDER)),
                };
            }
            Err(error) => return Err(not_found(error, lookup)),
        }
        self.look_up(lookup, false).await
    }
}

impl<T: Transport> WechatPayClient<T> {
    /// The total of the order a refund names, from a look-up: by `transaction_id` when the
    /// refund gives one, else by `out_trade_no`.
    async fn order_total(&self, request: &RefundRequest) -> Result<Money, Error> {
        let found = match (request.payment(), request.order_ref()) {
            (Some(payment), _) => self.query_by_transaction_id(payment.as_str()).await,
            (None, Some(order)) => self.query_by_out_trade_no(order.as_str()).await,
            (None, None) => {
                return Err(Error::invalid(
                    "payment",
                    "wechatpay needs the payment's transaction_id (--payment) or out_trade_no (--order-ref)",
                ));
            }
        };
        let cannot = |why: String| {
            Error::invalid(
                "total",
                format!(
                    "wechatpay needs the payment's total amount (--total), and looking the order \
                     up for it failed: {why}"
                ),
            )
        };
        let transaction = found.map_err(|e| cannot(e.summary()))?;
        let amount = transaction.amount.as_ref();
        if let Some(currency) = amount
            .and_then(|a| a.currency.as_deref())
            .filter(|c| *c != "CNY")
        {
            return Err(cannot(format!("the order is in {currency}")));
        }
        amount
            .and_then(|a| a.total)
            .map(|total| Money::new(total, Currency::Cny))
            .ok_or_else(|| cannot("the answer names no amount.total".into()))
    }
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
        let total = match request.total() {
            Some(total) => total,
            // WeChat Pay wants the order's total; without --total it is read from the order
            // itself (a look-up, which applies nothing).
            None => self.order_total(request).await?,
        };
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

    /// Refund (`REFUND.*`) and payment (`TRANSACTION.*`) notifications; any other event that
    /// verifies is handed over unread ([`NotificationEvent::Unrecognized`]).
    async fn verify_notification(
        &self,
        request: &http::Request<Bytes>,
    ) -> Result<Notification, Error> {
        let event = self
            .codec()
            .verify_event(request.headers(), request.body())?;
        let (mchid, appid) = match &event {
            WechatPayEvent::Refund(n) => (n.refund.mchid.as_deref(), None),
            WechatPayEvent::Payment(n) => (
                n.transaction.mchid.as_deref(),
                n.transaction.appid.as_deref(),
            ),
            WechatPayEvent::Other(_) => (None, None),
        };
        // Merchants sharing an APIv3 key would otherwise read each other's news as their own.
        if let Some(mchid) = mchid.filter(|m| *m != self.codec().mchid()) {
            return Err(Error::Verification {
                provider: PROVIDER,
                reason: format!("the notification is for merchant {mchid}, not this one"),
            });
        }
        if let (Some(ours), Some(named)) = (self.appid(), appid)
            && ours != named
        {
            return Err(Error::Verification {
                provider: PROVIDER,
                reason: format!("the notification is for AppID {named}, not {ours}"),
            });
        }
        unified_event(&event)
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
