//! Amounts in fen. The broker's spec types them as JSON `number`; we send integers and accept an
//! integral number however it is written (`10`, `10.0`, `1e1`), refusing fractions of a fen.

use serde::{Deserialize, Deserializer};

/// Reads an integral JSON number as `i64`; a fractional or out-of-range one is an error.
pub(crate) fn integral<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    let value = Option::<serde_json::Number>::deserialize(deserializer)?;
    value
        .map(|n| {
            to_fen(&n).ok_or_else(|| {
                serde::de::Error::custom(format!("{n} is not a whole number of fen"))
            })
        })
        .transpose()
}

/// The fen in a JSON number, if it is a whole number within ±2^53.
pub fn to_fen(number: &serde_json::Number) -> Option<i64> {
    if let Some(i) = number.as_i64() {
        // Beyond ±(2^53 − 1) a sender working in doubles may already have rounded the amount.
        return (i.unsigned_abs() < 1 << 53).then_some(i);
    }
    // `10.0` or `1e1`: parse the decimal text exactly rather than through a float.
    let text = number.to_string();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let negative = int_part.starts_with('-');
    let digits: String = int_part
        .trim_start_matches('-')
        .chars()
        .chain(frac_part.chars())
        .collect();
    let scale = exponent - i32::try_from(frac_part.len()).ok()?;
    let mut value: i64 = digits.parse().ok()?;
    if scale >= 0 {
        for _ in 0..scale {
            value = value.checked_mul(10)?;
        }
    } else {
        for _ in 0..scale.unsigned_abs() {
            if value % 10 != 0 {
                return None;
            }
            value /= 10;
        }
    }
    let value = if negative { -value } else { value };
    (value.unsigned_abs() < (1 << 53)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(text: &str) -> Option<i64> {
        to_fen(&serde_json::from_str::<serde_json::Number>(text).unwrap())
    }

    #[test]
    fn integral_numbers_in_any_spelling() {
        assert_eq!(fen("10"), Some(10));
        assert_eq!(fen("10.0"), Some(10));
        assert_eq!(fen("10.000"), Some(10));
        assert_eq!(fen("1e1"), Some(10));
        assert_eq!(fen("1.5e1"), Some(15));
        assert_eq!(fen("-3.0"), Some(-3));
        assert_eq!(fen("10.5"), None);
        assert_eq!(fen("1e-1"), None);
        assert_eq!(fen("1e30"), None);
        // Found by fuzzing (nomad_response): plain integers get the same bound as decimals.
        assert_eq!(fen("3000000003000003333"), None);
        assert_eq!(fen("9007199254740991"), Some(9_007_199_254_740_991));
        assert_eq!(fen("9007199254740992"), None);
    }
}
