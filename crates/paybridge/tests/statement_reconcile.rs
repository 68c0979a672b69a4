//! A statement matched against a batch store: every kind of finding, and settling only what the
//! statement shows.
#![cfg(feature = "sqlite")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use paybridge::batch::statement::{FindingKind, StatementInput, reconcile_statement};
use paybridge::batch::{BatchStore, Claim, ClaimFor, Owner, RowState, Settled, SqliteBatchStore};
use paybridge::core::{EntryKind, StatementEntry, Timestamp};
use paybridge::{
    Currency, Error, MerchantRefundId, Money, PaymentRef, Refund, RefundRequest, RefundStatus,
};

fn cny(minor: i64) -> Money {
    Money::new(minor, Currency::Cny)
}

fn request(id: &str, minor: i64) -> RefundRequest {
    RefundRequest::builder(MerchantRefundId::new(id).unwrap(), cny(minor))
        .payment(PaymentRef::new("4200000001").unwrap())
        .total(cny(100_000))
        .build()
        .unwrap()
}

fn refund_line(line: u64, id: &str, minor: i64) -> Result<StatementEntry, Error> {
    Ok(StatementEntry {
        kind: EntryKind::Refund,
        payment: Some("4200000001".into()),
        order_ref: Some("o-1".into()),
        refund_id: Some(id.into()),
        provider_refund_id: Some(format!("5030{line}")),
        amount: cny(minor),
        fee: None,
        provider_status: Some("REFUND".into()),
        at: Timestamp::parse_rfc3339("2026-12-07T10:00:00+08:00").ok(),
        line,
        raw: format!("`...{id}..."),
    })
}

fn payment_line(line: u64, minor: i64) -> Result<StatementEntry, Error> {
    Ok(StatementEntry {
        kind: EntryKind::Payment,
        refund_id: None,
        provider_refund_id: None,
        amount: cny(minor),
        provider_status: Some("SUCCESS".into()),
        ..refund_line(line, "x", minor).unwrap()
    })
}

/// Moves `id` to `state` as a run would (claim, then settle), completed on 2026-12-07.
async fn put(store: &dyn BatchStore, owner: &Owner, id: &str, minor: i64, state: RowState) {
    let request = request(id, minor);
    store
        .record_intents("wechatpay", &[(1, &request)])
        .await
        .unwrap();
    let claim = store
        .claim("wechatpay", id, owner, ClaimFor::Send(&request))
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Taken { .. }), "{claim:?}");
    store
        .settle(
            "wechatpay",
            id,
            owner,
            &Settled {
                state,
                reason: "test".into(),
                error_kind: None,
                refund: (state == RowState::Succeeded).then(|| Refund {
                    provider: "wechatpay".into(),
                    payment: None,
                    refund_id: MerchantRefundId::new(id).unwrap(),
                    provider_refund_id: None,
                    amount: cny(minor),
                    status: RefundStatus::Succeeded,
                    provider_status: None,
                    created_at: None,
                    completed_at: Timestamp::parse_rfc3339("2026-12-07T09:00:00+08:00").ok(),
                }),
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn every_finding_and_only_what_the_statement_shows_is_settled() {
    let dir = std::env::temp_dir().join(format!("pb-stmt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteBatchStore::open(dir.join("batch.journal")).unwrap();
    let owner = Owner::new("test-run", Duration::from_secs(30));
    put(&store, &owner, "r-matched", 1_000, RowState::Succeeded).await;
    put(&store, &owner, "r-unknown", 2_000, RowState::Unknown).await;
    put(&store, &owner, "r-unknown-absent", 2_500, RowState::Unknown).await;
    put(&store, &owner, "r-differs", 3_000, RowState::Succeeded).await;
    put(&store, &owner, "r-refused", 4_000, RowState::Refused).await;
    put(&store, &owner, "r-missing", 5_000, RowState::Succeeded).await;

    let entries = vec![
        payment_line(2, 100_000),
        refund_line(3, "r-matched", 1_000),
        refund_line(4, "r-unknown", 2_000),
        refund_line(5, "r-differs", 3_100),
        refund_line(6, "r-refused", 4_000),
        refund_line(7, "r-portal", 700),
    ];
    let report = reconcile_statement(
        &store,
        StatementInput {
            provider: "wechatpay",
            entries: Box::new(entries.into_iter()),
            source: "wechatpay trade statement of 2026-12-07".into(),
            closed_day: Some("2026-12-07".into()),
            offset_minutes: 480,
        },
        &Owner::new("reconcile", Duration::from_secs(30)),
    )
    .await
    .unwrap();
    let found = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| f.refund_id.as_deref() == Some(id))
            .map(|f| f.finding)
    };
    assert_eq!(found("r-matched"), Some(FindingKind::Matched));
    assert_eq!(found("r-unknown"), Some(FindingKind::Settled));
    assert_eq!(found("r-unknown-absent"), Some(FindingKind::Unsettled));
    assert_eq!(found("r-differs"), Some(FindingKind::AmountDiffers));
    assert_eq!(found("r-refused"), Some(FindingKind::StateDiffers));
    assert_eq!(found("r-portal"), Some(FindingKind::UnknownToStore));
    assert_eq!(found("r-missing"), Some(FindingKind::MissingFromStatement));
    assert!(!report.all_agree());
    assert_eq!(report.statement.rows[&EntryKind::Refund], 5);
    assert_eq!(
        report.statement.total(EntryKind::Payment, Currency::Cny),
        100_000
    );

    // The store: the unknown the statement shows is succeeded, naming the statement; nothing
    // else moved.
    let state = |id: &'static str| {
        let store = &store;
        async move { store.get("wechatpay", id).await.unwrap().unwrap() }
    };
    let settled = state("r-unknown").await;
    assert_eq!(settled.state, RowState::Succeeded);
    assert!(
        settled
            .reason
            .unwrap()
            .contains("statement of 2026-12-07 (line 4)")
    );
    assert_eq!(state("r-unknown-absent").await.state, RowState::Unknown);
    assert_eq!(state("r-refused").await.state, RowState::Refused);
    assert_eq!(state("r-differs").await.state, RowState::Succeeded);
}

#[tokio::test]
async fn a_statement_that_fails_anywhere_settles_nothing() {
    let dir = std::env::temp_dir().join(format!("pb-stmt-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteBatchStore::open(dir.join("batch.journal")).unwrap();
    let owner = Owner::new("test-run", Duration::from_secs(30));
    put(&store, &owner, "r-after", 2_000, RowState::Unknown).await;
    // The refund line comes first; the statement fails after it (a zip's CRC is checked at
    // the end of its entry): still nothing is settled.
    let entries = vec![
        refund_line(3, "r-after", 2_000),
        Err(Error::Verification {
            provider: "alipay",
            reason: "the detail file's CRC does not match".into(),
        }),
    ];
    let result = reconcile_statement(
        &store,
        StatementInput {
            provider: "wechatpay",
            entries: Box::new(entries.into_iter()),
            source: "a broken file".into(),
            closed_day: None,
            offset_minutes: 480,
        },
        &Owner::new("reconcile", Duration::from_secs(30)),
    )
    .await;
    assert!(result.is_err());
    assert_eq!(
        store
            .get("wechatpay", "r-after")
            .await
            .unwrap()
            .unwrap()
            .state,
        RowState::Unknown
    );
}
