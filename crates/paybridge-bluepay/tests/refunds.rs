//! The unified refund over a scripted transport: every response-code class, the 21407 idempotent
//! path, integrity checks, the outcome-unknown path and its resolution, and validation that sends
//! nothing. Plus a round trip through BluePay's side of the protocol.
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
use paybridge_bluepay::emulator as server;
use paybridge_bluepay::wire::requests::RefundParam;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, PaymentRef, RefundLookup, RefundProvider,
    RefundRequest, RefundStatus, RejectionClass,
};
use paybridge_transport::test_util::{Failure, MockTransport, Scripted};
use proptest::prelude::*;

fn request(amount: i64) -> RefundRequest {
    RefundRequest::builder(
        MerchantRefundId::new("refund-1").unwrap(),
        Money::new(amount, Currency::Thb),
    )
    .payment(PaymentRef::new("CU518563189147832780").unwrap())
    .reason("customer asked")
    .build()
    .unwrap()
}

fn ok_refund(amount: i64, status: &str) -> Scripted {
    Scripted::json(
        200,
        format!(
            r#"{{"code":10000,"message":"Success","data":{{"mchRefundOrderId":"refund-1","refundTransactionId":"RT1","refundCreateTime":"2024-07-31 16:37:40","refundAmount":{amount},"refundStatus":"{status}"}}}}"#
        ),
    )
}

fn code(code: i64) -> Scripted {
    Scripted::json(
        200,
        format!(r#"{{"code":{code},"message":"refused {code}"}}"#),
    )
}

fn listing(amount: i64, payment: &str) -> Scripted {
    Scripted::json(
        200,
        format!(
            r#"{{"code":10000,"message":"Success","data":[{{"mchRefundOrderId":"other","originalTransactionId":"{payment}","refundTransactionId":"RT0","refundAmount":5,"refundStatus":"COMPLETE"}},{{"mchRefundOrderId":"refund-1","originalTransactionId":"{payment}","refundTransactionId":"RT1","refundAmount":{amount},"feeRefunded":0,"refundStatus":"COMPLETE","refundCreateTime":"2024-07-31 16:37:40","refundReturnTime":"2024-07-31 16:40:00"}}]}}"#
        ),
    )
}

#[tokio::test]
async fn a_successful_refund_is_mapped_and_checked() {
    let client = client(MockTransport::scripted([ok_refund(500, "PENDING")]));
    let refund = client.refund(&request(500)).await.unwrap();
    assert_eq!(refund.status, RefundStatus::Pending);
    assert_eq!(refund.provider_refund_id.as_deref(), Some("RT1"));
    assert_eq!(
        refund.created_at.unwrap().to_string(),
        "2024-07-31T16:37:40+07:00"
    );
    let param: serde_json::Value = {
        let sent = client_requests(&client);
        let envelope: serde_json::Value = serde_json::from_slice(sent[0].body()).unwrap();
        serde_json::from_str(envelope["param"].as_str().unwrap()).unwrap()
    };
    assert_eq!(param["mchRefundOrderId"], "refund-1");
    assert_eq!(
        param["refundCallbackUrl"],
        "https://merchant.test/bluepay/refunds"
    );
    assert_eq!(param["timestamp"], NOW);
}

fn client_requests(
    client: &paybridge_bluepay::BluePayClient<MockTransport>,
) -> Vec<http::Request<bytes::Bytes>> {
    client_transport(client).requests()
}

fn client_transport(client: &paybridge_bluepay::BluePayClient<MockTransport>) -> &MockTransport {
    client.transport()
}

#[tokio::test]
async fn unknown_statuses_stay_pending_and_amount_mismatches_are_caught() {
    let client = client(MockTransport::scripted([ok_refund(500, "SOMETHING_NEW")]));
    let refund = client.refund(&request(500)).await.unwrap();
    assert_eq!(
        (refund.status, refund.provider_status.as_deref()),
        (RefundStatus::Pending, Some("SOMETHING_NEW"))
    );

    let client = client_with(MockTransport::scripted([ok_refund(499, "PENDING")]));
    let err = client.refund(&request(500)).await.unwrap_err();
    // BluePay accepted a refund that does not match the request: it may hold money, so this is
    // an unknown outcome (naming the mismatch), never a refusal.
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown { reason, .. } if reason.contains("refundAmount")
        ),
        "{err}"
    );
}

fn client_with(t: MockTransport) -> paybridge_bluepay::BluePayClient<MockTransport> {
    client(t)
}

#[tokio::test]
async fn every_code_class_is_reported_as_such() {
    for (c, class) in [
        (21_001, RejectionClass::Authentication),
        (21_002, RejectionClass::CallerError),
        (21_402, RejectionClass::ProviderState),
        (21_015, RejectionClass::Duplicate),
    ] {
        let client = client(MockTransport::scripted([code(c)]));
        match client.refund(&request(500)).await.unwrap_err() {
            Error::Rejected {
                code,
                class: got,
                message,
                ..
            } => {
                assert_eq!((code.as_str(), got), (c.to_string().as_str(), class));
                assert_eq!(message, format!("refused {c}"));
            }
            other => panic!("{c}: {other:?}"),
        }
        assert_eq!(
            client_transport(&client).request_count(),
            1,
            "{c}: not retried"
        );
    }
}

#[tokio::test]
async fn retryable_codes_are_re_signed_with_a_fresh_timestamp_and_the_same_id() {
    let transport =
        MockTransport::scripted([code(21_020), code(21_009), ok_refund(500, "PENDING")]);
    let client = client(transport);
    client.refund(&request(500)).await.unwrap();
    let sent = client_transport(&client).requests();
    assert_eq!(sent.len(), 3);
    for r in &sent {
        let envelope: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert!(
            envelope["param"]
                .as_str()
                .unwrap()
                .contains(r#""mchRefundOrderId":"refund-1""#)
        );
    }
    // Still failing after the policy's attempts: the rejection is returned.
    let client = client_with(MockTransport::scripted([
        code(21_020),
        code(21_020),
        code(21_020),
    ]));
    assert!(matches!(
        client.refund(&request(500)).await.unwrap_err(),
        Error::Rejected {
            class: RejectionClass::Retryable,
            ..
        }
    ));
}

#[tokio::test]
async fn the_policy_s_attempts_bound_every_send_whatever_the_mix_of_failures() {
    // Lost answers, gateway errors and retryable rejections share one budget: three attempts
    // in all (fast_retry), not three per kind of failure.
    let script = [
        Scripted::status(503, "busy"),
        Scripted::Fail(Failure::WrittenThenLost),
        code(21_020),
    ];
    let client = client(MockTransport::scripted(
        script.iter().cycle().take(9).cloned(),
    ));
    let err = client.refund(&request(500)).await.unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { .. }),
        "a refusal after attempts that may have been applied proves nothing: {err}"
    );
    assert_eq!(client_transport(&client).request_count(), 3);
}

#[tokio::test]
async fn a_duplicate_refund_id_returns_the_existing_refund() {
    let client = client(MockTransport::scripted([
        code(21_407),
        listing(500, "CU518563189147832780"),
    ]));
    let refund = client.refund(&request(500)).await.unwrap();
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.provider_refund_id.as_deref(), Some("RT1"));
    let sent = client_transport(&client).requests();
    assert_eq!(sent[1].uri().path(), "/open-api/refund/payments");
}

#[tokio::test]
async fn a_duplicate_id_with_another_amount_or_nowhere_is_an_error_never_a_second_refund() {
    let client = client(MockTransport::scripted([
        code(21_407),
        listing(400, "CU518563189147832780"),
    ]));
    assert!(matches!(
        client.refund(&request(500)).await.unwrap_err(),
        Error::IntegrityMismatch {
            field: "refundAmount",
            ..
        }
    ));

    let client = client_with(MockTransport::scripted([
        code(21_407),
        Scripted::json(200, r#"{"code":10000,"message":"Success","data":[]}"#),
    ]));
    // The id holds a refund the payment's list does not show (yet): it may be ours, applied
    // by an earlier attempt and not listed yet — unknown, never a refusal.
    let err = client.refund(&request(500)).await.unwrap_err();
    assert!(
        matches!(&err, Error::OutcomeUnknown { reason, .. } if reason.contains("do not list it")),
        "{err}"
    );
    assert_eq!(
        client_transport(&client).request_count(),
        2,
        "no second refund was attempted"
    );
}

#[tokio::test]
async fn a_lost_answer_is_retried_with_the_same_id_then_resolved_by_21407() {
    // The first attempt was applied but its answer lost; the retry meets 21407 and looks it up.
    let client = client(MockTransport::scripted([
        Scripted::Fail(Failure::WrittenThenLost),
        code(21_407),
        listing(500, "CU518563189147832780"),
    ]));
    let refund = client.refund(&request(500)).await.unwrap();
    assert_eq!(refund.amount.minor, 500);
}

#[tokio::test]
async fn an_unknown_outcome_is_reported_as_unknown_and_resolved_by_refund_status() {
    let client = client(MockTransport::scripted([
        Scripted::Fail(Failure::ResponseTimeout),
        Scripted::Fail(Failure::ResponseTimeout),
        Scripted::Fail(Failure::ResponseTimeout),
    ]));
    let err = client.refund(&request(500)).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert!(err.outcome_unknown());

    let transport = client_transport(&client);
    transport.push(listing(500, "CU518563189147832780"));
    let refund = client
        .refund_status(&RefundLookup::from(&request(500)))
        .await
        .unwrap();
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(
        refund.completed_at.unwrap().to_string(),
        "2024-07-31T16:40:00+07:00"
    );

    transport.push(Scripted::json(
        200,
        r#"{"code":10000,"message":"Success","data":[]}"#,
    ));
    assert!(matches!(
        client
            .refund_status(&RefundLookup::from(&request(500)))
            .await
            .unwrap_err(),
        Error::RefundNotFound { .. }
    ));
}

#[tokio::test]
async fn unreadable_answers_to_a_refund_are_unknown_not_failures() {
    for answer in [
        Scripted::status(502, "<html><body>Bad Gateway</body></html>"),
        Scripted::status(200, ""),
        Scripted::status(200, "{\"code\":10000}"),
        Scripted::status(200, "{\"code\":10000,\"data\":{\"refundAmount\":\"many\"}}"),
    ] {
        let client = client(MockTransport::scripted([
            answer.clone(),
            answer.clone(),
            answer,
        ]));
        let err = client.refund(&request(500)).await.unwrap_err();
        assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    }
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let id = |s: &str| MerchantRefundId::new(s).unwrap();
    let cases: Vec<(RefundRequest, &str)> = vec![
        (
            RefundRequest::builder(id("r1"), Money::new(100, Currency::Jpy))
                .payment(PaymentRef::new("CU1").unwrap())
                .build()
                .unwrap(),
            "amount",
        ),
        (
            RefundRequest::builder(id("r1"), Money::new(100, Currency::Thb))
                .build()
                .unwrap(),
            "payment",
        ),
        (
            RefundRequest::builder(id(&"x".repeat(33)), Money::new(100, Currency::Thb))
                .payment(PaymentRef::new("CU1").unwrap())
                .build()
                .unwrap(),
            "refund_id",
        ),
    ];
    for (req, field) in cases {
        let client = client(MockTransport::new());
        match client.refund(&req).await.unwrap_err() {
            Error::InvalidRequest { field: f, .. } => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            client_transport(&client).request_count(),
            0,
            "{field}: nothing sent"
        );
    }
    let client = client(MockTransport::new());
    let param = RefundParam::new("CU1", "r1", 1, "ftp://nope");
    assert!(matches!(
        client.create_refund(param).await.unwrap_err(),
        Error::InvalidRequest { .. }
    ));
    assert_eq!(client_transport(&client).request_count(), 0);
}

#[tokio::test]
async fn balance_is_parsed_exactly() {
    let client = client(MockTransport::scripted([Scripted::json(
        200,
        r#"{"code":10000,"message":"Success","data":{"balance":"10000.05"}}"#,
    )]));
    assert_eq!(
        client.balance().await.unwrap(),
        Money::new(1_000_005, Currency::Thb)
    );
    let client = client_with(MockTransport::scripted([Scripted::json(
        200,
        r#"{"code":10000,"message":"Success","data":{"balance":"1.005"}}"#,
    )]));
    assert!(matches!(
        client.balance().await.unwrap_err(),
        Error::MalformedResponse { .. }
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any valid refund request survives the trip: built and signed here, verified and parsed on
    /// BluePay's side, every field equal.
    #[test]
    fn refund_requests_round_trip_through_the_server_side(
        payment in "[A-Z0-9]{1,32}",
        id in "[a-zA-Z0-9_-]{1,32}",
        amount in 1i64..=(1i64 << 53) - 1,
        reason in proptest::option::of("\\PC{0,40}"),
        path in "[a-z0-9/]{0,20}",
    ) {
        let param = {
            let mut value = RefundParam::new(payment, id, amount, format!("https://merchant.test/{path}"));
            value.refund_reason = reason;
            value
        };
        let codec = paybridge_bluepay::Codec::new(BASE, APP_ID, merchant_key(), platform_public()).unwrap();
        let request = codec.encode_at(&param, NOW).unwrap();
        let verified = server::verify_request(request.body(), &merchant_public()).unwrap();
        prop_assert_eq!(&verified.app_id, APP_ID);
        let parsed: RefundParam = serde_json::from_str(&verified.param).unwrap();
        prop_assert_eq!(parsed, param);
    }
}
