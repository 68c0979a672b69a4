//! A small RFC 3339 timestamp: providers write times in several local formats, and the unified
//! model reports them all one way.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant (whole seconds since the Unix epoch) together with the UTC offset it was written in.
///
/// The offset is kept so that a provider's local time (Bangkok, Hong Kong, Shanghai) reads back as
/// the provider wrote it. Equality compares both; use [`Timestamp::unix_seconds`] to compare
/// instants. Serialized as RFC 3339 text, e.g. `"2024-07-31T16:37:40+07:00"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    unix_seconds: i64,
    offset_minutes: i16,
}

/// Why text was refused as a timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampError {
    input: String,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a valid timestamp", self.input)
    }
}

impl std::error::Error for TimestampError {}

const SECONDS_PER_DAY: i64 = 86_400;
/// Years 0000–9999, the range RFC 3339 can write.
const MIN_UNIX: i64 = -62_167_219_200;
const MAX_UNIX: i64 = 253_402_300_799;

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp {
        unix_seconds: 0,
        offset_minutes: 0,
    };

    /// The instant `unix_seconds` after the epoch, written in UTC.
    pub fn from_unix(unix_seconds: i64) -> Option<Timestamp> {
        Timestamp::from_unix_with_offset(unix_seconds, 0)
    }

    /// The instant `unix_seconds` after the epoch, written at `offset_minutes` east of UTC
    /// (between −23:59 and +23:59).
    pub fn from_unix_with_offset(unix_seconds: i64, offset_minutes: i16) -> Option<Timestamp> {
        let local = unix_seconds.checked_add(i64::from(offset_minutes) * 60)?;
        let in_range = (MIN_UNIX..=MAX_UNIX).contains(&local) && offset_minutes.abs() < 24 * 60;
        in_range.then_some(Timestamp {
            unix_seconds,
            offset_minutes,
        })
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// Minutes east of UTC the timestamp is written in.
    pub const fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// The same instant written at another offset.
    pub fn with_offset(self, offset_minutes: i16) -> Option<Timestamp> {
        Timestamp::from_unix_with_offset(self.unix_seconds, offset_minutes)
    }

    /// Parses RFC 3339 (`2021-11-02T17:03:38+08:00`, `…Z`, fractional seconds accepted and
    /// dropped; a space is accepted in place of `T`).
    ///
    /// # Errors
    /// [`TimestampError`] when the text is not in that form or names an impossible time.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimestampError> {
        let err = || TimestampError {
            input: text.chars().take(40).collect(),
        };
        let bytes = text.as_bytes();
        let (date_time, rest) = (
            bytes.get(..19).ok_or_else(err)?,
            bytes.get(19..).ok_or_else(err)?,
        );
        let local = parse_naive(date_time).ok_or_else(err)?;
        let rest = skip_fraction(rest);
        let offset_minutes = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let hours = two_digits(*h1, *h2).ok_or_else(err)?;
                let minutes = two_digits(*m1, *m2).ok_or_else(err)?;
                if hours > 23 || minutes > 59 {
                    return Err(err());
                }
                let magnitude = i16::try_from(hours * 60 + minutes).map_err(|_| err())?;
                if *sign == b'-' { -magnitude } else { magnitude }
            }
            _ => return Err(err()),
        };
        Timestamp::from_unix_with_offset(local - i64::from(offset_minutes) * 60, offset_minutes)
            .ok_or_else(err)
    }

    /// Parses a wall-clock time without a zone (`yyyy-MM-dd HH:mm:ss`, as BluePay writes Bangkok
    /// time) as a time at `offset_minutes` east of UTC.
    ///
    /// # Errors
    /// [`TimestampError`] when the text is not in that form or names an impossible time.
    pub fn parse_local(text: &str, offset_minutes: i16) -> Result<Timestamp, TimestampError> {
        let err = || TimestampError {
            input: text.chars().take(40).collect(),
        };
        if text.len() != 19 {
            return Err(err());
        }
        let local = parse_naive(text.as_bytes()).ok_or_else(err)?;
        Timestamp::from_unix_with_offset(local - i64::from(offset_minutes) * 60, offset_minutes)
            .ok_or_else(err)
    }

    /// The local date and time as `(year, month, day, hour, minute, second)`.
    pub fn local_fields(&self) -> (i64, u32, u32, u32, u32, u32) {
        let local = self.unix_seconds + i64::from(self.offset_minutes) * 60;
        let days = local.div_euclid(SECONDS_PER_DAY);
        let secs = local.rem_euclid(SECONDS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        // secs is in 0..86400, so these divisions fit in u32.
        let secs = u32::try_from(secs).unwrap_or(0);
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// RFC 3339 text, `Z` for UTC, `±hh:mm` otherwise.
    pub fn to_rfc3339(&self) -> String {
        self.to_string()
    }
}

impl Timestamp {
    /// Writes the RFC 3339 form into `buf` and returns its length (20 for `Z`, 25 with an
    /// offset), without allocating. Digits are written directly: this is on every ScanForPay request's signing path,
    /// where `core::fmt`'s padded integer formatting was a measurable share.
    pub fn write_rfc3339(&self, buf: &mut [u8; 25]) -> usize {
        let (y, mo, d, h, mi, s) = self.local_fields();
        let two = |v: u32| [b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8];
        // Years 0000–9999 by construction (see MIN_UNIX/MAX_UNIX).
        let year = u32::try_from(y).unwrap_or(0);
        let [y1, y2] = two(year / 100);
        let [y3, y4] = two(year % 100);
        let [mo1, mo2] = two(mo);
        let [d1, d2] = two(d);
        let [h1, h2] = two(h);
        let [mi1, mi2] = two(mi);
        let [s1, s2] = two(s);
        let head = [
            y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T', h1, h2, b':', mi1, mi2, b':', s1,
            s2,
        ];
        let (date_time, zone) = buf.split_at_mut(19);
        date_time.copy_from_slice(&head);
        if self.offset_minutes == 0 {
            if let Some(z) = zone.first_mut() {
                *z = b'Z';
            }
            return 20;
        }
        let abs = u32::from(self.offset_minutes.unsigned_abs());
        let [oh1, oh2] = two(abs / 60);
        let [om1, om2] = two(abs % 60);
        let sign = if self.offset_minutes < 0 { b'-' } else { b'+' };
        zone.copy_from_slice(&[sign, oh1, oh2, b':', om1, om2]);
        25
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 25];
        let len = self.write_rfc3339(&mut buf);
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or_default())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

fn two_digits(a: u8, b: u8) -> Option<u32> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
}

/// `yyyy-MM-dd?HH:mm:ss` (the separator `T`, `t` or a space) → seconds since the epoch, local.
fn parse_naive(b: &[u8]) -> Option<i64> {
    let [
        y1,
        y2,
        y3,
        y4,
        b'-',
        mo1,
        mo2,
        b'-',
        d1,
        d2,
        sep,
        h1,
        h2,
        b':',
        mi1,
        mi2,
        b':',
        s1,
        s2,
    ] = b
    else {
        return None;
    };
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let year = i64::from(two_digits(*y1, *y2)? * 100 + two_digits(*y3, *y4)?);
    let (month, day) = (two_digits(*mo1, *mo2)?, two_digits(*d1, *d2)?);
    let (hour, minute, second) = (
        two_digits(*h1, *h2)?,
        two_digits(*mi1, *mi2)?,
        two_digits(*s1, *s2)?,
    );
    // A leap second (":60") is folded onto the next second's start by accepting 60 here.
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second))
}

fn skip_fraction(rest: &[u8]) -> &[u8] {
    match rest {
        [b'.', tail @ ..] => {
            let digits = tail.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                rest
            } else {
                tail.get(digits..).unwrap_or(&[])
            }
        }
        _ => rest,
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // month is in 1..=12 and day in 1..=31 by construction.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_writes_provider_times() {
        let t = Timestamp::parse_rfc3339("2021-11-02T17:03:38+08:00").unwrap();
        assert_eq!(t.unix_seconds(), 1_635_843_818);
        assert_eq!(t.to_string(), "2021-11-02T17:03:38+08:00");
        let z = Timestamp::parse_rfc3339("1970-01-01T00:00:00Z").unwrap();
        assert_eq!(z.unix_seconds(), 0);
        assert_eq!(z.to_string(), "1970-01-01T00:00:00Z");
        let frac = Timestamp::parse_rfc3339("2024-07-31T16:37:40.123+07:00").unwrap();
        assert_eq!(frac.to_string(), "2024-07-31T16:37:40+07:00");
        let bangkok = Timestamp::parse_local("2024-07-31 16:37:40", 7 * 60).unwrap();
        assert_eq!(bangkok.to_string(), "2024-07-31T16:37:40+07:00");
        assert_eq!(bangkok.unix_seconds(), 1_722_418_660);
        assert_eq!(
            Timestamp::from_unix(1_722_415_059).unwrap().to_string(),
            "2024-07-31T08:37:39Z"
        );
    }

    #[test]
    fn refuses_malformed_times() {
        for bad in [
            "",
            "2021-11-02",
            "2021-13-02T17:03:38Z",
            "2021-02-29T00:00:00Z",
            "2021-11-02T24:00:00Z",
            "2021-11-02T17:03:38",
            "2021-11-02T17:03:38+8:00",
            "2021-11-02T17:03:38+24:00",
            "２０２１-11-02T17:03:38Z",
            "2021-11-02X17:03:38Z",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad:?}");
        }
        assert!(Timestamp::parse_rfc3339("2020-02-29T00:00:00Z").is_ok());
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(secs in MIN_UNIX + 86_400..MAX_UNIX - 86_400, offset in -1439i16..1440) {
            let t = Timestamp::from_unix_with_offset(secs, offset).unwrap();
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Ok(t));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = Timestamp::parse_rfc3339(&text);
            let _ = Timestamp::parse_local(&text, 420);
        }
    }
}
