//! ScanForPay's configuration: the client's [`ScanForPayConfig`], and the `[scanforpay]`
//! section of `paybridge.toml` ([`Section`]) read into an account ([`ScanForPaySettings`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use paybridge_core::{Clock, IdGenerator, RandomIdGenerator, SystemClock};
use paybridge_core::{Error, PaymentProvider, ProviderId, ProviderProfile, RefundProvider};
use paybridge_sign::SecretString;
use paybridge_transport::{HyperTransport, ProviderSetup, RetryPolicy, SecretLoader};
use serde::Deserialize;

use crate::client::ScanForPayClient;
use crate::codec::Codec;

/// How to reach and authenticate to ScanForPay.
#[non_exhaustive]
pub struct ScanForPayConfig {
    /// `https://pay.scanforpay.com` (sandbox `https://dev-pay.scan4pay.com`).
    pub base_url: String,
    /// The partner number (≤ 15).
    pub partner_no: String,
    /// The store number payment queries use (≤ 15).
    pub store_no: String,
    /// The sign key (a secret: redacted everywhere).
    pub sign_key: SecretString,
    /// Attempts and backoff; every attempt is re-signed with a fresh `reqMsgId` and the same
    /// `refundNo` / `partnerOrderNo`.
    pub retry: RetryPolicy,
}

impl ScanForPayConfig {
    /// The settings every account needs; the rest take their defaults (no default callback
    /// or notification URL, the default retry policy) — set them on the value.
    pub fn new(
        base_url: impl Into<String>,
        partner_no: impl Into<String>,
        store_no: impl Into<String>,
        sign_key: SecretString,
    ) -> ScanForPayConfig {
        ScanForPayConfig {
            base_url: base_url.into(),
            partner_no: partner_no.into(),
            store_no: store_no.into(),
            sign_key,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for ScanForPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanForPayConfig")
            .field("base_url", &self.base_url)
            .field("partner_no", &self.partner_no)
            .field("store_no", &self.store_no)
            .field("sign_key", &self.sign_key)
            .finish_non_exhaustive()
    }
}

/// The `[scanforpay]` section (or one `[scanforpay.<account>]`) as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    base_url: String,
    partner_no: String,
    store_no: String,
    sign_key_file: Option<PathBuf>,
    sign_key_env: Option<String>,
}

/// One ScanForPay account, its key loaded.
#[derive(Clone)]
pub struct ScanForPaySettings {
    account: String,
    base_url: String,
    partner_no: String,
    store_no: String,
    sign_key: SecretString,
}

impl fmt::Debug for ScanForPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanForPaySettings")
            .field("account", &self.account)
            .field("base_url", &self.base_url)
            .field("partner_no", &self.partner_no)
            .field("store_no", &self.store_no)
            .field("sign_key", &self.sign_key)
            .finish()
    }
}

impl ScanForPaySettings {
    /// The store number payment queries use.
    pub fn store_no(&self) -> &str {
        &self.store_no
    }

    /// The client's configuration.
    pub fn client_config(&self, retry: RetryPolicy) -> ScanForPayConfig {
        ScanForPayConfig {
            base_url: self.base_url.clone(),
            partner_no: self.partner_no.clone(),
            store_no: self.store_no.clone(),
            sign_key: self.sign_key.clone(),
            retry,
        }
    }
}

impl ProviderSetup for ScanForPaySettings {
    const PROVIDER: ProviderId = ProviderId::ScanForPay;
    const PROFILE: ProviderProfile = ProviderProfile {
        provider: ProviderId::ScanForPay,
        title: "ScanForPay (Hong Kong)",
        payment: "partnerOrderNo (required)",
        order_ref: "not used",
        total: "not used",
        lookup: "the payment (--payment: partnerOrderNo); ScanForPay has no refund query, so only a payment refunded in full shows (give --amount)",
        currencies: "the payment's own (HKD for the store; CNY, JPY and others on the hosted page)",
        scenes: crate::payments::SCENES,
        statements: false,
    };
    type Section = Section;

    fn from_section(
        section: Section,
        account: &str,
        secrets: &dyn SecretLoader,
    ) -> Result<ScanForPaySettings, Error> {
        Ok(ScanForPaySettings {
            account: account.to_owned(),
            sign_key: SecretString::new(secrets.load(
                account,
                "sign_key",
                section.sign_key_file.as_deref(),
                section.sign_key_env.as_deref(),
            )?),
            base_url: section.base_url,
            partner_no: section.partner_no,
            store_no: section.store_no,
        })
    }

    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error> {
        Ok(Arc::new(ScanForPayClient::new(
            self.client_config(retry),
            transport,
        )?))
    }

    fn build_payments(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error> {
        Ok(Some(Arc::new(ScanForPayClient::new(
            self.client_config(retry),
            transport,
        )?)))
    }

    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error> {
        let body = paybridge_transport::example_body(body)?;
        let codec = Codec::new(&self.base_url, &self.partner_no, self.sign_key.clone())?;
        codec.envelope(
            &body,
            &RandomIdGenerator::new().next_id(),
            SystemClock.now(),
        )
    }
}
