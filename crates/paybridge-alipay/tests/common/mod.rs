//! Shared fixtures: test keys, an in-process Alipay (the crate's emulator on the emulator kit's
//! test host), a client wired to it, tool checks.
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use paybridge_alipay::emulator::{AlipayEmulator, CertificateSns};
use paybridge_alipay::{AlipayClient, AlipayConfig, AlipayKeys};
use paybridge_core::test_util::{FixedClock, SequentialIdGenerator};
use paybridge_core::{Currency, ProviderId, Timestamp};
use paybridge_emulator::Payment;
pub use paybridge_emulator::test_util::TestHost;
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use paybridge_transport::test_util::{MockTransport, Scripted};

pub const APP_ID: &str = "2014072300007148";
pub const NOW: i64 = 1_796_300_000;
pub const BASE: &str = "https://openapi.alipay.test";
pub const TRADE: &str = "2026120322001000000000000001";
pub const ORDER: &str = "aliorder00000001";

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
pub fn interop(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// The app's key pair.
pub fn app_key() -> RsaPrivateKey {
    RsaPrivateKey::from_bytes(&std::fs::read(data("merchant.pem")).unwrap()).unwrap()
}
pub fn app_public() -> RsaPublicKey {
    RsaPublicKey::from_bytes(&std::fs::read(data("merchant.pub.pem")).unwrap()).unwrap()
}
/// Alipay's key pair.
pub fn alipay_key() -> RsaPrivateKey {
    RsaPrivateKey::from_bytes(&std::fs::read(data("platform.pem")).unwrap()).unwrap()
}
pub fn alipay_public() -> RsaPublicKey {
    RsaPublicKey::from_bytes(&std::fs::read(data("platform.pub.pem")).unwrap()).unwrap()
}

pub use paybridge_transport::test_util::fast_retry;

/// A host with the one paid trade (100.00 CNY) the tests refund.
pub fn host() -> TestHost {
    let host = TestHost::new(NOW);
    host.pay(Payment::new(
        ProviderId::Alipay,
        TRADE.into(),
        ORDER.into(),
        10_000,
        Currency::Cny,
        Timestamp::from_unix(NOW - 60).unwrap(),
    ));
    host
}

pub fn emulator(certificates: Option<CertificateSns>, quirk: bool) -> AlipayEmulator {
    AlipayEmulator::new(APP_ID, app_public(), alipay_key(), certificates, quirk)
}

pub fn answer(
    emulator: &AlipayEmulator,
    host: &TestHost,
    request: &http::Request<bytes::Bytes>,
) -> Scripted {
    let (status, headers, body) =
        paybridge_emulator::test_util::respond(emulator, host, request, "");
    Scripted::Respond {
        status,
        headers,
        body,
    }
}

pub fn client_with(keys: AlipayKeys, transport: MockTransport) -> AlipayClient<MockTransport> {
    let mut config = AlipayConfig::new(BASE, APP_ID, app_key(), keys);
    config.notify_url = Some("https://merchant.test/alipay/notify".into());
    config.retry = fast_retry();
    AlipayClient::new(config, transport).unwrap().with_sources(
        Arc::new(FixedClock::new(NOW)),
        Arc::new(SequentialIdGenerator::starting_at(1)),
    )
}

pub fn client(transport: MockTransport) -> AlipayClient<MockTransport> {
    client_with(AlipayKeys::public_key(alipay_public()), transport)
}

/// A client whose every request is answered by `emulator` in `host`.
pub fn wired(
    keys: AlipayKeys,
    emulator: Arc<AlipayEmulator>,
    host: Arc<TestHost>,
) -> AlipayClient<MockTransport> {
    client_with(
        keys,
        MockTransport::with_handler(move |request| answer(&emulator, &host, request)),
    )
}

pub use paybridge_transport::test_util::openssl_available as openssl;
pub fn python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
pub use paybridge_transport::test_util::interop_required;

pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pb-alipay-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
