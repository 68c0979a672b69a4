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
#![forbid(unsafe_code)]

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
