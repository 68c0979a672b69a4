//! Alipay's field rules, checked before anything is signed or sent: a request that breaks one
//! is an [`Error::InvalidRequest`] naming the field, and nothing leaves the machine.

use paybridge_core::Error;

use paybridge_core::Timestamp;

use crate::codec::SHANGHAI_OFFSET_MINUTES;
use crate::wire::requests::{
    CashierOrder, TradeCreate, TradePay, TradePrecreate, TradeRef, TradeRefund, TradeRefundQuery,
};

/// The longest `subject` Alipay takes.
pub const MAX_SUBJECT_LEN: usize = 256;

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
    // 100000000.00 yuan is the most any Alipay amount may be.
    let within = paybridge_core::Money::parse(value, paybridge_core::Currency::Cny)
        .is_ok_and(|m| m.minor <= 10_000_000_000);
    if well_formed && positive && within {
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

/// What every payment order carries: `out_trade_no`, `total_amount`, `subject`, and
/// `time_expire` when given (`yyyy-MM-dd HH:mm:ss`).
fn order(
    out_trade_no: &str,
    total_amount: &str,
    subject: &str,
    time_expire: Option<&str>,
) -> Result<(), Error> {
    field("out_trade_no", out_trade_no, 64)?;
    yuan("total_amount", total_amount)?;
    field("subject", subject, MAX_SUBJECT_LEN)?;
    if let Some(at) = time_expire
        && !is_alipay_time(at)
    {
        return Err(Error::invalid(
            "time_expire",
            "must be yyyy-MM-dd HH:mm:ss (Beijing time)",
        ));
    }
    Ok(())
}

/// Whether `text` is a time as Alipay writes one: `yyyy-MM-dd HH:mm:ss`, exactly.
pub fn is_alipay_time(text: &str) -> bool {
    let shape = text.len() == 19
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    shape && Timestamp::parse_local(text, SHANGHAI_OFFSET_MINUTES).is_ok()
}

/// An http(s) URL parameter, when given.
fn url(name: &str, value: Option<&str>) -> Result<(), Error> {
    match value {
        Some(value) => paybridge_core::validate::http_url(name, value),
        None => Ok(()),
    }
}

/// Whether `code` is an Alipay payment code as Alipay documents it: 16 to 24 digits, starting
/// with 25 to 30.
pub fn is_alipay_auth_code(code: &str) -> bool {
    (16..=24).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_digit())
        && code
            .get(..2)
            .and_then(|p| p.parse::<u8>().ok())
            .is_some_and(|p| (25..=30).contains(&p))
}

/// A QR trade's `biz_content`.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is sent.
pub fn precreate(request: &TradePrecreate) -> Result<(), Error> {
    order(
        &request.out_trade_no,
        &request.total_amount,
        &request.subject,
        request.time_expire.as_deref(),
    )?;
    url("notify_url", request.notify_url.as_deref())
}

/// A barcode charge's `biz_content`. The payment code is never named in the error beyond its
/// field.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is sent.
pub fn pay(request: &TradePay) -> Result<(), Error> {
    order(
        &request.out_trade_no,
        &request.total_amount,
        &request.subject,
        request.time_expire.as_deref(),
    )?;
    if request.scene != "bar_code" {
        return Err(Error::invalid(
            "scene",
            "paybridge charges payment codes: bar_code",
        ));
    }
    if !is_alipay_auth_code(&request.auth_code) {
        return Err(Error::invalid(
            "auth_code",
            "is not an Alipay payment code (16 to 24 digits starting with 25 to 30)",
        ));
    }
    url("notify_url", request.notify_url.as_deref())
}

/// A JSAPI trade's `biz_content`.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is sent.
pub fn create(request: &TradeCreate) -> Result<(), Error> {
    order(
        &request.out_trade_no,
        &request.total_amount,
        &request.subject,
        request.time_expire.as_deref(),
    )?;
    field("product_code", &request.product_code, 64)?;
    match (&request.buyer_open_id, &request.buyer_id) {
        (None, None) => {
            return Err(Error::invalid(
                "buyer_open_id",
                "a JSAPI trade names its buyer: buyer_open_id (or buyer_id)",
            ));
        }
        (open_id, buyer_id) => {
            if let Some(open_id) = open_id {
                field("buyer_open_id", open_id, 128)?;
            }
            if let Some(buyer_id) = buyer_id {
                field("buyer_id", buyer_id, 28)?;
            }
        }
    }
    url("notify_url", request.notify_url.as_deref())
}

/// A trade reference (`alipay.trade.query`, `close`, `cancel`).
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field at fault; nothing is sent.
pub fn trade_ref(request: &TradeRef) -> Result<(), Error> {
    trade(request.out_trade_no.as_deref(), request.trade_no.as_deref())
}

/// A cashier order (page, wap or app pay).
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is signed.
pub fn cashier_order(request: &CashierOrder) -> Result<(), Error> {
    order(
        &request.out_trade_no,
        &request.total_amount,
        &request.subject,
        request.time_expire.as_deref(),
    )?;
    if request.product_code != request.cashier.product_code() {
        return Err(Error::invalid(
            "product_code",
            format!(
                "{} takes product_code {}",
                request.cashier.method(),
                request.cashier.product_code()
            ),
        ));
    }
    url("notify_url", request.notify_url.as_deref())?;
    url("return_url", request.return_url.as_deref())?;
    url("quit_url", request.quit_url.as_deref())
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
            "0.00",
            "1",
            "1.0",
            "1.000",
            "-1.00",
            "01.00",
            ".50",
            "1,00",
            "1e2",
            "",
            "100000000.01",
            "999999999.99",
        ] {
            assert!(yuan("a", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn payment_codes_are_alipay_s_shape() {
        for good in [
            "281234567890123456",
            "2512345678901234",
            "301234567890123456789012",
        ] {
            assert!(is_alipay_auth_code(good), "{good}");
        }
        for bad in [
            "131234567890123456",
            "241234567890123456",
            "311234567890123456",
            "28123456789012",
            "2812345678901234567890123",
            "28123456789012345a",
            "",
        ] {
            assert!(!is_alipay_auth_code(bad), "{bad}");
        }
        let mut pay = TradePay::bar_code("o-1", "1.00", "s", "281234567890123456");
        assert!(super::pay(&pay).is_ok());
        pay.auth_code = "131234567890123456".into();
        let error = super::pay(&pay).unwrap_err();
        assert!(!error.to_string().contains("131234567890123456"));
        let mut pay = TradePay::bar_code("o-1", "1.00", "s", "281234567890123456");
        pay.time_expire = Some("2026-12-03T20:13:20".into());
        assert!(super::pay(&pay).is_err());
        pay.time_expire = Some("2026-12-03 20:13:20".into());
        assert!(super::pay(&pay).is_ok());
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
