//! Turning what hyper, hyper-util and rustls report into the core taxonomy, above all into the
//! answer to "may the server have received this request?".

use std::error::Error as StdError;
use std::io;

use paybridge_core::{Delivery, Error, TransportErrorKind};

fn transport(kind: TransportErrorKind, delivery: Delivery, message: String) -> Error {
    Error::Transport {
        kind,
        delivery,
        message,
    }
}

/// Walks an error's source chain.
fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e| e.source())
}

/// A short description of the whole chain (hyper's top-level messages are terse).
fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(error) {
        let text = e.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Every error in the chain, also descending into `io::Error`s that wrap another error: an
/// `io::Error`'s `source()` skips the error it wraps, and hyper-rustls nests the rustls error
/// two `io::Error`s deep.
fn all_causes<'a>(error: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut found = Vec::new();
    for e in chain(error) {
        found.push(e);
        let mut inner = e.downcast_ref::<io::Error>().and_then(io::Error::get_ref);
        while let Some(wrapped) = inner {
            let wrapped: &(dyn StdError + 'static) = wrapped;
            found.push(wrapped);
            inner = wrapped
                .downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref);
        }
    }
    found
}

fn is_tls(error: &(dyn StdError + 'static)) -> bool {
    all_causes(error)
        .iter()
        .any(|e| e.downcast_ref::<rustls::Error>().is_some())
}

fn is_timeout(error: &(dyn StdError + 'static)) -> bool {
    all_causes(error).iter().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
    })
}

/// Classifies a failure of the pooled client's `request` call.
pub(crate) fn client_error(error: &hyper_util::client::legacy::Error, body_started: bool) -> Error {
    let message = describe(error);
    if error.is_connect() {
        // Connecting (TCP or TLS) failed: nothing was written.
        let kind = if is_tls(error) {
            TransportErrorKind::Tls
        } else if is_timeout(error) {
            TransportErrorKind::ConnectTimeout
        } else {
            TransportErrorKind::Connect
        };
        return transport(kind, Delivery::NotSent, message);
    }
    // hyper-util retries a request on a reused connection that closed before the request was
    // written; what reaches us after writing began may have been received.
    let delivery = if body_started {
        Delivery::MaybeDelivered
    } else {
        Delivery::NotSent
    };
    let hyper_error = chain(error).find_map(|e| e.downcast_ref::<hyper::Error>());
    let kind = match hyper_error {
        Some(h) if h.is_timeout() => TransportErrorKind::ResponseTimeout,
        Some(h) if h.is_incomplete_message() || h.is_closed() || h.is_canceled() => {
            TransportErrorKind::ConnectionLost
        }
        _ if is_tls(error) => TransportErrorKind::Tls,
        _ => TransportErrorKind::ConnectionLost,
    };
    transport(kind, delivery, message)
}

/// Classifies a failure while reading the response body (the request certainly arrived).
pub(crate) fn body_error(error: &(dyn StdError + 'static)) -> Error {
    transport(
        TransportErrorKind::ConnectionLost,
        Delivery::MaybeDelivered,
        describe(error),
    )
}

/// The whole-request timeout fired. If the request body was never polled (and had content), the
/// request was not written; otherwise it may have arrived.
pub(crate) fn timeout(after: std::time::Duration, body_started: bool, body_empty: bool) -> Error {
    if body_started || body_empty {
        transport(
            TransportErrorKind::ResponseTimeout,
            Delivery::MaybeDelivered,
            format!("no complete response within {after:?}"),
        )
    } else {
        transport(
            TransportErrorKind::ConnectTimeout,
            Delivery::NotSent,
            format!("could not start sending within {after:?}"),
        )
    }
}

/// The response body exceeded the limit.
pub(crate) fn too_large(limit: usize) -> Error {
    transport(
        TransportErrorKind::BodyTooLarge,
        Delivery::MaybeDelivered,
        format!("response body larger than the {limit}-byte limit"),
    )
}
