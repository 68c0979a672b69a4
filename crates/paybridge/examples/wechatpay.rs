//! WeChat Pay API v3 (direct merchant) with paybridge: a Native (QR) payment, a partial refund by your `out_trade_no` and the
//! payment's total, and the payment and refund notifications — signed in headers, their resources
//! AES-256-GCM encrypted — verified and decrypted by a webhook receiver.
//!
//! It runs as it is, against the embedded sandbox (no account needed):
//!
//! ```sh
//! cargo run -p paybridge --features axum --example wechatpay
//! ```
//!
//! With a real account, build the gateway from your `paybridge.toml` (a `[wechatpay]` section: mch id, app id, your key and its serial, the APIv3 key, WeChat Pay's public key or platform certificates) and mount the
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
    let mut stage = Stage::start("wechatpay").await?;
    // 1. A payment: a QR code the customer scans and pays.
    let total = Money::parse("128.00", Currency::Cny)?;
    let order = stage.paid_qr_payment(ProviderId::WechatPay, total).await?;
    // 2. A partial refund. WeChat Pay names the payment by `transaction_id` or your
    //    `out_trade_no`, and needs its total (given here; looked up when left out).
    let refund = RefundRequest::builder(
        MerchantRefundId::new(stage.unique("wx-refund"))?,
        Money::parse("28.00", Currency::Cny)?,
    )
    .order_ref(order)
    .total(total)
    .reason("one cup broken")
    .notify_url(stage.hook(ProviderId::WechatPay))
    .build()?;
    stage.refund(ProviderId::WechatPay, &refund).await?;
    stage.refund_notification().await?;
    Ok(())
}
