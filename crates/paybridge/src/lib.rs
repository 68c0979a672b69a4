//! Payments, refunds and statements across Asian payment providers — **BluePay** (Thailand),
//! the **Nomad** broker (WeChat Pay / Alipay), **ScanForPay** (Hong Kong), **WeChat Pay** API v3
//! and **Alipay** — behind one typed, async interface that is careful with money: amounts are
//! integers in minor units, every refund carries your refund id on every retry, every signature
//! is checked over the raw bytes received, and an outcome nobody knows is reported as unknown,
//! never guessed.
//!
//! # Quick start
//!
//! 1. **Configure** each provider account in `paybridge.toml` (secrets come from files or
//!    environment variables, never the file itself; see [`guides::configuration`]):
//!
//!    ```toml
//!    [wechatpay]
//!    base_url = "https://api.mch.weixin.qq.com"
//!    mchid = "1900000109"
//!    merchant_serial_no = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
//!    private_key_file = "apiclient_key.pem"
//!    apiv3_key_env = "WECHATPAY_APIV3_KEY"
//!    wechatpay_public_key_file = "pub_key.pem"
//!    wechatpay_public_key_id = "PUB_KEY_ID_0114232134912410000000000000"
//!    ```
//!
//! 2. **Build a [`Gateway`]** from it, and **refund** through an account by name.
//!    [`Gateway::reliable_refund`] retries under the same refund id and settles an unknown
//!    outcome by looking the refund up. This runs against the embedded sandbox
//!    ([`paybridge-sandbox`](https://docs.rs/paybridge-sandbox)), which writes a
//!    `paybridge.toml` for every provider:
//!
//!    ```
//!    use paybridge::{Config, Currency, Gateway, MerchantRefundId, Money, OrderRef, RefundOutcome, RefundRequest, ReliablePolicy};
//!
//!    # #[tokio::main(flavor = "current_thread")]
//!    # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!    # let sandbox = paybridge_sandbox::Sandbox::start(Default::default()).await?;
//!    # let dir = std::env::temp_dir().join(format!("paybridge-doc-{}", std::process::id()));
//!    # std::fs::create_dir_all(&dir)?;
//!    # let config_file = dir.join("paybridge.toml");
//!    # sandbox.write_config(&config_file)?;
//!    # let paid = sandbox.create_payment(paybridge_sandbox::ProviderId::WechatPay, 12_800, Currency::Cny)?;
//!    # let order_ref = paid.order_ref;
//!    let gateway = Gateway::from_config(&Config::load(&config_file)?)?;
//!
//!    // Half of a 128.00 CNY order: WeChat Pay names the payment by your out_trade_no
//!    // and needs its total.
//!    let request = RefundRequest::builder(MerchantRefundId::new("refund-0001")?, Money::parse("64.00", Currency::Cny)?)
//!        .order_ref(OrderRef::new(order_ref)?)
//!        .total(Money::parse("128.00", Currency::Cny)?)
//!        .reason("returned")
//!        .build()?;
//!    match gateway.reliable_refund("wechatpay", &request, &ReliablePolicy::default()).await {
//!        RefundOutcome::Refunded(refund) => println!("{} is {}", refund.refund_id, refund.status.as_str()),
//!        // May have been applied: look it up later under the same id — never refund again.
//!        RefundOutcome::Unknown(error) => println!("unknown for now: {error}"),
//!        other => println!("not refunded: {:?}", other.error()),
//!    }
//!    # Ok(()) }
//!    ```
//!
//! 3. **Receive notifications** (feature `axum`): a [`receiver::Receiver`] per account verifies
//!    each one over its raw body, hands it to your handler once (a
//!    [`notification_store`] remembers what was handled, across restarts and instances), and
//!    acknowledges it the provider's way only after your handler succeeded:
//!
//!    ```
//!    # #[cfg(feature = "axum")]
//!    # fn build(gateway: &paybridge::Gateway) -> Result<axum::Router, paybridge::Error> {
//!    use std::sync::Arc;
//!    use std::time::Duration;
//!    use paybridge::Notification;
//!    use paybridge::notification_store::SqliteNotificationStore;
//!    use paybridge::receiver::Receiver;
//!
//!    let store = Arc::new(SqliteNotificationStore::open("notifications.sqlite", Duration::from_secs(60))?);
//!    let receiver = Receiver::new(Arc::clone(gateway.provider("wechatpay")?), store, |notification: Notification| async move {
//!        // Your business: mark the order refunded, e-mail the customer…
//!        println!("{:?}", notification.event);
//!        Ok(())
//!    });
//!    Ok(axum::Router::new().nest("/hooks/wechatpay", receiver.router()))
//!    # }
//!    ```
//!
//! The repository's [`crates/paybridge/examples/`](https://github.com/paybridge/paybridge/tree/main/crates/paybridge/examples)
//! has one program per provider — a payment, a refund and both notifications,
//! runnable as they are against the sandbox (`cargo run -p paybridge --features axum --example
//! wechatpay`) — and `webhook_server`, a receiver for every configured account.
//!
//! # What is never done
//!
//! These rules hold everywhere in paybridge, and the sandbox's tests hold the clients to them:
//!
//! - **A refund is never sent twice under two ids.** Every retry reuses the merchant's refund id;
//!   an outcome that may have been applied is resolved by a status query, never by a new refund.
//! - **"Failed" is said only when it is known.** Once any attempt may have reached the provider,
//!   no later answer is reported as rejected or failed unless a look-up proves nothing was
//!   applied — a merchant told "failed" refunds again, under a new id. Otherwise the outcome is
//!   [`RefundOutcome::Unknown`], to settle later with [`Gateway::refund_status`] or
//!   [`resume_refund`].
//! - **Nothing unverified is believed.** Answers and notifications are verified over the raw
//!   bytes received, values are read only from what was verified, and a key named twice is
//!   refused.
//! - **Money is never a float.** [`Money`] is an integer in minor units with its currency;
//!   decimals are parsed exactly.
//! - **Bad input sends nothing.** Invalid ids, amounts, keys or configuration get a typed
//!   [`Error`] before anything goes out, and [`Error::nothing_sent`] /
//!   [`Error::outcome_unknown`] say which side of the wire a failure was on.
//! - **Secrets stay secret.** No key reaches `Debug`, `Display`, an error or a log.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `bluepay` | yes | [`bluepay`]: BluePay (Thailand), RSA-signed envelopes |
//! | `nomad` | yes | [`nomad`]: the Nomad broker (WeChat Pay / Alipay), API key |
//! | `scanforpay` | yes | [`scanforpay`]: ScanForPay (Hong Kong), SHA-256 keyed envelopes |
//! | `wechatpay` | yes | [`wechatpay`]: WeChat Pay API v3, direct merchant |
//! | `alipay` | yes | [`alipay`]: Alipay Open Platform, direct merchant |
//! | `sqlite` | no | [`notification_store::SqliteNotificationStore`]: exactly-once notification handling on one machine (SQLite, bundled) |
//! | `postgres` | no | [`notification_store::PostgresNotificationStore`]: the same, shared by several service instances |
//! | `axum` | no | [`receiver`]: webhook receivers for axum (turns on `sqlite`) |
//! | `batch` | no | [`batch`] and [`reconcile`]: batch refunds exactly once across crashes and re-runs, and reconciliation against the provider's statements (turns on `sqlite`) |
//!
//! A merchant using one provider turns the others off (`default-features = false, features =
//! ["wechatpay"]`), or depends on that provider's crate alone.
//!
//! # The crates
//!
//! | crate | job |
//! |---|---|
//! | [`paybridge-core`](core) | money, ids, the payment, refund and statement models, errors, the provider traits — no I/O, no crypto |
//! | [`paybridge-sign`](sign) | RFC 8785 canonical JSON, RSA, HMAC, AES-GCM over *ring* or aws-lc-rs, key loading |
//! | [`paybridge-transport`](transport) | the only way out: hyper + rustls, timeouts, retries with one budget, redacted logs |
//! | `paybridge-bluepay`, `-nomad`, `-scanforpay`, `-wechatpay`, `-alipay` | one provider each: sans-I/O request building and answer reading, and a client |
//! | `paybridge` (this crate) | configuration, the [`Gateway`], [`reliable_refund`], batches, receivers |
//! | [`paybridge-sandbox`](https://docs.rs/paybridge-sandbox) | every provider's API on loopback, for your integration tests |
//! | [`paybridge-cli`](https://docs.rs/paybridge-cli) | the `paybridge` command line |
//!
//! # Guides
//!
//! [`guides::configuration`], [`guides::providers`], [`guides::payments`],
//! [`guides::batches`], [`guides::statements`], [`guides::webhooks`].
//!
// Links to items behind a feature resolve in place when it is on, and to docs.rs when it is off,
// so `cargo doc` warns about none either way.
#![cfg_attr(
    feature = "axum",
    doc = "[`receiver::Receiver`]: crate::receiver::Receiver"
)]
#![cfg_attr(
    not(feature = "axum"),
    doc = "[`receiver::Receiver`]: https://docs.rs/paybridge/latest/paybridge/receiver/struct.Receiver.html"
)]
#![cfg_attr(feature = "axum", doc = "[`receiver`]: crate::receiver")]
#![cfg_attr(
    not(feature = "axum"),
    doc = "[`receiver`]: https://docs.rs/paybridge/latest/paybridge/receiver/index.html"
)]
#![cfg_attr(
    any(feature = "sqlite", feature = "postgres"),
    doc = "[`notification_store`]: crate::notification_store"
)]
#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    doc = "[`notification_store`]: https://docs.rs/paybridge/latest/paybridge/notification_store/index.html"
)]
#![cfg_attr(
    feature = "sqlite",
    doc = "[`notification_store::SqliteNotificationStore`]: crate::notification_store::SqliteNotificationStore"
)]
#![cfg_attr(
    not(feature = "sqlite"),
    doc = "[`notification_store::SqliteNotificationStore`]: https://docs.rs/paybridge/latest/paybridge/notification_store/struct.SqliteNotificationStore.html"
)]
#![cfg_attr(
    feature = "postgres",
    doc = "[`notification_store::PostgresNotificationStore`]: crate::notification_store::PostgresNotificationStore"
)]
#![cfg_attr(
    not(feature = "postgres"),
    doc = "[`notification_store::PostgresNotificationStore`]: https://docs.rs/paybridge/latest/paybridge/notification_store/struct.PostgresNotificationStore.html"
)]
#![cfg_attr(feature = "batch", doc = "[`batch`]: crate::batch")]
#![cfg_attr(
    not(feature = "batch"),
    doc = "[`batch`]: https://docs.rs/paybridge/latest/paybridge/batch/index.html"
)]
#![cfg_attr(feature = "batch", doc = "[`reconcile`]: crate::reconcile")]
#![cfg_attr(
    not(feature = "batch"),
    doc = "[`reconcile`]: https://docs.rs/paybridge/latest/paybridge/reconcile/index.html"
)]
#![cfg_attr(feature = "bluepay", doc = "[`bluepay`]: crate::bluepay")]
#![cfg_attr(
    not(feature = "bluepay"),
    doc = "[`bluepay`]: https://docs.rs/paybridge/latest/paybridge/bluepay/index.html"
)]
#![cfg_attr(feature = "nomad", doc = "[`nomad`]: crate::nomad")]
#![cfg_attr(
    not(feature = "nomad"),
    doc = "[`nomad`]: https://docs.rs/paybridge/latest/paybridge/nomad/index.html"
)]
#![cfg_attr(feature = "scanforpay", doc = "[`scanforpay`]: crate::scanforpay")]
#![cfg_attr(
    not(feature = "scanforpay"),
    doc = "[`scanforpay`]: https://docs.rs/paybridge/latest/paybridge/scanforpay/index.html"
)]
#![cfg_attr(feature = "wechatpay", doc = "[`wechatpay`]: crate::wechatpay")]
#![cfg_attr(
    not(feature = "wechatpay"),
    doc = "[`wechatpay`]: https://docs.rs/paybridge/latest/paybridge/wechatpay/index.html"
)]
#![cfg_attr(feature = "alipay", doc = "[`alipay`]: crate::alipay")]
#![cfg_attr(
    not(feature = "alipay"),
    doc = "[`alipay`]: https://docs.rs/paybridge/latest/paybridge/alipay/index.html"
)]
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

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
#[cfg(feature = "sqlite")]
mod sqlite_group;
pub mod webhook;

pub use config::{
    Account, Config, ProviderTuning, TransportSettings, UnusableAccount, config_path,
};
pub use gateway::{
    Gateway, MAX_STATEMENT_BYTES, profile, profiles, supported, supported_names,
    supported_providers,
};
pub use reliable::{RefundOutcome, ReliablePolicy, reliable_refund, resume_refund};

/// The `bytes` crate, whose `Bytes` holds a notification's raw body.
pub use bytes;
/// The `http` crate, whose `Request` carries a notification to be verified.
pub use http;
pub use paybridge_core as core;
pub use paybridge_core::{
    Currency, Customer, DownloadedStatement, EntryKind, Error, IdError, MerchantRefundId, Money,
    MoneyError, Notification, NotificationEvent, OrderRef, Payment, PaymentAction, PaymentLookup,
    PaymentProvider, PaymentRef, PaymentRequest, PaymentRequestBuilder, PaymentStatus,
    PaymentUpdate, ProviderId, ProviderProfile, ProviderRefundId, Refund, RefundLookup,
    RefundProvider, RefundRequest, RefundRequestBuilder, RefundStatus, Scene, SceneKind,
    StatementEntry, StatementKind, StatementProvider, StatementSummary, Timestamp, UnknownCurrency,
    async_trait,
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

/// The long forms, as documentation pages (the same files as `crates/paybridge/docs/*.md`).
///
/// Their examples are doctests where every provider is built in (they use each).
#[cfg(any(
    not(doctest),
    all(
        feature = "bluepay",
        feature = "nomad",
        feature = "scanforpay",
        feature = "wechatpay",
        feature = "alipay"
    )
))]
pub mod guides {
    /// `paybridge.toml`: each provider's section, secrets, named accounts, timeouts and retries.
    pub mod configuration {
        #![doc = include_str!("../docs/configuration.md")]
    }
    /// Each provider's client, built directly without the configuration file.
    pub mod providers {
        #![doc = include_str!("../docs/providers.md")]
    }
    /// Taking payments: scenes, actions, barcode settlement and honest statuses.
    pub mod payments {
        #![doc = include_str!("../docs/payments.md")]
    }
    /// Batch refunds, exactly once across crashes, re-runs and concurrent runs.
    pub mod batches {
        #![doc = include_str!("../docs/batches.md")]
    }
    /// Statements (bills) and closing the books against a batch.
    pub mod statements {
        #![doc = include_str!("../docs/statements.md")]
    }
    /// Webhook receivers and exactly-once notification stores.
    pub mod webhooks {
        #![doc = include_str!("../docs/webhooks.md")]
    }
}

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
