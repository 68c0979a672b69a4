//! What WeChat Pay notifies: an envelope signed in its headers, whose `resource` is the refund
//! or the payment, encrypted with the merchant's APIv3 key; and what it wants back.

use serde::{Deserialize, Serialize};

/// What a merchant answers a notification it handled: WeChat Pay wants HTTP 200 or 204 and no
/// body (paybridge answers 204); anything else is redelivered (15 s, 15 s, 30 s, 3 m … 6 h).
pub const NOTIFICATION_ACK: &str = "";

/// The notification as posted (before decryption).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationEnvelope {
    /// The notification's id (the same on every redelivery).
    pub id: String,
    /// When it was created (RFC 3339).
    pub create_time: Option<String>,
    /// `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED` or `TRANSACTION.SUCCESS`.
    pub event_type: String,
    /// `encrypt-resource`.
    pub resource_type: Option<String>,
    /// In words.
    pub summary: Option<String>,
    /// The encrypted refund or payment.
    pub resource: EncryptedResource,
}

/// `resource`: the refund or the payment, AES-256-GCM-encrypted with the APIv3 key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EncryptedResource {
    /// `AEAD_AES_256_GCM`.
    pub algorithm: String,
    /// Base64 of the ciphertext with its 16-byte tag.
    pub ciphertext: String,
    /// The 12-byte nonce, as text.
    pub nonce: String,
    /// The associated data, as text (may be empty).
    #[serde(default)]
    pub associated_data: Option<String>,
    /// `refund` or `transaction`: what the plaintext is.
    pub original_type: Option<String>,
}

/// The decrypted refund of a notification. The status is `refund_status` here (not `status`
/// as in the query's answer).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundResource {
    /// The merchant id.
    pub mchid: Option<String>,
    /// The merchant's order number.
    pub out_trade_no: Option<String>,
    /// WeChat Pay's payment id.
    pub transaction_id: Option<String>,
    /// The merchant's refund number.
    pub out_refund_no: Option<String>,
    /// WeChat Pay's refund id.
    pub refund_id: Option<String>,
    /// `SUCCESS`, `CLOSED` or `ABNORMAL`.
    pub refund_status: Option<String>,
    /// When it succeeded.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub success_time: Option<String>,
    /// Where the money went.
    pub user_received_account: Option<String>,
    /// The amounts, in fen.
    pub amount: Option<NotificationAmount>,
}

/// The amounts a refund notification carries, in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationAmount {
    /// The payment's total.
    pub total: Option<i64>,
    /// The refund.
    pub refund: Option<i64>,
    /// What the payer paid.
    pub payer_total: Option<i64>,
    /// What the payer gets back.
    pub payer_refund: Option<i64>,
}

/// A verified, decrypted refund notification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WechatPayNotification {
    /// The notification's id (the same on every redelivery).
    pub id: String,
    /// `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED`.
    pub event_type: String,
    /// When it was created.
    pub create_time: Option<String>,
    /// In words.
    pub summary: Option<String>,
    /// The refund, decrypted.
    pub refund: RefundResource,
}

/// A verified, decrypted payment notification (`TRANSACTION.SUCCESS`): the payment as the
/// query answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentNotification {
    /// The notification's id (the same on every redelivery).
    pub id: String,
    /// `TRANSACTION.SUCCESS`.
    pub event_type: String,
    /// When it was created.
    pub create_time: Option<String>,
    /// In words (`支付成功`).
    pub summary: Option<String>,
    /// The payment, decrypted.
    pub transaction: crate::wire::responses::Transaction,
}

/// Any verified, decrypted WeChat Pay notification, by what it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WechatPayEvent {
    /// `REFUND.*`: a refund changed state.
    Refund(WechatPayNotification),
    /// `TRANSACTION.*`: a payment was paid.
    Payment(PaymentNotification),
    /// An event paybridge does not model (it verified and decrypted: acknowledge it, or
    /// WeChat Pay redelivers it for a day).
    Other(crate::codec::OpenedNotification),
}

impl WechatPayEvent {
    /// The event's type, as WeChat Pay names it.
    pub fn event_type(&self) -> &str {
        match self {
            WechatPayEvent::Refund(n) => &n.event_type,
            WechatPayEvent::Payment(n) => &n.event_type,
            WechatPayEvent::Other(n) => &n.event_type,
        }
    }
}
