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
        RefundParam {
            original_transaction_id: "CU518563189147832780".into(),
            mch_refund_order_id: "refund488455057142".into(),
            refund_amount: 10_000,
            refund_reason: Some("testRefund".into()),
            refund_callback_url: "http://www.test.com".into(),
        },
        "/open-api/payment/refund",
        r#"{"mchRefundOrderId":"refund488455057142","originalTransactionId":"CU518563189147832780","refundAmount":10000,"refundCallbackUrl":"http://www.test.com","refundReason":"testRefund","timestamp":1722415059}"#,
    );
}

#[test]
fn refund_payments() {
    check(
        RefundPaymentsParam {
            original_transaction_id: Some("CU518563189147832780".into()),
            refund_transaction_id: None,
        },
        "/open-api/refund/payments",
        r#"{"originalTransactionId":"CU518563189147832780","timestamp":1722415059}"#,
    );
}

#[test]
fn qr_create_and_payment_list() {
    check(
        QrCreateParam {
            channel_code: "TRUEMONEY_DYNAMIC_QR".into(),
            mch_order_id: "order-42".into(),
            amount: Some(12_345),
            notify_url: "https://merchant.test/qr".into(),
            customer_name: Some("สมชาย".into()),
            email: None,
            mobile: Some("0812345678".into()),
            remark: Some("say \"hi\"".into()),
            expire_seconds: Some(600),
        },
        "/open-api/qr/generate",
        r#"{"amount":12345,"channelCode":"TRUEMONEY_DYNAMIC_QR","customerName":"สมชาย","expireSeconds":600,"mchOrderId":"order-42","mobile":"0812345678","notifyUrl":"https://merchant.test/qr","remark":"say \"hi\"","timestamp":1722415059}"#,
    );
    check(
        QrPaymentListParam {
            mch_order_id: "order-42".into(),
            start_date: "2024-07-01".into(),
            end_date: "2024-07-31".into(),
        },
        "/open-api/qr/paymentList",
        r#"{"endDate":"2024-07-31","mchOrderId":"order-42","startDate":"2024-07-01","timestamp":1722415059}"#,
    );
}

#[test]
fn webpay_create_and_detail() {
    check(
        WebPayCreateParam {
            channel_code: "WECHAT_URL".into(),
            mch_order_id: "web-7".into(),
            amount: 5_000,
            notify_url: "https://merchant.test/webpay".into(),
            redirect_url: "https://merchant.test/done".into(),
            customer_name: "Somchai".into(),
            email: "s@example.test".into(),
            mobile: "0912345678".into(),
            remark: None,
            expire_seconds: None,
            payer_client_ip: Some("203.0.113.9".into()),
            wp_openid: None,
            wp_appid: None,
        },
        "/open-api/webpay/generate",
        r#"{"amount":5000,"channelCode":"WECHAT_URL","customerName":"Somchai","email":"s@example.test","mchOrderId":"web-7","mobile":"0912345678","notifyUrl":"https://merchant.test/webpay","payerClientIp":"203.0.113.9","redirectUrl":"https://merchant.test/done","timestamp":1722415059}"#,
    );
    check(
        WebPayDetailParam {
            mch_order_id: "web-7".into(),
        },
        "/open-api/webpay/detail",
        r#"{"mchOrderId":"web-7","timestamp":1722415059}"#,
    );
}

#[test]
fn payout_transfer_check_and_balance() {
    check(
        PayoutTransferParam {
            mch_order_id: "payout-1".into(),
            idempotency_id: "idem-1".into(),
            amount: 100_000,
            pay_method_code: "PROMPTPAY".into(),
            transfer_code: None,
            promptpay_account_type: Some("MSISDN".into()),
            account_no: "0812345678".into(),
            account_name: Some("Somchai J.".into()),
            account_type: Some("INDIVIDUAL".into()),
            account_tax_id: None,
            mobile: None,
            relationship: None,
            remark: None,
        },
        "/open-api/disbursement/transfer",
        r#"{"accountName":"Somchai J.","accountNo":"0812345678","accountType":"INDIVIDUAL","amount":100000,"idempotencyId":"idem-1","mchOrderId":"payout-1","payMethodCode":"PROMPTPAY","promptpayAccountType":"MSISDN","timestamp":1722415059}"#,
    );
    check(
        PayoutCheckParam {
            mch_order_id: "payout-1".into(),
        },
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
    let param = RefundParam {
        original_transaction_id: "CU1".into(),
        mch_refund_order_id: "r1".into(),
        refund_amount: 1,
        refund_reason: None,
        refund_callback_url: "https://m.test/cb".into(),
    };
    assert_eq!(
        codec().encode_at(&param, NOW).unwrap().body(),
        codec().encode_at(&param, NOW).unwrap().body()
    );
}
