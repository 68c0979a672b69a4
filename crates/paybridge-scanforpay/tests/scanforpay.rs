//! Golden envelopes (hash re-checked with `sha256sum`), raw-bytes verification of PHP-escaped
//! responses, tampering, and the unified provider.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use paybridge_core::Endpoint;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use paybridge_core::test_util::{FixedClock, FixedIdGenerator, SequentialIdGenerator};
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, NotificationEvent, PaymentRef, PaymentStatus,
    RefundLookup, RefundProvider, RefundRequest, RefundStatus, RejectionClass,
};
use paybridge_scanforpay::emulator as server;
use paybridge_scanforpay::wire::requests::*;
use paybridge_scanforpay::{Codec, ScanForPayClient, ScanForPayConfig, verify_envelope};
use paybridge_sign::SecretString;
use paybridge_transport::test_util::{Failure, MockTransport, Scripted};
use paybridge_transport::{NoJitter, RetryPolicy};

const KEY: &str = "a3f8c2d1e4b5967f0a1b2c3d4e5f6789";
const BASE: &str = "https://pay.scanforpay.com";
const MSG_ID: &str = "fd03f269318045758af08f6cf324fb0f";
/// 2018-07-25T18:06:05+08:00, the seed's reqTime.
const NOW: i64 = 1_532_513_165;

fn codec() -> Codec {
    Codec::new(BASE, "10001", SecretString::new(KEY)).unwrap()
}

fn now() -> paybridge_core::Timestamp {
    paybridge_core::Timestamp::from_unix(NOW).unwrap()
}

/// `sha256sum` over `bytes ‖ key`, as an independent check of the hash.
fn sha256sum(bytes: &[u8]) -> Option<String> {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write;
    child.stdin.take()?.write_all(bytes).ok()?;
    let out = child.wait_with_output().ok()?;
    Some(
        String::from_utf8(out.stdout)
            .ok()?
            .split_whitespace()
            .next()?
            .to_owned(),
    )
}

fn golden<E: Endpoint>(body: &E, path: &str, expected_request: &str) {
    let request = codec().encode_with(body, MSG_ID, now()).unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri().to_string(), format!("{BASE}{path}"));
    assert_eq!(
        request.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let text = std::str::from_utf8(request.body()).unwrap();
    let signature = &text[text.len() - 66..text.len() - 2];
    assert_eq!(
        text,
        format!(r#"{{"request":{expected_request},"signature":"{signature}"}}"#),
        "{path}"
    );
    match sha256sum(format!("{expected_request}{KEY}").as_bytes()) {
        Some(independent) => assert_eq!(signature, independent, "{path}: sha256sum disagrees"),
        None => eprintln!("SKIPPED the sha256sum check: the command is not installed"),
    }
}

const HEADER: &str = r#"{"partnerNo":"10001","reqMsgId":"fd03f269318045758af08f6cf324fb0f","reqTime":"2018-07-25T18:06:05+08:00","signType":"SHA256","version":"1.0"}"#;

fn common() -> PaymentCommon {
    {
        let mut value = PaymentCommon::new("S01", "p20180725180605466813", 100);
        value.order_title = Some("奶茶 \"large\"".into());
        value.terminal_no = Some("123456".into());
        value.notify_url = Some("https://m.test/sfp".into());
        value
    }
}

#[test]
fn golden_refund_matches_the_seed() {
    let body = {
        let mut value = RefundBody::new(100, "p20180725180605466813", "201807251800023");
        value.operator_id = Some("211918".into());
        value.terminal_no = Some("123456".into());
        value
    };
    golden(
        &body,
        "/api/common/refund",
        &format!(
            r#"{{"body":{{"operatorId":"211918","orderAmount":100,"partnerOrderNo":"p20180725180605466813","refundNo":"201807251800023","terminalNo":"123456"}},"header":{HEADER}}}"#
        ),
    );
}

#[test]
fn golden_every_other_call() {
    golden(
        &{
            let mut value = PayQueryBody::new("S01");
            value.partner_order_no = Some("p1".into());
            value
        },
        "/api/common/payQuery",
        &format!(r#"{{"body":{{"partnerOrderNo":"p1","storeNo":"S01"}},"header":{HEADER}}}"#),
    );
    let common_json = r#""notifyUrl":"https://m.test/sfp","orderAmount":100,"orderTitle":"奶茶 \"large\"","partnerOrderNo":"p20180725180605466813","storeNo":"S01","terminalNo":"123456""#;
    golden(
        &BarcodePayBody::new(common(), "134567890123456789"),
        "/api/offline/pay",
        &format!(
            r#"{{"body":{{"barcode":"134567890123456789",{common_json}}},"header":{HEADER}}}"#
        ),
    );
    golden(
        &{
            let mut value = DynamicQrBody::new(common(), "Wechat");
            value.it_b_pay = Some("5m".into());
            value
        },
        "/api/offline/create",
        &format!(
            r#"{{"body":{{"it_b_pay":"5m",{common_json},"wallet":"Wechat"}},"header":{HEADER}}}"#
        ),
    );
    let hosted_json = r#""notifyUrl":"https://m.test/sfp","orderAmount":100,"orderTitle":"奶茶 \"large\"","partnerOrderNo":"p20180725180605466813","returnUrl":"https://m.test/back","storeNo":"S01","terminalNo":"123456""#;
    let page = {
        let mut value = HostedPageBody::new(common(), "AlipayHK", "HKD");
        value.return_url = Some("https://m.test/back".into());
        value
    };
    golden(
        &HostedQrBody(page.clone()),
        "/api/offline/qrcode",
        &format!(
            r#"{{"body":{{"currency":"HKD",{hosted_json},"wallet":"AlipayHK"}},"header":{HEADER}}}"#
        ),
    );
    golden(
        &WebsiteRedirectBody(page),
        "/api/online/create",
        &format!(
            r#"{{"body":{{"currency":"HKD",{hosted_json},"wallet":"AlipayHK"}},"header":{HEADER}}}"#
        ),
    );
    golden(
        &JsapiBody::new(common(), "Alipay"),
        "/api/jspay/create",
        &format!(r#"{{"body":{{{common_json},"wallet":"Alipay"}},"header":{HEADER}}}"#),
    );
}

// ---- raw-bytes verification ----

/// A response value written the way PHP's json_encode writes it: `\/` and `\uXXXX` escapes.
const PHP_RESPONSE: &str = r#"{"header":{"partnerNo":"10001","respTime":"2018-07-25T18:06:12+08:00","signType":"SHA256","version":"1.0","reqMsgId":"213ca19e-c75f-450d-9acf-46e860570bb9"},"body":{"code":30,"msg":"\u8ba2\u5355\u4e0d\u5b58\u5728","url":"https:\/\/pay.scanforpay.com\/x"}}"#;

#[test]
fn a_php_escaped_response_verifies_and_its_re_serialization_would_not() {
    let body = server::signed_envelope(PHP_RESPONSE.as_bytes(), KEY.as_bytes());
    let raw = verify_envelope(&body, KEY.as_bytes()).unwrap();
    assert_eq!(
        raw, PHP_RESPONSE,
        "the exact bytes received are what was verified"
    );
    // The same JSON value, re-serialized, hashes differently: verifying it would fail.
    let reserialized =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(PHP_RESPONSE).unwrap())
            .unwrap();
    assert_ne!(reserialized, PHP_RESPONSE);
    let signature = &std::str::from_utf8(&body).unwrap()[body.len() - 66..body.len() - 2];
    assert!(!paybridge_sign::verify_sha256_keyed_hex(
        reserialized.as_bytes(),
        KEY.as_bytes(),
        signature
    ));
    // And the decoded message is the Chinese text.
    let response = http::Response::new(Bytes::from(body));
    match codec()
        .decode_value::<paybridge_scanforpay::wire::responses::RefundResponse>(&response)
        .unwrap_err()
    {
        Error::Rejected {
            code,
            message,
            class,
            ..
        } => {
            assert_eq!(
                (code.as_str(), message.as_str(), class),
                ("30", "订单不存在", RejectionClass::CallerError)
            );
        }
        other => panic!("{other:?}"),
    }
}

fn verify_kind(body: &[u8]) -> &'static str {
    match verify_envelope(body, KEY.as_bytes()) {
        Ok(_) => "ok",
        Err(Error::Verification { .. }) => "verification",
        Err(Error::MalformedResponse { .. }) => "malformed",
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn tampering_is_caught_and_typed() {
    let body = server::signed_envelope(PHP_RESPONSE.as_bytes(), KEY.as_bytes());
    let text = String::from_utf8(body.clone()).unwrap();
    assert_eq!(verify_kind(&body), "ok");
    // Upper-case hex is accepted.
    let sig_start = text.len() - 66;
    let upper = format!(
        "{}{}\"}}",
        &text[..sig_start],
        text[sig_start..text.len() - 2].to_uppercase()
    );
    assert_eq!(verify_kind(upper.as_bytes()), "ok");
    // Any byte of the response value.
    let start = text.find(r#""response":"#).unwrap() + 11;
    for i in start..start + PHP_RESPONSE.len() {
        let mut tampered = body.clone();
        tampered[i] ^= 0x01;
        let kind = verify_kind(&tampered);
        assert!(
            kind == "verification" || kind == "malformed",
            "byte {i}: {kind}"
        );
    }
    // Any hex digit of the signature.
    for i in sig_start..text.len() - 2 {
        let mut tampered = body.clone();
        tampered[i] = if tampered[i] == b'0' { b'1' } else { b'0' };
        assert_eq!(verify_kind(&tampered), "verification", "signature byte {i}");
    }
    // Wrong key, truncated body, missing parts.
    let other_key = server::signed_envelope(PHP_RESPONSE.as_bytes(), b"another key");
    assert_eq!(verify_kind(&other_key), "verification");
    for cut in [1, 10, body.len() / 2, body.len() - 1] {
        assert_eq!(verify_kind(&body[..cut]), "malformed", "truncated at {cut}");
    }
    assert_eq!(verify_kind(br#"{"signature":"00"}"#), "malformed");
    assert_eq!(
        verify_kind(format!(r#"{{"response":{PHP_RESPONSE}}}"#).as_bytes()),
        "verification"
    );
    assert_eq!(verify_kind(b"not json"), "malformed");
    assert_eq!(verify_kind(b""), "malformed");
    // Two `response` members cannot smuggle an unsigned one past the check.
    let doubled = format!(r#"{{"response":{{"body":{{"code":1}}}},{}"#, &text[1..]);
    assert_eq!(verify_kind(doubled.as_bytes()), "malformed");
}

// ---- the unified provider ----

fn config() -> ScanForPayConfig {
    let mut config = ScanForPayConfig::new(BASE, "10001", "S01", SecretString::new(KEY));
    config.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        jitter: Arc::new(NoJitter),
        ..RetryPolicy::default()
    };
    config
}

fn client(script: impl IntoIterator<Item = Scripted>) -> ScanForPayClient<MockTransport> {
    ScanForPayClient::new(config(), MockTransport::scripted(script))
        .unwrap()
        .with_sources(
            Arc::new(FixedClock::new(NOW)),
            Arc::new(SequentialIdGenerator::starting_at(1)),
        )
}

fn answer(body: &str) -> Scripted {
    let value = format!(
        r#"{{"header":{{"partnerNo":"10001","respTime":"2018-07-25T18:06:12+08:00","signType":"SHA256","version":"1.0","respMsgId":"x"}},"body":{body}}}"#
    );
    Scripted::status(
        200,
        server::signed_envelope(value.as_bytes(), KEY.as_bytes()),
    )
}

fn request(amount: i64) -> RefundRequest {
    RefundRequest::builder(
        MerchantRefundId::new("201807251800023").unwrap(),
        Money::new(amount, Currency::Hkd),
    )
    .payment(PaymentRef::new("p20180725180605466813").unwrap())
    .build()
    .unwrap()
}

fn sent_bodies(c: &ScanForPayClient<MockTransport>) -> Vec<serde_json::Value> {
    c.transport()
        .requests()
        .iter()
        .map(|r| serde_json::from_slice(r.body()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_refund_succeeds_verified_and_checked() {
    let c = client([answer(
        r#"{"code":1,"msg":"success","orderAmount":100,"status":1,"currency":"HKD"}"#,
    )]);
    let refund = c.refund(&request(100)).await.unwrap();
    assert_eq!(
        (refund.status, refund.provider_status.as_deref()),
        (RefundStatus::Succeeded, Some("1"))
    );
    let sent = &sent_bodies(&c)[0];
    assert_eq!(
        sent["request"]["header"]["reqMsgId"],
        "00000000000000000000000000000001"
    );

    let c = client([answer(
        r#"{"code":1,"msg":"success","orderAmount":100,"status":0,"currency":"JPY"}"#,
    )]);
    // ScanForPay accepted a refund that does not match: unknown (naming the field), never a
    // refusal.
    assert!(matches!(
        c.refund(&request(100)).await.unwrap_err(),
        Error::OutcomeUnknown { reason, .. } if reason.contains("currency")
    ));
    // The seed's "orderAmount " (trailing space) spelling is read; 99 is not what was asked.
    let c = client([answer(
        r#"{"code":1,"msg":"success","orderAmount ":99,"status":0}"#,
    )]);
    assert!(matches!(
        c.refund(&request(100)).await.unwrap_err(),
        Error::OutcomeUnknown { reason, .. } if reason.contains("orderAmount")
    ));
}

#[tokio::test]
async fn retries_re_sign_with_a_fresh_message_id_and_the_same_refund_number() {
    let c = client([
        Scripted::Fail(Failure::WrittenThenLost),
        answer(r#"{"code":9,"msg":"unknown system error"}"#),
        answer(r#"{"code":1,"msg":"success","orderAmount":100,"status":0,"currency":"HKD"}"#),
    ]);
    let refund = c.refund(&request(100)).await.unwrap();
    assert_eq!(refund.status, RefundStatus::Pending);
    let sent = sent_bodies(&c);
    let ids: Vec<&str> = sent
        .iter()
        .map(|b| b["request"]["header"]["reqMsgId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2],
        "a fresh reqMsgId per attempt: {ids:?}"
    );
    assert!(
        sent.iter()
            .all(|b| b["request"]["body"]["refundNo"] == "201807251800023")
    );
}

#[tokio::test]
async fn code_21_and_exhausted_retries_are_unknown_outcomes() {
    let c = client([
        answer(r#"{"code":21,"msg":"timed out"}"#),
        answer(r#"{"code":22,"msg":"institution failed"}"#),
        answer(r#"{"code":21,"msg":"timed out"}"#),
    ]);
    let err = c.refund(&request(100)).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    let c = client(std::iter::repeat_n(
        Scripted::status(502, "<html>Bad Gateway</html>"),
        3,
    ));
    assert!(matches!(
        c.refund(&request(100)).await.unwrap_err(),
        Error::OutcomeUnknown { .. }
    ));
}

#[tokio::test]
async fn refusals_keep_their_meaning() {
    for (code, class) in [
        (31, RejectionClass::Duplicate),
        (35, RejectionClass::ProviderState),
        (30, RejectionClass::CallerError),
        (8, RejectionClass::Authentication),
    ] {
        let c = client([answer(&format!(r#"{{"code":{code},"msg":"no"}}"#))]);
        match c.refund(&request(100)).await.unwrap_err() {
            Error::Rejected { class: got, .. } => assert_eq!(got, class, "{code}"),
            other => panic!("{code}: {other:?}"),
        }
        assert_eq!(c.transport().request_count(), 1, "{code}: not retried");
    }
    // An answer signed with another key is not an answer.
    let forged = Scripted::status(
        200,
        server::signed_envelope(
            br#"{"body":{"code":1,"orderAmount":100,"status":1}}"#,
            b"wrong",
        ),
    );
    let c = client([forged.clone(), forged.clone(), forged]);
    assert!(matches!(
        c.refund(&request(100)).await.unwrap_err(),
        Error::OutcomeUnknown { .. } | Error::Verification { .. }
    ));
}

#[tokio::test]
async fn refund_status_says_what_payment_query_can_and_cannot_tell() {
    let pay = |status: i64| {
        answer(&format!(
            r#"{{"code":1,"msg":"ok","orderNo":"O1","partnerOrderNo":"p20180725180605466813","orderAmount":100,"wallet":"Wechat","status":{status},"currency":"HKD"}}"#
        ))
    };
    let lookup = |amount| RefundLookup::from(&request(amount));
    // Status 3 (refunded) names no particular refund, not even one of the whole amount: a
    // refund made in the portal reads the same.
    let c = client([pay(3)]);
    let err = c.refund_status(&lookup(100)).await.unwrap_err();
    assert!(
        matches!(&err, Error::OutcomeUnknown { reason, .. } if reason.contains("names no particular refund")),
        "{err}"
    );
    let c = client([pay(3)]);
    let err = c.refund_status(&lookup(40)).await.unwrap_err();
    assert!(
        matches!(&err, Error::OutcomeUnknown { reason, .. } if reason.contains("no refund query")),
        "{err}"
    );
    let c = client([pay(1)]);
    assert!(matches!(
        c.refund_status(&lookup(40)).await.unwrap_err(),
        Error::OutcomeUnknown { .. }
    ));
    let c = client([pay(0)]);
    assert!(matches!(
        c.refund_status(&lookup(40)).await.unwrap_err(),
        Error::RefundNotFound { .. }
    ));
}

#[tokio::test]
async fn notifications_verify_parse_and_ack_with_plain_success() {
    let value = r#"{"header":{"partnerNo":"10001","respTime":"2018-07-25T18:07:00+08:00","signType":"SHA256","version":"1.0"},"body":{"code":1,"msg":"success","orderNo":"O1","partnerOrderNo":"p1","orderAmount":100,"wallet":"Alipay","status":1,"payTime":"2018-07-25 18:06:59","currency":"HKD"}}"#;
    let c = client([]);
    let http_request = http::Request::post("/notify")
        .body(Bytes::from(server::signed_envelope(
            value.as_bytes(),
            KEY.as_bytes(),
        )))
        .unwrap();
    let n = c.verify_notification(&http_request).await.unwrap();
    let NotificationEvent::Payment { payment } = n.event else {
        panic!()
    };
    assert_eq!(
        (payment.status, payment.amount),
        (
            PaymentStatus::Succeeded,
            Some(Money::new(100, Currency::Hkd))
        )
    );
    let ack = c.notification_ack();
    assert_eq!(
        (ack.status().as_u16(), ack.body().as_ref()),
        (200, &b"success"[..])
    );
    let forged = http::Request::post("/notify")
        .body(Bytes::from(server::signed_envelope(
            value.as_bytes(),
            b"nope",
        )))
        .unwrap();
    assert!(matches!(
        c.verify_notification(&forged).await.unwrap_err(),
        Error::Verification { .. }
    ));
}

#[tokio::test]
async fn bad_input_sends_nothing_and_the_key_is_never_shown() {
    let cases = [
        (
            RefundRequest::builder(
                MerchantRefundId::new("r1").unwrap(),
                Money::new(100, Currency::Hkd),
            )
            .build()
            .unwrap(),
            "payment",
        ),
        (
            RefundRequest::builder(
                MerchantRefundId::new("r".repeat(33)).unwrap(),
                Money::new(100, Currency::Hkd),
            )
            .payment(PaymentRef::new("p1").unwrap())
            .build()
            .unwrap(),
            "refund_id",
        ),
    ];
    for (req, field) in cases {
        let c = client([]);
        assert!(
            matches!(c.refund(&req).await.unwrap_err(), Error::InvalidRequest { field: f, .. } if f == field)
        );
        assert_eq!(c.transport().request_count(), 0);
    }
    let c = client([]);
    let long = RefundBody::new(1, "p".repeat(33), "r");
    assert!(c.create_refund(&long).await.is_err());
    assert_eq!(c.transport().request_count(), 0);
    for shown in [
        format!("{:?}", config()),
        format!("{:?}", codec()),
        format!("{c:?}"),
    ] {
        assert!(!shown.contains(KEY), "{shown}");
    }
    let _ = FixedIdGenerator::new(MSG_ID);
}

// ---- barcode payments ----

fn barcode_request(currency: Currency) -> paybridge_core::PaymentRequest {
    paybridge_core::PaymentRequest::builder(
        paybridge_core::OrderRef::new("bar-order-1").unwrap(),
        Money::new(2_500, currency),
        paybridge_core::Scene::Barcode {
            auth_code: "134567890123456789".into(),
        },
    )
    .barcode_deadline(std::time::Duration::from_secs(1))
    .build()
    .unwrap()
}

#[tokio::test]
async fn a_barcode_charge_whose_answer_was_lost_is_looked_up_never_sent_again() {
    use paybridge_core::{PaymentProvider, PaymentStatus};
    let c = client([
        Scripted::Fail(Failure::WrittenThenLost),
        answer(
            r#"{"code":1,"msg":"success","partnerOrderNo":"bar-order-1","orderNo":"SFP1","orderAmount":2500,"status":1,"currency":"HKD","wallet":"Wechat"}"#,
        ),
    ]);
    let paid = PaymentProvider::create_payment(&c, &barcode_request(Currency::Hkd))
        .await
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    let paths: Vec<String> = c
        .transport()
        .requests()
        .iter()
        .map(|r| r.uri().path().to_owned())
        .collect();
    // One charge, then the look-up: the customer's code went out once.
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.ends_with("/api/offline/pay"))
            .count(),
        1,
        "{paths:?}"
    );
    assert!(
        paths.last().unwrap().ends_with("/api/common/payQuery"),
        "{paths:?}"
    );
}

#[tokio::test]
async fn a_barcode_in_another_currency_than_the_stores_is_refused_before_sending() {
    use paybridge_core::PaymentProvider;
    let c = client([]);
    let error = PaymentProvider::create_payment(&c, &barcode_request(Currency::Cny))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidRequest { field, .. } if field == "currency"),
        "{error:?}"
    );
    assert_eq!(c.transport().request_count(), 0);
}

#[test]
fn the_customers_payment_code_never_reaches_debug() {
    use paybridge_scanforpay::wire::requests::{BarcodePayBody, PaymentCommon};
    let body = BarcodePayBody::new(
        PaymentCommon::new("S1", "bar-order-1", 100),
        "134567890123456789",
    );
    assert!(!format!("{body:?}").contains("1345678901"));
}
