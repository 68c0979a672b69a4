//! Refunds part of a Nomad (WeChat Pay / Alipay) payment and queries the refund.
//!
//! Against the sandbox (`paybridge sandbox --write-config sandbox/paybridge.toml` prints the
//! values; `POST /_sandbox/payments` makes a payment):
//!
//! ```sh
//! NOMAD_BASE_URL=http://127.0.0.1:8700/nomad NOMAD_MERCHANT=wechat.sh_smk NOMAD_API_KEY=... \
//! cargo run -p paybridge-nomad --example nomad-refund -- ORDER_REF REFUND_ID 1.00 10.00
//! ```
#![allow(clippy::print_stdout)]

use std::error::Error;

use paybridge_core::{
    Currency, MerchantRefundId, Money, OrderRef, RefundLookup, RefundProvider, RefundRequest,
};
use paybridge_nomad::{NomadClient, NomadConfig};
use paybridge_sign::SecretString;
use paybridge_transport::HyperTransport;

fn env(name: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(order_ref), Some(refund_id), Some(amount), Some(total)) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Err(
            "usage: refund ORDER_REF REFUND_ID AMOUNT TOTAL (yuan, e.g. 1.00 10.00)".into(),
        );
    };
    let config = {
        let mut value = NomadConfig::new(
            env("NOMAD_BASE_URL")?,
            env("NOMAD_MERCHANT")?,
            SecretString::new(env("NOMAD_API_KEY")?),
        );
        value.payment_method = Some("wechatpay".into());
        value
    };
    let client = NomadClient::new(config, HyperTransport::with_defaults()?)?;
    let request = RefundRequest::builder(
        MerchantRefundId::new(refund_id)?,
        Money::parse(&amount, Currency::Cny)?,
    )
    .order_ref(OrderRef::new(order_ref)?)
    .total(Money::parse(&total, Currency::Cny)?)
    .build()?;
    let refund = client.refund(&request).await?;
    println!("{}", serde_json::to_string_pretty(&refund)?);
    println!(
        "{}",
        serde_json::to_string_pretty(&client.refund_status(&RefundLookup::from(&request)).await?)?
    );
    Ok(())
}
