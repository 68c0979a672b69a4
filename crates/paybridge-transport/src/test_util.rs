//! Test doubles for code that sends through a [`Transport`]: a scripted, recording transport and
//! one that fails in each of the ways a real one can.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::{Delivery, Error, TransportErrorKind};

use crate::{Transport, clone_request};

/// Every way a transport can fail, with its [`Delivery`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Connection refused: nothing sent.
    NeverConnected,
    /// TCP connect timed out: nothing sent.
    ConnectTimeout,
    /// The TLS handshake failed: nothing sent.
    Tls,
    /// The connection broke after the request was written: may have been delivered.
    WrittenThenLost,
    /// No response in time after writing: may have been delivered.
    ResponseTimeout,
    /// The response was larger than the limit: delivered, answer unreadable.
    BodyTooLarge,
}

impl Failure {
    /// Every failure, for table tests.
    pub const ALL: [Failure; 6] = [
        Failure::NeverConnected,
        Failure::ConnectTimeout,
        Failure::Tls,
        Failure::WrittenThenLost,
        Failure::ResponseTimeout,
        Failure::BodyTooLarge,
    ];

    /// The error a real transport reports for this failure.
    pub fn error(self) -> Error {
        let (kind, delivery, message) = match self {
            Failure::NeverConnected => (
                TransportErrorKind::Connect,
                Delivery::NotSent,
                "connection refused",
            ),
            Failure::ConnectTimeout => (
                TransportErrorKind::ConnectTimeout,
                Delivery::NotSent,
                "connect timed out",
            ),
            Failure::Tls => (
                TransportErrorKind::Tls,
                Delivery::NotSent,
                "invalid peer certificate: UnknownIssuer",
            ),
            Failure::WrittenThenLost => (
                TransportErrorKind::ConnectionLost,
                Delivery::MaybeDelivered,
                "connection closed before message completed",
            ),
            Failure::ResponseTimeout => (
                TransportErrorKind::ResponseTimeout,
                Delivery::MaybeDelivered,
                "no complete response in time",
            ),
            Failure::BodyTooLarge => (
                TransportErrorKind::BodyTooLarge,
                Delivery::MaybeDelivered,
                "response body larger than the limit",
            ),
        };
        Error::Transport {
            kind,
            delivery,
            message: message.to_owned(),
        }
    }
}

/// One scripted outcome.
#[derive(Clone, Debug)]
pub enum Scripted {
    /// Answer with this status, headers and body.
    Respond {
        /// Status.
        status: http::StatusCode,
        /// Headers.
        headers: http::HeaderMap,
        /// Body.
        body: Bytes,
    },
    /// Fail this way.
    Fail(Failure),
}

impl Scripted {
    /// A JSON response.
    pub fn json(status: u16, body: impl Into<Bytes>) -> Scripted {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Scripted::Respond {
            status: http::StatusCode::from_u16(status)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: body.into(),
        }
    }

    /// A response with a body and no headers.
    pub fn status(status: u16, body: impl Into<Bytes>) -> Scripted {
        Scripted::Respond {
            status: http::StatusCode::from_u16(status)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            headers: http::HeaderMap::new(),
            body: body.into(),
        }
    }
}

type Handler = Box<dyn Fn(&http::Request<Bytes>) -> Scripted + Send + Sync>;

/// A transport that answers from a script (or a handler) and records every request it is given.
///
/// When the script runs out and there is no handler, it fails with
/// [`Failure::NeverConnected`] — loudly wrong rather than silently successful.
#[derive(Default)]
pub struct MockTransport {
    script: Mutex<VecDeque<Scripted>>,
    handler: Option<Handler>,
    captured: Mutex<Vec<http::Request<Bytes>>>,
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockTransport")
            .field("requests", &self.request_count())
            .finish()
    }
}

impl MockTransport {
    /// An empty transport; add outcomes with [`MockTransport::push`].
    pub fn new() -> MockTransport {
        MockTransport::default()
    }

    /// A transport answering `script` in order.
    pub fn scripted(script: impl IntoIterator<Item = Scripted>) -> MockTransport {
        MockTransport {
            script: Mutex::new(script.into_iter().collect()),
            ..MockTransport::default()
        }
    }

    /// A transport answering every request with `handler` (after the script, if any).
    pub fn with_handler(
        handler: impl Fn(&http::Request<Bytes>) -> Scripted + Send + Sync + 'static,
    ) -> MockTransport {
        MockTransport {
            handler: Some(Box::new(handler)),
            ..MockTransport::default()
        }
    }

    /// Appends an outcome to the script.
    pub fn push(&self, outcome: Scripted) {
        lock(&self.script).push_back(outcome);
    }

    /// Copies of the requests received so far, in order.
    pub fn requests(&self) -> Vec<http::Request<Bytes>> {
        lock(&self.captured).iter().map(clone_request).collect()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        lock(&self.captured).len()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl Transport for MockTransport {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
        crate::check_url(request.uri())?;
        let next = lock(&self.script).pop_front();
        let outcome = match (next, &self.handler) {
            (Some(outcome), _) => outcome,
            (None, Some(handler)) => handler(&request),
            (None, None) => Scripted::Fail(Failure::NeverConnected),
        };
        lock(&self.captured).push(request);
        match outcome {
            Scripted::Respond {
                status,
                headers,
                body,
            } => {
                let mut response = http::Response::new(body);
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                Ok(response)
            }
            Scripted::Fail(failure) => Err(failure.error()),
        }
    }
}

/// A transport that always fails the same way, counting calls.
#[derive(Debug)]
pub struct FailingTransport {
    failure: Failure,
    calls: AtomicUsize,
}

impl FailingTransport {
    /// Fails every call with `failure`.
    pub fn new(failure: Failure) -> FailingTransport {
        FailingTransport {
            failure,
            calls: AtomicUsize::new(0),
        }
    }

    /// How many calls were made.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Transport for FailingTransport {
    async fn send(&self, _request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(self.failure.error())
    }
}

/// A retry policy for tests: three attempts, 1–2 ms apart, no jitter — retries happen, and
/// fast.
pub fn fast_retry() -> crate::RetryPolicy {
    crate::RetryPolicy {
        max_attempts: 3,
        initial_backoff: std::time::Duration::from_millis(1),
        max_backoff: std::time::Duration::from_millis(2),
        jitter: std::sync::Arc::new(crate::NoJitter),
        ..crate::RetryPolicy::default()
    }
}

/// Whether interop tests (against `openssl`, Python's `cryptography`…) must run: CI sets
/// `PAYBRIDGE_REQUIRE_INTEROP=1`, and then a missing tool fails the test instead of skipping it.
pub fn interop_required() -> bool {
    std::env::var("PAYBRIDGE_REQUIRE_INTEROP").is_ok_and(|v| v == "1")
}

/// Whether the `openssl` command runs here.
pub fn openssl_available() -> bool {
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Idempotency, NoJitter, RetryPolicy, send_with_retry};
    use std::sync::Arc;
    use std::time::Duration;

    fn post() -> http::Request<Bytes> {
        http::Request::post("https://api.example.com/refund")
            .body(Bytes::from_static(b"{}"))
            .unwrap()
    }

    fn fast_policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            jitter: Arc::new(NoJitter),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn failures_say_whether_anything_was_sent() {
        for failure in Failure::ALL {
            let error = failure.error();
            let sent = matches!(
                failure,
                Failure::WrittenThenLost | Failure::ResponseTimeout | Failure::BodyTooLarge
            );
            assert_eq!(error.outcome_unknown(), sent, "{failure:?}");
            assert_eq!(error.nothing_sent(), !sent, "{failure:?}");
        }
    }

    #[tokio::test]
    async fn retry_decisions_follow_delivery_and_idempotency() {
        for failure in Failure::ALL {
            for idempotency in [Idempotency::NotIdempotent, Idempotency::IdempotentByKey] {
                let transport = FailingTransport::new(failure);
                let result = send_with_retry(&transport, post(), idempotency, &fast_policy()).await;
                assert_eq!(result.unwrap_err(), failure.error());
                let retried = match failure {
                    Failure::BodyTooLarge => false,
                    Failure::WrittenThenLost | Failure::ResponseTimeout => {
                        idempotency == Idempotency::IdempotentByKey
                    }
                    _ => true,
                };
                assert_eq!(
                    transport.calls(),
                    if retried { 4 } else { 1 },
                    "{failure:?} {idempotency:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn script_then_success_and_capture() {
        let transport = MockTransport::scripted([
            Scripted::Fail(Failure::NeverConnected),
            Scripted::json(503, "{}"),
            Scripted::json(200, r#"{"ok":true}"#),
        ]);
        let response = send_with_retry(
            &transport,
            post(),
            Idempotency::IdempotentByKey,
            &fast_policy(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
        let requests = transport.requests();
        assert_eq!(requests.len(), 3);
        let attempts: Vec<u32> = requests
            .iter()
            .map(|r| r.extensions().get::<crate::Attempt>().unwrap().0)
            .collect();
        assert_eq!(attempts, [1, 2, 3]);
        assert!(
            requests.iter().all(|r| r.body().as_ref() == b"{}"),
            "every retry sends the same body"
        );
    }

    #[tokio::test]
    async fn a_5xx_on_a_non_idempotent_call_is_not_retried() {
        let transport =
            MockTransport::scripted([Scripted::json(503, "{}"), Scripted::json(200, "{}")]);
        let response = send_with_retry(
            &transport,
            post(),
            Idempotency::NotIdempotent,
            &fast_policy(),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(transport.request_count(), 1);
    }

    #[tokio::test]
    async fn the_deadline_stops_retrying() {
        let transport = FailingTransport::new(Failure::NeverConnected);
        let policy = RetryPolicy {
            max_attempts: 100,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(20),
            deadline: Duration::from_millis(70),
            jitter: Arc::new(NoJitter),
            ..RetryPolicy::default()
        };
        let _ = send_with_retry(&transport, post(), Idempotency::NotIdempotent, &policy).await;
        assert!(
            (3..=4).contains(&transport.calls()),
            "{} calls",
            transport.calls()
        );
    }

    #[tokio::test]
    async fn an_exhausted_script_fails_loudly_and_urls_are_checked() {
        let transport = MockTransport::new();
        assert!(transport.send(post()).await.is_err());
        let plain = http::Request::post("http://api.example.com/x")
            .body(Bytes::new())
            .unwrap();
        assert!(transport.send(plain).await.unwrap_err().nothing_sent());
    }
}
