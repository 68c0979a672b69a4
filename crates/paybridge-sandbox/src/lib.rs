//! A loopback emulation of BluePay, Nomad, ScanForPay, WeChat Pay and Alipay.
//!
//! One listener serves every provider under a prefix (`/bluepay`, `/nomad`, `/scanforpay`, `/wechatpay`, `/alipay`).
//! Each provider's behaviour lives in its own crate's `emulator` module (feature `emulator`),
//! beside the wire types it answers with; this crate keeps what is provider-neutral — the
//! listener and router, the shared ledger, settling, notification delivery, faults and the
//! control endpoints — and lends it to the emulators through [`paybridge_emulator::Host`].
//! The emulators check what each real provider checks — signatures over the raw bytes, required fields,
//! lengths, amounts, refund rules — answering in the provider's own codes. One ledger holds
//! every payment and refund; control endpoints under `/_sandbox` create payments, show the
//! ledger and stats, and inject faults. Refunds turn final after a configurable delay and the
//! provider's signed notification is delivered to the callback URL until acknowledged.
//!
//! The control endpoints (JSON over HTTP; [`CONTROL_ENDPOINTS`], which `paybridge sandbox
//! --help` prints) each have a method on [`SandboxHandle`] for tests in Rust:
//!
//! | endpoint | what it does | in Rust |
//! |---|---|---|
//! | `POST /_sandbox/payments` | a paid payment | [`SandboxHandle::create_payment`] |
//! | `GET /_sandbox/payments/{provider}/{payment}` | the payment and its refunds | [`SandboxHandle::ledger`] ([`paybridge_emulator::Ledger::payment`]) |
//! | `POST /_sandbox/refunds` | a refund made in the provider's portal | [`SandboxHandle::refund_directly`] |
//! | `POST /_sandbox/customer` | the customer pays or abandons a pending payment | [`SandboxHandle::customer`] |
//! | `POST /_sandbox/customer/barcode` | a barcode from the customer's wallet | [`SandboxHandle::barcode`] |
//! | `GET /_sandbox/stats` | what the sandbox saw | [`SandboxHandle::stats`] |
//! | `POST /_sandbox/faults` | faults from now on | [`SandboxHandle::set_faults`] |
//! | `POST /_sandbox/notifications/{provider}` | a sink that acknowledges notifications | [`SandboxHandle::sink_received`] |
//!
//! ```no_run
//! # async fn run() -> Result<(), paybridge_core::Error> {
//! let sandbox = paybridge_sandbox::Sandbox::start(paybridge_sandbox::SandboxConfig::default()).await?;
//! println!("listening on {}", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod control;
mod credentials;
mod faults;
mod host;
mod notify;
mod quirks;
mod server;
mod stats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use credentials::{Credentials, KeyPair};

/// The control endpoints, as `(endpoint, what it does)`: the sandbox's side door for tests and
/// demos, next to the providers' own APIs under `/bluepay`, `/nomad`, `/scanforpay`,
/// `/wechatpay` and `/alipay`.
pub const CONTROL_ENDPOINTS: &[(&str, &str)] = &[
    (
        r#"POST /_sandbox/payments {"provider", "amount_minor", "currency"}"#,
        r#"a paid payment: {"provider", "payment", "order_ref", "amount_minor", "currency"}"#,
    ),
    (
        "GET /_sandbox/payments/{provider}/{payment}",
        "the payment with every refund applied to it",
    ),
    (
        r#"POST /_sandbox/refunds {"provider", "payment", "refund_id", "amount_minor"}"#,
        "a refund applied as the provider's merchant portal would, without the client",
    ),
    (
        r#"POST /_sandbox/customer {"provider", "order_ref", "action": "pay"|"abandon"}"#,
        "the customer pays, or walks away from, a pending payment",
    ),
    (
        r#"POST /_sandbox/customer/barcode {"provider", "password"?}"#,
        r#"a barcode from the customer's wallet: {"auth_code"}"#,
    ),
    (
        "GET /_sandbox/stats",
        "requests, refunds applied, duplicates, resends, faults, notifications acknowledged…",
    ),
    (
        r#"POST /_sandbox/faults {"rate", "seed"}"#,
        "from now on that share of provider calls fails (before or after applying, 5xx, slow)",
    ),
    (
        "POST /_sandbox/notifications/{provider}",
        "a sink that records and acknowledges notifications",
    ),
];
pub use faults::{FaultInjector, FaultKind};
pub use paybridge_core::ProviderId;
pub use paybridge_emulator::{
    CustomerAction, CustomerRefusal, Ledger, Payment, RefundEntry, RefundState,
};
pub use quirks::{Quirks, UnknownQuirk};
pub use stats::{FaultCounts, StatsSnapshot};

use paybridge_core::{Clock, Error, SystemClock};

/// How a sandbox runs.
#[derive(Debug)]
pub struct SandboxConfig {
    /// Where to listen (a loopback address; port 0 picks a free one).
    pub listen: SocketAddr,
    /// Credentials to use; generated when `None`.
    pub credentials: Option<Credentials>,
    /// How long a refund stays pending before it succeeds (0: final at once).
    pub refund_delay: Duration,
    /// Share of provider calls that fail (0–1).
    pub fault_rate: f64,
    /// Seed of the fault sequence.
    pub fault_seed: u64,
    /// How long a delay fault holds its answer (past the client's timeout).
    pub fault_delay: Duration,
    /// How far a BluePay `timestamp` may be from now, in seconds.
    pub timestamp_window_secs: i64,
    /// Notification deliveries per notification at most.
    pub notify_max_attempts: u32,
    /// First redelivery backoff (doubles).
    pub notify_backoff: Duration,
    /// Allow listening on a non-loopback address.
    pub allow_non_loopback: bool,
    /// The ambiguous answers real providers give, switched on.
    pub quirks: Quirks,
    /// Also serve each provider on a port of its own, at the root of a host-only base URL
    /// (`http://127.0.0.1:PORT/v3/refund/…`, `http://127.0.0.1:PORT/gateway.do`), as the real
    /// provider is: an SDK whose gateway setting is a host then signs the path it sends.
    pub listen_per_provider: bool,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: None,
            refund_delay: Duration::from_millis(200),
            fault_rate: 0.0,
            fault_seed: 1,
            fault_delay: Duration::from_secs(3),
            timestamp_window_secs: 300,
            notify_max_attempts: 6,
            notify_backoff: Duration::from_millis(100),
            allow_non_loopback: false,
            quirks: Quirks::default(),
            listen_per_provider: false,
        }
    }
}

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) ledger: Ledger,
    pub(crate) stats: stats::Stats,
    pub(crate) faults: FaultInjector,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) http: notify::HttpClient,
    pub(crate) base_url: String,
    /// Each provider's own base URL, where it has a port of its own.
    pub(crate) provider_urls: Vec<(ProviderId, String)>,
    /// Notifications the sink at `/_sandbox/notifications/{provider}` received, per provider.
    pub(crate) sink: std::sync::Mutex<std::collections::HashMap<String, Vec<bytes::Bytes>>>,
    /// BluePay payouts by `mchOrderId`.
    /// Every provider's emulator, in [`ProviderId::ALL`]'s order.
    pub(crate) emulators: Vec<Arc<dyn paybridge_emulator::Emulator>>,
}

/// The sandbox.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Starts a sandbox and returns once it is listening.
    ///
    /// # Errors
    /// [`Error::Config`] when the address is not loopback (unless allowed) or cannot be bound,
    /// or keys cannot be generated.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, Error> {
        server::start(config).await
    }
}

/// A running sandbox: its address, credentials and controls. Dropping it stops the server.
pub struct SandboxHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The base URL a provider's client uses: its own port's root where the sandbox listens
    /// per provider, else `…/bluepay`, `…/nomad`, `…/scanforpay`, `…/wechatpay`, `…/alipay`.
    pub fn provider_url(&self, provider: ProviderId) -> String {
        self.shared.provider_url(provider)
    }

    /// Each provider's base URL, in [`ProviderId::ALL`]'s order.
    pub fn provider_urls(&self) -> Vec<(ProviderId, String)> {
        ProviderId::ALL
            .into_iter()
            .map(|p| (p, self.provider_url(p)))
            .collect()
    }

    /// The credentials clients need.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.shared.ledger
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// Fault injection from now on.
    pub fn set_faults(&self, rate: f64, seed: u64) {
        self.shared.faults.configure(rate, seed);
    }

    /// Creates a paid payment, as `POST /_sandbox/payments` does.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a non-positive amount or a currency the provider does not take.
    pub fn create_payment(
        &self,
        provider: ProviderId,
        amount_minor: i64,
        currency: paybridge_core::Currency,
    ) -> Result<Payment, Error> {
        control::create_payment(&self.shared, provider, amount_minor, currency)
    }

    /// The customer pays a pending payment (and the provider sends its notification) or walks
    /// away from it, as `POST /_sandbox/customer` does.
    ///
    /// # Errors
    /// [`CustomerRefusal`] when there is no such payment or it can no longer be paid.
    pub fn customer(
        &self,
        provider: ProviderId,
        order_ref: &str,
        action: CustomerAction,
    ) -> Result<Payment, CustomerRefusal> {
        control::customer_acts(&self.shared, provider, order_ref, action)
    }

    /// Issues a payment code as the customer's wallet shows it, as `POST
    /// /_sandbox/customer/barcode` does; `password`: the charge waits for the customer to confirm.
    /// `None` when the provider takes no barcode payments.
    pub fn barcode(&self, provider: ProviderId, password: bool) -> Option<String> {
        let prefix = self.shared.emulator(provider)?.auth_code_prefix()?;
        Some(
            self.shared
                .ledger
                .issue_auth_code(provider, prefix, password),
        )
    }

    /// Writes a `paybridge.toml` (and key files beside it) pointing at this sandbox, with
    /// default notification URLs at its own sink (`/_sandbox/notifications/{provider}`), so
    /// every command works with it as written.
    ///
    /// # Errors
    /// The file, or a key file beside it, cannot be written.
    pub fn write_config(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        self.shared
            .credentials
            .write_config_with(path.as_ref(), &self.shared.base_url, &|p| {
                self.shared.provider_url(p)
            })
    }

    /// Applies a refund to `payment` directly, as the provider's merchant portal (or another
    /// system of the merchant's) would, as `POST /_sandbox/refunds` does: final at once, and
    /// unknown to any paybridge client.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] where the provider's rules refuse it (no such payment, more
    /// than is left to refund, a refund id already used); nothing is recorded then.
    pub fn refund_directly(
        &self,
        provider: ProviderId,
        payment: &str,
        refund_id: &str,
        amount_minor: i64,
    ) -> Result<RefundEntry, Error> {
        control::refund_directly(&self.shared, provider, payment, refund_id, amount_minor)
    }

    /// Makes a pending refund fail at the provider, as a bank's refusal would: it stops counting
    /// against its payment, and its notification says so. False if there is no such pending
    /// refund.
    pub fn fail_refund(&self, provider: ProviderId, refund_id: &str) -> bool {
        let pending = self
            .shared
            .ledger
            .refund(provider, refund_id)
            .is_some_and(|(_, entry)| entry.status == RefundState::Pending);
        if !pending {
            return false;
        }
        let now = self.shared.clock.now();
        self.shared
            .ledger
            .finish(provider, refund_id, RefundState::Failed, now)
            .is_some()
    }

    /// The notification bodies the sandbox's own sink received for `provider`, in order.
    pub fn sink_received(&self, provider: ProviderId) -> Vec<bytes::Bytes> {
        self.shared
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(provider.name())
            .cloned()
            .unwrap_or_default()
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Shared {
    /// `provider`'s base URL: its own port's root, or its path under the shared one.
    pub(crate) fn provider_url(&self, provider: ProviderId) -> String {
        self.provider_urls
            .iter()
            .find(|(p, _)| *p == provider)
            .map_or_else(
                || format!("{}/{}", self.base_url, provider.name()),
                |(_, url)| url.clone(),
            )
    }

    /// `provider`'s emulator.
    pub(crate) fn emulator(
        &self,
        provider: ProviderId,
    ) -> Option<&Arc<dyn paybridge_emulator::Emulator>> {
        self.emulators.iter().find(|e| e.provider() == provider)
    }
}

pub(crate) fn now(shared: &Shared) -> paybridge_core::Timestamp {
    shared.clock.now()
}

pub(crate) fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
