//! WeChat Pay's field rules, checked before anything is signed or sent: a request that breaks
//! one is an [`Error::InvalidRequest`] naming the field, and nothing leaves the machine.

use paybridge_core::Error;

use crate::wire::requests::CreateRefundRequest;

/// `out_refund_no` / `out_trade_no`: 1 to `max` of `0-9 a-z A-Z _ - | * @`.
fn merchant_number(field: &str, value: &str, min: usize, max: usize) -> Result<(), Error> {
    let ok = (min..=max).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("must be {min} to {max} of 0-9, a-z, A-Z and _-|*@"),
        ))
    }
}

/// The merchant's refund number: 1–64 of `0-9 a-z A-Z _ - | * @`.
///
/// # Errors
/// [`Error::InvalidRequest`] when it breaks the rule; nothing is sent.
pub fn out_refund_no(value: &str) -> Result<(), Error> {
    merchant_number("out_refund_no", value, 1, 64)
}

/// The merchant's order number: 6–32 of `0-9 a-z A-Z _ - | * @`.
///
/// # Errors
/// [`Error::InvalidRequest`] when it breaks the rule; nothing is sent.
pub fn out_trade_no(value: &str) -> Result<(), Error> {
    merchant_number("out_trade_no", value, 6, 32)
}

/// WeChat Pay's payment id: 1–32 digits.
///
/// # Errors
/// [`Error::InvalidRequest`] when it breaks the rule; nothing is sent.
pub fn transaction_id(value: &str) -> Result<(), Error> {
    if !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid("transaction_id", "must be 1 to 32 digits"))
    }
}

/// The merchant id: 1–32 digits.
///
/// # Errors
/// [`Error::InvalidRequest`] when it breaks the rule.
pub fn mchid(value: &str) -> Result<(), Error> {
    if !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid("mchid", "must be 1 to 32 digits"))
    }
}

/// A refund request as a whole: one payment id, the numbers' formats, `0 < refund ≤ total`,
/// CNY, a reason of at most 80 characters, an absolute notification URL of at most 256.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is sent.
pub fn refund(request: &CreateRefundRequest) -> Result<(), Error> {
    match (&request.transaction_id, &request.out_trade_no) {
        (Some(id), _) => transaction_id(id)?,
        (None, Some(number)) => out_trade_no(number)?,
        (None, None) => {
            return Err(Error::invalid(
                "transaction_id",
                "transaction_id or out_trade_no is required",
            ));
        }
    }
    if let (Some(_), Some(number)) = (&request.transaction_id, &request.out_trade_no) {
        out_trade_no(number)?;
    }
    out_refund_no(&request.out_refund_no)?;
    let amount = &request.amount;
    if amount.refund <= 0 {
        return Err(Error::invalid("amount.refund", "must be greater than zero"));
    }
    if amount.total < amount.refund {
        return Err(Error::invalid(
            "amount.total",
            format!(
                "the payment's total ({}) is less than the refund ({})",
                amount.total, amount.refund
            ),
        ));
    }
    if amount.currency != "CNY" {
        return Err(Error::invalid(
            "amount.currency",
            "WeChat Pay refunds are in CNY",
        ));
    }
    if let Some(reason) = &request.reason
        && (reason.chars().count() > 80 || reason.chars().any(char::is_control))
    {
        return Err(Error::invalid("reason", "at most 80 printable characters"));
    }
    if let Some(url) = &request.notify_url {
        if url.len() > 256 {
            return Err(Error::invalid("notify_url", "at most 256 characters"));
        }
        paybridge_core::validate::http_url("notify_url", url)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_published_alphabets() {
        assert!(out_refund_no("1217752501201407033233368018").is_ok());
        assert!(out_refund_no("refund_2026-12|*@").is_ok());
        assert!(out_refund_no(&"a".repeat(64)).is_ok());
        for bad in ["", "has space", "中文", &"a".repeat(65), "semi;colon"] {
            assert!(out_refund_no(bad).is_err(), "{bad:?}");
        }
        assert!(out_trade_no("12345").is_err());
        assert!(transaction_id("1217752501201407033233368018").is_ok());
        assert!(transaction_id("12a").is_err());
        assert!(mchid("1900000109").is_ok());
        assert!(mchid("").is_err());
    }

    #[test]
    fn refund_requests_are_checked_whole() {
        let ok = CreateRefundRequest::by_transaction_id("4200001", "r-1", 100, 1000);
        assert!(refund(&ok).is_ok());
        let mut bad = ok.clone();
        bad.transaction_id = None;
        assert!(refund(&bad).is_err());
        let mut bad = ok.clone();
        bad.amount.refund = 0;
        assert!(refund(&bad).is_err());
        let mut bad = ok.clone();
        bad.amount.total = 99;
        assert!(refund(&bad).is_err());
        let mut bad = ok.clone();
        bad.amount.currency = "USD".into();
        assert!(refund(&bad).is_err());
        let mut bad = ok.clone();
        bad.reason = Some("x".repeat(81));
        assert!(refund(&bad).is_err());
        let mut bad = ok;
        bad.notify_url = Some("not a url".into());
        assert!(refund(&bad).is_err());
    }
}
