//! Interop with tools that are not paybridge:
//! - a request paybridge signed verifies with `openssl dgst -sha256 -verify` over the sort-join
//!   string a Python script builds from the form on its own;
//! - a reply signed by `openssl` over a `\/`-escaped raw value verifies here — and the same
//!   reply re-serialised does not, which is why paybridge verifies the text as received;
//! - the certificate SNs match what a script computes from `openssl x509`'s issuer and serial;
//! - the cashier orders paybridge signs and never sends — the page and wap redirect URLs, the
//!   self-submitting form and the app's order string — verify with `openssl` over the
//!   documented sign string (every parameter but `sign`, `sign_type` included, sorted, values
//!   raw) a Python script builds from what a browser or the app SDK would read.
//!
//! CI sets `PAYBRIDGE_REQUIRE_INTEROP=1`, so a missing tool fails these tests there; elsewhere
//! they say they skipped.
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
use paybridge_alipay::wire::requests::{Cashier, CashierOrder, TradeRefund};
use paybridge_alipay::wire::responses::TradeRefundResponse;
use paybridge_alipay::{AlipayKeys, Codec};
use paybridge_core::{Error, Timestamp};
use paybridge_sign::x509::Certificate;

fn tools(needs_python: bool) -> bool {
    let ok = openssl() && (!needs_python || python());
    if !ok {
        assert!(
            !interop_required(),
            "openssl (and python3) are required for this test"
        );
        eprintln!("skipped: needs openssl and python3");
    }
    ok
}

fn codec() -> Codec {
    Codec::new(
        BASE,
        APP_ID,
        app_key(),
        AlipayKeys::public_key(alipay_public()),
    )
    .unwrap()
}

#[test]
fn openssl_verifies_a_request_over_a_sort_join_built_by_a_script() {
    if !tools(true) {
        return;
    }
    let mut refund = TradeRefund::by_out_trade_no("20150320010101001", "HZ01RF001", "88.88");
    refund.refund_reason = Some("正常退款 & a=b / 100%".into());
    refund.notify_url = Some("https://merchant.test/alipay/notify?x=1".into());
    let request = codec()
        .encode_at(&refund, Timestamp::from_unix(NOW).unwrap())
        .unwrap();
    let dir = temp_dir("request");
    std::fs::write(dir.join("form"), request.body()).unwrap();
    let out = Command::new("python3")
        .arg(interop("verify_request.py"))
        .arg(dir.join("form"))
        .arg(request.uri().query().unwrap_or_default())
        .arg(data("merchant.pub.pem"))
        .arg(&dir)
        .output()
        .unwrap();
    let content = std::fs::read_to_string(dir.join("content")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The script's string is the documented one: sorted, raw values, `sign` left out.
    assert!(
        content.starts_with("app_id=2014072300007148&biz_content={"),
        "{content}"
    );
    assert!(content.contains("正常退款 & a=b / 100%"), "{content}");
    assert!(
        content.contains("&method=alipay.trade.refund&"),
        "{content}"
    );
    assert!(!content.contains("sign="), "{content}");
}

#[test]
fn a_reply_signed_by_openssl_over_escaped_slashes_verifies_and_a_reserialised_one_does_not() {
    if !tools(false) {
        return;
    }
    // As Alipay writes it: `\/` escapes and non-ASCII as is.
    let raw = r#"{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"88.88","send_back_fee":"88.88","store_name":"望湘园联洋店 \/ Lianyang","trade_no":"2013112011001004330000121536","out_trade_no":"6823789339978248"}"#;
    let dir = temp_dir("reply");
    std::fs::write(dir.join("raw"), raw).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(data("platform.pem"))
        .arg(dir.join("raw"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success());
    let sign = paybridge_sign::base64_encode(&out.stdout);
    let body = format!(r#"{{"alipay_trade_refund_response":{raw},"sign":"{sign}"}}"#);
    let reply: TradeRefundResponse = codec()
        .decode_reply("alipay.trade.refund", http::StatusCode::OK, body.as_bytes())
        .unwrap();
    assert_eq!(reply.store_name.as_deref(), Some("望湘园联洋店 / Lianyang"));
    assert_eq!(reply.fund_change.as_deref(), Some("Y"));

    // The same value re-serialised (slashes unescaped, as serde writes it) is not what was
    // signed: a client that re-serialised before verifying would reject Alipay's genuine replies.
    let value: serde_json::Value = serde_json::from_str(raw).unwrap();
    let reserialised = serde_json::to_string(&value).unwrap();
    assert_ne!(reserialised, raw);
    let body = format!(r#"{{"alipay_trade_refund_response":{reserialised},"sign":"{sign}"}}"#);
    let error = codec()
        .decode_reply::<TradeRefundResponse>(
            "alipay.trade.refund",
            http::StatusCode::OK,
            body.as_bytes(),
        )
        .unwrap_err();
    assert!(matches!(error, Error::Verification { .. }), "{error}");
}

#[test]
fn certificate_sns_match_an_independent_computation() {
    if !tools(true) {
        return;
    }
    let files = [data("ant_root_rsa.pem"), data("ant_root_ecc.pem")];
    let out = Command::new("python3")
        .arg(interop("cert_sn.py"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let certs: Vec<Certificate> = files
        .iter()
        .map(|f| Certificate::from_bytes(&std::fs::read(f).unwrap()).unwrap())
        .collect();
    assert_eq!(paybridge_alipay::cert_sn(&certs[0]), expected[0]);
    assert_eq!(paybridge_alipay::cert_sn(&certs[1]), expected[1]);
    // The root SN keeps the RSA-signed certificates only: the ECC root is left out.
    assert_eq!(paybridge_alipay::root_cert_sn(&certs), expected[0]);
    let mut bundle = std::fs::read(&files[0]).unwrap();
    bundle.extend(std::fs::read(&files[1]).unwrap());
    let all = Certificate::all_from_bytes(&bundle).unwrap();
    assert_eq!(paybridge_alipay::root_cert_sn(&all), expected[0]);
}

#[test]
fn openssl_verifies_every_cashier_order_over_the_documented_sign_string() {
    if !tools(true) {
        return;
    }
    let codec = codec();
    let at = Timestamp::from_unix(NOW).unwrap();
    for (cashier, method) in [
        (Cashier::Page, "alipay.trade.page.pay"),
        (Cashier::Wap, "alipay.trade.wap.pay"),
        (Cashier::App, "alipay.trade.app.pay"),
    ] {
        let mut order = CashierOrder::new(
            cashier,
            "20150320010101001",
            "88.88",
            "正常支付 & a=b / 100%+<ok>",
        );
        order.notify_url = Some("https://merchant.test/alipay/notify?x=1&y=2".into());
        order.time_expire = Some("2026-12-03 20:28:20".into());
        if cashier != Cashier::App {
            order.return_url = Some("https://merchant.test/return?order=1&b=2".into());
        }
        if cashier == Cashier::Wap {
            order.quit_url = Some("https://merchant.test/quit".into());
        }
        let signed = codec.sign_order(&order, at).unwrap();
        let shapes = match cashier {
            Cashier::App => vec![("order", signed.order_string())],
            Cashier::Page | Cashier::Wap => {
                vec![("url", signed.redirect_url()), ("form", signed.form_html())]
            }
        };
        for (kind, text) in shapes {
            let dir = temp_dir("cashier");
            std::fs::write(dir.join("input"), &text).unwrap();
            let out = Command::new("python3")
                .arg(interop("verify_cashier.py"))
                .arg(kind)
                .arg(dir.join("input"))
                .arg(data("merchant.pub.pem"))
                .arg(&dir)
                .output()
                .unwrap();
            let content = std::fs::read_to_string(dir.join("content")).unwrap_or_default();
            let _ = std::fs::remove_dir_all(&dir);
            assert!(
                out.status.success(),
                "{method} {kind}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            // The documented string: `sign_type` is signed (only a notification leaves it
            // out), values raw, `sign` left out.
            assert!(
                content.starts_with("app_id=2014072300007148&biz_content={"),
                "{content}"
            );
            assert!(content.contains("正常支付 & a=b / 100%+<ok>"), "{content}");
            assert!(content.contains(&format!("&method={method}&")), "{content}");
            assert!(content.contains("&sign_type=RSA2&"), "{content}");
            assert!(
                content.contains("&notify_url=https://merchant.test/alipay/notify?x=1&y=2&"),
                "{content}"
            );
            assert_eq!(
                content.contains("return_url="),
                cashier != Cashier::App,
                "{content}"
            );
            assert!(!content.contains("sign="), "{content}");
        }
    }
}
