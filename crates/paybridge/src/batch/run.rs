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
    BatchStore, Claim, ClaimFor, Owner, RowState, Settled, Step, StoreError, StoredRequest,
};
use crate::{ReliablePolicy, reliable_refund, resume_refund};

/// How a run goes.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Provider calls in flight at once. Up to as many rows more are claimed ahead of them and
    /// as many settled behind them, so the store's commits overlap the calls.
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

    /// Takes one row as far as it goes now. `None`: another run holds it; wait.
    async fn take(&self, work: &Work) -> Option<()> {
        if self.stopped.load(Ordering::SeqCst) {
            self.not_started(work);
            return Some(());
        }
        let name = self.provider.name();
        let purpose = match &work.request {
            Some(request) => ClaimFor::Send(request),
            None => ClaimFor::Settle,
        };
        let claim = match self
            .store
            .claim(name, &work.refund_id, &self.owner, purpose)
            .await
        {
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
                return Some(());
            }
        };
        match claim {
            Claim::Held { .. } => None,
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
                Some(())
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
                Some(())
            }
            Claim::Taken {
                prior,
                request,
                step,
                took_over_from,
            } => {
                self.step(work, prior, request, step, took_over_from).await;
                Some(())
            }
        }
    }

    async fn step(
        &self,
        work: &Work,
        prior: RowState,
        sent: Option<StoredRequest>,
        step: Step,
        took_over_from: Option<String>,
    ) {
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
                return;
            }
        };
        // The provider call waits for its permit; the store no longer refuses writes here
        // ("no new send starts" once it has).
        let Ok(call) = self.calls.acquire().await else {
            return;
        };
        if self.stopped.load(Ordering::SeqCst) && step != Step::Skip {
            drop(call);
            let _ = self.store.release(name, &work.refund_id, &self.owner).await;
            self.not_started(work);
            return;
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
                        return;
                    }
                }
            }
            Step::Skip => return,
        };
        drop(call);
        if let Some(from) = took_over_from {
            settled.reason = format!(
                "{} (taken over from {from}, whose lease ended)",
                settled.reason
            );
        }
        if let Err(error) = self
            .store
            .settle(name, &work.refund_id, &self.owner, &settled)
            .await
        {
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

/// Takes every row of `works` as far as it goes, at most `concurrency` provider calls at once,
/// then waits for the rows another run held.
async fn drive(run: &Arc<Run>, works: Vec<Work>, options: &BatchOptions) {
    let heartbeat = Heartbeat::start(run);
    // Rows in progress: up to `concurrency` calls out, as many claimed ahead and as many being
    // settled behind them (the calls themselves are bounded by `Run::calls`). A row claimed
    // ahead is `sending` before its call starts; a crash then costs it a look-up, never a
    // second refund.
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1) * 3));
    let waiting = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for work in works {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let (run, waiting) = (Arc::clone(run), Arc::clone(&waiting));
        tasks.spawn(async move {
            let _permit = permit;
            if run.take(&work).await.is_none() {
                lock(&waiting).push(work);
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
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
