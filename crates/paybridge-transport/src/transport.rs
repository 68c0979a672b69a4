//! The transport trait.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use paybridge_core::Error;

/// Sends one HTTP request and returns the whole response.
///
/// Errors are [`Error::Transport`] with a [`paybridge_core::Delivery`] that says whether the
/// request may have reached the server: the basis of every retry and outcome-unknown decision.
/// An HTTP error status is a response, not an error; provider codecs interpret it.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request`.
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error>;
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Box<T> {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for &T {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
        (**self).send(request).await
    }
}

/// A `POST` of `body` to `uri` with the given `Content-Type`, assembled part by part: the
/// request builder would parse the URI again and copy a static header value.
#[inline]
pub fn post(uri: http::Uri, content_type: http::HeaderValue, body: Bytes) -> http::Request<Bytes> {
    let mut request = http::Request::new(body);
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = uri;
    request
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, content_type);
    request
}

/// A copy of `request` (method, URI, version, headers, extensions that matter, body) — the body
/// is `Bytes`, so this is cheap. Used to send the same request again.
pub fn clone_request(request: &http::Request<Bytes>) -> http::Request<Bytes> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    if let Some(attempt) = request.extensions().get::<crate::Attempt>() {
        copy.extensions_mut().insert(*attempt);
    }
    if let Some(values) = request.extensions().get::<crate::SensitiveValues>() {
        copy.extensions_mut().insert(values.clone());
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Transport` must stay object-safe: providers and the gateway hold `dyn Transport`.
    #[test]
    fn transport_is_object_safe() {
        #[derive(Debug)]
        struct Fixed;
        #[async_trait]
        impl Transport for Fixed {
            async fn send(&self, _: http::Request<Bytes>) -> Result<http::Response<Bytes>, Error> {
                Ok(http::Response::new(Bytes::from_static(b"ok")))
            }
        }
        let boxed: Box<dyn Transport> = Box::new(Fixed);
        let shared: Arc<dyn Transport> = Arc::new(Fixed);
        let request = || http::Request::new(Bytes::new());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(
            runtime
                .block_on(boxed.send(request()))
                .unwrap()
                .body()
                .as_ref(),
            b"ok"
        );
        assert_eq!(
            runtime
                .block_on(shared.send(request()))
                .unwrap()
                .body()
                .as_ref(),
            b"ok"
        );
    }
}
