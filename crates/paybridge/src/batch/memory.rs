//! A batch store in memory: the same rules as the SQLite and PostgreSQL stores (one contract,
//! `tests/batch_store.rs`), kept in a map that dies with the process.
//!
//! It is for tests, for a merchant's own batch code that wants no file, and as the baseline the
//! durable stores' cost is measured against (`cargo run --release -p paybridge-benches --bin
//! store_cost`). It is **not** durable: after a crash nothing says which refunds may have been
//! sent, so a re-run cannot settle them by look-up. Never use it where a crash must not lose
//! track of money.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use paybridge_core::RefundRequest;

use super::store::{ClaimView, Decision, Purpose, claim_lost, decide};
use super::{
    BatchStore, Claim, ClaimFor, Owner, RowClaim, RowState, Settled, StoreError, StoredRefund,
    StoredRequest,
};

/// A row and its claim's deadline.
#[derive(Clone, Debug)]
struct Row {
    stored: StoredRefund,
    lease_until: Option<Instant>,
}

impl Row {
    /// The row as the trait hands it out, its claim's expiry read against now.
    fn view(&self, now: Instant) -> StoredRefund {
        let mut stored = self.stored.clone();
        if let Some(claim) = &mut stored.claim {
            claim.expired = self.lease_until.is_some_and(|until| until <= now);
        }
        stored
    }

    /// Whether no run holds it and it was never sent: its request may still be replaced.
    fn refreshable(&self) -> bool {
        self.stored.claim.is_none()
            && matches!(
                self.stored.state,
                RowState::Intent | RowState::Invalid | RowState::Deferred
            )
    }
}

/// The batch store in memory (see the module's documentation: not durable).
#[derive(Debug, Default)]
pub struct MemoryBatchStore {
    rows: Mutex<BTreeMap<(String, String), Row>>,
}

impl MemoryBatchStore {
    /// An empty store.
    pub fn new() -> MemoryBatchStore {
        MemoryBatchStore::default()
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Row>> {
        // A panic while the lock was held leaves plain data behind, still consistent row by row.
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

const NAME: &str = "the in-memory batch store";

fn key(provider: &str, refund_id: &str) -> (String, String) {
    (provider.to_owned(), refund_id.to_owned())
}

#[async_trait]
impl BatchStore for MemoryBatchStore {
    fn describe(&self) -> String {
        NAME.to_owned()
    }

    async fn record_intents(
        &self,
        provider: &str,
        rows: &[(u64, &RefundRequest)],
    ) -> Result<(), StoreError> {
        let mut stored = self.rows();
        for (line, request) in rows {
            let refund_id = request.refund_id().as_str();
            let fresh = Row {
                stored: StoredRefund {
                    provider: provider.to_owned(),
                    refund_id: refund_id.to_owned(),
                    line: Some(*line),
                    request: Some(StoredRequest::of(request)),
                    state: RowState::Intent,
                    reason: None,
                    refund: None,
                    attempts: 0,
                    claim: None,
                },
                lease_until: None,
            };
            match stored.get_mut(&key(provider, refund_id)) {
                None => {
                    stored.insert(key(provider, refund_id), fresh);
                }
                Some(row) if row.refreshable() => {
                    row.stored.line = Some(*line);
                    row.stored.request = fresh.stored.request;
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    async fn record_invalid(
        &self,
        provider: &str,
        refund_id: &str,
        line: u64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let mut stored = self.rows();
        let row = stored
            .entry(key(provider, refund_id))
            .or_insert_with(|| Row {
                stored: StoredRefund {
                    provider: provider.to_owned(),
                    refund_id: refund_id.to_owned(),
                    line: Some(line),
                    request: None,
                    state: RowState::Invalid,
                    reason: None,
                    refund: None,
                    attempts: 0,
                    claim: None,
                },
                lease_until: None,
            });
        if !row.refreshable() {
            return Ok(false);
        }
        row.stored.line = Some(line);
        row.stored.state = RowState::Invalid;
        row.stored.reason = Some(reason.to_owned());
        Ok(true)
    }

    async fn claim(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        purpose: ClaimFor<'_>,
    ) -> Result<Claim, StoreError> {
        let now = Instant::now();
        let request = purpose.request();
        let purpose: Purpose = purpose.purpose();
        let mut stored = self.rows();
        let row = stored.get_mut(&key(provider, refund_id));
        let view = row.as_ref().map(|row| ClaimView::of(&row.view(now)));
        match decide(view.as_ref(), owner, purpose) {
            Decision::Answer(answer) => Ok(answer),
            Decision::Take {
                prior,
                step,
                sending,
                write_request,
                took_over_from,
            } => {
                // `decide` takes only rows that exist.
                let Some(row) = row else {
                    return Ok(Claim::Absent);
                };
                if sending {
                    row.stored.state = RowState::Sending;
                    row.stored.attempts += 1;
                }
                row.stored.claim = Some(RowClaim {
                    owner: owner.id().to_owned(),
                    expired: false,
                });
                row.lease_until = Some(now + owner.lease());
                if let (true, Some(request)) = (write_request, request) {
                    row.stored.request = Some(request);
                }
                Ok(Claim::Taken {
                    prior,
                    request: row.stored.request.clone(),
                    step,
                    took_over_from,
                })
            }
        }
    }

    async fn settle(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
        settled: &Settled,
    ) -> Result<(), StoreError> {
        let mut stored = self.rows();
        let Some(row) = stored.get_mut(&key(provider, refund_id)) else {
            return Err(claim_lost(NAME, refund_id, None));
        };
        match &row.stored.claim {
            Some(claim) if claim.owner == owner.id() => {}
            other => {
                let holder = other.as_ref().map(|claim| claim.owner.clone());
                return Err(claim_lost(NAME, refund_id, Some(holder)));
            }
        }
        row.stored.state = settled.state;
        row.stored.reason = Some(settled.reason.clone());
        if settled.refund.is_some() {
            row.stored.refund.clone_from(&settled.refund);
        }
        row.stored.claim = None;
        row.lease_until = None;
        Ok(())
    }

    async fn release(
        &self,
        provider: &str,
        refund_id: &str,
        owner: &Owner,
    ) -> Result<(), StoreError> {
        let mut stored = self.rows();
        if let Some(row) = stored.get_mut(&key(provider, refund_id))
            && row
                .stored
                .claim
                .as_ref()
                .is_some_and(|claim| claim.owner == owner.id())
        {
            row.stored.claim = None;
            row.lease_until = None;
        }
        Ok(())
    }

    async fn renew(&self, owner: &Owner) -> Result<(), StoreError> {
        let until = Instant::now() + owner.lease();
        for row in self.rows().values_mut() {
            if row
                .stored
                .claim
                .as_ref()
                .is_some_and(|claim| claim.owner == owner.id())
            {
                row.lease_until = Some(until);
            }
        }
        Ok(())
    }

    async fn get(
        &self,
        provider: &str,
        refund_id: &str,
    ) -> Result<Option<StoredRefund>, StoreError> {
        let now = Instant::now();
        Ok(self
            .rows()
            .get(&key(provider, refund_id))
            .map(|row| row.view(now)))
    }

    async fn all(&self, provider: &str) -> Result<Vec<StoredRefund>, StoreError> {
        let now = Instant::now();
        Ok(self
            .rows()
            .iter()
            .filter(|((p, _), _)| p == provider)
            .map(|(_, row)| row.view(now))
            .collect())
    }

    async fn providers(&self) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = self.rows().keys().map(|(p, _)| p.clone()).collect();
        names.dedup();
        Ok(names)
    }
}
