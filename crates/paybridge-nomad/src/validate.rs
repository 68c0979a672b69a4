//! What is checked before a broker request is built.

use paybridge_core::Error;

use crate::wire::requests::{CreatePaymentRequest, CreateRefundRequest};

/// Merchant order and refund numbers: WeChat Pay allows up to 64 characters.
pub const MAX_ID_LEN: usize = 64;

/// A merchant id: 1–64 printable ASCII characters.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn id(field: &str, value: &str) -> Result<(), Error> {
    let len = value.chars().count();
    if len == 0 || len > MAX_ID_LEN {
        return Err(Error::invalid(
            field,
            format!("must be 1 to {MAX_ID_LEN} characters, got {len}"),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            field,
            "must be printable ASCII without spaces",
        ));
    }
    Ok(())
}

/// `wechatpay` or `alipay`.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn payment_method(value: &str) -> Result<(), Error> {
    one_of("paymentMethod", value, &["wechatpay", "alipay"])
}

pub use paybridge_core::validate::one_of;

/// An absolute http(s) URL.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn url(field: &str, value: &str) -> Result<(), Error> {
    paybridge_core::validate::http_url(field, value)
}

/// A create-refund body.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn refund(body: &CreateRefundRequest) -> Result<(), Error> {
    id("orderRef", &body.order_ref)?;
    id("refundOrderRef", &body.refund_order_ref)?;
    if let Some(transaction) = &body.transaction_id {
        id("transactionId", transaction)?;
    }
    if body.refund_amount <= 0 {
        return Err(Error::invalid(
            "refundAmount",
            format!("must be greater than zero, got {}", body.refund_amount),
        ));
    }
    if body.total_amount <= 0 {
        return Err(Error::invalid(
            "totalAmount",
            format!("must be greater than zero, got {}", body.total_amount),
        ));
    }
    if body.refund_amount > body.total_amount {
        return Err(Error::invalid(
            "refundAmount",
            format!(
                "{} fen exceeds the payment's total of {} fen",
                body.refund_amount, body.total_amount
            ),
        ));
    }
    if let Some(currency) = &body.currency {
        one_of("currency", currency, &["CNY"])?;
    }
    if let Some(method) = &body.payment_method {
        payment_method(method)?;
    }
    if let Some(notify) = &body.notify_url {
        url("notifyUrl", notify)?;
    }
    if let Some(account) = &body.refund_account {
        one_of(
            "refundAccount",
            account,
            &[
                "REFUND_SOURCE_SUB_MERCHANT",
                "REFUND_SOURCE_PARTNER_ADVANCE",
            ],
        )?;
    }
    if let Some(reason) = &body.reason
        && (reason.chars().count() > 80 || reason.chars().any(char::is_control))
    {
        return Err(Error::invalid(
            "reason",
            "must be at most 80 printable characters",
        ));
    }
    Ok(())
}

/// A create-payment body.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn payment(body: &CreatePaymentRequest) -> Result<(), Error> {
    payment_method(&body.payment_method)?;
    one_of(
        "paymentType",
        &body.payment_type,
        &["NATIVE", "H5", "JSAPI", "MINIPRO", "APP"],
    )?;
    id("orderRef", &body.order_ref)?;
    if body.actual_amount <= 0 {
        return Err(Error::invalid(
            "actualAmount",
            format!("must be greater than zero, got {}", body.actual_amount),
        ));
    }
    one_of("currency", &body.currency, &["CNY", "GBP"])?;
    for (field, value) in [
        ("notifyUrl", &body.notify_url),
        ("successUrl", &body.success_url),
        ("cancelUrl", &body.cancel_url),
    ] {
        if let Some(value) = value {
            url(field, value)?;
        }
    }
    Ok(())
}
