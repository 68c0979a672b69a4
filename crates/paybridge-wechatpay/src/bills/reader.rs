//! The streaming bill parser: one line in memory at a time, whatever the file's size.
//!
//! A bill is a UTF-8 CSV with a BOM and CRLF line ends: a header row naming the columns, one
//! row per record with every field prefixed by a backtick (so spreadsheets keep long ids as
//! text), then a summary header (`总交易单数…`, `资金流水总笔数…`) and its row(s). Columns are
//! found by name, so an added column or another bill type's order reads the same. WeChat Pay
//! does not quote fields; a quoted one (as a spreadsheet would write it back) is read too.

use std::io::{BufRead, Read};

use paybridge_core::{Currency, EntryKind, Error, Money, MoneyError, StatementEntry, Timestamp};

use crate::codec::PROVIDER;

/// The longest line read: a bill line is a few hundred bytes, so a longer one is not a bill
/// (and reading it whole would let a file without line ends take all memory).
pub const MAX_LINE_BYTES: u64 = 64 * 1024;

/// Beijing time, which bills are written in (without a zone).
const BEIJING_MINUTES: i16 = 8 * 60;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Which bill a header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BillFormat {
    /// A trade bill (`tradebill`, ALL, SUCCESS or REFUND): its header starts `交易时间`.
    Trade,
    /// A fund-flow bill (`fundflowbill`): its header starts `记账时间`.
    FundFlow,
}

impl BillFormat {
    /// The first column of the summary header that ends this bill's rows.
    pub const fn summary_header(self) -> &'static str {
        match self {
            BillFormat::Trade => "总交易单数",
            BillFormat::FundFlow => "资金流水总笔数",
        }
    }
}

/// Where a trade bill's columns are.
#[derive(Debug)]
struct TradeColumns {
    time: usize,
    transaction_id: usize,
    out_trade_no: usize,
    status: usize,
    currency: Option<usize>,
    /// 应结订单金额, else 订单金额.
    amount: usize,
    refund_id: Option<usize>,
    out_refund_no: Option<usize>,
    refund_amount: Option<usize>,
    fee: Option<usize>,
    refund_success_time: Option<usize>,
    /// 退款状态: a REFUND row whose refund is not (yet) SUCCESS records no money returned.
    refund_status: Option<usize>,
}

/// Where a fund-flow bill's columns are.
#[derive(Debug)]
struct FundColumns {
    time: usize,
    business_no: usize,
    business_type: usize,
    direction: usize,
    amount: usize,
    voucher: Option<usize>,
}

#[derive(Debug)]
enum Columns {
    Trade(TradeColumns),
    Fund(FundColumns),
}

#[derive(Debug, PartialEq, Eq)]
enum Stage {
    /// Before the header (blank lines are skipped).
    Header,
    /// Reading rows.
    Rows,
    /// The summary was reached, the input ended, or an error was reported.
    Done,
}

/// The entries of one bill, read one line at a time ([`read_bill`]).
#[derive(Debug)]
pub struct BillReader<R> {
    reader: R,
    line: u64,
    buffer: Vec<u8>,
    stage: Stage,
    columns: Option<Columns>,
    width: usize,
    format: Option<BillFormat>,
}

/// Reads a plain (gunzipped) bill's entries from `reader`, one line in memory at a time:
/// payments, refunds, fees and other movements, up to the summary, which is not an entry. An
/// empty input is an empty bill (what a day without one downloads as).
///
/// Every error is [`Error::MalformedResponse`] naming the line, and ends the entries: not
/// UTF-8, a line longer than [`MAX_LINE_BYTES`], a header that is no bill's, a missing
/// column, a row whose field count is not the header's, a field without its backtick, an
/// amount that is not exact yuan (fees: exact to the fen), a time that is not
/// `YYYY-MM-DD HH:MM:SS`, an unknown currency, or rows that end without the summary (a
/// truncated file).
pub fn read_bill<R: BufRead>(reader: R) -> BillReader<R> {
    BillReader {
        reader,
        line: 0,
        buffer: Vec::with_capacity(512),
        stage: Stage::Header,
        columns: None,
        width: 0,
        format: None,
    }
}

fn malformed(line: u64, why: impl std::fmt::Display) -> Error {
    Error::malformed(PROVIDER, None, format!("bill line {line}: {why}"))
}

impl<R: BufRead> BillReader<R> {
    /// Which bill it is, once the header has been read.
    pub fn format(&self) -> Option<BillFormat> {
        self.format
    }

    /// The next line without its line end (`None` at the end of the input).
    fn next_line(&mut self) -> Result<Option<String>, Error> {
        self.buffer.clear();
        let read = (&mut self.reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| malformed(self.line + 1, format!("cannot be read: {e}")))?;
        if read == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
        } else if u64::try_from(self.buffer.len()).unwrap_or(u64::MAX) > MAX_LINE_BYTES {
            return Err(malformed(
                self.line,
                format!("longer than {MAX_LINE_BYTES} bytes: not a bill"),
            ));
        }
        if self.buffer.last() == Some(&b'\r') {
            self.buffer.pop();
        }
        let mut bytes = self.buffer.as_slice();
        if self.line == 1 {
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        std::str::from_utf8(bytes)
            .map(|text| Some(text.to_owned()))
            .map_err(|e| malformed(self.line, format!("not UTF-8 ({e})")))
    }

    fn header(&mut self, text: &str) -> Result<(), Error> {
        let names: Vec<String> = split_fields(text)
            .map_err(|why| malformed(self.line, why))?
            .into_iter()
            .map(|name| {
                let name = name.trim();
                name.strip_prefix('`').unwrap_or(name).trim().to_owned()
            })
            .collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        let line = self.line;
        let need = |name: &str| {
            find(name).ok_or_else(|| malformed(line, format!("the header has no {name} column")))
        };
        let columns = if find("交易时间").is_some() {
            Columns::Trade(TradeColumns {
                time: need("交易时间")?,
                transaction_id: need("微信订单号")?,
                out_trade_no: need("商户订单号")?,
                status: need("交易状态")?,
                currency: find("货币种类"),
                amount: find("应结订单金额")
                    .or_else(|| find("订单金额"))
                    .ok_or_else(|| {
                        malformed(line, "the header has no 应结订单金额 or 订单金额 column")
                    })?,
                refund_id: find("微信退款单号"),
                out_refund_no: find("商户退款单号"),
                refund_amount: find("退款金额"),
                fee: find("手续费"),
                refund_success_time: find("退款成功时间"),
                refund_status: find("退款状态"),
            })
        } else if find("记账时间").is_some() {
            Columns::Fund(FundColumns {
                time: need("记账时间")?,
                business_no: need("微信支付业务单号")?,
                business_type: need("业务类型")?,
                direction: need("收支类型")?,
                amount: need("收支金额(元)")?,
                voucher: find("业务凭证号"),
            })
        } else {
            return Err(malformed(
                line,
                format!(
                    "not a WeChat Pay bill: the header has neither 交易时间 nor 记账时间 ({})",
                    paybridge_core::excerpt(text.as_bytes(), 60)
                ),
            ));
        };
        self.format = Some(match columns {
            Columns::Trade(_) => BillFormat::Trade,
            Columns::Fund(_) => BillFormat::FundFlow,
        });
        self.width = names.len();
        self.columns = Some(columns);
        Ok(())
    }

    /// One row's entry, or `None` at the summary header.
    fn row(&self, text: String) -> Result<Option<StatementEntry>, Error> {
        let line = self.line;
        let raw_fields = split_fields(&text).map_err(|why| malformed(line, why))?;
        let first = raw_fields.first().map(|f| f.trim()).unwrap_or_default();
        if !first.starts_with('`') {
            let summary = self.format.map(BillFormat::summary_header);
            if summary == Some(first) {
                return Ok(None);
            }
            return Err(malformed(
                line,
                format!(
                    "neither a row (its fields start with a backtick) nor the summary ({})",
                    summary.unwrap_or_default()
                ),
            ));
        }
        if raw_fields.len() != self.width {
            return Err(malformed(
                line,
                format!(
                    "{} fields where the header has {} (a truncated or broken line)",
                    raw_fields.len(),
                    self.width
                ),
            ));
        }
        let mut fields = Vec::with_capacity(raw_fields.len());
        for (n, field) in raw_fields.iter().enumerate() {
            let value = field.strip_prefix('`').ok_or_else(|| {
                malformed(
                    line,
                    format!("field {} does not start with a backtick", n + 1),
                )
            })?;
            fields.push(value.trim());
        }
        let get = |index: usize| fields.get(index).copied().unwrap_or_default();
        let opt = |index: Option<usize>| index.map(get).filter(|v| !v.is_empty());
        let id = |index: Option<usize>| opt(index).map(str::to_owned);
        let entry = match &self.columns {
            Some(Columns::Trade(c)) => {
                let currency = match opt(c.currency) {
                    None => Currency::Cny,
                    Some(code) => Currency::from_code(code).map_err(|_| {
                        malformed(line, format!("unknown currency {:?}", excerpt(code)))
                    })?,
                };
                let status = get(c.status);
                // A REFUND row's own state (退款状态): only SUCCESS returned the money; one still
                // PROCESSING, or closed (REFUNDCLOSE) or sent elsewhere (CHANGE), must never
                // read as a refund made — reconciliation would settle on it.
                let refund_state = opt(c.refund_status);
                let (kind, amount) = if status == "REFUND" {
                    let text = opt(c.refund_amount)
                        .ok_or_else(|| malformed(line, "a REFUND row without 退款金额"))?;
                    let kind = match refund_state {
                        None | Some("SUCCESS") => EntryKind::Refund,
                        Some(_) => EntryKind::Other,
                    };
                    (kind, amount(line, "退款金额", text, currency)?)
                } else {
                    let kind = if status == "SUCCESS" {
                        EntryKind::Payment
                    } else {
                        EntryKind::Other
                    };
                    (kind, amount(line, "订单金额", get(c.amount), currency)?)
                };
                let at_text = if status == "REFUND" {
                    opt(c.refund_success_time).unwrap_or(get(c.time))
                } else {
                    get(c.time)
                };
                let refund = status == "REFUND";
                StatementEntry {
                    kind,
                    payment: id(Some(c.transaction_id)),
                    order_ref: id(Some(c.out_trade_no)),
                    refund_id: id(c.out_refund_no.filter(|_| refund)),
                    provider_refund_id: id(c.refund_id.filter(|_| refund)),
                    amount,
                    fee: opt(c.fee).map(|t| fee(line, t, currency)).transpose()?,
                    provider_status: match (refund, refund_state) {
                        (true, Some(state)) if state != "SUCCESS" => {
                            Some(format!("REFUND {state}"))
                        }
                        _ => Some(status.to_owned()).filter(|s| !s.is_empty()),
                    },
                    at: Some(time(line, at_text)?),
                    line,
                    raw: String::new(),
                }
            }
            Some(Columns::Fund(c)) => {
                let business_type = get(c.business_type);
                let income = match get(c.direction) {
                    "收入" => true,
                    "支出" => false,
                    other => {
                        return Err(malformed(
                            line,
                            format!("收支类型 {:?} is neither 收入 nor 支出", excerpt(other)),
                        ));
                    }
                };
                let kind = if business_type.contains("退款") {
                    EntryKind::Refund
                } else if business_type.contains("手续费") {
                    EntryKind::Fee
                } else if business_type == "交易" && income {
                    EntryKind::Payment
                } else {
                    EntryKind::Other
                };
                let business_no = id(Some(c.business_no));
                let voucher = id(c.voucher);
                let refund = kind == EntryKind::Refund;
                StatementEntry {
                    kind,
                    payment: if refund { None } else { business_no.clone() },
                    order_ref: if kind == EntryKind::Payment {
                        voucher.clone()
                    } else {
                        None
                    },
                    refund_id: if refund { voucher } else { None },
                    provider_refund_id: if refund { business_no } else { None },
                    amount: amount(line, "收支金额(元)", get(c.amount), Currency::Cny)?,
                    fee: None,
                    provider_status: Some(business_type.to_owned()).filter(|s| !s.is_empty()),
                    at: Some(time(line, get(c.time))?),
                    line,
                    raw: String::new(),
                }
            }
            None => return Err(malformed(line, "a row before the header")),
        };
        Ok(Some(StatementEntry { raw: text, ..entry }))
    }

    fn step(&mut self) -> Result<Option<StatementEntry>, Error> {
        loop {
            let Some(text) = self.next_line()? else {
                return match self.stage {
                    // Nothing at all, or blank lines: the empty bill.
                    Stage::Header | Stage::Done => Ok(None),
                    Stage::Rows => Err(malformed(
                        self.line,
                        "the bill ends without its summary: truncated",
                    )),
                };
            };
            if text.trim().is_empty() {
                continue;
            }
            match self.stage {
                Stage::Header => {
                    self.header(&text)?;
                    self.stage = Stage::Rows;
                }
                Stage::Rows => {
                    return match self.row(text)? {
                        Some(entry) => Ok(Some(entry)),
                        None => {
                            // The summary is the bill's own totals, not an entry; nothing
                            // after it is read.
                            self.stage = Stage::Done;
                            Ok(None)
                        }
                    };
                }
                Stage::Done => return Ok(None),
            }
        }
    }
}

impl<R: BufRead> Iterator for BillReader<R> {
    type Item = Result<StatementEntry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stage == Stage::Done {
            return None;
        }
        match self.step() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.stage = Stage::Done;
                None
            }
            Err(error) => {
                // One error ends the bill: what follows a broken line cannot be trusted.
                self.stage = Stage::Done;
                Some(Err(error))
            }
        }
    }
}

fn excerpt(text: &str) -> String {
    paybridge_core::excerpt(text.as_bytes(), 40)
}

/// One line's fields. Unquoted fields run to the next comma; a field that starts with `"`
/// runs to its closing quote (`""` inside is one quote), as CSV writers quote.
pub(crate) fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".to_owned()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("text after a quoted field's closing quote".to_owned()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// A non-negative amount of yuan, exactly, in fen.
fn amount(line: u64, column: &str, text: &str, currency: Currency) -> Result<Money, Error> {
    let money = Money::parse(text, currency).map_err(|e| money_error(line, column, text, &e))?;
    if money.minor < 0 {
        return Err(malformed(
            line,
            format!("{column} {:?} is negative", excerpt(text)),
        ));
    }
    Ok(money)
}

/// 手续费: five decimals, exact to the fen (what is charged); negative on a refund's row (the
/// fee given back). A fee with a non-zero fraction of a fen is refused rather than rounded.
fn fee(line: u64, text: &str, currency: Currency) -> Result<Money, Error> {
    Money::parse(text, currency).map_err(|e| money_error(line, "手续费", text, &e))
}

fn money_error(line: u64, column: &str, text: &str, error: &MoneyError) -> Error {
    malformed(
        line,
        format!(
            "{column} {:?} is not an exact amount: {error}",
            excerpt(text)
        ),
    )
}

/// `YYYY-MM-DD HH:MM:SS`, Beijing time.
fn time(line: u64, text: &str) -> Result<Timestamp, Error> {
    Timestamp::parse_local(text, BEIJING_MINUTES).map_err(|_| {
        malformed(
            line,
            format!("time {:?} is not YYYY-MM-DD HH:MM:SS", excerpt(text)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_row_not_yet_successful_is_no_refund() {
        let header = "交易时间,微信订单号,商户订单号,交易状态,货币种类,应结订单金额,微信退款单号,商户退款单号,退款金额,退款状态\r\n";
        let row = |state: &str| {
            format!(
                "`2026-12-01 09:30:12,`4200001,`order-1,`REFUND,`CNY,`0.00,`5030001,`refund-1,`30.00,`{state}\r\n"
            )
        };
        let bill = format!(
            "{header}{}{}{}总交易单数\r\n`3\r\n",
            row("SUCCESS"),
            row("PROCESSING"),
            row("REFUNDCLOSE")
        );
        let entries: Vec<StatementEntry> = read_bill(bill.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        let kinds: Vec<(EntryKind, Option<&str>)> = entries
            .iter()
            .map(|e| (e.kind, e.provider_status.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                (EntryKind::Refund, Some("REFUND")),
                (EntryKind::Other, Some("REFUND PROCESSING")),
                (EntryKind::Other, Some("REFUND REFUNDCLOSE")),
            ]
        );
        // The ids stay with the line, for the record.
        assert!(
            entries
                .iter()
                .all(|e| e.refund_id.as_deref() == Some("refund-1"))
        );
    }

    #[test]
    fn fields_split_on_commas_and_quotes_are_read() {
        assert_eq!(
            split_fields("a,b,,c").unwrap_or_default(),
            ["a", "b", "", "c"]
        );
        assert_eq!(
            split_fields(r#""x,y","a""b",z"#).unwrap_or_default(),
            ["x,y", "a\"b", "z"]
        );
        assert_eq!(split_fields("").unwrap_or_default(), [""]);
        assert!(split_fields(r#""open"#).is_err());
        assert!(split_fields(r#""a"b"#).is_err());
    }

    #[test]
    fn fees_are_exact_to_the_fen_and_may_be_negative() {
        assert_eq!(
            fee(1, "0.06000", Currency::Cny).map(|m| m.minor).ok(),
            Some(6)
        );
        assert_eq!(
            fee(1, "-0.01000", Currency::Cny).map(|m| m.minor).ok(),
            Some(-1)
        );
        assert!(fee(1, "0.00600", Currency::Cny).is_err());
        assert!(amount(1, "x", "-1.00", Currency::Cny).is_err());
        assert!(amount(1, "x", "1.5e2", Currency::Cny).is_err());
        assert_eq!(
            amount(1, "x", "100.01", Currency::Cny)
                .map(|m| m.minor)
                .ok(),
            Some(10_001)
        );
    }
}
