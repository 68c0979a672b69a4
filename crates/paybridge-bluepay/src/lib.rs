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
//! - [`server`]: BluePay's side, for emulators and round-trip tests.
#![forbid(unsafe_code)]

mod client;
mod codec;
pub mod codes;
pub mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod notifications;
mod provider;
pub mod requests;
pub mod responses;
pub mod status;
pub mod validate;

pub use client::BluePayClient;
pub use codec::{
    BANGKOK_OFFSET_MINUTES, Codec, NOTIFICATION_ACK, PROVIDER, Stamped, decode_response,
    parse_event, verify_notification,
};
pub use config::{BluePayConfig, BluePaySettings};
pub use notifications::BluePayNotification;
pub use provider::unified_notification;
