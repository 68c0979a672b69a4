//! Notifications signed by the `openssl` command verify and parse; any tampering, a wrong key, a
//! missing field or a `param` that is not JSON gives the matching typed error — never a panic.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

mod common;

use common::*;
use paybridge_bluepay::wire::notifications::BluePayNotification;
use paybridge_bluepay::{BluePayNotification as _Reexported, verify_notification};
use paybridge_core::{Error, NotificationEvent, RefundProvider, RefundStatus};
use paybridge_transport::test_util::MockTransport;

const REFUND_PARAM: &str = r#"{"eventName":"payment.refund.success","mchRefundOrderId":"refund488455057142","refundTransactionId":"1818566685947728","originalTransactionId":"CU518563189147832780","refundAmount":10000,"feeRefunded":0,"refundStatus":"COMPLETE","refundCreateTime":"2024-07-31 16:37:40","refundReturnTime":"2024-07-31 16:38:02","refundReason":"testRefund","newFieldFromTheFuture":{"x":1}}"#;

fn body(param: &str, sign: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"param": param, "sign": sign, "appId": APP_ID})).unwrap()
}

fn signed(param: &str) -> Vec<u8> {
    let sign = if openssl() {
        openssl_sign(&data("platform.pem"), param.as_bytes())
    } else {
        eprintln!("openssl missing: signing with paybridge-sign instead");
        platform_key().sign_base64(param.as_bytes()).unwrap()
    };
    body(param, &sign)
}

#[test]
fn an_openssl_signed_refund_notification_verifies_and_parses() {
    let notification = verify_notification(&platform_public(), &signed(REFUND_PARAM)).unwrap();
    let BluePayNotification::Refund(event) = &notification else {
        panic!("{notification:?}")
    };
    assert_eq!(event.refund_amount, Some(10_000));
    assert_eq!(
        event.mch_refund_order_id.as_deref(),
        Some("refund488455057142")
    );
    let unified = paybridge_bluepay::unified_notification(&notification).unwrap();
    let NotificationEvent::Refund { refund } = unified.event else {
        panic!()
    };
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.amount.minor, 10_000);
    assert_eq!(
        refund.completed_at.unwrap().to_string(),
        "2024-07-31T16:38:02+07:00"
    );
    assert_eq!(
        unified.event_name.as_deref(),
        Some("payment.refund.success")
    );
}

#[tokio::test]
async fn the_provider_verifies_raw_http_requests_and_acks_the_bluepay_way() {
    let client = client(MockTransport::new());
    let request = http::Request::post("/bluepay/refunds")
        .body(bytes::Bytes::from(signed(REFUND_PARAM)))
        .unwrap();
    let notification = client.verify_notification(&request).await.unwrap();
    assert_eq!(notification.provider, "bluepay");
    let ack = client.notification_ack();
    assert_eq!(ack.status(), 200);
    assert_eq!(
        ack.body().as_ref(),
        br#"{"code":10000,"message":"Success"}"#
    );
}

#[test]
fn every_event_kind_parses() {
    for (param, kind) in [
        (
            r#"{"eventName":"qrcode.payment.success","mchOrderId":"o1","transactionId":"T1","amount":100,"transactionStatus":"COMPLETED","channelCode":"THAI_QR"}"#,
            "qr",
        ),
        (
            r#"{"eventName":"order.payment.failed","mchOrderId":"o2","transactionId":"T2","amount":100,"transactionStatus":"FAILED"}"#,
            "webpay",
        ),
        (
            r#"{"eventName":"disbursement.success","mchOrderId":"o3","transactionId":"T3","amount":100,"transactionStatus":"COMPLETED","failedCode":-10004}"#,
            "payout",
        ),
        (r#"{"eventName":"something.new","x":1}"#, "other"),
    ] {
        let n = verify_notification(&platform_public(), &signed(param)).unwrap();
        let ok = matches!(
            (&n, kind),
            (BluePayNotification::QrPayment(_), "qr")
                | (BluePayNotification::WebPay(_), "webpay")
                | (BluePayNotification::Payout(_), "payout")
                | (BluePayNotification::Other { .. }, "other")
        );
        assert!(ok, "{kind}: {n:?}");
    }
}

fn kind(result: Result<_Reexported, Error>) -> &'static str {
    match result {
        Err(Error::Verification { .. }) => "verification",
        Err(Error::MalformedResponse { .. }) => "malformed",
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(n) => panic!("accepted a bad notification: {n:?}"),
    }
}

#[test]
fn a_flipped_byte_anywhere_in_param_is_refused() {
    let sign = platform_key().sign_base64(REFUND_PARAM.as_bytes()).unwrap();
    let bytes = REFUND_PARAM.as_bytes();
    for i in 0..bytes.len() {
        let mut tampered = bytes.to_vec();
        tampered[i] ^= 0x01;
        let Ok(text) = String::from_utf8(tampered) else {
            continue;
        };
        assert_eq!(
            kind(verify_notification(&platform_public(), &body(&text, &sign))),
            "verification",
            "byte {i}"
        );
    }
}

#[test]
fn a_flipped_bit_anywhere_in_sign_is_refused() {
    let raw = platform_key().sign(REFUND_PARAM.as_bytes()).unwrap();
    for i in 0..raw.len() {
        let mut tampered = raw.clone();
        tampered[i] ^= 0x80;
        let sign = paybridge_sign::base64_encode(&tampered);
        assert_eq!(
            kind(verify_notification(
                &platform_public(),
                &body(REFUND_PARAM, &sign)
            )),
            "verification",
            "byte {i}"
        );
    }
    let sign = platform_key().sign_base64(REFUND_PARAM.as_bytes()).unwrap();
    for bad in [&sign[..sign.len() - 4], "", "!!!!", &format!("{sign}AAAA")] {
        assert_eq!(
            kind(verify_notification(
                &platform_public(),
                &body(REFUND_PARAM, bad)
            )),
            "verification",
            "{bad:?}"
        );
    }
}

#[test]
fn the_wrong_key_is_refused() {
    // Signed by the merchant key, not BluePay's platform key.
    let sign = merchant_key().sign_base64(REFUND_PARAM.as_bytes()).unwrap();
    assert_eq!(
        kind(verify_notification(
            &platform_public(),
            &body(REFUND_PARAM, &sign)
        )),
        "verification"
    );
}

#[test]
fn malformed_notifications_get_typed_errors() {
    let pk = platform_public();
    assert_eq!(kind(verify_notification(&pk, b"not json")), "malformed");
    assert_eq!(kind(verify_notification(&pk, b"")), "malformed");
    assert_eq!(
        kind(verify_notification(&pk, br#"{"sign":"abc"}"#)),
        "malformed"
    );
    assert_eq!(
        kind(verify_notification(&pk, br#"{"param":"{}"}"#)),
        "malformed"
    );
    assert_eq!(
        kind(verify_notification(&pk, br#"{"param":123,"sign":"x"}"#)),
        "malformed"
    );
    // Signed, but param is not JSON / has no eventName / has a wrongly typed field.
    for param in [
        "not json at all",
        "{}",
        r#"{"eventName":"payment.refund.success","refundAmount":"ten"}"#,
    ] {
        assert_eq!(
            kind(verify_notification(&pk, &signed(param))),
            "malformed",
            "{param}"
        );
    }
    // Verified and parsed, but without what the unified model needs.
    let n = verify_notification(
        &pk,
        &signed(r#"{"eventName":"payment.refund.success","refundAmount":1}"#),
    )
    .unwrap();
    assert!(matches!(
        paybridge_bluepay::unified_notification(&n),
        Err(Error::MalformedResponse { .. })
    ));
}

#[test]
fn param_is_verified_as_received_not_re_serialized() {
    // Whitespace and key order a re-serializer would change: the signature covers these bytes.
    let param = "{ \"refundAmount\" : 1 ,\"eventName\":\"payment.refund.cancel\", \"mchRefundOrderId\":\"r1\"}";
    let n = verify_notification(&platform_public(), &signed(param)).unwrap();
    assert_eq!(n.event_name(), "payment.refund.cancel");
}
