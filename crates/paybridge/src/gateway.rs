//! A set of provider accounts behind one interface, chosen by name at run time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use paybridge_core::{
    Error, Notification, Payment, PaymentLookup, PaymentProvider, PaymentRequest, ProviderId,
    ProviderProfile, Refund, RefundLookup, RefundProvider, RefundRequest, StatementProvider,
};
use paybridge_transport::{HyperTransport, Roots, TransportConfig};

use crate::config::{Config, ProviderTuning, REGISTRY};
use crate::reliable::{RefundOutcome, ReliablePolicy, reliable_refund, resume_refund};

/// An account's clients: refunds, and payments and statements where the provider has them.
type AccountClients = (
    Arc<dyn RefundProvider>,
    Option<Arc<dyn PaymentProvider>>,
    Option<Arc<dyn StatementProvider>>,
);

/// The largest statement (bill) download accepted: a month of a busy merchant's trades.
pub const MAX_STATEMENT_BYTES: usize = 512 * 1024 * 1024;

/// Every account a program has configured, by name: `"bluepay"` for a `[bluepay]` section,
/// `"bluepay.th-main"` for `[bluepay.th-main]`.
#[derive(Clone, Default)]
pub struct Gateway {
    accounts: BTreeMap<String, Arc<dyn RefundProvider>>,
    payments: BTreeMap<String, Arc<dyn PaymentProvider>>,
    statements: BTreeMap<String, Arc<dyn StatementProvider>>,
    /// Accounts whose section could not be used (a configuration read with
    /// [`Config::load_each`]): asking for one answers its own error.
    unusable: BTreeMap<String, Error>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .field("unusable", &self.unusable.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The providers this build supports (by cargo feature), in the registry's order.
pub fn supported_providers() -> impl Iterator<Item = ProviderId> {
    REGISTRY.iter().map(|(id, _, _)| *id)
}

/// What each provider this build supports takes and can do (by cargo feature), in the
/// registry's order: the source of the command line's help texts.
pub fn profiles() -> impl Iterator<Item = &'static ProviderProfile> {
    REGISTRY.iter().map(|(_, _, profile)| *profile)
}

/// The profile of the provider of `name` (a provider's or an account's name), if this build
/// has it.
pub fn profile(name: &str) -> Option<&'static ProviderProfile> {
    let provider = supported(name)?;
    profiles().find(|p| p.provider == provider)
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
    /// [`Error::InvalidRequest`] on `provider` when there is no such account, or, for an
    /// account whose section could not be used, that section's [`Error::Config`].
    pub fn provider(&self, name: &str) -> Result<&Arc<dyn RefundProvider>, Error> {
        if let Some(provider) = self.accounts.get(name) {
            return Ok(provider);
        }
        if let Some(error) = self.unusable.get(name) {
            return Err(error.clone());
        }
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
        Err(Error::invalid("provider", why))
    }

    /// Sends one refund through the account `account`: one call, with the account's own
    /// retries under the same refund id. An answer that leaves the outcome unknown comes back
    /// as an error ([`Error::OutcomeUnknown`] or a transport error that may have been
    /// delivered); [`Gateway::reliable_refund`] settles those for you.
    ///
    /// # Errors
    /// No such account, or whatever the provider's client reports.
    pub async fn refund(&self, account: &str, request: &RefundRequest) -> Result<Refund, Error> {
        self.provider(account)?.refund(request).await
    }

    /// Looks a refund up through the account `account`.
    ///
    /// # Errors
    /// No such account, [`Error::RefundNotFound`], or whatever the provider's client reports.
    pub async fn refund_status(
        &self,
        account: &str,
        lookup: &RefundLookup,
    ) -> Result<Refund, Error> {
        self.provider(account)?.refund_status(lookup).await
    }

    /// [`reliable_refund`] through the account `account`: retries under the same refund id,
    /// settles an unknown outcome by looking the refund up, and reports what is known — never a
    /// guess. An unknown account is [`RefundOutcome::NotSent`].
    pub async fn reliable_refund(
        &self,
        account: &str,
        request: &RefundRequest,
        policy: &ReliablePolicy,
    ) -> RefundOutcome {
        match self.provider(account) {
            Ok(provider) => reliable_refund(provider.as_ref(), request, policy).await,
            Err(error) => RefundOutcome::NotSent(error),
        }
    }

    /// [`resume_refund`] through the account `account`: for a refund an earlier run may have
    /// sent. An unknown account is [`RefundOutcome::NotSent`].
    pub async fn resume_refund(
        &self,
        account: &str,
        request: &RefundRequest,
        policy: &ReliablePolicy,
    ) -> RefundOutcome {
        match self.provider(account) {
            Ok(provider) => resume_refund(provider.as_ref(), request, policy).await,
            Err(error) => RefundOutcome::NotSent(error),
        }
    }

    /// Creates a payment through the account `account` (see [`PaymentProvider::create_payment`]).
    ///
    /// # Errors
    /// No such account, a provider that takes no payments, an unsupported scene, or whatever
    /// the provider's client reports.
    pub async fn create_payment(
        &self,
        account: &str,
        request: &PaymentRequest,
    ) -> Result<Payment, Error> {
        self.payments(account)?.create_payment(request).await
    }

    /// Looks a payment up through the account `account`.
    ///
    /// # Errors
    /// No such account, [`Error::PaymentNotFound`], or whatever the provider's client reports.
    pub async fn payment_status(
        &self,
        account: &str,
        lookup: &PaymentLookup,
    ) -> Result<Payment, Error> {
        self.payments(account)?.payment_status(lookup).await
    }

    /// Verifies a notification the account `account` received, over the raw request exactly
    /// as it arrived (see [`RefundProvider::verify_notification`]).
    ///
    /// # Errors
    /// No such account, or [`Error::Verification`] (and nothing in the body may be used).
    pub async fn verify_notification(
        &self,
        account: &str,
        request: &http::Request<bytes::Bytes>,
    ) -> Result<Notification, Error> {
        self.provider(account)?.verify_notification(request).await
    }

    /// The accounts whose section could not be used, with why (empty unless the configuration
    /// was read with [`Config::load_each`]).
    pub fn unusable(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.unusable
            .iter()
            .map(|(name, error)| (name.as_str(), error))
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
        let mut gateway = Gateway::new();
        for unusable in &config.unusable {
            gateway
                .unusable
                .insert(unusable.name.clone(), unusable.error.clone());
        }
        for account in &config.accounts {
            match Gateway::build_account(account, bills, transport_for) {
                Ok((refunds, payments, statements)) => {
                    gateway = gateway.with_account(account.name.clone(), refunds)?;
                    if let Some(payments) = payments {
                        gateway = gateway.with_payments(account.name.clone(), payments)?;
                    }
                    if let Some(statements) = statements {
                        gateway = gateway.with_statements(account.name.clone(), statements)?;
                    }
                }
                // Read with `Config::load_each`: this account alone is out of use.
                Err(error) if config.each() => {
                    gateway.unusable.insert(account.name.clone(), error);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(gateway)
    }

    /// One account's refund, payment and statement clients.
    fn build_account(
        account: &crate::config::Account,
        bills: &HyperTransport,
        transport_for: &dyn Fn(&ProviderTuning) -> Result<HyperTransport, Error>,
    ) -> Result<AccountClients, Error> {
        let transport = transport_for(&account.tuning)?;
        let retry = &account.tuning.retry;
        let refunds = account.settings.build(transport.clone(), retry.clone())?;
        let payments = account.settings.build_payments(transport, retry.clone())?;
        let statements = account
            .settings
            .build_statements(bills.clone(), retry.clone())?;
        Ok((refunds, payments, statements))
    }
}
