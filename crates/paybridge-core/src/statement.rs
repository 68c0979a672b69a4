//! The unified statement (bill) model: what a provider's daily statement says happened — each
//! payment, refund and fee, with the ids that tie it to the merchant's own records — read by a
//! provider crate's streaming parser one entry at a time, so a month of a million rows is read in
//! bounded memory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Currency, Money, Timestamp};

/// What a statement entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Money taken from a customer.
    Payment,
    /// Money returned to a customer.
    Refund,
    /// A fee the provider charged (or returned) on its own line.
    Fee,
    /// Anything else the statement lists (a fund movement not tied to a payment).
    Other,
}

impl EntryKind {
    /// The kind's lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
            EntryKind::Fee => "fee",
            EntryKind::Other => "other",
        }
    }
}

/// One line of a provider's statement, in the unified model. Amounts are positive: the kind says
/// which way the money went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementEntry {
    /// What it records.
    pub kind: EntryKind,
    /// The provider's id for the payment (WeChat Pay `transaction_id`, Alipay `trade_no`).
    pub payment: Option<String>,
    /// The merchant's order reference.
    pub order_ref: Option<String>,
    /// The merchant's refund id (WeChat Pay `out_refund_no`, Alipay `out_request_no`).
    pub refund_id: Option<String>,
    /// The provider's id for the refund.
    pub provider_refund_id: Option<String>,
    /// The amount moved (positive).
    pub amount: Money,
    /// The provider's fee on it, where the statement states one.
    pub fee: Option<Money>,
    /// The provider's own status word for the line (`SUCCESS`, `REFUND`, `交易`…).
    pub provider_status: Option<String>,
    /// When it happened, where the statement says.
    pub at: Option<Timestamp>,
    /// The line's number in the file (1-based, as an editor counts).
    pub line: u64,
    /// The line as the provider wrote it (decoded to UTF-8), for the record.
    pub raw: String,
}

/// What a whole statement added up to: rows by kind, and totals per kind and currency, counted
/// as the entries stream past.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementSummary {
    /// Rows read, by kind.
    pub rows: BTreeMap<EntryKind, u64>,
    /// Sums in minor units, by kind and currency code.
    pub totals: BTreeMap<EntryKind, BTreeMap<String, i64>>,
}

impl StatementSummary {
    /// Counts one entry in.
    ///
    /// # Errors
    /// [`crate::Error::MalformedResponse`] naming `provider` when a total overflows 64 bits.
    pub fn add(&mut self, provider: &'static str, entry: &StatementEntry) -> crate::Result<()> {
        *self.rows.entry(entry.kind).or_default() += 1;
        let total = self
            .totals
            .entry(entry.kind)
            .or_default()
            .entry(entry.amount.currency.code().to_owned())
            .or_default();
        *total = total.checked_add(entry.amount.minor).ok_or_else(|| {
            crate::Error::malformed(
                provider,
                None,
                format!("the statement's {} total overflows", entry.kind.as_str()),
            )
        })?;
        Ok(())
    }

    /// The total of `kind` in `currency`, in minor units.
    pub fn total(&self, kind: EntryKind, currency: Currency) -> i64 {
        self.totals
            .get(&kind)
            .and_then(|by| by.get(currency.code()))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: EntryKind, minor: i64) -> StatementEntry {
        StatementEntry {
            kind,
            payment: None,
            order_ref: None,
            refund_id: None,
            provider_refund_id: None,
            amount: Money::new(minor, Currency::Cny),
            fee: None,
            provider_status: None,
            at: None,
            line: 1,
            raw: String::new(),
        }
    }

    #[test]
    fn a_summary_counts_rows_and_totals_by_kind_and_currency() {
        let mut summary = StatementSummary::default();
        for e in [
            entry(EntryKind::Payment, 100),
            entry(EntryKind::Payment, 250),
            entry(EntryKind::Refund, 40),
        ] {
            summary.add("test", &e).unwrap();
        }
        assert_eq!(summary.rows[&EntryKind::Payment], 2);
        assert_eq!(summary.total(EntryKind::Payment, Currency::Cny), 350);
        assert_eq!(summary.total(EntryKind::Refund, Currency::Cny), 40);
        assert_eq!(summary.total(EntryKind::Fee, Currency::Cny), 0);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["totals"]["payment"]["CNY"], 350);
        assert!(
            summary
                .add("test", &entry(EntryKind::Payment, i64::MAX))
                .is_err()
        );
    }
}

/// Which of a provider's statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    /// Every trade of the day: payments and refunds (WeChat Pay `tradebill` ALL, Alipay
    /// `trade`).
    Trade,
    /// Refunds only (WeChat Pay `tradebill` REFUND; Alipay has none: its trade bill).
    Refund,
    /// Money in and out of the merchant's account (WeChat Pay `fundflowbill`, Alipay
    /// `signcustomer`).
    Fund,
}

impl StatementKind {
    /// The kind's lower-case name, as the command line takes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatementKind::Trade => "trade",
            StatementKind::Refund => "refund",
            StatementKind::Fund => "fund",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<StatementKind> {
        [
            StatementKind::Trade,
            StatementKind::Refund,
            StatementKind::Fund,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// A statement as the provider sent it, its integrity checked (WeChat Pay's SHA-1 from the
/// signed answer; Alipay's zip structure and CRCs): exactly the bytes to write to a file.
#[derive(Clone, PartialEq, Eq)]
pub struct DownloadedStatement {
    /// The provider.
    pub provider: &'static str,
    /// The day (`YYYY-MM-DD`) or month (`YYYY-MM`) it covers.
    pub date: String,
    /// Which statement.
    pub kind: StatementKind,
    /// The bytes as sent: a CSV, a gzip of one, or a zip of several.
    pub bytes: Vec<u8>,
    /// What `bytes` are: `"text/csv"`, `"application/gzip"` or `"application/zip"`.
    pub media_type: &'static str,
    /// Whether the provider answered that it has no statement for the day (an empty one, not an
    /// error).
    pub empty: bool,
}

impl std::fmt::Debug for DownloadedStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadedStatement")
            .field("provider", &self.provider)
            .field("date", &self.date)
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .field("media_type", &self.media_type)
            .field("empty", &self.empty)
            .finish()
    }
}

/// What a statement reader reads from: a file, or bytes in memory.
pub trait StatementSource: std::io::Read + std::io::Seek + Send {}
impl<T: std::io::Read + std::io::Seek + Send> StatementSource for T {}

/// The entries of a statement, read one at a time.
pub type StatementEntries<'a> = Box<dyn Iterator<Item = crate::Result<StatementEntry>> + Send + 'a>;

/// A provider that publishes statements: download one, and read one (as downloaded, or from
/// the file `paybridge statement download` wrote) entry by entry in bounded memory.
#[async_trait::async_trait]
pub trait StatementProvider: Send + Sync + std::fmt::Debug {
    /// The provider's short name.
    fn name(&self) -> &'static str;

    /// The statements it publishes.
    fn statement_kinds(&self) -> &'static [StatementKind];

    /// Downloads and checks the `kind` statement of `date` (`YYYY-MM-DD`).
    async fn download_statement(
        &self,
        date: &str,
        kind: StatementKind,
    ) -> crate::Result<DownloadedStatement>;

    /// Reads a statement's entries from `source` (the bytes as downloaded).
    ///
    /// # Errors
    /// [`crate::Error::MalformedResponse`] when it is not this provider's statement.
    fn read_statement<'a>(
        &self,
        source: Box<dyn StatementSource + 'a>,
    ) -> crate::Result<StatementEntries<'a>>;
}
