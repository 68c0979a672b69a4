//! The broker's configuration: the client's [`NomadConfig`], and the `[nomad]` section of
//! `paybridge.toml` ([`Section`]) read into an account ([`NomadSettings`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use paybridge_core::{Error, PaymentProvider, ProviderId, ProviderProfile, RefundProvider};
use paybridge_sign::SecretString;
use paybridge_transport::{HyperTransport, ProviderSetup, RetryPolicy, SecretLoader};
use serde::Deserialize;

use crate::client::NomadClient;
use crate::codec::{API_KEY_HEADER, percent_encode};

/// How to reach and authenticate to the broker.
#[non_exhaustive]
pub struct NomadConfig {
    /// `https://nomad.samarkand-global.cn/broker/v1` (or the sandbox's `http://127.0.0.1:…/nomad`).
    pub base_url: String,
    /// The merchant account at the payment company (`wechat.sh_smk`).
    pub merchant: String,
    /// The API key (a secret: redacted in every `Debug`, log line and error).
    pub api_key: SecretString,
    /// `wechatpay` or `alipay`, sent with refunds when set.
    pub payment_method: Option<String>,
    /// Refund notification URL used when a unified request names none.
    pub notify_url: Option<String>,
    /// Transport-level retries (always with the same `refundOrderRef`).
    pub retry: RetryPolicy,
}

impl NomadConfig {
    /// The settings every account needs; the rest take their defaults (no default callback
    /// or notification URL, the default retry policy) — set them on the value.
    pub fn new(
        base_url: impl Into<String>,
        merchant: impl Into<String>,
        api_key: SecretString,
    ) -> NomadConfig {
        NomadConfig {
            base_url: base_url.into(),
            merchant: merchant.into(),
            api_key,
            payment_method: None,
            notify_url: None,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for NomadConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NomadConfig")
            .field("base_url", &self.base_url)
            .field("merchant", &self.merchant)
            .field("api_key", &self.api_key)
            .field("payment_method", &self.payment_method)
            .field("notify_url", &self.notify_url)
            .finish_non_exhaustive()
    }
}

/// The `[nomad]` section (or one `[nomad.<account>]`) as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    base_url: String,
    merchant: String,
    api_key_file: Option<PathBuf>,
    api_key_env: Option<String>,
    payment_method: Option<String>,
    notify_url: Option<String>,
}

/// One Nomad account, its key loaded.
#[derive(Clone)]
pub struct NomadSettings {
    account: String,
    base_url: String,
    merchant: String,
    api_key: SecretString,
    payment_method: Option<String>,
    notify_url: Option<String>,
}

impl fmt::Debug for NomadSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NomadSettings")
            .field("account", &self.account)
            .field("base_url", &self.base_url)
            .field("merchant", &self.merchant)
            .field("api_key", &self.api_key)
            .field("payment_method", &self.payment_method)
            .field("notify_url", &self.notify_url)
            .finish()
    }
}

impl NomadSettings {
    /// The client's configuration.
    pub fn client_config(&self, retry: RetryPolicy) -> NomadConfig {
        NomadConfig {
            base_url: self.base_url.clone(),
            merchant: self.merchant.clone(),
            api_key: self.api_key.clone(),
            payment_method: self.payment_method.clone(),
            notify_url: self.notify_url.clone(),
            retry,
        }
    }
}

impl ProviderSetup for NomadSettings {
    const PROVIDER: ProviderId = ProviderId::Nomad;
    const PROFILE: ProviderProfile = ProviderProfile {
        provider: ProviderId::Nomad,
        title: "the Nomad broker (WeChat Pay / Alipay)",
        payment: "transactionId (optional)",
        order_ref: "orderRef (required)",
        total: "totalAmount (required)",
        lookup: "the order (--order-ref: orderRef)",
        currencies: "CNY, GBP",
        scenes: crate::payments::SCENES,
        statements: false,
    };
    type Section = Section;

    fn from_section(
        section: Section,
        account: &str,
        secrets: &dyn SecretLoader,
    ) -> Result<NomadSettings, Error> {
        Ok(NomadSettings {
            account: account.to_owned(),
            api_key: SecretString::new(secrets.load(
                account,
                "api_key",
                section.api_key_file.as_deref(),
                section.api_key_env.as_deref(),
            )?),
            base_url: section.base_url,
            merchant: section.merchant,
            payment_method: section.payment_method,
            notify_url: section.notify_url,
        })
    }

    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error> {
        Ok(Arc::new(NomadClient::new(
            self.client_config(retry),
            transport,
        )?))
    }

    fn build_payments(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error> {
        Ok(Some(Arc::new(NomadClient::new(
            self.client_config(retry),
            transport,
        )?)))
    }

    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error> {
        let body = paybridge_transport::example_body(body)?;
        // The broker signs nothing: show the request as it would be sent, key masked.
        let shown = serde_json::json!({
            "method": "POST",
            "url": format!("{}/refund/{}", self.base_url.trim_end_matches('/'), percent_encode(&self.merchant)),
            "headers": { API_KEY_HEADER: "[redacted]", "content-type": "application/json" },
            "body": body,
        });
        serde_json::to_vec(&shown).map_err(|e| Error::invalid("body", e.to_string()))
    }
}
