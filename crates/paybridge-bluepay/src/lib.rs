//! BluePay (Thailand) merchant Open API for paybridge.
//!
//! Every call is an envelope `{"appId", "sign", "param"}` where `param` is the business object as
//! a JSON string — written here as RFC 8785 canonical JSON, so a request always has the same
//! bytes — and `sign` is SHA256withRSA over exactly those bytes with the merchant's key.
//! Notifications are verified with BluePay's platform key over the `param` string as received.
//!
//! - [`Codec`]: sans-I/O encoding and decoding (test, fuzz and benchmark it on bytes).
//! - [`BluePayClient`]: one async method per endpoint over any [`paybridge_transport::Transport`],
//!   and the unified [`paybridge_core::RefundProvider`].
//!
//! The crate has the anatomy every provider crate shares (`docs/provider.md`): [`config`] (the
//! account's settings and its `paybridge.toml` section), [`wire`] (requests, responses and
//! notifications as sent), [`endpoints`] (the table of calls), the codec, [`codes`] (every
//! code's meaning, class and retry action; status mapping), the client, the unified provider,
//! and — with feature `emulator` — the provider's own side for paybridge's sandbox.
//!
//! # Example
//!
//! Thailand; RSA-signed `param`, THB in satang, the payment's `originalTransactionId`.
//!
//! ```no_run
//! use paybridge_core::{Currency, MerchantRefundId, Money, PaymentRef, RefundProvider, RefundRequest};
//! use paybridge_bluepay::{BluePayClient, BluePayConfig};
//! use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
//! use paybridge_transport::HyperTransport;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = BluePayConfig::new(
//!     "https://api.bluepay.example",
//!     "733b887a4a784708bb369524db5b6ded",
//!     RsaPrivateKey::from_bytes(&std::fs::read("merchant.pem")?)?,
//!     RsaPublicKey::from_bytes(&std::fs::read("platform.pem")?)?,
//! );
//! config.refund_callback_url = Some("https://merchant.example/hooks/bluepay".into());
//! let client = BluePayClient::new(config, HyperTransport::with_defaults()?)?;
//!
//! // The same refund code works for every provider (`RefundProvider`); retries reuse the id.
//! let request = RefundRequest::builder(MerchantRefundId::new("refund-0001")?, Money::parse("12.34", Currency::Thb)?)
//!     .payment(PaymentRef::new("CU518563189147832780")?)
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

pub use client::BluePayClient;
pub use codec::{
    BANGKOK_OFFSET_MINUTES, Codec, PROVIDER, Stamped, decode_response, parse_event,
    verify_notification,
};
pub use config::{BluePayConfig, BluePaySettings};
pub use payments::{QR_LOOKBACK_DAYS, SCENES};
pub use provider::unified_notification;
pub use wire::notifications::{BluePayNotification, NOTIFICATION_ACK};
