//! What the provider examples share, so each of them shows only what is its provider's own:
//! the embedded sandbox (the examples run as they are, with no account anywhere), a gateway
//! built from the `paybridge.toml` the sandbox writes, and a webhook receiver that verifies
//! each notification over its raw body and hands it on, exactly once.
//!
//! With your own accounts, the gateway comes from your `paybridge.toml` and the receiver from
//! your web server; nothing else in the examples changes.
#![allow(dead_code, reason = "each example uses the parts its provider needs")]

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use paybridge::notification_store::SqliteNotificationStore;
use paybridge::receiver::{HandlerResult, Receiver};
use paybridge::{
    Config, Gateway, Money, Notification, NotificationEvent, OrderRef, PaymentAction,
    PaymentRequest, RefundOutcome, RefundRequest, ReliablePolicy, Scene,
};
use paybridge_sandbox::{CustomerAction, ProviderId, Sandbox, SandboxConfig, SandboxHandle};
use tokio::sync::mpsc;

/// A boxed error, as `main` returns it.
pub(crate) type Failure = Box<dyn Error + Send + Sync>;

/// The sandbox, the gateway, and the notifications the receiver verified.
pub(crate) struct Stage {
    /// The sandbox, playing the providers (and their customers).
    pub(crate) sandbox: SandboxHandle,
    /// Every provider account, from the sandbox's `paybridge.toml`.
    pub(crate) gateway: Gateway,
    hooks: String,
    notifications: mpsc::UnboundedReceiver<Notification>,
    dir: PathBuf,
}

impl Stage {
    /// Starts the sandbox and a webhook receiver (at `/hooks/<provider>`) for every account.
    pub(crate) async fn start(name: &str) -> Result<Stage, Failure> {
        let sandbox = Sandbox::start(SandboxConfig {
            refund_delay: Duration::from_millis(100),
            ..SandboxConfig::default()
        })
        .await?;
        let dir =
            std::env::temp_dir().join(format!("paybridge-example-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("paybridge.toml");
        sandbox.write_config(&config)?;
        let gateway = Gateway::from_config(&Config::load(&config)?)?;

        // Handled notifications are remembered in SQLite: a redelivery is acknowledged and not
        // handed on again, across restarts too.
        let store = Arc::new(SqliteNotificationStore::open(
            dir.join("notifications.sqlite"),
            Duration::from_secs(30),
        )?);
        let (sender, notifications) = mpsc::unbounded_channel();
        let mut app = axum::Router::new();
        for name in gateway.names() {
            let sender = sender.clone();
            let handler = move |notification: Notification| {
                let sent: HandlerResult = sender.send(notification).map_err(Into::into);
                std::future::ready(sent)
            };
            let receiver =
                Receiver::new(Arc::clone(gateway.provider(name)?), store.clone(), handler);
            app = app.nest(&format!("/hooks/{name}"), receiver.router());
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let hooks = format!("http://{}/hooks", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Stage {
            sandbox,
            gateway,
            hooks,
            notifications,
            dir,
        })
    }

    /// Where `provider` sends its notifications: the receiver's URL for it.
    pub(crate) fn hook(&self, provider: ProviderId) -> String {
        format!("{}/{}", self.hooks, provider.name())
    }

    /// Step 1 of every example: a QR payment of `total` for the customer to scan, the customer
    /// paying it, and the provider's verified payment notification. The order's reference.
    pub(crate) async fn paid_qr_payment(
        &mut self,
        provider: ProviderId,
        total: Money,
    ) -> Result<OrderRef, Failure> {
        let order = OrderRef::new(self.unique(&format!("{provider}-order")))?;
        let request = PaymentRequest::builder(order.clone(), total, Scene::Qr)
            .description("Tea set")
            .notify_url(self.hook(provider))
            .build()?;
        let payment = self
            .gateway
            .create_payment(provider.name(), &request)
            .await?;
        if let Some(PaymentAction::Qr { content }) = &payment.action {
            println!("show the customer a QR code of {content}");
        }
        self.customer_pays(provider, order.as_str())?;
        let paid = self.payment_notification().await?;
        println!("verified: {}", serde_json::to_string(&paid)?);
        Ok(order)
    }

    /// Step 2's sending: the reliable refund, retried under the request's refund id and
    /// settled by a look-up when the outcome is unknown — never sent again under a new id.
    pub(crate) async fn refund(
        &self,
        provider: ProviderId,
        request: &RefundRequest,
    ) -> Result<(), Failure> {
        match self
            .gateway
            .reliable_refund(provider.name(), request, &ReliablePolicy::default())
            .await
        {
            RefundOutcome::Refunded(refund) => {
                println!("{} is {}", refund.refund_id, refund.status.as_str());
                Ok(())
            }
            RefundOutcome::Unknown(error) => Err(format!(
                "unknown: look {} up later under the same id ({error})",
                request.refund_id()
            )
            .into()),
            other => Err(format!("not refunded: {:?}", other.error()).into()),
        }
    }

    /// The customer pays the pending payment `order_ref` (in the sandbox: really, they scan
    /// the QR code in their wallet app).
    pub(crate) fn customer_pays(
        &self,
        provider: ProviderId,
        order_ref: &str,
    ) -> Result<(), Failure> {
        self.sandbox
            .customer(provider, order_ref, CustomerAction::Pay)
            .map(drop)
            .map_err(|refusal| format!("the customer could not pay: {refusal:?}").into())
    }

    /// Waits for the next verified notification about a refund (payment notifications are
    /// skipped) and prints it.
    pub(crate) async fn refund_notification(&mut self) -> Result<(), Failure> {
        loop {
            let notification = self.notification().await?;
            if matches!(notification.event, NotificationEvent::Refund { .. }) {
                println!("verified: {}", serde_json::to_string(&notification)?);
                return Ok(());
            }
        }
    }

    /// The next verified notification about a payment (refund notifications are skipped).
    async fn payment_notification(&mut self) -> Result<Notification, Failure> {
        loop {
            let notification = self.notification().await?;
            if matches!(notification.event, NotificationEvent::Payment { .. }) {
                return Ok(notification);
            }
        }
    }

    async fn notification(&mut self) -> Result<Notification, Failure> {
        tokio::time::timeout(Duration::from_secs(20), self.notifications.recv())
            .await
            .map_err(|_| "no notification arrived in 20 s")?
            .ok_or_else(|| "the receiver stopped".into())
    }

    /// A reference no earlier run of the example used.
    pub(crate) fn unique(&self, prefix: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("{prefix}-{}-{nanos}", std::process::id())
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
