//! One provider call, the same loop for every provider: stamp the attempt (time and nonce),
//! encode it with the provider's codec, send it, decode the answer, and let the provider's
//! `codes.rs` say what the outcome means for a retry — with the `Retry-After` a server sent
//! honoured, and a refusal after an attempt that may have been applied reported as unknown.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use paybridge_core::{
    Clock, Codec, Endpoint, Error, IdGenerator, RandomIdGenerator, Stamp, SystemClock,
};

use crate::retry::{Action, RetryPolicy, retry_by_action};
use crate::{SensitiveValues, Transport};

/// How a provider's errors steer retries, from its `codes.rs`.
#[derive(Clone, Copy, Debug)]
pub struct RetryRules {
    /// The provider's name, for the unknown outcomes [`crate::History::settle`] writes.
    pub provider: &'static str,
    /// What to do after an attempt that failed with this error.
    pub action: fn(&Error) -> Action,
    /// Errors the caller resolves itself (BluePay's "duplicate refund id", answered with a
    /// look-up): passed unchanged even after an attempt that may have been applied.
    pub resolved_by_caller: fn(&Error) -> bool,
}

impl RetryRules {
    /// The rules for calls keyed by the merchant's own ids (or only reading): whatever
    /// [`Error::is_retryable`] allows is tried again, whether or not it may have arrived.
    pub const fn keyed(provider: &'static str) -> RetryRules {
        RetryRules {
            provider,
            action: keyed_action,
            resolved_by_caller: never,
        }
    }
}

fn keyed_action(error: &Error) -> Action {
    if error.is_retryable() {
        Action::Retry
    } else {
        Action::Stop
    }
}

fn never(_: &Error) -> bool {
    false
}

/// What every provider client holds: its codec, where it sends, how it retries, and the sources
/// that stamp each attempt. A client is this plus the provider's own defaults (a callback URL, a
/// store number); its calls are [`Connection::call`].
pub struct Connection<C, T> {
    codec: C,
    transport: T,
    policy: RetryPolicy,
    rules: RetryRules,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    sensitive: Option<SensitiveValues>,
}

impl<C: fmt::Debug, T> fmt::Debug for Connection<C, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("codec", &self.codec)
            .field("provider", &self.rules.provider)
            .finish_non_exhaustive()
    }
}

impl<C, T> Connection<C, T> {
    /// A connection stamping attempts with the system clock and random nonces.
    pub fn new(codec: C, transport: T, policy: RetryPolicy, rules: RetryRules) -> Connection<C, T> {
        Connection {
            codec,
            transport,
            policy,
            rules,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIdGenerator::new()),
            sensitive: None,
        }
    }

    /// Masks `values` in whatever the transport logs for this connection's requests (a secret
    /// that travels in a request, or that a server may echo back).
    #[must_use]
    pub fn masking(mut self, values: SensitiveValues) -> Connection<C, T> {
        self.sensitive = Some(values);
        self
    }

    /// Stamps attempts from `clock` and `ids` (tests and replays).
    pub fn set_sources(&mut self, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) {
        self.clock = clock;
        self.ids = ids;
    }

    /// Now, on the clock attempts are stamped with (a request that names a date range, or a
    /// signature that carries a time, reads it here).
    pub fn now(&self) -> paybridge_core::Timestamp {
        self.clock.now()
    }

    /// The id source attempts take their nonces from.
    pub fn ids(&self) -> &Arc<dyn IdGenerator> {
        &self.ids
    }

    /// The codec, for building or reading messages without sending them.
    pub fn codec(&self) -> &C {
        &self.codec
    }

    /// The codec, to give it what it reads besides the answer (the clock a provider's
    /// signature window is checked against).
    pub fn codec_mut(&mut self) -> &mut C {
        &mut self.codec
    }

    /// The transport: to share its pooled connections, or to inspect a scripted test double.
    pub fn transport(&self) -> &T {
        &self.transport
    }
}

/// The longest `Retry-After` honoured: a server asking for more is waited this long, and only
/// if that still fits the call's deadline (otherwise the outcome is reported as it stands, and
/// a later look-up settles it).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// A `Retry-After` header's delay (delta-seconds; an HTTP date is not trusted to clocks).
fn retry_after(response: &http::Response<bytes::Bytes>) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

impl<C, T> Connection<C, T>
where
    T: Transport,
{
    /// Calls `request`: every attempt freshly stamped and signed, every merchant id the same.
    /// For a call that applies something ([`Endpoint::APPLIES`]), an error after an attempt
    /// that may have been applied comes back as [`Error::OutcomeUnknown`], never as a refusal.
    ///
    /// # Errors
    /// The last attempt's error, settled as above.
    pub async fn call<E>(&self, request: &E) -> Result<E::Response, Error>
    where
        E: Endpoint,
        C: Codec<E>,
    {
        // The `Retry-After` of the latest answer, read by the decision that follows it.
        let waited: Mutex<Option<Duration>> = Mutex::new(None);
        let (result, history) = retry_by_action(
            &self.policy,
            |result: &Result<E::Response, Error>| {
                let Err(error) = result else {
                    return Action::Stop;
                };
                let asked = waited.lock().unwrap_or_else(PoisonError::into_inner).take();
                match ((self.rules.action)(error), asked) {
                    (Action::Retry, Some(wait)) => Action::RetryAfter(wait),
                    // A provider's own backoff (a rate limit's window) and the server's
                    // `Retry-After`: the longer of the two.
                    (Action::RetryAfter(own), Some(wait)) => Action::RetryAfter(own.max(wait)),
                    (action, _) => action,
                }
            },
            |attempt| {
                let stamp = Stamp {
                    at: self.clock.now(),
                    nonce: self.ids.next_id(),
                };
                let encoded = self.codec.encode(request, &stamp);
                let waited = &waited;
                async move {
                    let mut encoded = encoded?;
                    encoded.extensions_mut().insert(attempt);
                    if let Some(values) = &self.sensitive {
                        encoded.extensions_mut().insert(values.clone());
                    }
                    let response = self.transport.send(encoded).await?;
                    *waited.lock().unwrap_or_else(PoisonError::into_inner) = retry_after(&response);
                    self.codec.decode(&response)
                }
            },
        )
        .await;
        if E::APPLIES {
            history.settle_keeping(result, self.rules.provider, self.rules.resolved_by_caller)
        } else {
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(header: Option<&str>) -> http::Response<bytes::Bytes> {
        let mut builder = http::Response::builder().status(503);
        if let Some(value) = header {
            builder = builder.header(http::header::RETRY_AFTER, value);
        }
        builder.body(bytes::Bytes::new()).unwrap()
    }

    #[test]
    fn retry_after_is_read_in_seconds_capped_and_dates_are_not_trusted() {
        assert_eq!(
            retry_after(&answer(Some("7"))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&answer(Some(" 3 "))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(retry_after(&answer(Some("86400"))), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after(&answer(Some("Wed, 21 Oct 2026 07:28:00 GMT"))),
            None
        );
        assert_eq!(retry_after(&answer(Some("-1"))), None);
        assert_eq!(retry_after(&answer(None)), None);
    }
}
