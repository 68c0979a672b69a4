//! Batches of refunds that survive crashes, overlapping runs, failing stores, re-runs and edited
//! input: every refund's progress is kept in a store — a SQLite file ([`SqliteBatchStore`]) for
//! one machine, or a PostgreSQL table (`PostgresBatchStore`, feature `postgres`) shared by runs
//! on many — keyed by (provider, refund id), and each run takes a row from where it stands: never
//! sending a refund under a new id, never reporting "refused" while the provider may hold the
//! money, never recording an outcome for a send it did not make.
//!
//! A row's state moves `intent → sending → {succeeded, pending, unknown, refused, failed,
//! invalid, deferred}`:
//!
//! | state | means | a re-run |
//! |---|---|---|
//! | `intent` | recorded, not sent yet | sends it |
//! | `sending` | an attempt started; its outcome was never recorded (a crash, a store that failed) | looks it up, then sends the stored request again under the same id if not found |
//! | `succeeded` | the provider holds it and the money went back | skips it (final) |
//! | `pending` | the provider holds it, not final yet (or needs the merchant's attention) | looks it up |
//! | `unknown` | an attempt may have been applied and nothing settled it | looks it up, then sends the stored request again under the same id if not found |
//! | `refused` | the provider refused it and nothing was applied | skips it (final) |
//! | `failed` | the provider holds it and reports it failed or cancelled: no money went back | skips it (final) |
//! | `invalid` | the row is not a valid refund for this provider; nothing was sent | validates it again (the file or config may be fixed) |
//! | `deferred` | nothing was applied, for a reason that may pass (configuration, credentials, rate limits, the provider busy) | sends it |
//!
//! **Claims.** Any number of runs may work on one store at once (an overlapping cron job, a
//! `reconcile` started during a batch, several hosts sharing a PostgreSQL store). A run *claims*
//! a row before it sends or looks it up — in the same transaction that moves the row to
//! `sending` — with its owner id and a lease on the store's clock, which it renews while it
//! runs. A row claimed by a live run is left to it (and waited for); a row whose owner stopped
//! renewing (killed, its host gone) is taken over once the lease ends, and resumed by look-up.
//! An outcome is recorded only by the run that holds the claim.
//!
//! **Input** ([`input::BatchFile`]) is all or nothing: a CSV whose rows do not all have the
//! header's field count, whose header repeats a column, or whose amounts are not plain
//! decimals is refused whole, naming every bad line, before anything is sent.
//!
//! **What was sent wins.** A row that may have been sent is settled by the request stored when
//! it was sent, whatever the file says now; a file that says something else is reported as a
//! [`run::Conflict`] showing both, never as invalid or "nothing sent".
//!
//! Inspect a SQLite store with `sqlite3 FILE 'select refund_id, state, reason from refunds'`.

pub mod input;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
pub mod run;
mod sqlite;
pub mod statement;
mod store;

pub use memory::MemoryBatchStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresBatchStore;
pub use sqlite::SqliteBatchStore;
pub use store::{
    BatchStore, Claim, ClaimFor, Owner, RowClaim, RowWrite, RowWritten, StoreError, StoreErrorKind,
};

use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, OrderRef, PaymentRef, Refund, RefundRequest,
    RefundStatus, RejectionClass,
};
use serde::Serialize;

use crate::RefundOutcome;

/// Where a refund of a batch stands. See the [module docs](self) for what each means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RowState {
    /// Recorded, not sent yet.
    Intent,
    /// An attempt started; its outcome was never recorded.
    Sending,
    /// The provider holds it and the money went back.
    Succeeded,
    /// The provider holds it; not final yet.
    Pending,
    /// An attempt may have been applied and nothing has settled it.
    Unknown,
    /// Refused by the provider; nothing was applied.
    Refused,
    /// The provider holds it and reports it failed or cancelled.
    Failed,
    /// Not a valid refund; nothing was sent.
    Invalid,
    /// Nothing was applied, for a reason that may pass.
    Deferred,
}

impl RowState {
    /// Every state.
    pub const ALL: [RowState; 9] = [
        RowState::Intent,
        RowState::Sending,
        RowState::Succeeded,
        RowState::Pending,
        RowState::Unknown,
        RowState::Refused,
        RowState::Failed,
        RowState::Invalid,
        RowState::Deferred,
    ];

    /// The name stored and printed.
    pub const fn as_str(self) -> &'static str {
        match self {
            RowState::Intent => "intent",
            RowState::Sending => "sending",
            RowState::Succeeded => "succeeded",
            RowState::Pending => "pending",
            RowState::Unknown => "unknown",
            RowState::Refused => "refused",
            RowState::Failed => "failed",
            RowState::Invalid => "invalid",
            RowState::Deferred => "deferred",
        }
    }

    /// The state called `name`.
    pub fn parse(name: &str) -> Option<RowState> {
        RowState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether nothing will change it any more.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            RowState::Succeeded | RowState::Refused | RowState::Failed
        )
    }

    /// Whether an attempt may have reached the provider: the row's request is then fixed, and
    /// the refund is settled by a look-up before anything is sent again.
    pub const fn may_have_been_sent(self) -> bool {
        matches!(
            self,
            RowState::Sending
                | RowState::Succeeded
                | RowState::Pending
                | RowState::Unknown
                | RowState::Refused
                | RowState::Failed
        )
    }

    /// Whether the outcome is still open in the sense that matters to money: the provider may
    /// hold the refund and we do not know it.
    pub const fn is_unknown(self) -> bool {
        matches!(self, RowState::Sending | RowState::Unknown)
    }
}

impl std::fmt::Display for RowState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a row ended and why.
#[derive(Clone, Debug)]
pub struct Settled {
    /// The row's state now.
    pub state: RowState,
    /// Why, in words.
    pub reason: String,
    /// The error kind behind it ([`Error::kind_name`]), if an error decided it.
    pub error_kind: Option<&'static str>,
    /// The refund as the provider reports it, when it holds one.
    pub refund: Option<Refund>,
}

impl Settled {
    fn from_refund(refund: Refund) -> Settled {
        let state = match refund.status {
            RefundStatus::Succeeded => RowState::Succeeded,
            RefundStatus::Failed | RefundStatus::Cancelled => RowState::Failed,
            _ => RowState::Pending,
        };
        let reason = match refund.status {
            RefundStatus::Succeeded => "the provider holds the refund and it succeeded".to_owned(),
            RefundStatus::Failed | RefundStatus::Cancelled => format!(
                "the provider holds the refund and reports it {} ({}): no money went back",
                refund.status.as_str(),
                refund.provider_status.as_deref().unwrap_or("no raw status")
            ),
            RefundStatus::RequiresAttention => format!(
                "the provider holds the refund and says it needs the merchant's attention ({})",
                refund.provider_status.as_deref().unwrap_or("no raw status")
            ),
            _ => "the provider holds the refund; it is not final yet".to_owned(),
        };
        Settled {
            state,
            reason,
            error_kind: None,
            refund: Some(refund),
        }
    }

    fn from_error(state: RowState, error: &Error) -> Settled {
        Settled {
            state,
            reason: error.to_string(),
            error_kind: Some(error.kind_name()),
            refund: None,
        }
    }

    /// The refund as the stores keep it (JSON), if there is one.
    pub(crate) fn refund_json(&self) -> Option<String> {
        // A `Refund` is plain data: writing it as JSON cannot fail.
        self.refund
            .as_ref()
            .and_then(|refund| serde_json::to_string(refund).ok())
    }

    /// The state a reliable refund's outcome puts a row in.
    pub fn from_outcome(outcome: RefundOutcome) -> Settled {
        match outcome {
            RefundOutcome::Refunded(refund) => Settled::from_refund(refund),
            RefundOutcome::Unknown(error) => Settled::from_error(RowState::Unknown, &error),
            // The id holds another refund: nothing of this one was applied, and it never will
            // be under this id.
            RefundOutcome::Conflict(error) => Settled::from_error(RowState::Refused, &error),
            RefundOutcome::NotSent(error) => {
                let state = match error {
                    Error::InvalidRequest { .. } => RowState::Invalid,
                    _ => RowState::Deferred,
                };
                Settled::from_error(state, &error)
            }
            RefundOutcome::Rejected(error) => {
                let state = match &error {
                    Error::Rejected {
                        class: RejectionClass::Retryable | RejectionClass::Authentication,
                        ..
                    }
                    | Error::Transport { .. } => RowState::Deferred,
                    Error::Rejected { .. } | Error::RefundNotFound { .. } => RowState::Refused,
                    Error::InvalidRequest { .. } => RowState::Invalid,
                    Error::Config { .. } => RowState::Deferred,
                    // Anything else that reached here may have been applied.
                    _ => RowState::Unknown,
                };
                Settled::from_error(state, &error)
            }
        }
    }
}

/// A refund as the store keeps it: the request's fields and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRefund {
    /// The provider's name.
    pub provider: String,
    /// The merchant refund id.
    pub refund_id: String,
    /// The input line it came from last (for messages).
    pub line: Option<u64>,
    /// The request, when the row was a valid one.
    pub request: Option<StoredRequest>,
    /// Where it stands.
    pub state: RowState,
    /// Why.
    pub reason: Option<String>,
    /// The refund as the provider last reported it.
    pub refund: Option<Refund>,
    /// Runs that sent (or looked up) this refund.
    pub attempts: u32,
    /// The run that holds the row now, if any.
    pub claim: Option<RowClaim>,
}

/// The fields of a refund request, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredRequest {
    /// The amount.
    pub amount: Money,
    /// The provider's payment reference.
    pub payment: Option<String>,
    /// The merchant order reference.
    pub order_ref: Option<String>,
    /// The payment's total, in the amount's currency.
    pub total_minor: Option<i64>,
    /// The reason.
    pub reason: Option<String>,
    /// The notification URL.
    pub notify_url: Option<String>,
}

impl StoredRequest {
    /// The stored fields of `request`.
    pub fn of(request: &RefundRequest) -> StoredRequest {
        StoredRequest {
            amount: request.amount(),
            payment: request.payment().map(ToString::to_string),
            order_ref: request.order_ref().map(ToString::to_string),
            total_minor: request.total().map(|t| t.minor),
            reason: request.reason().map(str::to_owned),
            notify_url: request.notify_url().map(str::to_owned),
        }
    }

    /// Whether `other` asks for a different refund: another payment, order, amount, currency or
    /// total. (A different reason or notification URL is the same refund.)
    pub fn differs_from(&self, other: &StoredRequest) -> Option<&'static str> {
        if self.amount != other.amount {
            Some("amount")
        } else if self.payment != other.payment {
            Some("payment")
        } else if self.order_ref != other.order_ref {
            Some("order_ref")
        } else if self.total_minor != other.total_minor {
            Some("total")
        } else {
            None
        }
    }

    /// The request again, for the refund id `refund_id`.
    ///
    /// # Errors
    /// A stored field no longer valid (a store edited by hand).
    pub fn to_request(&self, refund_id: &str) -> Result<RefundRequest, Error> {
        let mut builder = RefundRequest::builder(MerchantRefundId::new(refund_id)?, self.amount);
        if let Some(payment) = &self.payment {
            builder = builder.payment(PaymentRef::new(payment.as_str())?);
        }
        if let Some(order_ref) = &self.order_ref {
            builder = builder.order_ref(OrderRef::new(order_ref.as_str())?);
        }
        if let Some(total) = self.total_minor {
            builder = builder.total(Money::new(total, self.amount.currency));
        }
        if let Some(reason) = &self.reason {
            builder = builder.reason(reason.as_str());
        }
        if let Some(url) = &self.notify_url {
            builder = builder.notify_url(url.as_str());
        }
        builder.build()
    }
}

/// A stored row's columns as a backend reads them, before they are checked.
pub(crate) struct RawRow {
    pub(crate) provider: String,
    pub(crate) refund_id: String,
    pub(crate) line: Option<i64>,
    pub(crate) amount_minor: Option<i64>,
    pub(crate) currency: Option<String>,
    pub(crate) payment: Option<String>,
    pub(crate) order_ref: Option<String>,
    pub(crate) total_minor: Option<i64>,
    pub(crate) reason_text: Option<String>,
    pub(crate) notify_url: Option<String>,
    pub(crate) state: String,
    pub(crate) reason: Option<String>,
    pub(crate) refund_json: Option<String>,
    pub(crate) attempts: i64,
    pub(crate) claimed_by: Option<String>,
    pub(crate) lease_expired: bool,
}

impl RawRow {
    /// The row, checked.
    pub(crate) fn into_stored(self, store: &str) -> Result<StoredRefund, StoreError> {
        let refund_id = self.refund_id;
        let damaged = |what: String| {
            StoreError::new(
                store,
                store::StoreErrorKind::Damaged,
                format!("the row for refund {refund_id}: {what}"),
            )
        };
        let state = RowState::parse(&self.state)
            .ok_or_else(|| damaged(format!("unknown state {:?}", self.state)))?;
        let request = match (self.amount_minor, self.currency) {
            (Some(minor), Some(code)) => Some(StoredRequest {
                amount: Money::new(
                    minor,
                    Currency::from_code(&code).map_err(|e| damaged(e.to_string()))?,
                ),
                payment: self.payment,
                order_ref: self.order_ref,
                total_minor: self.total_minor,
                reason: self.reason_text,
                notify_url: self.notify_url,
            }),
            _ => None,
        };
        let refund = self
            .refund_json
            .map(|j| serde_json::from_str::<Refund>(&j))
            .transpose()
            .map_err(|e| damaged(format!("refund: {e}")))?;
        Ok(StoredRefund {
            provider: self.provider,
            refund_id: refund_id.clone(),
            line: self.line.and_then(|l| u64::try_from(l).ok()),
            request,
            state,
            reason: self.reason,
            refund,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            claim: self.claimed_by.map(|owner| RowClaim {
                owner,
                expired: self.lease_expired,
            }),
        })
    }
}

/// What a run does with a row that stands in `prior` (`None`: a new row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Final: nothing to do.
    Skip,
    /// Never sent (or proved not applied): send it.
    Send,
    /// May have been sent: look it up, and send it again under the same id only if the look-up
    /// finds nothing or cannot tell.
    Resume,
    /// The provider holds it: look it up for its current status.
    Refresh,
    /// Never sent by a batch: look it up without sending anything (reconciliation finds a
    /// refund made outside the batch this way).
    LookUpOnly,
}

impl Step {
    /// The step for a row in `prior`.
    pub fn for_state(prior: Option<RowState>) -> Step {
        match prior {
            None | Some(RowState::Intent | RowState::Invalid | RowState::Deferred) => Step::Send,
            Some(RowState::Sending | RowState::Unknown) => Step::Resume,
            Some(RowState::Pending) => Step::Refresh,
            Some(RowState::Succeeded | RowState::Refused | RowState::Failed) => Step::Skip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_the_provider_failed_is_failed_not_succeeded() {
        let refund = Refund {
            provider: "bluepay".into(),
            payment: None,
            refund_id: MerchantRefundId::new("r").unwrap(),
            provider_refund_id: None,
            amount: Money::new(5, Currency::Thb),
            status: RefundStatus::Failed,
            provider_status: Some("FAILED".into()),
            created_at: None,
            completed_at: None,
        };
        let settled = Settled::from_outcome(RefundOutcome::Refunded(refund.clone()));
        assert_eq!(settled.state, RowState::Failed);
        let pending = Refund {
            status: RefundStatus::RequiresAttention,
            ..refund
        };
        assert_eq!(
            Settled::from_outcome(RefundOutcome::Refunded(pending)).state,
            RowState::Pending
        );
    }

    #[test]
    fn outcomes_map_to_states_that_never_claim_more_than_is_known() {
        let rejected = |class| {
            Settled::from_outcome(RefundOutcome::Rejected(Error::Rejected {
                provider: "bluepay",
                code: "1".into(),
                message: "m".into(),
                class,
            }))
            .state
        };
        assert_eq!(rejected(RejectionClass::Retryable), RowState::Deferred);
        assert_eq!(rejected(RejectionClass::Authentication), RowState::Deferred);
        assert_eq!(rejected(RejectionClass::ProviderState), RowState::Refused);
        let unknown = Settled::from_outcome(RefundOutcome::Unknown(Error::OutcomeUnknown {
            provider: "x",
            reason: "y".into(),
        }));
        assert_eq!(unknown.state, RowState::Unknown);
        let config = Settled::from_outcome(RefundOutcome::NotSent(Error::Config {
            reason: "no key".into(),
        }));
        assert_eq!(config.state, RowState::Deferred);
        let invalid =
            Settled::from_outcome(RefundOutcome::NotSent(Error::invalid("notify_url", "none")));
        assert_eq!(invalid.state, RowState::Invalid);
        for state in RowState::ALL {
            assert_eq!(RowState::parse(state.as_str()), Some(state));
        }
        assert_eq!(Step::for_state(Some(RowState::Unknown)), Step::Resume);
        assert_eq!(Step::for_state(Some(RowState::Deferred)), Step::Send);
        assert_eq!(Step::for_state(Some(RowState::Succeeded)), Step::Skip);
        assert_eq!(Step::for_state(Some(RowState::Pending)), Step::Refresh);
    }
}
