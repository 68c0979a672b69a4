//! Alipay bills end to end against the emulator (download, integrity, reading), and the
//! streaming reader over hand-made, malformed, random and very long input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::sync::Arc;

use common::*;
use paybridge_alipay::bills::{self, BillType, refund_rows};
use paybridge_alipay::emulator::AlipayEmulator;
use paybridge_alipay::{
    AlipayClient, AlipayConfig, AlipayKeys, alipay_time, read_bill_csv, read_zip,
};
use paybridge_core::test_util::{FixedClock, SequentialIdGenerator};
use paybridge_core::{
    Currency, EntryKind, Error, MerchantRefundId, Money, OrderRef, PaymentRef, ProviderId,
    RefundProvider, RefundRequest, StatementEntry, StatementKind, StatementProvider,
    StatementSummary, Timestamp, TransportErrorKind,
};
use paybridge_emulator::Payment;
use paybridge_transport::test_util::{MockTransport, Scripted};

/// The sandbox's base as the emulator's test host names it: bill links point under it.
const SANDBOX: &str = "http://127.0.0.1:9/alipay";

fn sandbox_client(transport: MockTransport) -> AlipayClient<MockTransport> {
    let mut config = AlipayConfig::new(
        SANDBOX,
        APP_ID,
        app_key(),
        AlipayKeys::public_key(alipay_public()),
    );
    config.retry = fast_retry();
    AlipayClient::new(config, transport).unwrap().with_sources(
        Arc::new(FixedClock::new(NOW)),
        Arc::new(SequentialIdGenerator::starting_at(1)),
    )
}

/// A client whose requests (the gateway and the bill downloads) `emulator` answers, as the
/// sandbox routes them under `/alipay`.
fn wired_sandbox(
    emulator: Arc<AlipayEmulator>,
    host: Arc<TestHost>,
) -> AlipayClient<MockTransport> {
    sandbox_client(MockTransport::with_handler(move |request| {
        let (status, headers, body) =
            paybridge_emulator::test_util::respond(&*emulator, &*host, request, "/alipay");
        Scripted::Respond {
            status,
            headers,
            body,
        }
    }))
}

/// Today in Beijing, `YYYY-MM-DD`.
fn today() -> String {
    alipay_time(Timestamp::from_unix(NOW).unwrap())[..10].to_owned()
}

fn refund(trade: &str, order: &str, total: i64, id: &str, amount: i64) -> RefundRequest {
    RefundRequest::builder(
        MerchantRefundId::new(id).unwrap(),
        Money::new(amount, Currency::Cny),
    )
    .payment(PaymentRef::new(trade).unwrap())
    .order_ref(OrderRef::new(order).unwrap())
    .total(Money::new(total, Currency::Cny))
    .build()
    .unwrap()
}

/// A day of trading: three payments today (one refunded in part, one in full), one yesterday.
async fn trading_day() -> (Arc<TestHost>, AlipayClient<MockTransport>) {
    let host = Arc::new(host()); // TRADE, 100.00, paid a minute ago
    let paid = |n: u64, amount: i64, ago: i64| {
        Payment::new(
            ProviderId::Alipay,
            format!("202612032200100000000000010{n}"),
            format!("order-{n}"),
            amount,
            Currency::Cny,
            Timestamp::from_unix(NOW - ago).unwrap(),
        )
    };
    host.pay(paid(2, 2_550, 3_600));
    host.pay(paid(3, 1, 7_200));
    host.pay(paid(4, 99_999, 86_400)); // yesterday: not in today's bill
    let client = wired_sandbox(Arc::new(emulator(None, false)), Arc::clone(&host));
    client
        .refund(&refund(TRADE, ORDER, 10_000, "refund-partial", 3_000))
        .await
        .unwrap();
    client
        .refund(&refund(
            "2026120322001000000000000102",
            "order-2",
            2_550,
            "refund-full",
            2_550,
        ))
        .await
        .unwrap();
    (host, client)
}

/// What today's bill must say, from the ledger: (kind, trade_no, out_trade_no, refund id, fen).
fn expected_from_ledger(
    host: &TestHost,
) -> BTreeSet<(EntryKind, String, String, Option<String>, i64)> {
    use paybridge_emulator::Host;
    let day = today();
    let in_day = |t: Timestamp| alipay_time(t).starts_with(&day);
    let mut expected = BTreeSet::new();
    for p in host.ledger().payments() {
        if p.paid && in_day(p.paid_at) {
            expected.insert((
                EntryKind::Payment,
                p.payment.clone(),
                p.order_ref.clone(),
                None,
                p.amount_minor,
            ));
        }
        for r in &p.refunds {
            if r.completed_at.is_some_and(in_day) {
                expected.insert((
                    EntryKind::Refund,
                    p.payment.clone(),
                    p.order_ref.clone(),
                    Some(r.refund_id.clone()),
                    r.amount_minor,
                ));
            }
        }
    }
    expected
}

fn read_all(client: &AlipayClient<MockTransport>, bytes: &[u8]) -> Vec<StatementEntry> {
    client
        .read_statement(Box::new(Cursor::new(bytes.to_vec())))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[tokio::test]
async fn a_days_trade_bill_matches_the_ledger_to_the_fen() {
    let (host, client) = trading_day().await;
    let statement = client
        .download_statement(&today(), StatementKind::Trade)
        .await
        .unwrap();
    assert!(!statement.empty);
    assert_eq!(statement.media_type, "application/zip");
    assert_eq!(statement.kind, StatementKind::Trade);
    // The zip as sent: the download is the second request, an unsigned GET under the sandbox.
    let sent = client.transport().requests();
    assert_eq!(sent.len(), 4, "two refunds, the link, the download");
    assert_eq!(sent[3].method(), http::Method::GET);
    assert!(
        sent[3]
            .uri()
            .to_string()
            .starts_with("http://127.0.0.1:9/alipay/bill/")
    );

    let entries = read_all(&client, &statement.bytes);
    let got: BTreeSet<_> = entries
        .iter()
        .map(|e| {
            (
                e.kind,
                e.payment.clone().unwrap(),
                e.order_ref.clone().unwrap(),
                e.refund_id.clone(),
                e.amount.minor,
            )
        })
        .collect();
    assert_eq!(entries.len(), 5);
    assert_eq!(got, expected_from_ledger(&host));
    assert_eq!(
        got.iter().filter(|g| g.0 == EntryKind::Refund).count(),
        2,
        "a partial and a full refund"
    );
    for entry in &entries {
        assert_eq!(entry.amount.currency, Currency::Cny);
        assert!(entry.amount.minor > 0);
        assert_eq!(entry.at.unwrap().offset_minutes(), 480);
        assert!(
            entry.line > 5,
            "rows come after the comments and the header"
        );
        assert_eq!(entry.fee, Some(Money::new(0, Currency::Cny)));
    }
    let mut summary = StatementSummary::default();
    for entry in &entries {
        summary.add("alipay", entry).unwrap();
    }
    assert_eq!(summary.rows[&EntryKind::Payment], 3);
    assert_eq!(
        summary.total(EntryKind::Payment, Currency::Cny),
        10_000 + 2_550 + 1
    );
    assert_eq!(
        summary.total(EntryKind::Refund, Currency::Cny),
        3_000 + 2_550
    );

    // Alipay has no refund bill: the trade bill's refund rows are the refunds.
    let refunds: Vec<_> = refund_rows(entries.into_iter().map(Ok))
        .collect::<Result<_, Error>>()
        .unwrap();
    assert_eq!(refunds.len(), 2);
    assert!(matches!(
        client
            .download_statement(&today(), StatementKind::Refund)
            .await,
        Err(Error::InvalidRequest { .. })
    ));
    assert_eq!(
        client.statement_kinds(),
        &[StatementKind::Trade, StatementKind::Fund]
    );
}

#[tokio::test]
async fn the_fund_flow_and_the_month_bill_add_up_too() {
    let (host, client) = trading_day().await;
    let fund = client
        .download_statement(&today(), StatementKind::Fund)
        .await
        .unwrap();
    let entries = read_all(&client, &fund.bytes);
    let got: BTreeSet<_> = entries
        .iter()
        .map(|e| {
            (
                e.kind,
                e.payment.clone().unwrap(),
                e.order_ref.clone().unwrap(),
                e.amount.minor,
            )
        })
        .collect();
    let expected: BTreeSet<_> = expected_from_ledger(&host)
        .into_iter()
        .map(|(k, p, o, _, a)| (k, p, o, a))
        .collect();
    assert_eq!(got, expected);

    // The month's bill holds yesterday's payment as well (when yesterday is in this month).
    let month = &today()[..7];
    let bytes = client
        .download_bill(BillType::Trade, month)
        .await
        .unwrap()
        .unwrap();
    let entries = read_all(&client, &bytes);
    let yesterday = alipay_time(Timestamp::from_unix(NOW - 86_400).unwrap());
    let extra = usize::from(yesterday.starts_with(month));
    assert_eq!(entries.len(), 5 + extra);
}

#[tokio::test]
async fn a_corrupted_bill_is_refused_and_yields_no_entry() {
    let host = Arc::new(host());
    let emulator = Arc::new(emulator(None, false).with_corrupt_bills(true));
    let client = wired_sandbox(Arc::clone(&emulator), Arc::clone(&host));
    let error = client
        .download_statement(&today(), StatementKind::Trade)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Verification { .. }), "{error:?}");

    // The same damaged bytes, read from a file: refused before any entry is handed out.
    let reply = client
        .bill_download_url(&paybridge_alipay::wire::requests::BillDownloadUrlQuery {
            bill_type: "trade".into(),
            bill_date: today(),
        })
        .await
        .unwrap();
    let link = reply.bill_download_url.unwrap();
    let get = http::Request::get(link).body(bytes::Bytes::new()).unwrap();
    let (status, _, damaged) =
        paybridge_emulator::test_util::respond(&*emulator, &*host, &get, "/alipay");
    assert_eq!(status, 200);
    match read_zip(Cursor::new(damaged.to_vec())) {
        Err(Error::Verification { .. }) => {}
        other => panic!(
            "expected a verification error, got {:?}",
            other.map(|e| e.count())
        ),
    }
    assert!(matches!(
        bills::verify_bill_zip(&damaged),
        Err(Error::Verification { .. })
    ));

    // And the undamaged bill from an honest emulator reads.
    let honest = Arc::new(emulator_plain());
    let (_, _, sound) = paybridge_emulator::test_util::respond(&*honest, &*host, &get, "/alipay");
    assert!(bills::verify_bill_zip(&sound).is_ok());
    assert_eq!(read_zip(Cursor::new(sound.to_vec())).unwrap().count(), 1);
}

fn emulator_plain() -> AlipayEmulator {
    emulator(None, false)
}

#[tokio::test]
async fn a_link_to_another_host_is_refused_before_sending() {
    let alipay = emulator_plain();
    for link in [
        "https://evil.example/bill.zip",
        "http://127.0.0.1:10/alipay/bill/x",
        "https://127.0.0.1:9/alipay/bill/x",
    ] {
        let reply = alipay
            .reply(
                "alipay.data.dataservice.bill.downloadurl.query",
                &serde_json::json!({"code": "10000", "msg": "Success", "bill_download_url": link}),
            )
            .unwrap();
        let client = sandbox_client(MockTransport::scripted([Scripted::json(200, reply)]));
        let error = client
            .download_statement(&today(), StatementKind::Trade)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Transport {
                    kind: TransportErrorKind::InvalidUrl,
                    ..
                }
            ),
            "{link}: {error:?}"
        );
        assert_eq!(
            client.transport().request_count(),
            1,
            "{link}: only the query went out"
        );
    }
}

#[tokio::test]
async fn a_day_without_a_bill_is_an_empty_statement() {
    let host = Arc::new(host());
    let client = wired_sandbox(Arc::new(emulator_plain()), host);
    let day = alipay_time(Timestamp::from_unix(NOW - 10 * 86_400).unwrap())[..10].to_owned();
    let statement = client
        .download_statement(&day, StatementKind::Trade)
        .await
        .unwrap();
    assert!(statement.empty);
    assert!(statement.bytes.is_empty());
    assert_eq!(statement.date, day);
    assert_eq!(client.transport().request_count(), 1, "no download");
    // A date that is not one is refused before anything is sent.
    assert!(matches!(
        client
            .download_statement("2026-13-01", StatementKind::Trade)
            .await,
        Err(Error::InvalidRequest { .. })
    ));
    assert_eq!(client.transport().request_count(), 1);
}

#[test]
fn the_documented_format_reads_exactly() {
    let file = std::fs::File::open(data("alipay_trade_bill_detail.csv")).unwrap();
    let entries: Vec<_> = read_bill_csv(BufReader::new(file))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        entries.len(),
        3,
        "the blank line and the totals are no rows"
    );
    let cny = |minor| Money::new(minor, Currency::Cny);
    let first = &entries[0];
    assert_eq!(first.kind, EntryKind::Payment);
    assert_eq!(
        first.payment.as_deref(),
        Some("2026120322001400001000000001")
    );
    assert_eq!(first.order_ref.as_deref(), Some("order-0001"));
    assert_eq!(first.refund_id, None);
    assert_eq!(first.amount, cny(3_250));
    assert_eq!(first.fee, Some(cny(20)));
    assert_eq!(first.provider_status.as_deref(), Some("交易"));
    assert_eq!(first.at.unwrap().to_rfc3339(), "2026-12-03T09:15:09+08:00");
    assert_eq!(first.line, 6);
    assert!(first.raw.contains("咖啡, 大杯"));
    let refund = &entries[2];
    assert_eq!(refund.kind, EntryKind::Refund);
    assert_eq!(
        refund.payment.as_deref(),
        Some("2026120322001400001000000002")
    );
    assert_eq!(refund.refund_id.as_deref(), Some("refund-0002-a"));
    assert_eq!(refund.amount, cny(4_000));
    assert_eq!(refund.fee, Some(cny(24)));
    assert_eq!(refund.line, 8);
    assert_eq!(entries[1].amount, cny(10_000));
}

/// The fixture's header and one row, with `row` in its place, in GBK.
fn with_row(row: &str) -> Vec<u8> {
    let fixture = std::fs::read(data("alipay_trade_bill_detail.csv")).unwrap();
    let text = encoding_rs::GBK.decode(&fixture).0.into_owned();
    let header: Vec<&str> = text.lines().take(5).collect();
    let mut out = header.join("\n");
    out.push('\n');
    out.push_str(row);
    out.push('\n');
    encoding_rs::GBK.encode(&out).0.into_owned()
}

fn first_error(bytes: &[u8]) -> Error {
    read_bill_csv(Cursor::new(bytes.to_vec()))
        .find_map(Result::err)
        .expect("an error")
}

fn assert_malformed_at(bytes: &[u8], line: u64, why: &str) {
    match first_error(bytes) {
        Error::MalformedResponse { reason, .. } => {
            assert!(reason.contains(&format!("line {line}")), "{why}: {reason}");
        }
        other => panic!("{why}: {other:?}"),
    }
}

const GOOD_ROW: &str = "2026120322001400001000000009,order-9,交易,茶,2026-12-03 10:00:00,2026-12-03 10:00:03,,,,,139****0000,100.00,100.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.60,0.00,";

#[test]
fn malformed_bills_give_typed_errors_with_their_line() {
    assert!(read_bill_csv(Cursor::new(with_row(GOOD_ROW))).all(|e| e.is_ok()));
    assert_malformed_at(
        &with_row(&GOOD_ROW.replace("100.00,100.00", "1.005,100.00")),
        6,
        "three decimals",
    );
    assert_malformed_at(
        &with_row(&GOOD_ROW.replace("100.00,100.00", "1e2,100.00")),
        6,
        "an exponent",
    );
    assert_malformed_at(
        &with_row(&GOOD_ROW.replace("100.00,100.00", "-100.00,100.00")),
        6,
        "a negative payment",
    );
    assert_malformed_at(
        &with_row(&GOOD_ROW.replace("10:00:03", "25:00:03")),
        6,
        "a bad time",
    );
    assert_malformed_at(&with_row(&GOOD_ROW[..60]), 6, "a truncated line");
    assert_malformed_at(
        &with_row("\"2026120322001400001000000009,order-9"),
        6,
        "an open quote",
    );
    let mut not_gbk = with_row(GOOD_ROW);
    let at = not_gbk.len() - 20;
    not_gbk[at] = 0xFF;
    assert_malformed_at(&not_gbk, 6, "invalid GBK");
    // A header without a column the reader needs.
    let text = encoding_rs::GBK
        .decode(&with_row(GOOD_ROW))
        .0
        .replace("商户订单号", "订单号");
    assert_malformed_at(&encoding_rs::GBK.encode(&text).0, 5, "a missing column");
    // Nothing but comments: no header.
    assert_malformed_at(b"#only a comment\n", 1, "no header");
    // A line past the limit.
    let long = "9".repeat(bills::MAX_LINE_BYTES + 10);
    assert_malformed_at(&with_row(&long), 6, "an endless line");
    // The first error ends the reading.
    let mut twice = with_row("x,y").to_vec();
    twice.extend(encoding_rs::GBK.encode(GOOD_ROW).0.iter());
    let mut reader = read_bill_csv(Cursor::new(twice));
    assert!(reader.next().unwrap().is_err());
    assert!(reader.next().is_none());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
        for entry in read_bill_csv(Cursor::new(bytes.clone())) {
            let _ = entry;
        }
        let _ = read_zip(Cursor::new(bytes.clone())).map(Iterator::count);
        let _ = bills::verify_bill_zip(&bytes);
    }

    #[test]
    fn damaged_fixtures_never_panic(at in 0usize..1325, byte in proptest::prelude::any::<u8>()) {
        let mut bytes = std::fs::read(data("alipay_trade_bill_detail.csv")).unwrap();
        if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
        for entry in read_bill_csv(Cursor::new(bytes)).flatten() {
            proptest::prop_assert!(entry.amount.minor >= 0);
        }
    }
}

/// A detail CSV of `rows` rows, made a line at a time as it is read: never all in memory.
struct Generated {
    rows: u64,
    next: u64,
    line: Vec<u8>,
    at: usize,
}

impl Generated {
    fn new(rows: u64) -> Generated {
        let mut head = String::from("#支付宝业务明细查询\n");
        head.push_str(
            "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号,服务费（元）,备注\n",
        );
        Generated {
            rows,
            next: 0,
            line: encoding_rs::GBK.encode(&head).0.into_owned(),
            at: 0,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(buf.len());
            buf[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Generated {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at == self.line.len() && self.next <= self.rows {
            let n = self.next;
            let text = if n == self.rows {
                "#交易合计：...\n".to_owned()
            } else if n % 10 == 9 {
                format!(
                    "2026{n:024},o{n},退款,商品,2026-12-03 10:00:00,2026-12-03 10:00:01,-{}.{:02},-1.00,r{n}\t,0.01,\n",
                    n % 1000,
                    n % 100
                )
            } else {
                format!(
                    "2026{n:024},o{n},交易,商品,2026-12-03 10:00:00,2026-12-03 10:00:01,{}.{:02},1.00,,-0.01,\n",
                    n % 1000,
                    n % 100
                )
            };
            self.line = encoding_rs::GBK.encode(&text).0.into_owned();
            self.at = 0;
            self.next += 1;
        }
        Ok(&self.line[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.line.len());
    }
}

#[test]
fn a_hundred_thousand_rows_stream_through_in_bounded_memory() {
    const ROWS: u64 = 100_000;
    let mut summary = StatementSummary::default();
    let mut expected_payments = 0i64;
    let mut expected_refunds = 0i64;
    for n in 0..ROWS {
        let minor = i64::try_from((n % 1000) * 100 + n % 100).unwrap();
        if n % 10 == 9 {
            expected_refunds += minor;
        } else {
            expected_payments += minor;
        }
    }
    let mut count = 0u64;
    let mut last_line = 0;
    for entry in read_bill_csv(Generated::new(ROWS)) {
        let entry = entry.unwrap();
        summary.add("alipay", &entry).unwrap();
        count += 1;
        last_line = entry.line;
    }
    assert_eq!(count, ROWS);
    assert_eq!(last_line, ROWS + 2);
    assert_eq!(summary.rows[&EntryKind::Refund], ROWS / 10);
    assert_eq!(
        summary.total(EntryKind::Payment, Currency::Cny),
        expected_payments
    );
    assert_eq!(
        summary.total(EntryKind::Refund, Currency::Cny),
        expected_refunds
    );
}
