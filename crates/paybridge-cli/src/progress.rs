//! What `batch` and `reconcile` show a person watching: on a terminal, a progress bar on stderr
//! (done of total, rate, time left) while stdout carries the JSON lines and nothing else, and a
//! summary table at the end. Off a terminal, nothing but the JSON lines.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use paybridge::batch::run::{Reporter, RowReport};

use crate::output;

/// A run's progress display: a bar when stderr is a terminal, nothing otherwise.
#[derive(Clone)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// Whether a bar would be drawn (stderr is a terminal): what counting a total is for.
    pub(crate) fn wanted() -> bool {
        std::io::stderr().is_terminal()
    }

    /// A bar over `total` rows (or, with no total, a counter with its rate).
    pub(crate) fn new(total: Option<u64>, unit: &str) -> Progress {
        let started = Instant::now();
        if !Progress::wanted() {
            return Progress { bar: None, started };
        }
        let bar = match total {
            Some(total) => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(&format!(
                        "{{wide_bar}} {{pos}}/{{len}} {unit} · {{rate}} · {{eta}} left"
                    ))
                    .map(with_rate)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            }
            None => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(&format!("{{spinner}} {{pos}} {unit} · {{rate}}"))
                        .map(with_rate)
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar
            }
        };
        // Redrawn on a clock as well as on each row, so the rate and time left stay true while
        // a slow refund is in flight.
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress {
            bar: Some(bar),
            started,
        }
    }

    /// Counts one more item done.
    pub(crate) fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Prints each row as a JSON line on stdout — with the bar lifted while it is written, so
    /// no half-drawn bar is left between lines — and moves the bar.
    pub(crate) fn reporter(&self) -> Reporter {
        let bar = self.bar.clone();
        Arc::new(move |row: &RowReport| match &bar {
            Some(bar) => {
                bar.suspend(|| output::line(row));
                bar.inc(1);
            }
            None => output::line(row),
        })
    }

    /// Takes the bar away and, on a terminal, prints `table` (with the time taken) on stderr.
    pub(crate) fn finish(&self, table: &SummaryTable) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.finish_and_clear();
        output::say(&table.render(self.started.elapsed()));
    }

    /// Whether a person is watching (the bar is drawn).
    pub(crate) fn on_terminal(&self) -> bool {
        self.bar.is_some()
    }
}

/// `{rate}`: items per second, whole (indicatif's own `{per_sec}` prints four decimals).
fn with_rate(style: ProgressStyle) -> ProgressStyle {
    style.with_key(
        "rate",
        |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{:.0}/s", state.per_sec());
        },
    )
}

/// A summary for people: a title, then one `name  count` line per row.
#[derive(Debug, Default)]
pub(crate) struct SummaryTable {
    pub(crate) title: String,
    pub(crate) rows: Vec<(String, u64)>,
    /// What the rate is counted in ("rows", "refunds", "statement rows").
    pub(crate) unit: &'static str,
    /// How many of `unit` the run went through.
    pub(crate) done: u64,
    /// The verdict, in words.
    pub(crate) verdict: String,
}

impl SummaryTable {
    /// The table as text, `elapsed` giving the time and rate line.
    pub(crate) fn render(&self, elapsed: Duration) -> String {
        let width = self
            .rows
            .iter()
            .map(|(name, _)| name.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let digits = self
            .rows
            .iter()
            .map(|(_, count)| count.to_string().len())
            .max()
            .unwrap_or(1);
        let mut out = format!("{}\n", self.title);
        for (name, count) in &self.rows {
            out.push_str(&format!("  {name:<width$}  {count:>digits$}\n"));
        }
        let millis = elapsed.as_millis();
        // Integer arithmetic: hundredths of a unit per second.
        let centi_rate = u128::from(self.done) * 100_000 / millis.max(1);
        out.push_str(&format!(
            "  {} {} in {}.{:03} s ({}.{:02}/s)\n",
            self.done,
            self.unit,
            millis / 1000,
            millis % 1000,
            centi_rate / 100,
            centi_rate % 100
        ));
        if !self.verdict.is_empty() {
            out.push_str(&format!("  {}\n", self.verdict));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_counts_and_states_the_rate_without_floats() {
        let table = SummaryTable {
            title: "batch refunds.csv (wechatpay)".into(),
            rows: vec![
                ("succeeded".into(), 1_200),
                ("pending".into(), 3),
                ("unknown".into(), 0),
            ],
            unit: "rows",
            done: 1_203,
            verdict: "3 refunds are still pending".into(),
        };
        let text = table.render(Duration::from_millis(2_500));
        assert_eq!(
            text,
            "batch refunds.csv (wechatpay)\n  succeeded  1200\n  pending       3\n  unknown       0\n  1203 rows in 2.500 s (481.20/s)\n  3 refunds are still pending\n"
        );
    }

    #[test]
    fn a_run_faster_than_a_millisecond_divides_by_one() {
        let table = SummaryTable {
            unit: "rows",
            done: 5,
            ..SummaryTable::default()
        };
        assert!(
            table
                .render(Duration::ZERO)
                .contains("5 rows in 0.000 s (5000.00/s)")
        );
    }
}
