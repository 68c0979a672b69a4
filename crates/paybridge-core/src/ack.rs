//! The HTTP reply a provider expects once a notification has been verified and recorded.

use bytes::Bytes;

/// A `200 OK` response with a fixed body and content type: what every provider's
/// [`RefundProvider::notification_ack`](crate::RefundProvider::notification_ack) returns, differing
/// only in the words and the media type.
pub fn notification_ack(body: &'static str, content_type: &'static str) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::from_static(body.as_bytes()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}
