//! The soak: refunds through [`paybridge::reliable_refund`] at high concurrency against a sandbox
//! that drops connections (before and after applying), answers 5xx and answers too late; then
//! every outcome the client reported is checked against the sandbox ledger.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paybridge::{
    Config, Currency, Error, Gateway, MerchantRefundId, Money, OrderRef, PaymentRef, RefundOutcome,
    RefundRequest, ReliablePolicy, reliable_refund,
};
use paybridge_sandbox::{ProviderId, RefundState, Sandbox, SandboxConfig};
use serde::Serialize;
use tokio::sync::Semaphore;

/// How a soak runs.
#[derive(Clone, Debug)]
pub struct SoakConfig {
    /// Refunds in all (split across the three providers).
    pub refunds: usize,
    /// Share of provider calls that fail.
    pub fault_rate: f64,
    /// Seed of the fault sequence (and of the refund plan).
    pub seed: u64,
    /// Refunds in flight at once.
    pub concurrency: usize,
    /// The client's whole-request timeout (delay faults hold answers past it).
    pub client_timeout: Duration,
    /// How long a reliable refund may take before it reports "unknown".
    pub deadline: Duration,
}

impl Default for SoakConfig {
    fn default() -> SoakConfig {
        SoakConfig {
            refunds: 300,
            fault_rate: 0.2,
            seed: 7,
            concurrency: 32,
            client_timeout: Duration::from_millis(400),
            deadline: Duration::from_secs(30),
        }
    }
}

/// What a soak found. Every count but `refunds`, `faults_injected` and `unknown` must be 0.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Refunds attempted.
    pub refunds: usize,
    /// Faults the sandbox injected.
    pub faults_injected: u64,
    /// Refunds reported refunded.
    pub refunded: usize,
    /// Refunds reported rejected (the plan has none; any is a finding).
    pub rejected: usize,
    /// Refund ids the ledger holds more than once.
    pub doubled: usize,
    /// Refunds reported refunded that the ledger does not hold (or holds for another amount).
    pub lost: usize,
    /// Refunds reported failed that the ledger holds anyway.
    pub phantom: usize,
    /// Outcomes still unknown at the deadline.
    pub unknown: usize,
    /// Unknown outcomes a later lookup could not settle.
    pub unresolved: usize,
    /// Ledger refunds no request accounts for.
    pub stray: usize,
    /// Median reliable-refund latency, milliseconds.
    pub p50_ms: u128,
    /// 99th percentile, milliseconds.
    pub p99_ms: u128,
    /// Wall time, milliseconds.
    pub elapsed_ms: u128,
}

impl Report {
    /// Whether the soak kept every promise.
    pub fn clean(&self) -> bool {
        self.doubled == 0
            && self.lost == 0
            && self.phantom == 0
            && self.unresolved == 0
            && self.stray == 0
            && self.rejected == 0
    }

    /// The one-line summary.
    pub fn line(&self) -> String {
        format!(
            "refunds={} faults_injected={} refunded={} doubled={} lost={} phantom={} unknown={} unresolved={} stray={} rejected={} p50_ms={} p99_ms={} elapsed_ms={}",
            self.refunds,
            self.faults_injected,
            self.refunded,
            self.doubled,
            self.lost,
            self.phantom,
            self.unknown,
            self.unresolved,
            self.stray,
            self.rejected,
            self.p50_ms,
            self.p99_ms,
            self.elapsed_ms
        )
    }
}

fn error(reason: impl Into<String>) -> Error {
    Error::Config {
        reason: reason.into(),
    }
}

/// A small seeded generator for the plan.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

struct Planned {
    provider: ProviderId,
    request: RefundRequest,
}

fn currency(provider: ProviderId) -> Currency {
    match provider {
        ProviderId::BluePay => Currency::Thb,
        ProviderId::Nomad => Currency::Cny,
        ProviderId::ScanForPay => Currency::Hkd,
        ProviderId::WechatPay | ProviderId::Alipay => Currency::Cny,
    }
}

/// Payments of one to four refunds each; the last refund of a payment refunds the rest (full),
/// the others part of it.
fn plan(
    sandbox: &paybridge_sandbox::SandboxHandle,
    config: &SoakConfig,
) -> Result<Vec<Planned>, Error> {
    let mut rng = Lcg(config.seed);
    let mut planned = Vec::with_capacity(config.refunds);
    let mut n = 0;
    'outer: loop {
        for provider in ProviderId::ALL {
            if n >= config.refunds {
                break 'outer;
            }
            let count = usize::try_from(1 + rng.below(4))
                .unwrap_or(1)
                .min(config.refunds - n);
            let parts: Vec<i64> = (0..count)
                .map(|_| i64::try_from(100 + rng.below(9_900)).unwrap_or(100))
                .collect();
            let total: i64 = parts.iter().sum();
            let payment = sandbox.create_payment(provider, total, currency(provider))?;
            for amount in parts {
                let id = format!("soak-{}-{n}", provider.name());
                let request = RefundRequest::builder(
                    MerchantRefundId::new(id)?,
                    Money::new(amount, currency(provider)),
                )
                .payment(PaymentRef::new(payment.payment.clone())?)
                .order_ref(OrderRef::new(payment.order_ref.clone())?)
                .total(Money::new(total, currency(provider)))
                .build()?;
                planned.push(Planned { provider, request });
                n += 1;
            }
        }
    }
    Ok(planned)
}

fn percentile(sorted: &[u128], p: usize) -> u128 {
    if sorted.is_empty() {
        return 0;
    }
    let index = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted.get(index).copied().unwrap_or(0)
}

/// Runs a soak and checks it against the ledger.
///
/// # Errors
/// The sandbox cannot start, or the run cannot be set up.
pub async fn run(config: &SoakConfig) -> Result<Report, Error> {
    let sandbox = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        fault_rate: 0.0,
        fault_seed: config.seed,
        fault_delay: config.client_timeout * 2,
        ..SandboxConfig::default()
    })
    .await?;
    let dir = std::env::temp_dir().join(format!(
        "paybridge-soak-{}-{}",
        std::process::id(),
        config.seed
    ));
    let path = dir.join("paybridge.toml");
    sandbox
        .write_config(&path)
        .map_err(|e| error(format!("writing the config: {e}")))?;
    let mut text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
    text.push_str(&format!(
        "\n[transport]\nrequest_timeout_ms = {}\nconnect_timeout_ms = 1000\n",
        config.client_timeout.as_millis()
    ));
    std::fs::write(&path, text).map_err(|e| error(e.to_string()))?;
    let gateway: Gateway = Gateway::from_config(&Config::load(&path)?)?;
    let planned = plan(&sandbox, config)?;
    sandbox.set_faults(config.fault_rate, config.seed);

    let policy = Arc::new(ReliablePolicy {
        deadline: config.deadline,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(500),
        ..ReliablePolicy::default()
    });
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, item) in planned.iter().enumerate() {
        let client = Arc::clone(gateway.provider(item.provider.name())?);
        let request = item.request.clone();
        let (permits, policy) = (Arc::clone(&permits), Arc::clone(&policy));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let t = Instant::now();
            let outcome = reliable_refund(client.as_ref(), &request, &policy).await;
            (index, outcome, t.elapsed().as_millis())
        });
    }
    let mut outcomes: Vec<Option<RefundOutcome>> = (0..planned.len()).map(|_| None).collect();
    let mut latencies = Vec::with_capacity(planned.len());
    while let Some(done) = tasks.join_next().await {
        let (index, outcome, ms) = done.map_err(|e| error(e.to_string()))?;
        if let Some(slot) = outcomes.get_mut(index) {
            *slot = Some(outcome);
        }
        latencies.push(ms);
    }
    let elapsed = started.elapsed().as_millis();
    let faults = sandbox.stats().faults_injected;
    // Faults off: unknown outcomes are now resolved the way a merchant would, later.
    sandbox.set_faults(0.0, config.seed);

    let mut report = Report {
        refunds: planned.len(),
        faults_injected: faults,
        elapsed_ms: elapsed,
        ..Report::default()
    };
    latencies.sort_unstable();
    report.p50_ms = percentile(&latencies, 50);
    report.p99_ms = percentile(&latencies, 99);
    let mut expected: HashMap<(ProviderId, String), ()> = HashMap::new();
    let quick = ReliablePolicy {
        deadline: Duration::from_secs(10),
        ..ReliablePolicy::default()
    };
    for (item, outcome) in planned.iter().zip(outcomes) {
        let id = item.request.refund_id().as_str().to_owned();
        expected.insert((item.provider, id.clone()), ());
        let payment = sandbox.ledger().payment(
            item.provider,
            item.request.payment().map(PaymentRef::as_str).unwrap_or(""),
        );
        let held: Vec<(i64, RefundState)> = payment
            .map(|p| {
                p.refunds
                    .iter()
                    .filter(|r| r.refund_id == id)
                    .map(|r| (r.amount_minor, r.status))
                    .collect()
            })
            .unwrap_or_default();
        if held.len() > 1 {
            report.doubled += 1;
        }
        let holds = held.iter().any(|(_, s)| *s != RefundState::Failed);
        match outcome {
            Some(RefundOutcome::Refunded(refund)) => {
                report.refunded += 1;
                if !held
                    .iter()
                    .any(|(amount, _)| *amount == refund.amount.minor)
                {
                    report.lost += 1;
                }
            }
            Some(RefundOutcome::Unknown(_)) => {
                report.unknown += 1;
                let client = gateway.provider(item.provider.name())?;
                match reliable_refund(client.as_ref(), &item.request, &quick).await {
                    RefundOutcome::Refunded(refund)
                        if held.len() <= 1 && refund.amount == item.request.amount() => {}
                    _ => report.unresolved += 1,
                }
            }
            Some(_) => {
                report.rejected += 1;
                if holds {
                    report.phantom += 1;
                }
            }
            None => report.lost += 1,
        }
    }
    for payment in sandbox.ledger().payments() {
        report.stray += payment
            .refunds
            .iter()
            .filter(|r| !expected.contains_key(&(payment.provider, r.refund_id.clone())))
            .count();
    }
    sandbox.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(report)
}
