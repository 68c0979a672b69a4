//! Taking payments with Alipay, against Alipay's side (the crate's emulator), in every scene:
//! created (for web, wap and app: signed here and opened as the customer's browser or app
//! would), paid by the customer, the notification verified, looked up, refunded in part and in
//! full; abandoned and closed; and the barcode's honest outcomes — paid at once, paid while
//! the client waits, cancelled at the deadline, refused, or settled by look-up after a lost
//! answer, never charged twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use paybridge_alipay::emulator::AlipayEmulator;
use paybridge_alipay::{AlipayClient, AlipayKeys, form_decode, form_encode};
use paybridge_core::test_util::FixedClock;
use paybridge_core::{
    Clock, Currency, Error, MerchantRefundId, Money, NotificationEvent, OrderRef, Payment,
    PaymentAction, PaymentLookup, PaymentProvider, PaymentRequest, PaymentStatus, ProviderId,
    RefundLookup, RefundProvider, RefundRequest, RefundStatus, RejectionClass, Scene, SceneKind,
    Timestamp,
};
use paybridge_emulator::{
    Counted, CustomerAction, CustomerRefusal, Emulator, Host, Ledger, OutgoingNotification,
    RefundEntry,
};
use paybridge_transport::test_util::{Failure, MockTransport, Scripted};

const NOTIFY: &str = "https://merchant.test/alipay/payments";

/// The sandbox's part, counting every event apart and keeping what it was asked to deliver.
struct PayHost {
    clock: FixedClock,
    ledger: Ledger,
    counted: Mutex<Vec<Counted>>,
    delivered: Mutex<Vec<OutgoingNotification>>,
}

impl PayHost {
    fn new() -> PayHost {
        PayHost {
            clock: FixedClock::new(NOW),
            ledger: Ledger::default(),
            counted: Mutex::default(),
            delivered: Mutex::default(),
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

    fn take_deliveries(&self) -> Vec<OutgoingNotification> {
        std::mem::take(&mut *self.delivered.lock().unwrap())
    }

    fn pay(&self, order: &str) -> Result<paybridge_emulator::Payment, CustomerRefusal> {
        self.ledger.customer(
            ProviderId::Alipay,
            order,
            CustomerAction::Pay,
            self.clock.now(),
        )
    }
}

impl Host for PayHost {
    fn now(&self) -> Timestamp {
        self.clock.now()
    }
    fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    fn base_url(&self) -> &str {
        "http://127.0.0.1:9"
    }
    fn settles_at_once(&self) -> bool {
        true
    }
    fn timestamp_window_secs(&self) -> i64 {
        300
    }
    fn count(&self, event: Counted) {
        self.counted.lock().unwrap().push(event);
    }
    fn settle(&self, _: ProviderId, _: paybridge_emulator::Payment, _: RefundEntry) {}
    fn deliver(&self, delivery: OutgoingNotification) {
        self.delivered.lock().unwrap().push(delivery);
    }
}

struct World {
    host: Arc<PayHost>,
    emulator: Arc<AlipayEmulator>,
    client: AlipayClient<MockTransport>,
}

fn respond(emulator: &AlipayEmulator, host: &PayHost, request: &http::Request<Bytes>) -> Scripted {
    let (status, headers, body) =
        paybridge_emulator::test_util::respond(emulator, host, request, "");
    Scripted::Respond {
        status,
        headers,
        body,
    }
}

/// A client whose calls `through` hands to Alipay's side (by default, unchanged).
fn world_through(
    through: impl Fn(&AlipayEmulator, &PayHost, &http::Request<Bytes>) -> Scripted
    + Send
    + Sync
    + 'static,
) -> World {
    let host = Arc::new(PayHost::new());
    let emulator = Arc::new(emulator(None, false));
    let (h, e) = (Arc::clone(&host), Arc::clone(&emulator));
    let client = client_with(
        AlipayKeys::public_key(alipay_public()),
        MockTransport::with_handler(move |request| through(&e, &h, request)),
    );
    World {
        host,
        emulator,
        client,
    }
}

fn world() -> World {
    world_through(respond)
}

fn cny(minor: i64) -> Money {
    Money::new(minor, Currency::Cny)
}

fn request(order: &str, amount: i64, scene: Scene) -> PaymentRequest {
    PaymentRequest::builder(OrderRef::new(order).unwrap(), cny(amount), scene)
        .notify_url(NOTIFY)
        .build()
        .unwrap()
}

/// The `method` each request the client sent named, in order.
fn methods(client: &AlipayClient<MockTransport>) -> Vec<String> {
    client
        .transport()
        .requests()
        .iter()
        .map(|r| {
            r.uri()
                .query()
                .unwrap_or_default()
                .trim_start_matches("method=")
                .to_owned()
        })
        .collect()
}

/// The hidden inputs and the action of a self-submitting form, read the way a browser reads
/// them (character references resolved).
fn read_form(html: &str) -> (String, Vec<(String, String)>) {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + tag[start..].find('"').unwrap();
        unescape(&tag[start..end])
    };
    let form_tag = &html[html.find("<form").unwrap()..];
    let form_tag = &form_tag[..form_tag.find('>').unwrap()];
    assert!(form_tag.contains("method=\"post\""), "{form_tag}");
    let action = attribute(form_tag, "action");
    let inputs = html
        .split("<input type=\"hidden\"")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            (attribute(tag, "name"), attribute(tag, "value"))
        })
        .collect();
    (action, inputs)
}

/// The customer's browser or app bringing a cashier order to Alipay: the page Alipay answers.
fn open(world: &World, action: &PaymentAction) -> String {
    let form = "application/x-www-form-urlencoded;charset=utf-8";
    let request = match action {
        PaymentAction::Redirect { url } => {
            http::Request::get(url.as_str()).body(Bytes::new()).unwrap()
        }
        PaymentAction::Form { html } => {
            let (action, inputs) = read_form(html);
            let body = form_encode(inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            http::Request::post(action)
                .header("content-type", form)
                .body(Bytes::from(body))
                .unwrap()
        }
        PaymentAction::Sdk { params } => http::Request::post(format!("{BASE}/gateway.do"))
            .header("content-type", form)
            .body(Bytes::from(params["order_string"].clone()))
            .unwrap(),
        other => panic!("nothing to open in {other:?}"),
    };
    let (status, headers, body) =
        paybridge_emulator::test_util::respond(&*world.emulator, &*world.host, &request, "");
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    String::from_utf8(body.to_vec()).unwrap()
}

/// A notification as the merchant's server receives it.
fn delivered(delivery: &OutgoingNotification) -> http::Request<Bytes> {
    http::Request::post(delivery.url.as_str())
        .header("content-type", delivery.content_type)
        .body(Bytes::from(delivery.body.clone()))
        .unwrap()
}

/// The notification verifies, and says this order is paid in full for its amount.
async fn notified_paid(
    world: &World,
    delivery: &OutgoingNotification,
    request: &PaymentRequest,
    trade_no: &str,
) {
    assert_eq!(delivery.url, NOTIFY);
    let notification = world
        .client
        .verify_notification(&delivered(delivery))
        .await
        .unwrap();
    assert_eq!(
        notification.event_name.as_deref(),
        Some("trade_status_sync")
    );
    let NotificationEvent::Payment { payment } = notification.event else {
        panic!("not a payment: {notification:?}");
    };
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    assert_eq!(payment.provider_status.as_deref(), Some("TRADE_SUCCESS"));
    assert_eq!(
        payment.order_ref.as_deref(),
        Some(request.order_ref().as_str())
    );
    assert_eq!(payment.amount, Some(request.amount()));
    assert_eq!(payment.payment.as_deref(), Some(trade_no));
}

fn refund(request: &PaymentRequest, id: &str, minor: i64) -> RefundRequest {
    RefundRequest::builder(MerchantRefundId::new(id).unwrap(), cny(minor))
        .order_ref(request.order_ref().clone())
        .total(request.amount())
        .build()
        .unwrap()
}

/// Paid: looked up as succeeded; refunded in part (still succeeded — Alipay's query does not
/// say how much was refunded), then in full: refunded.
async fn looked_up_and_refunded(world: &World, request: &PaymentRequest, trade_no: &str) {
    let lookup = PaymentLookup::from(request);
    let paid = world.client.payment_status(&lookup).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(paid.provider_status.as_deref(), Some("TRADE_SUCCESS"));
    assert_eq!(paid.payment.as_deref(), Some(trade_no));
    assert_eq!(paid.amount, request.amount());
    let total = request.amount().minor;
    let part = world
        .client
        .refund(&refund(request, "r-1", total / 4))
        .await
        .unwrap();
    assert_eq!(part.status, RefundStatus::Succeeded);
    let after_part = world.client.payment_status(&lookup).await.unwrap();
    assert_eq!(after_part.status, PaymentStatus::Succeeded);
    let rest = world
        .client
        .refund(&refund(request, "r-2", total - total / 4))
        .await
        .unwrap();
    assert_eq!(rest.amount.minor, total - total / 4);
    let refunded = world.client.payment_status(&lookup).await.unwrap();
    assert_eq!(refunded.status, PaymentStatus::Refunded);
    assert_eq!(refunded.provider_status.as_deref(), Some("TRADE_CLOSED"));
    // Nothing is left to refund.
    let error = world
        .client
        .refund(&refund(request, "r-3", 1))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Rejected { .. }), "{error}");
}

/// The customer pays a payment waiting for them (as `POST /_sandbox/customer` does); its
/// notification is verified, and it is looked up and refunded.
async fn customer_pays(world: &World, request: &PaymentRequest) {
    let paid = world.host.pay(request.order_ref().as_str()).unwrap();
    let delivery = world
        .emulator
        .payment_notification(&*world.host, &paid)
        .expect("a payment notification");
    notified_paid(world, &delivery, request, &paid.payment).await;
    looked_up_and_refunded(world, request, &paid.payment).await;
}

#[tokio::test]
async fn a_qr_payment_is_paid_notified_and_refunded() {
    let world = world();
    let request = request("qr-1", 12_345, Scene::Qr);
    let created = world.client.create_payment(&request).await.unwrap();
    assert_eq!(created.status, PaymentStatus::Pending);
    assert_eq!(created.amount, cny(12_345));
    let Some(PaymentAction::Qr { content }) = &created.action else {
        panic!("not a QR code: {created:?}");
    };
    assert!(content.starts_with("https://qr.alipay.com/"), "{content}");
    let sent = form_decode(world.client.transport().requests()[0].body()).unwrap();
    let biz: serde_json::Value =
        serde_json::from_str(&sent.iter().find(|(k, _)| k == "biz_content").unwrap().1).unwrap();
    assert_eq!(biz["out_trade_no"], "qr-1");
    assert_eq!(biz["total_amount"], "123.45");
    assert_eq!(
        biz["subject"], "qr-1",
        "the subject defaults to the order reference"
    );
    assert!(sent.iter().any(|(k, v)| k == "notify_url" && v == NOTIFY));
    assert_eq!(world.host.count_of(Counted::PaymentCreated), 1);
    // Nobody scanned it yet: Alipay holds no trade.
    let error = world
        .client
        .payment_status(&PaymentLookup::from(&request))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::PaymentNotFound { .. }), "{error}");
    // The same order again is the same trade and the same code.
    let again = world.client.create_payment(&request).await.unwrap();
    assert_eq!(again.action, created.action);
    assert_eq!(world.host.count_of(Counted::PaymentCreated), 1);
    customer_pays(&world, &request).await;
}

#[tokio::test]
async fn a_web_payment_too_long_for_a_url_is_a_form_the_browser_posts() {
    let world = world();
    // A long description in Chinese takes the URL past what browsers safely carry.
    let description = "支付宝沙箱测试订单".repeat(14);
    let return_url = format!(
        "https://merchant.test/return?order=web-1&x=it's&pad={}",
        "p".repeat(120)
    );
    let request = PaymentRequest::builder(
        OrderRef::new("web-1").unwrap(),
        cny(8_888),
        Scene::Web {
            return_url: Some(return_url.clone()),
        },
    )
    .description(description.clone())
    .notify_url(NOTIFY)
    .expires_at(Timestamp::from_unix(NOW + 900).unwrap())
    .build()
    .unwrap();
    let created = world.client.create_payment(&request).await.unwrap();
    assert_eq!(
        world.client.transport().request_count(),
        0,
        "nothing is sent"
    );
    let Some(action @ PaymentAction::Form { html }) = &created.action else {
        panic!("not a form: {created:?}");
    };
    let (target, inputs) = read_form(html);
    assert_eq!(target, format!("{BASE}/gateway.do?charset=utf-8"));
    let get = |name: &str| {
        inputs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("method"), Some("alipay.trade.page.pay"));
    assert_eq!(get("notify_url"), Some(NOTIFY));
    assert_eq!(get("return_url"), Some(return_url.as_str()));
    let biz: serde_json::Value = serde_json::from_str(get("biz_content").unwrap()).unwrap();
    assert_eq!(biz["product_code"], "FAST_INSTANT_TRADE_PAY");
    assert_eq!(biz["subject"], description.as_str());
    // 15 minutes after 2026-12-03 20:13:20 in Beijing.
    assert_eq!(biz["time_expire"], "2026-12-03 20:28:20");
    // The customer's browser posts it: Alipay records the order and shows its cashier.
    let page = open(&world, action);
    assert!(page.contains("web-1") && page.contains("88.88"), "{page}");
    let recorded = world
        .host
        .ledger
        .payment(ProviderId::Alipay, "web-1")
        .unwrap();
    assert!(!recorded.paid);
    assert_eq!(recorded.scene.as_deref(), Some("FAST_INSTANT_TRADE_PAY"));
    assert_eq!(recorded.notify_url.as_deref(), Some(NOTIFY));
    assert_eq!(
        recorded.expires_at.map(|at| at.unix_seconds()),
        Some(NOW + 900)
    );
    assert_eq!(world.host.count_of(Counted::PaymentCreated), 1);
    // Opened again (a reload): the same trade.
    open(&world, action);
    assert_eq!(world.host.count_of(Counted::PaymentCreated), 1);
    customer_pays(&world, &request).await;
}

#[tokio::test]
async fn a_short_web_order_is_a_redirect() {
    let world = world();
    let request = request("web-2", 100, Scene::Web { return_url: None });
    let created = world.client.create_payment(&request).await.unwrap();
    let Some(PaymentAction::Redirect { url }) = &created.action else {
        panic!("not a redirect: {created:?}");
    };
    assert!(url.len() <= paybridge_alipay::cashier::MAX_REDIRECT_URL_LEN);
    assert!(url.contains("method=alipay.trade.page.pay"), "{url}");
    assert!(
        !url.contains("return_url"),
        "an empty parameter is neither signed nor sent"
    );
}

#[tokio::test]
async fn a_wap_payment_is_a_redirect_the_mobile_browser_follows() {
    let world = world();
    let request = request(
        "wap-1",
        2_000,
        Scene::Wap {
            return_url: Some("https://merchant.test/back".into()),
        },
    );
    let created = world.client.create_payment(&request).await.unwrap();
    assert_eq!(
        world.client.transport().request_count(),
        0,
        "nothing is sent"
    );
    let Some(action @ PaymentAction::Redirect { url }) = &created.action else {
        panic!("not a redirect: {created:?}");
    };
    assert!(url.starts_with(&format!("{BASE}/gateway.do?")), "{url}");
    let (_, query) = url.split_once('?').unwrap();
    let params = form_decode(query.as_bytes()).unwrap();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("method"), Some("alipay.trade.wap.pay"));
    assert_eq!(get("return_url"), Some("https://merchant.test/back"));
    let biz: serde_json::Value = serde_json::from_str(get("biz_content").unwrap()).unwrap();
    assert_eq!(biz["product_code"], "QUICK_WAP_WAY");
    assert_eq!(biz["quit_url"], "https://merchant.test/back");
    // A cashier order's trade exists at Alipay only once the buyer pays.
    open(&world, action);
    let error = world
        .client
        .payment_status(&PaymentLookup::from(&request))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::PaymentNotFound { .. }), "{error}");
    customer_pays(&world, &request).await;
}

#[tokio::test]
async fn an_app_payment_is_an_order_string_the_app_sdk_submits() {
    let world = world();
    let request = request("app-1", 666, Scene::App);
    let created = world.client.create_payment(&request).await.unwrap();
    assert_eq!(
        world.client.transport().request_count(),
        0,
        "nothing is sent"
    );
    let Some(action @ PaymentAction::Sdk { params }) = &created.action else {
        panic!("not SDK parameters: {created:?}");
    };
    let order_string = &params["order_string"];
    assert!(order_string.starts_with("app_id=2014072300007148&biz_content="));
    assert!(order_string.contains("&method=alipay.trade.app.pay&"));
    assert!(!order_string.contains("return_url"));
    let last = order_string.rsplit('&').next().unwrap();
    assert!(last.starts_with("sign="), "sign last: {order_string}");
    open(&world, action);
    let recorded = world
        .host
        .ledger
        .payment(ProviderId::Alipay, "app-1")
        .unwrap();
    assert_eq!(recorded.scene.as_deref(), Some("QUICK_MSECURITY_PAY"));
    customer_pays(&world, &request).await;
}

#[tokio::test]
async fn a_jsapi_payment_is_a_trade_number_for_the_mini_program() {
    let world = world();
    let request = request(
        "js-1",
        3_000,
        Scene::Jsapi {
            payer: "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5".into(),
        },
    );
    let created = world.client.create_payment(&request).await.unwrap();
    let Some(PaymentAction::Sdk { params }) = &created.action else {
        panic!("not SDK parameters: {created:?}");
    };
    let trade_no = created.payment.clone().unwrap();
    assert_eq!(params["tradeNO"], trade_no);
    let sent = form_decode(world.client.transport().requests()[0].body()).unwrap();
    let biz: serde_json::Value =
        serde_json::from_str(&sent.iter().find(|(k, _)| k == "biz_content").unwrap().1).unwrap();
    assert_eq!(biz["product_code"], "JSAPI_PAY");
    assert_eq!(
        biz["buyer_open_id"],
        "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"
    );
    // A JSAPI trade exists from its creation, waiting for the buyer.
    let waiting = world
        .client
        .payment_status(&PaymentLookup::from(&request))
        .await
        .unwrap();
    assert_eq!(waiting.status, PaymentStatus::Pending);
    assert_eq!(waiting.provider_status.as_deref(), Some("WAIT_BUYER_PAY"));
    assert_eq!(waiting.payment.as_deref(), Some(trade_no.as_str()));
    customer_pays(&world, &request).await;
}

#[tokio::test]
async fn an_abandoned_payment_is_closed_and_can_no_longer_be_paid() {
    for (order, scene) in [
        ("close-qr", Scene::Qr),
        ("close-web", Scene::Web { return_url: None }),
        ("close-app", Scene::App),
        (
            "close-js",
            Scene::Jsapi {
                payer: "buyer-open-id".into(),
            },
        ),
    ] {
        let world = world();
        let request = request(order, 500, scene.clone());
        let created = world.client.create_payment(&request).await.unwrap();
        if matches!(scene, Scene::Web { .. } | Scene::App) {
            open(&world, created.action.as_ref().unwrap());
        }
        world
            .host
            .ledger
            .customer(
                ProviderId::Alipay,
                order,
                CustomerAction::Abandon,
                world.host.now(),
            )
            .unwrap();
        let lookup = PaymentLookup::from(&request);
        let closed = world.client.close_payment(&lookup).await.unwrap();
        assert_eq!(closed.status, PaymentStatus::Closed, "{order}");
        assert_eq!(closed.provider_status.as_deref(), Some("TRADE_CLOSED"));
        assert_eq!(world.host.count_of(Counted::PaymentClosed), 1, "{order}");
        assert_eq!(world.host.pay(order).unwrap_err(), CustomerRefusal::Closed);
        let status = world.client.payment_status(&lookup).await.unwrap();
        assert_eq!(status.status, PaymentStatus::Closed, "{order}");
        // Closing it again changes nothing and says so.
        let again = world.client.close_payment(&lookup).await.unwrap();
        assert_eq!(again.status, PaymentStatus::Closed);
        assert_eq!(world.host.count_of(Counted::PaymentClosed), 1);
        // A closed order cannot be created again under the same reference: refused by the
        // API, or — for an order signed here — by Alipay's cashier when it is opened.
        if matches!(scene, Scene::Web { .. } | Scene::App) {
            let signed = world.client.create_payment(&request).await.unwrap();
            let page = open(&world, signed.action.as_ref().unwrap());
            assert!(page.contains("ACQ.TRADE_HAS_CLOSE"), "{order}: {page}");
        } else {
            let error = world.client.create_payment(&request).await.unwrap_err();
            assert!(
                matches!(&error, Error::Rejected { code, class: RejectionClass::ProviderState, .. } if *code == "ACQ.TRADE_HAS_CLOSE"),
                "{order}: {error}"
            );
        }
    }
}

#[tokio::test]
async fn a_paid_payment_is_not_closed_and_an_unscanned_code_cannot_be() {
    let world = world();
    let request = request("paid-1", 900, Scene::Qr);
    world.client.create_payment(&request).await.unwrap();
    // Nobody scanned the code: Alipay holds no trade to close.
    let lookup = PaymentLookup::from(&request);
    let error = world.client.close_payment(&lookup).await.unwrap_err();
    assert!(matches!(error, Error::PaymentNotFound { .. }), "{error}");
    world.host.pay("paid-1").unwrap();
    let paid = world.client.close_payment(&lookup).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(world.host.count_of(Counted::PaymentClosed), 0);
    assert!(
        world
            .host
            .ledger
            .payment(ProviderId::Alipay, "paid-1")
            .unwrap()
            .paid
    );
}

#[tokio::test]
async fn a_paid_order_created_again_is_reported_paid_never_refused() {
    let world = world();
    for (order, scene) in [
        ("again-qr", Scene::Qr),
        (
            "again-js",
            Scene::Jsapi {
                payer: "buyer-open-id".into(),
            },
        ),
    ] {
        let req = request(order, 700, scene.clone());
        world.client.create_payment(&req).await.unwrap();
        let paid = world.host.pay(order).unwrap();
        // ACQ.TRADE_HAS_SUCCESS: looked up and reported as it stands.
        let again = world.client.create_payment(&req).await.unwrap();
        assert_eq!(again.status, PaymentStatus::Succeeded, "{order}");
        assert_eq!(again.provider_status.as_deref(), Some("TRADE_SUCCESS"));
        assert_eq!(again.payment.as_deref(), Some(paid.payment.as_str()));
        assert_eq!(again.amount, cny(700));
        // Asked again for another amount: the reference is paid, but not for this amount —
        // never reported as this request's payment.
        let other = request(order, 701, scene);
        let error = world.client.create_payment(&other).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::IntegrityMismatch {
                    field: "amount",
                    ..
                }
            ),
            "{order}: {error}"
        );
    }
    // An order never paid, asked again for another amount: the reference was used.
    let req = request("again-other", 100, Scene::Qr);
    world.client.create_payment(&req).await.unwrap();
    let error = world
        .client
        .create_payment(&request("again-other", 200, Scene::Qr))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, class: RejectionClass::Duplicate, .. } if *code == "ACQ.CONTEXT_INCONSISTENT"),
        "{error}"
    );
    assert_eq!(world.host.count_of(Counted::PaymentCreated), 3);
}

#[tokio::test]
async fn refund_ids_are_unique_within_their_payment_only() {
    let world = world();
    let first = request("scope-1", 1_000, Scene::Qr);
    let second = request("scope-2", 2_000, Scene::Qr);
    for request in [&first, &second] {
        world.client.create_payment(request).await.unwrap();
        world.host.pay(request.order_ref().as_str()).unwrap();
        let made = world
            .client
            .refund(&refund(request, "same-id", request.amount().minor / 2))
            .await
            .unwrap();
        assert_eq!(made.status, RefundStatus::Succeeded);
    }
    for request in [&first, &second] {
        let found = world
            .client
            .refund_status(&RefundLookup::from(&refund(
                request,
                "same-id",
                request.amount().minor / 2,
            )))
            .await
            .unwrap();
        assert_eq!(found.amount.minor, request.amount().minor / 2);
    }
}

fn barcode(order: &str, amount: i64, code: &str, deadline: Option<Duration>) -> PaymentRequest {
    let mut builder = PaymentRequest::builder(
        OrderRef::new(order).unwrap(),
        cny(amount),
        Scene::Barcode {
            auth_code: code.into(),
        },
    )
    .notify_url(NOTIFY);
    if let Some(deadline) = deadline {
        builder = builder.barcode_deadline(deadline);
    }
    builder.build().unwrap()
}

fn issue(world: &World, password: bool) -> String {
    let prefix = world.emulator.auth_code_prefix().unwrap();
    assert_eq!(prefix, "28");
    world
        .host
        .ledger
        .issue_auth_code(ProviderId::Alipay, prefix, password)
}

#[tokio::test(start_paused = true)]
async fn a_barcode_without_a_password_is_paid_at_once_notified_and_refunded() {
    let world = world();
    let code = issue(&world, false);
    let request = barcode("bar-1", 4_200, &code, None);
    let paid = world.client.create_payment(&request).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(paid.provider_status.as_deref(), Some("10000"));
    assert_eq!(paid.amount, cny(4_200));
    assert_eq!(methods(&world.client), ["alipay.trade.pay"]);
    assert_eq!(world.host.count_of(Counted::Charge), 1);
    let sent = form_decode(world.client.transport().requests()[0].body()).unwrap();
    let biz: serde_json::Value =
        serde_json::from_str(&sent.iter().find(|(k, _)| k == "biz_content").unwrap().1).unwrap();
    assert_eq!(biz["scene"], "bar_code");
    assert_eq!(biz["auth_code"], code.as_str());
    // Alipay notified the merchant of the payment at once.
    let deliveries = world.host.take_deliveries();
    assert_eq!(deliveries.len(), 1);
    let trade_no = paid.payment.clone().unwrap();
    notified_paid(&world, &deliveries[0], &request, &trade_no).await;
    looked_up_and_refunded(&world, &request, &trade_no).await;
    // The code is single-use: a second order with it is refused, nothing taken.
    let reused = barcode("bar-2", 100, &code, None);
    let error = world.client.create_payment(&reused).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, .. } if *code == "ACQ.PAYMENT_AUTH_CODE_INVALID"),
        "{error}"
    );
    assert!(
        world
            .host
            .ledger
            .payment(ProviderId::Alipay, "bar-2")
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn a_barcode_buyer_who_confirms_while_the_client_waits_is_paid() {
    let world = world();
    let code = issue(&world, true);
    let request = barcode("bar-wait", 9_900, &code, None);
    let started = tokio::time::Instant::now();
    let mut notification = None;
    let (outcome, ()) = tokio::join!(world.client.create_payment(&request), async {
        tokio::time::sleep(Duration::from_secs(7)).await;
        // The buyer confirms on their phone (POST /_sandbox/customer).
        let paid = world.host.pay("bar-wait").unwrap();
        notification = world.emulator.payment_notification(&*world.host, &paid);
    });
    let paid = outcome.unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(paid.provider_status.as_deref(), Some("TRADE_SUCCESS"));
    assert!(started.elapsed() >= Duration::from_secs(7));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no cancel, no deadline"
    );
    let calls = methods(&world.client);
    assert_eq!(calls[0], "alipay.trade.pay");
    assert_eq!(calls.iter().filter(|m| *m == "alipay.trade.pay").count(), 1);
    assert!(
        calls[1..].iter().all(|m| m == "alipay.trade.query"),
        "{calls:?}"
    );
    assert_eq!(world.host.count_of(Counted::Charge), 1);
    let trade_no = paid.payment.clone().unwrap();
    notified_paid(&world, &notification.unwrap(), &request, &trade_no).await;
}

#[tokio::test(start_paused = true)]
async fn a_barcode_buyer_who_never_confirms_is_cancelled_after_the_deadline() {
    let world = world();
    let code = issue(&world, true);
    let deadline = Duration::from_secs(3);
    let request = barcode("bar-never", 1_500, &code, Some(deadline));
    let started = tokio::time::Instant::now();
    let outcome = world.client.create_payment(&request).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Closed);
    assert!(started.elapsed() >= deadline);
    let calls = methods(&world.client);
    assert_eq!(calls.iter().filter(|m| *m == "alipay.trade.pay").count(), 1);
    // Cancelled once, right after a look-up showed it unpaid.
    assert_eq!(
        calls.last().map(String::as_str),
        Some("alipay.trade.cancel")
    );
    assert_eq!(calls[calls.len() - 2], "alipay.trade.query");
    assert_eq!(
        calls.iter().filter(|m| *m == "alipay.trade.cancel").count(),
        1
    );
    assert_eq!(world.host.count_of(Counted::Charge), 1);
    assert_eq!(world.host.count_of(Counted::PaymentClosed), 1);
    let recorded = world
        .host
        .ledger
        .payment(ProviderId::Alipay, "bar-never")
        .unwrap();
    assert!(recorded.closed && !recorded.paid && !recorded.reversed);
    // Too late: the buyer can no longer pay it.
    assert_eq!(
        world.host.pay("bar-never").unwrap_err(),
        CustomerRefusal::Closed
    );
    let status = world
        .client
        .payment_status(&PaymentLookup::from(&request))
        .await
        .unwrap();
    assert_eq!(status.status, PaymentStatus::Closed);
}

#[tokio::test(start_paused = true)]
async fn an_invalid_payment_code_is_refused_with_nothing_charged() {
    let world = world();
    // Alipay's shape, but never issued to a buyer.
    let request = barcode("bar-bad", 1_000, "281234567890123456", None);
    let error = world.client.create_payment(&request).await.unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { code, class: RejectionClass::CallerError, .. } if *code == "ACQ.PAYMENT_AUTH_CODE_INVALID"),
        "{error}"
    );
    assert!(!error.may_have_applied());
    assert!(!error.to_string().contains("281234567890123456"), "{error}");
    assert_eq!(
        methods(&world.client),
        ["alipay.trade.pay"],
        "no look-up, no cancel"
    );
    assert!(
        world
            .host
            .ledger
            .payment(ProviderId::Alipay, "bar-bad")
            .is_none()
    );
    assert!(world.host.ledger.payments().iter().all(|p| !p.paid));
    // Another wallet's code (WeChat Pay's start with 1) is refused before anything is sent.
    let wechat = barcode("bar-wx", 1_000, "134567890123456789", None);
    let error = world.client.create_payment(&wechat).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    assert!(!error.to_string().contains("134567890123456789"));
    assert_eq!(world.client.transport().request_count(), 1);
    assert_eq!(world.host.count_of(Counted::Charge), 1);
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_to_the_charge_is_settled_by_look_up_never_a_second_charge() {
    for password in [false, true] {
        // The charge arrives and is applied; its answer is lost on the way back.
        let world = world_through(|emulator, host, request| {
            let answer = respond(emulator, host, request);
            if request.uri().query() == Some("method=alipay.trade.pay") {
                Scripted::Fail(Failure::WrittenThenLost)
            } else {
                answer
            }
        });
        let code = issue(&world, password);
        let order = format!("bar-lost-{password}");
        let request = barcode(&order, 2_500, &code, Some(Duration::from_secs(3)));
        let outcome = world.client.create_payment(&request).await.unwrap();
        let calls = methods(&world.client);
        assert_eq!(calls.iter().filter(|m| *m == "alipay.trade.pay").count(), 1);
        assert_eq!(world.host.count_of(Counted::Charge), 1);
        if password {
            // Never confirmed: cancelled after a look-up showed it unpaid.
            assert_eq!(outcome.status, PaymentStatus::Closed);
            assert_eq!(
                calls.last().map(String::as_str),
                Some("alipay.trade.cancel")
            );
        } else {
            assert_eq!(outcome.status, PaymentStatus::Succeeded);
            assert_eq!(calls, ["alipay.trade.pay", "alipay.trade.query"]);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_service_unavailable_charge_is_looked_up_not_resent() {
    // Alipay applies the charge and answers 20000 (signed): ambiguous.
    let world = world_through(|emulator, host, request| {
        let answer = respond(emulator, host, request);
        if request.uri().query() == Some("method=alipay.trade.pay") {
            let body = emulator
                .reply(
                    "alipay.trade.pay",
                    &serde_json::json!({"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error", "sub_msg": "系统繁忙"}),
                )
                .unwrap();
            Scripted::json(200, body)
        } else {
            answer
        }
    });
    let code = issue(&world, false);
    let request = barcode("bar-20000", 800, &code, None);
    let paid = world.client.create_payment(&request).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(
        methods(&world.client),
        ["alipay.trade.pay", "alipay.trade.query"]
    );
    assert_eq!(world.host.count_of(Counted::Charge), 1);
}

#[tokio::test(start_paused = true)]
async fn a_cancel_of_a_charge_alipay_never_saw_closes_the_order_for_good() {
    // The charge never arrives (dropped before Alipay saw it).
    let world = world_through(|emulator, host, request| {
        if request.uri().query() == Some("method=alipay.trade.pay") {
            Scripted::Fail(Failure::WrittenThenLost)
        } else {
            respond(emulator, host, request)
        }
    });
    let code = issue(&world, false);
    let request = barcode("bar-ghost", 600, &code, Some(Duration::from_secs(2)));
    let outcome = world.client.create_payment(&request).await.unwrap();
    assert_eq!(outcome.status, PaymentStatus::Closed);
    assert_eq!(world.host.count_of(Counted::Charge), 0);
    // The charge arrives late: the order is closed, so it takes nothing.
    let late = world_late_charge(&world, &request);
    assert!(late.contains("ACQ.TRADE_HAS_CLOSE"), "{late}");
    assert!(!world.host.ledger.payments().iter().any(|p| p.paid));
}

/// Sends `request`'s charge straight to Alipay's side, as a delayed copy of the lost one would
/// arrive, and returns the answer's text.
fn world_late_charge(world: &World, request: &PaymentRequest) -> String {
    let Scene::Barcode { auth_code } = request.scene() else {
        panic!("not a barcode payment");
    };
    let pay = paybridge_alipay::wire::requests::TradePay::bar_code(
        request.order_ref().as_str(),
        request.amount().to_decimal_string(),
        request.order_ref().as_str(),
        auth_code.clone(),
    );
    let sent = world
        .client
        .codec()
        .encode_at(&pay, Timestamp::from_unix(NOW).unwrap())
        .unwrap();
    let (_, _, body) =
        paybridge_emulator::test_util::respond(&*world.emulator, &*world.host, &sent, "");
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn a_changed_cashier_order_is_refused_and_nothing_recorded() {
    let world = world();
    let request = request("tamper-1", 10_000, Scene::Wap { return_url: None });
    let created = world.client.create_payment(&request).await.unwrap();
    let Some(PaymentAction::Redirect { url }) = &created.action else {
        panic!("not a redirect");
    };
    let cheaper = url.replacen("100.00", "1.00", 1);
    assert_ne!(&cheaper, url);
    let page = open(
        &world,
        &PaymentAction::Redirect {
            url: cheaper.clone(),
        },
    );
    assert!(page.contains("isv.invalid-signature"), "{page}");
    assert!(
        world
            .host
            .ledger
            .payment(ProviderId::Alipay, "tamper-1")
            .is_none()
    );
    assert_eq!(world.host.count_of(Counted::PaymentCreated), 0);
    // A parameter named twice is refused too, whatever the signature says.
    let twice = format!("{url}&notify_url=https%3A%2F%2Fevil.test%2F");
    let page = open(&world, &PaymentAction::Redirect { url: twice });
    assert!(page.contains("isv.invalid-parameter"), "{page}");
    assert!(
        world
            .host
            .ledger
            .payment(ProviderId::Alipay, "tamper-1")
            .is_none()
    );
}

#[tokio::test]
async fn bad_input_sends_nothing_and_no_secret_shows() {
    let world = world();
    let expired = PaymentRequest::builder(OrderRef::new("bad-1").unwrap(), cny(100), Scene::Qr)
        .expires_at(Timestamp::from_unix(NOW - 1).unwrap())
        .build()
        .unwrap();
    let baht = PaymentRequest::builder(
        OrderRef::new("bad-2").unwrap(),
        Money::new(100, Currency::Thb),
        Scene::App,
    )
    .build()
    .unwrap();
    // Not a URL a browser could be sent to (the core checks only its scheme).
    let long = PaymentRequest::builder(
        OrderRef::new("bad-3").unwrap(),
        cny(100),
        Scene::Wap {
            return_url: Some("https://merchant.test/<back>".into()),
        },
    )
    .build()
    .unwrap();
    let huge = PaymentRequest::builder(
        OrderRef::new("bad-4").unwrap(),
        cny(10_000_000_001),
        Scene::Web { return_url: None },
    )
    .build()
    .unwrap();
    for request in [&expired, &baht, &long, &huge] {
        let error = world.client.create_payment(request).await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
        assert!(error.nothing_sent());
    }
    assert_eq!(world.client.transport().request_count(), 0);
    assert!(world.client.scenes().contains(&SceneKind::Barcode));
    assert_eq!(world.client.scenes().len(), 6);
    // The payment code never shows in Debug.
    let code = "281234567890123456";
    let request = barcode("bar-debug", 100, code, None);
    let pay = paybridge_alipay::wire::requests::TradePay::bar_code("o", "1.00", "s", code);
    assert!(!format!("{request:?} {pay:?}").contains(code));
}

#[tokio::test]
async fn payment_notifications_read_as_alipay_words_them() {
    let world = world();
    let signed = |status: &str, extra: &[(&'static str, &str)]| {
        let mut params: Vec<(&str, String)> = vec![
            ("notify_time", "2026-12-03 20:13:20".into()),
            ("notify_type", "trade_status_sync".into()),
            ("notify_id", "ac05099524730693a8b330c5ecf72da9786".into()),
            ("app_id", APP_ID.into()),
            ("charset", "utf-8".into()),
            ("version", "1.0".into()),
            ("trade_no", "2026120322001000000000000042".into()),
            ("out_trade_no", "note-1".into()),
            ("trade_status", status.into()),
            ("total_amount", "100.00".into()),
        ];
        params.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let body = world.emulator.notification(&params).unwrap();
        http::Request::post("/notify")
            .body(Bytes::from(body))
            .unwrap()
    };
    let cases = [
        ("WAIT_BUYER_PAY", vec![], PaymentStatus::Pending),
        (
            "TRADE_SUCCESS",
            vec![("gmt_payment", "2026-12-03 20:13:20")],
            PaymentStatus::Succeeded,
        ),
        ("TRADE_FINISHED", vec![], PaymentStatus::Succeeded),
        (
            "TRADE_SUCCESS",
            vec![("refund_fee", "40.00")],
            PaymentStatus::PartiallyRefunded,
        ),
        (
            "TRADE_CLOSED",
            vec![
                ("refund_fee", "100.00"),
                ("gmt_payment", "2026-12-03 20:13:20"),
            ],
            PaymentStatus::Refunded,
        ),
        ("TRADE_CLOSED", vec![], PaymentStatus::Closed),
    ];
    for (status, extra, expected) in cases {
        let payment = read(&world, signed(status, &extra)).await.unwrap();
        assert_eq!(payment.status, expected, "{status} {extra:?}");
        assert_eq!(payment.amount, Some(cny(10_000)));
        assert_eq!(payment.order_ref.as_deref(), Some("note-1"));
    }
    // A paid notification must say for how much and for which order.
    let mut params: Vec<(&str, String)> = vec![
        ("notify_type", "trade_status_sync".into()),
        ("app_id", APP_ID.into()),
        ("out_trade_no", "note-2".into()),
        ("trade_status", "TRADE_SUCCESS".into()),
    ];
    let body = world.emulator.notification(&params).unwrap();
    let error = read(
        &world,
        http::Request::post("/n").body(Bytes::from(body)).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::MalformedResponse { .. }), "{error}");
    params.retain(|(k, _)| *k != "out_trade_no");
    params.push(("total_amount", "1.00".into()));
    let body = world.emulator.notification(&params).unwrap();
    assert!(
        read(
            &world,
            http::Request::post("/n").body(Bytes::from(body)).unwrap()
        )
        .await
        .is_err()
    );
    // A payment that named no notify_url has no notification.
    let no_url = paybridge_emulator::Payment::new(
        ProviderId::Alipay,
        "2026".into(),
        "o".into(),
        1,
        Currency::Cny,
        Timestamp::from_unix(NOW).unwrap(),
    );
    assert!(
        world
            .emulator
            .payment_notification(&*world.host, &no_url)
            .is_none()
    );
}

async fn read(
    world: &World,
    request: http::Request<Bytes>,
) -> Result<paybridge_core::PaymentUpdate, Error> {
    let notification = world.client.verify_notification(&request).await?;
    match notification.event {
        NotificationEvent::Payment { payment } => Ok(payment),
        other => panic!("not a payment: {other:?}"),
    }
}

/// A look-up never reports another order or another amount as this payment.
#[tokio::test]
async fn a_look_up_about_another_order_or_amount_is_not_this_payment() {
    let world = world();
    let request = request("check-1", 1_000, Scene::Jsapi { payer: "p".into() });
    world.client.create_payment(&request).await.unwrap();
    let mut lookup = PaymentLookup::from(&request);
    lookup.amount = Some(cny(999));
    let error = world.client.payment_status(&lookup).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::IntegrityMismatch {
                field: "amount",
                ..
            }
        ),
        "{error}"
    );
    let ours: Payment = world
        .client
        .payment_status(&PaymentLookup::from(&request))
        .await
        .unwrap();
    assert_eq!(ours.order_ref.as_str(), "check-1");
}
