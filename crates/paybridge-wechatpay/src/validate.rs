//! WeChat Pay's field rules, checked before anything is signed or sent: a request that breaks
//! one is an [`Error::InvalidRequest`] naming the field, and nothing leaves the machine.

use paybridge_core::Error;

use crate::wire::requests::{CreateRefundRequest, PrepayRequest, TradeType};

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

/// The order number of a new order: 6–32 of `0-9 a-z A-Z _ - *`, the alphabet every
/// version of the prepay documentation accepts (look-ups, closes and refunds take the wider
/// one of [`out_trade_no`], so an order made elsewhere can still be found).
///
/// # Errors
/// [`Error::InvalidRequest`] when it breaks the rule; nothing is sent.
pub fn new_out_trade_no(value: &str) -> Result<(), Error> {
    let ok = (6..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'*'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "out_trade_no",
            "must be 6 to 32 of 0-9, a-z, A-Z and _-*",
        ))
    }
}

/// An AppID: 1–32 letters, digits and `_` (`wxd678efh567hg6787`).
///
/// # Errors
/// [`Error::InvalidRequest`] when it breaks the rule.
pub fn appid(value: &str) -> Result<(), Error> {
    if !value.is_empty()
        && value.len() <= 32
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        Err(Error::invalid(
            "appid",
            "must be 1 to 32 letters, digits and _",
        ))
    }
}

/// A payment's notification URL: an absolute http(s) URL of at most 255 characters, without
/// a query string (WeChat Pay refuses one). The documentation asks for HTTPS on the public
/// internet and allows HTTP over a private line, so both schemes are accepted.
///
/// # Errors
/// [`Error::InvalidRequest`] when it breaks the rule; nothing is sent.
pub fn payment_notify_url(value: &str) -> Result<(), Error> {
    if value.len() > 255 {
        return Err(Error::invalid("notify_url", "at most 255 characters"));
    }
    paybridge_core::validate::http_url("notify_url", value)?;
    if value.contains('?') || value.contains('#') {
        return Err(Error::invalid(
            "notify_url",
            "must not carry a query string or fragment",
        ));
    }
    Ok(())
}

fn text(field: &str, value: &str, max_chars: usize) -> Result<(), Error> {
    let len = value.chars().count();
    if len == 0 || len > max_chars {
        return Err(Error::invalid(
            field,
            format!("is {len} characters long; 1 to {max_chars} are accepted"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains a control character"));
    }
    Ok(())
}

/// A prepay request of `kind` as a whole: the ids' formats, a description of at most 127
/// characters, an RFC 3339 `time_expire`, an absolute notification URL without a query, a
/// positive amount in CNY; the payer's `openid` for JSAPI; for H5 the scene with the payer's
/// IP (`client_ip`) and `h5_info.type`.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first field at fault; nothing is sent.
pub fn prepay(request: &PrepayRequest, kind: TradeType) -> Result<(), Error> {
    appid(&request.appid)?;
    mchid(&request.mchid)?;
    text("description", &request.description, 127)?;
    new_out_trade_no(&request.out_trade_no)?;
    if let Some(at) = &request.time_expire {
        paybridge_core::Timestamp::parse_rfc3339(at).map_err(|_| {
            Error::invalid(
                "time_expire",
                "must be RFC 3339 (2018-06-08T10:34:56+08:00)",
            )
        })?;
    }
    if let Some(attach) = &request.attach {
        text("attach", attach, 128)?;
    }
    payment_notify_url(&request.notify_url)?;
    if let Some(tag) = &request.goods_tag {
        text("goods_tag", tag, 32)?;
    }
    if request.amount.total <= 0 {
        return Err(Error::invalid("amount", "must be greater than zero"));
    }
    if request
        .amount
        .currency
        .as_deref()
        .is_some_and(|c| c != "CNY")
    {
        return Err(Error::invalid("amount", "WeChat Pay payments are in CNY"));
    }
    match (&request.payer, kind) {
        (Some(payer), _) => text("payer", &payer.openid, 128)?,
        (None, TradeType::Jsapi) => {
            return Err(Error::invalid(
                "payer",
                "a JSAPI payment needs the payer's openid",
            ));
        }
        (None, _) => {}
    }
    match (&request.scene_info, kind) {
        (Some(scene), _) => {
            if scene.payer_client_ip.len() > 45
                || scene.payer_client_ip.parse::<std::net::IpAddr>().is_err()
            {
                return Err(Error::invalid(
                    "client_ip",
                    "is not an IPv4 or IPv6 address",
                ));
            }
            match (&scene.h5_info, kind) {
                (Some(h5), _) => paybridge_core::validate::one_of(
                    "h5_info.type",
                    &h5.kind,
                    &["Wap", "iOS", "Android"],
                )?,
                (None, TradeType::H5) => {
                    return Err(Error::invalid(
                        "h5_info",
                        "an H5 payment needs scene_info.h5_info",
                    ));
                }
                (None, _) => {}
            }
        }
        (None, TradeType::H5) => {
            return Err(Error::invalid(
                "client_ip",
                "WeChat Pay H5 needs the payer's IP address (scene_info.payer_client_ip)",
            ));
        }
        (None, _) => {}
    }
    Ok(())
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
    fn prepay_requests_are_checked_whole() {
        use crate::wire::requests::{H5Info, Payer, SceneInfo};
        let field = |r: Result<(), Error>| match r {
            Err(Error::InvalidRequest { field, .. }) => field,
            other => format!("{other:?}"),
        };
        let ok = PrepayRequest::new(
            "wxd678efh567hg6787",
            "1900000109",
            "Image形象店-深圳腾大-QQ公仔",
            "1217752501201407033233368018",
            "https://www.weixin.qq.com/wxpay/pay.php",
            100,
        );
        assert!(prepay(&ok, TradeType::Native).is_ok());
        assert!(prepay(&ok, TradeType::App).is_ok());
        assert_eq!(field(prepay(&ok, TradeType::Jsapi)), "payer");
        assert_eq!(field(prepay(&ok, TradeType::H5)), "client_ip");
        let mut jsapi = ok.clone();
        jsapi.payer = Some(Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"));
        assert!(prepay(&jsapi, TradeType::Jsapi).is_ok());
        let mut h5 = ok.clone();
        h5.scene_info = Some(SceneInfo::client_ip("14.23.150.211"));
        assert_eq!(field(prepay(&h5, TradeType::H5)), "h5_info");
        h5.scene_info = Some(SceneInfo {
            h5_info: Some(H5Info::wap()),
            ..SceneInfo::client_ip("2001:db8::1")
        });
        assert!(prepay(&h5, TradeType::H5).is_ok());
        type Edit = fn(&mut PrepayRequest);
        let cases: [(&str, Edit); 12] = [
            ("appid", |r| r.appid = String::new()),
            ("appid", |r| r.appid = "wx-1".into()),
            ("mchid", |r| r.mchid = "abc".into()),
            ("description", |r| r.description = "字".repeat(128)),
            ("description", |r| r.description = "a\nb".into()),
            ("out_trade_no", |r| r.out_trade_no = "12345".into()),
            ("out_trade_no", |r| r.out_trade_no = "order|1".into()),
            ("time_expire", |r| {
                r.time_expire = Some("2018-06-08 10:34".into())
            }),
            ("notify_url", |r| {
                r.notify_url = "https://m.test/n?x=1".into()
            }),
            ("notify_url", |r| r.notify_url = "ftp://m.test/n".into()),
            ("amount", |r| r.amount.total = 0),
            ("amount", |r| r.amount.currency = Some("USD".into())),
        ];
        for (expected, edit) in cases {
            let mut bad = ok.clone();
            edit(&mut bad);
            assert_eq!(field(prepay(&bad, TradeType::Native)), expected);
        }
        assert!(new_out_trade_no("a_b-c*1").is_ok());
        assert!(new_out_trade_no(&"9".repeat(33)).is_err());
        assert!(payment_notify_url(&format!("https://m.test/{}", "a".repeat(240))).is_ok());
        assert!(payment_notify_url(&format!("https://m.test/{}", "a".repeat(241))).is_err());
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
