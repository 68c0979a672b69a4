//! `paybridge.toml`: where each provider account is and where its secrets come from. Secrets
//! are read from a file (`<name>_file`) or an environment variable (`<name>_env`), never written
//! inline.
//!
//! Each provider crate owns its section ([`ProviderSetup`]): this module knows only the shape
//! every section shares — one account per `[provider]`, or several named ones
//! (`[bluepay.th-main]`, `[bluepay.th-events]`) — the keys every provider takes
//! (`connect_timeout_ms`, `request_timeout_ms`, `retry`), and how secrets are loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use paybridge_core::{Error, ProviderId, ProviderProfile};
use paybridge_transport::{AccountSettings, ProviderSetup, RetryPolicy, SecretLoader};
use serde::Deserialize;

fn config_error(reason: impl Into<String>) -> Error {
    Error::Config {
        reason: reason.into(),
    }
}

/// Reads one account's section for one provider.
type Loader =
    fn(toml::Value, &str, &dyn SecretLoader, &str) -> Result<Arc<dyn AccountSettings>, Error>;

fn loader<S: ProviderSetup>(
    value: toml::Value,
    account: &str,
    secrets: &dyn SecretLoader,
    text: &str,
) -> Result<Arc<dyn AccountSettings>, Error> {
    let section: S::Section = value
        .try_into()
        .map_err(|e: toml::de::Error| section_error(account, &e, text))?;
    Ok(Arc::new(S::from_section(section, account, secrets)?))
}

/// Every provider this build can set up (by cargo feature): its section reader and its
/// profile (what its identifiers mean, for help texts and messages).
pub(crate) const REGISTRY: &[(ProviderId, Loader, &ProviderProfile)] = &[
    #[cfg(feature = "bluepay")]
    registered::<paybridge_bluepay::BluePaySettings>(),
    #[cfg(feature = "nomad")]
    registered::<paybridge_nomad::NomadSettings>(),
    #[cfg(feature = "scanforpay")]
    registered::<paybridge_scanforpay::ScanForPaySettings>(),
    #[cfg(feature = "wechatpay")]
    registered::<paybridge_wechatpay::WechatPaySettings>(),
    #[cfg(feature = "alipay")]
    registered::<paybridge_alipay::AlipaySettings>(),
];

/// A provider's entry in [`REGISTRY`].
const fn registered<S: ProviderSetup>() -> (ProviderId, Loader, &'static ProviderProfile) {
    (S::PROVIDER, loader::<S>, &S::PROFILE)
}

/// `retry = { max_attempts = 3, initial_backoff_ms = 100, max_backoff_ms = 2000, deadline_ms = 30000 }`
/// in a provider's section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetrySection {
    max_attempts: Option<u32>,
    initial_backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
    deadline_ms: Option<u64>,
}

/// The keys every provider's section takes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TuningSection {
    connect_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    retry: Option<RetrySection>,
}

const TUNING_KEYS: [&str; 3] = ["connect_timeout_ms", "request_timeout_ms", "retry"];

/// How one account's calls are retried and timed, from its section of the file.
#[derive(Clone, Debug, Default)]
pub struct ProviderTuning {
    /// The client's retry policy (every retry reuses the merchant's ids).
    pub retry: RetryPolicy,
    /// This account's TCP connect timeout, overriding `[transport]`.
    pub connect_timeout: Option<Duration>,
    /// This account's whole-request timeout, overriding `[transport]`.
    pub request_timeout: Option<Duration>,
}

fn tuning(section: &str, t: TuningSection) -> Result<ProviderTuning, Error> {
    let TuningSection {
        connect_timeout_ms,
        request_timeout_ms,
        retry,
    } = t;
    let mut policy = RetryPolicy::default();
    if let Some(r) = retry {
        if let Some(n) = r.max_attempts {
            if !(1..=20).contains(&n) {
                return Err(config_error(format!(
                    "[{section}] retry.max_attempts must be between 1 and 20, not {n}"
                )));
            }
            policy.max_attempts = n;
        }
        if let Some(ms) = r.initial_backoff_ms {
            policy.initial_backoff = Duration::from_millis(ms);
        }
        if let Some(ms) = r.max_backoff_ms {
            policy.max_backoff = Duration::from_millis(ms);
        }
        if let Some(ms) = r.deadline_ms {
            if ms == 0 {
                return Err(config_error(format!(
                    "[{section}] retry.deadline_ms must be greater than 0"
                )));
            }
            policy.deadline = Duration::from_millis(ms);
        }
        if policy.initial_backoff > policy.max_backoff {
            return Err(config_error(format!(
                "[{section}] retry.initial_backoff_ms is above retry.max_backoff_ms"
            )));
        }
    }
    for (name, value) in [
        ("connect_timeout_ms", connect_timeout_ms),
        ("request_timeout_ms", request_timeout_ms),
    ] {
        if value == Some(0) {
            return Err(config_error(format!(
                "[{section}] {name} must be greater than 0"
            )));
        }
    }
    Ok(ProviderTuning {
        retry: policy,
        connect_timeout: connect_timeout_ms.map(Duration::from_millis),
        request_timeout: request_timeout_ms.map(Duration::from_millis),
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransportSection {
    connect_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    extra_ca_file: Option<PathBuf>,
}

/// One configured account of a provider: `[bluepay]` is the account `bluepay`,
/// `[bluepay.th-main]` the account `bluepay.th-main`.
#[derive(Clone, Debug)]
pub struct Account {
    /// The account's name, as a gateway and the command line know it.
    pub name: String,
    /// Its provider.
    pub provider: ProviderId,
    /// Its settings, secrets loaded (the provider crate's type; `Debug` shows no secret).
    pub settings: Arc<dyn AccountSettings>,
    /// Retries and timeouts for this account.
    pub tuning: ProviderTuning,
}

/// Transport settings.
#[derive(Clone, Debug, Default)]
pub struct TransportSettings {
    /// TCP connect timeout.
    pub connect_timeout: Option<Duration>,
    /// Whole-request timeout.
    pub request_timeout: Option<Duration>,
    /// An extra CA certificate (PEM) to trust.
    pub extra_ca_pem: Option<Vec<u8>>,
}

/// A loaded configuration: every configured account with its secrets in hand.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The accounts, in the file's order.
    pub accounts: Vec<Account>,
    /// Transport.
    pub transport: TransportSettings,
    /// The accounts whose section could not be used, each with its error naming the section
    /// (only [`Config::load_each`] and [`Config::from_toml_each`] keep going past one: the
    /// others fail on it).
    pub unusable: Vec<UnusableAccount>,
    /// Whether an account that cannot be built is left out (see [`Config::load_each`]).
    each: bool,
}

/// An account whose section could not be used, and why.
#[derive(Clone, Debug)]
pub struct UnusableAccount {
    /// The account's name (`bluepay`, `bluepay.th-main`).
    pub name: String,
    /// Its provider.
    pub provider: ProviderId,
    /// Why: an [`Error::Config`] naming the section and the setting at fault.
    pub error: Error,
}

/// Reads `paybridge.toml` from the path given, else `$PAYBRIDGE_CONFIG`, else `./paybridge.toml`.
pub fn config_path(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("PAYBRIDGE_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("paybridge.toml"))
}

/// A TOML error's message without any quoted value: serde quotes what it refused, and that may
/// be a secret (a key's value where a number belongs).
fn unquoted(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// A TOML error without the source excerpt toml would print: the offending line may hold a
/// secret (a misspelled `apikey = "sk…"`). Only the line number and the message stay, and any
/// quoted value in the message is elided.
fn toml_error(text: &str, error: &toml::de::Error) -> Error {
    let line = error
        .span()
        .and_then(|span| text.get(..span.start))
        .map(|before| before.matches('\n').count() + 1);
    let message = unquoted(error.message());
    config_error(match line {
        Some(line) => format!("invalid paybridge.toml, line {line}: {message}"),
        None => format!("invalid paybridge.toml: {message}"),
    })
}

/// An error in one account's section, naming it (and, for an unknown key, its line in `text`).
fn section_error(account: &str, error: &toml::de::Error, text: &str) -> Error {
    let message = unquoted(error.message());
    let line = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .and_then(|(key, _)| line_of(text, account, key));
    config_error(match line {
        Some(line) => format!("[{account}] line {line}: {message}"),
        None => format!("[{account}] {message}"),
    })
}

/// The line (from 1) where `key` is set in section `[section]` of `text`.
fn line_of(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = header.split_whitespace().collect();
        } else if current == section && line.split_once('=').is_some_and(|(k, _)| k.trim() == key) {
            return Some(number + 1);
        }
    }
    None
}

/// Whether `name` reads as an environment variable's name (`NOMAD_API_KEY`), so that echoing
/// it in an error cannot show a secret pasted in its place.
fn looks_like_a_variable_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// An account's own name, after the provider's: `th-main` in `[bluepay.th-main]`.
fn valid_account_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The keys that would put a secret inline.
const INLINE_SECRETS: [(&str, &str); 5] = [
    ("apiv3_key", "apiv3_key_file or apiv3_key_env"),
    ("private_key", "private_key_file or private_key_env"),
    ("api_key", "api_key_file or api_key_env"),
    ("sign_key", "sign_key_file or sign_key_env"),
    (
        "platform_public_key",
        "platform_public_key_file or platform_public_key_env",
    ),
];

/// Loads secrets from files relative to the config file's directory, or from variables.
struct FileSecrets<'a> {
    dir: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl SecretLoader for FileSecrets<'_> {
    fn load(
        &self,
        account: &str,
        name: &str,
        file: Option<&Path>,
        env: Option<&str>,
    ) -> Result<String, Error> {
        match (file, env) {
            (Some(file), None) => {
                let path = if file.is_absolute() {
                    file.to_path_buf()
                } else {
                    self.dir.join(file)
                };
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    config_error(format!("[{account}] {name}_file {}: {e}", path.display()))
                })?;
                Ok(text.trim().to_owned())
            }
            (None, Some(var)) => (self.env)(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                config_error(if looks_like_a_variable_name(var) {
                    format!("[{account}] {name}_env: the environment variable {var} is not set")
                } else {
                    format!(
                        "[{account}] {name}_env does not name an environment variable (the \
                         value is not shown: it may be the secret itself, which belongs in \
                         the variable it names)"
                    )
                })
            }),
            (Some(_), Some(_)) => Err(config_error(format!(
                "[{account}] give either {name}_file or {name}_env, not both"
            ))),
            (None, None) => Err(config_error(format!(
                "[{account}] {name}_file or {name}_env is required"
            ))),
        }
    }

    fn resolve(&self, path: &Path) -> std::path::PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }
}

/// The accounts a provider's section holds: itself, or its named sub-sections.
fn accounts_in(
    provider: ProviderId,
    mut table: toml::Table,
) -> Result<Vec<(String, toml::Table)>, Error> {
    let named: Vec<String> = table
        .iter()
        .filter(|(key, value)| value.is_table() && !TUNING_KEYS.contains(&key.as_str()))
        .map(|(key, _)| key.clone())
        .collect();
    if named.is_empty() {
        return Ok(vec![(provider.name().to_owned(), table)]);
    }
    if let Some(key) = table.keys().find(|key| !named.contains(key)) {
        return Err(config_error(format!(
            "[{provider}] has both its own settings ({key}) and named accounts ({}); put each \
             account's settings in its own [{provider}.<name>]",
            named.join(", ")
        )));
    }
    named
        .into_iter()
        .map(|name| {
            if !valid_account_name(&name) {
                return Err(config_error(format!(
                    "[{provider}.…] an account's name is 1 to 32 lower-case letters, digits, \
                     '-' or '_'"
                )));
            }
            match table.remove(&name) {
                Some(toml::Value::Table(account)) => Ok((format!("{provider}.{name}"), account)),
                _ => Err(config_error(format!(
                    "[{provider}.{name}] is not a section"
                ))),
            }
        })
        .collect()
}

impl Config {
    /// Loads the configuration file at `path`, resolving secret files relative to it and secret
    /// variables from the environment. Base URLs come from the file only: an environment
    /// variable that silently redirected signed requests elsewhere was removed.
    ///
    /// # Errors
    /// [`Error::Config`] naming the section and setting at fault, never quoting the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, Error> {
        Config::read_file(path.as_ref(), false)
    }

    /// As [`Config::load`], but an account whose section cannot be used (an unset
    /// environment variable, a missing key file, a bad setting) does not stop the others: it is
    /// listed in [`Config::unusable`], and a [`Gateway`](crate::Gateway) built from this
    /// configuration answers that account's error for that account alone. For a tool that uses
    /// one account per run, like the command line; a service should [`Config::load`] and refuse
    /// to start on any error.
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be read or is not valid TOML, or for an error
    /// outside any account's section (`[transport]`, an unknown section).
    pub fn load_each(path: impl AsRef<Path>) -> Result<Config, Error> {
        Config::read_file(path.as_ref(), true)
    }

    fn read_file(path: &Path, each: bool) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            config_error(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
        })?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Config::read(&text, dir, &|name| std::env::var(name).ok(), each)
    }

    /// Parses configuration text; `dir` anchors relative paths, `env` looks variables up.
    ///
    /// # Errors
    /// [`Error::Config`] naming the section and setting at fault, never quoting the file.
    pub fn from_toml(
        text: &str,
        dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        Config::read(text, dir, env, false)
    }

    /// As [`Config::from_toml`], keeping going past an account that cannot be used (see
    /// [`Config::load_each`]).
    ///
    /// # Errors
    /// [`Error::Config`] for invalid TOML or an error outside any account's section.
    pub fn from_toml_each(
        text: &str,
        dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        Config::read(text, dir, env, true)
    }

    /// Whether accounts that cannot be built are left out rather than failing the whole
    /// gateway (read with [`Config::load_each`]).
    pub(crate) fn each(&self) -> bool {
        self.each
    }

    fn read(
        text: &str,
        dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        each: bool,
    ) -> Result<Config, Error> {
        let file: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let secrets = FileSecrets { dir, env };
        let mut config = Config {
            each,
            ..Config::default()
        };
        for (section, value) in file {
            let Some(table) = value.as_table().cloned() else {
                return Err(config_error(format!("{section} is not a section")));
            };
            if section == "transport" {
                config.transport = transport_settings(table, dir, text)?;
                continue;
            }
            let Some(provider) = ProviderId::parse(&section) else {
                let known: Vec<&str> = ProviderId::ALL.iter().map(|p| p.name()).collect();
                return Err(config_error(format!(
                    "unknown section [{section}] (sections: transport, {})",
                    known.join(", ")
                )));
            };
            let Some((_, load, _)) = REGISTRY.iter().find(|(id, _, _)| *id == provider) else {
                tracing::warn!(
                    provider = provider.name(),
                    "configured, but this build does not include it (cargo feature); ignored"
                );
                continue;
            };
            let accounts = match accounts_in(provider, table) {
                Ok(accounts) => accounts,
                Err(error) if each => {
                    config.unusable.push(UnusableAccount {
                        name: provider.name().to_owned(),
                        provider,
                        error,
                    });
                    continue;
                }
                Err(error) => return Err(error),
            };
            for (name, account) in accounts {
                match read_account(&name, account, *load, &secrets, text) {
                    Ok((settings, tuning)) => config.accounts.push(Account {
                        tuning,
                        name,
                        provider,
                        settings,
                    }),
                    Err(error) if each => config.unusable.push(UnusableAccount {
                        name,
                        provider,
                        error,
                    }),
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(config)
    }

    /// The account called `name`.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }
}

/// One account's section: its settings (secrets loaded) and its tuning.
fn read_account(
    name: &str,
    mut account: toml::Table,
    load: Loader,
    secrets: &dyn SecretLoader,
    text: &str,
) -> Result<(Arc<dyn AccountSettings>, ProviderTuning), Error> {
    for (key, instead) in INLINE_SECRETS {
        if account.contains_key(key) {
            return Err(config_error(format!(
                "[{name}] {key} is inline; secrets are never written in the config file: use {instead}"
            )));
        }
    }
    let mut shared = toml::Table::new();
    for key in TUNING_KEYS {
        if let Some(value) = account.remove(key) {
            shared.insert(key.to_owned(), value);
        }
    }
    let shared: TuningSection = toml::Value::Table(shared)
        .try_into()
        .map_err(|e: toml::de::Error| section_error(name, &e, text))?;
    if let Some(base_url) = account.get("base_url").and_then(|v| v.as_str()) {
        // Logged before the URL is checked: one carrying credentials (refused when the client
        // is built) must not put them in the log on the way.
        if paybridge_transport::carries_credentials(base_url) {
            tracing::info!(account = %name, "provider base URL [carries credentials: not shown]");
        } else {
            tracing::info!(account = %name, %base_url, "provider base URL");
        }
    }
    let settings = load(toml::Value::Table(account), name, secrets, text)?;
    Ok((settings, tuning(name, shared)?))
}

fn transport_settings(
    table: toml::Table,
    dir: &Path,
    text: &str,
) -> Result<TransportSettings, Error> {
    let section: TransportSection = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| section_error("transport", &e, text))?;
    let extra_ca_pem = section
        .extra_ca_file
        .map(|f| {
            let path = if f.is_absolute() { f } else { dir.join(f) };
            std::fs::read(&path).map_err(|e| {
                config_error(format!("[transport] extra_ca_file {}: {e}", path.display()))
            })
        })
        .transpose()?;
    Ok(TransportSettings {
        connect_timeout: section.connect_timeout_ms.map(Duration::from_millis),
        request_timeout: section.request_timeout_ms.map(Duration::from_millis),
        extra_ca_pem,
    })
}

// The sections are read by the provider crates a build includes; these tests read Nomad's.
#[cfg(all(test, feature = "nomad"))]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "NOMAD_API_KEY" => Some("nmd_key".into()),
            "PAYBRIDGE_NOMAD_BASE_URL" => Some("http://127.0.0.1:1/nomad".into()),
            _ => None,
        }
    }

    #[cfg(feature = "scanforpay")]
    #[test]
    fn read_each_an_unusable_section_stops_only_its_own_account() {
        let text = r#"
[nomad]
base_url = "https://nomad.samarkand-global.cn/broker/v1"
merchant = "wechat.sh_smk"
api_key_env = "NOMAD_API_KEY"

[scanforpay]
base_url = "https://pay.scanforpay.com"
partner_no = "10001"
store_no = "S1"
sign_key_env = "SCANFORPAY_KEY_NOBODY_SET"
"#;
        let dir = Path::new(".");
        // Strict: the whole file is refused, naming the section.
        let Err(Error::Config { reason }) = Config::from_toml(text, dir, &env) else {
            panic!("a broken section must fail a strict load");
        };
        assert!(reason.contains("[scanforpay]"), "{reason}");
        // Each: nomad is usable, scanforpay is listed with its error.
        let config = Config::from_toml_each(text, dir, &env).unwrap();
        assert_eq!(config.accounts.len(), 1);
        assert_eq!(config.accounts[0].name, "nomad");
        assert_eq!(config.unusable.len(), 1);
        assert_eq!(config.unusable[0].name, "scanforpay");
        assert!(
            config.unusable[0]
                .error
                .to_string()
                .contains("SCANFORPAY_KEY_NOBODY_SET")
        );
        // The gateway answers the section's own error for that account alone.
        let gateway = crate::Gateway::from_config(&config).unwrap();
        assert!(gateway.provider("nomad").is_ok());
        let Err(Error::Config { reason }) = gateway.provider("scanforpay") else {
            panic!("the unusable account must answer its section's error");
        };
        assert!(reason.contains("[scanforpay]"), "{reason}");
        assert_eq!(gateway.unusable().count(), 1);
        // A TOML syntax error is still the whole file's.
        assert!(Config::from_toml_each("[nomad", dir, &env).is_err());
    }

    #[cfg(feature = "scanforpay")]
    #[test]
    fn loads_secrets_from_env_and_files_and_refuses_inline_ones() {
        let dir = std::env::temp_dir().join(format!("pb-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sign-key"), "sfp-key\n").unwrap();
        let text = r#"
[nomad]
base_url = "https://nomad.samarkand-global.cn/broker/v1"
merchant = "wechat.sh_smk"
api_key_env = "NOMAD_API_KEY"

[scanforpay]
base_url = "https://pay.scanforpay.com"
partner_no = "10001"
store_no = "S1"
sign_key_file = "sign-key"
"#;
        let config = Config::from_toml(text, &dir, &env).unwrap();
        let names: Vec<&str> = config.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["nomad", "scanforpay"]);
        let nomad = format!("{:?}", config.account("nomad").unwrap().settings);
        assert!(
            nomad.contains("https://nomad.samarkand-global.cn/broker/v1"),
            "the environment never redirects a provider: {nomad}"
        );
        assert!(!nomad.contains("nmd_key"), "{nomad}");
        let secrets = FileSecrets {
            dir: &dir,
            env: &env,
        };
        assert_eq!(
            secrets
                .load("scanforpay", "sign_key", Some(Path::new("sign-key")), None)
                .unwrap(),
            "sfp-key"
        );
        assert_eq!(
            secrets
                .load("nomad", "api_key", None, Some("NOMAD_API_KEY"))
                .unwrap(),
            "nmd_key"
        );
        assert!(config.account("bluepay").is_none());

        let inline =
            "[nomad]\nbase_url = \"https://x\"\nmerchant = \"m\"\napi_key = \"sk_live_123\"\n";
        let err = Config::from_toml(inline, &dir, &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("inline") && err.contains("api_key_env") && !err.contains("sk_live_123"),
            "{err}"
        );
        let missing =
            "[nomad]\nbase_url = \"https://x\"\nmerchant = \"m\"\napi_key_env = \"UNSET_VAR\"\n";
        assert!(
            Config::from_toml(missing, &dir, &env)
                .unwrap_err()
                .to_string()
                .contains("UNSET_VAR")
        );
        let typo = "[nomad]\nbase_ur = \"https://x\"\n";
        assert!(
            Config::from_toml(typo, &dir, &env)
                .unwrap_err()
                .to_string()
                .contains("base_ur")
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn no_config_error_shows_a_secret() {
        let dir = std::env::temp_dir();
        let secret = "sk_live_51HcWq9Zx";
        let cases = [
            // A misspelled inline key: toml would quote the whole line.
            format!("[nomad]\nbase_url = \"https://x\"\nmerchant = \"m\"\napikey = \"{secret}\"\n"),
            // A syntax error on the secret's line.
            format!("[nomad]\nbase_url = \"https://x\"\napi_key_env = \"{secret}\" oops\n"),
            // A secret where a number belongs: serde quotes the value it refused.
            format!("[transport]\nconnect_timeout_ms = \"{secret}\"\n"),
            // The secret itself where its variable's name belongs.
            format!(
                "[nomad]\nbase_url = \"https://x\"\nmerchant = \"m\"\napi_key_env = \"{secret}\"\n"
            ),
        ];
        for text in cases {
            let error = Config::from_toml(&text, &dir, &env)
                .unwrap_err()
                .to_string();
            assert!(!error.contains(secret), "{error}");
            assert!(!error.contains("51HcWq9Zx"), "{error}");
        }
        // A typo is still named, with its line.
        let typo = Config::from_toml("[nomad]\nbase_ur = \"https://x\"\n", &dir, &env)
            .unwrap_err()
            .to_string();
        assert!(
            typo.contains("base_ur") && typo.contains("line 2"),
            "{typo}"
        );
        // An account's misspelt key is found in its own section.
        let text = "[nomad.a]\nbase_url = \"https://x\"\nmerchant = \"m\"\napi_key_env = \"NOMAD_API_KEY\"\n\n[nomad.b]\napikey = \"x\"\n";
        let typo = Config::from_toml(text, &dir, &env).unwrap_err().to_string();
        assert!(
            typo.contains("[nomad.b] line 7") && typo.contains("apikey"),
            "{typo}"
        );
        // A plausible variable name is still echoed, so the fix is obvious.
        let unset =
            "[nomad]\nbase_url = \"https://x\"\nmerchant = \"m\"\napi_key_env = \"UNSET_VAR\"\n";
        let error = Config::from_toml(unset, &dir, &env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("UNSET_VAR"), "{error}");
    }

    #[test]
    fn retries_and_timeouts_are_set_per_provider_and_checked() {
        let dir = std::env::temp_dir();
        let text = "[nomad]\nbase_url = \"https://x\"\nmerchant = \"m\"\napi_key_env = \"NOMAD_API_KEY\"\nrequest_timeout_ms = 1500\nretry = { max_attempts = 2, initial_backoff_ms = 10, max_backoff_ms = 50, deadline_ms = 4000 }\n";
        let config = Config::from_toml(text, &dir, &env).unwrap();
        let tuning = config.account("nomad").unwrap().tuning.clone();
        assert_eq!(tuning.retry.max_attempts, 2);
        assert_eq!(tuning.retry.initial_backoff, Duration::from_millis(10));
        assert_eq!(tuning.retry.max_backoff, Duration::from_millis(50));
        assert_eq!(tuning.retry.deadline, Duration::from_secs(4));
        assert_eq!(tuning.request_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(tuning.connect_timeout, None);
        for bad in [
            "retry = { max_attempts = 0 }",
            "retry = { max_attempts = 99 }",
            "retry = { deadline_ms = 0 }",
            "retry = { initial_backoff_ms = 500, max_backoff_ms = 10 }",
            "retry = { attempts = 3 }",
            "request_timeout_ms = 0",
        ] {
            let text = format!(
                "[nomad]\nbase_url = \"https://x\"\nmerchant = \"m\"\napi_key_env = \"NOMAD_API_KEY\"\n{bad}\n"
            );
            let error = Config::from_toml(&text, &dir, &env)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("nomad") || error.contains("attempts"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn several_accounts_of_one_provider_by_name() {
        let dir = std::env::temp_dir();
        let account = |name: &str, merchant: &str| {
            format!(
                "[nomad.{name}]\nbase_url = \"https://x\"\nmerchant = \"{merchant}\"\napi_key_env = \"NOMAD_API_KEY\"\n"
            )
        };
        let text = format!(
            "{}{}retry = {{ max_attempts = 1 }}\n",
            account("cn-main", "wechat.a"),
            account("cn-events", "wechat.b")
        );
        let config = Config::from_toml(&text, &dir, &env).unwrap();
        let names: Vec<&str> = config.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["nomad.cn-events", "nomad.cn-main"]);
        assert!(
            config
                .accounts
                .iter()
                .all(|a| a.provider == ProviderId::Nomad)
        );
        assert_eq!(
            config
                .account("nomad.cn-events")
                .unwrap()
                .tuning
                .retry
                .max_attempts,
            1,
            "each account has its own tuning"
        );
        assert_ne!(
            config
                .account("nomad.cn-main")
                .unwrap()
                .tuning
                .retry
                .max_attempts,
            1
        );
        for (bad, expected) in [
            (
                format!("[nomad]\nmerchant = \"m\"\n{}", account("x", "m")),
                "both its own settings",
            ),
            (account("\"Not-OK\"", "m"), "account's name"),
            (
                "[nomadd]\nbase_url = \"https://x\"\n".to_owned(),
                "unknown section [nomadd]",
            ),
            ("nomad = 1\n".to_owned(), "is not a section"),
        ] {
            let error = Config::from_toml(&bad, &dir, &env).unwrap_err().to_string();
            assert!(error.contains(expected), "{bad}: {error}");
        }
    }
}
