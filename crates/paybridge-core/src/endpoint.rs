//! One call of a provider's API, described once: how and where it goes, what it answers with,
//! and whether it applies something. Every provider crate's request types implement it, in
//! one table per crate (`endpoints.rs`, written with [`endpoints!`](crate::endpoints)), and
//! every provider's codec implements [`Codec`] over it, so a client is the same loop in each.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Timestamp};

/// The HTTP method of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: the request's fields travel in the path and query.
    Get,
    /// `POST`: the request is the body (most providers).
    Post,
}

impl Method {
    /// As an [`http::Method`].
    pub fn as_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
        }
    }

    /// `"GET"` or `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A provider call: its request type is `Self`.
pub trait Endpoint: Serialize {
    /// How it is sent.
    const METHOD: Method;
    /// The path below the account's base URL. `{name}` parts are filled by the codec: the
    /// account's own (Nomad's `{merchant}`) from its settings, the request's from
    /// [`Endpoint::path_value`]; every value is percent-encoded as one segment.
    const PATH: &'static str;
    /// What a successful answer holds (BluePay's `data`, ScanForPay's response body).
    type Response: DeserializeOwned;
    /// Whether the call moves money or creates something (a refund, a payout, a payment page).
    /// Then a refusal after an attempt that may have been applied proves nothing, and the
    /// client reports the outcome unknown instead; a call that only reads says `false`.
    const APPLIES: bool;

    /// The request's value for `{name}` in [`Endpoint::PATH`].
    fn path_value(&self, _name: &str) -> Option<&str> {
        None
    }

    /// Query parameters, in order (`None` values are left out): a `GET` call's fields.
    fn query(&self) -> Vec<(&'static str, Option<&str>)> {
        Vec::new()
    }
}

/// One row of a provider's table of calls, for documentation and conformance tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointInfo {
    /// The request type's name.
    pub request: &'static str,
    /// How it is sent.
    pub method: Method,
    /// Where.
    pub path: &'static str,
    /// The response type's name.
    pub response: &'static str,
    /// Whether it applies something.
    pub applies: bool,
}

/// What makes one attempt of a call fresh: when it is sent and a value never used before.
/// Providers that sign each attempt stamp them in (BluePay's `timestamp`; ScanForPay's
/// `reqTime` and `reqMsgId`; WeChat Pay's `timestamp` and `nonce_str`); every merchant id in
/// the request stays the same, so a retry is the same call, re-signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// When the attempt is made.
    pub at: Timestamp,
    /// A value unique to the attempt (32 hex characters).
    pub nonce: String,
}

/// A provider's sans-I/O codec for the call `E`: the typed request to a signed HTTP request,
/// and the raw answer to a typed result — pure functions over bytes, so they are tested,
/// fuzzed and benchmarked without a network.
pub trait Codec<E: Endpoint>: Send + Sync {
    /// The HTTP request for one attempt of `request`, stamped with `stamp`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the request cannot be written; [`Error::Config`] when the
    /// account's settings cannot sign it. Nothing was sent.
    fn encode(&self, request: &E, stamp: &Stamp) -> Result<http::Request<Bytes>, Error>;

    /// Reads the answer to the call.
    ///
    /// # Errors
    /// [`Error::Rejected`] with the provider's code and class when it refused;
    /// [`Error::MalformedResponse`] or [`Error::Verification`] when the answer cannot be read
    /// or trusted (both may follow an applied call).
    fn decode(&self, response: &http::Response<Bytes>) -> Result<E::Response, Error>;
}

/// Writes a provider's table of calls: an [`Endpoint`] implementation per row and `ENDPOINTS`,
/// the table as data. A row may end in a block of the [`Endpoint`] methods it overrides
/// (path values, query parameters).
///
/// ```ignore
/// paybridge_core::endpoints! {
///     RefundParam => Post "/open-api/payment/refund" -> RefundData, applies;
///     QueryRefund => Get "/refund/{merchant}" -> RefundResponse, reads {
///         fn query(&self) -> Vec<(&'static str, Option<&str>)> {
///             vec![("refund_order_ref", Some(self.refund_order_ref.as_str()))]
///         }
///     };
/// }
/// ```
#[macro_export]
macro_rules! endpoints {
    ($($request:ty => $method:ident $path:literal -> $response:ty, $effect:ident $({ $($item:item)* })?;)*) => {
        $(
            impl $crate::Endpoint for $request {
                const METHOD: $crate::Method = $crate::Method::$method;
                const PATH: &'static str = $path;
                type Response = $response;
                const APPLIES: bool = $crate::endpoints!(@applies $effect);
                $($($item)*)?
            }
        )*

        /// Every call of this provider, as data.
        pub const ENDPOINTS: &[$crate::EndpointInfo] = &[$(
            $crate::EndpointInfo {
                request: stringify!($request),
                method: $crate::Method::$method,
                path: $path,
                response: stringify!($response),
                applies: $crate::endpoints!(@applies $effect),
            },
        )*];
    };
    (@applies applies) => { true };
    (@applies reads) => { false };
}
