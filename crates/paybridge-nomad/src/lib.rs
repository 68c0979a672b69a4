//! The Nomad payment broker (Samarkand Global): WeChat Pay and Alipay for cross-border merchants.
//!
//! Plain JSON over HTTPS with an API key in the `app-api-key` header; success is the HTTP status.
//! The broker signs neither responses nor notifications, so a notification is treated as a hint
//! and confirmed with a query refund before anything is reported.
//!
//! - [`Codec`]: sans-I/O request building and response reading.
//! - [`NomadClient`]: one method per call, and the unified [`paybridge_core::RefundProvider`].
//!
//! The crate has the anatomy every provider crate shares (`docs/provider.md`): [`config`] (the
//! account's settings and its `paybridge.toml` section), [`wire`] (requests, responses and
//! notifications as sent), [`endpoints`] (the table of calls), the codec, [`codes`] (every
//! code's meaning, class and retry action; status mapping), the client, the unified provider,
//! and — with feature `emulator` — the provider's own side for paybridge's sandbox.
//!
//! # Example
//!
//! WeChat Pay / Alipay broker; API key; refunds need the order ref and the payment's total, in CNY fen.
//!
//! ```no_run
//! use paybridge_core::{Currency, MerchantRefundId, Money, OrderRef, RefundProvider, RefundRequest};
//! use paybridge_nomad::{NomadClient, NomadConfig};
//! use paybridge_sign::SecretString;
//! use paybridge_transport::HyperTransport;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = NomadConfig::new(
//!     "https://nomad.samarkand-global.cn/broker/v1",
//!     "wechat.sh_smk",
//!     SecretString::new(std::env::var("NOMAD_API_KEY")?),
//! );
//! config.payment_method = Some("wechatpay".into());
//! let client = NomadClient::new(config, HyperTransport::with_defaults()?)?;
//!
//! // The same refund code works for every provider (`RefundProvider`); retries reuse the id.
//! let request = RefundRequest::builder(MerchantRefundId::new("refund-0001")?, Money::parse("12.34", Currency::Cny)?)
//!     .order_ref(OrderRef::new("test20220125001")?)
//!     .total(Money::parse("88.00", Currency::Cny)?)
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

pub use client::NomadClient;
pub use codec::{API_KEY_HEADER, Codec, Operation, PROVIDER, decode_response, percent_encode};
pub use codes::refund_status;
pub use config::{NomadConfig, NomadSettings};
pub use payments::{SCENES, payment_status};
pub use wire::notifications::NOTIFICATION_ACK;
pub use wire::responses::to_fen;
