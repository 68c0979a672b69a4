//! What the broker sends to `notifyUrl`, and what it expects back. The broker documents no
//! payload and signs nothing (decided): a delivery is only a hint naming a refund, which the
//! provider confirms with a query before anything is reported.

use serde::Deserialize;

/// What the broker acknowledges a notification with: WeChat Pay v3's success answer (the broker
/// documents none (decided)).
pub const NOTIFICATION_ACK: &str = r#"{"code":"SUCCESS","message":"OK"}"#;

/// The ids an incoming notification may carry (camelCase or snake_case).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Hint {
    #[serde(
        rename = "refundOrderRef",
        alias = "refund_order_ref",
        alias = "out_refund_no"
    )]
    pub(crate) refund_order_ref: Option<String>,
    #[serde(rename = "orderRef", alias = "order_ref", alias = "out_trade_no")]
    pub(crate) order_ref: Option<String>,
}
