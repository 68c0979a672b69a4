//! BluePay's configuration: the client's [`BluePayConfig`], and the `[bluepay]` section of
//! `paybridge.toml` ([`Section`]) read into an account ([`BluePaySettings`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use paybridge_core::{Error, PaymentProvider, ProviderId, ProviderProfile, RefundProvider};
use paybridge_sign::SecretString;
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use paybridge_transport::{HyperTransport, ProviderSetup, RetryPolicy, SecretLoader};
use serde::Deserialize;

use crate::client::BluePayClient;
use crate::codec::Codec;

/// How to reach and authenticate to BluePay.
#[non_exhaustive]
pub struct BluePayConfig {
    /// The merchant API's base URL (`https://…`; `http://` only to loopback, e.g. the sandbox).
    pub base_url: String,
    /// The merchant's app id.
    pub app_id: String,
    /// The merchant's RSA private key (signs every request).
    pub merchant_key: RsaPrivateKey,
    /// BluePay's platform public key (verifies notifications).
    pub platform_key: RsaPublicKey,
    /// The refund callback URL used when a unified refund request names none.
    pub refund_callback_url: Option<String>,
    /// Transport-level retries (always with the same merchant ids).
    pub retry: RetryPolicy,
}

impl BluePayConfig {
    /// The settings every account needs; the rest take their defaults (no default callback
    /// or notification URL, the default retry policy) — set them on the value.
    pub fn new(
        base_url: impl Into<String>,
        app_id: impl Into<String>,
        merchant_key: RsaPrivateKey,
        platform_key: RsaPublicKey,
    ) -> BluePayConfig {
        BluePayConfig {
            base_url: base_url.into(),
            app_id: app_id.into(),
            merchant_key,
            platform_key,
            refund_callback_url: None,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for BluePayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BluePayConfig")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("merchant_key", &self.merchant_key)
            .field("platform_key", &self.platform_key)
            .field("refund_callback_url", &self.refund_callback_url)
            .finish_non_exhaustive()
    }
}

/// The `[bluepay]` section (or one `[bluepay.<account>]`) as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    base_url: String,
    app_id: String,
    private_key_file: Option<PathBuf>,
    private_key_env: Option<String>,
    platform_public_key_file: Option<PathBuf>,
    platform_public_key_env: Option<String>,
    refund_callback_url: Option<String>,
}

/// One BluePay account, its secrets loaded.
#[derive(Clone)]
pub struct BluePaySettings {
    account: String,
    base_url: String,
    app_id: String,
    private_key: SecretString,
    platform_public_key: String,
    refund_callback_url: Option<String>,
}

impl fmt::Debug for BluePaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BluePaySettings")
            .field("account", &self.account)
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("private_key", &self.private_key)
            .field("refund_callback_url", &self.refund_callback_url)
            .finish_non_exhaustive()
    }
}

impl BluePaySettings {
    fn keys(&self) -> Result<(RsaPrivateKey, RsaPublicKey), Error> {
        let key_error = |what: &str, e: paybridge_sign::KeyError| Error::Key {
            key: format!("[{}] {what}", self.account),
            source: paybridge_core::ErrorSource::new(e),
        };
        Ok((
            RsaPrivateKey::from_bytes(self.private_key.expose().as_bytes())
                .map_err(|e| key_error("private key", e))?,
            RsaPublicKey::from_bytes(self.platform_public_key.as_bytes())
                .map_err(|e| key_error("platform public key", e))?,
        ))
    }

    /// The client's configuration, keys parsed.
    ///
    /// # Errors
    /// [`Error::Config`] naming the account when a key cannot be read.
    pub fn client_config(&self, retry: RetryPolicy) -> Result<BluePayConfig, Error> {
        let (merchant_key, platform_key) = self.keys()?;
        Ok(BluePayConfig {
            base_url: self.base_url.clone(),
            app_id: self.app_id.clone(),
            merchant_key,
            platform_key,
            refund_callback_url: self.refund_callback_url.clone(),
            retry,
        })
    }
}

impl ProviderSetup for BluePaySettings {
    const PROVIDER: ProviderId = ProviderId::BluePay;
    const PROFILE: ProviderProfile = ProviderProfile {
        provider: ProviderId::BluePay,
        title: "BluePay (Thailand)",
        payment: "originalTransactionId (required)",
        order_ref: "not used",
        total: "not used",
        lookup: "the payment (--payment: originalTransactionId)",
        currencies: "THB",
        scenes: crate::payments::SCENES,
        statements: false,
    };
    type Section = Section;

    fn from_section(
        section: Section,
        account: &str,
        secrets: &dyn SecretLoader,
    ) -> Result<BluePaySettings, Error> {
        Ok(BluePaySettings {
            account: account.to_owned(),
            private_key: SecretString::new(secrets.load(
                account,
                "private_key",
                section.private_key_file.as_deref(),
                section.private_key_env.as_deref(),
            )?),
            platform_public_key: secrets.load(
                account,
                "platform_public_key",
                section.platform_public_key_file.as_deref(),
                section.platform_public_key_env.as_deref(),
            )?,
            base_url: section.base_url,
            app_id: section.app_id,
            refund_callback_url: section.refund_callback_url,
        })
    }

    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error> {
        Ok(Arc::new(BluePayClient::new(
            self.client_config(retry)?,
            transport,
        )?))
    }

    fn build_payments(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error> {
        Ok(Some(Arc::new(BluePayClient::new(
            self.client_config(retry)?,
            transport,
        )?)))
    }

    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error> {
        let body = paybridge_transport::example_body(body)?;
        let (merchant_key, platform_key) = self.keys()?;
        // The provider's own codec signs, exactly as a refund would be signed.
        Codec::new(&self.base_url, &self.app_id, merchant_key, platform_key)?.envelope(&body)
    }
}
