//! The built `paybridge` binary, driven the way a user (or a script) drives it, against a
//! sandbox: every command end to end, and a table of bad invocations that must exit 2 having
//! sent nothing. (Batches killed with SIGKILL, for every provider, are in `honest_batch.rs`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

mod common;
use common::{BIN, args, json_lines, run, temp};

async fn sandbox(name: &str) -> (SandboxHandle, PathBuf) {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let config = temp(name).join("paybridge.toml");
    sb.write_config(&config).unwrap();
    (sb, config)
}

fn config_arg(config: &Path) -> String {
    config.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_and_succeeds() {
    let output = run(args(&["demo"]), None).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed:\n{stderr}");
    let summary = &json_lines(&output)[0];
    assert_eq!(summary["ok"], true);
    let providers: Vec<&str> = summary["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["provider"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        providers,
        ["bluepay", "nomad", "scanforpay", "wechatpay", "alipay"]
    );
    assert!(
        stderr.contains("notification") && !stderr.contains("FAIL"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_and_status_for_every_provider() {
    let (sb, config) = sandbox("refund").await;
    let c = config_arg(&config);
    for (provider, currency, amount, total) in [
        (ProviderId::BluePay, "THB", "12.34", "100.00"),
        (ProviderId::Nomad, "CNY", "1.50", "100.00"),
        (ProviderId::ScanForPay, "HKD", "100.00", "100.00"),
    ] {
        let payment = sb
            .create_payment(
                provider,
                10_000,
                paybridge::Currency::from_code(currency).unwrap(),
            )
            .unwrap();
        let output = run(
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                provider.name(),
                "--payment",
                &payment.payment,
                "--order-ref",
                &payment.order_ref,
                "--total",
                total,
                "--refund-id",
                "cli-1",
                "--amount",
                amount,
                "--currency",
                currency,
                "--notify-url",
                "http://127.0.0.1:9/hook",
            ]),
            None,
        )
        .await;
        assert!(
            output.status.success(),
            "{provider}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let refund = &json_lines(&output)[0];
        assert_eq!(
            (refund["provider"].as_str(), refund["refund_id"].as_str()),
            (Some(provider.name()), Some("cli-1"))
        );
        assert_eq!(refund["status"], "succeeded");
        // The global option after the command works too.
        let status = run(
            args(&[
                "refund-status",
                "--provider",
                provider.name(),
                "--refund-id",
                "cli-1",
                "--payment",
                &payment.payment,
                "--order-ref",
                &payment.order_ref,
                "--amount",
                amount,
                "--currency",
                currency,
                "--config",
                &c,
            ]),
            None,
        )
        .await;
        let lines = json_lines(&status);
        match provider {
            // ScanForPay has no refund query, and a payment refunded in full names no
            // particular refund (one made in the portal reads the same): unknown, exit 4.
            ProviderId::ScanForPay => {
                assert_eq!(status.status.code(), Some(4));
                assert!(
                    String::from_utf8_lossy(&status.stderr).contains("names no particular refund"),
                    "{}",
                    String::from_utf8_lossy(&status.stderr)
                );
            }
            _ => {
                assert!(
                    status.status.success(),
                    "{provider}: {}",
                    String::from_utf8_lossy(&status.stderr)
                );
                assert_eq!(lines[0]["amount"], refund["amount"]);
            }
        }
        let ledger = sb.ledger().payment(provider, &payment.payment).unwrap();
        assert_eq!(ledger.refunds.len(), 1, "{provider}");
    }
    // A refund the provider refuses exits 3; one it does not have exits 3 too.
    let payment = sb
        .create_payment(ProviderId::Nomad, 100, paybridge::Currency::Cny)
        .unwrap();
    let over = run(
        args(&[
            "--config",
            &c,
            "refund",
            "--provider",
            "nomad",
            "--order-ref",
            &payment.order_ref,
            "--total",
            "1.00",
            "--refund-id",
            "x1",
            "--amount",
            "0.50",
            "--currency",
            "CNY",
        ]),
        None,
    )
    .await;
    assert_eq!(over.status.code(), Some(0));
    let over = run(
        args(&[
            "--config",
            &c,
            "refund",
            "--provider",
            "nomad",
            "--order-ref",
            &payment.order_ref,
            "--total",
            "1.00",
            "--refund-id",
            "x2",
            "--amount",
            "0.60",
            "--currency",
            "CNY",
        ]),
        None,
    )
    .await;
    assert_eq!(
        over.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&over.stderr)
    );
    let missing = run(
        args(&[
            "--config",
            &c,
            "refund-status",
            "--provider",
            "nomad",
            "--refund-id",
            "never",
        ]),
        None,
    )
    .await;
    assert_eq!(missing.status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canonicalize_sign_and_notification_verify() {
    let (sb, config) = sandbox("tools").await;
    let c = config_arg(&config);
    let out = run(
        args(&["canonicalize"]),
        Some(br#"{ "b": 1.0, "a": ["\u0041", 1e2] }"#.to_vec()),
    )
    .await;
    assert!(out.status.success());
    assert_eq!(
        out.stdout, br#"{"a":["A",100],"b":1}"#,
        "no trailing newline"
    );
    let dup = run(args(&["canonicalize"]), Some(br#"{"a":1,"a":2}"#.to_vec())).await;
    assert_eq!(dup.status.code(), Some(2));

    let body = br#"{"refundAmount":100,"mchRefundOrderId":"r1"}"#.to_vec();
    let signed = run(
        args(&["--config", &c, "sign", "--provider", "bluepay"]),
        Some(body.clone()),
    )
    .await;
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let envelope = &json_lines(&signed)[0];
    assert_eq!(
        envelope["param"],
        r#"{"mchRefundOrderId":"r1","refundAmount":100}"#
    );
    paybridge::bluepay::emulator::verify_request(
        &signed.stdout,
        &sb.credentials().bluepay_merchant.public,
    )
    .unwrap();
    let sfp = run(
        args(&["--config", &c, "sign", "--provider", "scanforpay"]),
        Some(body.clone()),
    )
    .await;
    assert!(sfp.status.success());
    let key = sb
        .credentials()
        .scanforpay_sign_key
        .expose()
        .as_bytes()
        .to_vec();
    paybridge::scanforpay::emulator::verify_request(sfp.stdout.trim_ascii(), &key).unwrap();
    let nomad = run(
        args(&["--config", &c, "sign", "--provider", "nomad"]),
        Some(body),
    )
    .await;
    assert!(
        nomad.status.success()
            && !String::from_utf8_lossy(&nomad.stdout)
                .contains(sb.credentials().nomad_api_key.expose())
    );

    // A BluePay notification, signed with the sandbox's platform key, verifies from stdin…
    let param = r#"{"eventName":"payment.refund.success","mchRefundOrderId":"r1","originalTransactionId":"CU1","refundAmount":100,"refundStatus":"COMPLETE"}"#;
    let notification = paybridge::bluepay::emulator::notification_body(
        param,
        &sb.credentials().bluepay_platform.private,
    )
    .unwrap();
    let ok = run(
        args(&[
            "--config",
            &c,
            "notification",
            "verify",
            "--provider",
            "bluepay",
        ]),
        Some(notification.clone()),
    )
    .await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(json_lines(&ok)[0]["refund"]["status"], "succeeded");
    // …and a tampered one exits 5.
    let tampered = String::from_utf8(notification)
        .unwrap()
        .replace("100", "999")
        .into_bytes();
    let bad = run(
        args(&[
            "--config",
            &c,
            "notification",
            "verify",
            "--provider",
            "bluepay",
        ]),
        Some(tampered),
    )
    .await;
    assert_eq!(bad.status.code(), Some(5));
    // A WeChat Pay notification is signed in its headers: given with --header, or as the raw
    // HTTP request it came in (--raw-http), it verifies and decrypts; its body alone does not.
    let creds = sb.credentials();
    let wechatpay = paybridge::wechatpay::emulator::WechatPayEmulator::new(
        creds.wechatpay_mchid.clone(),
        creds.wechatpay_merchant_serial.clone(),
        creds.wechatpay_merchant.public.clone(),
        paybridge::sign::RsaPrivateKey::from_bytes(
            creds.wechatpay_platform.private_pem().as_bytes(),
        )
        .unwrap(),
        creds.wechatpay_public_key_id.clone(),
        creds.wechatpay_apiv3_key.expose().as_bytes(),
        false,
    )
    .unwrap();
    let resource = serde_json::from_value(serde_json::json!({
        "mchid": creds.wechatpay_mchid, "out_trade_no": "wxorder1",
        "transaction_id": "4200000000000000000000000001", "out_refund_no": "r-wx-1",
        "refund_id": "50300000000001", "refund_status": "SUCCESS",
        "user_received_account": "支付用户零钱",
        "amount": {"total": 1000, "refund": 300, "payer_total": 1000, "payer_refund": 300}
    }))
    .unwrap();
    let now = paybridge::core::Clock::now(&paybridge::core::SystemClock);
    let (body, headers) = wechatpay
        .notification(now, "REFUND.SUCCESS", &resource)
        .unwrap();
    let mut verify = args(&[
        "--config",
        &c,
        "notification",
        "verify",
        "--provider",
        "wechatpay",
    ]);
    for (name, value) in &headers {
        verify.push("--header".into());
        verify.push(format!("{name}: {value}"));
    }
    let ok = run(verify.clone(), Some(body.clone())).await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let parsed = &json_lines(&ok)[0];
    assert_eq!(parsed["refund"]["refund_id"], "r-wx-1");
    assert_eq!(parsed["refund"]["amount"]["minor"], 300);
    assert_eq!(parsed["refund"]["status"], "succeeded");
    let mut raw = format!(
        "POST /hooks/wechatpay HTTP/1.1\r\nHost: merchant.test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in &headers {
        raw.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(&body);
    let raw_file = temp("wechatpay-raw").join("notification.http");
    std::fs::write(&raw_file, &raw).unwrap();
    let from_file = run(
        args(&[
            "--config",
            &c,
            "notification",
            "verify",
            "--provider",
            "wechatpay",
            "--raw-http",
            raw_file.to_str().unwrap(),
        ]),
        None,
    )
    .await;
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    assert_eq!(json_lines(&from_file)[0]["refund"]["refund_id"], "r-wx-1");
    let mut tampered = body.clone();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    assert_eq!(run(verify, Some(tampered)).await.status.code(), Some(5));
    let unsigned = run(
        args(&[
            "--config",
            &c,
            "notification",
            "verify",
            "--provider",
            "wechatpay",
        ]),
        Some(body),
    )
    .await;
    assert_eq!(
        unsigned.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&unsigned.stderr)
    );
    let no_blank_line = run(
        args(&[
            "--config",
            &c,
            "notification",
            "verify",
            "--provider",
            "wechatpay",
            "--raw-http",
        ]),
        Some(b"POST / HTTP/1.1\r\nHost: x".to_vec()),
    )
    .await;
    assert_eq!(no_blank_line.status.code(), Some(2));

    // An Alipay notification is a signed form: it verifies from stdin as received.
    let alipay = paybridge::alipay::emulator::AlipayEmulator::new(
        creds.alipay_app_id.clone(),
        creds.alipay_app.public.clone(),
        paybridge::sign::RsaPrivateKey::from_bytes(creds.alipay_platform.private_pem().as_bytes())
            .unwrap(),
        None,
        false,
    );
    let form = alipay
        .notification(&[
            ("notify_type", "trade_status_sync".into()),
            ("notify_id", "ac05099524730693a8b330c5ecf72da9786".into()),
            ("app_id", creds.alipay_app_id.clone()),
            ("trade_no", "2013112011001004330000121536".into()),
            ("out_trade_no", "6823789339978248".into()),
            ("trade_status", "TRADE_SUCCESS".into()),
            ("total_amount", "88.88".into()),
            ("subject", "a/b 测试 & c=d".into()),
        ])
        .unwrap();
    let verify = args(&[
        "--config",
        &c,
        "notification",
        "verify",
        "--provider",
        "alipay",
    ]);
    let ok = run(verify.clone(), Some(form.clone())).await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let parsed = &json_lines(&ok)[0];
    assert_eq!(parsed["payment"]["amount"]["minor"], 8888);
    assert_eq!(parsed["payment"]["status"], "succeeded");
    let tampered = String::from_utf8(form)
        .unwrap()
        .replace("88.88", "98.88")
        .into_bytes();
    assert_eq!(run(verify, Some(tampered)).await.status.code(), Some(5));

    // A body that is not a notification at all is bad input (2), for every provider — never a
    // "transport failure" (4).
    for (provider, body) in [
        ("bluepay", &b"not json at all"[..]),
        ("bluepay", &br#"{"sign":"x"}"#[..]),
        ("scanforpay", &b"{\"response\":"[..]),
        ("scanforpay", &b"[]"[..]),
        ("nomad", &b"<xml/>"[..]),
        ("nomad", &br#"{"status":"SUCCESS"}"#[..]),
        ("alipay", &b"%%%"[..]),
    ] {
        let malformed = run(
            args(&[
                "--config",
                &c,
                "notification",
                "verify",
                "--provider",
                provider,
            ]),
            Some(body.to_vec()),
        )
        .await;
        assert_eq!(
            malformed.status.code(),
            Some(2),
            "{provider} {:?}: {}",
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(&malformed.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_command_listens_and_writes_a_config() {
    let dir = temp("sandbox-cmd");
    let config = dir.join("paybridge.toml");
    let (mut child, started) = sandbox_command(&config, &[]).await;
    assert!(
        started["listen"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert_eq!(started["config"].as_str(), Some(config.to_str().unwrap()));
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("[bluepay]") && text.contains("api_key_file") && !text.contains("BEGIN"),
        "secrets stay in files"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // With a port per provider: host-only base URLs on the ready line and in the config.
    let (mut child, started) = sandbox_command(&config, &["--listen-per-provider"]).await;
    let text = std::fs::read_to_string(&config).unwrap();
    for provider in ProviderId::ALL {
        let url = started["providers"][provider.name()].as_str().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.matches('/').count() == 2,
            "{provider}: {url}"
        );
        assert!(
            text.contains(&format!("base_url = \"{url}\"")),
            "{provider} in the config"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `paybridge sandbox` writing `config`, with `extra` arguments: the child and its ready line.
async fn sandbox_command(config: &Path, extra: &[&str]) -> (std::process::Child, Value) {
    let mut child = Command::new(BIN)
        .args(["sandbox", "--listen", "127.0.0.1:0", "--write-config"])
        .arg(config)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        line
    })
    .await
    .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_invocations_exit_2_name_the_problem_and_send_nothing() {
    let (sb, config) = sandbox("bad").await;
    let c = config_arg(&config);
    let dir = config.parent().unwrap().to_path_buf();
    let payment = sb
        .create_payment(ProviderId::BluePay, 10_000, paybridge::Currency::Thb)
        .unwrap();
    let p = payment.payment.clone();
    // Files the table needs.
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let bad_key = write(
        "bad-key.toml",
        &std::fs::read_to_string(&config)
            .unwrap()
            .replace("bluepay-merchant.pem", "garbage.pem"),
    );
    write(
        "garbage.pem",
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    );
    let remote = write(
        "remote.toml",
        &std::fs::read_to_string(&config).unwrap().replacen(
            "base_url = \"http://127.0.0.1",
            "base_url = \"http://203.0.113.7",
            1,
        ),
    );
    let inline = write(
        "inline.toml",
        "[nomad]\nbase_url = \"http://127.0.0.1:1\"\nmerchant = \"m\"\napi_key = \"sk_inline\"\n",
    );
    let unset_env = write(
        "env.toml",
        "[nomad]\nbase_url = \"http://127.0.0.1:1\"\nmerchant = \"m\"\napi_key_env = \"PAYBRIDGE_TEST_UNSET_VARIABLE\"\n",
    );
    let missing_config = dir.join("nope.toml").display().to_string();
    let csv_no_amount = write("no-amount.csv", "refund_id,currency,payment\nr1,THB,CU1\n");
    let csv_bad_rows = write(
        "bad-rows.csv",
        &format!(
            "refund_id,amount,currency,payment\nr1,1.005,THB,{p}\n,1.00,THB,{p}\nr4,1.00,XYZ,{p}\n{},1.00,THB,{p}\n",
            "x".repeat(80)
        ),
    );
    // An amount that is not a plain decimal, or a row of another width, refuses the file whole.
    let csv_not_decimal = write(
        "not-decimal.csv",
        &format!("refund_id,amount,currency,payment\nr1,1.00,THB,{p}\nr3,abc,THB,{p}\n"),
    );
    let csv_wide_row = write(
        "wide-row.csv",
        &format!("refund_id,amount,currency,payment\nr1,1,500.00,THB,{p}\n"),
    );
    let garbage_journal_csv = write(
        "j.csv",
        &format!("refund_id,amount,currency,payment\nj1,1.00,THB,{p}\n"),
    );
    write("j.csv.journal", "this is not a journal\n{]\n");
    let json_in = write("body.json", "[1,2]");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "12.345",
                "--currency",
                "THB",
            ]),
            "decimal place",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "-5",
                "--currency",
                "THB",
            ]),
            "greater than zero",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "0",
                "--currency",
                "THB",
            ]),
            "greater than zero",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1e3",
                "--currency",
                "THB",
            ]),
            "not a decimal",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "ten",
                "--currency",
                "THB",
            ]),
            "not a decimal",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.5",
                "--currency",
                "JPY",
            ]),
            "JPY",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "XXX",
            ]),
            "unknown currency",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "thb",
            ]),
            "unknown currency",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "HKD",
            ]),
            "THB only",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                &"x".repeat(65),
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "limit is 64",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                &"x".repeat(33),
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "1 to 32",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "",
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "must not be empty",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "--payment",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "nomad",
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "CNY",
                "--total",
                "5.00",
            ]),
            "--order-ref",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "nomad",
                "--refund-id",
                "r1",
                "--amount",
                "6.00",
                "--currency",
                "CNY",
                "--total",
                "5.00",
                "--order-ref",
                "o1",
            ]),
            "less than the refund amount",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "scanforpay",
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "HKD",
            ]),
            "--payment",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "paypal",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "unknown provider",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "THB",
                "--notify-url",
                "ftp://x",
            ]),
            "http(s)",
        ),
        (
            args(&[
                "--config",
                &missing_config,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "cannot read the config",
        ),
        (
            args(&[
                "--config",
                &bad_key,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "private key",
        ),
        (
            args(&[
                "--config",
                &remote,
                "refund",
                "--provider",
                "bluepay",
                "--payment",
                &p,
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "THB",
            ]),
            "plain http://",
        ),
        (
            args(&[
                "--config",
                &inline,
                "refund",
                "--provider",
                "nomad",
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "CNY",
            ]),
            "inline",
        ),
        (
            args(&[
                "--config",
                &unset_env,
                "refund",
                "--provider",
                "nomad",
                "--refund-id",
                "r1",
                "--amount",
                "1.00",
                "--currency",
                "CNY",
                "--total",
                "1.00",
                "--order-ref",
                "o",
            ]),
            "PAYBRIDGE_TEST_UNSET_VARIABLE",
        ),
        (
            args(&[
                "--config",
                &c,
                "refund-status",
                "--provider",
                "bluepay",
                "--refund-id",
                "r1",
            ]),
            "--payment",
        ),
        (
            args(&[
                "--config",
                &c,
                "batch",
                &csv_no_amount,
                "--provider",
                "bluepay",
            ]),
            "no amount column",
        ),
        (
            args(&[
                "--config",
                &c,
                "batch",
                &dir.join("missing.csv").display().to_string(),
                "--provider",
                "bluepay",
            ]),
            "cannot read",
        ),
        (
            args(&[
                "--config",
                &c,
                "batch",
                &csv_bad_rows,
                "--provider",
                "bluepay",
            ]),
            "4 row(s) invalid",
        ),
        (
            args(&[
                "--config",
                &c,
                "batch",
                &csv_not_decimal,
                "--provider",
                "bluepay",
            ]),
            "line 3: amount \"abc\" is not a plain decimal",
        ),
        (
            args(&[
                "--config",
                &c,
                "batch",
                &csv_wide_row,
                "--provider",
                "bluepay",
            ]),
            "line 2: 5 fields where the header has 4",
        ),
        (
            args(&[
                "--config",
                &c,
                "batch",
                &garbage_journal_csv,
                "--provider",
                "bluepay",
            ]),
            "journal",
        ),
        (
            args(&[
                "--config",
                &c,
                "batch",
                &csv_bad_rows,
                "--provider",
                "bluepay",
                "--concurrency",
                "0",
            ]),
            "--concurrency",
        ),
        (
            args(&["--config", &c, "sign", "--provider", "bluepay", &json_in]),
            "JSON object",
        ),
        (
            args(&[
                "canonicalize",
                &dir.join("missing.json").display().to_string(),
            ]),
            "cannot read",
        ),
        (args(&["refund", "--provider", "bluepay"]), "required"),
        (args(&["sandbox", "--fault-rate", "1.5"]), "--fault-rate"),
    ];
    assert!(cases.len() >= 30);
    let before = sb.stats().requests;
    for (argv, needle) in cases {
        let output = run(argv.clone(), None).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{argv:?}\nstderr: {stderr}");
        assert!(
            stderr.contains(needle),
            "{argv:?}: stderr does not name {needle:?}:\n{stderr}"
        );
    }
    assert_eq!(
        sb.stats().requests,
        before,
        "no bad invocation sent a request"
    );
    // Without --total, a Nomad refund reads the total from the payment: a look-up goes out
    // (and finds no such order), never a refund.
    let no_total = run(
        args(&[
            "--config",
            &c,
            "refund",
            "--provider",
            "nomad",
            "--refund-id",
            "r1",
            "--amount",
            "1.00",
            "--currency",
            "CNY",
            "--order-ref",
            "o1",
        ]),
        None,
    )
    .await;
    let stderr = String::from_utf8_lossy(&no_total.stderr);
    assert_eq!(no_total.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--total"), "{stderr}");
    assert_eq!(sb.stats().requests, before + 1, "one look-up");
    assert_eq!(sb.stats().refunds_applied, 0);
}

fn currency_of(provider: ProviderId) -> &'static str {
    match provider {
        ProviderId::BluePay => "THB",
        ProviderId::ScanForPay => "HKD",
        _ => "CNY",
    }
}

/// `paybridge refund` of `amount` for `provider` on `payment`, under `id`.
fn refund_args(
    c: &str,
    provider: ProviderId,
    payment: &paybridge_sandbox::Payment,
    id: &str,
    amount: &str,
) -> Vec<String> {
    args(&[
        "refund",
        "--provider",
        provider.name(),
        "--payment",
        &payment.payment,
        "--order-ref",
        &payment.order_ref,
        "--total",
        "100.00",
        "--refund-id",
        id,
        "--amount",
        amount,
        "--currency",
        currency_of(provider),
        "--config",
        c,
    ])
}

fn new_payment(sb: &SandboxHandle, provider: ProviderId) -> paybridge_sandbox::Payment {
    sb.create_payment(
        provider,
        10_000,
        paybridge::Currency::from_code(currency_of(provider)).unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refund_id_is_a_conflict_found_at_once_for_every_provider() {
    let (sb, config) = sandbox("conflict").await;
    let c = config_arg(&config);
    for provider in ProviderId::ALL {
        let payment = new_payment(&sb, provider);
        let id = format!("dup-{}", provider.name());
        let first = run(refund_args(&c, provider, &payment, &id, "10.00"), None).await;
        assert!(
            first.status.success(),
            "{provider}: {}",
            String::from_utf8_lossy(&first.stderr)
        );
        let before = sb.stats().requests;
        let again = run(refund_args(&c, provider, &payment, &id, "11.00"), None).await;
        let said = String::from_utf8_lossy(&again.stderr);
        assert_eq!(again.status.code(), Some(3), "{provider}: {said}");
        // Both refunds are named, where the provider says what the id holds (ScanForPay,
        // with no refund query, says only that it holds another).
        assert!(said.contains("11.00"), "{provider}: names this one: {said}");
        if provider != ProviderId::ScanForPay {
            assert!(
                said.contains("10"),
                "{provider}: names the one the id holds: {said}"
            );
        }
        let sent = sb.stats().requests - before;
        assert!(
            sent <= 3,
            "{provider}: {sent} requests for a conflict, not a handful"
        );
        let held = sb.ledger().payment(provider, &payment.payment).unwrap();
        assert_eq!(held.refunds.len(), 1, "{provider}: nothing new applied");
        assert_eq!(held.refunds[0].amount_minor, 1_000, "{provider}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_that_fail_verification_end_unverifiable_after_one_look_up() {
    let (sb, config) = sandbox("unverifiable").await;
    let dir = config.parent().unwrap().to_owned();
    // Another key where the provider's public key should be: every answer fails verification.
    let stranger = std::fs::read_to_string(dir.join("bluepay-platform.pub.pem")).unwrap();
    for (provider, setting, file) in [
        (
            ProviderId::WechatPay,
            "wechatpay_public_key_file",
            "wechatpay-public-key.pem",
        ),
        (
            ProviderId::Alipay,
            "alipay_public_key_file",
            "alipay-public-key.pem",
        ),
    ] {
        std::fs::write(dir.join(file), &stranger).unwrap();
        let payment = new_payment(&sb, provider);
        let before = sb.stats().requests;
        let output = run(
            refund_args(
                &config_arg(&config),
                provider,
                &payment,
                &format!("uv-{}", provider.name()),
                "5.00",
            ),
            None,
        )
        .await;
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{provider}: {said}");
        assert!(
            said.contains(setting),
            "{provider}: names the setting: {said}"
        );
        assert!(said.contains("may have been applied"), "{provider}: {said}");
        assert!(
            !said.contains("nothing was sent") && !said.contains("not sent"),
            "{provider}: {said}"
        );
        let sent = sb.stats().requests - before;
        assert_eq!(
            sent, 2,
            "{provider}: one refund and one look-up, no blind resends"
        );
        let held = sb.ledger().payment(provider, &payment.payment).unwrap();
        assert_eq!(
            held.refunds.len(),
            1,
            "{provider}: the refund the message warns of is there"
        );
    }
}
