//! Taking payments: every scene WeChat Pay API v3 offers a direct merchant, from the prepay to
//! the customer paying, the signed payment notification, the look-up, and refunds back to
//! "refunded"; closing an unpaid order; the scenes it does not offer; and answers that must
//! never read as this order paid.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use paybridge_core::{
    Clock, Currency, Error, MerchantRefundId, Money, NotificationEvent, OrderRef, PaymentAction,
    PaymentLookup, PaymentProvider, PaymentRef, PaymentRequest, PaymentStatus, ProviderId,
    RefundProvider, RefundRequest, RefundStatus, Scene, Timestamp,
};
use paybridge_emulator::{
    Counted, CustomerAction, CustomerRefusal, Emulator, Host, Ledger, OutgoingNotification,
    Payment, RefundEntry, test_util::TestHost,
};
use paybridge_transport::test_util::{MockTransport, Scripted};
use paybridge_wechatpay::emulator::{SAMPLE_APPID, WechatPayEmulator};
use paybridge_wechatpay::invocation::{app_message, jsapi_message};
use paybridge_wechatpay::wire::requests::{
    CloseOrder, H5Prepay, JsapiPrepay, NativePrepay, Payer, PrepayRequest, QueryByOutTradeNo,
};
use paybridge_wechatpay::wire::responses::{NoContent, Transaction};
use paybridge_wechatpay::{Codec, WechatPayClient, WechatPayEvent, payment_from_notification};

const PAY_NOTIFY: &str = "https://merchant.test/wechatpay/payments";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// The sandbox's part, counting every event by kind (the shared test host counts payment
/// events together with refusals).
#[derive(Debug)]
struct CountingHost {
    inner: TestHost,
    counted: Mutex<Vec<Counted>>,
}

impl CountingHost {
    fn new() -> CountingHost {
        CountingHost {
            inner: TestHost::new(NOW),
            counted: Mutex::default(),
        }
    }

    fn count_of(&self, event: Counted) -> usize {
        self.counted
            .lock()
            .unwrap()
            .iter()
            .filter(|e| **e == event)
            .count()
    }

    /// The customer acts, as `POST /_sandbox/customer` does.
    fn customer(&self, order: &str, action: CustomerAction) -> Result<Payment, CustomerRefusal> {
        self.inner
            .ledger
            .customer(ProviderId::WechatPay, order, action, self.now())
    }
}

impl Host for CountingHost {
    fn now(&self) -> Timestamp {
        self.inner.now()
    }
    fn ledger(&self) -> &Ledger {
        self.inner.ledger()
    }
    fn base_url(&self) -> &str {
        self.inner.base_url()
    }
    fn settles_at_once(&self) -> bool {
        self.inner.settles_at_once()
    }
    fn timestamp_window_secs(&self) -> i64 {
        self.inner.timestamp_window_secs()
    }
    fn count(&self, event: Counted) {
        self.counted.lock().unwrap().push(event);
    }
    fn settle(&self, provider: ProviderId, payment: Payment, entry: RefundEntry) {
        self.inner.settle(provider, payment, entry);
    }
    fn deliver(&self, delivery: OutgoingNotification) {
        self.inner.deliver(delivery);
    }
}

fn payments_config() -> paybridge_wechatpay::WechatPayConfig {
    let mut config = common::config(public_key_mode());
    config.appid = Some(SAMPLE_APPID.to_owned());
    config
}

fn client_with(transport: MockTransport) -> WechatPayClient<MockTransport> {
    WechatPayClient::new(payments_config(), transport)
        .unwrap()
        .with_sources(
            Arc::new(paybridge_core::test_util::FixedClock::new(NOW)),
            Arc::new(paybridge_core::test_util::SequentialIdGenerator::starting_at(1)),
        )
}

/// A client whose every request `emulator` answers in `host`.
fn wired_to(
    emulator: &Arc<WechatPayEmulator>,
    host: &Arc<CountingHost>,
) -> WechatPayClient<MockTransport> {
    let (emulator, host) = (Arc::clone(emulator), Arc::clone(host));
    client_with(MockTransport::with_handler(move |request| {
        let (status, headers, body) =
            paybridge_emulator::test_util::respond(emulator.as_ref(), host.as_ref(), request, "");
        Scripted::Respond {
            status,
            headers,
            body,
        }
    }))
}

fn setup() -> (
    Arc<WechatPayEmulator>,
    Arc<CountingHost>,
    WechatPayClient<MockTransport>,
) {
    let emulator = Arc::new(common::emulator(PUBLIC_KEY_ID, false));
    let host = Arc::new(CountingHost::new());
    let client = wired_to(&emulator, &host);
    (emulator, host, client)
}

fn cny(minor: i64) -> Money {
    Money::new(minor, Currency::Cny)
}

fn order(s: &str) -> OrderRef {
    OrderRef::new(s).unwrap()
}

fn payment_request(order_no: &str, amount: i64, scene: Scene) -> PaymentRequest {
    PaymentRequest::builder(order(order_no), cny(amount), scene)
        .description("Image形象店-深圳腾大-QQ公仔")
        .notify_url(PAY_NOTIFY)
        .client_ip("203.0.113.7")
        .expires_at(Timestamp::from_unix(NOW + 3_600).unwrap())
        .build()
        .unwrap()
}

fn refund(id: &str, order_no: &str, amount: i64, total: i64) -> RefundRequest {
    RefundRequest::builder(MerchantRefundId::new(id).unwrap(), cny(amount))
        .order_ref(order(order_no))
        .total(cny(total))
        .build()
        .unwrap()
}

fn as_request(delivery: &OutgoingNotification) -> http::Request<Bytes> {
    let mut builder = http::Request::post("/hooks/wechatpay");
    for (name, value) in &delivery.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(Bytes::from(delivery.body.clone())).unwrap()
}

fn sdk_params(action: Option<&PaymentAction>) -> BTreeMap<String, String> {
    match action {
        Some(PaymentAction::Sdk { params }) => params.clone(),
        other => panic!("not SDK parameters: {other:?}"),
    }
}

/// The scene's action checked for what WeChat's side takes; returns what identifies the
/// order in it (the same on a repeat of the prepay).
fn check_action(scene: &Scene, action: Option<&PaymentAction>) -> String {
    let key = merchant_public();
    match scene {
        Scene::Qr => match action {
            Some(PaymentAction::Qr { content }) => {
                assert!(
                    content.starts_with("weixin://wxpay/bizpayurl?pr="),
                    "{content}"
                );
                content.clone()
            }
            other => panic!("not a QR code: {other:?}"),
        },
        Scene::Wap { .. } => match action {
            Some(PaymentAction::Redirect { url }) => {
                assert!(
                    url.starts_with("http://127.0.0.1:9/wechatpay/h5pay/checkmweb?prepay_id=wx"),
                    "{url}"
                );
                assert!(
                    url.ends_with("&redirect_url=https%3A%2F%2Fshop.test%2Fpaid%3Forder%3D1"),
                    "{url}"
                );
                url.clone()
            }
            other => panic!("not a redirect: {other:?}"),
        },
        Scene::App => {
            let params = sdk_params(action);
            let names: Vec<&str> = params.keys().map(String::as_str).collect();
            assert_eq!(
                names,
                [
                    "appid",
                    "noncestr",
                    "package",
                    "partnerid",
                    "prepayid",
                    "sign",
                    "timestamp"
                ]
            );
            assert_eq!(params["appid"], SAMPLE_APPID);
            assert_eq!(params["partnerid"], MCHID);
            assert_eq!(params["package"], "Sign=WXPay");
            assert_eq!(
                params["timestamp"],
                NOW.to_string(),
                "epoch seconds, no zone"
            );
            // The documented message, built here from the parameters alone.
            let message = format!(
                "{}\n{}\n{}\n{}\n",
                params["appid"], params["timestamp"], params["noncestr"], params["prepayid"]
            );
            key.verify_base64(message.as_bytes(), &params["sign"])
                .unwrap();
            params["prepayid"].clone()
        }
        Scene::Jsapi { .. } => {
            let params = sdk_params(action);
            let names: Vec<&str> = params.keys().map(String::as_str).collect();
            assert_eq!(
                names,
                [
                    "appId",
                    "nonceStr",
                    "package",
                    "paySign",
                    "signType",
                    "timeStamp"
                ]
            );
            assert_eq!(params["appId"], SAMPLE_APPID);
            assert_eq!(params["signType"], "RSA");
            assert_eq!(params["timeStamp"], NOW.to_string());
            assert!(params["package"].starts_with("prepay_id=wx"));
            let message = format!(
                "{}\n{}\n{}\n{}\n",
                params["appId"], params["timeStamp"], params["nonceStr"], params["package"]
            );
            key.verify_base64(message.as_bytes(), &params["paySign"])
                .unwrap();
            params["package"].clone()
        }
        other => panic!("unexpected scene {other:?}"),
    }
}

#[tokio::test]
async fn every_scene_is_paid_notified_looked_up_and_refunded_to_refunded() {
    let scenes = [
        ("qr", Scene::Qr),
        (
            "wap",
            Scene::Wap {
                return_url: Some("https://shop.test/paid?order=1".into()),
            },
        ),
        ("app", Scene::App),
        (
            "jsapi",
            Scene::Jsapi {
                payer: OPENID.into(),
            },
        ),
    ];
    let (emulator, host, client) = setup();
    for (name, scene) in scenes {
        let order_no = format!("pay-{name}-0001");
        let request = payment_request(&order_no, 8_800, scene.clone());
        let lookup = PaymentLookup::from(&request);

        let created = client.create_payment(&request).await.unwrap();
        assert_eq!(created.status, PaymentStatus::Pending, "{name}");
        assert_eq!(created.provider_status.as_deref(), Some("NOTPAY"));
        assert_eq!(
            created.payment, None,
            "WeChat Pay names a payment once paid"
        );
        assert_eq!(created.amount, cny(8_800));
        assert_eq!(created.order_ref.as_str(), order_no);
        let identity = check_action(&scene, created.action.as_ref());

        // The same order again: the same order answers, and only one was made.
        let again = client.create_payment(&request).await.unwrap();
        assert_eq!(
            check_action(&scene, again.action.as_ref()),
            identity,
            "{name}"
        );
        let waiting = client.payment_status(&lookup).await.unwrap();
        assert_eq!(waiting.status, PaymentStatus::Pending, "{name}");
        assert_eq!(waiting.provider_status.as_deref(), Some("NOTPAY"));

        // The customer pays; WeChat Pay notifies the order's notify_url.
        let paid = host.customer(&order_no, CustomerAction::Pay).unwrap();
        let delivery = emulator
            .payment_notification(host.as_ref(), &paid)
            .expect("a payment notification");
        assert_eq!(delivery.url, PAY_NOTIFY);
        assert!(
            !String::from_utf8_lossy(&delivery.body).contains(&order_no),
            "the payment travels encrypted"
        );
        let notification = client
            .verify_notification(&as_request(&delivery))
            .await
            .unwrap();
        assert_eq!(
            notification.event_name.as_deref(),
            Some("TRANSACTION.SUCCESS")
        );
        let NotificationEvent::Payment { payment: update } = &notification.event else {
            panic!("not a payment event: {notification:?}");
        };
        assert_eq!(update.status, PaymentStatus::Succeeded);
        assert_eq!(update.order_ref.as_deref(), Some(order_no.as_str()));
        assert_eq!(update.amount, Some(cny(8_800)));
        let notified = payment_from_notification(&notification, &lookup).unwrap();
        assert_eq!(notified.status, PaymentStatus::Succeeded, "{name}");
        let transaction_id = notified.payment.clone().expect("the payment's id");
        assert_eq!(transaction_id, paid.payment);
        // The same notification, for another order or amount, is not this order paid.
        let other_order = PaymentLookup {
            amount: Some(cny(8_800)),
            ..PaymentLookup::new(order("pay-other-0001"))
        };
        assert!(matches!(
            payment_from_notification(&notification, &other_order),
            Err(Error::IntegrityMismatch {
                field: "order_ref",
                ..
            })
        ));
        let other_amount = PaymentLookup {
            amount: Some(cny(8_801)),
            ..lookup.clone()
        };
        assert!(matches!(
            payment_from_notification(&notification, &other_amount),
            Err(Error::IntegrityMismatch {
                field: "amount",
                ..
            })
        ));

        // The look-up agrees, by out_trade_no and by transaction_id.
        let looked_up = client.payment_status(&lookup).await.unwrap();
        assert_eq!(looked_up.status, PaymentStatus::Succeeded, "{name}");
        assert_eq!(looked_up.payment.as_deref(), Some(transaction_id.as_str()));
        assert_eq!(looked_up.provider_status.as_deref(), Some("SUCCESS"));
        let by_id = PaymentLookup {
            payment: Some(PaymentRef::new(transaction_id.as_str()).unwrap()),
            ..lookup.clone()
        };
        assert_eq!(
            client.payment_status(&by_id).await.unwrap().status,
            PaymentStatus::Succeeded
        );

        // Part of it back, then the rest.
        let part = client
            .refund(&refund(&format!("{name}-r1"), &order_no, 3_000, 8_800))
            .await
            .unwrap();
        assert_eq!(part.status, RefundStatus::Succeeded);
        let after_part = client.payment_status(&lookup).await.unwrap();
        assert_eq!(after_part.provider_status.as_deref(), Some("REFUND"));
        // WeChat Pay's query says REFUND without the refunded sum: read as refunded (see
        // codes::trade_state), never as still simply paid.
        assert_eq!(after_part.status, PaymentStatus::Refunded);
        let rest = client
            .refund(&refund(&format!("{name}-r2"), &order_no, 5_800, 8_800))
            .await
            .unwrap();
        assert_eq!(rest.status, RefundStatus::Succeeded);
        let refunded = client.payment_status(&lookup).await.unwrap();
        assert_eq!(refunded.status, PaymentStatus::Refunded, "{name}");
        assert_eq!(refunded.amount, cny(8_800));
        // Nothing is left to refund, and the customer cannot pay it again.
        assert!(
            client
                .refund(&refund(&format!("{name}-r3"), &order_no, 1, 8_800))
                .await
                .is_err()
        );
        assert_eq!(
            host.customer(&order_no, CustomerAction::Pay).unwrap_err(),
            CustomerRefusal::AlreadyPaid
        );
        // A prepay repeated now: the order is paid, and the look-up says how it stands.
        let repeat = client.create_payment(&request).await.unwrap();
        assert_eq!(repeat.status, PaymentStatus::Refunded);
        assert_eq!(repeat.action, None);
    }
    assert_eq!(
        host.count_of(Counted::PaymentCreated),
        4,
        "one order per scene"
    );
    assert_eq!(host.count_of(Counted::RefundApplied), 8);
}

#[tokio::test]
async fn an_abandoned_order_closes_and_can_no_longer_be_paid() {
    let (_, host, client) = setup();
    let request = payment_request("close-0001", 1_200, Scene::Qr);
    let lookup = PaymentLookup::from(&request);
    client.create_payment(&request).await.unwrap();
    host.customer("close-0001", CustomerAction::Abandon)
        .unwrap();
    let closed = client.close_payment(&lookup).await.unwrap();
    assert_eq!(closed.status, PaymentStatus::Closed);
    assert_eq!(closed.provider_status.as_deref(), Some("CLOSED"));
    assert_eq!(closed.payment, None);
    assert_eq!(host.count_of(Counted::PaymentClosed), 1);
    // The close went out as WeChat Pay documents it: the order in the path, mchid the body.
    let requests = client.transport().requests();
    let close = requests
        .iter()
        .find(|r| r.uri().path().ends_with("/close"))
        .unwrap();
    assert_eq!(
        close.uri().path(),
        "/v3/pay/transactions/out-trade-no/close-0001/close"
    );
    assert_eq!(close.body().as_ref(), br#"{"mchid":"1900000109"}"#);

    assert_eq!(
        client.payment_status(&lookup).await.unwrap().status,
        PaymentStatus::Closed
    );
    assert_eq!(
        host.customer("close-0001", CustomerAction::Pay)
            .unwrap_err(),
        CustomerRefusal::Closed
    );
    // Closing again answers the same; a prepay of the closed order is refused.
    assert_eq!(
        client.close_payment(&lookup).await.unwrap().status,
        PaymentStatus::Closed
    );
    assert_eq!(host.count_of(Counted::PaymentClosed), 1);
    let error = client.create_payment(&request).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, .. } if *code == "ORDER_CLOSED"),
        "{error}"
    );

    // A paid order is not closed: the answer is the paid payment, not an error.
    let paid_request = payment_request("close-0002", 500, Scene::App);
    client.create_payment(&paid_request).await.unwrap();
    host.customer("close-0002", CustomerAction::Pay).unwrap();
    let still_paid = client
        .close_payment(&PaymentLookup::from(&paid_request))
        .await
        .unwrap();
    assert_eq!(still_paid.status, PaymentStatus::Succeeded);
    assert!(still_paid.payment.is_some());
    assert_eq!(host.count_of(Counted::PaymentClosed), 1);

    // No such order.
    let missing = PaymentLookup::new(order("never-made-1"));
    assert!(matches!(
        client.close_payment(&missing).await.unwrap_err(),
        Error::PaymentNotFound { .. }
    ));
    assert!(matches!(
        client.payment_status(&missing).await.unwrap_err(),
        Error::PaymentNotFound { .. }
    ));
}

#[tokio::test]
async fn an_order_past_its_time_expire_is_closed() {
    let (_, host, client) = setup();
    let request = payment_request("expire-0001", 100, Scene::Qr);
    client.create_payment(&request).await.unwrap();
    host.inner.clock.advance(3_601);
    let client = client.with_sources(
        Arc::new(paybridge_core::test_util::FixedClock::new(NOW + 3_601)),
        Arc::new(paybridge_core::test_util::SequentialIdGenerator::starting_at(500)),
    );
    let status = client
        .payment_status(&PaymentLookup::from(&request))
        .await
        .unwrap();
    assert_eq!(status.status, PaymentStatus::Closed);
    assert_eq!(
        host.customer("expire-0001", CustomerAction::Pay)
            .unwrap_err(),
        CustomerRefusal::Closed
    );
}

#[tokio::test]
async fn one_out_trade_no_is_one_order() {
    let (_, host, client) = setup();
    let request = payment_request("same-0001", 2_000, Scene::Qr);
    client.create_payment(&request).await.unwrap();
    for other in [
        payment_request("same-0001", 2_001, Scene::Qr),
        payment_request("same-0001", 2_000, Scene::App),
        PaymentRequest::builder(order("same-0001"), cny(2_000), Scene::Qr)
            .description("another description")
            .notify_url(PAY_NOTIFY)
            .client_ip("203.0.113.7")
            .expires_at(Timestamp::from_unix(NOW + 3_600).unwrap())
            .build()
            .unwrap(),
    ] {
        let error = client.create_payment(&other).await.unwrap_err();
        assert!(
            matches!(&error, Error::Rejected { code, .. } if *code == "OUT_TRADE_NO_USED"),
            "{error}"
        );
    }
    assert_eq!(host.count_of(Counted::PaymentCreated), 1);
}

#[tokio::test]
async fn scenes_wechat_pay_does_not_offer_are_refused_before_anything_is_sent() {
    let client = client_with(MockTransport::new());
    assert_eq!(
        PaymentProvider::scenes(&client),
        [
            paybridge_core::SceneKind::Qr,
            paybridge_core::SceneKind::Wap,
            paybridge_core::SceneKind::App,
            paybridge_core::SceneKind::Jsapi
        ]
    );
    let barcode = payment_request(
        "scene-0001",
        100,
        Scene::Barcode {
            auth_code: "134567890123456789".into(),
        },
    );
    match client.create_payment(&barcode).await.unwrap_err() {
        Error::UnsupportedScene { scene, reason, .. } => {
            assert_eq!(scene, "barcode");
            assert!(
                reason.contains("付款码") && reason.contains("v2"),
                "{reason}"
            );
        }
        other => panic!("{other}"),
    }
    let web = payment_request("scene-0002", 100, Scene::Web { return_url: None });
    let error = client.create_payment(&web).await.unwrap_err();
    assert!(
        matches!(&error, Error::UnsupportedScene { scene: "web", .. }),
        "{error}"
    );
    assert!(error.nothing_sent());

    // Input WeChat Pay would refuse is refused here, naming the field.
    let field = |e: Error| match e {
        Error::InvalidRequest { field, .. } => field,
        other => panic!("{other}"),
    };
    let no_ip = PaymentRequest::builder(
        order("scene-0003"),
        cny(100),
        Scene::Wap { return_url: None },
    )
    .notify_url(PAY_NOTIFY)
    .build()
    .unwrap();
    assert_eq!(
        field(client.create_payment(&no_ip).await.unwrap_err()),
        "client_ip"
    );
    let thb = PaymentRequest::builder(
        order("scene-0004"),
        Money::new(100, Currency::Thb),
        Scene::Qr,
    )
    .build()
    .unwrap();
    assert_eq!(
        field(client.create_payment(&thb).await.unwrap_err()),
        "amount"
    );
    let short = payment_request("s-1", 100, Scene::Qr);
    assert_eq!(
        field(client.create_payment(&short).await.unwrap_err()),
        "out_trade_no"
    );
    let query_url = PaymentRequest::builder(order("scene-0005"), cny(100), Scene::Qr)
        .notify_url("https://merchant.test/notify?order=1")
        .build()
        .unwrap();
    assert_eq!(
        field(client.create_payment(&query_url).await.unwrap_err()),
        "notify_url"
    );

    // Without a notification URL anywhere, or without the AppID, nothing goes either.
    let mut config = payments_config();
    config.notify_url = None;
    let bare = WechatPayClient::new(config, MockTransport::new()).unwrap();
    let no_notify = PaymentRequest::builder(order("scene-0006"), cny(100), Scene::Qr)
        .build()
        .unwrap();
    assert_eq!(
        field(bare.create_payment(&no_notify).await.unwrap_err()),
        "notify_url"
    );
    let no_appid =
        WechatPayClient::new(common::config(public_key_mode()), MockTransport::new()).unwrap();
    let error = no_appid.create_payment(&no_notify).await.unwrap_err();
    assert!(
        matches!(&error, Error::Config { reason } if reason.contains("appid")),
        "{error}"
    );
    let mut bad = payments_config();
    bad.appid = Some("wx 1".into());
    assert!(matches!(
        WechatPayClient::new(bad, MockTransport::new()),
        Err(Error::Config { .. })
    ));
    assert_eq!(client.transport().request_count(), 0);
    assert_eq!(bare.transport().request_count(), 0);
    assert_eq!(no_appid.transport().request_count(), 0);
}

/// A transaction as WeChat Pay would answer the query, signed by its key.
fn signed(emulator: &WechatPayEmulator, status: u16, body: &str) -> Scripted {
    let mut headers = http::HeaderMap::new();
    for (name, value) in emulator
        .sign(Timestamp::from_unix(NOW).unwrap(), body.as_bytes())
        .unwrap()
    {
        headers.insert(name, http::HeaderValue::from_str(&value).unwrap());
    }
    Scripted::Respond {
        status: http::StatusCode::from_u16(status).unwrap(),
        headers,
        body: Bytes::from(body.to_owned()),
    }
}

#[tokio::test]
async fn an_answer_about_another_order_amount_or_merchant_is_never_this_order_paid() {
    let emulator = common::emulator(PUBLIC_KEY_ID, false);
    let lookup = PaymentLookup {
        order_ref: order("mine-0001"),
        payment: None,
        amount: Some(cny(5_000)),
    };
    let success = |order: &str, total: i64, mchid: &str, appid: &str| {
        format!(
            r#"{{"appid":"{appid}","mchid":"{mchid}","out_trade_no":"{order}","transaction_id":"4200000000000000000000000042","trade_type":"NATIVE","trade_state":"SUCCESS","trade_state_desc":"支付成功","success_time":"2026-12-03T10:00:00+08:00","amount":{{"total":{total},"payer_total":{total},"currency":"CNY","payer_currency":"CNY"}}}}"#
        )
    };
    let cases = [
        (
            success("other-0001", 5_000, MCHID, SAMPLE_APPID),
            "order_ref",
        ),
        (success("mine-0001", 4_999, MCHID, SAMPLE_APPID), "amount"),
        (
            success("mine-0001", 5_000, "1900000999", SAMPLE_APPID),
            "mchid",
        ),
        (
            success("mine-0001", 5_000, MCHID, "wx0ther000000000000"),
            "appid",
        ),
    ];
    for (body, expected) in cases {
        let client = client_with(MockTransport::scripted([signed(&emulator, 200, &body)]));
        match client.payment_status(&lookup).await {
            Err(Error::IntegrityMismatch { field, .. }) => assert_eq!(field, expected),
            other => panic!("{expected}: {other:?}"),
        }
    }
    // Another payment id than the one asked for.
    let by_id = PaymentLookup {
        payment: Some(PaymentRef::new("4200000000000000000000000001").unwrap()),
        ..lookup.clone()
    };
    let body = success("mine-0001", 5_000, MCHID, SAMPLE_APPID);
    let client = client_with(MockTransport::scripted([signed(&emulator, 200, &body)]));
    assert!(matches!(
        client.payment_status(&by_id).await,
        Err(Error::IntegrityMismatch {
            field: "payment",
            ..
        })
    ));
    // In another currency.
    let usd = body.replace(r#""currency":"CNY""#, r#""currency":"USD""#);
    let client = client_with(MockTransport::scripted([signed(&emulator, 200, &usd)]));
    assert!(client.payment_status(&lookup).await.is_err());
    // A paid answer that states no amount is not trusted with the merchant's.
    let no_amount = r#"{"mchid":"1900000109","out_trade_no":"mine-0001","transaction_id":"4200000000000000000000000042","trade_state":"SUCCESS"}"#;
    let client = client_with(MockTransport::scripted([signed(&emulator, 200, no_amount)]));
    assert!(matches!(
        client.payment_status(&lookup).await,
        Err(Error::MalformedResponse { .. })
    ));
    // Unsigned, or signed over other bytes: not read at all.
    let client = client_with(MockTransport::scripted([Scripted::json(200, body.clone())]));
    assert!(matches!(
        client.payment_status(&lookup).await,
        Err(Error::Verification { .. })
    ));
    let mut forged = signed(&emulator, 200, &body);
    if let Scripted::Respond { body: b, .. } = &mut forged {
        *b = Bytes::from(body.replace("5000", "5001"));
    }
    let client = client_with(MockTransport::scripted([forged]));
    assert!(matches!(
        client.payment_status(&lookup).await,
        Err(Error::Verification { .. })
    ));
    // A bare 404 without WeChat Pay's code is not "no such payment".
    let client = client_with(MockTransport::scripted([Scripted::status(
        404,
        "not found",
    )]));
    assert!(!matches!(
        client.payment_status(&lookup).await,
        Err(Error::PaymentNotFound { .. })
    ));

    // A prepay whose answer cannot be used may still have made the order: unknown.
    let request = payment_request("mine-0002", 5_000, Scene::App);
    let client = client_with(MockTransport::scripted([signed(
        &emulator,
        200,
        r#"{"prepay_id":""}"#,
    )]));
    let error = client.create_payment(&request).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error}");
    let client = client_with(MockTransport::scripted([Scripted::json(
        200,
        r#"{"prepay_id":"wx1"}"#,
    )]));
    let error = client.create_payment(&request).await.unwrap_err();
    assert!(error.may_have_applied() && !error.nothing_sent(), "{error}");
    // ORDERPAID on a prepay: the look-up decides, and it must be this order and amount.
    let orderpaid = signed(
        &emulator,
        400,
        r#"{"code":"ORDERPAID","message":"该订单已支付"}"#,
    );
    let paid_elsewhere = success("mine-0002", 4_000, MCHID, SAMPLE_APPID);
    let client = client_with(MockTransport::scripted([
        orderpaid.clone(),
        signed(&emulator, 200, &paid_elsewhere),
    ]));
    assert!(matches!(
        client.create_payment(&request).await,
        Err(Error::IntegrityMismatch {
            field: "amount",
            ..
        })
    ));
    let paid_here = success("mine-0002", 5_000, MCHID, SAMPLE_APPID);
    let client = client_with(MockTransport::scripted([
        orderpaid,
        signed(&emulator, 200, &paid_here),
    ]));
    let payment = client.create_payment(&request).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::Succeeded);
}

#[tokio::test]
async fn a_close_whose_outcome_is_lost_is_settled_by_the_look_up_only() {
    let emulator = common::emulator(PUBLIC_KEY_ID, false);
    let lookup = PaymentLookup::new(order("lost-0001"));
    let state = |state: &str| {
        format!(
            r#"{{"mchid":"1900000109","out_trade_no":"lost-0001","trade_state":"{state}","amount":{{"total":100,"currency":"CNY"}}}}"#
        )
    };
    let unknown = || Scripted::json(500, "<html>bad gateway</html>");
    // Every attempt's answer lost, then the look-up shows it closed: closed.
    let client = client_with(MockTransport::scripted([
        unknown(),
        unknown(),
        unknown(),
        signed(&emulator, 200, &state("CLOSED")),
    ]));
    let closed = client.close_payment(&lookup).await.unwrap();
    assert_eq!(closed.status, PaymentStatus::Closed);
    // …or still waiting for the payer: the close's outcome stays unknown.
    let client = client_with(MockTransport::scripted([
        unknown(),
        unknown(),
        unknown(),
        signed(&emulator, 200, &state("NOTPAY")),
    ]));
    let error = client.close_payment(&lookup).await.unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    // An unsigned 204 proves nothing either.
    let client = client_with(MockTransport::scripted([
        Scripted::status(204, ""),
        signed(&emulator, 200, &state("NOTPAY")),
    ]));
    assert!(client.close_payment(&lookup).await.is_err());
}

#[tokio::test]
async fn a_tampered_or_foreign_payment_notification_does_not_verify() {
    let (emulator, host, client) = setup();
    let request = payment_request("tamper-0001", 700, Scene::Qr);
    client.create_payment(&request).await.unwrap();
    let paid = host.customer("tamper-0001", CustomerAction::Pay).unwrap();
    let delivery = emulator.payment_notification(host.as_ref(), &paid).unwrap();
    // One byte changed anywhere in the body.
    for i in [0, delivery.body.len() / 3, delivery.body.len() - 2] {
        let mut tampered = OutgoingNotification {
            body: delivery.body.clone(),
            headers: delivery.headers.clone(),
            url: delivery.url.clone(),
            ..delivery
        };
        tampered.body[i] ^= 0x01;
        let error = client
            .verify_notification(&as_request(&tampered))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Verification { .. }), "{error}");
    }
    // A ciphertext changed and the envelope signed again (as by a leaked platform key): the
    // APIv3 key's authentication still refuses it.
    let mut envelope: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    let ciphertext = envelope["resource"]["ciphertext"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut raw = paybridge_sign::base64_decode(&ciphertext).unwrap();
    raw[3] ^= 0x01;
    envelope["resource"]["ciphertext"] = paybridge_sign::base64_encode(&raw).into();
    let body = serde_json::to_vec(&envelope).unwrap();
    let resigned = OutgoingNotification {
        headers: emulator.sign(host.now(), &body).unwrap(),
        body,
        url: delivery.url.clone(),
        ..delivery
    };
    let error = client
        .verify_notification(&as_request(&resigned))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Verification { reason, .. } if reason.contains("resource")),
        "{error}"
    );
    // A payment event whose resource says it is a refund is not read as either.
    let mut envelope: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    envelope["resource"]["original_type"] = "refund".into();
    let body = serde_json::to_vec(&envelope).unwrap();
    let confused = OutgoingNotification {
        headers: emulator.sign(host.now(), &body).unwrap(),
        body,
        url: delivery.url.clone(),
        ..delivery
    };
    assert!(matches!(
        client.verify_notification(&as_request(&confused)).await,
        Err(Error::MalformedResponse { .. })
    ));

    // Genuine, but for another AppID of a merchant sharing the keys: not this client's news.
    let other_emulator =
        Arc::new(common::emulator(PUBLIC_KEY_ID, false).with_appid("wx0ther000000000000"));
    let other_host = Arc::new(CountingHost::new());
    let mut other_config = payments_config();
    other_config.appid = Some("wx0ther000000000000".into());
    let (e, h) = (Arc::clone(&other_emulator), Arc::clone(&other_host));
    let other_client = WechatPayClient::new(
        other_config,
        MockTransport::with_handler(move |request| {
            let (status, headers, body) =
                paybridge_emulator::test_util::respond(e.as_ref(), h.as_ref(), request, "");
            Scripted::Respond {
                status,
                headers,
                body,
            }
        }),
    )
    .unwrap()
    .with_sources(
        Arc::new(paybridge_core::test_util::FixedClock::new(NOW)),
        Arc::new(paybridge_core::test_util::SequentialIdGenerator::starting_at(1)),
    );
    other_client
        .create_payment(&payment_request("foreign-0001", 700, Scene::Qr))
        .await
        .unwrap();
    let paid = other_host
        .customer("foreign-0001", CustomerAction::Pay)
        .unwrap();
    let foreign = other_emulator
        .payment_notification(other_host.as_ref(), &paid)
        .unwrap();
    assert!(
        other_client
            .verify_notification(&as_request(&foreign))
            .await
            .is_ok()
    );
    let error = client
        .verify_notification(&as_request(&foreign))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Verification { reason, .. } if reason.contains("AppID")),
        "{error}"
    );
    // The refund-only reader refuses a payment notification rather than misreading it.
    let error = client
        .codec()
        .verify_notification(&as_request(&delivery).headers().clone(), &delivery.body)
        .unwrap_err();
    assert!(matches!(error, Error::MalformedResponse { .. }), "{error}");
    match client
        .codec()
        .verify_event(&as_request(&delivery).headers().clone(), &delivery.body)
        .unwrap()
    {
        WechatPayEvent::Payment(n) => {
            assert_eq!(n.transaction.out_trade_no.as_deref(), Some("tamper-0001"));
            assert_eq!(n.summary.as_deref(), Some("支付成功"));
        }
        other => panic!("{other:?}"),
    }
}

/// Signs `request` as the merchant would and has the emulator answer it.
fn ask<E: paybridge_core::Endpoint>(
    emulator: &WechatPayEmulator,
    host: &CountingHost,
    request: &E,
) -> (http::StatusCode, http::HeaderMap, Bytes)
where
    Codec: paybridge_core::Codec<E>,
{
    let codec = codec_at(BASE);
    let nonce = format!("n{}", host.ledger().next_number());
    let signed = codec.encode_with(request, NOW, &nonce).unwrap();
    paybridge_emulator::test_util::respond(emulator, host, &signed, "")
}

fn code_of(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    value["code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn the_emulator_keeps_wechat_pays_rules() {
    let emulator = common::emulator(PUBLIC_KEY_ID, false);
    let host = CountingHost::new();
    let prepay = |order: &str| {
        PrepayRequest::new(SAMPLE_APPID, MCHID, "sandbox goods", order, PAY_NOTIFY, 300)
    };
    // H5 without the payer's IP, JSAPI without the payer, another AppID: refused.
    let (status, _, body) = ask(&emulator, &host, &H5Prepay(prepay("h5-0001")));
    assert_eq!(
        (status.as_u16(), code_of(&body).as_str()),
        (400, "PARAM_ERROR")
    );
    assert!(String::from_utf8_lossy(&body).contains("client_ip"));
    let (status, _, body) = ask(&emulator, &host, &JsapiPrepay(prepay("js-0001")));
    assert_eq!(
        (status.as_u16(), code_of(&body).as_str()),
        (400, "PARAM_ERROR")
    );
    let mut foreign = prepay("js-0002");
    foreign.appid = "wx0ther000000000000".into();
    foreign.payer = Some(Payer::new(OPENID));
    let (status, _, body) = ask(&emulator, &host, &JsapiPrepay(foreign));
    assert_eq!(
        (status.as_u16(), code_of(&body).as_str()),
        (400, "APPID_MCHID_NOT_MATCH")
    );
    assert_eq!(host.count_of(Counted::PaymentCreated), 0);

    // time_expire is kept between a minute and 90 days after the order.
    let mut soon = prepay("exp-0001");
    soon.time_expire = Some("2020-01-01T00:00:00+08:00".into());
    let (status, headers, body) = ask(&emulator, &host, &NativePrepay(soon));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(headers.contains_key("wechatpay-signature"));
    let kept = host
        .ledger()
        .payment(ProviderId::WechatPay, "exp-0001")
        .unwrap();
    assert_eq!(kept.expires_at.unwrap().unix_seconds(), NOW + 60);
    assert_eq!(kept.scene.as_deref(), Some("NATIVE"));
    assert_eq!(kept.notify_url.as_deref(), Some(PAY_NOTIFY));
    assert!(!kept.paid);
    let mut late = prepay("exp-0002");
    late.time_expire = Some("2099-01-01T00:00:00+08:00".into());
    ask(&emulator, &host, &NativePrepay(late));
    let kept = host
        .ledger()
        .payment(ProviderId::WechatPay, "exp-0002")
        .unwrap();
    assert_eq!(kept.expires_at.unwrap().unix_seconds(), NOW + 90 * 86_400);

    // An unpaid order is found by out_trade_no, never by an id it does not have yet.
    let (status, _, body) = ask(&emulator, &host, &QueryByOutTradeNo::new("exp-0001", MCHID));
    assert_eq!(status, 200);
    let transaction: Transaction = serde_json::from_slice(&body).unwrap();
    assert_eq!(transaction.trade_state.as_deref(), Some("NOTPAY"));
    assert_eq!(transaction.transaction_id, None);
    assert_eq!(transaction.amount.as_ref().unwrap().total, Some(300));
    let (status, _, body) = ask(
        &emulator,
        &host,
        &paybridge_wechatpay::wire::requests::QueryByTransactionId::new(
            kept.payment.as_str(),
            MCHID,
        ),
    );
    assert_eq!(
        (status.as_u16(), code_of(&body).as_str()),
        (404, "ORDER_NOT_EXIST")
    );

    // The close: a signed 204 with no body, which the codec reads as such.
    let (status, headers, body) = ask(&emulator, &host, &CloseOrder::new("exp-0001", MCHID));
    assert_eq!(status, 204);
    assert!(body.is_empty());
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    let mut codec = codec_at(BASE);
    codec.set_clock(Arc::new(paybridge_core::test_util::FixedClock::new(NOW)));
    assert_eq!(
        codec.decode_answer::<NoContent>(&response).unwrap(),
        NoContent
    );
    // …and only as such: no other answer type reads an empty 204.
    assert!(matches!(
        codec.decode_answer::<Transaction>(&response),
        Err(Error::MalformedResponse { .. })
    ));
    let mut unsigned = http::Response::new(Bytes::new());
    *unsigned.status_mut() = http::StatusCode::NO_CONTENT;
    assert!(matches!(
        codec.decode_answer::<NoContent>(&unsigned),
        Err(Error::Verification { .. })
    ));
    assert_eq!(host.count_of(Counted::PaymentClosed), 1);
    let (status, _, body) = ask(&emulator, &host, &CloseOrder::new("nope-0001", MCHID));
    assert_eq!(
        (status.as_u16(), code_of(&body).as_str()),
        (404, "ORDER_NOT_EXIST")
    );

    // The H5 cashier page the h5_url opens (a page, not an API: no signature needed).
    let mut h5 = prepay("h5-0002");
    let mut scene = paybridge_wechatpay::wire::requests::SceneInfo::client_ip("203.0.113.7");
    scene.h5_info = Some(paybridge_wechatpay::wire::requests::H5Info::wap());
    h5.scene_info = Some(scene);
    let (status, _, body) = ask(&emulator, &host, &H5Prepay(h5));
    assert_eq!(status, 200);
    let url: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let url = url["h5_url"].as_str().unwrap();
    let path = url.strip_prefix("http://127.0.0.1:9/wechatpay").unwrap();
    let page = http::Request::get(path).body(Bytes::new()).unwrap();
    let (status, _, body) = paybridge_emulator::test_util::respond(&emulator, &host, &page, "");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("h5-0002"));

    // Orders not paid send no payment notification.
    let waiting = host
        .ledger()
        .payment(ProviderId::WechatPay, "h5-0002")
        .unwrap();
    assert!(emulator.payment_notification(&host, &waiting).is_none());
}

#[test]
fn invocation_parameters_are_signed_over_the_documented_lines() {
    let codec = codec_at(BASE);
    let jsapi = codec
        .jsapi_invocation(
            SAMPLE_APPID,
            "wx201410272009395522657a690389285100",
            1_414_561_699,
            "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        )
        .unwrap();
    assert_eq!(
        jsapi.package,
        "prepay_id=wx201410272009395522657a690389285100"
    );
    assert_eq!(jsapi.sign_type, "RSA");
    assert_eq!(jsapi.time_stamp, "1414561699");
    let message = jsapi_message(
        SAMPLE_APPID,
        "1414561699",
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "prepay_id=wx201410272009395522657a690389285100",
    );
    assert_eq!(message, jsapi.message());
    // PKCS#1 v1.5 is deterministic: exactly the signature of the documented message.
    assert_eq!(
        jsapi.pay_sign,
        merchant_key().sign_base64(&message).unwrap()
    );
    let json = serde_json::to_value(&jsapi).unwrap();
    for name in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(json.get(name).is_some(), "{name}");
    }

    let app = codec
        .app_invocation(
            SAMPLE_APPID,
            "wx201410272009395522657a690389285100",
            1_414_561_699,
            "abc123",
        )
        .unwrap();
    assert_eq!(
        (app.partnerid.as_str(), app.package.as_str()),
        (MCHID, "Sign=WXPay")
    );
    let message = app_message(
        SAMPLE_APPID,
        "1414561699",
        "abc123",
        "wx201410272009395522657a690389285100",
    );
    assert_eq!(app.sign, merchant_key().sign_base64(&message).unwrap());

    // A value that would break a line of the signed message, or a nonce SDKs refuse: nothing
    // is signed.
    for (appid, prepay, nonce) in [
        ("wx1\n", "wx2", "n"),
        (SAMPLE_APPID, "wx2\nx", "n"),
        (SAMPLE_APPID, "", "n"),
        (SAMPLE_APPID, "wx2", ""),
        (SAMPLE_APPID, "wx2", &"n".repeat(33)),
    ] {
        assert!(codec.jsapi_invocation(appid, prepay, 1, nonce).is_err());
        assert!(codec.app_invocation(appid, prepay, 1, nonce).is_err());
    }
}

#[tokio::test]
async fn no_secret_reaches_debug() {
    let pem = std::fs::read_to_string(data("merchant.pem")).unwrap();
    // A line from the middle of the private key: the secret itself, not its header.
    let key_line = pem.lines().nth(5).unwrap().to_owned();
    let (emulator, host, client) = setup();
    let request = payment_request(
        "debug-0001",
        100,
        Scene::Jsapi {
            payer: OPENID.into(),
        },
    );
    let created = client.create_payment(&request).await.unwrap();
    let paid = host.customer("debug-0001", CustomerAction::Pay).unwrap();
    let delivery = emulator.payment_notification(host.as_ref(), &paid).unwrap();
    let event = client
        .codec()
        .verify_event(&as_request(&delivery).headers().clone(), &delivery.body)
        .unwrap();
    let invocation = client.jsapi_invocation("wx2014").unwrap();
    let printed = [
        format!("{:?}", payments_config()),
        format!("{client:?}"),
        format!("{:?}", client.codec()),
        format!("{emulator:?}"),
        format!("{created:?}"),
        format!("{event:?}"),
        format!("{invocation:?}"),
        format!("{:?}", client.app_invocation("wx2014").unwrap()),
        format!("{:?}", client.prepay_request(&request).unwrap()),
    ];
    for text in printed {
        assert!(!text.contains(APIV3_KEY), "{text}");
        assert!(!text.contains(&key_line), "{text}");
    }
    // The AppID is shown (it is no secret, and says which app a payment is for).
    assert!(format!("{client:?}").contains(SAMPLE_APPID));
    let _ = host.inner.clock.now();
}
