//! Reading provider certificates (made by `openssl req -x509`, checked against what `openssl
//! x509` prints), and certificates paybridge issues read back by paybridge and by openssl.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

use paybridge_core::Timestamp;
use paybridge_sign::x509::{
    self, Certificate, CertificateError, CertificateSpec, SignatureAlgorithm,
};
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn openssl_certificates_read_as_openssl_prints_them() {
    let root =
        Certificate::from_bytes(&std::fs::read(data("certs/ant_root.pem")).unwrap()).unwrap();
    // `openssl x509 -noout -serial -issuer -nameopt RFC2253 -dates`
    assert_eq!(root.serial_hex(), "4A5F9DBE8C2E1B7F");
    assert_eq!(root.serial_decimal(), "5359175523315358591");
    assert_eq!(
        root.issuer_rfc2253(),
        "CN=Ant Financial Certification Authority Class 2 R1,OU=Certification Authority,O=Ant Financial,C=CN"
    );
    assert_eq!(
        root.not_before(),
        Timestamp::parse_rfc3339("2026-12-03T14:51:40Z").unwrap()
    );
    assert_eq!(
        root.not_after(),
        Timestamp::parse_rfc3339("2036-11-30T14:51:40Z").unwrap()
    );
    assert_eq!(
        root.signature_algorithm(),
        SignatureAlgorithm::Sha256WithRsa
    );
    let key =
        RsaPublicKey::from_bytes(&std::fs::read(data("keys/rsa2048.spki.pem")).unwrap()).unwrap();
    assert_eq!(root.rsa_public_key().unwrap().pkcs1_der(), key.pkcs1_der());

    let platform =
        Certificate::from_bytes(&std::fs::read(data("certs/wechatpay_platform.pem")).unwrap())
            .unwrap();
    assert_eq!(
        platform.serial_hex(),
        "0C5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    );
    assert!(platform.valid_at(Timestamp::parse_rfc3339("2030-01-01T00:00:00Z").unwrap()));
    assert!(!platform.valid_at(Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap()));
    assert!(!format!("{platform:?}").is_empty());
}

#[test]
fn bundles_keys_and_garbage() {
    let mut bundle = std::fs::read(data("certs/ant_root.pem")).unwrap();
    bundle.extend(std::fs::read(data("certs/wechatpay_platform.pem")).unwrap());
    let all = Certificate::all_from_bytes(&bundle).unwrap();
    assert_eq!(all.len(), 2);
    assert!(matches!(
        Certificate::from_bytes(&bundle),
        Err(CertificateError::Malformed(_))
    ));
    for bad in [
        &b""[..],
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        &[0x30, 0x03, 0x02, 0x01, 0x01],
    ] {
        assert!(Certificate::from_bytes(bad).is_err(), "{bad:?}");
    }
    let key = std::fs::read(data("keys/rsa2048.spki.pem")).unwrap();
    assert!(Certificate::from_bytes(&key).is_err());
}

#[test]
fn issued_certificates_read_back_here_and_in_openssl() {
    let issuer =
        RsaPrivateKey::from_bytes(&std::fs::read(data("keys/rsa2048.pkcs8.pem")).unwrap()).unwrap();
    let subject = issuer.public_key();
    let spec = CertificateSpec {
        serial: &[0x7A, 0x01, 0xFF],
        subject: &[
            ("C", "CN"),
            ("O", "Tenpay.com"),
            ("CN", "Tenpay.com Root CA"),
        ],
        issuer: &[("C", "CN"), ("O", "Tenpay, \"Inc\""), ("CN", "Tenpay CA")],
        not_before: Timestamp::from_unix(1_700_000_000).unwrap(),
        not_after: Timestamp::from_unix(2_000_000_000).unwrap(),
    };
    let der = x509::issue(&spec, &subject, &issuer).unwrap();
    let cert = Certificate::from_der(&der).unwrap();
    assert_eq!(cert.serial_hex(), "7A01FF");
    assert_eq!(cert.serial_decimal(), "7995903");
    assert_eq!(
        cert.issuer_rfc2253(),
        "CN=Tenpay CA,O=Tenpay\\, \\\"Inc\\\",C=CN"
    );
    assert_eq!(cert.not_before().unix_seconds(), 1_700_000_000);
    assert_eq!(cert.not_after().unix_seconds(), 2_000_000_000);
    let pem = x509::to_pem(&der);
    assert_eq!(
        Certificate::from_bytes(pem.as_bytes())
            .unwrap()
            .serial_hex(),
        "7A01FF"
    );

    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped the openssl half: no openssl command");
        return;
    }
    let dir = std::env::temp_dir().join(format!("pb-x509-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cert.pem");
    std::fs::write(&path, &pem).unwrap();
    let out = Command::new("openssl")
        .args([
            "x509", "-noout", "-serial", "-issuer", "-nameopt", "RFC2253", "-in",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("serial=7A01FF"), "{text}");
    // The signature is ours over the tbsCertificate: openssl verifies it with the key itself.
    let verify = Command::new("openssl")
        .args(["verify", "-check_ss_sig", "-partial_chain", "-CAfile"])
        .arg(&path)
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("OK")
            || String::from_utf8_lossy(&verify.stderr).contains("self-signed"),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
