//! The unified refund model: what a merchant asks for, what a provider reports, and what a
//! notification tells.

use serde::{Deserialize, Serialize};

use crate::ids::check_id;
use crate::{Error, MerchantRefundId, Money, OrderRef, PaymentRef, Timestamp};

/// The longest refund reason accepted, in characters (the tightest published limit is ScanForPay's
/// title at 100; BluePay and Nomad are looser, so providers may cut further).
pub const MAX_REASON_LEN: usize = 256;
/// The longest notification URL accepted (ScanForPay's `notifyUrl` is String(200)).
pub const MAX_URL_LEN: usize = 200;

/// A request to refund (part of) a payment, validated at construction: a positive amount, a total
/// (when given) in the same currency and not below the amount, bounded free-text fields.
///
/// Which of `payment`, `order_ref` and `total` a provider needs differs: each provider's
/// [`ProviderProfile`](crate::ProviderProfile) says what it calls them and which it requires
/// (`paybridge refund --help` prints them all). The provider crate reports a missing one as
/// [`Error::InvalidRequest`] naming the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RefundRequestFields")]
pub struct RefundRequest {
    refund_id: MerchantRefundId,
    amount: Money,
    payment: Option<PaymentRef>,
    order_ref: Option<OrderRef>,
    total: Option<Money>,
    reason: Option<String>,
    notify_url: Option<String>,
}

/// The wire form of [`RefundRequest`], validated on the way in.
#[derive(Deserialize)]
struct RefundRequestFields {
    refund_id: MerchantRefundId,
    amount: Money,
    #[serde(default)]
    payment: Option<PaymentRef>,
    #[serde(default)]
    order_ref: Option<OrderRef>,
    #[serde(default)]
    total: Option<Money>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    notify_url: Option<String>,
}

impl TryFrom<RefundRequestFields> for RefundRequest {
    type Error = Error;
    fn try_from(f: RefundRequestFields) -> Result<RefundRequest, Error> {
        let mut builder = RefundRequest::builder(f.refund_id, f.amount);
        builder.payment = f.payment;
        builder.order_ref = f.order_ref;
        builder.total = f.total;
        builder.reason = f.reason;
        builder.notify_url = f.notify_url;
        builder.build()
    }
}

impl RefundRequest {
    /// Starts a request for `amount` under the merchant's `refund_id`.
    pub fn builder(refund_id: MerchantRefundId, amount: Money) -> RefundRequestBuilder {
        RefundRequestBuilder {
            refund_id,
            amount,
            payment: None,
            order_ref: None,
            total: None,
            reason: None,
            notify_url: None,
        }
    }

    /// The merchant's refund id, the idempotency key.
    pub fn refund_id(&self) -> &MerchantRefundId {
        &self.refund_id
    }
    /// The amount to refund (positive).
    pub fn amount(&self) -> Money {
        self.amount
    }
    /// The provider's reference to the payment being refunded.
    pub fn payment(&self) -> Option<&PaymentRef> {
        self.payment.as_ref()
    }
    /// The merchant's order reference of the payment.
    pub fn order_ref(&self) -> Option<&OrderRef> {
        self.order_ref.as_ref()
    }
    /// The payment's total, for providers that want it.
    pub fn total(&self) -> Option<Money> {
        self.total
    }
    /// The reason shown to the customer.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    /// Where the provider should send the refund's notification.
    pub fn notify_url(&self) -> Option<&str> {
        self.notify_url.as_deref()
    }
}

/// Builds a [`RefundRequest`]; [`RefundRequestBuilder::build`] validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct RefundRequestBuilder {
    refund_id: MerchantRefundId,
    amount: Money,
    payment: Option<PaymentRef>,
    order_ref: Option<OrderRef>,
    total: Option<Money>,
    reason: Option<String>,
    notify_url: Option<String>,
}

impl RefundRequestBuilder {
    /// The provider's reference to the payment.
    pub fn payment(mut self, payment: PaymentRef) -> Self {
        self.payment = Some(payment);
        self
    }
    /// The merchant's order reference.
    pub fn order_ref(mut self, order_ref: OrderRef) -> Self {
        self.order_ref = Some(order_ref);
        self
    }
    /// The payment's total.
    pub fn total(mut self, total: Money) -> Self {
        self.total = Some(total);
        self
    }
    /// The reason shown to the customer.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    /// Where the provider should send the notification. It overrides the account's
    /// configured `notify_url` for this request (WeChat Pay and Alipay take one in the config;
    /// a `paybridge.toml` the sandbox writes points it at the sandbox's own sink, so a receiver
    /// of your own needs it here or in the config).
    pub fn notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }

    /// Checks the request and returns it, or says which field is wrong.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field that is missing or invalid.
    pub fn build(self) -> Result<RefundRequest, Error> {
        if !self.amount.is_positive() {
            return Err(Error::invalid(
                "amount",
                format!("must be greater than zero, got {}", self.amount),
            ));
        }
        if let Some(total) = self.total {
            if total.currency != self.amount.currency {
                return Err(Error::invalid(
                    "total",
                    format!(
                        "is in {} but the amount is in {}",
                        total.currency, self.amount.currency
                    ),
                ));
            }
            if total.minor < self.amount.minor {
                return Err(Error::invalid(
                    "total",
                    format!("{total} is less than the refund amount {}", self.amount),
                ));
            }
        }
        if let Some(reason) = &self.reason {
            let len = reason.chars().count();
            if len > MAX_REASON_LEN {
                return Err(Error::invalid(
                    "reason",
                    format!("is {len} characters long; the limit is {MAX_REASON_LEN}"),
                ));
            }
            if reason.chars().any(char::is_control) {
                return Err(Error::invalid("reason", "contains a control character"));
            }
        }
        if let Some(url) = &self.notify_url {
            check_id("notify url", url, MAX_URL_LEN)?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Error::invalid(
                    "notify_url",
                    "must be an absolute http(s) URL",
                ));
            }
        }
        Ok(RefundRequest {
            refund_id: self.refund_id,
            amount: self.amount,
            payment: self.payment,
            order_ref: self.order_ref,
            total: self.total,
            reason: self.reason,
            notify_url: self.notify_url,
        })
    }
}

/// Where a refund stands, mapped from each provider's own words.
///
/// Only an explicit success from the provider is [`RefundStatus::Succeeded`]; a value we do not
/// recognise is [`RefundStatus::Pending`] with the raw value kept beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefundStatus {
    /// Accepted and in progress, or not recognised.
    Pending,
    /// The money went back.
    Succeeded,
    /// The provider failed it; the money did not go back.
    Failed,
    /// Cancelled or closed before completion.
    Cancelled,
    /// Stuck and needs the merchant's action (Nomad's `ABNORMAL`).
    RequiresAttention,
}

impl RefundStatus {
    /// Whether the status will not change any more.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            RefundStatus::Succeeded | RefundStatus::Failed | RefundStatus::Cancelled
        )
    }

    /// The lower-case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
            RefundStatus::Cancelled => "cancelled",
            RefundStatus::RequiresAttention => "requires_attention",
        }
    }
}

/// A refund as a provider reports it, in the unified JSON form of the interface specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The provider's name ([`ProviderId::name`](crate::ProviderId::name): `"bluepay"`,
    /// `"nomad"`, `"scanforpay"`, `"wechatpay"`, `"alipay"`).
    pub provider: String,
    /// The payment refunded, as the provider refers to it.
    pub payment: Option<String>,
    /// The merchant's refund id.
    pub refund_id: MerchantRefundId,
    /// The provider's id for the refund.
    pub provider_refund_id: Option<String>,
    /// The amount refunded.
    pub amount: Money,
    /// The unified status.
    pub status: RefundStatus,
    /// The provider's own status value, unchanged.
    pub provider_status: Option<String>,
    /// When the provider created the refund.
    pub created_at: Option<Timestamp>,
    /// When the refund reached a final state.
    pub completed_at: Option<Timestamp>,
}

/// Where a payment stands: in a look-up's answer, a notification, or the unified payment JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Not paid yet (waiting for the customer), or not recognised.
    Pending,
    /// Paid.
    Succeeded,
    /// The payment attempt failed; no money was taken.
    Failed,
    /// Closed (or cancelled) unpaid; it can no longer be paid.
    Closed,
    /// Paid and wholly refunded since (or, where the provider does not say how much, refunded).
    Refunded,
    /// Paid and partly refunded since.
    PartiallyRefunded,
}

impl PaymentStatus {
    /// The status's lower-case name, as in the unified JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Closed => "closed",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    /// Whether money was taken from the customer (and may since have gone back, in part or in
    /// whole).
    pub const fn was_paid(self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded | PaymentStatus::Refunded | PaymentStatus::PartiallyRefunded
        )
    }

    /// The status of a paid payment of `amount` minor units of which `refunded` have gone back.
    pub const fn paid_with_refunds(amount: i64, refunded: i64) -> PaymentStatus {
        if refunded <= 0 {
            PaymentStatus::Succeeded
        } else if refunded >= amount {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        }
    }
}

/// A payment (or payout) event from a notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentUpdate {
    /// The provider's transaction id.
    pub payment: Option<String>,
    /// The merchant's order reference.
    pub order_ref: Option<String>,
    /// The amount, where the notification states it.
    pub amount: Option<Money>,
    /// The unified status.
    pub status: PaymentStatus,
    /// The provider's own status value.
    pub provider_status: Option<String>,
}

/// What a verified notification is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotificationEvent {
    /// A refund changed state.
    Refund {
        /// The refund as the notification reports it.
        refund: Refund,
    },
    /// A payment changed state.
    Payment {
        /// The payment as the notification reports it.
        payment: PaymentUpdate,
    },
    /// A payout changed state.
    Payout {
        /// The payout as the notification reports it.
        payout: PaymentUpdate,
    },
    /// A correctly signed event paybridge does not know. It is still acknowledged (refusing it
    /// would make the provider redeliver it forever) and handed over as the provider sent it.
    Unrecognized {
        /// The event's verified payload, as text.
        raw: String,
    },
}

/// A notification whose authenticity was established (by signature, or for unsigned providers by
/// a status query made on its hint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The provider that sent it.
    pub provider: String,
    /// The provider's event name, where it sends one (`"payment.refund.success"`).
    pub event_name: Option<String>,
    /// What it is about.
    #[serde(flatten)]
    pub event: NotificationEvent,
}

impl Notification {
    /// A key that is equal for two deliveries of the same news, so a handler can drop repeats:
    /// provider, subject id and status (a later status for the same refund is new news).
    pub fn dedup_key(&self) -> String {
        match &self.event {
            NotificationEvent::Refund { refund } => {
                format!(
                    "{}:refund:{}:{}",
                    self.provider,
                    refund.refund_id,
                    refund.status.as_str()
                )
            }
            NotificationEvent::Payment { payment }
            | NotificationEvent::Payout { payout: payment } => format!(
                "{}:payment:{}:{}:{:?}",
                self.provider,
                payment.payment.as_deref().unwrap_or(""),
                payment.order_ref.as_deref().unwrap_or(""),
                payment.status
            ),
            NotificationEvent::Unrecognized { raw } => {
                format!("{}:unrecognized:{raw}", self.provider)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn thb(minor: i64) -> Money {
        Money::new(minor, Currency::Thb)
    }

    fn id(s: &str) -> MerchantRefundId {
        MerchantRefundId::new(s).unwrap()
    }

    #[test]
    fn builds_a_valid_request() {
        let r = RefundRequest::builder(id("r1"), thb(500))
            .payment(PaymentRef::new("CU1").unwrap())
            .total(thb(1000))
            .reason("customer asked")
            .build()
            .unwrap();
        assert_eq!(r.amount(), thb(500));
        assert_eq!(r.payment().unwrap().as_str(), "CU1");
    }

    #[test]
    fn refuses_bad_requests_naming_the_field() {
        let field = |r: Result<RefundRequest, Error>| match r.unwrap_err() {
            Error::InvalidRequest { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            field(RefundRequest::builder(id("r"), thb(0)).build()),
            "amount"
        );
        assert_eq!(
            field(RefundRequest::builder(id("r"), thb(-5)).build()),
            "amount"
        );
        assert_eq!(
            field(
                RefundRequest::builder(id("r"), thb(5))
                    .total(thb(4))
                    .build()
            ),
            "total"
        );
        assert_eq!(
            field(
                RefundRequest::builder(id("r"), thb(5))
                    .total(Money::new(9, Currency::Jpy))
                    .build()
            ),
            "total"
        );
        assert_eq!(
            field(
                RefundRequest::builder(id("r"), thb(5))
                    .reason("x".repeat(300))
                    .build()
            ),
            "reason"
        );
        assert_eq!(
            field(
                RefundRequest::builder(id("r"), thb(5))
                    .notify_url("ftp://x")
                    .build()
            ),
            "notify_url"
        );
    }

    #[test]
    fn deserializing_validates_too() {
        let ok = r#"{"refund_id":"r1","amount":{"minor":5,"currency":"THB"}}"#;
        assert!(serde_json::from_str::<RefundRequest>(ok).is_ok());
        let zero = r#"{"refund_id":"r1","amount":{"minor":0,"currency":"THB"}}"#;
        assert!(serde_json::from_str::<RefundRequest>(zero).is_err());
    }

    #[test]
    fn unified_refund_json_matches_the_interface() {
        let refund = Refund {
            provider: "bluepay".into(),
            payment: Some("CU1".into()),
            refund_id: id("r1"),
            provider_refund_id: None,
            amount: thb(1234),
            status: RefundStatus::RequiresAttention,
            provider_status: Some("ABNORMAL".into()),
            created_at: Timestamp::from_unix_with_offset(1_722_418_660, 420),
            completed_at: None,
        };
        let json = serde_json::to_string(&refund).unwrap();
        assert_eq!(
            json,
            r#"{"provider":"bluepay","payment":"CU1","refund_id":"r1","provider_refund_id":null,"amount":{"minor":1234,"currency":"THB"},"status":"requires_attention","provider_status":"ABNORMAL","created_at":"2024-07-31T16:37:40+07:00","completed_at":null}"#
        );
        assert_eq!(serde_json::from_str::<Refund>(&json).unwrap(), refund);
    }

    #[test]
    fn notification_json_is_tagged_by_kind() {
        let n = Notification {
            provider: "scanforpay".into(),
            event_name: None,
            event: NotificationEvent::Payment {
                payment: PaymentUpdate {
                    payment: Some("p1".into()),
                    order_ref: None,
                    amount: Some(Money::new(100, Currency::Hkd)),
                    status: PaymentStatus::Succeeded,
                    provider_status: Some("1".into()),
                },
            },
        };
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["kind"], "payment");
        assert_eq!(json["payment"]["status"], "succeeded");
        assert_eq!(serde_json::from_value::<Notification>(json).unwrap(), n);
    }
}
