//! Delivering notifications to merchants: POSTed to the callback URL and redelivered with
//! backoff until acknowledged the provider's way, up to a limit. Only loopback URLs are called:
//! the sandbox never sends traffic off the machine.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use paybridge_emulator::OutgoingNotification;

use crate::Shared;
use crate::stats::Stats;

pub(crate) type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub(crate) fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

/// Whether the sandbox may call `url`: plain http to this machine only.
fn deliverable(url: &str) -> bool {
    url.parse::<http::Uri>().is_ok_and(|uri| {
        uri.scheme_str() == Some("http")
            && uri
                .host()
                .is_some_and(paybridge_transport::is_loopback_host)
    })
}

/// Delivers `delivery` in the background.
pub(crate) fn deliver(shared: &Arc<Shared>, delivery: OutgoingNotification) {
    if !deliverable(&delivery.url) {
        tracing::debug!(url = %delivery.url, "not delivering a notification off loopback");
        return;
    }
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let body = Bytes::from(delivery.body);
        for attempt in 0..shared.config.notify_max_attempts {
            if attempt > 0 {
                let backoff = shared
                    .config
                    .notify_backoff
                    .saturating_mul(1 << attempt.min(6));
                tokio::time::sleep(backoff.min(Duration::from_secs(5))).await;
            }
            Stats::bump(&shared.stats.notifications_sent);
            let mut request = http::Request::post(delivery.url.as_str())
                .header(http::header::CONTENT_TYPE, delivery.content_type);
            for (name, value) in &delivery.headers {
                request = request.header(*name, value.as_str());
            }
            let request = request.body(Full::new(body.clone()));
            let Ok(request) = request else { return };
            let call = shared.http.request(request);
            let Ok(Ok(response)) = tokio::time::timeout(Duration::from_secs(5), call).await else {
                continue;
            };
            let status = response.status();
            let Ok(collected) = response.into_body().collect().await else {
                continue;
            };
            if (delivery.acknowledged)(status, &collected.to_bytes()) {
                Stats::bump(&shared.stats.notifications_acknowledged);
                return;
            }
        }
    });
}
