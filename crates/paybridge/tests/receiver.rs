//! The axum receiver against real sandbox deliveries over loopback: 200 BluePay refund
//! notifications, a fifth of the handler's first calls failing, and the receiver restarted
//! midway with its SQLite store kept — every notification handled exactly once. Plus the
//! refusals: a tampered body (401), a body that is no notification (400), one too large (413).
#![cfg(all(feature = "axum", feature = "bluepay"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paybridge::notification_store::{NotificationStore, SqliteNotificationStore};
use paybridge::receiver::{HandlerResult, Receiver};
use paybridge::{
    Config, Currency, Gateway, MerchantRefundId, Money, Notification, NotificationEvent,
    PaymentRef, RefundProvider, RefundRequest,
};
use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig, SandboxHandle};

#[derive(Default)]
struct Seen {
    calls: HashMap<String, u32>,
    handled: HashMap<String, u32>,
}

type Shared = Arc<Mutex<Seen>>;

/// A handler that fails the first call for every fifth refund.
fn handler(
    seen: Shared,
) -> impl Fn(Notification) -> std::future::Ready<HandlerResult> + Send + Sync + 'static {
    move |notification: Notification| {
        let NotificationEvent::Refund { refund } = &notification.event else {
            return std::future::ready(Ok(()));
        };
        let id = refund.refund_id.to_string();
        let mut seen = seen.lock().unwrap();
        let calls = seen.calls.entry(id.clone()).or_default();
        *calls += 1;
        let number: u32 = id.trim_start_matches("n-").parse().unwrap();
        if number.is_multiple_of(5) && *calls == 1 {
            return std::future::ready(Err("the merchant's database blinked".into()));
        }
        *seen.handled.entry(id).or_default() += 1;
        std::future::ready(Ok(()))
    }
}

/// Serves a receiver on `addr` until `stop` fires.
async fn serve(
    addr: SocketAddr,
    provider: Arc<dyn RefundProvider>,
    store: Arc<dyn NotificationStore>,
    seen: Shared,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let app = axum::Router::new().nest(
        "/hooks/bluepay",
        Receiver::new(provider, store, handler(seen)).router(),
    );
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (addr, stop, task)
}

async fn gateway(sb: &SandboxHandle, dir: &std::path::Path) -> Gateway {
    let path = dir.join("paybridge.toml");
    sb.write_config(&path).unwrap();
    Gateway::from_config(&Config::load(&path).unwrap()).unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pb-receiver-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sqlite(path: std::path::PathBuf) -> impl AsyncFn() -> Arc<dyn NotificationStore> {
    async move || {
        let store: Arc<dyn NotificationStore> =
            Arc::new(SqliteNotificationStore::open(&path, Duration::from_secs(30)).unwrap());
        store
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_notifications_handled_exactly_once_across_failures_and_a_restart() {
    let dir = temp("exactly-once");
    exactly_once_across_a_restart(&dir, sqlite(dir.join("notifications.sqlite"))).await;
}

/// The same with the store in PostgreSQL, the restarted receiver being another instance with
/// its own connection.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_notifications_handled_exactly_once_with_the_store_in_postgresql() {
    use paybridge::notification_store::PostgresNotificationStore;
    let Ok(params) = std::env::var("PAYBRIDGE_TEST_POSTGRES") else {
        eprintln!("skipped: PAYBRIDGE_TEST_POSTGRES is not set (bash .ci/run sets it)");
        return;
    };
    let table = format!(
        "pb_test_receiver_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let open = async move || {
        let store: Arc<dyn NotificationStore> = Arc::new(
            PostgresNotificationStore::connect_with(
                params.parse().unwrap(),
                tokio_postgres::NoTls,
                Duration::from_secs(30),
                &table,
            )
            .await
            .unwrap(),
        );
        store
    };
    exactly_once_across_a_restart(&temp("exactly-once-pg"), open).await;
}

async fn exactly_once_across_a_restart(
    dir: &std::path::Path,
    open: impl AsyncFn() -> Arc<dyn NotificationStore>,
) {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::from_millis(100),
        notify_max_attempts: 12,
        notify_backoff: Duration::from_millis(50),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let gateway = gateway(&sb, dir).await;
    let provider = Arc::clone(gateway.provider("bluepay").unwrap());
    let seen: Shared = Arc::default();
    let (addr, stop, task) = serve(
        "127.0.0.1:0".parse().unwrap(),
        Arc::clone(&provider),
        open().await,
        Arc::clone(&seen),
    )
    .await;
    let hook = format!("http://{addr}/hooks/bluepay");

    let mut restart = Some((stop, task));
    for n in 0..200 {
        let payment = sb
            .create_payment(ProviderId::BluePay, 1_000, Currency::Thb)
            .unwrap();
        let request = RefundRequest::builder(
            MerchantRefundId::new(format!("n-{n}")).unwrap(),
            Money::new(1_000, Currency::Thb),
        )
        .payment(PaymentRef::new(payment.payment).unwrap())
        .notify_url(hook.as_str())
        .build()
        .unwrap();
        provider.refund(&request).await.unwrap();
        if n == 100 {
            // Restart the receiver midway, keeping its store: deliveries in between fail to
            // connect and are redelivered to the new one.
            let (stop, task) = restart.take().unwrap();
            let _ = stop.send(());
            task.await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            restart =
                Some(serve(addr, Arc::clone(&provider), open().await, Arc::clone(&seen)).await)
                    .map(|(_, stop, task)| (stop, task));
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = seen.lock().unwrap().handled.len();
        if done == 200 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen.handled.len(), 200, "every notification handled");
    assert!(
        seen.handled.values().all(|&times| times == 1),
        "handled more than once: {:?}",
        seen.handled
            .iter()
            .filter(|(_, t)| **t != 1)
            .collect::<Vec<_>>()
    );
    let failed_once = seen.calls.values().filter(|&&c| c == 2).count();
    assert_eq!(
        failed_once, 40,
        "a fifth failed once and were handled on redelivery"
    );
    // The sandbox counts an acknowledgement once it has read the answer, which may be a moment
    // after the handler ran.
    let started = std::time::Instant::now();
    while sb.stats().notifications_acknowledged < 200 && started.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = sb.stats();
    assert!(stats.notifications_acknowledged >= 200, "{stats:?}");
    if let Some((stop, task)) = restart {
        let _ = stop.send(());
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_foreign_and_oversized_bodies_are_refused_without_calling_the_handler() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = temp("refusals");
    let gateway = gateway(&sb, &dir).await;
    let provider = Arc::clone(gateway.provider("bluepay").unwrap());
    let seen: Shared = Arc::default();
    let (addr, stop, task) = serve(
        "127.0.0.1:0".parse().unwrap(),
        provider,
        sqlite(dir.join("n.sqlite"))().await,
        Arc::clone(&seen),
    )
    .await;
    let param = r#"{"eventName":"payment.refund.success","mchRefundOrderId":"n-1","originalTransactionId":"CU1","refundAmount":100,"refundStatus":"COMPLETE"}"#;
    let body = paybridge::bluepay::emulator::notification_body(
        param,
        &sb.credentials().bluepay_platform.private,
    )
    .unwrap();
    let tampered = String::from_utf8(body).unwrap().replace("100", "999");
    let transport = paybridge::transport::HyperTransport::with_defaults().unwrap();
    let url = format!("http://{addr}/hooks/bluepay");
    let post = |body: Vec<u8>| {
        let request = http::Request::post(url.as_str())
            .header("content-type", "application/json")
            .body(bytes::Bytes::from(body))
            .unwrap();
        let transport = &transport;
        async move {
            use paybridge::transport::Transport;
            transport.send(request).await.unwrap().status().as_u16()
        }
    };
    let code = post(tampered.into_bytes()).await;
    assert_eq!(code, 401);
    assert_eq!(post(b"not json".to_vec()).await, 400);
    assert_eq!(post(vec![b' '; 100_000]).await, 413);
    // A signed event paybridge does not know is acknowledged, not refused.
    let unknown = paybridge::bluepay::emulator::notification_body(
        r#"{"eventName":"account.frozen","reason":"audit"}"#,
        &sb.credentials().bluepay_platform.private,
    )
    .unwrap();
    assert_eq!(post(unknown).await, 200);
    assert!(
        seen.lock().unwrap().calls.is_empty(),
        "no refused delivery reached the handler"
    );
    let _ = stop.send(());
    task.await.unwrap();
}

/// The app's own state, as a real service has one.
#[derive(Clone)]
struct AppState {
    name: Arc<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_of_one_provider_sharing_refund_ids_each_handle_their_own_once() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = temp("accounts");
    let gateway = gateway(&sb, &dir).await;
    let provider = Arc::clone(gateway.provider("bluepay").unwrap());
    let store = sqlite(dir.join("shared.sqlite"))().await;
    let (seen_a, seen_b): (Shared, Shared) = (Arc::default(), Arc::default());
    // Mounted in an app with state of its own, one notify URL written with a trailing slash.
    async fn state_is_usable(
        axum::extract::State(state): axum::extract::State<AppState>,
    ) -> String {
        state.name.to_string()
    }
    let app: axum::Router<AppState> =
        axum::Router::new().route("/health", axum::routing::get(state_is_usable));
    let app = Receiver::new(
        Arc::clone(&provider),
        Arc::clone(&store),
        handler(Arc::clone(&seen_a)),
    )
    .for_account("bluepay.th-main")
    .mount(app, "/hooks/th-main");
    let app = Receiver::new(provider, store, handler(Arc::clone(&seen_b)))
        .for_account("bluepay.th-events")
        .mount(app, "/hooks/th-events/");
    let app: axum::Router = app.with_state(AppState {
        name: Arc::new("merchant".into()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // The same refund id at both accounts (each account's ids are its own).
    let param = r#"{"eventName":"payment.refund.success","mchRefundOrderId":"n-7","originalTransactionId":"CU1","refundAmount":100,"refundStatus":"COMPLETE"}"#;
    let body = paybridge::bluepay::emulator::notification_body(
        param,
        &sb.credentials().bluepay_platform.private,
    )
    .unwrap();
    let transport = paybridge::transport::HyperTransport::with_defaults().unwrap();
    let post = |path: &str| {
        let request = http::Request::post(format!("http://{addr}{path}"))
            .header("content-type", "application/json")
            .body(bytes::Bytes::from(body.clone()))
            .unwrap();
        let transport = &transport;
        async move {
            use paybridge::transport::Transport;
            transport.send(request).await.unwrap().status().as_u16()
        }
    };
    for path in [
        "/hooks/th-main",
        "/hooks/th-events",
        "/hooks/th-main/",
        "/hooks/th-events/",
    ] {
        assert_eq!(post(path).await, 200, "{path}");
    }
    for (account, seen) in [("th-main", &seen_a), ("th-events", &seen_b)] {
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.calls.get("n-7"),
            Some(&1),
            "{account}: handled once, not never"
        );
    }
    let health = paybridge::transport::Transport::send(
        &transport,
        http::Request::get(format!("http://{addr}/health"))
            .body(bytes::Bytes::new())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(health.body().as_ref(), b"merchant");
    server.abort();
}
