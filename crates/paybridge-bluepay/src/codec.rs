//! The sans-I/O heart of the client: typed `param` → canonical JSON → SHA256withRSA → envelope
//! request; raw response → typed data or a typed rejection; raw notification → verified over the
//! `param` string exactly as received → typed event. No network, no clock: pure functions of
//! their inputs, so they are tested, fuzzed and benchmarked on bytes.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use paybridge_core::Error;
use paybridge_sign::{RsaPrivateKey, RsaPublicKey, canonical};
use paybridge_transport::BaseUrl;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::codes;
use crate::wire::notifications::{
    BluePayNotification, PayoutEvent, QrPaymentEvent, RefundEvent, WebPayEvent,
};
use crate::wire::responses::{CodeValue, PayoutCheckData, WebPayDetail};
use paybridge_core::{Endpoint, Stamp};

/// The provider's name in errors and unified models.
pub const PROVIDER: &str = paybridge_core::ProviderId::BluePay.name();

/// Bangkok is UTC+7 all year; BluePay writes local times without a zone.
pub const BANGKOK_OFFSET_MINUTES: i16 = 7 * 60;

#[derive(Serialize)]
struct RequestEnvelope<'a> {
    #[serde(rename = "appId")]
    app_id: &'a str,
    sign: &'a str,
    param: &'a str,
}

/// A `param` with the `timestamp` every BluePay call carries, written beside its fields (the
/// canonical writer sorts them all together).
#[derive(Serialize)]
pub struct Stamped<'a, P> {
    /// The call's fields.
    #[serde(flatten)]
    pub param: &'a P,
    /// Unix seconds.
    pub timestamp: i64,
}

#[derive(Deserialize)]
struct ResponseEnvelope<'a> {
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a serde_json::value::RawValue>,
}

#[derive(Deserialize)]
struct NotificationEnvelope<'a> {
    #[serde(borrow)]
    param: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sign: Option<Cow<'a, str>>,
}

/// Every field any BluePay event carries: a notification is parsed once into this, then its
/// fields are moved into the event type its name says (no second parse, no buffering).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct EventFields {
    event_name: Option<String>,
    mch_refund_order_id: Option<String>,
    refund_transaction_id: Option<String>,
    original_transaction_id: Option<String>,
    refund_amount: Option<i64>,
    fee_refunded: Option<i64>,
    refund_status: Option<String>,
    refund_create_time: Option<String>,
    refund_return_time: Option<String>,
    refund_reason: Option<String>,
    mch_order_id: Option<String>,
    transaction_id: Option<String>,
    amount: Option<i64>,
    transaction_status: Option<String>,
    create_time: Option<String>,
    return_time: Option<String>,
    channel_code: Option<String>,
    remark: Option<String>,
    customer_name: Option<String>,
    email: Option<String>,
    notify_url: Option<String>,
    redirect_url: Option<String>,
    pay_url: Option<String>,
    failed_code: Option<CodeValue>,
    failed_message: Option<String>,
}

/// Encodes requests and decodes responses and notifications for one merchant account.
pub struct Codec {
    base_url: BaseUrl,
    app_id: String,
    merchant_key: RsaPrivateKey,
    platform_key: RsaPublicKey,
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("merchant_key", &self.merchant_key)
            .field("platform_key", &self.platform_key)
            .finish()
    }
}

impl Codec {
    /// A codec for the merchant `app_id` at `base_url` (e.g. `https://api.bluepay.asia`), signing
    /// with `merchant_key` and verifying notifications with BluePay's `platform_key`.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is refused or an account setting is empty or not
    /// printable.
    pub fn new(
        base_url: &str,
        app_id: &str,
        merchant_key: RsaPrivateKey,
        platform_key: RsaPublicKey,
    ) -> Result<Codec, Error> {
        let base_url = BaseUrl::from_config("bluepay", base_url)?;
        if app_id.is_empty() || app_id.chars().any(char::is_control) {
            return Err(Error::Config {
                reason: "bluepay app_id must be non-empty printable text".into(),
            });
        }
        Ok(Codec {
            base_url,
            app_id: app_id.to_owned(),
            merchant_key,
            platform_key,
        })
    }

    /// The merchant's app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Writes `param` as canonical JSON and signs exactly those bytes. Any serializable value
    /// will do (the `paybridge sign` command signs bodies it was handed as JSON).
    ///
    /// # Errors
    /// `param` cannot be written as canonical JSON, or signing failed.
    pub fn sign_param<P: Serialize + ?Sized>(&self, param: &P) -> Result<(String, String), Error> {
        let param =
            canonical::to_string(param).map_err(|e| Error::invalid("param", e.to_string()))?;
        let sign = self
            .merchant_key
            .sign_base64(param.as_bytes())
            .map_err(|e| Error::Signing {
                provider: PROVIDER,
                source: paybridge_core::ErrorSource::new(e),
            })?;
        Ok((param, sign))
    }

    /// The signed envelope `{"appId", "sign", "param"}` for `param`, as JSON bytes.
    ///
    /// # Errors
    /// As [`Codec::sign_param`].
    pub fn envelope<P: Serialize + ?Sized>(&self, param: &P) -> Result<Vec<u8>, Error> {
        let (param, sign) = self.sign_param(param)?;
        let envelope = RequestEnvelope {
            app_id: &self.app_id,
            sign: &sign,
            param: &param,
        };
        serde_json::to_vec(&envelope).map_err(|e| Error::invalid("param", e.to_string()))
    }

    /// The signed envelope request for `param`, stamped with `timestamp` (Unix seconds; the
    /// client takes it from its clock at every attempt).
    ///
    /// # Errors
    /// As [`Codec::sign_param`], or a base URL that cannot take the path.
    pub fn encode_at<E: Endpoint>(
        &self,
        param: &E,
        timestamp: i64,
    ) -> Result<http::Request<Bytes>, Error> {
        let body = self.envelope(&Stamped { param, timestamp })?;
        Ok(paybridge_transport::post(
            self.base_url.join_static(E::PATH)?,
            http::HeaderValue::from_static("application/json"),
            Bytes::from(body),
        ))
    }

    /// Verifies a notification body with the platform key over the `param` string exactly as
    /// received, then parses it.
    ///
    /// # Errors
    /// [`Error::Verification`] when the signature does not verify over the bytes received;
    /// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
    /// with the provider's code for a refusal.
    pub fn verify_notification(&self, body: &[u8]) -> Result<BluePayNotification, Error> {
        verify_notification(&self.platform_key, body)
    }
}

impl<E: Endpoint> paybridge_core::Codec<E> for Codec {
    /// The signed envelope for `param`, its `timestamp` the attempt's (BluePay has no nonce).
    fn encode(&self, param: &E, stamp: &Stamp) -> Result<http::Request<Bytes>, Error> {
        self.encode_at(param, stamp.at.unix_seconds())
    }

    /// Its `data`, or the rejection BluePay's code says.
    fn decode(&self, response: &http::Response<Bytes>) -> Result<E::Response, Error> {
        decode_response::<E::Response>(response.status(), response.body())
    }
}

/// Decodes a BluePay response body given its HTTP status.
///
/// # Errors
/// [`Error::Verification`] when the signature does not verify over the bytes received;
/// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
/// with the provider's code for a refusal.
pub fn decode_response<T: DeserializeOwned>(
    status: http::StatusCode,
    body: &[u8],
) -> Result<T, Error> {
    let http_status = Some(status.as_u16());
    let envelope = match serde_json::from_slice::<ResponseEnvelope<'_>>(body) {
        Ok(envelope) if envelope.code.is_some() => envelope,
        parsed => {
            if status.is_server_error() {
                return Err(Error::OutcomeUnknown {
                    provider: PROVIDER,
                    reason: format!(
                        "HTTP {status} without a BluePay answer: {}",
                        paybridge_core::excerpt(body, 120)
                    ),
                });
            }
            let why = match parsed {
                Err(e) => format!(
                    "not a BluePay envelope ({e}): {}",
                    paybridge_core::excerpt(body, 120)
                ),
                Ok(_) => format!(
                    "no `code` in the answer: {}",
                    paybridge_core::excerpt(body, 120)
                ),
            };
            return Err(Error::malformed(PROVIDER, http_status, why));
        }
    };
    let Some(code) = envelope.code else {
        return Err(Error::malformed(
            PROVIDER,
            http_status,
            "answer without `code`",
        ));
    };
    if code != codes::SUCCESS {
        let row = codes::classify(code);
        let (class, meaning) = (row.class, row.meaning);
        let message = envelope
            .message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| meaning.to_owned());
        return Err(Error::Rejected {
            provider: PROVIDER,
            code: code.into(),
            message,
            class,
        });
    }
    let data = envelope
        .data
        .filter(|raw| raw.get() != "null")
        .ok_or_else(|| Error::malformed(PROVIDER, http_status, "success without `data`"))?;
    serde_json::from_str(data.get())
        .map_err(|e| Error::malformed(PROVIDER, http_status, format!("unexpected `data`: {e}")))
}

/// Verifies and parses a notification body with BluePay's platform key.
///
/// # Errors
/// [`Error::Verification`] when the signature does not verify over the bytes received;
/// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
/// with the provider's code for a refusal.
pub fn verify_notification(
    platform_key: &RsaPublicKey,
    body: &[u8],
) -> Result<BluePayNotification, Error> {
    let envelope: NotificationEnvelope<'_> = serde_json::from_slice(body).map_err(|e| {
        Error::malformed(
            PROVIDER,
            None,
            format!("notification is not a JSON envelope: {e}"),
        )
    })?;
    let param = envelope
        .param
        .ok_or_else(|| Error::malformed(PROVIDER, None, "notification has no `param`"))?;
    let sign = envelope
        .sign
        .ok_or_else(|| Error::malformed(PROVIDER, None, "notification has no `sign`"))?;
    platform_key
        .verify_base64(param.as_bytes(), &sign)
        .map_err(|e| Error::Verification {
            provider: PROVIDER,
            reason: format!("notification signature: {e}"),
        })?;
    parse_event(&param)
}

/// Parses a notification's `param` text by its `eventName` — for a server that has verified the
/// signature itself; everyone else should call [`verify_notification`].
///
/// # Errors
/// [`Error::Verification`] when the signature does not verify over the bytes received;
/// [`Error::MalformedResponse`] when they are not the provider's message; [`Error::Rejected`]
/// with the provider's code for a refusal.
pub fn parse_event(param: &str) -> Result<BluePayNotification, Error> {
    let bad = |e: serde_json::Error| {
        Error::malformed(
            PROVIDER,
            None,
            format!("notification `param` is not valid: {e}"),
        )
    };
    let f: EventFields = serde_json::from_str(param).map_err(bad)?;
    let event_name = f
        .event_name
        .ok_or_else(|| Error::malformed(PROVIDER, None, "notification has no `eventName`"))?;
    Ok(if event_name.starts_with("payment.refund.") {
        BluePayNotification::Refund(RefundEvent {
            event_name,
            mch_refund_order_id: f.mch_refund_order_id,
            refund_transaction_id: f.refund_transaction_id,
            original_transaction_id: f.original_transaction_id,
            refund_amount: f.refund_amount,
            fee_refunded: f.fee_refunded,
            refund_status: f.refund_status,
            refund_create_time: f.refund_create_time,
            refund_return_time: f.refund_return_time,
            refund_reason: f.refund_reason,
            failed_code: f.failed_code,
            failed_message: f.failed_message,
        })
    } else if event_name.starts_with("qrcode.payment.") {
        BluePayNotification::QrPayment(QrPaymentEvent {
            event_name,
            mch_order_id: f.mch_order_id,
            transaction_id: f.transaction_id,
            amount: f.amount,
            transaction_status: f.transaction_status,
            create_time: f.create_time,
            return_time: f.return_time,
            channel_code: f.channel_code,
            remark: f.remark,
            failed_code: f.failed_code,
            failed_message: f.failed_message,
        })
    } else if event_name.starts_with("order.payment.") {
        BluePayNotification::WebPay(WebPayEvent {
            event_name,
            detail: WebPayDetail {
                mch_order_id: f.mch_order_id,
                transaction_id: f.transaction_id,
                amount: f.amount,
                transaction_status: f.transaction_status,
                create_time: f.create_time,
                return_time: f.return_time,
                customer_name: f.customer_name,
                channel_code: f.channel_code,
                email: f.email,
                notify_url: f.notify_url,
                redirect_url: f.redirect_url,
                pay_url: f.pay_url,
            },
        })
    } else if event_name.starts_with("disbursement.") {
        BluePayNotification::Payout(PayoutEvent {
            event_name,
            detail: PayoutCheckData {
                mch_order_id: f.mch_order_id,
                transaction_id: f.transaction_id,
                amount: f.amount,
                transaction_status: f.transaction_status,
                create_time: f.create_time,
                return_time: f.return_time,
                remark: f.remark,
                failed_code: f.failed_code,
                failed_message: f.failed_message,
            },
        })
    } else {
        BluePayNotification::Other {
            event_name,
            param: serde_json::from_str(param).map_err(bad)?,
        }
    })
}
