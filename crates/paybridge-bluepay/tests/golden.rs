//! With a fixed key, clock and ids: the exact request bytes of every endpoint. The expected
//! `param` is written out by hand (canonical JSON), and the expected `sign` is produced by the
//! `openssl` command over it — so canonicalization and signing are each checked independently.
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
use paybridge_bluepay::Codec;
use paybridge_bluepay::wire::requests::*;
use serde_json::Value;

fn codec() -> Codec {
    Codec::new(BASE, APP_ID, merchant_key(), platform_public()).unwrap()
}

fn check<E: paybridge_core::Endpoint>(param: E, path: &str, expected_param: &str) {
    let request = codec().encode_at(&param, NOW).unwrap();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri().to_string(), format!("{BASE}{path}"));
    assert_eq!(request.headers()["content-type"], "application/json");
    let envelope: Value = serde_json::from_slice(request.body()).unwrap();
    assert_eq!(
        envelope["param"].as_str().unwrap(),
        expected_param,
        "{path}: param bytes"
    );
    if !openssl() {
        eprintln!("SKIPPED the openssl half: the openssl command is not installed");
        return;
    }
    let expected_sign = openssl_sign(&data("merchant.pem"), expected_param.as_bytes());
    let expected_body = serde_json::to_string(
        &serde_json::json!({"appId": APP_ID, "sign": expected_sign, "param": expected_param}),
    )
    .unwrap();
    // serde_json's map is sorted, our envelope keeps BluePay's order: compare as documents,
    // and the exact envelope text separately.
    assert_eq!(
        envelope,
        serde_json::from_str::<Value>(&expected_body).unwrap(),
        "{path}"
    );
    let exact = format!(
        r#"{{"appId":"{APP_ID}","sign":"{expected_sign}","param":{}}}"#,
        serde_json::to_string(expected_param).unwrap()
    );
    assert_eq!(
        std::str::from_utf8(request.body()).unwrap(),
        exact,
        "{path}: exact body"
    );
    assert!(openssl_verify(
        &data("merchant.pub.pem"),
        expected_param.as_bytes(),
        &expected_sign
    ));
}

#[test]
fn refund_matches_the_seed_fields_canonically() {
    check(
        {
            let mut value = RefundParam::new(
                "CU518563189147832780",
                "refund488455057142",
                10_000,
                "http://www.test.com",
            );
            value.refund_reason = Some("testRefund".into());
            value
        },
        "/open-api/payment/refund",
        r#"{"mchRefundOrderId":"refund488455057142","originalTransactionId":"CU518563189147832780","refundAmount":10000,"refundCallbackUrl":"http://www.test.com","refundReason":"testRefund","timestamp":1722415059}"#,
    );
}

#[test]
fn refund_payments() {
    check(
        {
            let mut value = RefundPaymentsParam::new();
            value.original_transaction_id = Some("CU518563189147832780".into());
            value
        },
        "/open-api/refund/payments",
        r#"{"originalTransactionId":"CU518563189147832780","timestamp":1722415059}"#,
    );
}

#[test]
fn qr_create_and_payment_list() {
    check(
        {
            let mut value = QrCreateParam::new(
                "TRUEMONEY_DYNAMIC_QR",
                "order-42",
                "https://merchant.test/qr",
            );
            value.amount = Some(12_345);
            value.customer_name = Some("สมชาย".into());
            value.mobile = Some("0812345678".into());
            value.remark = Some("say \"hi\"".into());
            value.expire_seconds = Some(600);
            value
        },
        "/open-api/qr/generate",
        r#"{"amount":12345,"channelCode":"TRUEMONEY_DYNAMIC_QR","customerName":"สมชาย","expireSeconds":600,"mchOrderId":"order-42","mobile":"0812345678","notifyUrl":"https://merchant.test/qr","remark":"say \"hi\"","timestamp":1722415059}"#,
    );
    check(
        QrPaymentListParam::new("order-42", "2024-07-01", "2024-07-31"),
        "/open-api/qr/paymentList",
        r#"{"endDate":"2024-07-31","mchOrderId":"order-42","startDate":"2024-07-01","timestamp":1722415059}"#,
    );
}

#[test]
fn webpay_create_and_detail() {
    check(
        {
            let mut value = WebPayCreateParam::new(
                "WECHAT_URL",
                "web-7",
                5_000,
                "https://merchant.test/webpay",
                "https://merchant.test/done",
                "Somchai",
                "s@example.test",
                "0912345678",
            );
            value.payer_client_ip = Some("203.0.113.9".into());
            value
        },
        "/open-api/webpay/generate",
        r#"{"amount":5000,"channelCode":"WECHAT_URL","customerName":"Somchai","email":"s@example.test","mchOrderId":"web-7","mobile":"0912345678","notifyUrl":"https://merchant.test/webpay","payerClientIp":"203.0.113.9","redirectUrl":"https://merchant.test/done","timestamp":1722415059}"#,
    );
    check(
        WebPayDetailParam::new("web-7"),
        "/open-api/webpay/detail",
        r#"{"mchOrderId":"web-7","timestamp":1722415059}"#,
    );
}

#[test]
fn payout_transfer_check_and_balance() {
    check(
        {
            let mut value =
                PayoutTransferParam::new("payout-1", "idem-1", 100_000, "PROMPTPAY", "0812345678");
            value.promptpay_account_type = Some("MSISDN".into());
            value.account_name = Some("Somchai J.".into());
            value.account_type = Some("INDIVIDUAL".into());
            value
        },
        "/open-api/disbursement/transfer",
        r#"{"accountName":"Somchai J.","accountNo":"0812345678","accountType":"INDIVIDUAL","amount":100000,"idempotencyId":"idem-1","mchOrderId":"payout-1","payMethodCode":"PROMPTPAY","promptpayAccountType":"MSISDN","timestamp":1722415059}"#,
    );
    check(
        PayoutCheckParam::new("payout-1"),
        "/open-api/disbursement/check",
        r#"{"mchOrderId":"payout-1","timestamp":1722415059}"#,
    );
    check(
        BalanceParam {},
        "/open-api/account/balance",
        r#"{"timestamp":1722415059}"#,
    );
}

#[test]
fn the_same_request_always_has_the_same_bytes() {
    let param = RefundParam::new("CU1", "r1", 1, "https://m.test/cb");
    assert_eq!(
        codec().encode_at(&param, NOW).unwrap().body(),
        codec().encode_at(&param, NOW).unwrap().body()
    );
}
