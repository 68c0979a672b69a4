//! Bills end to end: the emulator serves a day of its ledger, the client downloads it (plain
//! and gzipped), checks it against the signed SHA-1 and reads it back; corrupted files, foreign
//! download URLs and days without a bill; the parser on a hand-written bill, on malformed
//! input, on random bytes, and on 100 000 rows read one line at a time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::io::{BufRead, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use common::*;
use paybridge_core::{
    Currency, EntryKind, Error, ProviderId, RejectionClass, StatementEntry, StatementKind,
    StatementProvider, StatementSummary, Timestamp,
};
use paybridge_emulator::{Host, NewRefund, Payment};
use paybridge_transport::test_util::{MockTransport, Scripted};
use paybridge_wechatpay::bills::read_statement;
use paybridge_wechatpay::emulator::WechatPayEmulator;
use paybridge_wechatpay::emulator::bills::sandbox_fee;
use paybridge_wechatpay::read_bill;
use paybridge_wechatpay::wire::requests::CreateRefundRequest;
use proptest::prelude::*;

/// Where the sandbox serves WeChat Pay: the test host's base URL and `/wechatpay`.
const SANDBOX_BASE: &str = "http://127.0.0.1:9/wechatpay";
/// `NOW` is 2026-12-03 20:13:20 in Beijing.
const DAY: &str = "2026-12-03";
const YESTERDAY: &str = "2026-12-02";
const BEIJING: i16 = 480;

fn at(unix: i64) -> Timestamp {
    Timestamp::from_unix(unix).unwrap()
}

/// A client of the emulator in `host`, routed as the sandbox routes (`/wechatpay/…`).
fn sandbox_client(
    emulator: Arc<WechatPayEmulator>,
    host: Arc<TestHost>,
) -> paybridge_wechatpay::WechatPayClient<MockTransport> {
    let transport = MockTransport::with_handler(move |request| {
        let (status, headers, body) =
            paybridge_emulator::test_util::respond(&*emulator, &*host, request, "/wechatpay");
        Scripted::Respond {
            status,
            headers,
            body,
        }
    });
    let mut config = config(public_key_mode());
    config.base_url = SANDBOX_BASE.into();
    paybridge_wechatpay::WechatPayClient::new(config, transport)
        .unwrap()
        .with_sources(
            Arc::new(paybridge_core::test_util::FixedClock::new(NOW)),
            Arc::new(paybridge_core::test_util::SequentialIdGenerator::starting_at(1)),
        )
}

fn paid(host: &TestHost, n: u32, amount: i64, paid_at: i64) -> Payment {
    let payment = Payment::new(
        ProviderId::WechatPay,
        format!("42000000000000000000000{n:05}"),
        format!("bill-order-{n}"),
        amount,
        Currency::Cny,
        at(paid_at),
    );
    host.pay(payment.clone());
    payment
}

/// A day of business: three payments today, one yesterday; a partial and a full refund today
/// through the client, a refund of yesterday's payment today, and one still pending.
async fn a_day(host: &Arc<TestHost>, emulator: &Arc<WechatPayEmulator>) {
    let client = sandbox_client(Arc::clone(emulator), Arc::clone(host));
    let a = paid(host, 1, 10_000, NOW - 3_600);
    let b = paid(host, 2, 2_599, NOW - 7_200);
    paid(host, 3, 1, NOW - 60);
    let yesterday = paid(host, 4, 5_000, NOW - 86_400);
    for (payment, refund_id, amount) in [
        (&a, "refund-a-1", 2_500),
        (&b, "refund-b-full", 2_599),
        (&yesterday, "refund-y-1", 1_000),
    ] {
        client
            .create_refund(&CreateRefundRequest::by_transaction_id(
                &payment.payment,
                refund_id,
                amount,
                payment.amount_minor,
            ))
            .await
            .unwrap();
    }
    host.ledger
        .apply(NewRefund {
            provider: ProviderId::WechatPay,
            payment: a.payment.clone(),
            refund_id: "refund-a-pending".into(),
            amount_minor: 100,
            callback_url: None,
            reason: None,
            one_pending_at_a_time: false,
            final_at_once: false,
            max_refunds: Some(50),
            ids_per_payment: false,
            now: host.now(),
        })
        .unwrap();
}

/// What a bill of `day` must say, from the ledger: (kind, payment, order, refund id, provider
/// refund id, fen, fee, status, unix time), sorted.
type Expected = (
    EntryKind,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

fn beijing_day(t: Timestamp) -> String {
    let (y, m, d, ..) = t.with_offset(BEIJING).unwrap().local_fields();
    format!("{y:04}-{m:02}-{d:02}")
}

/// `refund_times`: a refund row's time is when it succeeded (a REFUND bill's 退款成功时间);
/// otherwise the ALL bill's 交易时间, the payment's.
fn expected(
    host: &TestHost,
    day: &str,
    payments: bool,
    refunds: bool,
    refund_times: bool,
) -> Vec<Expected> {
    let mut out = Vec::new();
    for p in host.ledger.payments() {
        if payments && p.paid && beijing_day(p.paid_at) == day {
            out.push((
                EntryKind::Payment,
                Some(p.payment.clone()),
                Some(p.order_ref.clone()),
                None,
                None,
                p.amount_minor,
                Some(sandbox_fee(p.amount_minor)),
                Some("SUCCESS".to_owned()),
                p.paid_at.unix_seconds(),
            ));
        }
        for r in &p.refunds {
            let done = r
                .completed_at
                .filter(|_| r.status == paybridge_emulator::RefundState::Succeeded);
            if refunds && let Some(t) = done.filter(|t| beijing_day(*t) == day) {
                out.push((
                    EntryKind::Refund,
                    Some(p.payment.clone()),
                    Some(p.order_ref.clone()),
                    Some(r.refund_id.clone()),
                    Some(r.provider_refund_id.clone()),
                    r.amount_minor,
                    Some(sandbox_fee(-r.amount_minor)),
                    Some("REFUND".to_owned()),
                    if refund_times {
                        t.unix_seconds()
                    } else {
                        p.paid_at.unix_seconds()
                    },
                ));
            }
        }
    }
    out.sort();
    out
}

fn seen(entries: &[StatementEntry]) -> Vec<Expected> {
    let mut out: Vec<Expected> = entries
        .iter()
        .map(|e| {
            (
                e.kind,
                e.payment.clone(),
                e.order_ref.clone(),
                e.refund_id.clone(),
                e.provider_refund_id.clone(),
                e.amount.minor,
                e.fee.map(|f| f.minor),
                e.provider_status.clone(),
                e.at.unwrap().unix_seconds(),
            )
        })
        .collect();
    out.sort();
    out
}

fn read_all(bytes: &[u8]) -> Vec<StatementEntry> {
    read_statement(Box::new(Cursor::new(bytes.to_vec())))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

#[tokio::test]
async fn a_days_trade_bill_matches_the_ledger_plain_and_gzipped() {
    let host = Arc::new(TestHost::new(NOW));
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    a_day(&host, &emulator).await;
    let client = sandbox_client(Arc::clone(&emulator), Arc::clone(&host));

    let gz = client
        .download_statement(DAY, StatementKind::Trade)
        .await
        .unwrap();
    assert_eq!(gz.media_type, "application/gzip");
    assert!(!gz.empty);
    assert_eq!(gz.bytes[..2], [0x1F, 0x8B]);
    let plain = client
        .download_bill(DAY, StatementKind::Trade, false)
        .await
        .unwrap();
    assert_eq!(plain.media_type, "text/csv");
    // The documented shape: BOM, CRLF, backticks.
    assert!(
        plain
            .bytes
            .starts_with(b"\xEF\xBB\xBF\xE4\xBA\xA4\xE6\x98\x93\xE6\x97\xB6\xE9\x97\xB4,")
    );
    assert!(plain.bytes.ends_with(b"\r\n"));
    let text = String::from_utf8(plain.bytes.clone()).unwrap();
    assert_eq!(text.matches("\r\n").count(), text.matches('\n').count());
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("`{DAY} "))
    );
    assert_eq!(gunzip(&gz.bytes), plain.bytes);

    let want = expected(&host, DAY, true, true, false);
    // 3 payments today, 3 final refunds today (the pending one and yesterday's payment are not
    // rows), all found in the ledger.
    assert_eq!(want.len(), 6, "{want:#?}");
    for statement in [&gz, &plain] {
        let entries = read_all(&statement.bytes);
        assert_eq!(seen(&entries), want);
        let mut summary = StatementSummary::default();
        for e in &entries {
            summary.add("wechatpay", e).unwrap();
            assert_eq!(e.amount.currency, Currency::Cny);
            assert!(e.raw.starts_with('`'));
            assert!(e.line >= 2);
        }
        assert_eq!(summary.rows[&EntryKind::Payment], 3);
        assert_eq!(summary.rows[&EntryKind::Refund], 3);
        assert_eq!(
            summary.total(EntryKind::Payment, Currency::Cny),
            10_000 + 2_599 + 1
        );
        assert_eq!(
            summary.total(EntryKind::Refund, Currency::Cny),
            2_500 + 2_599 + 1_000
        );
    }
    // Read through the trait too, as the CLI reads a file.
    let through_trait: Vec<_> = client
        .read_statement(Box::new(Cursor::new(gz.bytes.clone())))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(seen(&through_trait), want);
    assert_eq!(
        client.statement_kinds(),
        &[
            StatementKind::Trade,
            StatementKind::Refund,
            StatementKind::Fund
        ]
    );

    // Yesterday: its one payment, no refunds (the refund of it became final today).
    let yesterday = client
        .download_bill(YESTERDAY, StatementKind::Trade, false)
        .await
        .unwrap();
    let entries = read_all(&yesterday.bytes);
    assert_eq!(
        seen(&entries),
        expected(&host, YESTERDAY, true, true, false)
    );
    assert_eq!(entries.len(), 1);
}

#[tokio::test]
async fn the_refund_bill_and_the_fund_flow_match_the_ledger() {
    let host = Arc::new(TestHost::new(NOW));
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    a_day(&host, &emulator).await;
    let client = sandbox_client(Arc::clone(&emulator), Arc::clone(&host));

    let refunds = client
        .download_statement(DAY, StatementKind::Refund)
        .await
        .unwrap();
    let entries = read_all(&refunds.bytes);
    assert_eq!(seen(&entries), expected(&host, DAY, false, true, true));
    let text = String::from_utf8(gunzip(&refunds.bytes)).unwrap();
    assert!(text.lines().next().unwrap().contains("退款成功时间"));

    let fund = client
        .download_statement(DAY, StatementKind::Fund)
        .await
        .unwrap();
    let entries = read_all(&fund.bytes);
    let mut summary = StatementSummary::default();
    for e in &entries {
        summary.add("wechatpay", e).unwrap();
    }
    let fees: i64 = [10_000, 2_599, 1].into_iter().map(sandbox_fee).sum();
    assert_eq!(summary.total(EntryKind::Payment, Currency::Cny), 12_600);
    assert_eq!(summary.total(EntryKind::Refund, Currency::Cny), 6_099);
    assert_eq!(summary.total(EntryKind::Fee, Currency::Cny), fees);
    assert_eq!(summary.rows[&EntryKind::Payment], 3);
    assert_eq!(summary.rows[&EntryKind::Refund], 3);
    let refund = entries
        .iter()
        .find(|e| e.refund_id.as_deref() == Some("refund-y-1"))
        .unwrap();
    assert!(refund.provider_refund_id.is_some());
    assert_eq!(refund.amount.minor, 1_000);
    let payment = entries
        .iter()
        .find(|e| e.kind == EntryKind::Payment && e.amount.minor == 10_000)
        .unwrap();
    assert_eq!(payment.order_ref.as_deref(), Some("bill-order-1"));
}

#[tokio::test]
async fn a_corrupted_download_is_refused_as_unverified() {
    let host = Arc::new(TestHost::new(NOW));
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false).with_corrupt_bills(true));
    a_day(&host, &emulator).await;
    let client = sandbox_client(Arc::clone(&emulator), Arc::clone(&host));
    for gzip in [true, false] {
        for kind in [StatementKind::Trade, StatementKind::Fund] {
            let result = client.download_bill(DAY, kind, gzip).await;
            assert!(
                matches!(result, Err(Error::Verification { .. })),
                "{kind:?} gzip={gzip}: {result:?}"
            );
        }
    }
}

/// A transport answering the bill call with a signed answer of our making, and counting.
fn answering_bill_with(
    emulator: Arc<WechatPayEmulator>,
    status: u16,
    body: serde_json::Value,
) -> MockTransport {
    MockTransport::with_handler(move |_request| {
        let body = serde_json::to_vec(&body).unwrap();
        let mut headers = http::HeaderMap::new();
        for (name, value) in emulator.sign(at(NOW), &body).unwrap() {
            headers.insert(name, value.parse().unwrap());
        }
        headers.insert("content-type", "application/json".parse().unwrap());
        Scripted::Respond {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers,
            body: Bytes::from(body),
        }
    })
}

#[tokio::test]
async fn a_download_url_on_another_host_is_refused_before_sending() {
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    for url in [
        "https://evil.example/v3/billdownload/file?token=1",
        "http://127.0.0.1:9/v3/billdownload/file?token=1",
        "https://api.mch.weixin.test.evil.example/v3/billdownload/file",
    ] {
        let transport = answering_bill_with(
            Arc::clone(&emulator),
            200,
            serde_json::json!({
                "hash_type": "SHA1",
                "hash_value": "79bb0d8b1a3e0f8a4e3e6a3a2c1b5f2d0e9c8b7a",
                "download_url": url,
            }),
        );
        let client = client(public_key_mode(), transport);
        let result = client.download_bill(DAY, StatementKind::Trade, true).await;
        assert!(
            matches!(result, Err(Error::Verification { .. })),
            "{url}: {result:?}"
        );
        // The bill call only: the signed download never went out.
        assert_eq!(client.transport().request_count(), 1, "{url}");
    }
}

#[tokio::test]
async fn a_day_without_a_bill_is_an_empty_statement() {
    let host = Arc::new(TestHost::new(NOW));
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    let client = sandbox_client(Arc::clone(&emulator), Arc::clone(&host));
    for kind in [
        StatementKind::Trade,
        StatementKind::Refund,
        StatementKind::Fund,
    ] {
        let statement = client.download_statement(DAY, kind).await.unwrap();
        assert!(statement.empty, "{kind:?}");
        assert!(statement.bytes.is_empty());
        assert_eq!(statement.date, DAY);
        assert_eq!(statement.kind, kind);
        assert!(read_all(&statement.bytes).is_empty());
    }
    // A bad date is refused before anything is sent.
    let result = client
        .download_statement("2026-02-30", StatementKind::Trade)
        .await;
    assert!(
        matches!(result, Err(Error::InvalidRequest { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_bill_being_made_is_a_retryable_refusal_not_an_empty_one() {
    let emulator = Arc::new(emulator(PUBLIC_KEY_ID, false));
    let transport = answering_bill_with(
        emulator,
        400,
        serde_json::json!({"code": "STATEMENT_CREATING", "message": "账单生成中"}),
    );
    let client = client(public_key_mode(), transport);
    let result = client.download_statement(DAY, StatementKind::Trade).await;
    match result {
        Err(error @ Error::Rejected { .. }) => {
            assert!(error.is_retryable());
            let Error::Rejected { code, class, .. } = error else {
                unreachable!()
            };
            assert_eq!(code.as_str(), "STATEMENT_CREATING");
            assert_eq!(class, RejectionClass::Retryable);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_hand_written_bill_reads_as_documented() {
    let bytes = std::fs::read(data("tradebill-all.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let entries: Vec<_> = read_bill(Cursor::new(&bytes))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(entries.len(), 3);
    let [pay, refund, small] = &entries[..] else {
        unreachable!()
    };
    assert_eq!(pay.kind, EntryKind::Payment);
    assert_eq!(pay.payment.as_deref(), Some("4200001234202612011234567890"));
    assert_eq!(pay.order_ref.as_deref(), Some("order-1001"));
    assert_eq!(pay.refund_id, None);
    assert_eq!(pay.amount.minor, 10_000);
    assert_eq!(pay.fee.unwrap().minor, 60);
    assert_eq!(pay.provider_status.as_deref(), Some("SUCCESS"));
    let t = pay.at.unwrap();
    assert_eq!(t.offset_minutes(), BEIJING);
    assert_eq!(t.to_rfc3339(), "2026-12-01T09:30:12+08:00");
    assert_eq!(pay.line, 2);
    assert!(
        pay.raw
            .starts_with("`2026-12-01 09:30:12,`wxd678efh567hg6787,")
    );
    assert!(!pay.raw.ends_with('\r'));

    assert_eq!(refund.kind, EntryKind::Refund);
    assert_eq!(refund.amount.minor, 3_000);
    assert_eq!(refund.fee.unwrap().minor, -18);
    assert_eq!(refund.refund_id.as_deref(), Some("refund-1001-a"));
    assert_eq!(
        refund.provider_refund_id.as_deref(),
        Some("50300000012026120100000001")
    );
    assert_eq!(
        refund.payment.as_deref(),
        Some("4200001234202612011234567890")
    );
    assert_eq!(refund.line, 3);

    // A quoted field with a comma inside reads as one field.
    assert_eq!(small.amount.minor, 1);
    assert_eq!(small.fee.unwrap().minor, 0);
    assert_eq!(small.line, 4);
    assert_eq!(small.at.unwrap().to_rfc3339(), "2026-12-01T23:59:59+08:00");

    // The same bill with LF line ends and without the BOM reads the same.
    let text = String::from_utf8(bytes[3..].to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    let again: Vec<_> = read_bill(Cursor::new(text.into_bytes()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(seen(&again), seen(&entries));
}

/// The first error reading `bill`, with its message.
fn first_error(bill: &[u8]) -> String {
    let mut reader = read_bill(Cursor::new(bill.to_vec()));
    for item in reader.by_ref() {
        if let Err(error) = item {
            assert!(
                matches!(error, Error::MalformedResponse { .. }),
                "{error:?}"
            );
            // One error ends the bill.
            assert!(reader.next().is_none());
            return error.to_string();
        }
    }
    panic!("no error in {:?}", String::from_utf8_lossy(bill));
}

fn fixture_with(line: usize, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let text = String::from_utf8(std::fs::read(data("tradebill-all.csv")).unwrap()).unwrap();
    let lines: Vec<String> = text
        .split("\r\n")
        .enumerate()
        .map(|(n, l)| if n + 1 == line { edit(l) } else { l.to_owned() })
        .collect();
    lines.join("\r\n").into_bytes()
}

#[test]
fn malformed_bills_are_typed_errors_naming_the_line() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bad amount",
            fixture_with(2, |l| l.replace("`100.00", "`100.0O")),
            "bill line 2:",
        ),
        (
            "three decimals",
            fixture_with(2, |l| l.replacen("`100.00", "`100.001", 1)),
            "bill line 2:",
        ),
        (
            "sub-fen fee",
            fixture_with(3, |l| l.replace("`-0.18000", "`-0.18001")),
            "bill line 3:",
        ),
        (
            "missing column",
            fixture_with(1, |l| l.replace("商户订单号", "商户单号")),
            "bill line 1: the header has no 商户订单号 column",
        ),
        (
            "truncated line",
            fixture_with(3, |l| l[..l.len() / 2].to_owned()),
            "bill line 3:",
        ),
        (
            "no backtick",
            fixture_with(4, |l| l.replacen('`', "", 1)),
            "bill line 4:",
        ),
        (
            "bad time",
            fixture_with(2, |l| {
                l.replacen("2026-12-01 09:30:12", "2026-12-01 25:30:12", 1)
            }),
            "bill line 2: time",
        ),
        (
            "unknown currency",
            fixture_with(2, |l| l.replace("`CNY", "`XXX")),
            "bill line 2: unknown currency",
        ),
        (
            "refund without amount",
            fixture_with(3, |l| l.replace("`30.00", "`")),
            "bill line 3: a REFUND row without 退款金额",
        ),
        (
            "non-UTF-8",
            {
                let mut bytes = fixture_with(99, str::to_owned);
                let at = bytes.windows(8).position(|w| w == b"order-10").unwrap();
                bytes[at] = 0xFF;
                bytes
            },
            "bill line 2: not UTF-8",
        ),
        (
            "truncated file",
            {
                let text = String::from_utf8(fixture_with(99, str::to_owned)).unwrap();
                text.split("\r\n")
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("\r\n")
                    .into_bytes()
            },
            "bill line 3: the bill ends without its summary",
        ),
        (
            "not a bill",
            b"hello,world\r\n1,2\r\n".to_vec(),
            "bill line 1: not a WeChat Pay bill",
        ),
        (
            "unclosed quote",
            fixture_with(2, |l| format!("\"{l}")),
            "bill line 2: a quoted field is not closed",
        ),
        (
            "an endless line",
            {
                let mut bytes = fixture_with(99, str::to_owned);
                let at = bytes.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
                bytes.splice(at..at, std::iter::repeat_n(b'`', 70_000));
                bytes
            },
            "bill line 2: longer than",
        ),
    ];
    for (what, bill, expected) in cases {
        let message = first_error(&bill);
        assert!(message.contains(expected), "{what}: {message}");
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for item in read_bill(Cursor::new(&bytes)).take(10_000) {
            if let Err(e) = item {
                prop_assert!(matches!(e, Error::MalformedResponse { .. }), "{:?}", e);
            }
        }
    }

    #[test]
    fn mutated_bills_never_panic(
        at in 0usize..1400,
        byte in any::<u8>(),
        cut in 0usize..1400,
    ) {
        let mut bytes = std::fs::read(data("tradebill-all.csv")).unwrap();
        if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
        bytes.truncate(cut.max(1));
        for item in read_bill(Cursor::new(&bytes)) {
            if let Err(e) = item {
                prop_assert!(matches!(e, Error::MalformedResponse { .. }), "{:?}", e);
            }
        }
    }
}

/// A bill of `rows` rows, made one line at a time as the reader asks: it never holds more than
/// the line being read, and counts the lines it has made.
struct Generated {
    rows: u64,
    next: u64,
    line: Vec<u8>,
    pos: usize,
    made: Arc<AtomicU64>,
}

impl Generated {
    fn make(&mut self) {
        let n = self.next;
        self.line.clear();
        self.pos = 0;
        let text = if n == 0 {
            "\u{feff}交易时间,微信订单号,商户订单号,交易状态,货币种类,应结订单金额,手续费\r\n"
                .to_owned()
        } else if n <= self.rows {
            format!(
                "`2026-12-01 10:00:00,`4200{n:024},`order-{n},`SUCCESS,`CNY,`{}.{:02},`0.00000\r\n",
                n / 100,
                n % 100
            )
        } else if n == self.rows + 1 {
            "总交易单数,应结订单总金额\r\n".to_owned()
        } else if n == self.rows + 2 {
            "`0,`0.00\r\n".to_owned()
        } else {
            return;
        };
        self.line.extend_from_slice(text.as_bytes());
        self.next += 1;
        self.made.fetch_add(1, Ordering::SeqCst);
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Generated {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.line.len() {
            self.make();
        }
        Ok(&self.line[self.pos..])
    }
    fn consume(&mut self, amount: usize) {
        self.pos += amount;
    }
}

#[test]
fn a_hundred_thousand_rows_stream_one_line_at_a_time() {
    const ROWS: u64 = 100_000;
    let made = Arc::new(AtomicU64::new(0));
    let source = Generated {
        rows: ROWS,
        next: 0,
        line: Vec::new(),
        pos: 0,
        made: Arc::clone(&made),
    };
    let mut count = 0u64;
    let mut total = 0i64;
    for entry in read_bill(source) {
        let entry = entry.unwrap();
        count += 1;
        total += entry.amount.minor;
        // Row `count` is line `count + 1`: the reader has asked for no line beyond it.
        assert_eq!(entry.line, count + 1);
        assert!(made.load(Ordering::SeqCst) <= count + 1);
    }
    assert_eq!(count, ROWS);
    assert_eq!(total, i64::try_from(ROWS * (ROWS + 1) / 2).unwrap());
    // The summary header ends the rows; the summary row itself is never read.
    assert_eq!(made.load(Ordering::SeqCst), ROWS + 2);
}
