//! The gateway against the sandbox, configured from the `paybridge.toml` the sandbox writes:
//! every provider refunds for real, and reliable refunds under injected faults never pay twice
//! and never lose a refund.
#![cfg(all(
    feature = "bluepay",
    feature = "nomad",
    feature = "scanforpay",
    feature = "wechatpay",
    feature = "alipay"
))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::time::Duration;

use paybridge::{
    Config, Currency, Gateway, MerchantRefundId, Money, OrderRef, PaymentRef, RefundOutcome,
    RefundRequest, ReliablePolicy, reliable_refund,
};
use paybridge_sandbox::{ProviderId, Sandbox, SandboxConfig, SandboxHandle};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pb-gw-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn gateway(sb: &SandboxHandle, name: &str, request_timeout_ms: u64) -> Gateway {
    let dir = temp_dir(name);
    let path = dir.join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[transport]\nrequest_timeout_ms = {request_timeout_ms}\n"
    ));
    std::fs::write(&path, text).unwrap();
    Gateway::from_config(&Config::load(&path).unwrap()).unwrap()
}

fn request(sb: &SandboxHandle, provider: ProviderId, id: &str, amount: i64) -> RefundRequest {
    let currency = match provider {
        ProviderId::BluePay => Currency::Thb,
        ProviderId::Nomad => Currency::Cny,
        ProviderId::ScanForPay => Currency::Hkd,
        ProviderId::WechatPay | ProviderId::Alipay => Currency::Cny,
    };
    let payment = sb.create_payment(provider, 10_000, currency).unwrap();
    RefundRequest::builder(
        MerchantRefundId::new(id).unwrap(),
        Money::new(amount, currency),
    )
    .payment(PaymentRef::new(payment.payment).unwrap())
    .order_ref(OrderRef::new(payment.order_ref).unwrap())
    .total(Money::new(10_000, currency))
    .build()
    .unwrap()
}

#[tokio::test]
async fn every_provider_refunds_through_the_gateway() {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let gw = gateway(&sb, "plain", 5_000).await;
    assert_eq!(
        gw.names(),
        ["alipay", "bluepay", "nomad", "scanforpay", "wechatpay"]
    );
    for provider in ProviderId::ALL {
        let req = request(&sb, provider, "refund-1", 2_500);
        let refund = gw
            .provider(provider.name())
            .unwrap()
            .refund(&req)
            .await
            .unwrap();
        assert_eq!(
            (refund.amount, refund.status),
            (req.amount(), paybridge::RefundStatus::Succeeded),
            "{provider}"
        );
        let looked_up = gw
            .provider(provider.name())
            .unwrap()
            .refund_status(&paybridge::RefundLookup::from(&req))
            .await;
        match (provider, looked_up) {
            (_, Ok(found)) => assert_eq!(found.amount, req.amount(), "{provider}"),
            // No refund query: a partial refund cannot be told apart in a payment query, and
            // the client says so rather than guessing.
            (ProviderId::ScanForPay, Err(paybridge::Error::OutcomeUnknown { reason, .. })) => {
                assert!(reason.contains("no refund query"))
            }
            (_, Err(e)) => panic!("{provider}: {e}"),
        }
    }
    assert!(gw.provider("paypal").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliable_refunds_under_faults_are_never_doubled_or_lost() {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        fault_rate: 0.2,
        fault_seed: 11,
        fault_delay: Duration::from_millis(500),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let gw = gateway(&sb, "faults", 250).await;
    let policy = ReliablePolicy {
        deadline: Duration::from_secs(20),
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..ReliablePolicy::default()
    };
    let mut reported = Vec::new();
    for provider in ProviderId::ALL {
        for i in 0..12 {
            let req = request(&sb, provider, &format!("soak-{i}"), 100 + i);
            let outcome = reliable_refund(
                gw.provider(provider.name()).unwrap().as_ref(),
                &req,
                &policy,
            )
            .await;
            reported.push((provider, req, outcome));
        }
    }
    let stats = sb.stats();
    eprintln!("{stats:?}");
    assert!(stats.faults_injected > 0);
    for (provider, req, outcome) in reported {
        let payment = sb
            .ledger()
            .payment(provider, req.payment().unwrap().as_str())
            .unwrap();
        let held: Vec<_> = payment
            .refunds
            .iter()
            .filter(|r| r.refund_id == req.refund_id().as_str())
            .collect();
        match outcome {
            RefundOutcome::Refunded(refund) => {
                assert_eq!(
                    held.len(),
                    1,
                    "{provider} {}: reported refunded, ledger holds {}",
                    req.refund_id(),
                    held.len()
                );
                assert_eq!(held[0].amount_minor, refund.amount.minor);
            }
            other => panic!(
                "{provider} {}: not settled within the deadline: {other:?}",
                req.refund_id()
            ),
        }
        assert_eq!(
            payment.refunds.len(),
            1,
            "{provider}: exactly one refund on the payment"
        );
    }
}

/// A provider's own timeout and retry policy from its section win over `[transport]`'s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_s_own_timeout_and_retries_are_used() {
    // A server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&accepts);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
        }
    });
    let dir = temp_dir("tuning");
    std::fs::write(dir.join("key"), "nmd_key_for_tuning").unwrap();
    let text = format!(
        "[transport]\nrequest_timeout_ms = 30000\n\n[nomad]\nbase_url = \"http://{addr}/nomad\"\nmerchant = \"m\"\napi_key_file = \"key\"\nrequest_timeout_ms = 200\nretry = {{ max_attempts = 2, initial_backoff_ms = 1, max_backoff_ms = 1 }}\n"
    );
    let path = dir.join("paybridge.toml");
    std::fs::write(&path, text).unwrap();
    let gateway = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    let started = std::time::Instant::now();
    let error = gateway
        .provider("nomad")
        .unwrap()
        .refund_status(&paybridge::RefundLookup::new(
            MerchantRefundId::new("r1").unwrap(),
        ))
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}: [transport]'s 30 s timeout was used",
        started.elapsed()
    );
    assert_eq!(
        accepts.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "the section's two attempts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_of_one_provider_refund_independently() {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    // A third account whose host accepts and never answers: its trouble stays its own.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let dir = temp_dir("accounts");
    let path = dir.join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let bluepay: String = written
        .split("\n[")
        .find(|s| s.starts_with("bluepay]"))
        .unwrap()
        .trim_start_matches("bluepay]")
        .to_owned();
    let others: Vec<&str> = written
        .split("\n[")
        .skip(1)
        .filter(|s| !s.starts_with("bluepay]"))
        .collect();
    let sandbox_url = format!("http://{}/bluepay", sb.addr());
    let text = format!(
        "[bluepay.th-main]{bluepay}\n[bluepay.th-events]{bluepay}\n[bluepay.th-down]{}request_timeout_ms = 200\nretry = {{ max_attempts = 1 }}\n\n[{}",
        bluepay.replace(&sandbox_url, &format!("http://{dead}/bluepay")),
        others.join("\n[")
    );
    std::fs::write(&path, &text).unwrap();
    let gateway = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    assert_eq!(
        gateway.names(),
        [
            "alipay",
            "bluepay.th-down",
            "bluepay.th-events",
            "bluepay.th-main",
            "nomad",
            "scanforpay",
            "wechatpay"
        ]
    );
    let main = gateway.provider("bluepay.th-main").unwrap();
    let events = gateway.provider("bluepay.th-events").unwrap();
    let down = gateway.provider("bluepay.th-down").unwrap();
    let (a, b, c) = (
        request(&sb, ProviderId::BluePay, "acct-a", 1_000),
        request(&sb, ProviderId::BluePay, "acct-b", 2_000),
        request(&sb, ProviderId::BluePay, "acct-c", 500),
    );
    let started = std::time::Instant::now();
    let (on_main, on_events, on_down) =
        tokio::join!(main.refund(&a), events.refund(&b), down.refund(&c),);
    assert_eq!(on_main.unwrap().amount, Money::new(1_000, Currency::Thb));
    assert_eq!(on_events.unwrap().amount, Money::new(2_000, Currency::Thb));
    let error = on_down.unwrap_err();
    assert!(error.outcome_unknown(), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "th-down's own 200 ms timeout and single attempt were used"
    );
    // Each looks its own refund up; the broken account sent nothing anywhere else.
    let lookup = paybridge::RefundLookup::from;
    assert_eq!(
        main.refund_status(&lookup(&a)).await.unwrap().status,
        paybridge::RefundStatus::Succeeded
    );
    assert_eq!(
        events.refund_status(&lookup(&b)).await.unwrap().status,
        paybridge::RefundStatus::Succeeded
    );
    assert_eq!(sb.stats().refunds_applied, 2, "{:?}", sb.stats());

    // Adding an account under a name already taken is an error, never a silent replace.
    let again = Gateway::new()
        .with_account("bluepay.th-main", std::sync::Arc::clone(main))
        .unwrap()
        .with_account("bluepay.th-main", std::sync::Arc::clone(events));
    assert!(
        again
            .unwrap_err()
            .to_string()
            .contains("already has an account named bluepay.th-main")
    );
    let twice = Gateway::new()
        .with(std::sync::Arc::clone(main))
        .unwrap()
        .with(std::sync::Arc::clone(events));
    assert!(twice.is_err());
}

/// A sandbox with `credentials` (refunds final at once) and the config it writes.
async fn sandbox_with(
    credentials: paybridge_sandbox::Credentials,
    name: &str,
) -> (SandboxHandle, std::path::PathBuf, String) {
    let sb = Sandbox::start(SandboxConfig {
        refund_delay: Duration::ZERO,
        credentials: Some(credentials),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let path = temp_dir(name).join("paybridge.toml");
    sb.write_config(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    (sb, path, text)
}

/// WeChat Pay in platform-certificate mode: the sandbox names its certificate's serial, the
/// config a directory of certificates, and the same refund and look-up work; a certificate the
/// merchant does not hold makes the answer unverifiable — reported unknown, never refused.
#[tokio::test]
async fn wechatpay_in_platform_certificate_mode() {
    let mut credentials = paybridge_sandbox::Credentials::generate().unwrap();
    credentials.wechatpay_certificate_mode = true;
    let (sb, path, text) = sandbox_with(credentials, "wechatpay-certs").await;
    let dir = path.parent().unwrap().to_path_buf();
    assert!(
        text.contains("platform_certificates_dir = \"wechatpay-platform-certs\""),
        "{text}"
    );
    assert!(!text.contains("wechatpay_public_key_id"), "{text}");
    let gw = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    let req = request(&sb, ProviderId::WechatPay, "cert-1", 2_500);
    let refund = gw
        .provider("wechatpay")
        .unwrap()
        .refund(&req)
        .await
        .unwrap();
    assert_eq!(refund.amount.minor, 2_500);
    let found = gw
        .provider("wechatpay")
        .unwrap()
        .refund_status(&paybridge::RefundLookup::from(&req))
        .await
        .unwrap();
    assert_eq!(found.provider_refund_id, refund.provider_refund_id);

    // Rotated away: the directory holds only a certificate of another serial.
    let certs = dir.join("wechatpay-platform-certs");
    let other = paybridge::sign::x509::issue(
        &paybridge::sign::x509::CertificateSpec {
            serial: &[0x01, 0x02, 0x03],
            subject: &[("CN", "Tenpay.com sign")],
            issuer: &[("CN", "Tenpay.com Root CA")],
            not_before: paybridge::core::Timestamp::from_unix(0).unwrap(),
            not_after: paybridge::core::Timestamp::from_unix(4_000_000_000).unwrap(),
        },
        &sb.credentials().wechatpay_platform.public,
        &sb.credentials().wechatpay_platform.private,
    )
    .unwrap();
    std::fs::write(
        certs.join("platform.pem"),
        paybridge::sign::x509::to_pem(&other),
    )
    .unwrap();
    let gw = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    let req = request(&sb, ProviderId::WechatPay, "cert-2", 100);
    let error = gw
        .provider("wechatpay")
        .unwrap()
        .refund(&req)
        .await
        .unwrap_err();
    // Unverifiable, and so possibly applied — never a refusal.
    assert!(error.may_have_applied(), "{error}");
    assert!(
        sb.ledger()
            .refund(ProviderId::WechatPay, "cert-2")
            .is_some()
    );
}

/// Alipay in certificate mode: requests name the app's and the root's SNs computed from the
/// certificate files the sandbox wrote, replies name Alipay's certificate, and the refund and
/// look-up work through the gateway.
#[tokio::test]
async fn alipay_in_certificate_mode() {
    let mut credentials = paybridge_sandbox::Credentials::generate().unwrap();
    credentials.alipay_certificate_mode = true;
    let (sb, path, text) = sandbox_with(credentials, "alipay-certs").await;
    let dir = path.parent().unwrap().to_path_buf();
    assert!(
        text.contains("alipay_root_cert_file = \"alipay-root-cert.crt\""),
        "{text}"
    );
    assert!(!text.contains("alipay_public_key_file"), "{text}");
    let gw = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    let req = request(&sb, ProviderId::Alipay, "ali-cert-1", 2_500);
    let refund = gw.provider("alipay").unwrap().refund(&req).await.unwrap();
    assert_eq!(refund.amount.minor, 2_500);
    let found = gw
        .provider("alipay")
        .unwrap()
        .refund_status(&paybridge::RefundLookup::from(&req))
        .await
        .unwrap();
    assert_eq!(found.status, paybridge::RefundStatus::Succeeded);
    // The app certificate on file is not the one Alipay holds: refused, nothing applied.
    std::fs::copy(dir.join("alipay-cert.crt"), dir.join("alipay-app-cert.crt")).unwrap();
    let gw = Gateway::from_config(&Config::load(&path).unwrap()).unwrap();
    let req = request(&sb, ProviderId::Alipay, "ali-cert-2", 100);
    let error = gw
        .provider("alipay")
        .unwrap()
        .refund(&req)
        .await
        .unwrap_err();
    assert!(
        matches!(error, paybridge::Error::Rejected { .. }),
        "{error}"
    );
    assert!(
        sb.ledger()
            .refund(ProviderId::Alipay, "ali-cert-2")
            .is_none()
    );
}

/// The profiles the help texts are written from say what the built clients do: the same scenes,
/// statements where there is a statement client, and a profile for every provider of the build.
#[tokio::test]
async fn every_provider_s_profile_matches_its_client() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let gateway = gateway(&sb, "profiles", 5_000).await;
    let profiles: Vec<_> = paybridge::profiles().collect();
    assert_eq!(profiles.len(), ProviderId::ALL.len());
    for profile in profiles {
        let name = profile.provider.name();
        assert_eq!(paybridge::profile(name), Some(profile));
        let payments = gateway.payments(name).unwrap();
        assert_eq!(payments.scenes(), profile.scenes, "{name}'s scenes");
        assert_eq!(
            gateway.statements(name).is_ok(),
            profile.statements,
            "{name}'s statements"
        );
        for text in [
            profile.payment,
            profile.order_ref,
            profile.total,
            profile.lookup,
            profile.currencies,
        ] {
            assert!(!text.is_empty(), "{name}'s profile leaves a field empty");
        }
    }
}
