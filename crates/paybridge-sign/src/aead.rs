//! AES-256-GCM (`AEAD_AES_256_GCM`), as WeChat Pay encrypts its notification resources: a
//! 32-byte key, a 12-byte nonce, associated data, and the 16-byte tag appended to the
//! ciphertext. The key is parsed once (its key schedule kept) and zeroed by the backend when
//! dropped; it never reaches `Debug`.

use std::fmt;

use crate::Backend;

/// The key length AES-256 needs.
pub const AES_256_KEY_LEN: usize = 32;
/// The nonce length GCM takes here.
pub const GCM_NONCE_LEN: usize = 12;
/// The tag appended to every ciphertext.
pub const GCM_TAG_LEN: usize = 16;

/// Why AES-GCM refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AeadError {
    /// The key is not 32 bytes.
    KeyLength(usize),
    /// The nonce is not 12 bytes.
    NonceLength(usize),
    /// The ciphertext is shorter than its tag.
    TooShort,
    /// The tag does not authenticate the ciphertext, nonce and associated data under this key:
    /// tampered, or the wrong key.
    Unauthentic,
    /// The backend failed to seal.
    Seal,
}

impl fmt::Display for AeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AeadError::KeyLength(n) => write!(f, "an AES-256 key is 32 bytes, not {n}"),
            AeadError::NonceLength(n) => write!(f, "a GCM nonce is 12 bytes here, not {n}"),
            AeadError::TooShort => f.write_str("the ciphertext is shorter than its 16-byte tag"),
            AeadError::Unauthentic => {
                f.write_str("the ciphertext does not authenticate (tampered, or not this key's)")
            }
            AeadError::Seal => f.write_str("AES-GCM sealing failed"),
        }
    }
}

impl std::error::Error for AeadError {}

#[allow(
    clippy::large_enum_variant,
    reason = "one key per account, built once; boxing would add an indirection to every open"
)]
enum Key {
    #[cfg(feature = "ring")]
    Ring(ring::aead::LessSafeKey),
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(aws_lc_rs::aead::LessSafeKey),
}

/// An AES-256-GCM key (WeChat Pay's APIv3 key), ready to open and seal.
pub struct Aes256GcmKey {
    key: Key,
    backend: Backend,
}

impl fmt::Debug for Aes256GcmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aes256GcmKey([redacted], {})", self.backend.name())
    }
}

impl Aes256GcmKey {
    /// The key `bytes` (exactly 32) with the default backend.
    ///
    /// # Errors
    /// [`AeadError::KeyLength`] when `bytes` is not 32 bytes long.
    pub fn new(bytes: &[u8]) -> Result<Aes256GcmKey, AeadError> {
        Aes256GcmKey::new_with(Backend::default(), bytes)
    }

    /// The key `bytes` with `backend`.
    ///
    /// # Errors
    /// [`AeadError::KeyLength`] when `bytes` is not 32 bytes long.
    pub fn new_with(backend: Backend, bytes: &[u8]) -> Result<Aes256GcmKey, AeadError> {
        if bytes.len() != AES_256_KEY_LEN {
            return Err(AeadError::KeyLength(bytes.len()));
        }
        let key = match backend {
            #[cfg(feature = "ring")]
            Backend::Ring => {
                use ring::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
                Key::Ring(LessSafeKey::new(
                    UnboundKey::new(&AES_256_GCM, bytes)
                        .map_err(|_| AeadError::KeyLength(bytes.len()))?,
                ))
            }
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc => {
                use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
                Key::AwsLc(LessSafeKey::new(
                    UnboundKey::new(&AES_256_GCM, bytes)
                        .map_err(|_| AeadError::KeyLength(bytes.len()))?,
                ))
            }
        };
        Ok(Aes256GcmKey { key, backend })
    }

    /// The backend this key runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Decrypts `ciphertext` (with its tag appended) in place and returns the plaintext, a
    /// prefix of the buffer.
    ///
    /// # Errors
    /// [`AeadError::NonceLength`], [`AeadError::TooShort`], or [`AeadError::Unauthentic`] when
    /// the tag does not verify; then the buffer's content is unspecified.
    pub fn open_in_place<'a>(
        &self,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &'a mut [u8],
    ) -> Result<&'a mut [u8], AeadError> {
        let nonce: [u8; GCM_NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| AeadError::NonceLength(nonce.len()))?;
        if ciphertext.len() < GCM_TAG_LEN {
            return Err(AeadError::TooShort);
        }
        match &self.key {
            #[cfg(feature = "ring")]
            Key::Ring(key) => {
                use ring::aead::{Aad, Nonce};
                key.open_in_place(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    ciphertext,
                )
                .map_err(|_| AeadError::Unauthentic)
            }
            #[cfg(feature = "aws-lc-rs")]
            Key::AwsLc(key) => {
                use aws_lc_rs::aead::{Aad, Nonce};
                key.open_in_place(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    ciphertext,
                )
                .map_err(|_| AeadError::Unauthentic)
            }
        }
    }

    /// Decrypts `ciphertext` (with its tag appended) into a new buffer.
    ///
    /// # Errors
    /// As [`Aes256GcmKey::open_in_place`].
    pub fn open(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, AeadError> {
        let mut buffer = ciphertext.to_vec();
        let len = self.open_in_place(nonce, aad, &mut buffer)?.len();
        buffer.truncate(len);
        Ok(buffer)
    }

    /// Encrypts `plaintext` and appends the tag: what a provider (or a sandbox) does.
    ///
    /// # Errors
    /// [`AeadError::NonceLength`], or [`AeadError::Seal`] when the backend fails.
    pub fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, AeadError> {
        let nonce: [u8; GCM_NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| AeadError::NonceLength(nonce.len()))?;
        let mut buffer = plaintext.to_vec();
        match &self.key {
            #[cfg(feature = "ring")]
            Key::Ring(key) => {
                use ring::aead::{Aad, Nonce};
                key.seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut buffer,
                )
                .map_err(|_| AeadError::Seal)?;
            }
            #[cfg(feature = "aws-lc-rs")]
            Key::AwsLc(key) => {
                use aws_lc_rs::aead::{Aad, Nonce};
                key.seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut buffer,
                )
                .map_err(|_| AeadError::Seal)?;
            }
        }
        Ok(buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WeChat Pay's published vector (wechatpay-java's `AesUtilTest`).
    #[test]
    fn the_wechatpay_vector_decrypts_on_every_backend() {
        for backend in Backend::all() {
            let key = Aes256GcmKey::new_with(backend, b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb").unwrap();
            let ciphertext = crate::base64_decode("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=").unwrap();
            let plain = key
                .open(b"uluk4a9R25RW", b"associatedData", &ciphertext)
                .unwrap();
            assert_eq!(plain, b"message", "{backend:?}");
            assert_eq!(
                key.seal(b"uluk4a9R25RW", b"associatedData", b"message")
                    .unwrap(),
                ciphertext
            );
        }
    }

    #[test]
    fn tampering_wrong_keys_and_bad_lengths_are_refused() {
        let key = Aes256GcmKey::new(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb").unwrap();
        let sealed = key.seal(b"uluk4a9R25RW", b"", b"refund").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(
                key.open(b"uluk4a9R25RW", b"", &bad),
                Err(AeadError::Unauthentic)
            );
        }
        assert_eq!(
            key.open(b"uluk4a9R25RW", b"x", &sealed),
            Err(AeadError::Unauthentic)
        );
        let other = Aes256GcmKey::new(&[7; 32]).unwrap();
        assert_eq!(
            other.open(b"uluk4a9R25RW", b"", &sealed),
            Err(AeadError::Unauthentic)
        );
        assert_eq!(
            Aes256GcmKey::new(b"short").unwrap_err(),
            AeadError::KeyLength(5)
        );
        assert_eq!(
            key.open(b"short", b"", &sealed),
            Err(AeadError::NonceLength(5))
        );
        assert_eq!(
            key.open(b"uluk4a9R25RW", b"", &[0; 15]),
            Err(AeadError::TooShort)
        );
        assert!(!format!("{key:?}").contains("a7cde"));
    }
}
