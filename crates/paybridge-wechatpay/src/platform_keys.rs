//! WeChat Pay's keys, with which its answers and notifications are verified — in either of the
//! two modes it runs merchants in:
//!
//! - **public-key mode**: one WeChat Pay public key, named by its id `PUB_KEY_ID_…`;
//! - **platform-certificate mode**: platform certificates, each named by its serial; during a
//!   rotation several are valid at once, and each message names the one it was signed with.
//!
//! A message naming a serial not configured here does not verify.

use std::fmt;
use std::path::Path;

use paybridge_core::{Error, Timestamp};
use paybridge_sign::RsaPublicKey;
use paybridge_sign::x509::Certificate;

use crate::codec::PROVIDER;

/// How WeChat Pay's public-key ids begin.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

#[derive(Clone)]
struct PlatformCertificate {
    serial: String,
    key: RsaPublicKey,
    not_before: Timestamp,
    not_after: Timestamp,
}

#[derive(Clone)]
enum Mode {
    PublicKey { id: String, key: RsaPublicKey },
    Certificates(Vec<PlatformCertificate>),
}

/// The keys WeChat Pay signs with, by the serial its messages name.
#[derive(Clone)]
pub struct PlatformKeys {
    mode: Mode,
}

impl fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Mode::PublicKey { id, .. } => f
                .debug_struct("PlatformKeys")
                .field("public_key_id", id)
                .finish(),
            Mode::Certificates(certificates) => f
                .debug_struct("PlatformKeys")
                .field(
                    "certificates",
                    &certificates
                        .iter()
                        .map(|c| c.serial.as_str())
                        .collect::<Vec<_>>(),
                )
                .finish(),
        }
    }
}

fn config(reason: impl Into<String>) -> Error {
    Error::Config {
        reason: reason.into(),
    }
}

impl PlatformKeys {
    /// Public-key mode: WeChat Pay's public key `key`, whose id is `id` (`PUB_KEY_ID_…`).
    ///
    /// # Errors
    /// [`Error::Config`] when the id is not a WeChat Pay public-key id.
    pub fn public_key(id: impl Into<String>, key: RsaPublicKey) -> Result<PlatformKeys, Error> {
        let id = id.into();
        let rest = id.strip_prefix(PUBLIC_KEY_ID_PREFIX).unwrap_or_default();
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(config(format!(
                "wechatpay_public_key_id must be {PUBLIC_KEY_ID_PREFIX} followed by letters and digits"
            )));
        }
        Ok(PlatformKeys {
            mode: Mode::PublicKey { id, key },
        })
    }

    /// Platform-certificate mode: WeChat Pay's platform certificates (several during a rotation).
    ///
    /// # Errors
    /// [`Error::Config`] when there are none, one holds no RSA key, or two share a serial.
    pub fn certificates(certificates: &[Certificate]) -> Result<PlatformKeys, Error> {
        if certificates.is_empty() {
            return Err(config("no WeChat Pay platform certificate was given"));
        }
        let mut out: Vec<PlatformCertificate> = Vec::with_capacity(certificates.len());
        for certificate in certificates {
            let serial = certificate.serial_hex();
            if out.iter().any(|c| c.serial == serial) {
                return Err(config(format!(
                    "two WeChat Pay platform certificates have the serial {serial}"
                )));
            }
            let key = certificate
                .rsa_public_key()
                .map_err(|e| config(format!("WeChat Pay platform certificate {serial}: {e}")))?;
            out.push(PlatformCertificate {
                serial,
                key,
                not_before: certificate.not_before(),
                not_after: certificate.not_after(),
            });
        }
        Ok(PlatformKeys {
            mode: Mode::Certificates(out),
        })
    }

    /// Platform-certificate mode from a directory: every `*.pem` file in it (each may hold
    /// several certificates).
    ///
    /// # Errors
    /// [`Error::Config`] when the directory cannot be read, a file is not certificates, or it
    /// holds none.
    pub fn certificates_dir(dir: impl AsRef<Path>) -> Result<PlatformKeys, Error> {
        let dir = dir.as_ref();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| config(format!("platform_certificates_dir {}: {e}", dir.display())))?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "pem"))
            .collect();
        paths.sort();
        let mut certificates = Vec::new();
        for path in paths {
            let bytes =
                std::fs::read(&path).map_err(|e| config(format!("{}: {e}", path.display())))?;
            certificates.extend(
                Certificate::all_from_bytes(&bytes)
                    .map_err(|e| config(format!("{}: {e}", path.display())))?,
            );
        }
        PlatformKeys::certificates(&certificates)
    }

    /// The key the message's `Wechatpay-Serial` names, checked usable at `at`.
    ///
    /// # Errors
    /// [`Error::Verification`] when no configured key has that serial, or its certificate is
    /// not valid at `at`.
    pub fn key_for(&self, serial: &str, at: Timestamp) -> Result<&RsaPublicKey, Error> {
        let unknown = || Error::Verification {
            provider: PROVIDER,
            reason: format!(
                "signed with {}, which is not a configured WeChat Pay key",
                paybridge_core::excerpt(serial.as_bytes(), 64)
            ),
        };
        match &self.mode {
            Mode::PublicKey { id, key } if id == serial => Ok(key),
            Mode::PublicKey { .. } => Err(unknown()),
            Mode::Certificates(certificates) => {
                let certificate = certificates
                    .iter()
                    .find(|c| c.serial.eq_ignore_ascii_case(serial))
                    .ok_or_else(unknown)?;
                let now = at.unix_seconds();
                if now < certificate.not_before.unix_seconds()
                    || now > certificate.not_after.unix_seconds()
                {
                    return Err(Error::Verification {
                        provider: PROVIDER,
                        reason: format!(
                            "WeChat Pay platform certificate {serial} is not valid now (valid {} to {})",
                            certificate.not_before.to_rfc3339(),
                            certificate.not_after.to_rfc3339()
                        ),
                    });
                }
                Ok(&certificate.key)
            }
        }
    }

    /// What a request sends as `Wechatpay-Serial` (the key it expects answers signed with):
    /// the public key's id, or the newest platform certificate valid at `at` (the newest of
    /// all, should none be valid).
    pub fn serial_to_send(&self, at: Timestamp) -> &str {
        match &self.mode {
            Mode::PublicKey { id, .. } => id,
            Mode::Certificates(certificates) => {
                let now = at.unix_seconds();
                certificates
                    .iter()
                    .filter(|c| {
                        (c.not_before.unix_seconds()..=c.not_after.unix_seconds()).contains(&now)
                    })
                    .max_by_key(|c| c.not_before.unix_seconds())
                    .or_else(|| {
                        certificates
                            .iter()
                            .max_by_key(|c| c.not_before.unix_seconds())
                    })
                    .map_or("", |c| c.serial.as_str())
            }
        }
    }

    /// Every serial (or the public key's id) configured.
    pub fn serials(&self) -> Vec<&str> {
        match &self.mode {
            Mode::PublicKey { id, .. } => vec![id.as_str()],
            Mode::Certificates(certificates) => {
                certificates.iter().map(|c| c.serial.as_str()).collect()
            }
        }
    }
}
