//! What a batch store is: the operations every backend offers, the claim a run takes on a row,
//! and the one decision — pure, shared by every backend — of what a claim does to a row.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use paybridge_core::RefundRequest;

use super::{RowState, Settled, Step, StoredRefund, StoredRequest};

/// A run as the store knows it: who holds a claim, and for how long a claim lasts unless it is
/// renewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    id: String,
    lease: Duration,
}

impl Owner {
    /// A run named `id` (unique among the runs sharing a store) whose claims last `lease`
    /// unless renewed.
    pub fn new(id: impl Into<String>, lease: Duration) -> Owner {
        Owner {
            id: id.into(),
            lease: lease.max(Duration::from_secs(1)),
        }
    }

    /// This process on this host: `host:pid:random`, so runs on several machines never share
    /// an id.
    pub fn this_process(lease: Duration) -> Owner {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
                    .filter(|h| !h.is_empty())
            })
            .unwrap_or_else(|| "localhost".into());
        let random =
            paybridge_core::IdGenerator::next_id(&paybridge_core::RandomIdGenerator::new());
        let short: String = random.chars().take(8).collect();
        Owner::new(format!("{host}:{}:{short}", std::process::id()), lease)
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// How long a claim lasts unless renewed.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The lease in whole milliseconds, as the stores keep it.
    pub(crate) fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Who holds a row now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowClaim {
    /// The owner's id.
    pub owner: String,
    /// Whether its lease has ended (the owner stopped renewing it: it may be dead).
    pub expired: bool,
}

/// The writes of one step of a run: the outcome of the row whose call ended, and the claim of
/// the row taken next. Either may be absent.
#[derive(Clone, Copy, Debug)]
pub struct RowWrite<'a> {
    /// The refund id of the row settled, and where it ended.
    pub settle: Option<(&'a str, &'a Settled)>,
    /// The refund id of the row claimed, and what for.
    pub claim: Option<(&'a str, ClaimFor<'a>)>,
}

/// What [`BatchStore::write_rows`] answers for one [`RowWrite`].
#[derive(Debug)]
pub struct RowWritten {
    /// The settle's result; `Ok(())` when there was none.
    pub settled: Result<(), StoreError>,
    /// The claim's result, when there was one.
    pub claimed: Option<Result<Claim, StoreError>>,
}

/// What a run claims a row for.
#[derive(Clone, Copy, Debug)]
pub enum ClaimFor<'a> {
    /// To take it a step further with this request from the file: sent if it was never sent
    /// (and then stored as the row's request), resumed by the stored request if it may have
    /// been, refreshed if pending.
    Send(&'a RefundRequest),
    /// To settle what may have been sent, or to look a never-sent row up without sending it.
    Settle,
}

/// [`ClaimFor`] without its request: what [`decide`] needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Send,
    Settle,
}

impl ClaimFor<'_> {
    pub(crate) fn purpose(self) -> Purpose {
        match self {
            ClaimFor::Send(_) => Purpose::Send,
            ClaimFor::Settle => Purpose::Settle,
        }
    }

    /// The request a claim to send would store.
    pub(crate) fn request(self) -> Option<StoredRequest> {
        match self {
            ClaimFor::Send(request) => Some(StoredRequest::of(request)),
            ClaimFor::Settle => None,
        }
    }
}

/// What a claim found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// This run holds the row now.
    Taken {
        /// Where the row stood before the claim.
        prior: RowState,
        /// The row's request now: for a row that may have been sent, the one that was sent.
        request: Option<StoredRequest>,
        /// The step this run is to take.
        step: Step,
        /// The owner whose lease had ended, when this claim took the row over.
        took_over_from: Option<String>,
    },
    /// Another run holds the row, and its lease runs.
    Held {
        /// That run's id (or a note that a claim is being made right now).
        by: String,
    },
    /// Nothing is left to do: the row is final.
    Final(RowState),
    /// The store has no such row.
    Absent,
}

/// A batch store failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    store: String,
    kind: StoreErrorKind,
    detail: String,
}

/// What kind of store failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store cannot be read or written (disk full, I/O error, database gone).
    Unavailable,
    /// Another run took this row over (our lease had ended): this run may not record its
    /// outcome.
    ClaimLost,
    /// A stored row cannot be read back.
    Damaged,
}

impl StoreError {
    pub(crate) fn new(store: &str, kind: StoreErrorKind, detail: impl Into<String>) -> StoreError {
        StoreError {
            store: store.to_owned(),
            kind,
            detail: detail.into(),
        }
    }

    /// What kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The store, as named in messages.
    pub fn store(&self) -> &str {
        &self.store
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            StoreErrorKind::Unavailable => {
                write!(
                    f,
                    "the batch store {} cannot record: {}",
                    self.store, self.detail
                )
            }
            StoreErrorKind::ClaimLost => write!(
                f,
                "the batch store {} says another run took this row over: {}",
                self.store, self.detail
            ),
            StoreErrorKind::Damaged => {
                write!(
                    f,
                    "the batch store {} is damaged: {}",
                    self.store, self.detail
                )
            }
        }
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for paybridge_core::Error {
    fn from(error: StoreError) -> paybridge_core::Error {
        paybridge_core::Error::Config {
            reason: error.to_string(),
        }
    }
}

/// Where refunds of batches are kept, shared by every run that names it.
///
/// Every write is durable before it returns: `sending` is in the store before a refund is sent,
/// and where it ended is in the store before the run reports it.
#[async_trait]
pub trait BatchStore: Send + Sync + fmt::Debug {
    /// The store, as messages name it (never a password).
    fn describe(&self) -> String;

    /// Records new refunds as `intent` (in one transaction), and refreshes the request of stored
    /// ones that were never sent and that no run holds (`intent`, `invalid`, `deferred`): the
    /// input may have been fixed since. Rows that may have been sent are left as they are.
    ///
    /// # Errors
    /// The store cannot be written.
    async fn record_intents(
        &self,
        provider: &str,
        rows: &[(u64, &RefundRequest)],
    ) -> Result<(), StoreError>;

    /// Records a row whose input is not a valid refund (its refund id is) as `invalid`, unless
    /// it may have been sent or a run holds it. Whether it was recorded.
    ///
    /// # Errors
    /// The store cannot be written.
    async fn record_invalid(
        &self,
        provider: &str,
        refund_id: &str,
        line: u64,
        reason: &str,
    ) -> Result<bool, StoreError>;

    /// Claims a row for `owner` in one transaction: a row another live run holds is answered [`Claim::Held`], a final one [`Claim::Final`]; otherwise it is taken, moved to `sending` when it is to be sent.
    ///
    /// # Errors
    /// The store cannot be written: then the claim was not taken and nothing may be sent.
    async fn claim(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        purpose: ClaimFor<'_>,
    ) -> Result<Claim, StoreError>;

    /// Records where a row `owner` holds ended, and lets go of it.
    ///
    /// # Errors
    /// [`StoreErrorKind::ClaimLost`] when another run holds the row now (nothing recorded), or
    /// the store cannot be written.
    async fn settle(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        settled: &Settled,
    ) -> Result<(), StoreError>;

    /// Whether [`BatchStore::write_rows`] makes the writes of many rows durable with one
    /// commit. A run then gathers its rows' writes and hands them over together; otherwise each
    /// row's are written on their own.
    fn commits_together(&self) -> bool {
        false
    }

    /// For each row in turn, records where the row it settles ended (as [`BatchStore::settle`])
    /// and then claims the row it claims (as [`BatchStore::claim`]): what a run writes each time
    /// a call ends and it takes its next row. A store that [commits
    /// together](BatchStore::commits_together) makes them all durable with one commit; by
    /// default each is written in turn.
    async fn write_rows(
        &self,
        provider: &str,
        owner: &Owner,
        rows: &[RowWrite<'_>],
    ) -> Vec<RowWritten> {
        let mut written = Vec::with_capacity(rows.len());
        for row in rows {
            let settled = match row.settle {
                Some((refund_id, settled)) => {
                    self.settle(provider, refund_id, owner, settled).await
                }
                None => Ok(()),
            };
            let claimed = match row.claim {
                Some((refund_id, purpose)) => {
                    Some(self.claim(provider, refund_id, owner, purpose).await)
                }
                None => None,
            };
            written.push(RowWritten { settled, claimed });
        }
        written
    }

    /// Lets go of a row `owner` holds, leaving its state as it is.
    ///
    /// # Errors
    /// The store cannot be written.
    async fn release(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
    ) -> Result<(), StoreError>;

    /// Extends the lease of every row `owner` holds (the run's heartbeat).
    ///
    /// # Errors
    /// The store cannot be written.
    async fn renew(&self, owner: &Owner) -> Result<(), StoreError>;

    /// The stored refund `refund_id` of `provider`, if any.
    ///
    /// # Errors
    /// The store cannot be read.
    async fn get(
        &self,
        provider: &str,
        refund_id: &str,
    ) -> Result<Option<StoredRefund>, StoreError>;

    /// Every stored refund of `provider`, in refund id order.
    ///
    /// # Errors
    /// The store cannot be read.
    async fn all(&self, provider: &str) -> Result<Vec<StoredRefund>, StoreError>;

    /// The providers the store holds refunds of, by name, sorted: a store given to the wrong
    /// provider's reconciliation is told apart from an empty one.
    ///
    /// # Errors
    /// The store cannot be read.
    async fn providers(&self) -> Result<Vec<String>, StoreError>;
}

/// The error for a settle that found the row held by another run (`Some(Some(owner))`),
/// released by one (`Some(None)`), or gone (`None`).
pub(crate) fn claim_lost(
    store: &str,
    refund_id: &str,
    holder: Option<Option<String>>,
) -> StoreError {
    let detail = match holder {
        None => format!("it has no row for refund {refund_id}"),
        Some(Some(by)) => format!("refund {refund_id} is held by {by}"),
        Some(None) => format!("refund {refund_id} was settled by another run"),
    };
    StoreError::new(store, StoreErrorKind::ClaimLost, detail)
}

/// A row as a claim reads it.
#[derive(Clone, Debug)]
pub(crate) struct ClaimView {
    pub(crate) state: RowState,
    pub(crate) claimed_by: Option<String>,
    pub(crate) lease_expired: bool,
}

impl ClaimView {
    /// What a claim needs to know of `row`.
    pub(crate) fn of(row: &StoredRefund) -> ClaimView {
        ClaimView {
            state: row.state,
            claimed_by: row.claim.as_ref().map(|c| c.owner.clone()),
            lease_expired: row.claim.as_ref().is_some_and(|c| c.expired),
        }
    }
}

/// What a claim does to a row, decided once for every backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Answer without changing anything.
    Answer(Claim),
    /// Take the row.
    Take {
        prior: RowState,
        step: Step,
        /// Move it to `sending` and count an attempt.
        sending: bool,
        /// Store the caller's request (the row was never sent).
        write_request: bool,
        took_over_from: Option<String>,
    },
}

/// The decision for a claim by `owner` for `purpose` on `row` (`None`: no such row).
pub(crate) fn decide(row: Option<&ClaimView>, owner: &Owner, purpose: Purpose) -> Decision {
    let Some(row) = row else {
        return Decision::Answer(Claim::Absent);
    };
    let took_over_from = match &row.claimed_by {
        Some(by) if by != owner.id() && !row.lease_expired => {
            return Decision::Answer(Claim::Held { by: by.clone() });
        }
        Some(by) if by != owner.id() => Some(by.clone()),
        _ => None,
    };
    let step = Step::for_state(Some(row.state));
    let (sending, write_request) = match (step, purpose) {
        (Step::Skip, _) => return Decision::Answer(Claim::Final(row.state)),
        (Step::Send, Purpose::Send) => (true, true),
        // Settling never sends what was never sent: a look-up only.
        (Step::Send | Step::LookUpOnly, Purpose::Settle) | (Step::Refresh, _) => (false, false),
        (Step::LookUpOnly, Purpose::Send) => (true, true),
        (Step::Resume, _) => (true, false),
    };
    Decision::Take {
        prior: row.state,
        step: if purpose == Purpose::Settle && step == Step::Send {
            Step::LookUpOnly
        } else {
            step
        },
        sending,
        write_request,
        took_over_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: RowState, claimed_by: Option<&str>, expired: bool) -> ClaimView {
        ClaimView {
            state,
            claimed_by: claimed_by.map(str::to_owned),
            lease_expired: expired,
        }
    }

    #[test]
    fn claims_take_free_rows_wait_for_live_owners_and_take_over_dead_ones() {
        let me = Owner::new("me", Duration::from_secs(30));
        let send = Purpose::Send;
        assert_eq!(decide(None, &me, send), Decision::Answer(Claim::Absent));
        assert!(matches!(
            decide(Some(&view(RowState::Intent, None, false)), &me, send),
            Decision::Take {
                sending: true,
                write_request: true,
                step: Step::Send,
                ..
            }
        ));
        assert_eq!(
            decide(
                Some(&view(RowState::Sending, Some("other"), false)),
                &me,
                send
            ),
            Decision::Answer(Claim::Held { by: "other".into() })
        );
        assert!(matches!(
            decide(Some(&view(RowState::Sending, Some("other"), true)), &me, send),
            Decision::Take { sending: true, write_request: false, step: Step::Resume, took_over_from: Some(ref o), .. } if o == "other"
        ));
        assert_eq!(
            decide(Some(&view(RowState::Succeeded, None, false)), &me, send),
            Decision::Answer(Claim::Final(RowState::Succeeded))
        );
        // Settling looks a never-sent row up; it never moves it to sending.
        assert!(matches!(
            decide(
                Some(&view(RowState::Intent, None, false)),
                &me,
                Purpose::Settle
            ),
            Decision::Take {
                sending: false,
                write_request: false,
                step: Step::LookUpOnly,
                ..
            }
        ));
        assert!(matches!(
            decide(
                Some(&view(RowState::Pending, None, false)),
                &me,
                Purpose::Settle
            ),
            Decision::Take {
                sending: false,
                step: Step::Refresh,
                ..
            }
        ));
        // A row this run already holds is its own.
        assert!(matches!(
            decide(Some(&view(RowState::Unknown, Some("me"), false)), &me, send),
            Decision::Take {
                took_over_from: None,
                step: Step::Resume,
                ..
            }
        ));
    }
}
