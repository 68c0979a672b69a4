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
    /// WeChat Pay merchant id.
    pub wechatpay_mchid: String,
    /// The serial of the WeChat Pay merchant's API certificate.
    pub wechatpay_merchant_serial: String,
    /// The WeChat Pay merchant's key pair: the client signs, the sandbox verifies.
    pub wechatpay_merchant: KeyPair,
    /// WeChat Pay's platform pair: the sandbox signs answers and notifications.
    pub wechatpay_platform: KeyPair,
    /// The id of WeChat Pay's public key (public-key mode).
    pub wechatpay_public_key_id: String,
    /// WeChat Pay's platform certificate over the platform key (certificate mode), DER.
    pub wechatpay_platform_certificate: Vec<u8>,
    /// The merchant's APIv3 key (32 characters) that encrypts notifications.
    pub wechatpay_apiv3_key: SecretString,
    /// Run WeChat Pay in platform-certificate mode (answers name the certificate's serial; the
    /// written config names a certificate directory) instead of public-key mode.
    pub wechatpay_certificate_mode: bool,
    /// Alipay app id.
    pub alipay_app_id: String,
    /// The Alipay app's key pair: the client signs, the sandbox verifies.
    pub alipay_app: KeyPair,
    /// Alipay's own pair: the sandbox signs replies and notifications.
    pub alipay_platform: KeyPair,
    /// Certificate mode's certificates (DER), issued by a sandbox root: the app's, Alipay's, and
    /// the root.
    pub alipay_certificates: [Vec<u8>; 3],
    /// Run Alipay in certificate mode (requests name `app_cert_sn` and `alipay_root_cert_sn`,
    /// replies `alipay_cert_sn`; the written config names the three certificate files) instead
    /// of key mode.
    pub alipay_certificate_mode: bool,
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
        // Six 2048-bit keys, three on each of two threads.
        let (pairs, more) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                (
                    KeyPair::generate(),
                    KeyPair::generate(),
                    KeyPair::generate(),
                )
            });
            let here = (
                KeyPair::generate(),
                KeyPair::generate(),
                KeyPair::generate(),
            );
            (here, other.join())
        });
        let (bluepay_merchant, bluepay_platform, alipay_app) = pairs;
        let (wechatpay_merchant, wechatpay_platform, alipay_platform) =
            more.map_err(|_| Error::Config {
                reason: "RSA key generation stopped".into(),
            })?;
        let (alipay_app, alipay_platform) = (alipay_app?, alipay_platform?);
        let wechatpay_platform = wechatpay_platform?;
        let serial = random_hex(20).to_uppercase();
        let serial_bytes: Vec<u8> = (0..serial.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(serial.get(i..i + 2)?, 16).ok())
            .collect();
        let now = paybridge_core::Clock::now(&paybridge_core::SystemClock);
        let at = |offset: i64| {
            paybridge_core::Timestamp::from_unix(now.unix_seconds() + offset).unwrap_or(now)
        };
        let certificate = paybridge_sign::x509::issue(
            &paybridge_sign::x509::CertificateSpec {
                serial: &serial_bytes,
                subject: &[
                    ("C", "CN"),
                    ("O", "Tenpay.com"),
                    ("CN", "Tenpay.com sign (sandbox)"),
                ],
                issuer: &[
                    ("C", "CN"),
                    ("O", "Tenpay.com"),
                    ("CN", "Tenpay.com Root CA (sandbox)"),
                ],
                not_before: at(-86_400),
                not_after: at(5 * 365 * 86_400),
            },
            &wechatpay_platform.public,
            &wechatpay_platform.private,
        )
        .map_err(|e| Error::Config {
            reason: format!("the sandbox's WeChat Pay platform certificate: {e}"),
        })?;
        let alipay_certificates = alipay_certificates(
            &alipay_app,
            &alipay_platform,
            at(-86_400),
            at(5 * 365 * 86_400),
        )?;
        Ok(Credentials {
            alipay_app_id: "2021000000000001".into(),
            alipay_app,
            alipay_platform,
            alipay_certificates,
            alipay_certificate_mode: false,
            wechatpay_mchid: "1900000109".into(),
            wechatpay_merchant_serial: random_hex(20).to_uppercase(),
            wechatpay_merchant: wechatpay_merchant?,
            wechatpay_platform,
            wechatpay_public_key_id: format!("PUB_KEY_ID_{}", random_hex(16).to_uppercase()),
            wechatpay_platform_certificate: certificate,
            wechatpay_apiv3_key: SecretString::new(random_hex(16)),
            wechatpay_certificate_mode: false,
            bluepay_app_id: random_hex(16),
            bluepay_merchant: bluepay_merchant?,
            bluepay_platform: bluepay_platform?,
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
    pub fn write_config(&self, path: impl AsRef<Path>, base_url: &str) -> std::io::Result<()> {
        self.write_config_with(path.as_ref(), base_url, &|p| {
            format!("{base_url}/{}", p.name())
        })
    }

    /// [`Credentials::write_config`] with each provider's base URL from `provider_url` (the
    /// sandbox's own port per provider, when it has them); notification sinks stay at
    /// `base_url`.
    ///
    /// # Errors
    /// The file, or a key file beside it, cannot be written.
    pub fn write_config_with(
        &self,
        path: &Path,
        base_url: &str,
        provider_url: &dyn Fn(paybridge_core::ProviderId) -> String,
    ) -> std::io::Result<()> {
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
            (
                "wechatpay-merchant.pem",
                self.wechatpay_merchant.private_pem(),
            ),
            ("wechatpay-apiv3-key", self.wechatpay_apiv3_key.expose()),
            ("alipay-app.pem", self.alipay_app.private_pem()),
        ];
        for (name, content) in files {
            write_private(&dir.join(name), content)?;
        }
        let alipay_keys = if self.alipay_certificate_mode {
            let [app, alipay, root] = &self.alipay_certificates;
            for (name, der) in [
                ("alipay-app-cert.crt", app),
                ("alipay-cert.crt", alipay),
                ("alipay-root-cert.crt", root),
            ] {
                std::fs::write(dir.join(name), paybridge_sign::x509::to_pem(der))?;
            }
            "app_cert_file = \"alipay-app-cert.crt\"\nalipay_cert_file = \"alipay-cert.crt\"\nalipay_root_cert_file = \"alipay-root-cert.crt\"".to_owned()
        } else {
            write_private(
                &dir.join("alipay-public-key.pem"),
                self.alipay_platform.public_pem(),
            )?;
            "alipay_public_key_file = \"alipay-public-key.pem\"".to_owned()
        };
        let wechatpay_keys = if self.wechatpay_certificate_mode {
            let certs = dir.join("wechatpay-platform-certs");
            std::fs::create_dir_all(&certs)?;
            std::fs::write(
                certs.join("platform.pem"),
                paybridge_sign::x509::to_pem(&self.wechatpay_platform_certificate),
            )?;
            "platform_certificates_dir = \"wechatpay-platform-certs\"".to_owned()
        } else {
            write_private(
                &dir.join("wechatpay-public-key.pem"),
                self.wechatpay_platform.public_pem(),
            )?;
            format!(
                "wechatpay_public_key_file = \"wechatpay-public-key.pem\"\nwechatpay_public_key_id = \"{}\"",
                self.wechatpay_public_key_id
            )
        };
        let toml = format!(
            r#"# Written by `paybridge sandbox`: every provider points at the sandbox at {base_url}.
# The keys and secrets live in the files beside this one; they are sandbox-only.

[bluepay]
base_url = "{bluepay_url}"
app_id = "{app_id}"
private_key_file = "bluepay-merchant.pem"
platform_public_key_file = "bluepay-platform.pub.pem"
# BluePay needs a refund callback URL: the sandbox's sink records and acknowledges them.
refund_callback_url = "{base_url}/_sandbox/notifications/bluepay"

[nomad]
base_url = "{nomad_url}"
merchant = "{merchant}"
api_key_file = "nomad-api-key"
notify_url = "{base_url}/_sandbox/notifications/nomad"

[scanforpay]
base_url = "{scanforpay_url}"
partner_no = "{partner}"
store_no = "{store}"
sign_key_file = "scanforpay-sign-key"

[wechatpay]
base_url = "{wechatpay_url}"
mchid = "{mchid}"
merchant_serial_no = "{merchant_serial}"
private_key_file = "wechatpay-merchant.pem"
apiv3_key_file = "wechatpay-apiv3-key"
{wechatpay_keys}
notify_url = "{base_url}/_sandbox/notifications/wechatpay"
# The AppID payments are taken under (the sandbox takes WeChat Pay's documented sample).
appid = "{wechatpay_appid}"

[alipay]
base_url = "{alipay_url}"
app_id = "{alipay_app_id}"
private_key_file = "alipay-app.pem"
{alipay_keys}
notify_url = "{base_url}/_sandbox/notifications/alipay"
"#,
            bluepay_url = provider_url(paybridge_core::ProviderId::BluePay),
            nomad_url = provider_url(paybridge_core::ProviderId::Nomad),
            scanforpay_url = provider_url(paybridge_core::ProviderId::ScanForPay),
            wechatpay_url = provider_url(paybridge_core::ProviderId::WechatPay),
            alipay_url = provider_url(paybridge_core::ProviderId::Alipay),
            alipay_app_id = self.alipay_app_id,
            mchid = self.wechatpay_mchid,
            wechatpay_appid = paybridge_wechatpay::emulator::SAMPLE_APPID,
            merchant_serial = self.wechatpay_merchant_serial,
            app_id = self.bluepay_app_id,
            merchant = self.nomad_merchant,
            partner = self.scanforpay_partner_no,
            store = self.scanforpay_store_no,
        );
        write_private(path, &toml)
    }
}

/// Alipay's certificate mode in the sandbox: a root (self-signed with Alipay's key) issuing the
/// app's certificate and Alipay's own, as Alipay's open platform hands them out.
fn alipay_certificates(
    app: &KeyPair,
    alipay: &KeyPair,
    not_before: paybridge_core::Timestamp,
    not_after: paybridge_core::Timestamp,
) -> Result<[Vec<u8>; 3], Error> {
    use paybridge_sign::x509::{CertificateSpec, issue};
    let root_name: &[(&str, &str)] = &[
        ("C", "CN"),
        ("O", "Ant Financial"),
        ("OU", "Certification Authority"),
        ("CN", "Ant Financial Certification Authority R1 (sandbox)"),
    ];
    let ca_name: &[(&str, &str)] = &[
        ("C", "CN"),
        ("O", "Ant Financial"),
        ("OU", "Certification Authority"),
        (
            "CN",
            "Ant Financial Certification Authority Class 1 R1 (sandbox)",
        ),
    ];
    let fail = |e: paybridge_sign::x509::CertificateError| Error::Config {
        reason: format!("the sandbox's Alipay certificates: {e}"),
    };
    let spec = |serial: &'static [u8], subject, issuer| CertificateSpec {
        serial,
        subject,
        issuer,
        not_before,
        not_after,
    };
    let root = issue(
        &spec(&[0x01, 0x5B, 0x2E], root_name, root_name),
        &alipay.public,
        &alipay.private,
    )
    .map_err(fail)?;
    let app_cert = issue(
        &spec(
            &[0x20, 0x21, 0x00, 0x01],
            &[
                ("C", "CN"),
                ("O", "paybridge sandbox"),
                ("CN", "2021000000000001"),
            ],
            ca_name,
        ),
        &app.public,
        &alipay.private,
    )
    .map_err(fail)?;
    let alipay_cert = issue(
        &spec(
            &[0x20, 0x21, 0x00, 0x02],
            &[
                ("C", "CN"),
                ("O", "Ant Financial"),
                ("CN", "支付宝(中国)网络技术有限公司"),
            ],
            ca_name,
        ),
        &alipay.public,
        &alipay.private,
    )
    .map_err(fail)?;
    Ok([app_cert, alipay_cert, root])
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
