//! The Nomad broker (WeChat Pay / Alipay) with paybridge: a QR payment, a partial refund by your order reference and the payment's
//! total, and the notifications — which Nomad signs with nothing, so the receiver confirms each
//! by a query before handing it on.
//!
//! It runs as it is, against the embedded sandbox (no account needed):
//!
//! ```sh
//! cargo run -p paybridge --features axum --example nomad
//! ```
//!
//! With a real account, build the gateway from your `paybridge.toml` (a `[nomad]` section: your API key) and mount the
//! receiver in your web server; the calls are the same.
#![allow(clippy::print_stdout, reason = "an example shows what it does")]

mod common;

use paybridge::{
    Currency, MerchantRefundId, Money, OrderRef, PaymentAction, PaymentRequest, RefundOutcome,
    RefundRequest, ReliablePolicy, Scene,
};
use paybridge_sandbox::ProviderId;

use common::{Failure, Stage};

#[tokio::main]
async fn main() -> Result<(), Failure> {
    run().await
}

/// The whole example; `cargo test` runs it too (`tests/examples.rs`).
pub(crate) async fn run() -> Result<(), Failure> {
    let mut stage = Stage::start("nomad").await?;
    // 1. A payment: a QR code for the customer to scan.
    let order = OrderRef::new(stage.unique("nm-order"))?;
    let total = Money::parse("88.00", Currency::Cny)?;
    let request = PaymentRequest::builder(order.clone(), total, Scene::Qr)
        .description("Tea set")
        .notify_url(stage.hook(ProviderId::Nomad))
        .build()?;
    let payment = stage.gateway.create_payment("nomad", &request).await?;
    if let Some(PaymentAction::Qr { content }) = &payment.action {
        println!("show the customer a QR code of {content}");
    }
    stage.customer_pays(ProviderId::Nomad, order.as_str())?;
    let paid = stage.payment_notification().await?;
    println!("verified: {}", serde_json::to_string(&paid)?);
    // 2. A partial refund. Nomad names the payment by your order reference (`orderRef`) and
    //    needs its total (`totalAmount`).
    let refund = RefundRequest::builder(
        MerchantRefundId::new(stage.unique("nm-refund"))?,
        Money::parse("18.00", Currency::Cny)?,
    )
    .order_ref(order.clone())
    .total(total)
    .reason("one cup broken")
    .notify_url(stage.hook(ProviderId::Nomad))
    .build()?;
    match stage
        .gateway
        .reliable_refund("nomad", &refund, &ReliablePolicy::default())
        .await
    {
        RefundOutcome::Refunded(refund) => {
            println!("{} is {}", refund.refund_id, refund.status.as_str());
        }
        RefundOutcome::Unknown(error) => {
            // Never refund again under a new id: look this one up later.
            return Err(format!("unknown: look {} up later ({error})", refund.refund_id()).into());
        }
        other => return Err(format!("not refunded: {:?}", other.error()).into()),
    }
    let refunded = stage.refund_notification().await?;
    println!("verified: {}", serde_json::to_string(&refunded)?);
    Ok(())
}
