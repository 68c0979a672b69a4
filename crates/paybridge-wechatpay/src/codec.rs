//! The sans-I/O heart of the client. Requests: the body written once, the signing message
//! `METHOD\nURI\nTIMESTAMP\nNONCE\nBODY\n` built over exactly the URI and bytes sent, signed
//! SHA256withRSA into the `Authorization` header. Answers and notifications: verified over
//! `TIMESTAMP\nNONCE\nBODY\n` with the raw body bytes as received and the key the
//! `Wechatpay-Serial` header names, inside a 5-minute window — and only then parsed; a
//! notification's resource is then decrypted with the APIv3 key. A close's signed `204 No
//! Content` is verified over its empty body. The JSAPI and APP invocation parameters are signed
//! here too, with the merchant key. The only inputs besides bytes are the clock the window is
//! checked against, injected, and the invocation's timestamp and nonce, given.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use paybridge_core::{Clock, Endpoint, Error, Method, Stamp, SystemClock, Timestamp};
use paybridge_sign::{Aes256GcmKey, RsaPrivateKey, SecretString};
use paybridge_transport::{BaseUrl, percent_encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::codes;
use crate::invocation::{APP_PACKAGE, AppInvocation, JSAPI_SIGN_TYPE, JsapiInvocation};
use crate::platform_keys::PlatformKeys;
use crate::wire::notifications::{
    PaymentNotification, RefundResource, WechatPayEvent, WechatPayNotification,
};
use crate::wire::responses::ErrorBody;

/// The provider's name in errors and unified models.
pub const PROVIDER: &str = paybridge_core::ProviderId::WechatPay.name();

/// The `Authorization` scheme of API v3.
pub const AUTHORIZATION_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// How far a signed answer's or notification's `Wechatpay-Timestamp` may be from now.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// The headers answers and notifications are signed in (names made once: a lookup by a
/// `&str` would parse the name at every call).
const TIMESTAMP: http::HeaderName = http::HeaderName::from_static("wechatpay-timestamp");
const NONCE: http::HeaderName = http::HeaderName::from_static("wechatpay-nonce");
const SIGNATURE: http::HeaderName = http::HeaderName::from_static("wechatpay-signature");
const SERIAL: http::HeaderName = http::HeaderName::from_static("wechatpay-serial");

/// What WeChat Pay sends instead of a signature to see whether a merchant really verifies.
const SIGNATURE_PROBE: &str = "WECHATPAY/SIGNTEST/";

pub(crate) const USER_AGENT: &str =
    concat!("paybridge/", env!("CARGO_PKG_VERSION"), " (wechatpay)");

/// The four `Wechatpay-*` headers of a signed answer or notification, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureHeaders<'a> {
    /// `Wechatpay-Timestamp`: Unix seconds, as text.
    pub timestamp: &'a str,
    /// `Wechatpay-Nonce`.
    pub nonce: &'a str,
    /// `Wechatpay-Signature`: base64.
    pub signature: &'a str,
    /// `Wechatpay-Serial`: the key that signed (`PUB_KEY_ID_…` or a certificate serial).
    pub serial: &'a str,
}

impl<'a> SignatureHeaders<'a> {
    /// The signature headers of `headers`: `None` when there are none at all.
    ///
    /// # Errors
    /// [`Error::Verification`] when some are present and others missing or not text.
    pub fn read(headers: &'a http::HeaderMap) -> Result<Option<SignatureHeaders<'a>>, Error> {
        let get = |name: &http::HeaderName| headers.get(name).map(|v| v.to_str());
        let parts = [get(&TIMESTAMP), get(&NONCE), get(&SIGNATURE), get(&SERIAL)];
        if parts.iter().all(Option::is_none) {
            return Ok(None);
        }
        let unreadable = |name: &str| Error::Verification {
            provider: PROVIDER,
            reason: format!("the answer's {name} header is missing or not text"),
        };
        let [timestamp, nonce, signature, serial] = parts;
        // Absent is WeChat Pay's default; anything but its one scheme is not a signature we
        // know how to check.
        if let Some(kind) = headers.get("wechatpay-signature-type")
            && kind.as_bytes() != AUTHORIZATION_SCHEME.as_bytes()
        {
            return Err(Error::Verification {
                provider: PROVIDER,
                reason: format!(
                    "Wechatpay-Signature-Type is {:?}, not {AUTHORIZATION_SCHEME}",
                    String::from_utf8_lossy(kind.as_bytes())
                ),
            });
        }
        Ok(Some(SignatureHeaders {
            timestamp: timestamp
                .and_then(Result::ok)
                .ok_or_else(|| unreadable("Wechatpay-Timestamp"))?,
            nonce: nonce
                .and_then(Result::ok)
                .ok_or_else(|| unreadable("Wechatpay-Nonce"))?,
            signature: signature
                .and_then(Result::ok)
                .ok_or_else(|| unreadable("Wechatpay-Signature"))?,
            serial: serial
                .and_then(Result::ok)
                .ok_or_else(|| unreadable("Wechatpay-Serial"))?,
        }))
    }
}

/// The message a request's signature covers: `METHOD\nURI\nTIMESTAMP\nNONCE\nBODY\n`, `URI`
/// the path and query exactly as sent, `BODY` the exact bytes sent (empty for a `GET`).
pub fn signing_message(
    method: &str,
    uri: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let time = timestamp.to_string();
    let mut message =
        Vec::with_capacity(method.len() + uri.len() + time.len() + nonce.len() + body.len() + 5);
    for part in [
        method.as_bytes(),
        uri.as_bytes(),
        time.as_bytes(),
        nonce.as_bytes(),
        body,
    ] {
        message.extend_from_slice(part);
        message.push(b'\n');
    }
    message
}

/// The message an answer's or notification's signature covers: `TIMESTAMP\nNONCE\nBODY\n`,
/// `BODY` the raw bytes as received.
pub fn verification_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        message.extend_from_slice(part);
        message.push(b'\n');
    }
    message
}

/// A notification envelope. The resource's fields are borrowed from the body (serde borrows a
/// bare `Cow<str>` field, copying only text with escapes); what the notification keeps is owned.
#[derive(Deserialize)]
struct EnvelopeRef<'a> {
    id: Option<String>,
    #[serde(default)]
    create_time: Option<String>,
    event_type: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(borrow)]
    resource: Option<ResourceRef<'a>>,
}

#[derive(Deserialize)]
struct ResourceRef<'a> {
    #[serde(borrow)]
    algorithm: Cow<'a, str>,
    #[serde(borrow)]
    ciphertext: Cow<'a, str>,
    #[serde(borrow)]
    nonce: Cow<'a, str>,
    #[serde(borrow, default)]
    associated_data: Cow<'a, str>,
    #[serde(default)]
    original_type: Option<String>,
}

/// Encodes requests and decodes answers and notifications for one merchant.
pub struct Codec {
    base_url: BaseUrl,
    mchid: String,
    merchant_serial_no: String,
    merchant_key: RsaPrivateKey,
    platform_keys: PlatformKeys,
    apiv3_key: Aes256GcmKey,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("base_url", &self.base_url)
            .field("mchid", &self.mchid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("merchant_key", &self.merchant_key)
            .field("platform_keys", &self.platform_keys)
            .field("apiv3_key", &self.apiv3_key)
            .finish_non_exhaustive()
    }
}

/// The values an invocation signs one per line: none may break a line or be empty, and the
/// nonce is what WeChat's SDKs take (1–32 letters and digits).
fn invocation_values(appid: &str, prepay_id: &str, nonce: &str) -> Result<(), Error> {
    crate::validate::appid(appid)?;
    if prepay_id.is_empty()
        || prepay_id.len() > 64
        || !prepay_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    {
        return Err(Error::invalid(
            "prepay_id",
            "must be 1 to 64 letters, digits, _ and -",
        ));
    }
    if nonce.is_empty() || nonce.len() > 32 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid("nonce_str", "1-32 letters and digits"));
    }
    Ok(())
}

fn config(reason: impl Into<String>) -> Error {
    Error::Config {
        reason: reason.into(),
    }
}

impl Codec {
    /// A codec for merchant `mchid` at `base_url` (`https://api.mch.weixin.qq.com`), signing
    /// with `merchant_key` (whose certificate's serial is `merchant_serial_no`), verifying with
    /// `platform_keys` and decrypting notifications with the 32-byte `apiv3_key`.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is refused, the merchant id or serial is not what
    /// WeChat Pay issues, or the APIv3 key is not 32 bytes.
    pub fn new(
        base_url: &str,
        mchid: &str,
        merchant_serial_no: &str,
        merchant_key: RsaPrivateKey,
        platform_keys: PlatformKeys,
        apiv3_key: &SecretString,
    ) -> Result<Codec, Error> {
        let base_url = BaseUrl::from_config("wechatpay", base_url)?;
        crate::validate::mchid(mchid).map_err(|e| config(e.to_string()))?;
        if merchant_serial_no.is_empty()
            || merchant_serial_no.len() > 64
            || !merchant_serial_no.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(config(
                "wechatpay merchant_serial_no must be the merchant certificate's serial in hex",
            ));
        }
        let apiv3_key =
            Aes256GcmKey::new_with(merchant_key.backend(), apiv3_key.expose().as_bytes())
                .map_err(|e| config(format!("the wechatpay APIv3 key: {e}")))?;
        Ok(Codec {
            base_url,
            mchid: mchid.to_owned(),
            merchant_serial_no: merchant_serial_no.to_owned(),
            merchant_key,
            platform_keys,
            apiv3_key,
            clock: Arc::new(SystemClock),
        })
    }

    /// Checks the signature window against `clock` (tests and replays).
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// Where requests go.
    pub(crate) fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// WeChat Pay's keys this codec verifies with.
    pub fn platform_keys(&self) -> &PlatformKeys {
        &self.platform_keys
    }

    /// The `Authorization` header value for one request: `METHOD`, the path and query `uri`
    /// exactly as sent, the attempt's `timestamp` and `nonce`, and the exact `body` bytes.
    ///
    /// # Errors
    /// [`Error::Signing`] when the key cannot sign.
    pub fn authorization(
        &self,
        method: &str,
        uri: &str,
        timestamp: i64,
        nonce: &str,
        body: &[u8],
    ) -> Result<String, Error> {
        let message = signing_message(method, uri, timestamp, nonce, body);
        let signature = self.sign(&message)?;
        Ok(format!(
            "{AUTHORIZATION_SCHEME} mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{signature}\"",
            self.mchid, self.merchant_serial_no
        ))
    }

    /// Base64 SHA256withRSA of `message` with the merchant key.
    fn sign(&self, message: &[u8]) -> Result<String, Error> {
        self.merchant_key
            .sign_base64(message)
            .map_err(|e| Error::Signing {
                provider: PROVIDER,
                source: paybridge_core::ErrorSource::new(e),
            })
    }

    /// The JSAPI / mini-program invocation of the order `prepay_id` made under `appid`:
    /// `paySign` over `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant key, at
    /// `timestamp` (Unix seconds) with `nonce`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when a value cannot go on one line of the signed message (the
    /// nonce must be 1–32 letters and digits); [`Error::Signing`] when the key cannot sign.
    pub fn jsapi_invocation(
        &self,
        appid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<JsapiInvocation, Error> {
        invocation_values(appid, prepay_id, nonce)?;
        let time_stamp = timestamp.to_string();
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = self.sign(&crate::invocation::jsapi_message(
            appid,
            &time_stamp,
            nonce,
            &package,
        ))?;
        Ok(JsapiInvocation {
            app_id: appid.to_owned(),
            time_stamp,
            nonce_str: nonce.to_owned(),
            package,
            sign_type: JSAPI_SIGN_TYPE.to_owned(),
            pay_sign,
        })
    }

    /// The APP invocation of the order `prepay_id` made under the mobile app's `appid`:
    /// `sign` over `appid\ntimestamp\nnoncestr\nprepayid\n` with the merchant key, at
    /// `timestamp` (Unix seconds) with `nonce`; `partnerid` is this merchant.
    ///
    /// # Errors
    /// As [`Codec::jsapi_invocation`].
    pub fn app_invocation(
        &self,
        appid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<AppInvocation, Error> {
        invocation_values(appid, prepay_id, nonce)?;
        let timestamp = timestamp.to_string();
        let sign = self.sign(&crate::invocation::app_message(
            appid, &timestamp, nonce, prepay_id,
        ))?;
        Ok(AppInvocation {
            appid: appid.to_owned(),
            partnerid: self.mchid.clone(),
            prepayid: prepay_id.to_owned(),
            package: APP_PACKAGE.to_owned(),
            noncestr: nonce.to_owned(),
            timestamp,
            sign,
        })
    }

    /// The signed request for `request`, stamped with `timestamp` (Unix seconds) and `nonce`
    /// (the client takes them from its clock and id source at every attempt).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the request cannot be written or a path value is
    /// missing; [`Error::Signing`] when the key cannot sign; [`Error::Transport`] (nothing sent)
    /// when the URL cannot take the path.
    pub fn encode_with<E: Endpoint>(
        &self,
        request: &E,
        timestamp: i64,
        nonce: &str,
    ) -> Result<http::Request<Bytes>, Error> {
        if nonce.is_empty() || nonce.len() > 32 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(Error::invalid("nonce_str", "1-32 letters and digits"));
        }
        let mut path = String::with_capacity(E::PATH.len() + 32);
        let mut rest = E::PATH;
        while let Some(open) = rest.find('{') {
            let (before, after) = rest.split_at(open);
            path.push_str(before);
            let close = after
                .find('}')
                .ok_or_else(|| Error::invalid("path", E::PATH))?;
            let name = after.get(1..close).unwrap_or_default();
            let value = request
                .path_value(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::invalid(name.to_owned(), "required"))?;
            path.push_str(&percent_encode(value));
            rest = after.get(close + 1..).unwrap_or_default();
        }
        path.push_str(rest);
        let query: Vec<String> = request
            .query()
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| format!("{name}={}", percent_encode(v))))
            .collect();
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query.join("&"));
        }
        let uri = self.base_url.join(&path)?;
        let body = match E::METHOD {
            Method::Post => {
                serde_json::to_vec(request).map_err(|e| Error::invalid("body", e.to_string()))?
            }
            Method::Get => Vec::new(),
        };
        let signed_uri = uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let authorization =
            self.authorization(E::METHOD.as_str(), signed_uri, timestamp, nonce, &body)?;
        let now = Timestamp::from_unix(timestamp).unwrap_or_else(|| self.clock.now());
        let mut builder = http::Request::builder()
            .method(E::METHOD.as_http())
            .uri(uri)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::USER_AGENT, USER_AGENT)
            .header(http::header::AUTHORIZATION, authorization)
            .header("Wechatpay-Serial", self.platform_keys.serial_to_send(now));
        if E::METHOD == Method::Post {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        builder.body(Bytes::from(body)).map_err(|e| Error::Config {
            reason: format!("bad wechatpay request: {e}"),
        })
    }

    /// Verifies a signed answer or notification: its timestamp within [`MAX_SKEW_SECS`] of
    /// `now`, its serial a configured key, its signature over `TIMESTAMP\nNONCE\nBODY\n` with
    /// the raw body as received.
    ///
    /// # Errors
    /// [`Error::Verification`] saying which of these failed.
    pub fn verify_at(
        &self,
        signed: &SignatureHeaders<'_>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), Error> {
        let fail = |reason: String| Error::Verification {
            provider: PROVIDER,
            reason,
        };
        if signed.signature.starts_with(SIGNATURE_PROBE) {
            return Err(fail(
                "a WeChat Pay signature probe (WECHATPAY/SIGNTEST/): not a real message".into(),
            ));
        }
        let timestamp: i64 = signed
            .timestamp
            .trim()
            .parse()
            .map_err(|_| fail("Wechatpay-Timestamp is not Unix seconds".into()))?;
        if (now.unix_seconds() - timestamp).abs() > MAX_SKEW_SECS {
            return Err(fail(format!(
                "Wechatpay-Timestamp {timestamp} is more than 5 minutes from now ({})",
                now.unix_seconds()
            )));
        }
        let key = self.platform_keys.key_for(signed.serial, now)?;
        let message = verification_message(signed.timestamp, signed.nonce, body);
        key.verify_base64(&message, signed.signature)
            .map_err(|e| fail(format!("Wechatpay-Signature over the body received: {e}")))
    }

    /// Reads an answer: on 2xx the body, once its signature verified (an unsigned or
    /// unverifiable 2xx is [`Error::Verification`]: for a refund, an unknown outcome); on
    /// 4xx/5xx the rejection its `code` says (verified too when it is signed).
    ///
    /// # Errors
    /// [`Error::Verification`], [`Error::MalformedResponse`], [`Error::Rejected`] with the
    /// code's class, or [`Error::OutcomeUnknown`] for a 5xx without WeChat Pay's answer.
    pub fn decode_answer<T: DeserializeOwned>(
        &self,
        response: &http::Response<Bytes>,
    ) -> Result<T, Error> {
        let status = response.status();
        let body = response.body();
        let http_status = Some(status.as_u16());
        let signed = SignatureHeaders::read(response.headers())?;
        if status.is_success() {
            let signed = signed.ok_or_else(|| Error::Verification {
                provider: PROVIDER,
                reason: format!("HTTP {status} without the Wechatpay-* signature headers"),
            })?;
            self.verify_at(&signed, body, self.clock.now())?;
            // A 204 has no body at all; it reads as JSON `null`, which only the calls that
            // answer nothing (`NoContent`) take.
            let json: &[u8] = if status == http::StatusCode::NO_CONTENT && body.is_empty() {
                b"null"
            } else {
                body
            };
            return serde_json::from_slice(json).map_err(|e| {
                Error::malformed(PROVIDER, http_status, format!("unexpected answer: {e}"))
            });
        }
        let error = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .and_then(|b| Some((b.code.filter(|c| !c.is_empty())?, b.message)));
        let Some((code, message)) = error else {
            if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
                return Err(Error::OutcomeUnknown {
                    provider: PROVIDER,
                    reason: format!(
                        "HTTP {status} without a WeChat Pay answer: {}",
                        paybridge_core::excerpt(body, 120)
                    ),
                });
            }
            return Err(Error::malformed(
                PROVIDER,
                http_status,
                format!(
                    "HTTP {status} without an error code: {}",
                    paybridge_core::excerpt(body, 120)
                ),
            ));
        };
        // A signed refusal must verify; an unsigned one is read as the official SDKs read it
        // (TLS authenticated the host).
        if let Some(signed) = signed {
            self.verify_at(&signed, body, self.clock.now())?;
        }
        let row = codes::classify(&code);
        Err(Error::Rejected {
            provider: PROVIDER,
            code: code.into(),
            message: message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| row.meaning.to_owned()),
            class: row.class,
        })
    }

    /// Verifies a refund notification over its raw body and headers, then decrypts its
    /// resource and reads the refund ([`Codec::verify_event`] reads every kind).
    ///
    /// # Errors
    /// [`Error::Verification`] when it is unsigned, outside the window, signed by an unknown
    /// key, does not verify, or its resource does not decrypt with the APIv3 key;
    /// [`Error::MalformedResponse`] when it is not WeChat Pay's refund notification.
    pub fn verify_notification(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WechatPayNotification, Error> {
        self.verify_notification_at(headers, body, self.clock.now())
    }

    /// [`Codec::verify_notification`] at `now`.
    ///
    /// # Errors
    /// As [`Codec::verify_notification`].
    pub fn verify_notification_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> Result<WechatPayNotification, Error> {
        match self.verify_event_at(headers, body, now)? {
            WechatPayEvent::Refund(notification) => Ok(notification),
            other => Err(Error::malformed(
                PROVIDER,
                None,
                format!(
                    "a {} notification, not a refund's (read it with Codec::verify_event)",
                    paybridge_core::excerpt(other.event_type().as_bytes(), 40)
                ),
            )),
        }
    }

    /// Verifies any notification over its raw body and headers, decrypts its resource and
    /// reads it by its event: `REFUND.*` a refund, `TRANSACTION.*` a payment, anything else
    /// handed over decrypted but unread. The resource's `original_type`, where given, must
    /// agree with the event.
    ///
    /// # Errors
    /// As [`Codec::verify_notification`]; [`Error::MalformedResponse`] when the resource is
    /// not what its event says.
    pub fn verify_event(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WechatPayEvent, Error> {
        self.verify_event_at(headers, body, self.clock.now())
    }

    /// [`Codec::verify_event`] at `now`.
    ///
    /// # Errors
    /// As [`Codec::verify_event`].
    pub fn verify_event_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> Result<WechatPayEvent, Error> {
        let opened = self.open_notification_at(headers, body, now)?;
        let family = if opened.event_type.starts_with("REFUND.") {
            "refund"
        } else if opened.event_type.starts_with("TRANSACTION.") {
            "transaction"
        } else {
            return Ok(WechatPayEvent::Other(opened));
        };
        if let Some(original) = opened.original_type.as_deref()
            && original != family
        {
            return Err(Error::malformed(
                PROVIDER,
                None,
                format!(
                    "a {} event whose resource is a {:?}",
                    paybridge_core::excerpt(opened.event_type.as_bytes(), 40),
                    paybridge_core::excerpt(original.as_bytes(), 20)
                ),
            ));
        }
        let unreadable = |e: serde_json::Error| {
            Error::malformed(
                PROVIDER,
                None,
                format!("decrypted resource is not a {family}: {e}"),
            )
        };
        if family == "refund" {
            let refund = serde_json::from_slice(&opened.plaintext).map_err(unreadable)?;
            Ok(WechatPayEvent::Refund(WechatPayNotification {
                id: opened.id,
                event_type: opened.event_type,
                create_time: opened.create_time,
                summary: opened.summary,
                refund,
            }))
        } else {
            let transaction = serde_json::from_slice(&opened.plaintext).map_err(unreadable)?;
            Ok(WechatPayEvent::Payment(PaymentNotification {
                id: opened.id,
                event_type: opened.event_type,
                create_time: opened.create_time,
                summary: opened.summary,
                transaction,
            }))
        }
    }

    /// Verifies a notification over its raw body and headers and decrypts its resource,
    /// without reading the plaintext: for a merchant who keeps the refund or payment exactly as
    /// WeChat Pay wrote it, or reads fields paybridge does not model.
    ///
    /// # Errors
    /// As [`Codec::verify_notification`], but for reading the refund.
    pub fn open_notification_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> Result<OpenedNotification, Error> {
        let signed = SignatureHeaders::read(headers)?.ok_or_else(|| Error::Verification {
            provider: PROVIDER,
            reason: "the notification has no Wechatpay-* signature headers".into(),
        })?;
        self.verify_at(&signed, body, now)?;
        let malformed = |why: String| Error::malformed(PROVIDER, None, why);
        let envelope: EnvelopeRef<'_> = serde_json::from_slice(body)
            .map_err(|e| malformed(format!("not a WeChat Pay notification: {e}")))?;
        let missing = |field: &str| malformed(format!("notification without `{field}`"));
        let resource = envelope.resource.ok_or_else(|| missing("resource"))?;
        if resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(malformed(format!(
                "resource algorithm {:?} is not AEAD_AES_256_GCM",
                paybridge_core::excerpt(resource.algorithm.as_bytes(), 40)
            )));
        }
        let plaintext = self.open(
            &resource.ciphertext,
            &resource.nonce,
            &resource.associated_data,
        )?;
        Ok(OpenedNotification {
            id: envelope.id.ok_or_else(|| missing("id"))?,
            event_type: envelope.event_type.ok_or_else(|| missing("event_type"))?,
            create_time: envelope.create_time,
            summary: envelope.summary,
            original_type: resource.original_type,
            plaintext,
        })
    }

    /// Decrypts a notification resource (base64 ciphertext with its tag, the nonce and the
    /// associated data as text) and reads the refund inside.
    ///
    /// # Errors
    /// [`Error::Verification`] when it does not decrypt under the APIv3 key;
    /// [`Error::MalformedResponse`] when the plaintext is not a refund.
    pub fn decrypt(
        &self,
        ciphertext_b64: &str,
        nonce: &str,
        associated_data: &str,
    ) -> Result<RefundResource, Error> {
        let plain = self.open(ciphertext_b64, nonce, associated_data)?;
        serde_json::from_slice(&plain).map_err(|e| {
            Error::malformed(
                PROVIDER,
                None,
                format!("decrypted resource is not a refund: {e}"),
            )
        })
    }

    /// The plaintext of a resource, authenticated.
    fn open(
        &self,
        ciphertext_b64: &str,
        nonce: &str,
        associated_data: &str,
    ) -> Result<Vec<u8>, Error> {
        let mut buffer = paybridge_sign::base64_decode(ciphertext_b64)
            .map_err(|_| Error::malformed(PROVIDER, None, "resource ciphertext is not base64"))?;
        let len = self
            .apiv3_key
            .open_in_place(nonce.as_bytes(), associated_data.as_bytes(), &mut buffer)
            .map_err(|e| Error::Verification {
                provider: PROVIDER,
                reason: format!("the notification resource: {e}"),
            })?
            .len();
        buffer.truncate(len);
        Ok(buffer)
    }
}

/// A notification verified and decrypted, its resource not yet read
/// ([`Codec::open_notification_at`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenedNotification {
    /// The notification's id (the same on every redelivery).
    pub id: String,
    /// `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`, `TRANSACTION.SUCCESS`…
    pub event_type: String,
    /// When it was created.
    pub create_time: Option<String>,
    /// In words.
    pub summary: Option<String>,
    /// What the resource is (`refund`, `transaction`), as the envelope says.
    pub original_type: Option<String>,
    /// The decrypted resource, exactly as WeChat Pay wrote it (JSON).
    pub plaintext: Vec<u8>,
}

impl<E: Endpoint> paybridge_core::Codec<E> for Codec {
    /// The signed request, its `timestamp` and `nonce_str` the attempt's.
    fn encode(&self, request: &E, stamp: &Stamp) -> Result<http::Request<Bytes>, Error> {
        self.encode_with(request, stamp.at.unix_seconds(), &stamp.nonce)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<E::Response, Error> {
        self.decode_answer(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_signing_string() {
        assert_eq!(
            signing_message(
                "GET",
                "/v3/certificates",
                1_554_208_460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                b""
            ),
            b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
        );
        assert_eq!(
            verification_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", b"{}"),
            b"1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{}\n"
        );
    }
}
