//! Signing for paybridge: RFC 8785 canonical JSON, SHA256withRSA (RSASSA-PKCS1-v1_5) sign and
//! verify, AES-256-GCM, just enough X.509 for provider certificates, `sha256(message ‖ key)`, HMAC-SHA256, constant-time comparison, and key loading.
//!
//! Two crypto backends sit behind cargo features — `ring` (default) and `aws-lc-rs` — and are
//! chosen explicitly per key with [`Backend`], never through a process-global default. Both give
//! the same bytes: PKCS#1 v1.5 signatures are deterministic.
//!
//! This crate knows no provider; provider crates call it.
//!
//! # Example
//!
//! RFC 8785 canonical JSON — members sorted by UTF-16 code units, numbers in their shortest
//! round-trip form, no insignificant whitespace — from a serde value or from raw text, and the
//! keyed digests providers sign with, compared in constant time:
//!
//! ```
//! use paybridge_sign::{canonical, constant_time_eq, sha256_keyed_hex};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let body = serde_json::json!({"refundNo": "r-1", "amount": 1.50, "currency": "THB"});
//! let text = canonical::to_string(&body)?;
//! assert_eq!(text, r#"{"amount":1.5,"currency":"THB","refundNo":"r-1"}"#);
//! assert_eq!(canonical::canonicalize(b"{ \"b\": 1e2, \"a\": [true] }")?, br#"{"a":[true],"b":100}"#);
//!
//! let signature = sha256_keyed_hex(text.as_bytes(), b"the-sign-key");
//! assert!(constant_time_eq(signature.as_bytes(), sha256_keyed_hex(text.as_bytes(), b"the-sign-key").as_bytes()));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!("paybridge-sign needs a crypto backend: enable the `ring` or `aws-lc-rs` feature");

mod aead;
pub mod canonical;
mod der;
mod digest;
mod keys;
mod rsa;
mod secret;
pub mod x509;

pub use aead::{AES_256_KEY_LEN, AeadError, Aes256GcmKey, GCM_NONCE_LEN, GCM_TAG_LEN};
pub use digest::{
    Sha1, constant_time_eq, hex_lower, hmac_sha256, sha1_hex, sha256, sha256_keyed_hex,
    sha256_keyed_hex_bytes, verify_sha256_keyed_hex,
};
pub use keys::{KeyError, KeyKind, MIN_RSA_BITS};
pub use rsa::{Backend, RsaPrivateKey, RsaPublicKey, SignatureError};
pub use secret::{SecretBytes, SecretString};

/// Standard base64 (with padding), as BluePay writes signatures and keys.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64, ignoring ASCII whitespace (keys are often wrapped).
///
/// # Errors
/// The text is not standard base64.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    // Most input is unwrapped: decode it into a buffer of the exact size in one pass (this is
    // on the notification hot path). Anything it refuses takes the tolerant path below.
    let mut buffer = vec![0u8; text.len() / 4 * 3 + 3];
    if let Ok(len) = base64::engine::general_purpose::STANDARD.decode_slice(text, &mut buffer) {
        buffer.truncate(len);
        return Ok(buffer);
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}
