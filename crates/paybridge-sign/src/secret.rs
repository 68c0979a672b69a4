//! Secret holders that wipe their memory on drop and never show their contents when formatted.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A secret string (an API key, a sign key). `Debug` and `Display` print `[redacted]`; the value
/// is reachable only through [`SecretString::expose`], and is zeroed when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> SecretString {
        SecretString(value.into())
    }

    /// The secret itself: call only where it is needed (a header, a hash), never to format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty (an unset environment variable, say).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> SecretString {
        SecretString(value)
    }
}

/// Secret bytes (key material). Formats as `[redacted]`, zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps `value`.
    pub fn new(value: Vec<u8>) -> SecretBytes {
        SecretBytes(Zeroizing::new(value))
    }

    /// The bytes themselves.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_format() {
        let s = SecretString::new("sk_live_very_secret");
        assert_eq!(
            format!("{s:?} {s} {s:#?}"),
            "[redacted] [redacted] [redacted]"
        );
        assert_eq!(s.expose(), "sk_live_very_secret");
        let b = SecretBytes::new(b"key material".to_vec());
        assert_eq!(format!("{b:?}"), "[redacted]");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Config {
            key: SecretString,
        }
        let shown = format!("{:?}", Config { key: s });
        assert!(!shown.contains("very_secret"), "{shown}");
    }
}
