//! BluePay's side of the protocol — verifying a merchant's signed request and signing a
//! notification — for emulators (paybridge's sandbox) and for round-trip tests. A merchant's
//! integration does not need this module.

use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};

use crate::codes;

/// A request whose signature verified: the app id and the `param` string exactly as signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The merchant's app id.
    pub app_id: String,
    /// The `param` JSON text, as received.
    pub param: String,
}

/// A request BluePay would refuse, with the code it would answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// BluePay's code (21001 sign error, 21002 param error…).
    pub code: i64,
    /// The message to send.
    pub message: String,
}

impl Refusal {
    /// A refusal with `code` and its published meaning.
    pub fn new(code: i64) -> Refusal {
        Refusal {
            code,
            message: codes::classify(code).meaning.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "appId")]
    app_id: Option<String>,
    sign: Option<String>,
    param: Option<String>,
}

/// Checks a merchant request envelope: well-formed (else 21002), signed over `param` with the
/// merchant's key (else 21001). The app id is returned for the caller to check (21003).
pub fn verify_request(
    body: &[u8],
    merchant_key: &RsaPublicKey,
) -> Result<VerifiedRequest, Refusal> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|_| Refusal::new(21_002))?;
    let (Some(app_id), Some(sign), Some(param)) = (envelope.app_id, envelope.sign, envelope.param)
    else {
        return Err(Refusal::new(21_002));
    };
    merchant_key
        .verify_base64(param.as_bytes(), &sign)
        .map_err(|_| Refusal::new(21_001))?;
    Ok(VerifiedRequest { app_id, param })
}

#[derive(Serialize)]
struct ResponseBody<'a, T: Serialize> {
    code: i64,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a T>,
}

/// A response body: `{"code", "message", "data"}`.
pub fn response_body<T: Serialize>(code: i64, message: &str, data: Option<&T>) -> Vec<u8> {
    serde_json::to_vec(&ResponseBody {
        code,
        message,
        data,
    })
    .unwrap_or_default()
}

#[derive(Serialize)]
struct NotificationBody<'a> {
    param: &'a str,
    sign: &'a str,
}

/// A notification body: `param` (the event as JSON text) signed with the platform key.
pub fn notification_body(
    param: &str,
    platform_key: &RsaPrivateKey,
) -> Result<Vec<u8>, paybridge_sign::SignatureError> {
    let sign = platform_key.sign_base64(param.as_bytes())?;
    Ok(serde_json::to_vec(&NotificationBody { param, sign: &sign }).unwrap_or_default())
}
