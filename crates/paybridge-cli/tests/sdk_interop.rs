//! The providers' own public SDKs, unmodified, against the sandbox with each provider on a port
//! of its own (a host-only base URL, as the real provider has): `wechatpayv3` (PyPI),
//! `alipay-sdk` (npm, Alipay's own) and `nomad-broker-cli` (PyPI). Each SDK refunds a payment
//! and looks the refund up with its own signature verification on (WeChat Pay's and Alipay's
//! notifications are verified by the SDK too; Nomad's SDK also creates and queries the payment).
//! The drivers are `tests/sdk/*`; `.ci/run` installs the SDKs, and with
//! `PAYBRIDGE_REQUIRE_INTEROP=1` a missing SDK fails the test instead of skipping it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

mod common;
use common::temp;

fn drivers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// Whether `probe` runs; if not, the test skips — or fails where interop is required (CI).
fn available(what: &str, probe: &mut Command) -> bool {
    let ok = probe.output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("PAYBRIDGE_REQUIRE_INTEROP").is_err(),
            "{what} is required here (PAYBRIDGE_REQUIRE_INTEROP is set); bash .ci/run installs it"
        );
        eprintln!("skipped: {what} is not installed (bash .ci/run installs it)");
    }
    ok
}

fn python_has(module: &str) -> bool {
    available(
        &format!("python3 with {module}"),
        Command::new("python3").args(["-c", &format!("import {module}")]),
    )
}

async fn sandbox(name: &str) -> (SandboxHandle, toml::Table, PathBuf) {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        listen_per_provider: true,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    // Each test its own directory: the sandboxes of tests running together have their own keys.
    let dir = temp(&format!("sdk-{name}"));
    let path = dir.join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let config: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    for provider in ProviderId::ALL {
        let url = config[provider.name()]["base_url"].as_str().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.matches('/').count() == 2,
            "{provider} is served at a host-only base URL: {url}"
        );
    }
    (sb, config, dir)
}

fn text(config: &toml::Table, section: &str, key: &str) -> String {
    config[section][key].as_str().unwrap().to_owned()
}

fn file(config: &toml::Table, dir: &Path, section: &str, key: &str) -> String {
    dir.join(text(config, section, key)).display().to_string()
}

/// A free loopback port for a driver's notification listener.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a driver; every step it prints must be ok, and it must exit 0.
async fn drive(mut command: Command) -> Vec<Value> {
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let steps: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        output.status.success() && !steps.is_empty() && steps.iter().all(|s| s["ok"] == true),
        "the SDK did not accept the sandbox: {steps:#?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in &steps {
        eprintln!("{step}");
    }
    steps
}

fn refunded(sb: &SandboxHandle, provider: ProviderId, payment: &str, minor: i64) {
    let held = sb.ledger().payment(provider, payment).unwrap();
    assert_eq!(
        held.refunds.len(),
        1,
        "{provider}: one refund in the ledger"
    );
    assert_eq!(held.refunds[0].amount_minor, minor, "{provider}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechatpayv3_refunds_queries_and_verifies_a_notification_against_the_sandbox() {
    if !python_has("wechatpayv3") {
        return;
    }
    let (sb, config, dir) = sandbox("wechatpay").await;
    let payment = sb
        .create_payment(ProviderId::WechatPay, 10_000, paybridge::Currency::Cny)
        .unwrap();
    let mut command = Command::new("python3");
    command
        .arg(drivers().join("wechatpayv3_driver.py"))
        .env("WECHATPAY_BASE_URL", text(&config, "wechatpay", "base_url"))
        .env("WECHATPAY_MCHID", text(&config, "wechatpay", "mchid"))
        .env("WECHATPAY_APPID", text(&config, "wechatpay", "appid"))
        .env(
            "WECHATPAY_MERCHANT_SERIAL_NO",
            text(&config, "wechatpay", "merchant_serial_no"),
        )
        .env(
            "WECHATPAY_PRIVATE_KEY_FILE",
            file(&config, &dir, "wechatpay", "private_key_file"),
        )
        .env(
            "WECHATPAY_APIV3_KEY_FILE",
            file(&config, &dir, "wechatpay", "apiv3_key_file"),
        )
        .env(
            "WECHATPAY_PUBLIC_KEY_FILE",
            file(&config, &dir, "wechatpay", "wechatpay_public_key_file"),
        )
        .env(
            "WECHATPAY_PUBLIC_KEY_ID",
            text(&config, "wechatpay", "wechatpay_public_key_id"),
        )
        .env("WECHATPAY_TRANSACTION_ID", &payment.payment)
        .env("WECHATPAY_TOTAL", "10000")
        .env("WECHATPAY_REFUND", "300")
        .env("WECHATPAY_OUT_REFUND_NO", "sdk-wx-1")
        .env("WECHATPAY_NOTIFY_PORT", free_port().to_string())
        .env("WECHATPAY_CUSTOMER_URL", sb.base_url());
    let steps = drive(command).await;
    assert_eq!(steps.last().unwrap()["step"], "notification");
    // The SDK's own payment was paid by the sandbox's customer and its notification verified.
    for name in [
        "customer_pays",
        "query_paid_by_customer",
        "payment_notification",
    ] {
        assert!(
            steps.iter().any(|s| s["step"] == name),
            "{name}: {steps:#?}"
        );
    }
    refunded(&sb, ProviderId::WechatPay, &payment.payment, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alipay_sdk_refunds_queries_and_verifies_a_notification_against_the_sandbox() {
    let node_modules = drivers().join("node_modules/alipay-sdk");
    if !available(
        "node with alipay-sdk (npm install --prefix crates/paybridge-cli/tests/sdk)",
        Command::new("node").args([
            "-e",
            &format!("require({:?})", node_modules.display().to_string()),
        ]),
    ) {
        return;
    }
    let (sb, config, dir) = sandbox("alipay").await;
    let payment = sb
        .create_payment(ProviderId::Alipay, 10_000, paybridge::Currency::Cny)
        .unwrap();
    let mut command = Command::new("node");
    command
        .arg(drivers().join("alipay_driver.js"))
        .env(
            "ALIPAY_GATEWAY",
            format!("{}/gateway.do", text(&config, "alipay", "base_url")),
        )
        .env("ALIPAY_APP_ID", text(&config, "alipay", "app_id"))
        .env(
            "ALIPAY_PRIVATE_KEY_FILE",
            file(&config, &dir, "alipay", "private_key_file"),
        )
        .env(
            "ALIPAY_PUBLIC_KEY_FILE",
            file(&config, &dir, "alipay", "alipay_public_key_file"),
        )
        .env("ALIPAY_TRADE_NO", &payment.payment)
        .env("ALIPAY_REFUND_AMOUNT", "3.00")
        .env("ALIPAY_OUT_REQUEST_NO", "sdk-ali-1")
        .env("ALIPAY_NOTIFY_PORT", free_port().to_string())
        .env("ALIPAY_CUSTOMER_URL", sb.base_url());
    let steps = drive(command).await;
    for name in [
        "customer_pays",
        "query_paid_by_customer",
        "payment_notification",
    ] {
        assert!(
            steps.iter().any(|s| s["step"] == name),
            "{name}: {steps:#?}"
        );
    }
    assert_eq!(steps.last().unwrap()["step"], "notification");
    refunded(&sb, ProviderId::Alipay, &payment.payment, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nomad_broker_cli_creates_queries_and_refunds_against_the_sandbox() {
    if !python_has("nomad_broker_cli") {
        return;
    }
    let (sb, config, dir) = sandbox("nomad").await;
    let mut command = Command::new("python3");
    command
        .arg(drivers().join("nomad_driver.py"))
        .env("NOMAD_HOST", text(&config, "nomad", "base_url"))
        .env("NOMAD_MERCHANT", text(&config, "nomad", "merchant"))
        .env(
            "NOMAD_API_KEY_FILE",
            file(&config, &dir, "nomad", "api_key_file"),
        )
        .env("NOMAD_TOTAL", "10000")
        .env("NOMAD_REFUND", "300")
        .env("NOMAD_REFUND_ORDER_REF", "sdk-nomad-1")
        .env("NOMAD_CUSTOMER_URL", sb.base_url());
    let steps = drive(command).await;
    let created = steps
        .iter()
        .find(|s| s["step"] == "create_payment")
        .unwrap();
    let order_ref = created["order_ref"].as_str().unwrap();
    refunded(&sb, ProviderId::Nomad, order_ref, 300);
}
