//! HyperTransport against real servers on loopback: a well-behaved hyper server, raw TCP servers
//! that misbehave on purpose, and a rustls server with a CA generated in the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paybridge_core::{Delivery, Error, TransportErrorKind};
use paybridge_transport::{
    HyperTransport, Idempotency, NoJitter, RetryPolicy, Roots, Transport, TransportConfig,
    certificates_from_pem, send_with_retry,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Counts what a test server saw.
#[derive(Default)]
struct Counters {
    connections: AtomicUsize,
    requests: AtomicUsize,
}

type Handler = Arc<dyn Fn(http::Request<Bytes>) -> http::Response<Full<Bytes>> + Send + Sync>;

/// A hyper HTTP/1.1 server on an ephemeral loopback port.
async fn hyper_server(handler: Handler) -> (SocketAddr, Arc<Counters>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::default());
    let seen = Arc::clone(&counters);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            seen.connections.fetch_add(1, Ordering::SeqCst);
            let handler = Arc::clone(&handler);
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let handler = Arc::clone(&handler);
                    let seen = Arc::clone(&seen);
                    async move {
                        use http_body_util::BodyExt;
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        seen.requests.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, Infallible>(handler(http::Request::from_parts(parts, body)))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, counters)
}

fn echo() -> Handler {
    Arc::new(|request: http::Request<Bytes>| {
        let agent = request
            .headers()
            .get("user-agent")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        http::Response::builder()
            .header("x-user-agent", agent)
            .body(Full::new(request.into_body()))
            .unwrap()
    })
}

/// A raw TCP server: for each connection, reads one request and hands the socket to `behave`.
async fn raw_server<F, Fut>(behave: F) -> (SocketAddr, Arc<Counters>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::default());
    let seen = Arc::clone(&counters);
    let behave = Arc::new(behave);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            seen.connections.fetch_add(1, Ordering::SeqCst);
            let seen = Arc::clone(&seen);
            let behave = Arc::clone(&behave);
            tokio::spawn(async move {
                if read_request(&mut stream).await {
                    seen.requests.fetch_add(1, Ordering::SeqCst);
                    behave(stream).await;
                }
            });
        }
    });
    (addr, counters)
}

/// Reads a request's head and its Content-Length body. False if the peer went away first.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buffer.len() < end + 4 + length {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            return true;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn config() -> TransportConfig {
    TransportConfig {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(400),
        max_response_bytes: 64 * 1024,
        ..TransportConfig::default()
    }
}

fn post(addr: SocketAddr, body: &'static [u8]) -> http::Request<Bytes> {
    http::Request::post(format!("http://{addr}/open-api/payment/refund"))
        .header("content-type", "application/json")
        .body(Bytes::from_static(body))
        .unwrap()
}

fn transport_error(error: Error) -> (TransportErrorKind, Delivery) {
    match error {
        Error::Transport { kind, delivery, .. } => (kind, delivery),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn success_with_user_agent_and_body() {
    let (addr, counters) = hyper_server(echo()).await;
    let transport = HyperTransport::new(config()).unwrap();
    let response = transport
        .send(post(addr, br#"{"refundAmount":100}"#))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), br#"{"refundAmount":100}"#);
    assert_eq!(
        response.headers()["x-user-agent"],
        paybridge_transport::USER_AGENT
    );
    assert_eq!(counters.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn sequential_requests_reuse_one_pooled_connection() {
    let (addr, counters) = hyper_server(echo()).await;
    let transport = HyperTransport::new(config()).unwrap();
    for _ in 0..10 {
        assert_eq!(
            transport.send(post(addr, b"{}")).await.unwrap().status(),
            200
        );
    }
    assert_eq!(counters.requests.load(Ordering::SeqCst), 10);
    assert_eq!(
        counters.connections.load(Ordering::SeqCst),
        1,
        "one connection for sequential requests"
    );
}

#[tokio::test]
async fn idle_connections_are_closed_by_the_pool_timer() {
    let (addr, counters) = hyper_server(echo()).await;
    let transport = HyperTransport::new(TransportConfig {
        pool_idle_timeout: Duration::from_millis(100),
        ..config()
    })
    .unwrap();
    transport.send(post(addr, b"{}")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    transport.send(post(addr, b"{}")).await.unwrap();
    assert_eq!(
        counters.connections.load(Ordering::SeqCst),
        2,
        "the idle connection expired"
    );
}

#[tokio::test]
async fn connection_refused_is_never_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let error = HyperTransport::new(config())
        .unwrap()
        .send(post(addr, b"{}"))
        .await
        .unwrap_err();
    assert_eq!(
        transport_error(error),
        (TransportErrorKind::Connect, Delivery::NotSent)
    );
}

#[tokio::test]
async fn slow_headers_time_out_as_maybe_delivered() {
    let (addr, counters) = raw_server(|mut stream| async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let error = HyperTransport::new(config())
        .unwrap()
        .send(post(addr, b"{\"a\":1}"))
        .await
        .unwrap_err();
    assert_eq!(
        transport_error(error),
        (
            TransportErrorKind::ResponseTimeout,
            Delivery::MaybeDelivered
        )
    );
    assert_eq!(counters.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn slow_body_times_out_as_maybe_delivered() {
    let (addr, _) = raw_server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345")
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let _ = stream.write_all(b"67890").await;
    })
    .await;
    let error = HyperTransport::new(config())
        .unwrap()
        .send(post(addr, b"{}"))
        .await
        .unwrap_err();
    assert_eq!(
        transport_error(error),
        (
            TransportErrorKind::ResponseTimeout,
            Delivery::MaybeDelivered
        )
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_declared_or_chunked() {
    let (addr, _) = raw_server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\n")
            .await;
        let _ = stream.write_all(&[b'x'; 1024]).await;
    })
    .await;
    let error = HyperTransport::new(config())
        .unwrap()
        .send(post(addr, b"{}"))
        .await
        .unwrap_err();
    assert_eq!(
        transport_error(error),
        (TransportErrorKind::BodyTooLarge, Delivery::MaybeDelivered)
    );

    let (addr, _) = raw_server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        for _ in 0..100 {
            if stream.write_all(b"400\r\n").await.is_err() {
                return;
            }
            let _ = stream.write_all(&[b'y'; 1024]).await;
            let _ = stream.write_all(b"\r\n").await;
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
    })
    .await;
    let error = HyperTransport::new(config())
        .unwrap()
        .send(post(addr, b"{}"))
        .await
        .unwrap_err();
    assert_eq!(
        transport_error(error),
        (TransportErrorKind::BodyTooLarge, Delivery::MaybeDelivered)
    );
}

#[tokio::test]
async fn a_server_closing_mid_response_is_maybe_delivered() {
    let (addr, _) = raw_server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"code\":")
            .await;
        let _ = stream.shutdown().await;
    })
    .await;
    let error = HyperTransport::new(config())
        .unwrap()
        .send(post(addr, b"{}"))
        .await
        .unwrap_err();
    assert_eq!(
        transport_error(error),
        (TransportErrorKind::ConnectionLost, Delivery::MaybeDelivered)
    );
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    let transport = HyperTransport::new(config()).unwrap();
    let request = http::Request::post("http://pay.scanforpay.com/api/common/refund")
        .body(Bytes::new())
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert_eq!(
        transport_error(error),
        (TransportErrorKind::InvalidUrl, Delivery::NotSent)
    );
}

// ---- retries that count server-side attempts ----

fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(150),
        max_backoff: Duration::from_millis(300),
        jitter: Arc::new(NoJitter),
        ..RetryPolicy::default()
    }
}

#[tokio::test]
async fn a_never_connected_failure_is_retried_until_the_server_is_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let counters = Arc::new(Counters::default());
    let seen = Arc::clone(&counters);
    tokio::spawn(async move {
        // Comes up after the first attempt has been refused.
        tokio::time::sleep(Duration::from_millis(80)).await;
        let listener = TcpListener::bind(addr).await.unwrap();
        while let Ok((mut stream, _)) = listener.accept().await {
            seen.connections.fetch_add(1, Ordering::SeqCst);
            if read_request(&mut stream).await {
                seen.requests.fetch_add(1, Ordering::SeqCst);
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        }
    });
    let transport = HyperTransport::new(config()).unwrap();
    let response = send_with_retry(
        &transport,
        post(addr, b"{}"),
        Idempotency::NotIdempotent,
        &retry_policy(),
    )
    .await
    .unwrap();
    assert_eq!(response.body().as_ref(), b"ok");
    assert_eq!(
        counters.requests.load(Ordering::SeqCst),
        1,
        "the server saw exactly one request"
    );
}

#[tokio::test]
async fn an_empty_body_post_that_loses_its_connection_after_writing_is_maybe_delivered() {
    // An empty body is never polled, so nothing marks it "started": the request went out all
    // the same (the server read it), and a close now must not read as "never sent".
    let (addr, counters) = raw_server(|stream| async move { drop(stream) }).await;
    let transport = HyperTransport::new(config()).unwrap();
    let error = send_with_retry(
        &transport,
        post(addr, b""),
        Idempotency::NotIdempotent,
        &retry_policy(),
    )
    .await
    .unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    assert!(!error.nothing_sent(), "{error}");
    assert_eq!(counters.requests.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn a_lost_response_is_not_retried_unless_idempotent() {
    // Reads the request, then hangs up without answering.
    let (addr, counters) = raw_server(|stream| async move { drop(stream) }).await;
    let transport = HyperTransport::new(config()).unwrap();
    let error = send_with_retry(
        &transport,
        post(addr, b"{\"refund\":1}"),
        Idempotency::NotIdempotent,
        &retry_policy(),
    )
    .await
    .unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    assert_eq!(counters.requests.load(Ordering::SeqCst), 1, "not retried");

    let (addr, counters) = raw_server(|stream| async move { drop(stream) }).await;
    let error = send_with_retry(
        &transport,
        post(addr, b"{\"refund\":1}"),
        Idempotency::IdempotentByKey,
        &retry_policy(),
    )
    .await
    .unwrap_err();
    assert!(error.outcome_unknown());
    assert_eq!(
        counters.requests.load(Ordering::SeqCst),
        5,
        "idempotent: every attempt made"
    );
}

// ---- TLS ----

struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    pki_for("localhost", &[b"http/1.1"])
}

fn pki_for(name: &str, alpn: &[&[u8]]) -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "paybridge test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let mut server = rustls::ServerConfig::builder_with_provider(Arc::new(server_crypto()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
        )
        .unwrap();
    server.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Pki {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    }
}

async fn tls_server(config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let service =
                    service_fn(|request: http::Request<hyper::body::Incoming>| async move {
                        let text = format!("tls ok {:?}", request.version());
                        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from(text))))
                    });
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
                } else {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn tls_with_the_private_ca_succeeds() {
    let pki = pki();
    let addr = tls_server(pki.server).await;
    let roots = Roots {
        webpki: false,
        native: false,
        extra: certificates_from_pem(pki.ca_pem.as_bytes()).unwrap(),
    };
    let transport = HyperTransport::new(TransportConfig { roots, ..config() }).unwrap();
    let request = http::Request::get(format!("https://localhost:{}/", addr.port()))
        .body(Bytes::new())
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.body().as_ref(), b"tls ok HTTP/1.1");
}

#[tokio::test]
async fn tls_with_an_unknown_ca_is_refused_and_never_sent() {
    let pki = pki();
    let addr = tls_server(pki.server).await;
    let transport = HyperTransport::new(config()).unwrap(); // webpki roots only
    let request = http::Request::post(format!("https://localhost:{}/", addr.port()))
        .body(Bytes::from_static(b"{}"))
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert_eq!(
        transport_error(error),
        (TransportErrorKind::Tls, Delivery::NotSent)
    );
}

#[tokio::test]
async fn a_stalled_tls_handshake_times_out_as_never_sent() {
    // Accepts TCP, then never speaks TLS: the request cannot have been written.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let transport = HyperTransport::new(config()).unwrap();
    let request = http::Request::post(format!("https://localhost:{}/refund", addr.port()))
        .body(Bytes::from_static(b"{\"refund\":1}"))
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert_eq!(
        transport_error(error),
        (TransportErrorKind::ConnectTimeout, Delivery::NotSent)
    );
}

/// A CONNECT proxy on loopback that tunnels every request to `target`, whatever host it names,
/// counting tunnels and recording the CONNECT lines.
async fn connect_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                log.lock().unwrap().push(line);
                let mut upstream = TcpStream::connect(target).await.unwrap();
                client
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn remote_hosts_go_through_the_configured_proxy_with_tls_end_to_end() {
    let pki = pki_for("pay.example.test", &[b"http/1.1"]);
    let server = tls_server(pki.server).await;
    let (proxy, connects) = connect_proxy(server).await;
    let roots = Roots {
        webpki: false,
        native: false,
        extra: certificates_from_pem(pki.ca_pem.as_bytes()).unwrap(),
    };
    let config = TransportConfig {
        roots,
        proxy: Some(format!("http://{proxy}").parse().unwrap()),
        ..config()
    };
    let transport = HyperTransport::new(config).unwrap();
    let request = http::Request::get("https://pay.example.test/api/common/payQuery")
        .body(Bytes::new())
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.body().as_ref(), b"tls ok HTTP/1.1");
    assert_eq!(
        connects.lock().unwrap().as_slice(),
        ["CONNECT pay.example.test:443 HTTP/1.1"]
    );
}

#[cfg(feature = "http2")]
#[tokio::test]
async fn http2_is_negotiated_by_alpn_when_enabled() {
    let pki = pki_for("localhost", &[b"h2", b"http/1.1"]);
    let addr = tls_server(pki.server).await;
    let roots = Roots {
        webpki: false,
        native: false,
        extra: certificates_from_pem(pki.ca_pem.as_bytes()).unwrap(),
    };
    let transport = HyperTransport::new(TransportConfig {
        roots,
        http2: true,
        ..config()
    })
    .unwrap();
    let request = http::Request::get(format!("https://localhost:{}/", addr.port()))
        .body(Bytes::new())
        .unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.body().as_ref(), b"tls ok HTTP/2.0");
}

/// The test server's rustls provider: the backend the build has, aws-lc-rs first.
#[cfg(feature = "aws-lc-rs")]
fn server_crypto() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The test server's rustls provider: ring, in a build without aws-lc-rs.
#[cfg(not(feature = "aws-lc-rs"))]
#[allow(
    deprecated,
    reason = "rustls 0.23.48 deprecates its ring provider (no post-quantum key exchange); a \
              ring-only build has no other"
)]
fn server_crypto() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
