//! The conformance checks every provider crate runs (feature `test-util`).

/// The checks every provider crate passes, run from its `tests/conformance.rs` so that a new
/// provider is held to the same rules as the others (see `docs/provider.md`):
///
/// - its names agree: the crate's `PROVIDER`, its retry rules and its settings name one
///   [`paybridge_core::ProviderId`];
/// - its table of calls is sound: every path absolute, no call listed twice, the refund call
///   in it and marked as applying something;
/// - a code the provider never documented is ambiguous — retried under the same id or looked
///   up, never reported as a refusal;
/// - its settings, read from a section the way `paybridge.toml` is, and the client built from
///   them never show a secret in `Debug`;
/// - `paybridge sign` refuses a body that is not a JSON object, and signs one that is.
#[macro_export]
macro_rules! provider_conformance {
    (
        krate: $krate:ident,
        provider: $provider:expr,
        settings: $settings:ty,
        refund: $refund:ty,
        unknown_code: $unknown:expr,
        section: $section:expr,
        secrets: { $($name:literal => $secret:expr),* $(,)? } $(,)?
    ) => {
        mod conformance {
            use super::*;
            use $crate::ProviderSetup as _;

            struct Secrets;

            impl $crate::SecretLoader for Secrets {
                fn load(
                    &self,
                    _account: &str,
                    name: &str,
                    _file: Option<&std::path::Path>,
                    _env: Option<&str>,
                ) -> Result<String, paybridge_core::Error> {
                    match name {
                        $($name => Ok(String::from($secret)),)*
                        other => panic!("the section asked for an unexpected secret {other}"),
                    }
                }
            }

            fn settings() -> $settings {
                let section = serde_json::from_value($section).expect("the section reads");
                <$settings>::from_section(section, $krate::PROVIDER, &Secrets)
                    .expect("the settings load")
            }

            #[test]
            fn its_names_agree() {
                assert_eq!($krate::PROVIDER, $provider.name());
                assert_eq!($krate::codes::RETRY_RULES.provider, $krate::PROVIDER);
                assert_eq!(<$settings as $crate::ProviderSetup>::PROVIDER, $provider);
            }

            #[test]
            fn its_table_of_calls_is_sound() {
                use paybridge_core::Endpoint as _;
                let table = $krate::endpoints::ENDPOINTS;
                assert!(!table.is_empty());
                for (i, row) in table.iter().enumerate() {
                    assert!(row.path.starts_with('/'), "{row:?}");
                    assert!(
                        table.iter().skip(i + 1).all(|other| {
                            (other.method, other.path) != (row.method, row.path)
                                && other.request != row.request
                        }),
                        "listed twice: {row:?}"
                    );
                }
                assert!(<$refund>::APPLIES, "the refund call applies something");
                let refund = table
                    .iter()
                    .find(|row| row.path == <$refund>::PATH && row.method == <$refund>::METHOD);
                assert!(refund.is_some_and(|row| row.applies), "the refund is in the table");
            }

            #[test]
            fn an_undocumented_code_is_ambiguous() {
                let meaning: paybridge_core::CodeMeaning = $unknown;
                assert_eq!(meaning.class, paybridge_core::RejectionClass::Ambiguous);
            }

            #[test]
            fn no_secret_shows_in_settings_or_client() {
                let settings = settings();
                let client = $crate::AccountSettings::build(
                    &settings,
                    $crate::HyperTransport::with_defaults().expect("a transport"),
                    $crate::RetryPolicy::default(),
                )
                .expect("the client builds");
                let shown = format!("{settings:?} {client:?}");
                $(
                    let secret: &str = $secret;
                    // A key's PEM body, or the secret itself: no 12-character stretch of it shows.
                    let body: String = secret
                        .lines()
                        .filter(|l| !l.starts_with("-----"))
                        .collect();
                    let probe = if body.len() >= 40 {
                        body.get(20..32).unwrap_or_default().to_owned()
                    } else {
                        body.clone()
                    };
                    assert!(!shown.contains(&probe), "{} shows in {shown}", $name);
                )*
            }

            #[test]
            fn sign_refuses_what_is_not_an_object() {
                let settings = settings();
                for bad in [&b"not json"[..], b"[1, 2]", b"\"text\""] {
                    let error = $crate::AccountSettings::sign_example(&settings, bad).unwrap_err();
                    assert!(
                        matches!(error, paybridge_core::Error::InvalidRequest { .. }),
                        "{error}"
                    );
                }
                let signed = $crate::AccountSettings::sign_example(&settings, br#"{"a":1}"#)
                    .expect("an object signs");
                assert!(!signed.is_empty());
            }
        }
    };
}
