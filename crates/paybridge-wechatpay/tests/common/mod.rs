//! Shared fixtures: test keys, an in-process WeChat Pay (the crate's emulator around a small
//! host), a client wired to it, openssl helpers.
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use paybridge_core::test_util::{FixedClock, SequentialIdGenerator};
use paybridge_core::{Currency, ProviderId, Timestamp};
use paybridge_emulator::Payment;
use paybridge_sign::{RsaPrivateKey, RsaPublicKey, SecretString};
use paybridge_transport::test_util::{MockTransport, Scripted};
use paybridge_wechatpay::emulator::WechatPayEmulator;
use paybridge_wechatpay::{PlatformKeys, WechatPayClient, WechatPayConfig};

pub const MCHID: &str = "1900000109";
pub const MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
pub const APIV3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
pub const NOW: i64 = 1_796_300_000;
pub const BASE: &str = "https://api.mch.weixin.test";
pub const TRANSACTION: &str = "4200000000000000000000000001";
pub const ORDER: &str = "wxorder00000001";

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn merchant_key() -> RsaPrivateKey {
    RsaPrivateKey::from_bytes(&std::fs::read(data("merchant.pem")).unwrap()).unwrap()
}
pub fn merchant_public() -> RsaPublicKey {
    RsaPublicKey::from_bytes(&std::fs::read(data("merchant.pub.pem")).unwrap()).unwrap()
}
pub fn platform_key() -> RsaPrivateKey {
    RsaPrivateKey::from_bytes(&std::fs::read(data("platform.pem")).unwrap()).unwrap()
}
pub fn platform_public() -> RsaPublicKey {
    RsaPublicKey::from_bytes(&std::fs::read(data("platform.pub.pem")).unwrap()).unwrap()
}

pub use paybridge_transport::test_util::fast_retry;

pub use paybridge_emulator::test_util::TestHost;

/// A host with the one paid payment the tests refund.
pub fn host() -> TestHost {
    let host = TestHost::new(NOW);
    host.pay(Payment::new(
        ProviderId::WechatPay,
        TRANSACTION.into(),
        ORDER.into(),
        10_000,
        Currency::Cny,
        Timestamp::from_unix(NOW - 60).unwrap(),
    ));
    host
}

pub fn emulator(serial: &str, quirk: bool) -> WechatPayEmulator {
    WechatPayEmulator::new(
        MCHID,
        MERCHANT_SERIAL,
        merchant_public(),
        platform_key(),
        serial,
        APIV3_KEY.as_bytes(),
        quirk,
    )
    .unwrap()
}

/// Answers a request the way the emulator does, as an HTTP response.
pub fn answer(
    emulator: &WechatPayEmulator,
    host: &TestHost,
    request: &http::Request<Bytes>,
) -> Scripted {
    let (status, headers, body) =
        paybridge_emulator::test_util::respond(emulator, host, request, "");
    Scripted::Respond {
        status,
        headers,
        body,
    }
}

pub fn config(keys: PlatformKeys) -> WechatPayConfig {
    let mut config = WechatPayConfig::new(
        BASE,
        MCHID,
        MERCHANT_SERIAL,
        merchant_key(),
        keys,
        SecretString::new(APIV3_KEY),
    );
    config.notify_url = Some("https://merchant.test/wechatpay/refunds".into());
    config.retry = fast_retry();
    config
}

/// The merchant's codec in public-key mode at `base`.
pub fn codec_at(base: &str) -> paybridge_wechatpay::Codec {
    paybridge_wechatpay::Codec::new(
        base,
        MCHID,
        MERCHANT_SERIAL,
        merchant_key(),
        public_key_mode(),
        &SecretString::new(APIV3_KEY),
    )
    .unwrap()
}

pub fn public_key_mode() -> PlatformKeys {
    PlatformKeys::public_key(PUBLIC_KEY_ID, platform_public()).unwrap()
}

pub fn client(keys: PlatformKeys, transport: MockTransport) -> WechatPayClient<MockTransport> {
    client_at(keys, transport, NOW)
}

pub fn client_at(
    keys: PlatformKeys,
    transport: MockTransport,
    now: i64,
) -> WechatPayClient<MockTransport> {
    WechatPayClient::new(config(keys), transport)
        .unwrap()
        .with_sources(
            Arc::new(FixedClock::new(now)),
            Arc::new(SequentialIdGenerator::starting_at(1)),
        )
}

/// A client whose every request is answered by `emulator` in `host`.
pub fn wired(
    keys: PlatformKeys,
    emulator: Arc<WechatPayEmulator>,
    host: Arc<TestHost>,
) -> WechatPayClient<MockTransport> {
    client(
        keys,
        MockTransport::with_handler(move |request| answer(&emulator, &host, request)),
    )
}

pub use paybridge_transport::test_util::openssl_available as openssl;

pub use paybridge_transport::test_util::interop_required;

pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pb-wechatpay-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
