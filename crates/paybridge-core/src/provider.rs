//! The trait every provider crate implements, so a merchant's code (and the facade's gateway) can
//! treat providers alike.

use async_trait::async_trait;
use bytes::Bytes;

use crate::{
    MerchantRefundId, Money, Notification, OrderRef, Payment, PaymentLookup, PaymentRef,
    PaymentRequest, Refund, RefundRequest, Result, Scene, SceneKind,
};

/// What identifies a refund for a status lookup. Providers key refunds differently: BluePay looks
/// refunds up by payment, Nomad by the merchant refund id, ScanForPay only through the payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundLookup {
    /// The merchant's refund id.
    pub refund_id: MerchantRefundId,
    /// The payment the refund belongs to.
    pub payment: Option<PaymentRef>,
    /// The merchant's order reference.
    pub order_ref: Option<OrderRef>,
    /// The amount the refund was for, when known: lets providers that report refunds only in
    /// aggregate (ScanForPay) check what they can, and every provider check integrity.
    pub amount: Option<Money>,
}

impl RefundLookup {
    /// A lookup by refund id alone.
    pub fn new(refund_id: MerchantRefundId) -> RefundLookup {
        RefundLookup {
            refund_id,
            payment: None,
            order_ref: None,
            amount: None,
        }
    }
}

impl From<&RefundRequest> for RefundLookup {
    fn from(request: &RefundRequest) -> RefundLookup {
        RefundLookup {
            refund_id: request.refund_id().clone(),
            payment: request.payment().cloned(),
            order_ref: request.order_ref().cloned(),
            amount: Some(request.amount()),
        }
    }
}

/// A payment provider that can refund, look refunds up and authenticate its notifications.
///
/// Implementations must keep the money-safety rules: `refund` sends the merchant's refund id on
/// every attempt, reports an unknown outcome as [`crate::Error::OutcomeUnknown`] (or a transport
/// error that may have been delivered) rather than guessing, and checks the provider's answer
/// against the request.
#[async_trait]
pub trait RefundProvider: Send + Sync + std::fmt::Debug {
    /// The provider's short name (`"bluepay"`, `"nomad"`, `"scanforpay"`).
    fn name(&self) -> &'static str;

    /// Refunds (part of) a payment. Safe to call again with the same request after any error for
    /// which [`crate::Error::is_retryable`] holds: the refund id makes it idempotent.
    async fn refund(&self, request: &RefundRequest) -> Result<Refund>;

    /// Looks a refund up; how an unknown outcome is resolved.
    async fn refund_status(&self, lookup: &RefundLookup) -> Result<Refund>;

    /// Authenticates a raw notification (as the HTTP server received it) and parses it.
    async fn verify_notification(&self, request: &http::Request<Bytes>) -> Result<Notification>;

    /// The reply the provider expects once a notification has been handled, so it stops
    /// redelivering.
    fn notification_ack(&self) -> http::Response<Bytes>;

    /// The `paybridge.toml` settings that hold what this provider's answers are verified with,
    /// named in the message when answers keep failing verification (`None`: its answers are
    /// not signed).
    fn verification_settings(&self) -> Option<&'static str> {
        None
    }
}

/// A payment provider that can take payments: create one in a scene, look it up, close it (and
/// cancel it, where the provider can reverse a payment in flight).
///
/// The money-safety rules for payments mirror those for refunds: `create_payment` sends the
/// merchant's order reference on every attempt and never a new one; an outcome it cannot prove
/// is [`crate::Error::OutcomeUnknown`], settled by [`PaymentProvider::payment_status`] under
/// the same reference; a payment is reported succeeded only from a verified answer that names
/// this order with this amount and currency; and a barcode payment still waiting for the buyer
/// at its deadline is cancelled only right after a look-up showed it unpaid.
#[async_trait]
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// The provider's short name.
    fn name(&self) -> &'static str;

    /// The scenes this provider takes payments in. Asking for another is
    /// [`crate::Error::UnsupportedScene`] before anything is sent.
    fn scenes(&self) -> &'static [SceneKind];

    /// Creates a payment and says what to show the customer (or, for a barcode payment, waits
    /// for its outcome up to the request's deadline).
    async fn create_payment(&self, request: &PaymentRequest) -> Result<Payment>;

    /// Looks a payment up by the merchant's order reference.
    async fn payment_status(&self, lookup: &PaymentLookup) -> Result<Payment>;

    /// Closes an unpaid payment so it can no longer be paid. A paid payment is not closed: the
    /// answer says it is paid (refund it instead).
    async fn close_payment(&self, lookup: &PaymentLookup) -> Result<Payment>;

    /// Refuses a scene this provider does not offer, before anything is sent.
    ///
    /// # Errors
    /// [`crate::Error::UnsupportedScene`] naming the scenes it does offer.
    fn check_scene(&self, scene: &Scene) -> Result<()> {
        let kind = scene.kind();
        if self.scenes().contains(&kind) {
            return Ok(());
        }
        let offered: Vec<&str> = self.scenes().iter().map(|k| k.as_str()).collect();
        Err(crate::Error::UnsupportedScene {
            provider: self.name(),
            scene: kind.as_str(),
            reason: format!("it offers {}", offered.join(", ")),
        })
    }
}

/// After a creation was refused: the payment the provider already holds under the request's
/// order reference, when a look-up finds it for this amount and currency — a repeated create
/// (a retry across runs, a duplicate order id) is then reported as the payment it is, never as a
/// refusal the merchant would answer by creating it again under a new reference. Any other
/// error, or a look-up that finds nothing matching, leaves the refusal as it was.
///
/// # Errors
/// `refusal`, when it stands.
pub async fn existing_after_refusal<P: PaymentProvider + ?Sized>(
    provider: &P,
    request: &PaymentRequest,
    refusal: crate::Error,
) -> Result<Payment> {
    if !matches!(refusal, crate::Error::Rejected { .. }) {
        return Err(refusal);
    }
    match provider.payment_status(&PaymentLookup::from(request)).await {
        Ok(existing) => Ok(existing),
        Err(_) => Err(refusal),
    }
}
