//! Core types shared by every paybridge crate.
//!
//! Nothing here performs I/O or cryptography: this crate holds the vocabulary — [`Money`] in minor
//! units, bounded identifiers, the unified refund model, the phase-split [`Error`] taxonomy, the
//! injectable [`Clock`] and [`IdGenerator`], the unified payment model ([`PaymentRequest`], [`Scene`],
//! [`Payment`]), and the [`RefundProvider`] and [`PaymentProvider`] traits every provider crate
//! implements.
#![forbid(unsafe_code)]

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
pub use provider_id::ProviderId;
pub use refund::{
    MAX_REASON_LEN, MAX_URL_LEN, Notification, NotificationEvent, PaymentStatus, PaymentUpdate,
    Refund, RefundRequest, RefundRequestBuilder, RefundStatus,
};
pub use statement::{
    DownloadedStatement, EntryKind, StatementEntries, StatementEntry, StatementKind,
    StatementProvider, StatementSource, StatementSummary,
};
pub use time::{Timestamp, TimestampError};
