//! One function per fuzz target: each feeds arbitrary bytes to a parser that reads data from
//! outside (a provider, a network, a file) and asserts what must hold whatever the input — above
//! all that nothing panics, and that whatever is accepted is consistent. A violated invariant
//! panics, which is what the fuzzer (or the corpus replay test) reports.
#![forbid(unsafe_code)]
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a harness reports violations by panicking"
)]

use std::sync::OnceLock;

use bytes::Bytes;
use paybridge::alipay;
use paybridge::bluepay;
use paybridge::core::{Currency, Money};
use paybridge::nomad;
use paybridge::rows::{Columns, RequestFields};
use paybridge::scanforpay;
use paybridge::sign::{RsaPrivateKey, RsaPublicKey, SecretString, canonical};
use paybridge::wechatpay;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name (as in `fuzz/fuzz_targets/` and `fuzz/corpus/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("canonicalize", canonicalize),
    ("canonicalize_roundtrip", canonicalize_roundtrip),
    ("bluepay_response", bluepay_response),
    ("bluepay_notification", bluepay_notification),
    ("nomad_response", nomad_response),
    ("scanforpay_response", scanforpay_response),
    ("scanforpay_notification", scanforpay_notification),
    ("wechatpay_response", wechatpay_response),
    ("wechatpay_notification", wechatpay_notification),
    ("alipay_response", alipay_response),
    ("alipay_notification", alipay_notification),
    ("money_parse", money_parse),
    ("key_pem", key_pem),
    ("csv_row", csv_row),
    ("verified_views", verified_views),
    ("alipay_bill", alipay_bill),
    ("wechatpay_bill", wechatpay_bill),
];

/// BluePay's platform key for the notification target (a test key; it protects nothing).
pub const PLATFORM_PUBLIC_PEM: &str =
    include_str!("../../paybridge-bluepay/tests/data/platform.pub.pem");
/// The matching private key, for building seeds.
pub const PLATFORM_PRIVATE_PEM: &str =
    include_str!("../../paybridge-bluepay/tests/data/platform.pem");
/// ScanForPay's sign key for the response targets.
pub const SCANFORPAY_KEY: &str = "fuzz-harness-sign-key-0123456789";

fn platform_public() -> &'static RsaPublicKey {
    static KEY: OnceLock<RsaPublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPublicKey::from_bytes(PLATFORM_PUBLIC_PEM.as_bytes()).expect("the test key loads")
    })
}

/// The platform private key, for seeds.
pub fn platform_private() -> RsaPrivateKey {
    RsaPrivateKey::from_bytes(PLATFORM_PRIVATE_PEM.as_bytes()).expect("the test key loads")
}

fn scanforpay_codec() -> &'static scanforpay::Codec {
    static CODEC: OnceLock<scanforpay::Codec> = OnceLock::new();
    CODEC.get_or_init(|| {
        scanforpay::Codec::new(
            "https://pay.scanforpay.com",
            "10001",
            SecretString::new(SCANFORPAY_KEY),
        )
        .expect("valid")
    })
}

/// The first byte picks an HTTP status, the rest is the body.
fn status_and_body(data: &[u8]) -> (http::StatusCode, &[u8]) {
    const STATUSES: [u16; 8] = [200, 200, 201, 401, 404, 422, 500, 502];
    match data.split_first() {
        Some((&b, rest)) => (
            http::StatusCode::from_u16(
                STATUSES
                    .get(usize::from(b) % STATUSES.len())
                    .copied()
                    .unwrap_or(200),
            )
            .unwrap(),
            rest,
        ),
        None => (http::StatusCode::OK, data),
    }
}

/// RFC 8785 over raw text: never panics; an accepted document is canonical already (idempotent)
/// and is valid JSON.
pub fn canonicalize(data: &[u8]) {
    if let Ok(out) = canonical::canonicalize(data) {
        assert_eq!(
            canonical::canonicalize(&out).as_deref(),
            Ok(out.as_slice()),
            "canonicalize is not idempotent"
        );
        assert!(
            serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
            "canonical output is not JSON"
        );
    }
}

/// For any JSON serde_json accepts without duplicate keys or lone surrogates:
/// canonicalize(canonicalize(x)) == canonicalize(x), and the typed serializer agrees.
pub fn canonicalize_roundtrip(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(once) = canonical::canonicalize(data) else {
        return;
    };
    assert_eq!(
        canonical::canonicalize(&once).as_deref(),
        Ok(once.as_slice())
    );
    let typed = canonical::to_vec(&value);
    // The typed path refuses integers beyond 2^53 that raw text reads as doubles; otherwise
    // both paths must give the same bytes.
    if let Ok(typed) = typed {
        let reread: serde_json::Value = serde_json::from_slice(&once).unwrap();
        assert_eq!(
            canonical::canonicalize(&typed).unwrap(),
            canonical::canonicalize(&serde_json::to_vec(&reread).unwrap()).unwrap()
        );
    }
}

/// BluePay responses: a typed result or a typed error for anything.
pub fn bluepay_response(data: &[u8]) {
    let (status, body) = status_and_body(data);
    let _ = bluepay::decode_response::<bluepay::wire::responses::RefundData>(status, body);
    let _ = bluepay::decode_response::<Vec<bluepay::wire::responses::RefundPayment>>(status, body);
    let _ = bluepay::decode_response::<bluepay::wire::responses::BalanceData>(status, body);
}

/// BluePay notifications: verification never panics and never accepts an unsigned body; the
/// event parser, given any text, never panics.
pub fn bluepay_notification(data: &[u8]) {
    if let Ok(notification) = bluepay::verify_notification(platform_public(), data) {
        let _ = bluepay::unified_notification(&notification);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(event) = bluepay::parse_event(text)
    {
        let _ = bluepay::unified_notification(&event);
    }
}

/// Nomad responses under every status and operation; amounts never fractional.
pub fn nomad_response(data: &[u8]) {
    let (status, body) = status_and_body(data);
    for operation in [nomad::Operation::Create, nomad::Operation::Read] {
        let _ = nomad::decode_response::<nomad::wire::responses::RefundResponse>(
            status, body, operation,
        );
        let _ = nomad::decode_response::<nomad::wire::responses::QueryPaymentResponse>(
            status, body, operation,
        );
    }
    if let Ok(number) = serde_json::from_slice::<serde_json::Number>(body)
        && let Some(fen) = nomad::to_fen(&number)
    {
        assert!(fen.unsigned_abs() < 1 << 53);
    }
}

/// ScanForPay responses: verified over the raw bytes (never re-serialized), then decoded.
pub fn scanforpay_response(data: &[u8]) {
    let (status, body) = status_and_body(data);
    if let Ok(raw) = scanforpay::verify_envelope(body, SCANFORPAY_KEY.as_bytes()) {
        assert!(
            body.windows(raw.len()).any(|w| w == raw.as_bytes()),
            "the verified text is not the received bytes"
        );
    }
    let mut response = http::Response::new(Bytes::copy_from_slice(body));
    *response.status_mut() = status;
    let _ =
        scanforpay_codec().decode_value::<scanforpay::wire::responses::RefundResponse>(&response);
    let _ =
        scanforpay_codec().decode_value::<scanforpay::wire::responses::PayQueryResponse>(&response);
}

/// ScanForPay notifications.
pub fn scanforpay_notification(data: &[u8]) {
    if let Ok(value) = scanforpay_codec().verify_notification(data) {
        let _ = scanforpay::unified_notification(&value);
    }
}

/// WeChat Pay's APIv3 key for the notification target (a test key; it protects nothing).
pub const WECHATPAY_APIV3_KEY: &str = "fuzz-harness-apiv3-key-012345678";
/// The WeChat Pay public-key id the harness's codec trusts.
pub const WECHATPAY_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// The time every WeChat Pay input is signed at and verified against.
pub const WECHATPAY_NOW: i64 = 1_796_300_000;

#[derive(Debug)]
struct FixedNow;

impl paybridge::core::Clock for FixedNow {
    fn now(&self) -> paybridge::core::Timestamp {
        paybridge::core::Timestamp::from_unix(WECHATPAY_NOW).expect("in range")
    }
}

fn wechatpay_codec() -> &'static wechatpay::Codec {
    static CODEC: OnceLock<wechatpay::Codec> = OnceLock::new();
    CODEC.get_or_init(|| {
        let mut codec = wechatpay::Codec::new(
            "https://api.mch.weixin.qq.com",
            "1900000109",
            "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
            platform_private(),
            wechatpay::PlatformKeys::public_key(WECHATPAY_KEY_ID, platform_public().clone())
                .expect("a valid id"),
            &SecretString::new(WECHATPAY_APIV3_KEY),
        )
        .expect("valid");
        codec.set_clock(std::sync::Arc::new(FixedNow));
        codec
    })
}

/// The `Wechatpay-*` headers of `body`, signed with the harness's platform key.
pub fn wechatpay_signed_headers(body: &[u8]) -> http::HeaderMap {
    let timestamp = WECHATPAY_NOW.to_string();
    let nonce = "fuzznonce";
    let signature = platform_private()
        .sign_base64(&wechatpay::verification_message(&timestamp, nonce, body))
        .expect("the test key signs");
    let mut headers = http::HeaderMap::new();
    for (name, value) in [
        ("wechatpay-timestamp", timestamp.as_str()),
        ("wechatpay-nonce", nonce),
        ("wechatpay-signature", signature.as_str()),
        ("wechatpay-serial", WECHATPAY_KEY_ID),
    ] {
        headers.insert(
            name,
            http::HeaderValue::from_str(value).expect("header text"),
        );
    }
    headers
}

/// Headers written as `Name: value` lines, then a blank line, then the body.
fn headers_and_body(data: &[u8]) -> (http::HeaderMap, &[u8]) {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (
            data.get(..at).unwrap_or_default(),
            data.get(at + 2..).unwrap_or_default(),
        ),
        None => (&b""[..], data),
    };
    let mut headers = http::HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value.get(1..).unwrap_or_default().trim_ascii()),
        ) {
            headers.insert(name, value);
        }
    }
    (headers, body)
}

/// WeChat Pay answers: the first byte picks the HTTP status; the second says whether the
/// harness signs the body (bit 0: the parser behind verification is reached) or the input
/// carries its own headers (`Name: value` lines, a blank line, the body). Nothing panics, and
/// nothing decodes as a success unless its status is 2xx and its signature verified.
pub fn wechatpay_response(data: &[u8]) {
    let (status, rest) = status_and_body(data);
    let (mode, rest) = rest.split_first().unwrap_or((&0, rest));
    let (headers, body) = if mode & 1 == 1 {
        (wechatpay_signed_headers(rest), rest)
    } else {
        headers_and_body(rest)
    };
    let mut response = http::Response::new(Bytes::copy_from_slice(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers.clone();
    let decoded =
        wechatpay_codec().decode_answer::<wechatpay::wire::responses::RefundResponse>(&response);
    if decoded.is_ok() {
        assert!(status.is_success(), "a {status} decoded as a success");
        let signed = wechatpay::SignatureHeaders::read(&headers)
            .expect("readable")
            .expect("signed");
        wechatpay_codec()
            .verify_at(
                &signed,
                body,
                paybridge::core::Timestamp::from_unix(WECHATPAY_NOW).expect("in range"),
            )
            .expect("a success verified over the bytes received");
    }
}

/// WeChat Pay notifications. The first byte picks how the rest is used: bit 0 — the rest is
/// the envelope, signed by the harness; bit 1 — the rest is the *plaintext* of the resource,
/// encrypted with the APIv3 key into a signed envelope (so the refund reader is reached);
/// neither — headers and body as in [`wechatpay_response`]. Nothing panics; whatever verifies
/// reads as a unified notification or a typed error.
pub fn wechatpay_notification(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (headers, body): (http::HeaderMap, Vec<u8>) = if mode & 2 == 2 {
        let body = wechatpay_envelope(rest);
        (wechatpay_signed_headers(&body), body)
    } else if mode & 1 == 1 {
        (wechatpay_signed_headers(rest), rest.to_vec())
    } else {
        let (headers, body) = headers_and_body(rest);
        (headers, body.to_vec())
    };
    let now = paybridge::core::Timestamp::from_unix(WECHATPAY_NOW).expect("in range");
    if let Ok(notification) = wechatpay_codec().verify_notification_at(&headers, &body, now) {
        let _ = wechatpay::unified_notification(&notification);
    }
}

fn alipay_codec() -> &'static alipay::Codec {
    static CODEC: OnceLock<alipay::Codec> = OnceLock::new();
    CODEC.get_or_init(|| {
        alipay::Codec::new(
            "https://openapi.alipay.com",
            "2014072300007148",
            platform_private(),
            alipay::AlipayKeys::public_key(platform_public().clone()),
        )
        .expect("valid")
    })
}

/// Alipay replies. The raw-text extractor first: whatever it finds is a slice of the input,
/// and in well-formed JSON one whole value. Then the reply itself, under every status: the first byte's
/// bit 0 says whether the harness signs the `alipay_trade_refund_response` value it finds
/// (so the reader behind verification is reached). A success is never decoded unless its
/// signature verified over the very bytes found.
pub fn alipay_response(data: &[u8]) {
    let (status, rest) = status_and_body(data);
    let (mode, body) = rest.split_first().unwrap_or((&0, rest));
    let Ok(text) = std::str::from_utf8(body) else {
        let _ = alipay_codec().decode_reply::<alipay::wire::responses::TradeRefundResponse>(
            "alipay.trade.refund",
            status,
            body,
        );
        return;
    };
    let key = "alipay_trade_refund_response";
    let found = alipay::member_raw(text, key);
    if let Some(raw) = found {
        assert!(
            text.as_bytes()
                .windows(raw.len())
                .any(|w| w == raw.as_bytes()),
            "the extracted text is not the received bytes"
        );
        // In a well-formed reply, what is found is one whole JSON value.
        if serde_json::from_str::<serde_json::Value>(text).is_ok() {
            assert!(
                serde_json::from_str::<serde_json::Value>(raw).is_ok(),
                "the extracted text is not one JSON value: {raw:?}"
            );
        }
    }
    let signed;
    let body = match (mode & 1, found) {
        (1, Some(raw)) => {
            let sign = platform_private()
                .sign_base64(raw.as_bytes())
                .expect("the test key signs");
            signed = format!("{{\"{key}\":{raw},\"sign\":\"{sign}\"}}");
            signed.as_bytes()
        }
        _ => body,
    };
    if let Ok(reply) = alipay_codec().decode_reply::<alipay::wire::responses::TradeRefundResponse>(
        "alipay.trade.refund",
        status,
        body,
    ) {
        assert_eq!(
            reply.code.as_deref(),
            Some(alipay::codes::SUCCESS),
            "only a success decodes"
        );
    }
}

/// Alipay notifications: the form reader, and verification — with the harness's signature
/// over the decoded parameters when the first byte's bit 0 says so, so the unified reader is
/// reached. Nothing panics.
pub fn alipay_notification(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = if mode & 1 == 1 {
        let Ok(params) = alipay::form_decode(rest) else {
            return;
        };
        let kept: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| k != "sign" && k != "sign_type")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sign = platform_private()
            .sign_base64(alipay::sign_content(kept.iter().copied()).as_bytes())
            .expect("the test key signs");
        let mut all = kept;
        all.push(("sign", &sign));
        alipay::form_encode(all).into_bytes()
    } else {
        rest.to_vec()
    };
    if let Ok(notification) = alipay_codec().verify_notification(&body, None) {
        let _ = alipay::unified_notification(&notification);
    }
}

/// Decimal amounts: exact, and what is accepted writes back to the same amount.
pub fn money_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for currency in Currency::ALL {
        if let Ok(money) = Money::parse(text, currency) {
            assert_eq!(
                Money::parse(&money.to_decimal_string(), currency),
                Ok(money),
                "{text:?} {currency}"
            );
        }
    }
}

/// Key readers: any bytes give a key or a typed error.
pub fn key_pem(data: &[u8]) {
    if let Ok(key) = RsaPrivateKey::from_bytes(data) {
        assert!(key.bits() >= 2048);
    }
    if let Ok(key) = RsaPublicKey::from_bytes(data) {
        assert!(key.bits() >= 2048);
    }
}

/// The batch reader: any CSV gives requests or row errors; an accepted request is positive.
pub fn csv_row(data: &[u8]) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data);
    let Ok(header) = reader.headers().cloned() else {
        return;
    };
    let Ok(columns) = Columns::from_header(header.iter()) else {
        return;
    };
    for row in reader.records().take(64) {
        let Ok(row) = row else { continue };
        if let Ok(request) = RequestFields::from_row(&columns, |i| row.get(i)).to_request() {
            assert!(request.amount().is_positive());
        }
    }
}

/// Applies the edits `data` describes to `message`: each edit is an op byte (insert, replace
/// or delete, by its value mod 3), a position (two bytes, mod the length), a length byte and,
/// for insert and replace, that many bytes. An attacker's edits to a message they cannot sign.
fn apply_edits(message: &[u8], mut data: &[u8]) -> Vec<u8> {
    let mut out = message.to_vec();
    while let [op, hi, lo, len, rest @ ..] = data {
        let at = usize::from(u16::from_be_bytes([*hi, *lo])) % (out.len() + 1);
        let len = usize::from(*len) % 16;
        let (bytes, tail) = rest.split_at(len.min(rest.len()));
        match op % 3 {
            0 => {
                out.splice(at..at, bytes.iter().copied());
            }
            1 => {
                let end = (at + bytes.len()).min(out.len());
                out.splice(at..end, bytes.iter().copied());
            }
            _ => {
                let end = (at + len).min(out.len());
                out.drain(at..end);
            }
        }
        data = tail;
    }
    out
}

/// A genuine Alipay refund notification, signed as Alipay signs it.
fn alipay_genuine() -> &'static Vec<u8> {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let params = [
            ("notify_time", "2026-12-03 10:00:00"),
            ("notify_type", "trade_status_sync"),
            ("notify_id", "ac05099524730693a8b330c5ecf72da9"),
            ("app_id", "2014072300007148"),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("trade_no", "2026120322001000000000000001"),
            ("out_trade_no", "order-1"),
            ("out_biz_no", "refund-1"),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", "100.00"),
            ("refund_fee", "40.00"),
            ("subject", "沙箱 sandbox"),
        ];
        let sign = platform_private()
            .sign_base64(alipay::sign_content(params).as_bytes())
            .expect("the test key signs");
        let mut all = params.to_vec();
        all.push(("sign_type", "RSA2"));
        all.push(("sign", &sign));
        alipay::form_encode(all).into_bytes()
    })
}

/// A WeChat Pay refund notification's envelope around `plain`, sealed with the APIv3 key.
fn wechatpay_envelope(plain: &[u8]) -> Vec<u8> {
    let key = paybridge::sign::Aes256GcmKey::new(WECHATPAY_APIV3_KEY.as_bytes()).expect("32 bytes");
    let sealed = key.seal(b"fuzznonce123", b"refund", plain).expect("seals");
    serde_json::to_vec(&serde_json::json!({
        "id": "EV-fuzz",
        "create_time": "2026-12-03T10:00:00+08:00",
        "event_type": "REFUND.SUCCESS",
        "resource_type": "encrypt-resource",
        "summary": "退款成功",
        "resource": {
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": paybridge::sign::base64_encode(&sealed),
            "nonce": "fuzznonce123",
            "associated_data": "refund",
            "original_type": "refund"
        }
    }))
    .expect("writes")
}

/// A genuine WeChat Pay refund notification: the envelope and its signature headers.
fn wechatpay_genuine() -> &'static (http::HeaderMap, Vec<u8>) {
    static MESSAGE: OnceLock<(http::HeaderMap, Vec<u8>)> = OnceLock::new();
    MESSAGE.get_or_init(|| {
        let plain = br#"{"mchid":"1900000109","out_trade_no":"order-1","transaction_id":"4200000000001","out_refund_no":"refund-1","refund_id":"50300000001","refund_status":"SUCCESS","success_time":"2026-12-03T10:00:00+08:00","amount":{"total":10000,"refund":4000,"payer_total":10000,"payer_refund":4000}}"#;
        let body = wechatpay_envelope(plain);
        (wechatpay_signed_headers(&body), body)
    })
}

/// Verified and parsed are one view: genuine notifications of Alipay (a form) and WeChat Pay
/// (a JSON envelope) with the attacker's edits — duplicated keys, empty copies, a BOM, trailing
/// data, case variants, whatever the bytes say. Whatever still verifies must read exactly as
/// the genuine notification does. The first byte picks the provider.
pub fn verified_views(data: &[u8]) {
    let Some((&which, edits)) = data.split_first() else {
        return;
    };
    if which & 1 == 0 {
        let genuine = alipay_codec()
            .verify_notification(alipay_genuine(), None)
            .expect("the genuine notification verifies");
        let edited = apply_edits(alipay_genuine(), edits);
        if let Ok(notification) = alipay_codec().verify_notification(&edited, None) {
            let mut read = notification.params.clone();
            let mut signed = genuine.params.clone();
            read.sort();
            signed.sort();
            assert_eq!(read, signed, "a verified form read other parameters");
        }
    } else {
        let (headers, body) = wechatpay_genuine();
        let now = paybridge::core::Timestamp::from_unix(WECHATPAY_NOW).expect("in range");
        let genuine = wechatpay_codec()
            .verify_notification_at(headers, body, now)
            .and_then(|n| wechatpay::unified_notification(&n))
            .expect("the genuine notification verifies");
        let edited = apply_edits(body, edits);
        if let Ok(notification) = wechatpay_codec().verify_notification_at(headers, &edited, now) {
            assert_eq!(
                wechatpay::unified_notification(&notification).ok(),
                Some(genuine),
                "a verified envelope read as another notification"
            );
        }
    }
}

/// Alipay's bill readers over any bytes: the first byte picks the detail CSV reader (even) or
/// the zip reader (odd). Neither may panic; every entry read has a positive amount and lines
/// that only go forward; after the first error nothing more is read.
pub fn alipay_bill(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let entries: Box<
        dyn Iterator<Item = Result<paybridge::core::StatementEntry, paybridge::Error>>,
    > = if mode & 1 == 0 {
        Box::new(alipay::read_bill_csv(std::io::BufReader::new(rest)))
    } else {
        match alipay::read_zip(std::io::Cursor::new(rest)) {
            Ok(entries) => Box::new(entries),
            Err(_) => return,
        }
    };
    let mut last_line = 0;
    let mut failed = false;
    for entry in entries.take(10_000) {
        assert!(!failed, "an entry after an error");
        match entry {
            Ok(entry) => {
                assert!(entry.amount.minor >= 0, "a negative amount: {entry:?}");
                assert!(entry.line > last_line, "lines go forward: {entry:?}");
                last_line = entry.line;
            }
            Err(_) => failed = true,
        }
    }
}

/// WeChat Pay's bill reader over any bytes (plain, or gzip: `bills::read_statement` tells them
/// apart by the magic bytes). It may not panic; every entry read has lines that only go forward;
/// after the first error nothing more is read.
pub fn wechatpay_bill(data: &[u8]) {
    let Ok(entries) =
        wechatpay::bills::read_statement(Box::new(std::io::Cursor::new(data.to_vec())))
    else {
        return;
    };
    let mut last_line = 0;
    let mut failed = false;
    for entry in entries.take(10_000) {
        assert!(!failed, "an entry after an error");
        match entry {
            Ok(entry) => {
                assert!(entry.line > last_line, "lines go forward: {entry:?}");
                last_line = entry.line;
            }
            Err(_) => failed = true,
        }
    }
}
