//! Building the sandbox's HTTP answers: the one place every emulated provider and the control
//! endpoints get their response type and writers from.

use bytes::Bytes;
use http_body_util::Full;
use serde::Serialize;

/// An answer the sandbox sends.
pub type Answer = http::Response<Full<Bytes>>;

/// A JSON answer with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Answer {
    let Ok(body) = serde_json::to_vec(value) else {
        // An honest server error, never an empty body under the status asked for.
        return bytes(
            500,
            "text/plain",
            b"the answer could not be written".to_vec(),
        );
    };
    let mut answer = http::Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    answer.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    answer
}

/// A raw answer with `status` and `content_type`.
pub fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Answer {
    let mut answer = http::Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    answer.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    answer
}
