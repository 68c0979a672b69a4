//! A set of providers behind one interface, chosen by name at run time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use paybridge_core::{Error, ProviderId, RefundProvider};
#[cfg(feature = "bluepay")]
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use paybridge_transport::{HyperTransport, Roots, TransportConfig};

use crate::config::{Config, ProviderTuning};

/// Every provider a program has configured, by name (`"bluepay"`, `"nomad"`, `"scanforpay"`).
#[derive(Clone, Default)]
pub struct Gateway {
    providers: BTreeMap<&'static str, Arc<dyn RefundProvider>>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(feature = "bluepay")]
fn key_error(what: &'static str) -> impl Fn(paybridge_sign::KeyError) -> Error {
    move |e| Error::Config {
        reason: format!("{what}: {e}"),
    }
}

/// The providers this build supports (by cargo feature).
pub const SUPPORTED: &[ProviderId] = &[
    #[cfg(feature = "bluepay")]
    ProviderId::BluePay,
    #[cfg(feature = "nomad")]
    ProviderId::Nomad,
    #[cfg(feature = "scanforpay")]
    ProviderId::ScanForPay,
];

/// The supported provider called `name`, if this build has it.
pub fn supported(name: &str) -> Option<ProviderId> {
    ProviderId::parse(name).filter(|p| SUPPORTED.contains(p))
}

/// The supported providers' names, for messages.
pub fn supported_names() -> String {
    SUPPORTED
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Gateway {
    /// An empty gateway.
    pub fn new() -> Gateway {
        Gateway::default()
    }

    /// Adds (or replaces) a provider under its own name.
    pub fn with(mut self, provider: Arc<dyn RefundProvider>) -> Gateway {
        self.providers.insert(provider.name(), provider);
        self
    }

    /// The provider called `name`, or an invalid-request error saying which exist.
    pub fn provider(&self, name: &str) -> Result<&Arc<dyn RefundProvider>, Error> {
        self.providers.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.providers.keys().copied().collect();
            let why = if supported(name).is_some() {
                format!(
                    "{name} is not configured (configured: {})",
                    known.join(", ")
                )
            } else {
                format!(
                    "unknown provider {name:?} (this build supports: {})",
                    supported_names()
                )
            };
            Error::invalid("provider", why)
        })
    }

    /// The configured providers' names.
    pub fn names(&self) -> Vec<&'static str> {
        self.providers.keys().copied().collect()
    }

    /// Builds every provider `config` names, sharing one pooled HTTPS transport.
    pub fn from_config(config: &Config) -> Result<Gateway, Error> {
        let mut transport = TransportConfig::default();
        if let Some(timeout) = config.transport.connect_timeout {
            transport.connect_timeout = timeout;
        }
        if let Some(timeout) = config.transport.request_timeout {
            transport.request_timeout = timeout;
        }
        if let Some(pem) = &config.transport.extra_ca_pem {
            transport.roots = Roots {
                extra: paybridge_transport::certificates_from_pem(pem)?,
                ..Roots::default()
            };
        }
        let shared = HyperTransport::new(transport.clone())?;
        Gateway::build(config, &|tuning: &ProviderTuning| {
            if tuning.connect_timeout.is_none() && tuning.request_timeout.is_none() {
                return Ok(shared.clone());
            }
            // A provider with its own timeouts gets its own pool.
            let mut own = transport.clone();
            if let Some(timeout) = tuning.connect_timeout {
                own.connect_timeout = timeout;
            }
            if let Some(timeout) = tuning.request_timeout {
                own.request_timeout = timeout;
            }
            HyperTransport::new(own)
        })
    }

    /// As [`Gateway::from_config`], over a given transport (providers' own timeouts are then
    /// the transport's).
    pub fn from_config_with(config: &Config, transport: HyperTransport) -> Result<Gateway, Error> {
        Gateway::build(config, &|_| Ok(transport.clone()))
    }

    fn build(
        config: &Config,
        transport_for: &dyn Fn(&ProviderTuning) -> Result<HyperTransport, Error>,
    ) -> Result<Gateway, Error> {
        #[allow(unused_mut, reason = "no provider feature may be enabled")]
        let mut gateway = Gateway::new();
        #[cfg(feature = "bluepay")]
        if let Some(s) = &config.bluepay {
            let client = paybridge_bluepay::BluePayClient::new(
                paybridge_bluepay::BluePayConfig {
                    base_url: s.base_url.clone(),
                    app_id: s.app_id.clone(),
                    merchant_key: RsaPrivateKey::from_bytes(s.private_key.expose().as_bytes())
                        .map_err(key_error("[bluepay] private key"))?,
                    platform_key: RsaPublicKey::from_bytes(s.platform_public_key.as_bytes())
                        .map_err(key_error("[bluepay] platform public key"))?,
                    refund_callback_url: s.refund_callback_url.clone(),
                    retry: s.tuning.retry.clone(),
                },
                transport_for(&s.tuning)?,
            )?;
            gateway = gateway.with(Arc::new(client));
        }
        #[cfg(feature = "nomad")]
        if let Some(s) = &config.nomad {
            let client = paybridge_nomad::NomadClient::new(
                paybridge_nomad::NomadConfig {
                    base_url: s.base_url.clone(),
                    merchant: s.merchant.clone(),
                    api_key: s.api_key.clone(),
                    payment_method: s.payment_method.clone(),
                    notify_url: s.notify_url.clone(),
                    retry: s.tuning.retry.clone(),
                },
                transport_for(&s.tuning)?,
            )?;
            gateway = gateway.with(Arc::new(client));
        }
        #[cfg(feature = "scanforpay")]
        if let Some(s) = &config.scanforpay {
            let client = paybridge_scanforpay::ScanForPayClient::new(
                paybridge_scanforpay::ScanForPayConfig {
                    base_url: s.base_url.clone(),
                    partner_no: s.partner_no.clone(),
                    store_no: s.store_no.clone(),
                    sign_key: s.sign_key.clone(),
                    retry: s.tuning.retry.clone(),
                },
                transport_for(&s.tuning)?,
            )?;
            gateway = gateway.with(Arc::new(client));
        }
        // With no provider feature enabled there is nothing to build.
        let _ = (transport_for, config);
        Ok(gateway)
    }
}
