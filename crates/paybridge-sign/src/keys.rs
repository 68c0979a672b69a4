//! Reading RSA keys from the forms merchants are handed: PEM (PKCS#8, PKCS#1, SPKI), base64 DER
//! (BluePay's Java `getEncoded()` strings) or raw DER — and refusing everything else precisely.

use std::fmt;

use zeroize::Zeroizing;

use crate::der::{self, Reader};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// The container a key arrived in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// PKCS#8 `PrivateKeyInfo` (`-----BEGIN PRIVATE KEY-----`, Java's `getEncoded()`).
    Pkcs8Private,
    /// PKCS#1 `RSAPrivateKey` (`-----BEGIN RSA PRIVATE KEY-----`).
    Pkcs1Private,
    /// X.509 `SubjectPublicKeyInfo` (`-----BEGIN PUBLIC KEY-----`).
    SpkiPublic,
    /// PKCS#1 `RSAPublicKey` (`-----BEGIN RSA PUBLIC KEY-----`).
    Pkcs1Public,
}

/// Why a key could not be loaded. Never contains key material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The input is not a key in any form we read (bad PEM, bad base64, bad DER).
    Malformed(&'static str),
    /// A key of the wrong sort: a public key where a private one is needed, an EC key, a
    /// certificate…
    WrongKeyType {
        /// What was needed.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A password-protected key; decrypt it first (`openssl pkcs8 -topk8 -nocrypt`).
    Encrypted,
    /// An RSA key below the accepted size.
    TooSmall {
        /// The key's size.
        bits: usize,
        /// The minimum.
        min: usize,
    },
    /// The crypto backend refused the key (inconsistent components, unsupported size).
    Rejected {
        /// The backend's reason.
        reason: String,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Malformed(why) => write!(f, "not a readable key: {why}"),
            KeyError::WrongKeyType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            KeyError::Encrypted => f.write_str(
                "the private key is encrypted; provide it unencrypted (openssl pkcs8 -topk8 -nocrypt)",
            ),
            KeyError::TooSmall { bits, min } => {
                write!(f, "the RSA key has {bits} bits; at least {min} are required")
            }
            KeyError::Rejected { reason } => write!(f, "the crypto backend refused the key: {reason}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// A private key's DER, classified.
pub(crate) struct PrivateDer {
    pub(crate) der: Zeroizing<Vec<u8>>,
    pub(crate) kind: KeyKind,
    pub(crate) bits: usize,
}

/// A public key reduced to PKCS#1 `RSAPublicKey` DER, which both backends take.
pub(crate) struct PublicDer {
    pub(crate) pkcs1: Vec<u8>,
    pub(crate) kind: KeyKind,
    pub(crate) bits: usize,
}

enum Classified {
    Private {
        kind: KeyKind,
        bits: usize,
    },
    Public {
        kind: KeyKind,
        pkcs1: Vec<u8>,
        bits: usize,
    },
}

/// Decodes PEM, base64 or raw DER into DER bytes, refusing PEM labels that name a wrong or
/// encrypted key before looking inside.
fn decode(input: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    // Binary DER first, before any trimming: its last bytes may well be 0x0A or 0x20.
    if input.first() == Some(&der::SEQUENCE) {
        return Ok(Zeroizing::new(input.to_vec()));
    }
    let trimmed = input.trim_ascii();
    if trimmed.starts_with(b"-----BEGIN ") {
        let text =
            std::str::from_utf8(trimmed).map_err(|_| KeyError::Malformed("PEM is not text"))?;
        return decode_pem(text);
    }
    let text = std::str::from_utf8(trimmed)
        .map_err(|_| KeyError::Malformed("neither PEM, base64 nor DER"))?;
    if text.is_empty() {
        return Err(KeyError::Malformed("empty input"));
    }
    crate::base64_decode(text)
        .map(Zeroizing::new)
        .map_err(|_| KeyError::Malformed("neither PEM, base64 nor DER"))
}

fn decode_pem(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let mut lines = text.lines().map(str::trim);
    let first = lines.next().unwrap_or("");
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.strip_suffix("-----"))
        .ok_or(KeyError::Malformed("bad PEM header line"))?;
    match label {
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
        "CERTIFICATE" => {
            return Err(KeyError::WrongKeyType {
                expected: "an RSA key",
                found: "a certificate",
            });
        }
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "OPENSSH PRIVATE KEY" => {
            return Err(KeyError::WrongKeyType {
                expected: "an RSA key",
                found: "a non-RSA private key",
            });
        }
        _ => return Err(KeyError::Malformed("unknown PEM label")),
    }
    let end = format!("-----END {label}-----");
    let mut body = Zeroizing::new(String::new());
    let mut closed = false;
    for line in lines {
        if line == end {
            closed = true;
            break;
        }
        if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
            return Err(KeyError::Encrypted);
        }
        if line.contains(':') {
            // Other RFC 1421 headers (DEK-Info…) only accompany encryption.
            return Err(KeyError::Encrypted);
        }
        body.push_str(line);
    }
    if !closed {
        return Err(KeyError::Malformed("PEM has no matching END line"));
    }
    crate::base64_decode(&body)
        .map(Zeroizing::new)
        .map_err(|_| KeyError::Malformed("bad base64 in PEM"))
}

fn non_rsa() -> KeyError {
    KeyError::WrongKeyType {
        expected: "an RSA key",
        found: "a non-RSA key",
    }
}

/// Finds out what a DER blob is, and the RSA modulus size.
fn classify(der_bytes: &[u8]) -> Result<Classified, KeyError> {
    let malformed = || KeyError::Malformed("not a DER-encoded key");
    let body = der::single(der_bytes, der::SEQUENCE).ok_or_else(malformed)?;
    let mut items = Reader::new(body);
    let first = items.next().ok_or_else(malformed)?;
    let second = items.next().ok_or_else(malformed)?;
    match (first.tag, second.tag) {
        // PrivateKeyInfo: version, algorithm, privateKey.
        (der::INTEGER, der::SEQUENCE) => {
            check_rsa_algorithm(second.content)?;
            let inner = items.expect(der::OCTET_STRING).ok_or_else(malformed)?;
            let bits = pkcs1_private_bits(inner.content).ok_or_else(malformed)?;
            Ok(Classified::Private {
                kind: KeyKind::Pkcs8Private,
                bits,
            })
        }
        // RSAPrivateKey (version, n, e, d, …) or RSAPublicKey (n, e).
        (der::INTEGER, der::INTEGER) => {
            if items.is_empty() {
                let bits = der::integer_bits(first.content);
                Ok(Classified::Public {
                    kind: KeyKind::Pkcs1Public,
                    pkcs1: der_bytes.to_vec(),
                    bits,
                })
            } else {
                let bits = pkcs1_private_bits(der_bytes).ok_or_else(malformed)?;
                Ok(Classified::Private {
                    kind: KeyKind::Pkcs1Private,
                    bits,
                })
            }
        }
        // EncryptedPrivateKeyInfo: algorithm, encryptedData.
        (der::SEQUENCE, der::OCTET_STRING) => Err(KeyError::Encrypted),
        // SubjectPublicKeyInfo: algorithm, subjectPublicKey.
        (der::SEQUENCE, der::BIT_STRING) => {
            check_rsa_algorithm(first.content)?;
            let (&unused_bits, pkcs1) = second.content.split_first().ok_or_else(malformed)?;
            if unused_bits != 0 {
                return Err(malformed());
            }
            let key = der::single(pkcs1, der::SEQUENCE).ok_or_else(malformed)?;
            let n = Reader::new(key)
                .expect(der::INTEGER)
                .ok_or_else(malformed)?;
            let bits = der::integer_bits(n.content);
            Ok(Classified::Public {
                kind: KeyKind::SpkiPublic,
                pkcs1: pkcs1.to_vec(),
                bits,
            })
        }
        // A certificate is SEQUENCE { SEQUENCE tbs, SEQUENCE alg, BIT STRING }.
        (der::SEQUENCE, der::SEQUENCE) => Err(KeyError::WrongKeyType {
            expected: "an RSA key",
            found: "a certificate",
        }),
        _ => Err(malformed()),
    }
}

fn check_rsa_algorithm(algorithm: &[u8]) -> Result<(), KeyError> {
    let oid = Reader::new(algorithm)
        .expect(der::OID)
        .ok_or(KeyError::Malformed("bad algorithm identifier"))?;
    if oid.content == der::RSA_ENCRYPTION {
        Ok(())
    } else {
        Err(non_rsa())
    }
}

/// The modulus size of a PKCS#1 `RSAPrivateKey`.
fn pkcs1_private_bits(der_bytes: &[u8]) -> Option<usize> {
    let body = der::single(der_bytes, der::SEQUENCE)?;
    let mut items = Reader::new(body);
    let _version = items.expect(der::INTEGER)?;
    let n = items.expect(der::INTEGER)?;
    Some(der::integer_bits(n.content))
}

/// Reads a private key in any accepted form.
pub(crate) fn read_private(input: &[u8]) -> Result<PrivateDer, KeyError> {
    let der_bytes = decode(input)?;
    match classify(&der_bytes)? {
        Classified::Private { kind, bits } => {
            check_size(bits)?;
            Ok(PrivateDer {
                der: der_bytes,
                kind,
                bits,
            })
        }
        Classified::Public { .. } => Err(KeyError::WrongKeyType {
            expected: "an RSA private key",
            found: "a public key",
        }),
    }
}

/// Reads a public key in any accepted form.
pub(crate) fn read_public(input: &[u8]) -> Result<PublicDer, KeyError> {
    let der_bytes = decode(input)?;
    match classify(&der_bytes)? {
        Classified::Public { kind, pkcs1, bits } => {
            check_size(bits)?;
            Ok(PublicDer { pkcs1, kind, bits })
        }
        Classified::Private { .. } => Err(KeyError::WrongKeyType {
            expected: "an RSA public key",
            found: "a private key",
        }),
    }
}

fn check_size(bits: usize) -> Result<(), KeyError> {
    if bits < MIN_RSA_BITS {
        Err(KeyError::TooSmall {
            bits,
            min: MIN_RSA_BITS,
        })
    } else {
        Ok(())
    }
}
