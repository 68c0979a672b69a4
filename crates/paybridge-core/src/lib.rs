//! Core types shared by every paybridge crate.
//!
//! Nothing here performs I/O or cryptography: this crate holds the vocabulary — [`Money`] in minor
//! units, bounded identifiers, the unified refund model, the phase-split [`Error`] taxonomy, the
//! injectable [`Clock`] and [`IdGenerator`], the unified payment model ([`PaymentRequest`], [`Scene`],
//! [`Payment`]), and the [`RefundProvider`] and [`PaymentProvider`] traits every provider crate
//! implements.
//!
//! # Example
//!
//! Amounts are parsed exactly into minor units, and a refund request is validated when it is
//! built — nothing invalid ever reaches a provider:
//!
//! ```
//! use paybridge_core::{Currency, MerchantRefundId, Money, PaymentRef, RefundRequest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let amount = Money::parse("12.34", Currency::Thb)?;
//! assert_eq!(amount.minor, 1234);
//! assert!(Money::parse("12.345", Currency::Thb).is_err(), "satang has two places");
//! assert_eq!(Money::parse("500", Currency::Jpy)?.minor, 500, "yen has none");
//!
//! let request = RefundRequest::builder(MerchantRefundId::new("refund-2024-0001")?, amount)
//!     .payment(PaymentRef::new("CU518563189147832780")?)
//!     .reason("damaged in transit")
//!     .build()?;
//! assert_eq!(request.refund_id().as_str(), "refund-2024-0001");
//! assert!(MerchantRefundId::new("").is_err());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod ack;
pub mod barcode;
mod clock;
mod endpoint;
mod error;
mod ids;
mod money;
mod payment;
mod provider;
mod provider_id;
mod refund;
mod statement;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
mod time;
pub mod validate;

pub use ack::notification_ack;
pub use clock::{Clock, IdGenerator, RandomIdGenerator, SystemClock};
pub use endpoint::{Codec, Endpoint, EndpointInfo, Method, Stamp};
pub use error::{
    CodeMeaning, Delivery, Disposition, Error, ErrorSource, ProviderCode, RejectionClass, Result,
    TransportErrorKind, excerpt,
};
pub use ids::{IdError, IdErrorKind, MerchantRefundId, OrderRef, PaymentRef, ProviderRefundId};
pub use money::{Currency, Money, MoneyError, UnknownCurrency};
pub use payment::{
    Customer, MAX_BARCODE_DEADLINE, MAX_DESCRIPTION_LEN, MAX_PAYER_LEN, MIN_BARCODE_DEADLINE,
    Payment, PaymentAction, PaymentLookup, PaymentRequest, PaymentRequestBuilder, Scene, SceneKind,
    check_payment,
};
pub use provider::{PaymentProvider, RefundLookup, RefundProvider, existing_after_refusal};
pub use provider_id::{ProviderId, ProviderProfile};
pub use refund::{
    MAX_REASON_LEN, MAX_URL_LEN, Notification, NotificationEvent, PaymentStatus, PaymentUpdate,
    Refund, RefundRequest, RefundRequestBuilder, RefundStatus,
};
pub use statement::{
    DownloadedStatement, EntryKind, StatementEntries, StatementEntry, StatementKind,
    StatementProvider, StatementSource, StatementSummary,
};
pub use time::{Timestamp, TimestampError};

/// The attribute that implements [`RefundProvider`], [`PaymentProvider`] and
/// [`StatementProvider`] (their methods are `async`, and the traits object-safe).
pub use async_trait::async_trait;
/// The `bytes` crate: a notification's raw body is [`bytes::Bytes`].
pub use bytes;
/// The `http` crate: a notification to verify is an [`http::Request`] of its raw body.
pub use http;
