//! Interop: a notification built without paybridge — the resource sealed by Python's
//! `cryptography` (AES-256-GCM), the body signed by the `openssl` command — verifies and
//! decrypts here; one changed byte of the body, or of the ciphertext, does not. And the
//! JSAPI `paySign` and APP `sign` paybridge makes verify with the `openssl` command over the
//! documented strings, built in the test from the parameters alone.
//!
//! CI sets `PAYBRIDGE_REQUIRE_INTEROP=1`, so a missing tool fails this test there; elsewhere it
//! says it skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs
)]

mod common;

use std::process::Command;

use common::*;
use paybridge_core::{Error, Timestamp};

fn tools() -> bool {
    let python = Command::new("python3")
        .args(["-c", "import cryptography.hazmat.primitives.ciphers.aead"])
        .output()
        .is_ok_and(|o| o.status.success());
    python && openssl()
}

fn read(dir: &std::path::Path, name: &str) -> (http::HeaderMap, Vec<u8>) {
    let body = std::fs::read(dir.join(format!("{name}.body"))).unwrap();
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.headers.json"))).unwrap())
            .unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in fields {
        headers.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
        );
    }
    (headers, body)
}

#[test]
fn a_notification_made_by_openssl_and_python_cryptography_verifies_and_decrypts() {
    if !tools() {
        assert!(
            !interop_required(),
            "python3 with `cryptography` and openssl are required for this test"
        );
        eprintln!("skipped: needs python3 with `cryptography` and the openssl command");
        return;
    }
    let dir = temp_dir("interop");
    let out = Command::new("python3")
        .arg(data("../interop/make_notification.py"))
        .arg(data("platform.pem"))
        .arg(APIV3_KEY)
        .arg(NOW.to_string())
        .arg(PUBLIC_KEY_ID)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codec = codec_at(BASE);
    let now = Timestamp::from_unix(NOW + 42).unwrap();

    let (headers, body) = read(&dir, "good");
    let notification = codec.verify_notification_at(&headers, &body, now).unwrap();
    assert_eq!(notification.event_type, "REFUND.SUCCESS");
    assert_eq!(notification.id, "EV-2018022511223320873");
    let refund = &notification.refund;
    assert_eq!(
        refund.out_refund_no.as_deref(),
        Some("7752501201407033233368018")
    );
    assert_eq!(refund.refund_status.as_deref(), Some("SUCCESS"));
    assert_eq!(refund.amount.as_ref().and_then(|a| a.refund), Some(999));
    assert_eq!(
        refund.user_received_account.as_deref(),
        Some("招商银行信用卡0403")
    );
    let unified = paybridge_wechatpay::unified_notification(&notification).unwrap();
    assert_eq!(unified.event_name.as_deref(), Some("REFUND.SUCCESS"));

    let (headers, body) = read(&dir, "tampered_body");
    let error = codec
        .verify_notification_at(&headers, &body, now)
        .unwrap_err();
    assert!(matches!(error, Error::Verification { .. }), "{error}");

    let (headers, body) = read(&dir, "tampered_ciphertext");
    let error = codec
        .verify_notification_at(&headers, &body, now)
        .unwrap_err();
    assert!(
        matches!(&error, Error::Verification { reason, .. } if reason.contains("resource")),
        "{error}"
    );

    // Outside the five minutes, the good one is refused too.
    let (headers, body) = read(&dir, "good");
    let late = Timestamp::from_unix(NOW + 301).unwrap();
    assert!(codec.verify_notification_at(&headers, &body, late).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `openssl dgst -sha256 -verify merchant.pub.pem -signature SIG MSG`: whether it says
/// "Verified OK".
fn openssl_verifies(dir: &std::path::Path, message: &[u8], signature_b64: &str) -> bool {
    std::fs::write(dir.join("msg"), message).unwrap();
    std::fs::write(
        dir.join("sig"),
        paybridge_sign::base64_decode(signature_b64).unwrap(),
    )
    .unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(data("merchant.pub.pem"))
        .arg("-signature")
        .arg(dir.join("sig"))
        .arg(dir.join("msg"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

#[test]
fn openssl_verifies_the_jsapi_pay_sign_and_the_app_sign() {
    if !openssl() {
        assert!(!interop_required(), "openssl is required for this test");
        eprintln!("skipped: no openssl command");
        return;
    }
    let codec = codec_at(BASE);
    let appid = "wxd678efh567hg6787";
    let prepay_id = "wx201410272009395522657a690389285100";
    let nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    let jsapi = codec
        .jsapi_invocation(appid, prepay_id, 1_414_561_699, nonce)
        .unwrap();
    let app = codec
        .app_invocation(appid, prepay_id, 1_414_561_699, nonce)
        .unwrap();
    // The parameters as the payer's side receives them (JSON), and the documented strings
    // built from them here, field by field, without paybridge.
    let js: serde_json::Value = serde_json::to_value(&jsapi).unwrap();
    let field = |v: &serde_json::Value, name: &str| v[name].as_str().unwrap().to_owned();
    let jsapi_message = format!(
        "{}\n{}\n{}\n{}\n",
        field(&js, "appId"),
        field(&js, "timeStamp"),
        field(&js, "nonceStr"),
        field(&js, "package")
    );
    assert_eq!(
        jsapi_message,
        "wxd678efh567hg6787\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n"
    );
    assert_eq!(field(&js, "signType"), "RSA");
    let ap: serde_json::Value = serde_json::to_value(&app).unwrap();
    let app_message = format!(
        "{}\n{}\n{}\n{}\n",
        field(&ap, "appid"),
        field(&ap, "timestamp"),
        field(&ap, "noncestr"),
        field(&ap, "prepayid")
    );
    assert_eq!(
        app_message,
        "wxd678efh567hg6787\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nwx201410272009395522657a690389285100\n"
    );
    assert_eq!(field(&ap, "package"), "Sign=WXPay");
    assert_eq!(field(&ap, "partnerid"), MCHID);

    let dir = temp_dir("invocation");
    assert!(openssl_verifies(
        &dir,
        jsapi_message.as_bytes(),
        &field(&js, "paySign")
    ));
    assert!(openssl_verifies(
        &dir,
        app_message.as_bytes(),
        &field(&ap, "sign")
    ));
    // The same signatures over anything else — the other scene's string, one line without its
    // trailing newline — do not verify.
    assert!(!openssl_verifies(
        &dir,
        app_message.as_bytes(),
        &field(&js, "paySign")
    ));
    assert!(!openssl_verifies(
        &dir,
        jsapi_message.trim_end().as_bytes(),
        &field(&js, "paySign")
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
