//! Running a batch and reconciling a store: the rules a merchant gets whether the batch runs
//! from the command line or from their own code.
//!
//! Each row is claimed before anything is sent for it ([`BatchStore::claim`]); a row another
//! live run holds is waited for, then reported as that run left it (or taken over once its
//! lease ends). The moment the store cannot record, no new send starts, and a send whose outcome
//! cannot be recorded is reported unknown — never "nothing was sent".

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paybridge_core::{Error, MerchantRefundId, RefundLookup, RefundProvider, RefundRequest};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::input::{BatchFile, RowText};
use super::store::StoreErrorKind;
use super::{
    BatchStore, Claim, ClaimFor, Owner, RowState, RowWrite, RowWritten, Settled, Step, StoreError,
    StoredRequest,
};
use crate::{ReliablePolicy, reliable_refund, resume_refund};

/// How a run goes.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Provider calls in flight at once. Up to as many rows more are claimed ahead of them, and
    /// each row's outcome is recorded with the next row's claim, so the store's commits overlap
    /// the calls.
    pub concurrency: usize,
    /// How long and how often one refund is tried.
    pub policy: ReliablePolicy,
    /// How long a claim lasts unless renewed (the run renews its claims every quarter of it).
    /// A run killed mid-send holds its rows this long before another run takes them over.
    pub lease: Duration,
    /// How long to wait for rows another run holds before reporting them as they stand.
    pub patience: Duration,
}

impl Default for BatchOptions {
    fn default() -> BatchOptions {
        BatchOptions {
            concurrency: 8,
            policy: ReliablePolicy::default(),
            lease: Duration::from_secs(30),
            patience: Duration::from_secs(120),
        }
    }
}

/// A row whose file text no longer asks for the refund its id was sent as.
#[derive(Clone, Debug, Serialize)]
pub struct Conflict {
    /// What the file says now.
    pub file: RowText,
    /// How the file's row differs: the field, or why it no longer validates.
    pub differs: String,
    /// What was sent under this refund id (what the row is settled by).
    pub sent: StoredRequest,
}

/// Where one row of a run ended.
#[derive(Clone, Debug, Serialize)]
pub struct RowReport {
    /// Its line in the input file (or where it was last read from).
    pub line: Option<u64>,
    /// Its refund id.
    pub refund_id: String,
    /// Where it stands, and why.
    #[serde(flatten)]
    pub settled: SettledView,
    /// The file asked for something else than what was sent under this id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
    /// Another run settled it (its owner id), and this run reports what it left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
}

/// [`Settled`] as a report prints it.
#[derive(Clone, Debug, Serialize)]
pub struct SettledView {
    /// The state.
    pub state: RowState,
    /// Why.
    pub reason: String,
    /// The refund as the provider reports it, when it holds one.
    pub refund: Option<paybridge_core::Refund>,
    /// The error kind behind it.
    #[serde(skip)]
    pub error_kind: Option<&'static str>,
}

impl Serialize for RowState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<Settled> for SettledView {
    fn from(settled: Settled) -> SettledView {
        SettledView {
            state: settled.state,
            reason: settled.reason,
            refund: settled.refund,
            error_kind: settled.error_kind,
        }
    }
}

/// What a run did, and what the store holds for its rows.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Rows per state, as the store holds them at the end (this run's reports where the store
    /// could not be read).
    pub counts: BTreeMap<&'static str, u64>,
    /// Whether `counts` was read from the store.
    pub counts_from_store: bool,
    /// Rows that were final before this run.
    pub already_final: u64,
    /// Rows whose file text conflicts with what was sent.
    pub conflicts: u64,
    /// Rows another run settled while this one waited.
    pub settled_by_others: u64,
    /// The store, as named in messages.
    pub journal: String,
    /// This run's owner id.
    pub owner: String,
    /// Why the store stopped recording, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_failure: Option<String>,
    /// Milliseconds from recording the file's rows to the last row's end: the rows' own time,
    /// without the program's start (configuration, keys, opening the store).
    pub elapsed_ms: u64,
}

/// How a run ended: the exit code the command line uses (0 ok; 2 invalid rows or rows held
/// back by configuration, nothing of them sent; 3 refused, failed or conflicting rows; 4
/// anything that may have moved money unseen, or is still to be sent) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// 0, 2, 3 or 4.
    pub code: u8,
    /// Why, in words; empty for 0.
    pub message: String,
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The summary.
    pub summary: Summary,
    /// How it ended.
    pub verdict: Verdict,
}

/// Where each row is reported as it ends.
pub type Reporter = Arc<dyn Fn(&RowReport) + Send + Sync>;

/// What a run shares between its rows.
struct Run {
    store: Arc<dyn BatchStore>,
    provider: Arc<dyn RefundProvider>,
    owner: Owner,
    policy: ReliablePolicy,
    report: Reporter,
    store_failure: Mutex<Option<String>>,
    stopped: AtomicBool,
    tally: Mutex<Tally>,
    /// One permit per provider call in flight: `--concurrency` bounds the calls, not the store
    /// work around them, so a row's claim and the previous row's settle are written while a
    /// call is out instead of in turn with it.
    calls: Semaphore,
    /// When the run began recording its rows.
    started: std::time::Instant,
}

#[derive(Default)]
struct Tally {
    by_state: BTreeMap<RowState, u64>,
    already_final: u64,
    config_deferred: u64,
    conflicts: u64,
    settled_by_others: u64,
}

impl Tally {
    fn count(&self, state: RowState) -> u64 {
        self.by_state.get(&state).copied().unwrap_or(0)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A row whose provider call has ended, its answer not yet recorded.
struct Called {
    settled: Settled,
    conflict: Option<Conflict>,
    prior: RowState,
    step: Step,
}

/// How far a claimed row got.
enum Progress {
    /// Another run holds it: wait.
    Held,
    /// Reported.
    Ended,
    /// Its call ended; its answer is to be recorded.
    Called(Box<Called>),
}

/// A row as a run takes it: where it came from, and what the file asks.
#[derive(Clone)]
struct Work {
    line: Option<u64>,
    refund_id: String,
    /// The file's request; `None` when settling (reconcile, or a file row no longer valid).
    request: Option<RefundRequest>,
    /// The file's text, when the row came from a file.
    text: Option<RowText>,
    /// Why the file's row is not valid, when it is not.
    invalid: Option<String>,
}

impl Run {
    fn emit(&self, work: &Work, settled: Settled, conflict: Option<Conflict>, by: Option<String>) {
        {
            let mut tally = lock(&self.tally);
            *tally.by_state.entry(settled.state).or_default() += 1;
            if settled.state == RowState::Deferred
                && matches!(settled.error_kind, Some("config" | "invalid_request"))
            {
                tally.config_deferred += 1;
            }
            if conflict.is_some() {
                tally.conflicts += 1;
            }
            if by.is_some() {
                tally.settled_by_others += 1;
            }
        }
        (self.report)(&RowReport {
            line: work.line,
            refund_id: work.refund_id.clone(),
            settled: settled.into(),
            conflict,
            settled_by: by,
        });
    }

    /// The store stopped recording: no new send starts.
    fn store_failed(&self, error: &StoreError) {
        self.stopped.store(true, Ordering::SeqCst);
        lock(&self.store_failure).get_or_insert_with(|| error.to_string());
    }

    fn not_started(&self, work: &Work) {
        let why = lock(&self.store_failure).clone().unwrap_or_default();
        self.emit(
            work,
            Settled {
                state: RowState::Deferred,
                reason: format!("not sent by this run: the store stopped recording ({why})"),
                error_kind: Some("store"),
                refund: None,
            },
            None,
            None,
        );
    }

    /// The conflict between the file's row and what was sent, if any.
    fn conflict(work: &Work, sent: Option<&StoredRequest>, prior: RowState) -> Option<Conflict> {
        let (Some(text), Some(sent)) = (&work.text, sent) else {
            return None;
        };
        if !prior.may_have_been_sent() {
            return None;
        }
        let differs = match (&work.request, &work.invalid) {
            (Some(request), _) => sent.differs_from(&StoredRequest::of(request))?.to_owned(),
            (None, Some(why)) => format!("the file's row is no longer a valid refund: {why}"),
            (None, None) => return None,
        };
        Some(Conflict {
            file: text.clone(),
            differs,
            sent: sent.clone(),
        })
    }

    /// What a row is claimed for: to send the file's request, or to settle what was stored.
    fn purpose(work: &Work) -> ClaimFor<'_> {
        match &work.request {
            Some(request) => ClaimFor::Send(request),
            None => ClaimFor::Settle,
        }
    }

    /// Takes one row as far as it goes now. `None`: another run holds it; wait.
    async fn take(&self, work: &Work) -> Option<()> {
        if self.stopped.load(Ordering::SeqCst) {
            self.not_started(work);
            return Some(());
        }
        let name = self.provider.name();
        let claim = self
            .store
            .claim(name, &work.refund_id, &self.owner, Run::purpose(work))
            .await;
        match self.advance(work, claim).await {
            Progress::Held => None,
            Progress::Ended => Some(()),
            Progress::Called(called) => {
                let recorded = self
                    .store
                    .settle(name, &work.refund_id, &self.owner, &called.settled)
                    .await;
                self.record(work, *called, recorded);
                Some(())
            }
        }
    }

    /// Takes a row on from its claim: reports it where the claim ends it, or makes its call.
    async fn advance(&self, work: &Work, claim: Result<Claim, StoreError>) -> Progress {
        let name = self.provider.name();
        let claim = match claim {
            Ok(claim) => claim,
            Err(error) => {
                self.store_failed(&error);
                self.emit(
                    work,
                    Settled {
                        state: RowState::Deferred,
                        reason: format!("not sent: the row could not be claimed ({error})"),
                        error_kind: Some("store"),
                        refund: None,
                    },
                    None,
                    None,
                );
                return Progress::Ended;
            }
        };
        match claim {
            Claim::Held { .. } => Progress::Held,
            Claim::Absent => {
                self.emit(
                    work,
                    Settled {
                        state: RowState::Invalid,
                        reason: work
                            .invalid
                            .clone()
                            .unwrap_or_else(|| "the store has no such row".into()),
                        error_kind: Some("invalid_request"),
                        refund: None,
                    },
                    None,
                    None,
                );
                Progress::Ended
            }
            Claim::Final(state) => {
                let stored = self.store.get(name, &work.refund_id).await.ok().flatten();
                let conflict = Run::conflict(
                    work,
                    stored.as_ref().and_then(|s| s.request.as_ref()),
                    state,
                );
                lock(&self.tally).already_final += 1;
                self.emit(
                    work,
                    Settled {
                        state,
                        reason: stored.as_ref().and_then(|s| s.reason.clone()).map_or_else(
                            || "final in an earlier run".to_owned(),
                            |r| format!("final in an earlier run: {r}"),
                        ),
                        error_kind: None,
                        refund: stored.and_then(|s| s.refund),
                    },
                    conflict,
                    None,
                );
                Progress::Ended
            }
            Claim::Taken {
                prior,
                request,
                step,
                took_over_from,
            } => match self.call(work, prior, request, step, took_over_from).await {
                Some(called) => Progress::Called(Box::new(called)),
                None => Progress::Ended,
            },
        }
    }

    /// Makes the row's provider call (within the run's call permits): what it answered, to be
    /// recorded by [`Run::record`]. `None` when the row was reported without a call.
    async fn call(
        &self,
        work: &Work,
        prior: RowState,
        sent: Option<StoredRequest>,
        step: Step,
        took_over_from: Option<String>,
    ) -> Option<Called> {
        let name = self.provider.name();
        let conflict = Run::conflict(work, sent.as_ref(), prior);
        // What is sent or looked up is the stored request: for a row never sent, the file's
        // (the claim stored it); for one that may have been, the one sent then.
        let request = match sent.as_ref().map(|s| s.to_request(&work.refund_id)) {
            Some(Ok(request)) => request,
            other => {
                let why = match other {
                    Some(Err(error)) => format!("the stored request is not valid: {error}"),
                    _ => "no request was ever stored for it; nothing was sent".to_owned(),
                };
                let _ = self.store.release(name, &work.refund_id, &self.owner).await;
                self.emit(
                    work,
                    Settled {
                        state: prior,
                        reason: work.invalid.clone().unwrap_or(why),
                        error_kind: Some("invalid_request"),
                        refund: None,
                    },
                    conflict,
                    None,
                );
                return None;
            }
        };
        // The provider call waits for its permit; the store no longer refuses writes here
        // ("no new send starts" once it has).
        let Ok(call) = self.calls.acquire().await else {
            return None;
        };
        if self.stopped.load(Ordering::SeqCst) && step != Step::Skip {
            drop(call);
            let _ = self.store.release(name, &work.refund_id, &self.owner).await;
            self.not_started(work);
            return None;
        }
        let mut settled = match step {
            Step::Send => Settled::from_outcome(
                reliable_refund(self.provider.as_ref(), &request, &self.policy).await,
            ),
            Step::Resume => Settled::from_outcome(
                resume_refund(self.provider.as_ref(), &request, &self.policy).await,
            ),
            Step::Refresh => refresh(self.provider.as_ref(), &request).await,
            Step::LookUpOnly => {
                match self
                    .provider
                    .refund_status(&RefundLookup::from(&request))
                    .await
                {
                    Ok(refund) => Settled::from_refund(refund),
                    Err(error) => {
                        let _ = self.store.release(name, &work.refund_id, &self.owner).await;
                        self.emit(
                            work,
                            Settled {
                                state: prior,
                                reason: format!(
                                    "never sent by a batch; the look-up says: {error}; run the \
                                     batch to send it"
                                ),
                                error_kind: Some(error.kind_name()),
                                refund: None,
                            },
                            None,
                            None,
                        );
                        return None;
                    }
                }
            }
            Step::Skip => return None,
        };
        drop(call);
        if let Some(from) = took_over_from {
            settled.reason = format!(
                "{} (taken over from {from}, whose lease ended)",
                settled.reason
            );
        }
        Some(Called {
            settled,
            conflict,
            prior,
            step,
        })
    }

    /// Reports a called row by what recording its outcome came to: what the provider answered
    /// when it was recorded, else unknown (never "failed") until a run that can record settles it.
    fn record(&self, work: &Work, called: Called, recorded: Result<(), StoreError>) {
        let Called {
            mut settled,
            conflict,
            prior,
            step,
        } = called;
        if let Err(error) = recorded {
            if error.kind() != StoreErrorKind::ClaimLost {
                self.store_failed(&error);
            }
            // Whatever the provider answered, the store does not say so: the row is unknown
            // until a run that can record settles it by look-up.
            let answered = format!("{}: {}", settled.state, settled.reason);
            settled = Settled {
                state: if step == Step::LookUpOnly {
                    prior
                } else {
                    RowState::Unknown
                },
                reason: format!(
                    "the provider's answer ({answered}) could not be recorded: {error}; run \
                     `paybridge reconcile` once the store is writable — never refund it under a \
                     new id"
                ),
                error_kind: Some("store"),
                refund: settled.refund,
            };
        }
        self.emit(work, settled, conflict, None);
    }

    /// One worker step's writes: the outcome of the row `behind` and the claim of `next`,
    /// through the gatherer when there is one, else straight to the store.
    async fn write_step(
        &self,
        gathered: Option<&tokio::sync::mpsc::UnboundedSender<StepWrites>>,
        behind: Option<&(Work, Box<Called>)>,
        next: Option<&Work>,
    ) -> RowWritten {
        let name = self.provider.name();
        let stopped_writing = || {
            StoreError::new(
                &self.store.describe(),
                StoreErrorKind::Unavailable,
                "the run stopped writing",
            )
        };
        let lost = || RowWritten {
            settled: Err(stopped_writing()),
            claimed: next.map(|_| Err(stopped_writing())),
        };
        match gathered {
            Some(gathered) => {
                let (done, answer) = tokio::sync::oneshot::channel();
                let step = StepWrites {
                    settle: behind
                        .map(|(work, called)| (work.refund_id.clone(), called.settled.clone())),
                    claim: next.map(|work| (work.refund_id.clone(), work.request.clone())),
                    done,
                };
                if gathered.send(step).is_err() {
                    return lost();
                }
                answer.await.unwrap_or_else(|_| lost())
            }
            None => {
                let row = RowWrite {
                    settle: behind.map(|(work, called)| (work.refund_id.as_str(), &called.settled)),
                    claim: next.map(|work| (work.refund_id.as_str(), Run::purpose(work))),
                };
                self.store
                    .write_rows(name, &self.owner, &[row])
                    .await
                    .pop()
                    .unwrap_or_else(lost)
            }
        }
    }

    /// Rows another run held: wait for each to be released or its lease to end.
    async fn wait_for_others(&self, mut waiting: Vec<Work>, patience: Duration) {
        let name = self.provider.name();
        let until = tokio::time::Instant::now() + patience;
        while !waiting.is_empty() {
            let mut still = Vec::new();
            for work in waiting {
                if self.stopped.load(Ordering::SeqCst) {
                    self.not_started(&work);
                    continue;
                }
                // Settled by the run that held it: report what it left, without doing it again.
                if let Ok(Some(stored)) = self.store.get(name, &work.refund_id).await
                    && stored.claim.is_none()
                    && stored.state.may_have_been_sent()
                    && stored.state != RowState::Sending
                {
                    let conflict = Run::conflict(&work, stored.request.as_ref(), stored.state);
                    self.emit(
                        &work,
                        Settled {
                            state: stored.state,
                            reason: stored.reason.clone().unwrap_or_default(),
                            error_kind: None,
                            refund: stored.refund,
                        },
                        conflict,
                        Some("another run".into()),
                    );
                    continue;
                }
                if self.take(&work).await.is_none() {
                    still.push(work);
                }
            }
            waiting = still;
            if waiting.is_empty() {
                break;
            }
            if tokio::time::Instant::now() >= until {
                for work in waiting {
                    let stored = self.store.get(name, &work.refund_id).await.ok().flatten();
                    let (state, by) = stored.map_or((RowState::Sending, String::new()), |s| {
                        (s.state, s.claim.map(|c| c.owner).unwrap_or_default())
                    });
                    self.emit(
                        &work,
                        Settled {
                            // Not settled by this run: unknown if it may have been sent, still
                            // to be sent otherwise — never a quiet success.
                            state: if state.is_final() {
                                state
                            } else if state.may_have_been_sent() {
                                RowState::Unknown
                            } else {
                                RowState::Deferred
                            },
                            reason: format!(
                                "another run ({by}) still holds it; this run did not settle it — \
                                 run `paybridge reconcile` once that run ends"
                            ),
                            error_kind: Some("held"),
                            refund: None,
                        },
                        None,
                        None,
                    );
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn finish(&self, ids: Option<&std::collections::HashSet<String>>) -> RunOutcome {
        let stored = self.store.all(self.provider.name()).await;
        let tally = lock(&self.tally);
        let mut counts: BTreeMap<&'static str, u64> =
            RowState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        let counts_from_store = stored.is_ok();
        match stored {
            Ok(rows) => {
                for row in rows {
                    if ids.is_none_or(|ids| ids.contains(&row.refund_id)) {
                        *counts.entry(row.state.as_str()).or_default() += 1;
                    }
                }
            }
            Err(_) => {
                for (state, n) in &tally.by_state {
                    counts.insert(state.as_str(), *n);
                }
            }
        }
        let store_failure = lock(&self.store_failure).clone();
        let summary = Summary {
            counts,
            counts_from_store,
            already_final: tally.already_final,
            conflicts: tally.conflicts,
            settled_by_others: tally.settled_by_others,
            journal: self.store.describe(),
            owner: self.owner.id().to_owned(),
            store_failure: store_failure.clone(),
            elapsed_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        RunOutcome {
            summary,
            verdict: verdict(&tally, store_failure.as_deref()),
        }
    }
}

fn verdict(tally: &Tally, store_failure: Option<&str>) -> Verdict {
    let unknown = tally.count(RowState::Unknown) + tally.count(RowState::Sending);
    let transient = tally.count(RowState::Deferred) - tally.config_deferred;
    let refused = tally.count(RowState::Refused) + tally.count(RowState::Failed);
    let invalid = tally.count(RowState::Invalid) + tally.config_deferred;
    let (code, message) = if let Some(failure) = store_failure {
        (
            4,
            format!(
                "the store stopped recording ({failure}); {unknown} refund(s) may have been \
                 applied and are not settled, and {transient} were not started: run `paybridge \
                 reconcile` and the batch again once it is writable — never refund them under \
                 new ids"
            ),
        )
    } else if unknown > 0 {
        (
            4,
            format!(
                "{unknown} refund(s) may have been applied and are not settled: run `paybridge \
                 reconcile` (or this batch again) — never refund them under new ids"
            ),
        )
    } else if transient > 0 {
        (
            4,
            format!(
                "{transient} refund(s) were not applied yet for a passing reason: run the batch again"
            ),
        )
    } else if refused > 0 || tally.conflicts > 0 {
        (
            3,
            format!(
                "{refused} refund(s) refused or failed at the provider; {} row(s) of the file \
                 conflict with what was already sent under their ids (settled by what was sent; \
                 give a changed refund a new id)",
                tally.conflicts
            ),
        )
    } else if invalid > 0 {
        (
            2,
            format!(
                "{invalid} row(s) invalid or held back by configuration (nothing sent): fix them and run again"
            ),
        )
    } else {
        return Verdict {
            code: 0,
            message: String::new(),
        };
    };
    Verdict { code, message }
}

/// A pending refund's status now. It stays pending when the look-up cannot tell.
///
/// A provider whose look-up cannot tell by design (ScanForPay has no refund query) documents
/// sending the refund again under the same id as the way to learn its state: the refund the
/// provider holds under that id is answered, and no second one can be made.
async fn refresh(provider: &dyn RefundProvider, request: &RefundRequest) -> Settled {
    let looked = match provider.refund_status(&RefundLookup::from(request)).await {
        Err(error) if error.outcome_unknown() => provider.refund(request).await,
        other => other,
    };
    match looked {
        Ok(refund) => Settled::from_refund(refund),
        Err(Error::RefundNotFound { .. }) => Settled {
            state: RowState::Unknown,
            reason: "an earlier answer said the provider holds this refund, but a look-up no \
                     longer finds it"
                .into(),
            error_kind: Some("refund_not_found"),
            refund: None,
        },
        Err(error) => Settled {
            state: RowState::Pending,
            reason: format!("still pending as last reported; the look-up failed: {error}"),
            error_kind: Some(error.kind_name()),
            refund: None,
        },
    }
}

/// Renews `owner`'s claims every quarter lease until dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(run: &Arc<Run>) -> Heartbeat {
        let run = Arc::clone(run);
        Heartbeat(tokio::spawn(async move {
            let every = run.owner.lease() / 4;
            loop {
                tokio::time::sleep(every).await;
                if let Err(error) = run.store.renew(&run.owner).await {
                    run.store_failed(&error);
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn new_run(
    store: Arc<dyn BatchStore>,
    provider: Arc<dyn RefundProvider>,
    options: &BatchOptions,
    report: Reporter,
    started: std::time::Instant,
) -> Arc<Run> {
    Arc::new(Run {
        store,
        provider,
        owner: Owner::this_process(options.lease),
        policy: options.policy.clone(),
        report,
        store_failure: Mutex::new(None),
        stopped: AtomicBool::new(false),
        tally: Mutex::new(Tally::default()),
        calls: Semaphore::new(options.concurrency.max(1)),
        started,
    })
}

/// A worker's writes at one step (see [`drive`]), owned so they can wait in the gathering queue,
/// and where to answer.
struct StepWrites {
    settle: Option<(String, Settled)>,
    claim: Option<(String, Option<RefundRequest>)>,
    done: tokio::sync::oneshot::Sender<RowWritten>,
}

impl StepWrites {
    fn row(&self) -> RowWrite<'_> {
        RowWrite {
            settle: self
                .settle
                .as_ref()
                .map(|(id, settled)| (id.as_str(), settled)),
            claim: self.claim.as_ref().map(|(id, request)| {
                (
                    id.as_str(),
                    request.as_ref().map_or(ClaimFor::Settle, ClaimFor::Send),
                )
            }),
        }
    }
}

/// How long the gatherer waits for more rows' writes before committing what it has, at
/// concurrency 4 and more. A commit's sync costs about as much CPU as a row's other store work;
/// a millisecond against calls that take several at that concurrency (rows are claimed ahead
/// of their calls) lets several rows share one.
const GATHER_FOR: Duration = Duration::from_millis(1);

/// Hands the workers' writes to the store together (at concurrency 4 and more): takes what is
/// waiting and what arrives within [`GATHER_FOR`], up to half the concurrency's rows, writes it
/// with one [`BatchStore::write_rows`], answers each, and goes on. Commits run
/// one after the other, so writes arriving during one are gathered for the next.
async fn gather_writes(
    run: Arc<Run>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<StepWrites>,
    concurrency: usize,
) {
    let name = run.provider.name();
    let enough = concurrency / 2;
    while let Some(first) = queue.recv().await {
        let mut steps = vec![first];
        while let Ok(next) = queue.try_recv() {
            steps.push(next);
        }
        if steps.len() < enough {
            let until = tokio::time::Instant::now() + GATHER_FOR;
            while steps.len() < enough {
                match tokio::time::timeout_at(until, queue.recv()).await {
                    Ok(Some(next)) => steps.push(next),
                    _ => break,
                }
            }
            while let Ok(next) = queue.try_recv() {
                steps.push(next);
            }
        }
        let rows: Vec<RowWrite<'_>> = steps.iter().map(StepWrites::row).collect();
        let written = run.store.write_rows(name, &run.owner, &rows).await;
        drop(rows);
        for (step, written) in steps.into_iter().zip(written) {
            let _ = step.done.send(written);
        }
    }
}

/// Takes every row of `works` as far as it goes, at most `concurrency` provider calls at once,
/// then waits for the rows another run held.
///
/// Twice `concurrency` workers take rows in turn. When a worker's call ends, it records that
/// row's outcome and claims its next row in one step, while the other workers' calls are out;
/// so up to `concurrency` rows are claimed ahead of their calls. A row claimed ahead is
/// `sending` before its call starts, and a crash then costs it a look-up, never a second
/// refund. Where the store [commits together](BatchStore::commits_together), the steps of
/// several workers are gathered into one commit ([`gather_writes`]).
async fn drive(run: &Arc<Run>, works: Vec<Work>, options: &BatchOptions) {
    let heartbeat = Heartbeat::start(run);
    let concurrency = options.concurrency.max(1);
    let rows = Arc::new(Mutex::new(works.into_iter()));
    let waiting = Arc::new(Mutex::new(Vec::new()));
    let (gathered, queue) = tokio::sync::mpsc::unbounded_channel();
    // Below that concurrency a gatherer would not wait, and its hop would only add latency.
    let gatherer = (run.store.commits_together() && concurrency >= 4)
        .then(|| tokio::spawn(gather_writes(Arc::clone(run), queue, concurrency)));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency * 2 {
        let (run, rows, waiting) = (Arc::clone(run), Arc::clone(&rows), Arc::clone(&waiting));
        let gathered = gatherer.is_some().then(|| gathered.clone());
        workers.spawn(async move {
            let mut behind: Option<(Work, Box<Called>)> = None;
            loop {
                let next = lock(&rows).next();
                if next.is_none() && behind.is_none() {
                    break;
                }
                // Once the store stops recording, no new row is claimed (nor sent).
                let claim = next
                    .as_ref()
                    .filter(|_| !run.stopped.load(Ordering::SeqCst));
                let written = run
                    .write_step(gathered.as_ref(), behind.as_ref(), claim)
                    .await;
                if let Some((work, called)) = behind.take() {
                    run.record(&work, *called, written.settled);
                }
                let Some(work) = next else {
                    break;
                };
                let Some(claimed) = written.claimed else {
                    run.not_started(&work);
                    continue;
                };
                match run.advance(&work, claimed).await {
                    Progress::Held => lock(&waiting).push(work),
                    Progress::Ended => {}
                    Progress::Called(called) => behind = Some((work, called)),
                }
            }
        });
    }
    drop(gathered);
    while workers.join_next().await.is_some() {}
    if let Some(gatherer) = gatherer {
        let _ = gatherer.await;
    }
    let waiting = std::mem::take(&mut *lock(&waiting));
    run.wait_for_others(waiting, options.patience).await;
    drop(heartbeat);
}

/// Runs every row of `file` through `provider`, keeping each row's progress in `store`, and
/// reports each row to `report` as it ends.
///
/// # Errors
/// The store cannot record the file's rows before the first send: then nothing was sent.
pub async fn run_batch(
    store: Arc<dyn BatchStore>,
    provider: Arc<dyn RefundProvider>,
    file: &BatchFile,
    options: &BatchOptions,
    report: Reporter,
) -> Result<RunOutcome, StoreError> {
    let name = provider.name();
    // Every refund is in the store as an intent before the first one is sent.
    let valid: Vec<(u64, &RefundRequest)> = file
        .rows
        .iter()
        .filter_map(|r| r.request.as_ref().ok().map(|q| (r.line, q)))
        .collect();
    let started = std::time::Instant::now();
    store.record_intents(name, &valid).await?;
    let run = new_run(store, provider, options, report, started);
    let mut ids = std::collections::HashSet::new();
    let mut works = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let refund_id = row.refund_id.clone().unwrap_or_default();
        ids.insert(refund_id.clone());
        let mut work = Work {
            line: Some(row.line),
            refund_id,
            request: row.request.as_ref().ok().cloned(),
            text: Some(row.text.clone()),
            invalid: row.request.as_ref().err().cloned(),
        };
        if let Some(reason) = &work.invalid {
            let recorded = if MerchantRefundId::new(work.refund_id.as_str()).is_ok() {
                match run
                    .store
                    .record_invalid(name, &work.refund_id, row.line, reason)
                    .await
                {
                    Ok(recorded) => recorded,
                    Err(error) => {
                        run.store_failed(&error);
                        true
                    }
                }
            } else {
                true
            };
            if recorded {
                run.emit(
                    &work,
                    Settled {
                        state: RowState::Invalid,
                        reason: reason.clone(),
                        error_kind: Some("invalid_request"),
                        refund: None,
                    },
                    None,
                    None,
                );
                continue;
            }
            // The store holds this id as sent (or a run holds it): settle it by what was sent.
            work.request = None;
        }
        works.push(work);
    }
    drive(&run, works, options).await;
    Ok(run.finish(Some(&ids)).await)
}

/// Settles every row of `provider` in `store` that is not final: what may have been sent is
/// looked up (and sent again under the same id where the look-up finds nothing); what was never
/// sent is only looked up — reconciling never sends a refund the batch did not.
///
/// # Errors
/// The store cannot be read.
pub async fn reconcile(
    store: Arc<dyn BatchStore>,
    provider: Arc<dyn RefundProvider>,
    options: &BatchOptions,
    report: Reporter,
) -> Result<RunOutcome, StoreError> {
    let rows = store.all(provider.name()).await?;
    let run = new_run(store, provider, options, report, std::time::Instant::now());
    let works = rows
        .into_iter()
        .filter(|row| !row.state.is_final())
        .map(|row| Work {
            line: row.line,
            invalid: row.request.is_none().then(|| {
                row.reason
                    .clone()
                    .unwrap_or_else(|| "never a valid refund; nothing was sent".into())
            }),
            refund_id: row.refund_id,
            request: None,
            text: None,
        })
        .collect();
    drive(&run, works, options).await;
    let mut outcome = run.finish(None).await;
    // Reconciling ends well when nothing is left unknown; refusals and pending rows are what
    // the provider says, not a failure to reconcile.
    if outcome.verdict.code != 4 {
        outcome.verdict = Verdict {
            code: 0,
            message: String::new(),
        };
    }
    Ok(outcome)
}
