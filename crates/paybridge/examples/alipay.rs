//! Alipay Open Platform (direct merchant) with paybridge: a precreated (QR) payment, a partial refund by your `out_trade_no`, and the
//! payment and refund notifications — RSA2-signed form fields — verified by a webhook receiver
//! (a refund notification carries no amount of its own, so the receiver confirms it by a query).
//!
//! It runs as it is, against the embedded sandbox (no account needed):
//!
//! ```sh
//! cargo run -p paybridge --features axum --example alipay
//! ```
//!
//! With a real account, build the gateway from your `paybridge.toml` (an `[alipay]` section: app id, your RSA2 key, Alipay's public key or certificates) and mount the
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
    let mut stage = Stage::start("alipay").await?;
    // 1. A payment: a QR code for the customer to scan.
    let order = OrderRef::new(stage.unique("ali-order"))?;
    let total = Money::parse("666.00", Currency::Cny)?;
    let request = PaymentRequest::builder(order.clone(), total, Scene::Qr)
        .description("Tea set")
        .notify_url(stage.hook(ProviderId::Alipay))
        .build()?;
    let payment = stage.gateway.create_payment("alipay", &request).await?;
    if let Some(PaymentAction::Qr { content }) = &payment.action {
        println!("show the customer a QR code of {content}");
    }
    stage.customer_pays(ProviderId::Alipay, order.as_str())?;
    let paid = stage.payment_notification().await?;
    println!("verified: {}", serde_json::to_string(&paid)?);
    // 2. A partial refund. Alipay names the trade by `trade_no` or your `out_trade_no`.
    let refund = RefundRequest::builder(
        MerchantRefundId::new(stage.unique("ali-refund"))?,
        Money::parse("66.00", Currency::Cny)?,
    )
    .order_ref(order.clone())
    .reason("one cup broken")
    .notify_url(stage.hook(ProviderId::Alipay))
    .build()?;
    match stage
        .gateway
        .reliable_refund("alipay", &refund, &ReliablePolicy::default())
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
