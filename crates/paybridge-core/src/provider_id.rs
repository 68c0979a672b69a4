//! Which provider: one name for what was spelled four ways (string constants, the sandbox's
//! enum, the gateway's list, string matches in the command line).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A payment provider paybridge speaks to.
///
/// Deliberately exhaustive: adding a provider must fail to compile every `match` over providers
/// (the sandbox's router, the gateway, the command line) until each handles it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderId {
    /// BluePay (Thailand).
    BluePay,
    /// The Nomad broker (WeChat Pay / Alipay).
    Nomad,
    /// ScanForPay (Hong Kong).
    ScanForPay,
    /// WeChat Pay API v3, direct merchant.
    WechatPay,
    /// Alipay Open Platform, direct merchant.
    Alipay,
}

impl ProviderId {
    /// Every provider, in a fixed order.
    pub const ALL: [ProviderId; 5] = [
        ProviderId::BluePay,
        ProviderId::Nomad,
        ProviderId::ScanForPay,
        ProviderId::WechatPay,
        ProviderId::Alipay,
    ];

    /// The lower-case name used in configuration, URLs, JSON and errors (`"bluepay"`).
    pub const fn name(self) -> &'static str {
        match self {
            ProviderId::BluePay => "bluepay",
            ProviderId::Nomad => "nomad",
            ProviderId::ScanForPay => "scanforpay",
            ProviderId::WechatPay => "wechatpay",
            ProviderId::Alipay => "alipay",
        }
    }

    /// The provider called `name` (its [`ProviderId::name`]).
    pub fn parse(name: &str) -> Option<ProviderId> {
        ProviderId::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// What a provider's identifiers and abilities are, in words a person reads: each provider
/// crate declares its own (`ProviderSetup::PROFILE`), and the command line's help, the facade's
/// registry and error messages are built from these, so none of them goes stale when a provider
/// changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderProfile {
    /// The provider.
    pub provider: ProviderId,
    /// Who it is, in a few words (`"BluePay (Thailand)"`).
    pub title: &'static str,
    /// What a refund's payment reference (`RefundRequest::payment`, `--payment`) is here, and
    /// whether it is required.
    pub payment: &'static str,
    /// What the merchant's order reference (`order_ref`, `--order-ref`) is here.
    pub order_ref: &'static str,
    /// What the payment's total (`total`, `--total`) is here.
    pub total: &'static str,
    /// What a refund look-up (`RefundLookup`, `refund-status`) needs besides the refund id.
    pub lookup: &'static str,
    /// The currencies it refunds in.
    pub currencies: &'static str,
    /// The payment scenes it takes (empty: refunds only).
    pub scenes: &'static [crate::SceneKind],
    /// Whether paybridge reads its statements (bills).
    pub statements: bool,
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_json() {
        for id in ProviderId::ALL {
            assert_eq!(ProviderId::parse(id.name()), Some(id));
            assert_eq!(
                serde_json::to_string(&id).unwrap(),
                format!("\"{}\"", id.name())
            );
            assert_eq!(id.to_string(), id.name());
        }
        assert_eq!(ProviderId::parse("BluePay"), None, "names are exact");
    }
}
