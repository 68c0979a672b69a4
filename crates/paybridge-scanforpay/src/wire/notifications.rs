//! ScanForPay's notifications: a response envelope (verified like a response, over its raw
//! bytes) whose body has the payment-query fields. The merchant answers with the plain text
//! [`NOTIFICATION_ACK`].

use crate::wire::responses::{PayQueryResponse, ResponseValue};

/// A payment notification's verified `response` value.
pub type PaymentNotification = ResponseValue<PayQueryResponse>;

/// What ScanForPay expects back from a notification handler, as plain text.
pub const NOTIFICATION_ACK: &str = "success";
