//! Closing the books: a provider's statement (bill) matched against a batch store. Every refund
//! line of the statement is looked for in the store by the merchant's refund id; every refund
//! the store holds as sent is looked for on the statement. What the statement settles — a row
//! the store holds as `unknown`, `sending` or `pending` that the statement shows refunded — the
//! store records as succeeded, naming the statement and line as the reason. Nothing is settled
//! that the statement does not show, and a row the store holds as refused or failed that the
//! statement shows refunded is reported, never rewritten.

use std::collections::{BTreeMap, HashSet};

use paybridge_core::{
    EntryKind, Error, Money, Refund, RefundStatus, StatementEntry, StatementSummary, Timestamp,
};
use serde::Serialize;

use crate::batch::{BatchStore, Claim, ClaimFor, Owner, RowState, Settled, StoreError};

/// What matching one refund found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// On the statement, in the store as succeeded, for the same amount.
    Matched,
    /// On the statement and in the store, for different amounts.
    AmountDiffers,
    /// The store held it unsettled (unknown, sending, pending); the statement shows it
    /// refunded, and the store now records it succeeded.
    Settled,
    /// The store holds it refused, failed or invalid, but the statement shows it refunded.
    StateDiffers,
    /// The store holds it succeeded on the statement's (closed) day, but the statement does not
    /// show it.
    MissingFromStatement,
    /// On the statement, unknown to the store: refunded elsewhere (the portal, another system).
    UnknownToStore,
    /// The store holds it unsettled and the statement does not settle it.
    Unsettled,
}

impl FindingKind {
    /// Whether the books agree on this refund.
    pub const fn agrees(self) -> bool {
        matches!(self, FindingKind::Matched | FindingKind::Settled)
    }
}

/// One finding, as a JSON line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was found.
    pub finding: FindingKind,
    /// The merchant's refund id.
    pub refund_id: Option<String>,
    /// The merchant's order reference, where known.
    pub order_ref: Option<String>,
    /// The statement's line, where the refund is on it.
    pub statement_line: Option<u64>,
    /// The amount on the statement.
    pub statement_amount: Option<Money>,
    /// The amount the store holds.
    pub store_amount: Option<Money>,
    /// The store's state (after settling, for a settled one).
    pub store_state: Option<RowState>,
    /// In words.
    pub detail: String,
}

/// The whole of a reconciliation: the findings, counted, and the statement's own summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatementReconciliation {
    /// Every finding, in statement order then store order.
    pub findings: Vec<Finding>,
    /// Findings by kind.
    pub counts: BTreeMap<FindingKind, u64>,
    /// What the statement held.
    pub statement: StatementSummary,
}

impl StatementReconciliation {
    /// Whether everything matched (or was settled by the statement).
    pub fn all_agree(&self) -> bool {
        self.findings.iter().all(|f| f.finding.agrees())
    }

    fn push(&mut self, finding: Finding) {
        *self.counts.entry(finding.finding).or_default() += 1;
        self.findings.push(finding);
    }
}

/// The day (in the provider's own time zone, `offset_minutes` east of UTC) a timestamp falls
/// on, as `YYYY-MM-DD`.
fn day_of(at: Timestamp, offset_minutes: i16) -> String {
    let (year, month, day, ..) = at.with_offset(offset_minutes).unwrap_or(at).local_fields();
    format!("{year:04}-{month:02}-{day:02}")
}

/// What a statement is matched as: its entries, where it came from (for the reason recorded),
/// and — when the day is closed — which day it covers, so refunds the store holds for that day
/// and the statement lacks are reported.
pub struct StatementInput<'a> {
    /// The provider's name (the store's key).
    pub provider: &'static str,
    /// The statement's entries, as its reader streams them.
    pub entries: Box<dyn Iterator<Item = Result<StatementEntry, Error>> + Send + 'a>,
    /// Where it came from (`wechatpay trade statement of 2026-12-07`), for the reason recorded.
    pub source: String,
    /// The day it covers (`YYYY-MM-DD`), when the statement is of a closed day.
    pub closed_day: Option<String>,
    /// The provider's time zone, minutes east of UTC (Beijing: 480).
    pub offset_minutes: i16,
}

/// Matches `input` against `store`, settling what the statement settles (claimed by `owner`,
/// so no running batch is overtaken).
///
/// # Errors
/// The statement cannot be read or fails its check anywhere (then nothing was settled), or
/// the store cannot be read or written.
pub async fn reconcile_statement(
    store: &dyn BatchStore,
    input: StatementInput<'_>,
    owner: &Owner,
) -> Result<StatementReconciliation, ReconcileError> {
    let rows: BTreeMap<String, crate::batch::StoredRefund> = store
        .all(input.provider)
        .await?
        .into_iter()
        .map(|row| (row.refund_id.clone(), row))
        .collect();
    let mut report = StatementReconciliation::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut to_settle: Vec<(usize, StatementEntry)> = Vec::new();
    for entry in input.entries {
        let entry = entry.map_err(ReconcileError::Statement)?;
        report
            .statement
            .add(input.provider, &entry)
            .map_err(ReconcileError::Statement)?;
        if entry.kind != EntryKind::Refund {
            continue;
        }
        let Some(refund_id) = entry.refund_id.clone().filter(|r| !r.is_empty()) else {
            report.push(Finding {
                finding: FindingKind::UnknownToStore,
                refund_id: None,
                order_ref: entry.order_ref.clone(),
                statement_line: Some(entry.line),
                statement_amount: Some(entry.amount),
                store_amount: None,
                store_state: None,
                detail: "a refund on the statement without a merchant refund id".into(),
            });
            continue;
        };
        seen.insert(refund_id.clone());
        let Some(row) = rows.get(&refund_id) else {
            report.push(Finding {
                finding: FindingKind::UnknownToStore,
                refund_id: Some(refund_id),
                order_ref: entry.order_ref.clone(),
                statement_line: Some(entry.line),
                statement_amount: Some(entry.amount),
                store_amount: None,
                store_state: None,
                detail: "refunded, but not by this batch (the portal, or another system)".into(),
            });
            continue;
        };
        let store_amount = row.request.as_ref().map(|r| r.amount);
        let base = Finding {
            finding: FindingKind::Matched,
            refund_id: Some(refund_id.clone()),
            order_ref: entry
                .order_ref
                .clone()
                .or_else(|| row.request.as_ref().and_then(|r| r.order_ref.clone())),
            statement_line: Some(entry.line),
            statement_amount: Some(entry.amount),
            store_amount,
            store_state: Some(row.state),
            detail: String::new(),
        };
        if store_amount != Some(entry.amount) {
            report.push(Finding {
                finding: FindingKind::AmountDiffers,
                detail: format!(
                    "the statement shows {} refunded; the batch asked for {}",
                    entry.amount,
                    store_amount.map_or_else(|| "nothing valid".to_owned(), |m| m.to_string())
                ),
                ..base
            });
            continue;
        }
        match row.state {
            RowState::Succeeded => report.push(Finding {
                detail: "refunded, as the store holds".into(),
                ..base
            }),
            RowState::Unknown | RowState::Sending | RowState::Pending => {
                // Settled only once the whole statement has been read (and checked): a
                // statement that fails on a later line settles nothing.
                let reason = format!(
                    "settled by the {} (line {}): refunded {}",
                    input.source, entry.line, entry.amount
                );
                to_settle.push((report.findings.len(), entry));
                report.push(Finding {
                    finding: FindingKind::Settled,
                    store_state: Some(RowState::Succeeded),
                    detail: reason,
                    ..base
                });
            }
            other => report.push(Finding {
                finding: FindingKind::StateDiffers,
                detail: format!(
                    "the store holds it {}, but the statement shows it refunded: check before \
                     anything else is done about it",
                    other.as_str()
                ),
                ..base
            }),
        }
    }
    // The statement was read whole: now settle what it showed.
    for (index, entry) in to_settle {
        let Some(finding) = report.findings.get(index).cloned() else {
            continue;
        };
        let Some(row) = finding.refund_id.as_deref().and_then(|id| rows.get(id)) else {
            continue;
        };
        let settled = settle(store, input.provider, row, &entry, owner, &finding.detail).await?;
        if settled.is_none()
            && let Some(slot) = report.findings.get_mut(index)
        {
            // Another run holds it now: not settled by this reconciliation.
            slot.finding = FindingKind::Unsettled;
            slot.store_state = Some(row.state);
            slot.detail = "another run holds this refund now; reconcile again when it ends".into();
        }
    }
    report.counts = BTreeMap::new();
    for finding in &report.findings {
        *report.counts.entry(finding.finding).or_default() += 1;
    }
    for (refund_id, row) in &rows {
        if seen.contains(refund_id) {
            continue;
        }
        let store_amount = row.request.as_ref().map(|r| r.amount);
        let finding = |finding, detail: String| Finding {
            finding,
            refund_id: Some(refund_id.clone()),
            order_ref: row.request.as_ref().and_then(|r| r.order_ref.clone()),
            statement_line: None,
            statement_amount: None,
            store_amount,
            store_state: Some(row.state),
            detail,
        };
        match row.state {
            RowState::Succeeded => {
                let completed = row
                    .refund
                    .as_ref()
                    .and_then(|r| r.completed_at.or(r.created_at))
                    .map(|at| day_of(at, input.offset_minutes));
                if let (Some(day), Some(closed)) = (&completed, &input.closed_day)
                    && day == closed
                {
                    report.push(finding(
                        FindingKind::MissingFromStatement,
                        format!("refunded on {day} by the store's record, but not on that day's statement"),
                    ));
                }
            }
            RowState::Unknown | RowState::Sending | RowState::Pending => report.push(finding(
                FindingKind::Unsettled,
                "not on this statement: still unsettled (a later day's statement, or a look-up, \
                 may settle it)"
                    .into(),
            )),
            _ => {}
        }
    }
    Ok(report)
}

/// Records `row` as refunded by the statement, if this run can claim it (`None`: another run
/// holds it).
async fn settle(
    store: &dyn BatchStore,
    provider: &'static str,
    row: &crate::batch::StoredRefund,
    entry: &StatementEntry,
    owner: &Owner,
    reason: &str,
) -> Result<Option<RowState>, ReconcileError> {
    match store
        .claim(provider, &row.refund_id, owner, ClaimFor::Settle)
        .await?
    {
        Claim::Taken { .. } => {}
        Claim::Final(state) => return Ok(Some(state)),
        _ => return Ok(None),
    }
    let refund_id = paybridge_core::MerchantRefundId::new(row.refund_id.clone())
        .map_err(|e| ReconcileError::Statement(Error::invalid("refund_id", e.to_string())))?;
    let settled = Settled {
        state: RowState::Succeeded,
        reason: reason.to_owned(),
        error_kind: None,
        refund: Some(Refund {
            provider: provider.to_owned(),
            payment: entry.payment.clone(),
            refund_id,
            provider_refund_id: entry.provider_refund_id.clone(),
            amount: entry.amount,
            status: RefundStatus::Succeeded,
            provider_status: entry.provider_status.clone(),
            created_at: None,
            completed_at: entry.at,
        }),
    };
    store
        .settle(provider, &row.refund_id, owner, &settled)
        .await?;
    Ok(Some(RowState::Succeeded))
}

/// Why a reconciliation stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The statement could not be read (or failed its check).
    Statement(Error),
    /// The store could not be read or written.
    Store(StoreError),
}

impl From<StoreError> for ReconcileError {
    fn from(error: StoreError) -> ReconcileError {
        ReconcileError::Store(error)
    }
}

impl std::fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReconcileError::Statement(e) => write!(f, "the statement: {e}"),
            ReconcileError::Store(e) => write!(f, "the batch store: {e}"),
        }
    }
}

impl std::error::Error for ReconcileError {}
