//! The behaviour every [`NotificationStore`] owes, run against each implementation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use paybridge_core::{
    Currency, MerchantRefundId, Money, Notification, NotificationEvent, PaymentStatus,
    PaymentUpdate, Refund, RefundStatus,
};

use super::{Claim, NotificationStore, event_key};

/// The account the contract's notifications arrive for.
pub(crate) const ACCOUNT: &str = "bluepay";

pub(crate) fn refund(provider: &str, id: &str, status: RefundStatus) -> Notification {
    Notification {
        provider: provider.into(),
        event_name: None,
        event: NotificationEvent::Refund {
            refund: Refund {
                provider: provider.into(),
                payment: None,
                refund_id: MerchantRefundId::new(id).unwrap(),
                provider_refund_id: None,
                amount: Money::new(100, Currency::Thb),
                status,
                provider_status: None,
                created_at: None,
                completed_at: None,
            },
        },
    }
}

/// `open(lease)` opens the same store afresh each time it is called (a restart).
pub(crate) async fn handled_once_across_restarts_and_again_after_a_failed_handler<S>(
    open: impl AsyncFn(Duration) -> S,
) where
    S: NotificationStore,
{
    let long = Duration::from_secs(3600);
    let done = refund("bluepay", "r1", RefundStatus::Succeeded);
    let store = open(long).await;
    assert_eq!(store.begin(ACCOUNT, &done).await.unwrap(), Claim::Handle);
    // A redelivery while the handler runs is not handled twice.
    assert_eq!(
        store.begin(ACCOUNT, &done).await.unwrap(),
        Claim::InProgress
    );
    store.handled(ACCOUNT, &done).await.unwrap();
    drop(store);
    let store = open(long).await;
    assert_eq!(
        store.begin(ACCOUNT, &done).await.unwrap(),
        Claim::AlreadyHandled
    );
    assert_eq!(store.deliveries(ACCOUNT, &done).await.unwrap(), 3);
    // A failed handler leaves the news unhandled: the redelivery runs it again.
    let other = refund("bluepay", "r2", RefundStatus::Succeeded);
    assert_eq!(store.begin(ACCOUNT, &other).await.unwrap(), Claim::Handle);
    store.failed(ACCOUNT, &other).await.unwrap();
    assert_eq!(store.begin(ACCOUNT, &other).await.unwrap(), Claim::Handle);
    store.handled(ACCOUNT, &other).await.unwrap();
    // A late `failed` (say, from a timed-out duplicate) never un-handles it.
    store.failed(ACCOUNT, &other).await.unwrap();
    assert_eq!(
        store.begin(ACCOUNT, &other).await.unwrap(),
        Claim::AlreadyHandled
    );
    // A later status of the same refund is new news; the same id at another provider too.
    let later = refund("bluepay", "r1", RefundStatus::Failed);
    assert_eq!(store.begin(ACCOUNT, &later).await.unwrap(), Claim::Handle);
    let elsewhere = refund("nomad", "r1", RefundStatus::Succeeded);
    assert_eq!(
        store.begin(ACCOUNT, &elsewhere).await.unwrap(),
        Claim::Handle
    );
}

pub(crate) async fn a_claim_left_by_a_dead_handler_expires<S: NotificationStore>(
    open: impl AsyncFn(Duration) -> S,
) {
    let store = open(Duration::ZERO).await;
    let n = refund("bluepay", "r1", RefundStatus::Succeeded);
    assert_eq!(store.begin(ACCOUNT, &n).await.unwrap(), Claim::Handle);
    // The process died before `handled`: with the lease gone, the redelivery is handled.
    drop(store);
    let store = open(Duration::ZERO).await;
    assert_eq!(store.begin(ACCOUNT, &n).await.unwrap(), Claim::Handle);
}

pub(crate) async fn notifications_without_an_identity_share_no_key<S: NotificationStore>(
    open: impl AsyncFn(Duration) -> S,
) {
    let store = open(Duration::from_secs(60)).await;
    let anonymous = Notification {
        provider: "scanforpay".into(),
        event_name: None,
        event: NotificationEvent::Payment {
            payment: PaymentUpdate {
                payment: None,
                order_ref: None,
                amount: None,
                status: PaymentStatus::Succeeded,
                provider_status: None,
            },
        },
    };
    assert_eq!(event_key(ACCOUNT, &anonymous), None);
    for _ in 0..3 {
        assert_eq!(
            store.begin(ACCOUNT, &anonymous).await.unwrap(),
            Claim::Handle
        );
    }
    assert_eq!(store.deliveries(ACCOUNT, &anonymous).await.unwrap(), 0);
    let named = Notification {
        event: NotificationEvent::Payment {
            payment: PaymentUpdate {
                payment: Some("p1".into()),
                order_ref: None,
                amount: None,
                status: PaymentStatus::Succeeded,
                provider_status: None,
            },
        },
        ..anonymous
    };
    assert_eq!(store.begin(ACCOUNT, &named).await.unwrap(), Claim::Handle);
    store.handled(ACCOUNT, &named).await.unwrap();
    assert_eq!(
        store.begin(ACCOUNT, &named).await.unwrap(),
        Claim::AlreadyHandled
    );
}

/// Two instances of a service (two stores on one database) and eight concurrent deliveries of
/// each of 40 notifications: each is handed to exactly one handler.
pub(crate) async fn instances_racing_on_one_store_hand_each_notification_out_once<S>(
    open: impl AsyncFn(Duration) -> S,
) where
    S: NotificationStore + 'static,
{
    let long = Duration::from_secs(3600);
    let instances: [Arc<S>; 2] = [Arc::new(open(long).await), Arc::new(open(long).await)];
    let mut tasks = Vec::new();
    for delivery in 0..8 {
        for n in 0..40 {
            let store = Arc::clone(&instances[delivery % 2]);
            tasks.push(tokio::spawn(async move {
                let notification = refund("bluepay", &format!("race-{n}"), RefundStatus::Succeeded);
                (n, store.begin(ACCOUNT, &notification).await.unwrap())
            }));
        }
    }
    let mut handles: HashMap<usize, usize> = HashMap::new();
    for task in tasks {
        let (n, claim) = task.await.unwrap();
        assert_ne!(claim, Claim::AlreadyHandled, "nothing was marked handled");
        if claim == Claim::Handle {
            *handles.entry(n).or_default() += 1;
        }
    }
    assert_eq!(handles.len(), 40, "every notification was handed out");
    assert!(handles.values().all(|&c| c == 1), "{handles:?}");
}
