//! A batch's input file, read all or nothing.
//!
//! A CSV that can be read two ways is not read at all. An unquoted thousands separator
//! (`1,500.00`) splits an amount into two fields, and a reader that drops the extra field
//! refunds 1.00 — so a row whose field count differs from the header's refuses the whole file,
//! as does a header that names a column twice (trimmed, case-insensitive), an amount that is not
//! a plain decimal, text that is not UTF-8, and a refund id named on two rows. Every bad line is
//! named, and nothing is sent. RFC 4180 quoting, a UTF-8 byte-order mark and CRLF line ends are
//! read as usual.
//!
//! What is left to each row — an unknown currency, an id too long, a field the provider needs —
//! makes that row `invalid` without touching the others.

use std::collections::HashMap;
use std::fmt;

use paybridge_core::RefundRequest;
use serde::Serialize;

use crate::rows::{Columns, RequestFields};

/// The columns a batch reads; any other column is kept out of the request.
const FIELDS: [&str; 8] = [
    "refund_id",
    "amount",
    "currency",
    "payment",
    "order_ref",
    "total",
    "reason",
    "notify_url",
];

/// A batch file, read: every row whose structure is sound, valid as a refund or not.
#[derive(Clone, Debug)]
pub struct BatchFile {
    /// The rows, in file order.
    pub rows: Vec<InputRow>,
}

/// One row of a batch file.
#[derive(Clone, Debug)]
pub struct InputRow {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    /// Its refund id as written (trimmed), if any.
    pub refund_id: Option<String>,
    /// Its fields as written (trimmed), for messages and conflicts.
    pub text: RowText,
    /// The refund it asks for, or why it is not a valid one.
    pub request: Result<RefundRequest, String>,
}

/// A row's fields as written, trimmed; absent columns are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowText {
    /// `refund_id`.
    pub refund_id: String,
    /// `amount`.
    pub amount: String,
    /// `currency`.
    pub currency: String,
    /// `payment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<String>,
    /// `order_ref`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_ref: Option<String>,
    /// `total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// `reason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `notify_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
}

impl RowText {
    fn fields(&self) -> RequestFields<'_> {
        RequestFields {
            refund_id: &self.refund_id,
            amount: &self.amount,
            currency: &self.currency,
            payment: self.payment.as_deref(),
            order_ref: self.order_ref.as_deref(),
            total: self.total.as_deref(),
            reason: self.reason.as_deref(),
            notify_url: self.notify_url.as_deref(),
        }
    }
}

/// Why a whole file was refused: every problem found, each naming its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The problems, in file order.
    pub problems: Vec<String>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the file is refused whole, and nothing was sent: {}",
            self.problems.join("; ")
        )
    }
}

impl std::error::Error for InputError {}

impl From<InputError> for paybridge_core::Error {
    fn from(error: InputError) -> paybridge_core::Error {
        paybridge_core::Error::invalid("file", error.to_string())
    }
}

/// Whether `text` is a plain decimal: digits, optionally a point and more digits. No sign,
/// exponent, separator, currency sign or space.
pub fn is_plain_decimal(text: &str) -> bool {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// At most this many problems are listed; the rest are counted.
const MAX_LISTED: usize = 50;

impl BatchFile {
    /// Reads a batch file (CSV with a header row) all or nothing.
    ///
    /// # Errors
    /// [`InputError`] naming every line that makes the file ambiguous: nothing of it may be sent.
    pub fn parse(bytes: &[u8]) -> Result<BatchFile, InputError> {
        let refuse = |problem: String| InputError {
            problems: vec![problem],
        };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if let Err(e) = std::str::from_utf8(bytes) {
            let line = 1 + bytes
                .get(..e.valid_up_to())
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
            return Err(refuse(format!("line {line}: not UTF-8")));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| refuse(format!("line 1: {e}")))?
            .clone();
        let columns =
            Columns::from_header(header.iter()).map_err(|e| refuse(format!("line 1: {e}")))?;
        let width = header.len();
        let mut problems = Vec::new();
        let mut rows = Vec::new();
        let mut lines = LineCounter::default();
        for record in reader.records() {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    let line = e.position().map_or(0, |p| lines.line_at(bytes, p));
                    problems.push(format!("line {line}: {e}"));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| lines.line_at(bytes, p));
            if record.len() != width {
                problems.push(format!(
                    "line {line}: {} fields where the header has {width} (an unquoted comma in \
                     a number?)",
                    record.len()
                ));
                continue;
            }
            let field = |name: &str| {
                columns
                    .position(name)
                    .and_then(|i| record.get(i))
                    .map(|s| s.trim().to_owned())
            };
            let text = RowText {
                refund_id: field(FIELDS[0]).unwrap_or_default(),
                amount: field(FIELDS[1]).unwrap_or_default(),
                currency: field(FIELDS[2]).unwrap_or_default(),
                payment: field(FIELDS[3]),
                order_ref: field(FIELDS[4]),
                total: field(FIELDS[5]),
                reason: field(FIELDS[6]),
                notify_url: field(FIELDS[7]),
            };
            if !is_plain_decimal(&text.amount) {
                problems.push(format!(
                    "line {line}: amount {:?} is not a plain decimal (digits and one point)",
                    shorten(&text.amount)
                ));
                continue;
            }
            if let Some(total) = text.total.as_deref().filter(|t| !t.is_empty())
                && !is_plain_decimal(total)
            {
                problems.push(format!(
                    "line {line}: total {:?} is not a plain decimal (digits and one point)",
                    shorten(total)
                ));
                continue;
            }
            let request = text.fields().to_request().map_err(|e| e.to_string());
            rows.push(InputRow {
                line,
                refund_id: Some(text.refund_id.clone()).filter(|id| !id.is_empty()),
                text,
                request,
            });
        }
        problems.extend(repeated_ids(&rows));
        if problems.is_empty() {
            Ok(BatchFile { rows })
        } else {
            if problems.len() > MAX_LISTED {
                let more = problems.len() - MAX_LISTED;
                problems.truncate(MAX_LISTED);
                problems.push(format!("and {more} more"));
            }
            Err(InputError { problems })
        }
    }
}

/// The line a record starts on. (The reader's own count lags a line behind after CRLF ends:
/// it marks a record before the `\n` of the previous one's `\r\n` is consumed.) Records come
/// in order, so the newlines are counted on from where the last record was found: counting
/// from the start every time made a 50,000-row file take half a minute to read.
#[derive(Default)]
struct LineCounter {
    /// Bytes already counted, and the newlines among them.
    offset: usize,
    newlines: usize,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], position: &csv::Position) -> u64 {
        let mut start = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        while let Some(b'\r' | b'\n') = bytes.get(start) {
            start += 1;
        }
        if start < self.offset {
            *self = LineCounter::default();
        }
        self.newlines += bytes
            .get(self.offset..start)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        self.offset = start;
        u64::try_from(self.newlines)
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A refund id named on two rows: the file cannot say which refund is meant.
fn repeated_ids(rows: &[InputRow]) -> Vec<String> {
    let mut lines: HashMap<&str, Vec<u64>> = HashMap::new();
    for row in rows {
        if let Some(id) = &row.refund_id {
            lines.entry(id.as_str()).or_default().push(row.line);
        }
    }
    let mut repeated: Vec<(&str, Vec<u64>)> =
        lines.into_iter().filter(|(_, l)| l.len() > 1).collect();
    repeated.sort_by_key(|(_, lines)| lines.first().copied());
    repeated
        .into_iter()
        .map(|(id, lines)| format!("refund id {id} on lines {lines:?}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BatchFile, InputError> {
        BatchFile::parse(text.as_bytes())
    }

    #[test]
    fn lines_are_counted_on_through_a_long_file_with_crlf_and_quoted_newlines() {
        let mut text = String::from("refund_id,amount,currency,payment,reason\r\n");
        for i in 0..5_000 {
            // Every tenth row's reason spans two lines, inside quotes.
            let reason = if i % 10 == 0 { "\"two\nlines\"" } else { "r" };
            text.push_str(&format!("R{i},1.00,THB,P{i},{reason}\r\n"));
        }
        let file = parse(&text).unwrap();
        assert_eq!(file.rows.len(), 5_000);
        // Row i starts on line 2 + i + (the quoted newlines of the rows before it).
        for (i, row) in file.rows.iter().enumerate() {
            let before = u64::try_from(i.div_ceil(10)).unwrap();
            assert_eq!(row.line, 2 + u64::try_from(i).unwrap() + before, "row {i}");
        }
    }

    #[test]
    fn quoting_a_bom_and_crlf_are_read_as_usual() {
        let file = BatchFile::parse(
            b"\xEF\xBB\xBFrefund_id,amount,currency,payment,reason\r\nr1,1500.00,THB,CU1,\"late, and \"\"damaged\"\"\"\r\nr2,\"2.50\",THB,CU2,\"two\r\nlines\"\r\nr3,\"2.50\",THB,CU3,\r\n",
        )
        .unwrap();
        assert_eq!(file.rows.len(), 3);
        let first = file.rows[0].request.as_ref().unwrap();
        assert_eq!(first.amount().minor, 150_000);
        assert_eq!(first.reason(), Some("late, and \"damaged\""));
        // A quoted line break is read as one field (which a reason may not hold), and the
        // next row's line is counted past it.
        assert!(
            file.rows[1]
                .request
                .as_ref()
                .unwrap_err()
                .contains("control character")
        );
        assert_eq!(file.rows[2].request.as_ref().unwrap().amount().minor, 250);
        let lines: Vec<u64> = file.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 5]);
    }

    #[test]
    fn a_row_of_another_width_refuses_the_file_naming_every_line() {
        let error = parse(
            "refund_id,amount,currency,payment\nr1,1,500.00,THB,CU1\nr2,2.00,THB,CU2\nr3,3.00,THB\n",
        )
        .unwrap_err();
        assert_eq!(error.problems.len(), 2, "{error}");
        assert!(error.problems[0].starts_with("line 2: 5 fields"), "{error}");
        assert!(error.problems[1].starts_with("line 4: 3 fields"), "{error}");
        assert!(error.to_string().contains("nothing was sent"));
    }

    #[test]
    fn a_repeated_column_is_refused_trimmed_and_in_any_case() {
        let error = parse("refund_id,amount,currency, Amount \nr1,1.00,THB,2.00\n").unwrap_err();
        assert!(error.to_string().contains("amount"), "{error}");
    }

    #[test]
    fn amounts_must_be_plain_decimals() {
        for bad in [
            "1,500.00",
            "\"1,500.00\"",
            "1e3",
            "-5",
            "+5",
            "5.",
            ".5",
            "",
            "½",
            "1 000",
            "١",
        ] {
            let text = format!("refund_id,amount,currency\nr1,{bad},THB\n");
            assert!(parse(&text).is_err(), "{bad:?} was read");
        }
        assert!(parse("refund_id,amount,currency,total\nr1,1.00,THB,1,000\n").is_err());
        assert!(parse("refund_id,amount,currency,total\nr1,1.00,THB,x\n").is_err());
        // Per-row validity is the row's: too many decimals for the currency makes it invalid.
        let file = parse("refund_id,amount,currency\nr1,1.001,THB\nr2,1.00,THB\n").unwrap();
        assert!(file.rows[0].request.is_err());
        assert!(file.rows[1].request.is_ok());
    }

    #[test]
    fn repeated_ids_and_bad_utf8_refuse_the_file() {
        let error = parse("refund_id,amount,currency\na,1,THB\nb,1,THB\na,2,THB\n").unwrap_err();
        assert_eq!(error.problems, ["refund id a on lines [2, 4]"]);
        let error = BatchFile::parse(b"refund_id,amount,currency\nr\xff,1,THB\n").unwrap_err();
        assert_eq!(error.problems, ["line 2: not UTF-8"]);
    }
}
