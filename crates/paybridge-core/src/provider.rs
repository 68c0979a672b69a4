//! The trait every provider crate implements, so a merchant's code (and the facade's gateway) can
//! treat providers alike.

use async_trait::async_trait;
use bytes::Bytes;

use crate::{
    MerchantRefundId, Money, Notification, OrderRef, PaymentRef, Refund, RefundRequest, Result,
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
