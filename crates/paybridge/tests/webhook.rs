//! A merchant handler against the sandbox's real redelivery: the first delivery's
//! acknowledgement is withheld, the sandbox delivers again, and the log recognises the repeat.
#![cfg(all(feature = "bluepay", feature = "nomad", feature = "scanforpay"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paybridge::webhook::{Freshness, NotificationLog};
use paybridge::{Config, Currency, Gateway, MerchantRefundId, Money, PaymentRef, RefundRequest};
use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_notification_is_recognised_as_a_duplicate() {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::from_millis(50),
        notify_backoff: Duration::from_millis(30),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("pb-webhook-{}", std::process::id()));
    let path = dir.join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let gateway = Arc::new(Gateway::from_config(&Config::load(&path).unwrap()).unwrap());
    let log = Arc::new(NotificationLog::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/bluepay", listener.local_addr().unwrap());
    {
        let (gateway, log, seen, calls) = (
            Arc::clone(&gateway),
            Arc::clone(&log),
            Arc::clone(&seen),
            Arc::clone(&calls),
        );
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (gateway, log, seen, calls) = (
                    Arc::clone(&gateway),
                    Arc::clone(&log),
                    Arc::clone(&seen),
                    Arc::clone(&calls),
                );
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: http::Request<hyper::body::Incoming>| {
                            let (gateway, log, seen, calls) = (
                                Arc::clone(&gateway),
                                Arc::clone(&log),
                                Arc::clone(&seen),
                                Arc::clone(&calls),
                            );
                            async move {
                                let (parts, body) = request.into_parts();
                                let body = body.collect().await.unwrap().to_bytes();
                                let provider = gateway.provider("bluepay").unwrap();
                                let notification = provider
                                    .verify_notification(&http::Request::from_parts(parts, body))
                                    .await
                                    .unwrap();
                                seen.lock().unwrap().push(log.record(&notification));
                                // Withhold the first acknowledgement, as a crashed handler would.
                                let reply = if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                                    http::Response::builder()
                                        .status(500)
                                        .body(Full::new(Bytes::new()))
                                        .unwrap()
                                } else {
                                    provider.notification_ack().map(Full::new)
                                };
                                Ok::<_, Infallible>(reply)
                            }
                        });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    }
    let payment = sb
        .create_payment(ProviderId::BluePay, 1_000, Currency::Thb)
        .unwrap();
    let request = RefundRequest::builder(
        MerchantRefundId::new("wh-1").unwrap(),
        Money::new(400, Currency::Thb),
    )
    .payment(PaymentRef::new(payment.payment).unwrap())
    .notify_url(url)
    .build()
    .unwrap();
    gateway
        .provider("bluepay")
        .unwrap()
        .refund(&request)
        .await
        .unwrap();
    for _ in 0..100 {
        if sb.stats().notifications_acknowledged == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [Freshness::New, Freshness::Duplicate]
    );
    assert_eq!(sb.stats().notifications_acknowledged, 1);
    std::fs::remove_dir_all(&dir).ok();
}
