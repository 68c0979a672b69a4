//! Each emulation driven with raw HTTP built here (hand-written bodies, signed with the
//! primitives directly, not through our clients): the answers must be in the provider's words.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use paybridge_core::Currency;
use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig, SandboxHandle};
use paybridge_sign::{canonical, sha256_keyed_hex};
use serde_json::{Value, json};

type Raw = Client<HttpConnector, Full<Bytes>>;

fn raw_client() -> Raw {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

async fn sandbox(config: SandboxConfig) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        ..config
    })
    .await
    .unwrap()
}

async fn send(client: &Raw, request: http::Request<Full<Bytes>>) -> (u16, Vec<u8>) {
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

async fn post(
    client: &Raw,
    url: String,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (u16, Vec<u8>) {
    let mut builder = http::Request::post(url).header("content-type", "application/json");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    send(client, builder.body(Full::new(Bytes::from(body))).unwrap()).await
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

// ---- BluePay ----

fn bluepay_envelope(sb: &SandboxHandle, param: &str, app_id: Option<&str>) -> Vec<u8> {
    let creds = sb.credentials();
    let sign = creds
        .bluepay_merchant
        .private
        .sign_base64(param.as_bytes())
        .unwrap();
    serde_json::to_vec(
        &json!({"appId": app_id.unwrap_or(&creds.bluepay_app_id), "sign": sign, "param": param}),
    )
    .unwrap()
}

async fn bluepay(sb: &SandboxHandle, client: &Raw, param: &str) -> Value {
    let url = format!(
        "{}/open-api/payment/refund",
        sb.provider_url(ProviderId::BluePay)
    );
    let (status, body) = post(client, url, bluepay_envelope(sb, param, None), &[]).await;
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn bluepay_answers_in_bluepays_words() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = raw_client();
    let payment = sb
        .create_payment(ProviderId::BluePay, 10_000, Currency::Thb)
        .unwrap();
    let ts = now();
    let param = |id: &str, amount: i64| {
        format!(
            r#"{{"originalTransactionId":"{}","mchRefundOrderId":"{id}","refundAmount":{amount},"refundReason":"test","refundCallbackUrl":"http://127.0.0.1:9/cb","timestamp":{ts}}}"#,
            payment.payment
        )
    };
    // A good request: a PHP-ish param with spaces and unsorted keys, signed over its own bytes.
    let answer = bluepay(&sb, &client, &param("r1", 4_000)).await;
    assert_eq!(answer["code"], 10_000, "{answer}");
    assert_eq!(answer["data"]["refundAmount"], 4_000);
    assert_eq!(answer["data"]["refundStatus"], "COMPLETE");
    // Duplicate id: 21407.
    assert_eq!(
        bluepay(&sb, &client, &param("r1", 4_000)).await["code"],
        21_407
    );
    // Over-refund: 21406.
    assert_eq!(
        bluepay(&sb, &client, &param("r2", 6_001)).await["code"],
        21_406
    );
    // Missing field: 21002.
    let missing = format!(
        r#"{{"originalTransactionId":"{}","refundAmount":1,"timestamp":{ts}}}"#,
        payment.payment
    );
    assert_eq!(bluepay(&sb, &client, &missing).await["code"], 21_002);
    // Unknown payment: 21006. Expired timestamp: 21009.
    let unknown = param("r3", 1).replace(&payment.payment, "CU000000000000000000");
    assert_eq!(bluepay(&sb, &client, &unknown).await["code"], 21_006);
    assert_eq!(
        bluepay(
            &sb,
            &client,
            &param("r4", 1).replace(&ts.to_string(), &(ts - 3600).to_string())
        )
        .await["code"],
        21_009
    );
    // Bad signature: 21001. Wrong app id: 21003.
    let url = format!(
        "{}/open-api/payment/refund",
        sb.provider_url(ProviderId::BluePay)
    );
    let mut forged: Value =
        serde_json::from_slice(&bluepay_envelope(&sb, &param("r5", 1), None)).unwrap();
    forged["param"] = Value::String(param("r5", 2));
    let (_, body) = post(
        &client,
        url.clone(),
        serde_json::to_vec(&forged).unwrap(),
        &[],
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        21_001
    );
    let (_, body) = post(
        &client,
        url,
        bluepay_envelope(&sb, &param("r6", 1), Some("someone-else")),
        &[],
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        21_003
    );
    let view = sb
        .ledger()
        .payment(ProviderId::BluePay, &payment.payment)
        .unwrap();
    assert_eq!(
        (view.refunds.len(), view.refunded_minor()),
        (1, 4_000),
        "only the good refund was recorded"
    );
}

// ---- Nomad ----

async fn nomad(sb: &SandboxHandle, client: &Raw, body: &str, key: Option<&str>) -> (u16, Value) {
    let creds = sb.credentials();
    let url = format!(
        "{}/refund/{}",
        sb.provider_url(ProviderId::Nomad),
        creds.nomad_merchant
    );
    let key = key.map_or_else(|| creds.nomad_api_key.expose().to_owned(), str::to_owned);
    let (status, body) = post(
        client,
        url,
        body.as_bytes().to_vec(),
        &[("app-api-key", &key)],
    )
    .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn nomad_answers_in_the_brokers_words() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = raw_client();
    let payment = sb
        .create_payment(ProviderId::Nomad, 100, Currency::Cny)
        .unwrap();
    let body = |id: &str, amount: &str| {
        format!(
            r#"{{"orderRef":"{}","refundOrderRef":"{id}","refundAmount":{amount},"totalAmount":100.0,"currency":"CNY"}}"#,
            payment.order_ref
        )
    };
    // `10.0` is an integral amount and is accepted.
    let (status, answer) = nomad(&sb, &client, &body("r1", "10.0"), None).await;
    assert_eq!(
        (
            status,
            answer["status"].as_str(),
            answer["refundAmount"].as_i64()
        ),
        (200, Some("SUCCESS"), Some(10)),
        "{answer}"
    );
    // The same refund number: the original refund, not a second one.
    let (status, again) = nomad(&sb, &client, &body("r1", "10"), None).await;
    assert_eq!(
        (status, again["refundId"].clone()),
        (200, answer["refundId"].clone())
    );
    // Over-refund and a fractional fen: 422 with the detail.
    let (status, over) = nomad(&sb, &client, &body("r2", "91"), None).await;
    assert_eq!(status, 422, "{over}");
    assert_eq!(nomad(&sb, &client, &body("r3", "1.5"), None).await.0, 422);
    // Missing field: 422 naming it.
    let (status, missing) = nomad(
        &sb,
        &client,
        &format!(r#"{{"orderRef":"{}","refundAmount":1}}"#, payment.order_ref),
        None,
    )
    .await;
    assert_eq!(
        (status, missing["errors"][0]["field"].as_str()),
        (422, Some("refundOrderRef"))
    );
    // Bad key: 401. The key as a query parameter (older clients) is accepted.
    assert_eq!(
        nomad(&sb, &client, &body("r4", "1"), Some("wrong")).await.0,
        401
    );
    let creds = sb.credentials();
    let url = format!(
        "{}/refund/{}?app-api-key={}",
        sb.provider_url(ProviderId::Nomad),
        creds.nomad_merchant,
        creds.nomad_api_key.expose()
    );
    let (status, _) = post(&client, url, body("r5", "1").into_bytes(), &[]).await;
    assert_eq!(status, 200);
    // Query refund.
    let query = http::Request::get(format!(
        "{}/refund/{}?refund_order_ref=r1",
        sb.provider_url(ProviderId::Nomad),
        creds.nomad_merchant
    ))
    .header("app-api-key", creds.nomad_api_key.expose())
    .body(Full::new(Bytes::new()))
    .unwrap();
    let (status, found) = send(&client, query).await;
    assert_eq!(
        (
            status,
            serde_json::from_slice::<Value>(&found).unwrap()["refundOrderRef"].as_str()
        ),
        (200, Some("r1"))
    );
    assert_eq!(
        sb.ledger()
            .payment(ProviderId::Nomad, &payment.order_ref)
            .unwrap()
            .refunded_minor(),
        11
    );
}

// ---- ScanForPay ----

fn sfp_envelope(sb: &SandboxHandle, request: &str) -> Vec<u8> {
    let key = sb.credentials().scanforpay_sign_key.expose();
    format!(
        r#"{{"request":{request},"signature":"{}"}}"#,
        sha256_keyed_hex(request.as_bytes(), key.as_bytes())
    )
    .into_bytes()
}

async fn scanforpay(sb: &SandboxHandle, client: &Raw, request: &str) -> Value {
    let url = format!(
        "{}/api/common/refund",
        sb.provider_url(ProviderId::ScanForPay)
    );
    let (status, body) = post(client, url, sfp_envelope(sb, request), &[]).await;
    assert_eq!(status, 200);
    let key = sb.credentials().scanforpay_sign_key.expose();
    let raw =
        paybridge_scanforpay::verify_envelope(&body, key.as_bytes()).expect("the answer is signed");
    serde_json::from_str::<Value>(raw).unwrap()["body"].clone()
}

#[tokio::test]
async fn scanforpay_answers_in_scanforpays_words() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = raw_client();
    let payment = sb
        .create_payment(ProviderId::ScanForPay, 1_000, Currency::Hkd)
        .unwrap();
    let request = |refund_no: &str, amount: i64| {
        // Written the PHP way (escaped slash), signed over these exact bytes.
        format!(
            r#"{{"header":{{"version":"1.0","partnerNo":"10001","reqMsgId":"fd03f269318045758af08f6cf324fb0f","reqTime":"2018-07-25T18:06:05+08:00","signType":"SHA256","note":"a\/b"}},"body":{{"partnerOrderNo":"{}","refundNo":"{refund_no}","orderAmount":{amount}}}}}"#,
            payment.payment
        )
    };
    let good = scanforpay(&sb, &client, &request("R1", 400)).await;
    assert_eq!(
        (
            good["code"].as_i64(),
            good["status"].as_i64(),
            good["currency"].as_str()
        ),
        (Some(1), Some(1), Some("HKD")),
        "{good}"
    );
    // The same refund number and amount: the original refund; another amount: 31.
    assert_eq!(
        scanforpay(&sb, &client, &request("R1", 400)).await["code"],
        1
    );
    assert_eq!(
        scanforpay(&sb, &client, &request("R1", 401)).await["code"],
        31
    );
    // Over-refund: 35. Unknown order: 30. Missing field: 4.
    assert_eq!(
        scanforpay(&sb, &client, &request("R2", 601)).await["code"],
        35
    );
    assert_eq!(
        scanforpay(
            &sb,
            &client,
            &request("R3", 1).replace(&payment.payment, "nope")
        )
        .await["code"],
        30
    );
    let missing = request("R4", 1).replace(r#""orderAmount":1"#, r#""x":1"#);
    assert_eq!(scanforpay(&sb, &client, &missing).await["code"], 4);
    // Bad signature: 8.
    let url = format!(
        "{}/api/common/refund",
        sb.provider_url(ProviderId::ScanForPay)
    );
    let mut forged = sfp_envelope(&sb, &request("R5", 1));
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
    let (_, body) = post(&client, url, forged, &[]).await;
    let key = sb.credentials().scanforpay_sign_key.expose();
    let raw = paybridge_scanforpay::verify_envelope(&body, key.as_bytes()).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(raw).unwrap()["body"]["code"],
        8
    );
    let _ = canonical::to_vec(&1).unwrap();
    assert_eq!(
        sb.ledger()
            .payment(ProviderId::ScanForPay, &payment.payment)
            .unwrap()
            .refunded_minor(),
        400
    );
}

// ---- concurrency, notifications, faults ----

fn sfp_refund(order: &str, refund_no: &str, amount: i64) -> String {
    format!(
        r#"{{"body":{{"orderAmount":{amount},"partnerOrderNo":"{order}","refundNo":"{refund_no}"}},"header":{{"partnerNo":"10001","reqMsgId":"{:0>32}","reqTime":"2024-01-01T00:00:00+08:00","signType":"SHA256","version":"1.0"}}}}"#,
        refund_no
    )
}

/// On ScanForPay, which caps refunds only by amount (Nomad, like WeChat Pay, also caps a payment
/// at 50 refunds, so 100 successes are impossible there by the provider's own rules).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refunds_never_pass_the_payment() {
    let sb = Arc::new(sandbox(SandboxConfig::default()).await);
    let payment = sb
        .create_payment(ProviderId::ScanForPay, 100, Currency::Hkd)
        .unwrap();
    let client = raw_client();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (sb, client, order) = (Arc::clone(&sb), client.clone(), payment.payment.clone());
            tokio::spawn(async move {
                scanforpay(&sb, &client, &sfp_refund(&order, &format!("c{i}"), 1)).await["code"]
                    .as_i64()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == Some(1)).count(), 100);
    assert_eq!(
        codes.iter().filter(|c| **c == Some(35)).count(),
        100,
        "the rest exceed the refundable amount"
    );
    let view = sb
        .ledger()
        .payment(ProviderId::ScanForPay, &payment.payment)
        .unwrap();
    assert_eq!((view.refunds.len(), view.refunded_minor()), (100, 100));
}

async fn webhook(
    acknowledge_from: usize,
    ack: &'static str,
) -> (String, Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 65536];
            let mut len = 0;
            loop {
                let n = stream.read(&mut buf[len..]).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                len += n;
                let text = &buf[..len];
                if let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&text[..end]).to_ascii_lowercase();
                    let cl: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    if len >= end + 4 + cl {
                        let body = text[end + 4..end + 4 + cl].to_vec();
                        let count = {
                            let mut r = seen.lock().unwrap();
                            r.push((String::from_utf8_lossy(&text[..end]).into_owned(), body));
                            r.len()
                        };
                        let (status, reply) = if count >= acknowledge_from {
                            ("200 OK", ack)
                        } else {
                            ("500 Internal Server Error", "no")
                        };
                        let _ = stream.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}", reply.len()).as_bytes()).await;
                        break;
                    }
                }
            }
        }
    });
    (url, received)
}

#[tokio::test]
async fn notifications_verify_with_the_clients_own_verifier_and_are_redelivered_until_acked() {
    let sb = sandbox(SandboxConfig {
        notify_backoff: Duration::from_millis(20),
        ..SandboxConfig::default()
    })
    .await;
    let client = raw_client();
    let (url, received) = webhook(2, r#"{"code":10000,"message":"Success"}"#).await;
    let payment = sb
        .create_payment(ProviderId::BluePay, 500, Currency::Thb)
        .unwrap();
    let param = format!(
        r#"{{"originalTransactionId":"{}","mchRefundOrderId":"n1","refundAmount":500,"refundCallbackUrl":"{url}","timestamp":{}}}"#,
        payment.payment,
        now()
    );
    assert_eq!(bluepay(&sb, &client, &param).await["code"], 10_000);
    for _ in 0..100 {
        if sb.stats().notifications_acknowledged >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bodies: Vec<Vec<u8>> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| body.clone())
        .collect();
    assert_eq!(bodies.len(), 2, "refused once, redelivered, acknowledged");
    assert_eq!(
        bodies[0], bodies[1],
        "a redelivery repeats the same notification"
    );
    let platform = &sb.credentials().bluepay_platform.public;
    let notification = paybridge_bluepay::verify_notification(platform, &bodies[0]).unwrap();
    let unified = paybridge_bluepay::unified_notification(&notification).unwrap();
    assert_eq!(
        unified.event_name.as_deref(),
        Some("payment.refund.success")
    );
    assert_eq!(sb.stats().notifications_acknowledged, 1);
}

#[tokio::test]
async fn wechatpay_notifications_are_encrypted_signed_in_headers_and_redelivered_until_acked() {
    let sb = sandbox(SandboxConfig {
        notify_backoff: Duration::from_millis(20),
        ..SandboxConfig::default()
    })
    .await;
    let client = raw_client();
    let (url, received) = webhook(3, "").await;
    let payment = sb
        .create_payment(ProviderId::WechatPay, 800, Currency::Cny)
        .unwrap();
    let body = format!(
        r#"{{"transaction_id":"{}","out_refund_no":"wxn-1","notify_url":"{url}","amount":{{"refund":800,"total":800,"currency":"CNY"}}}}"#,
        payment.payment
    );
    let (status, answer) = wechatpay(
        &sb,
        &client,
        "POST",
        "/v3/refund/domestic/refunds",
        &body,
        |_, _, _| {},
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    for _ in 0..200 {
        if sb.stats().notifications_acknowledged >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deliveries = received.lock().unwrap().clone();
    assert_eq!(
        deliveries.len(),
        3,
        "refused twice, redelivered, acknowledged"
    );
    assert!(
        deliveries.iter().all(|d| d.1 == deliveries[0].1),
        "the same notification each time"
    );
    // The client's own verifier, with the headers as they arrived.
    let (head, body) = &deliveries[0];
    let mut headers = http::HeaderMap::new();
    for line in head.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':')
            && name.to_ascii_lowercase().starts_with("wechatpay-")
        {
            headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value.trim()).unwrap(),
            );
        }
    }
    // Timestamp, nonce, signature, serial — and the signature type SDKs require.
    assert_eq!(headers.len(), 5, "{head}");
    assert_eq!(
        headers["wechatpay-signature-type"],
        "WECHATPAY2-SHA256-RSA2048"
    );
    let creds = sb.credentials();
    let codec = paybridge_wechatpay::Codec::new(
        &sb.provider_url(ProviderId::WechatPay),
        &creds.wechatpay_mchid,
        &creds.wechatpay_merchant_serial,
        paybridge_sign::RsaPrivateKey::from_bytes(
            creds.wechatpay_merchant.private_pem().as_bytes(),
        )
        .unwrap(),
        paybridge_wechatpay::PlatformKeys::public_key(
            creds.wechatpay_public_key_id.clone(),
            creds.wechatpay_platform.public.clone(),
        )
        .unwrap(),
        &creds.wechatpay_apiv3_key,
    )
    .unwrap();
    let notification = codec.verify_notification(&headers, body).unwrap();
    assert_eq!(notification.event_type, "REFUND.SUCCESS");
    assert_eq!(notification.refund.out_refund_no.as_deref(), Some("wxn-1"));
    assert_eq!(
        notification.refund.amount.as_ref().and_then(|a| a.refund),
        Some(800)
    );
    assert!(
        !String::from_utf8_lossy(body).contains("wxn-1"),
        "the refund travels encrypted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_of_every_kind_happen_and_the_ledger_matches_the_stats() {
    let sb = sandbox(SandboxConfig {
        fault_rate: 0.3,
        fault_seed: 42,
        fault_delay: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await;
    let payment = sb
        .create_payment(ProviderId::ScanForPay, 1_000_000, Currency::Hkd)
        .unwrap();
    let client = raw_client();
    let url = format!(
        "{}/api/common/refund",
        sb.provider_url(ProviderId::ScanForPay)
    );
    let mut outcomes = std::collections::HashMap::new();
    for i in 0..200 {
        let request = http::Request::post(url.as_str())
            .body(Full::new(Bytes::from(sfp_envelope(
                &sb,
                &sfp_refund(&payment.payment, &format!("f{i}"), 1),
            ))))
            .unwrap();
        let outcome =
            match tokio::time::timeout(Duration::from_millis(150), client.request(request)).await {
                Err(_) => "timeout".to_owned(),
                Ok(Err(_)) => "dropped".to_owned(),
                Ok(Ok(response)) => response.status().as_u16().to_string(),
            };
        *outcomes.entry(outcome).or_insert(0) += 1;
    }
    let stats = sb.stats();
    let kinds = &stats.faults_by_kind;
    eprintln!("outcomes {outcomes:?}, stats {stats:?}");
    assert!(
        kinds.drop_before_apply > 0
            && kinds.drop_after_apply > 0
            && kinds.server_error > 0
            && kinds.delay > 0,
        "{kinds:?}"
    );
    for seen in ["503", "dropped", "timeout", "200"] {
        assert!(
            outcomes.get(seen).copied().unwrap_or(0) > 0,
            "{seen} never observed: {outcomes:?}"
        );
    }
    let recorded = sb
        .ledger()
        .payment(ProviderId::ScanForPay, &payment.payment)
        .unwrap()
        .refunds
        .len() as u64;
    assert_eq!(
        recorded, stats.refunds_applied,
        "every refund in the ledger is counted"
    );
    assert_eq!(
        recorded,
        200 - kinds.drop_before_apply - kinds.server_error,
        "exactly the calls that got past the faults"
    );
}

// ---- WeChat Pay ----

/// A request to the emulated WeChat Pay, its `Authorization` signed here with the primitives.
async fn wechatpay(
    sb: &SandboxHandle,
    client: &Raw,
    method: &str,
    path: &str,
    body: &str,
    tweak: impl Fn(&mut String, &mut i64, &mut Vec<u8>),
) -> (u16, Value) {
    let creds = sb.credentials();
    let url = format!("{}{path}", sb.provider_url(ProviderId::WechatPay));
    let uri: http::Uri = url.parse().unwrap();
    let mut mchid = creds.wechatpay_mchid.clone();
    let mut timestamp = now();
    let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
    let mut message = paybridge_wechatpay::signing_message(
        method,
        uri.path_and_query().unwrap().as_str(),
        timestamp,
        nonce,
        body.as_bytes(),
    );
    tweak(&mut mchid, &mut timestamp, &mut message);
    let signature = creds
        .wechatpay_merchant
        .private
        .sign_base64(&message)
        .unwrap();
    let authorization = format!(
        r#"WECHATPAY2-SHA256-RSA2048 mchid="{mchid}",nonce_str="{nonce}",timestamp="{timestamp}",serial_no="{}",signature="{signature}""#,
        creds.wechatpay_merchant_serial
    );
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", authorization)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    // Every answer is signed by WeChat Pay's key over TIMESTAMP\nNONCE\nBODY\n as received.
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("wechatpay-serial"), creds.wechatpay_public_key_id);
    creds
        .wechatpay_platform
        .public
        .verify_base64(
            &paybridge_wechatpay::verification_message(
                &header("wechatpay-timestamp"),
                &header("wechatpay-nonce"),
                &bytes,
            ),
            &header("wechatpay-signature"),
        )
        .expect("the answer is signed by the platform key");
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn wechatpay_answers_in_wechatpays_words() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = raw_client();
    let payment = sb
        .create_payment(ProviderId::WechatPay, 1_000, Currency::Cny)
        .unwrap();
    let refund = |id: &str, amount: i64, total: i64| {
        format!(
            r#"{{"transaction_id":"{}","out_refund_no":"{id}","amount":{{"refund":{amount},"total":{total},"currency":"CNY"}}}}"#,
            payment.payment
        )
    };
    let path = "/v3/refund/domestic/refunds";
    let none = |_: &mut String, _: &mut i64, _: &mut Vec<u8>| {};

    let (status, first) = wechatpay(
        &sb,
        &client,
        "POST",
        path,
        &refund("wx-1", 600, 1_000),
        none,
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"], "SUCCESS");
    assert_eq!(first["amount"]["refund"], 600);
    assert_eq!(first["out_refund_no"], "wx-1");
    // A repeat of the out_refund_no refunds once and answers with the same refund.
    let (status, again) = wechatpay(
        &sb,
        &client,
        "POST",
        path,
        &refund("wx-1", 600, 1_000),
        none,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["refund_id"], first["refund_id"]);
    let entry = sb.ledger().refund(ProviderId::WechatPay, "wx-1").unwrap().1;
    assert_eq!(entry.attempts, 2);
    // More than is left, a total that is not the payment's, an unknown payment.
    let (status, over) = wechatpay(
        &sb,
        &client,
        "POST",
        path,
        &refund("wx-2", 401, 1_000),
        none,
    )
    .await;
    assert_eq!(
        (status, over["code"].as_str()),
        (400, Some("INVALID_REQUEST")),
        "{over}"
    );
    let (status, total) =
        wechatpay(&sb, &client, "POST", path, &refund("wx-3", 1, 999), none).await;
    assert_eq!(
        (status, total["code"].as_str()),
        (400, Some("PARAM_ERROR")),
        "{total}"
    );
    // Signed over other bytes, by another merchant, or too long ago.
    let (status, bad) = wechatpay(
        &sb,
        &client,
        "POST",
        path,
        &refund("wx-4", 1, 1_000),
        |_, _, m| {
            m.push(b' ');
        },
    )
    .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (401, Some("SIGN_ERROR")),
        "{bad}"
    );
    let (status, other) = wechatpay(
        &sb,
        &client,
        "POST",
        path,
        &refund("wx-4", 1, 1_000),
        |id, _, _| {
            *id = "1230000109".into();
        },
    )
    .await;
    assert_eq!(
        (status, other["code"].as_str()),
        (400, Some("MCH_NOT_EXISTS")),
        "{other}"
    );
    let (status, stale) = wechatpay(
        &sb,
        &client,
        "POST",
        path,
        &refund("wx-4", 1, 1_000),
        |_, t, _| {
            *t -= 3_600;
        },
    )
    .await;
    assert_eq!(
        (status, stale["code"].as_str()),
        (401, Some("SIGN_ERROR")),
        "{stale}"
    );
    assert!(sb.ledger().refund(ProviderId::WechatPay, "wx-4").is_none());
    // The query, by the out_refund_no in the path.
    let (status, found) = wechatpay(&sb, &client, "GET", &format!("{path}/wx-1"), "", none).await;
    assert_eq!(status, 200);
    assert_eq!(found["refund_id"], first["refund_id"]);
    let (status, missing) = wechatpay(&sb, &client, "GET", &format!("{path}/nope"), "", none).await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (404, Some("RESOURCE_NOT_EXISTS"))
    );
}

// ---- Alipay ----

/// A call to the emulated Alipay gateway, its form signed here with the primitives; returns
/// the reply's value, checked to be signed over its raw text by Alipay's key.
async fn alipay(
    sb: &SandboxHandle,
    client: &Raw,
    method: &str,
    biz_content: &str,
    tweak: impl Fn(&mut Vec<(String, String)>),
) -> Value {
    let creds = sb.credentials();
    let mut params: Vec<(String, String)> = vec![
        ("app_id".into(), creds.alipay_app_id.clone()),
        ("method".into(), method.into()),
        ("format".into(), "JSON".into()),
        ("charset".into(), "utf-8".into()),
        ("sign_type".into(), "RSA2".into()),
        (
            "timestamp".into(),
            paybridge_alipay::alipay_time(paybridge_core::Timestamp::from_unix(now()).unwrap()),
        ),
        ("version".into(), "1.0".into()),
        ("biz_content".into(), biz_content.into()),
    ];
    let content =
        paybridge_alipay::sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    params.push((
        "sign".into(),
        creds
            .alipay_app
            .private
            .sign_base64(content.as_bytes())
            .unwrap(),
    ));
    tweak(&mut params);
    let body = paybridge_alipay::form_encode(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let url = format!("{}/gateway.do", sb.provider_url(ProviderId::Alipay));
    let request = http::Request::post(url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let (status, reply) = send(client, request).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(reply).unwrap();
    let key = format!("{}_response", method.replace('.', "_"));
    let raw = paybridge_alipay::member_raw(&text, &key)
        .or_else(|| paybridge_alipay::member_raw(&text, "error_response"))
        .expect("a reply value");
    if raw.contains("store_name") {
        assert!(raw.contains(r"\/"), "written the way Alipay writes: {raw}");
    }
    let envelope: Value = serde_json::from_str(&text).unwrap();
    creds
        .alipay_platform
        .public
        .verify_base64(raw.as_bytes(), envelope["sign"].as_str().unwrap())
        .expect("signed over the raw value");
    serde_json::from_str(raw).unwrap()
}

#[tokio::test]
async fn alipay_answers_in_alipays_words() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = raw_client();
    let payment = sb
        .create_payment(ProviderId::Alipay, 10_000, Currency::Cny)
        .unwrap();
    let refund = |id: &str, amount: &str| {
        format!(
            r#"{{"trade_no":"{}","refund_amount":"{amount}","out_request_no":"{id}"}}"#,
            payment.payment
        )
    };
    let none = |_: &mut Vec<(String, String)>| {};
    let first = alipay(
        &sb,
        &client,
        "alipay.trade.refund",
        &refund("ali-1", "60.00"),
        none,
    )
    .await;
    assert_eq!(first["code"], "10000", "{first}");
    assert_eq!(first["fund_change"], "Y");
    assert_eq!(first["refund_fee"], "60.00");
    // A repeat moves no money and says so.
    let again = alipay(
        &sb,
        &client,
        "alipay.trade.refund",
        &refund("ali-1", "60.00"),
        none,
    )
    .await;
    assert_eq!(
        (again["code"].as_str(), again["fund_change"].as_str()),
        (Some("10000"), Some("N"))
    );
    let other = alipay(
        &sb,
        &client,
        "alipay.trade.refund",
        &refund("ali-1", "1.00"),
        none,
    )
    .await;
    assert_eq!(
        other["sub_code"], "ACQ.DISCORDANT_REPEAT_REQUEST",
        "{other}"
    );
    let over = alipay(
        &sb,
        &client,
        "alipay.trade.refund",
        &refund("ali-2", "40.01"),
        none,
    )
    .await;
    assert_eq!(
        over["sub_code"], "ACQ.REASON_TRADE_REFUND_FEE_ERR",
        "{over}"
    );
    assert_eq!(
        sb.ledger()
            .refund(ProviderId::Alipay, "ali-1")
            .unwrap()
            .1
            .attempts,
        3
    );
    // out_request_no is unique within a trade, not across the merchant's trades: the same id on
    // another trade is another refund, applied to that trade.
    let second = sb
        .create_payment(ProviderId::Alipay, 10_000, Currency::Cny)
        .unwrap();
    let elsewhere = alipay(
        &sb,
        &client,
        "alipay.trade.refund",
        &format!(
            r#"{{"trade_no":"{}","refund_amount":"5.00","out_request_no":"ali-1"}}"#,
            second.payment
        ),
        none,
    )
    .await;
    assert_eq!(
        (
            elsewhere["code"].as_str(),
            elsewhere["fund_change"].as_str(),
            elsewhere["trade_no"].as_str()
        ),
        (Some("10000"), Some("Y"), Some(second.payment.as_str())),
        "{elsewhere}"
    );
    let held = sb
        .ledger()
        .payment(ProviderId::Alipay, &second.payment)
        .unwrap();
    assert_eq!(held.refunds.len(), 1);
    assert_eq!(held.refunds[0].amount_minor, 500);
    // A signature over other text; an unknown method.
    let forged = alipay(
        &sb,
        &client,
        "alipay.trade.refund",
        &refund("ali-3", "1.00"),
        |p| {
            for (k, v) in p.iter_mut() {
                if k == "biz_content" {
                    *v = v.replace("1.00", "2.00");
                }
            }
        },
    )
    .await;
    assert_eq!(forged["sub_code"], "isv.invalid-signature", "{forged}");
    assert!(sb.ledger().refund(ProviderId::Alipay, "ali-3").is_none());
    let unknown_method = alipay(&sb, &client, "alipay.trade.nope", "{}", none).await;
    assert_eq!(unknown_method["sub_code"], "isv.invalid-method");
    // The query: present once settled, absent for a refund it does not have.
    for _ in 0..100 {
        let found = alipay(
            &sb,
            &client,
            "alipay.trade.fastpay.refund.query",
            &format!(
                r#"{{"trade_no":"{}","out_request_no":"ali-1"}}"#,
                payment.payment
            ),
            none,
        )
        .await;
        if found.get("refund_status").is_some() {
            assert_eq!(found["refund_status"], "REFUND_SUCCESS");
            assert_eq!(found["refund_amount"], "60.00");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let missing = alipay(
        &sb,
        &client,
        "alipay.trade.fastpay.refund.query",
        &format!(
            r#"{{"trade_no":"{}","out_request_no":"never"}}"#,
            payment.payment
        ),
        none,
    )
    .await;
    assert_eq!(missing["code"], "10000");
    assert!(missing.get("refund_status").is_none(), "{missing}");
}
