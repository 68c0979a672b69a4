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

pub use client::BluePayClient;
pub use codec::{
    BANGKOK_OFFSET_MINUTES, Codec, PROVIDER, Stamped, decode_response, parse_event,
    verify_notification,
};
pub use config::{BluePayConfig, BluePaySettings};
pub use payments::{QR_LOOKBACK_DAYS, SCENES};
pub use provider::unified_notification;
pub use wire::notifications::{BluePayNotification, NOTIFICATION_ACK};
