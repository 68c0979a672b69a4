//! How a provider crate is set up from its section of `paybridge.toml`: each provider crate
//! owns its settings type and how it builds its client, so the program that reads the file
//! (the facade, the CLI) holds no per-provider code — it looks the section's name up in a
//! registry of [`ProviderSetup`]s.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paybridge_core::{
    Error, PaymentProvider, ProviderId, ProviderProfile, RefundProvider, StatementProvider,
};
use serde::de::DeserializeOwned;

use crate::{HyperTransport, RetryPolicy};

/// Loads the secrets a section names, from a file (`<name>_file`) or an environment variable
/// (`<name>_env`), never from the file's text. Implemented by the program that reads the file:
/// it knows the directory relative paths start from, and how to say what is missing without
/// showing a secret.
pub trait SecretLoader {
    /// The secret `name` of account `account`, from exactly one of `file` and `env`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the account and the setting (never the value) when neither or
    /// both are given, the file cannot be read, or the variable is not set.
    fn load(
        &self,
        account: &str,
        name: &str,
        file: Option<&Path>,
        env: Option<&str>,
    ) -> Result<String, Error>;

    /// Where a path the section names (a directory of certificates) is: relative paths start
    /// where the program says (the config file's directory).
    fn resolve(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
}

/// One account of a provider, its secrets loaded, as the program that read the file holds it:
/// any [`ProviderSetup`] type. `Debug` never shows a secret.
pub trait AccountSettings: fmt::Debug + Send + Sync {
    /// The provider.
    fn provider(&self) -> ProviderId;

    /// The provider crate's own settings type, to downcast to (`BluePaySettings`, …) where a
    /// program needs the provider's own client rather than the unified one.
    fn as_any(&self) -> &dyn std::any::Any;

    /// A client for this account, sending through `transport` and retrying by `retry`.
    ///
    /// # Errors
    /// [`Error::Config`] when a key cannot be read or a URL is refused.
    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error>;

    /// A client for this account's payments (creating, looking up, closing), or `None` when
    /// paybridge's client for this provider takes no payments.
    ///
    /// # Errors
    /// [`Error::Config`] when a key cannot be read or a URL is refused.
    fn build_payments(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error>;

    /// A client for this account's statements (bills), or `None` when the provider publishes
    /// none paybridge reads.
    ///
    /// # Errors
    /// [`Error::Config`] when a key cannot be read or a URL is refused.
    fn build_statements(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn StatementProvider>>, Error>;

    /// `body` (a JSON object) wrapped, signed, exactly as this account would send it: what
    /// `paybridge sign` prints. A provider that signs nothing shows the request with its key
    /// masked.
    ///
    /// # Errors
    /// The body is not a JSON object, or a key cannot be read.
    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error>;
}

/// What a provider crate gives the program that reads `paybridge.toml`: its settings type,
/// read from the provider's section, that builds the provider's client.
pub trait ProviderSetup: fmt::Debug + Send + Sync + Sized + 'static {
    /// The provider (its name is the section's).
    const PROVIDER: ProviderId;

    /// What the provider's identifiers mean and what it can do, for help texts and messages.
    const PROFILE: ProviderProfile;

    /// The section as written: every key but the ones every provider shares
    /// (`connect_timeout_ms`, `request_timeout_ms`, `retry`), which the reader keeps.
    /// Unknown keys are refused by name.
    type Section: DeserializeOwned;

    /// Reads one account's section, loading its secrets through `secrets`.
    ///
    /// # Errors
    /// [`Error::Config`] naming `account` and the setting at fault.
    fn from_section(
        section: Self::Section,
        account: &str,
        secrets: &dyn SecretLoader,
    ) -> Result<Self, Error>;

    /// See [`AccountSettings::build`].
    ///
    /// # Errors
    /// [`Error::Config`] when a key cannot be read or a URL is refused.
    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error>;

    /// See [`AccountSettings::build_payments`] (by default: no payments).
    ///
    /// # Errors
    /// [`Error::Config`] when a key cannot be read or a URL is refused.
    fn build_payments(
        &self,
        _transport: HyperTransport,
        _retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error> {
        Ok(None)
    }

    /// See [`AccountSettings::build_statements`] (by default: none).
    ///
    /// # Errors
    /// [`Error::Config`] when a key cannot be read or a URL is refused.
    fn build_statements(
        &self,
        _transport: HyperTransport,
        _retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn StatementProvider>>, Error> {
        Ok(None)
    }

    /// See [`AccountSettings::sign_example`].
    ///
    /// # Errors
    /// The body is not a JSON object, or a key cannot be read.
    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error>;
}

impl<S: ProviderSetup> AccountSettings for S {
    fn provider(&self) -> ProviderId {
        S::PROVIDER
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn build(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Arc<dyn RefundProvider>, Error> {
        ProviderSetup::build(self, transport, retry)
    }

    fn build_payments(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn PaymentProvider>>, Error> {
        ProviderSetup::build_payments(self, transport, retry)
    }

    fn build_statements(
        &self,
        transport: HyperTransport,
        retry: RetryPolicy,
    ) -> Result<Option<Arc<dyn StatementProvider>>, Error> {
        ProviderSetup::build_statements(self, transport, retry)
    }

    fn sign_example(&self, body: &[u8]) -> Result<Vec<u8>, Error> {
        ProviderSetup::sign_example(self, body)
    }
}

/// `body` read as the JSON object [`AccountSettings::sign_example`] wraps.
///
/// # Errors
/// [`Error::InvalidRequest`] on `body` when it is not JSON, or not an object.
pub fn example_body(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid("body", "must be a JSON object")),
        Err(e) => Err(Error::invalid("body", format!("is not JSON: {e}"))),
    }
}
