//! Alipay's keys, in either mode it runs merchants in:
//!
//! - **key mode**: the merchant signs with its app private key and verifies with Alipay's
//!   public key;
//! - **certificate mode**: the merchant also holds its app certificate, Alipay's certificate
//!   and Alipay's root certificate bundle. Every request carries `app_cert_sn` and
//!   `alipay_root_cert_sn`, computed as Alipay's SDK computes them: the SN of a certificate is
//!   the MD5, in 32 lower-case hex digits, of its issuer's name as RFC 2253 writes it followed
//!   by its serial number in decimal; the root SN joins with `_` the SNs of the bundle's
//!   certificates signed with RSA (the ECC and SM2 roots are left out). Replies name the Alipay
//!   certificate they were signed with in `alipay_cert_sn`.

use std::fmt;

use md5::{Digest, Md5};
use paybridge_core::Error;
use paybridge_sign::RsaPublicKey;
use paybridge_sign::x509::Certificate;

use crate::codec::PROVIDER;

/// A certificate's SN as Alipay defines it: `md5(issuer RFC 2253 ‖ serial in decimal)`, 32
/// lower-case hex digits.
pub fn cert_sn(certificate: &Certificate) -> String {
    let mut md5 = Md5::new();
    md5.update(certificate.issuer_rfc2253().as_bytes());
    md5.update(certificate.serial_decimal().as_bytes());
    paybridge_sign::hex_lower(&md5.finalize())
}

/// The root bundle's SN: the SNs of its RSA-signed certificates, in order, joined with `_`.
pub fn root_cert_sn(bundle: &[Certificate]) -> String {
    bundle
        .iter()
        .filter(|c| c.signature_algorithm().is_rsa())
        .map(cert_sn)
        .collect::<Vec<_>>()
        .join("_")
}

#[derive(Clone)]
enum Mode {
    PublicKey(RsaPublicKey),
    Certificates {
        app_cert_sn: String,
        root_cert_sn: String,
        alipay_cert_sn: String,
        alipay_key: RsaPublicKey,
    },
}

/// What the merchant verifies Alipay with, and (in certificate mode) the SNs every request names.
#[derive(Clone)]
pub struct AlipayKeys {
    mode: Mode,
}

impl fmt::Debug for AlipayKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Mode::PublicKey(_) => f.write_str("AlipayKeys(public key)"),
            Mode::Certificates {
                app_cert_sn,
                root_cert_sn,
                alipay_cert_sn,
                ..
            } => f
                .debug_struct("AlipayKeys")
                .field("app_cert_sn", app_cert_sn)
                .field("alipay_root_cert_sn", root_cert_sn)
                .field("alipay_cert_sn", alipay_cert_sn)
                .finish(),
        }
    }
}

fn config(reason: impl Into<String>) -> Error {
    Error::Config {
        reason: reason.into(),
    }
}

impl AlipayKeys {
    /// Key mode: Alipay's public key.
    pub fn public_key(key: RsaPublicKey) -> AlipayKeys {
        AlipayKeys {
            mode: Mode::PublicKey(key),
        }
    }

    /// Certificate mode, from the app certificate, Alipay's certificate and Alipay's root
    /// bundle.
    ///
    /// # Errors
    /// [`Error::Config`] when Alipay's certificate holds no RSA key, or the bundle has no
    /// RSA-signed certificate.
    pub fn certificates(
        app_cert: &Certificate,
        alipay_cert: &Certificate,
        root_bundle: &[Certificate],
    ) -> Result<AlipayKeys, Error> {
        let root_cert_sn = root_cert_sn(root_bundle);
        if root_cert_sn.is_empty() {
            return Err(config(
                "the Alipay root certificate bundle holds no RSA-signed certificate",
            ));
        }
        Ok(AlipayKeys {
            mode: Mode::Certificates {
                app_cert_sn: cert_sn(app_cert),
                root_cert_sn,
                alipay_cert_sn: cert_sn(alipay_cert),
                alipay_key: alipay_cert
                    .rsa_public_key()
                    .map_err(|e| config(format!("Alipay's certificate: {e}")))?,
            },
        })
    }

    /// `(app_cert_sn, alipay_root_cert_sn)` in certificate mode.
    pub fn request_sns(&self) -> Option<(&str, &str)> {
        match &self.mode {
            Mode::PublicKey(_) => None,
            Mode::Certificates {
                app_cert_sn,
                root_cert_sn,
                ..
            } => Some((app_cert_sn, root_cert_sn)),
        }
    }

    /// The key a reply that names `alipay_cert_sn` (if it names one) is verified with.
    ///
    /// # Errors
    /// [`Error::Verification`] when the reply names a certificate the merchant does not hold
    /// (Alipay rotated it: download the new one).
    pub fn key_for(&self, alipay_cert_sn: Option<&str>) -> Result<&RsaPublicKey, Error> {
        match (&self.mode, alipay_cert_sn) {
            (Mode::PublicKey(key), _) => Ok(key),
            (
                Mode::Certificates {
                    alipay_cert_sn: ours,
                    alipay_key,
                    ..
                },
                named,
            ) => match named {
                Some(sn) if sn != ours => Err(Error::Verification {
                    provider: PROVIDER,
                    reason: format!(
                        "signed with Alipay certificate {}, not the configured {ours}",
                        paybridge_core::excerpt(sn.as_bytes(), 40)
                    ),
                }),
                _ => Ok(alipay_key),
            },
        }
    }
}
