//! The sans-I/O codec: typed requests → `http::Request<Bytes>` (API key in the `app-api-key`
//! header, `{merchant}` and query values percent-encoded, integer amounts); raw responses →
//! typed results, success decided by the HTTP status, never by the body's `code`.

use std::fmt;

use bytes::Bytes;
use paybridge_core::{Endpoint, Error, Method, RejectionClass, Stamp};
use paybridge_sign::SecretString;
use paybridge_transport::{BaseUrl, SensitiveValues};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wire::responses::ErrorBody;

/// The provider's name in errors and unified models.
pub const PROVIDER: &str = paybridge_core::ProviderId::Nomad.name();
/// The header carrying the API key (broker API 1.8.0).
pub const API_KEY_HEADER: &str = "app-api-key";

/// Whether a call creates something (a 5xx then leaves its outcome unknown) or only reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Create refund, create payment, close payment.
    Create,
    /// Query refund, query payment.
    Read,
}

impl Operation {
    /// The operation of the call `E`, from its row in the table of calls.
    pub fn of<E: Endpoint>() -> Operation {
        if E::APPLIES {
            Operation::Create
        } else {
            Operation::Read
        }
    }
}

/// Builds and reads the broker's HTTP messages for one merchant account.
#[derive(Clone)]
pub struct Codec {
    base_url: BaseUrl,
    merchant: String,
    merchant_segment: String,
    api_key: SecretString,
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("base_url", &self.base_url)
            .field("merchant", &self.merchant)
            .field("api_key", &self.api_key)
            .finish()
    }
}

pub use paybridge_transport::percent_encode;

impl Codec {
    /// A codec for `merchant` (the account name at the payment company, e.g. `wechat.sh_smk`) at
    /// `base_url` (e.g. `https://nomad.samarkand-global.cn/broker/v1`).
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is refused or an account setting is empty or not
    /// printable.
    pub fn new(base_url: &str, merchant: &str, api_key: SecretString) -> Result<Codec, Error> {
        let base_url = BaseUrl::from_config("nomad", base_url)?;
        if merchant.is_empty() || merchant.chars().any(char::is_control) {
            return Err(Error::Config {
                reason: "nomad merchant must be non-empty printable text".into(),
            });
        }
        if api_key.is_empty() || api_key.expose().chars().any(char::is_control) {
            return Err(Error::Config {
                reason: "the nomad API key is empty or not printable".into(),
            });
        }
        Ok(Codec {
            base_url,
            merchant: merchant.to_owned(),
            merchant_segment: percent_encode(merchant),
            api_key,
        })
    }

    fn request(
        &self,
        method: http::Method,
        path_and_query: String,
        body: Option<Vec<u8>>,
    ) -> Result<http::Request<Bytes>, Error> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(self.base_url.join(&path_and_query)?)
            .header(http::header::ACCEPT, "application/json");
        let key =
            http::HeaderValue::from_str(self.api_key.expose()).map_err(|_| Error::Config {
                reason: "the nomad API key is not a valid header value".into(),
            })?;
        let mut key = key;
        key.set_sensitive(true);
        builder = builder
            .header(API_KEY_HEADER, key)
            .extension(SensitiveValues::new([self.api_key.expose()]));
        if body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        builder
            .body(Bytes::from(body.unwrap_or_default()))
            .map_err(|e| Error::Config {
                reason: format!("bad nomad request: {e}"),
            })
    }

    fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(value).map_err(|e| Error::invalid("body", e.to_string()))
    }

    /// The request for `call`: `E::PATH` with `{merchant}` and the call's own path values
    /// filled in (each percent-encoded as one segment), its query, and — for a `POST` that
    /// takes no query — its JSON body.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when a path value is missing or the body cannot be written.
    pub fn encode_call<E: Endpoint>(&self, call: &E) -> Result<http::Request<Bytes>, Error> {
        let mut path = String::with_capacity(E::PATH.len() + self.merchant_segment.len());
        let mut rest = E::PATH;
        while let Some(open) = rest.find('{') {
            let (before, after) = rest.split_at(open);
            path.push_str(before);
            let close = after
                .find('}')
                .ok_or_else(|| Error::invalid("path", E::PATH))?;
            let name = after.get(1..close).unwrap_or_default();
            if name == "merchant" {
                path.push_str(&self.merchant_segment);
            } else {
                let value = call
                    .path_value(name)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| Error::invalid(name.to_owned(), "required"))?;
                path.push_str(&percent_encode(value));
            }
            rest = after.get(close + 1..).unwrap_or_default();
        }
        path.push_str(rest);
        let query = call.query();
        path.push_str(&query_string(&query));
        let body = match E::METHOD {
            Method::Post if query.is_empty() => Some(Codec::json(call)?),
            _ => None,
        };
        self.request(E::METHOD.as_http(), path, body)
    }

    /// Removes the API key from an error's text, in case a server echoed it back.
    fn scrub(&self, error: Error) -> Error {
        let key = self.api_key.expose();
        if key.len() < 4 {
            return error;
        }
        let clean = |text: String| text.replace(key, "[redacted]");
        match error {
            Error::Rejected {
                provider,
                code,
                message,
                class,
            } => Error::Rejected {
                provider,
                code,
                message: clean(message),
                class,
            },
            Error::MalformedResponse {
                provider,
                http_status,
                reason,
            } => Error::MalformedResponse {
                provider,
                http_status,
                reason: clean(reason),
            },
            Error::OutcomeUnknown { provider, reason } => Error::OutcomeUnknown {
                provider,
                reason: clean(reason),
            },
            other => other,
        }
    }
}

fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={}", percent_encode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

impl<E: Endpoint> paybridge_core::Codec<E> for Codec {
    /// The broker signs nothing: the stamp is not used (the API key authenticates).
    fn encode(&self, call: &E, _stamp: &Stamp) -> Result<http::Request<Bytes>, Error> {
        self.encode_call(call)
    }

    /// The typed body on 2xx; otherwise the rejection the status means for a call that
    /// creates or only reads.
    fn decode(&self, response: &http::Response<Bytes>) -> Result<E::Response, Error> {
        decode_response(response.status(), response.body(), Operation::of::<E>())
            .map_err(|e| self.scrub(e))
    }
}

/// Decodes a broker response from its status and body.
///
/// # Errors
/// [`Error::Verification`] when the signature does not verify over the bytes received;
/// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
/// with the provider's code for a refusal.
pub fn decode_response<T: DeserializeOwned>(
    status: http::StatusCode,
    body: &[u8],
    operation: Operation,
) -> Result<T, Error> {
    let http_status = Some(status.as_u16());
    if status.is_success() {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::MalformedResponse {
                provider: PROVIDER,
                http_status,
                reason: "empty body".into(),
            });
        }
        return serde_json::from_slice(body).map_err(|e| Error::MalformedResponse {
            provider: PROVIDER,
            http_status,
            reason: format!(
                "unexpected body ({e}): {}",
                paybridge_core::excerpt(body, 160)
            ),
        });
    }
    let detail = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.summary())
        .unwrap_or_else(|| {
            if body.is_empty() {
                "no body".to_owned()
            } else {
                paybridge_core::excerpt(body, 160)
            }
        });
    let row = crate::codes::classify(status.as_u16(), operation);
    if row.class == RejectionClass::Ambiguous {
        return Err(Error::OutcomeUnknown {
            provider: PROVIDER,
            reason: format!("HTTP {status} ({}): {detail}", row.meaning),
        });
    }
    Err(Error::Rejected {
        provider: PROVIDER,
        code: status.as_u16().into(),
        message: format!("{}: {detail}", row.meaning),
        class: row.class,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved() {
        assert_eq!(percent_encode("wechat.sh_smk"), "wechat.sh_smk");
        assert_eq!(percent_encode("a b/c?d&e=f#"), "a%20b%2Fc%3Fd%26e%3Df%23");
        assert_eq!(percent_encode("商户"), "%E5%95%86%E6%88%B7");
    }
}
