//! Alipay's async notification: a form-encoded POST signed over its own parameters; and what it
//! wants back.

/// What a merchant answers a notification it handled: the plain text `success`; anything else is
/// redelivered (up to 8 times over 25 hours).
pub const NOTIFICATION_ACK: &str = "success";

/// A verified notification: its parameters, decoded, in the order received (`sign` and
/// `sign_type` removed).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlipayNotification {
    /// Every parameter but `sign` and `sign_type`.
    pub params: Vec<(String, String)>,
}

impl AlipayNotification {
    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `notify_type` (`trade_status_sync`).
    pub fn notify_type(&self) -> Option<&str> {
        self.get("notify_type")
    }

    /// `notify_id` (the same on every redelivery).
    pub fn notify_id(&self) -> Option<&str> {
        self.get("notify_id")
    }

    /// `trade_status`: `TRADE_SUCCESS` (paid, or partly refunded), `TRADE_CLOSED` (refunded in
    /// full, or closed unpaid), `TRADE_FINISHED`, `WAIT_BUYER_PAY`.
    pub fn trade_status(&self) -> Option<&str> {
        self.get("trade_status")
    }

    /// `out_biz_no`: for a refund, its `out_request_no`.
    pub fn out_biz_no(&self) -> Option<&str> {
        self.get("out_biz_no")
    }
}
