//! The hyper 1 + hyper-util + rustls implementation of [`Transport`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, USER_AGENT};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use paybridge_core::Error;
use rustls::ClientConfig;
use tracing::{Instrument, Level, field};

use crate::body::TrackedBody;
use crate::{
    Attempt, CryptoBackend, Redactor, SensitiveValues, Transport, TransportConfig, classify,
    is_loopback_host,
};

type DirectClient = Client<HttpsConnector<HttpConnector>, TrackedBody>;
type ProxiedClient = Client<HttpsConnector<Tunnel<HttpConnector>>, TrackedBody>;

/// A pooled HTTPS client (HTTP/1.1; HTTP/2 by ALPN with the `http2` feature) with connect and
/// whole-request timeouts, a response-size limit and per-request tracing spans.
///
/// Cheap to clone; clones share the connection pool. Build one per process (or per provider)
/// and reuse it: that is what makes the pool useful.
#[derive(Clone)]
pub struct HyperTransport {
    direct: DirectClient,
    proxied: Option<ProxiedClient>,
    settings: Arc<Settings>,
}

/// What `send` needs from the configuration.
struct Settings {
    request_timeout: Duration,
    max_response_bytes: usize,
    user_agent: http::HeaderValue,
    redactor: Redactor,
    summary: String,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("config", &self.settings.summary)
            .finish()
    }
}

fn crypto_provider(backend: CryptoBackend) -> Result<Arc<rustls::crypto::CryptoProvider>, Error> {
    #[allow(
        unreachable_patterns,
        reason = "signing may have a backend TLS was built without"
    )]
    match backend {
        #[cfg(feature = "ring")]
        #[allow(
            deprecated,
            reason = "rustls 0.23.48 deprecates its ring provider for lacking post-quantum key \
                      exchange; ring stays for builds without a C toolchain, and aws-lc-rs \
                      (the default) has it"
        )]
        CryptoBackend::Ring => Ok(Arc::new(rustls::crypto::ring::default_provider())),
        #[cfg(feature = "aws-lc-rs")]
        CryptoBackend::AwsLc => Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider())),
        other => Err(Error::Config {
            reason: format!(
                "the transport was built without the {} crypto backend (enable its cargo feature)",
                other.name()
            ),
        }),
    }
}

fn tls_config(config: &TransportConfig) -> Result<ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    if config.roots.webpki {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if config.roots.native {
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            // The OS store often holds a few certificates rustls cannot use; skip those.
            let _ = roots.add(cert);
        }
    }
    for cert in &config.roots.extra {
        roots.add(cert.clone()).map_err(|e| Error::Config {
            reason: format!("unusable CA certificate: {e}"),
        })?;
    }
    if roots.is_empty() {
        return Err(Error::Config {
            reason: "no trusted root certificates configured".into(),
        });
    }
    ClientConfig::builder_with_provider(crypto_provider(config.crypto)?)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config {
            reason: format!("TLS setup failed: {e}"),
        })
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
}

fn https<C>(tls: ClientConfig, http2: bool, inner: C) -> HttpsConnector<C> {
    let builder = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1();
    #[cfg(feature = "http2")]
    if http2 {
        return builder.enable_http2().wrap_connector(inner);
    }
    let _ = http2;
    builder.wrap_connector(inner)
}

impl HyperTransport {
    /// Builds a transport from `config`. Fails only on an unusable TLS setup (no roots, bad CA).
    ///
    /// # Errors
    /// [`Error::Config`] when the TLS configuration cannot be built (roots, crypto backend, proxy).
    pub fn new(config: TransportConfig) -> Result<HyperTransport, Error> {
        if config.http2 && !cfg!(feature = "http2") {
            return Err(Error::Config {
                reason: "HTTP/2 needs the `http2` feature".into(),
            });
        }
        let tls = tls_config(&config)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));

        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.max_idle_per_host)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new());
        let direct = builder.build(https(tls.clone(), config.http2, http.clone()));
        let proxied = config
            .proxy
            .clone()
            .map(|proxy| builder.build(https(tls, config.http2, Tunnel::new(proxy, http))));

        let user_agent =
            http::HeaderValue::from_str(&config.user_agent).map_err(|_| Error::Config {
                reason: "the User-Agent is not a valid header value".into(),
            })?;
        let summary = format!(
            "connect_timeout={:?} request_timeout={:?} pool_idle={:?} max_idle_per_host={} max_response_bytes={} proxy={} http2={}",
            config.connect_timeout,
            config.request_timeout,
            config.pool_idle_timeout,
            config.max_idle_per_host,
            config.max_response_bytes,
            config.proxy.is_some(),
            config.http2
        );
        Ok(HyperTransport {
            direct,
            proxied,
            settings: Arc::new(Settings {
                request_timeout: config.request_timeout,
                max_response_bytes: config.max_response_bytes,
                user_agent,
                redactor: config.redactor,
                summary,
            }),
        })
    }

    /// A transport with the default configuration (webpki roots, *ring* or the only compiled
    /// backend).
    ///
    /// # Errors
    /// [`Error::Config`] when the TLS configuration cannot be built (roots, crypto backend, proxy).
    pub fn with_defaults() -> Result<HyperTransport, Error> {
        HyperTransport::new(TransportConfig::default())
    }

    async fn exchange(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Error> {
        let settings = &self.settings;
        let (mut parts, body) = request.into_parts();
        parts
            .headers
            .entry(USER_AGENT)
            .or_insert_with(|| settings.user_agent.clone());
        if tracing::enabled!(Level::TRACE) {
            tracing::trace!(
                target: "paybridge::http",
                headers = %settings.redactor.headers(&parts.headers),
                uri = %settings.redactor.path_and_query(&parts.uri),
                body = %settings.redactor.body(&body),
                "request"
            );
        }
        let loopback = parts.uri.host().is_some_and(is_loopback_host);
        let body_empty = body.is_empty();
        let (body, started) = TrackedBody::new(body);
        let request = http::Request::from_parts(parts, body);
        let limit = settings.max_response_bytes;

        let exchange = async {
            let response = match (&self.proxied, loopback) {
                (Some(proxied), false) => proxied.request(request).await,
                _ => self.direct.request(request).await,
            }
            // An empty body is never polled, so "started" cannot tell whether the request went
            // out: once connected, a bodyless request that fails may have been delivered.
            .map_err(|e| {
                classify::client_error(&e, body_empty || started.load(Ordering::Acquire))
            })?;
            let (parts, incoming) = response.into_parts();
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|len| len > limit as u64) {
                return Err(classify::too_large(limit));
            }
            let collected = Limited::new(incoming, limit).collect().await.map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    classify::too_large(limit)
                } else {
                    classify::body_error(&*e)
                }
            })?;
            Ok(http::Response::from_parts(parts, collected.to_bytes()))
        };
        match tokio::time::timeout(settings.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(classify::timeout(
                settings.request_timeout,
                started.load(Ordering::Acquire),
                body_empty,
            )),
        }
    }
}

#[async_trait]
impl Transport for HyperTransport {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
        crate::check_url(request.uri())?;
        let attempt = request.extensions().get::<Attempt>().map_or(1, |a| a.0);
        let sensitive = request
            .extensions()
            .get::<SensitiveValues>()
            .cloned()
            .unwrap_or_default();
        let span = tracing::info_span!(
            "paybridge.http",
            method = %request.method(),
            host = request.uri().host().unwrap_or(""),
            path = request.uri().path(),
            attempt,
            status = field::Empty,
            latency_ms = field::Empty,
        );
        if span.is_disabled() && !tracing::enabled!(Level::DEBUG) {
            // Nothing listens: skip the clock reads and records for the span and events.
            return self.exchange(request).await;
        }
        let started = Instant::now();
        let result = self.exchange(request).instrument(span.clone()).await;
        let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("latency_ms", latency);
        let _entered = span.enter();
        match &result {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                tracing::debug!(
                    status = response.status().as_u16(),
                    latency_ms = latency,
                    "response"
                );
                if tracing::enabled!(Level::TRACE) {
                    tracing::trace!(
                        target: "paybridge::http",
                        headers = %sensitive.scrub(self.settings.redactor.headers(response.headers())),
                        body = %sensitive.scrub(self.settings.redactor.body(response.body())),
                        "response body"
                    );
                }
            }
            Err(error) => {
                let error = sensitive.scrub(error.to_string());
                tracing::debug!(%error, latency_ms = latency, "request failed");
            }
        }
        result
    }
}
