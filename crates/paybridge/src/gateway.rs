//! A set of provider accounts behind one interface, chosen by name at run time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use paybridge_core::{Error, PaymentProvider, ProviderId, RefundProvider, StatementProvider};
use paybridge_transport::{HyperTransport, Roots, TransportConfig};

use crate::config::{Config, ProviderTuning, REGISTRY};

/// The largest statement (bill) download accepted: a month of a busy merchant's trades.
pub const MAX_STATEMENT_BYTES: usize = 512 * 1024 * 1024;

/// Every account a program has configured, by name: `"bluepay"` for a `[bluepay]` section,
/// `"bluepay.th-main"` for `[bluepay.th-main]`.
#[derive(Clone, Default)]
pub struct Gateway {
    accounts: BTreeMap<String, Arc<dyn RefundProvider>>,
    payments: BTreeMap<String, Arc<dyn PaymentProvider>>,
    statements: BTreeMap<String, Arc<dyn StatementProvider>>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The providers this build supports (by cargo feature), in the registry's order.
pub fn supported_providers() -> impl Iterator<Item = ProviderId> {
    REGISTRY.iter().map(|(id, _)| *id)
}

/// The supported provider of `name` — a provider's name, or an account's (`bluepay.th-main`) —
/// if this build has it.
pub fn supported(name: &str) -> Option<ProviderId> {
    let provider = name.split_once('.').map_or(name, |(provider, _)| provider);
    ProviderId::parse(provider).filter(|p| supported_providers().any(|s| s == *p))
}

/// The supported providers' names, for messages.
pub fn supported_names() -> String {
    supported_providers()
        .map(ProviderId::name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Gateway {
    /// An empty gateway.
    pub fn new() -> Gateway {
        Gateway::default()
    }

    /// Adds a provider's client under the provider's own name (`"bluepay"`).
    ///
    /// # Errors
    /// [`Error::Config`] when an account of that name is already there: a second client is
    /// never silently put in the place of the first.
    pub fn with(self, provider: Arc<dyn RefundProvider>) -> Result<Gateway, Error> {
        let name = provider.name().to_owned();
        self.with_account(name, provider)
    }

    /// Adds a client under the account name `name`.
    ///
    /// # Errors
    /// [`Error::Config`] when an account of that name is already there.
    pub fn with_account(
        mut self,
        name: impl Into<String>,
        provider: Arc<dyn RefundProvider>,
    ) -> Result<Gateway, Error> {
        let name = name.into();
        if self.accounts.contains_key(&name) {
            return Err(Error::Config {
                reason: format!("the gateway already has an account named {name}"),
            });
        }
        self.accounts.insert(name, provider);
        Ok(self)
    }

    /// Adds the payment client of the account `name` (added with [`Gateway::with_account`]).
    ///
    /// # Errors
    /// [`Error::Config`] when the account already has a payment client.
    pub fn with_payments(
        mut self,
        name: impl Into<String>,
        provider: Arc<dyn PaymentProvider>,
    ) -> Result<Gateway, Error> {
        let name = name.into();
        if self.payments.contains_key(&name) {
            return Err(Error::Config {
                reason: format!("the gateway already has payments for an account named {name}"),
            });
        }
        self.payments.insert(name, provider);
        Ok(self)
    }

    /// Adds the statement client of the account `name`.
    ///
    /// # Errors
    /// [`Error::Config`] when the account already has a statement client.
    pub fn with_statements(
        mut self,
        name: impl Into<String>,
        provider: Arc<dyn StatementProvider>,
    ) -> Result<Gateway, Error> {
        let name = name.into();
        if self.statements.contains_key(&name) {
            return Err(Error::Config {
                reason: format!("the gateway already has statements for an account named {name}"),
            });
        }
        self.statements.insert(name, provider);
        Ok(self)
    }

    /// The statement client of the account called `name`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on `provider` when there is no such account, or
    /// [`Error::Unsupported`] when the provider publishes no statement paybridge reads.
    pub fn statements(&self, name: &str) -> Result<&Arc<dyn StatementProvider>, Error> {
        if let Some(statements) = self.statements.get(name) {
            return Ok(statements);
        }
        let refunds = self.provider(name)?;
        Err(Error::Unsupported {
            provider: refunds.name(),
            operation: "statement",
            reason: "the provider publishes no statement (bill) API paybridge reads".into(),
        })
    }

    /// The payment client of the account called `name`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on `provider` when there is no such account, or
    /// [`Error::Unsupported`] when paybridge takes no payments for its provider.
    pub fn payments(&self, name: &str) -> Result<&Arc<dyn PaymentProvider>, Error> {
        if let Some(payments) = self.payments.get(name) {
            return Ok(payments);
        }
        let refunds = self.provider(name)?;
        Err(Error::Unsupported {
            provider: refunds.name(),
            operation: "payment",
            reason: "paybridge's client for this provider takes refunds only".into(),
        })
    }

    /// The account called `name`, or an invalid-request error saying which exist.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on `provider` when there is no such account.
    pub fn provider(&self, name: &str) -> Result<&Arc<dyn RefundProvider>, Error> {
        self.accounts.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.accounts.keys().map(String::as_str).collect();
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

    /// The configured accounts' names.
    pub fn names(&self) -> Vec<&str> {
        self.accounts.keys().map(String::as_str).collect()
    }

    /// Builds every account `config` names, sharing one pooled HTTPS transport (an account
    /// with its own timeouts gets its own pool).
    ///
    /// # Errors
    /// [`Error::Config`] when a key, URL or CA certificate cannot be used.
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
        // A statement is a day's bill, not an API answer: it may be far larger than the limit
        // that protects API calls.
        let bills = HyperTransport::new(TransportConfig {
            max_response_bytes: MAX_STATEMENT_BYTES,
            ..transport.clone()
        })?;
        Gateway::build(config, &bills, &|tuning: &ProviderTuning| {
            if tuning.connect_timeout.is_none() && tuning.request_timeout.is_none() {
                return Ok(shared.clone());
            }
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

    /// As [`Gateway::from_config`], over a given transport (accounts' own timeouts are then
    /// the transport's).
    ///
    /// # Errors
    /// [`Error::Config`] when a key or URL cannot be used.
    pub fn from_config_with(config: &Config, transport: HyperTransport) -> Result<Gateway, Error> {
        Gateway::build(config, &transport.clone(), &|_| Ok(transport.clone()))
    }

    fn build(
        config: &Config,
        bills: &HyperTransport,
        transport_for: &dyn Fn(&ProviderTuning) -> Result<HyperTransport, Error>,
    ) -> Result<Gateway, Error> {
        config
            .accounts
            .iter()
            .try_fold(Gateway::new(), |gateway, account| {
                let transport = transport_for(&account.tuning)?;
                let client = account
                    .settings
                    .build(transport.clone(), account.tuning.retry.clone())?;
                let mut gateway = gateway.with_account(account.name.clone(), client)?;
                if let Some(payments) = account
                    .settings
                    .build_payments(transport, account.tuning.retry.clone())?
                {
                    gateway = gateway.with_payments(account.name.clone(), payments)?;
                }
                match account
                    .settings
                    .build_statements(bills.clone(), account.tuning.retry.clone())?
                {
                    Some(statements) => gateway.with_statements(account.name.clone(), statements),
                    None => Ok(gateway),
                }
            })
    }
}
