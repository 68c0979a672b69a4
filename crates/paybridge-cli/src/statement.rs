//! `paybridge statement download`, and `paybridge reconcile --statement FILE | --date D`: a
//! provider's statement (bill), checked, summarized, and matched against a batch store.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use paybridge::batch::statement::{
    FindingKind, StatementInput, StatementReconciliation, reconcile_statement,
};
use paybridge::batch::{BatchStore, Owner};
use paybridge::core::{
    DownloadedStatement, StatementEntry, StatementKind, StatementProvider, StatementSummary,
};

use crate::commands::{known_provider, load_gateway};
use crate::exit::Failure;
use crate::output;
use crate::progress::{Progress, SummaryTable};

/// `paybridge statement` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum StatementCommand {
    /// Downloads a day's statement (bill), checks it (WeChat Pay: the SHA-1 its signed answer
    /// names; Alipay: the zip's structure and CRCs), writes it as the provider sent it (-o) and
    /// prints a JSON summary: rows by kind, totals per currency. Exit 5 when the check fails.
    ///
    /// Example: paybridge statement download --provider wechatpay --date 2026-12-06 -o bill.csv.gz
    Download(DownloadArgs),
}

/// `paybridge statement download` options.
#[derive(Args, Debug)]
pub(crate) struct DownloadArgs {
    /// wechatpay or alipay (the providers that publish statements).
    #[arg(long)]
    provider: String,
    /// The day, YYYY-MM-DD (the provider's own time zone).
    #[arg(long)]
    date: String,
    /// trade (payments and refunds), refund, or fund (money in and out of the account).
    #[arg(long = "type", default_value = "trade")]
    kind: String,
    /// Where to write the statement, exactly as the provider sent it (WeChat Pay: gzip; Alipay:
    /// a zip of GBK CSV files).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// A day as `YYYY-MM-DD`, checked.
pub(crate) fn day(text: &str) -> Result<String, Failure> {
    let ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
        && paybridge::core::Timestamp::parse_rfc3339(&format!("{text}T00:00:00+08:00")).is_ok();
    if ok {
        Ok(text.to_owned())
    } else {
        Err(Failure::input(format!(
            "--date {text:?}: expected YYYY-MM-DD"
        )))
    }
}

fn statements(
    config: Option<&Path>,
    provider: &str,
) -> Result<Arc<dyn StatementProvider>, Failure> {
    known_provider(provider)?;
    let gateway = load_gateway(config)?;
    Ok(Arc::clone(gateway.statements(provider)?))
}

/// Reads every entry of `statement` into a summary (streaming; nothing kept but the counts).
fn summarize(
    provider: &dyn StatementProvider,
    statement: &DownloadedStatement,
) -> Result<StatementSummary, Failure> {
    let mut summary = StatementSummary::default();
    if statement.empty {
        return Ok(summary);
    }
    let entries =
        provider.read_statement(Box::new(std::io::Cursor::new(statement.bytes.as_slice())))?;
    for entry in entries {
        summary.add(provider.name(), &entry?)?;
    }
    Ok(summary)
}

/// Runs one `paybridge statement` command.
pub(crate) async fn run(config: Option<&Path>, command: StatementCommand) -> Result<(), Failure> {
    match command {
        StatementCommand::Download(args) => {
            let date = day(&args.date)?;
            let kind = StatementKind::parse(&args.kind).ok_or_else(|| {
                Failure::input(format!("--type {:?}: trade, refund or fund", args.kind))
            })?;
            let provider = statements(config, &args.provider)?;
            let statement = provider.download_statement(&date, kind).await?;
            let summary = summarize(provider.as_ref(), &statement)?;
            if let Some(path) = &args.output {
                std::fs::write(path, &statement.bytes)
                    .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
            }
            output::line(&serde_json::json!({
                "provider": statement.provider,
                "date": statement.date,
                "type": kind.as_str(),
                "empty": statement.empty,
                "media_type": statement.media_type,
                "bytes": statement.bytes.len(),
                "file": args.output.as_ref().map(|p| p.display().to_string()),
                "rows": summary.rows,
                "totals": summary.totals,
            }));
            Ok(())
        }
    }
}

/// Where `reconcile` reads its statement from.
pub(crate) enum StatementFrom {
    /// A file `statement download` wrote.
    File(PathBuf),
    /// The provider, for this day.
    Day(String),
}

/// `reconcile --statement FILE | --date D`: the statement matched against `store`; one JSON
/// line per finding, a table on a terminal, then a summary. Exit 0 only when everything
/// matches.
pub(crate) async fn reconcile(
    config: Option<&Path>,
    provider_name: &str,
    store: Arc<dyn BatchStore>,
    from: StatementFrom,
    closed_day: Option<String>,
    lease: Duration,
) -> Result<(), Failure> {
    let provider = statements(config, provider_name)?;
    let name = provider.name();
    let (source, entries): (
        String,
        Box<dyn Iterator<Item = Result<StatementEntry, paybridge::Error>> + Send>,
    ) = match &from {
        StatementFrom::File(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
            (
                format!("{name} statement {}", path.display()),
                provider.read_statement(Box::new(std::io::BufReader::new(file)))?,
            )
        }
        StatementFrom::Day(date) => {
            let statement = provider
                .download_statement(date, StatementKind::Trade)
                .await?;
            let source = format!("{name} trade statement of {date}");
            if statement.empty {
                (source, Box::new(std::iter::empty()))
            } else {
                let bytes = statement.bytes;
                let entries = provider.read_statement(Box::new(std::io::Cursor::new(bytes)))?;
                (source, entries)
            }
        }
    };
    let title = format!("{source} against the batch store");
    let progress = Progress::new(None, "statement rows");
    let counted = progress.clone();
    let entries = Box::new(entries.inspect(move |_| counted.inc()));
    let closed_day = closed_day.or(match &from {
        StatementFrom::Day(date) => Some(date.clone()),
        StatementFrom::File(_) => None,
    });
    let report = reconcile_statement(
        store.as_ref(),
        StatementInput {
            provider: name,
            entries,
            source,
            closed_day,
            offset_minutes: 8 * 60,
        },
        &Owner::this_process(lease),
    )
    .await
    .map_err(|e| match e {
        paybridge::batch::statement::ReconcileError::Statement(error) => Failure::from(error),
        other => Failure {
            code: 4,
            kind: "store",
            message: other.to_string(),
        },
    })?;
    report_findings(&report, &progress, title);
    if report.all_agree() {
        Ok(())
    } else {
        Err(Failure {
            code: 4,
            kind: "books_differ",
            message:
                "the statement and the batch store do not agree on every refund: see the findings"
                    .into(),
        })
    }
}

fn report_findings(report: &StatementReconciliation, progress: &Progress, mut title: String) {
    for finding in &report.findings {
        output::line(finding);
    }
    let kind_name = |kind: FindingKind| {
        serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let disagreements: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.finding != FindingKind::Matched)
        .collect();
    if progress.on_terminal() && !disagreements.is_empty() {
        title.push_str(&format!(
            "\n  {:<22} {:<24} {:>5} {:>14} {:>14}",
            "finding", "refund id", "line", "statement", "store"
        ));
        for f in disagreements {
            title.push_str(&format!(
                "\n  {:<22} {:<24} {:>5} {:>14} {:>14}",
                kind_name(f.finding),
                f.refund_id.as_deref().unwrap_or("-"),
                f.statement_line
                    .map_or_else(|| "-".into(), |l| l.to_string()),
                f.statement_amount
                    .map_or_else(|| "-".into(), |m| m.to_string()),
                f.store_amount.map_or_else(|| "-".into(), |m| m.to_string()),
            ));
        }
        title.push('\n');
    }
    progress.finish(&SummaryTable {
        title,
        rows: report
            .counts
            .iter()
            .map(|(kind, count)| (kind_name(*kind), *count))
            .collect(),
        unit: "statement rows",
        done: report.statement.rows.values().sum(),
        verdict: if report.all_agree() {
            "the books agree".to_owned()
        } else {
            "the books do not agree: see the findings".to_owned()
        },
    });
    output::line(&serde_json::json!({
        "summary": {
            "findings": report.counts,
            "agree": report.all_agree(),
            "statement": report.statement,
        }
    }));
}
