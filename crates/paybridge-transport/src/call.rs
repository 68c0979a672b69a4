//! One provider call, the same loop for every provider: stamp the attempt (time and nonce),
//! encode it with the provider's codec, send it, decode the answer, and let the provider's
//! `codes.rs` say what the outcome means for a retry — with the `Retry-After` a server sent
//! honoured, and a refusal after an attempt that may have been applied reported as unknown.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use paybridge_core::{Clock, Codec, Endpoint, Error, IdGenerator, Stamp};

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

/// What every call of one account shares: how it is encoded and sent, retried, and stamped.
pub struct Caller<'a, C, T> {
    /// The provider's codec.
    pub codec: &'a C,
    /// Where requests go.
    pub transport: &'a T,
    /// Attempts, backoff, deadline.
    pub policy: &'a RetryPolicy,
    /// The time each attempt is stamped with.
    pub clock: &'a Arc<dyn Clock>,
    /// The nonce each attempt is stamped with.
    pub ids: &'a Arc<dyn IdGenerator>,
    /// How the provider's errors steer retries.
    pub rules: RetryRules,
    /// Values to mask in whatever the transport logs (a key that travels in a header).
    pub sensitive: Option<SensitiveValues>,
}

/// The longest `Retry-After` honoured: a server asking for more is answered by stopping (the
/// outcome is then reported as it stands, and a later look-up settles it).
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

impl<C, T> Caller<'_, C, T>
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
            self.policy,
            |result: &Result<E::Response, Error>| {
                let Err(error) = result else {
                    return Action::Stop;
                };
                let asked = waited.lock().unwrap_or_else(PoisonError::into_inner).take();
                match ((self.rules.action)(error), asked) {
                    (Action::Retry, Some(wait)) => Action::RetryAfter(wait),
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
