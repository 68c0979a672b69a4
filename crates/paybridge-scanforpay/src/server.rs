//! ScanForPay's side of the protocol — verifying a merchant's request over its raw `request`
//! bytes and signing answers and notifications — for emulators and round-trip tests.

use paybridge_sign::{sha256_keyed_hex, verify_sha256_keyed_hex};
use serde::Deserialize;
use serde::Serialize;
use serde_json::value::RawValue;

/// A request whose signature verified.
#[derive(Debug)]
pub struct VerifiedRequest<'a> {
    /// The `request` value's text as received (what was signed).
    pub raw: &'a str,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
    #[serde(default)]
    signature: Option<String>,
}

/// Checks a merchant envelope: JSON with a `request` (else code 6 / 4), signed over exactly the
/// `request` bytes received (else code 8).
pub fn verify_request<'a>(body: &'a [u8], key: &[u8]) -> Result<VerifiedRequest<'a>, i64> {
    let envelope: Envelope<'a> = serde_json::from_slice(body).map_err(|_| 6)?;
    let raw = envelope.request.ok_or(4)?;
    let signature = envelope.signature.ok_or(8)?;
    if !verify_sha256_keyed_hex(raw.get().as_bytes(), key, &signature) {
        return Err(8);
    }
    Ok(VerifiedRequest { raw: raw.get() })
}

/// A response (or notification) envelope: `value` serialized as the `response`, signed.
pub fn response_envelope<T: Serialize>(value: &T, key: &[u8]) -> Vec<u8> {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    signed_envelope(&bytes, key)
}

/// An envelope around `response` bytes exactly as given (e.g. PHP-escaped), signed over them.
pub fn signed_envelope(response: &[u8], key: &[u8]) -> Vec<u8> {
    let signature = sha256_keyed_hex(response, key);
    let mut out = Vec::with_capacity(response.len() + 100);
    out.extend_from_slice(b"{\"response\":");
    out.extend_from_slice(response);
    out.extend_from_slice(b",\"signature\":\"");
    out.extend_from_slice(signature.as_bytes());
    out.extend_from_slice(b"\"}");
    out
}
