//! Key loading, SHA256withRSA on every compiled backend, and interop with the `openssl` command.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

use paybridge_sign::{Backend, KeyError, KeyKind, RsaPrivateKey, RsaPublicKey, SignatureError};
use proptest::prelude::*;

fn key_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn key(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap()
}

fn private(name: &str, backend: Backend) -> RsaPrivateKey {
    RsaPrivateKey::from_bytes_with(backend, &key(name)).unwrap()
}

const MESSAGE: &[u8] = br#"{"mchRefundOrderId":"refund488455057142","originalTransactionId":"CU518563189147832780","refundAmount":10000,"timestamp":1722415059}"#;

#[test]
fn every_private_form_loads_and_signs_identically_on_every_backend() {
    let reference = private("rsa2048.pkcs8.pem", Backend::default())
        .sign(MESSAGE)
        .unwrap();
    assert_eq!(reference.len(), 256);
    for backend in Backend::all() {
        for (name, kind) in [
            ("rsa2048.pkcs8.pem", KeyKind::Pkcs8Private),
            ("rsa2048.pkcs1.pem", KeyKind::Pkcs1Private),
            ("rsa2048.pkcs8.b64", KeyKind::Pkcs8Private),
        ] {
            let k = private(name, backend);
            assert_eq!(k.kind(), kind, "{name}");
            assert_eq!(k.bits(), 2048);
            assert_eq!(
                k.sign(MESSAGE).unwrap(),
                reference,
                "{name} on {backend:?}: same bytes"
            );
        }
        let der = std::process::Command::new("openssl")
            .args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"])
            .arg(key_path("rsa2048.pkcs8.pem"))
            .output();
        if let Ok(out) = der
            && out.status.success()
        {
            let k = RsaPrivateKey::from_bytes_with(backend, &out.stdout).unwrap();
            assert_eq!(
                k.sign(MESSAGE).unwrap(),
                reference,
                "raw DER on {backend:?}"
            );
        }
    }
}

#[test]
fn every_public_form_verifies_on_every_backend() {
    let signature = private("rsa2048.pkcs8.pem", Backend::default())
        .sign(MESSAGE)
        .unwrap();
    for backend in Backend::all() {
        for (name, kind) in [
            ("rsa2048.spki.pem", KeyKind::SpkiPublic),
            ("rsa2048.pkcs1pub.pem", KeyKind::Pkcs1Public),
            ("rsa2048.spki.b64", KeyKind::SpkiPublic),
        ] {
            let k = RsaPublicKey::from_bytes_with(backend, &key(name)).unwrap();
            assert_eq!((k.kind(), k.bits()), (kind, 2048), "{name}");
            k.verify(MESSAGE, &signature).unwrap();
            let mut tampered = signature.clone();
            tampered[17] ^= 1;
            assert_eq!(k.verify(MESSAGE, &tampered), Err(SignatureError::Mismatch));
            assert_eq!(
                k.verify(b"other message", &signature),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                k.verify(MESSAGE, &signature[..255]),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                k.verify_base64(MESSAGE, "not base64!"),
                Err(SignatureError::BadEncoding)
            );
        }
    }
}

#[test]
fn derived_public_key_round_trips_through_spki() {
    let k = private("rsa2048.pkcs8.pem", Backend::default());
    let public = k.public_key();
    let from_file = RsaPublicKey::from_bytes(&key("rsa2048.spki.pem")).unwrap();
    assert_eq!(public.spki_der(), from_file.spki_der());
    let reparsed = RsaPublicKey::from_bytes(public.to_pem().as_bytes()).unwrap();
    reparsed.verify(MESSAGE, &k.sign(MESSAGE).unwrap()).unwrap();
}

#[test]
fn rsa_4096_keys_work() {
    for backend in Backend::all() {
        let k = private("rsa4096.pkcs8.pem", backend);
        assert_eq!(k.bits(), 4096);
        let sig = k.sign_base64(MESSAGE).unwrap();
        assert_eq!(sig.len(), 684);
        RsaPublicKey::from_bytes_with(backend, &key("rsa4096.spki.pem"))
            .unwrap()
            .verify_base64(MESSAGE, &sig)
            .unwrap();
    }
}

#[test]
fn bad_keys_get_precise_errors() {
    let private_err = |bytes: &[u8]| RsaPrivateKey::from_bytes(bytes).unwrap_err();
    let public_err = |bytes: &[u8]| RsaPublicKey::from_bytes(bytes).unwrap_err();

    assert_eq!(
        private_err(&key("rsa1024.pkcs8.pem")),
        KeyError::TooSmall {
            bits: 1024,
            min: 2048
        }
    );
    assert_eq!(
        public_err(&key("rsa1024.spki.pem")),
        KeyError::TooSmall {
            bits: 1024,
            min: 2048
        }
    );
    assert_eq!(
        private_err(&key("rsa2048.encrypted.pem")),
        KeyError::Encrypted
    );
    assert_eq!(
        private_err(&key("rsa2048.encrypted.der")),
        KeyError::Encrypted
    );
    assert_eq!(
        private_err(&key("rsa2048.pkcs1.encrypted.pem")),
        KeyError::Encrypted
    );
    assert!(matches!(
        private_err(&key("ec.pkcs8.pem")),
        KeyError::WrongKeyType {
            found: "a non-RSA key",
            ..
        }
    ));
    assert!(matches!(
        public_err(&key("ec.spki.pem")),
        KeyError::WrongKeyType {
            found: "a non-RSA key",
            ..
        }
    ));
    assert!(matches!(
        private_err(&key("rsa2048.spki.pem")),
        KeyError::WrongKeyType {
            found: "a public key",
            ..
        }
    ));
    assert!(matches!(
        public_err(&key("rsa2048.pkcs8.pem")),
        KeyError::WrongKeyType {
            found: "a private key",
            ..
        }
    ));
    assert!(matches!(
        public_err(&key("cert.pem")),
        KeyError::WrongKeyType {
            found: "a certificate",
            ..
        }
    ));
    assert!(matches!(
        public_err(&key("cert.der")),
        KeyError::WrongKeyType {
            found: "a certificate",
            ..
        }
    ));
    for garbage in [
        &b""[..],
        b"   ",
        b"hello world",
        b"\x30\x03\x02\x01",
        b"\xff\xfe",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n",
    ] {
        assert!(
            matches!(private_err(garbage), KeyError::Malformed(_)),
            "{garbage:?}"
        );
    }
    let mut truncated = key("rsa2048.pkcs8.pem");
    truncated.truncate(900);
    assert!(matches!(private_err(&truncated), KeyError::Malformed(_)));
}

#[test]
fn errors_and_debug_output_never_show_key_material() {
    let pem = String::from_utf8(key("rsa2048.pkcs8.pem")).unwrap();
    let body_line = pem.lines().nth(5).unwrap().to_owned();
    let k = RsaPrivateKey::from_bytes(pem.as_bytes()).unwrap();
    let shown = format!("{k:?}");
    assert!(
        shown.contains("[redacted]") && !shown.contains(&body_line),
        "{shown}"
    );
    let mut broken = pem.replace(&body_line, &format!("{body_line}!"));
    broken.push_str("garbage");
    let err = RsaPrivateKey::from_bytes(broken.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(!err.contains(&body_line[..20]), "{err}");
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn signatures_interoperate_with_the_openssl_command() {
    if !openssl_available() {
        eprintln!("SKIPPED: the openssl command is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("paybridge-sign-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let message_path = dir.join("message");
    std::fs::write(&message_path, MESSAGE).unwrap();

    for backend in Backend::all() {
        // Ours → openssl.
        let sig_path = dir.join(format!("ours-{}.sig", backend.name()));
        std::fs::write(
            &sig_path,
            private("rsa2048.pkcs8.pem", backend).sign(MESSAGE).unwrap(),
        )
        .unwrap();
        let out = Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(key_path("rsa2048.spki.pem"))
            .arg("-signature")
            .arg(&sig_path)
            .arg(&message_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl refused our signature: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    // openssl → ours.
    let theirs = dir.join("theirs.sig");
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key_path("rsa2048.pkcs1.pem"))
        .arg("-out")
        .arg(&theirs)
        .arg(&message_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let signature = std::fs::read(&theirs).unwrap();
    for backend in Backend::all() {
        RsaPublicKey::from_bytes_with(backend, &key("rsa2048.spki.b64"))
            .unwrap()
            .verify(MESSAGE, &signature)
            .unwrap();
    }
    std::fs::remove_dir_all(&dir).ok();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_verify_round_trips_and_tampering_is_caught(
        message in prop::collection::vec(any::<u8>(), 0..512),
        flip in any::<prop::sample::Index>(),
    ) {
        for backend in Backend::all() {
            let k = private("rsa2048.pkcs8.pem", backend);
            let public = k.public_key();
            let sig = k.sign(&message).unwrap();
            prop_assert!(public.verify(&message, &sig).is_ok());
            let mut tampered = sig.clone();
            let i = flip.index(tampered.len());
            tampered[i] ^= 0x01;
            prop_assert_eq!(public.verify(&message, &tampered), Err(SignatureError::Mismatch));
            if !message.is_empty() {
                let mut other = message.clone();
                let j = flip.index(other.len());
                other[j] ^= 0x80;
                prop_assert_eq!(public.verify(&other, &sig), Err(SignatureError::Mismatch));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_key_readers(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = RsaPrivateKey::from_bytes(&bytes);
        let _ = RsaPublicKey::from_bytes(&bytes);
    }
}
