//! `paybridge demo`: the whole story for every provider, against a sandbox started in-process
//! with fresh keys: a payment created through the provider's payment API and paid by the
//! customer, a partial refund, the final refund, look-ups, the payment read back refunded, and
//! the signed payment and refund notifications received and verified. A table goes to stderr, a JSON summary to stdout;
//! the exit code is 0 only if every step matched.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paybridge::RefundProvider as _;
use paybridge::{
    Config, Currency, Gateway, MerchantRefundId, Money, Notification, NotificationEvent, OrderRef,
    Payment, PaymentAction, PaymentLookup, PaymentRef, PaymentRequest, PaymentStatus, RefundLookup,
    RefundOutcome, RefundRequest, ReliablePolicy, Scene, reliable_refund,
};
use paybridge_sandbox::{CustomerAction, ProviderId, Sandbox, SandboxConfig, SandboxHandle};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::exit::Failure;
use crate::output;

#[derive(Serialize)]
struct Step {
    step: &'static str,
    ok: bool,
    detail: String,
}

#[derive(Serialize)]
struct Story {
    provider: &'static str,
    payment: String,
    amount: String,
    steps: Vec<Step>,
}

impl Story {
    fn record(&mut self, step: &'static str, result: Result<String, String>) -> bool {
        let ok = result.is_ok();
        let detail = result.unwrap_or_else(|e| e);
        self.steps.push(Step { step, ok, detail });
        ok
    }
}

/// A loopback server that verifies every notification with the gateway's own provider and
/// acknowledges it the provider's way.
struct Webhooks {
    url: String,
    received: mpsc::UnboundedReceiver<(String, Notification)>,
    gateway: Arc<OnceLock<Gateway>>,
}

async fn webhooks() -> Result<Webhooks, Failure> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::input(e.to_string()))?;
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .map_err(|e| Failure::input(e.to_string()))?
    );
    let gateway: Arc<OnceLock<Gateway>> = Arc::new(OnceLock::new());
    let (sender, received) = mpsc::unbounded_channel();
    let shared = Arc::clone(&gateway);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (gateway, sender) = (Arc::clone(&shared), sender.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let (gateway, sender) = (Arc::clone(&gateway), sender.clone());
                    async move {
                        let provider = request.uri().path().trim_matches('/').to_owned();
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let request = http::Request::from_parts(parts, body);
                        let reply = match gateway.get().map(|g| g.provider(&provider)) {
                            Some(Ok(p)) => match p.verify_notification(&request).await {
                                Ok(notification) => {
                                    let _ = sender.send((provider, notification));
                                    p.notification_ack().map(Full::new)
                                }
                                Err(_) => http::Response::builder()
                                    .status(400)
                                    .body(Full::new(Bytes::from_static(b"unverified")))
                                    .unwrap_or_default(),
                            },
                            _ => http::Response::builder()
                                .status(404)
                                .body(Full::new(Bytes::new()))
                                .unwrap_or_default(),
                        };
                        Ok::<_, Infallible>(reply)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Webhooks {
        url,
        received,
        gateway,
    })
}

fn money(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).to_string()
}

async fn refund(
    gateway: &Gateway,
    provider: ProviderId,
    request: &RefundRequest,
) -> Result<String, String> {
    let client = gateway
        .provider(provider.name())
        .map_err(|e| e.to_string())?;
    let policy = ReliablePolicy {
        deadline: Duration::from_secs(20),
        ..ReliablePolicy::default()
    };
    match reliable_refund(client.as_ref(), request, &policy).await {
        RefundOutcome::Refunded(r) if r.amount == request.amount() => Ok(format!(
            "{} {} ({})",
            r.refund_id,
            r.amount,
            r.provider_status.unwrap_or_default()
        )),
        RefundOutcome::Refunded(r) => Err(format!(
            "refunded {} but asked {}",
            r.amount,
            request.amount()
        )),
        other => Err(format!("{:?}", other.error())),
    }
}

/// Looks a refund up until the provider reports it final (refunds settle after a short delay).
async fn lookup(
    gateway: &Gateway,
    provider: ProviderId,
    lookup: RefundLookup,
) -> Result<String, String> {
    let client = gateway
        .provider(provider.name())
        .map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = client.refund_status(&lookup).await;
        let settled = matches!(&answer, Ok(r) if r.status.is_final());
        if settled || tokio::time::Instant::now() >= deadline {
            let refund = answer.map_err(|e| e.to_string())?;
            if !refund.status.is_final() {
                return Err(format!("still {:?} after 10 s", refund.status));
            }
            if lookup.amount.is_some_and(|a| a != refund.amount) {
                return Err(format!(
                    "looked up {} but refunded {:?}",
                    refund.amount, lookup.amount
                ));
            }
            let via = if provider == ProviderId::ScanForPay {
                " (via payment query: refunded in full)"
            } else {
                ""
            };
            return Ok(format!(
                "{} {} {:?}{via}",
                refund.refund_id, refund.amount, refund.status
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// ScanForPay has no refund query, and a payment's status names no particular refund: the
/// client says so rather than guess; the payment query then shows the payment refunded
/// (status 3) once the refunds settle.
async fn scanforpay_lookup(
    config: &Config,
    payment: &str,
    request: &RefundRequest,
) -> Result<String, String> {
    let client = scanforpay_client(config)?;
    let unknowable = match client.refund_status(&RefundLookup::from(request)).await {
        Err(paybridge::Error::OutcomeUnknown { .. }) => {
            "refund_status: cannot attribute a refund to a payment status (as designed)"
        }
        Ok(_) => return Err("refund_status claimed to know a refund from a payment status".into()),
        Err(e) => return Err(e.to_string()),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = client.pay_query(payment).await.map_err(|e| e.to_string())?;
        if answer.body.status == Some(3) {
            return Ok(format!("{unknowable}; payment query: status 3 (refunded)"));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "payment status {:?} after 10 s",
                answer.body.status
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// ScanForPay's own settings, for its payment query.
fn scanforpay_settings(
    config: &Config,
) -> Result<&paybridge::scanforpay::ScanForPaySettings, String> {
    config
        .account("scanforpay")
        .and_then(|a| a.settings.as_any().downcast_ref())
        .ok_or_else(|| "scanforpay is not configured".to_owned())
}

fn scanforpay_client(
    config: &Config,
) -> Result<paybridge::scanforpay::ScanForPayClient<paybridge::transport::HyperTransport>, String> {
    paybridge::scanforpay::ScanForPayClient::new(
        scanforpay_settings(config)?.client_config(paybridge::transport::RetryPolicy::default()),
        paybridge::transport::HyperTransport::with_defaults().map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())
}

/// Looks a payment up until it reads `want` (a refund settles after a short delay).
async fn payment_reads(
    gateway: &Gateway,
    provider: ProviderId,
    lookup: &PaymentLookup,
    want: PaymentStatus,
) -> Result<Payment, String> {
    let payments = gateway
        .payments(provider.name())
        .map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let payment = payments
            .payment_status(lookup)
            .await
            .map_err(|e| e.to_string())?;
        if payment.status == want {
            return Ok(payment);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "reads {} ({}) after 10 s, not {}",
                payment.status.as_str(),
                payment.provider_status.unwrap_or_default(),
                want.as_str()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn describe_payment(payment: &Payment) -> String {
    format!(
        "{} {} {} ({})",
        payment.order_ref,
        payment.amount,
        payment.status.as_str(),
        payment.provider_status.as_deref().unwrap_or("")
    )
}

fn describe(notification: &Notification) -> String {
    match &notification.event {
        NotificationEvent::Refund { refund } => format!(
            "refund {} {} {:?}",
            refund.refund_id, refund.amount, refund.status
        ),
        NotificationEvent::Payment { payment } => format!(
            "payment {} {:?}",
            payment.payment.as_deref().unwrap_or(""),
            payment.status
        ),
        other => format!("{other:?}"),
    }
}

async fn story(
    sandbox: &SandboxHandle,
    gateway: &Gateway,
    config: &Config,
    hooks: &str,
    provider: ProviderId,
) -> Story {
    let (currency, amount) = match provider {
        ProviderId::BluePay => (Currency::Thb, 100_000),
        ProviderId::Nomad => (Currency::Cny, 8_800),
        ProviderId::ScanForPay => (Currency::Hkd, 25_000),
        ProviderId::WechatPay => (Currency::Cny, 12_800),
        ProviderId::Alipay => (Currency::Cny, 66_600),
    };
    let mut story = Story {
        provider: provider.name(),
        payment: String::new(),
        amount: money(amount, currency),
        steps: Vec::new(),
    };
    // 1. A payment created through the provider's own payment API (a QR code for the customer
    //    to scan), which the customer then pays in the sandbox.
    let order = format!("demo-{}-{}", provider.name(), std::process::id());
    let Ok(order_ref) = OrderRef::new(order.clone()) else {
        story.record("payment", Err(format!("bad order reference {order}")));
        return story;
    };
    let created = async {
        let request =
            PaymentRequest::builder(order_ref.clone(), Money::new(amount, currency), Scene::Qr)
                .description("Demo tea set")
                .notify_url(format!("{hooks}/{}", provider.name()))
                .build()
                .map_err(|e| e.to_string())?;
        let payment = gateway
            .payments(provider.name())
            .map_err(|e| e.to_string())?
            .create_payment(&request)
            .await
            .map_err(|e| e.to_string())?;
        match (&payment.status, &payment.action) {
            (PaymentStatus::Pending, Some(PaymentAction::Qr { content })) => {
                Ok(format!("{order} waiting for the customer: QR {content}"))
            }
            _ => Err(format!("created as {}", describe_payment(&payment))),
        }
    };
    if !story.record("payment", created.await) {
        return story;
    }
    story.payment = order.clone();
    let paid = sandbox
        .customer(provider, &order, CustomerAction::Pay)
        .map(|p| format!("{} paid {}", p.order_ref, money(p.amount_minor, p.currency)))
        .map_err(|refusal| format!("the sandbox refused: {refusal:?}"));
    if !story.record("customer pays", paid) {
        return story;
    }
    let payment_lookup = PaymentLookup {
        order_ref: order_ref.clone(),
        payment: None,
        amount: Some(Money::new(amount, currency)),
    };
    let paid = payment_reads(gateway, provider, &payment_lookup, PaymentStatus::Succeeded).await;
    let transaction = paid.as_ref().ok().and_then(|p| p.payment.clone());
    if !story.record("status paid", paid.map(|p| describe_payment(&p))) {
        return story;
    }
    // The refund names the payment the way the provider's refund API wants it: ScanForPay by
    // the merchant's order reference (its partnerOrderNo), the others also by their own id.
    let payment_id = match provider {
        ProviderId::ScanForPay => None,
        _ => transaction,
    };
    let build = |id: &str, minor: i64| {
        let mut builder = RefundRequest::builder(
            MerchantRefundId::new(id).map_err(|e| e.to_string())?,
            Money::new(minor, currency),
        )
        .order_ref(order_ref.clone());
        if let Some(id) = &payment_id {
            builder = builder.payment(PaymentRef::new(id.clone()).map_err(|e| e.to_string())?);
        }
        builder
            .total(Money::new(amount, currency))
            .reason("demo refund")
            .notify_url(format!("{hooks}/{}", provider.name()))
            .build()
            .map_err(|e| e.to_string())
    };
    let partial = amount * 2 / 5;
    let (Ok(first), Ok(second)) = (
        build("demo-partial-1", partial),
        build("demo-final-2", amount - partial),
    ) else {
        story.record(
            "refund requests",
            Err("could not build the requests".into()),
        );
        return story;
    };
    // 2–3. A partial refund, then the rest.
    story.record("partial refund", refund(gateway, provider, &first).await);
    story.record("final refund", refund(gateway, provider, &second).await);
    // 4. Lookups, until both refunds are final. ScanForPay has no refund query: its payment
    //    query can only show the payment refunded in full, which is what the client reports.
    if provider == ProviderId::ScanForPay {
        story.record("lookup", scanforpay_lookup(config, &order, &second).await);
    } else {
        story.record(
            "lookup partial",
            lookup(gateway, provider, RefundLookup::from(&first)).await,
        );
        story.record(
            "lookup final",
            lookup(gateway, provider, RefundLookup::from(&second)).await,
        );
    }
    // 5. The payment reads refunded.
    story.record(
        "status refunded",
        payment_reads(gateway, provider, &payment_lookup, PaymentStatus::Refunded)
            .await
            .map(|p| describe_payment(&p)),
    );
    // 6. The ledger agrees.
    let ledger = sandbox
        .ledger()
        .payment(provider, &order)
        .map(|p| (p.refunds.len(), p.refunded_minor()));
    story.record(
        "ledger",
        match ledger {
            Some((2, refunded)) if refunded == amount => {
                Ok(format!("2 refunds, {} refunded", money(refunded, currency)))
            }
            other => Err(format!("ledger shows {other:?}")),
        },
    );
    story
}

pub(crate) async fn run() -> Result<(), Failure> {
    output::say("starting the sandbox (generating RSA keys)…");
    let sandbox = Sandbox::start(SandboxConfig {
        refund_delay: Duration::from_millis(300),
        notify_backoff: Duration::from_millis(100),
        ..SandboxConfig::default()
    })
    .await?;
    let mut hooks = webhooks().await?;
    let dir = std::env::temp_dir().join(format!("paybridge-demo-{}", std::process::id()));
    let path = dir.join("paybridge.toml");
    sandbox
        .write_config(&path)
        .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
    let config = Config::load(&path)?;
    let gateway = Gateway::from_config(&config)?;
    let _ = hooks.gateway.set(gateway.clone());
    let mut stories = Vec::new();
    for provider in ProviderId::ALL {
        stories.push(story(&sandbox, &gateway, &config, &hooks.url, provider).await);
    }
    // 7. Notifications: each provider's signed (or, for Nomad, query-confirmed) payment
    //    notification, and its refund notifications (ScanForPay documents none).
    // A paid payment's notice: Nomad's is a hint confirmed by a query, which reports the
    // payment as it is when the notice is handled — refunded already, if the delivery came
    // after the refunds (a loaded machine). That is still the payment's paid notice.
    let is_payment = |n: &Notification| {
        matches!(&n.event, NotificationEvent::Payment { payment } if matches!(
            payment.status,
            PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        ))
    };
    let is_refund = |n: &Notification| matches!(n.event, NotificationEvent::Refund { .. });
    let complete = |seen: &[(String, Notification)], provider: &str| {
        let of = |want: &dyn Fn(&Notification) -> bool| {
            seen.iter().any(|(p, n)| p == provider && want(n))
        };
        of(&is_payment) && (provider == ProviderId::ScanForPay.name() || of(&is_refund))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut seen: Vec<(String, Notification)> = Vec::new();
    while stories.iter().any(|s| !complete(&seen, s.provider)) {
        match tokio::time::timeout_at(deadline, hooks.received.recv()).await {
            Ok(Some(item)) => seen.push(item),
            _ => break,
        }
    }
    for story in &mut stories {
        let provider = story.provider;
        let find = |want: &dyn Fn(&Notification) -> bool, what: &str| {
            seen.iter()
                .find(|(p, n)| p == provider && want(n))
                .map(|(_, n)| format!("verified: {}", describe(n)))
                .ok_or_else(|| format!("no verified {what} notification arrived"))
        };
        story.record("paid notice", find(&is_payment, "payment"));
        if provider != ProviderId::ScanForPay.name() {
            story.record("refund notice", find(&is_refund, "refund"));
        }
    }
    let all_ok = stories.iter().all(|s| s.steps.iter().all(|step| step.ok));
    output::say(&format!(
        "\n{:<11} {:<15} {:<6} {}",
        "provider", "step", "result", "detail"
    ));
    for story in &stories {
        for step in &story.steps {
            output::say(&format!(
                "{:<11} {:<15} {:<6} {}",
                story.provider,
                step.step,
                if step.ok { "ok" } else { "FAIL" },
                step.detail
            ));
        }
    }
    let stats = sandbox.stats();
    output::say(&format!(
        "\nsandbox: {} requests, {} refunds applied, {} duplicates, {} notifications acknowledged",
        stats.requests, stats.refunds_applied, stats.duplicates, stats.notifications_acknowledged
    ));
    output::line(&serde_json::json!({ "ok": all_ok, "providers": stories, "sandbox": stats }));
    sandbox.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
    if all_ok {
        Ok(())
    } else {
        Err(Failure {
            code: 4,
            kind: "demo_failed",
            message: "a step of the demo did not match; see the table above".into(),
        })
    }
}
