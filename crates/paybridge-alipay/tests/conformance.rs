//! Alipay passes the checks every provider crate passes (`paybridge_transport::provider_conformance!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

paybridge_transport::provider_conformance! {
    krate: paybridge_alipay,
    provider: paybridge_core::ProviderId::Alipay,
    settings: paybridge_alipay::AlipaySettings,
    refund: paybridge_alipay::wire::requests::TradeRefund,
    unknown_code: paybridge_alipay::codes::classify("40004", Some("ACQ.SOMETHING_NEW")),
    section: serde_json::json!({
        "base_url": "https://openapi.alipay.test",
        "app_id": "2014072300007148",
        "private_key_env": "ALIPAY_KEY",
        "alipay_public_key_file": "alipay.pub.pem",
    }),
    secrets: {
        "private_key" => include_str!("data/merchant.pem"),
        "alipay_public_key" => include_str!("data/platform.pub.pem"),
    },
}
