//! Nomad passes the checks every provider crate passes (`paybridge_transport::provider_conformance!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

paybridge_transport::provider_conformance! {
    krate: paybridge_nomad,
    provider: paybridge_core::ProviderId::Nomad,
    settings: paybridge_nomad::NomadSettings,
    refund: paybridge_nomad::wire::requests::CreateRefundRequest,
    unknown_code: paybridge_nomad::codes::classify(599, paybridge_nomad::Operation::Create),
    section: serde_json::json!({
        "base_url": "https://nomad.samarkand-global.test/broker/v1",
        "merchant": "wechat.sh_smk",
        "api_key_env": "NOMAD_API_KEY",
    }),
    secrets: {
        "api_key" => "nmd_live_5e1f0c3a9b7d42e8a6c1",
    },
}
