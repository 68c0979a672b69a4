//! paybridge: refunds (and the rest of the payment lifecycle) across Asian payment providers.
//!
//! This facade re-exports the core types (refunds and payments), the signing and transport crates, and each provider
//! crate behind its cargo feature (`bluepay`, `nomad`, `scanforpay`, `wechatpay`, `alipay`, all
//! on by default). It adds
//! what a program needs to use several providers at once: [`Config`] (`paybridge.toml`, secrets
//! from the environment or files), a [`Gateway`] holding providers by name, and
//! [`reliable_refund`], which never pays twice and never reports a guess.
#![forbid(unsafe_code)]

#[cfg(feature = "batch")]
pub mod batch;
/// Closing the books against a provider's statement (the module lives with the batch store it
/// settles): [`reconcile::reconcile_statement`] and its findings.
#[cfg(feature = "batch")]
pub mod reconcile {
    pub use crate::batch::statement::{
        Finding, FindingKind, ReconcileError, StatementInput, StatementReconciliation,
        reconcile_statement,
    };
}
mod config;
mod gateway;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod notification_store;
#[cfg(feature = "axum")]
pub mod receiver;
mod reliable;
pub mod rows;
pub mod webhook;

pub use config::{Account, Config, ProviderTuning, TransportSettings, config_path};
pub use gateway::{Gateway, MAX_STATEMENT_BYTES, supported, supported_names, supported_providers};
pub use reliable::{RefundOutcome, ReliablePolicy, reliable_refund, resume_refund};

pub use paybridge_core as core;
pub use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, Notification, NotificationEvent, OrderRef, Payment,
    PaymentAction, PaymentLookup, PaymentProvider, PaymentRef, PaymentRequest, PaymentStatus,
    ProviderId, Refund, RefundLookup, RefundProvider, RefundRequest, RefundStatus, Scene,
    SceneKind,
};
pub use paybridge_sign as sign;
pub use paybridge_transport as transport;

#[cfg(feature = "alipay")]
pub use paybridge_alipay as alipay;
#[cfg(feature = "bluepay")]
pub use paybridge_bluepay as bluepay;
#[cfg(feature = "nomad")]
pub use paybridge_nomad as nomad;
#[cfg(feature = "scanforpay")]
pub use paybridge_scanforpay as scanforpay;
#[cfg(feature = "wechatpay")]
pub use paybridge_wechatpay as wechatpay;

/// The README's examples, compiled (and where they need no network, run) as doctests, so they
/// stay true.
#[doc = include_str!("../../../README.md")]
#[cfg(all(
    doctest,
    feature = "bluepay",
    feature = "nomad",
    feature = "scanforpay",
    feature = "wechatpay",
    feature = "alipay"
))]
pub struct ReadmeDoctests;
