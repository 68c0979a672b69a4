//! Golden requests for every call, every response shape, the unified provider, and the API key
//! kept out of every Debug output, log line and error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, NotificationEvent, OrderRef, PaymentRef,
    RefundLookup, RefundProvider, RefundRequest, RefundStatus, RejectionClass,
};
use paybridge_nomad::wire::requests::{
    ClosePayment, CreatePaymentRequest, CreateRefundRequest, Product, QueryPayment, QueryRefund,
};
use paybridge_nomad::wire::responses::{QueryPaymentResponse, RefundResponse};
use paybridge_nomad::{Codec, NomadClient, NomadConfig, Operation, decode_response};
use paybridge_sign::SecretString;
use paybridge_transport::test_util::{Failure, MockTransport, Scripted};
use paybridge_transport::{NoJitter, RetryPolicy};

const KEY: &str = "nmd_live_Zk3pQ9sEcretValue";
const BASE: &str = "https://nomad.samarkand-global.cn/broker/v1";

fn codec() -> Codec {
    Codec::new(BASE, "wechat.sh_smk", SecretString::new(KEY)).unwrap()
}

fn config(base: &str) -> NomadConfig {
    let mut config = NomadConfig::new(base, "wechat.sh_smk", SecretString::new(KEY));
    config.payment_method = Some("wechatpay".into());
    config.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        jitter: Arc::new(NoJitter),
        ..RetryPolicy::default()
    };
    config
}

fn client(script: impl IntoIterator<Item = Scripted>) -> NomadClient<MockTransport> {
    NomadClient::new(config(BASE), MockTransport::scripted(script)).unwrap()
}

fn seed_refund() -> CreateRefundRequest {
    {
        let mut value = CreateRefundRequest::new("test20220125001", "r001test20220125001", 10, 10);
        value.payment_method = Some("wechatpay".into());
        value.transaction_id = Some("4200001148202111020556019250".into());
        value.reason = Some("商品已售完".into());
        value.currency = Some("CNY".into());
        value.notify_url = Some("https://www.weixin.qq.com".into());
        value.refund_account = Some("REFUND_SOURCE_SUB_MERCHANT".into());
        value.funds_account = Some("string".into());
        value
    }
}

fn check_headers(request: &http::Request<Bytes>, has_body: bool) {
    assert_eq!(request.headers()["app-api-key"], KEY);
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(request.headers().get("content-type").is_some(), has_body);
}

// ---- golden requests ----

#[test]
fn create_refund_golden() {
    let request = codec().encode_call(&seed_refund()).unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri().to_string(),
        format!("{BASE}/refund/wechat.sh_smk")
    );
    check_headers(&request, true);
    assert_eq!(
        std::str::from_utf8(request.body()).unwrap(),
        r#"{"paymentMethod":"wechatpay","transactionId":"4200001148202111020556019250","orderRef":"test20220125001","refundOrderRef":"r001test20220125001","reason":"商品已售完","refundAmount":10,"totalAmount":10,"currency":"CNY","notifyUrl":"https://www.weixin.qq.com","refundAccount":"REFUND_SOURCE_SUB_MERCHANT","fundsAccount":"string"}"#
    );
    let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    assert!(
        body["refundAmount"].is_i64() && body["totalAmount"].is_i64(),
        "amounts are JSON integers"
    );
}

#[test]
fn query_refund_golden_with_encoding() {
    let request = codec()
        .encode_call(&{
            let mut value = QueryRefund::new("r 1/2");
            value.order_ref = Some("o&1".into());
            value.payment_method = Some("alipay".into());
            value
        })
        .unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(
        request.uri().to_string(),
        format!(
            "{BASE}/refund/wechat.sh_smk?refund_order_ref=r%201%2F2&order_ref=o%261&payment_method=alipay"
        )
    );
    check_headers(&request, false);
    assert!(request.body().is_empty());
}

#[test]
fn merchant_is_percent_encoded_as_one_segment() {
    let codec = Codec::new(BASE, "merchant/with space", SecretString::new(KEY)).unwrap();
    let request = codec.encode_call(&seed_refund()).unwrap();
    assert_eq!(
        request.uri().path(),
        "/broker/v1/refund/merchant%2Fwith%20space"
    );
}

#[test]
fn payment_calls_golden() {
    let create = codec()
        .encode_call(&{
            let mut value = CreatePaymentRequest::new("alipay", "NATIVE", "o-1", 1999, "GBP");
            value.profit_sharing = Some(false);
            value.products = Some(vec![Product {
                name: Some("Tea".into()),
                quantity: Some(2),
                price: Some(999),
            }]);
            value.description = Some("tea".into());
            value.notify_url = Some("https://m.test/n".into());
            value
        })
        .unwrap();
    assert_eq!(
        (create.method().as_str(), create.uri().path()),
        ("POST", "/broker/v1/payment/wechat.sh_smk")
    );
    check_headers(&create, true);
    assert_eq!(
        std::str::from_utf8(create.body()).unwrap(),
        r#"{"paymentMethod":"alipay","paymentType":"NATIVE","orderRef":"o-1","actualAmount":1999,"currency":"GBP","profitSharing":false,"products":[{"name":"Tea","quantity":2,"price":999}],"description":"tea","notifyUrl":"https://m.test/n"}"#
    );
    let query = codec()
        .encode_call(&{
            let mut value = QueryPayment::new();
            value.order_ref = Some("o-1".into());
            value
        })
        .unwrap();
    assert_eq!(
        (query.method().as_str(), query.uri().to_string()),
        ("GET", format!("{BASE}/payment/wechat.sh_smk?order_ref=o-1"))
    );
    check_headers(&query, false);
    let close = codec()
        .encode_call(&{
            let mut value = ClosePayment::new("o-1");
            value.payment_method = Some("wechatpay".into());
            value
        })
        .unwrap();
    assert_eq!(
        (close.method().as_str(), close.uri().to_string()),
        (
            "POST",
            format!("{BASE}/payment/close/wechat.sh_smk/o-1?payment_method=wechatpay")
        )
    );
    check_headers(&close, false);
}

// ---- responses ----

const SEED_200: &str = r#"{"code":200,"message":"success","refundId":"refund_id_payment_company","orderRef":"test20220125001","refundOrderRef":"r001test20220125001","transactionId":"4200001148202111020556019250","channel":"ORIGINAL","userReceivedAccount":"0403**","createTime":"2021-11-02T17:03:38+08:00","successTime":"2021-11-02T17:03:38+08:00","status":"SUCCESS","refundAmount":10,"totalAmount":10,"payerRefund":10,"payerTotal":10,"settlementAmount":10,"settlementTotal":10,"discountRefundAmount":10,"currency":"CNY","refundAccount":"REFUND_SOURCE_SUB_MERCHANT","fundsAccount":"string"}"#;

#[test]
fn the_seed_response_parses_and_amounts_may_be_written_as_decimals() {
    let r: RefundResponse =
        decode_response(http::StatusCode::OK, SEED_200.as_bytes(), Operation::Create).unwrap();
    assert_eq!(
        (r.refund_amount, r.status.as_deref()),
        (Some(10), Some("SUCCESS"))
    );
    let r: RefundResponse = decode_response(
        http::StatusCode::OK,
        br#"{"refundAmount":10.0,"totalAmount":1e2,"status":null}"#,
        Operation::Read,
    )
    .unwrap();
    assert_eq!(
        (r.refund_amount, r.total_amount, r.status),
        (Some(10), Some(100), None)
    );
    assert!(
        decode_response::<RefundResponse>(
            http::StatusCode::OK,
            br#"{"refundAmount":10.5}"#,
            Operation::Read
        )
        .is_err()
    );
    let q: QueryPaymentResponse = decode_response(
        http::StatusCode::OK,
        br#"{"Timing":"2021-11-02T17:03:38+08:00","tradeState":"SUCCESS","actualAmount":100}"#,
        Operation::Read,
    )
    .unwrap();
    assert_eq!(q.timing.as_deref(), Some("2021-11-02T17:03:38+08:00"));
}

#[test]
fn every_status_value_maps() {
    for (raw, status) in [
        ("SUCCESS", RefundStatus::Succeeded),
        ("CLOSE", RefundStatus::Failed),
        ("CLOSED", RefundStatus::Failed),
        ("PROCESSING", RefundStatus::Pending),
        ("ABNORMAL", RefundStatus::RequiresAttention),
        ("SOMETHING_NEW", RefundStatus::Pending),
    ] {
        assert_eq!(paybridge_nomad::refund_status(raw), status, "{raw}");
    }
}

fn rejection(status: u16, body: &str, operation: Operation) -> Error {
    decode_response::<RefundResponse>(
        http::StatusCode::from_u16(status).unwrap(),
        body.as_bytes(),
        operation,
    )
    .unwrap_err()
}

#[test]
fn every_error_shape_is_typed_and_keeps_the_detail() {
    let cases = [
        (
            401,
            r#"{"code":200,"message":"success"}"#,
            RejectionClass::Authentication,
            "success",
        ),
        (
            401,
            r#"{"errors":"Not Authenticated"}"#,
            RejectionClass::Authentication,
            "Not Authenticated",
        ),
        (
            422,
            r#"{"field":"refundAmount","msg":"must be positive"}"#,
            RejectionClass::CallerError,
            "refundAmount: must be positive",
        ),
        (
            422,
            r#"{"code":422,"message":"Request validation failure","errors":[{"loc":["body","orderRef"]}]}"#,
            RejectionClass::CallerError,
            "orderRef",
        ),
        (
            500,
            r#"{"code":200,"message":"success","errors":"Something wrong when making the service."}"#,
            RejectionClass::Retryable,
            "Something wrong",
        ),
        (404, "", RejectionClass::CallerError, "no body"),
    ];
    for (status, body, class, needle) in cases {
        match rejection(status, body, Operation::Read) {
            Error::Rejected {
                code,
                class: got,
                message,
                ..
            } => {
                assert_eq!(
                    (code.as_str(), got),
                    (status.to_string().as_str(), class),
                    "{body}"
                );
                assert!(message.contains(needle), "{message:?} lacks {needle:?}");
            }
            other => panic!("{status} {body}: {other:?}"),
        }
    }
}

#[test]
fn not_json_html_502_and_empty_200_are_typed_not_panics() {
    assert!(matches!(
        rejection(200, "", Operation::Read),
        Error::MalformedResponse { .. }
    ));
    assert!(matches!(
        rejection(200, "   ", Operation::Read),
        Error::MalformedResponse { .. }
    ));
    assert!(matches!(
        rejection(200, "<html>oops</html>", Operation::Read),
        Error::MalformedResponse { .. }
    ));
    assert!(matches!(
        rejection(200, r#"{"refundAmount":"ten"}"#, Operation::Read),
        Error::MalformedResponse { .. }
    ));
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    assert!(matches!(
        rejection(502, html, Operation::Create),
        Error::OutcomeUnknown { .. }
    ));
    match rejection(502, html, Operation::Read) {
        Error::Rejected {
            class: RejectionClass::Retryable,
            message,
            ..
        } => assert!(message.contains("502 Bad Gateway")),
        other => panic!("{other:?}"),
    }
}

// ---- the unified provider ----

fn request(amount: i64) -> RefundRequest {
    RefundRequest::builder(
        MerchantRefundId::new("r001test20220125001").unwrap(),
        Money::new(amount, Currency::Cny),
    )
    .order_ref(OrderRef::new("test20220125001").unwrap())
    .total(Money::new(10, Currency::Cny))
    .payment(PaymentRef::new("4200001148202111020556019250").unwrap())
    .build()
    .unwrap()
}

#[tokio::test]
async fn a_refund_succeeds_and_is_checked() {
    let c = client([Scripted::json(200, SEED_200)]);
    let refund = c.refund(&request(10)).await.unwrap();
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(
        refund.completed_at.unwrap().to_string(),
        "2021-11-02T17:03:38+08:00"
    );
    let sent: serde_json::Value =
        serde_json::from_slice(c.transport().requests()[0].body()).unwrap();
    assert_eq!(
        (sent["refundOrderRef"].as_str(), sent["currency"].as_str()),
        (Some("r001test20220125001"), Some("CNY"))
    );

    let c = client([Scripted::json(
        200,
        SEED_200.replace(r#""refundAmount":10"#, r#""refundAmount":9"#),
    )]);
    // The broker accepted a refund that does not match: unknown (naming the field), never
    // a refusal.
    assert!(matches!(
        c.refund(&request(10)).await.unwrap_err(),
        Error::OutcomeUnknown { reason, .. } if reason.contains("refundAmount")
    ));
}

#[tokio::test]
async fn missing_total_order_ref_or_wrong_currency_name_the_field_and_send_nothing() {
    let id = || MerchantRefundId::new("r1").unwrap();
    let cny = |m| Money::new(m, Currency::Cny);
    // Without a total, the payment is looked up for it; a look-up that fails names the field
    // and no refund is sent (only the look-up went out).
    let c = client([]);
    let no_total = RefundRequest::builder(id(), cny(5))
        .order_ref(OrderRef::new("o").unwrap())
        .build()
        .unwrap();
    match c.refund(&no_total).await.unwrap_err() {
        Error::InvalidRequest { field, .. } => assert_eq!(field, "total"),
        other => panic!("{other:?}"),
    }
    assert!(
        c.transport()
            .requests()
            .iter()
            .all(|r| r.method() == http::Method::GET)
    );
    let cases = [
        (
            RefundRequest::builder(id(), cny(5))
                .total(cny(10))
                .build()
                .unwrap(),
            "order_ref",
        ),
        (
            RefundRequest::builder(id(), Money::new(5, Currency::Hkd))
                .build()
                .unwrap(),
            "currency",
        ),
    ];
    for (req, field) in cases {
        let c = client([]);
        match c.refund(&req).await.unwrap_err() {
            Error::InvalidRequest { field: f, reason } => assert_eq!(f, field, "{reason}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.transport().request_count(), 0);
    }
    let c = client([]);
    let mut body = seed_refund();
    body.refund_amount = 11;
    assert!(matches!(
        c.create_refund(&body).await.unwrap_err(),
        Error::InvalidRequest { .. }
    ));
    assert_eq!(c.transport().request_count(), 0);
}

#[tokio::test]
async fn without_a_total_the_refund_reads_it_from_the_payment() {
    let c = client([
        Scripted::json(
            200,
            r#"{"orderRef":"test20220125001","currency":"CNY","actualAmount":10,"tradeState":"SUCCESS","transactionId":"4200001148202111020556019250"}"#,
        ),
        Scripted::json(200, SEED_200),
    ]);
    let request = RefundRequest::builder(
        MerchantRefundId::new("r001test20220125001").unwrap(),
        Money::new(10, Currency::Cny),
    )
    .order_ref(OrderRef::new("test20220125001").unwrap())
    .build()
    .unwrap();
    let refund = c.refund(&request).await.unwrap();
    assert_eq!(refund.amount, Money::new(10, Currency::Cny));
    let sent = c.transport().requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method(), http::Method::GET);
    let body: serde_json::Value = serde_json::from_slice(sent[1].body()).unwrap();
    assert_eq!(body["totalAmount"], 10);
}

#[tokio::test]
async fn a_5xx_or_lost_answer_is_unknown_and_resolved_by_query() {
    let c = client([
        Scripted::status(500, r#"{"errors":"Something wrong"}"#),
        Scripted::Fail(Failure::ResponseTimeout),
        Scripted::Fail(Failure::WrittenThenLost),
    ]);
    let err = c.refund(&request(10)).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    let sent = c.transport().requests();
    let ids: Vec<String> = sent
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(r.body()).unwrap()["refundOrderRef"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        ids.iter().all(|id| id == "r001test20220125001"),
        "every retry reuses the refund number: {ids:?}"
    );

    c.transport().push(Scripted::json(200, SEED_200));
    let refund = c
        .refund_status(&RefundLookup::from(&request(10)))
        .await
        .unwrap();
    assert_eq!(refund.status, RefundStatus::Succeeded);
    let query = c.transport().requests().pop().unwrap();
    assert_eq!(
        query.uri().query(),
        Some(
            "refund_order_ref=r001test20220125001&order_ref=test20220125001&payment_method=wechatpay"
        )
    );

    c.transport().push(Scripted::json(
        404,
        r#"{"code":404,"message":"refund not found"}"#,
    ));
    assert!(matches!(
        c.refund_status(&RefundLookup::from(&request(10)))
            .await
            .unwrap_err(),
        Error::RefundNotFound { .. }
    ));
}

#[tokio::test]
async fn a_notification_is_only_a_hint_confirmed_by_a_query() {
    // The body claims success; the broker, asked, says the refund is still processing.
    let c = client([Scripted::json(
        200,
        SEED_200.replace("SUCCESS", "PROCESSING"),
    )]);
    let hint = http::Request::post("/nomad/notify")
        .body(Bytes::from_static(br#"{"refundOrderRef":"r001test20220125001","orderRef":"test20220125001","status":"SUCCESS","refundAmount":99999}"#))
        .unwrap();
    let n = c.verify_notification(&hint).await.unwrap();
    let NotificationEvent::Refund { refund } = n.event else {
        panic!()
    };
    assert_eq!(
        (refund.status, refund.amount.minor),
        (RefundStatus::Pending, 10),
        "the body's claims are ignored"
    );
    assert_eq!(c.transport().request_count(), 1, "one query was made");
    for bad in [&b"not json"[..], b"{}", br#"{"refundOrderRef":""}"#] {
        let c = client([]);
        let req = http::Request::post("/")
            .body(Bytes::from_static(bad))
            .unwrap();
        assert!(matches!(
            c.verify_notification(&req).await.unwrap_err(),
            Error::MalformedResponse { .. }
        ));
        assert_eq!(c.transport().request_count(), 0);
    }
    assert_eq!(client([]).notification_ack().status(), 200);
}

// ---- the API key stays secret ----

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_api_key_appears_in_no_debug_output_log_line_or_error() {
    assert!(!format!("{:?}", config(BASE)).contains(KEY));
    assert!(!format!("{:?}", codec()).contains(KEY));
    assert!(!format!("{:?}", client([])).contains(KEY));

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let error = runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 8192];
                let _ = stream.read(&mut buffer).await;
                // A careless server that echoes the key it refused.
                let body = format!(r#"{{"code":401,"message":"invalid key {KEY}"}}"#);
                let head = format!(
                    "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
            }
        });
        let client = NomadClient::new(
            config(&format!("http://{addr}/nomad")),
            paybridge_transport::HyperTransport::with_defaults().unwrap(),
        )
        .unwrap();
        client.refund(&request(10)).await.unwrap_err()
    });
    assert!(
        matches!(
            error,
            Error::Rejected {
                class: RejectionClass::Authentication,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        !error.to_string().contains(KEY) && !format!("{error:?}").contains(KEY),
        "{error}"
    );
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("app-api-key"),
        "the trace log shows the request:\n{log}"
    );
    assert!(!log.contains(KEY), "the key leaked into the log:\n{log}");
}

// ---- payments ----

fn payment_request(scene: paybridge_core::Scene) -> paybridge_core::PaymentRequest {
    paybridge_core::PaymentRequest::builder(
        OrderRef::new("order-7").unwrap(),
        Money::new(1_234, Currency::Cny),
        scene,
    )
    .description("Tea")
    .build()
    .unwrap()
}

#[test]
fn each_scene_becomes_the_brokers_payment_type() {
    use paybridge_core::Scene;
    let c = client([]);
    let body = c.payment_body(&payment_request(Scene::Qr)).unwrap();
    assert_eq!(
        (
            body.payment_type.as_str(),
            body.actual_amount,
            body.currency.as_str()
        ),
        ("NATIVE", 1_234, "CNY")
    );
    let body = c
        .payment_body(&payment_request(Scene::Jsapi {
            payer: "oUpF8uMuAJO".into(),
        }))
        .unwrap();
    assert_eq!(
        (body.payment_type.as_str(), body.payer_id.as_deref()),
        ("JSAPI", Some("oUpF8uMuAJO"))
    );
    let body = c
        .payment_body(&payment_request(Scene::Wap {
            return_url: Some("https://shop.example/back".into()),
        }))
        .unwrap();
    assert_eq!(
        (body.payment_type.as_str(), body.success_url.as_deref()),
        ("H5", Some("https://shop.example/back"))
    );
    assert_eq!(
        c.payment_body(&payment_request(Scene::App))
            .unwrap()
            .payment_type,
        "APP"
    );
}

#[tokio::test]
async fn payments_in_scenes_the_broker_lacks_send_nothing() {
    use paybridge_core::{PaymentProvider, Scene};
    let c = client([]);
    for scene in [
        Scene::Web { return_url: None },
        Scene::Barcode {
            auth_code: "134567890123456789".into(),
        },
    ] {
        let error = PaymentProvider::create_payment(&c, &payment_request(scene))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::UnsupportedScene { .. }), "{error:?}");
    }
    assert_eq!(c.transport().request_count(), 0);
}

#[tokio::test]
async fn a_payment_look_up_is_checked_against_the_order_and_amount() {
    use paybridge_core::{PaymentLookup, PaymentProvider, PaymentStatus};
    let answer = r#"{"orderRef":"order-7","currency":"CNY","actualAmount":1234,"tradeState":"SUCCESS","transactionId":"42"}"#;
    let c = client([Scripted::json(200, answer)]);
    let mut lookup = PaymentLookup::new(OrderRef::new("order-7").unwrap());
    lookup.amount = Some(Money::new(1_234, Currency::Cny));
    let paid = c.payment_status(&lookup).await.unwrap();
    assert_eq!(
        (paid.status, paid.payment.as_deref()),
        (PaymentStatus::Succeeded, Some("42"))
    );
    // Another order's answer, or another amount, is never this payment.
    let c = client([Scripted::json(200, answer.replace("order-7", "order-8"))]);
    assert!(matches!(
        c.payment_status(&lookup).await.unwrap_err(),
        Error::IntegrityMismatch { .. }
    ));
    let c = client([Scripted::json(200, answer.replace("1234", "1233"))]);
    assert!(matches!(
        c.payment_status(&lookup).await.unwrap_err(),
        Error::IntegrityMismatch { .. }
    ));
    let c = client([Scripted::status(
        404,
        r#"{"code":404,"message":"order not found"}"#,
    )]);
    assert!(matches!(
        c.payment_status(&lookup).await.unwrap_err(),
        Error::PaymentNotFound { .. }
    ));
}

#[tokio::test]
async fn a_repeated_create_is_reported_as_the_order_it_repeats() {
    use paybridge_core::{PaymentProvider, PaymentStatus, Scene};
    let c = client([
        Scripted::status(
            422,
            r#"{"code":422,"errors":[{"field":"orderRef","msg":"order already paid"}],"message":"Request validation failure"}"#,
        ),
        Scripted::json(
            200,
            r#"{"orderRef":"order-7","currency":"CNY","actualAmount":1234,"tradeState":"SUCCESS","transactionId":"42"}"#,
        ),
    ]);
    let payment = PaymentProvider::create_payment(&c, &payment_request(Scene::Qr))
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    // The same refusal for an order the broker does not hold for this amount stays a refusal.
    let c = client([
        Scripted::status(422, r#"{"code":422,"message":"duplicate order"}"#),
        Scripted::json(
            200,
            r#"{"orderRef":"order-7","currency":"CNY","actualAmount":999,"tradeState":"SUCCESS"}"#,
        ),
    ]);
    assert!(matches!(
        PaymentProvider::create_payment(&c, &payment_request(Scene::Qr))
            .await
            .unwrap_err(),
        Error::Rejected { .. }
    ));
}

#[tokio::test]
async fn a_refused_close_of_an_order_still_waiting_is_no_close() {
    use paybridge_core::{PaymentLookup, PaymentProvider, PaymentStatus};
    let waiting =
        r#"{"orderRef":"order-7","currency":"CNY","actualAmount":1234,"tradeState":"NOTPAY"}"#;
    let lookup = PaymentLookup::new(OrderRef::new("order-7").unwrap());
    let c = client([
        Scripted::status(422, r#"{"code":422,"message":"cannot close"}"#),
        Scripted::json(200, waiting),
    ]);
    assert!(matches!(
        PaymentProvider::close_payment(&c, &lookup)
            .await
            .unwrap_err(),
        Error::Rejected { .. }
    ));
    // Refused because it was paid meanwhile: the paid order is the answer.
    let c = client([
        Scripted::status(422, r#"{"code":422,"message":"order paid"}"#),
        Scripted::json(200, waiting.replace("NOTPAY", "SUCCESS")),
    ]);
    assert_eq!(
        PaymentProvider::close_payment(&c, &lookup)
            .await
            .unwrap()
            .status,
        PaymentStatus::Succeeded
    );
    let c = client([
        Scripted::json(200, r#"{"code":200,"message":"success"}"#),
        Scripted::json(200, waiting.replace("NOTPAY", "CLOSED")),
    ]);
    assert_eq!(
        PaymentProvider::close_payment(&c, &lookup)
            .await
            .unwrap()
            .status,
        PaymentStatus::Closed
    );
}
