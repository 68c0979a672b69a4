//! Alipay's field rules, checked before anything is signed or sent: a request that breaks one
//! is an [`Error::InvalidRequest`] naming the field, and nothing leaves the machine.

use paybridge_core::Error;

use crate::wire::requests::{TradeRefund, TradeRefundQuery};

/// A required text field: 1 to `max` characters, no control characters.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field; nothing is sent.
pub fn field(name: &str, value: &str, max: usize) -> Result<(), Error> {
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(Error::invalid(
            name,
            format!("must be 1 to {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(name, "contains a control character"));
    }
    Ok(())
}

/// A yuan amount as Alipay writes it: digits, a point, exactly two digits, more than zero, at
/// most 100000000.00.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field; nothing is sent.
pub fn yuan(name: &str, value: &str) -> Result<(), Error> {
    let well_formed = value.split_once('.').is_some_and(|(int, frac)| {
        !int.is_empty()
            && int.len() <= 9
            && int.bytes().all(|b| b.is_ascii_digit())
            && (int == "0" || !int.starts_with('0'))
            && frac.len() == 2
            && frac.bytes().all(|b| b.is_ascii_digit())
    });
    let positive = value.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if well_formed && positive {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            "must be a yuan amount with two decimals, greater than zero (\"88.88\")",
        ))
    }
}

fn trade(out_trade_no: Option<&str>, trade_no: Option<&str>) -> Result<(), Error> {
    match (out_trade_no, trade_no) {
        (None, None) => Err(Error::invalid(
            "trade_no",
            "trade_no or out_trade_no is required",
        )),
        (a, b) => {
            if let Some(a) = a {
                field("out_trade_no", a, 64)?;
            }
            if let Some(b) = b {
                field("trade_no", b, 64)?;
            }
            Ok(())
        }
    }
}

/// A refund's `biz_content`.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is sent.
pub fn refund(request: &TradeRefund) -> Result<(), Error> {
    trade(request.out_trade_no.as_deref(), request.trade_no.as_deref())?;
    yuan("refund_amount", &request.refund_amount)?;
    field("out_request_no", &request.out_request_no, 64)?;
    if let Some(reason) = &request.refund_reason {
        field("refund_reason", reason, 256)?;
    }
    Ok(())
}

/// A refund query's `biz_content`.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is sent.
pub fn query(request: &TradeRefundQuery) -> Result<(), Error> {
    trade(request.out_trade_no.as_deref(), request.trade_no.as_deref())?;
    field("out_request_no", &request.out_request_no, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts_are_exact_two_place_decimals() {
        for good in ["0.01", "88.88", "100000000.00", "1.00"] {
            assert!(yuan("a", good).is_ok(), "{good}");
        }
        for bad in [
            "0.00", "1", "1.0", "1.000", "-1.00", "01.00", ".50", "1,00", "1e2", "",
        ] {
            assert!(yuan("a", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refunds_need_a_trade_and_an_id() {
        let ok = TradeRefund::by_trade_no("2014112611001004680073956707", "r1", "1.00");
        assert!(refund(&ok).is_ok());
        let mut bad = ok.clone();
        bad.trade_no = None;
        assert!(refund(&bad).is_err());
        let mut bad = ok.clone();
        bad.out_request_no = "x".repeat(65);
        assert!(refund(&bad).is_err());
        let mut bad = ok;
        bad.refund_reason = Some("a\nb".into());
        assert!(refund(&bad).is_err());
    }
}
