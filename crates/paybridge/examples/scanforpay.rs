//! ScanForPay (Hong Kong) with paybridge: a QR payment, a partial refund by your order reference (ScanForPay's
//! `partnerOrderNo`), and the payment notification verified by a webhook receiver. ScanForPay
//! documents no refund notification: the refund's outcome is its answer, or a look-up.
//!
//! It runs as it is, against the embedded sandbox (no account needed):
//!
//! ```sh
//! cargo run -p paybridge --features axum --example scanforpay
//! ```
//!
//! With a real account, build the gateway from your `paybridge.toml` (a `[scanforpay]` section: store number and your signing key) and mount the
//! receiver in your web server; the calls are the same.
#![allow(clippy::print_stdout, reason = "an example shows what it does")]

mod common;

use paybridge::{Currency, MerchantRefundId, Money, PaymentRef, RefundRequest};
use paybridge_sandbox::ProviderId;

use common::{Failure, Stage};

#[tokio::main]
async fn main() -> Result<(), Failure> {
    run().await
}

/// The whole example; `cargo test` runs it too (`tests/examples.rs`).
pub(crate) async fn run() -> Result<(), Failure> {
    let mut stage = Stage::start("scanforpay").await?;
    // 1. A payment: a QR code the customer scans and pays.
    let total = Money::parse("250.00", Currency::Hkd)?;
    let order = stage.paid_qr_payment(ProviderId::ScanForPay, total).await?;
    // 2. A partial refund. ScanForPay names the payment by your order reference, which it
    //    calls `partnerOrderNo`.
    let refund = RefundRequest::builder(
        MerchantRefundId::new(stage.unique("sfp-refund"))?,
        Money::parse("50.00", Currency::Hkd)?,
    )
    .payment(PaymentRef::new(order.as_str())?)
    .reason("one cup broken")
    .build()?;
    stage.refund(ProviderId::ScanForPay, &refund).await?;
    Ok(())
}
