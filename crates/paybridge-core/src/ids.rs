//! Identifier types that are validated once, at construction, so a bad id is refused before any
//! request is built.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a value was refused as an identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdError {
    /// Which identifier was being built, in words (`"merchant refund id"`).
    pub id: &'static str,
    /// What was wrong with it.
    pub kind: IdErrorKind,
}

/// The ways an identifier can be malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdErrorKind {
    /// The value was empty.
    Empty,
    /// The value had more characters than allowed.
    TooLong {
        /// The number of characters given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The value contained a control character (which no provider accepts and which would corrupt
    /// logs and CSV output).
    ControlCharacter {
        /// The character position (0-based) of the first one.
        position: usize,
    },
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match &self.kind {
            IdErrorKind::Empty => write!(f, "{id} must not be empty"),
            IdErrorKind::TooLong { len, max } => {
                write!(f, "{id} is {len} characters long; the limit is {max}")
            }
            IdErrorKind::ControlCharacter { position } => {
                write!(
                    f,
                    "{id} contains a control character at position {position}"
                )
            }
        }
    }
}

impl std::error::Error for IdError {}

/// Checks `value` against the rules every identifier shares; `max` is in characters.
pub(crate) fn check_id(id: &'static str, value: &str, max: usize) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError {
            id,
            kind: IdErrorKind::Empty,
        });
    }
    let mut len = 0;
    for (position, c) in value.chars().enumerate() {
        if c.is_control() {
            return Err(IdError {
                id,
                kind: IdErrorKind::ControlCharacter { position },
            });
        }
        len += 1;
    }
    if len > max {
        return Err(IdError {
            id,
            kind: IdErrorKind::TooLong { len, max },
        });
    }
    Ok(())
}

macro_rules! bounded_id {
    ($(#[$doc:meta])* $name:ident, $words:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The longest value accepted, in characters.
            pub const MAX_LEN: usize = $max;

            /// Validates and wraps `value`: non-empty, at most [`Self::MAX_LEN`] characters, no
            /// control characters.
            ///
            /// # Errors
            /// [`IdError`] when the value is empty, longer than the limit, or holds control characters.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                check_id($words, &value, Self::MAX_LEN)?;
                Ok(Self(value))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the identifier.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Self::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

bounded_id!(
    /// The merchant's own refund id: the idempotency key every retry of a refund reuses.
    ///
    /// Providers cap it tighter (BluePay and ScanForPay at 32); their crates check their own limit.
    MerchantRefundId,
    "merchant refund id",
    64
);

bounded_id!(
    /// The merchant's order reference for the original payment.
    OrderRef,
    "order ref",
    64
);

bounded_id!(
    /// The provider's (or the merchant's, where the provider keys payments by it) reference to the
    /// payment being refunded.
    PaymentRef,
    "payment ref",
    64
);

bounded_id!(
    /// The provider's own id for a refund, as the provider reported it.
    ProviderRefundId,
    "provider refund id",
    128
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        assert_eq!(
            MerchantRefundId::new("refund-1").unwrap().as_str(),
            "refund-1"
        );
        assert!(MerchantRefundId::new("x".repeat(64)).is_ok());
        assert!(OrderRef::new("订单-42").is_ok());
    }

    #[test]
    fn refuses_empty_long_and_control_values_with_the_limit_in_the_error() {
        let err = MerchantRefundId::new("").unwrap_err();
        assert_eq!(err.kind, IdErrorKind::Empty);
        let err = MerchantRefundId::new("x".repeat(65)).unwrap_err();
        assert_eq!(err.kind, IdErrorKind::TooLong { len: 65, max: 64 });
        assert!(err.to_string().contains("64"), "{err}");
        let err = PaymentRef::new("ab\ncd").unwrap_err();
        assert_eq!(err.kind, IdErrorKind::ControlCharacter { position: 2 });
        assert!(OrderRef::new("a\u{7f}").is_err());
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(OrderRef::new("é".repeat(64)).is_ok());
        assert!(OrderRef::new("é".repeat(65)).is_err());
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<MerchantRefundId>("\"\"").is_err());
        let id: MerchantRefundId = serde_json::from_str("\"r1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"r1\"");
    }
}
