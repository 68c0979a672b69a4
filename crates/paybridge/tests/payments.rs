//! Payments through the gateway against the sandbox, for every provider and every scene it
//! offers: create → the customer pays → the signed payment notification verifies → the payment
//! reads paid → a partial and a full refund → it reads refunded; and create → the customer walks
//! away → close (where the provider has one). The sandbox is the provider here: it keeps the
//! payment waiting until the customer acts, and counts every charge.
#![cfg(all(
    feature = "bluepay",
    feature = "nomad",
    feature = "scanforpay",
    feature = "wechatpay",
    feature = "alipay"
))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paybridge::core::Customer;
use paybridge::{
    Config, Currency, Error, Gateway, MerchantRefundId, Money, NotificationEvent, OrderRef,
    Payment, PaymentAction, PaymentLookup, PaymentRef, PaymentRequest, PaymentStatus,
    RefundOutcome, RefundRequest, ReliablePolicy, Scene, SceneKind, reliable_refund,
};
use paybridge_sandbox::{CustomerAction, CustomerRefusal, ProviderId, Sandbox, SandboxConfig};
use tokio::sync::{Mutex, mpsc};

/// A loopback endpoint that keeps every request it receives, whole (headers and body: WeChat
/// Pay signs its notifications in headers), and answers 200 `success`.
struct Inbox {
    url: String,
    received: Mutex<mpsc::UnboundedReceiver<(String, http::Request<Bytes>)>>,
}

async fn inbox() -> Inbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let sender = sender.clone();
                    async move {
                        let provider = request.uri().path().trim_matches('/').to_owned();
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let _ = sender.send((provider, http::Request::from_parts(parts, body)));
                        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                            b"success",
                        ))))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Inbox {
        url,
        received: Mutex::new(received),
    }
}

impl Inbox {
    /// Waits for a notification to `provider` that verifies as this order's payment, paid.
    async fn paid_notice(&self, gateway: &Gateway, provider: ProviderId, order: &str) {
        let client = gateway.provider(provider.name()).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut received = self.received.lock().await;
        loop {
            let (to, request) = tokio::time::timeout_at(deadline, received.recv())
                .await
                .unwrap_or_else(|_| panic!("{provider} {order}: no payment notification"))
                .unwrap();
            if to != provider.name() {
                continue;
            }
            let Ok(notification) = client.verify_notification(&request).await else {
                panic!("{provider} {order}: a notification failed verification");
            };
            if let NotificationEvent::Payment { payment } = &notification.event
                && payment.order_ref.as_deref() == Some(order)
            {
                assert_eq!(
                    payment.status,
                    PaymentStatus::Succeeded,
                    "{provider} {order}"
                );
                return;
            }
        }
    }
}

fn currency(provider: ProviderId) -> Currency {
    match provider {
        ProviderId::BluePay => Currency::Thb,
        ProviderId::ScanForPay => Currency::Hkd,
        _ => Currency::Cny,
    }
}

async fn setup(name: &str) -> (paybridge_sandbox::SandboxHandle, Gateway, Inbox) {
    let sandbox = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        notify_backoff: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("pb-pay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("paybridge.toml");
    sandbox.write_config(&path).unwrap();
    let gateway = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    (sandbox, gateway, inbox().await)
}

/// The scene `kind` with the data this test pays with.
fn scene(
    sandbox: &paybridge_sandbox::SandboxHandle,
    provider: ProviderId,
    kind: SceneKind,
) -> Scene {
    let back = Some("https://merchant.example/back".to_owned());
    match kind {
        SceneKind::Qr => Scene::Qr,
        SceneKind::Web => Scene::Web { return_url: back },
        SceneKind::Wap => Scene::Wap { return_url: back },
        SceneKind::App => Scene::App,
        SceneKind::Jsapi => Scene::Jsapi {
            payer: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        },
        SceneKind::Barcode => Scene::Barcode {
            auth_code: sandbox.barcode(provider, false).unwrap(),
        },
    }
}

fn request(
    provider: ProviderId,
    order: &str,
    amount: i64,
    scene: Scene,
    hooks: &str,
) -> PaymentRequest {
    PaymentRequest::builder(
        OrderRef::new(order).unwrap(),
        Money::new(amount, currency(provider)),
        scene,
    )
    .notify_url(format!("{hooks}/{}", provider.name()))
    .client_ip("203.0.113.7")
    .customer(Customer {
        name: "Somchai Jaidee".into(),
        email: "somchai@example.com".into(),
        mobile: "0812345678".into(),
    })
    .barcode_deadline(Duration::from_secs(3))
    .build()
    .unwrap()
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

fn form_encode(pairs: &[(String, String)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What the customer's device does with what the merchant showed: the sandbox learns of a
/// payment built locally (Alipay's page, wap and app payments) only when the browser follows
/// the URL, submits the form, or the app SDK sends the order string — as at Alipay.
async fn open_on_device(
    sandbox: &paybridge_sandbox::SandboxHandle,
    provider: ProviderId,
    payment: &Payment,
) {
    if provider != ProviderId::Alipay {
        return;
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let form = "application/x-www-form-urlencoded;charset=utf-8";
    let request = match &payment.action {
        Some(PaymentAction::Redirect { url }) => http::Request::get(url.as_str())
            .body(Full::new(Bytes::new()))
            .unwrap(),
        Some(PaymentAction::Form { html }) => {
            let (action, inputs) = read_form(html);
            http::Request::post(action)
                .header("content-type", form)
                .body(Full::new(Bytes::from(form_encode(&inputs))))
                .unwrap()
        }
        Some(PaymentAction::Sdk { params }) if params.contains_key("order_string") => {
            http::Request::post(format!("{}/gateway.do", sandbox.provider_url(provider)))
                .header("content-type", form)
                .body(Full::new(Bytes::from(params["order_string"].clone())))
                .unwrap()
        }
        _ => return,
    };
    let response = client.request(request).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

fn refund_request(
    provider: ProviderId,
    paid: &Payment,
    id: &str,
    minor: i64,
    total: i64,
) -> RefundRequest {
    let mut builder = RefundRequest::builder(
        MerchantRefundId::new(id).unwrap(),
        Money::new(minor, currency(provider)),
    )
    .order_ref(paid.order_ref.clone());
    // Nomad and WeChat Pay read a missing total from the payment: the first refund of each
    // payment leaves it out.
    if !id.ends_with("r-part") || !matches!(provider, ProviderId::Nomad | ProviderId::WechatPay) {
        builder = builder.total(Money::new(total, currency(provider)));
    }
    // ScanForPay's payment reference is the order reference itself.
    if provider != ProviderId::ScanForPay
        && let Some(id) = &paid.payment
    {
        builder = builder.payment(PaymentRef::new(id.clone()).unwrap());
    }
    builder.build().unwrap()
}

async fn reads(
    gateway: &Gateway,
    provider: ProviderId,
    lookup: &PaymentLookup,
    want: PaymentStatus,
) -> Payment {
    let payments = gateway.payments(provider.name()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let payment = payments.payment_status(lookup).await.unwrap();
        if payment.status == want || tokio::time::Instant::now() >= deadline {
            assert_eq!(payment.status, want, "{provider}: {payment:?}");
            return payment;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_takes_a_payment_in_every_scene_it_offers_and_refunds_it() {
    let (sandbox, gateway, hooks) = setup("lifecycle").await;
    let policy = ReliablePolicy {
        deadline: Duration::from_secs(10),
        ..ReliablePolicy::default()
    };
    let mut runs = 0;
    for provider in ProviderId::ALL {
        let payments = Arc::clone(gateway.payments(provider.name()).unwrap());
        assert!(!payments.scenes().is_empty(), "{provider}");
        for kind in payments.scenes() {
            let order = format!("{}-{}-1", &provider.name()[..3], kind.as_str());
            let amount = 10_000;
            let request = request(
                provider,
                &order,
                amount,
                scene(&sandbox, provider, *kind),
                &hooks.url,
            );
            let lookup = PaymentLookup::from(&request);
            let created = payments.create_payment(&request).await.unwrap();
            assert_eq!(created.order_ref.as_str(), order, "{provider} {kind}");
            assert_eq!(created.amount, request.amount(), "{provider} {kind}");
            if *kind == SceneKind::Barcode {
                // A code that needs no password is paid at once: the charge's answer says so.
                assert_eq!(
                    created.status,
                    PaymentStatus::Succeeded,
                    "{provider} {kind}"
                );
            } else {
                assert_eq!(created.status, PaymentStatus::Pending, "{provider} {kind}");
                assert!(
                    created.action.is_some(),
                    "{provider} {kind}: nothing to show"
                );
                open_on_device(&sandbox, provider, &created).await;
                sandbox
                    .customer(provider, &order, CustomerAction::Pay)
                    .unwrap_or_else(|e| panic!("{provider} {kind}: {e:?}"));
            }
            hooks.paid_notice(&gateway, provider, &order).await;
            let paid = reads(&gateway, provider, &lookup, PaymentStatus::Succeeded).await;

            let refunds = gateway.provider(provider.name()).unwrap();
            for (id, minor) in [("r-part", 4_000), ("r-rest", 6_000)] {
                let refund =
                    refund_request(provider, &paid, &format!("{order}-{id}"), minor, amount);
                match reliable_refund(refunds.as_ref(), &refund, &policy).await {
                    RefundOutcome::Refunded(r) => assert_eq!(r.amount, refund.amount()),
                    other => panic!("{provider} {kind} {id}: {other:?}"),
                }
            }
            reads(&gateway, provider, &lookup, PaymentStatus::Refunded).await;
            runs += 1;
        }
    }
    // Every scene of every provider ran; each charge was sent once.
    assert!(runs >= 15, "{runs} runs");
    let stats = sandbox.stats();
    assert_eq!(stats.charges, 2, "{stats:?}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_payment_is_closed_where_the_provider_can_close_and_never_paid_after() {
    let (sandbox, gateway, hooks) = setup("abandon").await;
    for provider in ProviderId::ALL {
        let payments = gateway.payments(provider.name()).unwrap();
        let order = format!("{}-walkaway", &provider.name()[..3]);
        // Alipay holds no trade for a QR code nobody has scanned (there is nothing to close):
        // its abandoned payment is a mini-program one, which exists from its creation.
        let scene = match provider {
            ProviderId::Alipay => scene(&sandbox, provider, SceneKind::Jsapi),
            _ => Scene::Qr,
        };
        let request = request(provider, &order, 2_000, scene, &hooks.url);
        let lookup = PaymentLookup::from(&request);
        let created = payments.create_payment(&request).await.unwrap();
        assert_eq!(created.status, PaymentStatus::Pending);
        sandbox
            .customer(provider, &order, CustomerAction::Abandon)
            .unwrap();
        let requests_before = sandbox.stats().requests;
        match (provider, payments.close_payment(&lookup).await) {
            (ProviderId::BluePay | ProviderId::ScanForPay, Err(Error::Unsupported { .. })) => {
                // No close call: nothing was sent, and the payment still waits (unpaid). A
                // BluePay QR code's look-up is its list of payments made: none, so far.
                assert_eq!(sandbox.stats().requests, requests_before, "{provider}");
                match payments.payment_status(&lookup).await {
                    Ok(p) => assert_eq!(p.status, PaymentStatus::Pending, "{provider}"),
                    Err(Error::PaymentNotFound { .. }) if provider == ProviderId::BluePay => {}
                    Err(e) => panic!("{provider}: {e}"),
                }
            }
            (_, Ok(closed)) => {
                assert_eq!(closed.status, PaymentStatus::Closed, "{provider}");
                reads(&gateway, provider, &lookup, PaymentStatus::Closed).await;
            }
            (_, other) => panic!("{provider}: {other:?}"),
        }
        // The customer who walked away cannot pay it after all.
        let refused = sandbox
            .customer(provider, &order, CustomerAction::Pay)
            .unwrap_err();
        assert!(
            matches!(
                refused,
                CustomerRefusal::Abandoned | CustomerRefusal::Closed
            ),
            "{provider}: {refused:?}"
        );
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_scene_a_provider_does_not_offer_is_refused_before_anything_is_sent() {
    let (sandbox, gateway, hooks) = setup("scenes").await;
    for provider in ProviderId::ALL {
        let payments = gateway.payments(provider.name()).unwrap();
        for kind in SceneKind::ALL {
            if payments.scenes().contains(&kind) {
                continue;
            }
            let scene = match kind {
                SceneKind::Barcode => Scene::Barcode {
                    auth_code: "134567890123456789".into(),
                },
                other => scene(&sandbox, provider, other),
            };
            let request = request(
                provider,
                &format!("no-{}", kind.as_str()),
                100,
                scene,
                &hooks.url,
            );
            let before = sandbox.stats().requests;
            let error = payments.create_payment(&request).await.unwrap_err();
            assert!(
                matches!(error, Error::UnsupportedScene { .. }),
                "{provider} {kind}: {error:?}"
            );
            assert!(error.nothing_sent());
            assert_eq!(
                sandbox.stats().requests,
                before,
                "{provider} {kind}: something was sent"
            );
        }
    }
    sandbox.shutdown().await;
}
