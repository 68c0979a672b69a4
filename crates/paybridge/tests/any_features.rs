//! Whatever provider features this build has, the gateway builds exactly those from a full
//! configuration and each of them refunds against the sandbox — so a merchant depending on one
//! provider gets a working facade.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use paybridge::{
    Config, Currency, Gateway, MerchantRefundId, Money, OrderRef, PaymentRef, RefundRequest,
    RefundStatus, supported_providers,
};
use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig};

#[tokio::test]
async fn each_compiled_provider_refunds() {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let path = std::env::temp_dir()
        .join(format!("pb-any-{}", std::process::id()))
        .join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let gateway = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    // The gateway lists its accounts by name.
    let mut supported: Vec<&str> = supported_providers().map(|p| p.name()).collect();
    supported.sort_unstable();
    assert_eq!(gateway.names(), supported);
    for provider in supported_providers() {
        let name = provider.name();
        let currency = match provider {
            ProviderId::BluePay => Currency::Thb,
            ProviderId::Nomad => Currency::Cny,
            ProviderId::ScanForPay => Currency::Hkd,
            ProviderId::WechatPay | ProviderId::Alipay => Currency::Cny,
        };
        let payment = sb.create_payment(provider, 1_000, currency).unwrap();
        let request = RefundRequest::builder(
            MerchantRefundId::new("one").unwrap(),
            Money::new(1_000, currency),
        )
        .payment(PaymentRef::new(payment.payment).unwrap())
        .order_ref(OrderRef::new(payment.order_ref).unwrap())
        .total(Money::new(1_000, currency))
        .notify_url("http://127.0.0.1:9/hook")
        .build()
        .unwrap();
        let refund = gateway
            .provider(name)
            .unwrap()
            .refund(&request)
            .await
            .unwrap();
        assert_eq!(refund.status, RefundStatus::Succeeded, "{name}");
    }
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}
