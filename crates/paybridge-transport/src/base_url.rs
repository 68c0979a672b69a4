//! A provider's base URL, parsed and checked against the URL policy once, then joined with each
//! call's path without parsing the whole URL again for every request.

use std::fmt;

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use paybridge_core::{Delivery, Error, TransportErrorKind};

use crate::url_policy::check_url;

/// Where a provider's API lives: scheme, host and an optional path prefix
/// (`https://api.example.com` or `https://example.com/broker/v1`).
///
/// Codecs hold one and build each request's URI with [`BaseUrl::join`]. Reusing the parsed scheme
/// and host keeps the per-request cost to the path alone, and the policy check
/// ([`check_url`]) happens once, when the configuration is read.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    /// The path prefix without its trailing `/`; empty for a bare host.
    prefix: String,
}

fn invalid(message: String) -> Error {
    Error::Transport {
        kind: TransportErrorKind::InvalidUrl,
        delivery: Delivery::NotSent,
        message,
    }
}

/// Whether the URL text carries credentials (`user@` or `user:password@` before the host), so
/// that it is neither accepted nor shown.
pub fn carries_credentials(text: &str) -> bool {
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    after_scheme
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
}

impl BaseUrl {
    /// Parses `text` and checks it against the URL policy: absolute, `https` (or `http` to a
    /// loopback host), and with neither query nor fragment, since each call appends its own path.
    ///
    /// # Errors
    /// [`Error::Transport`] (nothing sent) when the URL is not absolute, carries credentials, a
    /// query or a fragment, breaks the URL policy, or cannot take the path.
    pub fn parse(text: &str) -> Result<BaseUrl, Error> {
        if carries_credentials(text) {
            // A password in the URL would travel into every Debug and log line that shows it,
            // so it is refused without echoing the text.
            return Err(invalid(
                "a base URL may not carry credentials (user@ or user:password@); each provider's \
                 key or secret has its own setting"
                    .into(),
            ));
        }
        let uri: http::Uri = text
            .parse()
            .map_err(|_| invalid(format!("{text:?} is not a URL")))?;
        check_url(&uri)?;
        if uri.query().is_some() || text.contains('#') {
            return Err(invalid(format!(
                "{text:?} has a query or fragment; a base URL is a scheme, a host and an optional path"
            )));
        }
        let parts = uri.into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(invalid(format!("{text:?} is not an absolute URL")));
        };
        let prefix = parts
            .path_and_query
            .map(|p| p.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        Ok(BaseUrl {
            scheme,
            authority,
            prefix,
        })
    }

    /// [`BaseUrl::parse`] for a provider's configuration: a failure is an [`Error::Config`]
    /// naming that provider's `base_url` setting.
    ///
    /// # Errors
    /// [`Error::Transport`] (nothing sent) when the URL is not absolute, carries credentials, a
    /// query or a fragment, breaks the URL policy, or cannot take the path.
    pub fn from_config(provider: &str, text: &str) -> Result<BaseUrl, Error> {
        BaseUrl::parse(text).map_err(|error| {
            let why = match error {
                Error::Transport { message, .. } => message,
                other => other.to_string(),
            };
            Error::Config {
                reason: format!("{provider} base_url: {why}"),
            }
        })
    }

    /// The host (and port, if any) requests go to.
    pub fn authority(&self) -> &str {
        self.authority.as_str()
    }

    /// The URI of `path_and_query` (which starts with `/`) under this base.
    ///
    /// # Errors
    /// [`Error::Transport`] (nothing sent) when the URL is not absolute, carries credentials, a
    /// query or a fragment, breaks the URL policy, or cannot take the path.
    pub fn join(&self, path_and_query: &str) -> Result<http::Uri, Error> {
        let path_and_query = if self.prefix.is_empty() {
            PathAndQuery::try_from(path_and_query)
        } else {
            PathAndQuery::try_from(format!("{}{path_and_query}", self.prefix))
        };
        self.with_path(path_and_query)
    }

    /// [`BaseUrl::join`] for a path known at compile time (an endpoint's constant): under a bare
    /// host the path is used where it lies, without copying.
    ///
    /// # Errors
    /// [`Error::Transport`] (nothing sent) when the URL is not absolute, carries credentials, a
    /// query or a fragment, breaks the URL policy, or cannot take the path.
    pub fn join_static(&self, path: &'static str) -> Result<http::Uri, Error> {
        if self.prefix.is_empty() {
            self.with_path(PathAndQuery::from_maybe_shared(Bytes::from_static(
                path.as_bytes(),
            )))
        } else {
            self.join(path)
        }
    }

    fn with_path(
        &self,
        path_and_query: Result<PathAndQuery, http::uri::InvalidUri>,
    ) -> Result<http::Uri, Error> {
        let path_and_query =
            path_and_query.map_err(|e| invalid(format!("bad path under {self}: {e}")))?;
        if !path_and_query.as_str().starts_with('/') {
            return Err(invalid(format!(
                "path {:?} under {self} does not start with `/`",
                path_and_query.as_str()
            )));
        }
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        http::Uri::from_parts(parts).map_err(|e| invalid(format!("bad URL under {self}: {e}")))
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({self})")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so any merchant name or
/// query value is one path segment or one value.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(base: &str, path: &str) -> String {
        BaseUrl::parse(base)
            .unwrap()
            .join(path)
            .unwrap()
            .to_string()
    }

    #[test]
    fn joins_a_bare_host_and_a_prefix_alike() {
        assert_eq!(
            uri("https://api.example.com", "/a/b"),
            "https://api.example.com/a/b"
        );
        assert_eq!(
            uri("https://api.example.com/", "/a/b"),
            "https://api.example.com/a/b"
        );
        assert_eq!(
            uri("https://example.com/broker/v1/", "/refund/m?x=1"),
            "https://example.com/broker/v1/refund/m?x=1"
        );
        assert_eq!(
            uri("http://127.0.0.1:8080", "/p"),
            "http://127.0.0.1:8080/p"
        );
        assert_eq!(
            uri("https://example.com/@shop", "/p"),
            "https://example.com/@shop/p"
        );
        let base = BaseUrl::parse("https://example.com/broker/v1").unwrap();
        assert_eq!(
            base.join_static("/refund").unwrap().to_string(),
            "https://example.com/broker/v1/refund"
        );
        let bare = BaseUrl::parse("https://example.com").unwrap();
        assert_eq!(
            bare.join_static("/refund").unwrap().to_string(),
            "https://example.com/refund"
        );
        assert_eq!(base.to_string(), "https://example.com/broker/v1");
        assert_eq!(bare.authority(), "example.com");
    }

    #[test]
    fn refuses_what_the_policy_refuses_and_what_cannot_be_a_base() {
        for bad in [
            "",
            "not a url",
            "/relative",
            "http://example.com",
            "ftp://example.com",
            "https://example.com/x?y=1",
            "https://example.com/x#frag",
            "https://merchant:hunter2@example.com",
        ] {
            let error = BaseUrl::parse(bad).unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::Transport {
                        kind: TransportErrorKind::InvalidUrl,
                        ..
                    }
                ),
                "{bad:?}: {error:?}"
            );
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn a_configuration_error_names_the_provider_and_says_why_once() {
        let error = BaseUrl::from_config("scanforpay", "http://pay.example.com").unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration error: scanforpay base_url: plain http:// is refused for \
             pay.example.com: only loopback hosts may be reached without TLS (nothing was sent)"
        );
    }

    #[test]
    fn a_path_that_is_not_absolute_or_not_a_path_is_refused() {
        let base = BaseUrl::parse("https://example.com").unwrap();
        assert!(base.join("relative").is_err());
        assert!(base.join("/with space").is_err());
        assert!(base.join_static("no-slash").is_err());
    }
}
