//! WeChat Pay passes the checks every provider crate passes (`paybridge_transport::provider_conformance!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

paybridge_transport::provider_conformance! {
    krate: paybridge_wechatpay,
    provider: paybridge_core::ProviderId::WechatPay,
    settings: paybridge_wechatpay::WechatPaySettings,
    refund: paybridge_wechatpay::wire::requests::CreateRefundRequest,
    unknown_code: paybridge_wechatpay::codes::classify("SOMETHING_NEW"),
    section: serde_json::json!({
        "base_url": "https://api.mch.weixin.test",
        "mchid": "1900000109",
        "merchant_serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "private_key_env": "WECHATPAY_KEY",
        "apiv3_key_env": "WECHATPAY_APIV3_KEY",
        "wechatpay_public_key_file": "wechatpay.pub.pem",
        "wechatpay_public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
    }),
    secrets: {
        "private_key" => include_str!("data/merchant.pem"),
        "apiv3_key" => "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb",
        "wechatpay_public_key" => include_str!("data/platform.pub.pem"),
    },
}
