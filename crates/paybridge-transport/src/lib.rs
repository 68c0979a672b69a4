//! The one way paybridge talks to providers.
//!
//! [`Transport`] is an object-safe trait — `http::Request<Bytes>` in, `http::Response<Bytes>` out —
//! whose errors say whether the request may have reached the server ([`paybridge_core::Delivery`]).
//! [`HyperTransport`] implements it with hyper 1, hyper-util's pooled client and rustls (crypto
//! provider passed explicitly, never installed process-wide); [`send_with_retry`] retries only
//! when that is safe. Behind the `test-util` feature, [`test_util`] has a scripted double and a
//! transport that fails in each way on demand.
#![forbid(unsafe_code)]

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
