//! ScanForPay passes the checks every provider crate passes (`paybridge_transport::provider_conformance!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

paybridge_transport::provider_conformance! {
    krate: paybridge_scanforpay,
    provider: paybridge_core::ProviderId::ScanForPay,
    settings: paybridge_scanforpay::ScanForPaySettings,
    refund: paybridge_scanforpay::wire::requests::RefundBody,
    unknown_code: paybridge_scanforpay::codes::classify(987_654),
    section: serde_json::json!({
        "base_url": "https://pay.scanforpay.test",
        "partner_no": "10001",
        "store_no": "S001",
        "sign_key_env": "SCANFORPAY_SIGN_KEY",
    }),
    secrets: {
        "sign_key" => "sfp_sign_7c2e91d04b6a4f3e",
    },
}
