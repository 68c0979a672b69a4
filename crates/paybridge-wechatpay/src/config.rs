//! WeChat Pay's configuration: the client's [`WechatPayConfig`], and the `[wechatpay]` section
//! of `paybridge.toml` ([`Section`]) read into an account ([`WechatPaySettings`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use paybridge_core::{
    Clock, Error, IdGenerator, PaymentProvider, ProviderId, ProviderProfile, RandomIdGenerator,
    RefundProvider, StatementProvider, SystemClock,
};
use paybridge_sign::{RsaPrivateKey, RsaPublicKey, SecretString};
use paybridge_transport::{HyperTransport, ProviderSetup, RetryPolicy, SecretLoader};
use serde::Deserialize;

use crate::client::WechatPayClient;
use crate::codec::Codec;
use crate::platform_keys::PlatformKeys;

/// How to reach and authenticate to WeChat Pay.
#[non_exhaustive]
pub struct WechatPayConfig {
    /// `https://api.mch.weixin.qq.com` (`http://` only to loopback, e.g. the sandbox).
    pub base_url: String,
    /// The merchant id (`mchid`).
    pub mchid: String,
    /// The serial of the merchant's API certificate (`serial_no` in every `Authorization`).
    pub merchant_serial_no: String,
    /// The merchant's API private key (signs every request).
    pub merchant_key: RsaPrivateKey,
    /// WeChat Pay's public key or platform certificates (verify every answer and notification).
    pub platform_keys: PlatformKeys,
    /// The APIv3 key: 32 characters that decrypt notifications (a secret: redacted everywhere).
    pub apiv3_key: SecretString,
    /// The notification URL used when a unified refund or payment request names none.
    pub notify_url: Option<String>,
    /// The AppID (official account, mini-program or mobile app) payments are taken under:
    /// required to create a payment, checked against payment notifications when set. Refunds
    /// do not need it.
    pub appid: Option<String>,
    /// Attempts and backoff; every attempt is re-signed with the same merchant number.
    pub retry: RetryPolicy,
}

impl WechatPayConfig {
    /// The settings every account needs; the rest take their defaults (no default notification
    /// URL, the default retry policy) — set them on the value.
    pub fn new(
        base_url: impl Into<String>,
        mchid: impl Into<String>,
        merchant_serial_no: impl Into<String>,
        merchant_key: RsaPrivateKey,
        platform_keys: PlatformKeys,
        apiv3_key: SecretString,
    ) -> WechatPayConfig {
        WechatPayConfig {
            base_url: base_url.into(),
            mchid: mchid.into(),
            merchant_serial_no: merchant_serial_no.into(),
            merchant_key,
            platform_keys,
            apiv3_key,
            notify_url: None,
            appid: None,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for WechatPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayConfig")
            .field("base_url", &self.base_url)
            .field("mchid", &self.mchid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("merchant_key", &self.merchant_key)
            .field("platform_keys", &self.platform_keys)
            .field("apiv3_key", &self.apiv3_key)
            .field("notify_url", &self.notify_url)
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

/// The `[wechatpay]` section (or one `[wechatpay.<account>]`) as written. WeChat Pay's keys are
/// given in exactly one mode: `wechatpay_public_key_file` with `wechatpay_public_key_id`, or
/// `platform_certificates_dir`. `appid` — the official account, mini-program or mobile app
/// payments belong to — is needed to take payments, not refunds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    base_url: String,
    mchid: String,
    merchant_serial_no: String,
    private_key_file: Option<PathBuf>,
    private_key_env: Option<String>,
    apiv3_key_file: Option<PathBuf>,
    apiv3_key_env: Option<String>,
    wechatpay_public_key_file: Option<PathBuf>,
    wechatpay_public_key_id: Option<String>,
    platform_certificates_dir: Option<PathBuf>,
    notify_url: Option<String>,
    appid: Option<String>,
}

/// One WeChat Pay account, its secrets loaded and WeChat Pay's keys read.
#[derive(Clone)]
pub struct WechatPaySettings {
    account: String,
    base_url: String,
    mchid: String,
    merchant_serial_no: String,
    private_key: SecretString,
    apiv3_key: SecretString,
    platform_keys: PlatformKeys,
    notify_url: Option<String>,
    appid: Option<String>,
}

impl fmt::Debug for WechatPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPaySettings")
            .field("account", &self.account)
            .field("base_url", &self.base_url)
            .field("mchid", &self.mchid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("private_key", &self.private_key)
            .field("apiv3_key", &self.apiv3_key)
            .field("platform_keys", &self.platform_keys)
            .field("notify_url", &self.notify_url)
            .field("appid", &self.appid)
            .finish()
    }
}

impl WechatPaySettings {
    fn merchant_key(&self) -> Result<RsaPrivateKey, Error> {
        RsaPrivateKey::from_bytes(self.private_key.expose().as_bytes()).map_err(|e| Error::Key {
            key: format!("[{}] private key", self.account),
            source: paybridge_core::ErrorSource::new(e),
        })
    }

    /// The AppID payments are taken under (`appid` in the section), if set.
    pub fn appid(&self) -> Option<&str> {
        self.appid.as_deref()
    }

    /// The client's configuration, the merchant key parsed.
    ///
    /// # Errors
    /// [`Error::Key`] naming the account when the private key cannot be read.
    pub fn client_config(&self, retry: RetryPolicy) -> Result<WechatPayConfig, Error> {
        Ok(WechatPayConfig {
            base_url: self.base_url.clone(),
            mchid: self.mchid.clone(),
            merchant_serial_no: self.merchant_serial_no.clone(),
            merchant_key: self.merchant_key()?,
            platform_keys: self.platform_keys.clone(),
            apiv3_key: self.apiv3_key.clone(),
            notify_url: self.notify_url.clone(),
            appid: self.appid.clone(),
            retry,
        })
    }
}

impl ProviderSetup for WechatPaySettings {
    const PROVIDER: ProviderId = ProviderId::WechatPay;
    const PROFILE: ProviderProfile = ProviderProfile {
        provider: ProviderId::WechatPay,
        title: "WeChat Pay API v3 (direct merchant)",
        payment: "transaction_id (this or --order-ref)",
        order_ref: "out_trade_no (this or --payment)",
        total: "amount.total (required; looked up when only --order-ref is given)",
        lookup: "nothing: the refund id (out_refund_no) alone",
        currencies: "CNY",
        scenes: crate::provider::SCENES,
        statements: true,
    };
    type Section = Section;

    fn from_section(
        section: Section,
        account: &str,
        secrets: &dyn SecretLoader,
    ) -> Result<WechatPaySettings, Error> {
        let config = |reason: String| Error::Config { reason };
        if let Some(appid) = section.appid.as_deref() {
            crate::validate::appid(appid).map_err(|e| config(format!("[{account}] {e}")))?;
        }
        let platform_keys = match (
            section.wechatpay_public_key_file.as_deref(),
            section.wechatpay_public_key_id,
            section.platform_certificates_dir.as_deref(),
        ) {
            (Some(file), Some(id), None) => {
                let pem = secrets.load(account, "wechatpay_public_key", Some(file), None)?;
                let key = RsaPublicKey::from_bytes(pem.as_bytes()).map_err(|e| Error::Key {
                    key: format!("[{account}] wechatpay public key"),
                    source: paybridge_core::ErrorSource::new(e),
                })?;
                PlatformKeys::public_key(id, key).map_err(|e| config(format!("[{account}] {e}")))?
            }
            (None, None, Some(dir)) => PlatformKeys::certificates_dir(secrets.resolve(dir))
                .map_err(|e| config(format!("[{account}] {e}")))?,
            (Some(_), None, None) | (None, Some(_), None) => {
                return Err(config(format!(
                    "[{account}] wechatpay_public_key_file and wechatpay_public_key_id go together"
                )));
            }
            (None, None, None) => {
                return Err(config(format!(
                    "[{account}] give WeChat Pay's key: wechatpay_public_key_file with \
                     wechatpay_public_key_id, or platform_certificates_dir"
                )));
            }
            _ => {
                return Err(config(format!(
                    "[{account}] give either WeChat Pay's public key or platform_certificates_dir, not both"
                )));
            }
        };
        Ok(WechatPaySettings {
            account: account.to_owned(),
            private_key: SecretString::new(secrets.load(
                account,
                "private_key",
                section.private_key_file.as_deref(),
                section.private_key_env.as_deref(),
            )?),
            apiv3_key: SecretString::new(secrets.load(
                account,
                "apiv3_key",
                section.apiv3_key_file.as_deref(),
                section.apiv3_key_env.as_deref(),
            )?),
            platform_keys,
            base_url: section.base_url,
            mchid: section.mchid,
            merchant_serial_no: section.merchant_serial_no,
            notify_url: section.notify_url,
            appid: section.appid,
        })
    }

    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error> {
        Ok(Arc::new(WechatPayClient::new(
            self.client_config(retry)?,
            transport,
        )?))
    }

    /// The same client, taking payments: creating one needs `appid` in the section (without
    /// it, look-ups and closes still work and a creation is [`Error::Config`], nothing sent).
    fn build_payments(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error> {
        Ok(Some(Arc::new(WechatPayClient::new(
            self.client_config(retry)?,
            transport,
        )?)))
    }

    /// The same client, downloading and reading bills (the trade bill, its refunds and the
    /// basic account's fund flow).
    fn build_statements(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn StatementProvider>>, Error> {
        Ok(Some(Arc::new(WechatPayClient::new(
            self.client_config(retry)?,
            transport,
        )?)))
    }

    /// The body as WeChat Pay would receive it, with the `Authorization` header it would be
    /// sent with: `POST /v3/refund/domestic/refunds`, now, a fresh nonce.
    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error> {
        let body = paybridge_transport::example_body(body)?;
        let bytes = serde_json::to_vec(&body).map_err(|e| Error::invalid("body", e.to_string()))?;
        let codec = Codec::new(
            &self.base_url,
            &self.mchid,
            &self.merchant_serial_no,
            self.merchant_key()?,
            self.platform_keys.clone(),
            &self.apiv3_key,
        )?;
        let uri = paybridge_transport::BaseUrl::from_config("wechatpay", &self.base_url)?
            .join(<crate::wire::requests::CreateRefundRequest as paybridge_core::Endpoint>::PATH)?;
        let path = uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let authorization = codec.authorization(
            "POST",
            path,
            SystemClock.now().unix_seconds(),
            &RandomIdGenerator::new().next_id(),
            &bytes,
        )?;
        let example = serde_json::json!({
            "method": "POST",
            "uri": path,
            "authorization": authorization,
            "body": String::from_utf8_lossy(&bytes),
        });
        serde_json::to_vec_pretty(&example).map_err(|e| Error::invalid("body", e.to_string()))
    }
}
