//! SHA256withRSA (RSASSA-PKCS1-v1_5 with SHA-256) over an explicitly chosen backend.

use std::fmt;

use crate::keys::{self, KeyError, KeyKind, PrivateDer};

/// A crypto implementation. Each key is loaded with one, so two parts of a program can use
/// different backends and nothing depends on a process-wide default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// *ring*: Rust with a small C and assembly core; the default only when aws-lc-rs is not
    /// built.
    #[cfg(feature = "ring")]
    Ring,
    /// AWS-LC through aws-lc-rs: the default, and the faster RSA (it needs a C compiler to
    /// build).
    #[cfg(feature = "aws-lc-rs")]
    AwsLc,
}

impl Default for Backend {
    /// `AwsLc` when the `aws-lc-rs` feature is on (it signs RSA about twice as fast as *ring*,
    /// at OpenSSL's speed), else `Ring`.
    fn default() -> Backend {
        #[cfg(feature = "aws-lc-rs")]
        {
            Backend::AwsLc
        }
        #[cfg(not(feature = "aws-lc-rs"))]
        {
            Backend::Ring
        }
    }
}

impl Backend {
    /// Every backend compiled in.
    pub fn all() -> Vec<Backend> {
        vec![
            #[cfg(feature = "ring")]
            Backend::Ring,
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc,
        ]
    }

    /// The backend's name (`"ring"`, `"aws-lc-rs"`).
    pub const fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "ring")]
            Backend::Ring => "ring",
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc => "aws-lc-rs",
        }
    }
}

/// Why signing or verifying failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature does not match the message and key.
    Mismatch,
    /// The signature is not valid base64.
    BadEncoding,
    /// The backend failed to sign (should not happen with a loaded key).
    SigningFailed,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::Mismatch => "signature does not verify",
            SignatureError::BadEncoding => "signature is not valid base64",
            SignatureError::SigningFailed => "signing failed",
        })
    }
}

impl std::error::Error for SignatureError {}

enum KeyPair {
    #[cfg(feature = "ring")]
    Ring(ring::signature::RsaKeyPair),
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(aws_lc_rs::signature::RsaKeyPair),
}

/// An RSA private key for SHA256withRSA signatures (a merchant's key, or a sandbox platform key).
///
/// `Debug` shows only the size and backend. The DER copy kept here is zeroed on drop; the
/// backend's parsed key is released by the backend.
pub struct RsaPrivateKey {
    pair: KeyPair,
    /// Kept to re-load under another backend and to derive the public key.
    der: PrivateDer,
    backend: Backend,
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RsaPrivateKey([redacted], {} bits, {})",
            self.der.bits,
            self.backend.name()
        )
    }
}

impl RsaPrivateKey {
    /// Loads a private key from PEM (PKCS#8 or PKCS#1), base64 DER or raw DER, with the default
    /// backend.
    ///
    /// # Errors
    /// [`KeyError`] when the input is not a key in a form paybridge reads, or the backend
    /// refuses it.
    pub fn from_bytes(input: &[u8]) -> Result<RsaPrivateKey, KeyError> {
        RsaPrivateKey::from_bytes_with(Backend::default(), input)
    }

    /// Loads a private key with the given backend.
    ///
    /// # Errors
    /// [`KeyError`] when the input is not a key in a form paybridge reads, or the backend
    /// refuses it.
    pub fn from_bytes_with(backend: Backend, input: &[u8]) -> Result<RsaPrivateKey, KeyError> {
        let der = keys::read_private(input)?;
        let pair = load_pair(backend, &der)?;
        Ok(RsaPrivateKey { pair, der, backend })
    }

    /// The same key under another backend.
    ///
    /// # Errors
    /// [`KeyError`] when the other backend refuses the key.
    pub fn with_backend(&self, backend: Backend) -> Result<RsaPrivateKey, KeyError> {
        let der = PrivateDer {
            der: self.der.der.clone(),
            kind: self.der.kind,
            bits: self.der.bits,
        };
        let pair = load_pair(backend, &der)?;
        Ok(RsaPrivateKey { pair, der, backend })
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.der.bits
    }

    /// The container the key was read from.
    pub fn kind(&self) -> KeyKind {
        self.der.kind
    }

    /// The backend doing the work.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The signature length in bytes (the modulus length).
    pub fn signature_len(&self) -> usize {
        match &self.pair {
            #[cfg(feature = "ring")]
            KeyPair::Ring(pair) => pair.public().modulus_len(),
            #[cfg(feature = "aws-lc-rs")]
            KeyPair::AwsLc(pair) => pair.public_modulus_len(),
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> RsaPublicKey {
        let pkcs1 = match &self.pair {
            #[cfg(feature = "ring")]
            KeyPair::Ring(pair) => {
                use ring::signature::KeyPair as _;
                pair.public_key().as_ref().to_vec()
            }
            #[cfg(feature = "aws-lc-rs")]
            KeyPair::AwsLc(pair) => {
                use aws_lc_rs::signature::KeyPair as _;
                pair.public_key().as_ref().to_vec()
            }
        };
        RsaPublicKey {
            // The backend derived this key from a private key it accepted, so it parses; were
            // it ever refused, every verification with it would fail, never pass.
            #[cfg(feature = "aws-lc-rs")]
            parsed: parse_for(self.backend, &pkcs1).ok().flatten(),
            pkcs1,
            bits: self.der.bits,
            kind: KeyKind::Pkcs1Public,
            backend: self.backend,
        }
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 / SHA-256 into `signature`, which must be
    /// [`Self::signature_len`] bytes long.
    ///
    /// # Errors
    /// [`SignatureError`] when `signature` is not [`Self::signature_len`] bytes or the backend
    /// fails to sign.
    pub fn sign_into(&self, message: &[u8], signature: &mut [u8]) -> Result<(), SignatureError> {
        match &self.pair {
            #[cfg(feature = "ring")]
            KeyPair::Ring(pair) => {
                let rng = ring::rand::SystemRandom::new();
                pair.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, message, signature)
                    .map_err(|_| SignatureError::SigningFailed)
            }
            #[cfg(feature = "aws-lc-rs")]
            KeyPair::AwsLc(pair) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                pair.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &rng,
                    message,
                    signature,
                )
                .map_err(|_| SignatureError::SigningFailed)
            }
        }
    }

    /// Signs `message`; the raw signature bytes.
    ///
    /// # Errors
    /// [`SignatureError`] when the backend fails to sign.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let mut signature = vec![0u8; self.signature_len()];
        self.sign_into(message, &mut signature)?;
        Ok(signature)
    }

    /// Signs `message`; the signature in standard base64, as BluePay's `sign` field carries it.
    ///
    /// # Errors
    /// [`SignatureError`] when the backend fails to sign.
    pub fn sign_base64(&self, message: &[u8]) -> Result<String, SignatureError> {
        Ok(crate::base64_encode(&self.sign(message)?))
    }
}

fn load_pair(backend: Backend, der: &PrivateDer) -> Result<KeyPair, KeyError> {
    let rejected = |reason: String| KeyError::Rejected { reason };
    match backend {
        #[cfg(feature = "ring")]
        Backend::Ring => {
            use ring::signature::RsaKeyPair;
            let pair = match der.kind {
                KeyKind::Pkcs8Private => RsaKeyPair::from_pkcs8(&der.der),
                _ => RsaKeyPair::from_der(&der.der),
            };
            pair.map(KeyPair::Ring).map_err(|e| rejected(e.to_string()))
        }
        #[cfg(feature = "aws-lc-rs")]
        Backend::AwsLc => {
            use aws_lc_rs::signature::RsaKeyPair;
            let pair = match der.kind {
                KeyKind::Pkcs8Private => RsaKeyPair::from_pkcs8(&der.der),
                _ => RsaKeyPair::from_der(&der.der),
            };
            let pair = pair
                .map(KeyPair::AwsLc)
                .map_err(|e| rejected(e.to_string()))?;
            seed_aws_lc_random();
            Ok(pair)
        }
    }
}

#[cfg(feature = "aws-lc-rs")]
static AWS_LC_SEEDED: std::sync::Once = std::sync::Once::new();

/// Makes aws-lc seed its random generator now, while a key is being loaded, rather than inside
/// the first signature (RSA blinding draws random bytes on every sign).
///
/// aws-lc seeds once per process, from CPU jitter entropy: 31–42 ms on this project's 2-core
/// machine, behind a process-wide once that holds every other thread drawing random bytes
/// meanwhile. Left to the first signature, that stall landed on the first refund of a batch
/// or a service. Later calls, and each new thread's first, take microseconds.
#[cfg(feature = "aws-lc-rs")]
fn seed_aws_lc_random() {
    AWS_LC_SEEDED.call_once(|| {
        // A failure here would fail the first signature the same way, where it is reported.
        let _ = aws_lc_rs::rand::fill(&mut [0u8; 1]);
    });
}

/// An RSA public key for verifying SHA256withRSA signatures (a provider's platform key).
///
/// With the aws-lc-rs backend the key is parsed once, here, and every verification reuses it
/// (deriving the modulus' Montgomery constants is about a tenth of a 2048-bit verify). ring
/// 0.17 has no such type — `ring::signature::UnparsedPublicKey` and `RsaPublicKeyComponents`
/// both rebuild the key inside every `verify` — so under ring each verification still pays it.
#[derive(Clone)]
pub struct RsaPublicKey {
    /// PKCS#1 `RSAPublicKey` DER, the form both backends verify with.
    pkcs1: Vec<u8>,
    bits: usize,
    kind: KeyKind,
    backend: Backend,
    #[cfg(feature = "aws-lc-rs")]
    parsed: Option<std::sync::Arc<aws_lc_rs::signature::ParsedPublicKey>>,
}

/// The key parsed for aws-lc-rs, when that is the backend.
#[cfg(feature = "aws-lc-rs")]
fn parse_for(
    backend: Backend,
    pkcs1: &[u8],
) -> Result<Option<std::sync::Arc<aws_lc_rs::signature::ParsedPublicKey>>, KeyError> {
    if backend != Backend::AwsLc {
        return Ok(None);
    }
    aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        pkcs1,
    )
    .map(|key| Some(std::sync::Arc::new(key)))
    .map_err(|e| KeyError::Rejected {
        reason: e.to_string(),
    })
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RsaPublicKey({} bits, {})",
            self.bits,
            self.backend.name()
        )
    }
}

impl RsaPublicKey {
    /// Loads a public key from PEM (SPKI or PKCS#1), base64 DER (BluePay's X.509 strings) or raw
    /// DER, with the default backend.
    ///
    /// # Errors
    /// [`KeyError`] when the input is not a key in a form paybridge reads, or the backend
    /// refuses it.
    pub fn from_bytes(input: &[u8]) -> Result<RsaPublicKey, KeyError> {
        RsaPublicKey::from_bytes_with(Backend::default(), input)
    }

    /// Loads a public key with the given backend.
    ///
    /// # Errors
    /// [`KeyError`] when the input is not a key in a form paybridge reads, or the backend
    /// refuses it.
    pub fn from_bytes_with(backend: Backend, input: &[u8]) -> Result<RsaPublicKey, KeyError> {
        let der = keys::read_public(input)?;
        Ok(RsaPublicKey {
            #[cfg(feature = "aws-lc-rs")]
            parsed: parse_for(backend, &der.pkcs1)?,
            pkcs1: der.pkcs1,
            bits: der.bits,
            kind: der.kind,
            backend,
        })
    }

    /// The same key verifying through another backend.
    ///
    /// # Errors
    /// [`KeyError`] when the other backend refuses the key (it accepted it on loading).
    pub fn with_backend(&self, backend: Backend) -> Result<RsaPublicKey, KeyError> {
        Ok(RsaPublicKey {
            #[cfg(feature = "aws-lc-rs")]
            parsed: parse_for(backend, &self.pkcs1)?,
            backend,
            ..self.clone()
        })
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The container the key was read from.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key as PKCS#1 `RSAPublicKey` DER.
    pub fn pkcs1_der(&self) -> &[u8] {
        &self.pkcs1
    }

    /// The key as X.509 `SubjectPublicKeyInfo` DER (what `-----BEGIN PUBLIC KEY-----` holds and
    /// BluePay distributes base64-encoded).
    pub fn spki_der(&self) -> Vec<u8> {
        spki_from_pkcs1(&self.pkcs1)
    }

    /// The key as a `-----BEGIN PUBLIC KEY-----` PEM document.
    pub fn to_pem(&self) -> String {
        pem("PUBLIC KEY", &self.spki_der())
    }

    /// Verifies an RSASSA-PKCS1-v1_5 / SHA-256 `signature` over exactly `message`.
    ///
    /// # Errors
    /// [`SignatureError::Mismatch`] when the signature does not verify over exactly `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let ok = match self.backend {
            #[cfg(feature = "ring")]
            Backend::Ring => ring::signature::UnparsedPublicKey::new(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                &self.pkcs1,
            )
            .verify(message, signature)
            .is_ok(),
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc => self
                .parsed
                .as_ref()
                .is_some_and(|key| key.verify_sig(message, signature).is_ok()),
        };
        if ok {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// Verifies a base64 signature (BluePay's `sign`).
    ///
    /// # Errors
    /// [`SignatureError::BadEncoding`] when the signature is not base64;
    /// [`SignatureError::Mismatch`] when it does not verify over exactly `message`.
    pub fn verify_base64(&self, message: &[u8], signature_b64: &str) -> Result<(), SignatureError> {
        use base64::Engine as _;
        // Signatures are at most 1024 bytes (8192-bit keys): decode onto the stack. Wrapped or
        // oversized input takes the general path.
        let mut buffer = [0u8; 1024];
        match base64::engine::general_purpose::STANDARD.decode_slice(signature_b64, &mut buffer) {
            Ok(len) => self.verify(
                message,
                buffer.get(..len).ok_or(SignatureError::BadEncoding)?,
            ),
            Err(_) => {
                let signature =
                    crate::base64_decode(signature_b64).map_err(|_| SignatureError::BadEncoding)?;
                self.verify(message, &signature)
            }
        }
    }
}

/// Wraps PKCS#1 `RSAPublicKey` DER in a `SubjectPublicKeyInfo` with the rsaEncryption algorithm.
fn spki_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let mut algorithm = vec![crate::der::OID, 9];
    algorithm.extend_from_slice(crate::der::RSA_ENCRYPTION);
    algorithm.extend_from_slice(&[crate::der::NULL, 0]);
    let algorithm = der_wrap(crate::der::SEQUENCE, &algorithm);
    let mut bits = vec![0u8];
    bits.extend_from_slice(pkcs1);
    let bit_string = der_wrap(crate::der::BIT_STRING, &bits);
    let mut body = algorithm;
    body.extend_from_slice(&bit_string);
    der_wrap(crate::der::SEQUENCE, &body)
}

fn der_wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// A PEM document with 64-column base64 lines.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = crate::base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[cfg(feature = "aws-lc-rs")]
    #[test]
    fn loading_an_aws_lc_key_seeds_the_random_generator_before_any_signature() {
        let pem = include_str!("../tests/data/keys/rsa2048.pkcs8.pem");
        let key = super::RsaPrivateKey::from_bytes_with(Backend::AwsLc, pem.as_bytes()).unwrap();
        assert!(super::AWS_LC_SEEDED.is_completed());
        let signature = key.sign(b"seeded").unwrap();
        key.public_key().verify(b"seeded", &signature).unwrap();
    }

    /// aws-lc-rs signs RSA at about twice ring's speed here, so whenever it is built it is the
    /// default; ring is the default only in a build without it.
    #[test]
    fn the_default_backend_is_aws_lc_rs_whenever_it_is_built() {
        #[cfg(feature = "aws-lc-rs")]
        assert_eq!(Backend::default(), Backend::AwsLc);
        #[cfg(not(feature = "aws-lc-rs"))]
        assert_eq!(Backend::default(), Backend::Ring);
    }
}
