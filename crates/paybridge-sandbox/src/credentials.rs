//! The sandbox's credentials: generated fresh for each start unless given, and written out as a
//! ready `paybridge.toml` with key and secret files beside it.

use std::fmt;
use std::path::Path;

use paybridge_core::Error;
use paybridge_sign::{RsaPrivateKey, RsaPublicKey, SecretString};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

/// An RSA key pair kept both parsed and as PEM text.
pub struct KeyPair {
    /// For signing.
    pub private: RsaPrivateKey,
    /// For verifying.
    pub public: RsaPublicKey,
    private_pem: SecretString,
    public_pem: String,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("private", &self.private)
            .field("public", &self.public)
            .finish()
    }
}

impl KeyPair {
    /// A new 2048-bit pair from the operating system's randomness.
    ///
    /// # Errors
    /// [`Error::Config`] when key generation fails.
    pub fn generate() -> Result<KeyPair, Error> {
        let fail = |e: &dyn fmt::Display| Error::Config {
            reason: format!("RSA key generation failed: {e}"),
        };
        let key =
            rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| fail(&e))?;
        let private_pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?;
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| fail(&e))?;
        KeyPair::from_pem(private_pem.as_str(), &public_pem)
    }

    /// A pair from PEM text.
    ///
    /// # Errors
    /// [`Error::Config`] when a PEM is not a key paybridge reads.
    pub fn from_pem(private_pem: &str, public_pem: &str) -> Result<KeyPair, Error> {
        let config = |e: paybridge_sign::KeyError| Error::Config {
            reason: e.to_string(),
        };
        Ok(KeyPair {
            private: RsaPrivateKey::from_bytes(private_pem.as_bytes()).map_err(config)?,
            public: RsaPublicKey::from_bytes(public_pem.as_bytes()).map_err(config)?,
            private_pem: SecretString::new(private_pem),
            public_pem: public_pem.to_owned(),
        })
    }

    /// The private key as PKCS#8 PEM.
    pub fn private_pem(&self) -> &str {
        self.private_pem.expose()
    }

    /// The public key as SPKI PEM.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }
}

/// Every credential the three emulated providers use.
#[derive(Debug)]
pub struct Credentials {
    /// BluePay app id.
    pub bluepay_app_id: String,
    /// The merchant's key pair: the client signs with the private half, the sandbox verifies.
    pub bluepay_merchant: KeyPair,
    /// BluePay's platform pair: the sandbox signs notifications, the client verifies.
    pub bluepay_platform: KeyPair,
    /// The Nomad merchant account name.
    pub nomad_merchant: String,
    /// The Nomad API key.
    pub nomad_api_key: SecretString,
    /// ScanForPay partner number.
    pub scanforpay_partner_no: String,
    /// ScanForPay store number.
    pub scanforpay_store_no: String,
    /// ScanForPay sign key.
    pub scanforpay_sign_key: SecretString,
}

fn random_hex(bytes: usize) -> String {
    use paybridge_core::IdGenerator;
    let generator = paybridge_core::RandomIdGenerator::new();
    let mut out = String::new();
    while out.len() < bytes * 2 {
        out.push_str(&generator.next_id());
    }
    out.truncate(bytes * 2);
    out
}

impl Credentials {
    /// Fresh credentials: two RSA key pairs, random app id and secrets.
    ///
    /// # Errors
    /// [`Error::Config`] when key generation fails.
    pub fn generate() -> Result<Credentials, Error> {
        Ok(Credentials {
            bluepay_app_id: random_hex(16),
            bluepay_merchant: KeyPair::generate()?,
            bluepay_platform: KeyPair::generate()?,
            nomad_merchant: "wechat.sandbox_merchant".into(),
            nomad_api_key: SecretString::new(format!("nmd_sandbox_{}", random_hex(16))),
            scanforpay_partner_no: "10001".into(),
            scanforpay_store_no: "S001".into(),
            scanforpay_sign_key: SecretString::new(random_hex(16)),
        })
    }

    /// Writes `paybridge.toml` at `path` pointing every provider at `base_url` (the sandbox's
    /// `http://127.0.0.1:PORT`), with the keys and secrets in files beside it — never inline.
    ///
    /// # Errors
    /// The file, or a key file beside it, cannot be written.
    pub fn write_config(&self, path: &Path, base_url: &str) -> std::io::Result<()> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let files = [
            ("bluepay-merchant.pem", self.bluepay_merchant.private_pem()),
            (
                "bluepay-platform.pub.pem",
                self.bluepay_platform.public_pem(),
            ),
            ("nomad-api-key", self.nomad_api_key.expose()),
            ("scanforpay-sign-key", self.scanforpay_sign_key.expose()),
        ];
        for (name, content) in files {
            write_private(&dir.join(name), content)?;
        }
        let toml = format!(
            r#"# Written by `paybridge sandbox`: every provider points at the sandbox at {base_url}.
# The keys and secrets live in the files beside this one; they are sandbox-only.

[bluepay]
base_url = "{base_url}/bluepay"
app_id = "{app_id}"
private_key_file = "bluepay-merchant.pem"
platform_public_key_file = "bluepay-platform.pub.pem"
# BluePay needs a refund callback URL: the sandbox's sink records and acknowledges them.
refund_callback_url = "{base_url}/_sandbox/notifications/bluepay"

[nomad]
base_url = "{base_url}/nomad"
merchant = "{merchant}"
api_key_file = "nomad-api-key"
notify_url = "{base_url}/_sandbox/notifications/nomad"

[scanforpay]
base_url = "{base_url}/scanforpay"
partner_no = "{partner}"
store_no = "{store}"
sign_key_file = "scanforpay-sign-key"
"#,
            app_id = self.bluepay_app_id,
            merchant = self.nomad_merchant,
            partner = self.scanforpay_partner_no,
            store = self.scanforpay_store_no,
        );
        write_private(path, &toml)
    }
}

/// Writes a file readable by its owner only (it may hold a key).
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
