//! ScanForPay's notifications: the response envelope (verified like a response, over its raw
//! bytes) whose body has the payment-query fields, mapped to the unified model. The merchant
//! answers with the plain text [`crate::NOTIFICATION_ACK`].

use paybridge_core::{Currency, Error, Money, Notification, NotificationEvent, PaymentUpdate};

use crate::codec::PROVIDER;
use crate::responses::{PayQueryResponse, ResponseValue};
use crate::status;

/// The unified form of a verified payment notification.
pub fn unified_notification(
    value: &ResponseValue<PayQueryResponse>,
) -> Result<Notification, Error> {
    let body = &value.body;
    let amount = match (body.order_amount, body.currency.as_deref()) {
        (Some(minor), Some(code)) => Some(Money::new(
            minor,
            Currency::from_code(code)
                .map_err(|e| Error::malformed(PROVIDER, None, e.to_string()))?,
        )),
        _ => None,
    };
    let raw = body.status;
    Ok(Notification {
        provider: PROVIDER.to_owned(),
        event_name: None,
        event: NotificationEvent::Payment {
            payment: PaymentUpdate {
                payment: body
                    .partner_order_no
                    .clone()
                    .or_else(|| body.order_no.clone()),
                order_ref: body.partner_order_no.clone(),
                amount,
                status: raw.map_or(
                    paybridge_core::PaymentStatus::Pending,
                    status::payment_status,
                ),
                provider_status: raw.map(|s| s.to_string()),
            },
        },
    })
}
