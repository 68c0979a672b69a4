//! BluePay passes the checks every provider crate passes (`paybridge_transport::provider_conformance!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

paybridge_transport::provider_conformance! {
    krate: paybridge_bluepay,
    provider: paybridge_core::ProviderId::BluePay,
    settings: paybridge_bluepay::BluePaySettings,
    refund: paybridge_bluepay::wire::requests::RefundParam,
    unknown_code: paybridge_bluepay::codes::classify(987_654),
    section: serde_json::json!({
        "base_url": "https://api.bluepay.test",
        "app_id": "733b887a4a784708bb369524db5b6ded",
        "private_key_env": "BLUEPAY_KEY",
        "platform_public_key_env": "BLUEPAY_PLATFORM",
    }),
    secrets: {
        "private_key" => include_str!("data/merchant.pem"),
        "platform_public_key" => include_str!("data/platform.pub.pem"),
    },
}
