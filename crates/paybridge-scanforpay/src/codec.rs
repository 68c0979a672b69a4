//! The sans-I/O codec. Requests: the `request` value is written once as canonical JSON, hashed
//! as `sha256(bytes ‖ signKey)` and embedded unchanged. Responses and notifications: the bytes of
//! the `response` value are located as received (a borrowed `RawValue`), hashed, compared in
//! constant time — and only then parsed. Nothing is ever re-serialized before verifying.

use paybridge_core::{Endpoint, Stamp};
use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use paybridge_core::{Error, Timestamp};
use paybridge_sign::{SecretString, canonical, sha256_keyed_hex_bytes, verify_sha256_keyed_hex};
use paybridge_transport::BaseUrl;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::codes;
use crate::wire::requests::{RequestHeader, RequestValue};
use crate::wire::responses::{Coded, PayQueryResponse, ResponseValue};

/// The request body's media type, as the ScanForPay docs give it.
const JSON_CONTENT_TYPE: http::HeaderValue =
    http::HeaderValue::from_static("application/json; charset=utf-8");

/// The provider's name in errors and unified models.
pub const PROVIDER: &str = paybridge_core::ProviderId::ScanForPay.name();
/// Hong Kong time, which `reqTime` is written in.
pub const HONG_KONG_OFFSET_MINUTES: i16 = 8 * 60;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
    #[serde(borrow, default)]
    signature: Option<Cow<'a, str>>,
}

/// Builds and verifies ScanForPay envelopes for one partner.
#[derive(Clone)]
pub struct Codec {
    base_url: BaseUrl,
    partner_no: String,
    sign_key: SecretString,
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("base_url", &self.base_url)
            .field("partner_no", &self.partner_no)
            .field("sign_key", &self.sign_key)
            .finish()
    }
}

impl Codec {
    /// A codec for `partner_no` at `base_url` (`https://pay.scanforpay.com`), signing with
    /// `sign_key`.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is refused or an account setting is empty or not
    /// printable.
    pub fn new(base_url: &str, partner_no: &str, sign_key: SecretString) -> Result<Codec, Error> {
        let base_url = BaseUrl::from_config("scanforpay", base_url)?;
        crate::validate::field("partner_no", partner_no, 15).map_err(|e| Error::Config {
            reason: e.to_string(),
        })?;
        if sign_key.is_empty() {
            return Err(Error::Config {
                reason: "the scanforpay sign key is empty".into(),
            });
        }
        Ok(Codec {
            base_url,
            partner_no: partner_no.to_owned(),
            sign_key,
        })
    }

    /// The partner number.
    pub fn partner_no(&self) -> &str {
        &self.partner_no
    }

    /// Writes the envelope `{"request":…,"signature":"…"}` for `body` into `out`: the request
    /// value as canonical JSON, hashed as `sha256(bytes ‖ key)` right where it lies and so
    /// embedded exactly as signed.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the body cannot be written as canonical JSON.
    pub fn write_envelope<B: serde::Serialize + ?Sized>(
        &self,
        out: &mut Vec<u8>,
        body: &B,
        req_msg_id: &str,
        req_time: Timestamp,
    ) -> Result<(), Error> {
        crate::validate::req_msg_id(req_msg_id)?;
        let mut time = [0u8; 25];
        let len = req_time
            .with_offset(HONG_KONG_OFFSET_MINUTES)
            .ok_or_else(|| Error::invalid("reqTime", "out of range"))?
            .write_rfc3339(&mut time);
        // Never sign a placeholder: a time that did not come out whole is an error.
        let req_time = time
            .get(..len)
            .and_then(|t| std::str::from_utf8(t).ok())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::invalid("reqTime", "could not be written"))?;
        let value = RequestValue {
            body,
            header: RequestHeader {
                partner_no: Cow::Borrowed(&self.partner_no),
                req_msg_id: Cow::Borrowed(req_msg_id),
                req_time: Cow::Borrowed(req_time),
                sign_type: Cow::Borrowed("SHA256"),
                version: Cow::Borrowed("1.0"),
            },
        };
        out.extend_from_slice(b"{\"request\":");
        let start = out.len();
        canonical::extend_vec(out, &value).map_err(|e| Error::invalid("request", e.to_string()))?;
        let written = out
            .get(start..)
            .ok_or_else(|| Error::invalid("request", "the written value was lost"))?;
        let signature = sha256_keyed_hex_bytes(written, self.sign_key.expose().as_bytes());
        out.extend_from_slice(b",\"signature\":\"");
        out.extend_from_slice(&signature);
        out.extend_from_slice(b"\"}");
        Ok(())
    }

    /// The envelope for `body` (see [`Codec::write_envelope`]).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the body cannot be written as canonical JSON.
    pub fn envelope<B: serde::Serialize + ?Sized>(
        &self,
        body: &B,
        req_msg_id: &str,
        req_time: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        // Room for a typical request value, its header and the signature: no regrowth.
        let mut out = Vec::with_capacity(640);
        self.write_envelope(&mut out, body, req_msg_id, req_time)?;
        Ok(out)
    }

    /// The signed envelope as an HTTP request for `body`, with the given message id and time.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the body cannot be written as canonical JSON.
    pub fn encode_with<E: Endpoint>(
        &self,
        body: &E,
        req_msg_id: &str,
        req_time: Timestamp,
    ) -> Result<http::Request<Bytes>, Error> {
        let uri = self.base_url.join_static(E::PATH)?;
        let envelope = self.envelope(body, req_msg_id, req_time)?;
        Ok(paybridge_transport::post(
            uri,
            JSON_CONTENT_TYPE,
            Bytes::from(envelope),
        ))
    }

    /// Verifies a response over the raw `response` bytes and reads it: the body on code 1,
    /// an unknown outcome on code 21, the matching rejection otherwise.
    ///
    /// # Errors
    /// [`Error::Verification`] when the signature does not verify over the bytes received;
    /// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
    /// with the provider's code for a refusal.
    pub fn decode_value<B: Coded + DeserializeOwned>(
        &self,
        response: &http::Response<Bytes>,
    ) -> Result<ResponseValue<B>, Error> {
        let status = response.status();
        let value: ResponseValue<B> = match self.verified(response.body()) {
            Ok(raw) => parse(raw, Some(status.as_u16()))?,
            Err(error) => {
                let is_envelope = serde_json::from_slice::<Envelope<'_>>(response.body())
                    .is_ok_and(|e| e.response.is_some());
                if status.is_server_error() && !is_envelope {
                    return Err(Error::OutcomeUnknown {
                        provider: PROVIDER,
                        reason: format!(
                            "HTTP {status} without a ScanForPay answer: {}",
                            paybridge_core::excerpt(response.body(), 120)
                        ),
                    });
                }
                return Err(error);
            }
        };
        if let Some(partner) = value
            .header
            .partner_no
            .as_deref()
            .filter(|p| *p != self.partner_no)
        {
            return Err(Error::IntegrityMismatch {
                provider: PROVIDER,
                field: "partnerNo",
                expected: self.partner_no.clone(),
                actual: partner.to_owned(),
            });
        }
        match value.body.code() {
            Some(codes::SUCCESS) => Ok(value),
            Some(codes::STATE_UNKNOWN) => Err(Error::OutcomeUnknown {
                provider: PROVIDER,
                reason: format!(
                    "code 21: {}",
                    value.body.msg().unwrap_or("state unknown, query again")
                ),
            }),
            Some(code) => {
                let row = codes::classify(code);
                let (class, meaning) = (row.class, row.meaning);
                let message = value
                    .body
                    .msg()
                    .filter(|m| !m.is_empty())
                    .unwrap_or(meaning)
                    .to_owned();
                Err(Error::Rejected {
                    provider: PROVIDER,
                    code: code.into(),
                    message,
                    class,
                })
            }
            None => Err(Error::malformed(
                PROVIDER,
                Some(status.as_u16()),
                "answer without `code`",
            )),
        }
    }

    /// Verifies a notification (a response envelope whose body has the payment-query fields).
    ///
    /// # Errors
    /// [`Error::Verification`] when the signature does not verify over the bytes received;
    /// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
    /// with the provider's code for a refusal.
    pub fn verify_notification(
        &self,
        body: &[u8],
    ) -> Result<ResponseValue<PayQueryResponse>, Error> {
        let value: ResponseValue<PayQueryResponse> = parse(self.verified(body)?, None)?;
        // Requests and answers share the key: a notification must read as ScanForPay's own
        // answer for this partner (a success code and a payment status), never as one of our
        // requests with its key renamed.
        if let Some(partner) = value
            .header
            .partner_no
            .as_deref()
            .filter(|p| *p != self.partner_no)
        {
            return Err(Error::Verification {
                provider: PROVIDER,
                reason: format!("the notification is for partner {partner}, not this one"),
            });
        }
        if value.body.code() != Some(codes::SUCCESS) || value.body.status.is_none() {
            return Err(Error::malformed(
                PROVIDER,
                None,
                "a notification must carry code 1 and a payment status",
            ));
        }
        Ok(value)
    }

    /// The raw text of the `response` value, once its signature has been checked.
    ///
    /// # Errors
    /// [`Error::Verification`] when the signature does not verify over the bytes received;
    /// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
    /// with the provider's code for a refusal.
    pub fn verified<'a>(&self, body: &'a [u8]) -> Result<&'a str, Error> {
        verify_envelope(body, self.sign_key.expose().as_bytes())
    }
}

fn parse<T: DeserializeOwned>(raw: &str, http_status: Option<u16>) -> Result<T, Error> {
    serde_json::from_str(raw).map_err(|e| {
        Error::malformed(
            PROVIDER,
            http_status,
            format!("unexpected `response` ({e})"),
        )
    })
}

impl<E, B> paybridge_core::Codec<E> for Codec
where
    E: Endpoint<Response = ResponseValue<B>>,
    B: Coded + DeserializeOwned,
{
    /// The signed envelope, its `reqMsgId` the attempt's nonce and `reqTime` its time.
    fn encode(&self, body: &E, stamp: &Stamp) -> Result<http::Request<Bytes>, Error> {
        self.encode_with(body, &stamp.nonce, stamp.at)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<ResponseValue<B>, Error> {
        self.decode_value(response)
    }
}

/// Locates the `response` value's bytes exactly as received and checks
/// `sha256(bytes ‖ key)` against `signature` (hex, either case) in constant time.
///
/// # Errors
/// [`Error::Verification`] when the signature does not verify over the bytes received;
/// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
/// with the provider's code for a refusal.
pub fn verify_envelope<'a>(body: &'a [u8], key: &[u8]) -> Result<&'a str, Error> {
    let envelope: Envelope<'a> = serde_json::from_slice(body).map_err(|e| {
        Error::malformed(
            PROVIDER,
            None,
            format!(
                "not a ScanForPay envelope ({e}): {}",
                paybridge_core::excerpt(body, 120)
            ),
        )
    })?;
    let raw = envelope
        .response
        .ok_or_else(|| Error::malformed(PROVIDER, None, "envelope without `response`"))?;
    let signature = envelope.signature.ok_or_else(|| Error::Verification {
        provider: PROVIDER,
        reason: "the envelope is not signed".into(),
    })?;
    if !verify_sha256_keyed_hex(raw.get().as_bytes(), key, &signature) {
        return Err(Error::Verification {
            provider: PROVIDER,
            reason: "signature does not match sha256(response ‖ key)".into(),
        });
    }
    Ok(raw.get())
}
