//! `paybridge.toml`: where each provider is and where its secrets come from. Secrets are read
//! from a file (`<name>_file`) or an environment variable (`<name>_env`), never written inline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use paybridge_core::Error;
use paybridge_sign::SecretString;
use paybridge_transport::RetryPolicy;
use serde::Deserialize;

fn config_error(reason: impl Into<String>) -> Error {
    Error::Config {
        reason: reason.into(),
    }
}

/// A secret's source in the file.
#[derive(Clone, Debug, Default, Deserialize)]
struct SecretSource {
    file: Option<PathBuf>,
    env: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BluePaySection {
    base_url: String,
    app_id: String,
    private_key_file: Option<PathBuf>,
    private_key_env: Option<String>,
    platform_public_key_file: Option<PathBuf>,
    platform_public_key_env: Option<String>,
    refund_callback_url: Option<String>,
    connect_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    retry: Option<RetrySection>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NomadSection {
    base_url: String,
    merchant: String,
    api_key_file: Option<PathBuf>,
    api_key_env: Option<String>,
    payment_method: Option<String>,
    notify_url: Option<String>,
    connect_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    retry: Option<RetrySection>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanForPaySection {
    base_url: String,
    partner_no: String,
    store_no: String,
    sign_key_file: Option<PathBuf>,
    sign_key_env: Option<String>,
    connect_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    retry: Option<RetrySection>,
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

/// How one provider's calls are retried and timed, from its section of the file.
#[derive(Clone, Debug, Default)]
pub struct ProviderTuning {
    /// The client's retry policy (every retry reuses the merchant's ids).
    pub retry: RetryPolicy,
    /// This provider's TCP connect timeout, overriding `[transport]`.
    pub connect_timeout: Option<Duration>,
    /// This provider's whole-request timeout, overriding `[transport]`.
    pub request_timeout: Option<Duration>,
}

fn tuning(
    section: &str,
    connect_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    retry: Option<RetrySection>,
) -> Result<ProviderTuning, Error> {
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bluepay: Option<BluePaySection>,
    nomad: Option<NomadSection>,
    scanforpay: Option<ScanForPaySection>,
    #[serde(default)]
    transport: TransportSection,
}

/// BluePay's settings, secrets loaded.
#[derive(Clone, Debug)]
pub struct BluePaySettings {
    /// Base URL.
    pub base_url: String,
    /// App id.
    pub app_id: String,
    /// The merchant private key (PEM or base64 DER), a secret.
    pub private_key: SecretString,
    /// BluePay's platform public key (PEM or base64 DER).
    pub platform_public_key: String,
    /// Default refund callback URL.
    pub refund_callback_url: Option<String>,
    /// Retries and timeouts for this provider.
    pub tuning: ProviderTuning,
}

/// Nomad's settings, secrets loaded.
#[derive(Clone, Debug)]
pub struct NomadSettings {
    /// Base URL.
    pub base_url: String,
    /// Merchant account name.
    pub merchant: String,
    /// The API key, a secret.
    pub api_key: SecretString,
    /// `wechatpay` or `alipay`.
    pub payment_method: Option<String>,
    /// Default refund notification URL.
    pub notify_url: Option<String>,
    /// Retries and timeouts for this provider.
    pub tuning: ProviderTuning,
}

/// ScanForPay's settings, secrets loaded.
#[derive(Clone, Debug)]
pub struct ScanForPaySettings {
    /// Base URL.
    pub base_url: String,
    /// Partner number.
    pub partner_no: String,
    /// Store number.
    pub store_no: String,
    /// The sign key, a secret.
    pub sign_key: SecretString,
    /// Retries and timeouts for this provider.
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

/// A loaded configuration: every configured provider with its secrets in hand.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// BluePay, if configured.
    pub bluepay: Option<BluePaySettings>,
    /// Nomad, if configured.
    pub nomad: Option<NomadSettings>,
    /// ScanForPay, if configured.
    pub scanforpay: Option<ScanForPaySettings>,
    /// Transport.
    pub transport: TransportSettings,
}

/// Reads `paybridge.toml` from the path given, else `$PAYBRIDGE_CONFIG`, else `./paybridge.toml`.
pub fn config_path(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("PAYBRIDGE_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("paybridge.toml"))
}

/// A TOML error without the source excerpt toml would print: the offending line may hold a
/// secret (a misspelled `apikey = "sk…"`). Only the line number and the message stay, and any
/// quoted value in the message is elided.
fn toml_error(text: &str, error: &toml::de::Error) -> Error {
    let line = error
        .span()
        .and_then(|span| text.get(..span.start))
        .map(|before| before.matches('\n').count() + 1);
    let mut message = String::new();
    let mut quoted = false;
    for c in error.message().chars() {
        if c == '"' {
            if !quoted {
                message.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            message.push(c);
        }
    }
    config_error(match line {
        Some(line) => format!("invalid paybridge.toml, line {line}: {}", message.trim()),
        None => format!("invalid paybridge.toml: {}", message.trim()),
    })
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

/// The keys that would put a secret inline.
const INLINE_SECRETS: [(&str, &str); 4] = [
    ("private_key", "private_key_file or private_key_env"),
    ("api_key", "api_key_file or api_key_env"),
    ("sign_key", "sign_key_file or sign_key_env"),
    (
        "platform_public_key",
        "platform_public_key_file or platform_public_key_env",
    ),
];

impl Config {
    /// Loads the configuration file at `path`, resolving secret files relative to it and secret
    /// variables from the environment. Base URLs come from the file only: an environment
    /// variable that silently redirected signed requests elsewhere was removed.
    pub fn load(path: &Path) -> Result<Config, Error> {
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
        Config::from_toml(&text, dir, &|name| std::env::var(name).ok())
    }

    /// Parses configuration text; `dir` anchors relative paths, `env` looks variables up.
    pub fn from_toml(
        text: &str,
        dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        let value: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        for (section, table) in &value {
            let Some(table) = table.as_table() else {
                continue;
            };
            for (key, instead) in INLINE_SECRETS {
                if table.contains_key(key) {
                    return Err(config_error(format!(
                        "[{section}] {key} is inline; secrets are never written in the config file: use {instead}"
                    )));
                }
            }
        }
        let file: FileConfig = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let secret = |section: &str, name: &str, source: SecretSource| -> Result<String, Error> {
            match (source.file, source.env) {
                (Some(file), None) => {
                    let path = if file.is_absolute() {
                        file
                    } else {
                        dir.join(file)
                    };
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        config_error(format!("[{section}] {name}_file {}: {e}", path.display()))
                    })?;
                    Ok(text.trim().to_owned())
                }
                (None, Some(var)) => env(&var).filter(|v| !v.is_empty()).ok_or_else(|| {
                    config_error(if looks_like_a_variable_name(&var) {
                        format!("[{section}] {name}_env: the environment variable {var} is not set")
                    } else {
                        format!(
                            "[{section}] {name}_env does not name an environment variable (the \
                             value is not shown: it may be the secret itself, which belongs in \
                             the variable it names)"
                        )
                    })
                }),
                (Some(_), Some(_)) => Err(config_error(format!(
                    "[{section}] give either {name}_file or {name}_env, not both"
                ))),
                (None, None) => Err(config_error(format!(
                    "[{section}] {name}_file or {name}_env is required"
                ))),
            }
        };
        let base_url = |provider: &str, configured: String| {
            tracing::info!(provider, base_url = %configured, "provider base URL");
            configured
        };
        let bluepay = file
            .bluepay
            .map(|s| -> Result<BluePaySettings, Error> {
                Ok(BluePaySettings {
                    base_url: base_url("bluepay", s.base_url),
                    app_id: s.app_id,
                    private_key: SecretString::new(secret(
                        "bluepay",
                        "private_key",
                        SecretSource {
                            file: s.private_key_file,
                            env: s.private_key_env,
                        },
                    )?),
                    platform_public_key: secret(
                        "bluepay",
                        "platform_public_key",
                        SecretSource {
                            file: s.platform_public_key_file,
                            env: s.platform_public_key_env,
                        },
                    )?,
                    refund_callback_url: s.refund_callback_url,
                    tuning: tuning(
                        "bluepay",
                        s.connect_timeout_ms,
                        s.request_timeout_ms,
                        s.retry,
                    )?,
                })
            })
            .transpose()?;
        let nomad = file
            .nomad
            .map(|s| -> Result<NomadSettings, Error> {
                Ok(NomadSettings {
                    base_url: base_url("nomad", s.base_url),
                    merchant: s.merchant,
                    api_key: SecretString::new(secret(
                        "nomad",
                        "api_key",
                        SecretSource {
                            file: s.api_key_file,
                            env: s.api_key_env,
                        },
                    )?),
                    payment_method: s.payment_method,
                    notify_url: s.notify_url,
                    tuning: tuning("nomad", s.connect_timeout_ms, s.request_timeout_ms, s.retry)?,
                })
            })
            .transpose()?;
        let scanforpay = file
            .scanforpay
            .map(|s| -> Result<ScanForPaySettings, Error> {
                Ok(ScanForPaySettings {
                    base_url: base_url("scanforpay", s.base_url),
                    partner_no: s.partner_no,
                    store_no: s.store_no,
                    sign_key: SecretString::new(secret(
                        "scanforpay",
                        "sign_key",
                        SecretSource {
                            file: s.sign_key_file,
                            env: s.sign_key_env,
                        },
                    )?),
                    tuning: tuning(
                        "scanforpay",
                        s.connect_timeout_ms,
                        s.request_timeout_ms,
                        s.retry,
                    )?,
                })
            })
            .transpose()?;
        let extra_ca_pem = file
            .transport
            .extra_ca_file
            .map(|f| {
                let path = if f.is_absolute() { f } else { dir.join(f) };
                std::fs::read(&path).map_err(|e| {
                    config_error(format!("[transport] extra_ca_file {}: {e}", path.display()))
                })
            })
            .transpose()?;
        Ok(Config {
            bluepay,
            nomad,
            scanforpay,
            transport: TransportSettings {
                connect_timeout: file.transport.connect_timeout_ms.map(Duration::from_millis),
                request_timeout: file.transport.request_timeout_ms.map(Duration::from_millis),
                extra_ca_pem,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "NOMAD_API_KEY" => Some("nmd_key".into()),
            "PAYBRIDGE_NOMAD_BASE_URL" => Some("http://127.0.0.1:1/nomad".into()),
            _ => None,
        }
    }

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
        let nomad = config.nomad.unwrap();
        assert_eq!(
            (nomad.api_key.expose(), nomad.base_url.as_str()),
            ("nmd_key", "https://nomad.samarkand-global.cn/broker/v1"),
            "the environment never redirects a provider"
        );
        assert_eq!(config.scanforpay.unwrap().sign_key.expose(), "sfp-key");
        assert!(config.bluepay.is_none());

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
        let nomad = Config::from_toml(text, &dir, &env).unwrap().nomad.unwrap();
        let tuning = nomad.tuning;
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
}
