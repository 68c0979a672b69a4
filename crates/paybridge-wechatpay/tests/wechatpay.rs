//! The client against WeChat Pay's side (the crate's emulator), byte-exact signing, both key
//! modes with rotation, the 5-minute window, honest outcomes, and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use common::*;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, NotificationEvent, OrderRef, PaymentRef,
    RefundLookup, RefundProvider, RefundRequest, RefundStatus, Timestamp,
};
use paybridge_emulator::{Counted, Emulator};
use paybridge_sign::x509::{self, Certificate, CertificateSpec};
use paybridge_transport::test_util::{MockTransport, Scripted};
use paybridge_wechatpay::wire::requests::{CreateRefundRequest, QueryRefund};
use paybridge_wechatpay::{Codec, PlatformKeys, signing_message};

fn request(id: &str, amount: i64) -> RefundRequest {
    RefundRequest::builder(
        MerchantRefundId::new(id).unwrap(),
        Money::new(amount, Currency::Cny),
    )
    .payment(PaymentRef::new(TRANSACTION).unwrap())
    .total(Money::new(10_000, Currency::Cny))
    .reason("customer asked")
    .build()
    .unwrap()
}

fn authorization_fields(header: &str) -> Vec<(String, String)> {
    header
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .unwrap()
        .split(',')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_owned(), v.trim_matches('"').to_owned())
        })
        .collect()
}

#[test]
fn the_request_is_signed_over_exactly_what_is_sent() {
    let codec = codec_at("https://api.mch.weixin.test/prefix");
    let body = CreateRefundRequest::by_transaction_id(TRANSACTION, "r-1", 100, 10_000);
    let request = codec
        .encode_with(&body, 1_554_208_460, "593BEC0C930BF1AFEB40B4A08C8FB242")
        .unwrap();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(
        request.uri().to_string(),
        "https://api.mch.weixin.test/prefix/v3/refund/domestic/refunds"
    );
    assert_eq!(
        request.body().as_ref(),
        br#"{"transaction_id":"4200000000000000000000000001","out_refund_no":"r-1","amount":{"refund":100,"total":10000,"currency":"CNY"}}"#
    );
    assert_eq!(request.headers()["wechatpay-serial"], PUBLIC_KEY_ID);
    assert_eq!(request.headers()["accept"], "application/json");
    let fields = authorization_fields(request.headers()["authorization"].to_str().unwrap());
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["mchid", "nonce_str", "timestamp", "serial_no", "signature"]
    );
    assert_eq!(fields[0].1, MCHID);
    assert_eq!(fields[1].1, "593BEC0C930BF1AFEB40B4A08C8FB242");
    assert_eq!(fields[2].1, "1554208460");
    assert_eq!(fields[3].1, MERCHANT_SERIAL);
    let message = signing_message(
        "POST",
        "/prefix/v3/refund/domestic/refunds",
        1_554_208_460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        request.body(),
    );
    // PKCS#1 v1.5 is deterministic: the signature is exactly the bare signature of the message.
    assert_eq!(fields[4].1, merchant_key().sign_base64(&message).unwrap());
    merchant_public()
        .verify_base64(&message, &fields[4].1)
        .unwrap();

    // A query is a GET with no body; its path value is one escaped segment, and signed so.
    let query = codec
        .encode_with(&QueryRefund::new("a/b c"), 1_554_208_460, "abc")
        .unwrap();
    assert_eq!(query.method(), http::Method::GET);
    assert_eq!(
        query.uri().path(),
        "/prefix/v3/refund/domestic/refunds/a%2Fb%20c"
    );
    assert!(query.body().is_empty());
    let fields = authorization_fields(query.headers()["authorization"].to_str().unwrap());
    let message = signing_message(
        "GET",
        "/prefix/v3/refund/domestic/refunds/a%2Fb%20c",
        1_554_208_460,
        "abc",
        b"",
    );
    merchant_public()
        .verify_base64(&message, &fields[4].1)
        .unwrap();
}

#[test]
fn openssl_verifies_the_request_signature() {
    if !openssl() {
        assert!(!interop_required(), "openssl is required for this test");
        eprintln!("skipped: no openssl command");
        return;
    }
    let codec = codec_at(BASE);
    let body = CreateRefundRequest::by_out_trade_no(ORDER, "r-2", 250, 10_000);
    let request = codec.encode_with(&body, NOW, "nonce123").unwrap();
    let fields = authorization_fields(request.headers()["authorization"].to_str().unwrap());
    // The message as an independent reader builds it from what goes on the wire.
    let mut message = Vec::new();
    message.extend_from_slice(b"POST\n/v3/refund/domestic/refunds\n");
    message.extend_from_slice(format!("{NOW}\nnonce123\n").as_bytes());
    message.extend_from_slice(request.body());
    message.push(b'\n');
    let dir = temp_dir("openssl");
    std::fs::write(dir.join("msg"), &message).unwrap();
    std::fs::write(
        dir.join("sig"),
        paybridge_sign::base64_decode(&fields[4].1).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(data("merchant.pub.pem"))
        .arg("-signature")
        .arg(dir.join("sig"))
        .arg(dir.join("msg"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Verified OK"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_refund_round_trips_in_public_key_mode_and_its_notification_decrypts() {
    let host = Arc::new(common::host());
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    let client = wired(public_key_mode(), Arc::clone(&emulator), Arc::clone(&host));

    let refund = client.refund(&request("r-1", 2_500)).await.unwrap();
    assert_eq!(refund.amount, Money::new(2_500, Currency::Cny));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.payment.as_deref(), Some(TRANSACTION));
    assert!(refund.provider_refund_id.is_some());

    // The same refund again: WeChat Pay refunds once and answers with the refund it holds.
    let again = client.refund(&request("r-1", 2_500)).await.unwrap();
    assert_eq!(again.provider_refund_id, refund.provider_refund_id);
    assert_eq!(host.count_of(Counted::RefundApplied), 1);
    assert_eq!(host.count_of(Counted::Resend), 1);

    let looked_up = client
        .refund_status(&RefundLookup::from(&request("r-1", 2_500)))
        .await
        .unwrap();
    assert_eq!(looked_up.status, RefundStatus::Succeeded);
    let missing = client
        .refund_status(&RefundLookup::new(MerchantRefundId::new("nope").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::RefundNotFound { .. }), "{missing}");

    // Its notification: signed over the raw body in the headers, the refund encrypted.
    let (payment, entry) = host.settled.lock().unwrap()[0].clone();
    let delivery = emulator
        .refund_notification(host.as_ref(), &payment, &entry)
        .expect("a notification");
    assert_eq!(delivery.url, "https://merchant.test/wechatpay/refunds");
    let mut builder = http::Request::post("/hook");
    for (name, value) in &delivery.headers {
        builder = builder.header(*name, value.as_str());
    }
    let notification = builder.body(Bytes::from(delivery.body.clone())).unwrap();
    let verified = client.verify_notification(&notification).await.unwrap();
    assert_eq!(verified.event_name.as_deref(), Some("REFUND.SUCCESS"));
    let NotificationEvent::Refund { refund: notified } = verified.event else {
        panic!("not a refund event");
    };
    assert_eq!(notified.refund_id.as_str(), "r-1");
    assert_eq!(notified.amount, Money::new(2_500, Currency::Cny));
    assert_eq!(notified.status, RefundStatus::Succeeded);
    assert!(
        !String::from_utf8_lossy(&delivery.body).contains("r-1"),
        "the refund travels encrypted"
    );
    let ack = client.notification_ack();
    assert_eq!(ack.status(), http::StatusCode::NO_CONTENT);
    assert!(ack.body().is_empty());

    // One byte changed anywhere in the body, or a header, and it does not verify.
    for i in [0, delivery.body.len() / 2, delivery.body.len() - 1] {
        let mut body = delivery.body.clone();
        body[i] ^= 0x01;
        let mut builder = http::Request::post("/hook");
        for (name, value) in &delivery.headers {
            builder = builder.header(*name, value.as_str());
        }
        let tampered = builder.body(Bytes::from(body)).unwrap();
        let error = client.verify_notification(&tampered).await.unwrap_err();
        assert!(matches!(error, Error::Verification { .. }), "{error}");
    }
    let mut builder = http::Request::post("/hook");
    for (name, value) in &delivery.headers {
        let value = if *name == "Wechatpay-Nonce" {
            "other"
        } else {
            value.as_str()
        };
        builder = builder.header(*name, value);
    }
    let tampered = builder.body(Bytes::from(delivery.body.clone())).unwrap();
    assert!(client.verify_notification(&tampered).await.is_err());
    let unsigned = http::Request::post("/hook")
        .body(Bytes::from(delivery.body))
        .unwrap();
    assert!(matches!(
        client.verify_notification(&unsigned).await.unwrap_err(),
        Error::Verification { .. }
    ));
}

fn platform_certificate(
    serial: &[u8],
    key: &paybridge_sign::RsaPublicKey,
    from: i64,
    to: i64,
) -> Certificate {
    let der = x509::issue(
        &CertificateSpec {
            serial,
            subject: &[("C", "CN"), ("O", "Tenpay.com"), ("CN", "Tenpay.com sign")],
            issuer: &[
                ("C", "CN"),
                ("O", "Tenpay.com"),
                ("CN", "Tenpay.com Root CA"),
            ],
            not_before: Timestamp::from_unix(from).unwrap(),
            not_after: Timestamp::from_unix(to).unwrap(),
        },
        key,
        &platform_key(),
    )
    .unwrap();
    Certificate::from_der(&der).unwrap()
}

#[tokio::test]
async fn certificate_mode_picks_the_certificate_by_serial_during_a_rotation() {
    let old = platform_certificate(
        &[0x11, 0x22],
        &platform_public(),
        NOW - 86_400 * 300,
        NOW + 86_400,
    );
    let new = platform_certificate(
        &[0x33, 0x44],
        &platform_public(),
        NOW - 86_400,
        NOW + 86_400 * 365,
    );
    let keys = PlatformKeys::certificates(&[old.clone(), new.clone()]).unwrap();
    // Requests name the newest certificate valid now.
    assert_eq!(
        keys.serial_to_send(Timestamp::from_unix(NOW).unwrap()),
        "3344"
    );
    for serial in ["1122", "3344"] {
        let host = Arc::new(common::host());
        let client = wired(
            keys.clone(),
            Arc::new(emulator(serial, false)),
            Arc::clone(&host),
        );
        let refund = client.refund(&request("rot-1", 100)).await.unwrap();
        assert_eq!(refund.status, RefundStatus::Succeeded, "{serial}");
    }

    // Signed by a certificate we do not have: a 2xx that cannot be verified is an unknown
    // outcome — the refund was taken — never a rejection.
    let host = Arc::new(common::host());
    let client = wired(
        keys.clone(),
        Arc::new(emulator("5566", false)),
        Arc::clone(&host),
    );
    let error = client.refund(&request("rot-2", 100)).await.unwrap_err();
    assert!(unverified_unknown(&error), "{error}");
    assert!(error.to_string().contains("5566"), "{error}");
    assert_eq!(host.count_of(Counted::RefundApplied), 1);

    // The old certificate has expired: its signatures no longer verify.
    let expired = platform_certificate(&[0x77], &platform_public(), NOW - 86_400 * 400, NOW - 1);
    let keys = PlatformKeys::certificates(&[expired, new]).unwrap();
    let client = wired(
        keys,
        Arc::new(emulator("77", false)),
        Arc::new(common::host()),
    );
    let error = client.refund(&request("rot-3", 100)).await.unwrap_err();
    assert!(error.to_string().contains("not valid now"), "{error}");

    // Two certificates with one serial, or none, or a public-key id that is not one: refused.
    assert!(PlatformKeys::certificates(&[old.clone(), old]).is_err());
    assert!(PlatformKeys::certificates(&[]).is_err());
    assert!(PlatformKeys::public_key("5157F09E", platform_public()).is_err());
}

#[tokio::test]
async fn certificates_load_from_a_directory() {
    let dir = temp_dir("certs");
    let a = x509::issue(
        &CertificateSpec {
            serial: &[0x0A],
            subject: &[("CN", "a")],
            issuer: &[("CN", "a")],
            not_before: Timestamp::from_unix(NOW - 10).unwrap(),
            not_after: Timestamp::from_unix(NOW + 10).unwrap(),
        },
        &platform_public(),
        &platform_key(),
    )
    .unwrap();
    std::fs::write(dir.join("a.pem"), x509::to_pem(&a)).unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let keys = PlatformKeys::certificates_dir(&dir).unwrap();
    assert_eq!(keys.serials(), ["0A"]);
    std::fs::write(dir.join("bad.pem"), "not a certificate").unwrap();
    assert!(PlatformKeys::certificates_dir(&dir).is_err());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(PlatformKeys::certificates_dir(&dir).is_err());
}

#[tokio::test]
async fn answers_more_than_five_minutes_off_do_not_verify() {
    let host = Arc::new(common::host());
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    // The client's clock runs 301 s ahead of WeChat Pay's; the request's own timestamp is still
    // inside the emulator's window, so the refund is taken and only the answer is refused.
    let handler_host = Arc::clone(&host);
    let transport =
        MockTransport::with_handler(move |request| answer(&emulator, &handler_host, request));
    let client = client_at(public_key_mode(), transport, NOW + 301);
    let error = client.refund(&request("skew-1", 100)).await.unwrap_err();
    assert!(unverified_unknown(&error), "{error}");
    assert!(error.to_string().contains("5 minutes"), "{error}");

    // 299 s is inside the window.
    let host = Arc::new(common::host());
    let emulator = Arc::new(common::emulator(PUBLIC_KEY_ID, false));
    let transport = MockTransport::with_handler(move |request| answer(&emulator, &host, request));
    let client = client_at(public_key_mode(), transport, NOW + 299);
    client.refund(&request("skew-2", 100)).await.unwrap();
}

#[tokio::test]
async fn a_system_error_after_the_refund_was_taken_is_resent_under_the_same_id() {
    let host = Arc::new(common::host());
    let client = wired(
        public_key_mode(),
        Arc::new(emulator(PUBLIC_KEY_ID, true)),
        Arc::clone(&host),
    );
    let refund = client.refund(&request("se-1", 700)).await.unwrap();
    assert_eq!(refund.amount.minor, 700);
    assert_eq!(host.count_of(Counted::RefundApplied), 1, "refunded once");
    let requests = client.transport().requests();
    assert_eq!(requests.len(), 2);
    let bodies: Vec<&[u8]> = requests.iter().map(|r| r.body().as_ref()).collect();
    assert_eq!(bodies[0], bodies[1], "the same out_refund_no and amount");
    let nonces: Vec<String> = requests
        .iter()
        .map(|r| {
            authorization_fields(r.headers()["authorization"].to_str().unwrap())[1]
                .1
                .clone()
        })
        .collect();
    assert_ne!(
        nonces[0], nonces[1],
        "each attempt re-signed with a fresh nonce"
    );
}

#[tokio::test]
async fn system_errors_to_the_end_are_unknown_never_refused() {
    let answer = Scripted::json(500, r#"{"code":"SYSTEM_ERROR","message":"系统错误"}"#);
    let client = client(
        public_key_mode(),
        MockTransport::scripted([answer.clone(), answer.clone(), answer]),
    );
    let error = client.refund(&request("se-2", 700)).await.unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    assert_eq!(client.transport().request_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn frequency_limits_wait_at_least_a_second_then_resend_the_same_refund() {
    let host = Arc::new(common::host());
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let transport = MockTransport::with_handler(move |request| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            Scripted::json(429, r#"{"code":"FREQUENCY_LIMITED","message":"频率超限"}"#)
        } else {
            answer(&emulator, &host, request)
        }
    });
    let client = client(public_key_mode(), transport);
    let started = tokio::time::Instant::now();
    client.refund(&request("fl-1", 100)).await.unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refusals_are_refusals_when_nothing_was_applied() {
    let host = Arc::new(common::host());
    let client = wired(
        public_key_mode(),
        Arc::new(emulator(PUBLIC_KEY_ID, false)),
        Arc::clone(&host),
    );
    // More than is left of the payment.
    client.refund(&request("big-1", 6_000)).await.unwrap();
    let error = client.refund(&request("big-2", 5_000)).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, .. } if *code == "INVALID_REQUEST"),
        "{error}"
    );
    // A payment WeChat Pay does not know.
    let unknown = RefundRequest::builder(
        MerchantRefundId::new("x-1").unwrap(),
        Money::new(1, Currency::Cny),
    )
    .payment(PaymentRef::new("4200000000000000000000000999").unwrap())
    .total(Money::new(10_000, Currency::Cny))
    .build()
    .unwrap();
    let error = client.refund(&unknown).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, .. } if *code == "RESOURCE_NOT_EXISTS"),
        "{error}"
    );
    // 50 refunds, then no more.
    for i in 1..50 {
        client.refund(&request(&format!("p-{i}"), 1)).await.unwrap();
    }
    let error = client.refund(&request("p-50", 1)).await.unwrap_err();
    assert!(error.to_string().contains("50"), "{error}");
    assert_eq!(host.count_of(Counted::RefundApplied), 50);
    // By out_trade_no too.
    let by_order = RefundRequest::builder(
        MerchantRefundId::new("o-1").unwrap(),
        Money::new(1, Currency::Cny),
    )
    .order_ref(OrderRef::new(ORDER).unwrap())
    .total(Money::new(10_000, Currency::Cny))
    .build()
    .unwrap();
    let error = client.refund(&by_order).await.unwrap_err();
    assert!(error.to_string().contains("50"), "{error}");
}

#[tokio::test]
async fn an_unsigned_or_contradicting_success_is_unknown() {
    let unsigned = Scripted::json(
        200,
        r#"{"out_refund_no":"u-1","status":"SUCCESS","amount":{"refund":100,"total":10000,"currency":"CNY"}}"#,
    );
    let client = client(public_key_mode(), MockTransport::scripted([unsigned]));
    let error = client.refund(&request("u-1", 100)).await.unwrap_err();
    assert!(unverified_unknown(&error), "{error}");

    // Signed, but for another amount: never a success, never a refusal.
    let host = Arc::new(common::host());
    let client = wired(
        public_key_mode(),
        Arc::new(emulator(PUBLIC_KEY_ID, false)),
        Arc::clone(&host),
    );
    client.refund(&request("m-1", 100)).await.unwrap();
    let error = client.refund(&request("m-1", 200)).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error}");
    assert!(error.to_string().contains("amount.refund"), "{error}");
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let client = client(public_key_mode(), MockTransport::new());
    let cases = [
        RefundRequest::builder(
            MerchantRefundId::new("has space").unwrap(),
            Money::new(1, Currency::Cny),
        )
        .payment(PaymentRef::new(TRANSACTION).unwrap())
        .total(Money::new(10, Currency::Cny))
        .build()
        .unwrap(),
        RefundRequest::builder(
            MerchantRefundId::new("r").unwrap(),
            Money::new(1, Currency::Thb),
        )
        .payment(PaymentRef::new(TRANSACTION).unwrap())
        .total(Money::new(10, Currency::Thb))
        .build()
        .unwrap(),
        RefundRequest::builder(
            MerchantRefundId::new("r").unwrap(),
            Money::new(1, Currency::Cny),
        )
        .payment(PaymentRef::new(TRANSACTION).unwrap())
        .build()
        .unwrap(),
        RefundRequest::builder(
            MerchantRefundId::new("r").unwrap(),
            Money::new(1, Currency::Cny),
        )
        .total(Money::new(10, Currency::Cny))
        .build()
        .unwrap(),
        RefundRequest::builder(
            MerchantRefundId::new("r").unwrap(),
            Money::new(1, Currency::Cny),
        )
        .payment(PaymentRef::new("not-digits").unwrap())
        .total(Money::new(10, Currency::Cny))
        .build()
        .unwrap(),
    ];
    for case in &cases {
        let error = client.refund(case).await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    }
    assert!(client.query_refund("bad id").await.is_err());
    // Nothing was sent but, for the refund without a total, the look-up of the order's total
    // (tried again, then given up, as the unscripted transport fails it): no refund went out.
    let sent = client.transport().requests();
    assert!(
        sent.iter()
            .all(|r| r.method() == http::Method::GET
                && r.uri().path().contains("/pay/transactions/")),
        "{sent:?}"
    );
}

#[test]
fn the_published_aes_vector_decrypts_with_the_codec() {
    let codec = codec_at(BASE);
    // It decrypts (a wrong key or a tampered byte would be a Verification error); its
    // plaintext "message" is not a refund, which is what is reported.
    let error = codec
        .decrypt(
            "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
            "uluk4a9R25RW",
            "associatedData",
        )
        .unwrap_err();
    assert!(matches!(error, Error::MalformedResponse { .. }), "{error}");
    let error = codec
        .decrypt(
            "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwA=",
            "uluk4a9R25RW",
            "associatedData",
        )
        .unwrap_err();
    assert!(matches!(error, Error::Verification { .. }), "{error}");
    assert!(codec.decrypt("%%%", "uluk4a9R25RW", "").is_err());
    // The APIv3 key never shows.
    assert!(!format!("{codec:?}").contains("a7cde1"));
    let short = Codec::new(
        BASE,
        MCHID,
        MERCHANT_SERIAL,
        merchant_key(),
        public_key_mode(),
        &paybridge_sign::SecretString::new("too short"),
    )
    .unwrap_err();
    assert!(!short.to_string().contains("too short"), "{short}");
}

/// A refund answer that failed verification: the refund may have been applied (an unknown
/// outcome, never a refusal), and the error says the answer could not be trusted.
fn unverified_unknown(error: &Error) -> bool {
    matches!(error, Error::Verification { .. }) && error.may_have_applied()
}
