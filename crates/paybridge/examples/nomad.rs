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

use paybridge::{Currency, MerchantRefundId, Money, RefundRequest};
use paybridge_sandbox::ProviderId;

use common::{Failure, Stage};

#[tokio::main]
async fn main() -> Result<(), Failure> {
    run().await
}

/// The whole example; `cargo test` runs it too (`tests/examples.rs`).
pub(crate) async fn run() -> Result<(), Failure> {
    let mut stage = Stage::start("nomad").await?;
    // 1. A payment: a QR code the customer scans and pays.
    let total = Money::parse("88.00", Currency::Cny)?;
    let order = stage.paid_qr_payment(ProviderId::Nomad, total).await?;
    // 2. A partial refund. Nomad names the payment by your order reference (`orderRef`) and
    //    needs its total (`totalAmount`).
    let refund = RefundRequest::builder(
        MerchantRefundId::new(stage.unique("nm-refund"))?,
        Money::parse("18.00", Currency::Cny)?,
    )
    .order_ref(order)
    .total(total)
    .reason("one cup broken")
    .notify_url(stage.hook(ProviderId::Nomad))
    .build()?;
    stage.refund(ProviderId::Nomad, &refund).await?;
    stage.refund_notification().await?;
    Ok(())
}
