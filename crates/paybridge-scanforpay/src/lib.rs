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
//! - [`server`]: ScanForPay's side, for emulators and tests.
#![forbid(unsafe_code)]

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

pub use client::ScanForPayClient;
pub use codec::{Codec, HONG_KONG_OFFSET_MINUTES, NOTIFICATION_ACK, PROVIDER, verify_envelope};
pub use config::{ScanForPayConfig, ScanForPaySettings};
pub use notifications::unified_notification;
