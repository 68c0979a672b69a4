//! The published field limits, checked before anything is built.

use paybridge_core::Error;

use crate::wire::requests::PaymentCommon;

/// A required text field: 1 to `max` characters, printable.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn field(name: &str, value: &str, max: usize) -> Result<(), Error> {
    // The usual case — short printable ASCII — in one pass over bytes.
    if !value.is_empty() && value.len() <= max && value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(Error::invalid(
            name,
            format!("must be 1 to {max} characters, got {len}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(name, "contains a control character"));
    }
    Ok(())
}

/// An optional text field.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn optional(name: &str, value: Option<&str>, max: usize) -> Result<(), Error> {
    value.map_or(Ok(()), |v| field(name, v, max))
}

/// An amount: positive, in the currency's minor unit.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn amount(name: &str, minor: i64) -> Result<(), Error> {
    if minor > 0 {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!("must be greater than zero, got {minor}"),
        ))
    }
}

/// `reqMsgId`: 1–32 printable ASCII characters.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn req_msg_id(value: &str) -> Result<(), Error> {
    field("reqMsgId", value, 32)?;
    if value.is_ascii() {
        Ok(())
    } else {
        Err(Error::invalid("reqMsgId", "must be ASCII"))
    }
}

/// An absolute http(s) URL within `max` characters.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn url(name: &str, value: &str, max: usize) -> Result<(), Error> {
    field(name, value, max)?;
    paybridge_core::validate::http_url(name, value)
}

/// A wallet name.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn wallet(value: &str, allowed: &[&str]) -> Result<(), Error> {
    paybridge_core::validate::one_of("wallet", value, allowed)
}

/// The fields every payment creation carries.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn common(c: &PaymentCommon) -> Result<(), Error> {
    field("storeNo", &c.store_no, 15)?;
    field("partnerOrderNo", &c.partner_order_no, 32)?;
    amount("orderAmount", c.order_amount)?;
    optional("orderTitle", c.order_title.as_deref(), 100)?;
    optional("operatorId", c.operator_id.as_deref(), 20)?;
    optional("terminalNo", c.terminal_no.as_deref(), 20)?;
    if let Some(notify) = &c.notify_url {
        url("notifyUrl", notify, 200)?;
    }
    Ok(())
}
