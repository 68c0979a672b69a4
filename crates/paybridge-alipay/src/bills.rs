//! Alipay's bills (对账单): where to download one (`alipay.data.dataservice.bill.downloadurl.query`,
//! a signed call like every other), the download itself (an unsigned `GET` of the link it
//! answers, allowed only to the gateway's own host or Alipay's bill host), the zip's integrity
//! (its structure and every entry's CRC: no digest comes with the link), and a streaming reader
//! of the detail CSV (GBK, `#` comments, a header row, padded fields) into the unified
//! [`StatementEntry`].
//!
//! Everything but [`AlipayClient::download_bill`] is a pure function over bytes or readers,
//! so it can be tested and fuzzed without a network. A day without a bill is answered
//! `40004 isp.bill_not_exist`: an empty statement, not an error.

use std::io::{BufRead, Read, Seek, SeekFrom};

use bytes::Bytes;
use paybridge_core::{
    Currency, DownloadedStatement, EntryKind, Error, Money, StatementEntries, StatementEntry,
    StatementKind, StatementProvider, StatementSource, Timestamp,
};
use paybridge_transport::{BaseUrl, Transport};

use crate::AlipayClient;
use crate::codec::{PROVIDER, SHANGHAI_OFFSET_MINUTES};
use crate::codes;
use crate::wire::requests::BillDownloadUrlQuery;
use crate::wire::responses::BillDownloadUrlResponse;

/// What a downloaded bill is.
pub const BILL_MEDIA_TYPE: &str = "application/zip";

/// The longest line the reader takes, in bytes: a detail row is a few hundred; anything longer
/// is not Alipay's bill, and bounding it keeps memory bounded whatever the input.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The host Alipay's production gateway hands bill links out on. Its links are written
/// `http://`; they are fetched over `https://` (the same host serves both), since nothing on
/// the download is signed and TLS is all that authenticates it.
pub const ALIPAY_BILL_HOST: &str = "dwbillcenter.alipay.com";

/// The production gateway's host, whose bill links live on [`ALIPAY_BILL_HOST`].
const ALIPAY_GATEWAY_HOST: &str = "openapi.alipay.com";

/// Which of Alipay's bills (`bill_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BillType {
    /// `trade`: every payment (业务类型 交易) and refund (退款) of the period.
    Trade,
    /// `signcustomer`: the account's fund flow (income and expenses, 12 columns).
    SignCustomer,
}

impl BillType {
    /// The `bill_type` Alipay takes.
    pub const fn as_str(self) -> &'static str {
        match self {
            BillType::Trade => "trade",
            BillType::SignCustomer => "signcustomer",
        }
    }

    /// The bill a unified statement kind is read from. Alipay publishes no refund bill: refunds
    /// are the trade bill's 退款 rows.
    pub const fn for_kind(kind: StatementKind) -> BillType {
        match kind {
            StatementKind::Trade | StatementKind::Refund => BillType::Trade,
            StatementKind::Fund => BillType::SignCustomer,
        }
    }
}

/// The statements Alipay publishes, in the unified model. `Refund` is not one of them: there is
/// no refund bill ([`refund_rows`] keeps the trade bill's refunds).
pub const STATEMENT_KINDS: &[StatementKind] = &[StatementKind::Trade, StatementKind::Fund];

fn malformed(reason: impl Into<String>) -> Error {
    Error::malformed(PROVIDER, None, reason)
}

fn refused(reason: impl Into<String>) -> Error {
    Error::Verification {
        provider: PROVIDER,
        reason: reason.into(),
    }
}

fn invalid_url(message: String) -> Error {
    Error::Transport {
        kind: paybridge_core::TransportErrorKind::InvalidUrl,
        delivery: paybridge_core::Delivery::NotSent,
        message,
    }
}

/// The URI a bill link may be fetched from, or a refusal before anything is sent: the link is
/// in a signed reply, but it is followed blindly, so it may only lead to the gateway's own
/// scheme and host (the sandbox: the configured base, `http` to loopback included) or, from
/// Alipay's production gateway, to [`ALIPAY_BILL_HOST`] over `https`.
///
/// # Errors
/// [`Error::Transport`] (`InvalidUrl`, nothing sent) when the link is not a URL, carries
/// credentials, or points anywhere else.
pub fn bill_download_uri(base: &BaseUrl, link: &str) -> Result<http::Uri, Error> {
    if paybridge_transport::carries_credentials(link) {
        return Err(invalid_url(
            "the bill link carries credentials; refused".into(),
        ));
    }
    let uri: http::Uri = link
        .parse()
        .map_err(|_| invalid_url("the bill link is not a URL".into()))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(invalid_url("the bill link is not an absolute URL".into()));
    };
    let gateway = base.to_string();
    let gateway_scheme = gateway.split_once("://").map_or("", |(s, _)| s);
    if scheme.eq_ignore_ascii_case(gateway_scheme)
        && authority.as_str().eq_ignore_ascii_case(base.authority())
    {
        paybridge_transport::check_url(&uri)?;
        return Ok(uri);
    }
    let production = base.authority().eq_ignore_ascii_case(ALIPAY_GATEWAY_HOST);
    if production
        && matches!(scheme, "http" | "https")
        && authority.as_str().eq_ignore_ascii_case(ALIPAY_BILL_HOST)
    {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let secure: http::Uri = format!("https://{ALIPAY_BILL_HOST}{path}")
            .parse()
            .map_err(|_| invalid_url("the bill link's path is not a URL path".into()))?;
        return Ok(secure);
    }
    Err(invalid_url(format!(
        "the bill link points to {scheme}://{authority}, not to the gateway {gateway} (or \
         Alipay's bill host); refused before sending"
    )))
}

/// Checks a bill zip as downloaded: its structure, and every entry's CRC (each entry inflated
/// to nowhere). Alipay sends no digest with the link, so this is the whole integrity check.
///
/// # Errors
/// [`Error::Verification`] when it is not a sound zip or an entry fails its CRC.
pub fn verify_bill_zip(bytes: &[u8]) -> Result<(), Error> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| refused(format!("the bill is not a sound zip: {e}")))?;
    check_entries(&mut archive).map(|_| ())
}

/// Where the detail entry's data lies in the zip, and what it must inflate to.
struct DetailEntry {
    data_start: u64,
    compressed_size: u64,
    size: u64,
    crc32: u32,
    deflated: bool,
}

/// Whether an entry's name (GBK without the zip's UTF-8 flag, as Alipay writes it, or UTF-8)
/// is a bill's detail file: `…_业务明细.csv` (trade) or `…_账务明细.csv` (fund flow), not the
/// `(汇总)` summary.
fn is_detail_name(raw: &[u8]) -> bool {
    let name = match std::str::from_utf8(raw) {
        Ok(utf8) => std::borrow::Cow::Borrowed(utf8),
        Err(_) => encoding_rs::GBK.decode_without_bom_handling(raw).0,
    };
    name.ends_with("业务明细.csv") || name.ends_with("账务明细.csv")
}

/// Inflates every entry through its CRC check, and finds the one detail entry.
fn check_entries<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
) -> Result<Option<DetailEntry>, Error> {
    let mut detail = None;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| refused(format!("bill zip entry {index}: {e}")))?;
        std::io::copy(&mut entry, &mut std::io::sink())
            .map_err(|e| refused(format!("bill zip entry {index} fails its check: {e}")))?;
        if entry.is_file() && is_detail_name(entry.name_raw()) {
            if detail.is_some() {
                return Err(malformed("the bill zip holds two detail files"));
            }
            let deflated = match entry.compression() {
                zip::CompressionMethod::Stored => false,
                zip::CompressionMethod::Deflated => true,
                other => {
                    return Err(malformed(format!(
                        "the bill's detail file is compressed with {other:?}"
                    )));
                }
            };
            detail = Some(DetailEntry {
                data_start: entry.data_start(),
                compressed_size: entry.compressed_size(),
                size: entry.size(),
                crc32: entry.crc32(),
                deflated,
            });
        }
    }
    Ok(detail)
}

/// The error a stream's CRC or length check raises, told apart from other I/O errors so the
/// reader reports it as [`Error::Verification`].
#[derive(Debug)]
struct IntegrityError(String);

impl std::fmt::Display for IntegrityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IntegrityError {}

/// Checks what passes through against the entry's CRC-32 and size, at its end.
struct CrcReader<R> {
    inner: R,
    crc: flate2::Crc,
    read: u64,
    crc32: u32,
    size: u64,
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(buf.get(..n).unwrap_or_default());
        self.read = self.read.saturating_add(n as u64);
        let bad =
            |why: String| std::io::Error::new(std::io::ErrorKind::InvalidData, IntegrityError(why));
        if self.read > self.size {
            return Err(bad(
                "the detail file is longer than its zip entry says".into()
            ));
        }
        if n == 0 && !buf.is_empty() {
            if self.read != self.size {
                return Err(bad(
                    "the detail file is shorter than its zip entry says".into()
                ));
            }
            if self.crc.sum() != self.crc32 {
                return Err(bad("the detail file fails its CRC".into()));
            }
        }
        Ok(n)
    }
}

/// The entries of a bill zip, streamed from its detail file.
pub type BillEntries<'a> = BillCsv<std::io::BufReader<Box<dyn Read + Send + 'a>>>;

/// Reads a bill zip (as downloaded, or from the file it was saved to): checks every entry's CRC
/// first — so a damaged bill yields no entry at all — then streams the detail entry
/// (`…_业务明细.csv`, whose name is GBK without the zip's UTF-8 flag; the summary may come
/// first) through [`read_bill_csv`], inflating and checking it again as it goes.
///
/// # Errors
/// [`Error::MalformedResponse`] when it is not a zip or holds no detail file;
/// [`Error::Verification`] when an entry fails its CRC or cannot be inflated.
pub fn read_zip<'a, R: Read + Seek + Send + 'a>(source: R) -> Result<BillEntries<'a>, Error> {
    let mut archive = zip::ZipArchive::new(source)
        .map_err(|e| malformed(format!("not an Alipay bill (a zip): {e}")))?;
    let detail = check_entries(&mut archive)?
        .ok_or_else(|| malformed("the bill zip holds no detail file (…_业务明细.csv)"))?;
    let mut source = archive.into_inner();
    source
        .seek(SeekFrom::Start(detail.data_start))
        .map_err(|e| malformed(format!("reading the bill zip: {e}")))?;
    let compressed = source.take(detail.compressed_size);
    let inflated: Box<dyn Read + Send + 'a> = if detail.deflated {
        Box::new(flate2::read::DeflateDecoder::new(compressed))
    } else {
        Box::new(compressed)
    };
    let checked: Box<dyn Read + Send + 'a> = Box::new(CrcReader {
        inner: inflated,
        crc: flate2::Crc::new(),
        read: 0,
        crc32: detail.crc32,
        size: detail.size,
    });
    Ok(read_bill_csv(std::io::BufReader::new(checked)))
}

/// Keeps only a trade bill's refunds (业务类型 退款) — what Alipay has instead of a refund bill —
/// and any error.
pub fn refund_rows<I>(entries: I) -> impl Iterator<Item = Result<StatementEntry, Error>>
where
    I: Iterator<Item = Result<StatementEntry, Error>>,
{
    entries.filter(|entry| match entry {
        Ok(entry) => entry.kind == EntryKind::Refund,
        Err(_) => true,
    })
}

/// Which bill the header row is of, and where each column it reads is.
#[derive(Clone, Debug)]
enum Columns {
    /// The trade bill's detail.
    Trade {
        trade_no: usize,
        out_trade_no: usize,
        kind: usize,
        amount: usize,
        created: Option<usize>,
        finished: Option<usize>,
        fee: Option<usize>,
        refund_id: Option<usize>,
    },
    /// The fund flow (`signcustomer`).
    Fund {
        trade_no: Option<usize>,
        out_trade_no: Option<usize>,
        kind: usize,
        income: usize,
        expense: usize,
        at: Option<usize>,
    },
}

/// A header name with Alipay's full-width brackets made ASCII, so `订单金额（元）` and
/// `订单金额(元)` are the same column.
fn column_name(field: &str) -> String {
    field
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect()
}

impl Columns {
    fn from_header(fields: &[String], line: u64) -> Result<(Columns, usize), Error> {
        let names: Vec<String> = fields.iter().map(|f| column_name(f)).collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                malformed(format!("bill line {line}: the header has no column {name}"))
            })
        };
        let columns = if find("业务类型").is_some() && find("订单金额(元)").is_some() {
            Columns::Trade {
                trade_no: need("支付宝交易号")?,
                out_trade_no: need("商户订单号")?,
                kind: need("业务类型")?,
                amount: need("订单金额(元)")?,
                created: find("创建时间"),
                finished: find("完成时间"),
                fee: find("服务费(元)"),
                refund_id: find("退款批次号/请求号"),
            }
        } else if find("收入金额(+元)").is_some() {
            Columns::Fund {
                // The fund flow names the trade in 业务流水号.
                trade_no: find("支付宝交易号").or_else(|| find("业务流水号")),
                out_trade_no: find("商户订单号"),
                kind: need("业务类型")?,
                income: need("收入金额(+元)")?,
                expense: need("支出金额(-元)")?,
                at: find("发生时间"),
            }
        } else {
            return Err(malformed(format!(
                "bill line {line}: not a bill's header (no 业务类型 and 订单金额（元）, nor \
                 收入金额（+元）)"
            )));
        };
        Ok((columns, names.len()))
    }
}

/// Where the reader stands.
#[derive(Debug)]
enum State {
    /// Comments before the header row.
    Preamble,
    /// Rows, under this header of this many columns.
    Rows(Columns, usize),
    /// After the trailing `#` totals, an error, or the end.
    Done,
}

/// The streaming reader of one bill CSV: see [`read_bill_csv`].
#[derive(Debug)]
pub struct BillCsv<R> {
    reader: R,
    line: u64,
    state: State,
    buffer: Vec<u8>,
}

/// Reads one bill CSV (GBK) line by line — in memory bounded by [`MAX_LINE_BYTES`] — into
/// [`StatementEntry`]s: `#` comments skipped, the header row read for its columns (by name),
/// every field trimmed of the spaces and tabs Alipay pads with, 业务类型 交易 a payment and 退款
/// a refund (its negative amount made positive), times in Beijing time; it stops at the
/// trailing `#` totals. A fund-flow (`signcustomer`) header is read the same way: 收入 and
/// 支出 rows by their 业务类型.
///
/// The first error (with its line number) ends the iteration: a bill with a bad line is not
/// read past it.
pub fn read_bill_csv<R: BufRead>(reader: R) -> BillCsv<R> {
    BillCsv {
        reader,
        line: 0,
        state: State::Preamble,
        buffer: Vec::new(),
    }
}

/// Splits one CSV line into trimmed fields; a field may be quoted (`""` a quote inside).
fn split_fields(text: &str, line: u64) -> Result<Vec<String>, Error> {
    let mut fields = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut field = String::new();
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(malformed(format!(
                            "bill line {line}: a quoted field is not closed"
                        )));
                    }
                }
            }
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => {
                    return Err(malformed(format!(
                        "bill line {line}: text after a quoted field"
                    )));
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_matches([' ', '\t']).to_owned());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim_matches([' ', '\t']).to_owned());
        }
    }
}

/// A yuan amount as the bill writes it (`-30.00`), exactly, in fen.
fn yuan(text: &str, column: &str, line: u64) -> Result<Money, Error> {
    Money::parse(text, Currency::Cny)
        .map_err(|e| malformed(format!("bill line {line}: {column} {text:?}: {e}")))
}

/// A Beijing time as the bill writes it (`2026-12-03 10:20:30`); an empty field is none.
fn beijing(text: &str, column: &str, line: u64) -> Result<Option<Timestamp>, Error> {
    if text.is_empty() {
        return Ok(None);
    }
    Timestamp::parse_local(text, SHANGHAI_OFFSET_MINUTES)
        .map(Some)
        .map_err(|e| malformed(format!("bill line {line}: {column} {text:?}: {e}")))
}

fn some(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn positive(amount: Money, line: u64) -> Result<Money, Error> {
    amount
        .minor
        .checked_abs()
        .map(|minor| Money::new(minor, amount.currency))
        .ok_or_else(|| malformed(format!("bill line {line}: the amount overflows")))
}

impl Columns {
    fn entry(&self, fields: &[String], line: u64, raw: &str) -> Result<StatementEntry, Error> {
        let at = |index: usize| fields.get(index).map_or("", String::as_str);
        let opt = |index: Option<usize>| index.map_or("", |i| at(i));
        match self {
            Columns::Trade {
                trade_no,
                out_trade_no,
                kind,
                amount,
                created,
                finished,
                fee,
                refund_id,
            } => {
                let word = at(*kind);
                let signed = yuan(at(*amount), "订单金额（元）", line)?;
                let kind = match word {
                    "交易" if signed.minor >= 0 => EntryKind::Payment,
                    "退款" if signed.minor <= 0 => EntryKind::Refund,
                    "交易" | "退款" => {
                        return Err(malformed(format!(
                            "bill line {line}: a {word} row of {} yuan (wrong sign)",
                            signed.to_decimal_string()
                        )));
                    }
                    _ => EntryKind::Other,
                };
                let fee = match opt(*fee) {
                    "" => None,
                    text => Some(positive(yuan(text, "服务费（元）", line)?, line)?),
                };
                let finished = beijing(opt(*finished), "完成时间", line)?;
                let created = beijing(opt(*created), "创建时间", line)?;
                Ok(StatementEntry {
                    kind,
                    payment: some(at(*trade_no)),
                    order_ref: some(at(*out_trade_no)),
                    refund_id: some(opt(*refund_id)).filter(|_| kind == EntryKind::Refund),
                    provider_refund_id: None,
                    amount: positive(signed, line)?,
                    fee,
                    provider_status: some(word),
                    at: finished.or(created),
                    line,
                    raw: raw.to_owned(),
                })
            }
            Columns::Fund {
                trade_no,
                out_trade_no,
                kind,
                income,
                expense,
                at: when,
            } => {
                let word = at(*kind);
                let income = match at(*income) {
                    "" => Money::zero(Currency::Cny),
                    text => yuan(text, "收入金额（+元）", line)?,
                };
                let expense = match at(*expense) {
                    "" => Money::zero(Currency::Cny),
                    text => yuan(text, "支出金额（-元）", line)?,
                };
                let (amount, outgoing) = match (income.minor, expense.minor) {
                    (_, 0) => (income, false),
                    (0, _) => (expense, true),
                    _ => {
                        return Err(malformed(format!(
                            "bill line {line}: both an income and an expense"
                        )));
                    }
                };
                let kind = match (word, outgoing) {
                    ("在线支付" | "交易付款" | "交易", false) => EntryKind::Payment,
                    ("交易退款" | "退款", true) => EntryKind::Refund,
                    ("收费" | "服务费", _) => EntryKind::Fee,
                    _ => EntryKind::Other,
                };
                Ok(StatementEntry {
                    kind,
                    payment: some(opt(*trade_no)),
                    order_ref: some(opt(*out_trade_no)),
                    refund_id: None,
                    provider_refund_id: None,
                    amount: positive(amount, line)?,
                    fee: None,
                    provider_status: some(word),
                    at: beijing(opt(*when), "发生时间", line)?,
                    line,
                    raw: raw.to_owned(),
                })
            }
        }
    }
}

impl<R: BufRead> BillCsv<R> {
    /// The next line, decoded, without its line ending; `None` at the end.
    fn next_line(&mut self) -> Result<Option<String>, Error> {
        self.buffer.clear();
        let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX);
        let n = (&mut self.reader)
            .take(limit.saturating_add(1))
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| {
                let line = self.line.saturating_add(1);
                if e.get_ref()
                    .is_some_and(|inner| inner.is::<IntegrityError>())
                {
                    refused(format!("bill line {line}: {e}"))
                } else {
                    malformed(format!("bill line {line}: {e}"))
                }
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.line = self.line.saturating_add(1);
        if self.buffer.len() > MAX_LINE_BYTES {
            return Err(malformed(format!(
                "bill line {}: longer than {MAX_LINE_BYTES} bytes",
                self.line
            )));
        }
        let mut bytes = self.buffer.as_slice();
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            bytes = rest;
        }
        encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(std::borrow::Cow::into_owned)
            .map(Some)
            .ok_or_else(|| malformed(format!("bill line {}: not GBK text", self.line)))
    }

    fn step(&mut self) -> Result<Option<StatementEntry>, Error> {
        loop {
            let Some(text) = self.next_line()? else {
                return match self.state {
                    State::Preamble => Err(malformed(format!(
                        "bill line {}: the bill ends before its header row",
                        self.line
                    ))),
                    _ => Ok(None),
                };
            };
            let trimmed = text.trim_matches([' ', '\t']);
            if trimmed.is_empty() {
                continue;
            }
            let line = self.line;
            if trimmed.starts_with('#') {
                if matches!(self.state, State::Rows(..)) {
                    // The trailing `#` lines are the totals: the rows are over.
                    return Ok(None);
                }
                continue;
            }
            let fields = split_fields(&text, line)?;
            match &self.state {
                State::Preamble => {
                    let (columns, width) = Columns::from_header(&fields, line)?;
                    self.state = State::Rows(columns, width);
                }
                State::Rows(columns, width) => {
                    let extra = fields.get(*width..).unwrap_or_default();
                    if fields.len() < *width || extra.iter().any(|f| !f.is_empty()) {
                        return Err(malformed(format!(
                            "bill line {line}: {} fields, the header has {width}",
                            fields.len()
                        )));
                    }
                    return columns.entry(&fields, line, &text).map(Some);
                }
                State::Done => return Ok(None),
            }
        }
    }
}

impl<R: BufRead> Iterator for BillCsv<R> {
    type Item = Result<StatementEntry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if matches!(self.state, State::Done) {
            return None;
        }
        match self.step() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(error) => {
                self.state = State::Done;
                Some(Err(error))
            }
        }
    }
}

/// Checks a bill date: `YYYY-MM-DD` (a day) or `YYYY-MM` (a month).
fn bill_date(date: &str) -> Result<(), Error> {
    let bytes = date.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let month_ok = digits(5..7)
        && date
            .get(5..7)
            .and_then(|m| m.parse::<u8>().ok())
            .is_some_and(|m| (1..=12).contains(&m));
    let ok = match bytes.len() {
        7 => digits(0..4) && bytes.get(4) == Some(&b'-') && month_ok,
        10 => {
            digits(0..4)
                && bytes.get(4) == Some(&b'-')
                && month_ok
                && bytes.get(7) == Some(&b'-')
                && Timestamp::parse_local(&format!("{date} 00:00:00"), 0).is_ok()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "bill_date",
            format!("{date:?} is not YYYY-MM-DD or YYYY-MM"),
        ))
    }
}

impl<T: Transport> AlipayClient<T> {
    /// `alipay.data.dataservice.bill.downloadurl.query`: the link to a bill (valid about 30
    /// seconds).
    ///
    /// # Errors
    /// As [`AlipayClient::call`]; `isp.bill_not_exist` is a [`Error::Rejected`] (see
    /// [`AlipayClient::download_bill`], which reads it as an empty bill).
    pub async fn bill_download_url(
        &self,
        query: &BillDownloadUrlQuery,
    ) -> Result<BillDownloadUrlResponse, Error> {
        bill_date(&query.bill_date)?;
        if query.bill_type.is_empty() || !query.bill_type.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(Error::invalid(
                "bill_type",
                "a bill type is Alipay's lower-case word (trade, signcustomer)",
            ));
        }
        self.call(query).await
    }

    /// Downloads the `bill_type` bill of `bill_date` (`YYYY-MM-DD` or `YYYY-MM`): asks for its
    /// link, fetches it (only from the gateway's host or Alipay's bill host: see
    /// [`bill_download_uri`]) and checks the zip ([`verify_bill_zip`]). `None`: Alipay has no
    /// bill for that date (`isp.bill_not_exist`).
    ///
    /// # Errors
    /// As [`AlipayClient::bill_download_url`]; [`Error::Transport`] when the link is refused or
    /// the download fails; [`Error::MalformedResponse`] for an HTTP error;
    /// [`Error::Verification`] when the zip is damaged.
    pub async fn download_bill(
        &self,
        bill_type: BillType,
        bill_date: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        let query = BillDownloadUrlQuery {
            bill_type: bill_type.as_str().to_owned(),
            bill_date: bill_date.to_owned(),
        };
        let reply = match self.bill_download_url(&query).await {
            Ok(reply) => reply,
            Err(Error::Rejected { code, .. }) if code == codes::BILL_NOT_EXIST => return Ok(None),
            Err(error) => return Err(error),
        };
        let link = reply
            .bill_download_url
            .filter(|l| !l.is_empty())
            .ok_or_else(|| malformed("the reply has no bill_download_url"))?;
        let uri = bill_download_uri(self.codec().base_url(), &link)?;
        let mut request = http::Request::new(Bytes::new());
        *request.uri_mut() = uri;
        let response = self.transport().send(request).await?;
        if !response.status().is_success() {
            return Err(Error::malformed(
                PROVIDER,
                Some(response.status().as_u16()),
                format!(
                    "the bill download answered HTTP {}: {}",
                    response.status(),
                    paybridge_core::excerpt(response.body(), 120)
                ),
            ));
        }
        let bytes = response.into_body().to_vec();
        verify_bill_zip(&bytes)?;
        Ok(Some(bytes))
    }
}

#[async_trait::async_trait]
impl<T: Transport> StatementProvider for AlipayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn statement_kinds(&self) -> &'static [StatementKind] {
        STATEMENT_KINDS
    }

    /// The day's `trade` (or, for [`StatementKind::Fund`], `signcustomer`) bill zip, checked.
    /// Alipay publishes no refund bill: [`StatementKind::Refund`] is refused, pointing at the
    /// trade bill (whose 退款 rows [`refund_rows`] keeps).
    async fn download_statement(
        &self,
        date: &str,
        kind: StatementKind,
    ) -> Result<DownloadedStatement, Error> {
        if kind == StatementKind::Refund {
            return Err(Error::invalid(
                "kind",
                "alipay publishes no refund bill: its refunds are the trade bill's 退款 rows; \
                 download the trade statement",
            ));
        }
        let bytes = self.download_bill(BillType::for_kind(kind), date).await?;
        Ok(DownloadedStatement {
            provider: PROVIDER,
            date: date.to_owned(),
            kind,
            empty: bytes.is_none(),
            bytes: bytes.unwrap_or_default(),
            media_type: BILL_MEDIA_TYPE,
        })
    }

    fn read_statement<'a>(
        &self,
        source: Box<dyn StatementSource + 'a>,
    ) -> Result<StatementEntries<'a>, Error> {
        Ok(Box::new(read_zip(source)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_may_be_quoted() {
        let fields = split_fields(" a\t, \"b,\"\"c\"\" \" ,\t,d", 1).unwrap();
        assert_eq!(fields, ["a", "b,\"c\" ", "", "d"]);
        assert!(split_fields("\"open", 3).is_err());
        assert!(split_fields("\"a\"b", 3).is_err());
    }

    #[test]
    fn bill_dates_are_days_or_months() {
        for ok in ["2026-12-03", "2026-12", "2024-02-29"] {
            assert!(bill_date(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-13",
            "2026-12-32",
            "20261203",
            "2026-1-03",
            "",
            "2025-02-29",
        ] {
            assert!(bill_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_go_only_to_the_gateway_or_alipays_bill_host() {
        let production = BaseUrl::parse("https://openapi.alipay.com").unwrap();
        let uri = bill_download_uri(
            &production,
            "http://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&x=1",
        )
        .unwrap();
        assert_eq!(
            uri.to_string(),
            "https://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&x=1"
        );
        assert!(bill_download_uri(&production, "https://openapi.alipay.com/bill/1").is_ok());
        for bad in [
            "http://openapi.alipay.com/bill/1",
            "https://evil.example/bill.zip",
            "https://user@openapi.alipay.com/bill",
            "ftp://openapi.alipay.com/bill",
            "/relative",
        ] {
            assert!(bill_download_uri(&production, bad).is_err(), "{bad}");
        }
        let sandbox = BaseUrl::parse("http://127.0.0.1:9/alipay").unwrap();
        assert!(bill_download_uri(&sandbox, "http://127.0.0.1:9/alipay/bill/x").is_ok());
        assert!(bill_download_uri(&sandbox, "http://127.0.0.2:9/alipay/bill/x").is_err());
        assert!(bill_download_uri(&sandbox, "http://dwbillcenter.alipay.com/x").is_err());
    }
}
