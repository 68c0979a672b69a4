//! The client against Alipay's side (the crate's emulator): the signed form, `fund_change`,
//! the pending window, refusals, honest outcomes, notifications, certificate mode, bad input.
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
use paybridge_alipay::emulator::CertificateSns;
use paybridge_alipay::{AlipayKeys, form_decode, sign_content};
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, NotificationEvent, OrderRef, PaymentRef, ProviderId,
    RefundLookup, RefundProvider, RefundRequest, RefundStatus, RejectionClass, Timestamp,
};
use paybridge_emulator::{Counted, Emulator};
use paybridge_sign::x509::{self, Certificate, CertificateSpec};
use paybridge_transport::test_util::{MockTransport, Scripted};

fn request(id: &str, amount: i64) -> RefundRequest {
    RefundRequest::builder(
        MerchantRefundId::new(id).unwrap(),
        Money::new(amount, Currency::Cny),
    )
    .payment(PaymentRef::new(TRADE).unwrap())
    .order_ref(OrderRef::new(ORDER).unwrap())
    .total(Money::new(10_000, Currency::Cny))
    .reason("customer asked")
    .build()
    .unwrap()
}

#[tokio::test]
async fn the_request_is_a_signed_form_with_the_method_in_the_query() {
    let client = client(MockTransport::scripted([Scripted::status(500, "")]));
    let _ = client.refund(&request("r-1", 1_234)).await;
    let sent = &client.transport().requests()[0];
    assert_eq!(sent.method(), http::Method::POST);
    assert_eq!(sent.uri().path(), "/gateway.do");
    assert_eq!(sent.uri().query(), Some("method=alipay.trade.refund"));
    assert_eq!(
        sent.headers()["content-type"],
        "application/x-www-form-urlencoded;charset=utf-8"
    );
    let mut params = form_decode(sent.body()).unwrap();
    params.push(("method".into(), "alipay.trade.refund".into()));
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("app_id").as_deref(), Some(APP_ID));
    assert_eq!(get("sign_type").as_deref(), Some("RSA2"));
    assert_eq!(get("charset").as_deref(), Some("utf-8"));
    assert_eq!(get("format").as_deref(), Some("JSON"));
    assert_eq!(get("version").as_deref(), Some("1.0"));
    // Beijing time: 1796300000 is 2026-12-03 20:13:20 there.
    assert_eq!(get("timestamp").as_deref(), Some("2026-12-03 20:13:20"));
    let biz: serde_json::Value = serde_json::from_str(&get("biz_content").unwrap()).unwrap();
    assert_eq!(
        biz["refund_amount"], "12.34",
        "fen written as an exact yuan string"
    );
    assert_eq!(
        biz["out_request_no"], "r-1",
        "always the merchant's refund id"
    );
    assert_eq!(biz["trade_no"], TRADE);
    let content = sign_content(
        params
            .iter()
            .filter(|(k, _)| k != "sign")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    app_public()
        .verify_base64(content.as_bytes(), &get("sign").unwrap())
        .unwrap();
}

#[tokio::test]
async fn a_refund_is_made_once_and_a_repeat_is_looked_up_never_counted_twice() {
    let host = Arc::new(host());
    let client = wired(
        AlipayKeys::public_key(alipay_public()),
        Arc::new(emulator(None, false)),
        Arc::clone(&host),
    );
    let refund = client.refund(&request("r-1", 2_500)).await.unwrap();
    assert_eq!(refund.amount, Money::new(2_500, Currency::Cny));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.provider_status.as_deref(), Some("fund_change Y"));
    // The same out_request_no again: Alipay moves no money (fund_change N); the refund is
    // looked up and returned as the one that exists.
    let again = client.refund(&request("r-1", 2_500)).await.unwrap();
    assert_eq!(again.provider_status.as_deref(), Some("REFUND_SUCCESS"));
    assert_eq!(again.amount, refund.amount);
    assert_eq!(host.count_of(Counted::RefundApplied), 1);
    assert_eq!(host.count_of(Counted::Resend), 1);
    // The same id for another amount is refused as a duplicate, nothing applied.
    let error = client.refund(&request("r-1", 300)).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, class: RejectionClass::Duplicate, .. } if *code == "ACQ.DISCORDANT_REPEAT_REQUEST"),
        "{error}"
    );
    // More than is left; a trade Alipay does not have.
    client.refund(&request("r-2", 7_000)).await.unwrap();
    let error = client.refund(&request("r-3", 1_000)).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, .. } if *code == "ACQ.REASON_TRADE_REFUND_FEE_ERR"),
        "{error}"
    );
    let unknown = RefundRequest::builder(
        MerchantRefundId::new("x").unwrap(),
        Money::new(1, Currency::Cny),
    )
    .payment(PaymentRef::new("2026000000000000000000009999").unwrap())
    .build()
    .unwrap();
    let error = client.refund(&unknown).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, .. } if *code == "ACQ.TRADE_NOT_EXIST"),
        "{error}"
    );
    let missing = client
        .refund_status(&RefundLookup::from(&unknown))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::RefundNotFound { .. }), "{missing}");
    // A trade that exists but shows no refund under the id: Alipay documents that as "no such
    // refund, or not yet accepted" — it proves neither.
    let mut never = RefundLookup::new(MerchantRefundId::new("never").unwrap());
    never.payment = Some(PaymentRef::new(TRADE).unwrap());
    assert!(matches!(
        client.refund_status(&never).await.unwrap_err(),
        Error::OutcomeUnknown { .. }
    ));
    assert_eq!(host.count_of(Counted::RefundApplied), 2);
}

#[tokio::test]
async fn in_the_pending_window_the_query_shows_nothing_and_a_repeat_is_unknown_not_new() {
    let host = Arc::new(host());
    host.at_once.store(false, Ordering::SeqCst);
    let client = wired(
        AlipayKeys::public_key(alipay_public()),
        Arc::new(emulator(None, false)),
        Arc::clone(&host),
    );
    client.refund(&request("p-1", 100)).await.unwrap();
    let lookup = RefundLookup::from(&request("p-1", 100));
    // The refund exists but is not settled: the query shows no refund_status, which is not
    // "not found".
    assert!(matches!(
        client.refund_status(&lookup).await.unwrap_err(),
        Error::OutcomeUnknown { .. }
    ));
    let error = client.refund(&request("p-1", 100)).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error}");
    assert!(error.to_string().contains("fund_change N"), "{error}");
    host.finish(ProviderId::Alipay, "p-1").unwrap();
    let settled = client.refund_status(&lookup).await.unwrap();
    assert_eq!(settled.status, RefundStatus::Succeeded);
    assert_eq!(host.count_of(Counted::RefundApplied), 1);
}

#[tokio::test]
async fn a_system_error_after_the_money_moved_is_resent_under_the_same_id() {
    let host = Arc::new(host());
    let client = wired(
        AlipayKeys::public_key(alipay_public()),
        Arc::new(emulator(None, true)),
        Arc::clone(&host),
    );
    let refund = client.refund(&request("se-1", 900)).await.unwrap();
    assert_eq!(refund.amount.minor, 900);
    assert_eq!(host.count_of(Counted::RefundApplied), 1, "refunded once");
    let requests = client.transport().requests();
    // The refund (answered ACQ.SYSTEM_ERROR), its resend (fund_change N), the look-up.
    assert_eq!(requests.len(), 3);
    let biz = |r: &http::Request<Bytes>| {
        form_decode(r.body())
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == "biz_content")
            .unwrap()
            .1
    };
    assert_eq!(
        biz(&requests[0]),
        biz(&requests[1]),
        "the same out_request_no and amount"
    );
}

#[tokio::test]
async fn replies_that_cannot_be_trusted_are_unknown_never_refused() {
    let host = Arc::new(host());
    let emulator = Arc::new(emulator(None, false));
    // One byte of the signed value changed in transit.
    let (tamper_host, tamper_emulator) = (Arc::clone(&host), Arc::clone(&emulator));
    let tampered = MockTransport::with_handler(move |request| {
        match answer(&tamper_emulator, &tamper_host, request) {
            Scripted::Respond {
                status,
                headers,
                body,
            } => {
                let text = String::from_utf8(body.to_vec())
                    .unwrap()
                    .replacen("25.00", "26.00", 1);
                Scripted::Respond {
                    status,
                    headers,
                    body: Bytes::from(text),
                }
            }
            other => other,
        }
    });
    let client = client(tampered);
    let error = client.refund(&request("t-1", 2_500)).await.unwrap_err();
    assert!(unverified_unknown(&error), "{error}");
    assert!(error.to_string().contains("sign"), "{error}");

    // An unsigned success; a 502 from a proxy.
    let unsigned = Scripted::json(
        200,
        r#"{"alipay_trade_refund_response":{"code":"10000","msg":"Success","fund_change":"Y","refund_fee":"1.00"}}"#,
    );
    let client = common::client(MockTransport::scripted([unsigned]));
    let error = client.refund(&request("t-2", 100)).await.unwrap_err();
    assert!(unverified_unknown(&error), "{error}");
    let bad_gateway = Scripted::status(502, "<html>bad gateway</html>");
    let client = common::client(MockTransport::scripted([
        bad_gateway.clone(),
        bad_gateway.clone(),
        bad_gateway,
    ]));
    let error = client.refund(&request("t-3", 100)).await.unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    // An unsigned refusal is read as it is (the official SDK does the same).
    let refused = Scripted::json(
        200,
        r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}}"#,
    );
    let client = common::client(MockTransport::scripted([refused]));
    let error = client.refund(&request("t-4", 100)).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Rejected {
                class: RejectionClass::CallerError,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn frequency_limits_wait_at_least_a_second() {
    let host = Arc::new(host());
    let emulator = Arc::new(emulator(None, false));
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let transport = MockTransport::with_handler(move |request| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            let body = emulator
                .reply(
                    "alipay.trade.refund",
                    &serde_json::json!({"code": "40005", "msg": "Call Limited", "sub_code": "aop.ACQ.FREQUENCY_EXCEEDED"}),
                )
                .unwrap();
            Scripted::json(200, body)
        } else {
            answer(&emulator, &host, request)
        }
    });
    let client = common::client(transport);
    let started = tokio::time::Instant::now();
    client.refund(&request("f-1", 100)).await.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_notification_verifies_and_its_refund_is_confirmed_by_a_query() {
    let host = Arc::new(host());
    let emulator = Arc::new(emulator(None, false));
    let client = wired(
        AlipayKeys::public_key(alipay_public()),
        Arc::clone(&emulator),
        Arc::clone(&host),
    );
    client.refund(&request("n-1", 4_000)).await.unwrap();
    let (payment, entry) = host.settled.lock().unwrap()[0].clone();
    let delivery = emulator
        .refund_notification(host.as_ref(), &payment, &entry)
        .unwrap();
    assert_eq!(delivery.url, "https://merchant.test/alipay/notify");
    let form = http::Request::post("/notify")
        .body(Bytes::from(delivery.body.clone()))
        .unwrap();
    let notification = client.verify_notification(&form).await.unwrap();
    assert_eq!(
        notification.event_name.as_deref(),
        Some("trade_status_sync")
    );
    let NotificationEvent::Refund { refund } = notification.event else {
        panic!("not a refund");
    };
    assert_eq!(refund.refund_id.as_str(), "n-1");
    assert_eq!(refund.amount.minor, 4_000);
    assert_eq!(refund.status, RefundStatus::Succeeded);
    let ack = client.notification_ack();
    assert_eq!(ack.body().as_ref(), b"success");

    // Changed in transit, or unsigned: refused.
    let text = String::from_utf8(delivery.body.clone()).unwrap();
    let tampered = text.replacen("refund_fee=40.00", "refund_fee=41.00", 1);
    assert_ne!(tampered, text);
    let form = http::Request::post("/notify")
        .body(Bytes::from(tampered))
        .unwrap();
    assert!(matches!(
        client.verify_notification(&form).await.unwrap_err(),
        Error::Verification { .. }
    ));
    let unsigned: String = text
        .split('&')
        .filter(|p| !p.starts_with("sign="))
        .collect::<Vec<_>>()
        .join("&");
    let form = http::Request::post("/notify")
        .body(Bytes::from(unsigned))
        .unwrap();
    assert!(matches!(
        client.verify_notification(&form).await.unwrap_err(),
        Error::Verification { .. }
    ));
}

fn cert(
    serial: &[u8],
    subject: &str,
    issuer: &str,
    key: &paybridge_sign::RsaPublicKey,
) -> Certificate {
    let der = x509::issue(
        &CertificateSpec {
            serial,
            subject: &[("C", "CN"), ("O", "Ant Financial"), ("CN", subject)],
            issuer: &[
                ("C", "CN"),
                ("O", "Ant Financial"),
                ("OU", "Certification Authority"),
                ("CN", issuer),
            ],
            not_before: Timestamp::from_unix(NOW - 86_400).unwrap(),
            not_after: Timestamp::from_unix(NOW + 86_400 * 365).unwrap(),
        },
        key,
        &alipay_key(),
    )
    .unwrap();
    Certificate::from_der(&der).unwrap()
}

#[tokio::test]
async fn certificate_mode_names_the_sns_and_checks_the_replys_certificate() {
    let app = cert(
        &[0x11; 8],
        APP_ID,
        "Ant Financial Certification Authority Class 1 R1",
        &app_public(),
    );
    let alipay = cert(
        &[0x22; 8],
        "支付宝(中国)网络技术有限公司",
        "Ant Financial Certification Authority Class 1 R1",
        &alipay_public(),
    );
    let root = Certificate::from_bytes(&std::fs::read(data("ant_root_rsa.pem")).unwrap()).unwrap();
    let ecc = Certificate::from_bytes(&std::fs::read(data("ant_root_ecc.pem")).unwrap()).unwrap();
    let keys = AlipayKeys::certificates(&app, &alipay, &[root.clone(), ecc.clone()]).unwrap();
    let (app_sn, root_sn) = keys.request_sns().unwrap();
    assert_eq!(app_sn, paybridge_alipay::cert_sn(&app));
    assert_eq!(
        root_sn,
        paybridge_alipay::cert_sn(&root),
        "the ECC root is left out"
    );
    assert_eq!(app_sn.len(), 32);
    let sns = CertificateSns {
        app_cert_sn: app_sn.to_owned(),
        alipay_root_cert_sn: root_sn.to_owned(),
        alipay_cert_sn: paybridge_alipay::cert_sn(&alipay),
    };
    let host = Arc::new(host());
    let client = wired(
        keys.clone(),
        Arc::new(emulator(Some(sns.clone()), false)),
        Arc::clone(&host),
    );
    client.refund(&request("c-1", 100)).await.unwrap();
    let sent = form_decode(client.transport().requests()[0].body()).unwrap();
    assert!(sent.iter().any(|(k, v)| k == "app_cert_sn" && v == app_sn));
    assert!(
        sent.iter()
            .any(|(k, v)| k == "alipay_root_cert_sn" && v == root_sn)
    );

    // Alipay rotated its certificate: a reply naming one the merchant does not hold.
    let rotated = CertificateSns {
        alipay_cert_sn: "0123456789abcdef0123456789abcdef".into(),
        ..sns.clone()
    };
    let client = wired(
        keys.clone(),
        Arc::new(emulator(Some(rotated), false)),
        Arc::new(common::host()),
    );
    let error = client.refund(&request("c-2", 100)).await.unwrap_err();
    assert!(
        unverified_unknown(&error) && error.to_string().contains("certificate"),
        "{error}"
    );

    // The app certificate Alipay holds is another: refused before anything applied.
    let other_app = CertificateSns {
        app_cert_sn: "ffffffffffffffffffffffffffffffff".into(),
        ..sns
    };
    let host = Arc::new(common::host());
    let client = wired(
        keys,
        Arc::new(emulator(Some(other_app), false)),
        Arc::clone(&host),
    );
    let error = client.refund(&request("c-3", 100)).await.unwrap_err();
    assert!(matches!(error, Error::Rejected { .. }), "{error}");
    assert_eq!(host.count_of(Counted::RefundApplied), 0);
    assert!(
        AlipayKeys::certificates(&app, &alipay, &[ecc]).is_err(),
        "no RSA root"
    );
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let client = client(MockTransport::new());
    let cases = [
        RefundRequest::builder(
            MerchantRefundId::new("r").unwrap(),
            Money::new(1, Currency::Thb),
        )
        .payment(PaymentRef::new(TRADE).unwrap())
        .build()
        .unwrap(),
        RefundRequest::builder(
            MerchantRefundId::new("r").unwrap(),
            Money::new(1, Currency::Cny),
        )
        .build()
        .unwrap(),
    ];
    for case in &cases {
        let error = client.refund(case).await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    }
    let error = client
        .refund_status(&RefundLookup::new(MerchantRefundId::new("r").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    let garbage = http::Request::post("/notify")
        .body(Bytes::from_static(b"%%%"))
        .unwrap();
    assert!(client.verify_notification(&garbage).await.is_err());
    assert_eq!(client.transport().request_count(), 0);
    assert!(!format!("{client:?}").contains("MII"), "no key in Debug");
}

/// A notification as Alipay would sign it in `charset`: the sorted text of the non-empty
/// parameters, encoded in that charset, signed; the form's bytes `%`-escaped.
fn signed_form(params: &[(&str, &str)], charset: &'static encoding_rs::Encoding) -> Vec<u8> {
    let mut signed: Vec<&(&str, &str)> = params.iter().filter(|(_, v)| !v.is_empty()).collect();
    signed.sort_by(|a, b| a.0.cmp(b.0));
    let content = signed
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let (bytes, _, unmappable) = charset.encode(&content);
    assert!(!unmappable);
    let sign = common::alipay_key().sign_base64(&bytes).unwrap();
    let escape = |text: &str| {
        let (bytes, _, _) = charset.encode(text);
        bytes
            .iter()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (*b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let mut form: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    form.push(format!("sign_type=RSA2&sign={}", escape(&sign)));
    form.join("&").into_bytes()
}

fn trade_params<'a>(charset: &'a str, subject: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("notify_time", "2026-12-07 10:00:00"),
        ("notify_type", "trade_status_sync"),
        ("notify_id", "ac05099524730693a8b330c5ecf72da9001"),
        ("app_id", "2014072300007148"),
        ("charset", charset),
        ("version", "1.0"),
        ("trade_no", "2026120722001"),
        ("out_trade_no", "order-1"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "100.00"),
        ("subject", subject),
        ("buyer_logon_id", ""),
    ]
}

async fn verify(
    body: Vec<u8>,
    content_type: Option<&str>,
) -> Result<paybridge_core::Notification, Error> {
    let client = common::client(MockTransport::new());
    let mut request = http::Request::post("/notify");
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    client
        .verify_notification(&request.body(Bytes::from(body)).unwrap())
        .await
}

#[tokio::test]
async fn a_notification_is_read_from_exactly_what_was_verified() {
    let genuine = signed_form(&trade_params("utf-8", "沙箱"), encoding_rs::UTF_8);
    let mut refunded = trade_params("utf-8", "沙箱");
    refunded.push(("refund_fee", "40.00"));
    let genuine_refund = signed_form(&refunded, encoding_rs::UTF_8);
    let notification = verify(genuine.clone(), None).await.unwrap();
    let NotificationEvent::Payment { payment } = &notification.event else {
        panic!("not a payment: {notification:?}");
    };
    assert_eq!(payment.payment.as_deref(), Some("2026120722001"));
    assert_eq!(payment.status, paybridge_core::PaymentStatus::Succeeded);
    // An empty copy in front of a genuine parameter is not signed, but would be read first:
    // the form is refused, whatever its signature.
    for prefix in [
        "refund_fee=&",
        "trade_status=&",
        "trade_no=&out_trade_no=&",
        "sign=&",
    ] {
        let mut forged = prefix.as_bytes().to_vec();
        forged.extend_from_slice(&genuine_refund);
        let error = verify(forged, None).await.unwrap_err();
        assert!(
            matches!(&error, Error::Verification { reason, .. } if reason.contains("twice")),
            "{prefix}: {error}"
        );
    }
    let mut repeated = genuine.clone();
    repeated.extend_from_slice(b"&trade_status=TRADE_CLOSED");
    assert!(verify(repeated, None).await.is_err());
    // An empty parameter on its own is what the signature says it is: absent.
    let mut empty = genuine.clone();
    empty.extend_from_slice(b"&refund_fee=");
    let notification = verify(empty, None).await.unwrap();
    let NotificationEvent::Payment { payment } = &notification.event else {
        panic!("not a payment");
    };
    assert_eq!(
        payment.status,
        paybridge_core::PaymentStatus::Succeeded,
        "refund_fee= is absent"
    );
    // Another app's notification, or a return_url's parameters, are not this app's news.
    let mut other = trade_params("utf-8", "x");
    other[3] = ("app_id", "2014072300000000");
    assert!(matches!(
        verify(signed_form(&other, encoding_rs::UTF_8), None)
            .await
            .unwrap_err(),
        Error::Verification { .. }
    ));
    let mut no_type = trade_params("utf-8", "x");
    no_type.remove(1);
    assert!(
        verify(signed_form(&no_type, encoding_rs::UTF_8), None)
            .await
            .is_err()
    );
    // An id holding `&` or `=` could stand for a boundary that was never sent.
    let mut hidden = trade_params("utf-8", "x");
    hidden[6] = ("trade_no", "2026&trade_status=TRADE_SUCCESS");
    hidden.remove(8);
    assert!(
        verify(signed_form(&hidden, encoding_rs::UTF_8), None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn notifications_in_gbk_and_gb2312_verify_over_their_own_bytes() {
    for (name, content_type) in [
        ("gbk", None),
        (
            "gb2312",
            Some("application/x-www-form-urlencoded; charset=GB2312"),
        ),
        (
            "utf-8",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
        ),
    ] {
        let encoding = if name == "utf-8" {
            encoding_rs::UTF_8
        } else {
            encoding_rs::GBK
        };
        let body = signed_form(&trade_params(name, "支付宝沙箱 测试"), encoding);
        let notification = verify(body.clone(), content_type).await.unwrap();
        assert_eq!(
            notification.event_name.as_deref(),
            Some("trade_status_sync"),
            "{name}"
        );
        // A byte changed in transit fails, in every charset.
        let text = String::from_utf8(body).unwrap();
        let tampered = text.replacen("100.00", "100.01", 1);
        assert!(
            verify(tampered.into_bytes(), content_type).await.is_err(),
            "{name}"
        );
    }
    // The form and its Content-Type disagreeing is refused, not guessed.
    let body = signed_form(&trade_params("gbk", "测试"), encoding_rs::GBK);
    let error = verify(
        body,
        Some("application/x-www-form-urlencoded; charset=utf-8"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::MalformedResponse { .. }), "{error}");
    // GBK bytes read as UTF-8 (no charset named anywhere) are refused, not mangled.
    let body = signed_form(&trade_params("", "测试"), encoding_rs::GBK);
    assert!(verify(body, None).await.is_err());
}

/// A refund answer that failed verification: the refund may have been applied (an unknown
/// outcome, never a refusal), and the error says the answer could not be trusted.
fn unverified_unknown(error: &Error) -> bool {
    matches!(error, Error::Verification { .. }) && error.may_have_applied()
}
