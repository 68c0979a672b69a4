//! The ambiguous answers real providers give, switched on by name, so tests can catch a client
//! that turns "I cannot tell" into "refused".

use std::fmt;

/// Which provider quirks a sandbox shows. All off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// BluePay answers a repeated `mchRefundOrderId` of a refund that is still pending with
    /// 21401 "refund processing" (instead of 21407 "duplicate").
    pub bluepay_processing: bool,
    /// ScanForPay answers a repeat of a refund that exhausted its payment with 35 "refund
    /// exceeds refundable amount" (instead of the refund).
    pub scanforpay_exhausted: bool,
    /// Nomad answers refunds (created, repeated and queried) with HTTP 200 and null amounts.
    pub nomad_null_amounts: bool,
    /// WeChat Pay records a new refund, then answers HTTP 500 `SYSTEM_ERROR`.
    pub wechatpay_system_error: bool,
    /// Alipay records a new refund, then answers `40004 ACQ.SYSTEM_ERROR`.
    pub alipay_system_error: bool,
    /// Every statement download (WeChat Pay's gzip, Alipay's zip) arrives with one byte
    /// changed, so the client's check (the signed SHA-1, the zip's CRC) must refuse it.
    pub bill_corrupt: bool,
}

/// A quirk name that is not one of [`Quirks::NAMES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownQuirk(pub String);

impl fmt::Display for UnknownQuirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown quirk {:?}: use {} or all",
            self.0,
            Quirks::NAMES.join(", ")
        )
    }
}

impl std::error::Error for UnknownQuirk {}

impl Quirks {
    /// Every quirk's name, as `--quirks` takes them.
    pub const NAMES: [&'static str; 6] = [
        "bluepay-processing",
        "scanforpay-exhausted",
        "nomad-null-amounts",
        "wechatpay-system-error",
        "alipay-system-error",
        "bill-corrupt",
    ];

    /// Every quirk on.
    pub const ALL: Quirks = Quirks {
        bluepay_processing: true,
        scanforpay_exhausted: true,
        nomad_null_amounts: true,
        wechatpay_system_error: true,
        alipay_system_error: true,
        bill_corrupt: true,
    };

    /// Parses a comma-separated list of names (`all` for every quirk, empty for none).
    ///
    /// # Errors
    /// A name that is not a quirk.
    pub fn parse(list: &str) -> Result<Quirks, UnknownQuirk> {
        let mut quirks = Quirks::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "all" => quirks = Quirks::ALL,
                "bluepay-processing" => quirks.bluepay_processing = true,
                "scanforpay-exhausted" => quirks.scanforpay_exhausted = true,
                "nomad-null-amounts" => quirks.nomad_null_amounts = true,
                "wechatpay-system-error" => quirks.wechatpay_system_error = true,
                "alipay-system-error" => quirks.alipay_system_error = true,
                "bill-corrupt" => quirks.bill_corrupt = true,
                other => return Err(UnknownQuirk(other.to_owned())),
            }
        }
        Ok(quirks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_ones_are_refused() {
        assert_eq!(Quirks::parse("").unwrap(), Quirks::default());
        assert_eq!(Quirks::parse("all").unwrap(), Quirks::ALL);
        assert_eq!(
            Quirks::parse(&Quirks::NAMES.join(",")).unwrap(),
            Quirks::ALL
        );
        let one = Quirks::parse(" nomad-null-amounts ").unwrap();
        assert!(one.nomad_null_amounts && !one.bluepay_processing);
        let error = Quirks::parse("bluepay-processing,nope").unwrap_err();
        assert!(error.to_string().contains("\"nope\""), "{error}");
    }
}
