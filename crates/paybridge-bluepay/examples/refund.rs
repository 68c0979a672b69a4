//! Refunds part of a BluePay payment and looks the refund up.
//!
//! Against the sandbox (`paybridge sandbox --write-config sandbox/paybridge.toml` prints the
//! values, and `POST /_sandbox/payments` makes a payment to refund):
//!
//! ```sh
//! BLUEPAY_BASE_URL=http://127.0.0.1:8700/bluepay BLUEPAY_APP_ID=... \
//! BLUEPAY_PRIVATE_KEY_FILE=sandbox/bluepay-merchant.pem \
//! BLUEPAY_PLATFORM_KEY_FILE=sandbox/bluepay-platform.pub.pem \
//! cargo run -p paybridge-bluepay --example bluepay-refund -- CU518563189147832780 refund-1 12.34
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;

use paybridge_bluepay::{BluePayClient, BluePayConfig};
use paybridge_core::{
    Currency, MerchantRefundId, Money, PaymentRef, RefundLookup, RefundProvider, RefundRequest,
};
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use paybridge_transport::HyperTransport;

fn env(name: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(payment), Some(refund_id), Some(amount)) = (args.next(), args.next(), args.next())
    else {
        return Err("usage: refund PAYMENT REFUND_ID AMOUNT (baht, e.g. 12.34)".into());
    };
    let config = {
        let mut value = BluePayConfig::new(
            env("BLUEPAY_BASE_URL")?,
            env("BLUEPAY_APP_ID")?,
            RsaPrivateKey::from_bytes(&std::fs::read(env("BLUEPAY_PRIVATE_KEY_FILE")?)?)?,
            RsaPublicKey::from_bytes(&std::fs::read(env("BLUEPAY_PLATFORM_KEY_FILE")?)?)?,
        );
        value.refund_callback_url = Some(
            std::env::var("BLUEPAY_CALLBACK_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:9/bluepay".into()),
        );
        value
    };
    let client = BluePayClient::new(config, HyperTransport::with_defaults()?)?;
    let request = RefundRequest::builder(
        MerchantRefundId::new(refund_id)?,
        Money::parse(&amount, Currency::Thb)?,
    )
    .payment(PaymentRef::new(payment)?)
    .reason("example refund")
    .build()?;
    let refund = client.refund(&request).await?;
    println!("{}", serde_json::to_string_pretty(&refund)?);
    let looked_up = client.refund_status(&RefundLookup::from(&request)).await?;
    println!("{}", serde_json::to_string_pretty(&looked_up)?);
    Ok(())
}
