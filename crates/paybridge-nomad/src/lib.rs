//! The Nomad payment broker (Samarkand Global): WeChat Pay and Alipay for cross-border merchants.
//!
//! Plain JSON over HTTPS with an API key in the `app-api-key` header; success is the HTTP status.
//! The broker signs neither responses nor notifications, so a notification is treated as a hint
//! and confirmed with a query refund before anything is reported.
//!
//! - [`Codec`]: sans-I/O request building and response reading.
//! - [`NomadClient`]: one method per call, and the unified [`paybridge_core::RefundProvider`].
#![forbid(unsafe_code)]

mod amount;
mod client;
mod codec;
pub mod codes;
pub mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
mod notifications;
mod provider;
pub mod requests;
pub mod responses;
pub mod status;
pub mod validate;

pub use amount::to_fen;
pub use client::NomadClient;
pub use codec::{API_KEY_HEADER, Codec, Operation, PROVIDER, decode_response, percent_encode};
pub use config::{NomadConfig, NomadSettings};
pub use notifications::NOTIFICATION_ACK;
pub use status::refund_status;
