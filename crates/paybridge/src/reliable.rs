//! The reliable refund: send; on a retryable failure or an unknown outcome, resolve with a status
//! query and retry with the *same* refund id; stop when the budget is spent and report what is
//! known — including "still unknown" — never a guess.
//!
//! One budget governs everything: a [`paybridge_transport::Budget`] of time and HTTP attempts,
//! shared by these rounds and by every retry inside each provider call, so the account's own
//! retry policy cannot multiply the attempts or outlast the deadline.

use std::time::Duration;

use paybridge_core::{Error, Refund, RefundLookup, RefundProvider, RefundRequest};
use paybridge_transport::Budget;
use tokio::time::Instant;

/// How long and how often [`reliable_refund`] tries. The default: a 60-second deadline, 16 HTTP
/// attempts in all, pauses from 100 ms doubling to at most 2 s.
#[derive(Clone, Debug)]
pub struct ReliablePolicy {
    /// Give up (reporting what is known) after this long.
    pub deadline: Duration,
    /// HTTP attempts in all — refunds, their retries and look-ups together. One is always kept
    /// for the look-up that settles the outcome.
    pub max_attempts: u32,
    /// The first pause between rounds; doubles, capped by `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest pause.
    pub max_backoff: Duration,
}

impl Default for ReliablePolicy {
    fn default() -> ReliablePolicy {
        ReliablePolicy {
            deadline: Duration::from_secs(60),
            max_attempts: 16,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// What a reliable refund ended with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RefundOutcome {
    /// The provider holds the refund. Read its [`Refund::status`]: it may still be pending, need
    /// the merchant's attention, or have failed at the provider (then no money went back).
    Refunded(Refund),
    /// The provider refused it, and nothing was applied: no attempt may have reached the
    /// provider before the refusal, or a look-up proved the refund is not there.
    Rejected(Error),
    /// Nothing reached the provider (invalid input, configuration, connection never made).
    NotSent(Error),
    /// An attempt may have been applied and nothing has settled whether it was: resolve later
    /// with `refund_status` (or [`resume_refund`]) and the same refund id — never a new id.
    ///
    /// An [`Error::Verification`] here means the provider answered, but neither the refund's
    /// answer nor the look-up's could be verified: the refund may have been applied; fix the
    /// verification settings the message names, then look it up.
    Unknown(Error),
    /// The refund id already holds another refund at the provider — another amount, payment or
    /// currency (an [`Error::IntegrityMismatch`] naming both). Nothing new was applied, and no
    /// further request was sent: give this refund a new id, or settle the one the id holds.
    Conflict(Error),
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
            RefundOutcome::Rejected(e)
            | RefundOutcome::NotSent(e)
            | RefundOutcome::Unknown(e)
            | RefundOutcome::Conflict(e) => Some(e),
        }
    }
}

/// Refunds `request` through `provider`, retrying and confirming until the outcome is known or
/// `policy.deadline` passes.
///
/// Every attempt carries the request's refund id. After an answer that may mean the refund was
/// applied, the refund is looked up first; only "not found" (or a provider that cannot look
/// refunds up, whose repeated refund is idempotent by the id) leads to sending it again. Once any
/// attempt may have been applied, a later refusal is reported as [`RefundOutcome::Rejected`] only
/// if a look-up proves the refund is not there; otherwise the outcome is
/// [`RefundOutcome::Unknown`]. The deadline is a hard limit: no call runs past it, and one cut
/// off there is treated as possibly delivered.
pub async fn reliable_refund(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    policy: &ReliablePolicy,
) -> RefundOutcome {
    run(provider, request, policy, false).await
}

/// [`reliable_refund`] for a refund that may already have been sent (an earlier run crashed, or
/// reported the outcome unknown): the refund is looked up first, and sent again under the same
/// id only when the look-up finds nothing or cannot tell.
pub async fn resume_refund(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    policy: &ReliablePolicy,
) -> RefundOutcome {
    run(provider, request, policy, true).await
}

/// What a look-up said.
enum Looked {
    Found(Refund),
    NotThere,
    /// The id holds a refund that is not this request.
    Conflict(Error),
    CannotTell(Error),
}

async fn look_up(
    provider: &dyn RefundProvider,
    lookup: &RefundLookup,
    deadline: Instant,
) -> Looked {
    let remaining = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(remaining, provider.refund_status(lookup)).await {
        Ok(Ok(refund)) => Looked::Found(refund),
        Ok(Err(Error::RefundNotFound { .. })) => Looked::NotThere,
        Ok(Err(error @ Error::IntegrityMismatch { .. })) => Looked::Conflict(error),
        Ok(Err(error)) => Looked::CannotTell(error),
        Err(_) => Looked::CannotTell(Error::OutcomeUnknown {
            provider: provider.name(),
            reason: "the deadline passed during the look-up".into(),
        }),
    }
}

/// The unknown outcome for a refund whose last answer was `error`, after an attempt that may
/// have been applied, when the look-up that would settle it failed with `lookup`. Each cause is
/// said once, in brief.
fn unknown(provider: &dyn RefundProvider, error: &Error, lookup: &Error) -> RefundOutcome {
    RefundOutcome::Unknown(Error::OutcomeUnknown {
        provider: provider.name(),
        reason: format!(
            "an attempt may have been applied; its last answer: {}; the look-up that would settle \
             it: {}",
            error.summary(),
            lookup.summary()
        ),
    })
}

/// The end of a refund whose answers cannot be verified: the refund's answer and the look-up's
/// both failed verification, so no answer can settle it and resending would only repeat that.
fn unverifiable(provider: &dyn RefundProvider, error: &Error, lookup: &Error) -> RefundOutcome {
    let check = provider
        .verification_settings()
        .map_or_else(String::new, |settings| {
            format!("; check [{}] {settings}", provider.name())
        });
    RefundOutcome::Unknown(Error::Verification {
        provider: provider.name(),
        reason: format!(
            "the refund may have been applied, but neither its answer ({}) nor the look-up's ({}) \
             could be verified{check} — then look it up with the same refund id; never refund it \
             under a new id",
            verification_reason(error),
            verification_reason(lookup),
        ),
    })
}

fn verification_reason(error: &Error) -> String {
    match error {
        Error::Verification { reason, .. } => reason.clone(),
        other => other.summary(),
    }
}

/// The conflict a look-up found: nothing of this request was applied under the id.
fn conflict(request: &RefundRequest, found: Error) -> RefundOutcome {
    let Error::IntegrityMismatch {
        provider,
        field,
        expected,
        actual,
    } = found
    else {
        return RefundOutcome::Conflict(found);
    };
    RefundOutcome::Conflict(Error::IntegrityMismatch {
        provider,
        field,
        expected: format!(
            "{expected} (this request, refund id {})",
            request.refund_id()
        ),
        actual: format!("{actual} (the refund the id already holds)"),
    })
}

/// Whether the provider refused because the refund id already holds another refund.
fn is_duplicate(error: &Error) -> bool {
    matches!(
        error,
        Error::Rejected {
            class: paybridge_core::RejectionClass::Duplicate,
            ..
        }
    )
}

fn definite(error: Error) -> RefundOutcome {
    if error.nothing_sent() {
        RefundOutcome::NotSent(error)
    } else if error.may_have_applied() {
        // An answer that may mean the refund was applied is never a refusal.
        RefundOutcome::Unknown(error)
    } else if is_duplicate(&error) {
        // The provider says the id already holds another refund.
        RefundOutcome::Conflict(error)
    } else {
        RefundOutcome::Rejected(error)
    }
}

async fn run(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    policy: &ReliablePolicy,
    sent_before: bool,
) -> RefundOutcome {
    let budget = Budget::new(policy.deadline, policy.max_attempts.max(1));
    budget
        .spend_within(rounds(provider, request, policy, sent_before, &budget))
        .await
}

async fn rounds(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
    policy: &ReliablePolicy,
    sent_before: bool,
    budget: &Budget,
) -> RefundOutcome {
    let deadline = budget.deadline();
    let lookup = RefundLookup::from(request);
    let mut backoff = policy.initial_backoff;
    // Whether any attempt (of this call, or of an earlier run) may have been applied without a
    // look-up having proved otherwise since.
    let mut maybe_applied = sent_before;
    if sent_before {
        match look_up(provider, &lookup, deadline).await {
            Looked::Found(refund) => return RefundOutcome::Refunded(refund),
            Looked::Conflict(found) => return conflict(request, found),
            Looked::NotThere => maybe_applied = false,
            Looked::CannotTell(_) => {}
        }
    }
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let error = match tokio::time::timeout(remaining, provider.refund(request)).await {
            Ok(Ok(refund)) => return RefundOutcome::Refunded(refund),
            Ok(Err(error)) => error,
            Err(_) => Error::OutcomeUnknown {
                provider: provider.name(),
                reason: format!(
                    "the deadline of {:?} passed while a refund attempt was in flight",
                    policy.deadline
                ),
            },
        };
        if error.may_have_applied() {
            maybe_applied = true;
            match look_up(provider, &lookup, deadline).await {
                Looked::Found(refund) => return RefundOutcome::Refunded(refund),
                Looked::Conflict(found) => return conflict(request, found),
                // Not there *yet*: sending it again under the same id is safe, but an attempt
                // still in flight may land after this look-up, so it proves nothing for good —
                // only the look-up that ends the call can clear it.
                Looked::NotThere => {}
                // An answer that failed verification, and a look-up whose answer fails it too:
                // no answer can settle this, and resending would only draw another.
                Looked::CannotTell(why)
                    if matches!(error, Error::Verification { .. })
                        && matches!(why, Error::Verification { .. }) =>
                {
                    return unverifiable(provider, &error, &why);
                }
                // Could not tell (lost again, or the provider cannot look refunds up): the
                // refund id makes sending again safe, and its answer will tell.
                Looked::CannotTell(_) => {}
            }
        }
        // A refusal, or no time left for another round. After an attempt that may have been
        // applied, the last answer proves nothing by itself (the earlier attempt may be why the
        // provider refuses): only a look-up can.
        let refused = !error.may_have_applied() && !error.is_retryable();
        // One attempt stays in hand for the look-up that settles an uncertain end.
        let spent = budget.attempts_left() <= 1;
        if refused || spent || Instant::now() + backoff >= deadline {
            if !maybe_applied {
                return definite(error);
            }
            return match look_up(provider, &lookup, deadline).await {
                Looked::Found(refund) => RefundOutcome::Refunded(refund),
                Looked::Conflict(found) => conflict(request, found),
                Looked::NotThere => definite(error),
                Looked::CannotTell(why) => unknown(provider, &error, &why),
            };
        }
        tracing::debug!(refund_id = %request.refund_id(), %error, ?backoff, "refund not settled yet; retrying with the same id");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(policy.max_backoff);
    }
}
