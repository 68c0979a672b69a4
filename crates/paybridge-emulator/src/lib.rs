//! The provider side of paybridge's sandbox, shared by every provider crate's `emulator`
//! module: the [`Ledger`] of payments and refunds an emulated provider keeps, the [`Answer`]s
//! it writes, and the two contracts between an emulator and the sandbox around it —
//! [`Emulator`] (what a provider crate implements beside its wire types) and [`Host`] (what
//! the sandbox lends it: the clock, the ledger, settling and notification delivery).
//!
//! Keeping each provider's emulation in its own crate, next to the types it answers with,
//! means a change to a wire type and to its emulation is one change; the sandbox keeps only
//! what is provider-neutral (the listener, routing, faults, control endpoints, delivery).
//!
//! # Example
//!
//! The ledger applies refunds the way a provider does — a repeated refund id is a duplicate, not
//! a second refund, and no refund takes a payment past its amount:
//!
//! ```
//! use paybridge_core::{Currency, ProviderId, Timestamp};
//! use paybridge_emulator::{Applied, Ledger, NewRefund, Payment, Refusal};
//!
//! let ledger = Ledger::default();
//! let now = Timestamp::from_unix(1_700_000_000).unwrap();
//! ledger
//!     .add_payment(Payment::new(ProviderId::BluePay, "CU1".into(), "order-1".into(), 10_000, Currency::Thb, now))
//!     .unwrap();
//! let refund = |id: &str, amount_minor| NewRefund {
//!     provider: ProviderId::BluePay,
//!     payment: "CU1".into(),
//!     refund_id: id.into(),
//!     amount_minor,
//!     callback_url: None,
//!     reason: None,
//!     one_pending_at_a_time: false,
//!     final_at_once: true,
//!     max_refunds: None,
//!     ids_per_payment: false,
//!     now,
//! };
//! assert!(matches!(ledger.apply(refund("r-1", 6_000)), Ok(Applied::New(..))));
//! assert!(matches!(ledger.apply(refund("r-1", 6_000)), Ok(Applied::Duplicate(..))));
//! assert_eq!(ledger.apply(refund("r-2", 6_000)).unwrap_err(), Refusal::Exceeds { refundable: 4_000 });
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
pub mod ledger;
#[cfg(feature = "test-util")]
pub mod test_util;

use std::fmt;

pub use answer::{Answer, bytes, json};
pub use ledger::{
    Applied, CloseRefusal, CustomerAction, CustomerRefusal, Ledger, NewRefund, Payment,
    RefundEntry, RefundState, Refusal,
};
use paybridge_core::{Currency, ProviderId, Timestamp};

/// What an emulator counts, for the sandbox's statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Counted {
    /// A refund was recorded in the ledger.
    RefundApplied,
    /// A call was refused (signature, fields, rules).
    Rejected,
    /// A refund id the ledger knows was sent again.
    Resend,
    /// A payment was created through the provider's payment API.
    PaymentCreated,
    /// A barcode charge was received (resends included).
    Charge,
    /// A payment was closed or cancelled through the provider's API.
    PaymentClosed,
}

/// A notification to deliver to a merchant, redelivered until `acknowledged` says so.
pub struct OutgoingNotification {
    /// Where (the merchant's callback URL).
    pub url: String,
    /// The body, as the provider writes it.
    pub body: Vec<u8>,
    /// Its content type.
    pub content_type: &'static str,
    /// Headers beside it (WeChat Pay signs its notifications in `Wechatpay-*` headers).
    pub headers: Vec<(&'static str, String)>,
    /// Whether a merchant's answer acknowledges it, the provider's way.
    pub acknowledged: fn(http::StatusCode, &[u8]) -> bool,
}

impl fmt::Debug for OutgoingNotification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingNotification")
            .field("url", &self.url)
            .field("bytes", &self.body.len())
            .field("content_type", &self.content_type)
            .field("headers", &self.headers.len())
            .finish_non_exhaustive()
    }
}

/// What the sandbox lends an emulator.
pub trait Host: Send + Sync {
    /// Now, on the sandbox's clock.
    fn now(&self) -> Timestamp;
    /// The ledger every emulated provider records in.
    fn ledger(&self) -> &Ledger;
    /// The sandbox's base URL (`http://127.0.0.1:port`), for links a provider hands out.
    fn base_url(&self) -> &str;
    /// Whether refunds are final at once (no settling delay configured).
    fn settles_at_once(&self) -> bool;
    /// How far a request's timestamp may be from now, in seconds.
    fn timestamp_window_secs(&self) -> i64;
    /// Counts an event.
    fn count(&self, event: Counted);
    /// After a refund was recorded: makes it final (now, or after the configured delay) and
    /// delivers the provider's notification ([`Emulator::refund_notification`]).
    fn settle(&self, provider: ProviderId, payment: Payment, entry: RefundEntry);
    /// Delivers a notification in the background.
    fn deliver(&self, delivery: OutgoingNotification);
}

/// One provider's side of its API, as its documentation describes it: checks every call the
/// way the provider does (signatures, fields, refund rules), answers in the provider's words,
/// and writes its notifications.
pub trait Emulator: Send + Sync {
    /// The provider.
    fn provider(&self) -> ProviderId;

    /// Answers one call; `path` is what follows `/{provider}` in the request's path.
    fn handle(
        &self,
        host: &dyn Host,
        request: &http::request::Parts,
        path: &str,
        body: &[u8],
    ) -> Answer;

    /// The notification of a refund that became final (`None`: the provider sends none).
    fn refund_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
        entry: &RefundEntry,
    ) -> Option<OutgoingNotification>;

    /// The answer a merchant gives this provider's notifications (the sandbox's own sink
    /// writes it).
    fn acknowledgement(&self) -> Answer;

    /// The currencies its payments are in.
    fn currencies(&self) -> &'static [Currency];

    /// A new paid payment's ids in the provider's style, from the ledger's number `n`:
    /// `(payment reference, merchant order reference)`.
    fn payment_ids(&self, n: u64) -> (String, String);

    /// The notification of a payment the customer just paid (`None`: the provider sends none,
    /// or the payment named no notification URL).
    fn payment_notification(
        &self,
        _host: &dyn Host,
        _payment: &Payment,
    ) -> Option<OutgoingNotification> {
        None
    }

    /// The prefix of the payment codes this provider's customers show (`"28"` for Alipay,
    /// `"13"` for WeChat Pay), for `POST /_sandbox/customer/barcode`; `None` when the provider
    /// takes no barcode payments.
    fn auth_code_prefix(&self) -> Option<&'static str> {
        None
    }

    /// Whether the provider's refund ids are unique within their payment only (Alipay's
    /// `out_request_no`), rather than across the merchant's payments.
    fn refund_ids_per_payment(&self) -> bool {
        false
    }
}
