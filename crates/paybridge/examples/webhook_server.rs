//! A merchant-side notification handler: a small hyper server that verifies each delivery with
//! the provider's own rules, recognises duplicates and out-of-order deliveries, acts once per
//! piece of news, and acknowledges every verified delivery the provider's way (so redelivery
//! stops). Unverified deliveries are refused and never acted on.
//!
//! ```sh
//! paybridge sandbox --write-config sandbox/paybridge.toml &
//! cargo run -p paybridge --example webhook_server -- sandbox/paybridge.toml 127.0.0.1:9000
//! # refunds made with --notify-url http://127.0.0.1:9000/bluepay (or /nomad, /scanforpay) report here
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::convert::Infallible;
use std::error::Error;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paybridge::webhook::{Delivery, NotificationLog};
use paybridge::{Config, Gateway};

async fn handle(
    gateway: Arc<Gateway>,
    log: Arc<NotificationLog>,
    request: http::Request<hyper::body::Incoming>,
) -> http::Response<Full<Bytes>> {
    let provider_name = request.uri().path().trim_matches('/').to_owned();
    let Ok(provider) = gateway.provider(&provider_name) else {
        return http::Response::builder()
            .status(404)
            .body(Full::new(Bytes::new()))
            .unwrap_or_default();
    };
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    match provider
        .verify_notification(&http::Request::from_parts(parts, body))
        .await
    {
        Ok(notification) => {
            match log.record(&notification) {
                Delivery::New => println!(
                    "{}",
                    serde_json::to_string(&notification).unwrap_or_default()
                ),
                Delivery::Duplicate => {
                    eprintln!("duplicate delivery of {}", notification.dedup_key())
                }
                Delivery::OutOfOrder => eprintln!(
                    "out-of-order delivery ignored: {}",
                    notification.dedup_key()
                ),
            }
            provider.notification_ack().map(Full::new)
        }
        Err(error) => {
            eprintln!("refused an unverified delivery: {error}");
            http::Response::builder()
                .status(400)
                .body(Full::new(Bytes::from_static(b"unverified")))
                .unwrap_or_default()
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let config = args.next().unwrap_or_else(|| "paybridge.toml".into());
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:9000".into());
    let gateway = Arc::new(Gateway::from_config(&Config::load(config.as_ref())?)?);
    let log = Arc::new(NotificationLog::new());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!(
        "verifying notifications on http://{listen}/{{{}}}",
        gateway.names().join(",")
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let (gateway, log) = (Arc::clone(&gateway), Arc::clone(&log));
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let (gateway, log) = (Arc::clone(&gateway), Arc::clone(&log));
                async move { Ok::<_, Infallible>(handle(gateway, log, request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
