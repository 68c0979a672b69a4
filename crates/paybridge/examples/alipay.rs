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

use paybridge::{Currency, MerchantRefundId, Money, RefundRequest};
use paybridge_sandbox::ProviderId;

use common::{Failure, Stage};

#[tokio::main]
async fn main() -> Result<(), Failure> {
    run().await
}

/// The whole example; `cargo test` runs it too (`tests/examples.rs`).
pub(crate) async fn run() -> Result<(), Failure> {
    let mut stage = Stage::start("alipay").await?;
    // 1. A payment: a QR code the customer scans and pays.
    let total = Money::parse("666.00", Currency::Cny)?;
    let order = stage.paid_qr_payment(ProviderId::Alipay, total).await?;
    // 2. A partial refund. Alipay names the trade by `trade_no` or your `out_trade_no`.
    let refund = RefundRequest::builder(
        MerchantRefundId::new(stage.unique("ali-refund"))?,
        Money::parse("66.00", Currency::Cny)?,
    )
    .order_ref(order)
    .reason("one cup broken")
    .notify_url(stage.hook(ProviderId::Alipay))
    .build()?;
    stage.refund(ProviderId::Alipay, &refund).await?;
    stage.refund_notification().await?;
    Ok(())
}
