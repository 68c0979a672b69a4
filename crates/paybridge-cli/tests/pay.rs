//! `paybridge pay create | status | close` against `paybridge sandbox`, the customer played
//! through the sandbox's own HTTP control endpoints (`POST /_sandbox/customer`,
//! `/_sandbox/customer/barcode`), as a script or another language's test would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use common::{BIN, json_lines, run, temp};

/// `paybridge sandbox` writing `config`: the child and its base URL.
async fn sandbox(config: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--refund-delay-ms",
            "0",
            "--write-config",
        ])
        .arg(config)
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
    let ready: Value = serde_json::from_str(&line).unwrap();
    let listen = ready["listen"].as_str().unwrap().to_owned();
    let base = if listen.starts_with("http") {
        listen
    } else {
        format!("http://{listen}")
    };
    (child, base)
}

/// POSTs JSON to the sandbox (HTTP/1.1 by hand: a control call is one small request) and
/// returns the status and the JSON answer.
fn post(base: &str, path: &str, body: &Value) -> (u16, Value) {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let json = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.trim())
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

fn pay(config: &Path, words: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--config".to_owned(),
        config.display().to_string(),
        "pay".to_owned(),
    ];
    args.extend(words.iter().map(|w| (*w).to_owned()));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_is_created_paid_by_the_customer_refunded_and_an_abandoned_one_closed() {
    let dir = temp("pay");
    let config = dir.join("paybridge.toml");
    let (mut child, base) = sandbox(&config).await;

    // Created through Nomad's payment API: waiting for the customer, with a QR code to show.
    let created = run(
        pay(
            &config,
            &[
                "create",
                "--provider",
                "nomad",
                "--order-ref",
                "cli-pay-1",
                "--amount",
                "88.00",
                "--currency",
                "CNY",
                "--scene",
                "qr",
                "--description",
                "Tea",
            ],
        ),
        None,
    )
    .await;
    assert_eq!(created.status.code(), Some(0), "{created:?}");
    let payment = &json_lines(&created)[0];
    assert_eq!(payment["status"], "pending");
    assert_eq!(payment["order_ref"], "cli-pay-1");
    assert_eq!(payment["amount"], json!({"minor": 8800, "currency": "CNY"}));
    assert_eq!(payment["action"]["kind"], "qr");
    assert!(
        payment["action"]["content"]
            .as_str()
            .unwrap()
            .starts_with("weixin://")
    );

    // Not paid yet.
    let status = pay(
        &config,
        &["status", "--provider", "nomad", "--order-ref", "cli-pay-1"],
    );
    let before = run(status.clone(), None).await;
    assert_eq!(json_lines(&before)[0]["status"], "pending");

    // The customer pays (the sandbox's HTTP control endpoint), then it reads paid.
    let (code, paid) = post(
        &base,
        "/_sandbox/customer",
        &json!({"provider": "nomad", "order_ref": "cli-pay-1", "action": "pay"}),
    );
    assert_eq!((code, paid["paid"].as_bool()), (200, Some(true)), "{paid}");
    let after = run(status.clone(), None).await;
    assert_eq!(json_lines(&after)[0]["status"], "succeeded", "{after:?}");

    // A refund by order reference alone: the broker's totalAmount is read from the payment.
    let refund = run(
        vec![
            "--config".into(),
            config.display().to_string(),
            "refund".into(),
            "--provider".into(),
            "nomad".into(),
            "--order-ref".into(),
            "cli-pay-1".into(),
            "--refund-id".into(),
            "cli-pay-1-r".into(),
            "--amount".into(),
            "88.00".into(),
            "--currency".into(),
            "CNY".into(),
        ],
        None,
    )
    .await;
    assert_eq!(refund.status.code(), Some(0), "{refund:?}");
    let refunded = run(status, None).await;
    assert_eq!(json_lines(&refunded)[0]["status"], "refunded");

    // A paid payment is not closed: exit 3, refund it instead.
    let close_paid = run(
        pay(
            &config,
            &["close", "--provider", "nomad", "--order-ref", "cli-pay-1"],
        ),
        None,
    )
    .await;
    assert_eq!(close_paid.status.code(), Some(3), "{close_paid:?}");

    // Another order the customer walks away from is closed, and cannot be paid after.
    let second = run(
        pay(
            &config,
            &[
                "create",
                "--provider",
                "nomad",
                "--order-ref",
                "cli-pay-2",
                "--amount",
                "10",
                "--currency",
                "CNY",
                "--scene",
                "wap",
            ],
        ),
        None,
    )
    .await;
    assert_eq!(json_lines(&second)[0]["action"]["kind"], "redirect");
    let (code, _) = post(
        &base,
        "/_sandbox/customer",
        &json!({"provider": "nomad", "order_ref": "cli-pay-2", "action": "abandon"}),
    );
    assert_eq!(code, 200);
    let closed = run(
        pay(
            &config,
            &["close", "--provider", "nomad", "--order-ref", "cli-pay-2"],
        ),
        None,
    )
    .await;
    assert_eq!(closed.status.code(), Some(0), "{closed:?}");
    assert_eq!(json_lines(&closed)[0]["status"], "closed");
    let (code, _) = post(
        &base,
        "/_sandbox/customer",
        &json!({"provider": "nomad", "order_ref": "cli-pay-2", "action": "pay"}),
    );
    assert_eq!(code, 409);

    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barcode_payment_waits_for_the_buyer_and_is_never_charged_twice() {
    let dir = temp("barcode");
    let config = dir.join("paybridge.toml");
    let (mut child, base) = sandbox(&config).await;

    // A code that needs no password: paid at once.
    let (code, issued) = post(
        &base,
        "/_sandbox/customer/barcode",
        &json!({"provider": "scanforpay"}),
    );
    assert_eq!(code, 201, "{issued}");
    let auth_code = issued["auth_code"].as_str().unwrap().to_owned();
    let paid = run(
        pay(
            &config,
            &[
                "create",
                "--provider",
                "scanforpay",
                "--order-ref",
                "bar-1",
                "--amount",
                "25.00",
                "--currency",
                "HKD",
                "--scene",
                "barcode",
                "--auth-code",
                &auth_code,
            ],
        ),
        None,
    )
    .await;
    assert_eq!(paid.status.code(), Some(0), "{paid:?}");
    assert_eq!(json_lines(&paid)[0]["status"], "succeeded");
    // The code is spent: charging with it again is refused as a failed transaction, nothing taken.
    let again = run(
        pay(
            &config,
            &[
                "create",
                "--provider",
                "scanforpay",
                "--order-ref",
                "bar-2",
                "--amount",
                "25.00",
                "--currency",
                "HKD",
                "--scene",
                "barcode",
                "--auth-code",
                &auth_code,
            ],
        ),
        None,
    )
    .await;
    assert_eq!(again.status.code(), Some(3), "{again:?}");

    // A code that needs the buyer's password: still waiting at the deadline, and ScanForPay
    // cannot cancel — reported as needing attention (exit 4), never as failed.
    let (_, issued) = post(
        &base,
        "/_sandbox/customer/barcode",
        &json!({"provider": "scanforpay", "password": true}),
    );
    let waiting = run(
        pay(
            &config,
            &[
                "create",
                "--provider",
                "scanforpay",
                "--order-ref",
                "bar-3",
                "--amount",
                "25.00",
                "--currency",
                "HKD",
                "--scene",
                "barcode",
                "--auth-code",
                issued["auth_code"].as_str().unwrap(),
                "--deadline",
                "1",
            ],
        ),
        None,
    )
    .await;
    assert_eq!(waiting.status.code(), Some(4), "{waiting:?}");
    assert_eq!(json_lines(&waiting)[0]["status"], "pending");
    // The buyer confirms late; the look-up finds it paid.
    let (code, _) = post(
        &base,
        "/_sandbox/customer",
        &json!({"provider": "scanforpay", "order_ref": "bar-3", "action": "pay"}),
    );
    assert_eq!(code, 200);
    let status = run(
        pay(
            &config,
            &["status", "--provider", "scanforpay", "--order-ref", "bar-3"],
        ),
        None,
    )
    .await;
    assert_eq!(json_lines(&status)[0]["status"], "succeeded");

    // Each charge went out once.
    let stats = {
        let host = base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        write!(
            stream,
            "GET /_sandbox/stats HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        serde_json::from_str::<Value>(answer.split_once("\r\n\r\n").unwrap().1.trim()).unwrap()
    };
    assert_eq!(stats["charges"], 3, "{stats}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenes_a_provider_lacks_and_bad_input_exit_2_and_send_nothing() {
    let dir = temp("pay-bad");
    let config = dir.join("paybridge.toml");
    let (mut child, _base) = sandbox(&config).await;
    for (words, why) in [
        (
            vec![
                "create",
                "--provider",
                "nomad",
                "--order-ref",
                "x1",
                "--amount",
                "1",
                "--currency",
                "CNY",
                "--scene",
                "barcode",
                "--auth-code",
                "134567890123456789",
            ],
            "scene",
        ),
        (
            vec![
                "create",
                "--provider",
                "nomad",
                "--order-ref",
                "x2",
                "--amount",
                "1",
                "--currency",
                "CNY",
                "--scene",
                "jsapi",
            ],
            "--payer",
        ),
        (
            vec![
                "create",
                "--provider",
                "nomad",
                "--order-ref",
                "x3",
                "--amount",
                "1.001",
                "--currency",
                "CNY",
                "--scene",
                "qr",
            ],
            "amount",
        ),
        (
            vec![
                "create",
                "--provider",
                "nomad",
                "--order-ref",
                "x4",
                "--amount",
                "1",
                "--currency",
                "CNY",
                "--scene",
                "nfc",
            ],
            "scene",
        ),
        (
            vec!["close", "--provider", "scanforpay", "--order-ref", "x5"],
            "close",
        ),
    ] {
        let output = run(pay(&config, &words), None).await;
        assert_eq!(output.status.code(), Some(2), "{words:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(why), "{words:?}: {stderr}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
