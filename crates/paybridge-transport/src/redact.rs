//! Masking secrets before anything reaches a log line.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use http::HeaderMap;

const MASK: &str = "[redacted]";

/// What is masked in trace-level request and response logs: header values, query parameters and
/// JSON fields whose names are configured as secret (compared case-insensitively).
///
/// The defaults cover every credential paybridge's providers use (`app-api-key`,
/// `Authorization`…) and the signing fields (`sign`, `signature`), which are not secrets but
/// have no business in logs either.
#[derive(Clone, Debug)]
pub struct Redactor {
    names: Vec<String>,
}

impl Default for Redactor {
    fn default() -> Redactor {
        Redactor::new([
            "authorization",
            "proxy-authorization",
            "cookie",
            "set-cookie",
            "app-api-key",
            "x-api-key",
            "api-key",
            "apikey",
            "sign",
            "signature",
            "signkey",
            "sign_key",
            "privatekey",
            "private_key",
            "secret",
            "password",
            "token",
            // A customer's payment code is a bearer instrument for the minutes it lives.
            "barcode",
            "auth_code",
            "authcode",
        ])
    }
}

impl Redactor {
    /// A redactor masking exactly `names` (headers, query parameters and JSON fields).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I) -> Redactor {
        Redactor {
            names: names
                .into_iter()
                .map(|n| n.as_ref().to_ascii_lowercase())
                .collect(),
        }
    }

    /// Also masks `name`.
    pub fn with(mut self, name: &str) -> Redactor {
        self.names.push(name.to_ascii_lowercase());
        self
    }

    /// Whether `name` is masked.
    pub fn is_secret(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Headers as `name: value` lines with secret values masked.
    pub fn headers(&self, headers: &HeaderMap) -> String {
        let mut out = String::new();
        for (name, value) in headers {
            let shown = if self.is_secret(name.as_str()) {
                MASK.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            let _ = write!(out, "{name}: {shown}; ");
        }
        out
    }

    /// A URI's path and query with secret query values masked.
    pub fn path_and_query(&self, uri: &http::Uri) -> String {
        let path = uri.path();
        let Some(query) = uri.query() else {
            return path.to_owned();
        };
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if self.is_secret(name) => format!("{name}={MASK}"),
                _ => pair.to_owned(),
            })
            .collect();
        format!("{path}?{}", masked.join("&"))
    }

    /// A body for logging: JSON with secret fields masked (also inside JSON embedded in strings,
    /// as BluePay's `param` is), a byte count for anything else.
    pub fn body(&self, body: &[u8]) -> String {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut value) => {
                self.mask_value(&mut value);
                value.to_string()
            }
            Err(_) => format!("<{} bytes, not JSON>", body.len()),
        }
    }

    fn mask_value(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    if self.is_secret(key) {
                        *field = serde_json::Value::String(MASK.to_owned());
                    } else {
                        self.mask_value(field);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.mask_value(v)),
            serde_json::Value::String(text) if text.starts_with('{') => {
                if let Ok(mut inner) = serde_json::from_str::<serde_json::Value>(text) {
                    self.mask_value(&mut inner);
                    *text = inner.to_string();
                }
            }
            _ => {}
        }
    }
}

/// Secret *values* a request carries (an API key, say), attached by the client that set them as a
/// request extension. Whatever the transport logs for that request and its response has them
/// masked, even where a server echoes one back in a field the redactor does not know by name.
#[derive(Clone, Default)]
pub struct SensitiveValues(Arc<Vec<String>>);

impl SensitiveValues {
    /// Masks each of `values` (values shorter than 4 characters are ignored: masking them
    /// would garble logs without protecting anything).
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(values: I) -> SensitiveValues {
        SensitiveValues(Arc::new(
            values
                .into_iter()
                .map(Into::into)
                .filter(|v: &String| v.len() >= 4)
                .collect(),
        ))
    }

    /// `text` with every sensitive value replaced by `[redacted]`.
    pub fn scrub(&self, mut text: String) -> String {
        for value in self.0.iter() {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), MASK);
            }
        }
        text
    }
}

impl fmt::Debug for SensitiveValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SensitiveValues([redacted] x{})", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_headers_query_and_json_fields() {
        let r = Redactor::default();
        let mut headers = HeaderMap::new();
        headers.insert("app-api-key", "sk_live_123".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        let shown = r.headers(&headers);
        assert!(
            !shown.contains("sk_live_123") && shown.contains("application/json"),
            "{shown}"
        );
        let uri: http::Uri = "https://x/refund/m?refund_order_ref=r1&app-api-key=sk_live_123"
            .parse()
            .unwrap();
        let shown = r.path_and_query(&uri);
        assert!(
            !shown.contains("sk_live_123") && shown.contains("refund_order_ref=r1"),
            "{shown}"
        );
        let body = br#"{"appId":"a","sign":"SIG","param":"{\"secret\":\"s3\",\"amount\":1}","nested":[{"signKey":"k"}]}"#;
        let shown = r.body(body);
        for secret in ["SIG", "s3", "\"k\""] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("amount"));
        assert_eq!(r.body(b"<html>"), "<6 bytes, not JSON>");
        assert!(
            Redactor::new(["x-custom"])
                .with("other")
                .is_secret("X-Custom")
        );
    }
}
