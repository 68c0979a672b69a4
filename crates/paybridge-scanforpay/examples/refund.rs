//! Refunds part of a ScanForPay payment.
//!
//! Against the sandbox (`paybridge sandbox --write-config sandbox/paybridge.toml` prints the
//! values; `POST /_sandbox/payments` makes a payment):
//!
//! ```sh
//! SCANFORPAY_BASE_URL=http://127.0.0.1:8700/scanforpay SCANFORPAY_PARTNER_NO=10001 \
//! SCANFORPAY_STORE_NO=S01 SCANFORPAY_SIGN_KEY=... \
//! cargo run -p paybridge-scanforpay --example scanforpay-refund -- PARTNER_ORDER_NO REFUND_NO 1.00 HKD
//! ```
#![allow(clippy::print_stdout)]

use std::error::Error;

use paybridge_core::{
    Currency, MerchantRefundId, Money, PaymentRef, RefundProvider, RefundRequest,
};
use paybridge_scanforpay::{ScanForPayClient, ScanForPayConfig};
use paybridge_sign::SecretString;
use paybridge_transport::HyperTransport;

fn env(name: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(order), Some(refund_no), Some(amount), Some(currency)) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Err("usage: refund PARTNER_ORDER_NO REFUND_NO AMOUNT CURRENCY".into());
    };
    let config = ScanForPayConfig::new(
        env("SCANFORPAY_BASE_URL")?,
        env("SCANFORPAY_PARTNER_NO")?,
        env("SCANFORPAY_STORE_NO")?,
        SecretString::new(env("SCANFORPAY_SIGN_KEY")?),
    );
    let client = ScanForPayClient::new(config, HyperTransport::with_defaults()?)?;
    let currency = Currency::from_code(&currency)?;
    let request = RefundRequest::builder(
        MerchantRefundId::new(refund_no)?,
        Money::parse(&amount, currency)?,
    )
    .payment(PaymentRef::new(order)?)
    .build()?;
    println!(
        "{}",
        serde_json::to_string_pretty(&client.refund(&request).await?)?
    );
    Ok(())
}
