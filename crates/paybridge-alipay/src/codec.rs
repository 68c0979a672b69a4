//! The sans-I/O heart of the client. Requests: every parameter but `sign`, empty ones dropped,
//! sorted by key and joined `k=v&…` with the values raw (not URL-encoded) — that text is signed
//! RSA2 (SHA256withRSA) — then the form is URL-encoded to be sent. Replies: the value of
//! `<method>_response` (or `error_response`) is located in the raw text exactly as received
//! ([`crate::extract`]) and verified over those bytes, escaped slashes included — never over
//! a re-serialisation — and only then read. Notifications: the form decoded to bytes, refused
//! if it names a parameter twice, `sign`, `sign_type` and empty values removed, the rest sorted
//! and joined in the form's own charset (UTF-8, GBK or GB2312), verified — and only those
//! parameters read.

use std::fmt;

use bytes::Bytes;
use paybridge_core::{Endpoint, Error, Stamp, Timestamp};
use paybridge_sign::RsaPrivateKey;
use paybridge_transport::BaseUrl;
use serde::de::DeserializeOwned;

use crate::cashier::SignedOrder;
use crate::codes;
use crate::endpoints::method_of;
use crate::extract::members_raw;
use crate::keys::AlipayKeys;
use crate::wire::notifications::AlipayNotification;
use crate::wire::requests::{
    BillDownloadUrlQuery, CashierOrder, TradeCancel, TradeClose, TradeCreate, TradePay,
    TradePrecreate, TradeQuery, TradeRefund, TradeRefundQuery,
};
use crate::wire::responses::Reply;

/// The provider's name in errors and unified models.
pub const PROVIDER: &str = paybridge_core::ProviderId::Alipay.name();

/// Beijing time, which Alipay's `timestamp` and times are written in.
pub const SHANGHAI_OFFSET_MINUTES: i16 = 8 * 60;

/// The gateway's path under the base URL.
const GATEWAY: &str = "/gateway.do";

const FORM_CONTENT_TYPE: http::HeaderValue =
    http::HeaderValue::from_static("application/x-www-form-urlencoded;charset=utf-8");

/// A call paybridge makes to Alipay: an [`Endpoint`] whose request is the `biz_content`, plus
/// the protocol parameters it may add (a `notify_url`), and the codes its reply is read as an
/// answer under.
pub trait AlipayCall: Endpoint {
    /// The `code`s that make a reply an answer to read (every one of them must be signed);
    /// any other is a refusal or ambiguous, by [`codes::classify`].
    const ANSWERS: &'static [&'static str] = &[codes::SUCCESS];

    /// Whether a refusal must be signed too: for a call whose refusal is taken as final and
    /// never looked up (the barcode charge).
    const REFUSALS_SIGNED: bool = false;

    /// The `notify_url` common parameter for this call.
    fn notify_url(&self) -> Option<&str> {
        None
    }
}

impl AlipayCall for TradeRefund {
    fn notify_url(&self) -> Option<&str> {
        self.notify_url.as_deref()
    }
}
impl AlipayCall for TradeRefundQuery {}
impl AlipayCall for TradePrecreate {
    fn notify_url(&self) -> Option<&str> {
        self.notify_url.as_deref()
    }
}
impl AlipayCall for TradePay {
    /// `10003`: the trade exists and waits for the buyer to confirm on their phone.
    const ANSWERS: &'static [&'static str] = &[codes::SUCCESS, codes::WAITING_FOR_BUYER];
    /// A charge refused is reported as nothing taken, with no look-up: only Alipay's signed
    /// word may say so.
    const REFUSALS_SIGNED: bool = true;

    fn notify_url(&self) -> Option<&str> {
        self.notify_url.as_deref()
    }
}
impl AlipayCall for TradeCreate {
    fn notify_url(&self) -> Option<&str> {
        self.notify_url.as_deref()
    }
}
impl AlipayCall for TradeQuery {}
impl AlipayCall for TradeClose {}
impl AlipayCall for TradeCancel {}
impl AlipayCall for BillDownloadUrlQuery {}

/// The text Alipay signs: every parameter with a non-empty value, sorted by name (byte order),
/// joined `name=value` with `&`, the values raw. The caller leaves `sign` out (and, for a
/// notification, `sign_type`).
pub fn sign_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// `application/x-www-form-urlencoded` as Java's `URLEncoder` writes it: letters, digits and
/// `.-*_` as they are, space as `+`, every other byte of the UTF-8 as `%XX`.
pub fn form_encode<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (name, value)) in params.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, text) in [name, value].into_iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            for byte in text.bytes() {
                match byte {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                        out.push(char::from(byte));
                    }
                    b' ' => out.push('+'),
                    other => out.push_str(&format!("%{other:02X}")),
                }
            }
        }
    }
    out
}

/// Decodes an `application/x-www-form-urlencoded` body into its pairs, in order, as UTF-8.
///
/// # Errors
/// [`Error::MalformedResponse`] for a bad `%`-escape or text that is not UTF-8.
pub fn form_decode(body: &[u8]) -> Result<Vec<(String, String)>, Error> {
    form_decode_bytes(body)?
        .into_iter()
        .map(|(name, value)| {
            let text = |b: Vec<u8>| {
                String::from_utf8(b)
                    .map_err(|_| Error::malformed(PROVIDER, None, "not a form: not UTF-8"))
            };
            Ok((text(name)?, text(value)?))
        })
        .collect()
}

/// A form parameter's name and value as bytes, before any charset is applied.
pub(crate) type RawPair = (Vec<u8>, Vec<u8>);

/// Decodes an `application/x-www-form-urlencoded` body into its pairs as bytes (`+` a space,
/// `%XX` a byte), in order: the charset is the caller's to apply.
///
/// # Errors
/// [`Error::MalformedResponse`] for a bad `%`-escape.
pub(crate) fn form_decode_bytes(body: &[u8]) -> Result<Vec<RawPair>, Error> {
    let bad = |why: &str| Error::malformed(PROVIDER, None, format!("not a form: {why}"));
    let decode = |text: &[u8]| -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::with_capacity(text.len());
        let mut i = 0;
        while let Some(&b) = text.get(i) {
            match b {
                b'+' => bytes.push(b' '),
                b'%' => {
                    let hex = text
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or_else(|| bad("a bad %-escape"))?;
                    bytes.push(hex);
                    i += 2;
                }
                other => bytes.push(other),
            }
            i += 1;
        }
        Ok(bytes)
    };
    let mut out = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (
                pair.get(..at).unwrap_or_default(),
                pair.get(at + 1..).unwrap_or_default(),
            ),
            None => (pair, &b""[..]),
        };
        out.push((decode(name)?, decode(value)?));
    }
    Ok(out)
}

/// The charsets Alipay documents for notifications, by the name its `charset` parameter or a
/// `Content-Type` gives. GB2312 is read as GBK, its superset, as Alipay's own SDKs do.
fn charset(name: &str) -> Option<&'static encoding_rs::Encoding> {
    match name.trim().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Some(encoding_rs::UTF_8),
        "gbk" | "gb2312" => Some(encoding_rs::GBK),
        _ => None,
    }
}

/// The `charset=` of a `Content-Type`, if it names one.
fn content_type_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|part| {
        let (name, value) = part.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time, as Alipay's `timestamp` is written.
pub fn alipay_time(at: Timestamp) -> String {
    let (y, mo, d, h, mi, s) = at
        .with_offset(SHANGHAI_OFFSET_MINUTES)
        .unwrap_or(at)
        .local_fields();
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// Encodes requests and decodes replies and notifications for one Alipay app.
pub struct Codec {
    base_url: BaseUrl,
    app_id: String,
    app_key: RsaPrivateKey,
    keys: AlipayKeys,
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("app_key", &self.app_key)
            .field("keys", &self.keys)
            .finish()
    }
}

impl Codec {
    /// A codec for the app `app_id` at `base_url` (the gateway's directory,
    /// `https://openapi.alipay.com`), signing with `app_key` and verifying with `keys`.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is refused or the app id is not Alipay's form.
    pub fn new(
        base_url: &str,
        app_id: &str,
        app_key: RsaPrivateKey,
        keys: AlipayKeys,
    ) -> Result<Codec, Error> {
        let base_url = BaseUrl::from_config("alipay", base_url)?;
        if app_id.is_empty() || app_id.len() > 32 || !app_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Config {
                reason: "alipay app_id must be the app's digits (at most 32)".into(),
            });
        }
        Ok(Codec {
            base_url,
            app_id: app_id.to_owned(),
            app_key,
            keys,
        })
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The gateway's base URL: a bill's download link must point there.
    pub(crate) fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// Signs `content` (a [`sign_content`] text) with the app key: RSA2, base64.
    ///
    /// # Errors
    /// [`Error::Signing`] when the key cannot sign.
    pub fn sign(&self, content: &str) -> Result<String, Error> {
        self.app_key
            .sign_base64(content.as_bytes())
            .map_err(|e| Error::Signing {
                provider: PROVIDER,
                source: paybridge_core::ErrorSource::new(e),
            })
    }

    /// Every parameter of a call (`method`, the common ones, `biz_content`), signed: the
    /// parameters in the order they are sent, `sign` last.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `biz_content` cannot be written; [`Error::Signing`].
    pub fn signed_params(
        &self,
        method: &str,
        biz_content: &str,
        notify_url: Option<&str>,
        at: Timestamp,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        self.sign_params(method, biz_content, &[("notify_url", notify_url)], at)
    }

    /// [`Codec::signed_params`] with any common parameters (`notify_url`, `return_url`): those
    /// without a value, or with an empty one, are left out — neither signed nor sent.
    fn sign_params(
        &self,
        method: &str,
        biz_content: &str,
        common: &[(&'static str, Option<&str>)],
        at: Timestamp,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let mut params: Vec<(&'static str, String)> = vec![
            ("app_id", self.app_id.clone()),
            ("method", method.to_owned()),
            ("format", "JSON".into()),
            ("charset", "utf-8".into()),
            ("sign_type", "RSA2".into()),
            ("timestamp", alipay_time(at)),
            ("version", "1.0".into()),
        ];
        for (name, value) in common {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                params.push((name, value.to_owned()));
            }
        }
        if let Some((app_cert_sn, root_cert_sn)) = self.keys.request_sns() {
            params.push(("app_cert_sn", app_cert_sn.to_owned()));
            params.push(("alipay_root_cert_sn", root_cert_sn.to_owned()));
        }
        params.push(("biz_content", biz_content.to_owned()));
        let content = sign_content(params.iter().map(|(k, v)| (*k, v.as_str())));
        let sign = self.sign(&content)?;
        params.push(("sign", sign));
        Ok(params)
    }

    /// The signed parameters of a cashier order (`alipay.trade.page.pay`, `wap.pay` or
    /// `app.pay`) at `at`: signed like every call (every parameter but `sign`, `sign_type`
    /// included), never sent by paybridge — the customer's browser or app carries them to
    /// Alipay ([`SignedOrder::redirect_url`], [`SignedOrder::form_html`],
    /// [`SignedOrder::order_string`]).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the order breaks Alipay's rules
    /// ([`crate::validate::cashier_order`]); [`Error::Signing`]; [`Error::Transport`] (nothing
    /// sent) when the base URL cannot take the gateway's path.
    pub fn sign_order(&self, order: &CashierOrder, at: Timestamp) -> Result<SignedOrder, Error> {
        crate::validate::cashier_order(order)?;
        let biz_content = serde_json::to_string(order)
            .map_err(|e| Error::invalid("biz_content", e.to_string()))?;
        // The app's SDK never returns to a URL: `return_url` belongs to the browser cashiers.
        let return_url = match order.cashier {
            crate::Cashier::App => None,
            crate::Cashier::Page | crate::Cashier::Wap => order.return_url.as_deref(),
        };
        let params = self.sign_params(
            order.cashier.method(),
            &biz_content,
            &[
                ("notify_url", order.notify_url.as_deref()),
                ("return_url", return_url),
            ],
            at,
        )?;
        let gateway = self.base_url.join_static(GATEWAY)?.to_string();
        Ok(SignedOrder::new(gateway, params))
    }

    /// The signed request for `call` at `at`: posted to the gateway with `method` in the query
    /// (as the official SDK sends it), every other parameter in the form body.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the call cannot be written; [`Error::Signing`];
    /// [`Error::Transport`] (nothing sent) when the URL cannot take the path.
    pub fn encode_at<E: AlipayCall>(
        &self,
        call: &E,
        at: Timestamp,
    ) -> Result<http::Request<Bytes>, Error> {
        let method = method_of(E::PATH).ok_or_else(|| Error::invalid("method", E::PATH))?;
        let biz_content = serde_json::to_string(call)
            .map_err(|e| Error::invalid("biz_content", e.to_string()))?;
        let params = self.signed_params(method, &biz_content, call.notify_url(), at)?;
        let body = form_encode(
            params
                .iter()
                .filter(|(k, _)| *k != "method")
                .map(|(k, v)| (*k, v.as_str())),
        );
        Ok(paybridge_transport::post(
            self.base_url.join_static(E::PATH)?,
            FORM_CONTENT_TYPE,
            Bytes::from(body),
        ))
    }

    /// Reads a reply to `method`: the value of `<method>_response` (or `error_response`),
    /// verified over its raw text; its `code` decides.
    ///
    /// # Errors
    /// [`Error::Verification`] when the reply's signature does not verify over the value as
    /// received (or a success is unsigned); [`Error::MalformedResponse`] when it is not Alipay's
    /// reply; [`Error::Rejected`] with the `sub_code` (or `code`) and its class;
    /// [`Error::OutcomeUnknown`] for a 5xx without Alipay's reply.
    pub fn decode_reply<T: DeserializeOwned + Reply>(
        &self,
        method: &str,
        status: http::StatusCode,
        body: &[u8],
    ) -> Result<T, Error> {
        self.decode_reply_answering(method, status, body, &[codes::SUCCESS])
    }

    /// [`Codec::decode_reply`] for a call whose reply is an answer under any of `answers`
    /// (`alipay.trade.pay` answers `10000` paid and `10003` waiting for the buyer): each must
    /// be signed; any other code is a refusal or ambiguous.
    ///
    /// # Errors
    /// As [`Codec::decode_reply`].
    pub fn decode_reply_answering<T: DeserializeOwned + Reply>(
        &self,
        method: &str,
        status: http::StatusCode,
        body: &[u8],
        answers: &[&str],
    ) -> Result<T, Error> {
        self.decode_reply_signed(method, status, body, answers, false)
    }

    /// [`Codec::decode_reply_answering`], where `refusals_signed` also demands a signature on
    /// a refusal: for a call whose refusal is acted on as final (a barcode charge refused is
    /// never looked up), an unsigned one is [`Error::Verification`] — for the charge, an
    /// unknown outcome, settled by a look-up.
    ///
    /// # Errors
    /// As [`Codec::decode_reply`].
    pub fn decode_reply_signed<T: DeserializeOwned + Reply>(
        &self,
        method: &str,
        status: http::StatusCode,
        body: &[u8],
        answers: &[&str],
        refusals_signed: bool,
    ) -> Result<T, Error> {
        let http_status = Some(status.as_u16());
        let unreadable = |why: String| {
            if status.is_server_error() {
                Error::OutcomeUnknown {
                    provider: PROVIDER,
                    reason: format!(
                        "HTTP {status} without an Alipay reply ({why}): {}",
                        paybridge_core::excerpt(body, 120)
                    ),
                }
            } else {
                Error::malformed(PROVIDER, http_status, why)
            }
        };
        let text = std::str::from_utf8(body).map_err(|_| unreadable("not UTF-8".into()))?;
        let mut key = String::with_capacity(method.len() + 9);
        key.extend(method.chars().map(|c| if c == '.' { '_' } else { c }));
        key.push_str("_response");
        // One pass over the raw text: the signed value as received, the signature, and which
        // certificate made it.
        let [value, error_value, sign, cert_sn] = members_raw(
            text,
            [key.as_str(), "error_response", "sign", "alipay_cert_sn"],
        );
        let (key, raw) = match (value, error_value) {
            (Some(raw), _) => (key.as_str(), raw),
            (None, Some(raw)) => ("error_response", raw),
            (None, None) => return Err(unreadable(format!("no `{key}` in the reply"))),
        };
        let string = |raw: Option<&str>, name: &str| -> Result<Option<String>, Error> {
            raw.map(|r| {
                serde_json::from_str::<String>(r)
                    .map_err(|e| unreadable(format!("`{name}` is not a string: {e}")))
            })
            .transpose()
        };
        let sign = string(sign, "sign")?;
        let cert_sn = string(cert_sn, "alipay_cert_sn")?;
        let reply: T = serde_json::from_str(raw)
            .map_err(|e| unreadable(format!("unexpected `{key}`: {e}")))?;
        let reply_status = reply.status();
        let code = reply_status.code.as_deref().unwrap_or_default();
        match sign.as_deref().filter(|s| !s.is_empty()) {
            Some(sign) => self
                .keys
                .key_for(cert_sn.as_deref())?
                .verify_base64(raw.as_bytes(), sign)
                .map_err(|e| Error::Verification {
                    provider: PROVIDER,
                    reason: format!("the reply's sign over `{key}` as received: {e}"),
                })?,
            // The SDK reads an unsigned refusal as it is (TLS authenticated the host); an
            // answer acted on must be signed.
            None if answers.contains(&code) || refusals_signed => {
                return Err(Error::Verification {
                    provider: PROVIDER,
                    reason: format!("a reply with code {code} without `sign`"),
                });
            }
            None => {}
        }
        if answers.contains(&code) {
            return Ok(reply);
        }
        let row = codes::classify(code, reply_status.sub_code.as_deref());
        let said = reply_status
            .sub_msg
            .or(reply_status.msg)
            .filter(|m| !m.is_empty());
        let message = match (
            said,
            reply_status.sub_code.as_deref().filter(|s| !s.is_empty()),
        ) {
            (Some(said), Some(sub)) if code != codes::BUSINESS_FAILURE => format!("{sub}: {said}"),
            (Some(said), _) => said,
            (None, _) => row.meaning.to_owned(),
        };
        Err(Error::Rejected {
            provider: PROVIDER,
            code: codes::rejection_code(code, reply_status.sub_code.as_deref()).into(),
            message,
            class: row.class,
        })
    }

    /// Verifies an async notification (the form body as received, and its `Content-Type` if
    /// any) and returns its parameters, read from exactly what was verified.
    ///
    /// Alipay signs every parameter but `sign` and `sign_type` whose value is not empty, in the
    /// form's charset (`utf-8`, `gbk` or `gb2312`, named by its `charset` parameter or the
    /// `Content-Type`). So the signature is checked over those bytes as received, and the
    /// parameters read are the same ones: a name given twice refuses the form (a second copy
    /// would be read by one side and not the other), and an empty value is absent, as it is to
    /// the signature. The notification must be this app's (`app_id`), a `trade_status_sync`,
    /// with a documented `trade_status` and ids that cannot hide another parameter.
    ///
    /// # Errors
    /// [`Error::Verification`] when it is unsigned, its signature does not verify, it names a
    /// parameter twice, or it is not this app's; [`Error::MalformedResponse`] when it is not a
    /// form in a charset Alipay documents.
    pub fn verify_notification(
        &self,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<AlipayNotification, Error> {
        let refuse = |reason: String| Error::Verification {
            provider: PROVIDER,
            reason,
        };
        let malformed =
            |why: String| Error::malformed(PROVIDER, None, format!("not a notification: {why}"));
        let pairs = form_decode_bytes(body)?;
        let mut seen = std::collections::HashSet::with_capacity(pairs.len());
        for (name, _) in &pairs {
            if !seen.insert(name.as_slice()) {
                return Err(refuse(format!(
                    "the notification names `{}` twice; refused, whatever its signature",
                    String::from_utf8_lossy(name)
                )));
            }
        }
        let named = |wanted: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.as_slice() == wanted.as_bytes())
                .map(|(_, v)| v.as_slice())
        };
        // The charset is ASCII in every one of them: read it before decoding anything else.
        let declared = named("charset")
            .filter(|c| !c.is_empty())
            .map(|c| String::from_utf8_lossy(c).into_owned());
        let header = content_type.and_then(content_type_charset);
        let encoding = match (declared.as_deref(), header) {
            (Some(form), Some(header)) if charset(form) != charset(header) => {
                return Err(malformed(format!(
                    "the form says charset {form} and its Content-Type {header}"
                )));
            }
            (Some(name), _) | (None, Some(name)) => charset(name)
                .ok_or_else(|| malformed(format!("charset {name} is not one Alipay documents")))?,
            (None, None) => encoding_rs::UTF_8,
        };
        let sign = named("sign")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| refuse("the notification has no `sign`".into()))?;
        let sign =
            std::str::from_utf8(sign).map_err(|_| refuse("its `sign` is not base64".into()))?;
        let mut signed: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .filter(|(k, v)| {
                !v.is_empty() && k.as_slice() != b"sign" && k.as_slice() != b"sign_type"
            })
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        signed.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut content = Vec::with_capacity(body.len());
        for (i, (name, value)) in signed.iter().enumerate() {
            if i > 0 {
                content.push(b'&');
            }
            content.extend_from_slice(name);
            content.push(b'=');
            content.extend_from_slice(value);
        }
        let cert_sn = named("alipay_cert_sn").and_then(|v| std::str::from_utf8(v).ok());
        self.keys
            .key_for(cert_sn)?
            .verify_base64(&content, sign)
            .map_err(|e| refuse(format!("the notification's sign: {e}")))?;
        // Verified: now read those very parameters, in the charset they were signed in.
        let mut params = Vec::with_capacity(signed.len());
        for (name, value) in signed {
            let text = |bytes: &[u8]| {
                encoding
                    .decode_without_bom_handling_and_without_replacement(bytes)
                    .map(std::borrow::Cow::into_owned)
                    .ok_or_else(|| malformed(format!("not {}", encoding.name())))
            };
            params.push((text(name)?, text(value)?));
        }
        let notification = AlipayNotification { params };
        if notification.get("app_id") != Some(self.app_id.as_str()) {
            return Err(refuse(format!(
                "the notification is for app {:?}, not this one",
                notification.get("app_id").unwrap_or("")
            )));
        }
        if notification.notify_type() != Some("trade_status_sync") {
            return Err(malformed(format!(
                "notify_type {:?} is not trade_status_sync",
                notification.notify_type().unwrap_or("")
            )));
        }
        if let Some(status) = notification.trade_status()
            && !codes::TRADE_STATUSES.contains(&status)
        {
            return Err(malformed(format!(
                "trade_status {status:?} is not one Alipay documents"
            )));
        }
        // Values are joined raw into the signed text, so `&` or `=` inside an id could stand for
        // a parameter boundary that was never sent.
        for id in [
            "trade_no",
            "out_trade_no",
            "out_biz_no",
            "notify_id",
            "refund_fee",
            "total_amount",
        ] {
            if notification.get(id).is_some_and(|v| v.contains(['&', '='])) {
                return Err(malformed(format!("`{id}` holds `&` or `=`")));
            }
        }
        Ok(notification)
    }
}

impl<E> paybridge_core::Codec<E> for Codec
where
    E: AlipayCall,
    E::Response: Reply,
{
    /// The signed form, its `timestamp` the attempt's (Alipay takes no nonce).
    fn encode(&self, call: &E, stamp: &Stamp) -> Result<http::Request<Bytes>, Error> {
        self.encode_at(call, stamp.at)
    }

    fn decode(&self, response: &http::Response<Bytes>) -> Result<E::Response, Error> {
        let method = method_of(E::PATH).unwrap_or_default();
        self.decode_reply_signed(
            method,
            response.status(),
            response.body(),
            E::ANSWERS,
            E::REFUSALS_SIGNED,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_content_sorts_drops_empties_and_keeps_values_raw() {
        assert_eq!(
            sign_content([
                ("timestamp", "2014-07-24 03:07:50"),
                ("app_id", "2014072300007148"),
                ("notify_url", ""),
                (
                    "biz_content",
                    r#"{"refund_amount":"0.01","out_trade_no":"a&b=c"}"#
                ),
                ("method", "alipay.trade.refund"),
            ]),
            r#"app_id=2014072300007148&biz_content={"refund_amount":"0.01","out_trade_no":"a&b=c"}&method=alipay.trade.refund&timestamp=2014-07-24 03:07:50"#
        );
        // Byte order: upper case before lower, `_` after letters' upper case.
        assert_eq!(
            sign_content([("b", "1"), ("B", "2"), ("a_b", "3"), ("aB", "4")]),
            "B=2&aB=4&a_b=3&b=1"
        );
    }

    #[test]
    fn forms_round_trip_the_java_way() {
        let encoded = form_encode([
            ("biz_content", r#"{"a":"支付 宝/+&="}"#),
            ("x", "a*b-c.d_e"),
        ]);
        assert_eq!(
            encoded,
            "biz_content=%7B%22a%22%3A%22%E6%94%AF%E4%BB%98+%E5%AE%9D%2F%2B%26%3D%22%7D&x=a*b-c.d_e"
        );
        let decoded = form_decode(encoded.as_bytes()).unwrap();
        assert_eq!(decoded[0].1, r#"{"a":"支付 宝/+&="}"#);
        assert_eq!(decoded[1], ("x".into(), "a*b-c.d_e".into()));
        assert!(form_decode(b"a=%G1").is_err());
        assert!(form_decode(b"a=%FF").is_err());
        assert_eq!(
            form_decode(b"a&b=").unwrap(),
            vec![("a".into(), String::new()), ("b".into(), String::new())]
        );
    }

    #[test]
    fn times_are_beijing_time() {
        assert_eq!(
            alipay_time(Timestamp::from_unix(1_406_142_470).unwrap()),
            "2014-07-24 03:07:50"
        );
    }
}
