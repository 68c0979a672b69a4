//! Alipay's configuration: the client's [`AlipayConfig`], and the `[alipay]` section of
//! `paybridge.toml` ([`Section`]) read into an account ([`AlipaySettings`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paybridge_core::{
    Clock, Error, PaymentProvider, ProviderId, ProviderProfile, RefundProvider, StatementProvider,
    SystemClock,
};
use paybridge_sign::x509::Certificate;
use paybridge_sign::{RsaPrivateKey, RsaPublicKey, SecretString};
use paybridge_transport::{HyperTransport, ProviderSetup, RetryPolicy, SecretLoader};
use serde::Deserialize;

use crate::client::AlipayClient;
use crate::codec::Codec;
use crate::keys::AlipayKeys;

/// How to reach and authenticate to Alipay.
#[non_exhaustive]
pub struct AlipayConfig {
    /// The gateway's directory: `https://openapi.alipay.com` (sandbox
    /// `https://openapi-sandbox.dl.alipaydev.com`); calls go to `…/gateway.do`.
    pub base_url: String,
    /// The app id.
    pub app_id: String,
    /// The app's private key (signs every request, RSA2).
    pub app_key: RsaPrivateKey,
    /// Alipay's public key, or the certificates of certificate mode.
    pub keys: AlipayKeys,
    /// The `notify_url` used when a unified refund request names none.
    pub notify_url: Option<String>,
    /// Attempts and backoff; every attempt is re-signed with the same `out_request_no`.
    pub retry: RetryPolicy,
}

impl AlipayConfig {
    /// The settings every account needs; the rest take their defaults — set them on the value.
    pub fn new(
        base_url: impl Into<String>,
        app_id: impl Into<String>,
        app_key: RsaPrivateKey,
        keys: AlipayKeys,
    ) -> AlipayConfig {
        AlipayConfig {
            base_url: base_url.into(),
            app_id: app_id.into(),
            app_key,
            keys,
            notify_url: None,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for AlipayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlipayConfig")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("app_key", &self.app_key)
            .field("keys", &self.keys)
            .field("notify_url", &self.notify_url)
            .finish_non_exhaustive()
    }
}

/// The `[alipay]` section (or one `[alipay.<account>]`) as written. Alipay's key is given in
/// exactly one mode: `alipay_public_key_file`, or the three certificate files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    base_url: String,
    app_id: String,
    private_key_file: Option<PathBuf>,
    private_key_env: Option<String>,
    alipay_public_key_file: Option<PathBuf>,
    app_cert_file: Option<PathBuf>,
    alipay_cert_file: Option<PathBuf>,
    alipay_root_cert_file: Option<PathBuf>,
    notify_url: Option<String>,
}

/// One Alipay account, its secrets loaded and Alipay's keys read.
#[derive(Clone)]
pub struct AlipaySettings {
    account: String,
    base_url: String,
    app_id: String,
    private_key: SecretString,
    keys: AlipayKeys,
    notify_url: Option<String>,
}

impl fmt::Debug for AlipaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlipaySettings")
            .field("account", &self.account)
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("private_key", &self.private_key)
            .field("keys", &self.keys)
            .field("notify_url", &self.notify_url)
            .finish()
    }
}

fn certificates(path: &Path, account: &str, what: &str) -> Result<Vec<Certificate>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Config {
        reason: format!("[{account}] {what} {}: {e}", path.display()),
    })?;
    Certificate::all_from_bytes(&bytes).map_err(|e| Error::Config {
        reason: format!("[{account}] {what} {}: {e}", path.display()),
    })
}

fn one(mut all: Vec<Certificate>, account: &str, what: &str) -> Result<Certificate, Error> {
    // The file Alipay hands out for its own certificate may carry its chain after it.
    if all.is_empty() {
        return Err(Error::Config {
            reason: format!("[{account}] {what} holds no certificate"),
        });
    }
    Ok(all.swap_remove(0))
}

impl AlipaySettings {
    fn app_key(&self) -> Result<RsaPrivateKey, Error> {
        RsaPrivateKey::from_bytes(self.private_key.expose().as_bytes()).map_err(|e| Error::Key {
            key: format!("[{}] private key", self.account),
            source: paybridge_core::ErrorSource::new(e),
        })
    }

    /// The client's configuration, the app key parsed.
    ///
    /// # Errors
    /// [`Error::Key`] naming the account when the private key cannot be read.
    pub fn client_config(&self, retry: RetryPolicy) -> Result<AlipayConfig, Error> {
        Ok(AlipayConfig {
            base_url: self.base_url.clone(),
            app_id: self.app_id.clone(),
            app_key: self.app_key()?,
            keys: self.keys.clone(),
            notify_url: self.notify_url.clone(),
            retry,
        })
    }
}

impl ProviderSetup for AlipaySettings {
    const PROVIDER: ProviderId = ProviderId::Alipay;
    const PROFILE: ProviderProfile = ProviderProfile {
        provider: ProviderId::Alipay,
        title: "Alipay Open Platform (direct merchant)",
        payment: "trade_no (this or --order-ref)",
        order_ref: "out_trade_no (this or --payment)",
        total: "not needed (when given, bounds the refund_fee Alipay reports)",
        lookup: "the trade (--payment: trade_no, or --order-ref: out_trade_no)",
        currencies: "CNY",
        scenes: crate::provider::SCENES,
        statements: true,
    };
    type Section = Section;

    fn from_section(
        section: Section,
        account: &str,
        secrets: &dyn SecretLoader,
    ) -> Result<AlipaySettings, Error> {
        let config = |reason: String| Error::Config { reason };
        let keys = match (
            section.alipay_public_key_file.as_deref(),
            section.app_cert_file.as_deref(),
            section.alipay_cert_file.as_deref(),
            section.alipay_root_cert_file.as_deref(),
        ) {
            (Some(file), None, None, None) => {
                let pem = secrets.load(account, "alipay_public_key", Some(file), None)?;
                AlipayKeys::public_key(RsaPublicKey::from_bytes(pem.as_bytes()).map_err(|e| {
                    Error::Key {
                        key: format!("[{account}] alipay public key"),
                        source: paybridge_core::ErrorSource::new(e),
                    }
                })?)
            }
            (None, Some(app), Some(alipay), Some(root)) => AlipayKeys::certificates(
                &one(
                    certificates(&secrets.resolve(app), account, "app_cert_file")?,
                    account,
                    "app_cert_file",
                )?,
                &one(
                    certificates(&secrets.resolve(alipay), account, "alipay_cert_file")?,
                    account,
                    "alipay_cert_file",
                )?,
                &certificates(&secrets.resolve(root), account, "alipay_root_cert_file")?,
            )
            .map_err(|e| config(format!("[{account}] {e}")))?,
            (None, None, None, None) => {
                return Err(config(format!(
                    "[{account}] give Alipay's key: alipay_public_key_file, or app_cert_file, \
                     alipay_cert_file and alipay_root_cert_file"
                )));
            }
            _ => {
                return Err(config(format!(
                    "[{account}] give either alipay_public_key_file or all three certificate files \
                     (app_cert_file, alipay_cert_file, alipay_root_cert_file)"
                )));
            }
        };
        Ok(AlipaySettings {
            account: account.to_owned(),
            private_key: SecretString::new(secrets.load(
                account,
                "private_key",
                section.private_key_file.as_deref(),
                section.private_key_env.as_deref(),
            )?),
            keys,
            base_url: section.base_url,
            app_id: section.app_id,
            notify_url: section.notify_url,
        })
    }

    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error> {
        Ok(Arc::new(AlipayClient::new(
            self.client_config(retry)?,
            transport,
        )?))
    }

    fn build_payments(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error> {
        Ok(Some(Arc::new(AlipayClient::new(
            self.client_config(retry)?,
            transport,
        )?)))
    }

    /// The bills: the `trade` and `signcustomer` zips, read by [`crate::bills`].
    fn build_statements(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn StatementProvider>>, Error> {
        Ok(Some(Arc::new(AlipayClient::new(
            self.client_config(retry)?,
            transport,
        )?)))
    }

    /// The form Alipay would receive for `alipay.trade.refund` with `body` as its
    /// `biz_content`: every parameter, `sign` last, and the text that was signed.
    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error> {
        let body = paybridge_transport::example_body(body)?;
        let biz_content =
            serde_json::to_string(&body).map_err(|e| Error::invalid("body", e.to_string()))?;
        let codec = Codec::new(
            &self.base_url,
            &self.app_id,
            self.app_key()?,
            self.keys.clone(),
        )?;
        let params = codec.signed_params(
            "alipay.trade.refund",
            &biz_content,
            self.notify_url.as_deref(),
            SystemClock.now(),
        )?;
        let signed = crate::sign_content(
            params
                .iter()
                .filter(|(k, _)| *k != "sign")
                .map(|(k, v)| (*k, v.as_str())),
        );
        let form: serde_json::Map<String, serde_json::Value> = params
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect();
        serde_json::to_vec_pretty(&serde_json::json!({ "params": form, "signed_content": signed }))
            .map_err(|e| Error::invalid("body", e.to_string()))
    }
}
