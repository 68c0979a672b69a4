//! How a [`crate::HyperTransport`] is set up.

use std::time::Duration;

use paybridge_core::Error;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::Redactor;

/// Which crypto implementation TLS uses: the same type that chooses how keys sign and verify
/// ([`paybridge_sign::Backend`]), so one setting names one backend everywhere. Its rustls
/// provider is handed to the client's TLS config directly; nothing is installed as a process
/// default.
pub use paybridge_sign::Backend as CryptoBackend;

/// Trust anchors for server certificates. Certificate checking cannot be turned off; only what
/// is trusted can be chosen.
#[derive(Clone, Debug)]
pub struct Roots {
    /// Mozilla's roots as compiled into `webpki-roots` (the default).
    pub webpki: bool,
    /// The operating system's store.
    pub native: bool,
    /// Extra certificate authorities, e.g. a private sandbox's.
    pub extra: Vec<CertificateDer<'static>>,
}

impl Default for Roots {
    fn default() -> Roots {
        Roots {
            webpki: true,
            native: false,
            extra: Vec::new(),
        }
    }
}

impl Roots {
    /// Only the given PEM certificate(s) — for a private sandbox with its own CA.
    ///
    /// # Errors
    /// [`Error::Config`] when the PEM holds no certificate, or one that cannot be read.
    pub fn only_pem(pem: &[u8]) -> Result<Roots, Error> {
        Ok(Roots {
            webpki: false,
            native: false,
            extra: certificates_from_pem(pem)?,
        })
    }
}

/// Reads every certificate in a PEM document.
///
/// # Errors
/// [`Error::Config`] when the PEM holds no certificate, or one that cannot be read.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
    let certs = certs.map_err(|e| Error::Config {
        reason: format!("bad CA certificate PEM: {e}"),
    })?;
    if certs.is_empty() {
        return Err(Error::Config {
            reason: "the CA file holds no certificate".into(),
        });
    }
    Ok(certs)
}

/// Settings of a [`crate::HyperTransport`]. The defaults suit a payment API: short connect
/// timeout, a whole-request timeout, a 4 MiB response limit.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// How long establishing TCP may take (TLS is covered by `request_timeout`).
    pub connect_timeout: Duration,
    /// How long the whole exchange — connect, send, headers and body — may take.
    pub request_timeout: Duration,
    /// How long an idle pooled connection is kept (enforced with a timer).
    pub pool_idle_timeout: Duration,
    /// How many idle connections are kept per host.
    pub max_idle_per_host: usize,
    /// The largest response body read; larger ones are an error, never an unbounded read.
    pub max_response_bytes: usize,
    /// Sent unless a request sets its own.
    pub user_agent: String,
    /// An HTTP proxy (CONNECT tunnel) for non-loopback hosts.
    pub proxy: Option<http::Uri>,
    /// What server certificates are checked against.
    pub roots: Roots,
    /// The rustls crypto provider.
    pub crypto: CryptoBackend,
    /// Offer HTTP/2 by ALPN (feature `http2`).
    pub http2: bool,
    /// What is masked in trace-level logs.
    pub redactor: Redactor,
}

impl Default for TransportConfig {
    fn default() -> TransportConfig {
        TransportConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            pool_idle_timeout: Duration::from_secs(90),
            max_idle_per_host: 16,
            max_response_bytes: 4 * 1024 * 1024,
            user_agent: crate::USER_AGENT.to_owned(),
            proxy: None,
            roots: Roots::default(),
            crypto: CryptoBackend::default(),
            http2: false,
            redactor: Redactor::default(),
        }
    }
}

impl TransportConfig {
    /// Trusts the CA certificate(s) in `pem` in addition to the configured roots.
    ///
    /// # Errors
    /// [`Error::Config`] when the PEM holds no certificate, or one that cannot be read.
    pub fn with_extra_ca_pem(mut self, pem: &[u8]) -> Result<TransportConfig, Error> {
        self.roots.extra.extend(certificates_from_pem(pem)?);
        Ok(self)
    }
}
