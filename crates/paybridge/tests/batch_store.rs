//! One contract for every batch store, run against SQLite and (where `PAYBRIDGE_TEST_POSTGRES`
//! names a database, as `.ci/run` does) PostgreSQL: claims are exclusive, a dead run's rows are
//! taken over once its lease ends, only the holder records an outcome, what was sent is kept;
//! and a property over random CSV bytes: a file is refused with nothing sent, or every row is
//! sent with exactly the amount its text says.
#![cfg(feature = "batch")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use paybridge::batch::input::BatchFile;
use paybridge::batch::run::{BatchOptions, run_batch};
use paybridge::batch::{
    BatchStore, Claim, ClaimFor, Owner, RowState, RowWrite, Settled, SqliteBatchStore, Step,
};
use paybridge::{
    Currency, Error, MerchantRefundId, Money, PaymentRef, Refund, RefundLookup, RefundProvider,
    RefundRequest, RefundStatus,
};
use proptest::prelude::*;

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pb-bstore-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("batch.journal")
}

fn request(id: &str, minor: i64) -> RefundRequest {
    RefundRequest::builder(
        MerchantRefundId::new(id).unwrap(),
        Money::new(minor, Currency::Thb),
    )
    .payment(PaymentRef::new("CU1").unwrap())
    .build()
    .unwrap()
}

fn settled(state: RowState) -> Settled {
    Settled {
        state,
        reason: "test".into(),
        error_kind: None,
        refund: None,
    }
}

/// The contract, against `store`.
async fn contract(store: Arc<dyn BatchStore>) {
    let a = Owner::new("run-a", Duration::from_secs(30));
    let b = Owner::new("run-b", Duration::from_secs(30));
    let first = request("c1", 100);
    store
        .record_intents("bluepay", &[(2, &first)])
        .await
        .unwrap();

    // A claims and moves the row to sending, storing what it sends.
    let claim = store
        .claim("bluepay", "c1", &a, ClaimFor::Send(&first))
        .await
        .unwrap();
    assert!(
        matches!(&claim, Claim::Taken { prior: RowState::Intent, step: Step::Send, request: Some(r), .. } if r.amount.minor == 100),
        "{claim:?}"
    );
    let row = store.get("bluepay", "c1").await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (RowState::Sending, 1));
    assert_eq!(row.claim.as_ref().unwrap().owner, "run-a");

    // B finds it held, and cannot record an outcome for it.
    let edited = request("c1", 999);
    assert_eq!(
        store
            .claim("bluepay", "c1", &b, ClaimFor::Send(&edited))
            .await
            .unwrap(),
        Claim::Held { by: "run-a".into() }
    );
    let lost = store
        .settle("bluepay", "c1", &b, &settled(RowState::Refused))
        .await
        .unwrap_err();
    assert_eq!(
        lost.kind(),
        paybridge::batch::StoreErrorKind::ClaimLost,
        "{lost}"
    );
    // Re-recording the file does not touch a row that was sent.
    store
        .record_intents("bluepay", &[(2, &edited)])
        .await
        .unwrap();
    assert_eq!(
        store
            .get("bluepay", "c1")
            .await
            .unwrap()
            .unwrap()
            .request
            .unwrap()
            .amount
            .minor,
        100
    );

    // A settles; the row is free and final.
    store
        .settle("bluepay", "c1", &a, &settled(RowState::Succeeded))
        .await
        .unwrap();
    let row = store.get("bluepay", "c1").await.unwrap().unwrap();
    assert_eq!((row.state, row.claim), (RowState::Succeeded, None));
    assert_eq!(
        store
            .claim("bluepay", "c1", &b, ClaimFor::Send(&edited))
            .await
            .unwrap(),
        Claim::Final(RowState::Succeeded)
    );

    // A run that dies holding a row: with a short lease, another takes it over and resumes it
    // by the request that was sent, not by the file's.
    let dying = Owner::new("run-dead", Duration::from_secs(1));
    let second = request("c2", 200);
    store
        .record_intents("bluepay", &[(3, &second)])
        .await
        .unwrap();
    store
        .claim("bluepay", "c2", &dying, ClaimFor::Send(&second))
        .await
        .unwrap();
    assert!(matches!(
        store
            .claim("bluepay", "c2", &b, ClaimFor::Send(&edited))
            .await
            .unwrap(),
        Claim::Held { .. }
    ));
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let taken = store
        .claim("bluepay", "c2", &b, ClaimFor::Send(&request("c2", 250)))
        .await
        .unwrap();
    assert!(
        matches!(&taken, Claim::Taken { prior: RowState::Sending, step: Step::Resume, took_over_from: Some(f), request: Some(r) } if f == "run-dead" && r.amount.minor == 200),
        "{taken:?}"
    );
    // The dead run, back, may not record.
    assert!(
        store
            .settle("bluepay", "c2", &dying, &settled(RowState::Refused))
            .await
            .is_err()
    );
    store
        .settle("bluepay", "c2", &b, &settled(RowState::Unknown))
        .await
        .unwrap();

    // A live run's heartbeat keeps its claims past the lease.
    let live = Owner::new("run-live", Duration::from_secs(1));
    let third = request("c3", 300);
    store
        .record_intents("bluepay", &[(4, &third)])
        .await
        .unwrap();
    store
        .claim("bluepay", "c3", &live, ClaimFor::Send(&third))
        .await
        .unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        store.renew(&live).await.unwrap();
    }
    assert!(matches!(
        store
            .claim("bluepay", "c3", &b, ClaimFor::Send(&third))
            .await
            .unwrap(),
        Claim::Held { .. }
    ));
    store.release("bluepay", "c3", &live).await.unwrap();

    // Settling never sends what was never sent: an intent row is claimed for a look-up only.
    let fourth = request("c4", 400);
    store
        .record_intents("bluepay", &[(5, &fourth)])
        .await
        .unwrap();
    let look = store
        .claim("bluepay", "c4", &b, ClaimFor::Settle)
        .await
        .unwrap();
    assert!(
        matches!(
            look,
            Claim::Taken {
                step: Step::LookUpOnly,
                ..
            }
        ),
        "{look:?}"
    );
    assert_eq!(
        store.get("bluepay", "c4").await.unwrap().unwrap().state,
        RowState::Intent
    );
    store.release("bluepay", "c4", &b).await.unwrap();
    // An invalid row is recorded unless it was sent.
    assert!(
        store
            .record_invalid("bluepay", "c4", 5, "bad")
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_invalid("bluepay", "c1", 2, "bad")
            .await
            .unwrap()
    );
    assert_eq!(
        store.get("bluepay", "c1").await.unwrap().unwrap().state,
        RowState::Succeeded
    );
    assert_eq!(
        store
            .claim("bluepay", "nope", &b, ClaimFor::Settle)
            .await
            .unwrap(),
        Claim::Absent
    );

    // Many runs racing for many rows: each row is taken by exactly one.
    let rows: Vec<RefundRequest> = (0..60)
        .map(|i| request(&format!("race{i}"), 1 + i))
        .collect();
    let refs: Vec<(u64, &RefundRequest)> = rows.iter().map(|r| (1, r)).collect();
    store.record_intents("nomad", &refs).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for run in 0..4 {
        let (store, rows) = (Arc::clone(&store), rows.clone());
        tasks.spawn(async move {
            let owner = Owner::new(format!("racer-{run}"), Duration::from_secs(30));
            let mut won = 0;
            for r in &rows {
                if let Claim::Taken { .. } = store
                    .claim("nomad", r.refund_id().as_str(), &owner, ClaimFor::Send(r))
                    .await
                    .unwrap()
                {
                    won += 1;
                }
            }
            won
        });
    }
    let mut total = 0;
    while let Some(won) = tasks.join_next().await {
        total += won.unwrap();
    }
    assert_eq!(total, 60, "every row taken exactly once");
    let all = store.all("nomad").await.unwrap();
    assert!(
        all.iter()
            .all(|r| r.state == RowState::Sending && r.attempts == 1)
    );
}

/// `write_rows`, as a run's workers use it: each row's outcome and its next claim, several rows
/// at once, each write answered on its own (a lost claim fails its settle alone).
async fn writes_of_several_rows(store: Arc<dyn BatchStore>) {
    let a = Owner::new("run-a", Duration::from_secs(30));
    let b = Owner::new("run-b", Duration::from_secs(30));
    let rows: Vec<RefundRequest> = (0..4).map(|i| request(&format!("w{i}"), 10 + i)).collect();
    let listed: Vec<(u64, &RefundRequest)> = rows.iter().zip(2..).map(|(r, l)| (l, r)).collect();
    store.record_intents("alipay", &listed).await.unwrap();
    // First step of two workers: claims only.
    let written = store
        .write_rows(
            "alipay",
            &a,
            &[
                RowWrite {
                    settle: None,
                    claim: Some(("w0", ClaimFor::Send(&rows[0]))),
                },
                RowWrite {
                    settle: None,
                    claim: Some(("w1", ClaimFor::Send(&rows[1]))),
                },
            ],
        )
        .await;
    assert_eq!(written.len(), 2);
    for w in &written {
        assert!(w.settled.is_ok());
        assert!(matches!(w.claimed, Some(Ok(Claim::Taken { .. }))), "{w:?}");
    }
    // B holds w3 meanwhile.
    assert!(matches!(
        store
            .claim("alipay", "w3", &b, ClaimFor::Send(&rows[3]))
            .await
            .unwrap(),
        Claim::Taken { .. }
    ));
    // Next step: w0 settles and w2 is claimed; w1 settles and w3 is found held; and a settle of
    // a row A never held fails alone.
    let succeeded = settled(RowState::Succeeded);
    let refused = settled(RowState::Refused);
    let written = store
        .write_rows(
            "alipay",
            &a,
            &[
                RowWrite {
                    settle: Some(("w0", &succeeded)),
                    claim: Some(("w2", ClaimFor::Send(&rows[2]))),
                },
                RowWrite {
                    settle: Some(("w1", &refused)),
                    claim: Some(("w3", ClaimFor::Send(&rows[3]))),
                },
                RowWrite {
                    settle: Some(("w3", &succeeded)),
                    claim: None,
                },
            ],
        )
        .await;
    assert_eq!(written.len(), 3);
    assert!(written[0].settled.is_ok() && written[1].settled.is_ok());
    assert!(matches!(written[0].claimed, Some(Ok(Claim::Taken { .. }))));
    assert_eq!(
        written[1].claimed.as_ref().unwrap().as_ref().unwrap(),
        &Claim::Held { by: "run-b".into() }
    );
    assert_eq!(
        written[2].settled.as_ref().unwrap_err().kind(),
        paybridge::batch::StoreErrorKind::ClaimLost
    );
    assert!(written[2].claimed.is_none());
    let state = |id: &'static str| {
        let store = Arc::clone(&store);
        async move { store.get("alipay", id).await.unwrap().unwrap() }
    };
    assert_eq!(state("w0").await.state, RowState::Succeeded);
    assert_eq!(state("w1").await.state, RowState::Refused);
    let w2 = state("w2").await;
    assert_eq!(
        (w2.state, w2.claim.unwrap().owner),
        (RowState::Sending, "run-a".into())
    );
    let w3 = state("w3").await;
    assert_eq!(
        (w3.state, w3.claim.unwrap().owner),
        (RowState::Sending, "run-b".into())
    );
    // Nothing to write answers nothing.
    assert!(store.write_rows("alipay", &a, &[]).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_keeps_the_contract() {
    contract(Arc::new(paybridge::batch::MemoryBatchStore::new())).await;
    writes_of_several_rows(Arc::new(paybridge::batch::MemoryBatchStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_keeps_the_contract() {
    let store = SqliteBatchStore::open(temp("contract")).unwrap();
    contract(Arc::new(store)).await;
    let store = SqliteBatchStore::open(temp("write-rows")).unwrap();
    assert!(store.commits_together());
    writes_of_several_rows(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stores_opened_by_many_at_once_all_open() {
    let path = temp("open-race");
    let mut threads = Vec::new();
    for _ in 0..8 {
        let path = path.clone();
        threads.push(std::thread::spawn(move || {
            SqliteBatchStore::open(&path).map(drop)
        }));
    }
    for t in threads {
        t.join().unwrap().unwrap();
    }
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_keeps_the_contract() {
    let Ok(params) = std::env::var("PAYBRIDGE_TEST_POSTGRES") else {
        assert!(
            std::env::var("CI").is_err(),
            "PAYBRIDGE_TEST_POSTGRES must be set in CI (bash .ci/run sets it)"
        );
        eprintln!("skipped: PAYBRIDGE_TEST_POSTGRES is not set (bash .ci/run sets it)");
        return;
    };
    let table = format!("pb_contract_{}", std::process::id());
    let store = paybridge::batch::PostgresBatchStore::connect(&params, Some(&table))
        .await
        .unwrap();
    assert!(!format!("{store:?}").contains("password"));
    contract(Arc::new(store)).await;
    let rows_table = format!("{table}_rows");
    let store = paybridge::batch::PostgresBatchStore::connect(&params, Some(&rows_table))
        .await
        .unwrap();
    writes_of_several_rows(Arc::new(store)).await;
    let (client, connection) = tokio_postgres::connect(&params, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP TABLE {table}; DROP TABLE {rows_table}"))
        .await
        .unwrap();
}

/// A provider that refunds whatever it is sent and remembers it.
#[derive(Debug, Default)]
struct Recording {
    sent: Mutex<Vec<(String, i64)>>,
}

#[async_trait]
impl RefundProvider for Recording {
    fn name(&self) -> &'static str {
        "bluepay"
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        self.sent
            .lock()
            .unwrap()
            .push((request.refund_id().to_string(), request.amount().minor));
        Ok(Refund {
            provider: "bluepay".into(),
            payment: None,
            refund_id: request.refund_id().clone(),
            provider_refund_id: None,
            amount: request.amount(),
            status: RefundStatus::Succeeded,
            provider_status: None,
            created_at: None,
            completed_at: None,
        })
    }

    async fn refund_status(&self, lookup: &RefundLookup) -> Result<Refund, Error> {
        Err(Error::RefundNotFound {
            provider: "bluepay",
            refund_id: lookup.refund_id.to_string(),
        })
    }

    async fn verify_notification(
        &self,
        _request: &http::Request<bytes::Bytes>,
    ) -> Result<paybridge::Notification, Error> {
        Err(Error::invalid("notification", "not in this test"))
    }

    fn notification_ack(&self) -> http::Response<bytes::Bytes> {
        http::Response::new(bytes::Bytes::new())
    }
}

/// An amount as a person might type it, plain or not.
fn amount_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u32..100_000, 0u32..100).prop_map(|(i, f)| format!("{i}.{f:02}")),
        2 => (1u32..100_000).prop_map(|i| i.to_string()),
        1 => (1u32..10, 0u32..1000).prop_map(|(t, h)| format!("{t},{h:03}.00")),
        1 => (1u32..10, 0u32..1000).prop_map(|(t, h)| format!("\"{t},{h:03}.00\"")),
        1 => "[ -~]{0,6}",
        1 => (1u32..1000).prop_map(|i| format!(" {i} ")),
        1 => (1u32..1000).prop_map(|i| format!("-{i}")),
        1 => (1u32..1000).prop_map(|i| format!("{i}e2")),
    ]
}

/// What the test itself reads `text` (a CSV field as written) to mean, in satang, if it is a
/// plain decimal with at most two places.
fn expected_minor(text: &str) -> Option<i64> {
    let t = text.trim().trim_matches('"').trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if t.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let frac = format!("{:0<2}", frac.trim_end_matches('0'));
    if frac.len() > 2 {
        return None;
    }
    Some(int.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_file_is_refused_with_nothing_sent_or_every_row_is_sent_as_its_text_says(
        amounts in proptest::collection::vec(amount_text(), 1..8),
        noise in proptest::collection::vec(any::<u8>(), 0..3),
        noise_at in any::<prop::sample::Index>(),
        crlf in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("refund_id,amount,currency,payment{end}");
        for (i, amount) in amounts.iter().enumerate() {
            text.push_str(&format!("p{i},{amount},THB,CU{i}{end}"));
        }
        let mut bytes = text.into_bytes();
        // Random bytes somewhere after the header: the file may now parse another way.
        let at = 40.min(bytes.len()) + noise_at.index(bytes.len().saturating_sub(40).max(1));
        for (k, b) in noise.iter().enumerate() {
            bytes.insert((at + k).min(bytes.len()), *b);
        }
        let provider = Arc::new(Recording::default());
        static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = temp(&format!("prop-{}", CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let parsed = BatchFile::parse(&bytes);
        if let Ok(file) = &parsed {
            let store: Arc<dyn BatchStore> = Arc::new(SqliteBatchStore::open(&path).unwrap());
            runtime
                .block_on(run_batch(
                    store,
                    Arc::clone(&provider) as Arc<dyn RefundProvider>,
                    file,
                    &BatchOptions::default(),
                    Arc::new(|_| {}),
                ))
                .unwrap();
            // Every row the file holds is sent once, with exactly the amount its text says.
            let sent = provider.sent.lock().unwrap().clone();
            let valid: Vec<_> = file.rows.iter().filter(|r| r.request.is_ok()).collect();
            prop_assert_eq!(sent.len(), valid.len());
            for row in valid {
                let minor = expected_minor(&row.text.amount);
                let id = row.refund_id.clone().unwrap();
                prop_assert!(sent.contains(&(id, minor.unwrap())), "{:?} -> {:?}", row.text.amount, sent);
            }
        } else {
            prop_assert!(provider.sent.lock().unwrap().is_empty());
            // Refused files are refused for a reason the test can see.
            let clean = noise.is_empty();
            if clean {
                prop_assert!(amounts.iter().any(|a| expected_minor(a).is_none() || a.contains(',')), "{:?}", parsed);
            }
        }
    }
}
