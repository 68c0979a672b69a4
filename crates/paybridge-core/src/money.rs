//! Money as an integer count of a currency's minor unit, parsed exactly from decimal text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 4217 currency together with the exponent of its minor unit.
///
/// The exponent is what makes `"12.34"` mean 1234 satang in THB but an error in JPY, which has no
/// minor unit. Providers that support a currency not listed here can be added without a breaking
/// change, so the enum is `#[non_exhaustive]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Currency {
    /// Thai baht (satang, 2 decimals).
    Thb,
    /// Chinese yuan renminbi (fen, 2 decimals).
    Cny,
    /// Hong Kong dollar (cents, 2 decimals).
    Hkd,
    /// Japanese yen (no minor unit).
    Jpy,
    /// US dollar (cents, 2 decimals).
    Usd,
    /// Singapore dollar (cents, 2 decimals).
    Sgd,
    /// Malaysian ringgit (sen, 2 decimals).
    Myr,
    /// Philippine peso (centavos, 2 decimals).
    Php,
    /// Indonesian rupiah (sen, 2 decimals per ISO 4217).
    Idr,
    /// Vietnamese dong (no minor unit).
    Vnd,
    /// South Korean won (no minor unit).
    Krw,
    /// Pound sterling (pence, 2 decimals).
    Gbp,
    /// Euro (cents, 2 decimals).
    Eur,
    /// New Taiwan dollar (cents, 2 decimals).
    Twd,
    /// Australian dollar (cents, 2 decimals).
    Aud,
}

impl Currency {
    /// Every supported currency, in declaration order.
    pub const ALL: [Currency; 15] = [
        Currency::Thb,
        Currency::Cny,
        Currency::Hkd,
        Currency::Jpy,
        Currency::Usd,
        Currency::Sgd,
        Currency::Myr,
        Currency::Php,
        Currency::Idr,
        Currency::Vnd,
        Currency::Krw,
        Currency::Gbp,
        Currency::Eur,
        Currency::Twd,
        Currency::Aud,
    ];

    /// The three-letter ISO 4217 code, upper case.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Thb => "THB",
            Currency::Cny => "CNY",
            Currency::Hkd => "HKD",
            Currency::Jpy => "JPY",
            Currency::Usd => "USD",
            Currency::Sgd => "SGD",
            Currency::Myr => "MYR",
            Currency::Php => "PHP",
            Currency::Idr => "IDR",
            Currency::Vnd => "VND",
            Currency::Krw => "KRW",
            Currency::Gbp => "GBP",
            Currency::Eur => "EUR",
            Currency::Twd => "TWD",
            Currency::Aud => "AUD",
        }
    }

    /// How many decimal digits the minor unit has (2 for THB, 0 for JPY).
    pub const fn exponent(self) -> u32 {
        match self {
            Currency::Jpy | Currency::Vnd | Currency::Krw => 0,
            _ => 2,
        }
    }

    /// Looks a currency up by its ISO code (case-sensitive, upper case as ISO writes it).
    ///
    /// # Errors
    /// [`UnknownCurrency`] for a code paybridge does not know.
    pub fn from_code(code: &str) -> Result<Currency, UnknownCurrency> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| UnknownCurrency(truncate_for_message(code)))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// A currency code that paybridge does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCurrency(String);

impl fmt::Display for UnknownCurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown currency code {:?}", self.0)
    }
}

impl std::error::Error for UnknownCurrency {}

/// Keeps echoed user input short so an error message cannot be used to flood logs.
fn truncate_for_message(s: &str) -> String {
    s.chars().take(16).collect()
}

/// An amount of money: a signed count of the currency's minor unit.
///
/// There are no floats anywhere: arithmetic is checked and refuses to mix currencies, and decimal
/// text is parsed exactly (see [`Money::parse`]). The serde form is `{"minor": 1234, "currency":
/// "THB"}`, the unified JSON of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount in minor units (satang, fen, cents, yen…).
    pub minor: i64,
    /// The currency the amount is in.
    pub currency: Currency,
}

/// Why an amount could not be parsed or computed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MoneyError {
    /// The text is not a plain decimal number (`"12.34"`, `"-5"`, `"100"`).
    NotADecimal {
        /// The offending input, shortened.
        input: String,
    },
    /// The text has more decimal places than the currency's minor unit allows.
    TooManyDecimals {
        /// The offending input, shortened.
        input: String,
        /// The currency.
        currency: Currency,
        /// Its exponent.
        exponent: u32,
    },
    /// The amount does not fit in 64 bits of minor units.
    Overflow,
    /// An operation mixed two currencies.
    CurrencyMismatch {
        /// The left-hand currency.
        left: Currency,
        /// The right-hand currency.
        right: Currency,
    },
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::NotADecimal { input } => {
                write!(
                    f,
                    "{input:?} is not a decimal amount (expected digits with an optional '.' part)"
                )
            }
            MoneyError::TooManyDecimals {
                input,
                currency,
                exponent,
            } => write!(
                f,
                "{input:?} has more than {exponent} decimal place(s), the minor unit of {currency}"
            ),
            MoneyError::Overflow => f.write_str("amount out of range"),
            MoneyError::CurrencyMismatch { left, right } => {
                write!(f, "cannot combine amounts in {left} and {right}")
            }
        }
    }
}

impl std::error::Error for MoneyError {}

impl Money {
    /// An amount of `minor` units of `currency`.
    pub const fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Parses decimal text exactly: `"12.34"` THB is 1234, `"12.345"` THB and `"1.5"` JPY are
    /// errors. Trailing zeros past the exponent are exact and accepted (`"1.0"` JPY is 1). A leading
    /// `-` is allowed; `+`, exponents, spaces, thousands separators, `".5"` and `"5."` are not.
    ///
    /// # Errors
    /// [`MoneyError`] when the text is not an exact decimal in the currency's minor unit, or
    /// is out of range.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let not_decimal = || MoneyError::NotADecimal {
            input: truncate_for_message(text),
        };
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = match unsigned.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (unsigned, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
            return Err(not_decimal());
        }
        let exponent = currency.exponent();
        let frac = frac_part.unwrap_or("");
        let exponent_len = exponent as usize;
        let (significant, excess) = frac.split_at(frac.len().min(exponent_len));
        if excess.bytes().any(|b| b != b'0') {
            return Err(MoneyError::TooManyDecimals {
                input: truncate_for_message(text),
                currency,
                exponent,
            });
        }
        // Accumulate towards the sign so that i64::MIN, whose magnitude has no positive i64, parses.
        let sign: i64 = if negative { -1 } else { 1 };
        let mut minor: i64 = 0;
        let digits = int_part.bytes().chain(significant.bytes());
        let padding = std::iter::repeat_n(b'0', exponent_len - significant.len());
        for digit in digits.chain(padding) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(sign * i64::from(digit - b'0')))
                .ok_or(MoneyError::Overflow)?;
        }
        Ok(Money { minor, currency })
    }

    /// The amount as decimal text without the currency (`1234` THB → `"12.34"`).
    pub fn to_decimal_string(&self) -> String {
        let exponent = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let magnitude = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10u64.pow(exponent);
        let width = exponent as usize;
        format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
    }

    /// `self + other`, refusing overflow and mixed currencies.
    ///
    /// # Errors
    /// [`MoneyError`] when the currencies differ or the sum overflows.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// `self - other`, refusing overflow and mixed currencies.
    ///
    /// # Errors
    /// [`MoneyError`] when the currencies differ or the difference overflows.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// Whether the amount is strictly greater than zero.
    pub const fn is_positive(&self) -> bool {
        self.minor > 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(
            Money::parse("12.34", Currency::Thb),
            Ok(Money::new(1234, Currency::Thb))
        );
        assert_eq!(
            Money::parse("12", Currency::Thb),
            Ok(Money::new(1200, Currency::Thb))
        );
        assert_eq!(
            Money::parse("12.3", Currency::Thb),
            Ok(Money::new(1230, Currency::Thb))
        );
        assert_eq!(
            Money::parse("0.01", Currency::Thb),
            Ok(Money::new(1, Currency::Thb))
        );
        assert_eq!(
            Money::parse("-0.01", Currency::Thb),
            Ok(Money::new(-1, Currency::Thb))
        );
        assert_eq!(
            Money::parse("1500", Currency::Jpy),
            Ok(Money::new(1500, Currency::Jpy))
        );
        assert_eq!(
            Money::parse("1.0", Currency::Jpy),
            Ok(Money::new(1, Currency::Jpy))
        );
        assert_eq!(
            Money::parse("12.340", Currency::Thb),
            Ok(Money::new(1234, Currency::Thb))
        );
    }

    #[test]
    fn refuses_inexact_or_malformed_text() {
        assert!(matches!(
            Money::parse("12.345", Currency::Thb),
            Err(MoneyError::TooManyDecimals { exponent: 2, .. })
        ));
        assert!(matches!(
            Money::parse("1.5", Currency::Jpy),
            Err(MoneyError::TooManyDecimals { exponent: 0, .. })
        ));
        for bad in [
            "", "-", ".", ".5", "5.", "+5", "1e3", " 1", "1 ", "1,000", "1.2.3", "١٢", "NaN", "--1",
        ] {
            assert!(
                matches!(
                    Money::parse(bad, Currency::Thb),
                    Err(MoneyError::NotADecimal { .. })
                ),
                "{bad:?} should be refused"
            );
        }
        assert_eq!(
            Money::parse("92233720368547758.08", Currency::Thb),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::parse("92233720368547758.07", Currency::Thb),
            Ok(Money::new(i64::MAX, Currency::Thb))
        );
    }

    #[test]
    fn error_messages_name_the_problem() {
        let err = Money::parse("1.5", Currency::Jpy).unwrap_err().to_string();
        assert!(err.contains("JPY") && err.contains('0'), "{err}");
        let long = "9".repeat(500);
        let err = Money::parse(&format!("x{long}"), Currency::Thb)
            .unwrap_err()
            .to_string();
        assert!(err.len() < 120, "input echoed unbounded: {err}");
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::new(i64::MAX, Currency::Thb);
        assert_eq!(
            a.checked_add(Money::new(1, Currency::Thb)),
            Err(MoneyError::Overflow)
        );
        assert!(matches!(
            Money::new(1, Currency::Thb).checked_add(Money::new(1, Currency::Jpy)),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
        assert_eq!(
            Money::new(5, Currency::Cny).checked_sub(Money::new(7, Currency::Cny)),
            Ok(Money::new(-2, Currency::Cny))
        );
    }

    #[test]
    fn currency_codes_round_trip() {
        for c in Currency::ALL {
            assert_eq!(Currency::from_code(c.code()), Ok(c));
            assert_eq!(c.code().parse::<Currency>(), Ok(c));
        }
        assert!(Currency::from_code("thb").is_err());
        assert!(Currency::from_code("XXX").is_err());
    }

    #[test]
    fn serde_form_matches_the_unified_json() {
        let m = Money::new(1234, Currency::Thb);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"minor":1234,"currency":"THB"}"#
        );
        let back: Money = serde_json::from_str(r#"{"minor":1234,"currency":"THB"}"#).unwrap();
        assert_eq!(back, m);
        assert!(serde_json::from_str::<Money>(r#"{"minor":1.5,"currency":"THB"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"minor":1,"currency":"ZZZ"}"#).is_err());
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(minor in any::<i64>(), idx in 0usize..Currency::ALL.len()) {
            let currency = Currency::ALL[idx];
            let m = Money::new(minor, currency);
            prop_assert_eq!(Money::parse(&m.to_decimal_string(), currency), Ok(m));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = Money::parse(&text, Currency::Thb);
        }

        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let (a, b) = (Money::new(a, Currency::Hkd), Money::new(b, Currency::Hkd));
            prop_assert_eq!(a.checked_add(b).unwrap().checked_sub(b), Ok(a));
        }
    }
}
