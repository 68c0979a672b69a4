//! BluePay (Thailand) with paybridge: a QR payment, a partial refund by the payment's `originalTransactionId`, and both signed
//! notifications verified by a webhook receiver.
//!
//! It runs as it is, against the embedded sandbox (no account needed):
//!
//! ```sh
//! cargo run -p paybridge --features axum --example bluepay
//! ```
//!
//! With a real account, build the gateway from your `paybridge.toml` (a `[bluepay]` section: merchant id, your RSA key, BluePay's public key) and mount the
//! receiver in your web server; the calls are the same.
#![allow(clippy::print_stdout, reason = "an example shows what it does")]

mod common;

use paybridge::{Currency, MerchantRefundId, Money, PaymentLookup, PaymentRef, RefundRequest};
use paybridge_sandbox::ProviderId;

use common::{Failure, Stage};

#[tokio::main]
async fn main() -> Result<(), Failure> {
    run().await
}

/// The whole example; `cargo test` runs it too (`tests/examples.rs`).
pub(crate) async fn run() -> Result<(), Failure> {
    let mut stage = Stage::start("bluepay").await?;
    // 1. A payment: a QR code the customer scans and pays.
    let total = Money::parse("1000.00", Currency::Thb)?;
    let order = stage.paid_qr_payment(ProviderId::BluePay, total).await?;
    // 2. A partial refund. BluePay names the payment by its own transaction id
    //    (`originalTransactionId`), which the payment's look-up reports.
    let lookup = PaymentLookup {
        order_ref: order,
        payment: None,
        amount: Some(total),
    };
    let paid = stage.gateway.payment_status("bluepay", &lookup).await?;
    let transaction = paid.payment.ok_or("BluePay reported no transaction id")?;
    let refund = RefundRequest::builder(
        MerchantRefundId::new(stage.unique("bp-refund"))?,
        Money::parse("250.00", Currency::Thb)?,
    )
    .payment(PaymentRef::new(transaction)?)
    .reason("one cup broken")
    .notify_url(stage.hook(ProviderId::BluePay))
    .build()?;
    stage.refund(ProviderId::BluePay, &refund).await?;
    stage.refund_notification().await?;
    Ok(())
}
