//! With every secret header set and logging at `trace`, no secret value reaches the log.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use paybridge_transport::{HyperTransport, Transport, TransportConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

const SECRETS: [&str; 6] = [
    "sk_live_api_key_value",
    "Bearer secret_bearer_token",
    "session=secret_cookie",
    "secret_proxy_credentials",
    "SIGNATURE_VALUE_XYZ",
    "secret_sign_key_in_body",
];

#[test]
fn no_secret_reaches_the_trace_log() {
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
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer).await;
            let body = br#"{"code":1,"signature":"SIGNATURE_VALUE_XYZ"}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nset-cookie: session=secret_cookie\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body).await;
        });
        let request = http::Request::post(format!("http://{addr}/refund/m?app-api-key=sk_live_api_key_value&x=1"))
            .header("app-api-key", "sk_live_api_key_value")
            .header("authorization", "Bearer secret_bearer_token")
            .header("cookie", "session=secret_cookie")
            .header("proxy-authorization", "secret_proxy_credentials")
            .body(Bytes::from_static(
                br#"{"appId":"app","sign":"SIGNATURE_VALUE_XYZ","param":"{\"signKey\":\"secret_sign_key_in_body\",\"refundAmount\":1}"}"#,
            ))
            .unwrap();
        let transport = HyperTransport::new(TransportConfig::default()).unwrap();
        assert_eq!(transport.send(request).await.unwrap().status(), 200);
    });

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("refundAmount"),
        "the trace log shows the redacted body:\n{log}"
    );
    assert!(
        log.contains("app-api-key: [redacted]"),
        "header names are kept, values masked:\n{log}"
    );
    for secret in SECRETS {
        assert!(
            !log.contains(secret),
            "{secret:?} leaked into the log:\n{log}"
        );
    }
}
