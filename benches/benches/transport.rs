//! A 300-byte POST to a loopback hyper server through `HyperTransport`, beside the same request
//! through a bare hyper-util client: what the transport's timeouts, limits, URL policy and
//! tracing cost per request.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::convert::Infallible;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use paybridge_transport::{HyperTransport, Transport, TransportConfig};

const RESPONSE: &[u8] = br#"{"code":10000,"message":"Success","data":{"mchRefundOrderId":"refund488455057142","refundTransactionId":"1818566685947728","refundCreateTime":"2024-07-31 16:37:40","refundAmount":10000,"refundStatus":"PENDING"}}"#;

async fn server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let service =
                    service_fn(|request: http::Request<hyper::body::Incoming>| async move {
                        let _ = request.into_body().collect().await;
                        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                            RESPONSE,
                        ))))
                    });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn body_300() -> Bytes {
    let mut body = String::from(r#"{"appId":"733b887a4a784708bb369524db5b6ded","param":""#);
    while body.len() < 298 {
        body.push('x');
    }
    body.push_str("\"}");
    Bytes::from(body)
}

fn roundtrip(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = runtime.block_on(server());
    let uri: http::Uri = format!("http://{addr}/bluepay/open-api/payment/refund")
        .parse()
        .unwrap();
    let body = body_300();
    assert_eq!(body.len(), 300);

    let transport =
        runtime.block_on(async { HyperTransport::new(TransportConfig::default()).unwrap() });
    let mut raw_connector = HttpConnector::new();
    raw_connector.set_nodelay(true);
    let raw: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(raw_connector);

    let request = || {
        http::Request::post(uri.clone())
            .header("content-type", "application/json")
            .body(body.clone())
            .unwrap()
    };

    let mut group = c.benchmark_group("transport");
    group.bench_function("loopback_roundtrip", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = transport.send(black_box(request())).await.unwrap();
                assert_eq!(response.body().len(), RESPONSE.len());
            })
        })
    });
    group.bench_function("raw_hyper", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let (parts, bytes) = request().into_parts();
                let response = raw
                    .request(http::Request::from_parts(parts, Full::new(bytes)))
                    .await
                    .unwrap();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(bytes.len(), RESPONSE.len());
            })
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        // Loopback round trips on a shared 2-core machine drift by ±5% between windows (four
        // runs of 3 s gave 0.948–1.022, one full-suite run 1.111); the goal is 1.10.
        .measurement_time(Duration::from_secs(6))
        .sample_size(60)
}

criterion_group! {
    name = benches;
    config = config();
    targets = roundtrip
}
criterion_main!(benches);
