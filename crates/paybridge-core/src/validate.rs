//! Field checks every provider's request validation shares, so one rule has one spelling.

use crate::Error;

/// An absolute `http` or `https` URL with a non-empty host.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule.
pub fn http_url(field: &str, value: &str) -> Result<(), Error> {
    let uri: http::Uri = value
        .parse()
        .map_err(|_| Error::invalid(field, "is not a valid URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none_or(str::is_empty) {
        return Err(Error::invalid(field, "must be an absolute http(s) URL"));
    }
    Ok(())
}

/// One of a fixed set of words.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the field when the value breaks this rule.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(http_url("u", "https://merchant.example/cb?x=1").is_ok());
        assert!(http_url("u", "http://www.test.com").is_ok());
        assert!(http_url("u", "ftp://www.test.com").is_err());
        assert!(http_url("u", "/relative").is_err());
        assert!(http_url("u", "not a url").is_err());
    }

    #[test]
    fn words() {
        assert!(one_of("w", "alipay", &["wechatpay", "alipay"]).is_ok());
        let err = one_of("w", "paypal", &["wechatpay", "alipay"]).unwrap_err();
        assert!(err.to_string().contains("wechatpay, alipay"), "{err}");
    }
}
