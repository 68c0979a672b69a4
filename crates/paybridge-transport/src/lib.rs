//! The one way paybridge talks to providers.
//!
//! [`Transport`] is an object-safe trait — `http::Request<Bytes>` in, `http::Response<Bytes>` out —
//! whose errors say whether the request may have reached the server ([`paybridge_core::Delivery`]).
//! [`HyperTransport`] implements it with hyper 1, hyper-util's pooled client and rustls (crypto
//! provider passed explicitly, never installed process-wide); [`send_with_retry`] retries only
//! when that is safe. Behind the `test-util` feature, [`test_util`] has a scripted double and a
//! transport that fails in each way on demand.
//!
//! # Example
//!
//! One pooled HTTPS client for every provider call, with its limits spelled out; base URLs are
//! checked before anything is sent (plain `http://` only to loopback):
//!
//! ```
//! use std::time::Duration;
//! use paybridge_transport::{BaseUrl, HyperTransport, TransportConfig};
//!
//! # fn main() -> Result<(), paybridge_core::Error> {
//! let transport = HyperTransport::new(TransportConfig {
//!     connect_timeout: Duration::from_secs(3),
//!     request_timeout: Duration::from_secs(10),
//!     max_response_bytes: 1024 * 1024,
//!     ..TransportConfig::default()
//! })?;
//! let base = BaseUrl::from_config("bluepay", "https://api.bluepay.example/v1")?;
//! assert_eq!(base.join("/refund")?.to_string(), "https://api.bluepay.example/v1/refund");
//! assert!(BaseUrl::from_config("bluepay", "http://api.bluepay.example").is_err());
//! # drop(transport); Ok(()) }
//! ```
// With the feature off, the link goes to docs.rs (built with every feature).
#![cfg_attr(feature = "test-util", doc = "[`test_util`]: crate::test_util")]
#![cfg_attr(
    not(feature = "test-util"),
    doc = "[`test_util`]: https://docs.rs/paybridge-transport/latest/paybridge_transport/test_util/index.html"
)]
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod base_url;
mod body;
mod call;
mod classify;
mod config;
mod hyper_transport;
mod redact;
mod retry;
mod setup;
mod transport;
mod url_policy;

#[cfg(feature = "test-util")]
mod conformance;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use base_url::{BaseUrl, carries_credentials, percent_encode};
pub use call::{Connection, RetryRules};
pub use config::{CryptoBackend, Roots, TransportConfig, certificates_from_pem};
pub use hyper_transport::HyperTransport;
pub use redact::{Redactor, SensitiveValues};
pub use retry::{
    Action, Attempt, Budget, FullJitter, History, Idempotency, Jitter, NoJitter, RetryPolicy,
    retry, retry_by_action, retry_recorded, send_with_retry,
};
pub use rustls::pki_types::CertificateDer;
pub use setup::{AccountSettings, ProviderSetup, SecretLoader, example_body};
pub use transport::{Transport, clone_request, post};
pub use url_policy::{check_url, is_loopback_host};

/// The User-Agent every request carries unless the caller sets one.
pub const USER_AGENT: &str = concat!("paybridge/", env!("CARGO_PKG_VERSION"));
