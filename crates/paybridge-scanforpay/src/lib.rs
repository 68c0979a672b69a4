//! ScanForPay (Hong Kong): Alipay, AlipayHK and WeChat Pay acquiring.
//!
//! Every call is `{"request": {"header", "body"}, "signature"}` with
//! `signature = hex(sha256(request bytes ‖ signKey))` — a keyed hash, not an HMAC. The request
//! value is written once as canonical JSON and embedded unchanged; responses and notifications
//! are verified over the `response` bytes exactly as received (PHP senders escape `/` and
//! non-ASCII; only the raw bytes hash right) before anything is parsed.
//!
//! - [`Codec`]: sans-I/O encoding and verification.
//! - [`ScanForPayClient`]: one method per call, and the unified [`paybridge_core::RefundProvider`].
//!
//! The crate has the anatomy every provider crate shares (`docs/provider.md`): [`config`] (the
//! account's settings and its `paybridge.toml` section), [`wire`] (requests, responses and
//! notifications as sent), [`endpoints`] (the table of calls), the codec, [`codes`] (every
//! code's meaning, class and retry action; status mapping), the client, the unified provider,
//! and — with feature `emulator` — the provider's own side for paybridge's sandbox.
//!
//! # Example
//!
//! Hong Kong; SHA-256 keyed envelopes; the payment's `partnerOrderNo`; no refund query — resend with the same refund id to learn an unknown outcome, which `reliable_refund` does.
//!
//! ```no_run
//! use paybridge_core::{Currency, MerchantRefundId, Money, PaymentRef, RefundProvider, RefundRequest};
//! use paybridge_scanforpay::{ScanForPayClient, ScanForPayConfig};
//! use paybridge_sign::SecretString;
//! use paybridge_transport::HyperTransport;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ScanForPayConfig::new(
//!     "https://pay.scanforpay.com",
//!     "10001",
//!     "S001",
//!     SecretString::new(std::env::var("SCANFORPAY_SIGN_KEY")?),
//! );
//! let client = ScanForPayClient::new(config, HyperTransport::with_defaults()?)?;
//!
//! // The same refund code works for every provider (`RefundProvider`); retries reuse the id.
//! let request = RefundRequest::builder(MerchantRefundId::new("refund-0001")?, Money::parse("12.34", Currency::Hkd)?)
//!     .payment(PaymentRef::new("P20240101000001")?)
//!     .build()?;
//! let refund = client.refund(&request).await?;
//! println!("{} is {}", refund.refund_id, refund.status.as_str());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod codec;
pub mod codes;
pub mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod endpoints;
mod payments;
mod provider;
pub mod validate;
pub mod wire;

pub use client::ScanForPayClient;
pub use codec::{Codec, HONG_KONG_OFFSET_MINUTES, PROVIDER, verify_envelope};
pub use config::{ScanForPayConfig, ScanForPaySettings};
pub use payments::SCENES;
pub use provider::unified_notification;
pub use wire::notifications::NOTIFICATION_ACK;
