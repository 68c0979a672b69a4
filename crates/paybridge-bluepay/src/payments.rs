//! The unified [`PaymentProvider`] over [`BluePayClient`]: dynamic QR (`qr/generate`) and WebPay
//! (`webpay/generate`), both in THB.
//!
//! BluePay has no single payment look-up. A payment is looked up with WebPay status first and,
//! when BluePay knows no WebPay order by that id (21006), with the QR payment list over the last
//! [`QR_LOOKBACK_DAYS`] days. BluePay's transaction status never says "refunded": how much of a
//! paid payment went back is read from *Get refund payments*, counting completed refunds only.
//! BluePay publishes no cancel or close call: an unpaid QR code or WebPay order lapses at its
//! expiry.

use async_trait::async_trait;
use paybridge_core::{
    Currency, Error, Money, OrderRef, Payment, PaymentAction, PaymentLookup, PaymentProvider,
    PaymentRequest, PaymentStatus, RefundStatus, Scene, SceneKind, Timestamp, check_payment,
    existing_after_refusal,
};
use paybridge_transport::Transport;

use crate::codec::{BANGKOK_OFFSET_MINUTES, PROVIDER};
use crate::wire::requests::{QrCreateParam, QrPaymentListParam, WebPayCreateParam};
use crate::{BluePayClient, codes};

/// The scenes BluePay's calls cover.
pub const SCENES: &[SceneKind] = &[SceneKind::Qr, SceneKind::Web];

/// How far back a QR payment is looked for.
pub const QR_LOOKBACK_DAYS: i64 = 30;

/// The dynamic QR channel asked for: TrueMoney's, which refunds in full and in part (after the
/// day of payment).
const QR_CHANNEL: &str = "TRUEMONEY_DYNAMIC_QR";
/// The WebPay channel asked for.
const WEB_CHANNEL: &str = "TRUEMONEY_URL";

/// BluePay's "transaction not found".
const NOT_FOUND: &str = "21006";

fn date(at: Timestamp) -> String {
    let (year, month, day, ..) = at
        .with_offset(BANGKOK_OFFSET_MINUTES)
        .unwrap_or(at)
        .local_fields();
    format!("{year:04}-{month:02}-{day:02}")
}

/// What BluePay says about one payment, before refunds are counted.
struct Found {
    transaction_id: Option<String>,
    amount: i64,
    raw: String,
}

impl<T: Transport> BluePayClient<T> {
    async fn find(&self, order_ref: &str) -> Result<Option<Found>, Error> {
        match self.webpay_detail(order_ref).await {
            Ok(detail) => {
                let amount = detail.amount.ok_or_else(|| {
                    Error::malformed(PROVIDER, None, "WebPay status without `amount`")
                })?;
                if detail
                    .mch_order_id
                    .as_deref()
                    .is_some_and(|m| m != order_ref)
                {
                    return Err(Error::IntegrityMismatch {
                        provider: PROVIDER,
                        field: "mchOrderId",
                        expected: order_ref.to_owned(),
                        actual: detail.mch_order_id.unwrap_or_default(),
                    });
                }
                return Ok(Some(Found {
                    transaction_id: detail.transaction_id,
                    amount,
                    raw: detail
                        .transaction_status
                        .unwrap_or_else(|| "PENDING".into()),
                }));
            }
            Err(Error::Rejected { code, .. }) if code == NOT_FOUND => {}
            Err(error) => return Err(error),
        }
        let now = self.now();
        let start =
            Timestamp::from_unix(now.unix_seconds() - QR_LOOKBACK_DAYS * 86_400).unwrap_or(now);
        let tomorrow = Timestamp::from_unix(now.unix_seconds() + 86_400).unwrap_or(now);
        let list = self
            .qr_payment_list(QrPaymentListParam::new(
                order_ref,
                date(start),
                date(tomorrow),
            ))
            .await?;
        // A completed payment wins over failed attempts against the same code.
        let best = list
            .iter()
            .find(|p| {
                p.transaction_status.as_deref().map(codes::payment_status)
                    == Some(PaymentStatus::Succeeded)
            })
            .or_else(|| list.first());
        Ok(best.map(|p| Found {
            transaction_id: p.transaction_id.clone(),
            amount: p.transaction_amount.unwrap_or_default(),
            raw: p
                .transaction_status
                .clone()
                .unwrap_or_else(|| "PENDING".into()),
        }))
    }

    /// Completed refunds of a paid transaction, summed.
    async fn refunded(&self, transaction_id: &str) -> Result<i64, Error> {
        let refunds = self.refund_payments(transaction_id).await?;
        let mut refunded: i64 = 0;
        for refund in refunds
            .iter()
            .filter(|r| {
                r.original_transaction_id
                    .as_deref()
                    .is_none_or(|t| t == transaction_id)
            })
            .filter(|r| {
                r.refund_status.as_deref().map(codes::refund_status)
                    == Some(RefundStatus::Succeeded)
            })
        {
            let amount = refund.refund_amount.filter(|a| *a > 0).ok_or_else(|| {
                Error::malformed(
                    PROVIDER,
                    None,
                    "a completed refund without a positive `refundAmount`",
                )
            })?;
            refunded = refunded
                .checked_add(amount)
                .ok_or_else(|| Error::malformed(PROVIDER, None, "refund amounts that overflow"))?;
        }
        Ok(refunded)
    }

    fn notify_url_for(&self, request: &PaymentRequest) -> Result<String, Error> {
        request
            .notify_url()
            .map(str::to_owned)
            .or_else(|| self.refund_callback_url.clone())
            .ok_or_else(|| {
                Error::invalid(
                    "notify_url",
                    "BluePay requires a notification URL (--notify-url, or notify_url in the bluepay section)",
                )
            })
    }
}

impl<T: Transport> BluePayClient<T> {
    /// Creates the payment (or, for a barcode, charges and settles it).
    async fn create_new(&self, request: &PaymentRequest) -> Result<Payment, Error> {
        self.check_scene(request.scene())?;
        let amount = request.amount();
        if amount.currency != Currency::Thb {
            return Err(Error::invalid(
                "currency",
                format!("BluePay payments are in THB, not {}", amount.currency),
            ));
        }
        let notify_url = self.notify_url_for(request)?;
        let order = request.order_ref().as_str();
        // BluePay takes 30 s to an hour; an expiry outside that is refused, not moved.
        let expire_seconds = match request.expires_at() {
            None => None,
            Some(at) => {
                let left = at.unix_seconds().saturating_sub(self.now().unix_seconds());
                if !(30..=3600).contains(&left) {
                    return Err(Error::invalid(
                        "expires_at",
                        format!("BluePay codes expire 30 s to 1 h after creation, not {left} s"),
                    ));
                }
                u32::try_from(left).ok()
            }
        };
        let unknown = |e: Error| e.unknown_if_maybe_applied(PROVIDER);
        let (payment, action) = match request.scene() {
            Scene::Qr => {
                let mut param = QrCreateParam::new(QR_CHANNEL, order, notify_url);
                param.amount = Some(amount.minor);
                param.remark = request.description().map(str::to_owned);
                param.expire_seconds = expire_seconds;
                let data = self.qr_create(param).await.map_err(unknown)?;
                let content = data
                    .qr_code_content
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        unknown(Error::malformed(
                            PROVIDER,
                            None,
                            "QR answer without `qrCodeContent`",
                        ))
                    })?;
                (data.transaction_id, PaymentAction::Qr { content })
            }
            Scene::Web { return_url } => {
                let customer = request.customer().ok_or_else(|| {
                    Error::invalid(
                        "customer",
                        "BluePay's WebPay requires the customer's name, e-mail and Thai mobile number",
                    )
                })?;
                let return_url = return_url.clone().ok_or_else(|| {
                    Error::invalid("return_url", "BluePay's WebPay requires a redirect URL")
                })?;
                let mut param = WebPayCreateParam::new(
                    WEB_CHANNEL,
                    order,
                    amount.minor,
                    notify_url,
                    return_url,
                    customer.name.clone(),
                    customer.email.clone(),
                    customer.mobile.clone(),
                );
                param.remark = request.description().map(str::to_owned);
                param.expire_seconds = expire_seconds;
                let data = self.webpay_create(param).await.map_err(unknown)?;
                let url = data.pay_url.filter(|u| !u.is_empty()).ok_or_else(|| {
                    unknown(Error::malformed(
                        PROVIDER,
                        None,
                        "WebPay answer without `payUrl`",
                    ))
                })?;
                (data.transaction_id, PaymentAction::Redirect { url })
            }
            other => {
                return Err(Error::UnsupportedScene {
                    provider: PROVIDER,
                    scene: other.kind().as_str(),
                    reason: "BluePay offers qr and web".into(),
                });
            }
        };
        Ok(Payment {
            provider: PROVIDER.to_owned(),
            order_ref: request.order_ref().clone(),
            payment,
            amount,
            status: PaymentStatus::Pending,
            provider_status: Some("PENDING".into()),
            action: Some(action),
        })
    }
}

#[async_trait]
impl<T: Transport> PaymentProvider for BluePayClient<T> {
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
        let order = lookup.order_ref.as_str();
        let found = self
            .find(order)
            .await?
            .ok_or_else(|| Error::PaymentNotFound {
                provider: PROVIDER,
                order_ref: order.to_owned(),
            })?;
        let mut status = codes::payment_status(&found.raw);
        if status == PaymentStatus::Succeeded
            && let Some(transaction) = &found.transaction_id
        {
            status =
                PaymentStatus::paid_with_refunds(found.amount, self.refunded(transaction).await?);
        }
        let payment = Payment {
            provider: PROVIDER.to_owned(),
            order_ref: OrderRef::new(order)
                .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?,
            payment: found.transaction_id,
            amount: Money::new(found.amount, Currency::Thb),
            status,
            provider_status: Some(found.raw),
            action: None,
        };
        check_payment(PROVIDER, payment, lookup)
    }

    async fn close_payment(&self, _lookup: &PaymentLookup) -> Result<Payment, Error> {
        Err(Error::Unsupported {
            provider: PROVIDER,
            operation: "close",
            reason: "BluePay publishes no cancel or close call; an unpaid QR code or WebPay \
                     order lapses at its expiry"
                .into(),
        })
    }
}
