//! Digests and keyed hashes: ScanForPay's `sha256(message ‖ key)`, HMAC-SHA256, and the
//! constant-time comparison every MAC check goes through.

use crate::Backend;

/// SHA-256 of `message`.
pub fn sha256(message: &[u8]) -> [u8; 32] {
    sha256_parts(Backend::default(), &[message])
}

pub(crate) fn sha256_parts(backend: Backend, parts: &[&[u8]]) -> [u8; 32] {
    let mut out = [0u8; 32];
    match backend {
        #[cfg(feature = "ring")]
        Backend::Ring => {
            let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
            for part in parts {
                ctx.update(part);
            }
            out.copy_from_slice(ctx.finish().as_ref());
        }
        #[cfg(feature = "aws-lc-rs")]
        Backend::AwsLc => {
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            for part in parts {
                ctx.update(part);
            }
            out.copy_from_slice(ctx.finish().as_ref());
        }
    }
    out
}

/// A streaming SHA-1, for checking a file against a digest the provider signed (WeChat Pay's
/// bill `hash_value`): SHA-1 is what the provider publishes there, and what is trusted is the
/// signed answer that names it, not SHA-1's collision resistance.
pub struct Sha1(Sha1Context);

enum Sha1Context {
    #[cfg(feature = "ring")]
    Ring(ring::digest::Context),
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(aws_lc_rs::digest::Context),
}

impl Default for Sha1 {
    fn default() -> Sha1 {
        Sha1::new()
    }
}

impl std::fmt::Debug for Sha1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sha1")
    }
}

impl Sha1 {
    /// An empty digest, on the default backend.
    pub fn new() -> Sha1 {
        Sha1(match Backend::default() {
            #[cfg(feature = "ring")]
            Backend::Ring => Sha1Context::Ring(ring::digest::Context::new(
                &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            )),
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc => Sha1Context::AwsLc(aws_lc_rs::digest::Context::new(
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            )),
        })
    }

    /// Feeds `bytes` in.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            #[cfg(feature = "ring")]
            Sha1Context::Ring(ctx) => ctx.update(bytes),
            #[cfg(feature = "aws-lc-rs")]
            Sha1Context::AwsLc(ctx) => ctx.update(bytes),
        }
    }

    /// The digest, as lower-case hex (how WeChat Pay writes `hash_value`).
    pub fn finish_hex(self) -> String {
        let mut out = [0u8; 20];
        match self.0 {
            #[cfg(feature = "ring")]
            Sha1Context::Ring(ctx) => out.copy_from_slice(ctx.finish().as_ref()),
            #[cfg(feature = "aws-lc-rs")]
            Sha1Context::AwsLc(ctx) => out.copy_from_slice(ctx.finish().as_ref()),
        }
        hex_lower(&out)
    }
}

/// SHA-1 of `bytes`, as lower-case hex.
pub fn sha1_hex(bytes: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(bytes);
    sha1.finish_hex()
}

/// `lowercase_hex(SHA-256(message ‖ key))` — ScanForPay's signature. Note this is a plain hash
/// with the key appended, as the provider defines it, not an HMAC.
pub fn sha256_keyed_hex(message: &[u8], key: &[u8]) -> String {
    hex_lower(&sha256_parts(Backend::default(), &[message, key]))
}

/// [`sha256_keyed_hex`] as 64 ASCII bytes on the stack, for writing straight into an envelope.
#[allow(
    clippy::indexing_slicing,
    reason = "`b >> 4` and `b & 0xF` index a 16-entry table"
)]
pub fn sha256_keyed_hex_bytes(message: &[u8], key: &[u8]) -> [u8; 64] {
    let digest = sha256_parts(Backend::default(), &[message, key]);
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(&digest) {
        pair.copy_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]);
    }
    out
}

/// Checks a [`sha256_keyed_hex`] signature in constant time; upper-case hex is accepted.
pub fn verify_sha256_keyed_hex(message: &[u8], key: &[u8], signature_hex: &str) -> bool {
    let Some(given) = decode_hex32(signature_hex) else {
        return false;
    };
    let expected = sha256_parts(Backend::default(), &[message, key]);
    constant_time_eq(&expected, &given)
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    match Backend::default() {
        #[cfg(feature = "ring")]
        Backend::Ring => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
            out.copy_from_slice(ring::hmac::sign(&key, message).as_ref());
        }
        #[cfg(feature = "aws-lc-rs")]
        Backend::AwsLc => {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
            out.copy_from_slice(aws_lc_rs::hmac::sign(&key, message).as_ref());
        }
    }
    out
}

/// Compares two byte strings in time that depends only on their lengths (which are public: a
/// digest's length is fixed), so a MAC check leaks nothing about where a forgery first differs.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early-exit comparison.
    std::hint::black_box(difference) == 0
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hexadecimal.
#[allow(
    clippy::indexing_slicing,
    reason = "`b >> 4` and `b & 0xF` index a 16-entry table"
)]
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(
            HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
        ));
        out.push(char::from(
            HEX.get(usize::from(b & 0xF)).copied().unwrap_or(b'0'),
        ));
    }
    out
}

/// 64 hex digits (either case) → 32 bytes. Not secret-dependent in a way that matters: the
/// input is the attacker's own signature.
fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *slot = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_the_fips_vector() {
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let mut streamed = Sha1::new();
        streamed.update(b"a");
        streamed.update(b"bc");
        assert_eq!(
            streamed.finish_hex(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn sha256_matches_the_standard_vector() {
        assert_eq!(
            hex_lower(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn keyed_hash_is_message_then_key() {
        assert_eq!(sha256_keyed_hex(b"ab", b"c"), hex_lower(&sha256(b"abc")));
        let sig = sha256_keyed_hex(b"{\"a\":1}", b"key");
        assert!(verify_sha256_keyed_hex(b"{\"a\":1}", b"key", &sig));
        assert!(verify_sha256_keyed_hex(
            b"{\"a\":1}",
            b"key",
            &sig.to_uppercase()
        ));
        assert!(!verify_sha256_keyed_hex(b"{\"a\":2}", b"key", &sig));
        assert!(!verify_sha256_keyed_hex(b"{\"a\":1}", b"kez", &sig));
        assert!(!verify_sha256_keyed_hex(b"{\"a\":1}", b"key", &sig[..63]));
        assert!(!verify_sha256_keyed_hex(
            b"{\"a\":1}",
            b"key",
            &format!("{}g", &sig[..63])
        ));
        assert!(!verify_sha256_keyed_hex(b"{\"a\":1}", b"key", "é"));
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        assert_eq!(
            hex_lower(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
