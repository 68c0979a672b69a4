//! The reliable refund: send; on a retryable failure or an unknown outcome, resolve with a status
//! query and retry with the *same* refund id; stop at a deadline and report what is known —
//! including "still unknown" — never a guess.

use std::time::Duration;

use paybridge_core::{Error, Refund, RefundLookup, RefundProvider, RefundRequest};
use tokio::time::Instant;

/// How long and how often [`reliable_refund`] tries.
#[derive(Clone, Debug)]
pub struct ReliablePolicy {
    /// Give up (reporting what is known) after this long.
    pub deadline: Duration,
    /// The first pause between rounds; doubles, capped by `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest pause.
    pub max_backoff: Duration,
}

impl Default for ReliablePolicy {
    fn default() -> ReliablePolicy {
        ReliablePolicy {
            deadline: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// What a reliable refund ended with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RefundOutcome {
    /// The provider has the refund (its status may still be pending).
    Refunded(Refund),
    /// The provider refused it; nothing was refunded.
    Rejected(Error),
    /// Nothing reached the provider (invalid input, configuration, connection never made).
    NotSent(Error),
    /// The deadline passed while an attempt may have been applied: resolve later with
    /// `refund_status` and the same refund id.
    Unknown(Error),
}

impl RefundOutcome {
    /// The refund, when there is one.
    pub fn refund(&self) -> Option<&Refund> {
        match self {
            RefundOutcome::Refunded(refund) => Some(refund),
            _ => None,
        }
    }

    /// The error, when there is one.
    pub fn error(&self) -> Option<&Error> {
        match self {
            RefundOutcome::Refunded(_) => None,
            RefundOutcome::Rejected(e) | RefundOutcome::NotSent(e) | RefundOutcome::Unknown(e) => {
                Some(e)
            }
        }
    }
}

/// Refunds `request` through `provider`, retrying and confirming until the outcome is known or
/// `policy.deadline` passes.
///
/// Every attempt carries the request's refund id. After an unknown outcome the refund is looked
/// up first; only "not found" (or a provider that cannot look refunds up, whose repeated refund
/// is idempotent by the id) leads to sending it again.
pub async fn reliable_refund(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    policy: &ReliablePolicy,
) -> RefundOutcome {
    let start = Instant::now();
    let lookup = RefundLookup::from(request);
    let mut backoff = policy.initial_backoff;
    // Whether any attempt may have been applied without us learning its fate.
    let mut maybe_applied = false;
    loop {
        let error = match provider.refund(request).await {
            Ok(refund) => return RefundOutcome::Refunded(refund),
            Err(error) => error,
        };
        if error.outcome_unknown() {
            maybe_applied = true;
            match provider.refund_status(&lookup).await {
                Ok(refund) => return RefundOutcome::Refunded(refund),
                // Definitely not applied: sending it again is safe.
                Err(Error::RefundNotFound { .. }) => maybe_applied = false,
                // Could not tell (lost again, or the provider cannot look refunds up): the
                // refund id makes sending again safe, and its answer will tell.
                Err(_) => {}
            }
        } else if !error.is_retryable() {
            // A definite answer. If an earlier attempt was unknown, this one still carries the
            // same id, so a rejection here (e.g. a duplicate) is checked by a final lookup.
            if maybe_applied && let Ok(refund) = provider.refund_status(&lookup).await {
                return RefundOutcome::Refunded(refund);
            }
            return if error.nothing_sent() {
                RefundOutcome::NotSent(error)
            } else {
                RefundOutcome::Rejected(error)
            };
        }
        if start.elapsed() + backoff >= policy.deadline {
            if maybe_applied {
                if let Ok(refund) = provider.refund_status(&lookup).await {
                    return RefundOutcome::Refunded(refund);
                }
                return RefundOutcome::Unknown(error);
            }
            return if error.nothing_sent() {
                RefundOutcome::NotSent(error)
            } else {
                RefundOutcome::Rejected(error)
            };
        }
        tracing::debug!(refund_id = %request.refund_id(), %error, ?backoff, "refund not settled yet; retrying with the same id");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(policy.max_backoff);
    }
}
