//! What is checked before a request is built, so a bad one gets a typed error and sends nothing.

use paybridge_core::{Currency, Error, Money};

/// BluePay's limit on `mchRefundOrderId` and `mchOrderId`.
pub const MAX_ORDER_ID_LEN: usize = 32;

/// A merchant id (`mchRefundOrderId`, `mchOrderId`, `idempotencyId`): 1–32 characters, printable
/// ASCII (BluePay echoes ids into URLs and reports).
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn order_id(field: &str, value: &str) -> Result<(), Error> {
    let len = value.chars().count();
    if len == 0 || len > MAX_ORDER_ID_LEN {
        return Err(Error::invalid(
            field,
            format!("must be 1 to {MAX_ORDER_ID_LEN} characters, got {len}"),
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

/// An amount: positive, in THB (satang). BluePay sends no currency, so any other currency is an
/// error rather than a silent reinterpretation.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn thb_amount(field: &str, amount: Money) -> Result<i64, Error> {
    if amount.currency != Currency::Thb {
        return Err(Error::invalid(
            field,
            format!("BluePay settles in THB only, got {}", amount.currency),
        ));
    }
    positive(field, amount.minor)
}

/// A positive satang amount.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn positive(field: &str, minor: i64) -> Result<i64, Error> {
    if minor <= 0 {
        return Err(Error::invalid(
            field,
            format!("must be greater than zero, got {minor}"),
        ));
    }
    Ok(minor)
}

pub use paybridge_core::validate::one_of;

/// An absolute `http` or `https` URL with a host.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn url(field: &str, value: &str) -> Result<(), Error> {
    paybridge_core::validate::http_url(field, value)
}

/// A Thai mobile number: `0`, then `6`, `8` or `9`, then eight digits.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn thai_mobile(field: &str, value: &str) -> Result<(), Error> {
    let bytes = value.as_bytes();
    let ok = bytes.len() == 10
        && bytes.first() == Some(&b'0')
        && matches!(bytes.get(1), Some(b'6' | b'8' | b'9'))
        && bytes.iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be a Thai mobile number like 0812345678",
        ))
    }
}

/// `expireSeconds`: 30–3600.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn expire_seconds(value: Option<u32>) -> Result<(), Error> {
    match value {
        Some(s) if !(30..=3600).contains(&s) => Err(Error::invalid(
            "expireSeconds",
            format!("must be 30 to 3600, got {s}"),
        )),
        _ => Ok(()),
    }
}

/// A `yyyy-MM-dd` date.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn date(field: &str, value: &str) -> Result<(), Error> {
    let probe = format!("{value} 00:00:00");
    paybridge_core::Timestamp::parse_local(&probe, 0)
        .map(|_| ())
        .map_err(|_| Error::invalid(field, "must be a date written yyyy-MM-dd"))
}

/// A free-text field with a length limit and no control characters.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule; nothing is sent.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), Error> {
    let len = value.chars().count();
    if len > max {
        return Err(Error::invalid(
            field,
            format!("is {len} characters long; the limit is {max}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains a control character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(order_id("mchRefundOrderId", "refund488455057142").is_ok());
        assert!(order_id("mchRefundOrderId", &"x".repeat(32)).is_ok());
        assert!(order_id("mchRefundOrderId", &"x".repeat(33)).is_err());
        assert!(order_id("mchRefundOrderId", "").is_err());
        assert!(order_id("mchRefundOrderId", "has space").is_err());
        assert!(thb_amount("refundAmount", Money::new(1, Currency::Thb)).is_ok());
        assert!(thb_amount("refundAmount", Money::new(0, Currency::Thb)).is_err());
        assert!(thb_amount("refundAmount", Money::new(100, Currency::Jpy)).is_err());
        assert!(url("notifyUrl", "https://merchant.example/cb?x=1").is_ok());
        assert!(url("notifyUrl", "http://www.test.com").is_ok());
        for bad in [
            "ftp://x",
            "/relative",
            "https://",
            "not a url",
            "javascript:alert(1)",
        ] {
            assert!(url("notifyUrl", bad).is_err(), "{bad}");
        }
        for good in ["0812345678", "0612345678", "0912345678"] {
            assert!(thai_mobile("mobile", good).is_ok(), "{good}");
        }
        for bad in [
            "0712345678",
            "081234567",
            "08123456789",
            "+66812345678",
            "08-1234567",
        ] {
            assert!(thai_mobile("mobile", bad).is_err(), "{bad}");
        }
        assert!(expire_seconds(Some(29)).is_err() && expire_seconds(Some(3601)).is_err());
        assert!(expire_seconds(Some(30)).is_ok() && expire_seconds(None).is_ok());
        assert!(date("startDate", "2024-07-31").is_ok());
        assert!(
            date("startDate", "2024-02-30").is_err() && date("startDate", "31/07/2024").is_err()
        );
        assert!(one_of("payMethodCode", "BANK", &["BANK", "PROMPTPAY"]).is_ok());
        assert!(one_of("payMethodCode", "CASH", &["BANK", "PROMPTPAY"]).is_err());
    }
}
