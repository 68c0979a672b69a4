//! Retrying only when it is safe, with capped exponential backoff, injectable jitter and an
//! overall deadline.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use paybridge_core::{Delivery, Error, TransportErrorKind};
use tokio::time::Instant;

use crate::{Transport, clone_request};

/// Which attempt a request is (1 for the first); set as a request extension by
/// [`send_with_retry`] and recorded in the transport's tracing span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt(pub u32);

/// Whether sending the same request twice could do the thing twice. The caller knows; the
/// transport does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// A second delivery could act again (a create call without an idempotency key). Retried
    /// only when the request certainly never reached the server.
    NotIdempotent,
    /// The request carries the merchant's idempotency key (a refund id) or only reads, so a
    /// repeat is harmless. Retried also after a possible delivery and on 502/503/504.
    IdempotentByKey,
}

impl Idempotency {
    /// Whether an attempt that failed with `error` may be sent again: the error must be
    /// retryable, and the request must either never have left or be safe to repeat.
    pub fn allows_retry(self, error: &Error) -> bool {
        error.is_retryable() && (error.nothing_sent() || self == Idempotency::IdempotentByKey)
    }

    /// [`Idempotency::allows_retry`] as a [`retry`] predicate for attempts that decode their
    /// answer: an `Ok` is final.
    pub fn retry_predicate<T>(self) -> impl Fn(&Result<T, Error>) -> bool {
        move |result| result.as_ref().is_err_and(|error| self.allows_retry(error))
    }
}

/// Turns a backoff into the delay actually slept, to spread retries of many clients.
pub trait Jitter: Send + Sync + fmt::Debug {
    /// The delay for a backoff of `backoff`; must not exceed it.
    fn delay(&self, backoff: Duration) -> Duration;
}

/// No jitter: the delay is the backoff. For tests and replays.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoJitter;

impl Jitter for NoJitter {
    fn delay(&self, backoff: Duration) -> Duration {
        backoff
    }
}

/// "Full jitter": a delay uniform in `[0, backoff]`.
#[derive(Debug, Default)]
pub struct FullJitter {
    counter: AtomicU64,
}

impl Jitter for FullJitter {
    fn delay(&self, backoff: Duration) -> Duration {
        // Spreading retries needs unpredictability across clients, not secrecy: std's randomly
        // keyed hasher is enough.
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        let nanos = u64::try_from(backoff.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(hasher.finish() % nanos.saturating_add(1))
    }
}

/// When and how often [`send_with_retry`] tries again.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff before the second attempt; it doubles each time.
    pub initial_backoff: Duration,
    /// The largest backoff.
    pub max_backoff: Duration,
    /// No attempt starts, and none runs, past this much time from the first.
    pub deadline: Duration,
    /// Response statuses retried for idempotent requests.
    pub retry_statuses: Vec<http::StatusCode>,
    /// How backoffs become delays.
    pub jitter: Arc<dyn Jitter>,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            deadline: Duration::from_secs(60),
            retry_statuses: vec![
                http::StatusCode::BAD_GATEWAY,
                http::StatusCode::SERVICE_UNAVAILABLE,
                http::StatusCode::GATEWAY_TIMEOUT,
            ],
            jitter: Arc::new(FullJitter::default()),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff after attempt `attempt` (1-based): initial × 2^(attempt−1), capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Whether the outcome of one attempt should be retried under `idempotency`.
fn should_retry(
    result: &Result<http::Response<Bytes>, Error>,
    idempotency: Idempotency,
    policy: &RetryPolicy,
) -> bool {
    match result {
        Ok(response) => {
            idempotency == Idempotency::IdempotentByKey
                && policy.retry_statuses.contains(&response.status())
        }
        Err(error) => idempotency.allows_retry(error),
    }
}

/// Sends `request`, retrying when — and only when — it is safe: the request never reached the
/// server, or it is idempotent by the merchant's key. Backoff is capped exponential with jitter;
/// no attempt starts or runs past the policy's deadline. The last outcome is returned as it was,
/// so a possible delivery that could not be retried surfaces as such
/// ([`Error::outcome_unknown`]).
///
/// # Errors
/// The last attempt's error (see [`History::settle`] for calls that apply something).
pub async fn send_with_retry<T: Transport + ?Sized>(
    transport: &T,
    request: http::Request<Bytes>,
    idempotency: Idempotency,
    policy: &RetryPolicy,
) -> Result<http::Response<Bytes>, Error> {
    retry(
        policy,
        |result| should_retry(result, idempotency, policy),
        |attempt| {
            let mut copy = clone_request(&request);
            copy.extensions_mut().insert(attempt);
            transport.send(copy)
        },
    )
    .await
}

/// What a run of attempts did, beyond its last result: how many attempts were made and whether
/// any of them may have been applied by the provider ([`Error::may_have_applied`]). A refusal that
/// follows such an attempt does not prove nothing happened — the earlier attempt may be why the
/// provider refuses (the refund already exists, the payment is already exhausted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    attempts: u32,
    maybe_applied: Option<(u32, String)>,
}

impl History {
    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether any attempt may have been applied.
    pub fn may_have_applied(&self) -> bool {
        self.maybe_applied.is_some()
    }

    /// Records one attempt's result.
    pub fn record<T>(&mut self, result: &Result<T, Error>) {
        self.attempts += 1;
        if self.maybe_applied.is_none()
            && let Err(error) = result
            && error.may_have_applied()
        {
            self.maybe_applied = Some((self.attempts, error.to_string()));
        }
    }

    /// The honest result of a call that applies something (a refund): when an attempt may have
    /// been applied, a later error that would say "nothing happened" — a refusal, a connection
    /// never made, a bad request — becomes [`Error::OutcomeUnknown`], to be settled by a look-up
    /// under the same merchant id. Success, and errors that already say "may have been
    /// applied", pass unchanged.
    ///
    /// # Errors
    /// [`Error::OutcomeUnknown`] in place of an error that would say nothing happened, after
    /// an attempt that may have been applied; other errors as they were.
    pub fn settle<T>(&self, result: Result<T, Error>, provider: &'static str) -> Result<T, Error> {
        self.settle_keeping(result, provider, |_| false)
    }

    /// [`History::settle`], except that errors `keep` picks pass unchanged: answers the caller
    /// resolves itself (BluePay's "duplicate refund id", which it answers with a look-up).
    ///
    /// # Errors
    /// [`Error::OutcomeUnknown`] in place of an error that would say nothing happened, after
    /// an attempt that may have been applied; other errors as they were.
    pub fn settle_keeping<T>(
        &self,
        result: Result<T, Error>,
        provider: &'static str,
        keep: impl Fn(&Error) -> bool,
    ) -> Result<T, Error> {
        match (result, &self.maybe_applied) {
            (Err(error), Some((attempt, why))) if !error.may_have_applied() && !keep(&error) => {
                Err(Error::OutcomeUnknown {
                    provider,
                    reason: format!(
                        "attempt {attempt} may have been applied ({why}); the last of {} attempts \
                         answered \"{error}\", which cannot prove that it was not",
                        self.attempts
                    ),
                })
            }
            (result, _) => result,
        }
    }
}

/// Runs `attempt` (told which one it is) until `retryable` calls its outcome final, the
/// policy's attempts run out, or its deadline passes; between attempts it sleeps the policy's
/// capped, jittered backoff. No attempt starts, or runs, past the deadline.
///
/// [`send_with_retry`] is this with a fixed request. Providers whose every attempt must be
/// built afresh — a new timestamp or message id, hence a new signature, under the same merchant
/// refund id — build and decode inside `attempt`, so one mechanism and one policy govern every
/// retry paybridge makes. Calls that apply something use [`retry_recorded`] instead, whose
/// [`History`] keeps an earlier possible delivery from being hidden by a later refusal.
///
/// # Errors
/// The last attempt's error (see [`History::settle`] for calls that apply something).
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    retryable: impl Fn(&Result<T, Error>) -> bool,
    attempt: F,
) -> Result<T, Error>
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    retry_recorded(policy, retryable, attempt).await.0
}

/// [`retry`], returning with the last result the [`History`] of every attempt.
pub async fn retry_recorded<T, F, Fut>(
    policy: &RetryPolicy,
    retryable: impl Fn(&Result<T, Error>) -> bool,
    attempt: F,
) -> (Result<T, Error>, History)
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    retry_by_action(
        policy,
        |result| {
            if retryable(result) {
                Action::Retry
            } else {
                Action::Stop
            }
        },
        attempt,
    )
    .await
}

/// What to do after an attempt: the answer each provider's `codes.rs` gives for its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Final: return this outcome.
    Stop,
    /// Try again after the policy's backoff.
    Retry,
    /// Try again, not before this long (a provider's `Retry-After`, a rate limit's window);
    /// if that would pass the deadline, stop instead.
    RetryAfter(Duration),
}

/// One budget — a deadline and a number of attempts — shared by every provider call made inside
/// [`Budget::spend_within`], however those calls nest: a caller that runs its own rounds (the
/// reliable refund: send, look up, send again) and the retries inside each call draw on the
/// same time and the same attempts, so nothing multiplies.
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    attempts: AtomicU64,
}

tokio::task_local! {
    static BUDGET: Arc<Budget>;
}

impl Budget {
    /// `attempts` HTTP attempts in all, none starting or running after `within` from now.
    pub fn new(within: Duration, attempts: u32) -> Arc<Budget> {
        Arc::new(Budget {
            deadline: Instant::now() + within,
            attempts: AtomicU64::new(u64::from(attempts)),
        })
    }

    /// Runs `future` with this budget governing every retry engine inside it.
    pub async fn spend_within<F: Future>(self: &Arc<Budget>, future: F) -> F::Output {
        BUDGET.scope(Arc::clone(self), future).await
    }

    /// The budget governing the current task, if any.
    pub fn current() -> Option<Arc<Budget>> {
        BUDGET.try_with(Arc::clone).ok()
    }

    /// When the budget's time runs out.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Attempts left.
    pub fn attempts_left(&self) -> u64 {
        self.attempts.load(Ordering::SeqCst)
    }

    /// Takes one attempt, if one is left and there is time.
    fn take(&self) -> bool {
        Instant::now() < self.deadline
            && self
                .attempts
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
    }
}

/// The retry engine under every provider call: runs `attempt` until `decide` says
/// [`Action::Stop`], the policy's attempts run out, or its deadline passes. Between attempts it
/// sleeps the policy's capped, jittered backoff, or at least what [`Action::RetryAfter`] asks.
/// Time is tokio's, so tests drive it with a paused clock (`tokio::time::pause`) and assert
/// every delay exactly.
pub async fn retry_by_action<T, F, Fut>(
    policy: &RetryPolicy,
    decide: impl Fn(&Result<T, Error>) -> Action,
    mut attempt: F,
) -> (Result<T, Error>, History)
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let start = Instant::now();
    let budget = Budget::current();
    // The policy's deadline, or the enclosing budget's if that comes first.
    let deadline = budget.as_ref().map_or(start + policy.deadline, |b| {
        b.deadline().min(start + policy.deadline)
    });
    let mut history = History::default();
    let mut number = 1;
    loop {
        if number == 1
            && let Some(budget) = &budget
            && !budget.take()
        {
            let spent = Error::Transport {
                kind: TransportErrorKind::ResponseTimeout,
                delivery: Delivery::NotSent,
                message: "the call's budget of time and attempts is spent; nothing was sent".into(),
            };
            return (Err(spent), history);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let result = match tokio::time::timeout(remaining, attempt(Attempt(number))).await {
            Ok(result) => result,
            Err(_) => Err(Error::Transport {
                kind: TransportErrorKind::ResponseTimeout,
                delivery: Delivery::MaybeDelivered,
                message: format!("the overall deadline of {:?} passed", policy.deadline),
            }),
        };
        history.record(&result);
        let action = decide(&result);
        if number >= policy.max_attempts || action == Action::Stop {
            return (result, history);
        }
        let backoff = policy.backoff(number);
        let delay = match action {
            Action::RetryAfter(wait) => wait.max(policy.jitter.delay(backoff).min(backoff)),
            _ => policy.jitter.delay(backoff).min(backoff),
        };
        if Instant::now() + delay >= deadline {
            return (result, history);
        }
        // The next attempt comes out of the shared budget; with none left, this outcome stands.
        if let Some(budget) = &budget
            && !budget.take()
        {
            return (result, history);
        }
        match &result {
            Ok(_) => tracing::debug!(attempt = number, ?delay, "retrying a retryable answer"),
            Err(error) => tracing::debug!(attempt = number, %error, ?delay, "retrying"),
        }
        tokio::time::sleep(delay).await;
        number += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(400));
        assert_eq!(p.backoff(4), Duration::from_millis(500));
        assert_eq!(p.backoff(60), Duration::from_millis(500));
    }

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            jitter: Arc::new(NoJitter),
            ..RetryPolicy::default()
        }
    }

    fn lost() -> Error {
        Error::Transport {
            kind: TransportErrorKind::ConnectionLost,
            delivery: Delivery::MaybeDelivered,
            message: "reset".into(),
        }
    }

    #[test]
    fn only_a_keyed_request_is_repeated_after_it_may_have_arrived() {
        let never_sent = Error::Transport {
            kind: TransportErrorKind::Connect,
            delivery: Delivery::NotSent,
            message: "refused".into(),
        };
        let final_error = Error::invalid("amount", "negative");
        for idempotency in [Idempotency::NotIdempotent, Idempotency::IdempotentByKey] {
            assert!(idempotency.allows_retry(&never_sent));
            assert!(!idempotency.allows_retry(&final_error));
        }
        assert!(Idempotency::IdempotentByKey.allows_retry(&lost()));
        assert!(!Idempotency::NotIdempotent.allows_retry(&lost()));
        let keyed = Idempotency::IdempotentByKey.retry_predicate::<()>();
        assert!(keyed(&Err(lost())) && !keyed(&Ok(())));
    }

    #[tokio::test]
    async fn retry_numbers_each_attempt_and_stops_at_the_policy_s_count() {
        let mut seen = Vec::new();
        let result: Result<(), Error> = retry(
            &quick(3),
            |r| r.is_err(),
            |attempt| {
                seen.push(attempt.0);
                std::future::ready(Err(lost()))
            },
        )
        .await;
        assert!(
            result.unwrap_err().outcome_unknown(),
            "the last outcome, as it was"
        );
        assert_eq!(seen, [1, 2, 3]);
    }

    #[tokio::test]
    async fn retry_returns_the_first_final_outcome() {
        let mut calls = 0;
        let result = retry(
            &quick(5),
            |r: &Result<u32, Error>| r.as_ref().is_err_and(Error::is_retryable),
            |attempt| {
                calls += 1;
                std::future::ready(match attempt.0 {
                    1 => Err(lost()),
                    n => Ok(n),
                })
            },
        )
        .await;
        assert_eq!(result.unwrap(), 2);
        assert_eq!(calls, 2);
        let mut calls = 0;
        let refused: Result<(), Error> = retry(
            &quick(5),
            |r| r.as_ref().is_err_and(Error::is_retryable),
            |_| {
                calls += 1;
                std::future::ready(Err(Error::invalid("amount", "negative")))
            },
        )
        .await;
        assert!(refused.is_err());
        assert_eq!(calls, 1, "a final error is not retried");
    }

    #[tokio::test(start_paused = true)]
    async fn no_attempt_runs_past_the_deadline() {
        let policy = RetryPolicy {
            deadline: Duration::from_secs(5),
            ..quick(10)
        };
        let mut calls = 0;
        let result: Result<(), Error> = retry(
            &policy,
            |r| r.is_err(),
            |_| {
                calls += 1;
                async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    Err(lost())
                }
            },
        )
        .await;
        let error = result.unwrap_err();
        assert!(error.outcome_unknown(), "{error}");
        assert!(error.to_string().contains("deadline"), "{error}");
        assert_eq!(calls, 2, "the second attempt was cut off at 5 s");
    }

    #[test]
    fn full_jitter_stays_within_the_backoff() {
        let j = FullJitter::default();
        for _ in 0..1000 {
            assert!(j.delay(Duration::from_millis(10)) <= Duration::from_millis(10));
        }
        assert_eq!(j.delay(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn nested_engines_share_one_budget_of_attempts_and_time() {
        let budget = Budget::new(Duration::from_secs(10), 5);
        let attempts = AtomicU64::new(0);
        let always_lost = |_: Attempt| {
            attempts.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), Error>(lost()) }
        };
        let (first, second) = budget
            .spend_within(async {
                // Two calls, each of whose own policy would try four times.
                let first = retry_recorded(&quick(4), |_| true, always_lost).await;
                let second = retry_recorded(&quick(4), |_| true, always_lost).await;
                (first, second)
            })
            .await;
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            5,
            "one budget, not two policies"
        );
        assert_eq!(first.1.attempts(), 4);
        assert_eq!(second.1.attempts(), 1);
        // The last attempt's outcome stands; a call the budget cannot start sends nothing.
        assert!(second.0.unwrap_err().outcome_unknown());
        let third = budget
            .spend_within(retry_recorded(&quick(4), |_| true, always_lost))
            .await;
        assert!(third.0.unwrap_err().nothing_sent());
        assert_eq!(attempts.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_is_waited_and_one_past_the_deadline_stops() {
        let policy = RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(10),
            deadline: Duration::from_secs(30),
            jitter: Arc::new(NoJitter),
            ..RetryPolicy::default()
        };
        let started = Instant::now();
        let (_, history) = retry_by_action(
            &policy,
            |_: &Result<(), Error>| Action::RetryAfter(Duration::from_secs(7)),
            |_| async { Err::<(), Error>(lost()) },
        )
        .await;
        assert_eq!(history.attempts(), 3);
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(14),
            "7 s before each retry"
        );
        let (_, history) = retry_by_action(
            &policy,
            |_: &Result<(), Error>| Action::RetryAfter(Duration::from_secs(60)),
            |_| async { Err::<(), Error>(lost()) },
        )
        .await;
        assert_eq!(history.attempts(), 1, "a wait past the deadline stops");
    }
}
